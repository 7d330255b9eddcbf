"""``--task multiclass`` with label predictions when a chunk, shard or group holds one
label only: the labels arrive as they stream, so the first batch may know one class.

Oracle: scikit-learn's ``zero_one_loss`` and ``1 - balanced_accuracy_score`` on the
whole data (or the group's rows), with the sample weights.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import balanced_accuracy_score, zero_one_loss

import losscli

from conftest import Cli

_cli = Cli()


def _oracle(frame: pd.DataFrame, weighted: bool = False) -> dict[str, float]:
    w = frame["w"].to_numpy() if weighted else None
    y, p = frame["y_true"].astype(str), frame["y_pred"].astype(str)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (a class predicted that the truth lacks)
        balanced = balanced_accuracy_score(y, p, sample_weight=w)
    return {
        "zero_one": float(zero_one_loss(y, p, sample_weight=w)),
        "balanced_zero_one": float(1.0 - balanced),
    }


def _frame(first: int = 12, n: int = 200, seed: int = 0) -> pd.DataFrame:
    """``first`` rows of the one label "b" (truth and prediction), then three labels."""
    rng = np.random.default_rng(seed)
    y = np.array(["b"] * first + list(rng.choice(list("abc"), n - first)))
    p = np.array(["b"] * first + list(rng.choice(list("abc"), n - first)))
    return pd.DataFrame(
        {"y_true": y, "y_pred": p, "w": rng.uniform(0.1, 2.0, n), "g": rng.choice(["x", "y"], n)}
    )


@pytest.mark.parametrize("chunk_rows", [1, 3, 12, 64, 65536])
@pytest.mark.parametrize("weighted", [False, True])
def test_a_first_chunk_of_one_label(chunk_rows: int, weighted: bool) -> None:
    frame = _frame()
    report = losscli.evaluate_frame(
        frame.drop(columns="g"),
        task="multiclass",
        weight="w" if weighted else None,
        chunk_rows=chunk_rows,
    )
    for loss, expected in _oracle(frame, weighted).items():
        assert report.value("y_pred", loss) == pytest.approx(expected, rel=1e-12), loss


def test_a_file_of_one_label() -> None:
    frame = pd.DataFrame({"y_true": ["a"] * 5, "y_pred": ["a"] * 5})
    report = losscli.evaluate_frame(frame, task="multiclass", chunk_rows=2)
    for loss, expected in _oracle(frame).items():
        assert report.value("y_pred", loss) == pytest.approx(expected, abs=1e-15), loss


@pytest.mark.parametrize("chunk_rows", [1, 7, 65536])
def test_a_group_of_one_label(chunk_rows: int) -> None:
    frame = _frame()
    frame.loc[frame["g"] == "x", ["y_true", "y_pred"]] = "c"  # (group x: one label)
    report = losscli.evaluate_frame(
        frame.drop(columns="w"), task="multiclass", by="g", chunk_rows=chunk_rows
    )
    for group in ("x", "y"):
        for loss, expected in _oracle(frame[frame["g"] == group]).items():
            got = report.value("y_pred", loss, group=group)
            assert got == pytest.approx(expected, abs=1e-15), (group, loss)


def test_a_shard_of_one_label_saved_and_merged(tmp_path: Path) -> None:
    frame = _frame(first=20, n=120)[["y_true", "y_pred"]]
    shards = [frame.iloc[:20], frame.iloc[20:]]  # (the first: the one label "b")
    states = []
    for i, shard in enumerate(shards):
        path, state = tmp_path / f"s{i}.csv", tmp_path / f"s{i}.lstate"
        shard.to_csv(path, index=False)
        result = _cli.run("evaluate", str(path), "--task", "multiclass", "--save-state", str(state))
        assert result.exit_code == 0, result.stderr
        states.append(str(state))
    doc = _cli.run_json("merge", *states)
    values = {r["loss"]: r["value"] for r in doc["results"]}
    for loss, expected in _oracle(frame).items():
        assert values[loss] == pytest.approx(expected, rel=1e-12), loss
