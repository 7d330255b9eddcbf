"""`recommend --from` reads prediction files through evaluate's detection (issue 12):
label predictions and two-column binary files are classification, and the class
balance of the truth is measured (the oracle: the counts written into the file)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from losscli.cli import app

from conftest import runner


def _recommend(path: Path) -> dict:
    result = runner.invoke(app, ["recommend", "--from", str(path), "-o", "json"])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    ("labels", "task"), [(("cat", "dog"), "binary"), (("bird", "cat", "dog"), "multiclass")]
)
def test_label_predictions_are_classification_with_their_imbalance(
    tmp_path: Path, labels: tuple[str, ...], task: str
) -> None:
    # the first class is 9x as frequent as each other one: imbalanced (ratio ≥ 3)
    rows = []
    for i in range(200):
        truth = labels[0] if i % 10 < 9 - (len(labels) - 2) else labels[1 + i % (len(labels) - 1)]
        rows.append(f"{i},{truth},{labels[i % len(labels)]}")
    path = tmp_path / "preds.csv"
    path.write_text("id,label,pred_label\n" + "\n".join(rows) + "\n")
    doc = _recommend(path)
    counts = {lab: sum(1 for r in rows if r.split(",")[1] == lab) for lab in labels}
    assert doc["task"] == task
    assert doc["evidence"]["class_counts"] == counts
    assert "imbalanced" in doc["conditions"]
    assert doc["evidence"]["imbalance_ratio"] == pytest.approx(
        max(counts.values()) / min(counts.values())
    )


def test_two_probability_columns_of_two_classes_are_binary(tmp_path: Path) -> None:
    rows = [f"{i % 2},{0.3 + 0.4 * (i % 2)},{0.7 - 0.4 * (i % 2)}" for i in range(40)]
    path = tmp_path / "two.csv"
    path.write_text("label,prob_1,prob_0\n" + "\n".join(rows) + "\n")
    doc = _recommend(path)
    assert doc["task"] == "binary"
    assert doc["recommended"][0] == "binary_crossentropy"
