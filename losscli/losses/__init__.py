"""The loss library: one validator, shared batches, pointwise terms, accumulators with
declared state, a registry of specs, and the public functions.

Three layers, for three kinds of user:

* plain functions, ``losscli.losses.mse(y_true, y_pred, *, sample_weight=None,
  **params) -> float`` (:mod:`.functions`), for Python users who want one number;
* :class:`Batch` (:mod:`.batch`: one chunk checked by :func:`check_targets`
  (:mod:`.validate`), with the derived arrays its losses share) and the accumulators
  (:mod:`.accumulators`, whose state is declared so that merge, copy, serialisation
  and grouped sums are generic), for streaming;
* :data:`REGISTRY` of :class:`LossSpec` (:mod:`.registry`, importable without numpy)
  for the CLI.

The modules are cut along the flow validate → batch → terms → accumulators, so a
change to a rule, a derived array, a formula or a reduction has one room.
The names are imported on first use (PEP 562 ``__getattr__``), so that importing
:mod:`losscli.losses.registry` (which imports this package first) loads no numpy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from losscli.losses.accumulators import (
        ROWS,
        Accumulator,
        BalancedAccumulator,
        ClassWeightedAccumulator,
        MeanAccumulator,
        R2Accumulator,
        StateField,
    )
    from losscli.losses.batch import Batch
    from losscli.losses.functions import (
        asymmetric_mse,
        balanced_zero_one,
        binary_crossentropy,
        brier,
        categorical_crossentropy,
        focal,
        huber,
        log_cosh,
        mae,
        mape,
        mse,
        msle,
        pinball,
        poisson_deviance,
        r2,
        rmse,
        smooth_l1,
        weighted_binary_crossentropy,
        weighted_categorical_crossentropy,
        zero_one,
    )
    from losscli.losses.registry import DEFAULT_EPS, REGISTRY, LossSpec, get_spec
    from losscli.losses.terms import Violation
    from losscli.losses.validate import ROW_SUM_TOLERANCE, check_targets

__all__ = [
    "DEFAULT_EPS",
    "REGISTRY",
    "ROWS",
    "ROW_SUM_TOLERANCE",
    "Accumulator",
    "BalancedAccumulator",
    "Batch",
    "ClassWeightedAccumulator",
    "LossSpec",
    "MeanAccumulator",
    "R2Accumulator",
    "StateField",
    "Violation",
    "asymmetric_mse",
    "balanced_zero_one",
    "binary_crossentropy",
    "brier",
    "categorical_crossentropy",
    "check_targets",
    "focal",
    "get_spec",
    "huber",
    "log_cosh",
    "mae",
    "mape",
    "mse",
    "msle",
    "pinball",
    "poisson_deviance",
    "r2",
    "rmse",
    "smooth_l1",
    "weighted_binary_crossentropy",
    "weighted_categorical_crossentropy",
    "zero_one",
]

#: public name → the module of the package that defines it
_HOME: dict[str, str] = {
    **dict.fromkeys(
        (
            "Accumulator",
            "BalancedAccumulator",
            "ClassWeightedAccumulator",
            "MeanAccumulator",
            "R2Accumulator",
            "ROWS",
            "StateField",
        ),
        "accumulators",
    ),
    "Batch": "batch",
    **dict.fromkeys(("DEFAULT_EPS", "REGISTRY", "LossSpec", "get_spec"), "registry"),
    "Violation": "terms",
    **dict.fromkeys(("ROW_SUM_TOLERANCE", "check_targets"), "validate"),
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name, "functions" if name in __all__ else None)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value
