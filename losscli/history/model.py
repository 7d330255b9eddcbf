"""The data of ``losscli history``: names looked for, the aligned log, the report.

Stdlib only: every other module of :mod:`losscli.history` imports this one, and the
CLI's error paths import it without numpy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

FORMATS: tuple[str, ...] = (
    "generic",
    "keras",
    "lightning",
    "huggingface",
    "ultralytics",
    "tensorboard",
    "mlflow",
)
VERDICTS: tuple[str, ...] = ("overfitting", "improving", "converged", "underfitting", "diverged")
X_AXES: tuple[str, ...] = ("epoch", "step")
TRAIN_NAMES: tuple[str, ...] = (
    "train_loss",
    "loss",
    "training_loss",
    "train/loss",
    "train/epoch_loss",
    "epoch_loss",
    "loss/train",
)
VAL_NAMES: tuple[str, ...] = (
    "val_loss",
    "valid_loss",
    "validation_loss",
    "eval_loss",
    "val/loss",
    "valid/loss",
    "validation/loss",
    "eval/loss",
    "loss/val",
    "loss/validation",
    "epoch_val_loss",
    "validation/epoch_loss",
    "test_loss",
    "test/loss",
)
#: Last resort when no name above matches: the one loss column with a training or
#: validation prefix (``train/nll_loss``, ``val_rmse_loss``…), case-insensitive.
TRAIN_PATTERN = r"^(train|training|trn)[/_ .-]?.*loss(_epoch|_step)?$"
VAL_PATTERN = r"^(val|valid|validation|eval|dev)[/_ .-]?.*loss(_epoch|_step)?$"
STEP_NAMES: tuple[str, ...] = ("step", "iteration", "global_step")
HF_TRAIN_KEY = "loss"
HF_VAL_KEY = "eval_loss"
DEFAULT_PATIENCE = 3

Number = int | float
Value = float | None  # None = nothing logged at that point; float("nan") = a NaN loss


@dataclass(frozen=True)
class TrainingLog:
    """A training log aligned on one x axis: ``train[i]`` and ``val[i]`` belong to ``x[i]``.

    ``run`` is this run's 1-based number among the ``runs`` a file holds (a file is cut
    into runs where its epoch or step counter goes back: ``CSVLogger(append=True)``, a
    restarted job).
    """

    file: str
    format: str
    x_name: str
    x: tuple[Number, ...]
    train: tuple[Value, ...]
    val: tuple[Value, ...] | None
    train_column: str
    val_column: str | None
    warnings: tuple[str, ...] = ()
    run: int = 1
    runs: int = 1


@dataclass(frozen=True)
class HistoryReport:
    """Everything ``losscli history`` says about one log (rules in
    :mod:`losscli.history.analysis`).

    ``best_epoch``, ``overfitting_since``, ``stopped_epoch`` and ``restored_epoch`` are
    values on the ``x_name`` axis (an epoch, or a step). ``smoothing`` is the EMA weight
    the verdict was judged with, ``noise`` the estimated noise (standard deviation) of
    the curve the verdict was judged on; ``train_smooth``/``val_smooth`` are the smoothed
    curves (None where nothing was logged).
    """

    file: str
    format: str
    x_name: str
    points: int
    train_column: str
    val_column: str | None
    best_epoch: Number | None
    best_val_loss: float | None
    final_train_loss: float
    final_val_loss: float | None
    gap: float | None
    gap_at_best: float | None
    verdict: str
    reason: str
    overfitting_since: Number | None
    patience: int
    min_delta: float
    stopped_epoch: Number | None
    restored_epoch: Number | None
    recommendation: str | None
    x: tuple[Number, ...]
    train: tuple[Value, ...]
    val: tuple[Value, ...] | None
    smoothing: float = 0.0
    noise: float = 0.0
    train_smooth: tuple[Value, ...] | None = None
    val_smooth: tuple[Value, ...] | None = None
    run: int = 1
    runs: int = 1
    notes: tuple[str, ...] = field(default=())

    @property
    def fails_gate(self) -> bool:
        """True for the verdicts ``--fail-on-overfit`` turns into exit status 1."""
        return self.verdict in ("overfitting", "diverged")


def by_pattern(names: list[str], pattern: str) -> str | None:
    """The one name matching ``pattern`` (case-insensitive), ignoring ``*_step``
    variants when an un-suffixed or ``*_epoch`` one matches too; None if none or several."""
    import re

    found = [n for n in names if re.match(pattern, n, flags=re.IGNORECASE)]
    bases = {re.sub(r"_(epoch|step)$", "", n.lower()) for n in found}
    if len(bases) != 1:
        return None
    for suffix in ("", "_epoch", "_step"):
        for n in found:
            if n.lower() == next(iter(bases)) + suffix:
                return n
    return None


def clean_number(v: Any) -> Number:
    """Integral floats become ints (epoch 3, not 3.0), so JSON and labels read naturally."""
    if type(v) is int:
        return v
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return v
    f = float(v)
    return int(f) if f.is_integer() and abs(f) < 2**63 else f


def clean_numbers(values: Any) -> list[Number]:
    """:func:`clean_number` of each value (ints pass through untouched: the usual x)."""
    values = list(values)
    if all(type(v) is int for v in values):
        return values
    return [clean_number(v) for v in values]


def fmt_x(v: Number) -> str:
    return str(v) if isinstance(v, int) else f"{v:.4g}"


def fmt_g(v: float) -> str:
    if isinstance(v, float) and math.isnan(v):
        return "nan"
    return f"{v:.4g}"
