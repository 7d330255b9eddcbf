"""Every command the README shows runs, and exits as the README says.

Commands are the lines that start with ``losscli`` inside ```sh blocks; a line may
end with ``# exit N`` to say the status it is meant to return (default 0). They
run through bash in the repository root with this interpreter's scripts first on
PATH, as a user who followed the README would run them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"


def _commands() -> list[tuple[str, int]]:
    commands: list[tuple[str, int]] = []
    in_sh = False
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            in_sh = line.strip() in ("```sh", "```bash", "```console")
            continue
        text = line.strip().removeprefix("$ ")
        if in_sh and text.startswith("losscli"):
            match = re.search(r"#\s*exit\s+(\d+)\s*$", text)
            status = int(match.group(1)) if match else 0
            commands.append((text, status))
    return commands


COMMANDS = _commands()


def test_readme_shows_commands() -> None:
    assert len(COMMANDS) >= 10
    assert any(c.startswith("losscli evaluate") for c, _ in COMMANDS)
    assert any(c.startswith("losscli recommend") for c, _ in COMMANDS)
    assert any(c.startswith("losscli history") for c, _ in COMMANDS)


@pytest.mark.parametrize(("command", "status"), COMMANDS, ids=[c for c, _ in COMMANDS])
def test_readme_command_runs(command: str, status: int, tmp_path: Path) -> None:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["COLUMNS"] = "100"
    env["README_TMP"] = str(tmp_path)
    proc = subprocess.run(
        ["bash", "-c", command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == status, f"{command}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert "Traceback" not in proc.stderr
    if status == 0:
        assert proc.stdout.strip() or "--output-file" in command or "--plot" in command


def _python_blocks() -> list[str]:
    blocks: list[str] = []
    current: list[str] | None = None
    for line in README.read_text(encoding="utf-8").splitlines():
        if current is None and line.strip() == "```python":
            current = []
        elif current is not None and line.startswith("```"):
            blocks.append("\n".join(current))
            current = None
        elif current is not None:
            current.append(line)
    return blocks


def test_readme_python_examples_run_and_show_true_values() -> None:
    blocks = _python_blocks()
    assert blocks, "the README shows the library from Python"
    for block in blocks:
        namespace: dict[str, object] = {}
        exec(compile(block, "README.md", "exec"), namespace)  # the README's own example code
        # a value the README states in a comment must be what the line returns
        checked = 0
        for line in block.splitlines():
            match = re.match(
                r"^(?P<expr>[^#]+?)\s+#\s*(?P<value>-?\d+\.\d+)(?P<more>\.\.\.)?$", line
            )
            if match:
                value = eval(match.group("expr"), namespace)  # README example, trusted text
                shown = match.group("value")
                if match.group("more"):
                    assert str(value).startswith(shown), (line, value)
                else:
                    assert value == pytest.approx(float(shown), rel=1e-12), (line, value)
                checked += 1
        assert checked >= 2, "the example states the values it returns"
