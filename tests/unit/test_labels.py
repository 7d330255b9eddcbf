"""Hard-label predictions (issue 12): ``zero_one`` and ``balanced_zero_one`` against
scikit-learn, the probabilistic losses skipped, ``--weight`` / ``--by``, labels that
only the prediction holds, a model with probabilities and labels, integer class
ids, two probability columns as the binary task, ``models_info``, the catalogue.

Files are written as users write them: ``df.to_csv`` of ``predict`` /
``predict_proba`` / ``cross_val_predict`` outputs, the index left in.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score, brier_score_loss, log_loss, zero_one_loss
from sklearn.model_selection import cross_val_predict

from losscli import evaluate_frame
from losscli.cli import app
from losscli.errors import InputError
from losscli.evaluate import LossParams, evaluate_file
from losscli.losses import REGISTRY, Batch, balanced_zero_one, registry

from conftest import Cli, runner

_cli = Cli("evaluate")
run, run_json = _cli.run, _cli.run_json

PROBABILISTIC_BINARY = ["binary_crossentropy", "weighted_binary_crossentropy", "focal", "brier"]
PROBABILISTIC_MULTI = [
    "categorical_crossentropy",
    "weighted_categorical_crossentropy",
    "focal",
    "brier",
]


def value(doc: dict[str, Any], model: str, loss: str, group: str | None = None) -> float:
    for r in doc["results"]:
        if (r["model"], r["loss"], r["group"]) == (model, loss, group):
            return float(r["value"])
    raise KeyError((model, loss, group))


def ber(y: Any, p: Any, w: Any = None) -> float:
    """sklearn's balanced error (its warning for classes absent from y is expected)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(1.0 - balanced_accuracy_score(y, p, sample_weight=w))


def multiclass_frame(seed: int = 0, n: int = 600) -> pd.DataFrame:
    X, y = make_classification(
        n,
        n_features=6,
        n_informative=4,
        n_classes=4,
        n_clusters_per_class=1,
        weights=[0.6, 0.2, 0.15, 0.05],
        random_state=seed,
    )
    names = np.array(["ant", "bee", "cat", "dog"])
    pred = LogisticRegression(max_iter=500).fit(X, y).predict(X)
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "y_true": names[y],
            "y_pred": names[pred],
            "w": rng.random(n),
            "group": rng.choice(["a", "b", "c"], n),
        }
    )


# --------------------------------------------------------------------------- the loss


def test_balanced_zero_one_function_matches_sklearn() -> None:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 4, 300)
    p = rng.dirichlet(np.ones(4), 300)
    w = rng.random(300)
    assert balanced_zero_one(y, p, sample_weight=w) == pytest.approx(ber(y, p.argmax(1), w))
    yb = rng.integers(0, 2, 300)
    pb = rng.random(300)
    assert balanced_zero_one(yb, pb) == pytest.approx(ber(yb, (pb > 0.5).astype(int)))


def test_balanced_accumulator_leaves_out_classes_absent_from_the_truth() -> None:
    # truth has classes 0, 1; class 2 is only predicted. Hand derivation: class 0
    # rows (3): one wrong → 1/3; class 1 rows (2): both wrong → 1; mean = 2/3.
    y = np.array([0, 0, 0, 1, 1])
    p = np.array([0, 0, 2, 2, 0])
    acc = REGISTRY["balanced_zero_one"].make(n_classes=3)
    acc.update(Batch("multiclass", y, p, labels=True, n_classes=3))
    assert acc.result() == pytest.approx(2 / 3)
    assert acc.result() == pytest.approx(ber(y, p))


def test_balanced_accumulator_grows_and_merges() -> None:
    rng = np.random.default_rng(5)
    y = rng.integers(0, 5, 400)
    p = rng.integers(0, 6, 400)
    w = rng.random(400)
    a = REGISTRY["balanced_zero_one"].make(n_classes=2)
    a.grow(6)  # type: ignore[attr-defined]
    a.update(Batch("multiclass", y[:200], p[:200], w[:200], labels=True, n_classes=6))
    b = REGISTRY["balanced_zero_one"].make(n_classes=6)
    b.update(Batch("multiclass", y[200:], p[200:], w[200:], labels=True, n_classes=6))
    assert a.merge(b).result() == pytest.approx(ber(y, p, w))


