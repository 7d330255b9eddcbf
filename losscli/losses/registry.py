"""The registry: one :class:`LossSpec` per loss, its parameter schema, importable without numpy.

A spec holds everything about a loss that is not arithmetic: its id, name, aliases,
tasks, formula, when to use it, how it relates to other libraries, the parameters it
takes (names in :data:`PARAMS`, the one schema of each parameter: type, default,
range, CLI flag, symbol, help) and the path of its factory
(``"losscli.losses.factories:huber"``), imported on the first :meth:`LossSpec.make`.
Stdlib only, so that ``losscli recommend``, ``losscli losses``, ``--help`` and the
error paths name and describe losses without loading numpy.

Adding a loss is one :class:`LossSpec` here (or :func:`register` at run time) plus its
factory; adding a parameter is one :class:`Param` in :data:`PARAMS` named in the
spec's ``takes`` (CONTRIBUTING.md has the recipe).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from losscli.errors import LossCliError, LossInputError
from losscli.ieee import ieee_results
from losscli.tasks import BINARY, MULTICLASS, REGRESSION, TASKS

if TYPE_CHECKING:
    from losscli.losses.accumulators import Accumulator
    from losscli.losses.batch import Batch

__all__ = [
    "BINARY",
    "DEFAULT_EPS",
    "MULTICLASS",
    "PARAMS",
    "REGISTRY",
    "REGRESSION",
    "TASKS",
    "LossSpec",
    "Param",
    "ParamValue",
    "cli_params",
    "find",
    "for_labels",
    "for_task",
    "get_spec",
    "register",
    "registered",
    "result_key",
    "split_key",
    "symbol",
    "unregister",
    "valid_ids",
]

ParamValue = float | str | None
DEFAULT_EPS = 1e-7
#: the module of the built-in factories
FACTORIES = "losscli.losses.factories"


@dataclass(frozen=True)
class Param:
    """The schema of one loss parameter, shared by every loss that takes it.

    ``type``: ``"float"`` or ``"class_weight"`` (``balanced`` or a mapping class →
    weight); ``range``: the accepted values, as the help and the docs write them (the
    factory enforces it); ``flag``: the ``evaluate`` option (``None``: library only);
    ``symbol``: how reports write it (``δ=1``); ``metavar``: the option's value name;
    ``repeatable``: the option may be given several times (one loss per value).
    """

    name: str
    type: str
    default: ParamValue
    range: str
    flag: str | None
    symbol: str
    help: str
    metavar: str = "X"
    repeatable: bool = False

    @property
    def keyword(self) -> str:
        """Its keyword in :class:`~losscli.evaluate.LossParams` and ``evaluate_frame``:
        the name, plural when repeatable (``quantiles``: one loss per value)."""
        return f"{self.name}s" if self.repeatable else self.name


#: every loss parameter, by name; the ones with a ``flag`` are, in this order, the loss
#: options of ``losscli evaluate``, the keywords of :class:`~losscli.evaluate.LossParams`
#: and of ``evaluate_frame``, and (by ``symbol``) the parameters line of its reports
PARAMS: dict[str, Param] = {
    p.name: p
    for p in (
        Param("delta", "float", 1.0, "> 0", "--delta", "δ", "Huber δ (default 1).", "δ"),
        Param(
            "beta",
            "float",
            1.0,
            "≥ 0",
            "--beta",
            "β",
            "smooth_l1 β, as PyTorch's SmoothL1Loss (default 1; 0 is the MAE).",
            "β",
        ),
        Param(
            "quantile",
            "float",
            None,
            "(0, 1)",
            "--quantile",
            "quantile",
            "Pinball-loss quantile in (0, 1) (repeatable).",
            "Q",
            repeatable=True,
        ),
        Param(
            "weight_under",
            "float",
            2.0,
            "≥ 0",
            "--weight-under",
            "weight_under",
            "asymmetric_mse weight of under-predictions (default 2).",
            "W",
        ),
        Param(
            "weight_over",
            "float",
            1.0,
            "≥ 0",
            "--weight-over",
            "weight_over",
            "asymmetric_mse weight of over-predictions (default 1).",
            "W",
        ),
        Param("gamma", "float", 2.0, "≥ 0", "--gamma", "γ", "Focal-loss γ (default 2).", "γ"),
        Param(
            "class_weight",
            "class_weight",
            "balanced",
            "balanced or class → weight ≥ 0",
            "--class-weight",
            "class_weight",
            "Weighted cross-entropy class weights: balanced (default) or LABEL=W,LABEL=W.",
            "SPEC",
        ),
        Param(
            "eps",
            "float",
            DEFAULT_EPS,
            "[2^-53, 0.5)",
            "--eps",
            "ε",
            "Probability clipping ε for cross-entropy losses (default 1e-7).",
            "ε",
        ),
        Param(
            "alpha",
            "float",
            None,
            "[0, 1]",
            None,
            "alpha",
            "Focal-loss α-balancing (off by default).",
        ),
    )
}


def cli_params() -> dict[str, Param]:
    """The parameters that are ``evaluate`` options (a ``flag``), by :attr:`Param.keyword`,
    in :data:`PARAMS` order (parameters registered at run time included)."""
    return {p.keyword: p for p in PARAMS.values() if p.flag is not None}


def symbol(name: str) -> str:
    """How reports write parameter ``name`` (``δ``); a name outside :data:`PARAMS`
    (``logits``, ``positive``) as itself."""
    param = PARAMS.get(name)
    return name if param is None else param.symbol


@dataclass(frozen=True)
class LossSpec:
    """A registered loss: its catalogue entry, parameters and factory.

    ``takes``: the names of its parameters in :data:`PARAMS`; ``on_request``: reported
    only when asked for (pinball needs a quantile), except on label predictions when
    ``on_labels`` (balanced_zero_one); ``on_labels``: computed from predicted labels
    too; ``per_class``: its factory takes ``n_classes``; ``convention``: how it relates
    to other libraries' definitions, where that is not obvious; ``factory``:
    ``"module:function"`` (default: the function named like the id in
    :mod:`losscli.losses.factories`) or, for a loss registered at run time, the
    function itself.
    """

    id: str
    name: str
    tasks: tuple[str, ...]
    formula: str
    use_when: str
    aliases: tuple[str, ...] = ()
    takes: tuple[str, ...] = ()
    greater_is_better: bool = False
    on_request: bool = False
    on_labels: bool = False
    per_class: bool = False
    convention: str = ""
    factory: str | Callable[..., Any] = ""

    @property
    def params(self) -> dict[str, ParamValue]:
        """Each parameter's default, by name, in the order of ``takes``."""
        return {name: PARAMS[name].default for name in self.takes}

    @property
    def schema(self) -> tuple[Param, ...]:
        """The :class:`Param` of each parameter it takes."""
        return tuple(PARAMS[name] for name in self.takes)

    def make(self, *, n_classes: int = 2, **params: Any) -> Accumulator:
        """A fresh accumulator; ``params`` override the defaults, unknown names are an error.

        ``n_classes`` is used by the per-class losses only.
        """
        unknown = set(params) - set(self.takes)
        if unknown:
            raise LossInputError(
                f"{self.id} has no parameter {', '.join(sorted(unknown))}; "
                f"its parameters are: {', '.join(self.takes) or 'none'}"
            )
        values = {**self.params, **params}
        if self.per_class:
            values["n_classes"] = n_classes
        factory = self.factory or f"{FACTORIES}:{self.id}"
        if isinstance(factory, str):
            module, _, name = factory.partition(":")
            factory = getattr(importlib.import_module(module), name)
        acc: Accumulator = factory(**values)
        return acc

    @ieee_results
    def check(self, batch: Batch) -> str | None:
        """Why this loss does not apply to ``batch``, or ``None``: the loss's own
        data requirement (mape: no zero truth, msle: no negatives, ...)."""
        # pinball has no default quantile; a median is enough to check applicability.
        extra = {"quantile": 0.5} if "quantile" in self.takes else {}
        acc = self.make(n_classes=batch.n_classes or 2, **extra)
        acc.update(batch)
        return acc.skip_reason()


