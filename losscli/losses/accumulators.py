"""Streaming accumulators whose state is *declared* (torchmetrics' ``add_state`` idea).

Each accumulator class lists its state as :class:`StateField` s: a name, a shape
(``scalar`` or ``per_class``: one value per class), how two states combine (``sum``;
``min``; ``own``: by the class's own :meth:`Accumulator.merge`, R²'s Chan merge), and
where a row's contribution comes from (``term``: the loss's pointwise value ×
sample weight; ``weight``: the sample weight; ``count``: 1). Because the state is
declared, the base class does the rest generically:

* :meth:`Accumulator.update` adds a batch (``per_class`` fields by ``np.bincount``
  over the truth's class);
* :meth:`Accumulator.merge` adds (or takes the ``min`` of) another state;
* :meth:`Accumulator.copy`, :meth:`Accumulator.state` (a plain dict of numbers and
  lists: JSON-serialisable) and :meth:`Accumulator.from_state`;
* grouped evaluation (:mod:`losscli.evaluate.grouped`) keeps one array per declared field
  over the groups and fills it with one ``bincount`` per field and chunk.

A loss is then a term (:mod:`losscli.losses.terms`) and a ``result`` from the sums:

| kind | state | result |
|---|---|---|
| :class:`MeanAccumulator` | rows, Σwℓ, Σw, first violation | Σwℓ / Σw (√ for rmse) |
| :class:`R2Accumulator` | rows, Σw, d̄_w, M2 = Σw(d - d̄)², Σwe², pivot c (d = y-c) | 1 - Σwe²/M2 |
| :class:`ClassWeightedAccumulator` | rows, S_c = Σ_{y=c} wℓ, W_c, n_c | Σ_c w_c S_c / Σ_c w_c W_c |
| :class:`BalancedAccumulator` | the same | mean over {c : W_c > 0} of S_c / W_c |

R²'s total sum of squares is merged with Chan et al.'s parallel-variance formula
rather than Σwy² - (Σwy)²/Σw, which loses every digit when the mean is large next to
the spread; so its ȳ and M2 fields are ``own``.
"""

from __future__ import annotations

import contextlib
import copy
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Self

import numpy as np

from losscli.errors import LossInputError
from losscli.losses.batch import Batch
from losscli.losses.terms import Needs, Term, Violation
from losscli.losses.validate import FloatArray, IntArray

EMPTY = "empty input: no rows to evaluate"
ZERO_WEIGHT = "sample_weight sums to 0: every row has weight 0"


@dataclass(frozen=True)
class StateField:
    """One field of an accumulator's state (see the module docstring)."""

    name: str
    shape: Literal["scalar", "per_class"] = "scalar"
    reduce: Literal["sum", "min", "own"] = "sum"
    source: Literal["term", "weight", "count", "none"] = "none"
    integer: bool = False

    def zero(self, n_classes: int) -> Any:
        """The empty value: 0 (``min``: ``None``, nothing seen)."""
        if self.reduce == "min":
            return None
        if self.shape == "per_class":
            return np.zeros(n_classes, dtype=np.int64 if self.integer else np.float64)
        return 0 if self.integer else 0.0


ROWS = StateField("rows", source="count", integer=True)


def class_counts(label: IntArray, k: int) -> IntArray:
    """Rows of each class 0..k-1 (binary: counting the ones is a single fast pass)."""
    if k == 2:
        ones = np.count_nonzero(label)
        return np.array([label.shape[0] - ones, ones], dtype=np.intp)
    return np.bincount(label, minlength=k)


