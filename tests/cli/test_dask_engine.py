"""``evaluate --engine dask`` on a real ``distributed.LocalCluster`` of two worker
processes (started once for the module: it costs seconds), against the local engine.

Oracle: the local engine on the concatenation of the partitions' files (the same rows
in the same order), compared as JSON documents: equal but for ``file``, floats to
1e-12 relative (each partition's sums are added in another order). Skip reasons name
the rows of the concatenation. A worker that dies mid-run (its process killed by
SIGKILL inside a task) is one error line, and the output file is not written.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from losscli.evaluate import dask_engine

from conftest import Cli
from conftest import assert_close as close

distributed = pytest.importorskip("distributed")
dask = pytest.importorskip("dask")

_cli = Cli("evaluate")
run, error_line = _cli.run, _cli.error_line


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """The address of a two-process LocalCluster; a task whose worker dies fails at
    once (allowed-failures 0) instead of being retried on the other worker."""
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        dask_engine.local_cluster(distributed, n_workers=2, threads_per_worker=1) as cluster,
    ):
        yield cluster.scheduler_address


def _frame(n: int = 6000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.gamma(2.0, 2.0, n)
    df = pd.DataFrame(
        {
            "y_true": y,
            "pred_a": np.abs(y + rng.normal(0, 1, n)) + 0.01,
            "pred_b": y * rng.uniform(0.7, 1.3, n),
            "w": rng.uniform(0, 2, n),
            "region": rng.choice(["n", "s", "e", "w", "12"], n),
        }
    )
    df.loc[df.index.isin([2500, 4000]), "y_true"] = -1.0  # msle: first violation, row 2501
    df.loc[df.index.isin([10, 3333]), "pred_b"] = np.nan
    df.loc[n - 5 :, "region"] = "last"  # only the last partition has it
    return df


def _dataset(tmp_path: Path, df: pd.DataFrame, k: int, fmt: str) -> tuple[Path, Path]:
    """``k`` files of ``df`` in a folder (names sort in row order) and one whole file."""
    folder = tmp_path / "ds"
    folder.mkdir()
    for i, rows in enumerate(np.array_split(np.arange(len(df)), k)):
        part = df.iloc[rows]
        path = folder / f"part-{i:02d}.{fmt}"
        part.to_parquet(path, index=False) if fmt == "parquet" else part.to_csv(path, index=False)
    whole = tmp_path / f"whole.{fmt}"
    df.to_parquet(whole, index=False) if fmt == "parquet" else df.to_csv(whole, index=False)
    return folder, whole


def _doc(*args: str) -> dict[str, Any]:
    result = run(*args, "-o", "json")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    doc: dict[str, Any] = json.loads(result.stdout)
    doc.pop("file")
    return doc


OPTIONS = {
    "plain": ("--dropna",),
    "weighted-by": ("--weight", "w", "--by", "region", "--dropna"),
}


@pytest.mark.parametrize("opts", sorted(OPTIONS))
def test_parquet_dataset_equals_the_local_engine(tmp_path: Path, scheduler: str, opts: str) -> None:
    folder, whole = _dataset(tmp_path, _frame(), 6, "parquet")
    dask_doc = _doc(str(folder), "--engine", "dask", "--scheduler", scheduler, *OPTIONS[opts])
    local = _doc(str(whole), *OPTIONS[opts])
    close(dask_doc, local)
    assert "first violation at row 2501" in json.dumps(local["skipped"])


def test_csv_glob_equals_the_local_engine(tmp_path: Path, scheduler: str) -> None:
    folder, whole = _dataset(tmp_path, _frame(seed=1), 9, "csv")
    opts = ("--by", "region", "--dropna")
    pattern = str(folder / "part-*.csv")
    close(
        _doc(pattern, "--engine", "dask", "--scheduler", scheduler, *opts), _doc(str(whole), *opts)
    )


def test_one_file_is_one_partition(tmp_path: Path, scheduler: str) -> None:
    _, whole = _dataset(tmp_path, _frame(seed=2), 2, "parquet")
    close(
        _doc(str(whole), "--engine", "dask", "--scheduler", scheduler, "--dropna"),
        _doc(str(whole), "--dropna"),
    )


def test_a_bad_value_in_a_partition_is_the_local_error(tmp_path: Path, scheduler: str) -> None:
    folder = tmp_path / "ds"
    folder.mkdir()
    (folder / "a.csv").write_text("y_true,y_pred\n1,2\n3,4\n")
    (folder / "b.csv").write_text("y_true,y_pred\n1,2\n3,x\n")
    local = error_line(str(folder / "b.csv"))
    line = error_line(str(folder), "--engine", "dask", "--scheduler", scheduler)
    assert line == local
    assert "row 2" in line


def test_partitions_that_decide_another_task(tmp_path: Path, scheduler: str) -> None:
    folder = tmp_path / "ds"
    folder.mkdir()
    (folder / "a.csv").write_text("y_true,y_pred\n0,0.2\n1,0.7\n")
    (folder / "b.csv").write_text("y_true,y_pred\n2.5,2\n3,4\n")
    line = error_line(str(folder), "--engine", "dask", "--scheduler", scheduler)
    assert "b.csv does not merge with" in line and "differ in task 'binary' vs 'regression'" in line


def _die_on(name: str) -> None:
    """(In each worker process.) A partition named ``name`` kills its worker."""
    from losscli.evaluate import dask_engine

    real = dask_engine.part_state

    def part_state(part: Any, options: Any) -> Any:
        if part.name.endswith(name):
            os.kill(os.getpid(), signal.SIGKILL)
        return real(part, options)

    dask_engine.part_state = part_state  # type: ignore[assignment]


def test_a_worker_killed_mid_run(tmp_path: Path, scheduler: str) -> None:
    folder, _ = _dataset(tmp_path, _frame(600), 4, "parquet")
    (folder / "part-02.parquet").rename(folder / "part-02-die.parquet")
    with distributed.Client(scheduler) as client:
        client.run(_die_on, "-die.parquet")
    out = tmp_path / "report.json"
    line = error_line(
        str(folder), "--engine", "dask", "--scheduler", scheduler, "--output-file", str(out)
    )
    assert line == (
        "losscli: error: --engine dask: a worker died while evaluating a partition "
        "(KilledWorker); nothing was written"
    )
    assert not out.exists()


def test_an_unreachable_scheduler(tmp_path: Path) -> None:
    _, whole = _dataset(tmp_path, _frame(100), 1, "csv")
    line = error_line(str(whole), "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9")
    assert line.startswith("losscli: error: --scheduler tcp://127.0.0.1:9: cannot connect")


_PROBE = """
import sys
from typer.testing import CliRunner
from losscli.cli import app
for args in (sys.argv[1:], ["merge", "--help"]):
    assert CliRunner().invoke(app, args).exit_code == 0
