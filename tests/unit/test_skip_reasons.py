"""Skip reasons are worded from the structured violation (row = first_index + 1),
never by rewriting the library's text: the library keeps its "index N", the report
says "row N+1", and text that merely looks like an index is left alone."""

from __future__ import annotations

import numpy as np

import losscli
from losscli import losses
from losscli.evaluate.summary import skip_text
from losscli.losses.accumulators import MeanAccumulator
from losscli.losses.terms import Needs, Rule


def test_the_library_says_index_and_the_report_says_row() -> None:
    acc = losses.REGISTRY["mape"].make()
    acc.update(losses.Batch("regression", [1.0, 2.0, 0.0, 3.0], [1.0, 1.0, 1.0, 1.0]))
    assert acc.skip_reason() == "mape needs a non-zero y_true; first violation at index 2"
    assert skip_text(acc) == "mape needs a non-zero y_true; first violation at row 3"


def test_text_that_looks_like_an_index_is_not_rewritten() -> None:
    # a requirement whose own words contain "first at index 5": only the position,
    # taken from the Violation, becomes a row
    needs = Needs(
        "toy", (Rule("no value first at index 5", lambda b: bool(b.y.all()), lambda b: b.y == 0),)
    )
    acc = MeanAccumulator(lambda b: b.abs_e, needs)
    acc.update(losses.Batch("regression", [1.0, 0.0], [1.0, 1.0], offset=10))
    assert acc.violation is not None and acc.violation.first_index == 11
    assert skip_text(acc) == "toy needs no value first at index 5; first violation at row 12"


def test_reasons_without_a_row_are_the_librarys_words() -> None:
    acc = losses.REGISTRY["r2"].make()
    acc.update(losses.Batch("regression", [2.0, 2.0], [1.0, 3.0]))
    assert skip_text(acc) == acc.skip_reason() == "r2 is undefined when the truth is constant"
    fine = losses.REGISTRY["mse"].make()
    fine.update(losses.Batch("regression", [1.0], [2.0]))
    assert skip_text(fine) is None


def test_the_reason_of_a_frame_names_its_row() -> None:
    import pandas as pd

    y = np.arange(1.0, 11.0)
    y[6] = 0.0  # data row 7
    report = losscli.evaluate_frame(pd.DataFrame({"y_true": y, "y_pred": y + 0.5}))
    (mape,) = [s for s in report.skipped if s.loss == "mape"]
    assert mape.reason == "mape needs a non-zero y_true; first violation at row 7"
    assert not hasattr(losses, "AT_INDEX")
