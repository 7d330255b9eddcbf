"""``--ci`` in a saved state: the bootstrap's bucket sums, saved, merged and loaded back.

A state of ``evaluate --ci --save-state`` (:mod:`losscli.evaluate.state`) carries, as
its ``bootstrap`` key, the :class:`~losscli.evaluate.bootstrap.BucketSums` of the run:
the sums of every (group, bucket) of every (model, loss), and what they depend on.
A row's bucket is ``bucket_of(global row number, seed, K)``, so a shard must know
where its rows sit in the whole (``--row-offset``): the merge refuses shards whose
rows were counted from their own first row. The level, resamples, test, correction and
baseline do not change a bucket sum: they are ``merge --ci``'s options, as they are
``evaluate --ci``'s.

Why its own module: the state module holds the engine's counts and accumulators, this
one the bootstrap's arrays; both are plain dicts of numpy arrays (JSON through
:mod:`losscli.evaluate.state_codec`). The document (``bootstrap`` of a state)::

    {"seed": S, "buckets": K, "level": L, "grouped": bool, "pivot": float | null,
     "classes": C, "shared": {field: array} | null, "own": [[{field: array} | null]]}

``shared`` (truth-only sums: Σw, counts, r2's Σw(y−c), Σw(y−c)²) and ``own`` (per model,
per loss: its terms' sums) are arrays (groups, K >> L[, C]); ``null`` sums: the run
accepted no row. The merge (:func:`merged`) folds every part to the level the union of
the groups needs (pairwise sums of adjacent buckets, as the engine folds), puts groups
and label-prediction classes on the union's codes, moves r2's sums to one pivot
(Σw(y−c′) = Σw(y−c) + (c−c′)Σw; Σw(y−c′)² = Σw(y−c)² + 2(c−c′)Σw(y−c) + (c−c′)²Σw)
and adds the parts in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from losscli.errors import InputError

if TYPE_CHECKING:
    import numpy as np

    from losscli.evaluate.engine import Engine
    from losscli.uncertainty.analysis import Settings

Doc = dict[str, Any]


def doc_of(engine: Engine) -> Doc | None:
    """The ``bootstrap`` document of an engine run with ``--ci`` (``None`` without)."""
    if engine.ci is None:
        return None
    sums = engine.buckets
    n = len(engine.prepare.group_labels) if engine.setting.by is not None else 1
    out: Doc = {
        "seed": int(engine.ci.seed),
        "buckets": int(engine.ci.n_buckets),
        "level": 0 if sums is None else sums.level,
        "grouped": engine.setting.by is not None,
        "pivot": None if sums is None else sums.pivot,
        "classes": 0 if sums is None else sums.n_classes,
        "shared": None,
        "own": None,
    }
    if sums is None:
        return out
    out["shared"] = {k: _rows(a, n) for k, a in sums.shared.items()}
    out["own"] = [
        [
            None if layout is None else {k: _rows(a, n) for k, a in row[li].items()}
            for li, layout in enumerate(sums.layouts)
        ]
        for row in sums.own
    ]
    return out


def _rows(a: np.ndarray, n: int) -> np.ndarray:
    from losscli.evaluate.grouped import grown

    return grown(a, n)[:n].copy()


def check(states: Sequence[Doc], names: Sequence[str], seed: int | None) -> None:
    """An :class:`InputError` naming the first state ``merge --ci`` cannot use: saved
    without ``--ci``, with another seed or bucket count than the first (or than
    ``seed``, merge's ``--seed``), or several states counting rows from their own
    first row (their bucket ids are not the whole's)."""
    for state, name in zip(states, names, strict=True):
        if state.get("bootstrap") is None:
            raise InputError(
                f"{name}: saved without --ci (no bootstrap buckets); run "
                "'losscli evaluate SHARD --ci --row-offset N --save-state FILE' for merge --ci"
            )
    first = states[0]["bootstrap"]
    if seed is not None and first["seed"] != seed:
        raise InputError(
            f"{names[0]}: saved with --seed {first['seed']}, merge --ci asks --seed {seed} "
            "(bucket sums depend on the seed)"
        )
    for state, name in zip(states[1:], names[1:], strict=True):
        doc = state["bootstrap"]
        for key, flag in (("seed", "--seed"), ("buckets", "bucket count")):
            if doc[key] != first[key]:
                raise InputError(
                    f"{name} does not merge with {names[0]} for --ci: they differ in "
                    f"{flag} {first[key]!r} vs {doc[key]!r}"
                )
    if len(states) > 1 and states[0]["positions"] == "relative":
        raise InputError(
            f"{names[1]}: its rows were counted from its own first row, so its bootstrap "
            "buckets are not the whole data's; save every shard with --row-offset N for "
            "merge --ci"
        )


def mergeable(states: Sequence[Doc]) -> bool:
    """Whether the states' bucket sums merge (every state has them, one seed, one K,
    absolute positions when several)."""
    docs = [s.get("bootstrap") for s in states]
    if any(d is None for d in docs):
        return False
    keys = {(d["seed"], d["buckets"]) for d in docs if d is not None}
    return len(keys) == 1 and (len(states) == 1 or states[0]["positions"] == "absolute")


def merged(
    states: Sequence[Doc], groups: list[str] | None, classes: list[str] | None
) -> Doc | None:
    """The bucket sums of every state's rows (``groups``, ``classes``: the union's
    labels, as :class:`~losscli.evaluate.merging.Merger` puts them); ``None`` when
    they do not merge (:func:`mergeable`)."""
    from losscli.evaluate.bootstrap import CELLS, MIN_GROUP_BUCKETS

    if not mergeable(states):
        return None
    docs = [s["bootstrap"] for s in states]
    full = [(s, d) for s, d in zip(states, docs, strict=True) if d["shared"] is not None]
    first = docs[0]
    out: Doc = dict(first, shared=None, own=None)
    if not full:
        return out
    k = first["buckets"]
    n_groups = len(groups) if groups is not None else 1
    level = max(d["level"] for _, d in full)
    while n_groups * (k >> level) > CELLS and (k >> level) > MIN_GROUP_BUCKETS:
        level += 1
    n_classes = max([d["classes"] for _, d in full] + [len(classes or ())])
    pivots = [
        (s["row_offset"], i, d["pivot"]) for i, (s, d) in enumerate(full) if d["pivot"] is not None
    ]
    pivot = min(pivots)[2] if pivots else None
    parts = [_Part(s, d, level, groups, classes, n_groups, n_classes, pivot) for s, d in full]
    out.update(level=level, pivot=pivot, classes=n_classes)
    out["shared"] = _summed([p.shared for p in parts])
    out["own"] = [
        [
            None if items[0] is None else _summed(list(items))
            for items in zip(*(row for row in rows), strict=True)
        ]
        for rows in zip(*(p.own for p in parts), strict=True)
    ]
    return out


class _Part:
    """One state's bucket sums on the merge's level, groups, classes and pivot."""

    def __init__(
        self,
        state: Doc,
        doc: Doc,
        level: int,
        groups: list[str] | None,
        classes: list[str] | None,
        n_groups: int,
        n_classes: int,
        pivot: float | None,
    ) -> None:
        self.folds = level - doc["level"]
        self.gindex = _index(groups, state["groups"])
        self.cindex = _index(classes, state["classes_seen"])
        self.n_groups, self.n_classes = n_groups, n_classes
        shared = {k: self._put(a) for k, a in doc["shared"].items()}
        if pivot is not None and doc["pivot"] is not None and "dy" in shared:
            d = doc["pivot"] - pivot
            if d:
                w, dy = shared["weight"], shared["dy"]
                shared["dy2"] = shared["dy2"] + 2.0 * d * dy + d * d * w
                shared["dy"] = dy + d * w
        self.shared = shared
        self.own = [
            [None if item is None else {k: self._put(a) for k, a in item.items()} for item in row]
            for row in doc["own"]
        ]

    def _put(self, a: Any) -> np.ndarray:
        """An array (groups, Kc[, C]) folded, then on the union's group and class codes."""
        import numpy as np

        arr = np.asarray(a, dtype=np.float64)
        for _ in range(self.folds):  # (pairwise, as BucketSums._reserve folds)
            arr = arr.reshape(arr.shape[0], arr.shape[1] // 2, 2, *arr.shape[2:]).sum(axis=2)
        shape = (self.n_groups, arr.shape[1], *((self.n_classes,) if arr.ndim == 3 else ()))
        out = np.zeros(shape)
        rows = self.gindex if self.gindex is not None else np.arange(arr.shape[0])
        if arr.ndim == 3:
            cols = self.cindex if self.cindex is not None else np.arange(arr.shape[2])
            out[np.ix_(rows, np.arange(arr.shape[1]), cols[: arr.shape[2]])] = arr
        else:
            out[rows] = arr
        return out


def _index(union: list[str] | None, labels: Sequence[str] | None) -> np.ndarray | None:
    import numpy as np

    if union is None or labels is None:
        return None
    pos = {lab: i for i, lab in enumerate(union)}
    return np.array([pos[lab] for lab in labels], dtype=np.intp)


def _summed(dicts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Field by field, the parts' arrays added in order."""
    out = {k: v.copy() for k, v in dicts[0].items()}
    for d in dicts[1:]:
        for k, v in d.items():
            if k in out:
                out[k] += v
            else:
                out[k] = v.copy()
    return out


def load(engine: Engine, doc: Doc, settings: Settings) -> None:
    """Give a loaded ``engine`` (:func:`losscli.evaluate.state.finish`) the bucket sums
    of ``doc``, to be analysed with ``settings`` (merge's ``--ci`` options, the state's
    seed and bucket count)."""
    from losscli.evaluate.bootstrap import BucketSums

    engine.ci = settings
    if doc["shared"] is None:
        return
    ids = [p.spec.id for p in engine.plans]
    sums = BucketSums(ids, engine._prototypes(), len(doc["own"]), settings, grouped=doc["grouped"])
    sums.level, sums.pivot = int(doc["level"]), doc["pivot"]
    sums.n_classes = int(doc["classes"])
    sums.groups = max(len(engine.prepare.group_labels), 1) if doc["grouped"] else 1
    sums.shared = {k: _at_least(a, sums.groups) for k, a in doc["shared"].items()}
    sums.own = [
        [
            {} if item is None else {k: _at_least(a, sums.groups) for k, a in item.items()}
            for item in row
        ]
        for row in doc["own"]
    ]
    engine.buckets = sums


def _at_least(a: Any, n: int) -> np.ndarray:
    import numpy as np

    from losscli.evaluate.grouped import grown

    return grown(np.asarray(a, dtype=np.float64), n)
