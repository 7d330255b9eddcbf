"""Gates that know about noise, through the CLI: comparative gates
(``--fail-if 'tree:rmse > linear:rmse'``) and ``--gate-on point|ci`` (issue 14).

Oracles: scikit-learn's RMSE of each model (the point values); for ``--ci`` the
report's own intervals and comparisons are the data a gate is judged on, so the tests
check the gate against them by the rule of :mod:`losscli.evaluate.gates` (whole
interval past the threshold; Δ significant at the level, in the gate's direction)."""

from __future__ import annotations

import json
from pathlib import Path

from sklearn import metrics

from conftest import Cli

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
    bad = run_error(MODELS, "--gate-on", "both")
    assert "--gate-on" in bad and "point" in bad


def test_gate_on_point_is_the_default_and_unchanged() -> None:
    plain = run(MODELS, "-o", "json", "--fail-if", "rmse>1.2")
    explicit = run(MODELS, "-o", "json", "--fail-if", "rmse>1.2", "--gate-on", "POINT")
    assert plain.stdout == explicit.stdout and plain.exit_code == explicit.exit_code == 1
    assert all(g["judged"] == "point" for g in json.loads(plain.stdout)["gates"])