class Accumulator:
    """Mergeable running state of one loss; subclasses declare :attr:`state_fields`.

    A subclass that declares no fields (and overrides ``update``, ``merge``) still
    works everywhere, without the generic per-group path.
    """

    #: the declared state; ``rows`` (rows seen) comes first in every declaration
    state_fields: ClassVar[tuple[StateField, ...]] = ()
    rows: int = 0
    #: the number of classes of ``per_class`` fields
    k: int = 0

    def _reset(self, n_classes: int = 0) -> None:
        self.k = n_classes
        for f in self.state_fields:
            setattr(self, f.name, f.zero(n_classes))

    # -- the loss's part ----------------------------------------------------------------

    def terms(self, batch: Batch) -> dict[str, FloatArray]:
        """Each ``term`` field's per-row value (unweighted) for ``batch``."""
        return {}

    def admit(self, batch: Batch) -> bool:
        """Whether ``batch`` is summed (a loss with a requirement records the violation
        and stops summing: computing it would only raise warnings)."""
        return True

    def result(self) -> float:
        raise NotImplementedError

    def skip_reason(self) -> str | None:
        """Why this loss does not apply to the data seen, or ``None``."""
        return None

    # -- generic, from the declaration --------------------------------------------------

    def update(self, batch: Batch) -> None:
        """Add a batch: ``rows``, then (if admitted) every other field by its source."""
        self.rows += batch.n
        if not self.admit(batch):
            return
        terms = self.terms(batch)
        counts: IntArray | None = None
        for f in self.state_fields[1:]:
            if f.source == "none":
                continue
            if f.shape == "scalar":
                setattr(self, f.name, getattr(self, f.name) + _scalar_sum(batch, f, terms))
                continue
            if counts is None and f.source != "term":
                counts = class_counts(batch.label, self.k)
            getattr(self, f.name)[:] += _class_sum(batch, f, terms, counts, self.k)

    def merge(self, other: Accumulator) -> Self:
        """Add ``other``'s state to this one (``min`` fields: the smaller)."""
        assert type(other) is type(self), (type(self), type(other))
        for f in self.state_fields:
            a, b = getattr(self, f.name), getattr(other, f.name)
            if f.reduce == "sum":
                setattr(self, f.name, a + b)
            elif f.reduce == "min":
                setattr(self, f.name, b if a is None else a if b is None else min(a, b))
        return self

    def copy(self) -> Self:
        """An independent accumulator with the same configuration and state."""
        out = copy.copy(self)
        for f in self.state_fields:
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray):
                setattr(out, f.name, value.copy())
        return out

    def state(self) -> dict[str, Any]:
        """The state as a plain dict of numbers, lists and ``None`` (JSON-serialisable)."""
        out: dict[str, Any] = {}
        for f in self.state_fields:
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray):
                value = value.tolist()
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out

    def from_state(self, state: Mapping[str, Any]) -> Self:
        """An accumulator configured as this one holding ``state`` (as :meth:`state`
        gives it, or arrays); a field missing from ``state`` is empty."""
        out = self.copy()
        for f in self.state_fields:
            if f.name not in state:
                setattr(out, f.name, f.zero(self.k))
                continue
            setattr(out, f.name, _field_value(f, state[f.name]))
        per_class = [f for f in self.state_fields if f.shape == "per_class"]
        if per_class:
            out.k = int(np.asarray(getattr(out, per_class[0].name)).shape[0])
        return out

    def grow(self, n_classes: int) -> None:
        """Make room for classes ``k..n_classes-1`` in the ``per_class`` fields (label
        predictions meet their classes as the file streams by); a new class has no rows."""
        extra = n_classes - self.k
        fields = [f for f in self.state_fields if f.shape == "per_class"]
        if extra <= 0 or not fields:
            return
        for f in fields:
            value = getattr(self, f.name)
            setattr(self, f.name, np.concatenate((value, np.zeros(extra, dtype=value.dtype))))
        self.k = n_classes

    def linear_fields(self) -> tuple[StateField, ...]:
        """The fields that are sums of per-row contributions (``rows`` aside)."""
        return tuple(f for f in self.state_fields[1:] if f.reduce == "sum" and f.source != "none")

    def row_terms(self, batch: Batch) -> dict[str, FloatArray]:
        """Each linear field's contribution of every row of ``batch``: (n,) for a scalar
        field, (n, K) for a ``per_class`` one (non-zero in the row's class column). Their
        column sums are what :meth:`update` adds (up to the order of summation), so a
        set of rows' state is the sum of its rows' terms: the bootstrap's buckets."""
        terms = self.terms(batch)
        w = np.ones(batch.n) if batch.weight is None else batch.weight
        out: dict[str, FloatArray] = {}
        onehot: FloatArray | None = None
        for f in self.linear_fields():
            v = w * terms[f.name] if f.source == "term" else w if f.source == "weight" else None
            if f.shape == "scalar":
                out[f.name] = np.ones(batch.n) if v is None else v
                continue
            if onehot is None:
                onehot = np.zeros((batch.n, self.k))
                onehot[np.arange(batch.n), batch.label] = 1.0
            out[f.name] = onehot if v is None else v[:, None] * onehot
        return out

    def values(self, state: Mapping[str, FloatArray]) -> FloatArray:
        """The loss of each state along the leading axes of the linear fields'
        arrays (``(B,)`` scalar, ``(B, K)`` per class), NaN where it is undefined.

        Generic: one scratch accumulator per state (:meth:`from_state`); the library's
        kinds override it with the vectorised formula of their :meth:`result`.
        """
        first = self.linear_fields()[0]
        lead = np.shape(state[first.name])[: None if first.shape == "scalar" else -1]
        out = np.full(lead, np.nan)
        for i in np.ndindex(*lead):
            scratch = self.from_state({k: np.asarray(v)[i] for k, v in state.items()} | _ONE_ROW)
            if scratch.skip_reason() is None:
                with contextlib.suppress(LossInputError):
                    out[i] = scratch.result()
        return out


