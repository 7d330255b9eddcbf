"""Prediction files whose column names were misread before session 7 (headers read in
public repositories, numbers our own: tests/fixtures/predictions/generate_columns.py
names each source). The oracle is scikit-learn on the same file's columns, read by
pandas; where the names cannot say which reading is meant, the test wants exit 2 with
one line naming the columns and the flags that settle it.

What was wrong before (fixed in losscli/detect/):

* ``prob_<column>`` naming another column (``true,pred,prob_pred,prob_true``): read as
  a class family with classes ``pred`` and ``true`` (exit 2 "label 'wR' has no
  probability column"), and ``true,pred,prob_pred`` as the positive class's
  probability (a wrong log loss, silently); they are the probability of that column's
  value on each row, and are left out with a note;
* ``pred_0, pred_1, pred_2`` beside the truth: three regression models, silently;
* ``y_probability`` and ``probability_<class>`` columns: not seen (only the label
  column was evaluated); ``true_label,predicted_label,probability_0,probability_1``
  was read as the label pair;
* a calibration table (``bin,prob_pred,prob_true,count``): the message now says what
  the file looks like.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, brier_score_loss, log_loss

from conftest import Cli

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "tests" / "fixtures" / "predictions"
#: the files evaluate refuses without flags
REFUSED = ROOT / "tests" / "fixtures" / "ambiguous"

evaluate = Cli("evaluate")
merge = Cli("merge")


def _value(doc: dict[str, Any], model: str, loss: str) -> float:
    return next(
        float(r["value"])
        for r in doc["results"]
        if (r["model"], r["loss"], r["group"]) == (model, loss, None)
    )


def _frame(name: str) -> pd.DataFrame:
    folder = REFUSED if (REFUSED / name).exists() else FIX
    return pd.read_csv(folder / name, keep_default_na=False)


@pytest.mark.parametrize(
    ("name", "ignored"),
    [
        ("board_squares.csv", ["'prob_pred' (of 'pred')", "'prob_true' (of 'true')"]),
        ("label_confidence.csv", ["'prob_pred' (of 'pred')"]),
    ],
)
def test_the_probability_of_another_columns_value_is_not_a_class(
    name: str, ignored: list[str]
) -> None:
    """``true``/``pred`` hold 13 piece labels; ``prob_pred``/``prob_true`` one number
    per row. The model is the label column, the task multiclass (13 labels), the
    error rate sklearn's; a note names the columns left out."""
    frame = _frame(name)
    doc, err = evaluate.run_json_stderr(str(FIX / name))
    assert (doc["task"], doc["target"], doc["models"]) == ("multiclass", "true", ["pred"])
    assert doc["models_info"][0]["kind"] == "label"
    assert "pred" not in doc["classes"] and "true" not in doc["classes"]
    assert set(doc["classes"]) == set(frame["true"]) | set(frame["pred"])
    want = 1 - accuracy_score(frame["true"], frame["pred"])
    assert _value(doc, "pred", "zero_one") == pytest.approx(want, rel=1e-12)
    note = next(line for line in err.splitlines() if "not used" in line)
    assert all(part in note for part in ignored)


def test_the_named_probability_is_still_taken_with_pred(tmp_path: Path) -> None:
    """``--pred prob_true`` is the user's word: the column is the model (here it is
    not a probability of class 1, so the numbers are the user's choice), no note."""
    frame = _frame("worst_errors.csv")
    doc, err = evaluate.run_json_stderr(
        str(REFUSED / "worst_errors.csv"), "--true", "true", "--pred", "prob_true"
    )
    assert doc["models"] == ["prob_true"]
    assert "not used" not in err
    want = brier_score_loss(frame["true"], frame["prob_true"])
    assert _value(doc, "prob_true", "brier") == pytest.approx(want, rel=1e-12)


def test_worst_errors_table_names_the_two_candidates() -> None:
    """``true,pred,prob_true,prob_pred,score``: once the per-row probabilities are
    left out, ``pred`` (labels) and ``score`` (numbers) are both candidates: one line
    naming both; ``--pred pred`` settles it."""
    line = evaluate.error_line(str(REFUSED / "worst_errors.csv"))
    assert "'pred'" in line and "'score'" in line and "--pred" in line
    assert "classes" not in line
    frame = _frame("worst_errors.csv")
    doc = evaluate.run_json(str(REFUSED / "worst_errors.csv"), "--pred", "pred")
    want = 1 - accuracy_score(frame["true"], frame["pred"])
    assert _value(doc, "pred", "zero_one") == pytest.approx(want, rel=1e-12)


