"""``--by``: the state of every loss over every group, as numpy arrays indexed by group code.

Why a module of its own: with 100,000 groups, one Python accumulator per (group, loss),
one ``Result`` per cell and a per-group batch for every loss made ``--by`` cost minutes
and gigabytes. Here each (model, loss) holds one :class:`GroupStates` whose sums are
arrays of length *number of groups*, filled by ``np.bincount`` over a chunk's group
codes; nothing on the hot path is per group.

The states mirror the library's accumulators (``losscli.losses``), so the numbers are
theirs:

* :class:`MeanStates` (``MeanAccumulator``: mse, mae, huber, msle, …): Σwℓ and Σw per
  group, value Σwℓ / Σw (through the loss's transform: √ for rmse). A loss with a data
  requirement (msle: y ≥ 0) marks the groups holding a violating row with the loss's
  ``violations`` mask; the overall reason is the library's own ``check`` run on the
  rows of the violating groups of the first chunk that has one, in order of each
  group's first violating row, stopping as soon as no later group can name an earlier
  row (usually one group).
* :class:`R2States` (``R2Accumulator``): per group Σw, the weighted mean of y,
  M2 = Σw(y − ȳ)² and Σw e²; a chunk's per-group (Σw, mean, M2) are combined with the
  state by Chan et al.'s parallel formula, vectorised: δ = m_b − m_a,
  W = W_a + W_b, m = m_a + δ·W_b/W, M2 = M2_a + M2_b + δ²·W_a·W_b/W.
* :class:`ClassWeightedStates` (``ClassWeightedAccumulator`` and subclasses that keep
  its per-class sums): S[g, c] = Σ_{y=c} sℓ, W[g, c] = Σ_{y=c} s and the counts n[g, c];
  value Σ_c w_c S / Σ_c w_c W with w_c = n_g / (K·n[g, c]) for ``balanced``. A subclass
  that overrides how the result is computed from those sums gets it from one scratch
  accumulator per group at the end (never on the hot path).
* :class:`GenericStates`: any other accumulator, one per group, updated from each
  group's rows (a stable radix sort of the chunk by code): slow, but exact for a kind
  this module does not know.

The overall row is the exact merge of the group states (sums of the per-group sums;
for R² the many-way Chan merge: m = Σ W_g m_g / W, M2 = Σ M2_g + Σ W_g (m_g − m)²),
built as one accumulator of the library's type so its skip reason and result are the
library's.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from losscli.losses import Accumulator, Batch, Violation

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


class MeanStates(GroupStates):
    """Σwℓ and Σw per group; see the module docstring for the requirement's reason."""

    def __init__(self, proto: Any, model: int) -> None:
        import numpy as np

        super().__init__(proto, model)
        self.total = np.zeros(0)
        self.weight = np.zeros(0)
        self.broken = np.zeros(0, dtype=bool)
        self.violation: Violation | None = None
        self.pending: list[tuple[np.ndarray, np.ndarray]] = []  # (groups, positions)

    def add(self, b: Batch, codes: np.ndarray, memo: dict[int, Any]) -> None:
        import numpy as np

        n = self.broken.shape[0]
        proto: Any = self.proto
        if proto.needs is not None and proto.needs.find(b) is not None:
            bad = proto.needs.violations(b)
            where = np.flatnonzero(bad)
            groups = codes[where]
            self.broken[groups] = True
            if self.violation is None:
                pos = b.where + where if isinstance(b.where, int) else b.where[where]
                self.pending.append((groups, pos))
            with np.errstate(all="ignore"):  # (the broken groups' sums are not used)
                term = proto.term(b)
        else:
            term = proto.term(b)
        self.total += self._bsum(b, codes, term, n, memo)

    def end_chunk(self, chunk: Chunk) -> None:
        import numpy as np

        self.weight[: chunk.n_groups] += chunk.weights
        if not self.pending:
            return
        groups = np.concatenate([g for g, _ in self.pending])
        pos = np.concatenate([p for _, p in self.pending])
        self.pending = []
        order = np.argsort(pos, kind="stable")
        groups, pos = groups[order], pos[order]
        candidates, first = np.unique(groups, return_index=True)
        by_first = np.argsort(first)
        best: Violation | None = None
        needs = self.proto.needs  # type: ignore[attr-defined]
        for g, at in zip(candidates[by_first].tolist(), pos[first[by_first]].tolist(), strict=True):
            if best is not None and at > best.first_index:
                break  # this group's violation is at or after ``at``
            found = needs.find(chunk.group_batch(self.model, g))
            if found is not None and (best is None or found < best):
                best = found
        self.violation = best

    def grow(self, n: int) -> None:
        self.total = grown(self.total, n)
        self.weight = grown(self.weight, n)
        self.broken = grown(self.broken, n)

    def finish(self, n: int, rows: np.ndarray) -> GroupOutcome:
        import numpy as np

        total, weight, broken = self.total[:n], self.weight[:n], self.broken[:n]
        ok = ~broken & (weight > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = np.where(ok, total / np.where(ok, weight, 1.0), np.nan)
        transform = self.proto.transform  # type: ignore[attr-defined]
        if transform is math.sqrt:
            mean = np.sqrt(mean)
        elif transform is not None:
            mean = np.array([transform(v) if k else v for v, k in zip(mean, ok, strict=True)])
        overall: Any = _fresh(self.proto)
        overall.rows = int(rows.sum())
        overall.total = float(total.sum())
        overall.weight = float(weight.sum())
        overall.violation = self.violation
        reasons: list[tuple[str, np.ndarray]] = []
        if broken.any():
            reason = overall.skip_reason()
            reasons.append((reason or "not applicable", np.flatnonzero(broken)))
        zero = ~broken & (weight <= 0)
        if zero.any():
            reasons.append((ZERO_WEIGHT, np.flatnonzero(zero)))
        return GroupOutcome(mean, ok, reasons, overall)


class R2States(GroupStates):
    """Per group Σw, weighted mean of y, M2 and Σw e², merged chunk by chunk (Chan)."""

    def __init__(self, proto: Accumulator, model: int) -> None:
        import numpy as np

        super().__init__(proto, model)
        self.weight = np.zeros(0)
        self.mean = np.zeros(0)
        self.m2 = np.zeros(0)
        self.sse = np.zeros(0)
        self.sy = np.zeros(0)
        #: one truth value of each group seen, and whether another value differs
        self.ref = np.zeros(0)
        self.seen = np.zeros(0, dtype=bool)
        self.varies = np.zeros(0, dtype=bool)

    def grow(self, n: int) -> None:
        for name in ("weight", "mean", "m2", "sse", "sy", "ref", "seen", "varies"):
            setattr(self, name, grown(getattr(self, name), n))

    def add(self, b: Batch, codes: np.ndarray, memo: dict[int, Any]) -> None:
        n = self.sy.shape[0]
        self.sy[:n] += self._bsum(b, codes, b.y, n, memo)
        self.sse += self._bsum(b, codes, b.sq_e, n, memo)

    def end_chunk(self, chunk: Chunk) -> None:
        import numpy as np

        n = chunk.n_groups
        wb = chunk.weights
        has = wb > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            mb = np.where(has, self.sy[:n] / np.where(has, wb, 1.0), 0.0)
        m2b = np.zeros(n)
        step = 1 << 16
        for lo in range(0, chunk.y.shape[0], step):
            codes = chunk.codes[lo : lo + step]
            d = chunk.y[lo : lo + step] - mb[codes]
            d *= d
            w = None if chunk.w is None else chunk.w[lo : lo + step]
            m2b += np.bincount(codes, weights=d if w is None else w * d, minlength=n)
        self.sy[:] = 0.0
        self._constant(chunk)
        wa, ma = self.weight[:n], self.mean[:n]
        total = wa + wb
        with np.errstate(divide="ignore", invalid="ignore"):
            delta = mb - ma
            frac = np.where(has, wb / np.where(has, total, 1.0), 0.0)
            self.mean[:n] = np.where(has, ma + delta * frac, ma)
            self.m2[:n] += np.where(has, m2b + delta * delta * wa * frac, 0.0)
        self.weight[:n] = total

    def _constant(self, chunk: Chunk) -> None:
        """Which groups have a truth that varies: a weighted mean from sums in another
        order than the ungrouped run's is off by an ulp, which would leave a constant
        truth a tiny M2 > 0 (and R² ≈ -1e32) instead of R² being undefined."""

        codes, y = chunk.codes, chunk.y
        new = ~self.seen[codes]
        if new.any():
            self.ref[codes[new]] = y[new]  # (any of the group's values will do)
            self.seen[codes[new]] = True
        differs = y != self.ref[codes]
        if differs.any():
            self.varies[codes[differs]] = True

    def finish(self, n: int, rows: np.ndarray) -> GroupOutcome:
        import numpy as np

        from losscli.losses import R2Accumulator

        weight, mean, m2, sse = self.weight[:n], self.mean[:n], self.m2[:n], self.sse[:n]
        positive = weight > 0
        constant = positive & ((m2 <= 0) | ~self.varies[:n])
        ok = positive & ~constant
        with np.errstate(divide="ignore", invalid="ignore"):
            values = np.where(ok, 1.0 - sse / np.where(ok, m2, 1.0), np.nan)
        overall: Any = R2Accumulator()
        overall.rows = int(rows.sum())
        overall.sse = float(sse.sum())
        w_all = float(weight.sum())
        if w_all > 0:
            m_all = float((weight * mean).sum() / w_all)
            dev = mean - m_all
            overall.weight = w_all
            overall.mean = m_all
            overall.m2 = float(m2.sum() + (weight * dev * dev).sum())
            if not self.varies[:n].any() and np.unique(self.ref[:n][self.seen[:n]]).size < 2:
                overall.m2 = 0.0  # (one truth value in every row)
        reasons = []
        if (~positive).any():
            reasons.append((ZERO_WEIGHT, np.flatnonzero(~positive)))
        if constant.any():
            reasons.append(("r2 is undefined when the truth is constant", np.flatnonzero(constant)))
        return GroupOutcome(values, ok, reasons, overall)


class ClassWeightedStates(GroupStates):
    """S[g, c], W[g, c] and n[g, c]: the class-weighted sums of each group."""

    def __init__(self, proto: Any, model: int) -> None:
        import numpy as np

        super().__init__(proto, model)
        self.k = int(proto.k)
        self.sums = np.zeros((0, self.k))
        self.weights = np.zeros((0, self.k))
        self.counts = np.zeros((0, self.k), dtype=np.int64)

    def _widen(self, k: int) -> None:
        """Room for classes ``self.k..k-1`` (a new class has no rows yet)."""
        import numpy as np

        extra = k - self.k
        self.sums = np.pad(self.sums, ((0, 0), (0, extra)))
        self.weights = np.pad(self.weights, ((0, 0), (0, extra)))
        self.counts = np.pad(self.counts, ((0, 0), (0, extra)))
        self.k = k

    def grow(self, n: int) -> None:
        self.sums = grown(self.sums, n)
        self.weights = grown(self.weights, n)
        self.counts = grown(self.counts, n)

    def add(self, b: Batch, codes: np.ndarray, memo: dict[int, Any]) -> None:
        import numpy as np

        from losscli.errors import LossInputError

        if b.n_classes != self.k:
            if b.n_classes < self.k:
                raise LossInputError(f"batch has {b.n_classes} classes, expected {self.k}")
            self._widen(b.n_classes)  # label predictions meet their classes as they stream
        k = self.k
        size = self.sums.shape[0] * k
        loss = self.proto.term(b)  # type: ignore[attr-defined]
        key = codes * k + b.label
        w = b.weight
        flat = self.sums.reshape(-1)
        flat += np.bincount(key, weights=loss if w is None else w * loss, minlength=size)
        c = np.bincount(key, minlength=size)
        self.counts.reshape(-1)[:] += c
        self.weights.reshape(-1)[:] += (
            c if w is None else np.bincount(key, weights=w, minlength=size)
        )

    def finish(self, n: int, rows: np.ndarray) -> GroupOutcome:
        import numpy as np

        sums, weights, counts = self.sums[:n], self.weights[:n], self.counts[:n]
        overall: Any = _fresh(self.proto)
        overall.k = self.k
        overall.rows = int(rows.sum())
        overall.sums = sums.sum(axis=0)
        overall.weights = weights.sum(axis=0)
        overall.counts = counts.sum(axis=0)
        if not _plain_class_weighted(self.proto):
            return self._by_scratch(sums, weights, counts, rows, overall)
        proto: Any = self.proto
        values = np.full(n, np.nan)
        ok = np.zeros(n, dtype=bool)
        reasons: list[tuple[str, np.ndarray]] = []
        if isinstance(proto.class_weight, str):
            with np.errstate(divide="ignore", invalid="ignore"):
                cw = counts.sum(axis=1, keepdims=True) / (self.k * counts.astype(np.float64))
            cw = np.where(counts > 0, cw, 0.0)
            few = np.count_nonzero(counts, axis=1) < 2
            if few.any():
                reasons.append(
                    (
                        "class-balanced weights need at least two classes present in y_true",
                        np.flatnonzero(few),
                    )
                )
        else:
            cw = np.broadcast_to(overall.class_weights(), (n, self.k))
            few = np.zeros(n, dtype=bool)
        den = (cw * weights).sum(axis=1)
        num = (cw * sums).sum(axis=1)
        zero = ~few & (den <= 0)
        if zero.any():
            reasons.append(("the weights (sample × class) sum to 0", np.flatnonzero(zero)))
        ok = ~few & ~zero
        with np.errstate(divide="ignore", invalid="ignore"):
            values = np.where(ok, num / np.where(ok, den, 1.0), np.nan)
        return GroupOutcome(values, ok, reasons, overall)

    def _by_scratch(
        self,
        sums: np.ndarray,
        weights: np.ndarray,
        counts: np.ndarray,
        rows: np.ndarray,
        overall: Accumulator,
    ) -> GroupOutcome:
        """A subclass that computes its result its own way: one scratch accumulator
        loaded with each group's sums in turn."""
        scratch: Any = _fresh(self.proto)
        scratch.k = self.k
        n = sums.shape[0]
        values, ok, reasons = _outcome_arrays(n)
        for g in range(n):
            scratch.rows = int(rows[g])
            scratch.sums, scratch.weights, scratch.counts = sums[g], weights[g], counts[g]
            _judge(scratch, g, values, ok, reasons)
        return _pack(values, ok, reasons, overall)


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
                acc = self.accs[g] = _fresh(self.proto)
            acc.update(chunk.group_batch(self.model, g))

    def finish(self, n: int, rows: np.ndarray) -> GroupOutcome:
        overall = _fresh(self.proto)
        values, ok, reasons = _outcome_arrays(n)
        for g in range(n):
            acc = self.accs.get(g)
            if acc is None:
                continue
            overall.merge(acc)
            _judge(acc, g, values, ok, reasons)
        return _pack(values, ok, reasons, overall)


def make_states(proto: Accumulator, model: int) -> GroupStates:
    """The vectorised states for ``proto``'s kind, or the generic per-group ones."""
    from losscli import losses

    kind = type(proto)
    if isinstance(proto, losses.MeanAccumulator) and _inherits(
        kind, losses.MeanAccumulator, ("update", "merge", "result", "skip_reason")
    ):
        return MeanStates(proto, model)
    if isinstance(proto, losses.R2Accumulator) and _inherits(
        kind, losses.R2Accumulator, ("update", "merge", "result", "skip_reason")
    ):
        return R2States(proto, model)
    if isinstance(proto, losses.ClassWeightedAccumulator) and _inherits(
        kind, losses.ClassWeightedAccumulator, ("update", "merge")
    ):
        return ClassWeightedStates(proto, model)
    return GenericStates(proto, model)


# --------------------------------------------------------------------------- helpers


def _inherits(kind: type, base: type, names: tuple[str, ...]) -> bool:
    """Whether ``kind`` keeps ``base``'s methods ``names`` (so its sums are ``base``'s)."""
    return all(getattr(kind, n) is getattr(base, n) for n in names)


def _plain_class_weighted(proto: Accumulator) -> bool:
    from losscli.losses import ClassWeightedAccumulator

    return _inherits(
        type(proto), ClassWeightedAccumulator, ("result", "skip_reason", "class_weights")
    )


def _fresh(proto: Accumulator) -> Accumulator:
    """An empty accumulator configured as ``proto`` (which is empty)."""
    return copy.deepcopy(proto)


def _outcome_arrays(n: int) -> tuple[np.ndarray, np.ndarray, dict[str, list[int]]]:
    import numpy as np

    return np.full(n, np.nan), np.zeros(n, dtype=bool), {}


def _judge(
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


def _pack(
    values: np.ndarray, ok: np.ndarray, reasons: dict[str, list[int]], overall: Accumulator
) -> GroupOutcome:
    import numpy as np

    return GroupOutcome(
        values, ok, [(r, np.array(g, dtype=np.intp)) for r, g in reasons.items()], overall
    )