def _class_weighted(
    base: LossSpec, short: str, k: str, use_when: str, aliases: tuple[str, ...]
) -> LossSpec:
    """The class-weighted version of a cross-entropy ``base``: Σ w_{yᵢ}·ℓᵢ / Σ w_{yᵢ}
    with balanced w_c = n / (k·n_c), per-class state, a ``class_weight`` parameter."""
    return LossSpec(
        f"weighted_{base.id}",
        f"Weighted {base.name.lower()}",
        base.tasks,
        f"Σ w_{{yᵢ}}·{short}ᵢ / Σ w_{{yᵢ}}, balanced w_c = n / ({k}·n_c)",
        use_when,
        aliases=aliases,
        takes=("class_weight", *base.takes),
        per_class=True,
        factory=f"{FACTORIES}:weighted_crossentropy",
    )


_BCE = LossSpec(
    "binary_crossentropy",
    "Binary cross-entropy",
    (BINARY,),
    "-[y log p + (1 - y) log(1 - p)], p clipped to [ε, 1 - ε]",
    "the default for binary classification; punishes confident wrong predictions",
    aliases=("bce", "log_loss", "logloss"),
    takes=("eps",),
    factory=f"{FACTORIES}:crossentropy",
)
_CCE = LossSpec(
    "categorical_crossentropy",
    "Categorical cross-entropy",
    (MULTICLASS,),
    "-log P[i, yᵢ], clipped to [ε, 1]",
    "the default for multi-class classification with softmax outputs",
    aliases=("cce", "multiclass_log_loss", "sparse_categorical_crossentropy"),
    takes=("eps",),
    factory=f"{FACTORIES}:crossentropy",
)

