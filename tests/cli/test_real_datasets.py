"""Datasets as the real writers lay them out: pandas ``to_parquet(partition_cols=)``,
pyarrow ``write_dataset`` (Hive, Parquet and CSV), dask ``to_parquet`` (with its
``_metadata`` / ``_common_metadata`` side files) and ``to_csv`` (``0.part`` files),
DuckDB ``COPY ... PARTITION_BY``, polars ``write_parquet(partition_by=)``, each run
here; and Spark's output in its shape (Spark itself writes its layouts in
tests/cli/test_spark_writer.py; this file keeps the rarer parts of them): the shape of
``part-00000-<uuid>-c000.snappy.parquet`` beside ``_SUCCESS``, ``._SUCCESS.crc`` and
``.part-….crc`` files, ``__HIVE_DEFAULT_PARTITION__`` for a null key, CSV parts with a
header each, gzip CSV parts, a ``_temporary`` directory of an unfinished job.

Every dataset holds the rows of one frame (:func:`_frame`) cut by the writer; the
oracle is scikit-learn on that frame's rows (``mean_squared_error``,
``mean_absolute_error``), with ``--by`` and ``--filter`` computed by pandas on the
same frame. A null partition key is a missing value, as pyarrow reads it back: SQL
semantics under ``--filter`` (``not (model == "tree")`` keeps no null), and ``--by``
on it needs ``--dropna`` as a CSV's empty cell does.
"""

from __future__ import annotations

import gzip
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as pds
import pyarrow.parquet as pq
import pytest
from sklearn.metrics import mean_absolute_error, mean_squared_error

from conftest import Cli

_cli = Cli("evaluate")
run, run_json, run_error = _cli.run, _cli.run_json, _cli.error_line

N = 600
KEYS = ("model", "day")


def _frame() -> pd.DataFrame:
    """Truth, prediction, a text key with nulls (every 37th row) and a day key."""
    rng = np.random.default_rng(20261202)
    y = rng.normal(size=N) * 3
    frame = pd.DataFrame(
        {
            "y_true": y,
            "y_pred": y + rng.normal(scale=0.5, size=N),
            "model": rng.choice(["tree", "linear"], N).astype(object),
            "day": rng.choice(["2026-11-30", "2026-12-01", "2026-12-02"], N),
        }
    )
    frame.loc[::37, "model"] = None
    return frame


FRAME = _frame()


def _oracle(rows: pd.DataFrame) -> dict[str, float]:
    return {
        "mse": float(mean_squared_error(rows.y_true, rows.y_pred)),
        "mae": float(mean_absolute_error(rows.y_true, rows.y_pred)),
    }


def _check(result: dict[str, Any], rows: pd.DataFrame) -> None:
    assert result["rows"] == len(rows)
    want = _oracle(rows)
    got = {r["loss"]: r["value"] for r in result["results"] if r["group"] is None}
    assert got == pytest.approx(want, rel=1e-12)


def _check_groups(result: dict[str, Any], rows: pd.DataFrame, key: str) -> None:
    groups = {r["group"] for r in result["results"] if r["group"] is not None}
    assert groups == {str(v) for v in rows[key].unique()}
    for value, part in rows.groupby(key):
        got = {r["loss"]: r["value"] for r in result["results"] if r["group"] == str(value)}
        assert got == pytest.approx(_oracle(part), rel=1e-12), value
        assert {r["rows"] for r in result["results"] if r["group"] == str(value)} == {len(part)}


# --------------------------------------------------------------------------- writers


def _pandas(out: Path) -> None:
    FRAME.to_parquet(out, partition_cols=list(KEYS))


def _pyarrow(out: Path) -> None:
    table = pa.Table.from_pandas(FRAME, preserve_index=False)
    pds.write_dataset(
        table, out, format="parquet", partitioning=list(KEYS), partitioning_flavor="hive"
    )


def _pyarrow_csv(out: Path) -> None:
    table = pa.Table.from_pandas(FRAME, preserve_index=False)
    pds.write_dataset(table, out, format="csv", partitioning=list(KEYS), partitioning_flavor="hive")


def _dask(out: Path) -> None:
    dd = pytest.importorskip("dask.dataframe")
    frame = dd.from_pandas(FRAME, npartitions=4)
    frame.to_parquet(out, write_metadata_file=True, write_index=False, partition_on=["day"])


