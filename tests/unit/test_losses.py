"""Hand-derived values, the seed text's examples, the PyTorch/Keras conventions and bad input."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from losscli import losses
from losscli.errors import LossInputError, LossWarning
from losscli.losses import registry


def test_seed_examples() -> None:
    # The seed text prints these with three decimals.
    y_true = np.array([3, -0.5, 2, 7])
    y_pred = np.array([2.5, 0.0, 2, 8])
    assert f"{losses.mse(y_true, y_pred):.3f}" == "0.375"
    assert f"{losses.mae(y_true, y_pred):.3f}" == "0.500"
    bce = losses.binary_crossentropy([1, 0, 1, 0], [0.9, 0.1, 0.8, 0.3])
    assert f"{bce:.3f}" == "0.198"
    cce = losses.categorical_crossentropy(
        [0, 1, 2], [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6]]
    )
    assert f"{cce:.3f}" == "0.364"


def test_huber_golden_matches_torch_and_keras_convention() -> None:
    # e = [-.2, .5, .5, -2, 7], δ = 2: ½e² for |e| ≤ 2 → .02, .125, .125, 2;
    # δ(|e| - δ/2) = 2·6 = 12 for e = 7. Mean = 14.27 / 5 = 2.854 (PyTorch HuberLoss,
    # Keras Huber: same piecewise form, mean reduction).
    value = losses.huber([0, 1, 2.5, -1, 10], [0.2, 0.5, 2, 1, 3], delta=2)
    assert value == pytest.approx(2.854, rel=1e-12)


def test_huber_is_half_mse_below_delta_and_linear_above() -> None:
    assert losses.huber([0.0], [0.5], delta=1.0) == pytest.approx(0.125)
    assert losses.huber([0.0], [10.0], delta=1.0) == pytest.approx(9.5)


def test_bce_goldens_keras_and_sklearn_eps() -> None:
    y, p = [0, 1, 1, 0, 1], [0.1, 0.8, 0, 1, 0.6]
    assert losses.binary_crossentropy(y, p) == pytest.approx(6.615104198636205, rel=1e-12)
    sk_eps = np.finfo(np.float64).eps
    assert losses.binary_crossentropy(y, p, eps=sk_eps) == pytest.approx(
        14.58532729379447, rel=1e-12
    )


def test_log_cosh_is_stable_for_huge_errors() -> None:
    # log cosh x → |x| - log 2 for large |x|; naive np.log(np.cosh(1e4)) overflows to inf.
    value = losses.log_cosh([1e4, -1e4], [0.0, 0.0])
    assert value == pytest.approx(1e4 - math.log(2.0), rel=1e-15)
    assert losses.log_cosh([0.3], [0.0]) == pytest.approx(math.log(math.cosh(0.3)), rel=1e-14)


def test_asymmetric_mse_weights_under_prediction() -> None:
    # e = y - ŷ = +1 (under-prediction) → 2·1; e = -1 → 1·1; mean 1.5 (seed's weights).
    assert losses.asymmetric_mse([1.0, 0.0], [0.0, 1.0]) == pytest.approx(1.5)
    assert losses.asymmetric_mse([1.0, 0.0], [0.0, 1.0], weight_under=1, weight_over=3) == 2.0


def test_pinball_needs_a_quantile_and_matches_hand_value() -> None:
    with pytest.raises(LossInputError, match="quantile"):
        losses.pinball([1.0], [0.0])
    # e = +2 → 0.9·2 = 1.8; e = -1 → 0.1·1 = 0.1; mean 0.95
    assert losses.pinball([2.0, 0.0], [0.0, 1.0], quantile=0.9) == pytest.approx(0.95)


def test_logits_equal_probabilities_through_sigmoid_and_softmax() -> None:
    z = np.array([-3.0, 0.5, 2.0, 8.0])
    y = np.array([0, 1, 1, 0])
    p = 1 / (1 + np.exp(-z))
    from_logits = losses.binary_crossentropy(y, z, logits=True)
    expected = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert from_logits == pytest.approx(expected, rel=1e-12)
    # no overflow / log(0) for huge scores (PyTorch BCEWithLogitsLoss behaviour)
    assert losses.binary_crossentropy([0], [800.0], logits=True) == pytest.approx(800.0)
    scores = np.array([[2.0, 1.0, -1.0], [0.0, 3.0, 0.5]])
    soft = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    assert losses.categorical_crossentropy([0, 2], scores, logits=True) == pytest.approx(
        losses.categorical_crossentropy([0, 2], soft), rel=1e-12
    )


def test_focal_conventions() -> None:
    y = np.array([1, 0, 1])
    p = np.array([0.9, 0.3, 0.2])
    # γ = 0 is cross-entropy
    assert losses.focal(y, p, gamma=0.0) == pytest.approx(losses.binary_crossentropy(y, p))
    # hand value, γ = 2: p_t = .9, .7, .2
    pt = np.array([0.9, 0.7, 0.2])
    expected = np.mean(-((1 - pt) ** 2) * np.log(pt))
    assert losses.focal(y, p) == pytest.approx(expected, rel=1e-12)
    # torchvision α-balancing: α for positives, 1 - α for negatives
    alpha_t = np.array([0.25, 0.75, 0.25])
    assert losses.focal(y, p, alpha=0.25) == pytest.approx(
        np.mean(alpha_t * -((1 - pt) ** 2) * np.log(pt))
    )


def test_weighted_bce_balanced_matches_torch_normalisation() -> None:
    # n = 4, n₀ = 3, n₁ = 1 → w₀ = 4/6, w₁ = 4/2. PyTorch CrossEntropyLoss(weight) mean:
    # Σ w_{yᵢ}ℓᵢ / Σ w_{yᵢ}.
    y = np.array([0, 0, 0, 1])
    p = np.array([0.2, 0.1, 0.4, 0.7])
    ell = -np.where(y == 1, np.log(p), np.log(1 - p))
    w = np.where(y == 1, 2.0, 4 / 6)
    expected = float((w * ell).sum() / w.sum())
    assert losses.weighted_binary_crossentropy(y, p) == pytest.approx(expected, rel=1e-12)
    assert losses.weighted_binary_crossentropy(y, p, class_weight={1: 2.0}) == pytest.approx(
        float((np.where(y == 1, 2.0, 1.0) * ell).sum() / np.where(y == 1, 2.0, 1.0).sum())
    )


def test_unnormalised_rows_warn_and_renormalize_divides() -> None:
    p = np.array([[0.5, 0.5, 0.5], [0.2, 0.3, 0.5]])
    with pytest.warns(LossWarning, match=r"1 rows .*first at index 0"):
        losses.categorical_crossentropy([0, 2], p)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = losses.categorical_crossentropy([0, 2], p, renormalize=True)
    assert value == pytest.approx(-(math.log(1 / 3) + math.log(0.5)) / 2)


def test_zero_one_threshold_and_argmax() -> None:
    # p > 0.5 predicts 1; 0.5 itself predicts 0
    assert losses.zero_one([1, 0, 1, 0], [0.9, 0.5, 0.5, 0.2]) == pytest.approx(0.25)
    assert losses.zero_one([0, 1], [[0.6, 0.4], [0.7, 0.3]]) == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: losses.mse([1, 2], [1]), "differ in length"),
        (lambda: losses.mse([], []), "empty input"),
        (lambda: losses.mse([1, np.nan, 3, np.inf], [1, 2, 3, 4]), "2 values .* first at index 1"),
        (lambda: losses.mse([1, 2], [1, np.inf]), "y_pred has 1 value .* index 1"),
        (
            lambda: losses.binary_crossentropy([0, 1], [0.5, 1.2]),
            r"outside \[0, 1\].*first at index 1",
        ),
        (
            lambda: losses.binary_crossentropy([0, 2, 1], [0.5, 0.5, 0.5]),
            "not 0 or 1; first at index 1",
        ),
        (
            lambda: losses.categorical_crossentropy([0, 3], [[0.5, 0.5], [0.5, 0.5]]),
            "class index 0..1; first at index 1",
        ),
        (lambda: losses.mse([1, 2], [1, 2], sample_weight=[1, -1]), "below 0; first at index 1"),
        (lambda: losses.mse([1, 2], [1, 2], sample_weight=[0, 0]), "sums to 0"),
        (lambda: losses.mape([1, 0, 2], [1, 1, 1]), "non-zero y_true; first violation at index 1"),
        (lambda: losses.msle([1, 2], [1, -2]), "y_pred ≥ 0"),
        (lambda: losses.poisson_deviance([1, 2], [1, 0]), "y_pred > 0"),
        (lambda: losses.r2([2, 2], [1, 3]), "constant"),
        (lambda: losses.huber([1], [1], delta=0), "delta"),
        (lambda: losses.mse(["a"], [1]), "numeric"),
    ],
)
def test_bad_input_names_problem_count_and_first_index(call, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(LossInputError, match=message):
        call()


def test_loss_input_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        losses.mse([1], [1, 2])


def test_registry_matches_catalogue_and_plain_functions() -> None:
    assert list(losses.REGISTRY) == [spec.id for spec in registry.REGISTRY.values()]
    for loss_id, spec in losses.REGISTRY.items():
        function = getattr(losses, loss_id)
        assert callable(function)
        assert function.__doc__ and "=" in function.__doc__, loss_id
        assert spec.tasks and spec.formula and spec.use_when
    assert losses.REGISTRY["r2"].greater_is_better
    assert not losses.REGISTRY["mse"].greater_is_better


@pytest.mark.parametrize(
    ("alias", "loss_id"),
    [
        ("bce", "binary_crossentropy"),
        ("LOG_LOSS", "binary_crossentropy"),
        ("cce", "categorical_crossentropy"),
        ("log-cosh", "log_cosh"),
    ],
)
def test_aliases_resolve(alias: str, loss_id: str) -> None:
    assert losses.get_spec(alias).id == loss_id


def test_unknown_loss_lists_valid_ids() -> None:
    with pytest.raises(LossInputError, match="valid ids: mse, rmse"):
        losses.get_spec("nope")


def test_spec_check_gives_reason_when_loss_does_not_apply() -> None:
    batch = losses.Batch("regression", [0.0, 1.0], [-1.0, 1.0])
    assert "msle" in (losses.REGISTRY["msle"].check(batch) or "")
    assert "mape" in (losses.REGISTRY["mape"].check(batch) or "")
    assert losses.REGISTRY["mse"].check(batch) is None


def test_unknown_parameter_is_an_error() -> None:
    with pytest.raises(LossInputError, match="no parameter"):
        losses.REGISTRY["mse"].make(delta=2.0)
