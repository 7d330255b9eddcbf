"""The registry: importable without numpy, one schema per parameter, and a loss added at
run time (the toy loss of ``registry_cases``, built by the CONTRIBUTING.md recipe)
appears in ``losscli losses``, in ``evaluate_frame`` / ``losscli evaluate`` and in the
registry-driven invariant tests, with no other file edited; its new parameter is an
``evaluate`` option, an ``evaluate_frame`` keyword and a symbol of the parameters line."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import test_losses_invariants
from registry_cases import POWER, TOY, TOY_ID, toy_registered
from typer.testing import CliRunner

import losscli
from losscli import losses
from losscli.cli import app
from losscli.losses import registry

runner = CliRunner()


@pytest.fixture
def toy() -> Iterator[registry.LossSpec]:
    with toy_registered() as spec:
        yield spec


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    y = rng.normal(10.0, 3.0, 400)
    return pd.DataFrame(
        {"y_true": y, "y_pred": y + rng.normal(0.0, 1.5, 400), "g": rng.integers(0, 5, 400)}
    )


def _oracle(df: pd.DataFrame, p: float = 3.0) -> float:
    # the toy's documented formula: mean |y - ŷ|^p
    return float(np.mean(np.abs(df["y_true"] - df["y_pred"]) ** p))


def test_the_registry_imports_without_numpy() -> None:
    code = (
        "import sys; import losscli.losses.registry as r; r.get_spec('bce'); "
        "print(any(m.split('.')[0] in ('numpy', 'pandas', 'pyarrow') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_every_parameter_has_one_schema_and_the_public_defaults_agree() -> None:
    for spec in registry.REGISTRY.values():
        assert set(spec.takes) <= set(registry.PARAMS), spec.id
        signature = inspect.signature(getattr(losses, spec.id))
        for name in spec.takes:
            # the public function's default is the schema's (one fact, checked here)
            assert signature.parameters[name].default == registry.PARAMS[name].default, name
    flags = [p.flag for p in registry.PARAMS.values() if p.flag]
    assert len(flags) == len(set(flags))


def test_the_toy_loss_is_listed_by_losscli_losses(toy: registry.LossSpec) -> None:
    result = runner.invoke(app, ["losses", "-o", "json"])
    assert result.exit_code == 0, result.output
    entry = next(e for e in json.loads(result.stdout)["losses"] if e["id"] == TOY_ID)
    assert entry["params"] == {"power": 3.0}
    assert entry["aliases"] == ["toy_power"]
    table = runner.invoke(app, ["losses", "--task", "regression"])
    assert TOY_ID in table.stdout and "mean |y - ŷ|^p" in table.stdout
    assert (
        runner.invoke(app, ["losses", "--task", "binary", "-o", "json"]).stdout.count(TOY_ID) == 0
    )


def test_the_toy_loss_is_computed_by_evaluate_frame(toy: registry.LossSpec) -> None:
    df = _frame()
    report = losscli.evaluate_frame(df, true="y_true", preds=["y_pred"])
    assert report.value("y_pred", TOY_ID) == pytest.approx(_oracle(df), rel=1e-12)
    assert report.params["power"] == 3.0
    grouped = losscli.evaluate_frame(df, true="y_true", preds=["y_pred"], by="g")
    for g, part in df.groupby("g"):
        assert grouped.value("y_pred", TOY_ID, str(g)) == pytest.approx(_oracle(part), rel=1e-12)
    assert losses.get_spec("toy-power").make(power=2.0) is not None


def test_the_toy_loss_is_computed_by_losscli_evaluate(
    toy: registry.LossSpec, tmp_path: Path
) -> None:
    df = _frame()
    path = tmp_path / "toy.csv"
    df.to_csv(path, index=False)
    result = runner.invoke(app, ["evaluate", str(path), "--loss", "toy_power", "-o", "json"])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)["results"]
    assert row["loss"] == TOY_ID and row["value"] == pytest.approx(_oracle(df), rel=1e-12)


def test_the_toy_loss_is_in_the_registry_driven_invariant_tests() -> None:
    params = test_losses_invariants.params.args[1]
    assert (TOY_ID, "regression") in params
    # and only while registered: outside its cases the registry is the built-in one
    assert TOY_ID not in registry.REGISTRY and "power" not in registry.PARAMS


def test_unregistered_means_gone_and_names_must_be_new() -> None:
    with toy_registered():
        assert registry.find("TOY-POWER").id == TOY_ID
        with pytest.raises(ValueError, match="already registered"):
            registry.register(TOY, POWER)
    assert registry.find("toy_power") is None
    result = runner.invoke(app, ["losses", "-o", "json"])
    assert TOY_ID not in result.stdout
    bad = registry.LossSpec("x", "x", ("regression",), "f", "u", aliases=("mse",))
    with pytest.raises(ValueError, match="already registered: mse"):
        registry.register(bad)
    unknown = registry.LossSpec("y", "y", ("regression",), "f", "u", takes=("nope",))
    with pytest.raises(ValueError, match="unknown parameter nope"):
        registry.register(unknown)


def _evaluate_options() -> dict[str, Any]:
    from typer.main import get_command

    group: Any = get_command(app)
    return {opt: p for p in group.commands["evaluate"].params for opt in p.opts}


def test_the_cli_options_are_the_schema() -> None:
    """Each parameter with a flag is an ``evaluate`` option, as the schema says (value
    name, help, repeatable), and no two options of the command share a flag."""
    from typer.main import get_command

    options = _evaluate_options()
    for param in registry.PARAMS.values():
        if param.flag is None:
            assert f"--{param.name.replace('_', '-')}" not in options, param.name
            continue
        option = options[param.flag]
        assert (option.metavar, option.help) == (param.metavar, param.help), param.name
        assert option.multiple == param.repeatable, param.name
        assert option.default is None, param.name  # None: the loss's own default
    group: Any = get_command(app)
    flags = [opt for p in group.commands["evaluate"].params for opt in p.opts]
    assert len(flags) == len(set(flags))


def test_the_report_symbols_are_the_schema() -> None:
    from losscli.render import evaluate as render_evaluate

    for name, param in registry.PARAMS.items():
        value = 0.5 if param.type == "float" else "balanced"
        assert render_evaluate._param_text(name, value).startswith(f"{param.symbol}="), name
    # what is not a parameter is written as itself
    assert render_evaluate._param_text("positive", "yes") == "positive=yes"


def test_the_toy_parameter_is_an_evaluate_option(toy: registry.LossSpec, tmp_path: Path) -> None:
    df = _frame()
    path = tmp_path / "toy.csv"
    df.to_csv(path, index=False)
    assert "--power" in _evaluate_options()
    help_text = runner.invoke(app, ["evaluate", "--help"], terminal_width=200).stdout
    assert "--power" in help_text and "toy_power_error exponent" in help_text
    args = ["evaluate", str(path), "--loss", "toy_power", "--power", "2"]
    result = runner.invoke(app, [*args, "-o", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    (row,) = document["results"]
    assert row["value"] == pytest.approx(_oracle(df, 2.0), rel=1e-12)
    assert document["params"] == {"power": 2.0}
    table = runner.invoke(app, args, terminal_width=200)
    assert table.exit_code == 0, table.output
    assert "p=2" in table.stdout  # the parameters line, with the schema's symbol
    bad = runner.invoke(app, [*args[:-1], "two"])  # a float option: typer parses it
    assert bad.exit_code == 2 and "--power" in bad.stderr


def test_the_toy_parameter_is_an_evaluate_frame_keyword(toy: registry.LossSpec) -> None:
    from losscli.render import evaluate as render_evaluate

    df = _frame()
    report = losscli.evaluate_frame(df, true="y_true", preds=["y_pred"], power=2.0)
    assert report.value("y_pred", TOY_ID) == pytest.approx(_oracle(df, 2.0), rel=1e-12)
    assert report.params["power"] == 2.0
    assert "p=2" in render_evaluate.params_line(report).split(", ")
    assert losscli.evaluate.LossParams(power=2.0).given == {"power": 2.0}


def test_a_parameter_that_is_not_registered_is_refused() -> None:
    from losscli.evaluate import LossParams

    with pytest.raises(TypeError, match="unexpected keyword argument 'power'"):
        LossParams(power=2.0)
    with pytest.raises(TypeError, match="power"):
        losscli.evaluate_frame(_frame(), power=2.0)
    assert "--power" not in _evaluate_options()
    assert runner.invoke(app, ["evaluate", "x.csv", "--power", "2"]).exit_code == 2


def test_loss_params_keep_the_given_values_by_name() -> None:
    from losscli.evaluate import LossParams

    params = LossParams(delta=2.5, quantiles=[0.1, 0.9], class_weight="a=1", logits=True)
    assert params.given == {"delta": 2.5, "quantile": (0.1, 0.9), "class_weight": "a=1"}
    assert (params.quantiles, params.class_weight, params.logits) == ((0.1, 0.9), "a=1", True)
    assert params == LossParams(class_weight="a=1", quantiles=(0.1, 0.9), delta=2.5, logits=True)
    assert LossParams(delta=None, quantiles=()).given == {}


def test_a_parameter_named_like_an_option_is_refused() -> None:
    from losscli.cli.options import WithLossParams

    def command(loss: str = "", **params: Any) -> None: ...

    clash = registry.Param("loss", "float", 1.0, "> 0", "--loss-x", "l", "clashes")
    spec = registry.LossSpec("clash", "c", ("regression",), "f", "u", takes=("loss",))
    with (
        registry.registered(spec, clash),
        pytest.raises(ValueError, match="named like options: loss"),
    ):
        inspect.signature(WithLossParams(command, after="loss"))
    with pytest.raises(ValueError, match="flag or keyword already taken: delta2"):
        registry.register(spec, registry.Param("delta2", "float", 1, "", "--delta", "d", "h"))


def test_result_keys_are_formed_and_split_in_one_place() -> None:
    from losscli.evaluate import gates
    from losscli.render import evaluate as render_evaluate

    assert registry.result_key("mse") == "mse"
    assert registry.result_key("pinball", 0.9) == "pinball@0.9"
    assert registry.split_key(registry.result_key("pinball", 0.25)) == ("pinball", "0.25")
    assert registry.split_key("rmse") == ("rmse", "")
    # the plan, the gates and the renderer agree on the key of one quantile
    report = losscli.evaluate_frame(_frame(), quantiles=[0.90], losses=["pinball"])
    assert report.losses == [registry.result_key("pinball", 0.9)]
    assert gates.parse_gates(["quantile@0.90 < 9"])[0].loss == "pinball@0.9"
    assert render_evaluate.greater_is_better("r2") and not render_evaluate.greater_is_better(
        "pinball@0.9"
    )
