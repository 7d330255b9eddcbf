"""The committed sample data: reproducible from its generator, and it shows what it
claims to show (outliers, imbalance, rows summing to 1, overfitting)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

SAMPLES = Path(__file__).resolve().parents[2] / "sample_data"
CSV_FILES = (
    "regression.csv",
    "regression_outliers.csv",
    "counts.csv",
    "binary.csv",
    "imbalanced.csv",
    "multiclass.csv",
    "models.csv",
    "train_log.csv",
)
PARQUET_TWINS = {"regression.parquet": "regression.csv", "multiclass.parquet": "multiclass.csv"}


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_samples", SAMPLES / "make_samples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_samples"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("samples")
    written = _load_generator().write_samples(out)
    assert sorted(p.name for p in written) == sorted((*CSV_FILES, *PARQUET_TWINS))
    return out


@pytest.mark.parametrize("name", CSV_FILES)
def test_csv_matches_generator_byte_for_byte(regenerated: Path, name: str) -> None:
    assert (regenerated / name).read_bytes() == (SAMPLES / name).read_bytes()


@pytest.mark.parametrize("name", sorted(PARQUET_TWINS))
def test_parquet_matches_generator(regenerated: Path, name: str) -> None:
    """Bytes when the committed file was written by this pyarrow version (its footer
    records the writer), otherwise the same schema and values."""
    import pyarrow.parquet as pq

    committed = SAMPLES / name
    fresh = regenerated / name
    if pq.ParquetFile(committed).metadata.created_by == pq.ParquetFile(fresh).metadata.created_by:
        assert fresh.read_bytes() == committed.read_bytes()
    assert pq.read_table(fresh).equals(pq.read_table(committed))


@pytest.mark.parametrize(("parquet", "csv"), sorted(PARQUET_TWINS.items()))
def test_parquet_twin_holds_the_csv_values(parquet: str, csv: str) -> None:
    from_parquet = pd.read_parquet(SAMPLES / parquet)
    from_csv = pd.read_csv(SAMPLES / csv)
    pd.testing.assert_frame_equal(from_parquet, from_csv, check_exact=True)


def test_generator_is_deterministic_between_runs(tmp_path: Path) -> None:
    gen = _load_generator()
    first = gen.regression_outliers()
    assert gen.regression_outliers() == first
    # another seed gives other numbers: the equality above is not vacuous
    assert gen.regression_outliers(seed=1) != first


def test_sizes_are_small_but_realistic() -> None:
    for name in CSV_FILES:
        rows = len(pd.read_csv(SAMPLES / name))
        assert (30 if name == "train_log.csv" else 300) <= rows <= 2000, name


def _robust_outlier_share(x: np.ndarray) -> float:
    """Share with |x - median| / (1.4826 MAD) > 3.5 (Iglewicz-Hoaglin)."""
    med = np.median(x)
    mad = np.median(np.abs(x - med))
    return float(np.mean(np.abs(x - med) / (1.4826 * mad) > 3.5))


def test_outlier_file_has_outliers_and_clean_file_has_none() -> None:
    dirty = pd.read_csv(SAMPLES / "regression_outliers.csv")
    clean = pd.read_csv(SAMPLES / "regression.csv")
    assert list(dirty.columns) == ["y_true", "y_pred"] == list(clean.columns)
    assert _robust_outlier_share((dirty.y_true - dirty.y_pred).to_numpy()) > 0.02
    assert _robust_outlier_share((clean.y_true - clean.y_pred).to_numpy()) <= 0.01


def test_binary_files_positive_share() -> None:
    balanced = pd.read_csv(SAMPLES / "binary.csv")
    imbalanced = pd.read_csv(SAMPLES / "imbalanced.csv")
    for frame in (balanced, imbalanced):
        assert list(frame.columns) == ["label", "prob"]
        assert set(frame.label.unique()) == {0, 1}
        assert frame.prob.between(0.0, 1.0, inclusive="neither").all()
    assert 0.4 <= balanced.label.mean() <= 0.6
    assert imbalanced.label.mean() == pytest.approx(0.05, abs=0.005)


def test_multiclass_rows_sum_to_one_and_labels_are_strings() -> None:
    frame = pd.read_csv(SAMPLES / "multiclass.csv")
    assert frame.columns[0] == "label"
    classes = sorted(frame.label.unique())
    assert classes == ["bird", "cat", "dog"]
    prob_cols = [c for c in frame.columns if c.startswith("prob_")]
    assert sorted(c.removeprefix("prob_") for c in prob_cols) == classes
    probs = frame[prob_cols].to_numpy()
    assert (probs > 0).all()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=0, atol=1e-9)
    # the model is better than chance: argmax matches the label most of the time
    predicted = np.array([c.removeprefix("prob_") for c in prob_cols])[probs.argmax(axis=1)]
    assert (predicted == frame.label.to_numpy()).mean() > 0.6


def test_counts_file_holds_non_negative_integer_counts() -> None:
    frame = pd.read_csv(SAMPLES / "counts.csv")
    assert frame.y_true.dtype.kind == "i"
    assert (frame.y_true >= 0).all() and (frame.y_true == 0).any()
    assert frame.y_true.nunique() >= 5
    assert (frame.y_pred > 0).all()


def test_models_file_has_two_models_and_the_tree_is_better() -> None:
    frame = pd.read_csv(SAMPLES / "models.csv")
    assert list(frame.columns) == ["y_true", "pred_linear", "pred_tree"]
    mse_linear = ((frame.y_true - frame.pred_linear) ** 2).mean()
    mse_tree = ((frame.y_true - frame.pred_tree) ** 2).mean()
    assert mse_tree < mse_linear


def test_train_log_overfits_after_a_middle_epoch() -> None:
    frame = pd.read_csv(SAMPLES / "train_log.csv")
    assert list(frame.columns) == ["epoch", "train_loss", "val_loss"]
    assert frame.epoch.tolist() == list(range(1, 31))
    assert (frame.train_loss.diff().dropna() < 0).all()
    best = int(frame.epoch[frame.val_loss.idxmin()])
    assert 12 <= best <= 15
    assert frame.val_loss.iloc[-1] > frame.val_loss.min() * 1.5
