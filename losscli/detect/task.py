"""Which task a file holds, from a sample of its values (the first chunk is enough).

Task inference (:func:`infer_task`): class-probability columns → multiclass;
truth values in {0, 1} (or booleans) and predictions in [0, 1] → binary; text
truth with at most two labels → binary (the caller asks for ``--positive``);
otherwise regression. A file with a truth and no prediction (``recommend --from``)
goes by :func:`infer_task_from_truth`.

Why cut so: the layout is decided from names alone (:mod:`losscli.detect.layout`),
the task needs the values, and numpy, imported inside the functions here.
"""

from __future__ import annotations

from typing import Any

from losscli.detect.layout import Layout, where
from losscli.errors import InputError
from losscli.tasks import BINARY, MULTICLASS, REGRESSION, is_missing


def infer_task(y_true: Any, first_pred: Any, layout: Layout, *, source: str = "") -> str:
    """``"regression"`` | ``"binary"`` | ``"multiclass"`` from a sample of the data.

    ``y_true`` is a Series / array of the truth (a first chunk is enough),
    ``first_pred`` the first model's predictions (Series / array, or a 2-D
    DataFrame / array for a multiclass model, or ``None``).
    """
    import numpy as np

    if layout.multiclass:
        return MULTICLASS
    truth = np.asarray(y_true)
    if truth.dtype == bool:
        return BINARY
    values = as_float_or_none(truth)
    if values is None:
        labels = {str(v) for v in truth.ravel().tolist() if not is_missing(v)}
        if len(labels) <= 2:
            return BINARY
        raise InputError(
            f"the truth column {layout.target!r}{where(source)} holds {len(labels)} text "
            "labels but there is one prediction column per model; for multiclass give one "
            "probability column per class (e.g. --pred 'prob_*'), or say --task"
        )
    values = values[~np.isnan(values)]
    if values.size == 0 or not np.isin(values, (0.0, 1.0)).all():
        return REGRESSION
    if first_pred is None:
        return BINARY
    pred = as_float_or_none(np.asarray(first_pred))
    if pred is None:
        return REGRESSION
    pred = pred[~np.isnan(pred)]
    if pred.size and (pred.min() < 0.0 or pred.max() > 1.0):
        return REGRESSION
    return BINARY


def as_float_or_none(values: Any) -> Any:
    """float64 array (None/NaN → NaN), or None when some value is not a number.
    Works on numpy arrays and pandas Series alike, without importing pandas."""
    import numpy as np

    arr = np.asarray(values)
    if arr.dtype.kind in "fiub":
        return arr.astype(np.float64, copy=False).ravel()
    out = np.empty(arr.size, dtype=np.float64)
    for i, v in enumerate(arr.ravel().tolist()):
        if is_missing(v):
            out[i] = np.nan
            continue
        try:
            out[i] = float(v)
        except (TypeError, ValueError):
            return None
    return out


def infer_task_from_truth(y_true: Any) -> str:
    """Task from a truth column alone (no prediction column): text labels →
    multiclass (binary when there are exactly two), {0, 1} → binary, else regression.
    This is ``recommend``'s rule when a file has no prediction; with predictions,
    :func:`infer_task` decides (it asks for a probability column per class instead)."""
    import pandas as pd

    values = pd.Series(y_true).dropna()
    if not pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numeric = pd.to_numeric(values, errors="coerce")
        if numeric.isna().any():
            return BINARY if values.nunique() == 2 else MULTICLASS
        values = numeric
    if set(pd.unique(values.astype(float))) <= {0.0, 1.0}:
        return BINARY
    return REGRESSION
