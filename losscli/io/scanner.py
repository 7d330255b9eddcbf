"""The C block scanner (:mod:`losscli._fastcsv`, source in ``losscli/_native/fastcsv.c``)
behind one small interface: :func:`plan_for` says whether the scanner may read a
file's blocks, :func:`scan` reads one block into numpy columns or declines it
(returns None), :func:`sniff` tells number from text columns in a head block.

The contract: for a block it accepts, the scanner returns exactly what Arrow's CSV
reader would (float64 columns without nulls, correctly rounded; text columns as
:class:`~losscli.io.columns.TextCodes` numbered as Arrow's dictionary arrays are);
anything unusual (a missing or null-like cell, a quoted number, a ragged row, invalid
UTF-8) makes it decline the block, which Arrow then parses, so messages, types and
rows are always Arrow's and :mod:`losscli.io.csv`'s (``tests/test_fastcsv.py`` and
``tests/fuzz`` hold both to this). No pyarrow on this path: a plain numeric CSV is
read without importing it.

Cut so: this is the only module that imports the extension module, and it knows
nothing of files, threads or messages.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from losscli.io.columns import TextCodes

#: Cells Arrow's CSV reader reads as null in a text column (its default
#: ``null_values``; ``strings_can_be_null`` is on): the C scanner's text labels must
#: not be one of them, or the block goes to Arrow.
ARROW_NULLS = frozenset(
    (
        *("#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND"),
        *("1.#QNAN", "N/A", "NA", "NULL", "NaN", "n/a", "nan", "null"),
    )
)
_KINDS = {"float64": "f", "dictionary": "t", "string": "t"}


@dataclass(frozen=True)
class Plan:
    """What the C scanner is asked for: the header's width, the requested columns'
    positions in it, and per column ``f`` (float64) or ``t`` (dictionary text)."""

    names: tuple[str, ...]
    ncols: int
    indexes: tuple[int, ...]
    kinds: str
    delimiter: str


def plan_for(
    delimiter: str,
    available: Sequence[str],
    columns: Sequence[str] | None,
    column_types: dict[str, str] | None,
) -> Plan | None:
    """A plan when every requested column has a fixed type the scanner produces
    (``float64`` or ``dictionary``/``string``), the extension is built, and
    ``LOSSCLI_FAST_CSV`` is not ``0``; otherwise None (Arrow parses every block).
    Columns whose type is left to inference (a numeric ``--by`` column) always go
    through Arrow."""
    if os.environ.get("LOSSCLI_FAST_CSV", "1") == "0" or not columns or not column_types:
        return None
    if any(column_types.get(c) not in _KINDS for c in columns):
        return None
    try:
        from losscli import _fastcsv  # noqa: F401  (compiled at install; optional)
    except ImportError:
        return None
    return Plan(
        names=tuple(columns),
        ncols=len(available),
        indexes=tuple(list(available).index(c) for c in columns),
        kinds="".join(_KINDS[column_types[c]] for c in columns),
        delimiter=delimiter,
    )


class ArrayBatch:
    """A block the C scanner read: float64 numpy columns and :class:`TextCodes`,
    with the part of ``pyarrow.RecordBatch``'s interface that the tables use
    (``num_rows``, ``column``, ``select``, ``slice``)."""

    __slots__ = ("_columns", "_names", "num_rows")

    def __init__(self, names: Sequence[str], columns: Sequence[Any], num_rows: int) -> None:
        self._names = list(names)
        self._columns = list(columns)
        self.num_rows = num_rows

    def column(self, i: int) -> Any:
        return self._columns[i]

    @staticmethod
    def concat(parts: Sequence[ArrayBatch]) -> ArrayBatch:
        import numpy as np

        first = parts[0]
        cols = [
            TextCodes.concat([p._columns[i] for p in parts])
            if isinstance(col, TextCodes)
            else np.concatenate([p._columns[i] for p in parts])
            for i, col in enumerate(first._columns)
        ]
        return ArrayBatch(first._names, cols, sum(p.num_rows for p in parts))

    def to_arrow(self) -> Any:
        """As the Arrow batch Arrow's reader would have made (to join it with
        blocks Arrow parsed)."""
        import pyarrow as pa

        arrays = [
            pa.DictionaryArray.from_arrays(
                pa.array(c.codes, pa.int32()), pa.array(c.labels, pa.string())
            )
            if isinstance(c, TextCodes)
            else pa.array(c, pa.float64())
            for c in self._columns
        ]
        return pa.RecordBatch.from_arrays(arrays, names=self._names)

    def select(self, names: Sequence[str]) -> ArrayBatch:
        cols = [self._columns[self._names.index(n)] for n in names]
        return ArrayBatch(names, cols, self.num_rows)

    def slice(self, start: int, length: int) -> ArrayBatch:
        cols = [c[start : start + length] for c in self._columns]
        return ArrayBatch(self._names, cols, min(length, max(0, self.num_rows - start)))


def scan(plan: Plan, block: Any, header: bool) -> ArrayBatch | None:
    """One block (``header``: it starts with the header line) through the C scanner
    as an :class:`ArrayBatch` holding what Arrow's reader would, or None when the
    scanner declines the block."""
    from losscli import _fastcsv

    out = _fastcsv.parse(block, plan.ncols, plan.indexes, plan.kinds, plan.delimiter, header)
    if isinstance(out, str):
        return None
    rows, parts = out
    import numpy as np

    cols: list[Any] = []
    for kind, part in zip(plan.kinds, parts, strict=True):
        if kind == "f":
            cols.append(np.frombuffer(part, dtype=np.float64, count=rows))
            continue
        codes, raw = part
        labels = _labels(raw)
        if labels is None:
            return None
        cols.append(TextCodes(np.frombuffer(codes, dtype=np.int32, count=rows), labels))
    return ArrayBatch(plan.names, cols, rows)


def _labels(raw: list[bytes]) -> list[str] | None:
    """The C scanner's text labels as str, or None where Arrow must decide: invalid
    UTF-8 (Arrow's error) or a cell Arrow reads as null."""
    try:
        labels = [b.decode("utf-8") for b in raw]
    except UnicodeDecodeError:
        return None
    return labels if ARROW_NULLS.isdisjoint(labels) else None


def sniff(plan: Plan, head: bytes, *, header: bool = True) -> dict[str, str] | None:
    """What Arrow's type inference on the ``head`` block (the header, unless
    ``header`` is false, and the first lines) would say of the plan's columns, where
    the scanner can tell: ``"number"`` for a column of plain numbers (Arrow: int64 or
    float64), ``"text"`` for one holding a label that no other Arrow type can read (it
    starts with a letter and is not a boolean, inf or nan spelling). None when any
    column is unclear: then Arrow sniffs."""
    from losscli import _fastcsv

    def parse(indexes: tuple[int, ...], kinds: str) -> Any:
        out = _fastcsv.parse(head, plan.ncols, indexes, kinds, plan.delimiter, header)
        return None if isinstance(out, str) or out[0] == 0 else out[1]

    if parse(plan.indexes, "f" * len(plan.indexes)) is not None:
        return dict.fromkeys(plan.names, "number")
    kinds: dict[str, str] = {}
    for col, i in zip(plan.names, plan.indexes, strict=True):
        if parse((i,), "f") is not None:
            kinds[col] = "number"
            continue
        parts = parse((i,), "t")
        labels = None if parts is None else _labels(parts[0][1])
        if labels is None or not any(map(_plainly_text, labels)):
            return None
        kinds[col] = "text"
    return kinds


def _plainly_text(label: str) -> bool:
    # Arrow infers int, bool, date, time, timestamp or float before string: none of
    # them reads a value that starts with a letter, but for these spellings.
    return label[:1].isalpha() and label.lower().lstrip("+-")[:3] not in (
        "tru",
        "fal",
        "inf",
        "nan",
    )
