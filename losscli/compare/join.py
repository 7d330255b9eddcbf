"""``compare --key COL``: two prediction files joined row by row on a key column.

A paired comparison needs the same rows on both sides: each key must occur once in
each file (a duplicate is an error naming the key and both rows), every row must find
its partner (a row that does not join is an error naming how many, the first row and
its key) and the truth must agree on every joined row (else the two files are not
predictions for the same examples). Keys compare as text, so ``7`` and ``7`` match
whether a reader typed them as integers or strings; ``7`` and ``7.0`` do not.

The result is the joined frame, in BASE's row order: the key, the truth, and every
prediction column of both files renamed ``base:<column>`` / ``new:<column>`` (a
weight or ``--by`` column is taken from BASE and must agree too), which one
evaluation then scores as the models of one file — the paired bootstrap resamples
the same rows for both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from losscli.errors import InputError, UsageError

if TYPE_CHECKING:
    import pandas as pd

BASE_PREFIX, NEW_PREFIX = "base:", "new:"


def _read(
    source: str,
    name: str,
    columns: Sequence[str],
    fmt: str | None,
    header: Sequence[str] | None = None,
) -> pd.DataFrame:
    from losscli.io import tables

    available = tables.read_columns(source, fmt=fmt, header=header)
    for col in columns:
        if col not in available:
            raise InputError(
                f"column {col!r} (--key) not found in {name}; columns are: {', '.join(available)}",
                file=name,
                column=col,
            )
    return tables.read_frame(source, fmt=fmt, columns=list(columns), header=header)


def _keys(frame: pd.DataFrame, key: str, name: str) -> pd.Series:
    """The key column as text, checked: no missing value, no duplicate."""
    col = frame[key]
    missing = col.isna().to_numpy().nonzero()[0]
    if missing.size:
        raise InputError(
            f"{name}: --key column {key!r} has {missing.size:,} missing value(s), first at "
            f"row {int(missing[0]) + 1}",
            file=name,
            column=key,
            row=int(missing[0]) + 1,
        )
    text = col.astype(str)
    dup = text.duplicated(keep=False).to_numpy().nonzero()[0]
    if dup.size:
        first = text.iloc[int(dup[0])]
        rows = [int(i) + 1 for i in dup if text.iloc[int(i)] == first][:2]
        raise InputError(
            f"{name}: --key column {key!r} has duplicate values: {first!r} at rows "
            f"{rows[0]} and {rows[1]} ({dup.size:,} rows share a key)",
            file=name,
            column=key,
            row=rows[1],
        )
    return text.reset_index(drop=True)


def _unjoined(left: pd.Series, right: pd.Series, name: str, other: str, key: str) -> None:
    missing = (~left.isin(right)).to_numpy().nonzero()[0]
    if missing.size:
        first = int(missing[0])
        raise InputError(
            f"{missing.size:,} row(s) of {name} do not join {other} on {key!r}, first at row "
            f"{first + 1} ({key} {left.iloc[first]!r})",
            file=name,
            column=key,
            row=first + 1,
        )


def join_files(
    base: tuple[str, str],
    new: tuple[str, str],
    key: str,
    *,
    truth: str,
    base_columns: Sequence[str],
    new_columns: Sequence[str],
    extra: Sequence[str] = (),
    fmt: str | None = None,
    header: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The joined frame (see the module docstring). ``base``/``new``: (source, name);
    ``*_columns``: each file's prediction columns; ``extra``: weight / ``--by``;
    ``header``: ``--columns`` (both files' names, when they have no header line)."""
    import numpy as np

    if key == truth or key in base_columns or key in new_columns or key in extra:
        raise UsageError(f"--key {key!r} is the truth, a prediction, a weight or --by column")
    b = _read(base[0], base[1], [key, truth, *base_columns, *extra], fmt, header)
    n = _read(new[0], new[1], [key, truth, *new_columns, *extra], fmt, header)
    bk, nk = _keys(b, key, base[1]), _keys(n, key, new[1])
    _unjoined(bk, nk, base[1], new[1], key)
    _unjoined(nk, bk, new[1], base[1], key)
    position = {k: i for i, k in enumerate(nk.tolist())}
    order = np.fromiter((position[k] for k in bk.tolist()), dtype=np.int64, count=len(bk))
    n = n.iloc[order].reset_index(drop=True)
    b = b.reset_index(drop=True)
    for col in (truth, *extra):
        bt, nt = b[col], n[col]
        differ = ~((bt == nt) | (bt.isna() & nt.isna())).to_numpy()
        if differ.any():
            first = int(differ.nonzero()[0][0])
            raise InputError(
                f"column {col!r} differs between {base[1]} and {new[1]} on {int(differ.sum()):,} "
                f"joined row(s), first at row {first + 1} of {base[1]} ({key} {bk.iloc[first]!r})",
                file=base[1],
                column=col,
                row=first + 1,
            )
    joined = b[[key, truth, *extra]].copy()
    for col in base_columns:
        joined[BASE_PREFIX + col] = b[col].to_numpy()
    for col in new_columns:
        joined[NEW_PREFIX + col] = n[col].to_numpy()
    return joined
