"""``losscli recommend`` from flags: every table row, alias, combination and misfit,
the JSON shape and the table output."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from losscli import recommend as rules
from losscli.cli import app
from losscli.errors import UsageError
from losscli.losses import registry

from conftest import Cli, runner

_cli = Cli("recommend")
run_json, run_error = _cli.run_json, _cli.error_text


JSON_KEYS = [
    "schema",
    "task",
    "conditions",
    "recommended",
    "alternatives",
    "params",
    "reasons",
    "evidence",
]


# --------------------------------------------------------------------- every row

# (flags, task, conditions, recommended, alternatives, params, matched row)
ROWS: list[tuple[list[str], str, list[str], list[str], list[str], dict[str, Any], str]] = [
    (["--task", "regression"], "regression", [], ["mse"], ["rmse", "mae"], {}, "regression"),
    (
        ["--task", "regression", "--outliers"],
        "regression",
        ["outliers"],
        ["mae", "huber"],
        ["log_cosh"],
        {"huber": {"delta": 1.0}},
        "regression+outliers",
    ),
    (
        ["--task", "regression", "--asymmetric", "under"],
        "regression",
        ["asymmetric_under"],
        ["asymmetric_mse"],
        ["pinball"],
        # under-prediction twice as costly: weights 2:1, quantile 2 / (2 + 1) = 0.667
        {
            "asymmetric_mse": {"weight_under": 2.0, "weight_over": 1.0},
            "pinball": {"quantile": 0.667},
        },
        "regression+asymmetric_under",
    ),
    (
        ["--task", "regression", "--asymmetric", "over"],
        "regression",
        ["asymmetric_over"],
        ["asymmetric_mse"],
        ["pinball"],
        # over-prediction twice as costly: weights 1:2, quantile 1 / (1 + 2) = 0.333
        {
            "asymmetric_mse": {"weight_under": 1.0, "weight_over": 2.0},
            "pinball": {"quantile": 0.333},
        },
        "regression+asymmetric_over",
    ),
    (
        ["--task", "regression", "--quantile", "0.9"],
        "regression",
        ["quantile"],
        ["pinball"],
        [],
        {"pinball": {"quantile": 0.9}},
        "regression+quantile",
    ),
    (
        ["--task", "regression", "--counts"],
        "regression",
        ["counts"],
        ["poisson_deviance"],
        ["mse"],
        {},
        "regression+counts",
    ),
    (
        ["--task", "binary"],
        "binary",
        [],
        ["binary_crossentropy"],
        ["brier", "focal"],
        {"binary_crossentropy": {"eps": 1e-7}, "focal": {"gamma": 2.0, "eps": 1e-7}},
        "binary",
    ),
    (
        ["--task", "multiclass"],
        "multiclass",
        [],
        ["categorical_crossentropy"],
        ["brier"],
        {"categorical_crossentropy": {"eps": 1e-7}},
        "multiclass",
    ),
    (
        ["--task", "binary", "--imbalanced"],
        "binary",
        ["imbalanced"],
        ["weighted_binary_crossentropy"],
        ["focal"],
        {"weighted_binary_crossentropy": {"class_weight": "balanced", "eps": 1e-7}},
        "binary+imbalanced",
    ),
    (
        ["--task", "multiclass", "--imbalanced"],
        "multiclass",
        ["imbalanced"],
        ["weighted_categorical_crossentropy"],
        ["focal"],
        {"weighted_categorical_crossentropy": {"class_weight": "balanced", "eps": 1e-7}},
        "multiclass+imbalanced",
    ),
]


def test_rows_cover_the_whole_selection_table() -> None:
    assert sorted(row[-1] for row in ROWS) == sorted(rule.key for rule in rules.SELECTION)


@pytest.mark.parametrize(
    ("flags", "task", "conditions", "recommended", "alternatives", "params", "key"),
    ROWS,
    ids=[row[-1] for row in ROWS],
)
def test_every_row_of_the_table(
    flags: list[str],
    task: str,
    conditions: list[str],
    recommended: list[str],
    alternatives: list[str],
    params: dict[str, Any],
    key: str,
) -> None:
    doc = run_json(*flags)
    assert doc["task"] == task
    assert doc["conditions"] == conditions
    assert doc["recommended"] == recommended
    assert doc["alternatives"] == alternatives
    for loss, expected in params.items():
        assert doc["params"][loss] == expected
    assert list(doc["reasons"]) == recommended + alternatives
    assert doc["evidence"] is None
    # the library gives the same answer and marks exactly this row
    rec = rules.recommend(
        task,
        outliers="--outliers" in flags,
        imbalanced="--imbalanced" in flags,
        asymmetric=flags[flags.index("--asymmetric") + 1] if "--asymmetric" in flags else None,
        quantile=float(flags[flags.index("--quantile") + 1]) if "--quantile" in flags else None,
        counts="--counts" in flags,
    )
    assert rec.matched == (key,)
    assert list(rec.recommended) == recommended


@pytest.mark.parametrize(("flags", "key"), [(row[0], row[-1]) for row in ROWS])
def test_table_marks_the_matching_row_only(flags: list[str], key: str) -> None:
    result = runner.invoke(app, ["recommend", *flags])
    assert result.exit_code == 0, result.output
    marked = [line for line in result.stdout.splitlines() if "▶" in line]
    assert len(marked) == 1
    assert rules.BY_KEY[key].label in marked[0]


def test_pinball_quantile_follows_the_flag() -> None:
    assert run_json("--task", "regression", "--quantile", "0.1")["params"]["pinball"] == {
        "quantile": 0.1
    }


# -------------------------------------------------------------------- aliases


@pytest.mark.parametrize(
    ("name", "task"),
    [
        ("regression", "regression"),
        ("linear-regression", "regression"),
        ("Linear-Regression", "regression"),
        ("REGRESSION", "regression"),
        ("linear_regression", "regression"),
        ("binary", "binary"),
        ("binary-classification", "binary"),
        ("Binary-Classification", "binary"),
        ("multiclass", "multiclass"),
        ("multi-class", "multiclass"),
        ("Multi-Class", "multiclass"),
        ("multiclass-classification", "multiclass"),
        ("MULTICLASS-CLASSIFICATION", "multiclass"),
    ],
)
def test_every_task_alias(name: str, task: str) -> None:
    assert run_json("--task", name)["task"] == task
    assert rules.resolve_task(name) == task


def test_aliases_cover_every_task() -> None:
    assert set(rules.TASK_ALIASES) == set(registry.TASKS)


def test_unknown_task_lists_the_choices() -> None:
    err = run_error("--task", "ranking")
    assert err.startswith("losscli: error: unknown task 'ranking'")
    assert "linear-regression" in err and "multi-class" in err
    assert len(err.strip().splitlines()) == 1


# -------------------------------------------------------- invalid combinations

REGRESSION_ONLY = [
    ["--outliers"],
    ["--asymmetric", "under"],
    ["--asymmetric", "over"],
    ["--quantile", "0.9"],
    ["--counts"],
]


@pytest.mark.parametrize("task", ["binary", "multiclass", "binary-classification", "multi-class"])
@pytest.mark.parametrize("flag", REGRESSION_ONLY, ids=lambda f: " ".join(f))
def test_regression_conditions_do_not_fit_classification(task: str, flag: list[str]) -> None:
    err = run_error("--task", task, *flag)
    assert f"{flag[0]} does not fit task" in err
    assert "fit regression" in err and "--imbalanced fits binary and multiclass" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("task", ["regression", "linear-regression"])
def test_imbalanced_does_not_fit_regression(task: str) -> None:
    err = run_error("--task", task, "--imbalanced")
    assert "--imbalanced does not fit task 'regression'" in err
    assert "--imbalanced fits binary and multiclass" in err


def test_several_misfits_are_named_together() -> None:
    err = run_error("--task", "binary", "--outliers", "--counts", "--imbalanced")
    assert "--outliers, --counts does not fit task 'binary'" in err


@pytest.mark.parametrize(
    "flags",
    [["--imbalanced"], ["--outliers", "--imbalanced"], ["--counts", "--imbalanced"]],
)
def test_imbalanced_without_a_task(flags: list[str]) -> None:
    err = run_error(*flags)
    assert "--imbalanced" in err and ("binary" in err or "fit" in err)


@pytest.mark.parametrize("q", ["0", "1", "1.5", "-0.2"])
def test_quantile_outside_zero_one(q: str) -> None:
    err = run_error("--task", "regression", "--quantile", q)
    assert "--quantile must be strictly between 0 and 1" in err


@pytest.mark.parametrize(
    ("side", "q"), [("under", "0.3"), ("under", "0.5"), ("over", "0.7"), ("over", "0.5")]
)
def test_asymmetry_and_quantile_on_opposite_sides(side: str, q: str) -> None:
    err = run_error("--task", "regression", "--asymmetric", side, "--quantile", q)
    assert f"--asymmetric {side} means a quantile" in err


def test_asymmetric_takes_under_or_over() -> None:
    result = runner.invoke(app, ["recommend", "--task", "regression", "--asymmetric", "sideways"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert run_json("--task", "regression", "--asymmetric", "UNDER")["conditions"] == [
        "asymmetric_under"
    ]
    with pytest.raises(UsageError):
        rules.recommend("regression", asymmetric="sideways")


@pytest.mark.parametrize("flag", [["--true", "y"], ["--pred", "p"], ["--format", "csv"]])
def test_file_flags_need_from(flag: list[str]) -> None:
    assert f"{flag[0]} needs --from FILE" in run_error("--task", "regression", *flag)


def test_json_needs_something_to_recommend() -> None:
    result = runner.invoke(app, ["recommend", "--output", "json"])
    assert result.exit_code == 2
    assert "nothing to recommend" in result.stderr


# ------------------------------------------------------------ combinations


def test_regression_conditions_imply_the_task() -> None:
    assert run_json("--outliers")["task"] == "regression"
    assert run_json("--counts", "--quantile", "0.8")["task"] == "regression"


# (flags, recommended, alternatives, pinball quantile or None, words in the lead reason)
COMBOS: list[tuple[list[str], list[str], list[str], float | None, list[str]]] = [
    (
        ["--outliers", "--asymmetric", "under"],
        ["pinball"],
        ["huber", "asymmetric_mse"],
        0.667,
        ["Outliers and asymmetric", "robustness", "asymmetric Huber", "under-prediction"],
    ),
    (
        ["--outliers", "--asymmetric", "over"],
        ["pinball"],
        ["huber", "asymmetric_mse"],
        0.333,
        ["Outliers and asymmetric", "over-prediction"],
    ),
    (["--outliers", "--quantile", "0.9"], ["pinball"], ["huber"], 0.9, ["linearly"]),
    (
        ["--asymmetric", "under", "--quantile", "0.8"],
        ["pinball"],
        ["asymmetric_mse"],
        0.8,
        ["4×", "under-prediction"],  # 0.8 / 0.2 = 4
    ),
    (
        ["--outliers", "--counts"],
        ["poisson_deviance", "mae"],
        ["huber"],
        None,
        ["Counts with outliers", "y·log y"],
    ),
    (
        ["--asymmetric", "under", "--counts"],
        ["pinball"],
        ["poisson_deviance", "asymmetric_mse"],
        0.667,
        ["inventory", "quantile of demand"],
    ),
    (["--counts", "--quantile", "0.25"], ["pinball"], ["poisson_deviance"], 0.25, ["counts"]),
    (
        ["--outliers", "--asymmetric", "under", "--counts"],
        ["pinball"],
        ["huber", "asymmetric_mse", "poisson_deviance"],
        0.667,
        ["Several conditions"],
    ),
    (
        ["--outliers", "--quantile", "0.9", "--counts"],
        ["pinball"],
        ["huber", "poisson_deviance"],
        0.9,
        ["Several conditions"],
    ),
    (
        ["--outliers", "--asymmetric", "over", "--quantile", "0.2"],
        ["pinball"],
        ["huber", "asymmetric_mse"],
        0.2,
        ["Several conditions", "over-prediction"],
    ),
    (
        ["--asymmetric", "under", "--quantile", "0.9", "--counts"],
        ["pinball"],
        ["asymmetric_mse", "poisson_deviance"],
        0.9,
        ["Several conditions"],
    ),
    (
        ["--outliers", "--asymmetric", "under", "--quantile", "0.75", "--counts"],
        ["pinball"],
        ["huber", "asymmetric_mse", "poisson_deviance"],
        0.75,
        ["Several conditions", "3×"],  # 0.75 / 0.25 = 3
    ),
]


def test_combos_cover_every_set_of_two_or_more_regression_conditions() -> None:
    families = {"outliers", "asymmetric", "quantile", "counts"}
    seen = set()
    for flags, *_ in COMBOS:
        fam = {f.lstrip("-") for f in flags if f.startswith("--")}
        assert fam <= families
        seen.add(frozenset(fam))
    from itertools import combinations

    expected = {frozenset(c) for n in (2, 3, 4) for c in combinations(sorted(families), n)}
    assert seen == expected


@pytest.mark.parametrize(
    ("flags", "recommended", "alternatives", "q", "words"),
    COMBOS,
    ids=[" ".join(c[0]) for c in COMBOS],
)
def test_every_combination(
    flags: list[str],
    recommended: list[str],
    alternatives: list[str],
    q: float | None,
    words: list[str],
) -> None:
    doc = run_json("--task", "regression", *flags)
    assert doc["recommended"] == recommended
    assert doc["alternatives"] == alternatives
    if q is not None:
        assert doc["params"]["pinball"] == {"quantile": q}
    lead = doc["reasons"][recommended[0]]
    for word in words:
        assert word in lead
    assert not any("{" in reason or "}" in reason for reason in doc["reasons"].values())
    # asymmetric_mse weights follow the cost ratio the quantile implies: q / (1 - q)
    if "asymmetric_mse" in doc["params"] and q is not None:
        weights = doc["params"]["asymmetric_mse"]
        ratio = max(weights.values()) / min(weights.values())
        assert ratio == pytest.approx(max(q, 1 - q) / min(q, 1 - q), rel=2e-3)
        assert (weights["weight_under"] > weights["weight_over"]) == (q > 0.5)


def test_combination_table_marks_each_condition_row_and_says_how() -> None:
    result = runner.invoke(
        app, ["recommend", "--task", "regression", "--outliers", "--asymmetric", "under"]
    )
    assert result.exit_code == 0
    marked = [line for line in result.stdout.splitlines() if "▶" in line]
    assert len(marked) == 2
    assert "--outliers" in marked[0] and "--asymmetric under" in marked[1]
    assert "Conditions combined" in result.stdout
    # the reason that says how, whole, in a console wide enough not to wrap it
    rec = rules.recommend("regression", outliers=True, asymmetric="under")
    assert rec.reasons["pinball"] in render_wide(rec)


def render_wide(rec: rules.Recommendation) -> str:
    from rich.console import Console

    from losscli.render.recommend import recommend_renderable

    console = Console(width=1000, markup=False, no_color=True, force_terminal=False)
    with console.capture() as capture:
        console.print(recommend_renderable(rec))
    return capture.get()


# ------------------------------------------------------------------ JSON shape


def test_json_shape_and_key_order() -> None:
    result = runner.invoke(app, ["recommend", "--task", "regression", "--outliers", "-o", "json"])
    assert result.exit_code == 0
    assert result.stderr == ""
    doc = json.loads(result.stdout)
    assert list(doc) == JSON_KEYS
    assert doc["schema"] == "losscli.recommend/1"
    assert isinstance(doc["task"], str)
    assert all(isinstance(c, str) for c in doc["conditions"])
    assert all(loss in registry.REGISTRY for loss in doc["recommended"] + doc["alternatives"])
    assert all(isinstance(v, dict) for v in doc["params"].values())
    assert all(isinstance(v, str) and v.endswith(".") for v in doc["reasons"].values())
    assert doc["evidence"] is None


# ---------------------------------------------------------------- reasons


@pytest.mark.parametrize(
    ("loss", "words"),
    [
        ("mse", ["large errors", "outliers"]),
        ("mae", ["all errors equally"]),
        ("huber", ["MSE for small errors and MAE for large ones"]),
        ("binary_crossentropy", ["confident wrong predictions"]),
        ("categorical_crossentropy", ["confident wrong predictions"]),
        ("weighted_binary_crossentropy", ["imbalanced"]),
        ("weighted_categorical_crossentropy", ["imbalanced"]),
        ("asymmetric_mse", ["one kind of error costs more"]),
    ],
)
def test_reasons_follow_the_seed(loss: str, words: list[str]) -> None:
    for word in words:
        assert word in rules.REASONS[loss]


def test_every_loss_in_the_rules_exists_and_fits_its_task() -> None:
    for rule in rules.SELECTION:
        for loss in (*rule.recommended, *rule.alternatives):
            assert rule.task in registry.REGISTRY[loss].tasks, (rule.key, loss)
            assert loss in rules.REASONS
    for combo in (*rules.COMBINATIONS, rules.SEVERAL):
        for loss in (*combo.recommended, *combo.alternatives):
            assert "regression" in registry.REGISTRY[loss].tasks
    assert set(rules.EXTRA_ALTERNATIVES.values()) <= set(registry.REGISTRY)


# ---------------------------------------------------------------- table output


def test_table_output_has_reasons_alternatives_and_advice() -> None:
    result = runner.invoke(app, ["recommend", "--task", "binary", "--imbalanced"])
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())  # undo the wrapping of the closing advice
    assert "Recommended" in text and "Alternatives" in text
    wide = render_wide(rules.recommend("binary", imbalanced=True))
    for loss in ("weighted_binary_crossentropy", "focal"):
        assert loss in text
        assert rules.recommend("binary", imbalanced=True).reasons[loss] in wide
    assert "class_weight=balanced" in text
    assert "Selection table" in text
    assert "Always monitor validation loss" in text
    assert "losscli history" in text
    assert text.rstrip().endswith("calls overfitting.")


def test_no_option_prints_the_whole_table_and_a_hint() -> None:
    result = runner.invoke(app, ["recommend"])
    assert result.exit_code == 0
    text = result.stdout
    for rule in rules.SELECTION:
        assert rule.label in text
        for loss in rule.recommended:
            # long ids may fold across lines in the table: compare without whitespace
            assert loss in re.sub(r"[\s│]", "", text)
    assert "▶" not in text
    assert "losscli recommend --task" in " ".join(text.split())
    assert "--from FILE" in text
    assert "Always monitor validation loss" in " ".join(text.split())


def test_table_output_without_colour_when_not_a_terminal() -> None:
    result = runner.invoke(app, ["recommend", "--task", "regression"])
    assert "\x1b[" not in result.stdout
