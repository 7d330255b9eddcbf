"""Floating-point results that are right as inf or NaN, computed without warnings.

A loss of values near the float64 limit (``1e308``) is larger than any float: its
squared error, its sum and its mean overflow to ``inf``, which is the value to report
(and the one ``--fail-if`` compares), not a fault. numpy says so with a
``RuntimeWarning`` naming a source line, which is noise to a user of the CLI and to a
caller of the library alike. :func:`ieee_results` runs a function with numpy's
floating-point error reporting off (``np.errstate``: overflow, division by zero and
invalid operations give their IEEE-754 values silently); it wraps the places that
compute losses (``losses._compute``, ``LossSpec.check``, the evaluate engine's
``feed`` and ``finish``). Data checks stay explicit: a NaN in the input is still
found and reported by the validators, which test values, not warnings.

Stdlib at import (a decorator is applied when a module is imported, and
``losscli.evaluate`` must import without numpy); numpy is imported on the first call.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def ieee_results(function: Callable[P, R]) -> Callable[P, R]:
    """``function`` run under ``np.errstate(over, divide, invalid = "ignore")``."""

    @functools.wraps(function)
    def quiet(*args: P.args, **kwargs: P.kwargs) -> R:
        import numpy as np

        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            return function(*args, **kwargs)

    return quiet
