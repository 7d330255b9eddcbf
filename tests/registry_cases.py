"""Registry-driven test cases and a toy loss registered at run time.

``cases()`` lists (loss id, task) for every registered loss; ``TOY_CASES`` the toy
loss's, which a test module adds to its parametrisation together with an autouse
fixture entering ``toy_for(request.node)``, so that the toy loss is in
the registry exactly while its own cases run. The toy loss proves the CONTRIBUTING.md
recipe: one :class:`LossSpec`, one :class:`Param`, a factory, nothing else edited.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from losscli.losses import registry
from losscli.tasks import REGRESSION

TOY_ID = "toy_power_error"
#: a parameter registered with the toy: an ``evaluate`` option (``--power P``), a keyword
#: of ``LossParams`` / ``evaluate_frame`` and ``p=…`` in the reports' parameters line
POWER = registry.Param(
    "power", "float", 3.0, "> 0", "--power", "p", "toy_power_error exponent (default 3).", "P"
)


def make_toy(power: float, **_: Any) -> Any:
    """The toy's factory: mean |y - ŷ|^p, a MeanAccumulator over a new term."""
    from losscli.losses import Batch, MeanAccumulator

    def term(b: Batch) -> np.ndarray:
        return np.power(b.abs_e, float(power))

    return MeanAccumulator(term)


TOY = registry.LossSpec(
    TOY_ID,
    "Toy power error",
    (REGRESSION,),
    "mean |y - ŷ|^p",
    "a test of the registry (never in a release)",
    aliases=("toy_power",),
    takes=("power",),
    factory=make_toy,
)

TOY_CASES = [(TOY_ID, task) for task in TOY.tasks]


def cases() -> list[tuple[str, str]]:
    """(loss id, task) for every registered loss and each of its tasks."""
    return [(loss_id, task) for loss_id, spec in registry.REGISTRY.items() for task in spec.tasks]


@contextmanager
def toy_registered() -> Iterator[registry.LossSpec]:
    """The toy loss (and its parameter) in the registry for a ``with`` block."""
    with registry.registered(TOY, POWER) as spec:
        yield spec


@contextmanager
def toy_for(node: Any) -> Iterator[None]:
    """The toy loss registered while test ``node`` runs if it is parametrised with
    ``loss_id = TOY_ID`` (use it in an autouse fixture), else nothing."""
    callspec = getattr(node, "callspec", None)
    if callspec is not None and callspec.params.get("loss_id") == TOY_ID:
        with toy_registered():
            yield
    else:
        yield
