"""``--convention losscli|sklearn|torch|keras``: each library's numbers, exactly, as data.

A loss value means nothing without its convention: where probabilities are clipped
(and at which ε), how weighted sums are reduced, percent or fraction, what happens at
p ∈ {0, 1}. :data:`PRESETS` says, for each library, how each loss of losscli is
computed there — the library's function, its term, its reduction — or why the library
has no counterpart (the loss is then skipped with that reason). ``losscli`` (the
default) is losscli's own convention and changes nothing: :func:`bind` returns the
registry's spec itself.

The reductions (s = sample weights, ℓ = the term, N = rows, w_c = class weights):

* ``weights``, Σ sℓ / Σ s: losscli; scikit-learn (``np.average``); Keras *metrics*
  (``R2Score``, ``RootMeanSquaredError``, the accuracies);
* ``rows``, Σ sℓ / N: Keras losses (``sum_over_batch_size``); PyTorch
  ``BCELoss(weight=s)`` and ``(loss(reduction="none") * s).mean()``;
* ``class``, Σ s w_y ℓ / Σ s w_y: losscli; scikit-learn
  ``log_loss(sample_weight=s·w[y])``; PyTorch ``CrossEntropyLoss(weight=w)`` (no s);
* ``class_rows``, Σ s w_y ℓ / N: Keras ``fit(class_weight=w)``; PyTorch
  ``BCELoss(weight=s·w[y])``.

Why a table and not a flag per loss: the presets are what a reader checks against the
libraries' sources, so they sit together, one line per (library, loss), each naming
the library's function. The variants of the accumulators live here too (a mean over
rows, R² with a value for a constant truth, a loss without a counterpart): they
exist only for the presets, and each is a small subclass of the library's kind, so
the declared state, merging and ``--by`` work unchanged.

Constants: scikit-learn 1.9 clips at float64 ε = 2⁻⁵² (``log_loss`` lost its ``eps``
argument); PyTorch clamps each log at -100 and has no ε (``PoissonNLLLoss`` ε = 1e-8);
Keras ε = ``backend.epsilon()`` = 1e-7 and computes in float32, so its clip bounds are
float32(1e-7) and float32(1) - float32(1e-7) = 1 - 2⁻²³ (``-log(1 - hi)`` = 15.942 where
1e-7 would give 16.118). A user ``--eps`` replaces the Keras ε (``keras.config.set_epsilon``);
scikit-learn and PyTorch have none to set, so ``--eps`` is refused with them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from losscli.errors import LossInputError
from losscli.losses import factories, terms
from losscli.losses.accumulators import (
    ROWS,
    Accumulator,
    BalancedAccumulator,
    ClassWeightedAccumulator,
    MeanAccumulator,
    R2Accumulator,
    StateField,
    balanced_weights,
    check_empty,
    ratio,
)
from losscli.losses.convention_names import CONVENTIONS, DEFAULT
from losscli.losses.registry import LossSpec
from losscli.losses.validate import FloatArray

#: scikit-learn's clip: float64 machine ε
SKLEARN_EPS = float(np.finfo(np.float64).eps)
#: Keras's ε and 1 - ε as float32 values (Keras computes in float32)
KERAS_EPS = 1e-7
TORCH_POISSON_EPS = 1e-8

OWN = "asymmetric_mse is losscli's own loss (the seed text's); {lib} has none"


def keras_bounds(eps: float) -> tuple[float, float]:
    """Keras's clip bounds [ε, 1 - ε] as float32 computes them."""
    lo = np.float32(eps)
    return float(lo), float(np.float32(1.0) - lo)


# --------------------------------------------------------------------------- accumulators


class RowMeanAccumulator(MeanAccumulator):
    """Σ sᵢℓᵢ / N: the weighted sum over the number of rows (Keras losses, PyTorch's
    weighted ``BCELoss``). The ``weight`` field counts rows (source ``count``)."""

    state_fields = (
        ROWS,
        StateField("total", source="term"),
        StateField("weight", source="count"),
        StateField("violation", reduce="min"),
    )


