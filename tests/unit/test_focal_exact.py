"""The library's focal(): ``renormalize=`` (as the CLI's --renormalize and
categorical_crossentropy()) and 1 - p_t computed as -expm1(log p_t), exact where
p_t is near 1 (large logits), where 1 - exp(log p_t) loses digits.

Oracle: the focal loss of one logit written with ``decimal`` at 50 digits, for y = 1
and score z (p_t = σ(z)): 1 - p_t = 1 / (1 + e^z) and -log p_t = ln(1 + e^-z), so
ℓ = (1 / (1 + e^z))^γ · ln(1 + e^-z) (α off); for y = 0, z ↦ -z."""

from __future__ import annotations

import warnings
from decimal import Decimal, localcontext

import numpy as np
import pytest

from losscli import losses
from losscli.errors import LossWarning


def _focal_logit(z: float, y: int, gamma: int) -> float:
    with localcontext() as ctx:
        ctx.prec = 50
        s = Decimal(z) if y == 1 else -Decimal(z)
        one = Decimal(1)
        q = one / (one + s.exp())  # 1 - p_t
        return float(q**gamma * (one + (-s).exp()).ln())


@pytest.mark.parametrize("z", [8.0, 15.0, 20.0, 30.0])
@pytest.mark.parametrize("y", [1, 0])
def test_focal_with_logits_near_pt_1_is_exact(z: float, y: int) -> None:
    score = z if y == 1 else -z  # a confident right prediction: p_t near 1
    value = losses.focal([y], [score], gamma=2.0, logits=True)
    assert value == pytest.approx(_focal_logit(score, y, 2), rel=1e-14, abs=0.0)


def test_the_old_form_loses_digits_there() -> None:
    # (why -expm1: 1 - exp(log p_t) rounds p_t to the doubles near 1, spaced 1.1e-16,
    # so at z = 30 (1 - p_t ≈ 9.4e-14) its relative error is about 1e-3)
    log_pt = -np.logaddexp(0.0, -30.0)
    exact = _focal_logit(30.0, 1, 2)
    old = float((1.0 - np.exp(log_pt)) ** 2 * -log_pt)
    new = float((-np.expm1(log_pt)) ** 2 * -log_pt)
    assert abs(old - exact) / exact > 1e-6
    assert abs(new - exact) / exact < 1e-14


def test_focal_with_probabilities_keeps_its_value() -> None:
    # p clipped to [ε, 1 - ε]: ℓ = -(1 - p_t)^γ log p_t, written out
    y = np.array([1, 0, 1, 0, 1])
    p = np.array([0.9, 0.2, 0.6, 0.7, 0.999])
    pt = np.where(y == 1, p, 1 - p)
    expected = float(np.mean(-((1 - pt) ** 2) * np.log(pt)))
    assert losses.focal(y, p) == pytest.approx(expected, rel=1e-12)


def test_focal_renormalize_divides_each_row_by_its_sum() -> None:
    rng = np.random.default_rng(3)
    proba = rng.dirichlet([1.0, 1.0, 1.0], 200)
    y = rng.integers(0, 3, 200)
    scaled = proba * rng.uniform(0.5, 0.95, (200, 1))  # rows no longer sum to 1
    expected = losses.focal(y, proba, gamma=1.5)
    assert losses.focal(y, scaled, gamma=1.5, renormalize=True) == pytest.approx(
        expected, rel=1e-12
    )
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        losses.focal(y, scaled, gamma=1.5)
    assert any(issubclass(w.category, LossWarning) for w in seen)
