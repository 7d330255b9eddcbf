"""``losscli evaluate SHARD --save-state FILE`` and ``losscli merge FILES`` as a user runs
them: CSV and Parquet shards of real files (written by pandas / pyarrow), merged in 1, 5
and 37 parts, must print the whole file's report (JSON: equal but for ``file``, floats
to 1e-12 relative; CSV: the same text but for the last digits of a float), with
``--by``, weights and ``--dropna``; gates judged by the merge; every bad input one line
and exit 2, a state file never half-written.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from conftest import SAMPLES, Cli
from conftest import assert_close as close

_cli = Cli()
run, run_json, error_line = _cli.run, _cli.run_json, _cli.error_line


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 740
    y = rng.gamma(2.0, 2.0, n)
    df = pd.DataFrame(
        {
            "y_true": y,
            "pred_lin": np.abs(y + rng.normal(0, 1, n)) + 0.01,
            "pred_tree": y * rng.uniform(0.7, 1.3, n),
            "w": rng.uniform(0, 3, n),
            "region": rng.choice(["n", "s", "e", "w", "7"], n),
        }
    )
    df.loc[[11, 500], "y_true"] = -2.0
    df.loc[[30, 31], "pred_tree"] = np.nan
    return df


def _shards(df: pd.DataFrame, k: int, folder: Path, fmt: str) -> list[Path]:
    out = []
    for i, rows in enumerate(np.array_split(np.arange(len(df)), k)):
        path = folder / f"shard-{i:03d}.{fmt}"
        part = df.iloc[rows]
        if fmt == "csv":
            part.to_csv(path, index=False)
        else:
            part.to_parquet(path, index=False)
        out.append(path)
    return out


def _saved(shards: list[Path], *opts: str, offsets: bool = False) -> list[str]:
    states = []
    start = 0
    for shard in shards:
        state = shard.with_suffix(".lstate")
        extra = ("--row-offset", str(start)) if offsets else ()
        result = run("evaluate", str(shard), *opts, *extra, "--save-state", str(state))
        assert result.exit_code == 0, result.stderr
        assert result.stdout == ""
        start += len(pd.read_csv(shard)) if shard.suffix == ".csv" else len(pd.read_parquet(shard))
        states.append(str(state))
    return states


def _doc(*args: str) -> dict[str, Any]:
    doc: dict[str, Any] = run_json(*args)
    doc.pop("file")
    return doc


OPTIONS = {
    "plain": (),
    "weighted-dropna": ("--weight", "w", "--dropna"),
    "by": ("--by", "region", "--weight", "w", "--dropna"),
}


@pytest.mark.parametrize("k", [1, 5, 37])
@pytest.mark.parametrize("opts", sorted(OPTIONS))
def test_merged_csv_shards_print_the_whole_files_report(tmp_path: Path, opts: str, k: int) -> None:
    df = _frame()
    if opts == "plain":
        df = df.dropna()
    whole = tmp_path / "whole.csv"
    df.to_csv(whole, index=False)
    states = _saved(_shards(df, k, tmp_path, "csv"), *OPTIONS[opts])
    close(_doc("merge", *states), _doc("evaluate", str(whole), *OPTIONS[opts]))


@pytest.mark.parametrize("sample", ["binary.csv", "multiclass.csv", "models.csv"])
def test_merged_parquet_shards_of_the_samples(tmp_path: Path, sample: str) -> None:
    df = pd.read_csv(SAMPLES / sample)
    states = _saved(_shards(df, 5, tmp_path, "parquet"), "--task", "auto")
    close(_doc("merge", *states), _doc("evaluate", str(SAMPLES / sample)))


def test_csv_output_is_the_whole_files(tmp_path: Path) -> None:
    df = _frame().dropna()
    whole = tmp_path / "whole.csv"
    df.to_csv(whole, index=False)
    states = _saved(_shards(df, 5, tmp_path, "csv"), "--by", "region")
    merged = pd.read_csv(pd.io.common.StringIO(run("merge", *states, "-o", "csv").stdout))
    single = pd.read_csv(
        pd.io.common.StringIO(run("evaluate", str(whole), "--by", "region", "-o", "csv").stdout)
    )
    pd.testing.assert_frame_equal(merged, single, rtol=1e-12)


def test_row_offsets_make_the_order_free(tmp_path: Path) -> None:
    """With --row-offset on every shard the skip reasons name the whole file's rows
    whatever the order the states are given in."""
    df = _frame()
    whole = tmp_path / "whole.csv"
    df.to_csv(whole, index=False)
    states = _saved(_shards(df, 5, tmp_path, "csv"), "--dropna", offsets=True)
    single = _doc("evaluate", str(whole), "--dropna")
    assert "row 12" in json.dumps(single["skipped"])  # (y_true < 0 at 0-based row 11)
    close(_doc("merge", *states[::-1]), single)


def test_the_merge_judges_the_gates(tmp_path: Path) -> None:
    states = _saved(_shards(pd.read_csv(SAMPLES / "regression.csv"), 3, tmp_path, "csv"))
    ok = run("merge", *states, "--fail-if", "rmse>100")
    assert ok.exit_code == 0, ok.stderr
    failed = run("merge", *states, "--fail-if", "rmse>1")
    assert failed.exit_code == 1
    assert "rmse" in failed.stderr


def test_gates_are_not_judged_on_a_shard(tmp_path: Path) -> None:
    line = error_line(
        "evaluate",
        str(SAMPLES / "regression.csv"),
        "--save-state",
        str(tmp_path / "s"),
        "--fail-if",
        "rmse>1",
    )
    assert "--fail-if is judged by 'losscli merge'" in line
    assert not (tmp_path / "s").exists()


def test_states_of_other_options(tmp_path: Path) -> None:
    shards = _shards(_frame(), 2, tmp_path, "csv")
    a = _saved(shards[:1], "--dropna")
    b = _saved(shards[1:], "--dropna", "--weight", "w")
    line = error_line("merge", *a, *b)
    assert line == (
        f"losscli: error: {b[0]} does not merge with {a[0]}: they differ in weight None vs 'w'"
    )


def test_not_a_state_file(tmp_path: Path) -> None:
    data = str(SAMPLES / "regression.csv")
    assert error_line("merge", data) == (
        f"losscli: error: {data}: not a losscli state file (invalid JSON at line 1, column 1)"
    )
    missing = str(tmp_path / "nope.lstate")
    assert error_line("merge", missing) == (
        f"losscli: error: {missing}: cannot read: No such file or directory"
    )


def test_a_shard_that_fails_writes_no_state(tmp_path: Path) -> None:
    """A bad value fails the shard as it fails the whole file (exit 2, one line), and
    the state file already there is left as it was (written atomically or not at all)."""
    bad = tmp_path / "bad.csv"
    bad.write_text("y_true,y_pred\n1,2\n3,abc\n")
    state = tmp_path / "bad.lstate"
    state.write_text("old")
    line = error_line("evaluate", str(bad), "--save-state", str(state))
    assert "row 2" in line
    assert state.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_the_state_file_is_json_with_a_schema(tmp_path: Path) -> None:
    (state,) = _saved([SAMPLES / "regression.csv"])
    doc = json.loads(Path(state).read_text())
    assert list(doc)[:2] == ["schema", "losscli"]
    assert doc["schema"] == "losscli.state/3"
    assert doc["rows_read"] == 500
    os.remove(state)


def test_a_state_from_before_layout_ignored_still_merges(tmp_path: Path) -> None:
    """States written before ``layout.ignored`` existed (columns left out by name)
    left none out: one of them merges with states written since, to the same report."""
    df = _frame().dropna()
    whole = tmp_path / "whole.csv"
    df.to_csv(whole, index=False)
    states = _saved(_shards(df, 3, tmp_path, "csv"))
    doc = json.loads(Path(states[0]).read_text())
    assert doc["setting"]["layout"].pop("ignored") == []
    Path(states[0]).write_text(json.dumps(doc))
    close(_doc("merge", *states), _doc("evaluate", str(whole)))
