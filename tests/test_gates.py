"""losscli.evaluate.gates: the ``[MODEL:]LOSS OP NUMBER`` grammar and how gates are judged."""

from __future__ import annotations

import math

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
