"""``losscli recommend`` from flags must not import numpy, pandas or pyarrow.

Each check runs in a fresh interpreter (this test process has them loaded). The
``--from`` control proves the checks can fail: that path does load pandas.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("numpy", "pandas", "pyarrow")
SAMPLES = Path(__file__).resolve().parent.parent / "sample_data"

PROBE = """
import json, sys
from typer.testing import CliRunner
from losscli.cli import app
result = CliRunner().invoke(app, ["recommend", *sys.argv[1:]])
heavy = sorted({m.split(".")[0] for m in sys.modules} & {"numpy", "pandas", "pyarrow"})
print(json.dumps({"exit": result.exit_code, "heavy": heavy}))
"""


def _probe(*args: str) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True
    )
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--task", "regression", "--outliers"],
        ["--task", "regression", "--outliers", "--asymmetric", "under", "-o", "json"],
        ["--task", "binary", "--imbalanced", "-o", "json"],
        ["--task", "multi-class", "--imbalanced"],
        ["--counts", "--quantile", "0.9"],
        ["--task", "binary", "--outliers"],  # the error path too
    ],
)
def test_flags_path_imports_no_heavy_module(args: list[str]) -> None:
    result = _probe(*args)
    assert result["exit"] in (0, 2)
    assert result["heavy"] == []


def test_the_probe_sees_heavy_modules_when_they_load() -> None:
    result = _probe("--from", str(SAMPLES / "regression.csv"), "-o", "json")
    assert result["exit"] == 0
    assert "pandas" in result["heavy"]  # type: ignore[operator]


def test_console_script_importtime() -> None:
    """``python -X importtime -m losscli recommend ...`` lists every module loaded."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "losscli", "recommend", "--task", "regression"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0
    imported = {
        line.split("|")[-1].strip().split(".")[0]
        for line in proc.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert "losscli" in imported  # the listing is real
    assert not imported & set(HEAVY)
