"""Prediction files in the shapes people commit to public repositories (headers read
there, numbers our own: tests/fixtures/predictions/generate_shapes.py names each
source), evaluated without flags and compared run against run. The oracle is
scikit-learn on the same file's columns, read by pandas.

Shapes not handled before this file (fixed in losscli/detect/): ``forecast`` as a
prediction name (``actual,forecast``); one ``prob_<class>`` column beside the labels
(``true,pred,prob_failed``: the probabilities are the model's); a truth named after
its target with the prediction and key columns named (``station_id,time_idx,pred,
Money_spent``: the one column left is the truth)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    log_loss,
    mean_absolute_error,
    mean_squared_error,
)

from conftest import Cli

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "tests" / "fixtures" / "predictions"

evaluate = Cli("evaluate")
compare = Cli("compare")


def _value(doc: dict[str, Any], model: str, loss: str) -> float:
    return next(
        float(r["value"])
        for r in doc["results"]
        if (r["model"], r["loss"], r["group"]) == (model, loss, None)
    )


def _read(name: str) -> pd.DataFrame:
    path = FIX / name
    return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)


#: fixture → (truth, model, prediction column(s))
LAYOUTS: dict[str, tuple[str, str, list[str]]] = {
    "demand_ids.csv": ("actual", "predicted", ["predicted"]),
    "station_target.csv": ("Money_spent", "pred", ["pred"]),
    "residual.csv": ("actual", "predicted", ["predicted"]),
    "actual_forecast.csv": ("actual", "forecast", ["forecast"]),
    "window_prob.csv": ("true", "prob_failed", ["prob_failed"]),
    "true_pred_probs.csv": ("true", "prob", ["prob_1"]),  # the positive class
    "uid_domain_multiclass.csv": ("y_true", "p", [f"p_{k}" for k in range(5)]),
    "patients.parquet": ("y_true", "prob", ["prob_0", "prob_1", "prob_2"]),
}


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_the_layout_is_found(name: str) -> None:
    doc, _ = evaluate.run_json_stderr(str(FIX / name))
    truth, model, columns = LAYOUTS[name]
    assert doc["target"] == truth
    assert doc["models"] == [model]
    assert [c for m in doc["models_info"] for c in m["columns"]] == columns


@pytest.mark.parametrize(
    "name", ["demand_ids.csv", "station_target.csv", "residual.csv", "actual_forecast.csv"]
)
def test_regression_values(name: str) -> None:
    truth, model, (col,) = LAYOUTS[name]
    frame = _read(name)
    doc, _ = evaluate.run_json_stderr(str(FIX / name), "--loss", "mse", "--loss", "mae")
    assert doc["task"] == "regression"
    want_mse = mean_squared_error(frame[truth], frame[col])
    assert _value(doc, model, "mse") == pytest.approx(want_mse, rel=1e-12)
    want_mae = mean_absolute_error(frame[truth], frame[col])
    assert _value(doc, model, "mae") == pytest.approx(want_mae, rel=1e-12)


def test_one_probability_column_beside_the_labels() -> None:
    """``pred`` (labels) beside ``prob_failed``: the model is its probabilities, and
    the labels column is named as not used."""
    frame = _read("window_prob.csv")
    doc, err = evaluate.run_json_stderr(str(FIX / "window_prob.csv"))
    assert doc["task"] == "binary"
    assert "column 'pred' (labels) was not used" in err
    got = _value(doc, "prob_failed", "binary_crossentropy")
    assert got == pytest.approx(log_loss(frame["true"], frame["prob_failed"]), rel=1e-12)
    got = _value(doc, "prob_failed", "brier")
    assert got == pytest.approx(brier_score_loss(frame["true"], frame["prob_failed"]), rel=1e-12)


def test_two_class_probabilities_and_a_confidence_column() -> None:
    frame = _read("true_pred_probs.csv")
    doc, _ = evaluate.run_json_stderr(str(FIX / "true_pred_probs.csv"))
    assert doc["task"] == "binary"
    got = _value(doc, "prob", "binary_crossentropy")
    assert got == pytest.approx(log_loss(frame["true"], frame["prob_1"]), rel=1e-9)


@pytest.mark.parametrize("name", ["uid_domain_multiclass.csv", "patients.parquet"])
def test_multiclass_probabilities_beside_a_label_column(name: str) -> None:
    truth, model, columns = LAYOUTS[name]
    frame = _read(name)
    probs = frame[columns].to_numpy()
    doc, _ = evaluate.run_json_stderr(str(FIX / name))
    assert doc["task"] == "multiclass"
    labels = list(range(len(columns)))
    with warnings.catch_warnings():  # rows written to 10 digits sum to 1 ± 1e-10
        warnings.simplefilter("ignore", UserWarning)
        want = log_loss(frame[truth], probs, labels=labels)
    assert _value(doc, model, "categorical_crossentropy") == pytest.approx(want, rel=1e-8)
    want_err = 1 - accuracy_score(frame[truth], probs.argmax(axis=1))
    assert _value(doc, model, "zero_one") == pytest.approx(want_err, rel=1e-12)


# --------------------------------------------------------------------------- compare


def _change(doc: dict[str, Any], model: str, loss: str) -> dict[str, Any]:
    return next(
        c for c in doc["changes"] if (c["model"], c["loss"], c["group"]) == (model, loss, None)
    )


@pytest.mark.parametrize(
    "stem", ["demand_ids", "station_target", "window_prob", "uid_domain_multiclass"]
)
def test_compare_two_runs(stem: str) -> None:
    """Two runs of one model on the same rows: base and new are each file's own
    evaluation (sklearn), Δ = new − base, the verdict by Δ's sign."""
    base, new = f"{stem}.csv", f"{stem}_run2.csv"
    truth, model, columns = LAYOUTS[base]
    doc = compare.run_json(str(FIX / base), str(FIX / new))
    loss = "brier" if len(columns) == 1 and doc["task"] == "binary" else "zero_one"
    if doc["task"] == "regression":
        loss = "mse"
    values = []
    for name in (base, new):
        frame = _read(name)
        if loss == "mse":
            values.append(mean_squared_error(frame[truth], frame[columns[0]]))
        elif loss == "brier":
            values.append(brier_score_loss(frame[truth], frame[columns[0]]))
        else:
            values.append(1 - accuracy_score(frame[truth], frame[columns].to_numpy().argmax(1)))
    change = _change(doc, model, loss)
    assert change["base"] == pytest.approx(values[0], rel=1e-12)
    assert change["new"] == pytest.approx(values[1], rel=1e-12)
    assert change["delta"] == pytest.approx(values[1] - values[0], rel=1e-9, abs=1e-15)
    if values[1] != values[0]:
        worse = values[1] > values[0]
        assert change["verdict"] == ("worse" if worse else "better")


