"""The loss catalogue: what each loss is called, what it is for, its formula.

Pure data, stdlib only. It lives apart from :mod:`losscli.losses` (which needs
numpy) so that ``losscli recommend`` and ``losscli --help`` can name and describe
losses without importing numpy: start-up time matters in shell pipelines.
:mod:`losscli.losses` joins each entry with its accumulator and applicability
check to form the full registry of ``LossSpec``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

REGRESSION = "regression"
BINARY = "binary"
MULTICLASS = "multiclass"
TASKS: tuple[str, ...] = (REGRESSION, BINARY, MULTICLASS)

ParamValue = float | str | None


@dataclass(frozen=True)
class LossInfo:
    """Static description of one loss."""

    id: str
    name: str
    tasks: tuple[str, ...]
    formula: str
    use_when: str
    aliases: tuple[str, ...] = ()
    params: dict[str, ParamValue] = field(default_factory=dict)
    greater_is_better: bool = False
    #: reported only when asked for (pinball needs a quantile), except on label
    #: predictions when ``on_labels`` (balanced_zero_one)
    on_request: bool = False
    #: computed from predicted labels too (a hard-label prediction column)
    on_labels: bool = False
    #: how it relates to other libraries' definitions, where it is not obvious
    convention: str = ""


CATALOG: tuple[LossInfo, ...] = (
    LossInfo(
        "mse",
        "Mean squared error",
        (REGRESSION,),
        "mean (y - ŷ)²",
        "the default for regression; penalises large errors more, sensitive to outliers",
        aliases=("mean_squared_error", "l2"),
    ),
    LossInfo(
        "rmse",
        "Root mean squared error",
        (REGRESSION,),
        "√(mean (y - ŷ)²)",
        "MSE in the units of the target",
        aliases=("root_mean_squared_error",),
    ),
    LossInfo(
        "mae",
        "Mean absolute error",
        (REGRESSION,),
        "mean |y - ŷ|",
        "outliers should not dominate; all errors weigh the same",
        aliases=("mean_absolute_error", "l1"),
    ),
    LossInfo(
        "huber",
        "Huber loss",
        (REGRESSION,),
        "½e² if |e| ≤ δ else δ(|e| - ½δ), e = y - ŷ",
        "robust to outliers yet smooth: MSE for small errors, MAE for large ones",
        aliases=("smooth_l1",),
        params={"delta": 1.0},
    ),
    LossInfo(
        "log_cosh",
        "Log-cosh loss",
        (REGRESSION,),
        "mean log cosh(y - ŷ)",
        "like Huber without a δ to tune; smooth everywhere",
        aliases=("logcosh",),
    ),
    LossInfo(
        "asymmetric_mse",
        "Asymmetric squared error",
        (REGRESSION,),
        "w_under·e² if e > 0 else w_over·e², e = y - ŷ",
        "one kind of error costs more (e.g. under-stocking inventory)",
        aliases=("asymmetric",),
        params={"weight_under": 2.0, "weight_over": 1.0},
    ),
    LossInfo(
        "pinball",
        "Pinball (quantile) loss",
        (REGRESSION,),
        "α·max(e, 0) + (1 - α)·max(-e, 0), e = y - ŷ",
        "the prediction is a quantile α of the target",
        aliases=("quantile", "mean_pinball_loss"),
        params={"quantile": None},
        on_request=True,
    ),
    LossInfo(
        "mape",
        "Mean absolute percentage error",
        (REGRESSION,),
        "mean |y - ŷ| / |y|  (a fraction, not %)",
        "relative error matters and no target is zero",
        aliases=("mean_absolute_percentage_error",),
    ),
    LossInfo(
        "msle",
        "Mean squared logarithmic error",
        (REGRESSION,),
        "mean (log(1 + y) - log(1 + ŷ))²",
        "non-negative targets spanning orders of magnitude",
        aliases=("mean_squared_log_error",),
    ),
    LossInfo(
        "poisson_deviance",
        "Mean Poisson deviance",
        (REGRESSION,),
        "mean 2(y log(y/ŷ) - y + ŷ)",
        "non-negative counts predicted as positive rates",
        aliases=("poisson", "mean_poisson_deviance"),
    ),
    LossInfo(
        "r2",
        "Coefficient of determination",
        (REGRESSION,),
        "1 - Σw(y - ŷ)² / Σw(y - ȳ_w)²",
        "share of the target's variance explained (higher is better)",
        aliases=("r_squared", "r2_score"),
        greater_is_better=True,
    ),
    LossInfo(
        "binary_crossentropy",
        "Binary cross-entropy",
        (BINARY,),
        "-[y log p + (1 - y) log(1 - p)], p clipped to [ε, 1 - ε]",
        "the default for binary classification; punishes confident wrong predictions",
        aliases=("bce", "log_loss", "logloss"),
        params={"eps": 1e-7},
    ),
    LossInfo(
        "weighted_binary_crossentropy",
        "Weighted binary cross-entropy",
        (BINARY,),
        "Σ w_{yᵢ}·bceᵢ / Σ w_{yᵢ}, balanced w_c = n / (2·n_c)",
        "imbalanced classes: the rare class counts as much as the common one",
        aliases=("wbce", "weighted_bce"),
        params={"class_weight": "balanced", "eps": 1e-7},
    ),
    LossInfo(
        "categorical_crossentropy",
        "Categorical cross-entropy",
        (MULTICLASS,),
        "-log P[i, yᵢ], clipped to [ε, 1]",
        "the default for multi-class classification with softmax outputs",
        aliases=("cce", "multiclass_log_loss", "sparse_categorical_crossentropy"),
        params={"eps": 1e-7},
    ),
    LossInfo(
        "weighted_categorical_crossentropy",
        "Weighted categorical cross-entropy",
        (MULTICLASS,),
        "Σ w_{yᵢ}·cceᵢ / Σ w_{yᵢ}, balanced w_c = n / (K·n_c)",
        "imbalanced classes in a multi-class problem",
        aliases=("wcce", "weighted_cce"),
        params={"class_weight": "balanced", "eps": 1e-7},
    ),
    LossInfo(
        "focal",
        "Focal loss",
        (BINARY, MULTICLASS),
        "-α_t (1 - p_t)^γ log p_t",
        "many easy examples drown the hard ones (dense detection, heavy imbalance)",
        aliases=("focal_loss",),
        params={"gamma": 2.0, "alpha": None, "eps": 1e-7},
    ),
    LossInfo(
        "brier",
        "Brier score",
        (BINARY, MULTICLASS),
        "mean Σ_k (p_k - 1[y = k])²  (binary: mean (p - y)²)",
        "calibration of the probabilities matters",
        aliases=("brier_score",),
    ),
    LossInfo(
        "zero_one",
        "Zero-one loss (error rate)",
        (BINARY, MULTICLASS),
        "mean 1[argmax ≠ y]  (binary: p > 0.5 predicts 1)",
        "only the hard decision counts",
        aliases=("error_rate", "zero_one_loss"),
        on_labels=True,
        convention="= sklearn zero_one_loss; 1 - Keras accuracy",
    ),
    LossInfo(
        "balanced_zero_one",
        "Balanced error rate",
        (BINARY, MULTICLASS),
        "mean over classes c of the truth of Σ_{y=c} w·1[ŷ ≠ c] / Σ_{y=c} w",
        "imbalanced classes and only the hard decision counts (labels, no probabilities)",
        aliases=("balanced_error_rate", "ber", "balanced_zero_one_loss"),
        # by default on label predictions; on probabilities weighted cross-entropy is
        # the imbalance loss, and this one is computed when asked for
        on_request=True,
        on_labels=True,
        convention=(
            "= sklearn 1 - balanced_accuracy_score (weighted recalls; classes absent "
            "from the truth are left out)"
        ),
    ),
)

BY_ID: dict[str, LossInfo] = {info.id: info for info in CATALOG}

_LOOKUP: dict[str, str] = {}
for _info in CATALOG:
    for _name in (_info.id, *_info.aliases):
        _LOOKUP[_name.lower().replace("-", "_")] = _info.id


def resolve(name: str) -> str | None:
    """Map a loss id or alias (any case, ``-`` or ``_``) to its id, or ``None``."""
    return _LOOKUP.get(name.strip().lower().replace("-", "_"))


def for_labels(task: str) -> tuple[LossInfo, ...]:
    """Losses of ``task`` that a label prediction (no probabilities) gives."""
    return tuple(info for info in for_task(task) if info.on_labels)


def for_task(task: str) -> tuple[LossInfo, ...]:
    """Losses that apply to ``task``, in catalogue order."""
    return tuple(info for info in CATALOG if task in info.tasks)