def _duckdb(out: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    con = duckdb.connect()
    con.register("frame", FRAME)
    con.execute(f"COPY frame TO '{out}' (FORMAT PARQUET, PARTITION_BY (model, day))")
    con.close()


def _duckdb_csv(out: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    con = duckdb.connect()
    con.register("frame", FRAME)
    con.execute(f"COPY frame TO '{out}' (FORMAT CSV, HEADER, PARTITION_BY (day))")
    con.close()


def _spark_name(i: int, job: str, suffix: str, partitioned: bool) -> str:
    """Spark's part names: ``part-00000-<job uuid>-c000.snappy.parquet``, and
    ``part-00000-<job uuid>.c000.snappy.parquet`` under partition directories."""
    return f"part-{i:05d}-{job}{'.' if partitioned else '-'}c000{suffix}"


def _spark(out: Path, suffix: str, write: Callable[[pd.DataFrame, Path], None]) -> None:
    """Spark's ``partitionBy("model", "day")`` output: a part per task and
    partition, a hidden ``.crc`` beside each, ``_SUCCESS`` and its ``.crc`` at the
    root, a null key as ``__HIVE_DEFAULT_PARTITION__``; a ``_temporary`` directory of
    another, unfinished, attempt (Spark's output committer); Hadoop's S3 directory
    markers (``model=tree_$folder$``) and a file ``hdfs dfs -put`` is still copying
    (``…._COPYING_``, truncated)."""
    job = str(uuid.UUID(int=20261202))
    tasks = np.arange(N) % 3  # three tasks, each writing its rows of every partition
    for (model, day, task), rows in FRAME.assign(task=tasks).groupby(
        ["model", "day", "task"], dropna=False
    ):
        folder = out / f"model={model if isinstance(model, str) else '__HIVE_DEFAULT_PARTITION__'}"
        path = folder / f"day={day}" / _spark_name(int(task), job, suffix, True)
        path.parent.mkdir(parents=True, exist_ok=True)
        write(rows[["y_true", "y_pred"]], path)
        (path.parent / f".{path.name}.crc").write_bytes(b"crc\x00" + bytes(8))
    (out / "_SUCCESS").write_bytes(b"")
    (out / "._SUCCESS.crc").write_bytes(b"crc\x00\x00\x00\x00\x00")
    for folder in sorted(p for p in out.glob("model=*") if p.is_dir()):
        # what Hadoop's S3 filesystems leave: an empty marker object per directory
        (out / f"{folder.name}_$folder$").write_bytes(b"")
    copying = next(out.rglob(_spark_name(0, job, suffix, True)))
    (copying.parent / f"{copying.name}._COPYING_").write_bytes(copying.read_bytes()[:20])
    stale = out / "_temporary" / "0" / "task_0" / "model=tree" / "day=2026-11-30"
    stale.mkdir(parents=True)
    write(FRAME[["y_true", "y_pred"]].head(5), stale / _spark_name(9, job, suffix, True))


def _spark_parquet(out: Path) -> None:
    def write(rows: pd.DataFrame, path: Path) -> None:
        table = pa.Table.from_pandas(rows, preserve_index=False)
        pq.write_table(table, path, compression="snappy")

    _spark(out, ".snappy.parquet", write)


def _spark_csv(out: Path) -> None:
    _spark(out, ".csv", lambda rows, path: rows.to_csv(path, index=False, float_format="%.17g"))


def _spark_csv_gz(out: Path) -> None:
    def write(rows: pd.DataFrame, path: Path) -> None:
        path.write_bytes(gzip.compress(rows.to_csv(index=False, float_format="%.17g").encode()))

    _spark(out, ".csv.gz", write)


#: writer → the partition keys of its directories (the rest stay data columns)
WRITERS: dict[str, tuple[Callable[[Path], None], tuple[str, ...]]] = {
    "pandas": (_pandas, KEYS),
    "pyarrow": (_pyarrow, KEYS),
    "pyarrow-csv": (_pyarrow_csv, KEYS),
    "dask": (_dask, ("day",)),
    "duckdb": (_duckdb, KEYS),
    "duckdb-csv": (_duckdb_csv, ("day",)),
    "spark-parquet": (_spark_parquet, KEYS),
    "spark-csv": (_spark_csv, KEYS),
    "spark-csv-gz": (_spark_csv_gz, KEYS),
}


@pytest.fixture(scope="module", params=sorted(WRITERS))
def written(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    write, _ = WRITERS[request.param]
    out = tmp_path_factory.mktemp(request.param) / "preds"
    write(out)
    return out


def test_the_whole_dataset(written: Path) -> None:
    _check(run_json(str(written), "--loss", "mse", "--loss", "mae"), FRAME)


def test_by_day(written: Path) -> None:
    result = run_json(str(written), "--loss", "mse", "--loss", "mae", "--by", "day")
    _check(result, FRAME)
    _check_groups(result, FRAME, "day")


def test_filter_on_a_key_and_on_data(written: Path) -> None:
    rows = FRAME[(FRAME.day >= "2026-12-01") & (FRAME.y_true > 0)]
    flt = 'day >= "2026-12-01" and y_true > 0'
    _check(run_json(str(written), "--loss", "mse", "--loss", "mae", "--filter", flt), rows)


def test_a_null_model_key_is_missing(written: Path) -> None:
    """``not (model == "tree")``: SQL keeps neither tree nor the null rows; ``--by
    model`` needs --dropna, as the same rows in one CSV file do."""
    kept = FRAME[FRAME.model == "linear"]
    flt = 'not (model == "tree")'
    _check(run_json(str(written), "--loss", "mse", "--loss", "mae", "--filter", flt), kept)
    _check(
        run_json(
            str(written), "--loss", "mse", "--loss", "mae", "--filter", flt + " and y_true > -1e9"
        ),
        kept,
    )
    line = run_error(str(written), "--loss", "mse", "--by", "model")
    assert "rows have a missing value (first: column 'model'" in line
    present = FRAME[FRAME.model.notna()]
    result = run_json(str(written), "--loss", "mse", "--loss", "mae", "--by", "model", "--dropna")
    _check(result, present)
    _check_groups(result, present, "model")


# --------------------------------------------------------------------------- one-offs


def test_a_null_integer_key(tmp_path: Path) -> None:
    """pyarrow's ``shard=__HIVE_DEFAULT_PARTITION__`` beside ``shard=0..2``: the key
    stays a number (its groups 0, 1, 2), its null rows missing."""
    frame = FRAME[["y_true", "y_pred"]].assign(shard=pd.array(np.arange(N) % 3, dtype="Int64"))
    frame.loc[::41, "shard"] = pd.NA
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pds.write_dataset(
        table,
        tmp_path,
        format="parquet",
        partitioning=["shard"],
        partitioning_flavor="hive",
        existing_data_behavior="overwrite_or_ignore",
    )
    assert (tmp_path / "shard=__HIVE_DEFAULT_PARTITION__").is_dir()
    present = frame[frame.shard.notna()].astype({"shard": int})
    result = run_json(str(tmp_path), "--loss", "mse", "--loss", "mae", "--by", "shard", "--dropna")
    _check(result, present)
    _check_groups(result, present, "shard")
    for flt, rows in (
        ("shard >= 1", present[present.shard >= 1]),
        ("not (shard >= 1) and y_true > -1e9", present[present.shard < 1]),
    ):
        _check(run_json(str(tmp_path), "--loss", "mse", "--loss", "mae", "--filter", flt), rows)
    assert "'shard' holds numbers" in run_error(str(tmp_path), "--filter", 'shard == "1"')


def test_parts_with_a_header_and_no_rows(tmp_path: Path) -> None:
    """A CSV part of a header only (pandas ``to_csv`` of an empty shard, Spark's
    output of an empty task) is a part of no rows, first or not, as pyarrow and
    Spark read it; only header-only parts: no data rows."""
    header = FRAME.head(0).to_csv(index=False)
    (tmp_path / "part-00000.csv").write_text(header)
    FRAME.iloc[:250].to_csv(tmp_path / "part-00001.csv", index=False, float_format="%.17g")
    (tmp_path / "part-00002.csv.gz").write_bytes(gzip.compress(header.encode()))
    FRAME.iloc[250:].to_csv(tmp_path / "part-00003.csv", index=False, float_format="%.17g")
    (tmp_path / "part-00004.csv").write_text(header)
    assert pds.dataset(tmp_path, format="csv").count_rows() == N  # pyarrow agrees
    _check(run_json(str(tmp_path), "--loss", "mse", "--loss", "mae"), FRAME)
    rows = FRAME[FRAME.y_true > 0]
    _check(
        run_json(str(tmp_path), "--loss", "mse", "--loss", "mae", "--filter", "y_true > 0"), rows
    )
    for name in ("part-00001.csv", "part-00003.csv"):
        (tmp_path / name).write_text(header)
    assert "no data rows" in run_error(str(tmp_path), "--loss", "mse")


def test_a_header_only_part_with_other_columns_is_named(tmp_path: Path) -> None:
    FRAME.to_csv(tmp_path / "a.csv", index=False)
    (tmp_path / "b.csv").write_text("y_true,y_hat\n")
    line = run_error(str(tmp_path), "--loss", "mse")
    assert f"{tmp_path / 'b.csv'}: its columns differ" in line


def test_dask_to_csv_parts_need_format(tmp_path: Path) -> None:
    """dask's ``to_csv(dir)`` writes ``0.part``, ``1.part``...: no suffix says CSV,
    so exit 2 naming ``--format``; with ``--format csv`` the dataset's rows."""
    dd = pytest.importorskip("dask.dataframe")
    dd.from_pandas(FRAME, npartitions=3).to_csv(tmp_path, index=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0.part", "1.part", "2.part"]
    line = run_error(str(tmp_path), "--loss", "mse")
    assert "cannot tell the format of" in line and "--format" in line
    _check(run_json(str(tmp_path), "--format", "csv", "--loss", "mse", "--loss", "mae"), FRAME)


def test_dask_side_files_are_not_parts(tmp_path: Path) -> None:
    """dask's ``_metadata`` and ``_common_metadata`` are Parquet footers of the
    whole dataset: read as parts they would add no rows but their schema; skipped."""
    dd = pytest.importorskip("dask.dataframe")
    dd.from_pandas(FRAME, npartitions=2).to_parquet(
        tmp_path, write_metadata_file=True, write_index=False
    )
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["_common_metadata", "_metadata", "part.0.parquet", "part.1.parquet"]
    _check(run_json(str(tmp_path), "--loss", "mse", "--loss", "mae"), FRAME)


def test_polars_keeps_the_keys_in_the_files(tmp_path: Path) -> None:
    """polars' ``write_parquet(partition_by=)`` keeps the keys in the files as well
    as in the directories (pyarrow.dataset cannot read that: "Unable to merge"); the
    files' columns are read, as polars reads them back: its nulls stay nulls."""
    pl = pytest.importorskip("polars")
    pl.from_pandas(FRAME).write_parquet(tmp_path, partition_by=list(KEYS))
    assert (tmp_path / "model=__HIVE_DEFAULT_PARTITION__").is_dir()
    assert "model" in pq.read_schema(next(tmp_path.rglob("*.parquet"))).names
    back = pl.scan_parquet(tmp_path / "**" / "*.parquet", hive_partitioning=True).collect()
    assert back.height == N
    result = run_json(str(tmp_path), "--loss", "mse", "--loss", "mae", "--by", "day")
    _check(result, FRAME)
    _check_groups(result, FRAME, "day")
    kept = FRAME[FRAME.model == "linear"]
    flt = 'not (model == "tree") and day >= "2026-11-30"'
    _check(run_json(str(tmp_path), "--loss", "mse", "--loss", "mae", "--filter", flt), kept)
    present = FRAME[FRAME.model.notna()]
    result = run_json(str(tmp_path), "--loss", "mse", "--loss", "mae", "--by", "model", "--dropna")
    _check_groups(result, present, "model")


def test_a_delta_lake_table_is_refused(tmp_path: Path) -> None:
    """deltalake's ``write_deltalake`` twice (the second an overwrite): the
    directory holds both versions' files, the table only the second's rows; read
    as Parquet files it would count both (pyarrow does: 2 × 300 rows), so one line
    names the table; a quoted glob still reads every file it names."""
    dl = pytest.importorskip("deltalake")
    table = tmp_path / "preds"
    dl.write_deltalake(table, FRAME.iloc[:300], partition_by=["day"])
    dl.write_deltalake(table, FRAME.iloc[300:], partition_by=["day"], mode="overwrite")
    assert dl.DeltaTable(table).to_pyarrow_table().num_rows == N - 300
    assert pds.dataset(table, format="parquet", partitioning="hive").count_rows() == N
    line = run_error(str(table), "--loss", "mse")
    assert "is a Delta Lake table (it has a _delta_log)" in line
    _check(run_json(str(table / "*" / "*.parquet"), "--loss", "mse", "--loss", "mae"), FRAME)
