"""Group states of accumulators that declare linear sums: one numpy array per field.

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

Why one room for the three: they share the arrays and their filling (the two others
are :class:`DeclaredStates` with a vectorised ``finish``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from losscli.evaluate.grouped.chunk import (
    ZERO_WEIGHT,
    Chunk,
    GroupOutcome,
    GroupStates,
    grown,
    inherits,
    judge,
    outcome_arrays,
    pack,
)

if TYPE_CHECKING:
    import numpy as np

    from losscli.losses import Accumulator, Batch, Violation


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
        values, ok, reasons = outcome_arrays(n)
        for g in range(n):
            scratch = self.proto.from_state({name: v[g] for name, v in state.items()})
            judge(scratch, g, values, ok, reasons)
        return pack(values, ok, reasons, overall)


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
        if not plain_class_weighted(self.proto):
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


def plain_class_weighted(proto: Accumulator) -> bool:
    """Whether ``proto`` keeps ClassWeightedAccumulator's result (so the vectorised
    values are its values)."""
    from losscli.losses import ClassWeightedAccumulator

    return inherits(
        type(proto), ClassWeightedAccumulator, ("result", "skip_reason", "class_weights")
    )
