"""losscli.history analysis: the verdict rules of the module docstring, one by one,
on hand-made curves whose expected results are derived by hand in the comments."""

from __future__ import annotations

import math

import pytest

from losscli import history
from losscli.errors import InputError, UsageError

NAN = math.nan


def report(train, val=None, x=None, **kw):  # type: ignore[no-untyped-def]
    """The unsmoothed rules (``--smoothing 0 --min-delta 0`` unless a test says)."""
    xs = list(range(len(train))) if x is None else x
    kw.setdefault("min_delta", 0.0)
    kw.setdefault("smoothing", 0.0)
    return history.analyse(xs, train, val, **kw)


# ------------------------------------------------------------------ early stopping


def test_early_stopping_replays_keras_and_lightning() -> None:
    # improvements (v < best - 0): 1.0 @0, 0.8 @1, 0.7 @2; then 0.75, 0.72, 0.9 → wait 1,2,3
    kept, stopped = history.early_stopping([1.0, 0.8, 0.7, 0.75, 0.72, 0.9, 0.5], patience=3)
    assert (kept, stopped) == (2, 5)


def test_early_stopping_min_delta_is_strict() -> None:
    # min_delta 0.1 (threshold 1.0 - 0.1 = 0.9): 0.95 no, 0.9 no (strict <), 0.7 yes
    kept, stopped = history.early_stopping([1.0, 0.95, 0.9, 0.7], patience=5, min_delta=0.1)
    assert (kept, stopped) == (3, None)
    # 0.95, 0.9, 0.91: three points without improvement → stops at index 3, keeps 0
    kept, stopped = history.early_stopping([1.0, 0.95, 0.9, 0.91], patience=3, min_delta=0.1)
    assert (kept, stopped) == (0, 3)


def test_early_stopping_nan_never_improves() -> None:
    assert history.early_stopping([1.0, NAN, NAN], patience=2) == (0, 2)


# ------------------------------------------------------------------------ verdicts


TRAIN_FALLING = [1.0, 0.8, 0.6, 0.5, 0.4, 0.35, 0.3, 0.25]


def test_overfitting_best_since_and_recommendation() -> None:
    # val lowest at epoch 3 (0.5); epochs 4..7 all > 0.5 → since 4, 4 points ≥ patience 3;
    # train fell from 0.5 (epoch 3) to 0.25.
    val = [1.1, 0.8, 0.6, 0.5, 0.55, 0.6, 0.7, 0.8]
    r = report(TRAIN_FALLING, val)
    assert r.verdict == "overfitting"
    assert r.best_epoch == 3 and r.best_val_loss == 0.5
    assert r.overfitting_since == 4
    assert r.final_train_loss == 0.25 and r.final_val_loss == 0.8
    assert r.gap == pytest.approx(0.8 - 0.25)
    assert r.gap_at_best == pytest.approx(0.5 - 0.5)
    # EarlyStopping(patience=3): epochs 4, 5, 6 do not improve → stops at 6, keeps 3
    assert (r.stopped_epoch, r.restored_epoch) == (6, 3)
    assert r.recommendation is not None and "stop at epoch 3" in r.recommendation
    assert r.fails_gate


def test_overfitting_since_skips_points_back_within_min_delta() -> None:
    # best 0.5 at 3; threshold 0.5 + 0.06 = 0.56: 0.55 (epoch 4) is within, 0.6.. above
    # and stay above → since = 5; 3 points (5, 6, 7) ≥ patience 3.
    val = [1.1, 0.8, 0.6, 0.5, 0.55, 0.6, 0.7, 0.8]
    r = report(TRAIN_FALLING, val, min_delta=0.06)
    assert r.verdict == "overfitting"
    assert r.overfitting_since == 5


def test_rise_shorter_than_patience_is_improving() -> None:
    # best at epoch 5, only 2 points after it (< patience 3): EarlyStopping would go on
    val = [1.1, 0.8, 0.6, 0.5, 0.45, 0.4, 0.45, 0.5]
    r = report(TRAIN_FALLING, val)
    assert r.verdict == "improving"
    assert r.best_epoch == 5
    assert r.overfitting_since is None
    assert r.stopped_epoch is None
    assert not r.fails_gate


