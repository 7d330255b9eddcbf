"""Mergeable result states (issue 16): a frame cut into 1, 5 and 37 parts, each part's
state written as JSON and read back, merged → the report of the whole frame.

Oracle: the single-run report of the same rows (``evaluate_frame``), compared as its
JSON document: every key equal, floats to 1e-12 relative (the merged sums add the parts'
sums in another order than the single run, so the last bits may differ), the ``file``
key aside (a merge names its states). Errors (a missing value, a loss asked for that
does not apply) must be the whole run's, word for word but for the name.
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from losscli.errors import InputError, LossCliError
from losscli.evaluate import evaluate_frame, state_codec
from losscli.evaluate.merging import Merger
from losscli.evaluate.state import merge_states, state_of_frame
from losscli.render.evaluate import evaluate_json

from conftest import assert_close as close

PARTS = (1, 5, 37)


def doc(report: Any) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(evaluate_json(report))
    out.pop("file")
    return out


def parts(df: pd.DataFrame, k: int) -> list[pd.DataFrame]:
    return [df.iloc[p].reset_index(drop=True) for p in np.array_split(np.arange(len(df)), k)]


def saved(df: pd.DataFrame, **opts: Any) -> dict[str, Any]:
    """A part's state after a trip through its JSON text (what a file holds)."""
    return state_codec.loads(state_codec.dumps(state_of_frame(df, **opts)), "part")


def merged(df: pd.DataFrame, k: int, **opts: Any) -> Any:
    return merge_states([saved(p, **opts) for p in parts(df, k)])


# --------------------------------------------------------------------------- data


