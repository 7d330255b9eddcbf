"""A column (Arrow, numpy, pandas, or the C scanner's :class:`TextCodes`) → float64
with NaN for missing, or → integer class codes; and the values no loss can use,
refused in one line naming the file, the column and the 1-based row.

Conventions:

* Booleans become 0/1; text in a numeric column raises InputError at its first row
  (``"nan"`` / ``"inf"`` spelled out are numbers, as to Python's ``float``).
* 64-bit integers that float64 holds exactly (all up to 2**53, and larger ones such
  as 2**60 whose odd part fits in 53 bits) are converted; the first that it does not
  hold raises InputError (:func:`exact_int64`), rather than computing a loss of a
  silently rounded value.
* Nested Arrow values (a Parquet ``list<double>``, a struct) are refused.

Arrow columns are read through their buffers (:func:`arrow_float64`,
:func:`arrow_valid`), not ``to_numpy``: pyarrow's conversion helpers import pandas,
which the streaming path otherwise never needs. numpy, pandas and pyarrow are
imported inside the functions; :func:`pyarrow_if` lets a caller handle a numpy column
without importing pyarrow at all.

Cut so: everything that turns cells into numbers is here, apart from the parsers
that produce the columns (:mod:`losscli.io.tables`) and the engines that consume them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from losscli.errors import InputError

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class TextCodes:
    """A text column of one CSV block as the C scanner reads it: ``codes`` (int32)
    index ``labels``, numbered in order of first appearance (as Arrow's dictionary
    arrays are). Never missing: a block with an empty or null-like cell goes to
    Arrow. Consumers (evaluate's ``_factorize``) take the codes as they are."""

    codes: np.ndarray
    labels: list[str]

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, rows: slice) -> TextCodes:
        return TextCodes(self.codes[rows], self.labels)

    def to_objects(self) -> np.ndarray:
        """The values as an object array of str."""
        import numpy as np

        return np.asarray(self.labels, dtype=object)[self.codes]

    @staticmethod
    def concat(parts: Sequence[TextCodes]) -> TextCodes:
        """One column from several blocks' columns, labels in order of first
        appearance across them (what Arrow's dictionary unification gives)."""
        import numpy as np

        index: dict[str, int] = {}
        pieces = []
        for part in parts:
            lut = np.array([index.setdefault(s, len(index)) for s in part.labels], np.int32)
            pieces.append(lut[part.codes] if len(lut) else part.codes)
        return TextCodes(np.concatenate(pieces), list(index))


def pyarrow_if(column: Any) -> Any:
    """The pyarrow module when ``column`` is an Arrow object, else None: a numpy
    column (the C scanner's, a DataFrame's) is handled without importing pyarrow."""
    if type(column).__module__.partition(".")[0] != "pyarrow":
        return None
    import pyarrow as pa

    return pa


def numeric_array(column: Any, *, name: str, column_name: str, offset: int = 0) -> np.ndarray:
    """An Arrow or pandas/numpy column as float64, missing values as NaN.

    Booleans become 0/1. Text raises InputError naming the file, the column and the
    first row (``offset`` = data rows before this chunk) whose value is not a number.
    """
    import numpy as np

    pa = pyarrow_if(column)
    if pa is not None and isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if isinstance(column, TextCodes):
        values = column.to_objects()
    elif pa is not None and isinstance(column, pa.Array):
        t = column.type
        if pa.types.is_null(t):
            return np.full(len(column), np.nan)
        if pa.types.is_nested(t):
            raise InputError(f"{name}: column {column_name!r} holds lists ({t}), expected numbers")
        if pa.types.is_integer(t) and t.bit_width == 64:
            check_arrow_int64(column, name=name, column_name=column_name, offset=offset)
        if (
            pa.types.is_floating(t)
            or pa.types.is_integer(t)
            or pa.types.is_decimal(t)
            or pa.types.is_boolean(t)
        ):
            return arrow_float64(column)
        values = np.asarray(column.to_pylist(), dtype=object)
    else:
        values = np.asarray(column)
        if values.dtype.kind in "iu" and values.dtype.itemsize == 8:
            exact_int64(values, name=name, column_name=column_name, offset=offset)
        if values.dtype.kind in "fiub":
            return values.astype(np.float64, copy=False)
        if values.dtype.kind == "O" and any(
            isinstance(v, list | tuple | dict) for v in values[:1000]
        ):
            raise InputError(f"{name}: column {column_name!r} holds lists, expected numbers")
    return _text_to_float(values, name=name, column_name=column_name, offset=offset)


def arrow_valid(column: Any) -> np.ndarray | None:
    """The validity of an Arrow array as a bool array, or None when nothing is null.

    Read from the validity bitmap directly: pyarrow's ``to_numpy`` and scalars
    import pandas, which the streaming path does not otherwise need."""
    import numpy as np

    if column.null_count == 0:
        return None
    n, off = len(column), column.offset
    bits = np.frombuffer(column.buffers()[0], dtype=np.uint8)
    return np.unpackbits(bits, count=off + n, bitorder="little")[off:].astype(bool)


