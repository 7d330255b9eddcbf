"""``evaluate --engine dask`` as a user at a terminal runs it: no ``--scheduler``
(losscli starts a ``distributed.LocalCluster`` sized to the machine and stops it),
stderr a real pseudo-terminal (``os.openpty``), stdout a pipe.

Oracle: the local engine on the same folder (floats to 1e-12 relative). The progress
bar (distributed's text bar, "…% Completed") is written to the terminal only: stdout
holds the JSON document and nothing else, and with stderr a pipe no bar is written.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import LOSSCLI, Cli
from conftest import assert_close as close

pytest.importorskip("distributed")
run = Cli("evaluate").run


def _folder(tmp_path: Path) -> Path:
    rng = np.random.default_rng(5)
    folder = tmp_path / "preds"
    folder.mkdir()
    for i in range(4):
        y = rng.normal(size=500)
        frame = pd.DataFrame({"y_true": y, "y_pred": y + rng.normal(0, 0.3, 500)})
        frame.to_parquet(folder / f"part-{i}.parquet", index=False)
    return folder


def _on_a_terminal(*args: str) -> tuple[int, str, str]:
    """Exit code, stdout and what reached the terminal of ``losscli ARGS``, its
    stderr a pseudo-terminal read while it runs."""
    master, slave = os.openpty()
    seen: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # (EIO: the last writer closed the terminal)
                return
            if not chunk:
                return
            seen.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        env = os.environ | {"COLUMNS": "100", "TERM": "xterm"}
        proc = subprocess.run(
            [str(LOSSCLI), *args], stdout=subprocess.PIPE, stderr=slave, timeout=300, env=env
        )
    finally:
        os.close(slave)
    reader.join(timeout=10)
    os.close(master)
    return proc.returncode, proc.stdout.decode(), b"".join(seen).decode(errors="replace")


def _local(folder: Path) -> dict[str, object]:
    result = run(str(folder), "-o", "json")
    assert result.exit_code == 0, result.stderr
    doc: dict[str, object] = json.loads(result.stdout)
    return doc


def test_a_cluster_of_its_own_and_a_progress_bar_on_the_terminal(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    code, out, terminal = _on_a_terminal("evaluate", str(folder), "--engine", "dask", "-o", "json")
    assert code == 0, terminal
    close(json.loads(out), _local(folder))  # stdout: the document alone
    assert "% Completed" in terminal, terminal
    assert "Traceback" not in terminal


def test_no_progress_bar_when_stderr_is_a_pipe(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    proc = subprocess.run(
        [str(LOSSCLI), "evaluate", str(folder), "--engine", "dask", "-o", "json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    close(json.loads(proc.stdout), _local(folder))
