"""Pointwise terms ℓ(y, ŷ) and the data requirements of the losses that have one.

A loss of the library is a pointwise term and a reduction (:mod:`losscli.losses.accumulators`);
this module holds the terms, each a function ``Batch -> per-row array`` reading the
batch's shared arrays (``e``, ``|e|``, ``log p_t``...), and the requirements (mape: no
zero truth; msle: no negative values; poisson: y ≥ 0, ŷ > 0) as data: a
:class:`Needs` names each rule, finds its first violation as a structured
:class:`Violation` (row index and rule), and words it once.

The terms keep the textbook formulas' numbers bit for bit while updating temporaries
in place and choosing per row by arithmetic with 0/1 factors rather than ``np.where``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from losscli.losses.batch import Batch
from losscli.losses.validate import BoolArray, FloatArray, at, first_index
from losscli.tasks import BINARY

Term = Callable[[Batch], FloatArray]

# --------------------------------------------------------------------------- requirements


class Violation(NamedTuple):
    """The first row breaking a loss's requirement: its input index and which rule
    (the position in :attr:`Needs.rules`). Ordered by index, so the earlier of two
    is their ``min``."""

    first_index: int
    rule: int


@dataclass(frozen=True)
class Rule:
    """One data requirement: ``what`` the loss needs (as worded in the reason),
    ``holds`` (one reduction, true when no row breaks it) and ``broken`` (the per-row
    mask, built only when ``holds`` is false)."""

    what: str
    holds: Callable[[Batch], bool]
    broken: Callable[[Batch], BoolArray]


@dataclass(frozen=True)
class Needs:
    """The requirements of loss ``loss``; a batch's violation is its earliest row that
    breaks any rule, and on that row the first rule broken (msle reports a negative
    truth before a negative prediction of the same row). So the violation does not
    depend on where batches are cut: the earliest of the batches' violations (their
    ``min``) is the whole data's.

    A row of sample weight 0 breaks no rule: it does not count, so it cannot make a
    loss inapplicable (the loss is then the loss without the row, as scikit-learn's
    weighted mean would give it had it not checked the row). Its term is still
    computed, and :meth:`clean` sets it to 0 so that w·ℓ = 0, not 0·inf = NaN.
    """

    loss: str
    rules: tuple[Rule, ...]

    def find(self, b: Batch) -> Violation | None:
        """The first violation in ``b`` (of a row of positive weight), or ``None``: the
        earliest row across the rules, the first rule on that row."""
        best: Violation | None = None
        for j, rule in enumerate(self.rules):
            if rule.holds(b):
                continue
            mask = _counted(rule.broken(b), b)
            if mask.any():
                found = Violation(at(b.where, first_index(mask)), j)
                best = found if best is None or found < best else best
        return best

    def violations(self, b: Batch) -> BoolArray:
        """The rows of ``b`` (of positive weight) that break any rule (a grouped
        evaluation sets aside only the groups holding one)."""
        return _counted(self._broken(b), b)

    def _broken(self, b: Batch) -> BoolArray:
        mask = self.rules[0].broken(b)
        for rule in self.rules[1:]:
            mask = mask | rule.broken(b)
        return mask

    def clean(self, b: Batch, term: Term) -> FloatArray:
        """``term(b)``, 0 on the rows that break a rule: the rows of weight 0, once
        :meth:`find` found no other (elsewhere the values are not used)."""
        if b.weight is None or all(rule.holds(b) for rule in self.rules):
            return term(b)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            values = term(b)
        return np.where(self._broken(b), 0.0, values)

    def text(self, v: Violation, *, row: int | None = None) -> str:
        """The reason the loss does not apply: at the input index (the library's
        words), or at ``row`` (a caller's numbering, e.g. the CLI's 1-based data row)."""
        where = f"index {v.first_index}" if row is None else f"row {row}"
        return f"{self.loss} needs {self.rules[v.rule].what}; first violation at {where}"


def _counted(mask: BoolArray, b: Batch) -> BoolArray:
    """``mask`` without the rows of weight 0."""
    return mask if b.weight is None else mask & (b.weight > 0)


NEEDS: dict[str, Needs] = {
    "mape": Needs(
        "mape", (Rule("a non-zero y_true", lambda b: bool(b.y.all()), lambda b: b.y == 0),)
    ),
    "msle": Needs(
        "msle",
        (
            Rule("y_true ≥ 0", lambda b: b.y_min >= 0, lambda b: b.y < 0),
            Rule("y_pred ≥ 0", lambda b: b.pred_min >= 0, lambda b: b.pred < 0),
        ),
    ),
    "poisson_deviance": Needs(
        "poisson_deviance",
        (
            Rule("y_true ≥ 0", lambda b: b.y_min >= 0, lambda b: b.y < 0),
            Rule("y_pred > 0", lambda b: b.pred_min > 0, lambda b: b.pred <= 0),
        ),
    ),
}


# --------------------------------------------------------------------------- regression


def squared(b: Batch) -> FloatArray:
    """e² (mse, rmse; the batch's shared array)."""
    return b.sq_e


def absolute(b: Batch) -> FloatArray:
    """|e| (mae; the batch's shared array)."""
    return b.abs_e


def huber(delta: float) -> Term:
    """½e² if |e| ≤ δ else δ(|e| - ½δ)."""

    def term(b: Batch) -> FloatArray:
        # m·(|e| - ½m) with m = min(|e|, δ) is ½e² below δ and δ(|e| - ½δ) above:
        # the same numbers as the two-branch np.where at half the passes over memory.
        a = b.abs_e
        m = np.minimum(a, delta)
        t = np.multiply(0.5, m)
        np.subtract(a, t, out=t)
        return np.multiply(m, t, out=t)  # (in place: one temporary, not three)

    return term


def smooth_l1(beta: float) -> Term:
    """½e²/β if |e| < β else |e| - ½β (PyTorch's SmoothL1Loss, in its order of
    operations); β = 0 is |e|, as in PyTorch."""
    if beta == 0.0:
        return absolute

    def term(b: Batch) -> FloatArray:
        a = b.abs_e
        return np.where(a < beta, 0.5 * b.sq_e / beta, a - 0.5 * beta)

    return term


def log_cosh(b: Batch) -> FloatArray:
    """log cosh e = |e| + log1p(e^(-2|e|)) - log 2 (cosh overflows at |e| ≈ 710)."""
    a = b.abs_e
    t = np.multiply(-2.0, a)
    np.exp(t, out=t)
    np.log1p(t, out=t)
    np.add(a, t, out=t)
    return np.subtract(t, math.log(2.0), out=t)


def asymmetric(weight_under: float, weight_over: float) -> Term:
    """weight_under·e² if e > 0 else weight_over·e²."""

    def term(b: Batch) -> FloatArray:
        # = np.where(e > 0, w_under, w_over) · e², the weight chosen by arithmetic
        # (u·w_under + (1 - u)·w_over with u = 1[e > 0] is exactly one of them).
        under = np.greater(b.e, 0.0).astype(np.float64)
        over = np.subtract(1.0, under)
        under *= weight_under
        over *= weight_over
        under += over
        return np.multiply(under, b.sq_e, out=under)

    return term


def pinball(quantile: float) -> Term:
    """α·e if e ≥ 0 else (α - 1)·e, α = quantile."""

    def term(b: Batch) -> FloatArray:
        e = b.e
        return np.where(e >= 0, quantile * e, (quantile - 1.0) * e)

    return term


def mape(b: Batch) -> FloatArray:
    """|e| / |y| (needs y ≠ 0)."""
    t = np.abs(b.y)
    return np.divide(b.abs_e, t, out=t)


def msle(b: Batch) -> FloatArray:
    """(log1p y - log1p ŷ)² (needs y, ŷ ≥ 0)."""
    d = np.log1p(b.y)
    d -= np.log1p(b.pred)
    return np.multiply(d, d, out=d)


def poisson(b: Batch) -> FloatArray:
    """2(y log(y/ŷ) - y + ŷ), y log(y/ŷ) = 0 at y = 0 (needs y ≥ 0, ŷ > 0)."""
    y, mu = b.y, b.pred
    if b.y_min > 0:
        # no y = 0: the same operations in place, without the where
        t = np.divide(y, mu)
        np.log(t, out=t)
        np.multiply(y, t, out=t)
        np.subtract(t, y, out=t)
        np.add(t, mu, out=t)
        return np.multiply(2.0, t, out=t)
    with np.errstate(divide="ignore", invalid="ignore"):
        ylog = np.where(y > 0, y * np.log(y / mu), 0.0)
    return 2.0 * (ylog - y + mu)


# --------------------------------------------------------------------------- classification


def crossentropy(eps: float) -> Term:
    """-log p_t, p_t clipped at ε (binary and categorical)."""

    def term(b: Batch) -> FloatArray:
        return -b.log_pt(eps)

    return term


def focal(gamma: float, alpha: float | None, eps: float) -> Term:
    """-α_t (1 - p_t)^γ log p_t (α_t only when ``alpha`` is given)."""

    def term(b: Batch) -> FloatArray:
        log_pt = b.log_pt(eps)
        # 1 - p_t = -expm1(log p_t): exact where p_t is near 1 (a large logit), where
        # 1 - exp(log p_t) keeps only the digits above the spacing of doubles near 1
        t = np.expm1(log_pt)
        np.negative(t, out=t)
        t **= gamma  # (as `** gamma`: numpy squares for γ = 2)
        np.multiply(t, log_pt, out=t)
        loss = np.negative(t, out=t)  # -(x·l) = (-x)·l exactly
        if alpha is not None:
            loss = np.where(b.positive, alpha, 1.0 - alpha) * loss
        return loss

    return term


def brier(b: Batch) -> FloatArray:
    """Binary (p - y)²; multiclass Σ_k (P_k - 1[y=k])² = Σ_k P_k² - 2 P_y + 1."""
    p = b.proba
    if b.task == BINARY:
        d = p - b.y
        return np.multiply(d, d, out=d)
    rows = np.arange(b.n)
    return np.einsum("ij,ij->i", p, p) - 2.0 * p[rows, b.label] + 1.0


def zero_one(b: Batch) -> FloatArray:
    """1[predicted ≠ y]: labels as given; binary p > 0.5 (score > 0 with logits)
    predicts 1 (a tie is class 0); multiclass the argmax (first on ties)."""
    if b.labels:
        return np.not_equal(b.pred_label, b.label).astype(np.float64)
    if b.task == BINARY:
        predicted = b.pred > 0.0 if b.logits else b.pred > 0.5
        return np.not_equal(predicted, b.positive).astype(np.float64)
    return (np.argmax(b.pred, axis=1) != b.label).astype(np.float64)


# --------------------------------------------------------------------------- other libraries
#
# The terms of --convention sklearn | torch | keras (losscli.losses.conventions), each
# written as the library computes it, so the numbers are the library's: where it clips,
# where it clamps, which logarithm. In float64 throughout (Keras computes in float32 by
# default; its presets use its float32 clip bounds, so the numbers agree to float32
# precision).


def clipped_crossentropy(lo: float, hi: float, *, renormalize: bool, via_proba: bool) -> Term:
    """-log clip(p_t, lo, hi), binary -[y log p + (1 - y) log(1 - p)] with p clipped.

    sklearn ``log_loss`` (lo = float64 ε, hi = 1 - ε; it takes probabilities, so
    ``via_proba``: logits pass through sigmoid / softmax first and are clipped too);
    Keras ``binary_crossentropy`` / ``categorical_crossentropy`` (lo = ε, hi = 1 - ε;
    rows divided by their sum first, ``renormalize``; logits exact, as its
    TensorFlow, JAX and PyTorch backends compute them)."""

    def term(b: Batch) -> FloatArray:
        if b.logits and not via_proba:
            return -b.log_pt(0.5)  # (ε is not used with logits)
        p = b.proba
        if b.task == BINARY:
            p = np.clip(p, lo, hi)
            # Keras takes 1 - clip(p); sklearn clips 1 - p, which gives the same
            # numbers with its bounds (1 - (1 - ε) = ε exactly for ε = 2^-52)
            return -np.where(b.positive, np.log(p), np.log(1.0 - p))
        rows = np.arange(b.n)
        pt = p[rows, b.label]
        if renormalize and not b.logits:
            pt = pt / p.sum(axis=1)
        return -np.log(np.clip(pt, lo, hi))

    return term


def torch_crossentropy(b: Batch) -> FloatArray:
    """PyTorch: binary ``BCELoss`` -[y·max(log p, -100) + (1 - y)·max(log1p(-p), -100)];
    multiclass ``NLLLoss(log P)`` = -log P[i, yᵢ], not clipped (a P of 0 is its rule);
    logits: ``BCEWithLogitsLoss`` / ``CrossEntropyLoss``, exact (log-sigmoid, log-softmax)."""
    if b.logits:
        return -b.log_pt(0.5)
    if b.task == BINARY:
        with np.errstate(divide="ignore"):
            pos = np.maximum(np.log(b.pred), -100.0)
            neg = np.maximum(np.log1p(-b.pred), -100.0)
        return -np.where(b.positive, pos, neg)
    with np.errstate(divide="ignore"):
        return -np.log(b.pred[np.arange(b.n), b.label])


def keras_focal(gamma: float, alpha: float | None, lo: float, hi: float) -> Term:
    """Keras. Binary ``BinaryFocalCrossentropy``: (1 - p_t)^γ · bce, bce of p clipped to
    [lo, hi] but p_t of p unclipped, α_t = α·y + (1 - α)(1 - y) only when ``alpha``
    (``apply_class_balancing``). Multiclass ``CategoricalFocalCrossentropy``:
    α·(1 - q)^γ·(-log q), q = P[i, yᵢ] / Σ_k P[i, k] clipped to [lo, hi] (α always).
    Logits: sigmoid / softmax first, then the same (Keras does not use log-sigmoid here)."""

    def term(b: Batch) -> FloatArray:
        p = b.proba
        if b.task == BINARY:
            pc = np.clip(p, lo, hi)
            bce = -np.where(b.positive, np.log(pc), np.log(1.0 - pc))
            pt = np.where(b.positive, p, 1.0 - p)
            loss = (1.0 - pt) ** gamma * bce
            if alpha is not None:
                loss = np.where(b.positive, alpha, 1.0 - alpha) * loss
            return np.asarray(loss)
        q = p[np.arange(b.n), b.label] / p.sum(axis=1)
        q = np.clip(q, lo, hi)
        return np.asarray((1.0 if alpha is None else alpha) * (1.0 - q) ** gamma * -np.log(q))

    return term


def percentage_error(eps: float, scale: float) -> Term:
    """scale·|e| / max(|y|, ε): sklearn ``mean_absolute_percentage_error`` (ε = float64
    machine ε, scale 1), Keras ``MeanAbsolutePercentageError`` (ε = 1e-7, scale 100)."""

    def term(b: Batch) -> FloatArray:
        t = np.maximum(np.abs(b.y), eps)
        np.divide(b.abs_e, t, out=t)
        return np.multiply(scale, t, out=t) if scale != 1.0 else t

    return term


def keras_msle(eps: float) -> Term:
    """Keras ``MeanSquaredLogarithmicError``: (log(max(ŷ, ε) + 1) - log(max(y, ε) + 1))²."""

    def term(b: Batch) -> FloatArray:
        d = np.log(np.maximum(b.pred, eps) + 1.0) - np.log(np.maximum(b.y, eps) + 1.0)
        return np.multiply(d, d, out=d)

    return term


def poisson_nll(eps: float) -> Term:
    """ŷ - y·log(ŷ + ε): PyTorch ``PoissonNLLLoss(log_input=False)`` (ε = 1e-8), Keras
    ``Poisson`` (ε = 1e-7). Not the deviance: the terms without ŷ are dropped."""

    def term(b: Batch) -> FloatArray:
        t = np.log(b.pred + eps)
        np.multiply(b.y, t, out=t)
        return np.subtract(b.pred, t, out=t)

    return term


def _true_class_zero(b: Batch) -> BoolArray:
    if b.logits or b.task == BINARY:
        return np.zeros(b.n, dtype=bool)
    return np.asarray(b.pred[np.arange(b.n), b.label] <= 0.0)


CONVENTION_NEEDS: dict[str, Needs] = {
    "sklearn_msle": Needs(
        "msle",
        (
            Rule("y_true > -1", lambda b: b.y_min > -1, lambda b: b.y <= -1),
            Rule("y_pred > -1", lambda b: b.pred_min > -1, lambda b: b.pred <= -1),
        ),
    ),
    "poisson_nll": Needs(
        "poisson_deviance",
        (Rule("y_pred ≥ 0", lambda b: b.pred_min >= 0, lambda b: b.pred < 0),),
    ),
    "torch_nll": Needs(
        "categorical_crossentropy",
        (
            Rule(
                "P(true class) > 0 (PyTorch's NLLLoss of log P is infinite there)",
                lambda b: not _true_class_zero(b).any(),
                _true_class_zero,
            ),
        ),
    ),
}
