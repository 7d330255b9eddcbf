"""The two-command set-up: Makefile targets, the install stamp, and .ci/run."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _make(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    return subprocess.run(
        ["make", *args], cwd=cwd, capture_output=True, text=True, check=False, env=env
    )


def test_help_lists_the_targets() -> None:
    out = _make("help").stdout
    for target in ("demo", "test", "bench", "help", "venv"):
        assert f"  {target} " in out, out


def test_test_target_runs_lint_format_types_and_pytest() -> None:
    plan = _make("-n", "test", "VENV=/nonexistent/venv").stdout
    assert "ruff check" in plan
    assert "ruff format --check" in plan
    assert "mypy losscli" in plan
    assert "pytest" in plan


def test_fresh_machine_creates_the_venv_and_installs_editable() -> None:
    plan = _make("-n", "demo", "VENV=/nonexistent/venv").stdout
    assert "-m venv /nonexistent/venv" in plan
    assert "pip install" in plan and "-e '.[dev" in plan
    assert "losscli evaluate sample_data/" in plan
    assert "losscli history sample_data/train_log.csv" in plan


def test_stamp_makes_the_install_run_once(tmp_path: Path) -> None:
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    stamp = venv / ".installed"
    stamp.touch()
    # stamp newer than pyproject.toml: nothing to do
    assert _make("-q", "venv", f"VENV={venv}", cwd=tmp_path).returncode == 0
    # pyproject.toml changed after the install: the install runs again
    later = time.time() + 10
    os.utime(tmp_path / "pyproject.toml", (later, later))
    assert _make("-q", "venv", f"VENV={venv}", cwd=tmp_path).returncode != 0


def test_ci_entry_point_runs_make_test() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    assert script.startswith("#!/usr/bin/env bash")
    assert "set -euo pipefail" in script
    assert "make test" in script


def test_a_change_to_the_c_scanner_reinstalls(tmp_path: Path) -> None:
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    native = tmp_path / "losscli" / "_native"
    native.mkdir(parents=True)
    (native / "fastcsv.c").write_text("/* */\n")
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / ".installed").touch()
    assert _make("-q", "venv", f"VENV={venv}", cwd=tmp_path).returncode == 0
    later = time.time() + 10
    os.utime(native / "fastcsv.c", (later, later))
    assert _make("-q", "venv", f"VENV={venv}", cwd=tmp_path).returncode != 0


def test_the_install_checks_the_c_scanner_and_compiles_bytecode() -> None:
    plan = _make("-n", "venv", "VENV=/nonexistent/venv").stdout
    assert "import losscli._fastcsv" in plan
    assert "compileall" in plan
