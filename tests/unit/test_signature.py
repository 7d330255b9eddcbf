"""The signature on every evaluate output (issue 15): one line naming everything that
changes a number, parseable by ``compare`` (:func:`parse_signature`)."""

from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pytest

import losscli
from losscli.evaluate import signature
from losscli.evaluate.signature import FIELDS, differences, parse_signature
from losscli.render import evaluate as render

REG = pd.DataFrame(
    {"y_true": [3.0, -0.5, 2.0, 7.0, 1.0], "y_pred": [2.5, 0.0, 2.0, 8.0, 1.5]}
).assign(**{"a|b:c%": [1.0, 2.0, 0.0, 1.0, 1.0]})
BIN = pd.DataFrame({"y_true": [1, 0, 1, 0, 1, 0], "y_pred": [0.9, 0.2, 0.6, 0.4, 0.7, 0.1]})


def _fields(report: losscli.evaluate.EvaluationReport) -> dict[str, str]:
    assert report.signature is not None
    return parse_signature(report.signature)


def test_default_regression_signature() -> None:
    report = losscli.evaluate_frame(REG[["y_true", "y_pred"]])
    f = _fields(report)
    assert list(f) == list(FIELDS)
    assert f["losscli"] == losscli.__version__
    assert (f["task"], f["conv"], f["eps"], f["w"], f["dropna"]) == (
        "regression",
        "losscli",
        "none",  # (no regression loss clips)
        "none",
        "no",
    )
    # δ = 1, weight_under = 2, weight_over = 1: the defaults of the losses evaluated
    assert (f["delta"], f["wu"], f["wo"]) == ("1.0", "2.0", "1.0")
    assert f["ci"] == f["level"] == f["resamples"] == f["seed"] == "none"
    assert report.signature is not None and report.signature.startswith(
        f"losscli:{losscli.__version__}|task:regression|conv:losscli|eps:none|"
    )


def test_every_option_that_changes_a_number_is_named() -> None:
    report = losscli.evaluate_frame(
        REG,
        true="y_true",
        preds=["y_pred"],
        weight="a|b:c%",
        delta=2.5,
        quantiles=[0.1, 0.9],
        dropna=True,
        convention="keras",
    )
    f = _fields(report)
    assert f["w"] == "a|b:c%"  # (percent-encoded in the line, decoded here)
    assert "a%7Cb%3Ac%25" in (report.signature or "")
    assert (f["conv"], f["delta"], f["q"], f["dropna"]) == ("keras", "2.5", "0.1,0.9", "yes")
    probs = losscli.evaluate_frame(BIN, class_weight="0=1,1=4", eps=1e-3, gamma=0.5)
    f = _fields(probs)
    assert (f["eps"], f["cw"], f["gamma"]) == ("0.001", "given(0=1.0,1=4.0)", "0.5")
    balanced = losscli.evaluate_frame(BIN.assign(w=1.0), weight="w")
    assert _fields(balanced)["cw"] == "balanced-by-weight"
    assert _fields(losscli.evaluate_frame(BIN))["cw"] == "balanced-by-rows"
    scores = losscli.evaluate_frame(
        BIN.assign(y_pred=[2.0, -1.0, 0.5, 0.1, 1.0, -3.0]), logits=True
    )
    assert _fields(scores)["logits"] == "yes"


def test_signatures_differ_exactly_where_the_options_do() -> None:
    a = losscli.evaluate_frame(REG[["y_true", "y_pred"]]).signature
    b = losscli.evaluate_frame(REG[["y_true", "y_pred"]], delta=2.0).signature
    again = losscli.evaluate_frame(REG[["y_true", "y_pred"]]).signature
    assert a is not None and b is not None and a == again
    assert differences(a, b) == ["delta: 1.0 ≠ 2.0"]
    c = losscli.evaluate_frame(REG[["y_true", "y_pred"]], convention="torch").signature
    assert c is not None
    assert differences(a, c) == ["conv: losscli ≠ torch"]
    assert differences(a, a.replace("losscli:0", "losscli:9"), ignore=("losscli",)) == []


def test_bootstrap_fields() -> None:
    report = losscli.evaluate_frame(REG[["y_true", "y_pred"]])
    boot = {"method": "percentile", "level": 0.95, "resamples": 2000, "seed": 7}
    line = signature.build(dataclasses.replace(report, bootstrap=boot))
    f = parse_signature(line)
    assert (f["ci"], f["level"], f["resamples"], f["seed"]) == ("percentile", "0.95", "2000", "7")


def test_the_ci_field_is_a_short_id_of_the_method() -> None:
    from losscli.uncertainty.analysis import Settings

    report = losscli.evaluate_frame(REG[["y_true", "y_pred"]], ci=0.9, resamples=500, seed=3)
    line = report.signature
    assert line is not None
    # the engine's method text (written whole in the JSON's bootstrap.method) is one id
    assert report.bootstrap is not None and report.bootstrap["method"] == Settings().method
    assert line.endswith("|ci:pct-poisson|level:0.9|resamples:500|seed:3")
    assert "%" not in line
    f = parse_signature(line)
    assert (f["ci"], f["level"], f["resamples"], f["seed"]) == ("pct-poisson", "0.9", "500", "3")
    assert signature.build(report) == line  # (stable: a pure function of the report)
    # the paired test and the correction change no loss and no interval: not in it
    other = losscli.evaluate_frame(
        REG[["y_true", "y_pred"]], ci=0.9, resamples=500, seed=3, correction="holm"
    )
    assert other.signature == line
    # a method without an id: its text as a slug, never percent-encoded
    odd = {"method": "BCa bootstrap (rows, 2×)", "level": 0.95, "resamples": 1000, "seed": 1}
    f = parse_signature(signature.build(dataclasses.replace(report, bootstrap=odd)))
    assert f["ci"] == "bca-bootstrap-rows-2"


def test_parse_refuses_what_is_not_a_signature() -> None:
    with pytest.raises(ValueError, match="not a losscli signature"):
        parse_signature("BLEU|nrefs:1")
    with pytest.raises(ValueError, match="not a losscli signature"):
        parse_signature("task:binary|conv:losscli")


def test_signature_in_every_format() -> None:
    report = losscli.evaluate_frame(BIN)
    line = report.signature
    assert line is not None
    doc = json.loads(render.evaluate_json(report))
    keys = list(doc)
    assert doc["signature"] == line and keys.index("signature") == keys.index("params") + 1
    assert f"- Signature: `{line}`" in render.evaluate_markdown(report)
    from rich.console import Console

    console = Console(width=400, record=True, color_system=None)
    console.print(render.evaluate_table(report))
    assert f"signature: {line}" in console.export_text()