class ClassRowsAccumulator(ClassWeightedAccumulator):
    """Σ_c w_c S_c / N with N = Σ_c n_c: class weights turned into sample weights and
    the weighted sum divided by the rows (Keras ``class_weight``; PyTorch ``BCELoss``
    with ``weight = w[y]``)."""

    def values(self, state: Mapping[str, FloatArray]) -> FloatArray:
        s, counts = np.asarray(state["sums"]), np.asarray(state["counts"])
        if isinstance(self.class_weight, str):
            weights = balanced_weights(np.asarray(state["weights"]), self.k)
            present = np.count_nonzero(np.asarray(state["weights"]) > 0, axis=-1)
        else:
            weights = np.broadcast_to(self.class_weights(), s.shape)
            present = np.full(s.shape[:-1], 2)
        value = ratio((weights * s).sum(axis=-1), counts.sum(axis=-1).astype(np.float64))
        return np.where(present >= 2, value, np.nan)

    def result(self) -> float:
        if self.rows == 0:
            raise LossInputError("empty input: no rows to evaluate")
        reason = self.skip_reason()
        if reason:
            raise LossInputError(reason)
        return float(np.dot(self.class_weights(), self.sums)) / float(self.counts.sum())


class ConstantR2Accumulator(R2Accumulator):
    """R² with a value for a constant truth (M2 = 0) instead of a skip: scikit-learn
    ``r2_score(force_finite=True)`` gives 1.0 when the predictions are exact and 0.0
    otherwise; Keras ``R2Score`` gives 0.0 (1 - SSE/0 = -inf, replaced by 0) and NaN
    for exact predictions (0/0: then skipped, with ``exact``'s reason)."""

    def __init__(self, exact: float | str, inexact: float) -> None:
        super().__init__()
        self.exact = exact
        self.inexact = inexact

    def skip_reason(self) -> str | None:
        if self.rows and self.weight > 0 and self.m2 <= 0.0 and self.sse <= 0.0:
            return self.exact if isinstance(self.exact, str) else None
        return None

    def result(self) -> float:
        check_empty(self.rows, self.weight)
        if self.m2 > 0.0:
            return 1.0 - self.sse / self.m2
        reason = self.skip_reason()
        if reason:
            raise LossInputError(reason)
        return float(self.exact) if self.sse <= 0.0 else self.inexact


class NoCounterpart(Accumulator):
    """A loss the convention's library does not have: always skipped, with the reason."""

    state_fields = (ROWS,)

    def __init__(self, reason: str) -> None:
        self.reason = reason
        self._reset()

    def skip_reason(self) -> str | None:
        return self.reason

    def result(self) -> float:
        raise LossInputError(self.reason)


# --------------------------------------------------------------------------- presets


Build = Callable[[Mapping[str, Any], int, bool], Accumulator]


@dataclass(frozen=True)
class Preset:
    """One loss under one library: ``counterpart`` names the library's function or
    class (the README's convention column quotes it); ``build(params, n_classes,
    weighted)`` makes the accumulator (``None``: the loss's own, unchanged); ``skip``:
    the reason the library has no counterpart."""

    counterpart: str
    build: Build | None = None
    skip: str | None = None
    #: the loss's own mean, divided by the rows (Σsℓ/N) instead of the weights
    by_rows: bool = False


def _mean(term: Callable[[Mapping[str, Any]], terms.Term], needs: str | None = None) -> Build:
    """The weighted mean Σsℓ/Σs of a term made from the parameters."""

    def build(params: Mapping[str, Any], k: int, weighted: bool) -> Accumulator:
        return MeanAccumulator(term(params), None if needs is None else _needs(needs))

    return build


def _rows(
    term: Callable[[Mapping[str, Any]], terms.Term],
    needs: str | None = None,
    transform: Callable[[float], float] | None = None,
) -> Build:
    """Σsℓ/N of a term made from the parameters."""

    def build(params: Mapping[str, Any], k: int, weighted: bool) -> Accumulator:
        return RowMeanAccumulator(term(params), None if needs is None else _needs(needs), transform)

    return build


def _needs(name: str) -> terms.Needs:
    return terms.NEEDS[name] if name in terms.NEEDS else terms.CONVENTION_NEEDS[name]


def _class(
    term: Callable[[Mapping[str, Any]], terms.Term], rows: bool, unweighted_only: str = ""
) -> Build:
    """The class-weighted kinds: ÷ Σ s w_y (``rows`` false) or ÷ N."""

    def build(params: Mapping[str, Any], k: int, weighted: bool) -> Accumulator:
        if weighted and unweighted_only:
            return NoCounterpart(unweighted_only)
        cw = factories.check_class_weight(params.get("class_weight"), k)
        kind = ClassRowsAccumulator if rows else ClassWeightedAccumulator
        return kind(term(params), k, cw)

    return build


def _keras_ce(params: Mapping[str, Any]) -> terms.Term:
    lo, hi = keras_bounds(params["eps"])
    return terms.clipped_crossentropy(lo, hi, renormalize=True, via_proba=False)


def _sklearn_ce(params: Mapping[str, Any]) -> terms.Term:
    return terms.clipped_crossentropy(
        SKLEARN_EPS, 1.0 - SKLEARN_EPS, renormalize=False, via_proba=True
    )


