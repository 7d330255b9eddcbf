"""Every row of the README's detection table (``losscli evaluate``, "Columns"), run
on its fixture (tests/fixtures/predictions/, written by pandas / scikit-learn: see
generate.py there), with the columns it must pick and numbers from scikit-learn
computed on the same file; plus id-like columns, ``-t COL`` and what stays ambiguous."""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import balanced_accuracy_score, brier_score_loss, mean_squared_error

from losscli.cli import app
from losscli.detect import detect_layout, is_id

from conftest import Cli, runner

run_json = Cli("evaluate").run_json_stderr

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "tests" / "fixtures" / "predictions"


def value(doc: dict[str, Any], model: str, loss: str) -> float:
    return next(
        float(r["value"])
        for r in doc["results"]
        if (r["model"], r["loss"], r["group"]) == (model, loss, None)
    )


# (fixture, extra flags, truth, {model: columns}, kind, sklearn check)
ROWS: list[tuple[str, tuple[str, ...], str, dict[str, list[str]], str]] = [
    (
        "model_suffixes.csv",
        (),
        "y_true",
        {"lr": ["lr_proba"], "tree": ["tree_prob"]},
        "probability",
    ),
    ("true_values.csv", (), "True Values", {"Predictions": ["Predictions"]}, "value"),
    ("actual_oof.csv", (), "Actual_SalePrice", {"OOF_SalePrice": ["OOF_SalePrice"]}, "value"),
    ("actual_p.csv", (), "actual_target", {"p_target": ["p_target"]}, "probability"),
    ("features.csv", (), "target", {"prediction": ["prediction"]}, "probability"),
    ("oof_with_id.csv", (), "target", {"oof": ["oof"]}, "probability"),
    (
        "named_truth.csv",
        ("-t", "SalePrice"),
        "SalePrice",
        {"model_output": ["model_output"]},
        "value",
    ),
    ("image_labels.csv", (), "label", {"pred_label": ["pred_label"]}, "label"),
    ("class_ids.csv", ("--task", "multiclass"), "y_true", {"y_pred": ["y_pred"]}, "label"),
    ("two_columns.csv", (), "label", {"prob": ["prob_1"]}, "probability"),
    # shapes found in public repositories (generate_shapes.py)
    ("actual_forecast.csv", (), "actual", {"forecast": ["forecast"]}, "value"),
    ("station_target.csv", (), "Money_spent", {"pred": ["pred"]}, "value"),
    ("window_prob.csv", (), "true", {"prob_failed": ["prob_failed"]}, "probability"),
    (
        "trailing_space.csv",
        (),
        "label",
        {"prob": ["prob_bird ", "prob_cat ", "prob_dog "]},
        "probability",
    ),
]


def _check_numbers(name: str, doc: dict[str, Any]) -> None:
    df = pd.read_csv(FIX / name)
    truth = doc["target"]
    for info in doc["models_info"]:
        cols = info["columns"]
        model = info["name"]
        if info["kind"] == "value":
            assert value(doc, model, "mse") == pytest.approx(
                mean_squared_error(df[truth], df[cols[0]])
            )
        elif info["kind"] == "label":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                expected = 1 - balanced_accuracy_score(df[truth], df[cols[0]])
            assert value(doc, model, "balanced_zero_one") == pytest.approx(expected)
        elif len(cols) == 1:
            y = df[truth]
            if doc["classes"]:
                y = (y.astype(str) == doc["classes"][1]).astype(int)
            assert value(doc, model, "brier") == pytest.approx(brier_score_loss(y, df[cols[0]]))
        else:
            labels = [c.strip()[len("prob_") :] for c in cols]
            y = df[truth].str.strip().map({c: i for i, c in enumerate(labels)}).to_numpy()
            p = df[cols].to_numpy()
            onehot = np.eye(len(cols))[y]
            assert value(doc, model, "brier") == pytest.approx(((p - onehot) ** 2).sum(1).mean())


@pytest.mark.parametrize(
    ("name", "flags", "truth", "models", "kind"), ROWS, ids=[r[0] for r in ROWS]
)
def test_layout_row(
    name: str, flags: tuple[str, ...], truth: str, models: dict[str, list[str]], kind: str
) -> None:
    doc, _ = run_json(str(FIX / name), *flags)
    assert doc["target"] == truth
    assert {m["name"]: m["columns"] for m in doc["models_info"]} == models
    assert {m["kind"] for m in doc["models_info"]} == {kind}
    _check_numbers(name, doc)


def test_every_fixture_is_a_readme_row() -> None:
    """The README's table names each fixture, and its command runs in test_readme."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = set(re.findall(r"tests/fixtures/predictions/([\w.]+\.csv)", readme))
    assert shown == {r[0] for r in ROWS}


def test_ids_are_never_the_prediction() -> None:
    for col in ("id", "ID", "Id", "filename", "Unnamed: 0", ""):
        assert is_id(col)
        layout = detect_layout([col, "target", "prediction"])
        assert layout.pred_columns == ("prediction",)
    # the truth named: a unique integer key beside one numeric column
    df = pd.DataFrame({"key": np.arange(50) + 7, "y": np.linspace(0, 1, 50), "out": np.ones(50)})
    from losscli import evaluate_frame

    report = evaluate_frame(df, true="y", losses=["mse"])
    assert report.models == ["out"]


def test_two_numeric_candidates_stay_ambiguous(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("id,y,a,b\n1,1.5,2,3\n2,2.5,3,4\n3,0.5,1,1\n")
    result = runner.invoke(app, ["evaluate", str(path), "-t", "y"])
    assert result.exit_code == 2 and result.stdout == ""
    line = result.stderr.strip()
    assert "\n" not in line and "columns are: id, y, a, b" in line and "--pred COL" in line


@pytest.mark.parametrize(
    ("columns", "truth", "preds", "unused"),
    [
        # seen in public repositories' prediction files
        (["ID", "Actual_Churn", "OOF_p_churn"], "Actual_Churn", ("OOF_p_churn",), ()),
        (
            ["Gender", "Actual", "Predicted_Prob", "Predicted_Label"],
            "Actual",
            ("Predicted_Prob",),
            (("Predicted_Prob", "Predicted_Label", "Predicted_Prob"),),
        ),
        (["y_true", "y_pred", "y_prob"], "y_true", ("y_prob",), (("y_prob", "y_pred", "y_prob"),)),
        (["True Values", "Predictions"], "True Values", ("Predictions",), ()),
        (["ID", "ACTUAL_CHURN", "OOF_P_CHURN"], "ACTUAL_CHURN", ("OOF_P_CHURN",), ()),
        (["TRUE-VALUES", "predictions"], "TRUE-VALUES", ("predictions",), ()),
        (["Unnamed: 0", "y", "rf_pred", "gb_pred"], "y", ("rf_pred", "gb_pred"), ()),
    ],
)
def test_layouts_by_name(
    columns: list[str], truth: str, preds: tuple[str, ...], unused: tuple[Any, ...]
) -> None:
    layout = detect_layout(columns)
    assert layout.target == truth and layout.pred_columns == preds
    assert layout.unused == unused


def test_named_truth_prefers_its_pair() -> None:
    cols = ["path", "true_class_index", "true_class_name", "pred_class_index", "pred_class_name"]
    assert detect_layout(cols, true="true_class_name").pred_columns == ("pred_class_name",)
    assert detect_layout(cols, true="true_class_index").pred_columns == ("pred_class_index",)
