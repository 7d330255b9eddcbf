"""Gates that know about noise, through the CLI: comparative gates
(``--fail-if 'tree:rmse > linear:rmse'``) and ``--gate-on point|ci`` (issue 14).

Oracles: scikit-learn's RMSE of each model (the point values); for ``--ci`` the
report's own intervals and comparisons are the data a gate is judged on, so the tests
check the gate against them by the rule of :mod:`losscli.evaluate.gates` (whole
interval past the threshold; Δ significant at the level, in the gate's direction)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sklearn import metrics

from conftest import Cli, ci_csv_tables

_cli = Cli("evaluate")
run, run_error = _cli.run, _cli.error_line

SAMPLES = Path(__file__).resolve().parents[2] / "sample_data"
MODELS = str(SAMPLES / "models.csv")


def rmse(model: str) -> float:
    import pandas as pd

    df = pd.read_csv(MODELS)
    return float(metrics.root_mean_squared_error(df["y_true"], df[f"pred_{model}"]))


def test_comparative_gate_on_point_values() -> None:
    worse, better = ("linear", "tree") if rmse("linear") > rmse("tree") else ("tree", "linear")
    result = run(MODELS, "-o", "json", "--fail-if", f"{worse}:rmse > {better}:rmse")
    assert result.exit_code == 1
    (gate,) = json.loads(result.stdout)["gates"]
    assert gate["judged"] == "point" and gate["failed"] is True
    assert abs(gate["value"] - (rmse(worse) - rmse(better))) < 1e-12
    assert gate["model"] == worse and gate["other"] == better
    assert result.stderr.startswith(f"gate failed: {worse}:rmse > {better}:rmse (Δ = +")
    passed = run(MODELS, "--fail-if", f"pred_{worse}:rmse < pred_{better}:rmse")
    assert passed.exit_code == 0 and "passed (Δ = +" in passed.stdout


def test_bad_comparative_gates_exit_2() -> None:
    assert "compares rmse with mae" in run_error(MODELS, "--fail-if", "tree:rmse > linear:mae")
    assert "unknown model 'forest'" in run_error(MODELS, "--fail-if", "forest:rmse > linear:rmse")
    assert "with itself" in run_error(MODELS, "--fail-if", "tree:rmse > pred_tree:rmse")


def test_gate_on_ci_without_ci_exits_2() -> None:
    line = run_error(MODELS, "--fail-if", "rmse>1", "--gate-on", "ci")
    assert "--gate-on ci judges the intervals of --ci: add --ci" in line
    # refused before the file is read: a missing file is not what is reported
    line = run_error(str(SAMPLES / "missing.csv"), "--gate-on", "ci")
    assert "--gate-on ci judges the intervals of --ci" in line
    bad = run_error(MODELS, "--gate-on", "both")
    assert "--gate-on" in bad and "point" in bad


def test_gate_on_point_is_the_default_and_unchanged() -> None:
    plain = run(MODELS, "-o", "json", "--fail-if", "rmse>1.2")
    explicit = run(MODELS, "-o", "json", "--fail-if", "rmse>1.2", "--gate-on", "POINT")
    assert plain.stdout == explicit.stdout and plain.exit_code == explicit.exit_code == 1
    assert all(g["judged"] == "point" for g in json.loads(plain.stdout)["gates"])


# --------------------------------------------------------------------------- with --ci, end to end

FIXTURE = str(
    Path(__file__).resolve().parents[1] / "fixtures" / "predictions" / "model_suffixes.csv"
)


def zero_one(model: str) -> float:
    import pandas as pd

    df = pd.read_csv(FIXTURE)
    column = {"lr": "lr_proba", "tree": "tree_prob"}[model]
    return float(metrics.zero_one_loss(df["y_true"], df[column] > 0.5))


def ci_csv(*args: str) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The results and the comparisons of ``-o csv``: what the gates are judged on,
    at full precision."""
    results, comparisons = ci_csv_tables(run(*args, "-o", "csv").stdout)
    return (
        [dict(zip(results[0], r, strict=True)) for r in results[1:]],
        [dict(zip(comparisons[0], r, strict=True)) for r in comparisons[1:]],
    )


def test_gate_on_ci_judges_the_whole_interval() -> None:
    results = ci_csv(MODELS, "--ci", "-l", "rmse")[0]
    spans = {r["model"]: (float(r["ci_low"]), float(r["ci_high"])) for r in results}
    # a threshold inside linear's interval: the point value is above it, the interval not
    threshold = (spans["linear"][0] + rmse("linear")) / 2
    assert spans["linear"][0] < threshold < rmse("linear")
    point = run(MODELS, "--ci", "-o", "json", "-l", "rmse", "--fail-if", f"rmse>{threshold}")
    assert point.exit_code == 1  # --gate-on point, the default: 2.258 > threshold
    judged = run(
        MODELS, "--ci", "-o", "json", "-l", "rmse", "--fail-if", f"rmse>{threshold}",
        "--gate-on", "ci",
    )  # fmt: skip
    assert judged.exit_code == 0 and judged.stderr == ""
    gates = json.loads(judged.stdout)["gates"]
    assert [(g["model"], g["judged"], g["failed"]) for g in gates] == [
        ("linear", "ci", False),
        ("tree", "ci", False),
    ]
    assert (gates[0]["ci_low"], gates[0]["ci_high"]) == spans["linear"]
    # below the low end, the whole interval is above: it fails, and says so
    low = spans["linear"][0] - 0.01
    failed = run(MODELS, "--ci", "-l", "rmse", "--fail-if", f"linear:rmse>{low}", "--gate-on", "ci")
    assert failed.exit_code == 1
    assert "judged on the whole 95% interval" in failed.stderr
    assert len(failed.stderr.splitlines()) == 1