print(sorted({m.split(".")[0] for m in sys.modules} & {"dask", "distributed"}))
"""


def test_the_local_engine_never_imports_dask(tmp_path: Path) -> None:
    _, whole = _dataset(tmp_path, _frame(100), 1, "csv")
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, "evaluate", str(whole), "--by", "region", "--dropna"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert proc.stdout.strip().splitlines()[-1] == "[]"


# --------------------------------------------------------------------------- --ci


CI_OPTIONS = {
    "ci": ("--ci", "--dropna"),
    "ci-weighted-by": ("--ci", "0.9", "--weight", "w", "--by", "region", "--dropna"),
}


def _same_ci(got: dict[str, Any], want: dict[str, Any]) -> None:
    """The local engine's report: floats to 1e-12 (``close``), and the p-values,
    verdicts and bootstrap settings exactly."""
    close(got, want)
    assert got["bootstrap"] == want["bootstrap"] and want["bootstrap"] is not None
    pick = [
        (c["model"], c["group"], c["loss"], c["p_value"], c["verdict"]) for c in want["comparisons"]
    ]
    assert pick and pick == [
        (c["model"], c["group"], c["loss"], c["p_value"], c["verdict"]) for c in got["comparisons"]
    ]
    overall = [r for r in want["results"] if r["loss"] == "mse" and r["group"] is None]
    assert overall and all(r["ci_low"] is not None for r in overall)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
@pytest.mark.parametrize("opts", sorted(CI_OPTIONS))
def test_ci_equals_the_local_engines(tmp_path: Path, scheduler: str, opts: str, fmt: str) -> None:
    """Bucket ids are global row numbers: Parquet partitions take their offsets from
    the footers, CSV partitions from a count on the cluster first."""
    folder, whole = _dataset(tmp_path, _frame(), 6, fmt)
    got = _doc(str(folder), "--engine", "dask", "--scheduler", scheduler, *CI_OPTIONS[opts])
    _same_ci(got, _doc(str(whole), *CI_OPTIONS[opts]))


# --------------------------------------------------------------------------- row groups


def test_split_row_groups_balances_rows() -> None:
    from losscli.evaluate.dask_engine import Partition, split_row_groups

    big, small = Partition("big", "big", "parquet"), Partition("small", "small", "parquet")
    # 1,000 + 300 rows on 2 workers: target ⌈1300 / 4⌉ = 325 rows per partition
    parts = split_row_groups([big, small], [[100] * 10, [150, 150]], workers=2)
    assert [(p.name, p.row_groups, p.offset) for p in parts] == [
        ("big", (0, 1, 2), 0),
        ("big", (3, 4, 5), 300),
        ("big", (6, 7, 8), 600),
        ("big", (9,), 900),
        ("small", None, 1000),
    ]
    (one,) = split_row_groups([big], [[5000]], workers=4)  # (one row group: whole)
    assert (one.row_groups, one.offset) == (None, 0)


def _row_grouped(tmp_path: Path, df: pd.DataFrame) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "big.parquet"
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path, row_group_size=700)
    return path


@pytest.mark.parametrize("opts", ["--dropna", "--ci --by region --weight w --dropna"])
def test_row_groups_of_one_file_are_partitions(tmp_path: Path, scheduler: str, opts: str) -> None:
    """6,000 rows in row groups of 700 on 2 workers: partitions of ⌈6000/4⌉ = 1500 rows
    at most (two row groups each); the skip reasons name the file's rows (msle's first
    violation, row 2501, in the fourth partition)."""
    from losscli.evaluate.dask_engine import Partition, split_row_groups

    path = _row_grouped(tmp_path, _frame())
    assert len(split_row_groups([Partition("b", "b", "parquet")], [[700] * 8 + [400]], 2)) == 5
    got = _doc(str(path), "--engine", "dask", "--scheduler", scheduler, *opts.split())
    want = _doc(str(path), *opts.split())
    (_same_ci if "--ci" in opts else close)(got, want)
    assert got["skipped"] == want["skipped"]
    assert "first violation at row 2501" in json.dumps(want["skipped"])


def test_a_bad_row_in_a_later_row_group_names_the_files_row(tmp_path: Path, scheduler: str) -> None:
    df = _frame().astype({"pred_a": object})
    df.loc[4321, "pred_a"] = "x"  # (a text value: the 4322nd data row)
    df["pred_a"] = df["pred_a"].astype(str)
    path = _row_grouped(tmp_path, df)
    local = error_line(str(path), "--dropna")
    assert "row 4322" in local
    assert error_line(str(path), "--engine", "dask", "--scheduler", scheduler, "--dropna") == local


# --------------------------------------------------------------------------- Hive keys


def _hive(tmp_path: Path) -> Path:
    """A Hive dataset written by pyarrow (``model=…/day=…/hour=…/part-0.parquet``:
    two text keys and an integer one); one file of 1,200 rows in row groups of 200 is
    larger than a partition's share (⌈2,000 / 4⌉ rows on 2 workers), so it is cut."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    df = _frame(2000, seed=3).drop(columns=["region"])
    cuts = {("tree", "2026-11-29", 3): 1200, ("tree", "2026-11-30", 4): 300}
    cuts |= {("lin", "2026-11-29", 3): 300, ("lin", "2026-11-30", 12): 200}
    root, start = tmp_path / "hive", 0
    for (model, day, hour), n in cuts.items():
        folder = root / f"model={model}" / f"day={day}" / f"hour={hour}"
        folder.mkdir(parents=True)
        table = pa.Table.from_pandas(df.iloc[start : start + n], preserve_index=False)
        pq.write_table(table, folder / "part-0.parquet", row_group_size=200)
        start += n
    return root