def test_compare_joined_on_the_window_index_in_any_order(tmp_path: Path) -> None:
    """``--key window_idx --ci``: the second run shuffled; the join gives the same
    base/new values as the files in order, and a paired interval for every Δ that
    holds Δ."""
    shuffled = _read("window_prob_run2.csv").sample(frac=1.0, random_state=3)
    new = tmp_path / "window_prob_run2.csv"
    shuffled.to_csv(new, index=False)
    base = str(FIX / "window_prob.csv")
    doc = compare.run_json(base, str(new), "--key", "window_idx", "--ci")
    plain = compare.run_json(base, str(FIX / "window_prob_run2.csv"))
    for change in doc["changes"]:
        ref = _change(plain, change["model"], change["loss"])
        assert change["base"] == pytest.approx(ref["base"], rel=1e-12)
        assert change["new"] == pytest.approx(ref["new"], rel=1e-12)
        assert change["ci_low"] <= change["delta"] <= change["ci_high"]
        assert change["significant"] in (True, False)
    frame_a, frame_b = _read("window_prob.csv"), shuffled.sort_values("window_idx")
    assert np.array_equal(frame_a["true"], frame_b["true"])  # the same truth on joined rows


def test_compare_key_with_a_repeated_id_is_refused() -> None:
    """``station_id`` repeats (24 hours per station): not a row key, one line."""
    base, new = FIX / "station_target.csv", FIX / "station_target_run2.csv"
    line = compare.error_line(str(base), str(new), "--key", "station_id")
    assert "station_id" in line
