"""Group states of R² (``R2Accumulator``): per group Σw, ȳ and M2 by Chan's merge.

R²'s ȳ and M2 = Σw(y − ȳ)² merge by Chan's formula, not by sums, so its states are
their own kind. Per group g: Σw, a pivot c_g (a truth value of the group's first
Batch: :attr:`R2States.ref`), d̄_g = the weighted mean of d = y − c_g, M2_g and Σw e². The
pivot is the ungrouped accumulator's (:class:`losscli.losses.R2Accumulator`): about a
data value, y − c_g is exact (Sterbenz), so the sums stay at the scale of the group's
spread, not of its offset (with y ≈ 1e12 the chunk means of y itself carry an absolute
error of ~1e-4, which the merge turns into ~1e-8 relative error in R²). A chunk's
per-group (Σw, d̄, M2) (Σw·d summed per Batch, the M2 pass once per chunk) are
combined with the state vectorised, both about the same c_g: δ = d̄_b − d̄_a,
W = W_a + W_b, d̄ = d̄_a + δ·W_b/W, M2 = M2_a + M2_b + δ²·W_a·W_b/W.

The overall row is the many-way Chan merge of the groups about one pivot c (the first
group's): m = Σ W_g m_g / W with m_g = (c_g − c) + d̄_g, M2 = Σ M2_g + Σ W_g (m_g − m)²,
loaded into one ``R2Accumulator`` (with its ``pivot``), so its skip reason and result
are the library's.

A saved state (``losscli.state/3``, :meth:`R2States.saved` / :meth:`R2States.load`)
holds the arrays themselves, d̄_g about the pivot c_g included (``dmean``), so a state
keeps the digits of the run; :mod:`losscli.evaluate.merging` merges states about each
group's first pivot. (``/1`` and ``/2`` held the mean of y itself, c_g + d̄_g, which at
y ≈ 1e12 is rounded to ~1e-4: :mod:`losscli.evaluate.state_codec` reads them as they
were read.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from losscli.evaluate.grouped.chunk import ZERO_WEIGHT, Chunk, GroupOutcome, GroupStates, grown

if TYPE_CHECKING:
    import numpy as np

    from losscli.losses import Accumulator, Batch

#: the per-group arrays of a saved state, in the order of ``state.R2_ARRAYS``
SAVED = ("weight", "dmean", "m2", "sse", "ref", "seen", "varies")
_OWN = SAVED
_SCRATCH = ("sd",)
#: rows per step of the chunk loops (a cache-sized temporary)
_STEP = 1 << 16


class R2States(GroupStates):
    """Per group Σw, the pivot, d̄ about it, M2 and Σw e², merged chunk by chunk (Chan)."""

    def __init__(self, proto: Accumulator, model: int) -> None:
        import numpy as np

        super().__init__(proto, model)
        self.weight = np.zeros(0)
        self.dmean = np.zeros(0)  # weighted mean of y − ref
        self.m2 = np.zeros(0)
        self.sse = np.zeros(0)
        self.sd = np.zeros(0)  # Σw·(y − ref) of the chunk so far (scratch)
        #: the pivot of each group seen (one of its truth values), and whether another
        #: of its truth values differs
        self.ref = np.zeros(0)
        self.seen = np.zeros(0, dtype=bool)
        self.varies = np.zeros(0, dtype=bool)

    def grow(self, n: int) -> None:
        for name in (*_OWN, *_SCRATCH):
            setattr(self, name, grown(getattr(self, name), n))

    def add(self, b: Batch, codes: np.ndarray, memo: dict[int, Any]) -> None:
        import numpy as np

        n = self.sse.shape[0]
        self.sse += self._bsum(b, codes, b.sq_e, n, memo)
        self._pivots(b.y, codes)
        d = b.y - self.ref[codes]
        self.sd += np.bincount(codes, weights=d if b.weight is None else b.weight * d, minlength=n)

    def end_chunk(self, chunk: Chunk) -> None:
        import numpy as np

        n = chunk.n_groups
        ref = self.ref[:n]
        wb = chunk.weights
        has = wb > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            mb = np.where(has, self.sd[:n] / np.where(has, wb, 1.0), 0.0)
        self.sd[:] = 0.0
        m2b = self._m2(chunk, ref, mb)
        wa, ma = self.weight[:n], self.dmean[:n]
        total = wa + wb
        with np.errstate(divide="ignore", invalid="ignore"):
            delta = mb - ma
            frac = np.where(has, wb / np.where(has, total, 1.0), 0.0)
            self.dmean[:n] = np.where(has, ma + delta * frac, ma)
            self.m2[:n] += np.where(has, m2b + delta * delta * wa * frac, 0.0)
        self.weight[:n] = total

    @staticmethod
    def _m2(chunk: Chunk, ref: np.ndarray, mean: np.ndarray) -> np.ndarray:
        """Per group Σw·(d − d̄_g)² of the chunk, d = y − c_g."""
        import numpy as np

        out = np.zeros(chunk.n_groups)
        for lo in range(0, chunk.y.shape[0], _STEP):
            codes = chunk.codes[lo : lo + _STEP]
            d = chunk.y[lo : lo + _STEP] - ref[codes]
            d -= mean[codes]
            d *= d
            w = None if chunk.w is None else chunk.w[lo : lo + _STEP]
            out += np.bincount(codes, weights=d if w is None else w * d, minlength=out.shape[0])
        return out

    def _pivots(self, y: np.ndarray, codes: np.ndarray) -> None:
        """The pivot of each group new in a Batch (truth ``y``, group ``codes``; any of
        its values will do), and which groups have a truth that varies: summed in
        another order than the ungrouped run's, a constant truth could be left a tiny
        M2 > 0 (and R² ≈ -1e32) instead of R² being undefined."""
        new = ~self.seen[codes]
        if new.any():
            self.ref[codes[new]] = y[new]
            self.seen[codes[new]] = True
        differs = y != self.ref[codes]
        if differs.any():
            self.varies[codes[differs]] = True

    def finish(self, n: int, rows: np.ndarray) -> GroupOutcome:
        import numpy as np

        weight, m2, sse = self.weight[:n], self.m2[:n], self.sse[:n]
        positive = weight > 0
        constant = positive & ((m2 <= 0) | ~self.varies[:n])
        ok = positive & ~constant
        with np.errstate(divide="ignore", invalid="ignore"):
            values = np.where(ok, 1.0 - sse / np.where(ok, m2, 1.0), np.nan)
        overall = self.proto.from_state(self._overall(n, rows))
        reasons = []
        if (~positive).any():
            reasons.append((ZERO_WEIGHT, np.flatnonzero(~positive)))
        if constant.any():
            reasons.append(("r2 is undefined when the truth is constant", np.flatnonzero(constant)))
        return GroupOutcome(values, ok, reasons, overall)

    def _overall(self, n: int, rows: np.ndarray) -> dict[str, Any]:
        """The R2Accumulator state of every group's rows (see the module docstring)."""
        import numpy as np

        weight = self.weight[:n]
        state: dict[str, Any] = {"rows": int(rows.sum()), "sse": float(self.sse[:n].sum())}
        w_all = float(weight.sum())
        if w_all <= 0:
            return state
        positive = weight > 0
        pivot = float(self.ref[:n][np.argmax(positive)])
        shift = np.where(positive, (self.ref[:n] - pivot) + self.dmean[:n], 0.0)
        m_all = float((weight * shift).sum() / w_all)
        dev = shift - m_all
        state |= {"weight": w_all, "mean": m_all, "pivot": pivot}
        state["m2"] = float(self.m2[:n].sum() + (weight * dev * dev).sum())
        if not self.varies[:n].any() and np.unique(self.ref[:n][self.seen[:n]]).size < 2:
            state["m2"] = 0.0  # (one truth value in every row)
        return state

    # ----------------------------------------------------------------------- saved states

    def saved(self, n: int) -> dict[str, np.ndarray]:
        """The first ``n`` groups' arrays as a saved state holds them (:data:`SAVED`;
        copies)."""
        return {name: grown(getattr(self, name), n)[:n].copy() for name in SAVED}

    def load(self, arrays: dict[str, Any], n: int) -> None:
        """The arrays of a saved state (:meth:`saved`) over ``n`` groups."""
        import numpy as np

        for name in SAVED:
            setattr(self, name, grown(np.asarray(arrays[name]), n))