_BUILT_IN: tuple[LossSpec, ...] = (
    LossSpec(
        "mse",
        "Mean squared error",
        (REGRESSION,),
        "mean (y - ŷ)²",
        "the default for regression; penalises large errors more, sensitive to outliers",
        aliases=("mean_squared_error", "l2"),
    ),
    LossSpec(
        "rmse",
        "Root mean squared error",
        (REGRESSION,),
        "√(mean (y - ŷ)²)",
        "MSE in the units of the target",
        aliases=("root_mean_squared_error",),
    ),
    LossSpec(
        "mae",
        "Mean absolute error",
        (REGRESSION,),
        "mean |y - ŷ|",
        "outliers should not dominate; all errors weigh the same",
        aliases=("mean_absolute_error", "l1"),
    ),
    LossSpec(
        "huber",
        "Huber loss",
        (REGRESSION,),
        "½e² if |e| ≤ δ else δ(|e| - ½δ), e = y - ŷ",
        "robust to outliers yet smooth: MSE for small errors, MAE for large ones",
        takes=("delta",),
    ),
    LossSpec(
        "smooth_l1",
        "Smooth L1 loss",
        (REGRESSION,),
        "½e²/β if |e| < β else |e| - ½β, e = y - ŷ",
        "Huber scaled to slope 1 (PyTorch's SmoothL1Loss); β = 0 is the MAE",
        aliases=("smoothl1", "smooth_l1_loss"),
        takes=("beta",),
        on_request=True,
        convention="= PyTorch SmoothL1Loss(beta); = huber(δ=β) / β",
    ),
    LossSpec(
        "log_cosh",
        "Log-cosh loss",
        (REGRESSION,),
        "mean log cosh(y - ŷ)",
        "like Huber without a δ to tune; smooth everywhere",
        aliases=("logcosh",),
    ),
    LossSpec(
        "asymmetric_mse",
        "Asymmetric squared error",
        (REGRESSION,),
        "w_under·e² if e > 0 else w_over·e², e = y - ŷ",
        "one kind of error costs more (e.g. under-stocking inventory)",
        aliases=("asymmetric",),
        takes=("weight_under", "weight_over"),
    ),
    LossSpec(
        "pinball",
        "Pinball (quantile) loss",
        (REGRESSION,),
        "α·max(e, 0) + (1 - α)·max(-e, 0), e = y - ŷ",
        "the prediction is a quantile α of the target",
        aliases=("quantile", "mean_pinball_loss"),
        takes=("quantile",),
        on_request=True,
    ),
    LossSpec(
        "mape",
        "Mean absolute percentage error",
        (REGRESSION,),
        "mean |y - ŷ| / |y|  (a fraction, not %)",
        "relative error matters and no target is zero",
        aliases=("mean_absolute_percentage_error",),
    ),
    LossSpec(
        "msle",
        "Mean squared logarithmic error",
        (REGRESSION,),
        "mean (log(1 + y) - log(1 + ŷ))²",
        "non-negative targets spanning orders of magnitude",
        aliases=("mean_squared_log_error",),
    ),
    LossSpec(
        "poisson_deviance",
        "Mean Poisson deviance",
        (REGRESSION,),
        "mean 2(y log(y/ŷ) - y + ŷ)",
        "non-negative counts predicted as positive rates",
        aliases=("poisson", "mean_poisson_deviance"),
    ),
    LossSpec(
        "r2",
        "Coefficient of determination",
        (REGRESSION,),
        "1 - Σw(y - ŷ)² / Σw(y - ȳ_w)²",
        "share of the target's variance explained (higher is better)",
        aliases=("r_squared", "r2_score"),
        greater_is_better=True,
    ),
    _BCE,
    _class_weighted(
        _BCE,
        "bce",
        "2",
        "imbalanced classes: the rare class counts as much as the common one",
        ("wbce", "weighted_bce"),
    ),
    _CCE,
    _class_weighted(
        _CCE, "cce", "K", "imbalanced classes in a multi-class problem", ("wcce", "weighted_cce")
    ),
    LossSpec(
        "focal",
        "Focal loss",
        (BINARY, MULTICLASS),
        "-α_t (1 - p_t)^γ log p_t",
        "many easy examples drown the hard ones (dense detection, heavy imbalance)",
        aliases=("focal_loss",),
        takes=("gamma", "alpha", "eps"),
    ),
    LossSpec(
        "brier",
        "Brier score",
        (BINARY, MULTICLASS),
        "mean Σ_k (p_k - 1[y = k])²  (binary: mean (p - y)²)",
        "calibration of the probabilities matters",
        aliases=("brier_score",),
    ),
    LossSpec(
        "zero_one",
        "Zero-one loss (error rate)",
        (BINARY, MULTICLASS),
        "mean 1[argmax ≠ y]  (binary: p > 0.5 predicts 1)",
        "only the hard decision counts",
        aliases=("error_rate", "zero_one_loss"),
        on_labels=True,
        convention="= sklearn zero_one_loss; 1 - Keras accuracy",
    ),
    LossSpec(
        "balanced_zero_one",
        "Balanced error rate",
        (BINARY, MULTICLASS),
        "mean over classes c of the truth of Σ_{y=c} w·1[ŷ ≠ c] / Σ_{y=c} w",
        "imbalanced classes and only the hard decision counts (labels, no probabilities)",
        aliases=("balanced_error_rate", "ber", "balanced_zero_one_loss"),
        # by default on label predictions; on probabilities weighted cross-entropy is
        # the imbalance loss, and this one is computed when asked for
        per_class=True,
        on_request=True,
        on_labels=True,
        convention=(
            "= sklearn 1 - balanced_accuracy_score (weighted recalls; classes absent "
            "from the truth are left out)"
        ),
    ),
)


