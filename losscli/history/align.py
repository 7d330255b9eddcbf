"""Putting logged values on one x axis: pairing evaluations with training losses,
merging repeated x values, cutting a file into runs, checking what is left.

Shared by every log format (tables, trainer_state.json, TensorBoard, MLflow), so the
rules are the same whatever wrote the log. The work is done on numpy arrays (numpy is
imported inside the functions, after a log has been read), so a log of a million
points is aligned without a Python loop over its points.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from losscli.errors import InputError, UsageError
from losscli.history.model import Axis, Curve, Number, TrainingLog, Value, fmt_x

T = TypeVar("T")

#: A logged value: (step, epoch or None, value).
Point = tuple[float, float | None, float]


def align_indices(train_steps: Any, val_steps: Any | None) -> tuple[Any, Any | None, int]:
    """The rule of :func:`align_on_steps` on arrays of steps, as indices: (training
    entry of each point, evaluation of each point or None, evaluations skipped).
    Entries are taken in step order, ties in the order logged."""
    import numpy as np

    t_order = np.argsort(train_steps, kind="stable")
    if val_steps is None or len(val_steps) == 0:
        return t_order, None, 0
    v_order = np.argsort(val_steps, kind="stable")
    last = np.searchsorted(train_steps[t_order], val_steps[v_order], side="right") - 1
    keep = last >= 0
    return t_order[last[keep]], v_order[keep], int(len(keep) - np.count_nonzero(keep))


def align_on_steps(
    train_pts: Sequence[Point], val_pts: Sequence[Point]
) -> tuple[list[tuple[float, float | None, Value, Value]], int]:
    """Points = evaluations, each with the last training loss at or before its step
    (points = training entries when there is no evaluation). Returns (points, skipped):
    evaluations logged before any training loss are skipped."""
    import numpy as np

    steps = np.array([p[0] for p in train_pts], dtype=np.float64)
    v_steps = np.array([p[0] for p in val_pts], dtype=np.float64) if val_pts else None
    t_i, v_i, skipped = align_indices(steps, v_steps)
    if v_i is None:
        return [(s, e, v, None) for s, e, v in (train_pts[i] for i in t_i.tolist())], 0
    out: list[tuple[float, float | None, Value, Value]] = [
        (val_pts[k][0], val_pts[k][1], train_pts[i][2], val_pts[k][2])
        for i, k in zip(t_i.tolist(), v_i.tolist(), strict=True)
    ]
    return out, skipped


def merges_distinct_steps(steps: Any, epochs: Any) -> bool:
    """True when two points with different steps share one epoch value (epochs rounded
    to two decimals by older transformers, or many steps logged in one epoch). Float
    arrays; a point whose epoch or step is NaN (not logged) is left out."""
    import numpy as np

    steps, epochs = np.asarray(steps, dtype=np.float64), np.asarray(epochs, dtype=np.float64)
    both = ~(np.isnan(steps) | np.isnan(epochs))
    s, e = steps[both], epochs[both]
    order = np.lexsort((s, e))
    s, e = s[order], e[order]
    return bool(np.any((e[1:] == e[:-1]) & (s[1:] != s[:-1])))


def run_starts(keys: Any) -> list[int]:
    """Row indices where a new run starts: the counter (epoch or step; a float array,
    NaN where a row has none) goes back below the previous value logged. Row 0 always
    starts a run; rows without a key belong to the run they are in."""
    import numpy as np

    keys = np.asarray(keys, dtype=np.float64)
    rows = np.flatnonzero(np.isfinite(keys))
    k = keys[rows]
    back = rows[1:][k[1:] < k[:-1]]
    return [0, *back.tolist()]


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
    ``trainer.test()``): dropped with a warning, or an error when named with ``--val``.
    ``xs``/``train``/``val`` may be an :class:`Axis`/:class:`Curve` or plain sequences."""
    import numpy as np

    ax, tr = Axis.of(xs), Curve.of(train)
    va = Curve.of(val) if val is not None else None
    kept = ~tr.missing if va is None else ~(tr.missing & va.missing)
    n_kept = int(np.count_nonzero(kept))
    if n_kept < len(kept):
        if fmt != "lightning":  # Lightning: LearningRateMonitor rows
            warnings.append(f"{name}: {len(kept) - n_kept} row(s) without any loss value skipped")
        ax, tr = Axis(ax.values[kept]), Curve(tr.values[kept], tr.missing[kept])
        va = Curve(va.values[kept], va.missing[kept]) if va is not None else None
    x = ax.values
    if not bool(np.all(x[1:] > x[:-1])):  # the usual case is sorted: no merging
        ax, tr, va = _merge(name, x_name, ax, tr, va, warnings)
    n_train = int(np.count_nonzero(~tr.missing))
    if n_train < 2:
        raise InputError(
            f"{name}: only {n_train} point(s) with a training loss in column {train_col!r}; "
            "need at least 2"
        )
    if va is not None:
        n_val = int(np.count_nonzero(~va.missing))
        described = f"validation column {val_col!r} has {n_val} value(s)"
        # (the column is there: even an empty one is worth a word)
        if not is_curve(n_val, val_named, name, val_col, described, warnings, warn_empty=True):
            va, val_col = None, None
    return TrainingLog(
        file=name,
        format=fmt,
        x_name=x_name,
        x=ax,
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


def _last_of_groups(curve: Curve, groups: Any, n: int) -> Curve:
    """Per group (``groups[i]`` of row ``i``, ``n`` groups): the last value logged."""
    import numpy as np

    rows = np.flatnonzero(~curve.missing)
    values = np.full(n, np.nan)
    missing = np.ones(n, dtype=bool)
    backwards = groups[rows][::-1]
    present, from_end = np.unique(backwards, return_index=True)
    values[present] = curve.values[rows[len(rows) - 1 - from_end]]
    missing[present] = False
    return Curve(values, missing)


def _merge(
    name: str, x_name: str, ax: Axis, tr: Curve, va: Curve | None, warnings: list[str]
) -> tuple[Axis, Curve, Curve | None]:
    """Rows merged by x (the last value logged wins, with a warning), sorted by x."""
    import numpy as np

    order, first, groups, counts = np.unique(
        ax.values, return_index=True, return_inverse=True, return_counts=True
    )
    repeated = np.flatnonzero(counts > 1)
    if len(repeated):
        earliest = repeated[np.argmin(first[repeated])]  # the first repeated x logged
        x0 = Axis(order[earliest : earliest + 1])[0]
        warnings.append(
            f"{name}: {len(repeated)} {x_name} value(s) logged more than once (first: "
            f"{x_name} {fmt_x(x0)}, {len(ax) - len(order)} extra row(s)); kept the last "
            "value logged for each"
        )
    groups = groups.reshape(-1)
    merged_va = _last_of_groups(va, groups, len(order)) if va is not None else None
    return Axis(order), _last_of_groups(tr, groups, len(order)), merged_va


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
