"""``--by`` R² keeps its digits at large truth offsets, as the ungrouped R² does.

Oracle: scikit-learn's ``r2_score`` on each group's rows shifted by the exact offset
(y - offset and ŷ - offset are exact in float64: both are within a factor 2 of the
offset, Sterbenz), which R² does not change. Before the per-group pivot the grouped
states summed y itself, and at 1e12 the per-chunk means of y carried ~1e-4 absolute
error, which Chan's merge turned into ~1e-8 relative error in each group's R².
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import r2_score

import losscli

N, GROUPS = 60_000, 5


def _frame(offset: float, weighted: bool) -> pd.DataFrame:
    rng = np.random.default_rng(11)
    group = rng.integers(0, GROUPS, N)
    # each group its own spread and centre about the offset
    y = offset + group * 3.0 + rng.normal(0.0, 1.0 + group, N)
    frame = pd.DataFrame({"y_true": y, "y_pred": y + rng.normal(0.0, 0.7, N), "g": group})
    if weighted:
        frame["w"] = rng.uniform(0.0, 2.0, N)
    return frame


def _oracle(frame: pd.DataFrame, offset: float) -> float:
    w = frame["w"].to_numpy() if "w" in frame else None
    return float(r2_score(frame["y_true"] - offset, frame["y_pred"] - offset, sample_weight=w))


@pytest.mark.parametrize("offset", [1e10, 1e12])
@pytest.mark.parametrize("chunk_rows", [997, 8192, 65536])
@pytest.mark.parametrize("weighted", [False, True])
def test_per_group_r2_at_a_large_offset(offset: float, chunk_rows: int, weighted: bool) -> None:
    frame = _frame(offset, weighted)
    report = losscli.evaluate_frame(
        frame, losses=["r2"], by="g", weight="w" if weighted else None, chunk_rows=chunk_rows
    )
    for g in range(GROUPS):
        expected = _oracle(frame[frame["g"] == g], offset)
        got = report.value("y_pred", "r2", group=str(g))
        assert got is not None and abs(got - expected) <= 1e-12 * abs(expected), (g, got)
    expected = _oracle(frame, offset)
    got = report.value("y_pred", "r2")
    assert got is not None and abs(got - expected) <= 1e-12 * abs(expected)


def test_a_constant_group_at_an_offset_is_still_undefined() -> None:
    frame = _frame(1e12, False)
    frame.loc[frame["g"] == 2, "y_true"] = 1e12 + 0.5
    report = losscli.evaluate_frame(frame, losses=["r2"], by="g", chunk_rows=4096)
    assert report.value("y_pred", "r2", group="2") is None
    assert any(s.loss == "r2" and "constant" in s.reason for s in report.skipped)
    sub = frame[frame["g"] == 1]
    expected = float(r2_score(sub["y_true"] - 1e12, sub["y_pred"] - 1e12))
    assert report.value("y_pred", "r2", group="1") == pytest.approx(expected, rel=1e-12)
