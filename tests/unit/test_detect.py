"""losscli.detect: layouts found without flags, flags, ambiguity, task inference."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from losscli.detect import Layout, ModelCols, detect_layout, infer_task, infer_task_from_truth
from losscli.errors import InputError, UsageError


@pytest.mark.parametrize(
    ("columns", "target", "models"),
    [
        (["y_true", "y_pred"], "y_true", [("y_pred", ("y_pred",))]),
        (["target", "prediction"], "target", [("prediction", ("prediction",))]),
        (["label", "prob"], "label", [("prob", ("prob",))]),
        (["actual", "predicted"], "actual", [("predicted", ("predicted",))]),
        (["Y_True", "Y_PRED"], "Y_True", [("Y_PRED", ("Y_PRED",))]),
        (
            ["y_true", "pred_linear", "pred_tree"],
            "y_true",
            [("linear", ("pred_linear",)), ("tree", ("pred_tree",))],
        ),
        (["id", "target", "prediction", "w"], "target", [("prediction", ("prediction",))]),
    ],
)
def test_layouts_without_flags(
    columns: list[str], target: str, models: list[tuple[str, tuple[str, ...]]]
) -> None:
    layout = detect_layout(columns)
    assert layout.target == target
    assert [(m.name, m.columns) for m in layout.models] == models
    assert not layout.multiclass


@pytest.mark.parametrize("prefix", ["prob_", "proba_", "p_", "PROB_"])
def test_multiclass_prefixes(prefix: str) -> None:
    layout = detect_layout(["label", f"{prefix}cat", f"{prefix}dog", f"{prefix}bird"])
    assert layout.multiclass
    assert layout.target == "label"
    assert layout.classes == ("cat", "dog", "bird")
    assert layout.models[0].columns == (f"{prefix}cat", f"{prefix}dog", f"{prefix}bird")


def test_flags_pick_columns() -> None:
    layout = detect_layout(["a", "b", "c"], true="a", preds=["c", "b"])
    assert layout == Layout("a", (ModelCols("c", ("c",)), ModelCols("b", ("b",))), False)


def test_pred_pattern_and_class_order_of_second_model() -> None:
    layout = detect_layout(
        ["lab", "m1_x", "m1_y", "m2_y", "m2_x"], true="lab", preds=["m1_*", "m2_*"]
    )
    assert [m.name for m in layout.models] == ["m1", "m2"]
    assert layout.models[1].columns == ("m2_x", "m2_y")  # reordered to the first's classes


def test_pred_pattern_needs_two_columns() -> None:
    with pytest.raises(InputError, match="matches 1 column"):
        detect_layout(["label", "prob_a", "x"], preds=["prob_*"])


def test_pred_pattern_needs_one_star() -> None:
    with pytest.raises(UsageError, match="exactly one"):
        detect_layout(["label", "prob_a"], preds=["p*_*"])


def test_truth_found_when_preds_given() -> None:
    layout = detect_layout(["target", "m1", "m2"], preds=["m1", "m2"])
    assert layout.target == "target"


def test_unknown_column_lists_columns() -> None:
    with pytest.raises(InputError) as info:
        detect_layout(["a", "b"], true="zz", source="f.csv")
    assert str(info.value) == "column 'zz' (--true) not found in f.csv; columns are: a, b"


def test_no_guess_shows_the_flags() -> None:
    with pytest.raises(InputError) as info:
        detect_layout(["a", "b"], source="f.csv")
    message = str(info.value)
    assert "columns are: a, b" in message and "--true COL --pred COL" in message


def test_ambiguous_truth() -> None:
    with pytest.raises(InputError, match="more than one column could be the truth"):
        detect_layout(["target", "label", "x"], source="f.csv")


def test_ambiguous_class_families() -> None:
    with pytest.raises(InputError, match="more than one set of class-probability columns"):
        detect_layout(["label", "prob_a", "prob_b", "p_a", "p_b"])


def test_truth_without_predictions() -> None:
    with pytest.raises(InputError, match="no prediction column"):
        detect_layout(["y_true", "x"])
    assert detect_layout(["y_true", "x"], require_pred=False).models == ()


def test_excluded_columns_are_not_predictions() -> None:
    layout = detect_layout(["y_true", "y_pred", "pred_w"], exclude=["pred_w"])
    assert [m.name for m in layout.models] == ["y_pred"]


def test_suffix_names_that_clash_fall_back_to_columns() -> None:
    layout = detect_layout(["y", "tree", "pred_tree"], true="y", preds=["tree", "pred_tree"])
    assert [m.name for m in layout.models] == ["tree", "pred_tree"]


LAYOUT = Layout("y", (ModelCols("p", ("p",)),), False)


@pytest.mark.parametrize(
    ("truth", "pred", "task"),
    [
        ([0, 1, 1, 0], [0.1, 0.9, 0.5, 0.0], "binary"),
        ([0.0, 1.0, np.nan], [0.2, 0.3, 0.4], "binary"),
        ([True, False], [0.2, 0.3], "binary"),
        ([0, 1, 2], [0.1, 0.9, 0.5], "regression"),
        ([0, 1, 1], [-0.5, 2.0, 1.0], "regression"),
        ([3.5, 2.0], [3.0, 2.5], "regression"),
        (["yes", "no", "yes"], [0.2, 0.3, 0.9], "binary"),
        (["1", "0"], [0.2, 0.3], "binary"),
    ],
)
def test_infer_task(truth: list[object], pred: list[float], task: str) -> None:
    assert infer_task(pd.Series(truth), pd.Series(pred), LAYOUT) == task
    assert infer_task(np.asarray(truth), np.asarray(pred), LAYOUT) == task


def test_infer_task_multiclass_and_text_labels() -> None:
    multi = detect_layout(["label", "prob_a", "prob_b"])
    assert infer_task(pd.Series(["a"]), None, multi) == "multiclass"
    with pytest.raises(InputError, match="3 text labels"):
        infer_task(pd.Series(["a", "b", "c"]), pd.Series([0.1, 0.2, 0.3]), LAYOUT)
    assert infer_task(pd.Series([0, 1]), None, LAYOUT) == "binary"


def test_spaces_around_names_do_not_count() -> None:
    layout = detect_layout(["y_true", " y_pred", " pred_tree "])
    assert layout.target == "y_true"
    assert [(m.name, m.columns) for m in layout.models] == [
        ("y_pred", (" y_pred",)),
        ("tree", (" pred_tree ",)),
    ]


@pytest.mark.parametrize(
    ("truth", "task"),
    [
        # the rule, case by case: text labels -> binary when exactly two, else
        # multiclass; numbers (or numeric text) in {0, 1} -> binary; else regression
        (["cat", "dog", "cat", None], "binary"),
        (["cat", "dog", "bird"], "multiclass"),
        (["0", "1", "1"], "binary"),
        ([0.0, 1.0, np.nan, 1.0], "binary"),
        ([True, False, True], "binary"),
        ([0.0, 1.0, 2.0], "regression"),
        ([1.5, 2.5], "regression"),
    ],
)
def test_infer_task_from_truth_alone(truth: list[object], task: str) -> None:
    assert infer_task_from_truth(np.asarray(truth, dtype=object)) == task


# --------------------------------------------------------------- session 7: names that mislead


@pytest.mark.parametrize(
    ("columns", "ignored"),
    [
        (
            ["true", "pred", "prob_pred", "prob_true"],
            (("prob_pred", "pred"), ("prob_true", "true")),
        ),
        (["true", "pred", "prob_true"], (("prob_true", "true"),)),
        (["y_true", "y_pred", "p_y_pred"], (("p_y_pred", "y_pred"),)),
    ],
)
def test_prob_of_another_column_is_left_out(
    columns: list[str], ignored: tuple[tuple[str, str], ...]
) -> None:
    layout = detect_layout(columns)
    assert [m.columns for m in layout.models] == [(columns[1],)]
    assert not layout.multiclass
    assert layout.ignored == ignored


@pytest.mark.parametrize(
    "columns",
    [
        ["label", "prob_false", "prob_true"],  # no column 'false' (nor 'true'): classes
        ["true", "prob_false", "prob_true"],  # 'false' is no column: the prefix is classes
    ],
)
def test_a_prefix_with_a_class_that_names_no_column_stays_classes(columns: list[str]) -> None:
    layout = detect_layout(columns)
    assert layout.multiclass and layout.classes == ("false", "true")
    assert layout.ignored == ()


def test_numbered_from_zero_is_refused_numbered_from_one_is_models() -> None:
    with pytest.raises(InputError, match=r"pred_0, pred_1 in f\.csv could be"):
        detect_layout(["target", "pred_0", "pred_1"], source="f.csv")
    layout = detect_layout(["y", *(f"pred_{i}" for i in range(1, 9))])
    assert [m.name for m in layout.models] == [str(i) for i in range(1, 9)]
    layout = detect_layout(["target", "pred_0", "pred_1"], preds=["pred_*"])
    assert layout.classes == ("0", "1")


def test_probability_prefix_and_names() -> None:
    layout = detect_layout(["target", "prediction", "probability_0", "probability_1"])
    assert layout.classes == ("0", "1")
    for name in ("y_probability", "y_probs", "probs"):
        layout = detect_layout(["y_true", "y_pred", name])
        assert [m.columns for m in layout.models] == [(name,)]
        assert layout.unused == ((name, "y_pred", name),)


def test_numbers_as_names_say_the_first_line_may_be_data() -> None:
    """A Spark part without a header, a text column beside the numbers."""
    with pytest.raises(InputError, match=r"line 1 holds numbers \(-1\.93, 0\.41\).*--columns"):
        detect_layout(["-1.93", "0.41", "north"], source="part-0.csv")
