"""PyTorch Lightning ``CSVLogger`` ``metrics.csv``.

Lightning 2.x ``_ExperimentWriter`` writes one row per ``log_metrics`` call over the
sorted union of keys (``csv.DictWriter``, missing keys as empty cells; the file is
rewritten with a wider header when a new key appears). The logger connector adds
``epoch``; ``step`` is the writer's. Rows that other callbacks log through the logger
directly carry no ``epoch`` (``LearningRateMonitor``: ``lr-Adam,step``): rows without a
loss are not points. ``self.log(..., on_step=True, on_epoch=True)`` gives ``*_step`` and
``*_epoch`` columns; the default for ``training_step`` is per step only
(``train_loss`` every ``log_every_n_steps``).

Epoch axis (the default): one point per epoch. The training loss of an epoch is its
``*_epoch`` value when logged, else the **mean** of the values logged during that
epoch (the plain column, else ``*_step``); the validation loss is the last value logged
in the epoch. A last epoch that the run did not finish (no ``*_epoch`` value, or no
validation where every earlier epoch has one) is dropped, with a warning. With fewer
than 2 epochs (a run of one epoch), or ``--x step``: one point per validation (each
with the last training loss logged at or before its step), or per training step when
there is no validation curve.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from losscli.errors import InputError, UsageError
from losscli.history.align import Point, align_on_steps, finish, is_curve
from losscli.history.formats.tables import Table, is_missing
from losscli.history.model import (
    TRAIN_NAMES,
    TRAIN_PATTERN,
    VAL_NAMES,
    VAL_PATTERN,
    Number,
    TrainingLog,
    Value,
    by_pattern,
    fmt_x,
)


def is_lightning(table: Table) -> bool:
    """``epoch`` and ``step`` columns, and ``*_epoch``/``*_step`` loss columns or rows
    where the losses (or the epoch) are empty: the marks of one row per log call."""
    if table.lookup("epoch") is None or table.lookup("step") is None:
        return False
    names = {c.lower() for c in table.columns}
    if any(f"{b}_{s}" in names for b in TRAIN_NAMES + VAL_NAMES for s in ("epoch", "step")):
        return True
    if any(c.lower().startswith("lr-") for c in table.columns):
        return True
    epoch_col = table.lookup("epoch")
    assert epoch_col is not None
    if any(is_missing(v) or v == "" for v in table.cells(epoch_col)):
        return True
    tcol = next((c for n in TRAIN_NAMES if (c := table.lookup(n)) is not None), None)
    vcol = next((c for n in VAL_NAMES if (c := table.lookup(n)) is not None), None)
    if tcol is None:
        return False
    t_missing = [is_missing(v) or v == "" for v in table.cells(tcol)]
    if vcol is None:
        return any(t_missing)
    v_missing = [is_missing(v) or v == "" for v in table.cells(vcol)]
    # one row per log call: training and validation values never share a row
    return any(t_missing) and not any(
        not a and not b for a, b in zip(t_missing, v_missing, strict=True)
    )


def _columns(table: Table, requested: str | None, names: Sequence[str], mode: str) -> list[str]:
    """Actual columns for one role, in order of preference for ``mode``."""
    order = ("_epoch", "", "_step") if mode == "epoch" else ("_step", "", "_epoch")
    if requested is not None and requested.strip().lower().endswith(("_epoch", "_step")):
        exact = table.lookup(requested)
        return [exact] if exact else []
    bases = [requested] if requested is not None else list(names)
    for base in bases:
        found = [c for s in order if (c := table.lookup(base + s)) is not None]
        if found:
            return found
    if requested is None:  # a prefixed loss of another name: train/nll_loss, val_mse_loss
        pattern = TRAIN_PATTERN if names is TRAIN_NAMES else VAL_PATTERN
        hit = by_pattern(table.columns, pattern)
        if hit is not None:
            base = hit[: -len("_epoch")] if hit.lower().endswith("_epoch") else hit
            base = base[: -len("_step")] if base.lower().endswith("_step") else base
            return [c for s in order if (c := table.lookup(base + s)) is not None]
    return []


def _val_columns(table: Table, requested: str | None, mode: str) -> list[str]:
    """Validation columns: the first base with at least 2 values (a ``test_loss``
    logged once after ``trainer.test()`` is not a curve)."""
    if requested is not None:
        return _columns(table, requested, VAL_NAMES, mode)
    first: list[str] = []
    for base in (*VAL_NAMES, None):
        cols = _columns(table, base, VAL_NAMES, mode)
        if not cols:
            continue
        count = sum(
            any(not is_missing(v) for v in row)
            for row in zip(*(table.cells(c) for c in cols), strict=True)
        )
        if count >= 2:
            return cols
        first = first or cols
    return first


def lightning_log(table: Table, train: str | None, val: str | None, x: str | None) -> TrainingLog:
    mode = x or "epoch"
    train_cols = _columns(table, train, TRAIN_NAMES, mode)
    if not train_cols:
        what = f"column {train!r} not found" if train else "no training loss column found"
        raise InputError(
            f"{table.name}: {what} (looked for {', '.join(TRAIN_NAMES)} and their _epoch/"
            f"_step variants, any case); columns are: {table.listing()}"
        )
    val_cols = _val_columns(table, val, mode)
    if val is not None and not val_cols:
        raise InputError(f"{table.name}: column {val!r} not found; columns are: {table.listing()}")
    if set(train_cols) & set(val_cols):
        raise UsageError(f"--train and --val name the same column {train_cols[0]!r}")
    epoch_col, step_col = table.lookup("epoch"), table.lookup("step")
    assert epoch_col is not None and step_col is not None
    epochs, steps = table.numbers(epoch_col), table.numbers(step_col)
    cells = {c: table.losses(c, nan_means_missing=True) for c in train_cols + val_cols}
    warnings: list[str] = []
    if mode == "epoch":
        log = _by_epoch(table, epochs, train_cols, val_cols, cells, warnings, bool(val))
        if log is not None:
            return log
        warnings.append(
            f"{table.name}: fewer than 2 epochs with a training loss; using the step axis"
        )
        train_cols = [c for c in train_cols if not c.lower().endswith("_epoch")] or train_cols
    # by step, *_epoch columns are epoch aggregates logged at one step: only a fallback
    train_cols = [c for c in train_cols if not c.lower().endswith("_epoch")] or train_cols
    val_cols = [c for c in val_cols if not c.lower().endswith("_epoch")] or val_cols
    train_pts = _points(steps, epochs, train_cols, cells)
    val_pts = _points(steps, epochs, val_cols, cells)
    column = val_cols[0] if val_cols else None
    described = f"validation column {column!r} has {len(val_pts)} value(s)"
    if not is_curve(len(val_pts), val is not None, table.name, column, described, warnings):
        val_pts = []
    points, skipped = align_on_steps(train_pts, val_pts)
    if skipped:
        warnings.append(
            f"{table.name}: {skipped} validation(s) before the first logged training loss "
            "were skipped"
        )
    return finish(
        table.name,
        "lightning",
        "step",
        [p[0] for p in points],
        [p[2] for p in points],
        [p[3] for p in points] if val_pts else None,
        train_cols[0],
        val_cols[0] if val_pts else None,
        warnings,
        val_named=bool(val),
    )


def _points(
    keys: Sequence[float | None],
    epochs: Sequence[float | None],
    cols: list[str],
    cells: dict[str, list[Value]],
) -> list[Point]:
    """Per step: the last value of the first column (in order of preference) that
    logged anything at that step."""
    out: dict[float, Point] = {}
    for c in reversed(cols):  # the preferred column is written last, so it wins
        last: dict[float, Point] = {}
        for k, e, v in zip(keys, epochs, cells[c], strict=True):
            if k is not None and v is not None:
                last[k] = (k, e, v)
        out.update(last)
    return list(out.values())


def _by_epoch(
    table: Table,
    epochs: Sequence[float | None],
    train_cols: list[str],
    val_cols: list[str],
    cells: dict[str, list[Value]],
    warnings: list[str],
    val_named: bool,
) -> TrainingLog | None:
    """One point per epoch (module docstring); None when fewer than 2 epochs have a
    training loss."""
    tr_by: dict[Number, Value] = {}
    epoch_cols = [c for c in train_cols if c.lower().endswith("_epoch")]
    step_cols = [c for c in train_cols if not c.lower().endswith("_epoch")]
    steps_of: dict[Number, list[float]] = {}
    if step_cols:
        for e, v in zip(epochs, cells[step_cols[0]], strict=True):
            if e is not None and v is not None:
                steps_of.setdefault(_key(e), []).append(v)
    aggregate: dict[Number, Value] = {}
    if epoch_cols:
        for e, v in zip(epochs, cells[epoch_cols[0]], strict=True):
            if e is not None and v is not None:
                aggregate[_key(e)] = v
    for k, vals in steps_of.items():
        tr_by[k] = (
            math.fsum(vals) / len(vals)
            if all(math.isfinite(v) for v in vals)
            else (next(v for v in vals if not math.isfinite(v)))
        )
    tr_by.update(aggregate)
    va_by: dict[Number, Value] = {}
    if val_cols:
        for c in reversed(val_cols):
            for e, v in zip(epochs, cells[c], strict=True):
                if e is not None and v is not None:
                    va_by[_key(e)] = v
    _drop_unfinished(table.name, tr_by, va_by, aggregate, bool(epoch_cols), warnings)
    if len(tr_by) < 2:
        return None
    xs = sorted(set(tr_by) | set(va_by))
    return finish(
        table.name,
        "lightning",
        "epoch",
        xs,
        [tr_by.get(k) for k in xs],
        [va_by.get(k) for k in xs] if val_cols else None,
        (epoch_cols or step_cols)[0] if aggregate or not step_cols else step_cols[0],
        val_cols[0] if val_cols else None,
        warnings,
        val_named=val_named,
    )


def _drop_unfinished(
    name: str,
    tr_by: dict[Number, Value],
    va_by: dict[Number, Value],
    aggregate: dict[Number, Value],
    has_epoch_col: bool,
    warnings: list[str],
) -> None:
    """Drop a last epoch the run did not finish (module docstring)."""
    if len(tr_by) < 2:
        return
    last = max(tr_by)
    earlier = [k for k in tr_by if k != last]
    unfinished = has_epoch_col and last not in aggregate and all(k in aggregate for k in earlier)
    why = "no epoch-level training loss"
    if not unfinished and va_by and last not in va_by and all(k in va_by for k in earlier):
        unfinished, why = True, "no validation"
    if unfinished:
        del tr_by[last]
        va_by.pop(last, None)
        warnings.append(
            f"{name}: epoch {fmt_x(last)} did not finish ({why} for it: the run stopped "
            "mid-epoch); dropped"
        )


def _key(e: float) -> Number:
    return int(e) if e.is_integer() else e
