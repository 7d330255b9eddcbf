"""The public functions: ``mse(y_true, y_pred, *, sample_weight=None, **params) -> float``, ….

For Python users who want one number. Each function validates its arrays
(:func:`~losscli.losses.validate.check_targets`), builds one
:class:`~losscli.losses.batch.Batch` and the loss's accumulator from the registry,
and returns ``result()``; the docstrings carry the formula and how it relates to
scikit-learn, PyTorch and Keras.

Every loss here is a pointwise term ℓ(y, ŷ) and one reduction, the weighted mean
L = Σ wᵢ ℓᵢ / Σ wᵢ (w = sample weights, default 1), except r2 and the class-weighted
losses (see :mod:`losscli.losses.accumulators`). Conventions: ``e = y - ŷ`` (truth
minus prediction); binary ``y_true`` is 0/1 and ``y_pred`` is P(y = 1) (a raw score
with ``logits=True``); multiclass ``y_true`` is the class index and ``y_pred`` n × K;
probabilities are clipped to ``[ε, 1 - ε]`` (``[ε, 1]`` for categorical cross-entropy)
with ``ε = 1e-7``, the seed text's and Keras's value. scikit-learn clips with float64
machine epsilon (``eps=2.220446049250313e-16`` reproduces it); PyTorch's ``BCELoss``
clamps ``log`` at -100 instead. With ``logits=True`` nothing is clipped.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from losscli.errors import LossInputError, LossWarning
from losscli.ieee import ieee_results
from losscli.losses.batch import Batch
from losscli.losses.registry import DEFAULT_EPS, get_spec
from losscli.losses.validate import ROW_SUM_TOLERANCE, ArrayLike
from losscli.tasks import BINARY, MULTICLASS, REGRESSION


@ieee_results
def _compute(
    loss_id: str,
    y_true: ArrayLike,
    y_pred: ArrayLike,
    sample_weight: ArrayLike | None,
    params: dict[str, Any],
) -> float:
    spec = get_spec(loss_id)
    logits = bool(params.pop("logits", False))
    renormalize = bool(params.pop("renormalize", False))
    if spec.tasks == (REGRESSION,):
        task = REGRESSION
        if logits:
            raise LossInputError(f"{loss_id} is a regression loss: logits does not apply")
    elif spec.tasks == (BINARY,):
        task = BINARY
    elif spec.tasks == (MULTICLASS,):
        task = MULTICLASS
    else:
        task = MULTICLASS if np.ndim(y_pred) == 2 else BINARY
    if task == MULTICLASS and loss_id == "focal" and params.get("alpha") is not None:
        raise LossInputError("alpha applies to the binary focal loss only")
    batch = Batch(task, y_true, y_pred, sample_weight, logits=logits, renormalize=renormalize)
    if batch.unnormalized_rows and not renormalize:
        warnings.warn(
            f"{batch.unnormalized_rows} rows of y_pred do not sum to 1 within "
            f"{ROW_SUM_TOLERANCE:g} (first at index {batch.first_unnormalized}); "
            "pass renormalize=True to divide each row by its sum",
            LossWarning,
            stacklevel=3,
        )
    acc = spec.make(n_classes=batch.n_classes or 2, **params)
    acc.update(batch)
    return acc.result()


def mse(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None) -> float:
    """Mean squared error: Σ wᵢ (yᵢ - ŷᵢ)² / Σ wᵢ.

    = sklearn ``mean_squared_error``, PyTorch ``MSELoss(reduction="mean")``,
    Keras ``MeanSquaredError``. Penalises large errors more; sensitive to outliers.
    """
    return _compute("mse", y_true, y_pred, sample_weight, {})


def rmse(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None) -> float:
    """Root mean squared error: √(Σ wᵢ (yᵢ - ŷᵢ)² / Σ wᵢ).

    = sklearn ``root_mean_squared_error``, Keras ``RootMeanSquaredError``; PyTorch
    has no module (``sqrt(MSELoss)``). The root of the whole mean, not a mean of roots.
    """
    return _compute("rmse", y_true, y_pred, sample_weight, {})


def mae(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None) -> float:
    """Mean absolute error: Σ wᵢ |yᵢ - ŷᵢ| / Σ wᵢ.

    = sklearn ``mean_absolute_error``, PyTorch ``L1Loss``, Keras ``MeanAbsoluteError``.
    """
    return _compute("mae", y_true, y_pred, sample_weight, {})


def huber(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    delta: float = 1.0,
) -> float:
    """Huber loss: ℓ = ½e² if |e| ≤ δ else δ(|e| - ½δ), e = y - ŷ; weighted mean.

    = PyTorch ``HuberLoss(delta)`` and Keras ``Huber(delta)``. PyTorch's
    ``SmoothL1Loss(beta)`` equals ``HuberLoss / beta`` (:func:`smooth_l1`); sklearn
    has no Huber metric (``HuberRegressor`` is a model, with a scaled variant).
    """
    return _compute("huber", y_true, y_pred, sample_weight, {"delta": delta})


def smooth_l1(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    beta: float = 1.0,
) -> float:
    """Smooth L1 loss: ℓ = ½e²/β if |e| < β else |e| - ½β, e = y - ŷ; weighted mean.

    = PyTorch ``SmoothL1Loss(beta)`` (default β = 1; β = 0 is ``L1Loss``), which is
    ``HuberLoss(delta=beta) / beta``: the same as :func:`huber` at β = δ = 1 only.
    Its slope above β is 1 whatever β (Huber's is δ). Keras and sklearn have none.
    """
    return _compute("smooth_l1", y_true, y_pred, sample_weight, {"beta": beta})


def log_cosh(
    y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None
) -> float:
    """Log-cosh loss: ℓ = log cosh(y - ŷ), computed as |e| + log1p(e^(-2|e|)) - log 2
    so that |e| = 1e4 does not overflow; weighted mean. = Keras ``LogCosh``."""
    return _compute("log_cosh", y_true, y_pred, sample_weight, {})


def asymmetric_mse(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    weight_under: float = 2.0,
    weight_over: float = 1.0,
) -> float:
    """Asymmetric squared error: ℓ = weight_under·e² if e > 0 (under-prediction)
    else weight_over·e², e = y - ŷ; weighted mean. The seed text's custom loss
    (inventory: under-stocking costs more). No sklearn / PyTorch / Keras equivalent."""
    return _compute(
        "asymmetric_mse",
        y_true,
        y_pred,
        sample_weight,
        {"weight_under": weight_under, "weight_over": weight_over},
    )


def pinball(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    quantile: float | None = None,
) -> float:
    """Pinball (quantile) loss: ℓ = α·max(e, 0) + (1 - α)·max(-e, 0), e = y - ŷ,
    α = quantile; weighted mean. = sklearn ``mean_pinball_loss(alpha=α)``
    (α = 0.5 gives half the MAE). ``quantile`` is required."""
    return _compute("pinball", y_true, y_pred, sample_weight, {"quantile": quantile})


def mape(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None) -> float:
    """Mean absolute percentage error as a fraction: Σ wᵢ |eᵢ|/|yᵢ| / Σ wᵢ.

    = sklearn ``mean_absolute_percentage_error`` when no y is 0 (sklearn then
    divides by machine epsilon; losscli refuses instead, unless the row weighs 0). Keras's
    ``MeanAbsolutePercentageError`` is 100× this.
    """
    return _compute("mape", y_true, y_pred, sample_weight, {})


def msle(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None) -> float:
    """Mean squared log error: Σ wᵢ (log1p yᵢ - log1p ŷᵢ)² / Σ wᵢ; needs y, ŷ ≥ 0.

    = sklearn ``mean_squared_log_error``, Keras ``MeanSquaredLogarithmicError``.
    """
    return _compute("msle", y_true, y_pred, sample_weight, {})


def poisson_deviance(
    y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None
) -> float:
    """Mean Poisson deviance: Σ wᵢ 2(yᵢ log(yᵢ/ŷᵢ) - yᵢ + ŷᵢ) / Σ wᵢ, with
    y log(y/ŷ) = 0 at y = 0; needs y ≥ 0 and ŷ > 0.

    = sklearn ``mean_poisson_deviance``. PyTorch ``PoissonNLLLoss`` and Keras
    ``Poisson`` drop the terms that do not depend on ŷ, so they differ by a
    constant and a factor 2.
    """
    return _compute("poisson_deviance", y_true, y_pred, sample_weight, {})


def r2(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None) -> float:
    """Coefficient of determination: 1 - Σw(y - ŷ)² / Σw(y - ȳ_w)²; greater is better.

    = sklearn ``r2_score``, computed from mergeable sums. Constant truth raises
    (sklearn returns 1.0 or 0.0 there by convention).
    """
    return _compute("r2", y_true, y_pred, sample_weight, {})


def binary_crossentropy(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    eps: float = DEFAULT_EPS,
    logits: bool = False,
) -> float:
    """Binary cross-entropy: ℓ = -[y log p + (1 - y) log(1 - p)], p clipped to
    [ε, 1 - ε]; weighted mean. Aliases ``bce``, ``log_loss``.

    ε = 1e-7 is the seed text's and Keras's ``BinaryCrossentropy`` value;
    sklearn ``log_loss`` clips at float64 eps (pass ``eps=2.220446049250313e-16``);
    PyTorch ``BCELoss`` clamps each log at -100 instead. ``logits=True`` takes raw
    scores (= PyTorch ``BCEWithLogitsLoss``, Keras ``from_logits=True``), exact.
    """
    return _compute(
        "binary_crossentropy", y_true, y_pred, sample_weight, {"eps": eps, "logits": logits}
    )


def weighted_binary_crossentropy(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    class_weight: str | Mapping[int, float] = "balanced",
    eps: float = DEFAULT_EPS,
    logits: bool = False,
) -> float:
    """Class-weighted binary cross-entropy: Σ w_{yᵢ} sᵢ ℓᵢ / Σ w_{yᵢ} sᵢ, ℓ = BCE.

    ``class_weight="balanced"``: w_c = W / (2·W_c), W_c = Σ s over class c (= n_c
    without sample weights; sklearn ``compute_class_weight(..., sample_weight=s)``:
    a zero-weight row is the row removed); or a mapping {0: w₀, 1: w₁} (missing
    classes weigh 1). Normalised by the weights, like PyTorch
    ``CrossEntropyLoss(weight=w)`` with index targets and sklearn
    ``log_loss(sample_weight=w[y])``; Keras's ``class_weight`` in ``fit`` divides by
    n instead. s = sample weights, multiplied in.
    """
    return _compute(
        "weighted_binary_crossentropy",
        y_true,
        y_pred,
        sample_weight,
        {"class_weight": class_weight, "eps": eps, "logits": logits},
    )


def categorical_crossentropy(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    eps: float = DEFAULT_EPS,
    logits: bool = False,
    renormalize: bool = False,
) -> float:
    """Categorical cross-entropy: ℓᵢ = -log P[i, yᵢ], P clipped to [ε, 1]; weighted mean.

    ``y_true`` holds class indices (Keras ``SparseCategoricalCrossentropy``; the
    seed's one-hot form gives the same number). = sklearn ``log_loss`` on rows
    that sum to 1. Rows that do not sum to 1 within 1e-3 warn;
    ``renormalize=True`` divides each row by its sum (what Keras does).
    ``logits=True``: log-softmax, = PyTorch ``CrossEntropyLoss``.
    """
    return _compute(
        "categorical_crossentropy",
        y_true,
        y_pred,
        sample_weight,
        {"eps": eps, "logits": logits, "renormalize": renormalize},
    )


def weighted_categorical_crossentropy(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    class_weight: str | Mapping[int, float] = "balanced",
    eps: float = DEFAULT_EPS,
    logits: bool = False,
    renormalize: bool = False,
) -> float:
    """Class-weighted categorical cross-entropy: Σ w_{yᵢ} sᵢ ℓᵢ / Σ w_{yᵢ} sᵢ.

    Balanced w_c = W / (K·W_c) from the weighted class counts W_c = Σ_{y=c} sᵢ
    (sklearn ``compute_class_weight(..., sample_weight=s)``); = PyTorch
    ``CrossEntropyLoss(weight=w)`` (mean reduction divides by Σ w_{yᵢ}) and
    sklearn ``log_loss(sample_weight=w[y])``.
    """
    return _compute(
        "weighted_categorical_crossentropy",
        y_true,
        y_pred,
        sample_weight,
        {"class_weight": class_weight, "eps": eps, "logits": logits, "renormalize": renormalize},
    )


def focal(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    gamma: float = 2.0,
    alpha: float | None = None,
    eps: float = DEFAULT_EPS,
    logits: bool = False,
    renormalize: bool = False,
) -> float:
    """Focal loss: ℓ = -α_t (1 - p_t)^γ log p_t, p_t = probability of the true
    class (clipped as in cross-entropy); weighted mean. 1-D ``y_pred``: binary;
    n × K: multiclass (``renormalize=True`` divides each row by its sum, as for
    :func:`categorical_crossentropy`).

    α-balancing (α_t = α for y = 1, 1 - α for y = 0) only when ``alpha`` is
    given: the torchvision ``sigmoid_focal_loss`` convention (its default
    α = 0.25 is not applied silently). Keras ``BinaryFocalCrossentropy``
    defaults to ``apply_class_balancing=False`` too. γ = 0 is cross-entropy.
    1 - p_t is computed as -expm1(log p_t), so a confident right prediction
    (p_t near 1, e.g. a logit of 30) keeps all its digits.
    """
    return _compute(
        "focal",
        y_true,
        y_pred,
        sample_weight,
        {"gamma": gamma, "alpha": alpha, "eps": eps, "logits": logits, "renormalize": renormalize},
    )


def brier(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    logits: bool = False,
) -> float:
    """Brier score: binary mean (p - y)²; multiclass mean over rows of
    Σ_k (P_ik - 1[yᵢ = k])² (range [0, 2]). = sklearn ``brier_score_loss``
    (which scales the multiclass form by ½ only when ``scale_by_half=True``)."""
    return _compute("brier", y_true, y_pred, sample_weight, {"logits": logits})


def zero_one(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    logits: bool = False,
) -> float:
    """Zero-one loss (error rate): mean 1[predicted ≠ y]. Binary predicts 1 when
    p > 0.5 (score > 0 with logits); multiclass takes the argmax (first on ties).
    = sklearn ``zero_one_loss`` on the predicted labels; 1 - Keras accuracy."""
    return _compute("zero_one", y_true, y_pred, sample_weight, {"logits": logits})


def balanced_zero_one(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    logits: bool = False,
) -> float:
    """Balanced error rate: the mean over the classes c of the truth of
    Σ_{y=c} wᵢ·1[ŷᵢ ≠ c] / Σ_{y=c} wᵢ, ŷ decided as in :func:`zero_one`.
    = sklearn ``1 - balanced_accuracy_score`` on the predicted labels."""
    return _compute("balanced_zero_one", y_true, y_pred, sample_weight, {"logits": logits})
