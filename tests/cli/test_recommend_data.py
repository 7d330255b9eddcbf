"""``losscli recommend --from FILE``: the measurements, the inferred conditions, the
flags that override them, and bad input. Oracles are numpy computations written
out here, independent of ``losscli.recommend``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from losscli import recommend as rules
from losscli.cli import app

from conftest import Cli, runner

run_json = Cli("recommend").run_json

SAMPLES = Path(__file__).resolve().parents[2] / "sample_data"


def sample(name: str) -> str:
    return str(SAMPLES / name)


def oracle_outliers(x: np.ndarray) -> tuple[float, float]:
    """Share with |x - median| / (1.4826·MAD) > 3.5, and δ = 1.345·1.4826·MAD."""
    med = np.median(x)
    mad = np.median(np.abs(x - med))
    share = float(np.mean(np.abs(x - med) / (1.4826 * mad) > 3.5))
    return share, 1.345 * 1.4826 * float(mad)


# ------------------------------------------------------------------ regression


def test_file_with_outliers() -> None:
    doc = run_json("--from", sample("regression_outliers.csv"))
    frame = pd.read_csv(SAMPLES / "regression_outliers.csv")
    share, delta = oracle_outliers((frame.y_true - frame.y_pred).to_numpy())
    assert share > 0.01
    ev = doc["evidence"]
    assert doc["task"] == "regression"
    assert doc["conditions"] == ["outliers"]
    assert doc["recommended"] == ["mae", "huber"]
    assert ev["rows"] == len(frame)
    assert ev["measured_on"] == "residuals"
    assert ev["robust_z"] == 3.5
    assert ev["outlier_share"] == pytest.approx(share, abs=1e-12)
    assert ev["huber_delta"] == pytest.approx(delta, rel=1e-12)
    assert ev["scale_method"] == "mad"
    assert ev["inferred"] == ["outliers"]
    # the suggested δ is the measured one to 4 significant digits
    assert doc["params"]["huber"]["delta"] == float(f"{delta:.4g}")
    assert f"δ = {delta:.4g}" in doc["reasons"]["huber"]


@pytest.mark.parametrize("name", ["regression.csv", "regression.parquet"])
def test_file_without_outliers(name: str) -> None:
    doc = run_json("--from", sample(name))
    frame = pd.read_csv(SAMPLES / "regression.csv")
    share, delta = oracle_outliers((frame.y_true - frame.y_pred).to_numpy())
    assert share <= 0.01
    assert doc["conditions"] == []
    assert doc["recommended"] == ["mse"]
    assert doc["evidence"]["outlier_share"] == pytest.approx(share, abs=1e-12)
    assert doc["evidence"]["huber_delta"] == pytest.approx(delta, rel=1e-12)
    assert doc["evidence"]["counts"] is False
    assert doc["evidence"]["class_counts"] is None


def test_counts_file() -> None:
    doc = run_json("--from", sample("counts.csv"))
    frame = pd.read_csv(SAMPLES / "counts.csv")
    assert doc["conditions"] == ["counts"]
    assert doc["recommended"] == ["poisson_deviance"]
    assert doc["evidence"]["counts"] is True
    assert doc["evidence"]["distinct_values"] == frame.y_true.nunique()


@pytest.mark.parametrize(
    ("values", "is_counts"),
    [
        ([0, 1, 2, 3, 5, 8, 0, 1], True),
        ([0.0, 1.0, 2.0, 4.0], True),  # integers written as floats still count
        ([0, 1, 2, 3, -1], False),  # negative
        ([0.5, 1, 2, 3], False),  # not integers
        ([2, 3, 2, 3, 2], False),  # two distinct values only
    ],
)
def test_counts_rule(tmp_path: Path, values: list[float], is_counts: bool) -> None:
    path = tmp_path / "y.csv"
    pd.DataFrame({"y_true": values}).to_csv(path, index=False)
    doc = run_json("--from", str(path), "--task", "regression")
    assert doc["evidence"]["counts"] is is_counts
    assert ("counts" in doc["conditions"]) is is_counts


def test_truth_only_is_measured_on_the_truth(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    y = np.round(rng.normal(10, 2, 300), 6)
    y[:9] = 100.0  # 3 % far away
    path = tmp_path / "truth.csv"
    pd.DataFrame({"target": y}).to_csv(path, index=False)
    doc = run_json("--from", str(path))
    share, _ = oracle_outliers(y)
    assert doc["task"] == "regression"
    assert doc["evidence"]["measured_on"] == "truth"
    assert doc["evidence"]["prediction"] is None
    assert doc["evidence"]["outlier_share"] == pytest.approx(share)
    assert doc["conditions"] == ["outliers"]


def test_mad_zero_falls_back_to_mean_absolute_deviation(tmp_path: Path) -> None:
    # 60 % exact predictions: the median residual and the MAD are 0
    y = np.arange(100, dtype=float)
    err = np.zeros(100)
    err[:40] = np.linspace(0.5, 2.0, 40)
    path = tmp_path / "exact.csv"
    pd.DataFrame({"y_true": y + 0.5, "y_pred": y + 0.5 - err}).to_csv(path, index=False)
    doc = run_json("--from", str(path))
    ev = doc["evidence"]
    resid = err  # y_true - y_pred
    mean_ad = np.mean(np.abs(resid - np.median(resid)))
    assert ev["mad"] == 0.0
    assert ev["scale_method"] == "mean_absolute_deviation"
    assert ev["scale"] == pytest.approx(1.2533 * mean_ad)
    assert ev["huber_delta"] == pytest.approx(1.345 * 1.2533 * mean_ad)
    expected = np.mean(np.abs(resid) / (1.2533 * mean_ad) > 3.5)
    assert ev["outlier_share"] == pytest.approx(expected)


def test_all_residuals_equal(tmp_path: Path) -> None:
    path = tmp_path / "perfect.csv"
    pd.DataFrame({"y_true": [1.0, 2.0, 3.5, 4.0], "y_pred": [1.0, 2.0, 3.5, 4.0]}).to_csv(
        path, index=False
    )
    doc = run_json("--from", str(path))
    ev = doc["evidence"]
    assert ev["scale_method"] == "none"
    assert ev["outliers"] == 0 and ev["outlier_share"] == 0.0
    assert ev["huber_delta"] is None
    assert doc["conditions"] == []
    # asking for outliers anyway: Huber gets the default δ, not 0
    doc = run_json("--from", str(path), "--outliers")
    assert doc["params"]["huber"] == {"delta": 1.0}


def test_models_file_uses_the_first_model_or_the_one_asked_for() -> None:
    assert run_json("--from", sample("models.csv"))["evidence"]["prediction"] == "pred_linear"
    doc = run_json("--from", sample("models.csv"), "--pred", "pred_tree")
    frame = pd.read_csv(SAMPLES / "models.csv")
    _, delta = oracle_outliers((frame.y_true - frame.pred_tree).to_numpy())
    assert doc["evidence"]["prediction"] == "pred_tree"
    assert doc["evidence"]["huber_delta"] == pytest.approx(delta)


def test_true_and_pred_flags(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.5], "b": [1.1, 1.9, 3.2, 4.4]}).to_csv(path, index=False)
    doc = run_json("--from", str(path), "--true", "a", "--pred", "b")
    assert doc["evidence"]["target"] == "a"
    assert doc["evidence"]["prediction"] == "b"


def test_stdin() -> None:
    text = (SAMPLES / "regression_outliers.csv").read_text()
    doc = run_json("--from", "-", input=text)
    assert doc["evidence"]["file"] == "<stdin>"
    assert doc["conditions"] == ["outliers"]


# -------------------------------------------------------------- classification


def test_balanced_binary() -> None:
    doc = run_json("--from", sample("binary.csv"))
    labels = pd.read_csv(SAMPLES / "binary.csv").label
    n1, n0 = int((labels == 1).sum()), int((labels == 0).sum())
    assert doc["task"] == "binary"
    assert doc["conditions"] == []
    assert doc["recommended"] == ["binary_crossentropy"]
    assert doc["evidence"]["class_counts"] == {"1": n1, "0": n0} or doc["evidence"][
        "class_counts"
    ] == {"0": n0, "1": n1}
    assert doc["evidence"]["imbalance_ratio"] == pytest.approx(max(n0, n1) / min(n0, n1))
    assert doc["evidence"]["outlier_share"] is None


def test_imbalanced_binary() -> None:
    doc = run_json("--from", sample("imbalanced.csv"))
    assert doc["conditions"] == ["imbalanced"]
    assert doc["recommended"] == ["weighted_binary_crossentropy"]
    # 1900 negatives and 100 positives: 1900 / 100 = 19
    assert doc["evidence"]["class_counts"] == {"0": 1900, "1": 100}
    assert doc["evidence"]["imbalance_ratio"] == 19.0
    assert doc["evidence"]["imbalance_ratio_threshold"] == 3.0


@pytest.mark.parametrize("name", ["multiclass.csv", "multiclass.parquet"])
def test_multiclass_sample_is_balanced_enough(name: str) -> None:
    doc = run_json("--from", sample(name))
    labels = pd.read_csv(SAMPLES / "multiclass.csv").label.value_counts()
    assert doc["task"] == "multiclass"
    assert doc["conditions"] == []
    assert doc["recommended"] == ["categorical_crossentropy"]
    assert doc["evidence"]["class_counts"] == {k: int(v) for k, v in labels.items()}
    assert doc["evidence"]["imbalance_ratio"] == pytest.approx(labels.max() / labels.min())
    assert doc["evidence"]["prediction"] == "prob_*"


def _multiclass_file(path: Path, counts: dict[str, int]) -> None:
    labels = [label for label, n in counts.items() for _ in range(n)]
    k = len(counts)
    frame = pd.DataFrame({"label": labels})
    for label in counts:
        frame[f"prob_{label}"] = 1.0 / k
    frame.to_csv(path, index=False)


@pytest.mark.parametrize(
    ("counts", "imbalanced"),
    [
        ({"cat": 30, "dog": 10, "bird": 20}, True),  # 30 / 10 = 3: at the threshold
        ({"cat": 29, "dog": 10, "bird": 20}, False),  # 2.9
    ],
)
def test_multiclass_imbalance_threshold(
    tmp_path: Path, counts: dict[str, int], imbalanced: bool
) -> None:
    path = tmp_path / "mc.csv"
    _multiclass_file(path, counts)
    doc = run_json("--from", str(path))
    assert ("imbalanced" in doc["conditions"]) is imbalanced
    expected = "weighted_categorical_crossentropy" if imbalanced else "categorical_crossentropy"
    assert doc["recommended"] == [expected]


def test_class_without_rows_counts_as_imbalanced(tmp_path: Path) -> None:
    path = tmp_path / "mc.csv"
    _multiclass_file(path, {"cat": 10, "dog": 10, "bird": 10})
    frame = pd.read_csv(path)
    frame["prob_fish"] = 0.0
    frame.to_csv(path, index=False)
    result = runner.invoke(app, ["recommend", "--from", str(path), "-o", "json"])
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["evidence"]["class_counts"]["fish"] == 0
    assert doc["evidence"]["imbalance_ratio"] is None  # infinite: JSON has no inf
    assert doc["conditions"] == ["imbalanced"]
    assert "class 'fish' has no row" in result.stderr


def test_truth_only_text_labels(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    pd.DataFrame({"label": ["a"] * 40 + ["b"] * 10 + ["c"] * 10}).to_csv(path, index=False)
    doc = run_json("--from", str(path))
    assert doc["task"] == "multiclass"
    assert doc["conditions"] == ["imbalanced"]


# -------------------------------------------------------------------- overrides


def test_flags_override_what_was_inferred() -> None:
    doc = run_json("--from", sample("regression_outliers.csv"), "--no-outliers")
    assert doc["conditions"] == []
    assert doc["recommended"] == ["mse"]
    assert doc["evidence"]["inferred"] == ["outliers"]
    assert doc["evidence"]["overridden"] == ["--no-outliers"]

    doc = run_json("--from", sample("regression.csv"), "--outliers")
    assert doc["conditions"] == ["outliers"]
    assert doc["evidence"]["overridden"] == ["--outliers"]

    doc = run_json("--from", sample("imbalanced.csv"), "--no-imbalanced")
    assert doc["recommended"] == ["binary_crossentropy"]

    doc = run_json("--from", sample("counts.csv"), "--no-counts")
    assert doc["recommended"] == ["mse"]

    # agreeing with the data is not an override
    doc = run_json("--from", sample("imbalanced.csv"), "--imbalanced")
    assert doc["evidence"]["overridden"] == []


def test_task_flag_overrides_the_inferred_task() -> None:
    # labels 0/1 read as a regression target: measured as residuals, no class counts
    doc = run_json("--from", sample("binary.csv"), "--task", "linear-regression")
    assert doc["task"] == "regression"
    assert doc["evidence"]["inferred_task"] == "binary"
    assert doc["evidence"]["overridden"] == ["--task regression"]
    assert doc["evidence"]["class_counts"] is None
    assert doc["evidence"]["measured_on"] == "residuals"


def test_data_and_flags_combine() -> None:
    doc = run_json("--from", sample("regression_outliers.csv"), "--asymmetric", "under")
    assert doc["conditions"] == ["outliers", "asymmetric_under"]
    assert doc["recommended"] == ["pinball"]
    assert doc["params"]["pinball"] == {"quantile": 0.667}
    assert doc["params"]["huber"]["delta"] == pytest.approx(
        doc["evidence"]["huber_delta"], rel=1e-3
    )


def test_condition_that_does_not_fit_the_file_task() -> None:
    result = runner.invoke(app, ["recommend", "--from", sample("binary.csv"), "--outliers"])
    assert result.exit_code == 2
    assert "--outliers does not fit task 'binary'" in result.stderr


# ----------------------------------------------------------------- table output


def test_evidence_in_the_table() -> None:
    result = runner.invoke(app, ["recommend", "--from", sample("regression_outliers.csv")])
    assert result.exit_code == 0
    text = result.stdout
    assert "Evidence" in text
    assert "27 of 500 rows" in text  # the count the JSON reports
    assert "robust z > 3.5" in text
    assert "→ outliers" in text
    assert "Huber δ" in text


def test_untrusted_column_names_print_literally(tmp_path: Path) -> None:
    path = tmp_path / "evil.csv"
    path.write_text("[bold red]y[/],\x1b[31mp\n1.0,1.5\n2.0,2.5\n3.0,2.0\n4.0,4.1\n")
    result = runner.invoke(
        app, ["recommend", "--from", str(path), "--true", "[bold red]y[/]", "--pred", "\x1b[31mp"]
    )
    assert result.exit_code == 0, result.output
    assert "[bold red]y[/]" in result.stdout
    assert "\x1b" not in result.stdout
    assert "\\x1b[31mp" in result.stdout


# -------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (None, ["missing.csv"]),
        ("y_true,y_pred\n", ["no data rows"]),
        ("y_true,y_pred\n1,2\nabc,3\n", ["y_true", "row 2"]),
        ("y_true,y_pred\n1,2\ninf,3\n", ["y_true", "row 2", "infinite"]),
    ],
)
def test_bad_input_is_one_line(tmp_path: Path, content: str | None, words: list[str]) -> None:
    path = tmp_path / "missing.csv"
    if content is not None:
        path.write_text(content)
    result = runner.invoke(app, ["recommend", "--from", str(path), "--task", "regression"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    for word in words:
        assert word in result.stderr


def test_missing_values_are_left_out_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "gaps.csv"
    path.write_text("y_true,y_pred\n1.0,1.1\n2.0,\n3.0,2.9\n4.0,4.2\n")
    result = runner.invoke(app, ["recommend", "--from", str(path), "-o", "json"])
    assert result.exit_code == 0
    doc = json.loads(result.stdout)  # the warning stays out of stdout
    assert doc["evidence"]["rows"] == 3
    assert doc["evidence"]["dropped_rows"] == 1
    assert "left out 1 row(s)" in result.stderr and "row 2" in result.stderr


def test_library_entry_point() -> None:
    rec = rules.recommend_from_file(sample("imbalanced.csv"))
    assert rec.task == "binary"
    assert rec.recommended == ("weighted_binary_crossentropy",)
    assert rec.evidence is not None and rec.evidence.imbalance_ratio == 19.0
