"""The real writers' datasets of tests/cli/test_real_datasets.py served by moto's S3
server on 127.0.0.1 (each writer's tree under its own prefix: pandas, pyarrow, dask
with ``_metadata``, DuckDB, Spark's shape with ``_SUCCESS``, ``.crc``,
``__HIVE_DEFAULT_PARTITION__`` and ``_temporary``, gzip CSV parts, a header-only
part), and single files written by DuckDB, polars and Spark's CSV writer shape
served by a Python ``http.server`` with Range support: every report equal to the
local run of the same files except for its name; with sklearn on the frame's rows
(test_real_datasets._check) for the S3 trees. The servers and the helpers are those
of tests/cli/test_remote_sources.py. Nothing leaves 127.0.0.1."""

from __future__ import annotations

import gzip
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import Cli

moto_server = pytest.importorskip("moto.server")
s3fs = pytest.importorskip("s3fs")

from test_real_datasets import FRAME, WRITERS, _check  # noqa: E402
from test_remote_sources import _RangeHandler, moto_bucket  # noqa: E402

run_json = Cli("evaluate").run_json
#: not test_remote_sources' bucket: moto keeps one store per process, whichever
#: server serves it
BUCKET = "real-writers"


def _tree(root: Path) -> dict[str, bytes]:
    """Every file below ``root`` by its relative key (hidden ones included: the
    store lists them as Spark leaves them)."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _header_only_parts(out: Path) -> None:
    """gzip CSV parts with a header-only part first and in the middle."""
    out.mkdir(parents=True)
    header = FRAME.head(0).to_csv(index=False).encode()
    body = [FRAME.iloc[:300], FRAME.iloc[300:]]
    (out / "part-00000.csv.gz").write_bytes(gzip.compress(header))
    for i, rows in zip((1, 3), body, strict=True):
        text = rows.to_csv(index=False, float_format="%.17g").encode()
        (out / f"part-{i:05d}.csv.gz").write_bytes(gzip.compress(text))
    (out / "part-00002.csv.gz").write_bytes(gzip.compress(header))


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("real")
    for name, (write, _) in WRITERS.items():
        write(root / name)
    _header_only_parts(root / "header-only")
    return root


@pytest.fixture(scope="module")
def s3(local: Path) -> Iterator[str]:
    with moto_bucket(BUCKET, _tree(local), set_endpoint=True) as endpoint:
        yield endpoint


def _same(a: dict[str, Any], b: dict[str, Any]) -> None:
    a, b = dict(a), dict(b)
    assert a.pop("file") != b.pop("file")
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


@pytest.mark.parametrize("name", [*sorted(WRITERS), "header-only"])
def test_an_s3_dataset_of_a_real_writer(s3: str, local: Path, name: str) -> None:
    args = ("--loss", "mse", "--loss", "mae", "--by", "day")
    remote = run_json(f"s3://{BUCKET}/{name}/", *args)
    _same(remote, run_json(str(local / name), *args))
    _check(remote, FRAME)


@pytest.mark.parametrize("name", ["spark-parquet", "spark-csv-gz", "pyarrow"])
def test_an_s3_dataset_filtered_on_a_null_key(s3: str, local: Path, name: str) -> None:
    """``not (model == "tree")`` over the store: the null-key rows are not kept
    (the partition pruned by its value, the rest by rows), as locally."""
    args = ("--loss", "mse", "--filter", 'not (model == "tree") and y_true > -1e9')
    remote = run_json(f"s3://{BUCKET}/{name}/", *args)
    _same(remote, run_json(str(local / name), *args))
    assert remote["rows"] == int((FRAME.model == "linear").sum())


# --------------------------------------------------------------------------- HTTP


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One file each as DuckDB (``COPY ... TO 'x.parquet'``), polars
    (``write_parquet``) and Spark's gzip CSV part write it."""
    duckdb = pytest.importorskip("duckdb")
    pl = pytest.importorskip("polars")
    root = tmp_path_factory.mktemp("files")
    rows = FRAME[["y_true", "y_pred", "day"]]
    con = duckdb.connect()
    con.register("frame", rows)
    con.execute(f"COPY frame TO '{root / 'duckdb.parquet'}' (FORMAT PARQUET, ROW_GROUP_SIZE 100)")
    con.close()
    pl.from_pandas(rows).write_parquet(root / "polars.parquet", row_group_size=128)
    part = "part-00000-1b4e28ba-2fa1-11d2-883f-0016d3cca427-c000.csv.gz"
    csv = rows.to_csv(index=False, float_format="%.17g").encode()
    (root / part).write_bytes(gzip.compress(csv))
    return root


@pytest.fixture(scope="module")
def web(files: Path) -> Iterator[str]:
    handler = lambda *a, **k: _RangeHandler(*a, directory=str(files), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    "name",
    [
        "duckdb.parquet",
        "polars.parquet",
        "part-00000-1b4e28ba-2fa1-11d2-883f-0016d3cca427-c000.csv.gz",
    ],
)
def test_an_http_file_of_a_real_writer(web: str, files: Path, name: str) -> None:
    args = ("--loss", "mse", "--loss", "mae", "--by", "day")
    remote = run_json(f"{web}/{name}", *args)
    _same(remote, run_json(str(files / name), *args))
    _check(remote, FRAME)


def test_an_s3_delta_table_is_refused(s3: str, local: Path) -> None:
    """A Delta table under a prefix (its ``_delta_log/`` listed with the data)."""
    dl = pytest.importorskip("deltalake")
    table = local / "delta"
    dl.write_deltalake(table, FRAME.iloc[:300])
    dl.write_deltalake(table, FRAME.iloc[300:], mode="overwrite")
    fs = s3fs.S3FileSystem(endpoint_url=s3, skip_instance_cache=True)
    for key, data in _tree(table).items():
        fs.pipe(f"{BUCKET}/delta/{key}", data)
    for url in (f"s3://{BUCKET}/delta/", f"s3://{BUCKET}/delta"):
        line = Cli("evaluate").error_line(url, "--loss", "mse")
        assert "is a Delta Lake table (it has a _delta_log)" in line


def test_s3_directory_markers_are_not_parts(s3: str, local: Path) -> None:
    """The empty ``prefix/`` objects an S3 console's "Create folder" writes, at the
    root and below it, beside pyarrow's dataset: listed with the data, skipped."""
    fs = s3fs.S3FileSystem(endpoint_url=s3, skip_instance_cache=True)
    for key, data in _tree(local / "pyarrow").items():
        fs.pipe(f"{BUCKET}/marked/{key}", data)
    import boto3

    s3api = boto3.client("s3", endpoint_url=s3)
    for marker in ("marked/", "marked/model=tree/", "marked/model=tree/day=2026-11-30/"):
        s3api.put_object(Bucket=BUCKET, Key=marker, Body=b"")
    keys = [o["Key"] for o in s3api.list_objects_v2(Bucket=BUCKET, Prefix="marked/")["Contents"]]
    assert "marked/model=tree/" in keys
    args = ("--loss", "mse", "--loss", "mae", "--by", "day")
    remote = run_json(f"s3://{BUCKET}/marked/", *args)
    _same(remote, run_json(str(local / "pyarrow"), *args))
    _check(remote, FRAME)