def test_patience_is_the_number_of_points_after_the_best() -> None:
    val = [1.1, 0.8, 0.6, 0.5, 0.45, 0.4, 0.45, 0.5]
    assert report(TRAIN_FALLING, val, patience=2).verdict == "overfitting"
    assert report(TRAIN_FALLING, val, patience=2).overfitting_since == 6


def test_improving_when_best_is_last() -> None:
    r = report(TRAIN_FALLING, [1.2, 1.0, 0.9, 0.8, 0.7, 0.65, 0.6, 0.55])
    assert r.verdict == "improving"
    assert r.best_epoch == 7
    assert "last point" in r.reason


def test_converged_when_both_curves_flatten() -> None:
    # val best 0.5 at 3, then stays above it, but the training loss stopped falling
    # (0.5 at epoch 3, 0.5 at the end): no overfitting, no new best for 4 points.
    train = [1.0, 0.8, 0.6, 0.5, 0.5, 0.49, 0.5, 0.5]
    val = [1.1, 0.8, 0.6, 0.5, 0.52, 0.51, 0.52, 0.51]
    r = report(train, val)
    assert r.verdict == "converged"
    assert r.best_epoch == 3
    assert r.overfitting_since is None
    assert r.stopped_epoch == 6  # epochs 4, 5, 6 without improvement


def test_converged_when_validation_stays_within_min_delta() -> None:
    # with min_delta 0.05 nothing after epoch 3 exceeds 0.5 + 0.05 → a plateau
    val = [1.1, 0.8, 0.6, 0.5, 0.52, 0.51, 0.53, 0.52]
    r = report(TRAIN_FALLING, val, min_delta=0.05)
    assert r.verdict == "converged"
    # ...while with min_delta 0 the same curve is a sustained rise
    assert report(TRAIN_FALLING, val).verdict == "overfitting"


def test_underfitting_when_training_loss_does_not_fall() -> None:
    r = report([0.7, 0.69, 0.71, 0.7, 0.72], [0.7, 0.7, 0.71, 0.7, 0.72])
    assert r.verdict == "underfitting"
    assert not r.fails_gate


def test_underfitting_uses_min_delta() -> None:
    # fell by 0.05 only: underfitting with min_delta 0.1, not with 0
    assert report([1.0, 0.98, 0.95], [1.0, 0.9, 0.8], min_delta=0.1).verdict == "underfitting"
    assert report([1.0, 0.98, 0.95], [1.0, 0.9, 0.8]).verdict == "improving"


@pytest.mark.parametrize(
    ("train", "val", "where"),
    [
        ([1.0, 0.8, NAN], [1.0, 0.9, 0.8], "training loss is nan at epoch 2"),
        ([1.0, 0.8, 0.6], [1.0, NAN, 0.8], "validation loss is nan at epoch 1"),
        ([1.0, math.inf, 0.6], [1.0, 0.9, 0.8], "training loss is inf at epoch 1"),
    ],
)
def test_non_finite_loss_is_diverged(train, val, where) -> None:  # type: ignore[no-untyped-def]
    r = report(train, val)
    assert r.verdict == "diverged"
    assert where in r.reason
    assert r.fails_gate


def test_far_above_the_first_is_diverged() -> None:
    # first 0.5, threshold 0.5 + |0.5| = 1.0: 1.01 is far above, 0.99 is not
    assert report([0.5, 0.3, 1.01], [0.6, 0.5, 0.4]).verdict == "diverged"
    assert report([0.5, 0.3, 0.99], [0.6, 0.5, 0.4]).verdict == "underfitting"


def test_far_above_for_a_negative_loss() -> None:
    # first -2, threshold -2 + 2 = 0: ending at 0.1 is diverged
    assert report([-2.0, -3.0, 0.1]).verdict == "diverged"


def test_training_only_log_has_no_overfitting_verdict() -> None:
    r = report([1.0, 0.8, 0.6, 0.55, 0.5])
    assert r.verdict == "improving"
    assert r.best_epoch is None and r.best_val_loss is None and r.gap is None
    assert "no overfitting verdict" in r.reason
    flat = report([1.0, 0.5, 0.4, 0.41, 0.42, 0.43])
    assert flat.verdict == "converged"
    assert "no overfitting verdict" in flat.reason


