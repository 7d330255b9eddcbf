"""Mergeable result states: an evaluation as data that merges exactly (issue 16).

``losscli evaluate SHARD --save-state FILE``, ``losscli merge``, the Dask engine and the
Spark / Ray recipes of docs/merge.md all cut one evaluation into parts whose *states*
merge into the state of the whole: :func:`capture` takes an
:class:`~losscli.evaluate.engine.Engine` that has read its part (before it finishes, so a
part without rows or with a missing value still has a state), :class:`Merger` merges
two states, :func:`finish` loads a state into a fresh engine and lets the engine write
the report: the merged report is made by the same code as the single-file one.

A state (a plain dict; :mod:`losscli.evaluate.state_codec` writes it as JSON) holds:

* ``setting``: the options, the layout, the task and the first chunk's decisions
  (everything that changes a number); two states merge only when these are equal;
* the engine's counts: rows, dropped rows, missing values and the first missing cell,
  the total weight, the rows of each model that do not sum to 1 and the first one;
* the labels seen: the classes of label predictions (numbered by first appearance,
  so numbered differently in each part: a merge maps them **by label**), the labels of
  a ``--positive`` truth, and the ``--by`` group labels (group codes also differ
  between parts; merged by label);
* per model and loss, the accumulator's *declared* state
  (:meth:`losscli.losses.Accumulator.state`: fields merged by their declared ``reduce``
  through the accumulator's own :meth:`~losscli.losses.Accumulator.merge`), or under
  ``--by`` the per-group arrays of :mod:`losscli.evaluate.grouped` (declared fields
  summed; R²'s weight, mean and M2 by Chan's formula, as the engine combines chunks).

Positions (the first missing cell, the first violation of a loss's requirement, the
first row that does not sum to 1) are input rows. With ``row_offset`` given (``evaluate
--row-offset N``) a part counts its rows from N, positions are **absolute** and states
merge in any order. Without it positions are **relative** to the part's first row and
the merge counts rows across the states *in the order given* (a state records how many
input rows it read): merged shards in file order name the rows the whole file would.
A ``min`` field of an accumulator's state is such a position (``Violation``: its first
element is the 0-based input index).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from losscli.errors import InputError, UsageError

if TYPE_CHECKING:
    import numpy as np

    from losscli.evaluate.engine import Engine
    from losscli.evaluate.grouped import GroupStates
    from losscli.evaluate.plan import Setting
    from losscli.evaluate.report import EvaluationReport
    from losscli.io.dataset import DatasetInput
    from losscli.losses import Accumulator
    from losscli.uncertainty.analysis import Settings

SCHEMA = "losscli.state/3"
#: a state: see the module docstring (and docs/merge.md for the file format)
State = dict[str, Any]
#: R2States' per-group arrays in a state (``grouped.r2.SAVED``)
R2_ARRAYS = ("weight", "dmean", "m2", "sse", "ref", "seen", "varies")


# --------------------------------------------------------------------------- capture


def capture(engine: Engine, rows_read: int, *, row_offset: int | None = None) -> State:
    """The state of ``engine`` after its last chunk (``rows_read``: input rows read,
    dropped and missing ones included)."""
    import numpy as np

    from losscli import __version__
    from losscli.evaluate import bucket_state

    s = engine.setting
    n = len(engine.prepare.group_labels)
    models: list[list[dict[str, Any]]] | None = None
    if s.by is None and engine.accs:
        models = [[_acc_item(a) for a in engine.accs[m]] for m in sorted(engine.accs)]
    elif s.by is not None and engine.gstates is not None:
        models = [[_group_item(st, n) for st in states] for states in engine.gstates]
    return {
        "schema": SCHEMA,
        "losscli": __version__,
        "file": engine.name,
        "setting": setting_doc(s),
        "notes": list(s.decision.notes) if s.decision is not None else [],
        "positions": "relative" if row_offset is None else "absolute",
        "row_offset": row_offset or 0,
        "rows_read": int(rows_read),
        "rows": engine.rows,
        "dropped": engine.dropped,
        "missing": engine.missing_count,
        "missing_first": list(engine.missing_first) if engine.missing_first else None,
        "total_weight": float(engine.total_weight),
        "unnormalized": list(engine.unnormalized),
        "first_unnormalized": list(engine.first_unnormalized),
        "classes_seen": list(engine.labels.labels) if engine.labels is not None else None,
        "binary_labels": list(engine.prepare.binary_labels),
        "groups": list(engine.prepare.group_labels) if s.by is not None else None,
        "group_rows": _first_rows(engine.group_rows, n).astype(np.int64),
        "losses": [p.key for p in engine.plans],
        "models": models,
        "bootstrap": bucket_state.doc_of(engine),
    }


def _acc_item(acc: Accumulator) -> dict[str, Any]:
    if not acc.state_fields:
        raise UsageError(f"{type(acc).__name__} declares no state: its result cannot be saved")
    return {"kind": "accumulator", "state": acc.state()}


def _group_item(st: GroupStates, n: int) -> dict[str, Any]:
    """One (model, loss)'s ``--by`` arrays over the first ``n`` groups."""
    from losscli.evaluate import grouped

    if isinstance(st, grouped.R2States):
        return {"kind": "r2", "arrays": st.saved(n)}
    if not isinstance(st, grouped.DeclaredStates):
        raise UsageError(
            f"{type(st.proto).__name__} declares no state: its --by results cannot be saved"
        )
    item: dict[str, Any] = {
        "kind": "declared",
        "k": st.k,
        "arrays": {k: _first_rows(v, n) for k, v in st.arrays.items()},
    }
    if isinstance(st, grouped.MeanStates):
        item["kind"] = "mean"
        item["broken"] = _first_rows(st.broken, n)
        item["violation"] = list(st.violation) if st.violation is not None else None
    return item