#: loss id → spec, in catalogue order (losses registered at run time at the end): the
#: one collection of losses; look a name up with :func:`find` / :func:`get_spec`
REGISTRY: dict[str, LossSpec] = {}
#: every id and alias (normalised by ``_key``) → its loss id
_LOOKUP: dict[str, str] = {}


def _key(name: str) -> str:
    return name.strip().lower().replace("-", "_")


def _check_new(params: tuple[Param, ...]) -> None:
    """New parameters need a new name, and a flag and keyword no other one has."""
    clash = [p.name for p in params if p.name in PARAMS]
    if clash:
        raise ValueError(f"parameter already registered: {', '.join(clash)}")
    used = {q.flag for q in PARAMS.values() if q.flag} | {q.keyword for q in PARAMS.values()}
    clash = [p.name for p in params if p.flag in used or p.keyword in used]
    if clash:
        raise ValueError(f"parameter flag or keyword already taken: {', '.join(clash)}")


def register(spec: LossSpec, *params: Param) -> LossSpec:
    """Add a loss to the registry: it is then listed by ``losscli losses``, computed by
    ``evaluate`` (unless ``on_request``) and covered by the registry-driven tests.
    Its id and aliases must be new; ``params`` are new parameters it takes (added to
    :data:`PARAMS`), the others must be there already."""
    names = [_key(n) for n in (spec.id, *spec.aliases)]
    taken = [n for n in names if n in _LOOKUP]
    if taken:
        raise ValueError(f"loss name already registered: {', '.join(taken)}")
    _check_new(params)
    unknown = [p for p in spec.takes if p not in PARAMS and p not in {q.name for q in params}]
    if unknown:
        raise ValueError(f"{spec.id}: unknown parameter {', '.join(unknown)} (add it to PARAMS)")
    PARAMS.update({p.name: p for p in params})
    REGISTRY[spec.id] = spec
    _LOOKUP.update(dict.fromkeys(names, spec.id))
    return spec


