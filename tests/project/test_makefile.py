"""The two-command set-up: Makefile targets, the install stamp, and .ci/run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


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


# -- the guards of issue 11 in `make test` ------------------------------------------

BIN = Path(sys.executable).parent


def test_make_test_runs_the_import_contract() -> None:
    plan = _make("-n", "test", "VENV=/nonexistent/venv").stdout
    assert "lint-imports" in plan


def _contract(package: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports with the project's contract on the package copied under ``package``."""
    return subprocess.run(
        [str(BIN / "lint-imports"), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=package,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(package)},
    )


def test_the_import_contract_holds_and_catches_each_kind_of_violation(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "losscli", tmp_path / "losscli", ignore=shutil.ignore_patterns("*.so"))
    kept = _contract(tmp_path)
    assert kept.returncode == 0, kept.stdout
    assert "5 kept, 0 broken" in kept.stdout
    # a low layer importing a high one, typer outside cli, rich outside cli and render,
    # huggingface_hub outside io.hub
    with open(tmp_path / "losscli" / "tasks.py", "a", encoding="utf-8") as fh:
        fh.write("\n\ndef _bad() -> None:\n    import rich\n    import typer\n\n")
        fh.write("    import huggingface_hub\n    from losscli import render\n")
    broken = _contract(tmp_path)
    assert broken.returncode == 1
    assert "1 kept, 4 broken" in broken.stdout  # (the dask contract is not touched)
    assert "losscli.tasks is not allowed to import losscli.render" in broken.stdout
    assert "losscli.tasks -> typer" in broken.stdout and "losscli.tasks -> rich" in broken.stdout
    assert "losscli.tasks -> huggingface_hub" in broken.stdout


def test_ruff_refuses_a_function_over_mccabe_15(tmp_path: Path) -> None:
    branches = "".join(f"    if x == {i}:\n        return {i}\n" for i in range(15))
    source = tmp_path / "complex.py"
    source.write_text(f"def f(x: int) -> int:\n{branches}    return -1\n")
    proc = subprocess.run(
        [str(BIN / "ruff"), "check", "--config", str(ROOT / "pyproject.toml"), str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert "C901" in proc.stdout and "(16 > 15)" in proc.stdout


def test_packages_find_picks_up_every_subpackage() -> None:
    """``[tool.setuptools.packages.find]`` (``losscli*``) ships every folder of Python
    modules, so a new subpackage (losscli/io, losscli/evaluate, ...) needs no list
    edit, as long as it has an ``__init__.py``; ``_native`` holds the C sources and
    the table generator, which the build compiles, not ships."""
    import tomllib

    from setuptools import find_packages

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = set(find_packages(str(ROOT), **config["packages"]["find"]))
    folders = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for path in (ROOT / "losscli").rglob("*.py")
        if "__pycache__" not in path.parts
    }
    assert "losscli.cli" in found and "losscli.history.formats" in found
    assert folders - {"losscli._native"} <= found, folders - found