def test_comparative_gate_with_ci_needs_a_significant_difference() -> None:
    # zero_one of lr is above tree's on the point values (scikit-learn), so without
    # --ci the gate fails; the paired test finds the difference not significant
    assert zero_one("lr") > zero_one("tree")
    gate = "lr:zero_one > tree:zero_one"
    assert run(FIXTURE, "-l", "zero_one", "--fail-if", gate).exit_code == 1
    (row,) = ci_csv(FIXTURE, "--ci", "-l", "zero_one")[1]
    assert (row["model"], row["baseline"], float(row["p_value"]) >= 0.05) == ("tree", "lr", True)
    result = run(FIXTURE, "--ci", "-o", "json", "-l", "zero_one", "--fail-if", gate)
    assert result.exit_code == 0
    (judged,) = json.loads(result.stdout)["gates"]
    assert judged["judged"] == "difference" and judged["failed"] is False
    assert judged["value"] == pytest.approx(zero_one("lr") - zero_one("tree"))
    assert judged["p_value"] == float(row["p_value"])
    assert (judged["ci_low"], judged["ci_high"]) == (-float(row["ci_high"]), -float(row["ci_low"]))


def test_comparative_gate_with_ci_fails_when_significant() -> None:
    (row,) = ci_csv(FIXTURE, "--ci", "-l", "brier")[1]
    assert float(row["p_value"]) < 0.05 and float(row["delta"]) < 0  # tree's brier is lower
    result = run(FIXTURE, "--ci", "-l", "brier", "--fail-if", "lr:brier > tree:brier")
    assert result.exit_code == 1
    last = result.stderr.splitlines()[-1]  # (after the fixture's warning about lr_pred)
    assert last.startswith("gate failed: lr:brier > tree:brier (Δ = +")
    assert last.endswith(": significant at 95%)")
    shown = float(last.split("p = ")[1].split(":")[0])  # 3 digits, rounded down
    assert 0.99 * float(row["p_value"]) <= shown <= float(row["p_value"])
    assert "gate lr:brier > tree:brier: FAILED" in result.stdout


def test_comparative_gate_with_ci_off_the_baseline_exits_2(tmp_path: Path) -> None:
    import pandas as pd

    df = pd.read_csv(MODELS)
    df["pred_third"] = (df["pred_linear"] + df["pred_tree"]) / 2
    path = tmp_path / "three.csv"
    df.to_csv(path, index=False)
    line = run_error(str(path), "--ci", "--fail-if", "tree:rmse > third:rmse")
    assert "compared with the baseline 'linear' only" in line and "--baseline" in line
    ok = run(str(path), "--ci", "--baseline", "tree", "--fail-if", "tree:rmse > third:rmse")
    assert ok.exit_code in (0, 1) and "gate tree:rmse > third:rmse" in ok.stdout


# --------------------------------------------------------------------------- the library


def test_library_gate_on_ci_judges_as_the_cli() -> None:
    import pandas as pd

    from losscli.errors import UsageError
    from losscli.evaluate import evaluate_file, evaluate_frame

    results = ci_csv(MODELS, "--ci", "-l", "rmse")[0]
    low = {r["model"]: float(r["ci_low"]) for r in results}["linear"]
    gate = f"rmse>{(low + rmse('linear')) / 2}"  # inside linear's interval, below its point
    point = evaluate_file(MODELS, ci=0.95, losses=["rmse"], fail_if=[gate])
    judged = evaluate_file(MODELS, ci=0.95, losses=["rmse"], fail_if=[gate], gate_on="ci")
    assert [g.failed for g in point.gates] == [True, False]  # (tree's rmse ≈ 0.99)
    assert [(g.judged, g.failed) for g in judged.gates] == [("ci", False), ("ci", False)]
    cli = json.loads(
        run(MODELS, "--ci", "-o", "json", "-l", "rmse", "--fail-if", gate, "--gate-on", "ci").stdout
    )["gates"]
    assert [g.to_dict() for g in judged.gates] == cli
    frame = evaluate_frame(
        pd.read_csv(MODELS), ci=0.95, losses=["rmse"], fail_if=[gate], gate_on="ci"
    )
    assert frame.gates == judged.gates
    # checked before the file is opened: a missing file is not what is reported
    with pytest.raises(UsageError, match="--gate-on ci judges the intervals of --ci"):
        evaluate_file(str(SAMPLES / "missing.csv"), fail_if=["rmse>1"], gate_on="ci")
    with pytest.raises(UsageError, match="--gate-on 'both'"):
        evaluate_frame(pd.read_csv(MODELS), fail_if=["rmse>1"], gate_on="both")