def test_validation_gaps_are_skipped() -> None:
    # validation every other epoch (Keras validation_freq=2 writes NA): None = not logged
    val = [None, 0.9, None, 0.7, None, 0.75, None, 0.8, None, 0.85]
    train = [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.45, 0.4, 0.35, 0.3]
    r = report(train, val)
    # best 0.7 at epoch 3; then 0.75 @5, 0.8 @7, 0.85 @9: 3 evaluations above → overfitting
    assert r.verdict == "overfitting"
    assert (r.best_epoch, r.overfitting_since) == (3, 5)
    assert r.final_val_loss == 0.85


def test_best_epoch_is_the_first_minimum() -> None:
    r = report([1.0, 0.9, 0.8, 0.7], [0.5, 0.4, 0.4, 0.45])
    assert r.best_epoch == 1


def test_x_values_are_reported_not_indices() -> None:
    r = report(TRAIN_FALLING, [1.1, 0.8, 0.6, 0.5, 0.55, 0.6, 0.7, 0.8], x=list(range(1, 9)))
    assert (r.best_epoch, r.overfitting_since) == (4, 5)


def test_bad_options_and_too_few_points() -> None:
    with pytest.raises(UsageError):
        report([1.0, 0.5], patience=0)
    with pytest.raises(UsageError):
        report([1.0, 0.5], min_delta=-0.1)
    with pytest.raises(InputError, match="need at least 2"):
        report([1.0])


# --------------------------------------------------------------------- from tables


class _Frame:
    """The two things log_from_frame uses of a DataFrame: columns and column lists."""

    def __init__(self, data: dict[str, list[object]]) -> None:
        self._data = data
        self.columns = list(data)

    def __len__(self) -> int:
        return len(next(iter(self._data.values())))

    def __getitem__(self, key: str) -> _Column:
        return _Column(self._data[key])


class _Column:
    def __init__(self, values: list[object]) -> None:
        self._values = values

    def tolist(self) -> list[object]:
        return list(self._values)


def test_log_from_frame_detects_columns_case_insensitively() -> None:
    frame = _Frame({"Epoch": [1, 2, 3], "Training_Loss": [1.0, 0.8, 0.7], "VALID_LOSS": [1, 2, 3]})
    log = history.log_from_frame(frame, "f.csv")
    assert (log.train_column, log.val_column, log.x_name) == (
        "Training_Loss",
        "VALID_LOSS",
        "epoch",
    )
    assert log.x == (1, 2, 3)


def test_log_from_frame_uses_row_number_without_epoch_column() -> None:
    log = history.log_from_frame(_Frame({"loss": [1.0, 0.8, 0.7]}), "f.csv")
    assert log.x == (0, 1, 2) and log.val is None


def test_log_from_frame_step_or_iteration_column() -> None:
    log = history.log_from_frame(_Frame({"iteration": [10, 20], "loss": [1.0, 0.8]}), "f.csv")
    assert (log.x_name, log.x) == ("step", (10, 20))


def test_early_stopping_matches_the_callbacks_loop_on_random_series() -> None:
    import random

    def keras(values: list[float], patience: int, min_delta: float) -> tuple:  # type: ignore[type-arg]
        # Keras EarlyStopping.on_epoch_end, mode="min": _is_improvement(v, best) is
        # v < best - min_delta (False for NaN); wait resets there, else stops at patience
        best, kept, wait = math.inf, None, 0
        for i, v in enumerate(values):
            if v < best - min_delta:
                best, kept, wait = v, i, 0
                continue
            wait += 1
            if wait >= patience:
                return kept, i
        return kept, None

    rng = random.Random(11)
    for _ in range(3000):
        n = rng.randint(0, 40)
        values = [
            rng.choice([NAN, math.inf, -math.inf])
            if rng.random() < 0.05
            else round(1 / (1 + i) + rng.gauss(0, rng.choice([0.0, 0.01, 0.2])), 3)
            for i in range(n)
        ]
        patience, min_delta = rng.randint(1, 5), rng.choice([0.0, 0.001, 0.05, 0.3])
        assert history.early_stopping(values, patience=patience, min_delta=min_delta) == keras(
            values, patience, min_delta
        ), (values, patience, min_delta)