def _first_rows(array: np.ndarray, n: int) -> np.ndarray:
    """A copy of the first ``n`` rows of a per-group array, zero-padded (a group whose
    rows were all dropped may have no row in the arrays yet)."""
    from losscli.evaluate.grouped import grown

    return grown(array, n)[:n].copy()


def padded(array: Any, size: int, axis: int) -> np.ndarray:
    """``array`` zero-padded to ``size`` along ``axis``."""
    import numpy as np

    arr = np.asarray(array)
    if arr.shape[axis] == size:
        return arr
    pad = [(0, 0)] * arr.ndim
    pad[axis] = (0, size - arr.shape[axis])
    return np.pad(arr, pad)


# --------------------------------------------------------------------------- setting


def setting_doc(s: Setting) -> dict[str, Any]:
    """The options of a run as plain data (the run's name and the notes aside)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(s):
        if f.name == "name":
            continue
        value = getattr(s, f.name)
        if f.name == "params":  # (the parameters given by name, then the two options)
            value = dict(value.values) | {"renormalize": value.renormalize, "logits": value.logits}
        elif f.name == "decision":
            value = (
                None
                if value is None
                else {
                    k: _plain(v)
                    for k, v in dataclasses.asdict(value).items()
                    if k not in ("layout", "notes")
                }
            )
        out[f.name] = _plain(value)
    return out


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _plain(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def setting_of(doc: Mapping[str, Any], name: str, notes: Sequence[str]) -> Setting:
    """The :class:`~losscli.evaluate.plan.Setting` of :func:`setting_doc`'s ``doc``."""
    from losscli.detect import Layout, ModelCols
    from losscli.evaluate.plan import Setting
    from losscli.labels import Decision

    lay = doc["layout"]
    models = tuple(
        ModelCols(
            m["name"],
            tuple(m["columns"]),
            None if m["classes"] is None else tuple(m["classes"]),
            m.get("hint"),
        )
        for m in lay["models"]
    )
    layout = Layout(
        lay["target"],
        models,
        bool(lay["multiclass"]),
        tuple(tuple(u) for u in lay["unused"]),
        tuple(tuple(c) for c in lay.get("ignored", ())),
    )
    params = _loss_params(doc["params"])
    d = doc["decision"]
    decision = None if d is None else Decision(layout=layout, notes=list(notes), **d)
    rest = {k: v for k, v in doc.items() if k not in ("layout", "params", "decision")}
    rest["losses"] = tuple(rest["losses"])
    return Setting(name=name, layout=layout, params=params, decision=decision, **rest)


def _loss_params(doc: Mapping[str, Any]) -> Any:
    """:class:`~losscli.evaluate.plan.LossParams` from :func:`setting_doc`'s data: the
    parameters given, by their names in :data:`losscli.losses.registry.PARAMS`, and
    ``renormalize``, ``logits``."""
    from losscli.evaluate.plan import LossParams
    from losscli.losses import registry

    keyword = {p.name: kw for kw, p in registry.cli_params().items()}
    given = {}
    for name, value in doc.items():
        if name in ("renormalize", "logits"):
            continue
        if name not in keyword:
            raise InputError(f"a state gives loss parameter {name!r}, which this losscli lacks")
        given[keyword[name]] = tuple(value) if isinstance(value, list) else value
    return LossParams(renormalize=bool(doc["renormalize"]), logits=bool(doc["logits"]), **given)