def unregister(loss_id: str) -> None:
    """Remove a loss registered with :func:`register`, and the parameters no other
    loss takes that were registered with it."""
    spec = REGISTRY.pop(loss_id)
    for name in (spec.id, *spec.aliases):
        _LOOKUP.pop(_key(name), None)
    for name in set(spec.takes) - set(_BUILT_IN_PARAMS):
        if not any(name in other.takes for other in REGISTRY.values()):
            PARAMS.pop(name, None)


@contextmanager
def registered(spec: LossSpec, *params: Param) -> Iterator[LossSpec]:
    """``spec`` (with its new ``params``) registered for a ``with`` block (tests, plugins)."""
    register(spec, *params)
    try:
        yield spec
    finally:
        unregister(spec.id)


_BUILT_IN_PARAMS = tuple(PARAMS)
for _spec in _BUILT_IN:
    register(_spec)


def result_key(loss_id: str, quantile: float | None = None) -> str:
    """The key a loss's results are reported under (in reports, gates, comparisons):
    its id, or ``id@Q`` for a loss evaluated at quantile Q (``pinball@0.9``, ``{Q:g}``).
    The one place the key format is written; :func:`split_key` reads it."""
    return loss_id if quantile is None else f"{loss_id}@{quantile:g}"


def split_key(key: str) -> tuple[str, str]:
    """A result key (or a loss as a ``--fail-if`` gate writes it) → (the loss's id or
    alias, the quantile's text after ``@``, ``""`` without): ``pinball@0.9`` →
    ``("pinball", "0.9")``."""
    name, _, quantile = key.partition("@")
    return name, quantile


def find(name: str) -> LossSpec | None:
    """The spec of a loss id or alias (any case, ``-`` or ``_``), or ``None``: the one
    lookup of a loss by name (:func:`get_spec` when an unknown name is an error)."""
    loss_id = _LOOKUP.get(_key(name))
    return None if loss_id is None else REGISTRY[loss_id]


def get_spec(name: str, error: type[LossCliError] = LossInputError) -> LossSpec:
    """The spec of a loss id or alias; ``error`` (LossInputError, or the caller's
    UsageError for an option) listing the valid ids when ``name`` is unknown."""
    spec = find(name)
    if spec is None:
        raise error(f"unknown loss {name!r}; valid ids: {valid_ids()}")
    return spec


def valid_ids() -> str:
    """The registered ids as an error message lists them (``mse, rmse, …``)."""
    return ", ".join(REGISTRY)


def for_labels(task: str) -> tuple[LossSpec, ...]:
    """Losses of ``task`` that a label prediction (no probabilities) gives."""
    return tuple(spec for spec in for_task(task) if spec.on_labels)


def for_task(task: str) -> tuple[LossSpec, ...]:
    """Losses that apply to ``task``, in catalogue order."""
    return tuple(spec for spec in REGISTRY.values() if task in spec.tasks)