HIVE = {
    "by-model": ("--by", "model"),
    "by-hour": ("--by", "hour", "--weight", "w"),
    "filter-key": ("--filter", 'day >= "2026-11-30"', "--by", "model"),
    "filter-int-key": ("--filter", "hour < 12", "--by", "day"),
    "filter-rows": ("--filter", 'model = "tree" or y_true > 3', "--by", "hour"),
}


@pytest.mark.parametrize("opts", sorted(HIVE))
def test_hive_keys_are_columns(tmp_path: Path, scheduler: str, opts: str) -> None:
    """The partition keys are columns of every partition (whole files, runs of row
    groups, files read with --filter), typed as the local engine types them."""
    root = _hive(tmp_path)
    args = (*HIVE[opts], "--dropna")
    local = _doc(str(root), *args)
    close(_doc(str(root), "--engine", "dask", "--scheduler", scheduler, *args), local)
    assert len({r["group"] for r in local["results"]} - {None}) >= 2


def test_a_partition_the_filter_empties(tmp_path: Path, scheduler: str) -> None:
    """A file whose rows --filter all leaves out, or of a header only, adds nothing
    (the local engine's dataset); a filter that leaves no row anywhere is the local
    engine's error."""
    folder = tmp_path / "ds"
    folder.mkdir()
    (folder / "a.csv").write_text("y_true,y_pred\n1,2\n3,4\n")
    (folder / "b.csv").write_text("y_true,y_pred\n10,2\n30,4\n5,5\n")
    (folder / "c.csv").write_text("y_true,y_pred\n")  # (a header only: a part of no rows)
    close(_doc(str(folder), "--engine", "dask", "--scheduler", scheduler), _doc(str(folder)))
    dask_args = ("--engine", "dask", "--scheduler", scheduler)
    local = _doc(str(folder), "--filter", "y_true > 5")
    close(_doc(str(folder), "--filter", "y_true > 5", *dask_args), local)
    assert local["rows"] == 2
    none = (str(folder), "--filter", "y_true > 50")
    assert error_line(*none, *dask_args) == error_line(*none)


