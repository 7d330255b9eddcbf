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

from losscli.errors import InputError, UsageError
from losscli.history.align import Point, align_on_steps, finish, is_curve
from losscli.history.model import (
    TRAIN_NAMES,
    TRAIN_PATTERN,
    VAL_NAMES,
    VAL_PATTERN,
    TrainingLog,
    by_pattern,
)

Series = dict[str, list[tuple[int, float]]]


def _pick(
    tags: dict[str, list[tuple[int, float]]], requested: str | None, names: Sequence[str]
) -> str | None:
    if requested is not None:
        if requested in tags:
            return requested
        lower = [t for t in tags if t.lower() == requested.lower()]
        return lower[0] if len(lower) == 1 else None
    lower_map = {t.lower(): t for t in tags}
    for n in names:
        if n in lower_map and len(tags[lower_map[n]]) >= 1:
            return lower_map[n]
    pattern = TRAIN_PATTERN if names is TRAIN_NAMES else VAL_PATTERN
    return by_pattern(list(tags), pattern)


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
    warnings = list(warnings or [])
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
    epochs = dict(tags.get("epoch", []))
    train_pts: list[Point] = [(float(s), epochs.get(s), v) for s, v in tags[train_tag]]
    val_pts: list[Point] = (
        [(float(s), epochs.get(s), v) for s, v in tags[val_tag]] if val_tag else []
    )
    described = f"{what} {val_tag!r} has {len(val_pts)} value(s)"
    if not is_curve(len(val_pts), val is not None, name, val_tag, described, warnings):
        val_pts, val_tag = [], None
    points, skipped = align_on_steps(train_pts, val_pts)
    if skipped:
        warnings.append(f"{name}: {skipped} validation(s) before the first training loss skipped")
    x_name = "step"
    xs: list[float] = [p[0] for p in points]
    epoch_xs = [p[1] for p in points]
    if x != "step" and all(e is not None for e in epoch_xs) and len(set(epoch_xs)) == len(epoch_xs):
        x_name, xs = "epoch", epoch_xs  # type: ignore[assignment]
    return finish(
        name,
        fmt,
        x_name,
        xs,
        [p[2] for p in points],
        [p[3] for p in points] if val_pts else None,
        train_tag,
        val_tag,
        warnings,
        val_named=val is not None,
    )
