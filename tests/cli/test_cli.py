"""The CLI skeleton: version, help, python -m, the `losses` command, error mapping, start-up."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from losscli import __version__
from losscli.cli import app
from losscli.losses import registry
from losscli.tasks import TASK_ALIASES

from conftest import SAMPLES, probe_imports, runner

COMMANDS_WITH_TASK = ("losses", "recommend")


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"losscli {__version__}"


def test_python_dash_m_runs_the_same_cli() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "losscli", "--version"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"losscli {__version__}"


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "losses" in result.stdout


def test_losses_json_lists_the_registry() -> None:
    result = runner.invoke(app, ["losses", "-o", "json"])
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["schema"] == "losscli.losses/1"
    assert [entry["id"] for entry in document["losses"]] == [
        i.id for i in registry.REGISTRY.values()
    ]
    huber = next(e for e in document["losses"] if e["id"] == "huber")
    assert huber["params"] == {"delta": 1.0}
    assert (
        "bce" in next(e for e in document["losses"] if e["id"] == "binary_crossentropy")["aliases"]
    )


@pytest.mark.parametrize("task", ["regression", "binary", "multiclass"])
def test_losses_filtered_by_task(task: str) -> None:
    result = runner.invoke(app, ["losses", "--task", task, "-o", "json"])
    assert result.exit_code == 0
    ids = [entry["id"] for entry in json.loads(result.stdout)["losses"]]
    assert ids == [info.id for info in registry.for_task(task)]
    assert all(task in entry["tasks"] for entry in json.loads(result.stdout)["losses"])


def test_losses_table_shows_ids_and_formulas() -> None:
    result = runner.invoke(app, ["losses", "--task", "regression"])
    assert result.exit_code == 0
    assert "huber" in result.stdout and "log_cosh" in result.stdout
    assert "binary_crossentropy" not in result.stdout


def test_unknown_task_is_one_line_exit_2() -> None:
    result = runner.invoke(app, ["losses", "--task", "ranking"])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "unknown task 'ranking'" in lines[0]
    assert "Traceback" not in result.stderr


# every spelling of losscli.tasks.TASK_ALIASES, in every command that takes --task
_SPELLINGS = [(task, alias) for task, aliases in TASK_ALIASES.items() for alias in aliases] + [
    ("multiclass", "Multi_Class"),
    ("binary", "BINARY"),
]


@pytest.mark.parametrize("task,spelling", _SPELLINGS)
def test_every_task_spelling_works_in_every_command(task: str, spelling: str) -> None:
    losses = runner.invoke(app, ["losses", "--task", spelling, "-o", "json"])
    assert losses.exit_code == 0, losses.stderr
    assert losses.stdout == runner.invoke(app, ["losses", "--task", task, "-o", "json"]).stdout
    recommend = runner.invoke(app, ["recommend", "--task", spelling, "-o", "json"])
    assert recommend.exit_code == 0, recommend.stderr
    assert json.loads(recommend.stdout)["task"] == task
    data = SAMPLES / {"regression": "regression.csv", "binary": "binary.csv"}.get(
        task, "multiclass.csv"
    )
    evaluate = runner.invoke(app, ["evaluate", str(data), "--task", spelling, "-o", "json"])
    assert evaluate.exit_code == 0, evaluate.stderr
    assert json.loads(evaluate.stdout)["task"] == task


def test_losses_and_recommend_refuse_a_task_in_the_same_words() -> None:
    lines = [
        runner.invoke(app, [command, "--task", "ranking"]).stderr for command in COMMANDS_WITH_TASK
    ]
    assert lines[0] == lines[1]
    assert lines[0].startswith("losscli: error: unknown task 'ranking'; choose one of: ")
    assert all(f"{task} (" in lines[0] for task in TASK_ALIASES)


def test_unknown_command_is_a_usage_error() -> None:
    result = runner.invoke(app, ["frobnicate"])
    assert result.exit_code == 2


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["--version"], ["losses", "--help"]],
)
def test_start_up_imports_no_pandas_pyarrow_numpy(argv: list[str]) -> None:
    result = probe_imports(*argv)
    assert result["exit"] == 0
    assert result["loaded"] == [], result
