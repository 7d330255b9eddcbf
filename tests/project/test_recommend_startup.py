"""``losscli recommend`` from flags must not import numpy, pandas or pyarrow.

Each check runs in a fresh interpreter (this test process has them loaded). The
``--from`` control proves the checks can fail: that path does load pandas.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import HEAVY, SAMPLES, probe_imports


def _probe(*args: str) -> dict[str, object]:
    """``losscli recommend ARGS`` in a fresh interpreter: exit status and ``heavy``,
    the heavy modules it imported."""
    result = probe_imports("recommend", *args)
    return {"exit": result["exit"], "heavy": result["loaded"]}


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
    # class counts go through pandas (a regression file with predictions no longer
    # loads it: the truth-only task rule, which needs it, is asked only without one)
    result = _probe("--from", str(SAMPLES / "imbalanced.csv"), "-o", "json")
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
