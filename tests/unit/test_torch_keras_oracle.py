"""``--convention torch`` and ``--convention keras`` against the libraries themselves.

PyTorch 2.13 (CPU) and Keras 3 on its torch backend (``KERAS_BACKEND=torch``) are dev
dependencies: every loss a preset claims is computed here by ``torch.nn.functional`` or
``keras.losses`` / ``keras.metrics`` on the same inputs — random ones and the edges
(p ∈ {0, 1}, scores of ±40, zero sample weights, class weights, a zero truth) — and
compared with ``evaluate_frame(..., convention=...)`` and the CLI.

PyTorch is run in float64, so the values agree to rounding (rel 1e-12). Keras computes
in float32 (its ``floatx``, as its users run it): the values agree to float32 precision
(rel 1e-5), the clip bounds exactly (they are float32's in the preset too).
The class-weighted losses are what the libraries do with class weights:
``BCELoss(weight=s·w[y])`` / ``CrossEntropyLoss(weight=w)`` for PyTorch, and for
Keras ``fit(class_weight=w)``, which turns w into sample weights w[y] of the loss
(keras/src/trainers/data_adapters/data_adapter_utils.py ``class_weight_to_sample_weights``);
balanced w comes from scikit-learn's ``compute_class_weight(sample_weight=s)``.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

# (before keras is imported: its backend and a config directory of the test's own)
os.environ["KERAS_BACKEND"] = "torch"
os.environ.setdefault("KERAS_HOME", tempfile.mkdtemp(prefix="losscli-keras-"))

import keras  # type: ignore[import-untyped]
import torch
import torch.nn.functional as F
from sklearn.utils.class_weight import compute_class_weight
from typer.testing import CliRunner

import losscli
from losscli.cli import app
from losscli.errors import InputError

TORCH_REL = 1e-12
KERAS_REL = 1e-5
N = 300


def _ours(frame: pd.DataFrame, loss: str, convention: str, **kw: Any) -> float:
    report = losscli.evaluate_frame(frame, losses=[loss], convention=convention, **kw)
    value = report.value(report.models[0], report.losses[0])
    assert value is not None, (loss, convention, [s.reason for s in report.skipped])
    return value


def _skip_reason(frame: pd.DataFrame, loss: str, convention: str, **kw: Any) -> str:
    """The reason a loss asked for by name does not apply (an InputError naming it)."""
    with pytest.raises(InputError) as caught:
        losscli.evaluate_frame(frame, losses=[loss], convention=convention, **kw)
    return str(caught.value)


def _t(a: Any) -> torch.Tensor:
    return torch.tensor(np.asarray(a, dtype=np.float64))


def _k(value: Any) -> float:
    """A Keras result (a torch tensor on the torch backend) as a float."""
    return float(value.item())


# --------------------------------------------------------------------------- inputs


def _regression() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    y = rng.poisson(3.0, N).astype(float)  # (counts with zeros: Poisson, MAPE's ε)
    p = np.abs(y + rng.standard_t(3, N)) + 0.01
    w = rng.uniform(0.0, 2.0, N)
    w[:20] = 0.0
    return pd.DataFrame({"y_true": y, "y_pred": p, "w": w})


def _binary(logits: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(12)
    y = rng.integers(0, 2, N)
    if logits:
        p = rng.normal(0.0, 3.0, N)
        p[:4] = [40.0, -40.0, 40.0, -40.0]  # (certain, right and wrong)
    else:
        p = rng.uniform(0.0, 1.0, N)
        p[:4] = [0.0, 1.0, 0.0, 1.0]
    y[:4] = [0, 0, 1, 1]
    w = rng.uniform(0.0, 2.0, N)
    w[4:10] = 0.0
    return pd.DataFrame({"y_true": y, "y_pred": p, "w": w})


CLASSES = ["a", "b", "c"]


def _multiclass(logits: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(13)
    label = rng.integers(0, 3, N)
    if logits:
        scores = rng.normal(0.0, 2.0, (N, 3))
    else:
        scores = rng.dirichlet([1.0, 1.0, 1.0], N)
        scores[0] = np.eye(3)[label[0]]  # (P(true class) = 1)
        scores[1] = [0.5, 0.25, 0.25]  # (a row whose true class is not the argmax)
    w = rng.uniform(0.0, 2.0, N)
    w[2:8] = 0.0
    frame = pd.DataFrame({"y_true": np.asarray(CLASSES)[label], "w": w})
    for k, c in enumerate(CLASSES):
        frame[f"prob_{c}"] = scores[:, k]
    return frame


def _label(frame: pd.DataFrame) -> np.ndarray:
    return frame["y_true"].map({c: k for k, c in enumerate(CLASSES)}).to_numpy()


def _proba(frame: pd.DataFrame) -> np.ndarray:
    return frame[[f"prob_{c}" for c in CLASSES]].to_numpy()


def _balanced(y: np.ndarray, s: np.ndarray | None) -> np.ndarray:
    classes = np.unique(y)
    return compute_class_weight("balanced", classes=classes, y=y, sample_weight=s)


# --------------------------------------------------------------------------- PyTorch

TorchRegression = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

TORCH_REGRESSION: dict[str, tuple[dict[str, Any], TorchRegression]] = {
    "mse": ({}, lambda p, y: F.mse_loss(p, y, reduction="none")),
    "mae": ({}, lambda p, y: F.l1_loss(p, y, reduction="none")),
    "huber": ({"delta": 1.7}, lambda p, y: F.huber_loss(p, y, reduction="none", delta=1.7)),
    "smooth_l1": (
        {"beta": 0.6},
        lambda p, y: F.smooth_l1_loss(p, y, reduction="none", beta=0.6),
    ),
    "poisson_deviance": (
        {},
        lambda p, y: F.poisson_nll_loss(p, y, log_input=False, eps=1e-8, reduction="none"),
    ),
}


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("loss", sorted(TORCH_REGRESSION))
def test_torch_regression(loss: str, weighted: bool) -> None:
    # a loss without a weight argument: (loss(reduction="none") * s).mean()
    frame = _regression()
    params, fn = TORCH_REGRESSION[loss]
    rows = fn(_t(frame["y_pred"]), _t(frame["y_true"]))
    s = _t(frame["w"]) if weighted else torch.ones(N, dtype=torch.float64)
    expected = float((rows * s).mean())
    kw = {"weight": "w"} if weighted else {}
    got = _ours(frame.drop(columns=[] if weighted else ["w"]), loss, "torch", **params, **kw)
    assert got == pytest.approx(expected, rel=TORCH_REL)


def test_torch_huber_default_is_delta_one_and_not_smooth_l1() -> None:
    frame = _regression().drop(columns="w")
    p, y = _t(frame["y_pred"]), _t(frame["y_true"])
    assert _ours(frame, "huber", "torch") == pytest.approx(float(F.huber_loss(p, y)), rel=1e-12)
    got = _ours(frame, "smooth_l1", "torch", beta=2.0)
    assert got == pytest.approx(float(F.smooth_l1_loss(p, y, beta=2.0)), rel=TORCH_REL)
    assert got != pytest.approx(float(F.huber_loss(p, y, delta=2.0)), rel=1e-3)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("logits", [False, True])
def test_torch_bce(logits: bool, weighted: bool) -> None:
    # BCELoss(weight=s) / BCEWithLogitsLoss(weight=s): Σ sℓ / N; p ∈ {0, 1}: log clamped at -100
    frame = _binary(logits)
    x, y = _t(frame["y_pred"]), _t(frame["y_true"])
    s = _t(frame["w"]) if weighted else None
    fn = F.binary_cross_entropy_with_logits if logits else F.binary_cross_entropy
    expected = float(fn(x, y, weight=s))
    kw = {"weight": "w"} if weighted else {}
    got = _ours(frame, "bce", "torch", logits=logits, **kw)
    assert got == pytest.approx(expected, rel=TORCH_REL)


@pytest.mark.parametrize("class_weight", ["balanced", "0=1,1=4"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("logits", [False, True])
def test_torch_class_weighted_bce(logits: bool, weighted: bool, class_weight: str) -> None:
    # BCELoss(weight=s·w[y]): Σ s w_y ℓ / N
    frame = _binary(logits)
    y = frame["y_true"].to_numpy()
    s = frame["w"].to_numpy() if weighted else np.ones(N)
    w = _balanced(y, s if weighted else None) if class_weight == "balanced" else np.array([1, 4])
    fn = F.binary_cross_entropy_with_logits if logits else F.binary_cross_entropy
    expected = float(fn(_t(frame["y_pred"]), _t(y), weight=_t(s * w[y])))
    kw = {"weight": "w"} if weighted else {}
    got = _ours(frame, "wbce", "torch", logits=logits, class_weight=class_weight, **kw)
    assert got == pytest.approx(expected, rel=TORCH_REL)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("logits", [False, True])
def test_torch_cce(logits: bool, weighted: bool) -> None:
    # NLLLoss(log P) / CrossEntropyLoss(logits), (reduction="none" * s).mean()
    frame = _multiclass(logits)
    x, y = _t(_proba(frame)), torch.tensor(_label(frame))
    rows = (
        F.cross_entropy(x, y, reduction="none")
        if logits
        else F.nll_loss(x.log(), y, reduction="none")
    )
    s = _t(frame["w"]) if weighted else torch.ones(N, dtype=torch.float64)
    expected = float((rows * s).mean())
    kw = {"weight": "w"} if weighted else {}
    got = _ours(frame, "cce", "torch", preds=["prob_*"], logits=logits, **kw)
    assert got == pytest.approx(expected, rel=TORCH_REL)


@pytest.mark.parametrize("class_weight", ["balanced", "a=1,b=2.5,c=0.5"])
@pytest.mark.parametrize("logits", [False, True])
def test_torch_class_weighted_cce(logits: bool, class_weight: str) -> None:
    # CrossEntropyLoss(weight=w) / NLLLoss(log P, weight=w): Σ w_y ℓ / Σ w_y
    frame = _multiclass(logits).drop(columns="w")
    label = _label(frame)
    w = _balanced(label, None) if class_weight == "balanced" else np.array([1.0, 2.5, 0.5])
    x, y = _t(_proba(frame)), torch.tensor(label)
    if logits:
        expected = float(F.cross_entropy(x, y, weight=_t(w)))
    else:
        expected = float(F.nll_loss(x.log(), y, weight=_t(w)))
    got = _ours(frame, "wcce", "torch", preds=["prob_*"], logits=logits, class_weight=class_weight)
    assert got == pytest.approx(expected, rel=TORCH_REL)


def test_torch_skips_what_it_does_not_have() -> None:
    reasons = {
        loss: _skip_reason(_regression(), loss, "torch")
        for loss in ("rmse", "r2", "mape", "msle", "log_cosh", "asymmetric_mse")
    }
    for loss, fn in (("rmse", "rmse_loss"), ("log_cosh", "log_cosh_loss"), ("mape", "mape_loss")):
        assert not hasattr(F, fn), fn  # (the library has none indeed)
        assert "PyTorch has no" in reasons[loss], reasons[loss]
    binary = _binary()
    for loss in ("focal", "brier", "zero_one", "balanced_zero_one"):
        assert "PyTorch has no" in _skip_reason(binary, loss, "torch")


# --------------------------------------------------------------------------- Keras


def _col(a: Any) -> np.ndarray:
    return np.asarray(a, dtype=np.float32).reshape(-1, 1)


KerasFactory = Callable[[], Any]

KERAS_REGRESSION: dict[str, tuple[dict[str, Any], KerasFactory]] = {
    "mse": ({}, lambda: keras.losses.MeanSquaredError()),
    "mae": ({}, lambda: keras.losses.MeanAbsoluteError()),
    "huber": ({"delta": 1.7}, lambda: keras.losses.Huber(delta=1.7)),
    "log_cosh": ({}, lambda: keras.losses.LogCosh()),
    "mape": ({}, lambda: keras.losses.MeanAbsolutePercentageError()),
    "msle": ({}, lambda: keras.losses.MeanSquaredLogarithmicError()),
    "poisson_deviance": ({}, lambda: keras.losses.Poisson()),
}


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("loss", sorted(KERAS_REGRESSION))
def test_keras_regression_losses(loss: str, weighted: bool) -> None:
    # every Keras loss: sum_over_batch_size, Σ sℓ / N; MAPE in percent, y = 0 → ε
    frame = _regression()
    params, make = KERAS_REGRESSION[loss]
    s = frame["w"].to_numpy(np.float32) if weighted else None
    expected = _k(make()(_col(frame["y_true"]), _col(frame["y_pred"]), sample_weight=s))
    kw = {"weight": "w"} if weighted else {}
    got = _ours(frame.drop(columns=[] if weighted else ["w"]), loss, "keras", **params, **kw)
    assert got == pytest.approx(expected, rel=KERAS_REL)


def _metric(metric: Any, y: Any, p: Any, s: Any = None) -> float:
    metric.update_state(y, p, sample_weight=s)
    return _k(metric.result())


@pytest.mark.parametrize("weighted", [False, True])
def test_keras_rmse_and_r2_metrics(weighted: bool) -> None:
    # metrics: the weighted mean Σ sℓ / Σ s
    frame = _regression()
    y, p = _col(frame["y_true"]), _col(frame["y_pred"])
    s = frame["w"].to_numpy(np.float32) if weighted else None
    kw = {"weight": "w"} if weighted else {}
    data = frame if weighted else frame.drop(columns="w")
    rmse = _metric(keras.metrics.RootMeanSquaredError(), y, p, s)
    assert _ours(data, "rmse", "keras", **kw) == pytest.approx(rmse, rel=KERAS_REL)
    r2 = _metric(keras.metrics.R2Score(), y, p, s)
    assert _ours(data, "r2", "keras", **kw) == pytest.approx(r2, rel=KERAS_REL)


def test_keras_r2_of_a_constant_truth() -> None:
    flat = pd.DataFrame({"y_true": [2.0, 2.0, 2.0], "y_pred": [1.0, 2.0, 3.0]})
    expected = _metric(keras.metrics.R2Score(), _col(flat["y_true"]), _col(flat["y_pred"]))
    assert _ours(flat, "r2", "keras") == expected == 0.0
    exact = flat.assign(y_pred=[2.0, 2.0, 2.0])
    nan = _metric(keras.metrics.R2Score(), _col(exact["y_true"]), _col(exact["y_pred"]))
    assert np.isnan(nan) and "NaN" in _skip_reason(exact, "r2", "keras")


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("logits", [False, True])
def test_keras_bce(logits: bool, weighted: bool) -> None:
    # clip [ε, 1 - ε] in float32: p = 1 for a negative row costs 23 ln 2
    frame = _binary(logits)
    s = frame["w"].to_numpy(np.float32) if weighted else None
    loss = keras.losses.BinaryCrossentropy(from_logits=logits)
    expected = _k(loss(_col(frame["y_true"]), _col(frame["y_pred"]), sample_weight=s))
    kw = {"weight": "w"} if weighted else {}
    got = _ours(frame, "bce", "keras", logits=logits, **kw)
    assert got == pytest.approx(expected, rel=KERAS_REL)


@pytest.mark.parametrize("class_weight", ["balanced", "0=1,1=4"])
@pytest.mark.parametrize("weighted", [False, True])
def test_keras_class_weighted_bce(weighted: bool, class_weight: str) -> None:
    # fit(class_weight=w): sample weights s·w[y] of BinaryCrossentropy, Σ s w_y ℓ / N
    frame = _binary()
    y = frame["y_true"].to_numpy()
    s = frame["w"].to_numpy() if weighted else np.ones(N)
    w = _balanced(y, s if weighted else None) if class_weight == "balanced" else np.array([1, 4])
    loss = keras.losses.BinaryCrossentropy()
    expected = _k(loss(_col(y), _col(frame["y_pred"]), sample_weight=(s * w[y]).astype(np.float32)))
    kw = {"weight": "w"} if weighted else {}
    got = _ours(frame, "wbce", "keras", class_weight=class_weight, **kw)
    assert got == pytest.approx(expected, rel=KERAS_REL)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("logits", [False, True])
def test_keras_cce(logits: bool, weighted: bool) -> None:
    # SparseCategoricalCrossentropy: rows ÷ their sum, clip [ε, 1 - ε]
    frame = _multiclass(logits)
    s = frame["w"].to_numpy(np.float32) if weighted else None
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=logits)
    expected = _k(loss(_label(frame), _proba(frame).astype(np.float32), sample_weight=s))
    kw = {"weight": "w"} if weighted else {}
    got = _ours(frame, "cce", "keras", preds=["prob_*"], logits=logits, **kw)
    assert got == pytest.approx(expected, rel=KERAS_REL)


@pytest.mark.parametrize("loss", ["cce", "focal"])
def test_keras_divides_rows_by_their_sum(loss: str) -> None:
    # rows summing to 0.5 … 1 (losscli warns and does not; Keras divides first)
    frame = _multiclass().drop(columns="w")
    scale = np.random.default_rng(14).uniform(0.5, 1.0, N)
    proba = _proba(frame) * scale[:, None]
    for k, c in enumerate(CLASSES):
        frame[f"prob_{c}"] = proba[:, k]
    label = _label(frame)
    if loss == "cce":
        fn = keras.losses.SparseCategoricalCrossentropy()
        expected = _k(fn(label, proba.astype(np.float32)))
    else:
        fn = keras.losses.CategoricalFocalCrossentropy()
        expected = _k(fn(np.eye(3, dtype=np.float32)[label], proba.astype(np.float32)))
    got = _ours(frame, loss, "keras", preds=["prob_*"])
    assert got == pytest.approx(expected, rel=KERAS_REL)


@pytest.mark.parametrize("class_weight", ["balanced", "a=1,b=2.5,c=0.5"])
def test_keras_class_weighted_cce(class_weight: str) -> None:
    frame = _multiclass()
    label, s = _label(frame), frame["w"].to_numpy()
    w = _balanced(label, s) if class_weight == "balanced" else np.array([1.0, 2.5, 0.5])
    loss = keras.losses.SparseCategoricalCrossentropy()
    proba = _proba(frame).astype(np.float32)
    expected = _k(loss(label, proba, sample_weight=(s * w[label]).astype(np.float32)))
    got = _ours(frame, "wcce", "keras", preds=["prob_*"], weight="w", class_weight=class_weight)
    assert got == pytest.approx(expected, rel=KERAS_REL)


@pytest.mark.parametrize("logits", [False, True])
def test_keras_binary_focal(logits: bool) -> None:
    # BinaryFocalCrossentropy(gamma) without apply_class_balancing (evaluate has no α
    # option: the preset's α applies to the library's focal() only)
    frame = _binary(logits).drop(columns="w")
    loss = keras.losses.BinaryFocalCrossentropy(gamma=1.5, from_logits=logits)
    expected = _k(loss(_col(frame["y_true"]), _col(frame["y_pred"])))
    got = _ours(frame, "focal", "keras", logits=logits, gamma=1.5)
    assert got == pytest.approx(expected, rel=KERAS_REL)


@pytest.mark.parametrize("logits", [False, True])
def test_keras_categorical_focal(logits: bool) -> None:
    # CategoricalFocalCrossentropy(alpha=0.25, gamma) on one-hot targets
    frame = _multiclass(logits).drop(columns="w")
    onehot = np.eye(3, dtype=np.float32)[_label(frame)]
    loss = keras.losses.CategoricalFocalCrossentropy(alpha=0.25, gamma=2.0, from_logits=logits)
    expected = _k(loss(onehot, _proba(frame).astype(np.float32)))
    got = _ours(frame, "focal", "keras", preds=["prob_*"], logits=logits)
    assert got == pytest.approx(expected, rel=KERAS_REL)


@pytest.mark.parametrize("weighted", [False, True])
def test_keras_accuracies(weighted: bool) -> None:
    # zero_one = 1 - BinaryAccuracy (p > 0.5) / SparseCategoricalAccuracy, Σ s ℓ / Σ s
    kw = {"weight": "w"} if weighted else {}
    binary = _binary()
    s = binary["w"].to_numpy(np.float32) if weighted else None
    acc = _metric(keras.metrics.BinaryAccuracy(), _col(binary["y_true"]), _col(binary["y_pred"]), s)
    assert _ours(binary, "zero_one", "keras", **kw) == pytest.approx(1 - acc, rel=KERAS_REL)
    multi = _multiclass()
    s = multi["w"].to_numpy(np.float32) if weighted else None
    acc = _metric(keras.metrics.SparseCategoricalAccuracy(), _label(multi), _proba(multi), s)
    got = _ours(multi, "zero_one", "keras", preds=["prob_*"], **kw)
    assert got == pytest.approx(1 - acc, rel=KERAS_REL)


def test_keras_eps_is_backend_epsilon() -> None:
    # --eps replaces keras.config.epsilon()
    frame = _binary().drop(columns="w")
    before = keras.config.epsilon()
    try:
        keras.config.set_epsilon(1e-3)
        loss = keras.losses.BinaryCrossentropy()
        expected = _k(loss(_col(frame["y_true"]), _col(frame["y_pred"])))
    finally:
        keras.config.set_epsilon(before)
    assert _ours(frame, "bce", "keras", eps=1e-3) == pytest.approx(expected, rel=KERAS_REL)


# --------------------------------------------------------------------------- the CLI

runner = CliRunner()


def test_cli_convention_torch_and_keras_on_a_file(tmp_path: Path) -> None:
    frame = _binary()
    path = tmp_path / "binary.csv"
    frame.to_csv(path, index=False)
    y, p, s = (frame[c].to_numpy() for c in ("y_true", "y_pred", "w"))
    oracle = {
        "torch": float(F.binary_cross_entropy(_t(p), _t(y), weight=_t(s))),
        "keras": _k(keras.losses.BinaryCrossentropy()(_col(y), _col(p), sample_weight=s)),
    }
    for convention, expected in oracle.items():
        args = ["evaluate", str(path), "--weight", "w", "--convention", convention]
        result = runner.invoke(app, [*args, "-l", "bce", "-o", "json"])
        assert result.exit_code == 0, result.output
        document = json.loads(result.stdout)
        (row,) = document["results"]
        rel = TORCH_REL if convention == "torch" else KERAS_REL
        assert row["value"] == pytest.approx(expected, rel=rel)
        assert f"conv:{convention}" in document["signature"]


# --------------------------------------------------------------------------- the loss table's "="


def _inner(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows away from p ∈ {0, 1} and without sample weights: where the README's loss
    table says losscli's own numbers equal the library's."""
    return frame.iloc[10:].drop(columns="w").reset_index(drop=True)


