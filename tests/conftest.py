"""What the test files share: the CLI runner and its JSON / error helpers, the console
script in a real process, the start-up import probe, and the sample folders.

Plain functions and one class rather than fixtures, because the tests call them as
helpers (``run_json("--task", "binary")``) in test bodies and parametrisations; a test
file binds the ones it uses to its command once::

    from conftest import Cli

    _cli = Cli("evaluate")
    run, run_json, run_error = _cli.run, _cli.run_json, _cli.error_line

pytest loads this file before the test modules and puts ``tests/`` on ``sys.path``,
which is what makes ``from conftest import ...`` work from any file below it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from losscli.cli import app

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
#: the installed console script, beside the interpreter running the tests
LOSSCLI = Path(sys.executable).parent / "losscli"
HEAVY = ("numpy", "pandas", "pyarrow")

#: the one CliRunner: stdout and stderr apart (``result.stdout``, ``result.stderr``)
runner = CliRunner()


class Cli:
    """The in-process CLI (:data:`runner`), bound to one command (``Cli("history")``)
    or to none (``Cli()``: the first argument is the command)."""

    def __init__(self, command: str | None = None) -> None:
        self.prefix = [command] if command is not None else []

    def run(self, *args: str, input: bytes | str | None = None) -> Any:
        """The ``Result`` of ``losscli [COMMAND] ARGS...``."""
        return runner.invoke(app, [*self.prefix, *args], input=input)

    def run_json(self, *args: str, input: bytes | str | None = None, code: int = 0) -> Any:
        """The JSON document printed by ``... ARGS -o json``, which must exit ``code``."""
        return self.run_json_stderr(*args, input=input, code=code)[0]

    def run_json_stderr(
        self, *args: str, input: bytes | str | None = None, code: int = 0
    ) -> tuple[Any, str]:
        """:meth:`run_json` and what the command wrote on stderr (its warnings)."""
        result = self.run(*args, "-o", "json", input=input)
        assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
        return json.loads(result.stdout), result.stderr

    def error_text(self, *args: str, input: bytes | str | None = None) -> str:
        """stderr of a command that must fail with exit 2, nothing on stdout and no
        traceback."""
        result = self.run(*args, input=input)
        assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
        assert result.stdout == ""
        assert "Traceback" not in result.stderr
        text: str = result.stderr
        return text

    def error_line(self, *args: str, input: bytes | str | None = None) -> str:
        """:meth:`error_text` that is ONE line ``losscli: error: ...``; that line."""
        lines = self.error_text(*args, input=input).splitlines()
        assert len(lines) == 1, lines
        assert lines[0].startswith("losscli: error: ")
        return lines[0]


def console(*args: str, timeout: float = 120, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """The installed console script in a real process, text in and out (``kwargs``
    go to :func:`subprocess.run`: ``cwd``, ``env``, ``stdin``, ``input``...)."""
    return subprocess.run(
        [str(LOSSCLI), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
        **kwargs,
    )


_PROBE = """
import json, sys
from typer.testing import CliRunner
from losscli.cli import app
result = CliRunner().invoke(app, sys.argv[1:])
loaded = sorted({m.split(".")[0] for m in sys.modules} & {"numpy", "pandas", "pyarrow"})
print(json.dumps({"exit": result.exit_code, "loaded": loaded}))
"""


def probe_imports(*args: str) -> dict[str, Any]:
    """Run ``losscli ARGS`` in a fresh interpreter (this process has everything
    loaded): its exit status and which of numpy, pandas, pyarrow it imported."""
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def assert_close(a: Any, b: Any, where: str = "") -> None:
    """``a == b`` for JSON documents, floats to 1e-12 relative (NaN equal to NaN): two
    runs that add the same numbers in another order (a merge of shards, a cluster)."""
    import math

    if isinstance(a, float) and isinstance(b, float):
        same = (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-12)
        assert same, (where, a, b)
    elif isinstance(a, dict) and isinstance(b, dict):
        assert list(a) == list(b), where
        for k in a:
            assert_close(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), (where, a, b)
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_close(x, y, f"{where}[{i}]")
    else:
        assert a == b, (where, a, b)


#: the top-level keys of ``evaluate -o json`` (losscli.evaluate/1), in order: the shape
#: agreed for issues 14 and 15 (signature, bootstrap, comparisons)
EVALUATE_KEYS = [
    "schema",
    "file",
    "task",
    "rows",
    "target",
    "weight",
    "group_by",
    "models",
    "models_info",
    "classes",
    "params",
    "signature",
    "bootstrap",
    "results",
    "comparisons",
    "skipped",
    "gates",
]


#: the header of ``evaluate --ci -o csv``: a result's columns, then its paired comparison
CI_CSV_HEADER = [
    "model", "group", "loss", "value", "rows", "ci_low", "ci_high",
    "baseline", "delta", "delta_ci_low", "delta_ci_high", "p_value", "verdict", "p_raw",
]  # fmt: skip
#: a comparison as the report has it (``ComparisonRow``'s fields, in order)
COMPARISON_ROW = [
    "model", "baseline", "group", "loss", "delta", "ci_low", "ci_high", "p_value", "verdict",
    "p_raw",
]  # fmt: skip


def ci_csv_tables(text: str) -> tuple[list[list[str]], list[list[str]]]:
    """``evaluate --ci -o csv`` (one table, checked rectangular with the ``--ci``
    header) split into its results (the first seven columns) and its comparisons
    (the lines with a baseline, as ``ComparisonRow`` fields), each under a header."""
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == CI_CSV_HEADER
    assert all(len(r) == len(CI_CSV_HEADER) for r in rows), "not one rectangular table"
    results = [r[:7] for r in rows]
    comparisons = [COMPARISON_ROW] + [r[:1] + r[7:8] + r[1:3] + r[8:] for r in rows[1:] if r[7]]
    return results, comparisons


@contextlib.contextmanager
def local_spark(app: str) -> Iterator[Any]:
    """A local[2] SparkSession (pyspark, on this machine's JVM) for tests that have
    Spark write files: its executors run this interpreter (the venv with losscli),
    nothing listens beyond 127.0.0.1, no UI; stopped after the block."""
    import pytest
    from pyspark.sql import SparkSession

    if shutil.which("java") is None and "JAVA_HOME" not in os.environ:
        pytest.fail("Spark needs a Java runtime (java on PATH or JAVA_HOME)")
    os.environ["PYSPARK_PYTHON"] = os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    session = (
        SparkSession.builder.master("local[2]")
        .appName(app)
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        session.stop()
