"""The chunk a grouped evaluation shares, and the contract of a group state.

A :class:`Chunk` is one chunk of rows with their group codes, read once for every
(model, loss); :class:`GroupStates` is what each (model, loss) holds over every group
(``grow`` / ``add`` per cache-sized Batch / ``end_chunk`` / ``finish``), and
:class:`GroupOutcome` what it gives at the end. The kinds of state live in the rooms
beside this one (:mod:`.declared`, :mod:`.r2`, :mod:`.generic`); the helpers here are
the ones they share: :func:`grown` arrays, :func:`fresh` accumulators, and the outcome
of a group judged by a library accumulator (:func:`judge`, :func:`pack`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from losscli.losses import Accumulator, Batch

#: (model index, y, pred, weight, input index) → a Batch of those rows
MakeBatch = Callable[[int, Any, Any, Any, Any], "Batch"]

ZERO_WEIGHT = "sample_weight sums to 0: every row has weight 0"


class Chunk:
    """One chunk of a grouped evaluation, shared by every (model, loss) state.

    ``codes``: the group code of each row; ``index``: each row's input position when
    rows were dropped (else ``None``: position = ``offset`` + row)."""

    def __init__(
        self,
        y: np.ndarray,
        preds: list[np.ndarray],
        w: np.ndarray | None,
        codes: np.ndarray,
        index: np.ndarray | None,
        offset: int,
        n_groups: int,
        make_batch: MakeBatch,
    ) -> None:
        import numpy as np

        self.y, self.preds, self.w, self.codes = y, preds, w, codes
        self.index, self.offset, self.n_groups = index, offset, n_groups
        self.make_batch = make_batch
        self.counts = np.bincount(codes, minlength=n_groups)
        self.weights = (
            self.counts.astype(np.float64)
            if w is None
            else np.bincount(codes, weights=w, minlength=n_groups)
        )
        self._sorted: tuple[Any, ...] | None = None

    def _sort(self) -> tuple[Any, ...]:
        """The chunk's rows ordered by group (stable, so each group keeps file order);
        a stable sort of small integers is a radix sort in numpy: O(n)."""
        import numpy as np

        if self._sorted is None:
            small = self.codes.astype(np.int32, copy=False)
            order = np.argsort(small, kind="stable")
            index = (self.offset + order) if self.index is None else self.index[order]
            bounds = np.concatenate(([0], np.cumsum(self.counts)))
            w = None if self.w is None else self.w[order]
            self._sorted = (order, index, bounds, self.y[order], w, {})
        return self._sorted

    def group_batch(self, m: int, g: int) -> Batch:
        """The rows of group ``g`` in this chunk, for model ``m``, as one Batch."""
        order, index, bounds, y, w, preds = self._sort()
        pred = preds.get(m)
        if pred is None:
            pred = preds[m] = self.preds[m][order]
        lo, hi = int(bounds[g]), int(bounds[g + 1])
        return self.make_batch(
            m, y[lo:hi], pred[lo:hi], None if w is None else w[lo:hi], index[lo:hi]
        )


@dataclass
class GroupOutcome:
    """What :meth:`GroupStates.finish` gives: per group code a value and whether it
    exists, the reasons for the rest (reason → group codes), and the overall state."""

    values: np.ndarray
    ok: np.ndarray
    reasons: list[tuple[str, np.ndarray]]
    overall: Accumulator


def grown(array: np.ndarray, n: int) -> np.ndarray:
    """``array`` with its first axis zero-padded to at least ``n`` (capacity doubles)."""
    import numpy as np

    if array.shape[0] >= n:
        return array
    size = max(n, 2 * array.shape[0], 16)
    out = np.zeros((size, *array.shape[1:]), dtype=array.dtype)
    out[: array.shape[0]] = array
    return out


class GroupStates:
    """The state of one (model, loss) over every group; subclasses hold the sums."""

    def __init__(self, proto: Accumulator, model: int) -> None:
        self.proto = proto
        self.model = model

    def grow(self, n: int) -> None:
        """Make room for ``n`` groups."""

    def add(self, b: Batch, codes: np.ndarray, memo: dict[int, Any]) -> None:
        """Add one cache-sized Batch of the chunk (``codes``: its rows' groups)."""

    def end_chunk(self, chunk: Chunk) -> None:
        """Called once the chunk's Batches were added."""

    def finish(self, n: int, rows: np.ndarray) -> GroupOutcome:
        raise NotImplementedError

    def _bsum(
        self, b: Batch, codes: np.ndarray, v: np.ndarray, n: int, memo: dict[int, Any]
    ) -> np.ndarray:
        """Σw·v per group; ``memo`` (one per Batch) shares the sums of the Batch's own
        arrays (e² for mse, rmse and r2) between losses."""
        import numpy as np

        shared = v is b.y or any(v is c for c in b.cached_arrays())
        hit = memo.get(id(v)) if shared else None
        if hit is None:
            hit = np.bincount(codes, weights=v if b.weight is None else b.weight * v, minlength=n)
            if shared:
                memo[id(v)] = hit
        return hit


# --------------------------------------------------------------------------- shared helpers


def inherits(kind: type, base: type, names: tuple[str, ...]) -> bool:
    """Whether ``kind`` keeps ``base``'s methods ``names`` (so its sums are ``base``'s)."""
    return all(getattr(kind, n) is getattr(base, n) for n in names)


def fresh(proto: Accumulator) -> Accumulator:
    """An empty accumulator configured as ``proto`` (empty): its ``copy()``, or a deep
    copy for a kind that declares no state (the generic copy knows no attributes)."""
    return proto.copy() if proto.state_fields else copy.deepcopy(proto)


def outcome_arrays(n: int) -> tuple[np.ndarray, np.ndarray, dict[str, list[int]]]:
    import numpy as np

    return np.full(n, np.nan), np.zeros(n, dtype=bool), {}


def judge(
    acc: Accumulator, g: int, values: np.ndarray, ok: np.ndarray, reasons: dict[str, list[int]]
) -> None:
    """Group ``g``'s value or reason from a library accumulator."""
    from losscli.errors import LossInputError

    reason = acc.skip_reason()
    if reason is None:
        try:
            values[g] = acc.result()
            ok[g] = True
            return
        except LossInputError as exc:
            reason = str(exc)
    reasons.setdefault(reason or "not applicable", []).append(g)


def pack(
    values: np.ndarray, ok: np.ndarray, reasons: dict[str, list[int]], overall: Accumulator
) -> GroupOutcome:
    import numpy as np

    return GroupOutcome(
        values, ok, [(r, np.array(g, dtype=np.intp)) for r, g in reasons.items()], overall
    )