def _keras_focal(alpha: float | None) -> Callable[[Mapping[str, Any]], terms.Term]:
    def term(params: Mapping[str, Any]) -> terms.Term:
        lo, hi = keras_bounds(params["eps"])
        a = params.get("alpha")  # (γ and α are checked by the spec's own factory first)
        return terms.keras_focal(float(params["gamma"]), alpha if a is None else float(a), lo, hi)

    return term


def _keras_focal_build(params: Mapping[str, Any], k: int, weighted: bool) -> Accumulator:
    # CategoricalFocalCrossentropy always weighs by α (default 0.25); the binary one
    # only with apply_class_balancing (losscli: when alpha is given)
    alpha = 0.25 if k > 2 else None
    return RowMeanAccumulator(_keras_focal(alpha)(params))


def _r2(exact: float | str, inexact: float) -> Build:
    def build(params: Mapping[str, Any], k: int, weighted: bool) -> Accumulator:
        return ConstantR2Accumulator(exact, inexact)

    return build


def _fixed(term: terms.Term) -> Callable[[Mapping[str, Any]], terms.Term]:
    return lambda params: term


def _huber(params: Mapping[str, Any]) -> terms.Term:
    return terms.huber(factories.check_positive("delta", params["delta"]))


def _none(lib: str, what: str) -> Preset:
    return Preset("", skip=f"{lib} has no {what}")


_KERAS_LO = keras_bounds(KERAS_EPS)[0]

SKLEARN: dict[str, Preset] = {
    "mse": Preset("metrics.mean_squared_error"),
    "rmse": Preset("metrics.root_mean_squared_error"),
    "mae": Preset("metrics.mean_absolute_error"),
    "huber": _none("scikit-learn", "Huber loss metric (HuberRegressor is an estimator)"),
    "smooth_l1": _none("scikit-learn", "smooth-L1 metric"),
    "log_cosh": _none("scikit-learn", "log-cosh metric"),
    "asymmetric_mse": Preset("", skip=OWN.format(lib="scikit-learn")),
    "pinball": Preset("metrics.mean_pinball_loss"),
    "mape": Preset(
        "metrics.mean_absolute_percentage_error (|e| / max(|y|, float64 ε))",
        _mean(_fixed(terms.percentage_error(SKLEARN_EPS, 1.0))),
    ),
    "msle": Preset(
        "metrics.mean_squared_log_error (y, ŷ > -1)", _mean(_fixed(terms.msle), "sklearn_msle")
    ),
    "poisson_deviance": Preset("metrics.mean_poisson_deviance"),
    "r2": Preset("metrics.r2_score (force_finite: constant truth → 1.0 or 0.0)", _r2(1.0, 0.0)),
    "binary_crossentropy": Preset(
        "metrics.log_loss (clip [ε, 1 - ε], ε = 2^-52)", _mean(_sklearn_ce)
    ),
    "categorical_crossentropy": Preset(
        "metrics.log_loss (clip [ε, 1 - ε], ε = 2^-52)", _mean(_sklearn_ce)
    ),
    "weighted_binary_crossentropy": Preset(
        "metrics.log_loss(sample_weight=s·w[y]), w from compute_class_weight",
        _class(_sklearn_ce, False),
    ),
    "weighted_categorical_crossentropy": Preset(
        "metrics.log_loss(sample_weight=s·w[y]), w from compute_class_weight",
        _class(_sklearn_ce, False),
    ),
    "focal": _none("scikit-learn", "focal loss"),
    "brier": Preset("metrics.brier_score_loss (binary ½·Σ_k = (p - y)²; K ≥ 3: Σ_k)"),
    "zero_one": Preset("metrics.zero_one_loss"),
    "balanced_zero_one": Preset("1 - metrics.balanced_accuracy_score"),
}

