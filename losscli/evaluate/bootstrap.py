"""``--ci``: the bucket states of every (model, loss), filled in the engine's one pass.

Every loss is ``f(s)`` of a few linear sums ``s`` (:mod:`losscli.uncertainty.states`),
so a bootstrap replicate only needs each *bucket*'s sums: a row's bucket is
``bucket_of(input row number, seed, K)`` (:mod:`losscli.uncertainty.buckets`), the same
for every model (the pairing of the paired tests) and for any chunking or reader. This
module keeps, per (model, loss), one array per linear field over the *keys*
``group · Kc + bucket`` and adds each Batch of the engine with one ``np.bincount`` per
field, as ``--by`` adds groups (:mod:`losscli.evaluate.grouped`): a bucket is a group.
Memory is the number of keys × fields, never the number of rows.

Why its own module: the engine only hands over Batches and row numbers; how the sums
are laid out, shared and turned into intervals is the bootstrap's business.

* Shared sums. Σw and the row count per key (per (key, class) for the class-weighted
  losses) and r2's Σw(y−c), Σw(y−c)² depend on the truth only: one array for every
  model and loss. A term array the Batch caches (``e²`` for mse, rmse and r2) is
  summed once per Batch. :meth:`BucketSums.state` gives every (model, loss)'s full
  state as a plain dict of arrays (what ``--save-state`` serialises).
* r2 keeps the pivot form of :func:`losscli.uncertainty.states.state_of` (its
  accumulator merges ȳ and M2 by Chan's formula, not by sums): the pivot c is the
  first truth value of the input, the same for any chunking.
* ``--by``: each group has ``Kc = K >> level`` buckets, a row's bucket being
  ``bucket_of(r, seed, K) >> level``. The level is the smallest with
  groups × Kc ≤ :data:`CELLS` (but Kc ≥ :data:`MIN_GROUP_BUCKETS`), because a Batch's
  bincount costs the number of keys: when a new group pushes past it, adjacent
  buckets are summed pairwise (exact: bucket b at level L+1 is b >> 1 at level L), so
  the final state depends only on the final number of groups, never on when the
  groups appeared. The overall interval of a ``--by`` run uses the same Kc buckets
  (the sum over groups), and every group the same resample weights (they depend on
  the seed and the bucket only).

The point values are never taken from here: they stay the accumulators' exact values.
The intervals and comparisons (:func:`finish`) come from
:func:`losscli.uncertainty.analysis.analyse`, one call per group and one overall, Holm
over every compared cell at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from losscli.losses import Accumulator, Batch
    from losscli.uncertainty.analysis import Settings

#: at most this many (group, bucket) keys per field, while Kc > MIN_GROUP_BUCKETS
CELLS = 1 << 16
MIN_GROUP_BUCKETS = 64

#: r2's pivot-form columns (losscli.uncertainty.states) and the shared sum each one is
_R2_FIELDS = (("sum_w", "weight"), ("sum_w_dy", "dy"), ("sum_w_dy2", "dy2"), ("sum_w_e2", None))


@dataclass(frozen=True)
class Field:
    """One column group of a loss's bucket state: ``name`` as the loss's state calls
    it, ``per_class`` (K columns), and ``shared`` (a truth-only sum kept once, or
    ``None``: the loss's own term ``term``, weighted by the sample weight)."""

    name: str
    per_class: bool
    shared: str | None
    term: str | None = None
    #: the term is this cached array of the Batch (r2's e²), not the accumulator's
    batch_term: bool = False


def fields_of(loss: str, proto: Accumulator) -> tuple[Field, ...] | None:
    """The bucket-state layout of a loss, in the order of its
    :class:`~losscli.uncertainty.states.LossState` columns; ``None`` for an accumulator
    whose state is not linear sums (it then gets no interval)."""
    from losscli import losses
    from losscli.evaluate.grouped import _generic

    if loss == "r2" and isinstance(proto, losses.R2Accumulator):
        return tuple(
            Field(name, False, shared, None if shared else "sq_e", batch_term=not shared)
            for name, shared in _R2_FIELDS
        )
    if not _generic(proto) or any(f.reduce == "own" for f in proto.state_fields):
        return None
    out: list[Field] = []
    for f in proto.linear_fields():
        per_class = f.shape == "per_class"
        if f.source == "term":
            out.append(Field(f.name, per_class, None, f.name))
        else:
            out.append(Field(f.name, per_class, f.source + ("_pc" if per_class else "")))
    return tuple(out) if out else None


class BucketSums:
    """The bucket states of every (model, loss) of one evaluation.

    ``ids``/``protos``: the loss id and an empty accumulator of each reported loss (the
    engine's); arrays are (groups, Kc) per scalar field, (groups, Kc, classes) per
    class field.
    """

    def __init__(
        self,
        ids: Sequence[str],
        protos: Sequence[Accumulator],
        n_models: int,
        settings: Settings,
        *,
        grouped: bool,
    ) -> None:
        import numpy as np

        k = settings.n_buckets
        if grouped and k & (k - 1):
            raise ValueError(f"--by needs a power-of-two number of buckets, got {k}")
        self.settings = settings
        self.grouped = grouped
        self.protos = list(protos)
        self.layouts = [fields_of(i, p) for i, p in zip(ids, protos, strict=True)]
        self.level = 0
        self.groups = 1
        self.pivot: float | None = None
        self.n_classes = max([p.k for p in protos] + [0])
        self.shared: dict[str, np.ndarray] = {}
        self.own: list[list[dict[str, np.ndarray]]] = [
            [{} for _ in protos] for _ in range(n_models)
        ]
        self._zero = np.zeros(0)
        self._slots: dict[int, tuple[Accumulator, list[Any]]] = {}

    @property
    def width(self) -> int:
        """Kc: the buckets of each group."""
        return self.settings.n_buckets >> self.level

    # -- per chunk ---------------------------------------------------------------------

    def keys(self, rows: np.ndarray, gcodes: np.ndarray | None, n_groups: int) -> np.ndarray:
        """The key (group · Kc + bucket) of each row of a chunk; ``rows``: their 0-based
        input row numbers. Grows (and folds) the arrays for ``n_groups`` first."""
        from losscli.uncertainty.buckets import bucket_of

        self._reserve(max(n_groups, 1))
        cfg = self.settings
        keys = bucket_of(rows, cfg.seed, cfg.n_buckets)
        if self.level:
            keys >>= self.level
        if gcodes is not None:
            keys += gcodes * self.width
        return keys

    def share(self, accs: Sequence[Accumulator]) -> None:
        """Let each of ``accs`` (one per loss: a model's accumulators, or the --by
        prototypes its group states call) keep the terms of the last Batch it computed,
        so :meth:`add` reuses them instead of computing every pointwise term twice: an
        instance attribute over the class's ``terms`` that also stores (batch, terms)."""
        for acc in accs:
            if id(acc) in self._slots:
                continue
            slot: list[Any] = [None, None]
            compute = type(acc).terms.__get__(acc)

            def terms(batch: Batch, compute: Any = compute, slot: list[Any] = slot) -> Any:
                out = compute(batch)
                slot[0], slot[1] = batch, out
                return out

            acc.terms = terms  # type: ignore[method-assign]
            self._slots[id(acc)] = (acc, slot)  # (acc kept alive: its id stays its own)

    def _terms(self, li: int, batch: Batch, sources: Sequence[Accumulator] | None) -> Any:
        """Loss ``li``'s terms of ``batch``: the ones its accumulator just computed."""
        if sources is not None:
            held = self._slots.get(id(sources[li]))
            if held is not None and held[1][0] is batch:
                return held[1][1]
        return type(self.protos[li]).terms(self.protos[li], batch)

    def add(
        self,
        m: int,
        batch: Batch,
        keys: np.ndarray,
        sources: Sequence[Accumulator] | None = None,
    ) -> None:
        """Add one Batch of model ``m`` (``keys``: its rows' keys; ``sources``: the
        accumulators of :meth:`share` that have just seen ``batch``, one per loss)."""
        import numpy as np

        if self.pivot is None and batch.n:
            self.pivot = float(batch.y[0])
        if batch.n_classes and batch.n_classes > self.n_classes:
            self._widen(batch.n_classes)
        memo: dict[int, np.ndarray] = {}
        done: set[str] = set()
        class_keys: np.ndarray | None = None
        for li, layout in enumerate(self.layouts):
            if layout is None:
                continue
            terms: dict[str, np.ndarray] | None = None
            for f in layout:
                if f.shared is not None:
                    if m == 0 and f.shared not in done:
                        self._add_shared(f.shared, batch, keys)
                        done.add(f.shared)
                    continue
                assert f.term is not None
                if f.batch_term:
                    v = getattr(batch, f.term)
                else:
                    terms = self._terms(li, batch, sources) if terms is None else terms
                    v = terms[f.term]
                if f.per_class:
                    if class_keys is None:
                        class_keys = keys * self.n_classes + batch.label
                    self._add(self.own[m][li], f.name, class_keys, _weighted(batch, v), True)
                    continue
                hit = memo.get(id(v)) if _cached(batch, v) else None
                if hit is None:
                    hit = np.bincount(keys, weights=_weighted(batch, v), minlength=self._cells())
                    if _cached(batch, v):
                        memo[id(v)] = hit
                self._put(self.own[m][li], f.name, hit, False)

    def _add_shared(self, kind: str, batch: Batch, keys: np.ndarray) -> None:
        """A truth-only sum (Σw, count, r2's Σw(y−c), Σw(y−c)²), once per Batch."""
        if kind.endswith("_pc"):
            ck = keys * self.n_classes + batch.label
            w = batch.weight if kind == "weight_pc" else None
            self._add(self.shared, kind, ck, w, True)
            return
        if kind in ("weight", "count"):
            v = batch.weight if kind == "weight" else None
        else:
            d = batch.y - (self.pivot or 0.0)
            v = _weighted(batch, d if kind == "dy" else d * d)
        self._add(self.shared, kind, keys, v, False)

    def _add(
        self,
        into: dict[str, np.ndarray],
        name: str,
        keys: np.ndarray,
        weights: np.ndarray | None,
        per_class: bool,
    ) -> None:
        import numpy as np

        size = self._cells() * (self.n_classes if per_class else 1)
        self._put(into, name, np.bincount(keys, weights=weights, minlength=size), per_class)

    def _put(self, into: dict[str, np.ndarray], name: str, sums: Any, per_class: bool) -> None:
        import numpy as np

        array = into.get(name)
        if array is None:
            shape = (self._capacity(), self.width) + ((self.n_classes,) if per_class else ())
            array = into[name] = np.zeros(shape)
        array.reshape(-1)[: sums.shape[0]] += sums

    # -- layout ------------------------------------------------------------------------

    def _cells(self) -> int:
        return self.groups * self.width

    def _capacity(self) -> int:
        arrays = self._arrays()
        return arrays[0].shape[0] if arrays else self.groups

    def _arrays(self) -> list[np.ndarray]:
        return [*self.shared.values(), *(a for row in self.own for d in row for a in d.values())]

    def _dicts(self) -> list[dict[str, np.ndarray]]:
        return [self.shared, *(d for row in self.own for d in row)]

    def _reserve(self, n_groups: int) -> None:
        """Room for ``n_groups``; fold buckets pairwise while groups × Kc > CELLS."""
        from losscli.evaluate.grouped import grown

        self.groups = max(self.groups, n_groups)
        while self.groups * self.width > CELLS and self.width > MIN_GROUP_BUCKETS:
            for d in self._dicts():
                for name, a in d.items():
                    d[name] = a.reshape(a.shape[0], a.shape[1] // 2, 2, *a.shape[2:]).sum(axis=2)
            self.level += 1
        if self._capacity() < self.groups:
            for d in self._dicts():
                for name, a in d.items():
                    d[name] = grown(a, self.groups)

    def _widen(self, k: int) -> None:
        """Label predictions meet their classes as they stream: room for ``k``."""
        import numpy as np

        extra = k - self.n_classes
        for d in self._dicts():
            for name, a in d.items():
                if a.ndim == 3:
                    d[name] = np.pad(a, ((0, 0), (0, 0), (0, extra)))
        self.n_classes = k

    # -- end ---------------------------------------------------------------------------

    def matrix(self, m: int, li: int, group: int | None = None) -> np.ndarray | None:
        """The (Kc, F) state of (model, loss) in the columns of its LossState: one
        group's, or every group's summed (``None``); ``None`` when it has no state."""
        import numpy as np

        layout = self.layouts[li]
        if layout is None:
            return None
        cols: list[np.ndarray] = []
        for f in layout:
            a = self.shared.get(f.shared or "") if f.shared else self.own[m][li].get(f.name)
            shape = (self.width, self.n_classes) if f.per_class else (self.width,)
            if a is None:
                cols.append(np.zeros(shape).reshape(self.width, -1))
                continue
            part = a[: self.groups].sum(axis=0) if group is None else a[group]
            cols.append(part.reshape(self.width, -1))
        return np.concatenate(cols, axis=1)

    def state(self) -> dict[tuple[int, int], dict[str, np.ndarray]]:
        """Every (model, loss)'s bucket state as a plain dict of arrays (groups, Kc[, K])
        by field name (the shared fields included): what a saved state holds."""
        out: dict[tuple[int, int], dict[str, np.ndarray]] = {}
        for m, row in enumerate(self.own):
            for li, layout in enumerate(self.layouts):
                if layout is None:
                    continue
                own = row[li]
                out[m, li] = {
                    f.name: (self.shared if f.shared else own).get(f.shared or f.name, self._zero)[
                        : self.groups
                    ]
                    for f in layout
                }
        return out


def _weighted(batch: Batch, v: np.ndarray) -> np.ndarray:
    return v if batch.weight is None else batch.weight * v


def _cached(batch: Batch, v: np.ndarray) -> bool:
    return any(v is c for c in batch.cached_arrays())
