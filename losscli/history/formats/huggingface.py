"""Hugging Face ``trainer_state.json``.

``TrainerState.save_to_json``: ``json.dumps(asdict(state), indent=2, sort_keys=True)``;
``log_history`` is a list of dicts: training entries carry ``loss`` (+ ``grad_norm``,
``learning_rate``), evaluation entries ``eval_loss`` (+ ``eval_runtime``…;
``eval_<name>_loss`` with several eval datasets), both ``epoch`` (fractional; rounded
to 2 decimals by older transformers) and ``step``; the final summary entry
(``train_runtime``, ``train_loss`` = mean over the run…) is skipped.

Each evaluation is one point, aligned with the last training loss logged at or before
its step. With fewer than 2 evaluations the points are the training entries (a
train-only analysis, with a warning). The epoch axis is used unless it would merge
points logged at distinct steps (rounded epochs, or one epoch): then the step axis.
"""

from __future__ import annotations

import json
import math
from typing import Any

from losscli.errors import InputError
from losscli.history.align import (
    Point,
    align_on_steps,
    finish,
    is_curve,
    merges_distinct_steps,
)
from losscli.history.model import HF_TRAIN_KEY, HF_VAL_KEY, Number, TrainingLog


def parse_json(raw: bytes, name: str) -> Any:
    """The JSON document in ``raw``; one-line errors for bad UTF-8, bad JSON, too deep."""
    text = raw.decode("utf-8", errors="replace").lstrip("\ufeff")
    if not text.strip():
        raise InputError(f"{name} is empty")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{name} is not a Hugging Face trainer_state.json: not valid JSON "
            f"(line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except RecursionError:
        raise InputError(
            f"{name} is not a Hugging Face trainer_state.json: JSON nested too deeply"
        ) from None


def log_from_trainer_state(
    state: Any,
    name: str,
    *,
    train: str | None = None,
    val: str | None = None,
    x: str | None = None,
) -> TrainingLog:
    """A ``TrainerState`` (parsed JSON) → :class:`TrainingLog` (module docstring)."""
    history = state.get("log_history") if isinstance(state, dict) else None
    if not isinstance(history, list):
        what = "a JSON object without a 'log_history' list"
        if not isinstance(state, dict):
            what = f"a JSON {type(state).__name__ if state is not None else 'null'}"
        raise InputError(
            f"{name} is not a Hugging Face trainer_state.json: expected a JSON object with "
            f"a 'log_history' list, found {what}"
        )
    if train is not None and val is not None and train == val:
        from losscli.errors import UsageError

        raise UsageError(f"--train and --val name the same key {train!r}; name two keys")
    train_key = train or HF_TRAIN_KEY
    val_key = val or _val_key(history)
    train_pts, val_pts, keys_seen = _collect(history, name, train_key, val_key)
    listing = ", ".join(keys_seen) or "(none)"
    if not train_pts:
        raise InputError(
            f"{name}: no training loss found: no log_history entry has {train_key!r}; "
            f"keys are: {listing}"
        )
    if val is not None and not val_pts:
        raise InputError(f"{name}: no log_history entry has {val!r}; keys are: {listing}")
    warnings: list[str] = []
    described = f"only {len(val_pts)} evaluation ({val_key!r})"
    if not is_curve(len(val_pts), val is not None, name, val, described, warnings):
        val_pts = []
    points, skipped = align_on_steps(train_pts, val_pts)
    if skipped:
        warnings.append(
            f"{name}: {skipped} evaluation(s) before the first logged training loss were skipped"
        )
    if x is None:
        x = "epoch" if all(p[1] is not None for p in points) else "step"
        if x == "epoch" and merges_distinct_steps(
            [p[0] for p in points], [math.nan if p[1] is None else p[1] for p in points]
        ):
            warnings.append(
                f"{name}: distinct steps share one 'epoch' value (epochs rounded, or one "
                "epoch); using the step axis"
            )
            x = "step"
    if x == "epoch" and any(p[1] is None for p in points):
        raise InputError(f"{name}: log_history entries have no 'epoch'; use --x step")
    xs: list[Number] = [p[0] if x == "step" else p[1] for p in points]  # type: ignore[misc]
    return finish(
        name,
        "huggingface",
        x,
        xs,
        [p[2] for p in points],
        [p[3] for p in points] if val_pts else None,
        train_key,
        val_key if val_pts else None,
        warnings,
        val_named=val is not None,
    )


def _collect(
    history: list[Any], name: str, train_key: str, val_key: str
) -> tuple[list[Point], list[Point], dict[str, None]]:
    train_pts: list[Point] = []  # (step, epoch, value)
    val_pts: list[Point] = []
    keys_seen: dict[str, None] = {}
    for row, entry in enumerate(history, start=1):
        if not isinstance(entry, dict):
            raise InputError(f"{name}: log_history row {row} is not a JSON object")
        keys_seen.update(dict.fromkeys(str(k) for k in entry))
        if "train_runtime" in entry:  # the end-of-training summary, not a logged point
            continue
        for key, pts in ((train_key, train_pts), (val_key, val_pts)):
            if key not in entry or entry[key] is None:
                continue
            value = _number(entry[key], name, key, row)
            step = entry.get("step")
            if step is None:
                raise InputError(f"{name}: log_history row {row} has {key!r} but no 'step'")
            step_v = _number(step, name, "step", row)
            epoch = entry.get("epoch")
            epoch_v = _number(epoch, name, "epoch", row) if epoch is not None else None
            pts.append((step_v, epoch_v, value))
    return train_pts, val_pts, keys_seen


def _val_key(history: list[Any]) -> str:
    """``eval_loss``; with several eval datasets the Trainer writes ``eval_<name>_loss``
    instead: then the first such key logged."""
    entries = [e for e in history if isinstance(e, dict)]
    if any(HF_VAL_KEY in e for e in entries):
        return HF_VAL_KEY
    for entry in entries:
        for key in entry:
            if isinstance(key, str) and key.startswith("eval_") and key.endswith("_loss"):
                return key
    return HF_VAL_KEY


def _number(value: Any, name: str, key: str, row: int) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(
            f"{name}: log_history row {row}: {key!r} is {str(value)[:40]!r}, not a number"
        )
    return float(value)
