"""Oracle tests: losscli.losses against scikit-learn on random inputs (relative 1e-12)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from sklearn import metrics as skm

from losscli import losses

REL = 1e-12
SIZES = [1, 2, 7, 100, 1000, 10_007]
SEEDS = [0, 1, 2]


def _regression(seed: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.gamma(2.0, 3.0, n) + 0.1  # positive: every regression loss applies
    pred = np.abs(y + rng.normal(0, 2.0, n)) + 0.05
    w = rng.uniform(0.1, 3.0, n)
    return y, pred, w


REGRESSION_ORACLES: dict[str, Callable[..., float]] = {
    "mse": skm.mean_squared_error,
    "rmse": skm.root_mean_squared_error,
    "mae": skm.mean_absolute_error,
    "mape": skm.mean_absolute_percentage_error,
    "msle": skm.mean_squared_log_error,
    "poisson_deviance": skm.mean_poisson_deviance,
}


@pytest.mark.parametrize("loss_id", sorted(REGRESSION_ORACLES))
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("weighted", [False, True])
def test_regression_vs_sklearn(loss_id: str, n: int, seed: int, weighted: bool) -> None:
    y, pred, w = _regression(seed, n)
    sw = w if weighted else None
    ours = getattr(losses, loss_id)(y, pred, sample_weight=sw)
    theirs = REGRESSION_ORACLES[loss_id](y, pred, sample_weight=sw)
    assert ours == pytest.approx(theirs, rel=REL, abs=1e-300)


@pytest.mark.parametrize("quantile", [0.1, 0.5, 0.9])
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("weighted", [False, True])
def test_pinball_vs_sklearn(quantile: float, seed: int, weighted: bool) -> None:
    y, pred, w = _regression(seed, 999)
    sw = w if weighted else None
    ours = losses.pinball(y, pred, quantile=quantile, sample_weight=sw)
    theirs = skm.mean_pinball_loss(y, pred, alpha=quantile, sample_weight=sw)
    assert ours == pytest.approx(theirs, rel=REL)


@pytest.mark.parametrize("n", [2, 7, 100, 10_007])
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("weighted", [False, True])
def test_r2_vs_sklearn(n: int, seed: int, weighted: bool) -> None:
    y, pred, w = _regression(seed, n)
    sw = w if weighted else None
    assert losses.r2(y, pred, sample_weight=sw) == pytest.approx(
        skm.r2_score(y, pred, sample_weight=sw), rel=1e-11
    )


def test_r2_with_a_large_offset_keeps_its_digits() -> None:
    # Σy² - (Σy)²/n would cancel every digit here; Chan's merge does not.
    y, pred, _ = _regression(5, 5000)
    shift = 1e8
    assert losses.r2(y + shift, pred + shift) == pytest.approx(
        skm.r2_score(y + shift, pred + shift), rel=1e-7
    )


def _binary(seed: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    y[0], y[-1] = 0, 1  # both classes present
    p = rng.uniform(1e-3, 1 - 1e-3, n)
    w = rng.uniform(0.1, 3.0, n)
    return y, p, w


def _multiclass(seed: int, n: int, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    y[:k] = np.arange(k)  # every class present
    raw = rng.uniform(0.05, 1.0, (n, k))
    p = raw / raw.sum(axis=1, keepdims=True)
    w = rng.uniform(0.1, 3.0, n)
    return y, p, w


BINARY_ORACLES: dict[str, Callable[[Any, Any, Any], float]] = {
    "binary_crossentropy": lambda y, p, sw: skm.log_loss(y, p, sample_weight=sw, labels=[0, 1]),
    "brier": lambda y, p, sw: skm.brier_score_loss(y, p, sample_weight=sw),
    "zero_one": lambda y, p, sw: skm.zero_one_loss(y, (p > 0.5).astype(int), sample_weight=sw),
}


@pytest.mark.parametrize("loss_id", sorted(BINARY_ORACLES))
@pytest.mark.parametrize("n", [2, 7, 100, 10_007])
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_vs_sklearn(loss_id: str, n: int, seed: int, weighted: bool) -> None:
    y, p, w = _binary(seed, n)
    sw = w if weighted else None
    ours = getattr(losses, loss_id)(y, p, sample_weight=sw)
    assert ours == pytest.approx(BINARY_ORACLES[loss_id](y, p, sw), rel=REL, abs=1e-300)


MULTICLASS_ORACLES: dict[str, Callable[[Any, Any, Any, int], float]] = {
    "categorical_crossentropy": lambda y, p, sw, k: skm.log_loss(
        y, p, sample_weight=sw, labels=list(range(k))
    ),
    "brier": lambda y, p, sw, k: skm.brier_score_loss(
        y, p, sample_weight=sw, labels=list(range(k))
    ),
    "zero_one": lambda y, p, sw, k: skm.zero_one_loss(y, p.argmax(axis=1), sample_weight=sw),
}


@pytest.mark.parametrize("loss_id", sorted(MULTICLASS_ORACLES))
@pytest.mark.parametrize("k", [3, 10])
@pytest.mark.parametrize("n", [10, 100, 5003])
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("weighted", [False, True])
def test_multiclass_vs_sklearn(loss_id: str, k: int, n: int, seed: int, weighted: bool) -> None:
    y, p, w = _multiclass(seed, n, k)
    sw = w if weighted else None
    ours = getattr(losses, loss_id)(y, p, sample_weight=sw)
    assert ours == pytest.approx(MULTICLASS_ORACLES[loss_id](y, p, sw, k), rel=REL, abs=1e-300)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("weighted", [False, True])
def test_weighted_bce_vs_sklearn_class_weight(seed: int, weighted: bool) -> None:
    from sklearn.utils.class_weight import compute_class_weight

    y, p, w = _binary(seed, 2001)
    y = np.where(np.arange(y.size) % 10 == 0, 1, 0)  # imbalanced: 10 % positives
    # balanced weights from the weighted class counts (issue 15), as sklearn derives them
    s = w if weighted else None
    cw = compute_class_weight("balanced", classes=np.array([0, 1]), y=y, sample_weight=s)
    sw = cw[y] * (w if weighted else 1.0)
    ours = losses.weighted_binary_crossentropy(y, p, sample_weight=w if weighted else None)
    assert ours == pytest.approx(skm.log_loss(y, p, sample_weight=sw), rel=REL)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("weighted", [False, True])
def test_weighted_cce_vs_sklearn_class_weight(seed: int, weighted: bool) -> None:
    from sklearn.utils.class_weight import compute_class_weight

    k = 4
    y, p, w = _multiclass(seed, 3001, k)
    y = np.minimum(y, np.arange(y.size) % 7)  # skew towards low classes
    y[:k] = np.arange(k)
    s = w if weighted else None
    cw = compute_class_weight("balanced", classes=np.arange(k), y=y, sample_weight=s)
    sw = cw[y] * (w if weighted else 1.0)
    ours = losses.weighted_categorical_crossentropy(y, p, sample_weight=w if weighted else None)
    assert ours == pytest.approx(
        skm.log_loss(y, p, sample_weight=sw, labels=list(range(k))), rel=REL
    )
