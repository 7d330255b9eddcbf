"""Putting logged values on one x axis: pairing evaluations with training losses,
merging repeated x values, cutting a file into runs, checking what is left.

Shared by every log format (tables, trainer_state.json, TensorBoard, MLflow), so the
rules are the same whatever wrote the log. Stdlib only.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TypeVar

from losscli.errors import InputError, UsageError
from losscli.history.model import Number, TrainingLog, Value, clean_numbers, fmt_x

T = TypeVar("T")

#: A logged value: (step, epoch or None, value).
Point = tuple[float, float | None, float]


def align_on_steps(
    train_pts: Sequence[Point], val_pts: Sequence[Point]
) -> tuple[list[tuple[float, float | None, Value, Value]], int]:
    """Points = evaluations, each with the last training loss at or before its step
    (points = training entries when there is no evaluation). Returns (points, skipped):
    evaluations logged before any training loss are skipped."""
    train_sorted = sorted(train_pts, key=lambda p: p[0])
    if not val_pts:
        return [(s, e, v, None) for s, e, v in train_sorted], 0
    out: list[tuple[float, float | None, Value, Value]] = []
    skipped = 0
    j = -1
    for step, epoch, value in sorted(val_pts, key=lambda p: p[0]):
        while j + 1 < len(train_sorted) and train_sorted[j + 1][0] <= step:
            j += 1
        if j < 0:
            skipped += 1
            continue
        out.append((step, epoch, train_sorted[j][2], value))
    return out, skipped


def merges_distinct_steps(points: Sequence[tuple[float, float | None]]) -> bool:
    """True when two points with different steps share one epoch value (epochs rounded
    to two decimals by older transformers, or many steps logged in one epoch)."""
    seen: dict[float, float] = {}
    for step, epoch in points:
        if epoch is None:
            continue
        if seen.setdefault(epoch, step) != step:
            return True
    return False


def run_starts(keys: Sequence[float | None]) -> list[int]:
    """Row indices where a new run starts: the counter (epoch or step) goes back below
    the previous value logged. Row 0 always starts a run; rows without a key belong to
    the run they are in."""
    starts = [0]
    prev: float | None = None
    for i, k in enumerate(keys):
        if k is None:
            continue
        if prev is not None and k < prev:
            starts.append(i)
        prev = k
    return starts


def finish(
    name: str,
    fmt: str,
    x_name: str,
    xs: Sequence[Number],
    train: Sequence[Value],
    val: Sequence[Value] | None,
    train_col: str,
    val_col: str | None,
    warnings: list[str],
    *,
    val_named: bool = False,
) -> TrainingLog:
    """Skip rows without any loss, merge repeated x (last value wins, with a warning),
    sort by x, and check there are at least 2 training points. A validation column with
    fewer than 2 values is not a curve (a ``test_loss`` logged once after
    ``trainer.test()``): dropped with a warning, or an error when named with ``--val``."""
    vals = val if val is not None else [None] * len(train)
    rows = list(zip(clean_numbers(xs), train, vals, strict=True))
    kept = [r for r in rows if r[1] is not None or r[2] is not None]
    if len(kept) < len(rows) and fmt != "lightning":  # Lightning: LearningRateMonitor rows
        warnings.append(f"{name}: {len(rows) - len(kept)} row(s) without any loss value skipped")
    xs_kept = [r[0] for r in kept]
    if all(a < b for a, b in itertools.pairwise(xs_kept)):  # the usual case: no merging
        order: list[Number] = xs_kept
        tr = tuple(r[1] for r in kept)
        va = tuple(r[2] for r in kept) if val is not None else None
    else:
        order, tr, va = _merge(name, x_name, kept, val is not None, warnings)
    n_train = sum(v is not None for v in tr)
    if n_train < 2:
        raise InputError(
            f"{name}: only {n_train} point(s) with a training loss in column {train_col!r}; "
            "need at least 2"
        )
    if va is not None:
        n_val = sum(v is not None for v in va)
        described = f"validation column {val_col!r} has {n_val} value(s)"
        # (the column is there: even an empty one is worth a word)
        if not is_curve(n_val, val_named, name, val_col, described, warnings, warn_empty=True):
            va, val_col = None, None
    return TrainingLog(
        file=name,
        format=fmt,
        x_name=x_name,
        x=tuple(order),
        train=tr,
        val=va,
        train_column=train_col,
        val_column=val_col,
        warnings=tuple(warnings),
    )


def is_curve(
    count: int,
    named: bool,
    name: str,
    column: str | None,
    described: str,
    warnings: list[str],
    *,
    warn_empty: bool = False,
) -> bool:
    """Whether ``count`` validation values make a curve (at least 2), the one rule of
    every format: fewer (a ``test_loss`` logged once after ``trainer.test()``) are an
    error when the column was named with ``--val`` (a gate on it could never fire),
    else a warning ``described``, and the run is judged on the training loss alone."""
    if count >= 2:
        return True
    if named:
        raise too_few_values(name, column, count)
    if count or warn_empty:
        warnings.append(f"{name}: {described}, not a curve; judged on the training loss alone")
    return False


def too_few_values(name: str, column: str | None, count: int) -> InputError:
    """The error for a validation column named with ``--val`` that is not a curve."""
    return InputError(
        f"{name}: column {column!r} has {count} value(s); a validation curve needs at least 2"
    )


def _merge(
    name: str,
    x_name: str,
    kept: list[tuple[Number, Value, Value]],
    has_val: bool,
    warnings: list[str],
) -> tuple[list[Number], tuple[Value, ...], tuple[Value, ...] | None]:
    """Rows merged by x (the last value logged wins, with a warning), sorted by x."""
    merged: dict[Number, list[Value]] = {}
    counts: dict[Number, int] = {}
    for xv, t, v in kept:
        slot = merged.setdefault(xv, [None, None])
        counts[xv] = counts.get(xv, 0) + 1
        if t is not None:
            slot[0] = t
        if v is not None:
            slot[1] = v
    repeated = [k for k, c in counts.items() if c > 1]
    if repeated:
        extra = sum(counts[k] - 1 for k in repeated)
        warnings.append(
            f"{name}: {len(repeated)} {x_name} value(s) logged more than once (first: "
            f"{x_name} {fmt_x(repeated[0])}, {extra} extra row(s)); kept the last value "
            "logged for each"
        )
    order = sorted(merged)
    tr = tuple(merged[k][0] for k in order)
    va = tuple(merged[k][1] for k in order) if has_val else None
    return order, tr, va


def pick_run(logs: list[T], run: str | None, name: str) -> list[T]:
    """``--run``: None = the last run, ``all`` = every run, ``N`` = run N (1-based)."""
    if run is None:
        return [logs[-1]]
    if run.strip().lower() == "all":
        return logs
    try:
        k = int(run)
    except ValueError:
        raise UsageError(f"--run must be a run number or 'all', got {run!r}") from None
    if not 1 <= k <= len(logs):
        raise InputError(f"{name}: --run {k}: the file holds {len(logs)} run(s)")
    return [logs[k - 1]]