#: a state loaded for :meth:`Accumulator.values` has rows (their count does not matter)
_ONE_ROW = {"rows": 1}


def ratio(num: FloatArray, den: FloatArray) -> FloatArray:
    """num / den where den > 0, NaN elsewhere."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _scalar_sum(batch: Batch, f: StateField, terms: Mapping[str, FloatArray]) -> Any:
    if f.source == "term":
        return batch.wsum(terms[f.name])
    if f.source == "weight":
        return batch.total_weight
    return batch.n


def _class_sum(
    batch: Batch,
    f: StateField,
    terms: Mapping[str, FloatArray],
    counts: IntArray | None,
    k: int,
) -> Any:
    w = batch.weight
    if f.source == "term":
        t = terms[f.name]
        return np.bincount(batch.label, weights=t if w is None else w * t, minlength=k)
    assert counts is not None
    if f.source == "weight" and w is not None:
        return np.bincount(batch.label, weights=w, minlength=k)
    return counts


def _field_value(f: StateField, value: Any) -> Any:
    if f.reduce == "min":
        return None if value is None else Violation(*(int(v) for v in value))
    if f.shape == "per_class":
        return np.array(value, dtype=np.int64 if f.integer else np.float64)
    return int(value) if f.integer else float(value)


def check_empty(rows: int, weight: float) -> None:
    """The errors of a state with no rows, or whose weights sum to 0."""
    if rows == 0:
        raise LossInputError(EMPTY)
    if weight <= 0.0:
        raise LossInputError(ZERO_WEIGHT)


# --------------------------------------------------------------------------- means


class MeanAccumulator(Accumulator):
    """Σ wᵢ ℓᵢ / Σ wᵢ over every batch seen; optional transform of the mean (RMSE).

    ``needs``: the loss's data requirements; the first violation seen is kept (the
    ``violation`` field, merged by ``min``: the earliest row) and the loss is then
    not applicable.
    """

    state_fields = (
        ROWS,
        StateField("total", source="term"),
        StateField("weight", source="weight"),
        StateField("violation", reduce="min"),
    )
    total: float
    weight: float
    violation: Violation | None

    def __init__(
        self,
        term: Term,
        needs: Needs | None = None,
        transform: Callable[[float], float] | None = None,
    ) -> None:
        self.term = term
        self.needs = needs
        self.transform = transform
        self._reset()

    def terms(self, batch: Batch) -> dict[str, FloatArray]:
        if self.needs is None:
            return {"total": self.term(batch)}
        return {"total": self.needs.clean(batch, self.term)}

    def admit(self, batch: Batch) -> bool:
        if self.violation is None and self.needs is not None:
            self.violation = self.needs.find(batch)
        return self.violation is None

    def check(self, batch: Batch) -> str | None:
        """Why ``batch`` breaks the loss's requirement, or ``None``."""
        found = None if self.needs is None else self.needs.find(batch)
        return None if found is None else self.reason_for(found)

    def reason_for(self, v: Violation) -> str:
        assert self.needs is not None
        return self.needs.text(v)

    def skip_reason(self) -> str | None:
        return None if self.violation is None else self.reason_for(self.violation)

    def values(self, state: Mapping[str, FloatArray]) -> FloatArray:
        mean = ratio(np.asarray(state["total"]), np.asarray(state["weight"]))
        if self.transform is None:
            return mean
        if self.transform is math.sqrt:
            return np.sqrt(mean)
        return np.vectorize(self.transform, otypes=[np.float64])(mean)

    def result(self) -> float:
        reason = self.skip_reason()
        if reason is not None:
            raise LossInputError(reason)
        check_empty(self.rows, self.weight)
        mean = self.total / self.weight
        return self.transform(mean) if self.transform else mean


