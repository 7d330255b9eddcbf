"""The comparison library (``losscli.compare``): verdicts, Δ%, the MOVER interval,
gates as data, mismatches and report checks, on documents built by hand (the
oracles are the formulas in the module docstrings, derived in the comments)."""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pytest

from losscli.compare import compare_documents
from losscli.compare.diff import higher_is_better, mover, relative, verdict
from losscli.compare.gates import parse_gate
from losscli.compare.load import check_report
from losscli.errors import InputError, UsageError


def doc(
    values: dict[tuple[str, str], float],
    *,
    ci: dict[tuple[str, str], tuple[float, float]] | None = None,
    params: dict[str, Any] | None = None,
    task: str = "regression",
    level: float = 0.95,
) -> dict[str, Any]:
    """A minimal losscli.evaluate/1 document: (model, loss) → value, overall rows."""
    results = []
    for (model, loss), value in values.items():
        lo, hi = (ci or {}).get((model, loss), (None, None))
        results.append(
            {
                "model": model,
                "group": None,
                "loss": loss,
                "value": value,
                "rows": 100,
                "ci_low": lo,
                "ci_high": hi,
            }
        )
    return {
        "schema": "losscli.evaluate/1",
        "file": "x.csv",
        "task": task,
        "rows": 100,
        "target": "y",
        "weight": None,
        "group_by": None,
        "models": sorted({m for m, _ in values}),
        "models_info": [{"name": "m", "kind": "value", "columns": ["pred_m"]}],
        "classes": None,
        "params": params if params is not None else {"delta": 1.0},
        "signature": None,
        "bootstrap": None if ci is None else {"method": "percentile", "level": level},
        "results": results,
        "comparisons": [],
        "skipped": [],
        "gates": [],
    }


# --------------------------------------------------------------------------- verdicts


def test_direction_comes_from_the_registry() -> None:
    assert higher_is_better("r2")
    assert not higher_is_better("rmse")
    assert not higher_is_better("pinball@0.9")


@pytest.mark.parametrize(
    ("base", "new", "higher", "expected"),
    [
        (1.0, 1.1, False, "worse"),  # a loss rose
        (1.0, 0.9, False, "better"),
        (0.8, 0.7, True, "worse"),  # a score (r2) dropped
        (0.8, 0.9, True, "better"),
        (1.0, 1.0, False, "unchanged"),
        (1.0, math.nan, False, "worse"),  # became undefined
        (math.nan, 1.0, False, "better"),
        (math.nan, math.nan, True, "unchanged"),
        (math.inf, math.inf, False, "unchanged"),
    ],
)
def test_verdict_is_direction_aware(base: float, new: float, higher: bool, expected: str) -> None:
    assert verdict(base, new, higher, 0.0, 0.0) == expected


def test_tolerance_is_atol_plus_rtol_times_base() -> None:
    # τ = 0.01 + 0.1·|2| = 0.21: a rise of 0.2 is within it, 0.22 is not
    assert verdict(2.0, 2.2, False, 0.1, 0.01) == "unchanged"
    assert verdict(2.0, 2.22, False, 0.1, 0.01) == "worse"
    assert verdict(2.0, 1.78, False, 0.1, 0.01) == "better"


def test_relative_change() -> None:
    assert relative(4.0, 1.0) == pytest.approx(25.0)  # 100·1/|4|
    assert relative(-4.0, 1.0) == pytest.approx(25.0)  # |base|: the sign is Δ's
    assert relative(0.0, 0.0) == 0.0
    assert relative(0.0, 1.0) is None


# --------------------------------------------------------------------------- MOVER


def test_mover_symmetric_intervals_combine_in_quadrature() -> None:
    # base 1 ± 0.3, new 1.5 ± 0.4: Δ = 0.5 ± √(0.3² + 0.4²) = 0.5 ± 0.5
    low, high = mover(1.0, (0.7, 1.3), 1.5, (1.1, 1.9))  # type: ignore[misc]
    assert (low, high) == pytest.approx((0.0, 1.0))


def test_mover_keeps_the_skew() -> None:
    # L = Δ − √((n − l_n)² + (u_b − b)²) = 1 − √(0.2² + 0.6²); U = 1 + √(0.8² + 0.1²)
    low, high = mover(2.0, (1.9, 2.6), 3.0, (2.8, 3.8))  # type: ignore[misc]
    assert low == pytest.approx(1 - math.sqrt(0.04 + 0.36))
    assert high == pytest.approx(1 + math.sqrt(0.64 + 0.01))


