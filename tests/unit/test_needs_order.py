"""A loss with two data rules names its earliest violating row, wherever the batches
are cut (``Needs.find``: the earliest row across the rules, the first rule on it).

Oracle: the earliest row breaking any rule, found by numpy on the whole data in the
test (msle: y < 0 or ŷ < 0; poisson_deviance: y < 0 or ŷ ≤ 0; msle under the sklearn
convention: y ≤ -1 or ŷ ≤ -1), with rows of weight 0 left out (they break no rule).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import losscli
from losscli import losses
from losscli.errors import InputError, LossInputError
from losscli.losses.terms import NEEDS
from losscli.tasks import REGRESSION

CHUNKS = [1, 2, 7, 65536]
#: loss, convention, (truth rule, prediction rule) as numpy masks, their wording
CASES = [
    ("msle", "losscli", lambda y: y < 0, lambda p: p < 0, ("y_true ≥ 0", "y_pred ≥ 0")),
    (
        "poisson_deviance",
        "losscli",
        lambda y: y < 0,
        lambda p: p <= 0,
        ("y_true ≥ 0", "y_pred > 0"),
    ),
    ("msle", "sklearn", lambda y: y <= -1, lambda p: p <= -1, ("y_true > -1", "y_pred > -1")),
]


def _data(seed: int, n: int = 300) -> pd.DataFrame:
    """Positive data with a few rows breaking each rule, the prediction rule's first
    row before the truth rule's (so a batch holding only the later truth row must not
    win); one row breaks both."""
    rng = np.random.default_rng(seed)
    y = rng.uniform(1.0, 5.0, n)
    p = rng.uniform(1.0, 5.0, n)
    p_rows = np.sort(rng.choice(np.arange(10, n), 4, replace=False))
    y_rows = np.sort(rng.choice(np.arange(int(p_rows[0]) + 1, n), 4, replace=False))
    y[y_rows], p[p_rows] = -3.0, -3.0
    y[p_rows[-1]] = -3.0  # (a row breaking both rules)
    return pd.DataFrame({"y_true": y, "y_pred": p, "g": rng.integers(0, 3, n)})


def _expected(frame: pd.DataFrame, y_rule, p_rule, words, weight=None) -> str:  # type: ignore[no-untyped-def]
    y, p = frame["y_true"].to_numpy(), frame["y_pred"].to_numpy()
    counted = np.ones(len(y), bool) if weight is None else weight > 0
    first = int(np.flatnonzero((y_rule(y) | p_rule(p)) & counted)[0])
    what = words[0] if y_rule(y[first]) else words[1]  # (the truth rule first on a row)
    return f"needs {what}; first violation at row {first + 1}"


@pytest.mark.parametrize(("loss", "convention", "y_rule", "p_rule", "words"), CASES)
@pytest.mark.parametrize("by", [None, "g"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_named_row_does_not_depend_on_the_chunks(  # type: ignore[no-untyped-def]
    loss, convention, y_rule, p_rule, words, by, seed
) -> None:
    frame = _data(seed)
    expected = _expected(frame, y_rule, p_rule, words)
    for chunk_rows in CHUNKS:
        with pytest.raises(InputError) as caught:
            losscli.evaluate_frame(
                frame,
                losses=[loss],
                by=by,
                convention=convention,
                chunk_rows=chunk_rows,
                task="regression",
            )
        assert str(caught.value).endswith(expected), (chunk_rows, str(caught.value))


@pytest.mark.parametrize("chunk_rows", CHUNKS)
def test_a_skipped_default_loss_names_the_same_row(chunk_rows: int) -> None:
    frame = _data(4)
    expected = _expected(frame, *CASES[0][2:])
    report = losscli.evaluate_frame(frame, chunk_rows=chunk_rows, task="regression")
    (skip,) = [s for s in report.skipped if s.loss == "msle"]
    assert skip.reason.endswith(expected), skip.reason


@pytest.mark.parametrize("chunk_rows", CHUNKS)
def test_rows_of_weight_zero_break_no_rule(chunk_rows: int) -> None:
    frame = _data(5)
    y, p = frame["y_true"].to_numpy(), frame["y_pred"].to_numpy()
    w = np.ones(len(frame))
    w[np.flatnonzero((y < 0) | (p < 0))[:2]] = 0.0  # the first two violating rows
    frame["w"] = w
    expected = _expected(frame, *CASES[0][2:], weight=w)
    with pytest.raises(InputError, match=expected.replace("≥", ".")):
        losscli.evaluate_frame(frame, losses=["msle"], weight="w", chunk_rows=chunk_rows)


def test_find_takes_the_earliest_row_across_rules() -> None:
    # row 1 breaks the prediction rule, row 3 the truth rule: row 1 (rule 1) wins,
    # though rule 0 is checked first; on row 0 breaking both, rule 0 is named
    y = np.array([1.0, 2.0, 3.0, -1.0, 2.0])
    p = np.array([1.0, -2.0, 3.0, 1.0, -2.0])
    needs = NEEDS["msle"]
    assert needs.find(losses.Batch(REGRESSION, y, p)) == (1, 1)
    assert needs.find(losses.Batch(REGRESSION, y, p, offset=10)) == (11, 1)
    both = losses.Batch(REGRESSION, np.array([-1.0, 2.0]), np.array([-1.0, -1.0]))
    assert needs.find(both) == (0, 0)
    with pytest.raises(LossInputError, match="y_pred ≥ 0; first violation at index 1"):
        losses.msle(y, p)