def test_zero_byte_parts(tmp_path: Path, scheduler: str) -> None:
    """0-byte CSV parts (pandas' ``to_csv(header=False)`` of an empty shard; what
    Spark and Hadoop write for an empty task) are parts of no rows, first and in the
    middle, with ``--ci`` too (their rows counted 0 before the offsets); a dataset of
    them only is the local engine's one error line."""
    df = _frame(900, seed=4)
    folder, whole = _dataset(tmp_path, df, 3, "csv")
    for name in ("part-000.csv", "part-01a.csv"):
        df.head(0).to_csv(folder / name, header=False, index=False)
        assert (folder / name).stat().st_size == 0
    dask_args = ("--engine", "dask", "--scheduler", scheduler)
    _same_ci(
        _doc(str(folder), *dask_args, "--ci", "--dropna"), _doc(str(whole), "--ci", "--dropna")
    )
    for name in ("part-00.csv", "part-01.csv", "part-02.csv"):
        (folder / name).write_bytes(b"")
    local = error_line(str(folder))
    assert local.endswith("no data rows (every file is 0 bytes)")
    assert error_line(str(folder), *dask_args) == local


# --------------------------------------------------------------------------- --filter rows


def _filtered_parts(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    """Four CSV files of 300 rows, ``keep`` alternating 1/0 row by row (``--filter
    'keep == 1'`` keeps the odd file rows 1, 3, 5...), with bad values in kept rows:
    a negative truth at file row 41 of part-1 (msle's skip reason), an infinite
    prediction at file row 101 of part-2 and at file row 1 of part-3 (the first in
    the order of the rows is part-2's, whichever worker fails first)."""
    folder = tmp_path / "ds"
    folder.mkdir()
    bad = {"part-1.csv": 41, "part-2.csv": 101}
    for i in range(4):
        df = _frame(300, seed=10 + i)[["y_true", "pred_a"]]
        df["keep"] = np.arange(300) % 2 == 0
        df["keep"] = df["keep"].astype(int)
        if i == 1:
            df.loc[40, "y_true"] = -1.0
        if i == 2:
            df.loc[100, "pred_a"] = np.inf
        if i == 3:
            df.loc[0, "pred_a"] = np.inf
        df.to_csv(folder / f"part-{i}.csv", index=False)
    return folder, bad


def test_rows_named_under_a_filter_are_the_local_engines(tmp_path: Path, scheduler: str) -> None:
    """With --filter the engine counts the rows kept; the messages name the file's
    row as the local engine does (its ``(file, row N)``): the same stderr line for a
    bad value (the first in row order) and for a loss asked that a row rules out,
    the same skip reason, for a dataset and for one file. Hand count: the
    kept rows are the odd file rows, so file row 2k-1 is kept row k; part-1's row 41
    is kept row 150 + 21 = 171 of the dataset, part-2's row 101 kept row 300 + 51 = 351."""
    folder, _ = _filtered_parts(tmp_path)
    dask_args = ("--engine", "dask", "--scheduler", scheduler)
    flt = ("--filter", "keep == 1", "--true", "y_true", "--pred", "pred_a")
    local = error_line(str(folder), *flt)
    assert local.endswith(
        "row 351: the prediction is infinite (dataset row 351 of those --filter "
        f"kept: {folder / 'part-2.csv'}, row 101)"
    )
    assert error_line(str(folder), *flt, *dask_args) == local
    (folder / "part-2.csv").unlink()
    (folder / "part-3.csv").unlink()
    want = _doc(str(folder), *flt)
    reason = f"row 171 of those --filter kept ({folder / 'part-1.csv'}, row 41)"
    assert reason in json.dumps(want["skipped"])
    close(_doc(str(folder), *flt, *dask_args), want)
    asked = (str(folder), *flt, "--loss", "msle")  # (a loss asked: the skip is an error)
    assert reason in error_line(*asked)
    assert error_line(*asked, *dask_args) == error_line(*asked)
    one = folder / "part-1.csv"
    local = _doc(str(one), *flt)
    assert "first violation at row 41" in json.dumps(local["skipped"])
    close(_doc(str(one), *flt, *dask_args), local)


# --------------------------------------------------------------------------- small files


def test_small_files_share_partitions(tmp_path: Path, scheduler: str) -> None:
    """60 CSV files of 50 rows on 2 workers are 4 partitions of 15 files
    (:mod:`losscli.evaluate.dask_plan`), read one after the other on a worker: the
    local engine's report (msle's skip reason in file 37, --ci intervals of the
    same seed: bucket ids are input rows, so a combined partition's offset is its
    first file's), and a bad value in a combined partition is the local engine's
    error line (the first in row order)."""
    from losscli.evaluate.dask_plan import MAX_PART_BYTES, combine, partitions, stored_bytes, target

    df = _frame(3000, seed=5)
    folder, whole = _dataset(tmp_path, df, 60, "csv")
    parts = partitions(str(folder))
    sizes = [stored_bytes(p) for p in parts]
    assert [
        len(p.more) + 1 for p in combine(parts, sizes, target(sum(sizes), 2, MAX_PART_BYTES))
    ] == [15] * 4
    dask_args = ("--engine", "dask", "--scheduler", scheduler)
    opts = ("--ci", "--by", "region", "--weight", "w", "--dropna")
    got, want = _doc(str(folder), *dask_args, *opts), _doc(str(whole), *opts)
    _same_ci(got, want)
    assert got["skipped"] == want["skipped"]
    assert "first violation at row 2501" in json.dumps(want["skipped"])
    for i, row in ((41, 20), (44, 3)):  # (file 41's 21st row comes first)
        frame = pd.read_csv(folder / f"part-{i:02d}.csv")
        frame.loc[row, "pred_a"] = np.inf
        frame.to_csv(folder / f"part-{i:02d}.csv", index=False)
    local = error_line(str(folder), "--dropna")
    assert "part-41.csv, row 21)" in local
    assert error_line(str(folder), *dask_args, "--dropna") == local