def test_catalog_registers_balanced_zero_one() -> None:
    info = registry.get_spec("balanced_zero_one")
    assert info.on_labels and "balanced_accuracy_score" in info.convention
    assert registry.find("balanced_error_rate") is info
    assert [i.id for i in registry.for_labels("binary")] == ["zero_one", "balanced_zero_one"]
    result = runner.invoke(app, ["losses", "-o", "json"])
    doc = json.loads(result.stdout)
    entry = next(e for e in doc["losses"] if e["id"] == "balanced_zero_one")
    assert entry["formula"] == info.formula and entry["convention"] == info.convention
    assert "balanced_zero_one" in runner.invoke(app, ["losses"]).stdout


# --------------------------------------------------------------------------- label files


def test_string_labels_multiclass_match_sklearn(tmp_path: Path) -> None:
    df = multiclass_frame()
    path = tmp_path / "preds.csv"
    df.to_csv(path)  # the index left in, as to_csv does by default
    doc = run_json(str(path), "-t", "y_true", "-p", "y_pred")
    assert doc["task"] == "multiclass" and doc["classes"] == ["ant", "bee", "cat", "dog"]
    assert value(doc, "y_pred", "zero_one") == pytest.approx(zero_one_loss(df.y_true, df.y_pred))
    assert value(doc, "y_pred", "balanced_zero_one") == pytest.approx(ber(df.y_true, df.y_pred))
    assert {s["loss"]: s["reason"] for s in doc["skipped"]} == dict.fromkeys(
        PROBABILISTIC_MULTI, "needs probabilities"
    )
    assert doc["models_info"] == [{"name": "y_pred", "kind": "label", "columns": ["y_pred"]}]


def test_labels_with_weight_and_by(tmp_path: Path) -> None:
    df = multiclass_frame(seed=2)
    path = tmp_path / "preds.csv"
    df.to_csv(path, index=False)
    doc = run_json(str(path), "-w", "w", "--by", "group")
    for g, part in [(None, df), *df.groupby("group")]:
        assert value(doc, "y_pred", "zero_one", g) == pytest.approx(
            zero_one_loss(part.y_true, part.y_pred, sample_weight=part.w)
        )
        assert value(doc, "y_pred", "balanced_zero_one", g) == pytest.approx(
            ber(part.y_true, part.y_pred, part.w)
        )


