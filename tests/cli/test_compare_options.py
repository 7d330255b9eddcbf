"""compare's reflection of evaluate's options is declared, option by option (issue 11).

Each option of ``evaluate`` is passed on by ``compare`` (``compare_cmd.SHARED``, or a
loss parameter of the registry) or declared not shared (``NOT_SHARED``); an option on
neither side would be silently missing from ``compare``, so these tests fail then.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest
import typer

from losscli.cli import compare_cmd, evaluate_cmd
from losscli.losses import registry

from conftest import Cli

_compare = Cli("compare")


def _flags(param: inspect.Parameter) -> list[str]:
    return [d for d in param.default.param_decls or () if d.startswith("--")]


def test_every_evaluate_option_is_declared_shared_or_not() -> None:
    assert compare_cmd.undeclared() == set()


def test_the_declarations_name_evaluate_options_once() -> None:
    evaluate = set(inspect.signature(evaluate_cmd.evaluate_command).parameters)
    assert compare_cmd.SHARED.isdisjoint(compare_cmd.NOT_SHARED)
    assert evaluate >= compare_cmd.SHARED  # (no stale name on either side)
    assert evaluate >= compare_cmd.NOT_SHARED
    assert compare_cmd.SHARED.isdisjoint(registry.cli_params())


class _Grown:
    """evaluate's command with one more option (what a new evaluate option looks like)."""

    def __init__(self, extra: str) -> None:
        params = list(inspect.signature(evaluate_cmd.evaluate_command).parameters.values())
        option = typer.Option(None, f"--{extra.replace('_', '-')}", help="new")
        params.append(inspect.Parameter(extra, inspect.Parameter.KEYWORD_ONLY, default=option))
        self.__signature__ = inspect.Signature(params)

    def __call__(self, **kwargs: Any) -> None:
        raise AssertionError("not called")


def test_a_new_evaluate_option_on_neither_side_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compare_cmd, "evaluate_command", _Grown("brand_new"))
    assert compare_cmd.undeclared() == {"brand_new"}
    # (and compare does not take it until it is declared shared)
    assert "brand_new" not in inspect.signature(compare_cmd.compare_command).parameters
    monkeypatch.setattr(compare_cmd, "SHARED", compare_cmd.SHARED | {"brand_new"})
    assert compare_cmd.undeclared() == set()
    assert "brand_new" in inspect.signature(compare_cmd.compare_command).parameters


def test_compare_help_lists_each_shared_option_and_no_other() -> None:
    text = _compare.run("--help").stdout
    evaluate = inspect.signature(evaluate_cmd.evaluate_command).parameters
    for name, param in evaluate.items():
        shown = [flag in text for flag in _flags(param)]
        if name in compare_cmd.SHARED or name in registry.cli_params():
            assert all(shown), name
        elif name in {"output", "output_file", "precision", "fail_if", "summary"}:
            continue  # (compare has options of its own with these flags)
        elif name != "file":
            assert not any(shown), name