_TORCH = "PyTorch"
TORCH: dict[str, Preset] = {
    "mse": Preset("nn.MSELoss", _rows(_fixed(terms.squared))),
    "rmse": _none(_TORCH, "RMSE loss (torch.nn has MSELoss)"),
    "mae": Preset("nn.L1Loss", _rows(_fixed(terms.absolute))),
    "huber": Preset("nn.HuberLoss(delta=δ)", _rows(_huber)),
    "log_cosh": _none(_TORCH, "log-cosh loss in torch.nn"),
    "asymmetric_mse": Preset("", skip=OWN.format(lib=_TORCH)),
    "pinball": _none(_TORCH, "pinball (quantile) loss in torch.nn"),
    "mape": _none(_TORCH, "MAPE loss in torch.nn"),
    "msle": _none(_TORCH, "MSLE loss in torch.nn"),
    "poisson_deviance": Preset(
        "nn.PoissonNLLLoss(log_input=False): ŷ - y·log(ŷ + 1e-8)",
        _rows(_fixed(terms.poisson_nll(TORCH_POISSON_EPS)), "poisson_nll"),
    ),
    "r2": _none(_TORCH, "R² in torch (torchmetrics is another package)"),
    "binary_crossentropy": Preset(
        "nn.BCELoss (log clamped at -100), nn.BCEWithLogitsLoss",
        _rows(_fixed(terms.torch_crossentropy)),
    ),
    "categorical_crossentropy": Preset(
        "nn.NLLLoss(log P) (not clipped), nn.CrossEntropyLoss with logits",
        _rows(_fixed(terms.torch_crossentropy), "torch_nll"),
    ),
    "weighted_binary_crossentropy": Preset(
        "nn.BCELoss(weight=s·w[y])", _class(_fixed(terms.torch_crossentropy), True)
    ),
    "weighted_categorical_crossentropy": Preset(
        "nn.CrossEntropyLoss(weight=w)",
        _class(
            _fixed(terms.torch_crossentropy),
            False,
            "PyTorch's CrossEntropyLoss(weight=) takes class weights only, not sample weights",
        ),
    ),
    "smooth_l1": Preset("nn.SmoothL1Loss(beta=β)", by_rows=True),
    "focal": _none(
        _TORCH, "focal loss in torch.nn (torchvision.ops.sigmoid_focal_loss is torchvision's)"
    ),
    "brier": _none(_TORCH, "Brier score"),
    "zero_one": _none(_TORCH, "zero-one loss in torch.nn"),
    "balanced_zero_one": _none(_TORCH, "balanced accuracy in torch.nn"),
}

_KERAS = "Keras"
KERAS: dict[str, Preset] = {
    "mse": Preset("losses.MeanSquaredError", _rows(_fixed(terms.squared))),
    "rmse": Preset("metrics.RootMeanSquaredError (a metric)"),
    "mae": Preset("losses.MeanAbsoluteError", _rows(_fixed(terms.absolute))),
    "huber": Preset("losses.Huber(delta=δ)", _rows(_huber)),
    "log_cosh": Preset("losses.LogCosh", _rows(_fixed(terms.log_cosh))),
    "smooth_l1": _none(_KERAS, "smooth-L1 loss (losses.Huber(delta=β) is β·smooth_l1)"),
    "asymmetric_mse": Preset("", skip=OWN.format(lib=_KERAS)),
    "pinball": _none(_KERAS, "pinball (quantile) loss"),
    "mape": Preset(
        "losses.MeanAbsolutePercentageError: 100·|e| / max(|y|, ε)",
        _rows(_fixed(terms.percentage_error(_KERAS_LO, 100.0))),
    ),
    "msle": Preset(
        "losses.MeanSquaredLogarithmicError: log(max(·, ε) + 1)",
        _rows(_fixed(terms.keras_msle(_KERAS_LO))),
    ),
    "poisson_deviance": Preset(
        "losses.Poisson: ŷ - y·log(ŷ + ε)",
        _rows(_fixed(terms.poisson_nll(_KERAS_LO)), "poisson_nll"),
    ),
    "r2": Preset(
        "metrics.R2Score (constant truth → 0.0)",
        _r2("Keras's R2Score is NaN (0/0) for a constant truth predicted exactly", 0.0),
    ),
    "binary_crossentropy": Preset(
        "losses.BinaryCrossentropy (clip [ε, 1 - ε], ε = float32(1e-7))", _rows(_keras_ce)
    ),
    "categorical_crossentropy": Preset(
        "losses.SparseCategoricalCrossentropy (rows ÷ their sum, clip [ε, 1 - ε])", _rows(_keras_ce)
    ),
    "weighted_binary_crossentropy": Preset(
        "fit(class_weight=w) with BinaryCrossentropy", _class(_keras_ce, True)
    ),
    "weighted_categorical_crossentropy": Preset(
        "fit(class_weight=w) with SparseCategoricalCrossentropy",
        _class(_keras_ce, True),
    ),
    "focal": Preset(
        "losses.BinaryFocalCrossentropy (α when given), CategoricalFocalCrossentropy (α = 0.25)",
        _keras_focal_build,
    ),
    "brier": _none(_KERAS, "Brier score (MeanSquaredError on one-hot targets is brier / K)"),
    "zero_one": Preset("1 - metrics.BinaryAccuracy / SparseCategoricalAccuracy (metrics)"),
    "balanced_zero_one": _none(_KERAS, "balanced accuracy"),
}