# --------------------------------------------------------------------------- r2


class R2Accumulator(Accumulator):
    """R² = 1 - Σw(y - ŷ)² / Σw(y - ȳ_w)², from mergeable sums (ȳ, M2 by Chan's merge).

    The truth is shifted by a pivot c, the first truth value seen, before anything
    is summed: ``mean`` is the weighted mean of d = y - c and ``m2`` = Σw(d - d̄)².
    Shifting changes neither M2 nor R², but it keeps the sums at the scale of the
    spread, not of the offset: with y ≈ 1e12 the batch means of y itself carry an
    absolute error of ~1e-4, which Chan's merge of cache-sized batches multiplies
    into a relative error of ~1e-8 in R²; about a data value, y - c is exact
    (Sterbenz) and the error stays at the one-pass level. Two states of different
    pivots merge by δ = (c_b - c_a) + (d̄_b - d̄_a). A state without a ``pivot``
    (older states, :mod:`losscli.evaluate.grouped`'s) has c = 0: ``mean`` is then
    the mean of y itself.

    Constant truth makes R² undefined: scikit-learn then returns 1.0 or 0.0
    (``force_finite``); losscli reports the loss as not applicable instead.
    """

    state_fields = (
        ROWS,
        StateField("weight", reduce="own"),
        StateField("mean", reduce="own"),
        StateField("m2", reduce="own"),
        StateField("sse"),
        StateField("pivot", reduce="own"),
    )
    weight: float
    mean: float
    m2: float
    sse: float
    pivot: float

    def __init__(self) -> None:
        self._reset()

    def _combine(self, weight: float, mean: float, m2: float, pivot: float) -> None:
        """Chan's merge of (Σw, d̄, M2) about ``pivot`` into this state."""
        if weight == 0.0:
            return
        if self.weight == 0.0:
            self.weight, self.mean, self.m2, self.pivot = weight, mean, m2, pivot
            return
        total = self.weight + weight
        delta = (pivot - self.pivot) + (mean - self.mean)
        self.mean += delta * weight / total
        self.m2 += m2 + delta * delta * self.weight * weight / total
        self.weight = total

    def update(self, batch: Batch) -> None:
        self.rows += batch.n
        self.sse += batch.wsum(batch.sq_e)
        w = batch.total_weight
        if w == 0.0:
            return
        pivot = self.pivot if self.weight > 0.0 else float(batch.y[0])
        d = batch.y - pivot
        mean = batch.wsum(d) / w
        d -= mean
        self._combine(w, mean, batch.wsum(np.multiply(d, d, out=d)), pivot)

    def merge(self, other: Accumulator) -> Self:
        assert isinstance(other, R2Accumulator)
        super().merge(other)  # (rows, sse)
        self._combine(other.weight, other.mean, other.m2, other.pivot)
        return self

    def skip_reason(self) -> str | None:
        if self.rows and self.weight > 0 and self.m2 <= 0.0:
            return "r2 is undefined when the truth is constant"
        return None

    def result(self) -> float:
        check_empty(self.rows, self.weight)
        reason = self.skip_reason()
        if reason:
            raise LossInputError(reason)
        return 1.0 - self.sse / self.m2


# --------------------------------------------------------------------------- per class


