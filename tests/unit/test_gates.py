"""losscli.evaluate.gates: the ``[MODEL:]LOSS OP NUMBER`` grammar and how gates are judged."""

from __future__ import annotations

import math
from typing import Any

import pytest

from losscli.errors import UsageError
from losscli.evaluate.gates import Gate, judge, parse_gate
from losscli.render.evaluate import gate_failure


@pytest.mark.parametrize(
    ("expr", "model", "loss", "op", "number"),
    [
        ("rmse>1.2", None, "rmse", ">", 1.2),
        ("pred_tree:bce>=0.7", "pred_tree", "binary_crossentropy", ">=", 0.7),
        ("  mae <= 3 ", None, "mae", "<=", 3.0),
        ("r2<0.9", None, "r2", "<", 0.9),
        ("a:b:mse<-1e-3", "a:b", "mse", "<", -0.001),
        ("L2>.5", None, "mse", ">", 0.5),
        ("pinball@0.9<0.3", None, "pinball@0.9", "<", 0.3),
        ("m>x:huber>+2", "m>x", "huber", ">", 2.0),
    ],
)
def test_parse(expr: str, model: str | None, loss: str, op: str, number: float) -> None:
    gate = parse_gate(expr)
    assert (gate.model, gate.loss, gate.op, gate.threshold) == (model, loss, op, number)
    assert gate.expr == expr


@pytest.mark.parametrize(
    "expr",
    [
        "rmse",
        "rmse=1",
        "rmse>",
        ">1",
        "rmse==1",
        "rmse=>1",
        "rmse>>1",
        ":rmse>1",
        "rmse>nan",
        "rmse>1e999",
        "__import__('os')>1",
        "pinball<1",
        "rmse@0.5>1",
        "rmse>1 2",
    ],
)
def test_malformed_or_unknown(expr: str) -> None:
    with pytest.raises(UsageError):
        parse_gate(expr)


def test_unknown_loss_lists_valid_ids() -> None:
    with pytest.raises(UsageError, match="unknown loss 'foo'; valid ids: mse, rmse"):
        parse_gate("foo>1")


@pytest.mark.parametrize(
    ("op", "value", "holds"),
    [
        (">", 1.3, True),
        (">", 1.2, False),
        (">=", 1.2, True),
        ("<", 1.1, True),
        ("<", 1.2, False),
        ("<=", 1.2, True),
        ("<=", 1.3, False),
    ],
)
def test_comparisons(op: str, value: float, holds: bool) -> None:
    assert Gate("e", None, "rmse", op, 1.2).holds(value) is holds


def test_nan_fails_the_gate() -> None:
    assert Gate("e", None, "rmse", "<", 1.0).holds(math.nan)


RESULTS = [
    ("lin", None, "rmse", 1.31),
    ("tree", None, "rmse", 0.9),
    ("lin", "g1", "rmse", 5.0),  # group rows are not gated
]


def test_judge_every_model_and_one_model() -> None:
    out = judge([parse_gate("rmse>1.2")], RESULTS, models=["lin", "tree"])
    assert [(o.model, o.value, o.failed) for o in out] == [
        ("lin", 1.31, True),
        ("tree", 0.9, False),
    ]
    assert gate_failure(out[0]) == "gate failed: rmse = 1.310 > 1.2 (model lin)"
    out = judge(
        [parse_gate("pred_tree:rmse>=0.9")],
        RESULTS,
        models=["lin", "tree"],
        aliases={"pred_tree": "tree"},
    )
    assert [(o.model, o.failed) for o in out] == [("tree", True)]


def test_judge_unknown_model_or_loss_not_evaluated() -> None:
    with pytest.raises(UsageError, match="unknown model 'x'; models are: lin, tree"):
        judge([parse_gate("x:rmse>1")], RESULTS, models=["lin", "tree"])
    with pytest.raises(UsageError, match="was not evaluated"):
        judge([parse_gate("mae>1")], RESULTS, models=["lin", "tree"])
    with pytest.raises(UsageError, match="skipped"):
        judge([parse_gate("msle>1")], RESULTS, models=["lin"], skipped={"msle": "needs y ≥ 0"})


# --------------------------------------------------------------------------- gates as data