def regression(n: int = 600, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.gamma(2.0, 2.0, n)
    df = pd.DataFrame(
        {
            "y_true": y,
            # (predictions > 0: msle's second rule never breaks; see docs/merge.md on
            # a loss whose two rules break in one batch of the single run)
            "pred_a": np.abs(y + rng.normal(0, 1, n)) + 0.01,
            "pred_b": y * rng.uniform(0.8, 1.2, n),
            "w": rng.uniform(0.0, 2.0, n),
            "g": rng.choice(["north", "south", "east", "10", "2"], n),
        }
    )
    df.loc[[7, 300], "y_true"] = -1.0  # msle and poisson do not apply (first: row 8)
    df.loc[df.g == "east", "y_true"] = 3.0  # r2 is undefined in that group
    df.loc[[50, 51, 400], "pred_a"] = np.nan
    df.loc[[20], "g"] = None
    df.loc[n - 3 :, "g"] = "late"  # a group only the last part sees
    return df


def binary(n: int = 500, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    return pd.DataFrame(
        {
            "label": y,
            "prob": np.clip(0.3 * y + rng.uniform(0, 0.7, n), 0.001, 0.999),
            "w": rng.uniform(0.5, 1.5, n),
            "g": rng.choice(["a", "b", "c"], n),
        }
    )


def multiclass(n: int = 500, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    raw = rng.uniform(0.05, 1.0, (n, 3))
    raw /= raw.sum(axis=1, keepdims=True)
    df = pd.DataFrame(raw, columns=["prob_cat", "prob_dog", "prob_bird"])
    df.insert(0, "label", rng.choice(["cat", "dog", "bird"], n))
    df["g"] = rng.integers(0, 4, n)
    return df


def labels(n: int = 400, seed: int = 3) -> pd.DataFrame:
    """Hard-label predictions whose classes the parts meet in different orders (and
    some parts never): the class codes of the parts differ, the merge maps labels."""
    rng = np.random.default_rng(seed)
    classes = np.array(["ant", "bee", "cow", "dog", "elk"])
    y = classes[np.sort(rng.integers(0, 5, n))[::-1]]  # (sorted: parts see few classes)
    # (one part in five labels wrong: every part of 37 holds two labels at least, as
    # --task multiclass needs of each part, as of a whole file)
    pred = np.where(rng.uniform(size=n) < 0.5, y, classes[rng.integers(0, 5, n)])
    return pd.DataFrame({"y_true": y, "y_pred": pred, "g": rng.choice(["x", "y"], n)})


CASES = {
    "regression": (regression, {"weight": "w", "dropna": True}),
    "regression-by": (regression, {"weight": "w", "dropna": True, "by": "g"}),
    "binary": (binary, {"weight": "w"}),
    "binary-by": (binary, {"weight": "w", "by": "g"}),
    "multiclass": (multiclass, {"class_weight": "balanced"}),
    "multiclass-by": (multiclass, {"by": "g"}),
    "labels": (labels, {"task": "multiclass"}),
    "labels-by": (labels, {"task": "multiclass", "by": "g"}),
}


@pytest.mark.parametrize("k", PARTS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_merged_parts_give_the_whole_report(case: str, k: int) -> None:
    make, opts = CASES[case]
    df = make()
    whole = evaluate_frame(df, **opts)
    report = merged(df, k, **opts)
    close(doc(report), doc(whole))
    assert report.warnings[1:] == whole.warnings[1:] or [
        w.split(": ", 1)[1] for w in report.warnings
    ] == [w.split(": ", 1)[1] for w in whole.warnings]


def test_the_regression_case_has_the_positions_and_skips_it_claims() -> None:
    """(The case above is only as good as its data: the skips and the dropped rows
    it is built to have are there.)"""
    df = regression()
    report = merged(df, 37, weight="w", dropna=True, by="g")
    reasons = {s.loss: s.reason for s in report.skipped}
    assert "first violation at row 8" in reasons["msle"]
    assert "east" in reasons["r2"]
    assert report.dropped == 4  # three missing predictions, one missing group
    assert "late" in report.groups


def test_rows_are_counted_across_the_states_in_order() -> None:
    """Without --row-offset the merge counts rows across the states in the order
    given: the missing value at input row 351 (0-based 350) is named as the whole
    run names it."""
    df = regression()
    df["pred_a"] = df["pred_a"].fillna(1.0)
    df.loc[350, "y_true"] = np.nan
    with pytest.raises(InputError) as whole:
        evaluate_frame(df, weight="w", source="data")
    with pytest.raises(InputError) as part:
        merge_states([saved(p, weight="w") for p in parts(df, 5)], name="data")
    assert str(part.value) == str(whole.value)
    assert "row 351" in str(whole.value)


def test_absolute_positions_merge_in_any_order() -> None:
    """With row_offset (``--row-offset``), positions are absolute: the states merge in
    any order to the same report."""
    df = regression()
    cuts = np.array_split(np.arange(len(df)), 5)
    states = [
        saved(df.iloc[c].reset_index(drop=True), weight="w", dropna=True, row_offset=int(c[0]))
        for c in cuts
    ]
    opts = {"weight": "w", "dropna": True}
    whole = doc(evaluate_frame(df, **opts))
    close(doc(merge_states(states[::-1])), whole)
    close(doc(merge_states([states[2], states[0], states[4], states[1], states[3]])), whole)


def test_the_merge_is_associative() -> None:
    df = labels()
    states = [saved(p, task="multiclass", by="g") for p in parts(df, 6)]
    merger = Merger(states[0])
    left = merger.merge_all(states)
    tree = merger.merge(
        merger.merge_all(states[:2]),
        merger.merge(merger.merge_all(states[2:5]), states[5]),
    )
    close(doc(merge_states([left])), doc(merge_states([tree])))


def test_a_requested_loss_that_does_not_apply_is_the_whole_runs_error() -> None:
    df = regression()
    with pytest.raises(InputError) as whole:
        evaluate_frame(df, losses=["msle"], dropna=True, source="data")
    with pytest.raises(InputError) as part:
        merge_states([saved(p, losses=["msle"], dropna=True) for p in parts(df, 5)], name="data")
    assert str(part.value) == str(whole.value)


def test_a_part_without_rows_merges() -> None:
    """A part whose every row is dropped (--dropna) has a state all the same."""
    df = regression()
    df.loc[:99, "pred_a"] = np.nan
    opts = {"weight": "w", "dropna": True, "by": "g"}
    close(
        doc(merge_states([saved(p, **opts) for p in parts(df, 6)])), doc(evaluate_frame(df, **opts))
    )


def test_positive_labels_over_the_parts() -> None:
    df = pd.DataFrame({"y_true": ["yes", "no"] * 50, "y_pred": np.linspace(0.01, 0.99, 100)})
    close(
        doc(merge_states([saved(p, positive="yes") for p in parts(df, 4)])),
        doc(evaluate_frame(df, positive="yes")),
    )
    third = df.copy()
    third.loc[90:, "y_true"] = "maybe"
    with pytest.raises(InputError, match="more than two labels"):
        merge_states([saved(p, positive="yes") for p in parts(third, 2)])


@pytest.mark.parametrize(
    ("other", "named"),
    [
        ({"weight": None}, "weight"),
        ({"weight": "w", "delta": 2.0}, "params.delta"),
        ({"weight": "w", "by": "g"}, "by"),
        ({"weight": "w", "task": "regression"}, "task"),
    ],
)
def test_states_of_other_options_do_not_merge(other: dict[str, Any], named: str) -> None:
    df = binary()
    a = saved(df.iloc[:200], weight="w")
    b = saved(df.iloc[200:].reset_index(drop=True), **other)
    with pytest.raises(InputError) as err:
        merge_states([a, b], names=["a.lstate", "b.lstate"])
    assert str(err.value).startswith(
        f"b.lstate does not merge with a.lstate: they differ in {named} "
    )


def test_states_of_another_version_do_not_merge() -> None:
    df = binary()
    a, b = saved(df.iloc[:200]), saved(df.iloc[200:])
    b["losscli"] = "0.0.1"
    with pytest.raises(InputError, match=r"differ in losscli '0\.1\.0' vs '0\.0\.1'"):
        merge_states([a, b], names=["a", "b"])


def test_floats_that_json_cannot_hold_round_trip() -> None:
    state = saved(binary(50), weight="w")
    state["total_weight"] = math.inf
    state["group_rows"] = np.array([1, 2])
    text = state_codec.dumps(state | {"x": np.array([np.nan, -np.inf, 0.1])})
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard JSON {c}"))
    back = state_codec.loads(text, "t")
    assert back["total_weight"] == math.inf
    assert np.isnan(back["x"][0]) and back["x"][1] == -np.inf and back["x"][2] == 0.1


def test_every_float_is_written_exactly() -> None:
    state = state_of_frame(regression(), weight="w", dropna=True, by="g")
    back = state_codec.loads(state_codec.dumps(state), "t")
    for a, b in zip(state["models"], back["models"], strict=True):
        for x, y in zip(a, b, strict=True):
            for key, arr in x["arrays"].items():
                assert np.array_equal(arr, y["arrays"][key], equal_nan=True), key
                assert arr.dtype == y["arrays"][key].dtype


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (b"\xff\xfe not text", "not a losscli state file (not UTF-8 text)"),
        (b"y_true,y_pred\n1,2\n", "not a losscli state file (invalid JSON at line 1"),
        (b"[1, 2]", 'not a losscli state file (no "schema")'),
        (b'{"schema": "losscli.evaluate/1"}', "state schema 'losscli.evaluate/1' is not"),
        (b'{"schema": "losscli.state/1", "rows": 3}', "damaged state file (no 'losscli')"),
    ],
)
def test_not_a_state(text: bytes, says: str) -> None:
    with pytest.raises(InputError) as err:
        state_codec.loads(text, "f.lstate")
    assert str(err.value).startswith(f"f.lstate: {says}")


def test_a_damaged_state() -> None:
    state = state_of_frame(regression(), by="g", dropna=True)
    doc_ = json.loads(state_codec.dumps(state))
    # (one group fewer: the numbers of an array are the base64 of their bytes)
    total = doc_["models"][0][0]["arrays"]["total"]
    short = np.asarray(state["models"][0][0]["arrays"]["total"][:-1], dtype="<f8")
    total["base64"] = base64.b64encode(short.tobytes()).decode()
    total["shape"] = [len(state["groups"]) - 1]
    with pytest.raises(LossCliError, match=r"damaged state file .*group list"):
        state_codec.loads(json.dumps(doc_), "f")
    doc_["models"] = [[]]
    with pytest.raises(LossCliError, match="not one item per model and loss"):
        state_codec.loads(json.dumps(doc_), "f")


def test_the_spark_and_ray_recipes_of_docs_merge_md() -> None:
    """The two functions of docs/merge.md, fed pandas batches as mapInPandas and
    map_batches feed them (an iterator of DataFrames; one DataFrame), in shuffled
    order: the whole frame's numbers."""
    from losscli.evaluate import merge_states as merge
    from losscli.evaluate import state_codec as codec
    from losscli.evaluate import state_of_frame as state_of

    def states(batches: Any) -> Any:  # (the Spark recipe, as written there)
        for pdf in batches:
            if len(pdf):
                text = codec.dumps(state_of(pdf, task="regression", weight="w"))
                yield pd.DataFrame({"state": [text]})

    def state(df: pd.DataFrame) -> pd.DataFrame:  # (the Ray recipe)
        return pd.DataFrame({"state": [codec.dumps(state_of(df, task="regression"))]})

    df = regression().dropna()
    batches = parts(df, 9)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(batches))
    spark = pd.concat(list(states(iter([batches[i] for i in order] + [df.iloc[:0]]))))
    report = merge([codec.loads(t, "spark") for t in spark["state"]])
    whole = doc(evaluate_frame(df, task="regression", weight="w"))
    close(doc(report)["results"], whole["results"])
    ray = pd.concat([state(batches[i]) for i in order])["state"]
    close(
        doc(merge([codec.loads(t, "ray") for t in ray]))["results"],
        doc(evaluate_frame(df, task="regression"))["results"],
    )


def test_arrays_as_lists_read_as_arrays_of_bytes_do() -> None:
    """A writer without base64 (another engine) may give an array's numbers as a JSON
    list (non-finite as "NaN", "Infinity", "-Infinity"); bytes that do not fill the
    shape are a damaged file."""
    state = state_of_frame(regression(), by="g", dropna=True)
    doc_ = json.loads(state_codec.dumps(state))
    total = doc_["models"][0][0]["arrays"]["total"]
    want = state["models"][0][0]["arrays"]["total"]
    del total["base64"]
    total["data"] = [float(v) for v in want]
    back = state_codec.loads(json.dumps(doc_), "f")
    assert np.array_equal(back["models"][0][0]["arrays"]["total"], want)
    del total["data"]
    total["base64"] = base64.b64encode(b"\0" * 12).decode()
    with pytest.raises(LossCliError, match="damaged state file"):
        state_codec.loads(json.dumps(doc_), "f")