def test_mover_covers_the_true_difference() -> None:
    """Simulation with a known truth: two independent normal estimates with standard
    errors 1 and 2, 95 % intervals each; the MOVER interval of the difference must
    cover the true difference (3) in ~95 % of draws (exact for normal intervals)."""
    rng = np.random.default_rng(7)
    z = 1.959963984540054
    hits = 0
    n = 4000
    for _ in range(n):
        b = 10 + rng.normal(0, 1.0)
        v = 13 + rng.normal(0, 2.0)
        low, high = mover(b, (b - z, b + z), v, (v - 2 * z, v + 2 * z))  # type: ignore[misc]
        hits += low <= 3.0 <= high
    assert abs(hits / n - 0.95) < 0.015


def test_significance_from_both_reports_intervals() -> None:
    base = doc({("m", "rmse"): 1.0}, ci={("m", "rmse"): (0.9, 1.1)})
    clear = doc({("m", "rmse"): 1.5}, ci={("m", "rmse"): (1.4, 1.6)})
    noisy = doc({("m", "rmse"): 1.05}, ci={("m", "rmse"): (0.95, 1.15)})
    a = compare_documents(base, clear)
    assert a.significance is not None and a.significance["method"] == "mover"
    # Δ = 0.5, L = 0.5 − √(0.1² + 0.1²) > 0
    assert a.changes[0].significant is True
    assert a.changes[0].ci_low == pytest.approx(0.5 - math.sqrt(0.02))
    b = compare_documents(base, noisy)
    # Δ = 0.05 < √0.02: the interval holds 0 although the point got worse
    assert b.changes[0].verdict == "worse"
    assert b.changes[0].significant is False


def test_no_intervals_no_significance() -> None:
    report = compare_documents(doc({("m", "rmse"): 1.0}), doc({("m", "rmse"): 2.0}))
    assert report.significance is None
    assert report.changes[0].significant is None
    with pytest.raises(UsageError, match="--significant needs intervals"):
        compare_documents(doc({("m", "rmse"): 1.0}), doc({("m", "rmse"): 2.0}), significant=True)


# --------------------------------------------------------------------------- gates


@pytest.mark.parametrize(
    ("expr", "loss", "op", "threshold", "rel"),
    [
        ("rmse>+2%", "rmse", ">", 2.0, True),
        ("rmse > +0.01", "rmse", ">", 0.01, False),
        ("tree:mse>=+1e-3", "mse", ">=", 1e-3, False),
        ("r2<-1%", "r2", "<", -1.0, True),
        ("pinball@0.9>+5%", "pinball@0.9", ">", 5.0, True),
        ("RMSE>+0%", "rmse", ">", 0.0, True),
    ],
)
def test_parse_gate(expr: str, loss: str, op: str, threshold: float, rel: bool) -> None:
    gate = parse_gate(expr)
    assert (gate.loss, gate.op, gate.threshold, gate.relative) == (loss, op, threshold, rel)


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("rmse>2%", "needs a sign"),
        ("rmse>0.01", "needs a sign"),
        ("r2>+2%", "write 'r2<-2%'"),  # would fail on an improvement
        ("rmse<-1%", "write 'rmse>+1%'"),
        ("tree:rmse<+1", "write 'tree:rmse>+1'"),
        ("nope>+1%", "unknown loss"),
        ("rmse=>+1", "unknown operator"),
        ("rmse+1", "no comparison operator"),
        ("rmse>+", "no signed change"),
        (":rmse>+1", "empty model"),
        (">+1", "no loss"),
    ],
)
def test_malformed_gates(expr: str, message: str) -> None:
    with pytest.raises(UsageError, match=message.replace("+", r"\+").replace("%", "%")):
        parse_gate(expr)