def test_the_report_carries_the_judged_gates() -> None:
    # oracle: scikit-learn's MSE of each model; a gate fails when its comparison holds
    import pandas as pd
    from sklearn import metrics

    from losscli import evaluate_frame

    y = [3.0, -0.5, 2.0, 7.0]
    df = pd.DataFrame({"y_true": y, "pred_a": [2.5, 0.0, 2.0, 8.0], "pred_b": [3, -0.5, 2, 7.5]})
    mse_a = metrics.mean_squared_error(y, df["pred_a"])
    mse_b = metrics.mean_squared_error(y, df["pred_b"])
    report = evaluate_frame(df, losses=["mse"], fail_if=["mse>0.1", "pred_b:mse<=0.0625"])
    got = [(g.gate.expr, g.model, g.value, g.failed) for g in report.gates]
    assert got == [
        ("mse>0.1", "a", pytest.approx(mse_a), mse_a > 0.1),
        ("mse>0.1", "b", pytest.approx(mse_b), mse_b > 0.1),
        ("pred_b:mse<=0.0625", "b", pytest.approx(mse_b), mse_b <= 0.0625),
    ]
    assert report.to_dict()["gates"][0] == {
        "expr": "mse>0.1",
        "model": "a",
        "group": None,
        "value": report.gates[0].value,
        "failed": True,
        "judged": "point",
    }
    assert evaluate_frame(df, losses=["mse"]).gates == []


def test_a_malformed_gate_is_refused_before_the_file_is_read(tmp_path: Any) -> None:
    from losscli.evaluate import evaluate_file

    with pytest.raises(UsageError, match="malformed --fail-if"):
        evaluate_file(str(tmp_path / "missing.csv"), fail_if=["rmse>>1"])


def test_a_gate_on_a_loss_not_evaluated_is_a_usage_error() -> None:
    import pandas as pd

    from losscli import evaluate_frame

    df = pd.DataFrame({"y_true": [1.0, 2.0, 3.0], "y_pred": [1.5, 2.0, 2.5]})
    with pytest.raises(UsageError, match="names loss 'mae', which was not evaluated"):
        evaluate_frame(df, losses=["mse"], fail_if=["mae>1"])


