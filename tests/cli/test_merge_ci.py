"""``evaluate SHARD --ci --row-offset N --save-state`` and ``losscli merge --ci``: the
whole file's intervals, comparisons and p-values from the shards' bootstrap buckets.

The oracle is ``evaluate --ci`` on the whole file with the same seed. One shard is the
whole file's state itself: the report must be float-equal (the JSON text but ``file``).
For 5 and 37 shards the bucket sums are the same numbers added in another association
(each shard sums its rows, the merge adds the shards; r2's shards have their own pivot
and are moved to the first one's), so the p-values, verdicts and ``bootstrap`` must be
equal and the interval bounds equal to 1e-12 relative, as the point values are.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from conftest import Cli

_cli = Cli()
run, run_json, error_line = _cli.run, _cli.run_json, _cli.error_line


def _frame(task: str, n: int = 9000) -> pd.DataFrame:
    rng = np.random.default_rng({"regression": 1, "binary": 2, "multiclass": 3, "labels": 4}[task])
    g = rng.choice(["n", "s", "e", "w", "10"], n)
    if task == "regression":
        y = rng.normal(size=n)
        return pd.DataFrame(
            {
                "y_true": y,
                "pred_a": y + rng.normal(size=n),
                "pred_b": y + rng.normal(scale=1.05, size=n),
                "w": rng.uniform(0.1, 2.0, n),
                "g": g,
            }
        )
    if task == "binary":
        p = rng.uniform(0.02, 0.98, n)
        y = (rng.uniform(size=n) < p).astype(int)
        q = np.clip(p + rng.normal(scale=0.1, size=n), 0.01, 0.99)
        return pd.DataFrame({"y_true": y, "pred_a": p, "pred_b": q, "g": g})
    logits = rng.normal(size=(n, 3))
    prob = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y = np.array([rng.choice(3, p=row) for row in prob])
    if task == "labels":  # (class labels, met in another order in each shard)
        names = np.array(["cat", "dog", "eel"])
        noisy = np.where(rng.uniform(size=n) < 0.3, rng.integers(0, 3, n), y)
        return pd.DataFrame(
            {"y_true": names[y], "pred_a": names[prob.argmax(1)], "pred_b": names[noisy], "g": g}
        )
    return pd.DataFrame(
        {"y_true": y, "prob_0": prob[:, 0], "prob_1": prob[:, 1], "prob_2": prob[:, 2], "g": g}
    )


CASES: dict[str, tuple[str, tuple[str, ...]]] = {
    "regression-weighted": ("regression", ("--weight", "w")),
    "regression-by": ("regression", ("--by", "g")),
    "binary": ("binary", ("--task", "binary")),
    "binary-by": ("binary", ("--task", "binary", "--by", "g")),
    "multiclass-by": ("multiclass", ("--task", "multiclass", "--by", "g")),
    "labels": ("labels", ("--task", "multiclass")),
}


def _saved(df: pd.DataFrame, k: int, folder: Path, *opts: str, offsets: bool = True) -> list[str]:
    """``df`` cut into ``k`` CSV shards, each saved with --ci (and --row-offset)."""
    states = []
    for i, rows in enumerate(np.array_split(np.arange(len(df)), k)):
        shard, state = folder / f"shard-{i:03d}.csv", folder / f"shard-{i:03d}.lstate"
        df.iloc[rows].to_csv(shard, index=False)
        extra = ("--row-offset", str(rows[0])) if offsets else ()
        result = run("evaluate", str(shard), "--ci", *opts, *extra, "--save-state", str(state))
        assert result.exit_code == 0, result.stderr
        states.append(str(state))
    return states


def _same_ci(merged: dict[str, Any], whole: dict[str, Any]) -> None:
    """The --ci fields equal: p-values, verdicts and bootstrap exactly, bounds to 1e-12."""
    assert merged["bootstrap"] == whole["bootstrap"]
    for key in ("results", "comparisons"):
        assert len(merged[key]) == len(whole[key])
        for a, b in zip(merged[key], whole[key], strict=True):
            assert a.keys() == b.keys()
            for f, x in a.items():
                y = b[f]
                if isinstance(x, float) and isinstance(y, float) and f != "p_value":
                    assert math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-15), (key, f, a, b)
                else:
                    assert x == y, (key, f, a, b)
    assert merged["comparisons"] or len(merged["models"]) == 1, "the test needs comparisons"


@pytest.mark.parametrize("k", [1, 5, 37])
@pytest.mark.parametrize("case", sorted(CASES))
def test_merge_ci_is_the_whole_files_ci(tmp_path: Path, case: str, k: int) -> None:
    task, opts = CASES[case]
    df = _frame(task)
    whole = tmp_path / "whole.csv"
    df.to_csv(whole, index=False)
    single = run_json("evaluate", str(whole), "--ci", *opts)
    merged = run_json("merge", *_saved(df, k, tmp_path, *opts), "--ci")
    if k == 1:  # (the whole file's own state: float-equal)
        assert {**merged, "file": None} == {**single, "file": None}
    _same_ci(merged, single)


def test_merge_takes_the_analysis_options(tmp_path: Path) -> None:
    df = _frame("regression", n=4000)
    whole = tmp_path / "whole.csv"
    df.to_csv(whole, index=False)
    analysis = ("--resamples", "300", "--test", "permutation", "--correction", "holm")
    analysis += ("--baseline", "b")
    single = run_json("evaluate", str(whole), "--ci", "0.9", "--seed", "7", *analysis)
    states = _saved(df, 5, tmp_path, "--seed", "7")
    merged = run_json("merge", *states, "--ci", "0.9", *analysis)  # (the states' seed)
    _same_ci(merged, single)
    assert merged["bootstrap"]["seed"] == 7 and merged["bootstrap"]["level"] == 0.9
    _same_ci(run_json("merge", *states, "--ci", "0.9", "--seed", "7", *analysis), single)


def test_states_without_buckets_or_of_another_seed(tmp_path: Path) -> None:
    df = _frame("regression", n=600)
    (tmp_path / "a").mkdir()
    a = _saved(df.iloc[:300], 1, tmp_path / "a")
    b_dir = tmp_path / "b"
    b_dir.mkdir()
    shard = b_dir / "rest.csv"
    df.iloc[300:].to_csv(shard, index=False)
    plain = str(b_dir / "plain.lstate")
    assert run("evaluate", str(shard), "--row-offset", "300", "--save-state", plain).exit_code == 0
    assert error_line("merge", *a, plain, "--ci") == (
        f"losscli: error: {plain}: saved without --ci (no bootstrap buckets); run "
        "'losscli evaluate SHARD --ci --row-offset N --save-state FILE' for merge --ci"
    )
    # (without --ci the buckets are not needed: the point report)
    assert run("merge", *a, plain).exit_code == 0
    other = str(b_dir / "seed9.lstate")
    result = run(
        "evaluate", str(shard), "--ci", "--seed", "9", "--row-offset", "300", "--save-state", other
    )
    assert result.exit_code == 0, result.stderr
    assert error_line("merge", *a, other, "--ci") == (
        f"losscli: error: {other} does not merge with {a[0]} for --ci: they differ in "
        "--seed 12345 vs 9"
    )
    assert error_line("merge", *a, "--ci", "--seed", "9") == (
        f"losscli: error: {a[0]}: saved with --seed 12345, merge --ci asks --seed 9 "
        "(bucket sums depend on the seed)"
    )


def test_shards_without_row_offsets_are_refused_for_ci(tmp_path: Path) -> None:
    states = _saved(_frame("binary", n=400), 2, tmp_path, "--task", "binary", offsets=False)
    line = error_line("merge", *states, "--ci")
    assert line == (
        f"losscli: error: {states[1]}: its rows were counted from its own first row, so its "
        "bootstrap buckets are not the whole data's; save every shard with --row-offset N "
        "for merge --ci"
    )
    assert run("merge", *states[:1], "--ci").exit_code == 0  # (one shard: rows from 0)


def test_analysis_options_are_the_merges(tmp_path: Path) -> None:
    df = _frame("regression", n=100)
    shard = tmp_path / "s.csv"
    df.to_csv(shard, index=False)
    state = tmp_path / "s.lstate"
    line = error_line(
        "evaluate", str(shard), "--ci", "--resamples", "200", "--save-state", str(state)
    )
    assert line == ("losscli: error: --resamples go to 'losscli merge --ci', not with --save-state")
    assert not state.exists()
    assert "needs --ci" in error_line(
        "evaluate", str(shard), "--seed", "3", "--save-state", str(state)
    )


def test_a_version_1_state_reads_as_a_state_without_buckets(tmp_path: Path) -> None:
    df = _frame("regression", n=200)
    (state,) = _saved(df, 1, tmp_path)
    doc = json.loads(Path(state).read_text())
    assert doc["schema"] == "losscli.state/3" and list(doc)[-1] == "bootstrap"
    assert doc["bootstrap"]["seed"] == 12345 and doc["bootstrap"]["buckets"] == 4096
    old = {k: v for k, v in doc.items() if k != "bootstrap"} | {"schema": "losscli.state/1"}
    v1 = tmp_path / "v1.lstate"
    v1.write_text(json.dumps(old))
    whole = run_json("merge", state)
    assert {**run_json("merge", str(v1)), "file": None} == {**whole, "file": None}
    assert "saved without --ci" in error_line("merge", str(v1), "--ci")


def test_a_damaged_bucket_array_is_one_line(tmp_path: Path) -> None:
    (state,) = _saved(_frame("regression", n=200), 1, tmp_path)
    doc = json.loads(Path(state).read_text())
    doc["bootstrap"]["shared"]["weight"] = {"$array": "float64", "shape": [1, 7], "data": [0] * 7}
    Path(state).write_text(json.dumps(doc))
    assert error_line("merge", state, "--ci") == (
        f"losscli: error: {state}: damaged state file (bootstrap: an array is not "
        "(groups, buckets[, classes]))"
    )
