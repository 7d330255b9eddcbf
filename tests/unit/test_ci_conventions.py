"""``--ci`` with ``--convention``: intervals and comparisons by the convention's formula.

Oracle: the exact row-level Poisson bootstrap written out with numpy. A file of n ≤ K
rows puts row r in bucket r (losscli.uncertainty.buckets), so replicate b is the data
set in which row r appears W[r, b] times, W = ``resample.poisson_weights(seed, B, n)``,
and its value is the library's formula on that data set:

* PyTorch ``BCELoss(weight=s)`` (ℓ from ``F.binary_cross_entropy(reduction="none")``,
  log clamped at -100): Σ_r W s ℓ / Σ_r W (the resample's N rows);
* PyTorch ``BCELoss(weight=s·w[y])`` with balanced w from the resample's weighted class
  counts, w_c = Σ W s / (2 Σ_{y=c} W s): Σ W s w_y ℓ / Σ W;
* Keras ``MeanSquaredError`` / ``MeanAbsolutePercentageError`` (100·|e| / max(|y|, ε),
  ε = float32(1e-7)): Σ W s ℓ / Σ W; scikit-learn ``log_loss(sample_weight=s·w[y])``:
  Σ W s w_y ℓ / Σ W s w_y;
* a comparison's interval: the same quantiles of f(model, b) − f(baseline, b).

The interval is [q(2.5 %), q(97.5 %)] of the B replicates (numpy's linear quantile).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F

import losscli
from losscli.uncertainty import resample

N, B = 400, 300
K_LO = float(np.float32(1e-7))


def _binary() -> pd.DataFrame:
    rng = np.random.default_rng(21)
    y = rng.integers(0, 2, N)
    a = np.clip(0.3 + 0.4 * y + rng.normal(0, 0.25, N), 0.0, 1.0)
    b = np.clip(0.35 + 0.3 * y + rng.normal(0, 0.25, N), 0.0, 1.0)
    a[:3] = [1.0, 0.0, 1.0]  # (p ∈ {0, 1}: torch's -100 clamp, wrong and right)
    y[:3] = [0, 1, 1]
    return pd.DataFrame({"y_true": y, "a": a, "b": b, "s": rng.uniform(0.0, 3.0, N)})


def _regression() -> pd.DataFrame:
    rng = np.random.default_rng(22)
    y = rng.poisson(2.0, N).astype(float)
    return pd.DataFrame(
        {
            "y_true": y,
            "a": y + rng.normal(0, 1.0, N),
            "b": y + rng.normal(0, 1.2, N),
            "s": rng.uniform(0.0, 3.0, N),
        }
    )


W = resample.poisson_weights(resample.DEFAULT_SEED, B, N)  # (N, B)


def _interval(reps: np.ndarray) -> tuple[float, float]:
    low, high = np.quantile(reps[np.isfinite(reps)], [0.025, 0.975])
    return float(low), float(high)


def _bce_rows(frame: pd.DataFrame, model: str) -> np.ndarray:
    p, y = (torch.tensor(frame[c].to_numpy(np.float64)) for c in (model, "y_true"))
    return F.binary_cross_entropy(p, y, reduction="none").numpy()  # type: ignore[no-any-return]


def _balanced(frame: pd.DataFrame) -> np.ndarray:
    """(N, B): each row's balanced class weight in each replicate."""
    y, s = frame["y_true"].to_numpy(), frame["s"].to_numpy()
    ws = W * s[:, None]
    total = ws.sum(axis=0)
    per_class = [ws[y == c].sum(axis=0) for c in (0, 1)]
    return np.where(y[:, None] == 1, total / (2 * per_class[1]), total / (2 * per_class[0]))


Formula = Callable[[pd.DataFrame, str], np.ndarray]


def _torch_bce(frame: pd.DataFrame, model: str) -> np.ndarray:
    s = frame["s"].to_numpy()[:, None]
    return (W * s * _bce_rows(frame, model)[:, None]).sum(axis=0) / W.sum(axis=0)  # type: ignore[no-any-return]


