"""The one validator of the loss library: :func:`check_targets`.

Every loss starts from the same checked arrays (the habit of scikit-learn's
``_check_reg_targets``): coerced to float64, of matching shapes, finite, with weights
≥ 0, binary truth in {0, 1}, class indices in 0..K-1 and probabilities in [0, 1]. The
rules are written here once, each as a small function, and each failure is a
:class:`~losscli.errors.LossInputError` with structured fields (``what``, ``problem``,
``count``, ``first_index``) so that callers compute "row N" from ``first_index``
instead of parsing the message.

Cut from :mod:`losscli.losses.batch` because the checks are rules about the input and
the batch is a cache of derived arrays: a reader finds the rules in one place.
Reductions first, masks only on failure (``sum`` is finite ⇔ no NaN / inf unless it
overflows; ``min() < 0`` ⇔ some value < 0): the mask is only built to name the first
bad row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from losscli.errors import LossInputError
from losscli.tasks import BINARY, MULTICLASS, REGRESSION, TASKS

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]
ArrayLike = npt.ArrayLike

#: Row sums of multiclass probabilities further than this from 1 are reported.
ROW_SUM_TOLERANCE = 1e-3

#: Where a batch's rows are in the whole input: the index of its first row (rows
#: in order), or each row's index (rows dropped or reordered: --dropna, --by).
Where = int | npt.NDArray[np.intp]


def first_index(mask: BoolArray) -> int:
    """The position of the first true value of ``mask``."""
    return int(np.argmax(mask))


def at(where: Where, i: int) -> int:
    """The input index of a batch's row ``i``."""
    return int(where[i]) if isinstance(where, np.ndarray) else int(where) + i


def bad(what: str, mask: BoolArray, where: Where, problem: str) -> LossInputError:
    """The error for the values of ``what`` where ``mask`` is true: their count and
    the input index of the first."""
    count = int(np.count_nonzero(mask))
    first = at(where, first_index(mask))
    noun, verb = ("value", "is") if count == 1 else ("values", "are")
    return LossInputError(
        f"{what} has {count} {noun} that {verb} {problem}; first at index {first}",
        what=what,
        problem=problem,
        count=count,
        first_index=first,
    )


def rows_of(mask: BoolArray) -> BoolArray:
    """A per-row mask: a 2-D mask is true for a row where any cell is."""
    return np.asarray(mask.any(axis=1)) if mask.ndim > 1 else mask


