"""losscli.evaluate (library level): values against scikit-learn, streaming in
chunks equals whole-file reading for every format, --by equals filtering, and the
data checks (task contradictions, labels, missing values, skipped losses)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics
from sklearn.utils.class_weight import compute_class_weight

import losscli
from losscli.errors import InputError, UsageError
from losscli.evaluate import EvaluationReport, LossParams, evaluate_file, evaluate_frame

from conftest import EVALUATE_KEYS

SAMPLES = Path(__file__).resolve().parents[2] / "sample_data"
REL = 1e-10


def close(a: float | None, b: float, rel: float = REL) -> bool:
    assert a is not None
    return abs(a - b) <= rel * max(1.0, abs(b))


def by_key(report: EvaluationReport) -> dict[tuple[str, str | None, str], float]:
    return {(r.model, r.group, r.loss): r.value for r in report.results}


# --------------------------------------------------------------------------- oracles


def test_regression_sample_matches_sklearn() -> None:
    df = pd.read_csv(SAMPLES / "regression.csv")
    y, p = df["y_true"].to_numpy(), df["y_pred"].to_numpy()
    report = evaluate_file(str(SAMPLES / "regression.csv"))
    assert report.task == "regression" and report.rows == len(df)
    e = y - p
    expected = {
        "mse": metrics.mean_squared_error(y, p),
        "rmse": metrics.root_mean_squared_error(y, p),
        "mae": metrics.mean_absolute_error(y, p),
        "mape": metrics.mean_absolute_percentage_error(y, p),
        "msle": metrics.mean_squared_log_error(y, p),
        "poisson_deviance": metrics.mean_poisson_deviance(y, p),
        "r2": metrics.r2_score(y, p),
        # by hand (no sklearn metric): Huber δ=1, log cosh, asymmetric 2/1
        "huber": float(np.mean(np.where(np.abs(e) <= 1, 0.5 * e**2, np.abs(e) - 0.5))),
        "log_cosh": float(np.mean(np.log(np.cosh(e)))),
        "asymmetric_mse": float(np.mean(np.where(e > 0, 2.0, 1.0) * e**2)),
    }
    assert report.losses == list(expected) or set(report.losses) == set(expected)
    for loss, value in expected.items():
        assert close(report.value("y_pred", loss), value), loss


def test_models_sample_two_models() -> None:
    df = pd.read_csv(SAMPLES / "models.csv")
    report = evaluate_file(str(SAMPLES / "models.csv"), losses=["mse", "r2"])
    assert report.models == ["linear", "tree"]
    assert report.model_columns == {"linear": ["pred_linear"], "tree": ["pred_tree"]}
    for name in ("linear", "tree"):
        p = df[f"pred_{name}"]
        assert close(report.value(name, "mse"), metrics.mean_squared_error(df["y_true"], p))
        assert close(report.value(name, "r2"), metrics.r2_score(df["y_true"], p))


def test_binary_sample_matches_sklearn() -> None:
    df = pd.read_csv(SAMPLES / "binary.csv")
    y, p = df["label"].to_numpy(), df["prob"].to_numpy()
    report = evaluate_file(str(SAMPLES / "binary.csv"))
    assert report.task == "binary"
    assert close(report.value("prob", "binary_crossentropy"), metrics.log_loss(y, p))
    assert close(report.value("prob", "brier"), metrics.brier_score_loss(y, p))
    assert close(report.value("prob", "zero_one"), metrics.zero_one_loss(y, p > 0.5))
    cw = compute_class_weight("balanced", classes=np.array([0, 1]), y=y)
    assert close(
        report.value("prob", "weighted_binary_crossentropy"),
        metrics.log_loss(y, p, sample_weight=cw[y]),
    )
    # focal γ=2 by hand: -(1 - p_t)² log p_t
    pt = np.where(y == 1, p, 1 - p)
    assert close(report.value("prob", "focal"), float(np.mean(-((1 - pt) ** 2) * np.log(pt))))


def test_multiclass_sample_string_labels_match_sklearn() -> None:
    df = pd.read_csv(SAMPLES / "multiclass.csv")
    classes = ["cat", "dog", "bird"]
    probs = df[[f"prob_{c}" for c in classes]].to_numpy()
    y = df["label"].map({c: i for i, c in enumerate(classes)}).to_numpy()
    report = evaluate_file(str(SAMPLES / "multiclass.csv"))
    assert report.task == "multiclass" and report.classes == classes
    assert close(
        report.value("prob", "categorical_crossentropy"),
        metrics.log_loss(y, probs, labels=[0, 1, 2]),
    )
    assert close(report.value("prob", "zero_one"), metrics.zero_one_loss(y, probs.argmax(axis=1)))
    onehot = np.eye(3)[y]
    assert close(report.value("prob", "brier"), float(np.mean(((probs - onehot) ** 2).sum(axis=1))))
    cw = compute_class_weight("balanced", classes=np.arange(3), y=y)
    assert close(
        report.value("prob", "weighted_categorical_crossentropy"),
        metrics.log_loss(y, probs, sample_weight=cw[y], labels=[0, 1, 2]),
    )


def test_weights_match_sklearn(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    truth = rng.normal(5, 2, 300)
    path = tmp_path / "w.csv"
    pd.DataFrame(
        {"y_true": truth, "y_pred": truth + rng.normal(0, 1, 300), "w": rng.uniform(0, 3, 300)}
    ).to_csv(path, index=False)
    report = evaluate_file(str(path), weight="w", losses=["mse", "mae", "r2"])
    df = pd.read_csv(path)  # compare with what the file holds
    y, p, w = df["y_true"], df["y_pred"], df["w"]
    assert report.weight == "w"
    assert close(report.value("y_pred", "mse"), metrics.mean_squared_error(y, p, sample_weight=w))
    assert close(report.value("y_pred", "mae"), metrics.mean_absolute_error(y, p, sample_weight=w))
    assert close(report.value("y_pred", "r2"), metrics.r2_score(y, p, sample_weight=w))


def test_pinball_once_per_quantile() -> None:
    df = pd.read_csv(SAMPLES / "regression.csv")
    report = evaluate_file(
        str(SAMPLES / "regression.csv"),
        losses=["pinball", "mae"],
        params=LossParams(quantiles=(0.1, 0.9)),
    )
    assert report.losses == ["pinball@0.1", "pinball@0.9", "mae"]
    assert report.params["quantile"] == [0.1, 0.9]
    for q in (0.1, 0.9):
        expected = metrics.mean_pinball_loss(df["y_true"], df["y_pred"], alpha=q)
        assert close(report.value("y_pred", f"pinball@{q:g}"), expected)


def test_quantile_adds_pinball_to_listed_losses() -> None:
    report = evaluate_file(
        str(SAMPLES / "regression.csv"), losses=["mae"], params=LossParams(quantiles=(0.9,))
    )
    assert report.losses == ["mae", "pinball@0.9"]


def test_pinball_needs_a_quantile_and_quantile_adds_pinball() -> None:
    with pytest.raises(UsageError, match="--quantile"):
        evaluate_file(str(SAMPLES / "regression.csv"), losses=["pinball"])
    report = evaluate_file(str(SAMPLES / "regression.csv"), params=LossParams(quantiles=(0.5,)))
    assert "pinball@0.5" in report.losses


def test_loss_params_are_used_and_reported() -> None:
    df = pd.read_csv(SAMPLES / "regression.csv")
    e = (df["y_true"] - df["y_pred"]).to_numpy()
    report = evaluate_file(
        str(SAMPLES / "regression.csv"),
        losses=["huber", "asymmetric_mse"],
        params=LossParams(delta=2.5, weight_under=3.0, weight_over=0.5),
    )
    assert report.params == {"delta": 2.5, "weight_under": 3.0, "weight_over": 0.5}
    huber = np.where(np.abs(e) <= 2.5, 0.5 * e**2, 2.5 * (np.abs(e) - 1.25)).mean()
    assert close(report.value("y_pred", "huber"), float(huber))
    asym = (np.where(e > 0, 3.0, 0.5) * e**2).mean()
    assert close(report.value("y_pred", "asymmetric_mse"), float(asym))


def test_logits_binary(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    z = rng.normal(0, 3, 200)
    y = (rng.uniform(size=200) < 1 / (1 + np.exp(-z))).astype(int)
    path = tmp_path / "logits.csv"
    pd.DataFrame({"label": y, "score": z}).to_csv(path, index=False)
    report = evaluate_file(
        str(path),
        true="label",
        preds=["score"],
        task="binary",
        losses=["bce"],
        params=LossParams(logits=True),
    )
    df = pd.read_csv(path)
    p = 1 / (1 + np.exp(-df["score"]))
    assert close(
        report.value("score", "binary_crossentropy"), metrics.log_loss(df["label"], p), 1e-9
    )


def test_class_weight_mapping_multiclass() -> None:
    df = pd.read_csv(SAMPLES / "multiclass.csv")
    classes = ["cat", "dog", "bird"]
    probs = df[[f"prob_{c}" for c in classes]].to_numpy()
    y = df["label"].map({c: i for i, c in enumerate(classes)}).to_numpy()
    report = evaluate_file(
        str(SAMPLES / "multiclass.csv"),
        losses=["wcce"],
        params=LossParams(class_weight="cat=2,bird=0.5"),
    )
    weights = np.array([2.0, 1.0, 0.5])
    expected = metrics.log_loss(y, probs, sample_weight=weights[y], labels=[0, 1, 2])
    assert close(report.value("prob", "weighted_categorical_crossentropy"), expected)
    assert report.params["class_weight"] == {"cat": 2.0, "bird": 0.5}
    with pytest.raises(UsageError, match="not a class"):
        evaluate_file(str(SAMPLES / "multiclass.csv"), params=LossParams(class_weight="cow=1"))


def test_positive_label_makes_text_truth_binary(tmp_path: Path) -> None:
    path = tmp_path / "yn.csv"
    pd.DataFrame({"label": ["yes", "no", "yes", "no"], "prob": [0.9, 0.2, 0.6, 0.4]}).to_csv(
        path, index=False
    )
    report = evaluate_file(str(path), positive="yes", losses=["bce"])
    assert report.task == "binary" and report.classes == ["no", "yes"]
    expected = metrics.log_loss([1, 0, 1, 0], [0.9, 0.2, 0.6, 0.4])
    assert close(report.value("prob", "binary_crossentropy"), expected)
    with pytest.raises(InputError, match="--positive LABEL"):
        evaluate_file(str(path))
    with pytest.raises(InputError, match="'maybe' is not a label"):
        evaluate_file(str(path), positive="maybe")


def test_multiclass_integer_labels(tmp_path: Path) -> None:
    path = tmp_path / "int.csv"
    pd.DataFrame(
        {
            "label": [0, 2, 1, 2],
            "p_0": [0.7, 0.1, 0.2, 0.1],
            "p_1": [0.2, 0.1, 0.5, 0.3],
            "p_2": [0.1, 0.8, 0.3, 0.6],
        }
    ).to_csv(path, index=False)
    report = evaluate_file(str(path), losses=["cce"])
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.2, 0.5, 0.3], [0.1, 0.3, 0.6]])
    expected = metrics.log_loss([0, 2, 1, 2], probs)
    assert close(report.value("p", "categorical_crossentropy"), expected)


# --------------------------------------------------------------------------- chunked = whole


def _mixed_frame(n: int = 101) -> pd.DataFrame:
    rng = np.random.default_rng(11)
    y = rng.normal(10, 3, n)
    return pd.DataFrame(
        {
            "y_true": y,
            "pred_a": y + rng.normal(0, 1, n),
            "pred_b": y + rng.normal(0.5, 2, n),
            "w": rng.uniform(0.1, 2, n),
            "g": rng.choice(["north", "south", "east"], n),
        }
    )


def _write(df: pd.DataFrame, path: Path) -> Path:
    name = path.name
    if name.endswith((".parquet", ".pq")):
        df.to_parquet(path)
    elif ".jsonl" in name:
        df.to_json(path, orient="records", lines=True)
    elif ".tsv" in name:
        df.to_csv(path, sep="\t", index=False)
    else:
        df.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    "name", ["d.csv", "d.tsv", "d.parquet", "d.jsonl", "d.csv.gz", "d.csv.zst", "d.jsonl.xz"]
)
@pytest.mark.parametrize("by", [None, "g"])
def test_chunked_equals_whole_for_every_format(tmp_path: Path, name: str, by: str | None) -> None:
    path = _write(_mixed_frame(), tmp_path / name)
    whole = evaluate_file(str(path), weight="w", by=by)
    for chunk_rows in (1, 7, 50):
        chunked = evaluate_file(str(path), weight="w", by=by, chunk_rows=chunk_rows)
        a, b = by_key(whole), by_key(chunked)
        assert a.keys() == b.keys()
        for key, value in a.items():
            assert close(b[key], value, 1e-9), (key, chunk_rows)
        assert chunked.rows == whole.rows == 101


def test_evaluate_frame_equals_file(tmp_path: Path) -> None:
    df = _mixed_frame()
    path = _write(df, tmp_path / "d.csv")
    from_file = evaluate_file(str(path), weight="w", by="g")
    from_frame = losscli.evaluate_frame(pd.read_csv(path), weight="w", by="g", source=str(path))
    a, b = from_file.to_dict(), from_frame.to_dict()
    assert {k: v for k, v in a.items() if k != "results"} == {
        k: v for k, v in b.items() if k != "results"
    }
    assert by_key(from_frame).keys() == by_key(from_file).keys()
    for key, value in by_key(from_file).items():
        assert close(by_key(from_frame)[key], value, 1e-12), key


def test_evaluate_frame_doc_example() -> None:
    df = pd.DataFrame({"y_true": [3, -0.5, 2, 7], "y_pred": [2.5, 0.0, 2, 8]})
    # the seed's example: MSE 0.375
    assert evaluate_frame(df, losses=["mse"]).value("y_pred", "mse") == 0.375


# --------------------------------------------------------------------------- groups


@pytest.mark.parametrize("weighted", [False, True])
def test_by_equals_filtering_regression(weighted: bool) -> None:
    df = _mixed_frame(400)
    df.loc[5, "y_true"] = -1.0  # msle / poisson do not apply in one group only
    weight = "w" if weighted else None
    grouped = evaluate_frame(df, by="g", weight=weight, chunk_rows=64)
    plain = evaluate_frame(df, weight=weight)
    for r in plain.results:
        assert close(grouped.value(r.model, r.loss), r.value, 1e-9), r
    bad_group = df.loc[5, "g"]
    for group in ("north", "south", "east"):
        sub = evaluate_frame(df[df["g"] == group], weight=weight)
        for r in sub.results:
            assert close(grouped.value(r.model, r.loss, group), r.value, 1e-9), (group, r)
        keys = {r.loss for r in grouped.results if r.group == group and r.model == "a"}
        assert keys == {r.loss for r in sub.results if r.model == "a"}
        assert ("msle" in keys) is (group != bad_group)
    assert {s.loss for s in grouped.skipped} == {"msle", "poisson_deviance"}


def test_by_equals_filtering_classification() -> None:
    rng = np.random.default_rng(2)
    n = 500
    df = pd.DataFrame(
        {
            "label": rng.integers(0, 2, n),
            "prob": rng.uniform(0.01, 0.99, n),
            "site": rng.integers(0, 4, n),
        }
    )
    grouped = evaluate_frame(df, by="site", chunk_rows=77)
    assert grouped.groups == ["0", "1", "2", "3"]
    for site in range(4):
        sub = evaluate_frame(df[df["site"] == site])
        for r in sub.results:
            assert close(grouped.value("prob", r.loss, str(site)), r.value, 1e-9), (site, r)


def test_group_values_print_alike_from_every_reader(tmp_path: Path) -> None:
    df = _mixed_frame()
    df["g"] = np.arange(len(df)) % 3
    groups = {
        evaluate_file(str(_write(df, tmp_path / name)), by="g").groups[0]
        for name in ("a.csv", "a.parquet", "a.jsonl")
    }
    assert groups == {"0"}


# --------------------------------------------------------------------------- data checks


def test_task_contradiction_in_a_later_chunk(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    rows = ["label,prob"] + ["1,0.9", "0,0.2"] * 30 + ["2,0.5"]
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(InputError) as info:
        evaluate_file(str(path), chunk_rows=8)
    message = str(info.value)
    assert "row 61" in message and "--task regression" in message
    # told, it is regression
    assert evaluate_file(str(path), task="regression").task == "regression"


def test_missing_values_count_and_first_row_across_chunks(tmp_path: Path) -> None:
    df = _mixed_frame(60)
    df.loc[[13, 40, 41], "pred_b"] = np.nan
    path = _write(df, tmp_path / "m.csv")
    with pytest.raises(InputError) as info:
        evaluate_file(str(path), chunk_rows=10)
    assert str(info.value) == (
        f"{path}: 3 rows have a missing value (first: column 'pred_b', row 14); "
        "drop such rows with --dropna"
    )
    report = evaluate_file(str(path), dropna=True, chunk_rows=10)
    assert report.rows == 57 and report.dropped == 3
    assert report.warnings == [f"{path}: dropped 3 rows with a missing value (--dropna)"]
    expected = metrics.mean_squared_error(
        df["y_true"].drop([13, 40, 41]), df["pred_a"].drop([13, 40, 41])
    )
    assert close(report.value("a", "mse"), expected, 1e-9)


def test_skipped_loss_listed_and_requested_loss_errors() -> None:
    report = evaluate_file(str(SAMPLES / "counts.csv"))
    skipped = {s.loss: s.reason for s in report.skipped}
    assert "mape" in skipped and "non-zero" in skipped["mape"]
    assert all(r.loss != "mape" for r in report.results)
    with pytest.raises(InputError, match="mape does not apply"):
        evaluate_file(str(SAMPLES / "counts.csv"), losses=["mape"])


def test_unknown_loss_and_wrong_task() -> None:
    with pytest.raises(UsageError, match="unknown loss 'nope'; valid ids: mse"):
        evaluate_file(str(SAMPLES / "regression.csv"), losses=["nope"])
    with pytest.raises(UsageError, match="does not apply to regression data"):
        evaluate_file(str(SAMPLES / "regression.csv"), losses=["bce"])


def test_unnormalized_rows_warn_and_renormalize(tmp_path: Path) -> None:
    path = tmp_path / "u.csv"
    path.write_text("label,prob_a,prob_b\na,0.5,0.7\nb,0.2,0.8\n")
    report = evaluate_file(str(path), losses=["cce"])
    assert (
        len(report.warnings) == 1 and "1 rows of model 'prob' do not sum to 1" in report.warnings[0]
    )
    fixed = evaluate_file(str(path), losses=["cce"], params=LossParams(renormalize=True))
    assert fixed.warnings == []
    expected = -(np.log(0.5 / 1.2) + np.log(0.8)) / 2
    assert close(fixed.value("prob", "categorical_crossentropy"), float(expected))


def test_report_to_dict_key_order() -> None:
    doc: dict[str, Any] = evaluate_file(str(SAMPLES / "regression.csv")).to_dict()
    assert list(doc) == EVALUATE_KEYS
    assert list(doc["results"][0]) == [
        "model",
        "group",
        "loss",
        "value",
        "ci_low",
        "ci_high",
        "rows",
    ]  # (ci_low, ci_high: issue 14, null without --ci)


@pytest.mark.parametrize("seed", range(5))
def test_numbers_factorize_as_pandas_does_without_pandas(seed: int) -> None:
    # class indices and numeric labels from the C scanner are factorised in numpy:
    # same codes and labels, in order of first appearance, as pandas.factorize
    from losscli.io.codes import factorize_numbers as _factorize_numbers
    from losscli.tasks import label_text as _label_text

    rng = np.random.default_rng(seed)
    values = rng.choice([3.0, 0.0, 7.5, -2.0, 1e20, np.nan, 3.0, 0.0], size=500)
    codes, labels = _factorize_numbers(values)
    expected_codes, uniques = pd.factorize(values, use_na_sentinel=True)
    expected = [_label_text(v) for v in uniques]
    present = [lab for lab in labels if lab is not None]
    assert present == expected
    lookup = np.array([-1 if lab is None else expected.index(lab) for lab in labels])
    assert lookup[codes].tolist() == expected_codes.tolist()


def _skip_reasons(report: Any) -> dict[str, str]:
    return {s["loss"]: s["reason"] for s in report.to_dict()["skipped"]}


@pytest.mark.parametrize("chunk_rows", [2, 3, 1 << 20])
def test_skip_reasons_name_the_input_row_under_by(tmp_path: Path, chunk_rows: int) -> None:
    # group a's first negative truth is on row 5, group b's on row 3: the overall
    # reason names row 3, however the rows are grouped, sorted and chunked
    path = tmp_path / "by.csv"
    path.write_text("y_true,y_pred,g\n1,1.5,a\n2,2.5,b\n-1,0.5,b\n3,2.5,a\n-2,0.5,a\n4,4.5,b\n")
    report = losscli.evaluate.evaluate_file(str(path), by="g", chunk_rows=chunk_rows)
    reasons = _skip_reasons(report)
    assert reasons["msle"] == "msle needs y_true ≥ 0; first violation at row 3"
    assert reasons["poisson_deviance"].endswith("first violation at row 3")


@pytest.mark.parametrize("chunk_rows", [2, 1 << 20])
def test_skip_reasons_name_the_input_row_after_dropna(tmp_path: Path, chunk_rows: int) -> None:
    # two rows dropped before the violation: the reason still names the file's row 5
    path = tmp_path / "gaps.csv"
    path.write_text("y_true,y_pred\n1,1.5\n,2.5\n2,\n3,2.5\n0,0.5\n4,4.5\n")
    report = losscli.evaluate.evaluate_file(str(path), dropna=True, chunk_rows=chunk_rows)
    assert _skip_reasons(report)["mape"] == "mape needs a non-zero y_true; first violation at row 5"


def test_a_requested_loss_names_the_row_under_by(tmp_path: Path) -> None:
    path = tmp_path / "by.csv"
    path.write_text("y_true,y_pred,g\n1,1.5,a\n2,2.5,b\n-1,0.5,b\n-3,2.5,a\n")
    with pytest.raises(InputError, match=r"msle does not apply: .*first violation at row 3$"):
        losscli.evaluate.evaluate_file(str(path), by="g", losses=["msle"])


def test_a_batch_of_reordered_rows_reports_their_input_index() -> None:
    from losscli import losses

    batch = losses.Batch(
        "regression", [1.0, -1.0, 2.0], [1.0, 1.0, 1.0], index=np.array([10, 3, 7])
    )
    acc = losses.REGISTRY["msle"].make()
    acc.update(batch)
    assert acc.skip_reason() == "msle needs y_true ≥ 0; first violation at index 3"
    early = losses.REGISTRY["msle"].make()
    early.update(losses.Batch("regression", [-1.0], [1.0], offset=1))
    assert acc.merge(early).skip_reason().endswith("at index 1")  # the earlier row wins


@pytest.mark.parametrize("chunk_rows", [3, 1 << 20])
def test_a_violation_in_one_group_leaves_the_other_groups_summed(
    tmp_path: Path, chunk_rows: int
) -> None:
    # group b holds a negative target: msle is skipped overall (naming row 4) and
    # for b, while a and c get their msle, equal to scikit-learn's on their rows
    path = tmp_path / "part.csv"
    rows = [(1, 1.5, "a"), (2, 2.5, "b"), (3, 0.5, "c"), (-1, 2.5, "b"), (5, 4.5, "a")]
    rows += [(6, 6.5, "c"), (2, 1.0, "a"), (4, 3.0, "c")]
    path.write_text("y_true,y_pred,g\n" + "".join(f"{y},{p},{g}\n" for y, p, g in rows))
    report = losscli.evaluate.evaluate_file(str(path), by="g", chunk_rows=chunk_rows)
    msle = {r["group"]: r["value"] for r in report.to_dict()["results"] if r["loss"] == "msle"}
    assert set(msle) == {"a", "c"}
    for group in ("a", "c"):
        y = [r[0] for r in rows if r[2] == group]
        p = [r[1] for r in rows if r[2] == group]
        assert msle[group] == pytest.approx(metrics.mean_squared_log_error(y, p), rel=1e-12)
    assert _skip_reasons(report)["msle"].endswith("first violation at row 4")


def test_a_loss_library_error_names_the_file_row_from_its_first_index() -> None:
    # a Batch starting at input index 10 whose second truth value is not 0/1: the
    # library's first_index is 11 (0-based), so the file's data row is 12
    from losscli import losses
    from losscli.errors import LossInputError
    from losscli.evaluate.engine import _input_error

    with pytest.raises(LossInputError) as caught:
        losses.Batch("binary", [0.0, 2.0, 1.0], [0.5, 0.5, 0.5], offset=10)
    assert caught.value.first_index == 11
    err = _input_error("f.csv", caught.value)
    assert str(err) == "f.csv: y_true has 1 value that is not 0 or 1; first at row 12"
    assert (err.file, err.row) == ("f.csv", 12)
