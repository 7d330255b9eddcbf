"""The data of ``losscli history``: names looked for, the aligned log, the report.

Curves are held as numpy arrays (:class:`Curve`: float64 values and a missing mask;
:class:`Axis`: the x values), so reading, aligning and judging a log of a million
points never walks it point by point in Python; both read as sequences of plain
Python values (``None`` where nothing was logged) for renderers, tests and library
users. No module-level numpy: every other module of :mod:`losscli.history` imports
this one, and the CLI's error paths import it without numpy.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

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


class _Series(Sequence[Any]):
    """An immutable sequence backed by a numpy array; its Python items are built once,
    when first iterated. Equal to a tuple (or another series) of the same items, as
    the tuples these fields held before."""

    __slots__ = ("_items", "values")

    values: Any
    _items: tuple[Any, ...] | None

    def _build(self) -> tuple[Any, ...]:  # pragma: no cover - overridden
        raise NotImplementedError

    def _item(self, i: int) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def items(self) -> tuple[Any, ...]:
        """The items as a tuple of Python values."""
        if self._items is None:
            self._items = self._build()
        return self._items

    def __len__(self) -> int:
        return len(self.values)

    @overload
    def __getitem__(self, i: int) -> Any: ...
    @overload
    def __getitem__(self, i: slice) -> tuple[Any, ...]: ...
    def __getitem__(self, i: int | slice) -> Any:
        if isinstance(i, slice):
            return self.items()[i]
        if self._items is not None:
            return self._items[i]
        n = len(self.values)
        if not -n <= i < n:
            raise IndexError("index out of range")
        return self._item(i % n)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.items())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _Series):
            other = other.items()
        return isinstance(other, tuple) and self.items() == other

    def __hash__(self) -> int:
        return hash(self.items())

    def __repr__(self) -> str:
        return repr(self.items())


class Curve(_Series):
    """A logged loss series: ``values`` (float64, NaN where nothing was logged, and
    where a NaN loss was) and ``missing`` (bool, True where nothing was logged). Its
    items are ``None`` where missing, else the float value."""

    __slots__ = ("missing",)

    def __init__(self, values: Any, missing: Any) -> None:
        self.values, self.missing, self._items = values, missing, None

    @classmethod
    def of(cls, series: Sequence[Value]) -> Curve:
        """``series`` as a curve (a curve is returned as it is)."""
        if isinstance(series, Curve):
            return series
        import numpy as np

        items = list(series)
        values = np.array(items, dtype=np.float64)  # None → NaN
        missing = np.array(items, dtype=object) == None  # noqa: E711 - elementwise
        return cls(values, np.asarray(missing, dtype=bool).reshape(len(items)))

    def _build(self) -> tuple[Value, ...]:
        items: list[Value] = self.values.tolist()
        if self.missing.any():
            for i in self.missing.nonzero()[0].tolist():
                items[i] = None
        return tuple(items)

    def _item(self, i: int) -> Value:
        return None if self.missing[i] else float(self.values[i])


class Axis(_Series):
    """The x values of a log (an int64 or float64 array); its items are numbers as
    :func:`clean_number` makes them (epoch 3, not 3.0)."""

    __slots__ = ()

    def __init__(self, values: Any, items: tuple[Number, ...] | None = None) -> None:
        self.values, self._items = values, items

    @classmethod
    def of(cls, xs: Sequence[Number]) -> Axis:
        """``xs`` as an axis (an axis is returned as it is)."""
        if isinstance(xs, Axis):
            return xs
        import numpy as np

        items = tuple(clean_numbers(xs))
        if all(type(v) is int for v in items):
            try:
                return cls(np.array(items, dtype=np.int64), items)
            except OverflowError:
                pass
        return cls(np.array(items, dtype=np.float64), items)

    def _whole(self) -> Any:
        import numpy as np

        v = self.values
        with np.errstate(invalid="ignore"):
            return np.isfinite(v) & (v == np.floor(v)) & (np.abs(v) < 2.0**63)

    def integral(self) -> bool:
        """Whether every x is a whole number (its items are all ints)."""
        return self.values.dtype.kind in "iu" or bool(self._whole().all())

    def _build(self) -> tuple[Number, ...]:
        if self.values.dtype.kind in "iu":
            return tuple(self.values.tolist())
        import numpy as np

        v = self.values
        whole = self._whole()
        if whole.all():
            return tuple(v.astype(np.int64).tolist())
        items: list[Number] = v.tolist()
        for i in whole.nonzero()[0].tolist():
            items[i] = int(items[i])
        return tuple(items)

    def _item(self, i: int) -> Number:
        return clean_number(self.values[i].item())


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
    x: Axis
    train: Curve
    val: Curve | None
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
    x: Axis
    train: Curve
    val: Curve | None
    smoothing: float = 0.0
    noise: float = 0.0
    train_smooth: Curve | None = None
    val_smooth: Curve | None = None
    run: int = 1
    runs: int = 1
    notes: tuple[str, ...] = field(default=())

    @property
    def fails_gate(self) -> bool:
        """True for the verdicts ``--fail-on-overfit`` turns into exit status 1."""
        return self.verdict in ("overfitting", "diverged")


def find_name(names: Sequence[str], wanted: str) -> str | None:
    """The one of ``names`` that is ``wanted`` (as given, else stripped), else the one
    equal to it ignoring case; None if none or several (the rule of every format)."""
    if wanted in names:
        return wanted
    key = wanted.strip()
    if key in names:
        return key
    matches = [n for n in names if n.lower() == key.lower()]
    return matches[0] if len(matches) == 1 else None


def first_name(names: Sequence[str], candidates: Sequence[str], pattern: str) -> str | None:
    """The first of ``candidates`` among ``names`` (:func:`find_name`), else the one
    name matching ``pattern`` (:func:`by_pattern`): how a loss column or tag is picked."""
    for cand in candidates:
        found = find_name(names, cand)
        if found is not None:
            return found
    return by_pattern(list(names), pattern)


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