def _torch_wbce(frame: pd.DataFrame, model: str) -> np.ndarray:
    s = frame["s"].to_numpy()[:, None]
    ell = _bce_rows(frame, model)[:, None]
    return (W * s * _balanced(frame) * ell).sum(axis=0) / W.sum(axis=0)  # type: ignore[no-any-return]


def _sklearn_wbce(frame: pd.DataFrame, model: str) -> np.ndarray:
    eps = 2.0**-52
    y = frame["y_true"].to_numpy()
    p = np.clip(frame[model].to_numpy(), eps, 1 - eps)
    ell = -np.where(y == 1, np.log(p), np.log(1 - p))[:, None]
    sw = W * frame["s"].to_numpy()[:, None] * _balanced(frame)
    return (sw * ell).sum(axis=0) / sw.sum(axis=0)  # type: ignore[no-any-return]


def _keras_mse(frame: pd.DataFrame, model: str) -> np.ndarray:
    e2 = ((frame["y_true"] - frame[model]).to_numpy() ** 2)[:, None]
    return (W * frame["s"].to_numpy()[:, None] * e2).sum(axis=0) / W.sum(axis=0)  # type: ignore[no-any-return]


def _keras_mape(frame: pd.DataFrame, model: str) -> np.ndarray:
    y = frame["y_true"].to_numpy()
    ell = (100 * np.abs(y - frame[model].to_numpy()) / np.maximum(np.abs(y), K_LO))[:, None]
    return (W * frame["s"].to_numpy()[:, None] * ell).sum(axis=0) / W.sum(axis=0)  # type: ignore[no-any-return]


CASES: list[tuple[str, str, str, Formula]] = [
    ("torch", "binary", "binary_crossentropy", _torch_bce),
    ("torch", "binary", "weighted_binary_crossentropy", _torch_wbce),
    (
        "keras",
        "binary",
        "weighted_binary_crossentropy",
        _torch_wbce,
    ),  # (Keras clips; p ∈ (0,1) below)
    ("sklearn", "binary", "weighted_binary_crossentropy", _sklearn_wbce),
    ("keras", "regression", "mse", _keras_mse),
    ("keras", "regression", "mape", _keras_mape),
]


@pytest.mark.parametrize(("convention", "task", "loss", "formula"), CASES)
def test_intervals_are_the_conventions_row_level_bootstrap(
    convention: str, task: str, loss: str, formula: Formula
) -> None:
    frame = _binary() if task == "binary" else _regression()
    if convention == "keras" and task == "binary":
        # (rows away from p ∈ {0, 1}: there Keras clips at float32's ε, torch clamps at -100)
        frame = frame.assign(a=frame["a"].clip(0.01, 0.99), b=frame["b"].clip(0.01, 0.99))
    report = losscli.evaluate_frame(
        frame,
        preds=["a", "b"],
        losses=[loss],
        weight="s",
        convention=convention,
        ci=0.95,
        resamples=B,
    )
    for model in ("a", "b"):
        (r,) = [x for x in report.overall if x.model == model]
        assert r.ci_low is not None and r.ci_high is not None
        assert r.ci_low <= r.value <= r.ci_high, (model, r)
        want = _interval(formula(frame, model))
        assert (r.ci_low, r.ci_high) == pytest.approx(want, rel=1e-9)
    (c,) = report.comparisons
    assert c.delta == pytest.approx(report.value("b", loss) - report.value("a", loss))
    delta = formula(frame, "b") - formula(frame, "a")
    assert (c.ci_low, c.ci_high) == pytest.approx(_interval(delta), rel=1e-9)


@pytest.mark.parametrize(("convention", "value"), [("sklearn", 0.0), ("keras", 0.0)])
def test_r2_of_a_constant_truth_has_the_conventions_interval(convention: str, value: float) -> None:
    # a constant truth: every replicate is constant too, so r2 is the convention's value
    rng = np.random.default_rng(23)
    frame = pd.DataFrame({"y_true": np.full(100, 2.0), "y_pred": 2.0 + rng.normal(0, 1, 100)})
    report = losscli.evaluate_frame(frame, losses=["r2"], convention=convention, ci=0.95)
    (r,) = report.overall
    assert (r.value, r.ci_low, r.ci_high) == (value, value, value)