class ClassWeightedAccumulator(Accumulator):
    """Σ_c w_c S_c / Σ_c w_c W_c with S_c = Σ_{y=c} sᵢℓᵢ and W_c = Σ_{y=c} sᵢ.

    s = sample weights. The class weights w_c are only known at the end, so the
    sums are kept per class. Balanced: w_c = W / (K·W_c), W = Σ_c W_c, from the
    *weighted* class counts W_c (n_c, rows, without sample weights), as
    scikit-learn's ``compute_class_weight("balanced", ..., sample_weight=s)``: a row of
    weight 0 is then the row removed, and integer weights are repeated rows. A class
    whose rows all weigh 0 is absent. (The ``counts`` field stays in the state: the
    rows of each class.)
    """

    state_fields = (
        ROWS,
        StateField("sums", shape="per_class", source="term"),
        StateField("weights", shape="per_class", source="weight"),
        StateField("counts", shape="per_class", source="count", integer=True),
    )
    sums: FloatArray
    weights: FloatArray
    counts: IntArray

    def __init__(self, term: Term, n_classes: int, class_weight: str | Mapping[int, float]) -> None:
        self.term = term
        self.class_weight = class_weight
        self._reset(n_classes)

    def terms(self, batch: Batch) -> dict[str, FloatArray]:
        return {"sums": self.term(batch)}

    def admit(self, batch: Batch) -> bool:
        if batch.n_classes != self.k:
            raise LossInputError(f"batch has {batch.n_classes} classes, expected {self.k}")
        return True

    def class_weights(self) -> FloatArray:
        """The weight of each class, as applied in :meth:`result`."""
        if isinstance(self.class_weight, str):
            return balanced_weights(self.weights, self.k)
        return fixed_class_weights(self.class_weight, self.k)

    def skip_reason(self) -> str | None:
        if isinstance(self.class_weight, str) and np.count_nonzero(self.weights > 0) < 2:
            return "class-balanced weights need at least two classes present in y_true"
        return None

    def values(self, state: Mapping[str, FloatArray]) -> FloatArray:
        """Vectorised :meth:`result`; balanced weights w_c = W / (K W_c) from each
        state's own weighted class counts (0 for an absent class), NaN with fewer
        than two classes present."""
        s, wsum = np.asarray(state["sums"]), np.asarray(state["weights"])
        if isinstance(self.class_weight, str):
            weights = balanced_weights(wsum, self.k)
            present = np.count_nonzero(wsum > 0, axis=-1)
        else:
            weights = np.broadcast_to(fixed_class_weights(self.class_weight, self.k), wsum.shape)
            present = np.full(wsum.shape[:-1], 2)
        value = ratio((weights * s).sum(axis=-1), (weights * wsum).sum(axis=-1))
        return np.where(present >= 2, value, np.nan)

    def result(self) -> float:
        if self.rows == 0:
            raise LossInputError(EMPTY)
        reason = self.skip_reason()
        if reason:
            raise LossInputError(reason)
        cw = self.class_weights()
        denominator = float(np.dot(cw, self.weights))
        if denominator <= 0.0:
            raise LossInputError("the weights (sample × class) sum to 0")
        return float(np.dot(cw, self.sums)) / denominator


def balanced_weights(class_weights: FloatArray, k: int) -> FloatArray:
    """Balanced class weights W / (K·W_c) from the weighted class counts W_c (along the
    last axis), 0 for a class of no weight (its rows never enter the sums)."""
    total = np.sum(class_weights, axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(class_weights > 0, total / (k * class_weights), 0.0)


def fixed_class_weights(class_weight: Mapping[int, float], k: int) -> FloatArray:
    """A mapping's class weights as an array of K (missing classes weigh 1)."""
    weights = np.ones(k)
    for cls, value in class_weight.items():
        weights[int(cls)] = float(value)
    return weights


class BalancedAccumulator(ClassWeightedAccumulator):
    """Class-balanced mean of a term: (1/|C|) Σ_{c∈C} S_c / W_c, C = {c : W_c > 0}.

    The state of :class:`ClassWeightedAccumulator` with the class weights
    w_c = 1 / W_c. With ℓ = 1[ŷ ≠ y] this is the balanced error rate, 1 - mean
    per-class recall = sklearn ``1 - balanced_accuracy_score(y, ŷ, sample_weight=s)``:
    its recalls are the diagonal of the weighted confusion matrix over the row sums
    W_c, and a class whose row sum is 0 (predicted but absent from the truth, or of
    zero weight) is left out of the mean, as sklearn does (with a warning there).
    """

    def __init__(self, term: Term, n_classes: int) -> None:
        super().__init__(term, n_classes, "balanced")

    def class_weights(self) -> FloatArray:
        with np.errstate(divide="ignore"):
            return np.where(self.weights > 0, 1.0 / self.weights, 0.0)

    def skip_reason(self) -> str | None:
        return None  # one class is enough: its recall is the balanced accuracy

    def values(self, state: Mapping[str, FloatArray]) -> FloatArray:
        s, wsum = np.asarray(state["sums"]), np.asarray(state["weights"])
        present = wsum > 0
        rates = np.where(present, s / np.where(present, wsum, 1.0), 0.0)
        classes = present.sum(axis=-1)
        return np.where(classes > 0, rates.sum(axis=-1) / np.maximum(classes, 1), np.nan)

    def result(self) -> float:
        if self.rows == 0:
            raise LossInputError(EMPTY)
        present = self.weights > 0
        if not present.any():
            raise LossInputError(ZERO_WEIGHT)
        return float(np.mean(self.sums[present] / self.weights[present]))
