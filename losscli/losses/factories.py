"""Each loss's factory: its checked parameters → an empty accumulator.

The registry (:mod:`losscli.losses.registry`, importable without numpy) names these
functions by path (``"losscli.losses.factories:huber"``) and imports this module on
the first ``make``. A factory receives every parameter of its loss (the registry fills
in the defaults from its :data:`~losscli.losses.registry.PARAMS` and refuses unknown
names, so no default is written here) plus ``n_classes`` for the per-class
losses, and checks the values the registry's schema cannot (finite, in range).
"""

from __future__ import annotations

import math
from typing import Any

from losscli.errors import LossInputError
from losscli.losses import terms
from losscli.losses.accumulators import (
    Accumulator,
    BalancedAccumulator,
    ClassWeightedAccumulator,
    MeanAccumulator,
    R2Accumulator,
)

#: The smallest clipping ε: below it 1 - ε rounds to 1 in float64 (from 2⁻⁵⁴ on), so
#: a prediction clipped to 1 - ε still has log(1 - p) = -inf.
EPS_MIN = 2.0**-53


# --------------------------------------------------------------------------- parameter checks


def check_positive(name: str, value: float) -> float:
    value = float(value)
    if not (value > 0 and math.isfinite(value)):
        raise LossInputError(f"{name} must be a positive number, got {value!r}")
    return value


def check_eps(eps: float) -> float:
    """ε of the clipped logarithms: p ↦ clip(p, ε, 1 - ε). Needs 2⁻⁵³ ≤ ε < 0.5, so
    that 1 - ε < 1 and log ε, log(1 - ε) are finite (every loss stays finite)."""
    eps = float(eps)
    if not EPS_MIN <= eps < 0.5:
        raise LossInputError(
            f"eps must be in [2^-53 ≈ 1.1e-16, 0.5), got {eps!r} (with a smaller eps, "
            "1 - eps rounds to 1 and log(1 - p) is -inf)"
        )
    return eps


def check_quantile(quantile: float | None) -> float:
    if quantile is None:
        raise LossInputError("pinball needs a quantile (e.g. quantile=0.9)")
    q = float(quantile)
    if not 0.0 < q < 1.0:
        raise LossInputError(f"quantile must be in (0, 1), got {q!r}")
    return q


def check_class_weight(value: Any, n_classes: int) -> str | dict[int, float]:
    """``"balanced"`` or a mapping class index → weight ≥ 0 within 0..n_classes-1."""
    if value is None or value == "balanced":
        return "balanced"
    if isinstance(value, str):
        raise LossInputError(f"class_weight must be 'balanced' or a mapping, got {value!r}")
    weights: dict[int, float] = {}
    for cls, weight in dict(value).items():
        index = int(cls)
        if not 0 <= index < n_classes:
            raise LossInputError(f"class_weight names class {cls!r}, outside 0..{n_classes - 1}")
        w = float(weight)
        if not (w >= 0 and math.isfinite(w)):
            raise LossInputError(f"class_weight for class {cls!r} must be ≥ 0, got {weight!r}")
        weights[index] = w
    return weights


# --------------------------------------------------------------------------- factories


def mse(**_: Any) -> Accumulator:
    return MeanAccumulator(terms.squared)


def rmse(**_: Any) -> Accumulator:
    return MeanAccumulator(terms.squared, transform=math.sqrt)


def mae(**_: Any) -> Accumulator:
    return MeanAccumulator(terms.absolute)


def huber(delta: float, **_: Any) -> Accumulator:
    return MeanAccumulator(terms.huber(check_positive("delta", delta)))


def smooth_l1(beta: float, **_: Any) -> Accumulator:
    b = float(beta)
    if not (b >= 0 and math.isfinite(b)):
        raise LossInputError(f"beta must be a finite number ≥ 0, got {beta!r}")
    return MeanAccumulator(terms.smooth_l1(b))


def log_cosh(**_: Any) -> Accumulator:
    return MeanAccumulator(terms.log_cosh)


def asymmetric_mse(weight_under: float, weight_over: float, **_: Any) -> Accumulator:
    wu = float(weight_under)
    wo = float(weight_over)
    if wu < 0 or wo < 0 or not (math.isfinite(wu) and math.isfinite(wo)):
        raise LossInputError("weight_under and weight_over must be finite and ≥ 0")
    return MeanAccumulator(terms.asymmetric(wu, wo))


def pinball(quantile: float | None, **_: Any) -> Accumulator:
    return MeanAccumulator(terms.pinball(check_quantile(quantile)))


def mape(**_: Any) -> Accumulator:
    return MeanAccumulator(terms.mape, terms.NEEDS["mape"])


def msle(**_: Any) -> Accumulator:
    return MeanAccumulator(terms.msle, terms.NEEDS["msle"])


def poisson_deviance(**_: Any) -> Accumulator:
    return MeanAccumulator(terms.poisson, terms.NEEDS["poisson_deviance"])


def r2(**_: Any) -> Accumulator:
    return R2Accumulator()


def crossentropy(eps: float, **_: Any) -> Accumulator:
    """binary_crossentropy and categorical_crossentropy (the batch knows which)."""
    return MeanAccumulator(terms.crossentropy(check_eps(eps)))


def weighted_crossentropy(n_classes: int, class_weight: Any, eps: float, **_: Any) -> Accumulator:
    """The class-weighted binary and categorical cross-entropies."""
    return ClassWeightedAccumulator(
        terms.crossentropy(check_eps(eps)),
        n_classes,
        check_class_weight(class_weight, n_classes),
    )


def focal(gamma: float, alpha: float | None, eps: float, **_: Any) -> Accumulator:
    g = float(gamma)
    if not (g >= 0 and math.isfinite(g)):
        raise LossInputError(f"gamma must be ≥ 0, got {gamma!r}")
    a = None if alpha is None else float(alpha)
    if a is not None and not 0.0 <= a <= 1.0:
        raise LossInputError(f"alpha must be in [0, 1], got {alpha!r}")
    return MeanAccumulator(terms.focal(g, a, check_eps(eps)))


def brier(**_: Any) -> Accumulator:
    return MeanAccumulator(terms.brier)


def zero_one(**_: Any) -> Accumulator:
    return MeanAccumulator(terms.zero_one)


def balanced_zero_one(n_classes: int, **_: Any) -> Accumulator:
    return BalancedAccumulator(terms.zero_one, n_classes)
