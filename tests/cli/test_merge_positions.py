"""The usual way to shard: the first shard saved without ``--row-offset`` (it starts at
row 0), the others with it. Their states merge to the whole file's report, intervals
included; a later shard without the flag among shards with it is one clear line.
Oracle: ``evaluate`` of the whole file (and scikit-learn's RMSE for the value)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pandas as pd
import pytest
from sklearn import metrics

from conftest import SAMPLES, Cli

_evaluate, _merge = Cli("evaluate"), Cli("merge")
MODELS = SAMPLES / "models.csv"


@pytest.fixture(scope="module")
def shards(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("shards")
    df = pd.read_csv(MODELS)
    cuts = [0, 170, 333, len(df)]
    out = []
    for i, (lo, hi) in enumerate(itertools.pairwise(cuts)):
        csv = folder / f"s{i}.csv"
        df.iloc[lo:hi].to_csv(csv, index=False)
        state = folder / f"s{i}.lstate"
        offset = [] if i == 0 else ["--row-offset", str(lo)]  # (the first one without)
        saved = _evaluate.run(str(csv), "--ci", *offset, "--save-state", str(state))
        assert saved.exit_code == 0 and state.exists(), saved.stderr
        out.append(state)
    return out


def assert_same(got: list[dict[str, object]], want: list[dict[str, object]]) -> None:
    assert len(got) == len(want) > 0
    for a, b in zip(got, want, strict=True):
        assert a.keys() == b.keys()
        for key, value in b.items():
            if isinstance(value, float):
                assert a[key] == pytest.approx(value, rel=1e-12, abs=1e-15), (b, key)
            else:
                assert a[key] == value, (b, key)


def test_first_shard_without_row_offset_merges_with_the_others(shards: list[Path]) -> None:
    whole = json.loads(
        _evaluate.run(str(MODELS), "--ci", "--resamples", "200", "-o", "json").stdout
    )
    merged = json.loads(
        _merge.run(*map(str, shards), "--ci", "--resamples", "200", "-o", "json").stdout
    )
    # (sums of the same rows grouped otherwise: equal to the last few bits)
    assert_same(merged["results"], whole["results"])
    assert_same(merged["comparisons"], whole["comparisons"])
    df = pd.read_csv(MODELS)
    rmse = next(r for r in merged["results"] if r["model"] == "tree" and r["loss"] == "rmse")
    assert rmse["value"] == pytest.approx(
        metrics.root_mean_squared_error(df["y_true"], df["pred_tree"])
    )


def test_a_later_shard_without_row_offset_is_one_line(shards: list[Path]) -> None:
    line = _merge.error_line(str(shards[1]), str(shards[0]), str(shards[2]))
    assert f"{shards[0]} was saved without --row-offset" in line
    assert "save every shard after the first with --row-offset N" in line
