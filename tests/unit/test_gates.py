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