def test_losscli_default_equals_torch_where_the_readme_says_so() -> None:
    frame = _inner(_regression())
    p, y = _t(frame["y_pred"]), _t(frame["y_true"])
    for loss, expected in (
        ("mse", F.mse_loss(p, y)),
        ("mae", F.l1_loss(p, y)),
        ("huber", F.huber_loss(p, y)),
        ("smooth_l1", F.smooth_l1_loss(p, y)),
    ):
        assert _ours(frame, loss, "losscli") == pytest.approx(float(expected), rel=TORCH_REL)
    # weighted_binary_crossentropy = CrossEntropyLoss(weight) on the columns [1 - p, p]
    binary = _inner(_binary())
    y2 = binary["y_true"].to_numpy()
    p2 = binary["y_pred"].to_numpy()
    logp = _t(np.log(np.column_stack([1.0 - p2, p2])))
    w = _balanced(y2, None)
    expected = F.nll_loss(logp, torch.tensor(y2), weight=_t(w))
    assert _ours(binary, "wbce", "losscli") == pytest.approx(float(expected), rel=TORCH_REL)


def test_losscli_default_equals_keras_where_the_readme_says_so() -> None:
    frame = _inner(_regression())
    y, p = _col(frame["y_true"]), _col(frame["y_pred"])
    for loss, make in (("log_cosh", keras.losses.LogCosh), ("huber", keras.losses.Huber)):
        assert _ours(frame, loss, "losscli") == pytest.approx(_k(make()(y, p)), rel=KERAS_REL)
    binary = _inner(_binary())
    focal = keras.losses.BinaryFocalCrossentropy(gamma=2.0)
    expected = _k(focal(_col(binary["y_true"]), _col(binary["y_pred"])))
    assert _ours(binary, "focal", "losscli") == pytest.approx(expected, rel=KERAS_REL)
