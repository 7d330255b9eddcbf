"""``--convention``: golden cases where scikit-learn, PyTorch and Keras disagree.

scikit-learn's values are computed here by scikit-learn itself. The PyTorch and Keras
goldens below are derived by hand from their sources, the derivation written next to
each value (tests/unit/test_torch_keras_oracle.py runs the libraries themselves, dev
dependencies, on random and edge inputs):

* PyTorch (aten/src/ATen/native/Loss.cpp): ``BCELoss`` ℓ = (y - 1)·max(log1p(-p), -100)
  - y·max(log p, -100), times ``weight`` when given, then ``mean`` over the N elements;
  ``PoissonNLLLoss(log_input=False)`` ℓ = ŷ - y·log(ŷ + eps), eps = 1e-8;
  ``CrossEntropyLoss(weight=w)`` / ``NLLLoss`` mean = Σ w_y ℓ / Σ w_y; ``MSELoss``,
  ``L1Loss``, ``HuberLoss`` mean over N.
* Keras 3 (keras/src/losses/losses.py, loss.py, backend/*/nn.py): every loss is reduced
  by ``sum_over_batch_size``: Σ sᵢℓᵢ / N (``reduce_weighted_values`` multiplies by the
  sample weight, ``reduce_values`` divides by the number of elements); probabilities
  are clipped to [ε, 1 - ε] with ε = ``backend.epsilon()`` = 1e-7 in float32, i.e.
  [float32(1e-7), 1 - 2⁻²³]; categorical rows are divided by their sum first;
  ``mean_absolute_percentage_error`` = 100·|e| / max(|y|, ε); ``poisson`` = ŷ - y·log(ŷ + ε);
  ``mean_squared_logarithmic_error`` = (log(max(ŷ, ε) + 1) - log(max(y, ε) + 1))²;
  ``CategoricalFocalCrossentropy`` = α·(1 - q)^γ·(-log q), α = 0.25, q clipped;
  ``R2Score`` = 1 - SSE/SST with SST = 0 giving -inf, replaced by 0.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

import losscli
from losscli.errors import InputError, UsageError
from losscli.losses import conventions

#: Keras's clip bounds: float32(1e-7) and float32(1) - float32(1e-7) = 1 - 2^-23
K_LO = float(np.float32(1e-7))
K_HI = 1.0 - 2.0**-23
SK_EPS = 2.0**-52


def _value(frame: pd.DataFrame, loss: str, convention: str, **kw: object) -> float | None:
    report = losscli.evaluate_frame(frame, losses=[loss], convention=convention, **kw)  # type: ignore[arg-type]
    return report.value(report.models[0], report.losses[0])


def _skipped(frame: pd.DataFrame, convention: str, **kw: object) -> dict[str, str]:
    report = losscli.evaluate_frame(frame, convention=convention, **kw)  # type: ignore[arg-type]
    return {s.loss: s.reason for s in report.skipped}


# --------------------------------------------------------------------------- p ∈ {0, 1}

#: rows 3 and 4 predict p = 1: right for row 3 (y = 1), certain and wrong for row 4
BINARY = pd.DataFrame({"y_true": [1, 0, 1, 0, 1], "y_pred": [0.9, 0.1, 1.0, 1.0, 0.3]})


def test_binary_crossentropy_at_p_one_under_each_convention() -> None:
    y, p = BINARY["y_true"].to_numpy(), BINARY["y_pred"].to_numpy()
    # sklearn: its own log_loss (clip at float64 ε: row 4 costs -log(2^-52) = 36.04)
    assert _value(BINARY, "bce", "sklearn") == skm.log_loss(y, p)
    # torch BCELoss: rows 1, 2: -log 0.9 and -log1p(-0.1); row 3: -log 1 = 0;
    # row 4: log1p(-1) = -inf clamped at -100 -> 100; row 5: -log 0.3; mean over 5
    torch = (-math.log(0.9) - math.log1p(-0.1) + 0.0 + 100.0 - math.log(0.3)) / 5
    assert _value(BINARY, "bce", "torch") == pytest.approx(torch, rel=1e-15)
    # keras: p clipped to [K_LO, K_HI]; row 3: -log(1 - 2^-23); row 4: -log(1 - K_HI)
    # = -log(2^-23) = 23 ln 2 = 15.94 (float64's 1 - 1e-7 would give 16.12)
    keras = (
        -2 * math.log(0.9) - math.log(K_HI) + 23 * math.log(2.0) - math.log(0.3)
    ) / 5  # (row 2: 1 - 0.1 = 0.9)
    assert _value(BINARY, "bce", "keras") == pytest.approx(keras, rel=1e-14)
    # losscli: clipped to [ε, 1 - ε], ε = 1e-7 (float64), p_t = 1 - p: row 4 costs
    # -log(1 - (1 - 1e-7)) = 16.118 (1 - (1 - 1e-7) is 1e-7 to 8 digits, in float64)
    hi = 1 - 1e-7
    ours = (-2 * math.log(0.9) - math.log(hi) - math.log(1 - hi) - math.log(0.3)) / 5
    assert _value(BINARY, "bce", "losscli") == pytest.approx(ours, rel=1e-14)


def test_keras_golden_agrees_with_keras_formula_in_float32() -> None:
    # the Keras formula run in float32, as Keras runs it: within float32 precision
    y = BINARY["y_true"].to_numpy(np.float32)
    p = np.clip(
        BINARY["y_pred"].to_numpy(np.float32), np.float32(1e-7), np.float32(1) - np.float32(1e-7)
    )
    bce = -(y * np.log(p) + (np.float32(1) - y) * np.log(np.float32(1) - p))
    assert _value(BINARY, "bce", "keras") == pytest.approx(float(bce.mean()), rel=1e-6)


def test_logits_through_sklearn_clip_at_large_scores() -> None:
    # score 40 for a negative row: exact BCE with logits is log(1 + e^40) = 40 + 4e-18;
    # sklearn takes probabilities: expit(40) = 1.0 in float64, clipped to 1 - 2^-52,
    # so -log(1 - (1 - 2^-52)) = 52 ln 2 = 36.04 (the logit clamp)
    frame = pd.DataFrame({"y_true": [0, 1], "y_pred": [40.0, 2.0]})
    exact = (40.0 + math.log1p(math.exp(-40.0)) + math.log1p(math.exp(-2.0))) / 2
    sk = (52 * math.log(2.0) + math.log1p(math.exp(-2.0))) / 2
    assert _value(frame, "bce", "sklearn", logits=True) == pytest.approx(sk, rel=1e-15)
    for convention in ("losscli", "torch", "keras"):  # log-sigmoid: exact
        assert _value(frame, "bce", convention, logits=True) == pytest.approx(exact, rel=1e-15)


# --------------------------------------------------------------------------- reductions

REGRESSION = pd.DataFrame(
    {"y_true": [3.0, -0.5, 2.0, 7.0], "y_pred": [2.5, 0.0, 2.0, 8.0], "w": [1.0, 2.0, 0.0, 3.0]}
)


def test_weighted_mse_divides_by_the_weights_or_the_rows() -> None:
    y, p, w = (REGRESSION[c].to_numpy() for c in ("y_true", "y_pred", "w"))
    # Σ w e² = 1·0.25 + 2·0.25 + 0·0 + 3·1 = 3.75; Σ w = 6, N = 4
    assert _value(REGRESSION, "mse", "sklearn", weight="w") == pytest.approx(
        skm.mean_squared_error(y, p, sample_weight=w), rel=1e-15
    )
    assert _value(REGRESSION, "mse", "losscli", weight="w") == pytest.approx(3.75 / 6, rel=1e-15)
    for convention in ("torch", "keras"):  # (MSELoss(reduction="none") * w).mean(); Keras Σwℓ/N
        assert _value(REGRESSION, "mse", convention, weight="w") == pytest.approx(3.75 / 4)
    # without weights every convention's mean is the same
    values = {c: _value(REGRESSION, "mse", c) for c in conventions.CONVENTIONS}
    assert len(set(values.values())) == 1


def test_huber_torch_and_keras_with_weights() -> None:
    # δ = 1: |e| = 0.5, 0.5, 0, 1 -> ½e² = 0.125, 0.125, 0, 0.5; Σwℓ = 0.125 + 0.25 + 1.5
    expected = (0.125 + 0.25 + 0.0 + 1.5) / 4
    for convention in ("torch", "keras"):
        assert _value(REGRESSION, "huber", convention, weight="w") == pytest.approx(expected)
    assert _skipped(REGRESSION, "sklearn")["huber"].startswith("scikit-learn has no Huber")


# --------------------------------------------------------------------------- class weights

IMBALANCED = pd.DataFrame({"y_true": [1, 0, 0, 0, 1, 0], "y_pred": [0.8, 0.3, 0.1, 0.6, 0.4, 0.2]})


def _bce_rows() -> np.ndarray:
    y, p = IMBALANCED["y_true"].to_numpy(), IMBALANCED["y_pred"].to_numpy()
    return -np.where(y == 1, np.log(p), np.log1p(-p))


def test_class_weighted_bce_reductions() -> None:
    y = IMBALANCED["y_true"].to_numpy()
    # balanced: n = 6, n_0 = 4, n_1 = 2 -> w_0 = 6/8 = 0.75, w_1 = 6/4 = 1.5
    w = np.where(y == 1, 1.5, 0.75)
    ell = _bce_rows()
    key = "weighted_binary_crossentropy"
    # sklearn: log_loss(sample_weight=w[y]) = Σ w ℓ / Σ w (Σ w = 6)
    sk = skm.log_loss(y, IMBALANCED["y_pred"].to_numpy(), sample_weight=w)
    assert _value(IMBALANCED, key, "sklearn") == pytest.approx(sk, rel=1e-14)
    # torch BCELoss(weight=w[y]) and Keras fit(class_weight=w): Σ w ℓ / N, N = 6;
    # (Σ w = N here by construction of balanced weights, so use explicit weights too)
    assert _value(IMBALANCED, key, "torch") == pytest.approx(float((w * ell).sum() / 6))
    assert _value(IMBALANCED, key, "keras") == pytest.approx(float((w * ell).sum() / 6))
    # with class weights 0=1, 1=4: Σ w ℓ / Σ w_y (sklearn, losscli) vs / N (torch, keras)
    w2 = np.where(y == 1, 4.0, 1.0)
    total = float((w2 * ell).sum())
    kw = {"class_weight": "0=1,1=4"}
    assert _value(IMBALANCED, key, "sklearn", **kw) == pytest.approx(total / w2.sum())
    assert _value(IMBALANCED, key, "torch", **kw) == pytest.approx(total / 6)
    assert _value(IMBALANCED, key, "keras", **kw) == pytest.approx(total / 6)


MULTI = pd.DataFrame(
    {
        "y_true": ["a", "b", "c", "a", "b"],
        "prob_a": [0.7, 0.2, 0.1, 1.0, 0.3],
        "prob_b": [0.2, 0.5, 0.3, 0.0, 0.3],
        "prob_c": [0.1, 0.3, 0.6, 0.0, 0.4],
    }
)


def test_class_weighted_cce_torch_divides_by_the_class_weights() -> None:
    # CrossEntropyLoss(weight=[1, 2, 3]) (here NLLLoss of log P): Σ w_y ℓ / Σ w_y with
    # ℓ = -log P[y]: rows a, b, c, a, b -> -log 0.7, -log 0.5, -log 0.6, -log 1, -log 0.3
    ell = -np.log([0.7, 0.5, 0.6, 1.0, 0.3])
    wy = np.array([1.0, 2.0, 3.0, 1.0, 2.0])
    key = "weighted_categorical_crossentropy"
    got = _value(MULTI, key, "torch", preds=["prob_*"], class_weight="a=1,b=2,c=3")
    assert got == pytest.approx(float((wy * ell).sum() / wy.sum()), rel=1e-14)
    # Keras class_weight: Σ w_y ℓ / N (row 4's P = 1 clipped to 1 - 2^-23)
    ell_k = ell.copy()
    ell_k[3] = -math.log(K_HI)
    got = _value(MULTI, key, "keras", preds=["prob_*"], class_weight="a=1,b=2,c=3")
    assert got == pytest.approx(float((wy * ell_k).sum() / 5), rel=1e-14)


def test_torch_class_weighted_cce_has_no_sample_weights() -> None:
    frame = MULTI.assign(w=[1.0, 2.0, 1.0, 1.0, 1.0])
    reasons = _skipped(frame, "torch", preds=["prob_*"], weight="w")
    assert "takes class weights only" in reasons["weighted_categorical_crossentropy"]


# --------------------------------------------------------------------------- multiclass


def test_categorical_crossentropy_at_p_zero_and_one() -> None:
    y = MULTI["y_true"].to_numpy()
    proba = MULTI[["prob_a", "prob_b", "prob_c"]].to_numpy()
    # sklearn: log_loss clips P[y] = 1 (row 4) to 1 - 2^-52 too
    sk = skm.log_loss(y, proba, labels=["a", "b", "c"])
    assert _value(MULTI, "cce", "sklearn", preds=["prob_*"]) == sk
    # torch NLLLoss(log P): -log P[y] unclipped: mean of -log 0.7, 0.5, 0.6, 1, 0.3
    torch = float(-np.log([0.7, 0.5, 0.6, 1.0, 0.3]).mean())
    assert _value(MULTI, "cce", "torch", preds=["prob_*"]) == pytest.approx(torch, rel=1e-15)
    # a true class of probability 0: NLLLoss is infinite, so torch skips it
    zero = MULTI.assign(y_true=["a", "b", "c", "b", "b"])
    reason = _skipped(zero, "torch", preds=["prob_*"])["categorical_crossentropy"]
    assert reason.startswith("categorical_crossentropy needs P(true class) > 0")
    assert reason.endswith("first violation at row 4")


def test_keras_categorical_crossentropy_divides_rows_by_their_sum() -> None:
    # rows that do not sum to 1: Keras divides by the sum first (losscli warns and not)
    frame = pd.DataFrame(
        {"y_true": ["a", "b"], "prob_a": [0.6, 0.2], "prob_b": [0.2, 0.2], "prob_c": [0.2, 0.4]}
    )
    # row 1: 0.6 / 1.0; row 2: 0.2 / 0.8 = 0.25
    keras = (-math.log(0.6) - math.log(0.25)) / 2
    assert _value(frame, "cce", "keras", preds=["prob_*"]) == pytest.approx(keras, rel=1e-15)
    ours = (-math.log(0.6) - math.log(0.2)) / 2
    assert _value(frame, "cce", "losscli", preds=["prob_*"]) == pytest.approx(ours, rel=1e-15)


def test_keras_multiclass_focal_weighs_by_alpha() -> None:
    # CategoricalFocalCrossentropy(alpha=0.25, gamma=2): 0.25·(1 - q)²·(-log q)
    q = np.array([0.7, 0.5, 0.6, K_HI, 0.3])  # (row 4: P = 1 clipped to 1 - 2^-23)
    keras = float((0.25 * (1 - q) ** 2 * -np.log(q)).mean())
    got = _value(MULTI, "focal", "keras", preds=["prob_*"])
    assert got == pytest.approx(keras, rel=1e-13)


def test_brier_multiclass_scaling_is_sklearns() -> None:
    y = MULTI["y_true"].to_numpy()
    proba = MULTI[["prob_a", "prob_b", "prob_c"]].to_numpy()
    sk = skm.brier_score_loss(y, proba, labels=["a", "b", "c"])  # K = 3: Σ_k, not halved
    for convention in ("losscli", "sklearn"):
        assert _value(MULTI, "brier", convention, preds=["prob_*"]) == pytest.approx(sk)
    for convention, lib in (("torch", "PyTorch"), ("keras", "Keras")):
        reason = _skipped(MULTI, convention, preds=["prob_*"])["brier"]
        assert reason.startswith(f"{lib} has no Brier score")


# --------------------------------------------------------------------------- regression terms

ZEROS = pd.DataFrame({"y_true": [0.0, 2.0, 4.0, 1.0], "y_pred": [0.5, 1.5, 5.0, 0.0]})


def test_mape_with_a_zero_truth() -> None:
    y, p = ZEROS["y_true"].to_numpy(), ZEROS["y_pred"].to_numpy()
    assert _value(ZEROS, "mape", "sklearn") == skm.mean_absolute_percentage_error(y, p)
    # keras: 100·mean(|e| / max(|y|, float32(1e-7))) = 100·(0.5/K_LO + 0.25 + 0.25 + 1)/4
    keras = 100 * (0.5 / K_LO + 0.25 + 0.25 + 1.0) / 4
    assert _value(ZEROS, "mape", "keras") == pytest.approx(keras, rel=1e-15)
    assert "non-zero y_true" in _skipped(ZEROS, "losscli")["mape"]


def test_poisson_terms() -> None:
    y, p = ZEROS["y_true"].to_numpy(), ZEROS["y_pred"].to_numpy()
    # torch PoissonNLLLoss(log_input=False): mean of ŷ - y·log(ŷ + 1e-8); ŷ = 0 is allowed
    torch = float(np.mean(p - y * np.log(p + 1e-8)))
    assert _value(ZEROS, "poisson_deviance", "torch") == pytest.approx(torch, rel=1e-15)
    keras = float(np.mean(p - y * np.log(p + K_LO)))  # Keras Poisson: ε = float32(1e-7)
    assert _value(ZEROS, "poisson_deviance", "keras") == pytest.approx(keras, rel=1e-15)
    # sklearn mean_poisson_deviance needs ŷ > 0: skipped, as losscli
    assert "y_pred > 0" in _skipped(ZEROS, "sklearn")["poisson_deviance"]
    pos = ZEROS.assign(y_pred=[0.5, 1.5, 5.0, 0.2])
    sk = skm.mean_poisson_deviance(y, pos["y_pred"].to_numpy())
    assert _value(pos, "poisson_deviance", "sklearn") == pytest.approx(sk, rel=1e-14)


def test_msle_between_minus_one_and_zero() -> None:
    frame = pd.DataFrame({"y_true": [-0.5, 1.0, 3.0], "y_pred": [0.0, -0.2, 2.5]})
    y, p = frame["y_true"].to_numpy(), frame["y_pred"].to_numpy()
    # sklearn 1.9 needs y, ŷ > -1; losscli needs ≥ 0; Keras clips at ε
    assert _value(frame, "msle", "sklearn") == pytest.approx(skm.mean_squared_log_error(y, p))
    lg = lambda v: np.log(np.maximum(v, K_LO) + 1.0)  # noqa: E731
    keras = float(np.mean((lg(p) - lg(y)) ** 2))
    assert _value(frame, "msle", "keras") == pytest.approx(keras, rel=1e-15)
    assert "y_true ≥ 0" in _skipped(frame, "losscli")["msle"]


def test_r2_of_a_constant_truth() -> None:
    flat = pd.DataFrame({"y_true": [2.0, 2.0, 2.0], "y_pred": [1.0, 2.0, 3.0]})
    exact = flat.assign(y_pred=[2.0, 2.0, 2.0])
    for frame in (flat, exact):
        y, p = frame["y_true"].to_numpy(), frame["y_pred"].to_numpy()
        assert _value(frame, "r2", "sklearn") == skm.r2_score(y, p)  # 0.0, then 1.0
    assert _value(flat, "r2", "keras") == 0.0  # R2Score: 1 - SSE/0 = -inf -> 0
    assert "NaN" in _skipped(exact, "keras")["r2"]
    assert "constant" in _skipped(flat, "losscli")["r2"]


# --------------------------------------------------------------------------- skips, errors


def test_losses_without_a_counterpart_are_skipped_with_the_reason() -> None:
    reasons = _skipped(REGRESSION, "torch")
    assert reasons["rmse"] == "PyTorch has no RMSE loss (torch.nn has MSELoss)"
    assert reasons["r2"].startswith("PyTorch has no R²")
    assert (
        reasons["asymmetric_mse"]
        == "asymmetric_mse is losscli's own loss (the seed text's); PyTorch has none"
    )
    keras = _skipped(REGRESSION, "keras")
    assert "r2" not in keras and "log_cosh" not in keras  # Keras has R2Score and LogCosh
    with pytest.raises(InputError, match="rmse does not apply: PyTorch has no RMSE loss"):
        losscli.evaluate_frame(REGRESSION, losses=["rmse"], convention="torch")


def test_convention_names_and_eps() -> None:
    assert _value(REGRESSION, "mse", "SKLEARN") is not None  # any case
    with pytest.raises(UsageError, match="unknown convention 'tf'"):
        losscli.evaluate_frame(REGRESSION, convention="tf")
    with pytest.raises(UsageError, match="--eps does not go with --convention sklearn"):
        losscli.evaluate_frame(BINARY, convention="sklearn", eps=1e-3)
    # Keras: --eps replaces backend.epsilon(); bounds still float32's
    lo = float(np.float32(1e-3))
    hi = float(np.float32(1) - np.float32(1e-3))
    keras = (-2 * math.log(0.9) - math.log(hi) - math.log(1 - hi) - math.log(0.3)) / 5
    assert _value(BINARY, "bce", "keras", eps=1e-3) == pytest.approx(keras, rel=1e-14)
    assert lo == pytest.approx(1e-3)


def test_losscli_convention_is_the_default() -> None:
    a = losscli.evaluate_frame(REGRESSION, weight="w")
    b = losscli.evaluate_frame(REGRESSION, weight="w", convention="losscli")
    assert a.to_dict() == b.to_dict()
    assert "convention" not in a.params
    assert losscli.evaluate_frame(REGRESSION, convention="keras").params["convention"] == "keras"


@pytest.mark.parametrize("task", ["binary", "regression"])
@pytest.mark.parametrize("convention", ["sklearn", "torch", "keras"])
def test_grouped_values_are_each_groups_own(convention: str, task: str) -> None:
    rng = np.random.default_rng(0)
    n = 400
    if task == "binary":
        y, p = rng.integers(0, 2, n), rng.uniform(size=n)
        p[3] = 1.0
    else:
        y = rng.poisson(3.0, n).astype(float)
        p = y + rng.uniform(0.1, 2.0, n)
    frame = pd.DataFrame(
        {
            "y_true": y,
            "y_pred": p,
            "w": rng.uniform(0.0, 2.0, n),
            "g": np.where(np.arange(n) < 150, "a", "b"),
        }
    )
    grouped = losscli.evaluate_frame(frame, weight="w", by="g", convention=convention)
    for label in ("a", "b"):
        part = frame[frame["g"] == label].drop(columns="g")
        alone = losscli.evaluate_frame(part, weight="w", convention=convention)
        for r in alone.overall:
            got = grouped.value(r.model, r.loss, group=label)
            assert got == pytest.approx(r.value, rel=1e-12), (label, r.loss)
    whole = losscli.evaluate_frame(frame.drop(columns="g"), weight="w", convention=convention)
    for r in whole.overall:
        assert grouped.value(r.model, r.loss) == pytest.approx(r.value, rel=1e-12), r.loss


def test_readme_table_is_the_presets() -> None:
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert conventions.markdown_table() in readme