def test_labels_only_in_the_prediction_count_as_errors(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    y = ["a", "a", "b", "b", "b", "c"]
    p = ["a", "zebra", "b", "b", "a", "c"]
    pd.DataFrame({"label": y, "predicted_class": p}).to_csv(path, index=False)
    doc = run_json(str(path))
    assert doc["classes"] == ["a", "b", "c", "zebra"]
    assert value(doc, "predicted_class", "zero_one") == pytest.approx(zero_one_loss(y, p))
    assert value(doc, "predicted_class", "balanced_zero_one") == pytest.approx(ber(y, p))


def test_binary_string_labels_and_a_new_class_in_a_later_chunk(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    y = rng.choice(["no", "yes"], 3000).astype(object)
    p = np.where(rng.random(3000) < 0.8, y, rng.choice(["no", "yes"], 3000)).astype(object)
    y[2500] = "maybe"  # a third class, first seen after the first chunk
    df = pd.DataFrame({"target": y, "prediction": p})
    report = evaluate_frame(df, chunk_rows=1000)
    assert report.task == "multiclass" and report.classes == ["maybe", "no", "yes"]
    assert report.value("prediction", "balanced_zero_one") == pytest.approx(ber(y, p))
    binary = evaluate_frame(df.iloc[:2000], chunk_rows=500)
    assert binary.task == "binary"
    assert [s.loss for s in binary.skipped] == PROBABILISTIC_BINARY
    assert binary.value("prediction", "zero_one") == pytest.approx(
        zero_one_loss(y[:2000], p[:2000])
    )


def test_integer_predict_output_with_task_multiclass(tmp_path: Path) -> None:
    X, y = make_classification(300, n_features=5, n_informative=3, n_classes=3, random_state=4)
    pred = cross_val_predict(LogisticRegression(max_iter=500), X, y, cv=5)
    path = tmp_path / "oof.csv"
    pd.DataFrame({"y_true": y, "y_pred": pred}).to_csv(path)
    auto = run(str(path), "-o", "json")
    assert auto.exit_code == 0
    assert json.loads(auto.stdout)["task"] == "regression"
    assert auto.stderr.count("\n") == 1 and "--task multiclass" in auto.stderr
    doc = run_json(str(path), "--task", "multiclass")
    assert doc["task"] == "multiclass" and doc["models_info"][0]["kind"] == "label"
    assert value(doc, "y_pred", "zero_one") == pytest.approx(zero_one_loss(y, pred))
    assert value(doc, "y_pred", "balanced_zero_one") == pytest.approx(ber(y, pred))


def test_binary_predict_output_is_labels_without_flags(tmp_path: Path) -> None:
    X, y = make_classification(300, n_features=5, weights=[0.8], random_state=6)
    pred = LogisticRegression().fit(X, y).predict(X)
    path = tmp_path / "p.csv"
    pd.DataFrame({"y_true": y, "y_pred": pred}).to_csv(path, index=False)
    doc = run_json(str(path))
    assert doc["task"] == "binary" and doc["models_info"][0]["kind"] == "label"
    assert value(doc, "y_pred", "zero_one") == pytest.approx(zero_one_loss(y, pred))
    assert value(doc, "y_pred", "balanced_zero_one") == pytest.approx(ber(y, pred))
    assert run_json(str(path), "--task", "binary")["models_info"][0]["kind"] == "label"


def test_non_integer_label_later_is_an_error_naming_the_row() -> None:
    df = pd.DataFrame({"y_true": [0, 1, 2, 1], "y_pred": [1.0, 1.0, 2.0, 0.5]})
    with pytest.raises(InputError, match=r"column 'y_pred', row 4: 0\.5 is not a class label"):
        evaluate_frame(df, task="multiclass", chunk_rows=2)


def test_asking_for_a_probabilistic_loss_on_labels_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("y_true,y_pred\ncat,dog\ndog,dog\n")
    result = run(str(path), "--loss", "brier")
    assert result.exit_code == 2 and "brier does not apply" in result.stderr
    assert "needs probabilities" in result.stderr


def test_mixed_label_and_probability_models_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("y_true,pred_a,pred_b\n0,1,0.2\n1,1,0.9\n")
    result = run(str(path))
    assert result.exit_code == 2 and "gives class labels" in result.stderr


# --------------------------------------------------------------------------- both kinds


def test_probabilities_win_over_labels_with_one_warning(tmp_path: Path) -> None:
    X, y = make_classification(200, n_features=5, random_state=7)
    lr = LogisticRegression().fit(X, y)
    p = lr.predict_proba(X)[:, 1]
    path = tmp_path / "p.csv"
    pd.DataFrame({"y_true": y, "lr_proba": p, "lr_pred": lr.predict(X)}).to_csv(path)
    result = run(str(path), "-o", "json")
    assert result.exit_code == 0
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "'lr_pred'" in lines[0] and "not used" in lines[0]
    doc = json.loads(result.stdout)
    assert doc["models_info"] == [{"name": "lr", "kind": "probability", "columns": ["lr_proba"]}]
    assert value(doc, "lr", "binary_crossentropy") == pytest.approx(log_loss(y, p), rel=1e-6)
    assert value(doc, "lr", "brier") == pytest.approx(brier_score_loss(y, p))


# --------------------------------------------------------------------------- two columns


@pytest.mark.parametrize("labels", [("0", "1"), ("neg", "pos")])
def test_two_probability_columns_are_the_binary_task(
    tmp_path: Path, labels: tuple[str, str]
) -> None:
    X, y = make_classification(250, n_features=5, random_state=8)
    proba = LogisticRegression().fit(X, y).predict_proba(X)
    names = np.array(labels)
    df = pd.DataFrame(proba, columns=[f"prob_{c}" for c in labels])
    df.insert(0, "label", names[y])
    path = tmp_path / "two.csv"
    df.to_csv(path, index=False)
    doc = run_json(str(path))
    assert doc["task"] == "binary" and doc["classes"] == list(labels)
    p = proba[:, 1]
    assert value(doc, "prob", "brier") == pytest.approx(brier_score_loss(y, p))
    assert value(doc, "prob", "binary_crossentropy") == pytest.approx(log_loss(y, p), rel=1e-6)
    assert value(doc, "prob", "zero_one") == pytest.approx(zero_one_loss(y, p > 0.5))
    # the same numbers as the 1-D layout
    one = tmp_path / "one.csv"
    pd.DataFrame({"y_true": y, "y_prob": p}).to_csv(one, index=False)
    flat = run_json(str(one))
    for r in flat["results"]:
        assert value(doc, "prob", r["loss"]) == pytest.approx(r["value"])
    # --positive picks the other column: p = P(first class)
    flipped = run_json(str(path), "--positive", labels[0])
    assert value(flipped, "prob", "brier") == pytest.approx(brier_score_loss(1 - y, proba[:, 0]))


def test_two_columns_stay_multiclass_for_a_multiclass_loss(tmp_path: Path) -> None:
    path = tmp_path / "two.csv"
    path.write_text("label,prob_a,prob_b\na,0.3,0.7\nb,0.2,0.8\n")
    report = evaluate_file(str(path), losses=["cce"], params=LossParams())
    assert report.task == "multiclass"
    assert report.value("prob", "categorical_crossentropy") == pytest.approx(
        log_loss(["a", "b"], [[0.3, 0.7], [0.2, 0.8]])
    )


def test_trailing_space_labels_match_their_headers(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    rows = [("cat ", 0.7, 0.2, 0.1), ("dog ", 0.1, 0.8, 0.1), ("bird ", 0.2, 0.2, 0.6)]
    df = pd.DataFrame(rows, columns=["label", "prob_cat ", "prob_dog ", "prob_bird "])
    df.to_csv(path, index=False)
    doc = run_json(str(path))
    y = ["cat", "dog", "bird"]
    probs = df[["prob_bird ", "prob_cat ", "prob_dog "]].to_numpy()
    assert value(doc, "prob", "categorical_crossentropy") == pytest.approx(
        log_loss(y, probs, labels=["bird", "cat", "dog"])
    )
    two = tmp_path / "t2.csv"
    two.write_text("label,prob_no ,prob_yes \nyes ,0.1,0.9\nno ,0.6,0.4\n")
    doc2 = run_json(str(two))
    assert value(doc2, "prob", "brier") == pytest.approx(brier_score_loss([1, 0], [0.9, 0.4]))


def test_models_info_kinds() -> None:
    reg = evaluate_frame(pd.DataFrame({"y_true": [1.5, 2.0, 3.5], "y_pred": [1.0, 2.5, 3.0]}))
    assert reg.to_dict()["models_info"] == [
        {"name": "y_pred", "kind": "value", "columns": ["y_pred"]}
    ]
    logit = evaluate_frame(
        pd.DataFrame({"y_true": [0, 1, 1], "y_score": [-1.0, 2.0, 0.5]}), logits=True, task="binary"
    )
    assert logit.to_dict()["models_info"][0]["kind"] == "score"


def test_balanced_zero_one_on_probabilities_when_asked(tmp_path: Path) -> None:
    X, y = make_classification(300, n_features=5, weights=[0.85], random_state=9)
    p = LogisticRegression().fit(X, y).predict_proba(X)[:, 1]
    path = tmp_path / "p.csv"
    pd.DataFrame({"y_true": y, "y_prob": p}).to_csv(path, index=False)
    assert "balanced_zero_one" not in {r["loss"] for r in run_json(str(path))["results"]}
    doc = run_json(str(path), "--loss", "balanced_zero_one")
    assert value(doc, "y_prob", "balanced_zero_one") == pytest.approx(ber(y, (p > 0.5).astype(int)))


def test_a_class_first_seen_late_with_by() -> None:
    rng = np.random.default_rng(11)
    n = 4000
    y = rng.choice(["a", "b"], n).astype(object)
    p = np.where(rng.random(n) < 0.7, y, rng.choice(["a", "b"], n)).astype(object)
    y[3500:] = rng.choice(["a", "c"], n - 3500)  # class c only in the last chunks
    p[3990] = "z"  # and a label only the prediction holds
    g = rng.integers(0, 4, n)
    df = pd.DataFrame({"target": y, "prediction": p, "g": g})
    report = evaluate_frame(df, by="g", chunk_rows=1000)
    assert report.classes == ["a", "b", "c", "z"]
    for key, part in [(None, df), *((str(k), v) for k, v in df.groupby("g"))]:
        assert report.value("prediction", "balanced_zero_one", key) == pytest.approx(
            ber(part.target, part.prediction)
        )


def test_zero_one_columns_named_as_probabilities_stay_probabilities(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("y_true,prob\n0,0\n1,1\n1,0\n0,0\n")
    doc = run_json(str(path))
    assert doc["models_info"][0]["kind"] == "probability"
    assert value(doc, "prob", "brier") == pytest.approx(
        brier_score_loss([0, 1, 1, 0], [0, 1, 0, 0])
    )
