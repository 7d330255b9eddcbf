"""States → the state of all their rows: the merge of :mod:`losscli.evaluate.state`.

Apart from the state module because it is the part that runs on many states at once
(``losscli merge`` of a thousand files, each node of a Dask reduce tree): it works on
the state dicts, never on an engine, and is vectorised over the states and groups.

:meth:`Merger.merge_all` first puts every state on the codes of the union of the
labels (classes of label predictions, ``--by`` groups: merged **by label**, in order
of first appearance over the states), then reduces each field over the states at once:
``sum`` fields added, ``min`` fields (positions) the earliest, an accumulator that
merges by its own rule (:meth:`~losscli.losses.Accumulator.merge` overridden: R²) by
that rule state after state, and R²'s per-group (Σw, ȳ_w, M2) by the many-way form of
Chan et al.'s formula. It is associative (up to the order of floating-point sums): a
reduce tree may group the states as it likes, as long as it keeps their order
(relative positions count rows across the states in order).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from losscli.evaluate import bucket_state
from losscli.evaluate.state import R2_ARRAYS, State, padded, setting_of
from losscli.losses.accumulators import Accumulator

if TYPE_CHECKING:
    import numpy as np

#: (a part's item, how many rows its positions move)
Part = tuple[dict[str, Any], int]


class Merger:
    """Merges states of one setting (checked beforehand:
    :func:`losscli.evaluate.state.difference`)."""

    def __init__(self, state: State) -> None:
        from losscli.evaluate.engine import Engine

        engine = Engine(setting_of(state["setting"], state["file"], ()))
        self.protos = list(engine._prototypes())
        #: whether a loss's accumulator merges by the library's generic merge (its
        #: states then merge as data, by each field's declared reduce: no accumulator)
        self.plain = [type(p).merge is Accumulator.merge for p in self.protos]

    def merge(self, a: State, b: State) -> State:
        """The state of ``a``'s rows followed by ``b``'s."""
        return self.merge_all([a, b])

    def merge_all(self, states: Sequence[State]) -> State:
        """The state of every state's rows, in the order given."""
        import numpy as np

        if len(states) == 1:
            return states[0]
        groups = _union([s["groups"] for s in states])
        classes = _union([s["classes_seen"] for s in states])
        parts = [self._on_classes(s, classes) for s in states]
        codes = [_Codes(groups, s["groups"]) for s in states]
        shifts = [0] * len(parts)
        if states[0]["positions"] == "relative":
            read = np.cumsum([0] + [p["rows_read"] for p in parts[:-1]])
            shifts = [int(v) for v in read]
        out = dict(parts[0], groups=groups, classes_seen=classes)
        for key in ("rows_read", "rows", "dropped", "missing", "total_weight"):
            out[key] = sum(p[key] for p in parts)
        out["missing_first"] = _earliest(
            _moved(p["missing_first"], s) for p, s in zip(parts, shifts, strict=True)
        )
        counts = zip(*(p["unnormalized"] for p in parts), strict=True)
        out["unnormalized"] = [sum(c) for c in counts]
        firsts = zip(*(p["first_unnormalized"] for p in parts), strict=True)
        out["first_unnormalized"] = [
            min((r + s for r, s in zip(col, shifts, strict=True) if r is not None), default=None)
            for col in firsts
        ]
        out["binary_labels"] = _union([p["binary_labels"] for p in parts])
        if groups is not None:
            index = _Index(codes, [p["group_rows"] for p in parts], len(groups))
            out["group_rows"] = index.sum([p["group_rows"] for p in parts])
        full = [i for i, p in enumerate(parts) if p["models"]]
        out["models"] = None
        if full:
            index = _Index(
                [codes[i] for i in full], [parts[i]["group_rows"] for i in full], len(groups or ())
            )
            out["models"] = [
                [
                    self._item(li, [(parts[i]["models"][mi][li], shifts[i]) for i in full], index)
                    for li in range(len(items))
                ]
                for mi, items in enumerate(parts[full[0]]["models"])
            ]
        out["bootstrap"] = bucket_state.merged(states, groups, classes)
        return out

    def _item(self, li: int, parts: list[Part], index: _Index) -> dict[str, Any]:
        kind = parts[0][0]["kind"]
        if kind == "r2":
            return {"kind": "r2", "arrays": _chan([item["arrays"] for item, _ in parts], index)}
        if kind != "accumulator":
            return _declared(parts, index)
        proto = self.protos[li]
        states = [_moved_fields(proto, item["state"], s) for item, s in parts]
        per_class = [f.name for f in proto.state_fields if f.shape == "per_class"]
        if per_class:  # (label predictions: as wide as the widest part)
            k = max(len(st[f]) for st in states for f in per_class)
            states = [st | {f: padded(st[f], k, 0) for f in per_class} for st in states]
        if not self.plain[li]:
            acc = proto.from_state(states[0])
            for st in states[1:]:
                acc.merge(proto.from_state(st))
            return {"kind": "accumulator", "state": acc.state()}
        return {"kind": "accumulator", "state": _reduced(proto, states)}

    def _on_classes(self, s: State, classes: list[str] | None) -> State:
        """``s`` with its per-class arrays on the codes of ``classes`` (the union of
        every part's class labels: label predictions)."""
        cmap = _Codes(classes, s["classes_seen"])
        if cmap.index is None or s["models"] is None:
            return s
        out = dict(s)
        out["models"] = [
            [self._item_on_classes(li, item, cmap) for li, item in enumerate(items)]
            for items in s["models"]
        ]
        return out

    def _item_on_classes(self, li: int, item: dict[str, Any], cmap: _Codes) -> dict[str, Any]:
        if item["kind"] == "accumulator":
            per_class = [f.name for f in self.protos[li].state_fields if f.shape == "per_class"]
            state = item["state"]
            return dict(item, state=state | {f: cmap.put(state[f], 0) for f in per_class})
        arrays = {k: cmap.put(v, 1) if v.ndim == 2 else v for k, v in item["arrays"].items()}
        return dict(item, arrays=arrays)


