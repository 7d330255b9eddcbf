"""Columns → class codes: a column of labels or group values as integer codes + label text.

Every reader hands columns over in its own type (the C scanner's :class:`TextCodes`,
Arrow arrays, numpy float64, a DataFrame's object arrays); the evaluate engine, the
label mode and ``recommend`` need one answer from all of them: integer codes into a
list of labels written as :func:`losscli.tasks.label_text` writes them (``3``, ``3.0``
and ``"3"`` are one label; ``-1`` = missing). The same conversions for a column's
first values (:func:`to_numpy_sample`, used to guess a task or a label column) live
here too, so no caller needs to know the readers' types.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from losscli.tasks import label_text

if TYPE_CHECKING:
    import numpy as np


def factorize(column: Any) -> tuple[np.ndarray, list[str | None]]:
    """(codes, labels): codes index ``labels``; -1 = missing."""
    import numpy as np

    from losscli.io.columns import TextCodes, pyarrow_if

    if isinstance(column, TextCodes):  # the C scanner's: never missing
        return column.codes.astype(np.intp), list(column.labels)
    if isinstance(column, np.ndarray) and column.dtype.kind == "f" and column.ndim == 1:
        return factorize_numbers(column)
    pa = pyarrow_if(column)
    if pa is not None and isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if pa is not None and isinstance(column, pa.Array):
        codes, labels = _factorize_arrow(column)
    else:
        import pandas as pd

        raw_codes, uniques = pd.factorize(np.asarray(column, dtype=object), use_na_sentinel=True)
        codes = np.asarray(raw_codes, dtype=np.intp)
        labels = [label_text(v) for v in uniques]
    if any(label is None for label in labels):
        lut = np.array([-1 if lab is None else i for i, lab in enumerate(labels)] + [-1])
        codes = lut[codes]
    return codes, labels


def _factorize_arrow(column: Any) -> tuple[np.ndarray, list[str | None]]:
    """:func:`factorize` of an Arrow array (labels may be ``None``: the caller maps
    their codes to -1)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from losscli.io.columns import arrow_int_codes

    if pa.types.is_integer(column.type) and column.null_count == 0 and len(column):
        # Small-range integers (group ids, class indices): a lookup table beats
        # hashing (dictionary_encode) several times over.
        values = arrow_int_codes(column)
        lo, hi = int(values.min()), int(values.max())
        if hi - lo <= 1 << 20:
            values -= lo  # (a private copy: arrow_int_codes copies)
            seen = np.flatnonzero(np.bincount(values))
            lut = np.full(hi - lo + 1, -1, dtype=np.intp)
            lut[seen] = np.arange(seen.size)
            return lut[values], [str(lo + int(v)) for v in seen]
    is_dictionary = isinstance(column.type, pa.DictionaryType)
    encoded = column if is_dictionary else pc.dictionary_encode(column)
    codes = arrow_int_codes(encoded.indices)
    return codes, [label_text(v) for v in encoded.dictionary.to_pylist()]


def factorize_numbers(values: np.ndarray) -> tuple[np.ndarray, list[str | None]]:
    """:func:`factorize` of a float column (class indices read by the C scanner, a
    DataFrame's numbers): sorted unique values renumbered in order of first
    appearance, as Arrow's ``dictionary_encode`` and ``pandas.factorize`` number
    them, without importing either."""
    import numpy as np

    uniques, first, inverse = np.unique(values, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty(order.size, dtype=np.intp)
    rank[order] = np.arange(order.size)
    labels = [label_text(float(v)) for v in uniques[order]]  # NaN → None (missing)
    return rank[inverse.reshape(-1)], labels


def is_text(column: Any) -> bool:
    """Whether a column holds text (strings, dictionary-encoded, the scanner's codes)."""
    import numpy as np

    from losscli.io.columns import TextCodes, pyarrow_if

    if isinstance(column, TextCodes):
        return True
    pa = pyarrow_if(column)
    if pa is not None and isinstance(column, pa.ChunkedArray | pa.Array):
        t = column.type
        return bool(
            pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_dictionary(t)
        )
    return np.asarray(column).dtype.kind in "OUS"


def to_numpy_sample(column: Any) -> Any:
    """A column as numpy: numbers as float64, booleans as bool, anything else as
    objects (for guesses made on a first chunk, not for the losses)."""
    import numpy as np

    from losscli.io.columns import TextCodes, pyarrow_if

    if isinstance(column, TextCodes):
        return column.to_objects()
    pa = pyarrow_if(column)
    if pa is not None and isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if pa is not None and isinstance(column, pa.Array):
        t = column.type
        if pa.types.is_floating(t) or pa.types.is_integer(t) or pa.types.is_decimal(t):
            from losscli.io.columns import arrow_float64

            return arrow_float64(column)
        if pa.types.is_boolean(t):
            return np.asarray(column.to_pylist(), dtype=object).astype(bool)
        return np.asarray(column.to_pylist(), dtype=object)
    return np.asarray(column)


def some_numbers(values: Any) -> bool:
    """Whether any of the first 1000 text values reads as a number."""
    for value in values[:1000]:
        if value is None:
            continue
        try:
            float(str(value))
        except ValueError:
            continue
        return True
    return False
