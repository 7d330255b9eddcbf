"""A source (path or ``-``; CSV, TSV, Parquet, JSON Lines; compressed or not) as
columns: the public readers of :mod:`losscli.io`.

* :func:`read_columns` – the column names (header / schema only), checked: not
  empty, no duplicates;
* :func:`sniff_types` – column → number | text | bool | empty, from the first block
  (CSV/TSV) or the schema (Parquet, JSONL);
* :func:`iter_batches` – the file as batches of the requested columns, at most
  ``chunk_rows`` rows each: Arrow ``RecordBatch``es, or, for a CSV block the C
  scanner read, a :class:`~losscli.io.scanner.ArrayBatch` of numpy columns;
* :func:`iter_arrays` – the same as ``(offset, {column: array})``, the streaming path
  of ``evaluate`` and ``recommend``;
* :func:`iter_frames` / :func:`read_frame` – pandas DataFrames (``history``, tests).

Each reader takes ``header``: the column names of a CSV/TSV file without a header
line (``--columns``; :attr:`losscli.io.sources.Source.header`), refused for the other
formats, whose files always name their columns.

Every failure is an :class:`~losscli.errors.InputError` whose one-line message names
the file and, where there is one, the column and the 1-based data row; values no loss
can use (nested values, 64-bit integers without an exact float64) are refused here
(:func:`losscli.io.columns.check_arrow_batch`) for every format alike.

Cut so: this module is the format-independent part (which parser, the checks every
batch gets, cutting and joining batches to ``chunk_rows``); each format's syntax lives
in :mod:`~losscli.io.csv`, :mod:`~losscli.io.jsonl`, :mod:`~losscli.io.parquet`, the
bytes in :mod:`~losscli.io.sources`. pandas and pyarrow are imported inside the
functions: ``losscli --help`` must not pay for them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Generator, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from losscli.errors import InputError
from losscli.io import csv, jsonl, parquet
from losscli.io.columns import check_arrow_batch
from losscli.io.scanner import ArrayBatch
from losscli.io.sources import (
    Source,
    SourceLike,
    check_decompressed_head,
    input_errors,
    resolve,
)

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_CHUNK_ROWS = 1 << 20
#: ``coalesce`` joins batches until they hold ``chunk_rows / COALESCE_SHARE`` rows:
#: per-group work has a fixed cost per chunk, a few hundred thousand rows amortise it.
COALESCE_SHARE = 4


# --------------------------------------------------------------------------- header


def _columns_of(res: Source) -> list[str]:
    """Column names of a resolved source, checked: not empty, no duplicates."""
    if res.compression is not None and res.fmt != "parquet":
        check_decompressed_head(res)
    if res.fmt in ("csv", "tsv"):
        names = csv.column_names(res)
    elif res.fmt == "parquet":
        names, rows = parquet.column_names(res)
        if rows == 0:
            check_duplicates(names, res.name)
            raise InputError(f"{res.name} has no data rows")
    else:
        names = jsonl.column_names(res)
    check_duplicates(names, res.name)
    return names


def check_duplicates(names: Sequence[str], name: str) -> None:
    """InputError naming every column name that ``names`` holds more than once."""
    seen: set[str] = set()
    dups: list[str] = []
    for col in names:
        if col in seen and col not in dups:
            dups.append(col)
        seen.add(col)
    if dups:
        raise InputError(
            f"{name} has duplicate column names: {', '.join(repr(d) for d in dups)}; "
            "rename them so each column is unique"
        )


def _check_requested(columns: Sequence[str] | None, available: Sequence[str], name: str) -> None:
    if columns is None:
        return
    missing = [c for c in columns if c not in available]
    if missing:
        raise InputError(
            f"column {missing[0]!r} not found in {name}; columns are: {', '.join(available)}"
        )


def _resolved(source: SourceLike, fmt: str | None, header: Sequence[str] | None) -> Source:
    """:func:`~losscli.io.sources.resolve`, with the names of a headerless CSV/TSV."""
    res = resolve(source, fmt)
    if header is None:
        return res
    if res.fmt not in ("csv", "tsv"):
        raise InputError(
            f"{res.name} is {res.fmt}, which names its columns: --columns is for a CSV or "
            "TSV file without a header line"
        )
    return dataclasses.replace(res, header=tuple(header))


def _open(
    source: SourceLike,
    fmt: str | None,
    columns: Sequence[str] | None,
    header: Sequence[str] | None = None,
) -> Any:
    """The resolved source and its column names, the requested ``columns`` checked."""
    res = _resolved(source, fmt, header)
    available = _columns_of(res)
    _check_requested(columns, available, res.name)
    return res, available


@input_errors
def read_columns(
    source: SourceLike, *, fmt: str | None = None, header: Sequence[str] | None = None
) -> list[str]:
    """Column names of ``source`` (reads the header / schema only)."""
    return _columns_of(_resolved(source, fmt, header))


@input_errors
def sniff_types(
    source: SourceLike,
    *,
    fmt: str | None = None,
    columns: Sequence[str] | None = None,
    header: Sequence[str] | None = None,
) -> dict[str, str]:
    """Column → ``"number"`` | ``"text"`` | ``"bool"`` | ``"empty"`` as seen in the
    first block (CSV/TSV) or the schema (Parquet, JSONL)."""
    res, available = _open(source, fmt, columns, header)
    if res.fmt in ("csv", "tsv") and columns:
        numbers = csv.sniff(res, columns, available)
        if numbers is not None:
            return numbers
    import pyarrow as pa

    if res.fmt == "parquet":
        schema = parquet.schema(res)
    elif res.fmt == "jsonl":
        schema = jsonl.first_block_schema(res, columns)
    else:
        schema = csv.first_block_schema(res, columns, available)
    out: dict[str, str] = {}
    for col in columns if columns is not None else available:
        t = schema.field(col).type
        if pa.types.is_boolean(t):
            out[col] = "bool"
        elif pa.types.is_null(t):
            out[col] = "empty"
        elif pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
            out[col] = "number"
        else:
            out[col] = "text"
    return out


# --------------------------------------------------------------------------- batches


@input_errors
def iter_batches(
    source: SourceLike,
    *,
    fmt: str | None = None,
    columns: Sequence[str] | None = None,
    column_types: dict[str, str] | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    coalesce: bool = False,
    header: Sequence[str] | None = None,
) -> Iterator[Any]:
    """Arrow ``RecordBatch``es of at most ``chunk_rows`` rows, columns in the order
    requested. ``column_types`` maps column → ``"float64"`` | ``"string"`` (CSV/TSV
    only: other formats carry their types; ``"dictionary"`` reads text as an Arrow
    dictionary array, as ``dictionary_encode`` would make it). ``coalesce=True`` joins
    the reader's blocks into batches of ``chunk_rows`` rows (fewer, larger chunks: what
    a per-group evaluation wants). Raises InputError for empty files and files with a
    header but no data rows. A CSV block of numbers only may come as an
    :class:`~losscli.io.scanner.ArrayBatch` (numpy columns) instead of an Arrow batch."""
    res, available = _open(source, fmt, columns, header)
    if res.fmt == "parquet":
        raw = parquet.batches(res, columns, chunk_rows)
    elif res.fmt == "jsonl":
        raw = jsonl.batches(res, columns, column_types, csv.block_bytes(chunk_rows))
    else:
        size = csv.block_bytes(chunk_rows, coalesce)
        raw = csv.batches(res, available, columns, column_types, size)
    checked = _checked(raw, res, columns, column_types or {})
    rows = 0
    for batch in _coalesced(checked, chunk_rows) if coalesce else checked:
        rows += batch.num_rows
        yield from _split(batch, chunk_rows)
    if rows == 0:
        raise InputError(f"{res.name} has a header but no data rows")


def _checked(
    batches: Iterator[Any],
    res: Source,
    columns: Sequence[str] | None,
    column_types: dict[str, str],
) -> Iterator[Any]:
    """The non-empty batches, columns in the requested order, Arrow ones checked for
    values no loss can use (the scanner's never hold any)."""
    rows = 0
    for batch in batches:
        if columns is not None:
            batch = batch.select(list(columns))
        if batch.num_rows == 0:
            continue
        if not isinstance(batch, ArrayBatch):
            check_arrow_batch(batch, column_types, res.name, rows)
        rows += batch.num_rows
        yield batch


def rechunk(batches: Iterator[Any], chunk_rows: int, coalesce: bool) -> Iterator[Any]:
    """Checked batches cut to at most ``chunk_rows`` rows (with ``coalesce``: first
    joined up to ``chunk_rows / COALESCE_SHARE``), as :func:`iter_batches` hands
    them on; for readers of other inputs (:mod:`losscli.io.dataset_read`)."""
    for batch in _coalesced(batches, chunk_rows) if coalesce else batches:
        yield from _split(batch, chunk_rows)


def _split(batch: Any, chunk_rows: int) -> Iterator[Any]:
    n = batch.num_rows
    for start in range(0, n, chunk_rows):
        yield batch.slice(start, min(chunk_rows, n - start))


def _coalesced(batches: Iterator[Any], chunk_rows: int) -> Iterator[Any]:
    """The batches joined until they hold ``chunk_rows / COALESCE_SHARE`` rows."""
    pending: list[Any] = []
    pending_rows = 0
    for batch in batches:
        pending.append(batch)
        pending_rows += batch.num_rows
        if pending_rows >= chunk_rows // COALESCE_SHARE:
            yield from _join(pending)
            pending, pending_rows = [], 0
    if pending:
        yield from _join(pending)


def _join(pending: list[Any]) -> list[Any]:
    """Several batches as one (a list of one): numpy columns stay numpy; with any Arrow batch among
    them, all become Arrow, types unified (CSV blocks infer the types of untyped
    columns, a ``--by`` column, one block at a time: an int block and a text block are
    joined as text; ints and floats as float64)."""
    if all(isinstance(b, ArrayBatch) for b in pending):
        return [ArrayBatch.concat(pending)]
    import pyarrow as pa

    parts = [b.to_arrow() if isinstance(b, ArrayBatch) else b for b in pending]
    if len({b.schema for b in parts}) > 1:
        target = pa.schema([_unified(parts, i, f) for i, f in enumerate(parts[0].schema)])
        parts = [b.cast(target) for b in parts]
    return list(pa.Table.from_batches(parts).combine_chunks().to_batches())


def _unified(parts: list[Any], i: int, field: Any) -> Any:
    """The field ``i`` of the batches ``parts`` under one type."""
    import pyarrow as pa

    kinds = [b.schema.field(i).type for b in parts]
    if all(t == field.type for t in kinds):
        return field
    if all(pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_null(t) for t in kinds):
        return pa.field(field.name, pa.float64())
    return pa.field(field.name, pa.string())


@input_errors
def iter_arrays(
    source: SourceLike,
    *,
    fmt: str | None = None,
    columns: Sequence[str],
    column_types: dict[str, str] | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    coalesce: bool = False,
    header: Sequence[str] | None = None,
) -> Generator[tuple[int, dict[str, Any]]]:
    """``(offset, {column: array})`` chunks (a pyarrow Array, a float64 numpy array or
    :class:`~losscli.io.columns.TextCodes`); ``offset`` counts the data rows before
    the chunk, so ``offset + i + 1`` is the 1-based row of element ``i``."""
    offset = 0
    batches = iter_batches(
        source,
        fmt=fmt,
        columns=columns,
        column_types=column_types,
        chunk_rows=chunk_rows,
        coalesce=coalesce,
        header=header,
    )
    try:
        for batch in batches:
            yield offset, {c: batch.column(i) for i, c in enumerate(columns)}
            offset += batch.num_rows
    finally:
        close = getattr(batches, "close", None)
        if close is not None:
            close()


# --------------------------------------------------------------------------- frames


@input_errors
def iter_frames(
    source: SourceLike,
    *,
    fmt: str | None = None,
    columns: Sequence[str] | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    header: Sequence[str] | None = None,
) -> Iterator[pd.DataFrame]:
    """``source`` as DataFrames of at most ``chunk_rows`` rows (only ``columns``).

    As with ``pandas.read_csv(chunksize=...)``, each block of the file infers its own
    column types: an integer column may come as float64 in a chunk that holds
    ``1.5`` or a missing value.
    """
    for batch in iter_batches(
        source, fmt=fmt, columns=columns, chunk_rows=chunk_rows, header=header
    ):
        yield batch.to_pandas()


@input_errors
def read_frame(
    source: SourceLike,
    *,
    fmt: str | None = None,
    columns: Sequence[str] | None = None,
    header: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The whole of ``source`` (only ``columns``) as one DataFrame. Types are
    inferred from the whole file (integers stay integers)."""
    import pyarrow as pa

    res, available = _open(source, fmt, columns, header)
    if res.fmt in ("csv", "tsv"):
        return csv.read_table(res, columns, available).to_pandas()
    batches = list(iter_batches(source, fmt=fmt, columns=columns))
    return pa.Table.from_batches(batches).to_pandas()
