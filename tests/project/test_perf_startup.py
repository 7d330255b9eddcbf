"""Start-up and exit of the console script (issue 6): what is imported and how the
process ends.

Import checks run in a fresh interpreter (this test process has everything loaded);
each group has a control that proves the probe sees a heavy import when one happens.
Timings are never asserted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, HEAVY, SAMPLES
from conftest import probe_imports as _probe


@pytest.mark.parametrize(
    "args",
    [
        ["evaluate", "no-such-file.csv"],
        ["evaluate", str(SAMPLES)],  # a directory
        ["evaluate", str(SAMPLES / "make_samples.py")],  # unknown format
        ["evaluate", str(SAMPLES / "regression.csv"), "-l", "nope"],
        ["evaluate", str(SAMPLES / "regression.csv"), "--quantile", "2"],
        ["evaluate", str(SAMPLES / "regression.csv"), "--class-weight", "a=b"],
        ["evaluate", str(SAMPLES / "regression.parquet"), "--precision", "0"],
        ["evaluate", str(SAMPLES / "regression.parquet"), "-o", "xml"],
        ["evaluate", str(SAMPLES / "regression.parquet"), "--fail-if", "mse>>1"],
    ],
)
def test_evaluate_error_paths_import_no_numpy_pandas_pyarrow(args: list[str]) -> None:
    result = _probe(*args)
    assert result["exit"] == 2
    assert not set(result["loaded"]) & set(HEAVY), result


def test_the_probe_sees_numpy_and_pyarrow_when_evaluate_runs() -> None:
    result = _probe("evaluate", str(SAMPLES / "regression.parquet"), "-o", "json")
    assert result["exit"] == 0
    assert {"numpy", "pyarrow"} <= set(result["loaded"])
    assert "pandas" not in result["loaded"]  # the streaming path never needs it


@pytest.mark.parametrize("sample", ["regression.csv", "binary.csv", "models.csv", "multiclass.csv"])
def test_a_plain_csv_is_evaluated_without_pyarrow(sample: str) -> None:
    # the C scanner reads plain numbers and labels straight into numpy: no 0.14 s
    # pyarrow import (multiclass.csv: text class labels)
    result = _probe("evaluate", str(SAMPLES / sample), "-o", "json")
    assert result["exit"] == 0
    assert result["loaded"] == ["numpy"], result


def test_a_compressed_csv_still_loads_pyarrow() -> None:
    # the control: Arrow decompresses, and the probe sees it
    fixture = FIXTURES / "evaluate" / "small.tsv.gz"
    result = _probe("evaluate", str(fixture), "-o", "json")
    assert result["exit"] == 0
    assert "pyarrow" in result["loaded"]


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["--version"],
        ["evaluate", "--help"],
        ["recommend", "--task", "binary", "-o", "json"],
        ["recommend", "--task", "regression", "--asymmetric", "UNDER", "--quantile", "0.9"],
        ["losses", "-o", "json"],
    ],
)
def test_help_version_and_recommend_import_no_numpy_pandas_pyarrow(args: list[str]) -> None:
    result = _probe(*args)
    assert result["exit"] == 0
    assert result["loaded"] == [], result


# ----------------------------------------------------------------- exit


def _console(
    *args: str, stdin: str | None = None, tmpdir: Path
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TMPDIR": str(tmpdir)}
    return subprocess.run(
        [sys.executable, "-m", "losscli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )


def test_console_script_exit_status_output_and_stdin_spool_cleanup(tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    data = "y_true,y_pred\n1,1.5\n2,2\n3,2.5\n"
    ok = _console("evaluate", "-", "-o", "json", "-l", "mse", stdin=data, tmpdir=spool)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["results"][0]["value"] == pytest.approx(1 / 6, rel=1e-15)
    gate = _console("evaluate", "-", "-l", "mse", "--fail-if", "mse>0.1", stdin=data, tmpdir=spool)
    assert gate.returncode == 1
    assert "gate failed" in gate.stderr
    bad = _console("evaluate", "-", "--true", "nope", stdin=data, tmpdir=spool)
    assert bad.returncode == 2
    assert bad.stderr.startswith("losscli: error: ")
    assert list(spool.iterdir()) == []  # every stdin copy deleted, though os._exit skips atexit
    assert _console("--version", tmpdir=spool).stdout.startswith("losscli ")
    assert _console("frobnicate", tmpdir=spool).returncode == 2


def test_console_script_output_reaches_a_file_intact(tmp_path: Path) -> None:
    """stdout is flushed before os._exit, also when it is a file, not a terminal."""
    out = tmp_path / "out.json"
    with open(out, "w", encoding="utf-8") as fh:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "losscli",
                "evaluate",
                str(SAMPLES / "regression.csv"),
                "-o",
                "json",
            ],
            stdout=fh,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["rows"] == 500


# ----------------------------------------------------------------- io


@pytest.mark.parametrize("group_values", [None, 150])
def test_parquet_row_groups_and_wide_batches_read_every_row_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, group_values: int | None
) -> None:
    """Row group by row group (default), or in batches when a row group holds more
    than PARQUET_GROUP_VALUES values: the same rows, in file order, either way."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from losscli.io import parquet, tables

    if group_values is not None:
        monkeypatch.setattr(parquet, "PARQUET_GROUP_VALUES", group_values)
    n = 1000
    path = tmp_path / "g.parquet"
    table = pa.table({"y": [float(i) for i in range(n)], "p": [i * 0.5 for i in range(n)]})
    pq.write_table(table, path, row_group_size=128)
    batches = list(tables.iter_batches(path, columns=["p", "y"]))
    if group_values is not None:
        assert max(b.num_rows for b in batches) <= group_values // 2
    else:
        assert [b.num_rows for b in batches] == [128] * 7 + [n - 7 * 128]
    ys = [v for b in batches for v in b.column(1).to_pylist()]
    ps = [v for b in batches for v in b.column(0).to_pylist()]
    assert ys == [float(i) for i in range(n)]
    assert ps == [i * 0.5 for i in range(n)]


def test_csv_blocks_parsed_two_at_a_time_keep_file_order(tmp_path: Path) -> None:
    """Many blocks (small chunk_rows → small blocks) go through the 2-thread pool;
    rows come back in file order, each exactly once, quoted newlines intact."""
    from losscli.io import tables

    rows = [f'{i},"a\nb {i}",{i / 4}' for i in range(3000)]
    path = tmp_path / "q.csv"
    path.write_text("n,text,x\n" + "\n".join(rows) + "\n")
    got: list[int] = []
    texts: list[str] = []
    for batch in tables.iter_batches(
        path, columns=["n", "text"], column_types={"n": "float64"}, chunk_rows=50
    ):
        got += [int(v) for v in batch.column(0).to_pylist()]
        texts += batch.column(1).to_pylist()
    assert got == list(range(3000))
    assert texts[2999] == "a\nb 2999"
