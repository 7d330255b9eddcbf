"""Logs kept as named series of ``(step, value)`` (TensorBoard tags, MLflow metric
keys) → :class:`~losscli.history.model.TrainingLog`.

The training and validation series are picked as columns are in CSV logs
(:data:`~losscli.history.model.TRAIN_NAMES`, ``VAL_NAMES``, any case); each validation
value is paired with the last training value logged at or before its step. The x axis
is the step, unless an ``epoch`` series (Lightning and Hugging Face log one) gives
every point a distinct epoch and ``--x step`` is not asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from losscli.errors import InputError, UsageError
from losscli.history.align import align_indices, finish, is_curve
from losscli.history.model import (
    TRAIN_NAMES,
    TRAIN_PATTERN,
    VAL_NAMES,
    VAL_PATTERN,
    Axis,
    Curve,
    TrainingLog,
    find_name,
    first_name,
)

#: Tag (or metric key) → its entries in the order logged: a list of (step, value), or
#: (steps, values) as int64/float64 arrays (what the TensorBoard reader gives).
Series = dict[str, Any]


def _arrays(entries: Any) -> tuple[Any, Any]:
    """(steps as int64, values as float64) of one series."""
    import numpy as np

    if isinstance(entries, tuple):
        return entries
    steps = np.array([s for s, _ in entries], dtype=np.int64)
    return steps, np.array([v for _, v in entries], dtype=np.float64)


def _pick(tags: dict[str, Any], requested: str | None, names: Sequence[str]) -> str | None:
    if requested is not None:
        return find_name(list(tags), requested)
    pattern = TRAIN_PATTERN if names is TRAIN_NAMES else VAL_PATTERN
    return first_name([t for t in tags if len(tags[t][0])], names, pattern)


def _epochs_at(epochs: tuple[Any, Any] | None, steps: Any) -> tuple[Any, Any]:
    """(epoch logged at each step, found) — the last ``epoch`` value logged at that step."""
    import numpy as np

    if epochs is None or not len(epochs[0]):
        return np.full(len(steps), np.nan), np.zeros(len(steps), dtype=bool)
    order = np.argsort(epochs[0], kind="stable")
    e_steps, e_values = epochs[0][order], epochs[1][order]
    last = np.maximum(np.searchsorted(e_steps, steps, side="right") - 1, 0)
    found = e_steps[last] == steps
    return np.where(found, e_values[last], np.nan), found


def log_from_series(
    tags: Series,
    name: str,
    fmt: str,
    *,
    train: str | None = None,
    val: str | None = None,
    x: str | None = None,
    warnings: list[str] | None = None,
) -> TrainingLog:
    """Named series → :class:`TrainingLog` (module docstring)."""
    import numpy as np

    warnings = list(warnings or [])
    tags = {t: _arrays(v) for t, v in tags.items()}
    what = "tag" if fmt == "tensorboard" else "metric"
    listing = ", ".join(repr(t) for t in tags) or "(none)"
    train_tag = _pick(tags, train, TRAIN_NAMES)
    if train_tag is None:
        missing = f"{what} {train!r} not found" if train else f"no training loss {what} found"
        raise InputError(
            f"{name}: {missing} (looked for {', '.join(TRAIN_NAMES)}, any case; name one with "
            f"--train NAME); {what}s are: {listing}"
        )
    val_tag = _pick(tags, val, [n for n in VAL_NAMES if n.lower() != train_tag.lower()])
    if val is not None and val_tag is None:
        raise InputError(f"{name}: {what} {val!r} not found; {what}s are: {listing}")
    if val_tag == train_tag:
        raise UsageError(f"--train and --val name the same {what} {train_tag!r}")
    t_steps, t_values = tags[train_tag]
    v_steps, v_values = tags[val_tag] if val_tag else (t_steps[:0], t_values[:0])
    described = f"{what} {val_tag!r} has {len(v_steps)} value(s)"
    if not is_curve(len(v_steps), val is not None, name, val_tag, described, warnings):
        v_steps, v_values, val_tag = t_steps[:0], t_values[:0], None
    t_i, v_i, skipped = align_indices(
        t_steps.astype(np.float64), v_steps.astype(np.float64) if len(v_steps) else None
    )
    if skipped:
        warnings.append(f"{name}: {skipped} validation(s) before the first training loss skipped")
    steps = t_steps[t_i] if v_i is None else v_steps[v_i]
    epochs, found = _epochs_at(tags.get("epoch"), steps)
    x_name, xs = "step", steps.astype(np.float64)
    if x != "step" and found.all() and len(np.unique(epochs, equal_nan=False)) == len(epochs):
        x_name, xs = "epoch", epochs
    no_missing = np.zeros(len(t_i), dtype=bool)
    return finish(
        name,
        fmt,
        x_name,
        Axis(xs),
        Curve(t_values[t_i], no_missing),
        Curve(v_values[v_i], no_missing) if v_i is not None else None,
        train_tag,
        val_tag,
        warnings,
        val_named=val is not None,
    )
