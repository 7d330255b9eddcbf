"""``--by``: the state of every loss over every group, as numpy arrays indexed by group code.

Why a package of its own: with 100,000 groups, one Python accumulator per (group,
loss), one ``Result`` per cell and a per-group batch for every loss made ``--by`` cost
minutes and gigabytes. Here each (model, loss) holds one group state whose sums are
arrays of length *number of groups*, filled by ``np.bincount`` over a chunk's group
codes; nothing on the hot path is per group.

The rooms, one per kind of state, chosen by :func:`make_states` from the accumulator:

* :mod:`.chunk`: the :class:`Chunk` every state reads, the :class:`GroupStates`
  contract and :class:`GroupOutcome`, and the helpers the kinds share;
* :mod:`.declared`: accumulators that declare linear sums (:class:`DeclaredStates`,
  and its vectorised :class:`MeanStates` and :class:`ClassWeightedStates`);
* :mod:`.r2`: R² (:class:`R2States`), whose ȳ and M2 merge by Chan's formula about a
  per-group pivot;
* :mod:`.generic`: any other accumulator, one per group (:class:`GenericStates`).

The overall row is the exact merge of the group states (sums of the per-group sums;
for R² the many-way Chan merge), loaded into one accumulator of the library's type so
its skip reason and result are the library's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from losscli.evaluate.grouped.chunk import (
    ZERO_WEIGHT,
    Chunk,
    GroupOutcome,
    GroupStates,
    MakeBatch,
    fresh,
    grown,
    inherits,
)
from losscli.evaluate.grouped.declared import ClassWeightedStates, DeclaredStates, MeanStates
from losscli.evaluate.grouped.generic import GenericStates
from losscli.evaluate.grouped.r2 import R2States

if TYPE_CHECKING:
    from losscli.losses import Accumulator

__all__ = [
    "ZERO_WEIGHT",
    "Chunk",
    "ClassWeightedStates",
    "DeclaredStates",
    "GenericStates",
    "GroupOutcome",
    "GroupStates",
    "MakeBatch",
    "MeanStates",
    "R2States",
    "fresh",
    "grown",
    "make_states",
]


def make_states(proto: Accumulator, model: int) -> GroupStates:
    """The vectorised states for ``proto``'s kind, or the generic per-group ones."""
    from losscli import losses

    kind = type(proto)
    if not _generic(proto):
        if isinstance(proto, losses.R2Accumulator) and inherits(
            kind, losses.R2Accumulator, ("update", "merge", "result", "skip_reason")
        ):
            return R2States(proto, model)
        return GenericStates(proto, model)
    if isinstance(proto, losses.MeanAccumulator):
        if inherits(kind, losses.MeanAccumulator, ("result", "skip_reason", "terms", "admit")):
            return MeanStates(proto, model)
        return GenericStates(proto, model)
    if isinstance(proto, losses.ClassWeightedAccumulator):
        return ClassWeightedStates(proto, model)
    if all(f.reduce == "sum" for f in proto.state_fields):
        return DeclaredStates(proto, model)
    return GenericStates(proto, model)


def _generic(proto: Accumulator) -> bool:
    """Whether ``proto`` declares its state and keeps the generic update and merge (so
    its state is what the declaration says)."""
    from losscli.losses import Accumulator

    return bool(proto.state_fields) and inherits(type(proto), Accumulator, ("update", "merge"))