def test_gates_import_no_renderer() -> None:
    # gates are data: parsing and judging never load the rendering layer (nor rich)
    import subprocess
    import sys

    code = (
        "import sys, losscli.evaluate.gates as g; g.parse_gates(['rmse>1']); "
        "print(sorted(m for m in sys.modules if m.startswith(('losscli.render', 'rich'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --------------------------------------------------------------------------- comparative gates


@pytest.mark.parametrize(
    ("expr", "model", "op", "other", "loss"),
    [
        ("tree:rmse > linear:rmse", "tree", ">", "linear", "rmse"),
        ("tree:rmse>linear:rmse", "tree", ">", "linear", "rmse"),
        (" a:L2 <= b:mse ", "a", "<=", "b", "mse"),  # an alias on one side
        ("m>x:mae < y:mae", "m>x", "<", "y", "mae"),  # an operator inside a model name
        ("a:b:mse >= c:mse", "a:b", ">=", "c", "mse"),
        ("a:pinball@0.9 > b:pinball@0.9", "a", ">", "b", "pinball@0.9"),
        ("pred_a:bce>pred_b:log_loss", "pred_a", ">", "pred_b", "binary_crossentropy"),
    ],
)
def test_parse_comparative(expr: str, model: str, op: str, other: str, loss: str) -> None:
    gate = parse_gate(expr)
    assert (gate.model, gate.op, gate.other, gate.loss) == (model, op, other, loss)
    assert gate.comparative and gate.threshold == 0.0


@pytest.mark.parametrize(
    ("expr", "needle"),
    [
        ("tree:rmse > linear:mae", "compares rmse with mae"),
        ("tree:rmse > linear:foo", "unknown loss 'foo'"),
        ("tree:rmse >> linear:rmse", "malformed"),
        ("tree:rmse = linear:rmse", "malformed"),
        ("rmse > linear:rmse", "malformed"),  # both sides name their model
        ("tree:rmse > :rmse", "empty model name"),
        ("tree:rmse > linear:", "malformed"),
        ("tree:pinball > linear:pinball", "say which quantile"),
    ],
)
def test_malformed_comparative(expr: str, needle: str) -> None:
    with pytest.raises(UsageError, match=needle):
        parse_gate(expr)


def test_threshold_gates_still_parse_as_before() -> None:
    # a threshold gate whose model name ends in ':rmse>…' is still read from the right
    gate = parse_gate("a:rmse>b:rmse>1")
    assert (gate.model, gate.loss, gate.threshold, gate.other) == ("a:rmse>b", "rmse", 1.0, None)


def test_comparative_on_point_values_without_ci() -> None:
    # Δ = 1.31 − 0.9 = 0.41 > 0: 'lin:rmse > tree:rmse' holds, so the gate fails
    out = judge([parse_gate("lin:rmse > tree:rmse")], RESULTS, models=["lin", "tree"])
    assert [(o.model, o.other, o.failed, o.judged) for o in out] == [("lin", "tree", True, "point")]
    assert out[0].value == pytest.approx(1.31 - 0.9)
    out = judge([parse_gate("tree:rmse >= lin:rmse")], RESULTS, models=["lin", "tree"])
    assert not out[0].failed
    assert out[0].to_dict() == {
        "expr": "tree:rmse >= lin:rmse",
        "model": "tree",
        "group": None,
        "value": pytest.approx(0.9 - 1.31),
        "failed": False,
        "judged": "point",
        "other": "lin",
        "ci_low": None,
        "ci_high": None,
        "p_value": None,
    }
    assert "Δ = -0.4100 on the point values" in gate_failure(
        judge([parse_gate("tree:rmse < lin:rmse")], RESULTS, models=["lin", "tree"])[0]
    )


def test_comparative_unknown_model_or_itself() -> None:
    with pytest.raises(UsageError, match="unknown model 'x'; models are: lin, tree"):
        judge([parse_gate("x:rmse > tree:rmse")], RESULTS, models=["lin", "tree"])
    with pytest.raises(UsageError, match="with itself"):
        judge(
            [parse_gate("pred_tree:rmse > tree:rmse")],
            RESULTS,
            models=["lin", "tree"],
            aliases={"pred_tree": "tree"},
        )
    with pytest.raises(UsageError, match="not evaluated"):
        judge([parse_gate("lin:mae > tree:mae")], RESULTS, models=["lin", "tree"])


# --------------------------------------------------------------------------- gates on --ci


def ci_report(p_value: float | None = 0.001, correction: str = "none") -> Any:
    """A hand-built --ci report: three models, rmse of a = 1.31 [1.25, 1.37],
    b = 1.22 [1.15, 1.30], c = 1.0 [0.9, 1.1]; baseline a; Δ(b − a) = −0.09 with
    interval [−0.14, −0.04] and the given p; Δ(c − a) = −0.31, p = 0.2."""
    from losscli.evaluate.report import ComparisonRow, EvaluationReport, Result

    return EvaluationReport(
        file="f.csv",
        task="regression",
        rows=500,
        target="y",
        weight=None,
        group_by=None,
        models=["a", "b", "c"],
        classes=None,
        params={},
        overall=[
            Result("a", None, "rmse", 1.31, 500, 1.25, 1.37),
            Result("b", None, "rmse", 1.22, 500, 1.15, 1.30),
            Result("c", None, "rmse", 1.0, 500, None, None),
        ],
        skipped=[],
        losses=["rmse"],
        model_columns={"a": ["pred_a"], "b": ["pred_b"], "c": ["pred_c"]},
        comparisons=[
            ComparisonRow("b", "a", None, "rmse", -0.09, -0.14, -0.04, p_value, "better"),
            ComparisonRow("c", "a", None, "rmse", -0.31, -0.5, 0.05, 0.2, "no sig"),
        ],
        bootstrap={"level": 0.95, "baseline": "a", "correction": correction},
    )


@pytest.mark.parametrize(
    ("expr", "failed"),
    [
        ("rmse>1.2", [True, False, False]),  # a: 1.25 > 1.2; b: 1.15 is not; c: point 1.0
        ("rmse>=1.25", [True, False, False]),  # the end itself counts with >=
        ("rmse>1.25", [False, False, False]),
        ("rmse<1.31", [False, True, True]),  # b: 1.30 < 1.31; c has no interval: 1.0 < 1.31
        ("rmse<=1.30", [False, True, True]),
    ],
)
def test_gate_on_ci_needs_the_whole_interval(expr: str, failed: list[bool]) -> None:
    from losscli.evaluate.gates import judge_report

    out = judge_report([parse_gate(expr)], ci_report(), gate_on="ci")
    assert [o.failed for o in out] == failed
    assert [o.judged for o in out] == ["ci", "ci", "point"]  # c's interval is undefined
    assert out[0].to_dict()["ci_low"] == 1.25 and out[0].to_dict()["ci_high"] == 1.37
    assert "ci_low" not in out[2].to_dict()


def test_gate_on_point_ignores_the_intervals_and_ci_needs_ci() -> None:
    from losscli.evaluate.gates import judge_report

    out = judge_report([parse_gate("rmse>1.2")], ci_report())
    assert [(o.failed, o.judged) for o in out] == [
        (True, "point"),
        (True, "point"),
        (False, "point"),
    ]
    with pytest.raises(UsageError, match="--gate-on ci judges the intervals of --ci"):
        judge([parse_gate("rmse>1.2")], RESULTS, models=["lin", "tree"], gate_on="ci")
    with pytest.raises(UsageError, match="--gate-on 'both'"):
        judge([parse_gate("rmse>1.2")], RESULTS, models=["lin", "tree"], gate_on="both")


@pytest.mark.parametrize(
    ("expr", "p", "failed", "value"),
    [
        ("b:rmse < a:rmse", 0.001, True, -0.09),  # b lower, significantly: holds → fails
        ("b:rmse < a:rmse", 0.06, False, -0.09),  # lower, but p ≥ 0.05: passes
        ("b:rmse > a:rmse", 0.001, False, -0.09),  # significant, the other direction
        ("a:rmse > b:rmse", 0.001, True, 0.09),  # the baseline on the left: Δ negated
        ("pred_a:rmse > pred_b:rmse", 0.001, True, 0.09),  # models named by column
        ("c:rmse < a:rmse", 0.001, False, -0.31),  # c's own p (0.2) is judged
    ],
)
def test_comparative_with_ci_fails_only_when_significant(
    expr: str, p: float, failed: bool, value: float
) -> None:
    from losscli.evaluate.gates import judge_report

    (out,) = judge_report([parse_gate(expr)], ci_report(p_value=p))
    assert (out.failed, out.judged) == (failed, "difference")
    assert out.value == pytest.approx(value)
    if value > 0:  # the interval of −Δ is the negated, swapped interval of Δ
        assert (out.ci_low, out.ci_high) == (pytest.approx(0.04), pytest.approx(0.14))


def test_comparative_with_ci_wording_and_json() -> None:
    from losscli.evaluate.gates import judge_report

    (out,) = judge_report([parse_gate("a:rmse > b:rmse")], ci_report())
    assert gate_failure(out) == (
        "gate failed: a:rmse > b:rmse (Δ = +0.09000 [0.0400, 0.1400], p = 0.001: "
        "significant at 95%)"
    )
    assert out.to_dict() == {
        "expr": "a:rmse > b:rmse",
        "model": "a",
        "group": None,
        "value": pytest.approx(0.09),
        "failed": True,
        "judged": "difference",
        "other": "b",
        "ci_low": pytest.approx(0.04),
        "ci_high": pytest.approx(0.14),
        "p_value": 0.001,
    }


def test_comparative_with_ci_needs_the_baseline_on_one_side() -> None:
    from losscli.evaluate.gates import judge_report

    with pytest.raises(
        UsageError,
        match=r"compared with the baseline 'a' only; .* make 'c' the baseline with --baseline",
    ):
        judge_report([parse_gate("b:rmse > c:rmse")], ci_report())


def test_comparative_without_a_p_value_falls_back_to_the_point_values() -> None:
    from losscli.evaluate.gates import judge_report

    (out,) = judge_report([parse_gate("b:rmse < a:rmse")], ci_report(p_value=None))
    assert (out.failed, out.judged, out.value) == (True, "point", pytest.approx(1.22 - 1.31))


def test_ci_gate_failure_line() -> None:
    from losscli.evaluate.gates import judge_report

    out = judge_report([parse_gate("a:rmse>1.2")], ci_report(), gate_on="ci")
    assert gate_failure(out[0]) == (
        "gate failed: rmse = 1.310 [1.25, 1.37] > 1.2 (model a; judged on the whole 95% interval)"
    )


def test_a_tiny_p_value_reads_p_below() -> None:
    from losscli.evaluate.gates import judge_report

    (out,) = judge_report([parse_gate("a:rmse > b:rmse")], ci_report(p_value=0.000999))
    assert gate_failure(out).endswith(", p < 0.001: significant at 95%)")
