"""Issue 15's exactness fixes, each against an oracle that does not use losscli's code:

* streamed R² at large offsets (oracle: scikit-learn on the truth shifted by an exact
  constant, which R² does not change and which float64 does exactly near the offset);
* ``class_weight=balanced`` with sample weights (oracle: scikit-learn's
  ``compute_class_weight(..., sample_weight=)``, and its invariances: a zero-weight row
  is the row removed, integer weights are repeated rows);
* a zero-weight row never makes a loss inapplicable (oracle: the loss with the row removed).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import log_loss, r2_score
from sklearn.utils.class_weight import compute_class_weight

import losscli
from losscli import losses
from losscli.errors import LossInputError
from losscli.tasks import BINARY, MULTICLASS, REGRESSION

# --------------------------------------------------------------------------- r2 at an offset


def _offset_data(offset: float, n: int = 300_000) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    y = offset + rng.normal(0.0, 1.0, n)
    return y, y + rng.normal(0.0, 0.5, n)


def _oracle_r2(
    y: np.ndarray, pred: np.ndarray, offset: float, w: np.ndarray | None = None
) -> float:
    # y - offset and pred - offset are exact (Sterbenz: both within a factor 2 of the
    # offset), so this is scikit-learn on the same numbers without the offset
    return float(r2_score(y - offset, pred - offset, sample_weight=w))


@pytest.mark.parametrize("offset", [1e10, 1e12])
def test_streamed_r2_keeps_its_digits_at_a_large_offset(offset: float) -> None:
    y, pred = _offset_data(offset)
    acc = losses.R2Accumulator()
    for start in range(0, y.shape[0], 65536):  # the 64K-row chunks of the issue
        acc.update(losses.Batch(REGRESSION, y[start : start + 65536], pred[start : start + 65536]))
    expected = _oracle_r2(y, pred, offset)
    # before the pivot: 9e-11 at 1e10 and 3.5e-8 at 1e12
    assert abs(acc.result() - expected) <= 1e-12 * abs(expected)


def test_streamed_r2_at_an_offset_through_the_engine_and_with_weights() -> None:
    offset = 1e12
    y, pred = _offset_data(offset, 200_000)
    w = np.random.default_rng(3).uniform(0.0, 2.0, y.shape[0])
    frame = pd.DataFrame({"y_true": y, "y_pred": pred, "w": w})
    report = losscli.evaluate_frame(frame, losses=["r2"], weight="w", chunk_rows=65536)
    value = report.value("y_pred", "r2")
    expected = _oracle_r2(y, pred, offset, w)
    assert value is not None and abs(value - expected) <= 1e-12 * abs(expected)


def test_r2_states_of_different_pivots_merge_exactly() -> None:
    offset = 1e12
    y, pred = _offset_data(offset, 100_000)
    a, b = losses.R2Accumulator(), losses.R2Accumulator()
    a.update(losses.Batch(REGRESSION, y[:40_000], pred[:40_000]))
    b.update(losses.Batch(REGRESSION, y[40_000:], pred[40_000:]))
    assert a.pivot != b.pivot  # (each state's pivot is its own first truth value)
    merged = a.copy().merge(b)
    loaded = (
        losses.R2Accumulator()
        .from_state(a.state())
        .merge(losses.R2Accumulator().from_state(b.state()))
    )
    expected = _oracle_r2(y, pred, offset)
    assert abs(merged.result() - expected) <= 1e-12 * abs(expected)
    assert loaded.result() == merged.result()


def test_r2_state_without_a_pivot_is_a_mean_of_y() -> None:
    # a state written without the pivot field (grouped.py's overall state) has pivot 0
    y = np.array([1.0, 2.0, 4.0, 7.0])
    pred = np.array([1.5, 2.0, 3.0, 7.5])
    mean = y.mean()
    state = {"rows": 4, "weight": 4.0, "mean": mean, "m2": float(((y - mean) ** 2).sum())}
    state["sse"] = float(((y - pred) ** 2).sum())
    value = losses.R2Accumulator().from_state(state).result()
    assert value == pytest.approx(r2_score(y, pred), rel=1e-15)


# --------------------------------------------------------------------------- balanced weights


def _classification(task: str, n: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    if task == BINARY:
        y = (rng.uniform(size=n) < 0.2).astype(float)
        return y, np.clip(rng.uniform(size=n) * 0.6 + 0.4 * y, 0.01, 0.99)
    y = rng.choice(3, size=n, p=[0.6, 0.3, 0.1]).astype(float)
    raw = rng.uniform(0.05, 1.0, (n, 3))
    raw[np.arange(n), y.astype(int)] += 1.0
    return y, raw / raw.sum(axis=1, keepdims=True)


def _weighted_ce(task: str, y: np.ndarray, p: np.ndarray, w: np.ndarray | None) -> float:
    if task == BINARY:
        return losses.weighted_binary_crossentropy(y, p, sample_weight=w, class_weight="balanced")
    return losses.weighted_categorical_crossentropy(y, p, sample_weight=w, class_weight="balanced")


@pytest.mark.parametrize("task", [BINARY, MULTICLASS])
def test_balanced_weights_come_from_weighted_class_counts(task: str) -> None:
    y, p = _classification(task)
    s = np.random.default_rng(1).uniform(0.0, 3.0, y.shape[0])
    classes = np.unique(y)
    cw = compute_class_weight("balanced", classes=classes, y=y, sample_weight=s)
    per_row = cw[np.searchsorted(classes, y)] * s
    proba = p if task == MULTICLASS else np.column_stack([1 - p, p])
    # eps: losscli's default 1e-7 never binds here (p in [0.01, 0.99])
    expected = log_loss(y, proba, sample_weight=per_row, labels=classes)
    assert _weighted_ce(task, y, p, s) == pytest.approx(expected, rel=1e-13)


@pytest.mark.parametrize("task", [BINARY, MULTICLASS])
def test_balanced_zero_weight_row_is_the_row_removed(task: str) -> None:
    y, p = _classification(task)
    s = np.ones(y.shape[0])
    s[:50] = 0.0
    removed = _weighted_ce(task, y[50:], p[50:], None)
    assert _weighted_ce(task, y, p, s) == pytest.approx(removed, rel=1e-13)


@pytest.mark.parametrize("task", [BINARY, MULTICLASS])
def test_balanced_integer_weights_are_repeated_rows(task: str) -> None:
    y, p = _classification(task)
    reps = np.random.default_rng(2).integers(1, 4, y.shape[0])
    repeated = _weighted_ce(task, np.repeat(y, reps), np.repeat(p, reps, axis=0), None)
    assert _weighted_ce(task, y, p, reps.astype(float)) == pytest.approx(repeated, rel=1e-13)


def test_balanced_class_present_only_with_zero_weight_is_absent() -> None:
    # class 1 has rows, but every one of weight 0: removing them leaves one class
    y = np.array([0.0, 0.0, 1.0, 0.0])
    p = np.array([0.2, 0.3, 0.9, 0.4])
    with pytest.raises(LossInputError, match="at least two classes"):
        losses.weighted_binary_crossentropy(
            y, p, sample_weight=np.array([1.0, 1.0, 0.0, 1.0]), class_weight="balanced"
        )


def test_balanced_with_weights_in_a_grouped_evaluation_is_the_ungrouped_value() -> None:
    y, p = _classification(BINARY, 600)
    s = np.random.default_rng(5).uniform(0.0, 3.0, y.shape[0])
    g = np.repeat(["a", "b"], 300)
    frame = pd.DataFrame({"y_true": y, "y_pred": p, "w": s, "g": g})
    report = losscli.evaluate_frame(
        frame, losses=["weighted_binary_crossentropy"], weight="w", by="g"
    )
    key = "weighted_binary_crossentropy"
    overall = report.value("y_pred", key)
    assert overall == pytest.approx(_weighted_ce(BINARY, y, p, s), rel=1e-13)
    for label, rows in (("a", slice(0, 300)), ("b", slice(300, 600))):
        expected = _weighted_ce(BINARY, y[rows], p[rows], s[rows])
        assert report.value("y_pred", key, group=label) == pytest.approx(expected, rel=1e-13)


# --------------------------------------------------------------------------- zero-weight rows


REQUIREMENTS = [
    # (loss, a row that breaks its requirement: y, pred)
    ("mape", 0.0, 1.0),
    ("msle", -2.0, 1.0),
    ("msle", 1.0, -3.0),
    ("poisson_deviance", -1.0, 1.0),
    ("poisson_deviance", 1.0, 0.0),
]


@pytest.mark.parametrize(("loss", "bad_y", "bad_pred"), REQUIREMENTS)
def test_zero_weight_row_does_not_make_a_loss_inapplicable(
    loss: str, bad_y: float, bad_pred: float
) -> None:
    rng = np.random.default_rng(0)
    y = rng.uniform(1.0, 5.0, 50)
    pred = rng.uniform(1.0, 5.0, 50)
    w = rng.uniform(0.5, 2.0, 50)
    fn = getattr(losses, loss)
    removed = fn(y, pred, sample_weight=w)
    y2, p2, w2 = np.insert(y, 7, bad_y), np.insert(pred, 7, bad_pred), np.insert(w, 7, 0.0)
    assert fn(y2, p2, sample_weight=w2) == pytest.approx(removed, rel=1e-14)
    frame = pd.DataFrame({"y_true": y2, "y_pred": p2, "w": w2, "g": ["a"] * 30 + ["b"] * 21})
    report = losscli.evaluate_frame(frame, losses=[loss], weight="w")
    assert report.value("y_pred", loss) == pytest.approx(removed, rel=1e-14)
    grouped = losscli.evaluate_frame(frame, losses=[loss], weight="w", by="g")
    assert grouped.value("y_pred", loss) == pytest.approx(removed, rel=1e-14)
    assert grouped.value("y_pred", loss, group="a") is not None


def test_positive_weight_row_still_makes_mape_inapplicable() -> None:
    y = np.array([1.0, 0.0, 2.0])
    pred = np.array([1.5, 1.0, 2.0])
    with pytest.raises(LossInputError, match="first violation at index 1"):
        losses.mape(y, pred, sample_weight=np.array([1.0, 0.5, 1.0]))