def arrow_float64(column: Any) -> np.ndarray:
    """A numeric / boolean Arrow array as float64 numpy (nulls → NaN), zero-copy
    when it is already float64 without nulls (the result is then read-only)."""
    import numpy as np
    import pyarrow as pa

    if not pa.types.is_float64(column.type):
        # (integers beyond 2**53 are rounded: callers that compute losses check
        # them first with exact_int64; a sample for detection need not)
        column = column.cast(pa.float64(), safe=not pa.types.is_integer(column.type))
    n, off = len(column), column.offset
    data = np.frombuffer(column.buffers()[1], dtype=np.float64, count=off + n)[off:]
    valid = arrow_valid(column)
    if valid is not None:
        data = data.copy()
        data[~valid] = np.nan
    return data


def check_arrow_int64(column: Any, *, name: str, column_name: str, offset: int) -> None:
    """:func:`exact_int64` on a 64-bit integer Arrow array (signed or not), read
    through its data buffer; nulls are skipped."""
    import numpy as np
    import pyarrow as pa

    width = np.uint64 if pa.types.is_unsigned_integer(column.type) else np.int64
    n, off = len(column), column.offset
    ints = np.frombuffer(column.buffers()[1], dtype=width, count=off + n)[off:]
    exact_int64(ints, name=name, column_name=column_name, offset=offset, valid=arrow_valid(column))


def exact_int64(
    ints: np.ndarray, *, name: str, column_name: str, offset: int = 0, valid: Any = None
) -> None:
    """Refuse 64-bit integers that float64 cannot hold exactly.

    Losses are computed in float64, which holds every integer up to 2**53 and,
    above it, only those whose odd part fits in 53 bits (v = m·2**k, m < 2**53).
    Convention (issue 10): exactly representable values (2**60, 10**18) are
    converted; the first value that is not raises InputError naming the file,
    the column and the 1-based row (``offset`` = data rows before this chunk),
    rather than computing a loss of a silently rounded truth or prediction.
    ``valid``: a bool mask of the non-null entries (None: all)."""
    import numpy as np

    magnitude = np.where(ints < 0, -ints, ints).astype(np.uint64)  # (-2**63: wraps to 2**63)
    big = magnitude > np.uint64(1 << 53)
    if valid is not None:
        big &= valid
    if not big.any():
        return
    where = np.flatnonzero(big)
    m = magnitude[where]
    low = m & (~m + np.uint64(1))  # the lowest set bit: v = odd · low
    inexact = (m // low) >= np.uint64(1 << 53)
    if inexact.any():
        i = int(where[np.argmax(inexact)])
        raise InputError(
            f"{name}: column {column_name!r}, row {offset + i + 1}: the integer {int(ints[i])} "
            "has no exact float64 value (beyond 2**53), and losses are computed in float64; "
            "round it or store the column as floating point"
        )


def check_arrow_batch(batch: Any, column_types: dict[str, str], name: str, offset: int) -> None:
    """Columns no loss can use, refused in one line: nested values (a Parquet
    ``list<double>`` truth, a JSON object), and in a column wanted as float64 an
    integer with no exact float64 value (see :func:`exact_int64`)."""
    import pyarrow as pa

    for field, column in zip(batch.schema, batch.columns, strict=True):
        t = field.type
        if pa.types.is_nested(t):
            what = "structs" if pa.types.is_struct(t) else "maps" if pa.types.is_map(t) else "lists"
            raise InputError(
                f"{name}: column {field.name!r} holds {what} ({t}), expected numbers or labels"
            )
        wanted = column_types.get(field.name) == "float64"
        if wanted and pa.types.is_integer(t) and t.bit_width == 64:
            check_arrow_int64(column, name=name, column_name=field.name, offset=offset)


def arrow_int_codes(column: Any) -> np.ndarray:
    """An integer Arrow array (dictionary indices) as intp numpy, nulls → -1."""
    import numpy as np
    import pyarrow as pa

    if not pa.types.is_int64(column.type):
        column = column.cast(pa.int64())
    n, off = len(column), column.offset
    data = np.frombuffer(column.buffers()[1], dtype=np.int64, count=off + n)[off:]
    codes = data.astype(np.intp, copy=True)
    valid = arrow_valid(column)
    if valid is not None:
        codes[~valid] = -1
    return codes


def _text_to_float(values: Any, *, name: str, column_name: str, offset: int) -> np.ndarray:
    import numpy as np
    import pandas as pd

    obj = np.asarray(values, dtype=object)
    coerced = pd.to_numeric(pd.Series(obj), errors="coerce").to_numpy(dtype=np.float64)
    missing = pd.isna(pd.Series(obj)).to_numpy()
    bad = np.flatnonzero(np.isnan(coerced) & ~missing)
    if bad.size:
        # "nan" / "inf" spelled out are numbers to Python's float(); keep them.
        for i in bad:
            try:
                coerced[i] = float(str(obj[i]).strip())
            except ValueError:
                raise InputError(
                    f"{name}: column {column_name!r}, row {offset + int(i) + 1}: expected a "
                    f"number, got {str(obj[i])[:40]!r}"
                ) from None
    return coerced