#: convention → loss id → how that library computes it (losscli: the losses as they are)
PRESETS: dict[str, dict[str, Preset]] = {
    "losscli": {},
    "sklearn": SKLEARN,
    "torch": TORCH,
    "keras": KERAS,
}

#: the ε each convention clips at by default (None: it has no ε)
DEFAULT_EPS: dict[str, float | None] = {
    "losscli": None,  # (the registry's: 1e-7)
    "sklearn": SKLEARN_EPS,
    "torch": None,
    "keras": KERAS_EPS,
}


class BoundSpec:
    """A registry spec under a convention: the spec's attributes, the convention's
    accumulator (:meth:`make`) and defaults (:attr:`params`: ε). The plan holds these
    in place of the spec, so the engine needs no change."""

    def __init__(self, spec: LossSpec, convention: str, weighted: bool) -> None:
        self.spec = spec
        self.convention = convention
        self.weighted = weighted
        self.preset = PRESETS[convention].get(spec.id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.spec, name)

    @property
    def params(self) -> dict[str, Any]:
        """The defaults under the convention (ε is the library's)."""
        out = dict(self.spec.params)
        if "eps" in out:
            eps = DEFAULT_EPS[self.convention]
            if eps is None:
                del out["eps"]  # (PyTorch: no ε)
            else:
                out["eps"] = eps
        return out

    def make(self, *, n_classes: int = 2, **params: Any) -> Accumulator:
        """The convention's accumulator; unknown parameters are an error, as the spec's."""
        preset = self.preset
        if preset is not None and preset.skip is not None:
            return NoCounterpart(preset.skip)
        own = self.spec.make(n_classes=n_classes, **params)  # (checks the values too)
        if preset is None:
            return NoCounterpart(f"losscli has no {self.convention} preset for {self.spec.id}")
        if preset.by_rows and isinstance(own, MeanAccumulator):
            return RowMeanAccumulator(own.term, own.needs, own.transform)
        if preset.build is None:
            return own
        return preset.build({**self.params, **params}, n_classes, self.weighted)


def bind(spec: LossSpec, convention: str = DEFAULT, *, weighted: bool = False) -> Any:
    """``spec`` under ``convention`` (``losscli``: the spec itself); ``weighted``: the
    evaluation has sample weights (some libraries take none for some losses)."""
    if convention == DEFAULT:
        return spec
    return BoundSpec(spec, convention, weighted)


# --------------------------------------------------------------------------- the README's table


def reduction(acc: Accumulator) -> str:
    """How an accumulator reduces its sums, in the README's words."""
    if isinstance(acc, NoCounterpart):
        return ""
    if isinstance(acc, BalancedAccumulator):
        return "mean of the class rates"
    if isinstance(acc, RowMeanAccumulator | ClassRowsAccumulator):
        return "÷ N"
    if isinstance(acc, ClassWeightedAccumulator):
        return "÷ Σ s·w_y"
    return "÷ Σ s"


def describe(convention: str, loss_id: str) -> str:
    """One cell of the README's table: the library's counterpart and its reduction
    with sample weights, or why there is none."""
    from losscli.losses.registry import get_spec

    spec = get_spec(loss_id)
    preset = PRESETS[convention].get(loss_id)
    if preset is not None and preset.skip is not None:
        return f"none: {preset.skip}"
    extra = {"quantile": 0.5} if "quantile" in spec.takes else {}
    k = 2 if "binary" in spec.tasks else 3
    acc = bind(spec, convention).make(n_classes=k, **extra)
    text = preset.counterpart if preset is not None else "as losscli"
    if loss_id == "weighted_categorical_crossentropy" and convention == "torch":
        return f"{text}, ÷ Σ w_y; none with sample weights"
    return f"{text}, {reduction(acc)}" if not isinstance(acc, R2Accumulator) else text


def markdown_table() -> str:
    """The README's table of the presets (tests/unit/test_conventions.py keeps the
    README equal to it)."""
    from losscli.losses.registry import REGISTRY

    libs = [c for c in CONVENTIONS if c != DEFAULT]
    lines = ["| loss | " + " | ".join(f"`{c}`" for c in libs) + " |"]
    lines.append("|---|" + "---|" * len(libs))
    for loss_id in REGISTRY:
        if loss_id not in SKLEARN:
            continue  # (a loss registered after the table was written: as losscli)
        cells = [describe(c, loss_id).replace("|", "\\|") for c in libs]
        lines.append(f"| `{loss_id}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
