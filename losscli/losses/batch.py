"""A validated chunk and the derived arrays its losses share (the "fused" evaluation).

Every loss of a chunk reads the same cached arrays (the error ``e = y - ŷ``, ``|e|``,
``e²``, ``log p_t`` for a given ε, ...), so evaluating ten losses costs little more
than evaluating one. The rules the arrays obey are :func:`~losscli.losses.validate.check_targets`'s;
this module only derives and caches.

Conventions: regression error ``e = y - ŷ`` (truth minus prediction); binary ``y`` is
0/1 and ``pred`` is P(y = 1) (a raw score with ``logits``); multiclass ``y`` holds
class indices and ``pred`` is n × K. Probabilities are clipped to ``[ε, 1 - ε]``
(``[ε, 1]`` for the true class of a multiclass row); with ``logits`` nothing is clipped
(log-sigmoid / log-softmax are exact). Temporaries are updated in place and per-row
choices use arithmetic with 0/1 factors rather than ``np.where``, keeping the textbook
formulas' numbers bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from losscli.losses.validate import (
    ArrayLike,
    BoolArray,
    FloatArray,
    IntArray,
    Where,
    check_targets,
)
from losscli.tasks import BINARY


def log_sigmoid(z: FloatArray) -> FloatArray:
    """log σ(z) = -log(1 + e^(-z)), exact for large |z| (no overflow, no log(0))."""
    return -np.logaddexp(0.0, -z)


class Batch:
    """One validated chunk of (y_true, y_pred[, sample_weight]) with derived arrays cached.

    ``offset`` is the index of the chunk's first row in the whole input (``index``:
    each row's index when rows were dropped or reordered), so error messages name the
    row of the input, not of the chunk. ``labels``: ``y_pred`` holds predicted class
    indices (hard labels), not probabilities.
    """

    #: the truth as class indices (classification only)
    label: IntArray
    #: the predicted class of each row (label predictions only)
    pred_label: IntArray

    def __init__(
        self,
        task: str,
        y_true: ArrayLike,
        y_pred: ArrayLike,
        sample_weight: ArrayLike | None = None,
        *,
        logits: bool = False,
        n_classes: int | None = None,
        offset: int = 0,
        renormalize: bool = False,
        index: IntArray | None = None,
        labels: bool = False,
    ) -> None:
        where: Where = offset if index is None else index
        checked = check_targets(
            task,
            y_true,
            y_pred,
            sample_weight,
            logits=logits,
            n_classes=n_classes,
            labels=labels,
            renormalize=renormalize,
            where=where,
        )
        self.task = task
        self.logits = logits
        self.labels = labels
        self.offset = offset
        #: where each row is in the input, so every message names the input's row
        self.where = where
        self._cache: dict[Any, Any] = {}
        self.y = checked.y
        self.pred = checked.pred
        self.weight = checked.weight
        self.n = checked.n
        self.n_classes = checked.n_classes
        self._sum_true = checked.sum_true
        #: multiclass rows whose probabilities do not sum to 1 (count, first index)
        self.unnormalized_rows = checked.unnormalized_rows
        self.first_unnormalized = checked.first_unnormalized
        if checked.label is not None:
            self.label = checked.label
        if checked.pred_label is not None:
            self.pred_label = checked.pred_label

    def cached_arrays(self) -> list[FloatArray]:
        """The derived arrays computed so far (``e``, ``|e|``, ``e²``...), which stay
        unchanged while the batch lives."""
        return [v for v in self._cache.values() if isinstance(v, np.ndarray)]

    def _cached(self, key: Any, compute: Callable[[], Any]) -> Any:
        value = self._cache.get(key)
        if value is None:
            value = compute()
            self._cache[key] = value
        return value

    # -- regression ---------------------------------------------------------------------

    @property
    def e(self) -> FloatArray:
        """Residual ``y - ŷ``."""
        return self._cached("e", lambda: self.y - self.pred)

    @property
    def abs_e(self) -> FloatArray:
        return self._cached("abs_e", lambda: np.abs(self.e))

    @property
    def sq_e(self) -> FloatArray:
        return self._cached("sq_e", lambda: self.e * self.e)

    @property
    def y_min(self) -> float:
        """min y (the data checks of msle, poisson: one reduction, no mask)."""
        return self._cached("y_min", lambda: float(self.y.min()))

    @property
    def pred_min(self) -> float:
        return self._cached("pred_min", lambda: float(self.pred.min()))

    # -- classification -----------------------------------------------------------------

    @property
    def positive(self) -> BoolArray:
        """Binary: ``y == 1`` as a mask (shared by focal, zero-one)."""
        return self._cached("positive", lambda: self.label == 1)

    @property
    def negative(self) -> FloatArray:
        """Binary: ``1 - y`` (1.0 where y = 0, else 0.0)."""
        return self._cached("negative", lambda: np.subtract(1.0, self.y))

    @property
    def proba(self) -> FloatArray:
        """Probabilities: P(y=1) for binary (1-D), the n × K matrix for multiclass."""

        def compute() -> FloatArray:
            if not self.logits:
                return self.pred
            if self.task == BINARY:
                return np.exp(log_sigmoid(self.pred))
            return np.exp(self._log_softmax())

        return self._cached("proba", compute)

    def _log_softmax(self) -> FloatArray:
        def compute() -> FloatArray:
            z = self.pred - self.pred.max(axis=1, keepdims=True)
            return z - np.log(np.exp(z).sum(axis=1, keepdims=True))

        return self._cached("log_softmax", compute)

    def log_pt(self, eps: float) -> FloatArray:
        """log of the probability given to the true class, clipped at ε unless logits.

        Binary: p_t = p if y = 1 else 1 - p, clipped to [ε, 1 - ε]. Multiclass:
        p_t = P[i, yᵢ], clipped to [ε, 1] (the seed's and Keras's convention).
        """

        def compute() -> FloatArray:
            if self.task == BINARY:
                if self.logits:
                    signed = np.where(self.positive, self.pred, -self.pred)
                    return log_sigmoid(signed)
                p = np.clip(self.pred, eps, 1.0 - eps)
                # log(p) where y = 1, log(1 - p) elsewhere, with one log instead of
                # two, and p_t chosen by arithmetic, not a branch per row (y is 0.0
                # or 1.0, so p·y + (1 - p)(1 - y) is exactly p or 1 - p).
                pt = np.subtract(1.0, p)
                pt *= self.negative
                pt += np.multiply(p, self.y, out=p)
                return np.log(pt, out=pt)
            rows = np.arange(self.n)
            if self.logits:
                return self._log_softmax()[rows, self.label]
            return np.log(np.clip(self.pred[rows, self.label], eps, 1.0))

        key = ("log_pt", None if self.logits else eps)
        return self._cached(key, compute)

    # -- sums ---------------------------------------------------------------------------

    def wsum(self, values: FloatArray) -> float:
        """Σ wᵢ vᵢ, with numpy's pairwise summation.

        Not ``np.dot``: BLAS would start a second thread for every chunk, taking
        the core the file parser runs on, and sums less carefully.
        """
        if self.weight is None:
            if values is self.y:
                return float(self._sum_true)  # (summed by the finite check)
            if values is self._cache.get("sq_e") or values is self._cache.get("abs_e"):
                # shared by mse, rmse and r2 / mae: summed once per batch
                key = ("sum", id(values))
                total = self._cache.get(key)
                if total is None:
                    total = self._cache[key] = float(values.sum())
                return float(total)
            return float(values.sum())
        return float((self.weight * values).sum())

    @property
    def total_weight(self) -> float:
        return float(self.n) if self.weight is None else float(self.weight.sum())