def difference(a: State, b: State) -> str | None:
    """How two states' versions, options or losses differ (``None``: they merge)."""
    for key in ("schema", "losscli", "positions"):
        if a.get(key) != b.get(key):
            return f"{key} {a.get(key)!r} vs {b.get(key)!r}"
    sa, sb = a["setting"], b["setting"]
    if sa == sb and a["losses"] == b["losses"]:
        return None
    for key in dict.fromkeys([*sa, *sb]):
        if sa.get(key) != sb.get(key):
            return _first_difference(key, sa.get(key), sb.get(key))
    if a["losses"] != b["losses"]:
        return f"losses {a['losses']} vs {b['losses']}"
    return None


def _first_difference(key: str, a: Any, b: Any) -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in dict.fromkeys([*a, *b]):
            if a.get(k) != b.get(k):
                return _first_difference(f"{key}.{k}", a.get(k), b.get(k))
    return f"{key} {a!r} vs {b!r}"


# --------------------------------------------------------------------------- finish


def finish(
    state: State,
    name: str,
    gates: Sequence[Any] = (),
    *,
    ci: Settings | None = None,
    baseline: str | None = None,
) -> EvaluationReport:
    """The report of ``state``: a fresh engine of its setting, loaded with it, writes it
    (``name``: the report's ``file``; ``gates``: parsed ``--fail-if`` gates, judged;
    ``ci``: the bootstrap's settings, its seed and bucket count the state's, to analyse
    the state's bucket sums with: :mod:`losscli.evaluate.bucket_state`)."""
    from losscli.evaluate import bucket_state
    from losscli.evaluate.api import judge
    from losscli.evaluate.engine import Engine

    prefix = f"{state['file']}: "
    notes = [f"{name}: {n[len(prefix) :]}" if n.startswith(prefix) else n for n in state["notes"]]
    engine = Engine(setting_of(state["setting"], name, notes), baseline=baseline)
    _load(engine, state)
    if ci is not None and state.get("bootstrap") is not None:
        doc = state["bootstrap"]
        bucket_state.load(
            engine, doc, dataclasses.replace(ci, seed=doc["seed"], n_buckets=doc["buckets"])
        )
    from losscli.evaluate import signature

    report = judge(engine.finish(), gates)
    return signature.signed(report, dropna=engine.setting.dropna)


def _load(engine: Engine, state: State) -> None:
    """Put ``state`` into a fresh ``engine`` (its setting's), as if it had read the rows."""
    import numpy as np

    from losscli.evaluate import grouped

    engine.rows, engine.dropped = state["rows"], state["dropped"]
    engine.missing_count, engine.total_weight = state["missing"], state["total_weight"]
    first = state["missing_first"]
    engine.missing_first = None if first is None else (int(first[0]), str(first[1]))
    engine.unnormalized = list(state["unnormalized"])
    engine.first_unnormalized = list(state["first_unnormalized"])
    if state["classes_seen"] is not None and engine.labels is not None:
        engine.labels.labels = list(state["classes_seen"])
        engine.labels.index = {lab: i for i, lab in enumerate(engine.labels.labels)}
        engine._grow_classes()
    engine.prepare.binary_labels = dict.fromkeys(state["binary_labels"])
    _check_positive(engine)
    groups = state["groups"]
    if groups is not None:
        engine.prepare.group_labels = list(groups)
        engine.prepare.group_ids = {lab: i for i, lab in enumerate(groups)}
        engine.group_rows = np.asarray(state["group_rows"], dtype=np.int64)
    if state["models"] is None:
        return
    protos = list(engine._prototypes())
    if groups is None:
        engine.accs = {
            m: [
                _loaded_acc(p, item, engine.n_classes)
                for p, item in zip(protos, items, strict=True)
            ]
            for m, items in enumerate(state["models"])
        }
        return
    engine.gstates = []
    for m, items in enumerate(state["models"]):
        row = []
        for proto, item in zip(protos, items, strict=True):
            st = grouped.make_states(proto, m)
            st.grow(len(groups))
            _fill(st, item, len(groups))
            row.append(st)
        engine.gstates.append(row)


def _loaded_acc(proto: Accumulator, item: dict[str, Any], n_classes: int) -> Accumulator:
    acc = proto.from_state(item["state"])
    acc.grow(n_classes)
    return acc


def _fill(st: GroupStates, item: dict[str, Any], n: int) -> None:
    """A fresh GroupStates (grown to ``n`` groups) loaded with ``item``'s arrays."""
    from losscli.evaluate import grouped
    from losscli.losses import Violation

    kind = (
        "r2"
        if isinstance(st, grouped.R2States)
        else ("mean" if isinstance(st, grouped.MeanStates) else "declared")
    )
    if kind != item["kind"]:
        raise InputError(f"a state holds {item['kind']!r} group sums where {kind!r} belong")
    if isinstance(st, grouped.R2States):
        st.load(item["arrays"], n)
        return
    assert isinstance(st, grouped.DeclaredStates)
    st.k = int(item["k"])
    st.arrays = {key: padded(v, n, 0) for key, v in item["arrays"].items()}
    if isinstance(st, grouped.MeanStates):
        st.broken = padded(item["broken"], n, 0)
        v = item["violation"]
        st.violation = None if v is None else Violation(int(v[0]), int(v[1]))


