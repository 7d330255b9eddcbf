"""``recommend --from`` in one streaming pass: every model's residuals measured, the
counts rule (integers alone are not counts), the seeded reservoir (exact up to its
size, a uniform sample above), and memory flat in the rows. Oracles: numpy's median
and MAD on the full data, simulations with known truth (Poisson, negative binomial,
a bounded clinical score), tracemalloc for the memory."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from losscli.cli import app
from losscli.recommend import stream as rs

from conftest import Cli, runner

run_json = Cli("recommend").run_json


def oracle_share(x: np.ndarray) -> float:
    """Share with |x - median| / (1.4826·MAD) > 3.5 (the README's rule)."""
    med = np.median(x)
    mad = np.median(np.abs(x - med))
    return float(np.mean(np.abs(x - med) / (1.4826 * mad) > 3.5))


def test_every_model_is_measured_and_any_model_with_outliers_decides(tmp_path: Path) -> None:
    rng = np.random.default_rng(31)
    n = 2_000
    y = rng.normal(50, 10, n)
    clean = y + rng.normal(0, 1, n)
    heavy = y + rng.normal(0, 1, n)
    heavy[rng.choice(n, 100, replace=False)] += rng.choice([-40, 40], 100)  # 5 % far off
    path = tmp_path / "two.csv"
    pd.DataFrame({"y_true": y, "pred_clean": clean, "pred_heavy": heavy}).to_csv(path, index=False)
    doc = run_json("--from", str(path))
    ev = doc["evidence"]
    assert [m["prediction"] for m in ev["models"]] == ["pred_clean", "pred_heavy"]
    assert ev["models"][0]["outlier_share"] == pytest.approx(oracle_share(y - clean))
    assert ev["models"][1]["outlier_share"] == pytest.approx(oracle_share(y - heavy))
    assert "outliers" in doc["conditions"]
    assert ev["prediction"] == "pred_heavy"  # the model whose residuals decided
    assert ev["outlier_share"] == pytest.approx(oracle_share(y - heavy))
    # the first model alone has none: measured on it only (--pred), no outliers
    doc = run_json("--from", str(path), "--pred", "pred_clean")
    assert "outliers" not in doc["conditions"]


def _measure(path: Path, frame: pd.DataFrame) -> dict[str, Any]:
    frame.to_csv(path, index=False)
    return run_json("--from", str(path))


def test_an_integer_clinical_score_is_not_counts(tmp_path: Path) -> None:
    # a severity score from 25 to 346 (integers, wide spread, far from zero)
    rng = np.random.default_rng(41)
    n = 1_500
    y = np.clip(np.round(rng.normal(180, 60, n)), 25, 346).astype(int)
    pred = y + rng.normal(0, 20, n)
    doc = _measure(tmp_path / "score.csv", pd.DataFrame({"y_true": y, "y_pred": pred}))
    ev = doc["evidence"]
    assert ev["counts"] is False
    assert "counts" not in doc["conditions"]
    assert doc["recommended"][0] != "poisson_deviance"
    assert ev["smallest_value"] == y.min() >= 25
    # its dispersion index is far above 1: integer-ness and dispersion alone would
    # have called it counts; the smallest value is what rules it out
    assert ev["dispersion_index"] == pytest.approx(np.var(y, ddof=1) / np.mean(y))
    assert ev["dispersion_index"] > 1


@pytest.mark.parametrize("kind", ["poisson", "negative_binomial"])
def test_real_counts_are_counts(tmp_path: Path, kind: str) -> None:
    rng = np.random.default_rng(42)
    n = 1_500
    x = rng.normal(0, 0.5, n)
    mu = np.exp(1.0 + x)  # rates around e ≈ 2.7
    # negative binomial with size 2: variance mu + mu²/2, over-dispersed
    nb = kind == "negative_binomial"
    y = rng.negative_binomial(2, 2 / (2 + mu)) if nb else rng.poisson(mu)
    doc = _measure(tmp_path / f"{kind}.csv", pd.DataFrame({"y_true": y, "y_pred": mu}))
    ev = doc["evidence"]
    assert ev["counts"] is True
    assert doc["recommended"][0] == "poisson_deviance"
    assert ev["dispersion_index"] == pytest.approx(np.var(y, ddof=1) / np.mean(y))
    assert ev["dispersion_index"] >= 0.8
    assert ev["smallest_value"] == 0


def test_under_dispersed_small_integers_are_not_counts(tmp_path: Path) -> None:
    # a 1-to-3 rating (var/mean ≈ 0.33): integers near zero, but not counts
    rng = np.random.default_rng(43)
    y = rng.choice([1, 2, 3], 1_000, p=[0.2, 0.6, 0.2])
    doc = _measure(tmp_path / "rating.csv", pd.DataFrame({"y_true": y, "y_pred": y + 0.1}))
    assert doc["evidence"]["counts"] is False
    assert doc["evidence"]["dispersion_index"] < 0.8


# --------------------------------------------------------------------------- reservoir


def test_small_files_are_measured_exactly(tmp_path: Path) -> None:
    rng = np.random.default_rng(44)
    y = rng.normal(0, 1, 3_000)
    p = y + rng.standard_t(2, 3_000)
    ev = _measure(tmp_path / "s.csv", pd.DataFrame({"y_true": y, "y_pred": p}))["evidence"]
    resid = y - p
    assert ev["sample"] == ev["rows"] == 3_000
    assert ev["median"] == pytest.approx(np.median(resid), rel=1e-12)
    assert ev["mad"] == pytest.approx(np.median(np.abs(resid - np.median(resid))), rel=1e-12)


def test_above_its_size_the_reservoir_is_a_seeded_uniform_sample(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rs, "SAMPLE", 4_000)
    rng = np.random.default_rng(45)
    n = 60_000
    y = rng.normal(0, 1, n)
    # the residual drifts along the file: a sample of the first rows only, or of
    # the last, would put the median far from the whole file's
    p = y - np.linspace(-3, 3, n) - rng.normal(0, 1, n)
    path = tmp_path / "big.csv"
    doc = _measure(path, pd.DataFrame({"y_true": y, "y_pred": p}))
    ev = doc["evidence"]
    assert ev["sample"] == 4_000 and ev["rows"] == n
    resid = y - p
    # the sample median's standard error ≈ 1.25·σ/√4000 ≈ 0.04 (σ ≈ 2): 5 of them
    assert abs(ev["median"] - np.median(resid)) < 0.2
    mad = np.median(np.abs(resid - np.median(resid)))
    assert abs(ev["mad"] - mad) < 0.1 * mad
    assert run_json("--from", str(path))["evidence"] == ev  # seeded: the same sample
    text = runner.invoke(app, ["recommend", "--from", str(path)]).stdout
    assert "a uniform sample of 4,000 of 60,000 rows" in " ".join(text.split())


def test_reservoir_keeps_each_row_with_equal_chance() -> None:
    # simulation: 400 seeded runs of a 10-of-100 sample; every row's inclusion
    # frequency is 0.1 with a standard error of 0.015 (binomial, 400 runs)
    hits = np.zeros(100)
    for seed in range(400):
        res = rs.Reservoir(1, size=10, seed=seed)
        for lo in range(0, 100, 7):  # uneven chunks
            res.add([np.arange(lo, min(lo + 7, 100), dtype=float)])
        assert res.values[0].size == 10 and len(set(res.values[0])) == 10
        hits[res.values[0].astype(int)] += 1
    assert np.all(np.abs(hits / 400 - 0.1) < 0.065)  # > 4 standard errors


def _chunks(n_chunks: int, rows: int) -> Iterator[tuple[int, dict[str, Any]]]:
    rng = np.random.default_rng(0)
    for i in range(n_chunks):
        y = rng.gamma(2.0, 5.0, rows)
        yield i * rows, {"y": y, "a": y + rng.normal(0, 1, rows), "b": y * 1.1}


def _peak(n_chunks: int) -> int:
    tracemalloc.start()
    chunks = _chunks(n_chunks, 50_000)
    measured = rs.stream_regression(chunks, name="x", target="y", predictions=["a", "b"])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert measured.rows == n_chunks * 50_000
    return peak


def test_memory_is_flat_in_the_rows() -> None:
    # 1M against 5M rows in 50K-row chunks: the same peak (reservoir + one chunk)
    small, large = _peak(20), _peak(100)
    assert large < 1.2 * small, (small, large)


def test_boolean_truth_counts_as_classes_0_and_1(tmp_path: Path) -> None:
    """A Parquet boolean truth (pyarrow's writer) is counted under "1" / "0", the names
    recommend gives the binary classes, not label text's "true" / "false"; the counts
    are numpy's sums of the written column."""
    rng = np.random.default_rng(5)
    y = rng.random(300) < 0.2
    path = tmp_path / "bool.parquet"
    pd.DataFrame({"y_true": y, "y_pred": rng.random(300)}).to_parquet(path)
    ev = run_json("--from", str(path), "--task", "binary")["evidence"]
    assert ev["class_counts"] == {"0": int((~y).sum()), "1": int(y.sum())}
    assert [rs.class_label(v) for v in (True, False, 3.0, 2.5, "cat")] == [
        "1",
        "0",
        "3",
        "2.5",
        "cat",
    ]