def test_a_lone_row_probability_is_no_prediction(tmp_path: Path) -> None:
    """``true,prob_true``: nothing left to evaluate; the line says why prob_true was
    not taken and how to take it."""
    path = tmp_path / "t.csv"
    _frame("worst_errors.csv")[["true", "prob_true"]].to_csv(path, index=False)
    line = evaluate.error_line(str(path))
    assert "'prob_true' (of column 'true')" in line and "--pred" in line


def test_numbered_pred_columns_are_ambiguous() -> None:
    """``target,pred_0,pred_1,pred_2``: classes 0..2 or three models? One line naming
    the columns and both flags; ``--pred 'pred_*'`` gives sklearn's log loss."""
    path = str(REFUSED / "oof_numbered.csv")
    line = evaluate.error_line(path)
    assert "pred_0, pred_1, pred_2" in line and "oof_numbered.csv" in line
    assert "--pred 'pred_*'" in line and "--pred pred_0 --pred pred_1 --pred pred_2" in line
    frame = _frame("oof_numbered.csv")
    probs = frame[["pred_0", "pred_1", "pred_2"]].to_numpy()
    doc = evaluate.run_json(path, "--pred", "pred_*")
    assert doc["task"] == "multiclass"
    with warnings.catch_warnings():  # rows written to 10 digits sum to 1 ± 1e-10
        warnings.simplefilter("ignore", UserWarning)
        want = log_loss(frame["target"], probs, labels=[0, 1, 2])
    assert _value(doc, "pred", "categorical_crossentropy") == pytest.approx(want, rel=1e-8)
    models = evaluate.run_json(path, "--pred", "pred_1", "--pred", "pred_2")
    assert models["models"] == ["1", "2"]  # the other reading, when the user says so


def test_y_probability_is_the_model() -> None:
    frame = _frame("vision_audit.csv")
    doc, err = evaluate.run_json_stderr(str(FIX / "vision_audit.csv"))
    assert doc["task"] == "binary" and doc["models"] == ["y_probability"]
    assert "column 'y_pred' (labels) was not used" in err
    want = log_loss(frame["y_true"], frame["y_probability"])
    assert _value(doc, "y_probability", "binary_crossentropy") == pytest.approx(want, rel=1e-9)


def test_probability_class_columns_multiclass() -> None:
    frame = _frame("monai_probabilities.csv")
    cols = [f"probability_{k}" for k in range(3)]
    doc = evaluate.run_json(str(FIX / "monai_probabilities.csv"))
    assert doc["task"] == "multiclass" and doc["models"] == ["probability"]
    assert doc["models_info"][0]["columns"] == cols
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        want = log_loss(frame["target"], frame[cols].to_numpy(), labels=[0, 1, 2])
    got = _value(doc, "probability", "categorical_crossentropy")
    assert got == pytest.approx(want, rel=1e-8)


def test_probability_class_columns_beside_a_label_pair() -> None:
    """``true_label,predicted_label,probability_0,probability_1``: the class columns
    are the model (binary, p = probability_1), not the true_/predicted_ label pair."""
    frame = _frame("binary_probabilities.csv")
    doc = evaluate.run_json(str(FIX / "binary_probabilities.csv"))
    assert (doc["task"], doc["target"]) == ("binary", "true_label")
    assert doc["models_info"][0]["columns"] == ["probability_1"]
    want = log_loss(frame["true_label"], frame["probability_1"])
    assert _value(doc, "probability", "binary_crossentropy") == pytest.approx(want, rel=1e-9)


def test_a_calibration_table_is_not_predictions() -> None:
    line = evaluate.error_line(str(REFUSED / "calibration_table.csv"))
    assert "calibration table" in line and "calibration_table.csv" in line


def test_saved_state_keeps_the_note(tmp_path: Path) -> None:
    """The left-out columns are part of the layout a state saves: merging the state
    gives the same numbers and the same note."""
    path = str(FIX / "board_squares.csv")
    state = tmp_path / "s.lstate"
    direct = evaluate.run_json(path)
    assert evaluate.run(path, "--save-state", str(state)).exit_code == 0
    merged, merged_err = merge.run_json_stderr(str(state))
    assert merged["results"] == direct["results"]
    assert "'prob_true' (of 'true') not used" in merged_err