class _Index:
    """Where each part's groups go in the union's (``--by``): the parts' per-group
    arrays, concatenated in order, reduce into the union's arrays by one ``bincount``
    per field (a sum in the order of the parts)."""

    def __init__(self, codes: Sequence[_Codes], rows: Sequence[Any], size: int) -> None:
        import numpy as np

        self.size = size
        self.index = np.concatenate(
            [
                np.arange(len(r)) if c.index is None else c.index
                for c, r in zip(codes, rows, strict=True)
            ]
            or [np.zeros(0, dtype=np.intp)]
        ).astype(np.intp)

    def sum(self, arrays: Sequence[Any]) -> np.ndarray:
        """Σ over the parts, per group of the union (and class, for groups × classes)."""
        import numpy as np

        values = np.concatenate([np.asarray(a) for a in arrays])
        if values.ndim == 2:
            k = values.shape[1]
            flat = (self.index[:, None] * k + np.arange(k)).reshape(-1)
            return self._add(flat, values.reshape(-1), self.size * k).reshape(self.size, k)
        return self._add(self.index, values, self.size)

    @staticmethod
    def _add(index: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
        import numpy as np

        if values.dtype.kind == "f":
            return np.bincount(index, weights=values, minlength=size)
        if values.dtype == bool:
            return np.bincount(index[values], minlength=size) > 0
        out = np.zeros(size, dtype=values.dtype)
        np.add.at(out, index, values)
        return out

    def first(self, values: np.ndarray, seen: np.ndarray) -> np.ndarray:
        """Per group of the union, the value of the first part that saw the group."""
        import numpy as np

        out = np.zeros(self.size, dtype=values.dtype)
        where = np.flatnonzero(seen)
        groups, first = np.unique(self.index[where], return_index=True)
        out[groups] = values[where[first]]
        return out


class _Codes:
    """A part's labels on the codes of the union of every part's labels: :meth:`put`
    moves an array indexed by the part's codes (along ``axis``) to the union's (a
    code past the part's labels is empty). ``None`` labels (no ``--by``, no label
    predictions): arrays stay as they are."""

    def __init__(self, union: Sequence[str] | None, labels: Sequence[str] | None) -> None:
        import numpy as np

        self.size = len(union) if union is not None else 0
        self.index: np.ndarray | None = None
        if union is None or labels is None or list(labels) == list(union):
            return
        pos = {lab: i for i, lab in enumerate(union)}
        self.index = np.array([pos[lab] for lab in labels], dtype=np.intp)

    def put(self, array: Any, axis: int) -> Any:
        import numpy as np

        if self.index is None:
            return array
        arr = np.asarray(array)
        m = min(self.index.shape[0], arr.shape[axis])
        shape = list(arr.shape)
        shape[axis] = max(self.size, arr.shape[axis])
        out = np.zeros(shape, dtype=arr.dtype)
        if axis == 0:
            out[self.index[:m]] = arr[:m]
        else:  # (axis 1: the classes of groups × classes)
            out[:, self.index[:m]] = arr[:, :m]
        return out


def _union(parts: Sequence[Sequence[str] | None]) -> list[str] | None:
    """The labels of every part, in order of first appearance (``None``: no labels)."""
    if parts[0] is None:
        return None
    out: dict[str, None] = {}
    for labels in parts:
        out.update(dict.fromkeys(labels or ()))
    return list(out)


def _reduced(proto: Accumulator, states: list[dict[str, Any]]) -> dict[str, Any]:
    """:meth:`Accumulator.merge` of many states as data: ``sum`` fields added, ``min``
    fields the smallest (a position: the earliest)."""
    import numpy as np

    out: dict[str, Any] = {}
    for f in proto.state_fields:
        values: list[Any] = [st.get(f.name) for st in states]
        if f.reduce == "min":
            out[f.name] = _earliest(values)
        elif f.shape == "per_class":
            out[f.name] = np.sum(values, axis=0)
        else:
            out[f.name] = sum(values)
    return out


def _declared(parts: list[Part], index: _Index) -> dict[str, Any]:
    """``--by`` sums of declared fields over the parts."""
    first = parts[0][0]
    out = dict(first)
    arrays = {}
    for key, v in first["arrays"].items():
        values = [item["arrays"][key] for item, _ in parts]
        if v.ndim == 2:  # (groups × classes: as many classes as the widest part)
            k = max(a.shape[1] for a in values)
            values = [padded(a, k, 1) for a in values]
            out["k"] = max(out["k"], k)
        arrays[key] = index.sum(values)
    out["arrays"] = arrays
    if first["kind"] == "mean":
        out["broken"] = index.sum([item["broken"] for item, _ in parts])
        out["violation"] = _earliest(_moved(item["violation"], s) for item, s in parts)
    return out


def _chan(parts: list[dict[str, np.ndarray]], index: _Index) -> dict[str, np.ndarray]:
    """R²'s per-group (Σw, d̄, M2) of many parts, about one pivot per group: c = the
    first part's pivot c_1 (each part's d̄_i is about its own pivot c_i, and
    m_i = (c_i − c) + d̄_i is exact where d̄_i is: c_i and c are truth values of one
    group, Sterbenz), then the many-way Chan formula (W = Σ W_i, d̄ = Σ W_i m_i / W,
    M2 = Σ M2_i + Σ W_i (m_i − d̄)²); Σw e² summed, and whether each group's truth
    varies (within a part, or between the parts' pivots). Nothing is summed at the
    scale of the truth's offset, so a merge keeps the digits of a direct run."""
    import numpy as np

    w, d, m2, sse, ref, seen, varies = (np.concatenate([p[k] for p in parts]) for k in R2_ARRAYS)
    total = index.sum([w])
    first = index.first(ref, seen)
    pivot = first[index.index]
    m = np.where(seen, (ref - pivot) + d, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(total > 0, index.sum([w * m]) / np.where(total > 0, total, 1.0), 0.0)
    dev = m - mean[index.index]
    return {
        "weight": total,
        "dmean": mean,
        "m2": index.sum([m2]) + index.sum([w * dev * dev]),
        "sse": index.sum([sse]),
        "ref": first,
        "seen": index.sum([seen]),
        "varies": index.sum([varies]) | index.sum([seen & (ref != pivot)]),
    }


def _moved_fields(proto: Accumulator, state: dict[str, Any], shift: int) -> dict[str, Any]:
    """``state`` with its positions (``min`` fields) ``shift`` rows later."""
    out = dict(state)
    for f in proto.state_fields:
        if f.reduce == "min":
            out[f.name] = _moved(state.get(f.name), shift)
    return out


def _moved(position: Sequence[Any] | None, shift: int) -> list[Any] | None:
    return None if position is None else [position[0] + shift, *position[1:]]


def _earliest(positions: Any) -> list[Any] | None:
    """The earliest of some positions (``None``: none)."""
    found = [list(p) for p in positions if p is not None]
    return min(found) if found else None
