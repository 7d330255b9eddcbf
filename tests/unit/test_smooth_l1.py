"""smooth_l1 is PyTorch's SmoothL1Loss(β), a loss of its own (no longer an alias of
huber): ℓ = ½e²/β if |e| < β else |e| - ½β, e = y - ŷ, the mean over rows (β = 1 by
default; β = 0 is the L1 loss). Oracles: torch's documented formula written out here
(torch.nn.SmoothL1Loss), the relation SmoothL1(β) = Huber(δ = β)/β, and torch itself
(a dev dependency: PyTorch 2.13, CPU)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import losscli
from losscli import losses
from losscli.cli import app
from losscli.errors import LossInputError
from losscli.losses import registry

runner = CliRunner()
SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "regression.csv"


def _documented(y: list[float], p: list[float], beta: float) -> float:
    """torch.nn.SmoothL1Loss's formula, element by element, mean reduction:
    l_n = 0.5 (x_n - y_n)² / β if |x_n - y_n| < β else |x_n - y_n| - 0.5 β."""
    terms = []
    for t, q in zip(y, p, strict=True):
        d = abs(q - t)
        terms.append(0.5 * d * d / beta if d < beta else d - 0.5 * beta)
    return sum(terms) / len(terms)


def _data(n: int = 500) -> tuple[list[float], list[float]]:
    rng = np.random.default_rng(7)
    y = rng.normal(0.0, 2.0, n)
    return y.tolist(), (y + rng.standard_t(2, n)).tolist()


@pytest.mark.parametrize("beta", [1.0, 0.5, 2.5, 1e-3])
def test_smooth_l1_is_torchs_documented_formula(beta: float) -> None:
    y, p = _data()
    assert losses.smooth_l1(y, p, beta=beta) == pytest.approx(_documented(y, p, beta), rel=1e-13)


def test_the_default_beta_is_torchs_and_beta_zero_is_l1() -> None:
    y, p = _data()
    assert registry.PARAMS["beta"].default == 1.0  # torch.nn.SmoothL1Loss(beta=1.0)
    assert losses.smooth_l1(y, p) == pytest.approx(_documented(y, p, 1.0), rel=1e-13)
    # torch: "when beta is set to 0, this is equivalent to L1Loss"
    mae = float(np.mean(np.abs(np.subtract(y, p))))
    assert losses.smooth_l1(y, p, beta=0.0) == pytest.approx(mae, rel=1e-13)


@pytest.mark.parametrize("beta", [0.5, 1.0, 3.0])
def test_smooth_l1_is_huber_over_beta(beta: float) -> None:
    # ½e²/β = (½e²)/β below β; |e| - ½β = β(|e| - ½β)/β above: Huber(δ=β)/β
    y, p = _data()
    huber = losses.huber(y, p, delta=beta)
    assert losses.smooth_l1(y, p, beta=beta) == pytest.approx(huber / beta, rel=1e-12)
    if beta != 1.0:
        assert losses.smooth_l1(y, p, beta=beta) != pytest.approx(huber, rel=1e-3)


def test_sample_weights_give_the_weighted_mean() -> None:
    y, p = [0.0, 0.0, 0.0], [0.2, 1.0, 3.0]
    # terms at β = 1: 0.5·0.04 = 0.02; |1| is not < 1: 1 - 0.5 = 0.5; 3 - 0.5 = 2.5
    w = [1.0, 2.0, 1.0]
    expected = (0.02 + 2 * 0.5 + 2.5) / 4
    assert losses.smooth_l1(y, p, sample_weight=w) == pytest.approx(expected, rel=1e-15)


def test_smooth_l1_agrees_with_torch() -> None:
    import torch

    y, p = _data()
    for beta in (1.0, 0.5, 0.0, 4.0):
        loss = torch.nn.SmoothL1Loss(beta=beta)
        value = float(
            loss(torch.tensor(p, dtype=torch.float64), torch.tensor(y, dtype=torch.float64))
        )
        assert losses.smooth_l1(y, p, beta=beta) == pytest.approx(value, rel=1e-13)


@pytest.mark.parametrize("beta", [-1.0, float("nan"), float("inf")])
def test_a_bad_beta_is_refused(beta: float) -> None:
    with pytest.raises(LossInputError, match="beta"):
        losses.smooth_l1([1.0], [2.0], beta=beta)


def test_smooth_l1_is_its_own_loss_in_the_registry() -> None:
    assert registry.find("smooth_l1").id == "smooth_l1"
    assert registry.find("smooth-l1").id == "smooth_l1"
    assert "smooth_l1" not in registry.get_spec("huber").aliases
    result = runner.invoke(app, ["losses", "-o", "json"])
    entry = next(e for e in json.loads(result.stdout)["losses"] if e["id"] == "smooth_l1")
    assert entry["params"] == {"beta": 1.0}
    assert "smooth_l1" in runner.invoke(app, ["losses", "--task", "regression"]).stdout


def _cli_oracle(beta: float) -> float:
    df = pd.read_csv(SAMPLE)
    return _documented(df["y_true"].tolist(), df["y_pred"].tolist(), beta)


def test_evaluate_loss_smooth_l1_with_beta() -> None:
    args = ["evaluate", str(SAMPLE), "--loss", "smooth_l1", "--beta", "0.5"]
    result = runner.invoke(app, [*args, "-o", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    (row,) = document["results"]
    assert (row["loss"], document["params"]) == ("smooth_l1", {"beta": 0.5})
    assert row["value"] == pytest.approx(_cli_oracle(0.5), rel=1e-13)
    table = runner.invoke(app, args, terminal_width=200)
    assert table.exit_code == 0 and "β=0.5" in table.stdout
    default = runner.invoke(app, ["evaluate", str(SAMPLE), "-l", "smooth_l1", "-o", "json"])
    assert json.loads(default.stdout)["results"][0]["value"] == pytest.approx(
        _cli_oracle(1.0), rel=1e-13
    )


def test_smooth_l1_is_computed_only_when_asked_for() -> None:
    # (a default evaluate keeps its rows; --beta alone asks for nothing)
    report = losscli.evaluate_frame(pd.read_csv(SAMPLE), beta=0.5)
    assert "smooth_l1" not in report.losses and "beta" not in report.params
    asked = losscli.evaluate_frame(pd.read_csv(SAMPLE), losses=["smooth_l1"], beta=0.5)
    assert asked.value("y_pred", "smooth_l1") == pytest.approx(_cli_oracle(0.5), rel=1e-13)


def test_a_bad_beta_on_the_command_line_is_one_line() -> None:
    result = runner.invoke(app, ["evaluate", str(SAMPLE), "-l", "smooth_l1", "--beta", "-1"])
    assert result.exit_code == 2 and result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("losscli: error:") and "beta" in line