def test_gates_judge_changes() -> None:
    base = doc({("m", "rmse"): 2.0, ("m", "r2"): 0.5, ("m", "mae"): 0.0})
    new = doc({("m", "rmse"): 2.05, ("m", "r2"): 0.49, ("m", "mae"): 0.1})
    report = compare_documents(
        base,
        new,
        fail_if=["rmse>+2%", "rmse>+0.04", "r2<-1%", "r2<-3%", "mae>+1000%"],
    )
    failed = {g.expr: g.failed for g in report.gates}
    # rmse: Δ = 0.05, Δ% = 2.5 → both fail; r2: Δ% = −2 → fails at −1 %, not at −3 %;
    # mae from 0: an infinite relative rise fails any relative gate
    assert failed == {
        "rmse>+2%": True,
        "rmse>+0.04": True,
        "r2<-1%": True,
        "r2<-3%": False,
        "mae>+1000%": True,
    }
    assert all(g.judged == "point" for g in report.gates)


def test_fail_on_regression_with_tolerance() -> None:
    base = doc({("m", "rmse"): 2.0, ("m", "r2"): 0.5})
    new = doc({("m", "rmse"): 2.1, ("m", "r2"): 0.6})
    strict = compare_documents(base, new, fail_on_regression=True)
    assert [(g.loss, g.failed) for g in strict.gates] == [("rmse", True), ("r2", False)]
    loose = compare_documents(base, new, fail_on_regression=True, rtol=0.1)
    assert not any(g.failed for g in loose.gates)


def test_significant_gates_need_a_significant_change() -> None:
    base = doc({("m", "rmse"): 1.0}, ci={("m", "rmse"): (0.9, 1.1)})
    noisy = doc({("m", "rmse"): 1.05}, ci={("m", "rmse"): (0.95, 1.15)})
    plain = compare_documents(base, noisy, fail_on_regression=True)
    assert plain.gates[0].failed
    judged = compare_documents(base, noisy, fail_on_regression=True, significant=True)
    assert not judged.gates[0].failed and judged.gates[0].judged == "difference"


def test_gate_on_unknown_model_or_missing_loss() -> None:
    base, new = doc({("m", "rmse"): 1.0}), doc({("m", "rmse"): 1.0})
    with pytest.raises(UsageError, match="unknown model 'x'"):
        compare_documents(base, new, fail_if=["x:rmse>+1%"])
    with pytest.raises(UsageError, match="not in both reports"):
        compare_documents(base, new, fail_if=["mae>+1%"])
    # a model may be named by its prediction column (models_info)
    assert compare_documents(base, new, fail_if=["pred_m:rmse>+1%"]).gates[0].model == "m"


def grouped(values: dict[tuple[str, str | None, str], float]) -> dict[str, Any]:
    """A document grouped by ``g``: (model, group, loss) → value (group None: overall)."""
    out = doc({(m, loss): v for (m, g, loss), v in values.items() if g is None})
    out["group_by"] = "g"
    out["results"] = [
        {
            "model": m,
            "group": g,
            "loss": loss,
            "value": v,
            "rows": 50,
            "ci_low": None,
            "ci_high": None,
        }
        for (m, g, loss), v in values.items()
    ]
    return out


def test_gates_judge_every_group_row() -> None:
    # overall rmse unchanged (the two groups' changes cancel); group b rose by 10 %
    base = grouped({("m", None, "rmse"): 1.0, ("m", "a", "rmse"): 1.0, ("m", "b", "rmse"): 1.0})
    new = grouped({("m", None, "rmse"): 1.0, ("m", "a", "rmse"): 0.9, ("m", "b", "rmse"): 1.1})
    report = compare_documents(base, new, fail_if=["rmse>+5%"])
    # one result per (model, group, loss) row, in report order; only group b's fails
    assert [(g.model, g.group, g.loss, g.failed) for g in report.gates] == [
        ("m", None, "rmse", False),
        ("m", "a", "rmse", False),
        ("m", "b", "rmse", True),
    ]
    (entry,) = [g for g in report.to_dict()["gates"] if g["failed"]]
    assert entry["group"] == "b" and entry["delta"] == pytest.approx(0.1)
    regression = compare_documents(base, new, fail_on_regression=True)
    assert [(g.group, g.failed) for g in regression.gates] == [
        (None, False),
        ("a", False),
        ("b", True),
    ]
    # a gate on one model judges that model's rows only
    two = grouped(
        {
            **{("m", g, "rmse"): 1.0 for g in (None, "a", "b")},
            **{("k", g, "rmse"): 1.0 for g in (None, "a", "b")},
        }
    )
    worse = copy.deepcopy(two)
    for r in worse["results"]:
        if r["model"] == "k" and r["group"] == "a":
            r["value"] = 2.0
    worse["models"] = two["models"] = ["k", "m"]
    judged = compare_documents(two, worse, fail_if=["m:rmse>+1%", "k:rmse>+1%"])
    failing = [(g.expr, g.model, g.group) for g in judged.gates if g.failed]
    assert failing == [("k:rmse>+1%", "k", "a")]