def as_float(values: ArrayLike, what: str) -> FloatArray:
    """``values`` as a float64 array, or a LossInputError naming ``what``."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise LossInputError(f"{what} must be numeric", what=what, problem="not numeric") from None
    return array


def finite_sum(array: FloatArray, what: str, where: Where) -> Any:
    """``array.sum()``, having checked that every value is finite.

    A sum of finite values is finite unless it overflows, and NaN / ±inf always
    make it non-finite: one reduction (kept: r2 needs Σy) instead of an
    ``isfinite`` mask and ``all``; the mask is only built when the sum says so.
    """
    total = array.sum()
    if not np.isfinite(total) and not np.isfinite(array).all():
        raise bad(what, rows_of(~np.isfinite(array)), where, "NaN or infinite")
    return total


@dataclass
class Targets:
    """Checked arrays: what :func:`check_targets` returns.

    ``label`` (classification) is the truth as class indices; ``pred_label`` the
    predicted class of each row (label predictions only). ``unnormalized_rows`` and
    ``first_unnormalized`` (input index) count multiclass probability rows that do not
    sum to 1 within :data:`ROW_SUM_TOLERANCE`; ``sum_true`` is Σy (taken by the
    finiteness check, reused by r2).
    """

    y: FloatArray
    pred: FloatArray
    weight: FloatArray | None
    n: int
    n_classes: int
    sum_true: Any
    label: IntArray | None = None
    pred_label: IntArray | None = None
    unnormalized_rows: int = 0
    first_unnormalized: int | None = None


def check_targets(
    task: str,
    y_true: ArrayLike,
    y_pred: ArrayLike,
    sample_weight: ArrayLike | None = None,
    *,
    logits: bool = False,
    n_classes: int | None = None,
    labels: bool = False,
    renormalize: bool = False,
    where: Where = 0,
) -> Targets:
    """Coerce and check one chunk; raise :class:`LossInputError` on the first rule broken.

    The rules, in the order they are checked: a known task (label predictions only for
    classification, without logits); ``y_pred`` numeric, 1-D (n × K for multiclass
    probabilities, K ≥ 2 and = ``n_classes`` when given); ``y_true`` numeric, 1-D, as
    long as ``y_pred``, not empty; both finite; ``sample_weight`` 1-D of length n,
    finite, ≥ 0; binary truth 0 or 1, multiclass truth a class index 0..K-1; label
    predictions class indices; probabilities in [0, 1] unless ``logits``. Multiclass
    rows not summing to 1 are counted, or divided by their sum with ``renormalize``
    (a row summing to 0 then is an error). ``where``: the input index of the first row,
    or each row's index, for ``first_index``.
    """
    _check_mode(task, logits, labels)
    pred = as_float(y_pred, "y_pred")
    k = _prediction_shape(task, pred, n_classes, labels)
    true = as_float(y_true, "y_true")
    n = _lengths(true, pred)
    sum_true = finite_sum(true, "y_true", where)
    finite_sum(pred, "y_pred", where)
    weight = _weights(sample_weight, n, where)
    checked = Targets(true, pred, weight, n, k, sum_true)
    if task == REGRESSION:
        return checked
    checked.label = _classes(task, true, k, where)
    if labels:
        checked.pred_label = _label_predictions(pred, k, where)
        return checked
    _probabilities(pred, logits, where)
    if task == MULTICLASS and not logits:
        checked.pred, checked.unnormalized_rows, checked.first_unnormalized = _row_sums(
            pred, renormalize, where
        )
    return checked


def _check_mode(task: str, logits: bool, labels: bool) -> None:
    if task not in TASKS:
        raise LossInputError(f"unknown task {task!r}; expected one of {TASKS}")
    if labels and (task == REGRESSION or logits):
        raise LossInputError("label predictions are class indices of a classification task")


def _prediction_shape(task: str, pred: FloatArray, n_classes: int | None, labels: bool) -> int:
    """The number of classes the predictions say (0 for regression), their shape checked."""
    if labels:
        if pred.ndim != 1:
            raise LossInputError(f"label predictions must be 1-D, got shape {pred.shape}")
        k = 2 if task == BINARY else int(n_classes or 0)
        if k < 2:
            raise LossInputError("multiclass label predictions need n_classes ≥ 2")
        return k
    if task == MULTICLASS:
        if pred.ndim != 2:
            raise LossInputError(
                f"multiclass y_pred must be 2-D (n rows × K classes), got shape {pred.shape}"
            )
        k = pred.shape[1] if n_classes is None else n_classes
        if pred.shape[1] != k:
            raise LossInputError(f"y_pred has {pred.shape[1]} columns for {k} classes")
        if k < 2:
            raise LossInputError("multiclass y_pred needs at least 2 class columns")
        return int(k)
    if pred.ndim != 1:
        raise LossInputError(f"y_pred must be 1-D for {task}, got shape {pred.shape}")
    return 2 if task == BINARY else 0


def _lengths(true: FloatArray, pred: FloatArray) -> int:
    if true.ndim != 1:
        raise LossInputError(f"y_true must be 1-D, got shape {true.shape}")
    n = int(true.shape[0])
    if pred.shape[0] != n:
        raise LossInputError(f"y_true and y_pred differ in length: {n} and {pred.shape[0]} values")
    if n == 0:
        raise LossInputError("empty input: no rows to evaluate")
    return n


def _weights(sample_weight: ArrayLike | None, n: int, where: Where) -> FloatArray | None:
    if sample_weight is None:
        return None
    weight = as_float(sample_weight, "sample_weight")
    if weight.shape != (n,):
        raise LossInputError(
            f"sample_weight has {weight.size} values for {n} rows"
            if weight.ndim == 1
            else f"sample_weight must be 1-D, got shape {weight.shape}"
        )
    finite_sum(weight, "sample_weight", where)
    if weight.min() < 0:
        raise bad("sample_weight", weight < 0, where, "below 0")
    return weight


def _class_index_mask(values: FloatArray, k: int) -> BoolArray:
    """Where ``values`` is not a class index 0..k-1."""
    return np.asarray((values < 0) | (values >= k) | (values != np.floor(values)))


def _classes(task: str, true: FloatArray, k: int, where: Where) -> IntArray:
    if task == BINARY:
        mask = (true != 0.0) & (true != 1.0)
        if mask.any():
            raise bad("y_true", mask, where, "not 0 or 1")
    else:
        mask = _class_index_mask(true, k)
        if mask.any():
            raise bad("y_true", mask, where, f"not a class index 0..{k - 1}")
    return true.astype(np.intp)


def _label_predictions(pred: FloatArray, k: int, where: Where) -> IntArray:
    mask = _class_index_mask(pred, k)
    if mask.any():
        raise bad("y_pred", mask, where, f"not a class index 0..{k - 1}")
    return pred.astype(np.intp)


def _probabilities(pred: FloatArray, logits: bool, where: Where) -> None:
    if logits or (pred.min() >= 0.0 and pred.max() <= 1.0):
        return
    outside = rows_of((pred < 0.0) | (pred > 1.0))
    if outside.any():  # (always: the reductions found one)
        raise bad("y_pred", outside, where, "outside [0, 1] (use logits=True for raw scores)")


def _row_sums(
    pred: FloatArray, renormalize: bool, where: Where
) -> tuple[FloatArray, int, int | None]:
    """Multiclass probabilities: (rows divided by their sums when ``renormalize``,
    count of rows off 1, input index of the first)."""
    sums = pred.sum(axis=1)
    off = np.abs(sums - 1.0) > ROW_SUM_TOLERANCE
    count, first = 0, None
    if off.any():
        count = int(np.count_nonzero(off))
        first = at(where, first_index(off))
    if renormalize:
        if (sums <= 0).any():
            raise bad("y_pred", sums <= 0, where, "in a row summing to 0 (cannot renormalize)")
        pred = pred / sums[:, None]
    return pred, count, first