def _check_positive(engine: Engine) -> None:
    """A ``--positive`` truth of more than two labels over the parts (each part saw two
    at most: Prepare checks those)."""
    labels = list(engine.prepare.binary_labels)
    if len(labels) > 2:
        shown = ", ".join(repr(s) for s in labels[:5])
        raise InputError(
            f"{engine.name}: the truth column {engine.layout.target!r} holds more than two "
            f"labels ({shown}); --positive needs a two-label truth"
        )


# --------------------------------------------------------------------------- library


def state_of_file(
    source: str | DatasetInput, *, row_offset: int | None = None, **options: Any
) -> State:
    """The state of a file's evaluation (``source``: a path, or an input opened;
    ``options``: those of :func:`~losscli.evaluate.evaluate_file`); ``row_offset``: the
    input row of its first row in the whole (positions are then absolute; see the
    module docstring)."""
    from losscli.evaluate.api import evaluate_file

    state: Any = evaluate_file(
        source, row_offset=row_offset or 0, sink=_sink(row_offset), **options
    )
    return state


def state_of_frame(df: Any, *, row_offset: int | None = None, **options: Any) -> State:
    """The state of a DataFrame's evaluation (``options``: those of
    :func:`~losscli.evaluate.evaluate_frame`), e.g. one Spark or Ray batch."""
    from losscli.evaluate.api import evaluate_frame

    state: Any = evaluate_frame(df, row_offset=row_offset or 0, sink=_sink(row_offset), **options)
    return state


def _sink(row_offset: int | None) -> Any:
    if row_offset is not None and row_offset < 0:
        raise UsageError(f"--row-offset must be 0 or more, got {row_offset}")

    def sink(engine: Engine, rows: int) -> State:
        return capture(engine, rows, row_offset=row_offset)

    return sink


def merge_states(
    states: Sequence[State],
    *,
    fail_if: Sequence[str] = (),
    names: Sequence[str] | None = None,
    name: str | None = None,
    ci: Settings | None = None,
    seed: int | None = None,
    baseline: str | None = None,
) -> EvaluationReport:
    """The report of every state's rows together, states in order (``names``: how
    messages name them, default their files; ``name``: the report's ``file``, default
    :func:`merged_name`). ``ci`` (:func:`losscli.evaluate.api.ci_settings`): intervals
    and comparisons from the states' bucket sums (saved by ``--ci``), identical in law
    to ``evaluate --ci`` on the whole data; ``seed``: the seed asked (``None``: the
    states'), checked against theirs."""
    from losscli.evaluate import gates as gate_mod

    gates = gate_mod.parse_gates(fail_if)
    if not states:
        raise UsageError("no state to merge")
    shown = list(names) if names is not None else [str(s["file"]) for s in states]
    states = positioned(states, shown)
    check_mergeable(states, shown)
    if ci is not None:
        from losscli.evaluate import bucket_state

        bucket_state.check(states, shown, seed)
    from losscli.evaluate.merging import Merger

    merged = Merger(states[0]).merge_all(states)
    return finish(merged, name or merged_name(shown), gates, ci=ci, baseline=baseline)


def positioned(states: Sequence[State], names: Sequence[str]) -> list[State]:
    """The states with one kind of positions. A first state saved without
    ``--row-offset`` starts at input row 0, so beside states saved with it, its
    relative positions are absolute ones (the usual way to shard: the first shard
    without the flag, the others with ``--row-offset N``); any other mix is an
    :class:`InputError` naming the state and what to do."""
    kinds = [s["positions"] for s in states]
    if "absolute" not in kinds or "relative" not in kinds[1:]:
        return (
            [dict(s, positions="absolute") for s in states] if "absolute" in kinds else list(states)
        )
    at = kinds.index("relative", 1)
    raise InputError(
        f"{names[at]} was saved without --row-offset, but other states with it: save "
        "every shard after the first with --row-offset N (its first row's place in the whole)"
    )


def check_mergeable(states: Sequence[State], names: Sequence[str]) -> None:
    """An :class:`InputError` naming the first state that does not merge with the first."""
    for state, shown in zip(states[1:], names[1:], strict=True):
        diff = difference(states[0], state)
        if diff is not None:
            raise InputError(f"{shown} does not merge with {names[0]}: they differ in {diff}")


def merged_name(names: Sequence[str]) -> str:
    """A merged report's ``file``: the one state's name, or ``FIRST ... LAST (N states)``."""
    if len(names) == 1:
        return names[0]
    return f"{names[0]} ... {names[-1]} ({len(names)} states)"
