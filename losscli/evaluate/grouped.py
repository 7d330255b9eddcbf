"""``--by``: the state of every loss over every group, as numpy arrays indexed by group code.

Why a module of its own: with 100,000 groups, one Python accumulator per (group, loss),
one ``Result`` per cell and a per-group batch for every loss made ``--by`` cost minutes
and gigabytes. Here each (model, loss) holds one :class:`GroupStates` whose sums are
arrays of length *number of groups*, filled by ``np.bincount`` over a chunk's group
codes; nothing on the hot path is per group.

The states come from the accumulators' *declared* state
(:class:`losscli.losses.StateField`), never from their attributes by name:

* :class:`DeclaredStates`: any accumulator whose fields are linear sums and whose
  ``update`` / ``merge`` are the library's generic ones. One array per declared field
  (``per_class`` fields: groups × K, filled over the key group·K + class); a ``term``
  field adds ``bincount(codes, w·ℓ)`` per Batch, a scalar ``weight`` / ``count`` field
  the chunk's group weights / counts once per chunk (shared by every loss). Each
  group's value comes from a scratch accumulator loaded with the group's state
  (:meth:`~losscli.losses.Accumulator.from_state`), the overall one from the summed state.
* :class:`MeanStates` (``MeanAccumulator``: mse, mae, huber, msle, …): the same sums,
  the values Σwℓ / Σw vectorised (through the loss's transform: √ for rmse). A loss
  with a data requirement (msle: y ≥ 0) marks the groups holding a violating row; the
  overall violation is the library's own requirement check run on the rows of the
  violating groups of the first chunk that has one, in order of each group's first
  violating row, stopping as soon as no later group can name an earlier row.
* :class:`ClassWeightedStates` (``ClassWeightedAccumulator``): S[g, c], W[g, c], n[g, c];
  value Σ_c w_c S / Σ_c w_c W, w_c = W_g / (K·W[g, c]) for ``balanced``, vectorised
  (a subclass with its own result: by scratch accumulators, as :class:`DeclaredStates`).
* :class:`R2States` (``R2Accumulator``, whose ȳ and M2 merge by Chan's formula, not
  by sums): per group Σw, the weighted mean of y, M2 = Σw(y − ȳ)² and Σw e²; a chunk's
  per-group (Σw, mean, M2) are combined with the state vectorised: δ = m_b − m_a,
  W = W_a + W_b, m = m_a + δ·W_b/W, M2 = M2_a + M2_b + δ²·W_a·W_b/W.
* :class:`GenericStates`: any other accumulator, one per group, updated from each
  group's rows (a stable radix sort of the chunk by code): slow, but exact for a kind
  that declares no state.

The overall row is the exact merge of the group states (sums of the per-group sums;
for R² the many-way Chan merge: m = Σ W_g m_g / W, M2 = Σ M2_g + Σ W_g (m_g − m)²),
loaded into one accumulator of the library's type so its skip reason and result are
the library's.
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


class DeclaredStates(GroupStates):
    """One array per declared field of the accumulator (``rows`` aside: the engine
    counts the rows of each group), filled by ``bincount``; see the module docstring."""

    def __init__(self, proto: Accumulator, model: int) -> None:
        import numpy as np

        super().__init__(proto, model)
        self.k = proto.k
        self.fields = [f for f in proto.state_fields[1:] if f.source != "none"]
        self.arrays: dict[str, np.ndarray] = {
            f.name: np.zeros(
                (0, self.k) if f.shape == "per_class" else 0,
                dtype=np.int64 if f.integer else np.float64,
            )
            for f in self.fields
        }

    def grow(self, n: int) -> None:
        for name, array in self.arrays.items():
            self.arrays[name] = grown(array, n)

    def _widen(self, k: int) -> None:
        """Room for classes ``self.k..k-1`` (label predictions meet their classes as
        they stream; a new class has no rows yet)."""
        import numpy as np

        extra = k - self.k
        for f in self.fields:
            if f.shape == "per_class":
                self.arrays[f.name] = np.pad(self.arrays[f.name], ((0, 0), (0, extra)))
        self.k = k

    def _terms(self, b: Batch, codes: np.ndarray) -> dict[str, np.ndarray]:
        """The accumulator's per-row terms of ``b`` (a hook for the requirement check)."""
        return self.proto.terms(b)

    def add(self, b: Batch, codes: np.ndarray, memo: dict[int, Any]) -> None:
        import numpy as np

        from losscli.errors import LossInputError

        if self.k and b.n_classes != self.k:
            if b.n_classes < self.k:
                raise LossInputError(f"batch has {b.n_classes} classes, expected {self.k}")
            self._widen(b.n_classes)
        terms = self._terms(b, codes)
        key: np.ndarray | None = None
        counts: np.ndarray | None = None
        w = b.weight
        for f in self.fields:
            flat = self.arrays[f.name].reshape(-1)
            if f.shape == "scalar":
                if f.source == "term":
                    flat += self._bsum(b, codes, terms[f.name], flat.shape[0], memo)
                continue  # (a scalar weight or count: once per chunk, in end_chunk)
            if key is None:
                key = codes * self.k + b.label
            size = flat.shape[0]
            if f.source == "term":
                t = terms[f.name]
                flat += np.bincount(key, weights=t if w is None else w * t, minlength=size)
                continue
            if counts is None:
                counts = np.bincount(key, minlength=size)
            if f.source == "weight" and w is not None:
                flat += np.bincount(key, weights=w, minlength=size)
            else:
                flat += counts

    def end_chunk(self, chunk: Chunk) -> None:
        for f in self.fields:
            if f.shape == "scalar" and f.source in ("weight", "count"):
                part = chunk.weights if f.source == "weight" else chunk.counts
                self.arrays[f.name][: chunk.n_groups] += part

    def state_of(self, n: int, rows: np.ndarray) -> dict[str, np.ndarray]:
        """Every group's state, as arrays over the first ``n`` groups."""
        state = {name: array[:n] for name, array in self.arrays.items()}
        state["rows"] = rows
        return state

    def overall(self, state: dict[str, np.ndarray]) -> Accumulator:
        """The accumulator of every group's rows: the group states summed."""
        return self.proto.from_state({name: v.sum(axis=0) for name, v in state.items()})

    def finish(self, n: int, rows: np.ndarray) -> GroupOutcome:
        state = self.state_of(n, rows)
        return self._by_scratch(state, self.overall(state))

    def _by_scratch(self, state: dict[str, np.ndarray], overall: Accumulator) -> GroupOutcome:
        """Each group's value from a scratch accumulator loaded with the group's state."""
        n = state["rows"].shape[0]
        values, ok, reasons = _outcome_arrays(n)
        for g in range(n):
            scratch = self.proto.from_state({name: v[g] for name, v in state.items()})
            _judge(scratch, g, values, ok, reasons)
        return _pack(values, ok, reasons, overall)


