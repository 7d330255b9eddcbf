"""Group states of any other accumulator: one library accumulator per group.

The fallback of :func:`losscli.evaluate.grouped.make_states` for a kind that declares
no state, or whose update or result is its own: each group's accumulator is updated
from the group's rows of each chunk (a stable radix sort of the chunk by code), so the
values are the library's exactly, at a cost per group.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from losscli.evaluate.grouped.chunk import (
    Chunk,
    GroupOutcome,
    GroupStates,
    fresh,
    judge,
    outcome_arrays,
    pack,
)

if TYPE_CHECKING:
    import numpy as np

    from losscli.losses import Accumulator


class GenericStates(GroupStates):
    """Any other accumulator: one per group, updated from the group's own rows."""

    def __init__(self, proto: Accumulator, model: int) -> None:
        super().__init__(proto, model)
        self.accs: dict[int, Accumulator] = {}

    def grow(self, n: int) -> None:
        pass

    def end_chunk(self, chunk: Chunk) -> None:
        import numpy as np

        for g in np.flatnonzero(chunk.counts).tolist():
            acc = self.accs.get(g)
            if acc is None:
                acc = self.accs[g] = fresh(self.proto)
            acc.update(chunk.group_batch(self.model, g))

    def finish(self, n: int, rows: np.ndarray) -> GroupOutcome:
        overall = fresh(self.proto)
        values, ok, reasons = outcome_arrays(n)
        for g in range(n):
            acc = self.accs.get(g)
            if acc is None:
                continue
            overall.merge(acc)
            judge(acc, g, values, ok, reasons)
        return pack(values, ok, reasons, overall)
