"""The registry: one :class:`LossSpec` per loss, importable without numpy.

A spec joins a loss's catalogue entry with the path of its factory
(``"losscli.losses.factories:huber"``), imported on the first :meth:`LossSpec.make`,
so that ``losscli recommend``, ``losscli losses`` and ``--help`` can name and describe
losses without loading numpy.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from losscli import catalog
from losscli.catalog import LossInfo
from losscli.errors import LossInputError
from losscli.ieee import ieee_results

if TYPE_CHECKING:
    from losscli.losses.accumulators import Accumulator
    from losscli.losses.batch import Batch

DEFAULT_EPS = 1e-7

#: loss id → its factory in :mod:`losscli.losses.factories`
_FACTORY: dict[str, str] = {
    "binary_crossentropy": "crossentropy",
    "categorical_crossentropy": "crossentropy",
    "weighted_binary_crossentropy": "weighted_crossentropy",
    "weighted_categorical_crossentropy": "weighted_crossentropy",
}


@dataclass(frozen=True)
class LossSpec:
    """A registered loss: its catalogue entry plus how to compute it."""

    info: LossInfo
    factory: str

    @property
    def id(self) -> str:
        return self.info.id

    @property
    def aliases(self) -> tuple[str, ...]:
        return self.info.aliases

    @property
    def tasks(self) -> tuple[str, ...]:
        return self.info.tasks

    @property
    def formula(self) -> str:
        return self.info.formula

    @property
    def use_when(self) -> str:
        return self.info.use_when

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.info.params)

    @property
    def greater_is_better(self) -> bool:
        return self.info.greater_is_better

    def make(self, *, n_classes: int = 2, **params: Any) -> Accumulator:
        """A fresh accumulator; ``params`` override the defaults, unknown names are an error.

        ``n_classes`` is used by the class-weighted losses only.
        """
        unknown = set(params) - set(self.info.params)
        if unknown:
            raise LossInputError(
                f"{self.id} has no parameter {', '.join(sorted(unknown))}; "
                f"its parameters are: {', '.join(self.info.params) or 'none'}"
            )
        values = {**self.info.params, **params}
        if self.id.startswith("weighted_") or self.id == "balanced_zero_one":
            values["n_classes"] = n_classes
        module, _, name = self.factory.partition(":")
        factory = getattr(importlib.import_module(module), name)
        acc: Accumulator = factory(**values)
        return acc

    @ieee_results
    def check(self, batch: Batch) -> str | None:
        """Why this loss does not apply to ``batch``, or ``None``: the loss's own
        data requirement (mape: no zero truth, msle: no negatives, ...)."""
        # pinball has no default quantile; a median is enough to check applicability.
        extra = {"quantile": 0.5} if "quantile" in self.info.params else {}
        acc = self.make(n_classes=batch.n_classes or 2, **extra)
        acc.update(batch)
        return acc.skip_reason()


REGISTRY: dict[str, LossSpec] = {
    info.id: LossSpec(info, f"losscli.losses.factories:{_FACTORY.get(info.id, info.id)}")
    for info in catalog.CATALOG
}


def get_spec(name: str) -> LossSpec:
    """The spec for a loss id or alias; LossInputError listing valid ids otherwise."""
    loss_id = catalog.resolve(name)
    if loss_id is None:
        raise LossInputError(f"unknown loss {name!r}; valid ids: {', '.join(REGISTRY)}")
    return REGISTRY[loss_id]