class MeanStates(DeclaredStates):
    """Σwℓ and Σw per group; see the module docstring for the requirement's violation."""

    def __init__(self, proto: Any, model: int) -> None:
        import numpy as np

        super().__init__(proto, model)
        self.needs = proto.needs
        self.broken = np.zeros(0, dtype=bool)
        self.violation: Violation | None = None
        self.pending: list[tuple[np.ndarray, np.ndarray]] = []  # (groups, positions)

    def grow(self, n: int) -> None:
        super().grow(n)
        self.broken = grown(self.broken, n)

    def _terms(self, b: Batch, codes: np.ndarray) -> dict[str, np.ndarray]:
        import numpy as np

        if self.needs is None or self.needs.find(b) is None:
            return self.proto.terms(b)
        where = np.flatnonzero(self.needs.violations(b))
        groups = codes[where]
        self.broken[groups] = True
        if self.violation is None:
            pos = b.where + where if isinstance(b.where, int) else b.where[where]
            self.pending.append((groups, pos))
        with np.errstate(all="ignore"):  # (the broken groups' sums are not used)
            return self.proto.terms(b)

    def end_chunk(self, chunk: Chunk) -> None:
        import numpy as np

        super().end_chunk(chunk)
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
        assert self.needs is not None
        for g, at in zip(candidates[by_first].tolist(), pos[first[by_first]].tolist(), strict=True):
            if best is not None and at > best.first_index:
                break  # this group's violation is at or after ``at``
            found = self.needs.find(chunk.group_batch(self.model, g))
            if found is not None and (best is None or found < best):
                best = found
        self.violation = best

    def finish(self, n: int, rows: np.ndarray) -> GroupOutcome:
        import numpy as np

        state = self.state_of(n, rows)
        total, weight, broken = state["total"], state["weight"], self.broken[:n]
        ok = ~broken & (weight > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = np.where(ok, total / np.where(ok, weight, 1.0), np.nan)
        transform = self.proto.transform  # type: ignore[attr-defined]
        if transform is math.sqrt:
            mean = np.sqrt(mean)
        elif transform is not None:
            mean = np.array([transform(v) if k else v for v, k in zip(mean, ok, strict=True)])
        overall = self.proto.from_state(
            {name: v.sum(axis=0) for name, v in state.items()} | {"violation": self.violation}
        )
        reasons: list[tuple[str, np.ndarray]] = []
        if broken.any():
            reasons.append((overall.skip_reason() or "not applicable", np.flatnonzero(broken)))
        zero = ~broken & (weight <= 0)
        if zero.any():
            reasons.append((ZERO_WEIGHT, np.flatnonzero(zero)))
        return GroupOutcome(mean, ok, reasons, overall)


class ClassWeightedStates(DeclaredStates):
    """S[g, c], W[g, c] and n[g, c]: the class-weighted sums of each group."""

    def finish(self, n: int, rows: np.ndarray) -> GroupOutcome:
        import numpy as np

        from losscli.losses.accumulators import balanced_weights

        state = self.state_of(n, rows)
        overall: Any = self.overall(state)
        if not _plain_class_weighted(self.proto):
            return self._by_scratch(state, overall)
        sums, weights = state["sums"], state["weights"]
        proto: Any = self.proto
        reasons: list[tuple[str, np.ndarray]] = []
        if isinstance(proto.class_weight, str):
            # from the weighted class counts, as the accumulator (issue 15)
            cw = balanced_weights(weights, self.k)
            few = np.count_nonzero(weights > 0, axis=1) < 2
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

        weight, mean, m2, sse = self.weight[:n], self.mean[:n], self.m2[:n], self.sse[:n]
        positive = weight > 0
        constant = positive & ((m2 <= 0) | ~self.varies[:n])
        ok = positive & ~constant
        with np.errstate(divide="ignore", invalid="ignore"):
            values = np.where(ok, 1.0 - sse / np.where(ok, m2, 1.0), np.nan)
        state: dict[str, Any] = {"rows": int(rows.sum()), "sse": float(sse.sum())}
        w_all = float(weight.sum())
        if w_all > 0:
            m_all = float((weight * mean).sum() / w_all)
            dev = mean - m_all
            state |= {"weight": w_all, "mean": m_all}
            state["m2"] = float(m2.sum() + (weight * dev * dev).sum())
            if not self.varies[:n].any() and np.unique(self.ref[:n][self.seen[:n]]).size < 2:
                state["m2"] = 0.0  # (one truth value in every row)
        overall = self.proto.from_state(state)
        reasons = []
        if (~positive).any():
            reasons.append((ZERO_WEIGHT, np.flatnonzero(~positive)))
        if constant.any():
            reasons.append(("r2 is undefined when the truth is constant", np.flatnonzero(constant)))
        return GroupOutcome(values, ok, reasons, overall)


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
    if not _generic(proto):
        if isinstance(proto, losses.R2Accumulator) and _inherits(
            kind, losses.R2Accumulator, ("update", "merge", "result", "skip_reason")
        ):
            return R2States(proto, model)
        return GenericStates(proto, model)
    if isinstance(proto, losses.MeanAccumulator):
        if _inherits(kind, losses.MeanAccumulator, ("result", "skip_reason", "terms", "admit")):
            return MeanStates(proto, model)
        return GenericStates(proto, model)
    if isinstance(proto, losses.ClassWeightedAccumulator):
        return ClassWeightedStates(proto, model)
    if all(f.reduce == "sum" for f in proto.state_fields):
        return DeclaredStates(proto, model)
    return GenericStates(proto, model)


# --------------------------------------------------------------------------- helpers


def _generic(proto: Accumulator) -> bool:
    """Whether ``proto`` declares its state and keeps the generic update and merge (so
    its state is what the declaration says)."""
    from losscli.losses import Accumulator

    return bool(proto.state_fields) and _inherits(type(proto), Accumulator, ("update", "merge"))


def _inherits(kind: type, base: type, names: tuple[str, ...]) -> bool:
    """Whether ``kind`` keeps ``base``'s methods ``names`` (so its sums are ``base``'s)."""
    return all(getattr(kind, n) is getattr(base, n) for n in names)


def _plain_class_weighted(proto: Accumulator) -> bool:
    from losscli.losses import ClassWeightedAccumulator

    return _inherits(
        type(proto), ClassWeightedAccumulator, ("result", "skip_reason", "class_weights")
    )


def fresh(proto: Accumulator) -> Accumulator:
    """An empty accumulator configured as ``proto`` (empty): its ``copy()``, or a deep
    copy for a kind that declares no state (the generic copy knows no attributes)."""
    return proto.copy() if proto.state_fields else copy.deepcopy(proto)


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