@pytest.mark.parametrize(("name", "value"), [("rtol", -1.0), ("atol", math.nan)])
def test_bad_tolerances(name: str, value: float) -> None:
    base = doc({("m", "rmse"): 1.0})
    with pytest.raises(UsageError, match=f"--{name} must be a finite number >= 0"):
        compare_documents(base, base, **{name: value})


# --------------------------------------------------------------------------- mismatches


def test_mismatches_are_refused_unless_allowed() -> None:
    base = doc({("m", "rmse"): 1.0, ("m", "mae"): 1.0})
    other = doc({("m", "rmse"): 1.0, ("m", "mse"): 1.0}, params={"delta": 2.0})
    with pytest.raises(UsageError) as err:
        compare_documents(base, other)
    text = str(err.value)
    assert "parameter delta 1 (base) vs 2 (new)" in text
    assert "losses only in base: mae" in text and "losses only in new: mse" in text
    report = compare_documents(base, other, allow_mismatch=True)
    verdicts = {c.loss: c.verdict for c in report.changes}
    assert verdicts == {"rmse": "unchanged", "mae": "only in base", "mse": "only in new"}
    assert len(report.mismatches) == 3


def test_signature_fields_are_named() -> None:
    base = doc({("m", "rmse"): 1.0})
    new = copy.deepcopy(base)
    base["signature"] = "losscli:0.5|task:regression|conv:losscli|eps:1e-07"
    new["signature"] = "losscli:0.5|task:regression|conv:sklearn|eps:1e-07"
    with pytest.raises(
        UsageError, match=r"signature: conv 'losscli' \(base\) vs 'sklearn' \(new\)"
    ):
        compare_documents(base, new)
    new["signature"] = "losscli:0.6|task:regression|conv:losscli|eps:1e-07"
    report = compare_documents(base, new)  # only the version: a warning
    assert report.warnings == [
        "the reports were made by other losscli versions "
        "(signature: losscli '0.5' (base) vs '0.6' (new))"
    ]
    new["signature"] = None  # a report without one: nothing to compare
    assert compare_documents(base, new).warnings == []


def test_signature_and_task_mismatch() -> None:
    base = doc({("m", "rmse"): 1.0})
    new = copy.deepcopy(base)
    base["signature"], new["signature"] = "losscli:1|conv:losscli", "losscli:1|conv:sklearn"
    with pytest.raises(UsageError, match="signature"):
        compare_documents(base, new)
    new = doc({("m", "rmse"): 1.0}, task="binary")
    with pytest.raises(UsageError, match="task 'regression' \\(base\\) vs 'binary' \\(new\\)"):
        compare_documents(doc({("m", "rmse"): 1.0}), new)


def test_interval_levels_must_agree() -> None:
    ci = {("m", "rmse"): (0.9, 1.1)}
    with pytest.raises(UsageError, match=r"interval level 0.95 \(base\) vs 0.9 \(new\)"):
        compare_documents(
            doc({("m", "rmse"): 1.0}, ci=ci), doc({("m", "rmse"): 1.0}, ci=ci, level=0.9)
        )


# --------------------------------------------------------------------------- report checks


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([1, 2], "is not a losscli report"),
        ({"a": 1}, "is not a losscli report"),
        ({"schema": "losscli.evaluate/2"}, "has schema losscli.evaluate/2"),
        ({"schema": "losscli.history/1"}, "is a losscli.history/1 document"),
        ({"schema": "losscli.evaluate/1", "task": "regression"}, "without a valid 'params'"),
    ],
)
def test_not_an_evaluate_report(document: Any, message: str) -> None:
    with pytest.raises(InputError, match=message):
        check_report(document, "r.json")


def test_bad_result_entries_are_named() -> None:
    bad = doc({("m", "rmse"): 1.0})
    bad["results"][0]["value"] = "1.0"
    with pytest.raises(InputError, match=r"results\[0\] has a 'value' that is not a number"):
        check_report(bad, "r.json")
    del bad["results"][0]["loss"]
    with pytest.raises(InputError, match=r"results\[0\] has no 'loss'"):
        check_report(bad, "r.json")
