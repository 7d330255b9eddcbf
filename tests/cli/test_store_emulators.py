"""``gs://`` and ``az://`` / ``abfs://`` against real local emulators of the stores'
APIs, started here on 127.0.0.1 (random free ports) and stopped after the module:

* GCS: ``gcp-storage-emulator`` (the GCS JSON API, in memory) in its own process,
  read through gcsfs with only ``STORAGE_EMULATOR_HOST`` set (losscli opens it
  anonymously, as google-cloud-storage's client does; losscli.io.remote).
* Azure: Azurite, Microsoft's Blob Storage emulator (``make venv`` installs it under
  ``.venv/azurite``), read through adlfs with only ``AZURE_STORAGE_CONNECTION_STRING``
  set: Azurite's development account, whose key is published in its documentation.

The objects are test_remote_sources' (a Parquet file, CSV, gzip CSV, Hive trees of
Parquet and CSV parts, a dataset with one corrupt file), each uploaded through the
store's fsspec filesystem, plus a Hive dataset that pyarrow writes straight into the
store (``pq.write_to_dataset(filesystem=...)``), downloaded again for the local run.
Oracle: the local run of the same bytes (the JSON equal except the file name), with
``--by`` on a partition key, and ``--engine dask`` on a two-process LocalCluster
started after the stores' variables are set (its workers read the stores
themselves). Every bad input is one line naming the URL, exit 2, nothing written.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import Cli, assert_close

gcsfs = pytest.importorskip("gcsfs")
adlfs = pytest.importorskip("adlfs")
pytest.importorskip("gcp_storage_emulator")

from test_remote_sources import _files, _frame, _same  # noqa: E402

_cli = Cli("evaluate")
run_json, run_error = _cli.run_json, _cli.error_line

BUCKET = "preds"
#: Azurite's development account and its published key
#: (learn.microsoft.com: "Use the Azurite emulator", "Connection strings")
AZ_ACCOUNT = "devstoreaccount1"
AZ_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
#: where `make venv` installs Azurite (npm install --prefix .venv/azurite)
AZURITE = Path(sys.prefix) / "azurite" / "node_modules" / ".bin" / "azurite-blob"
#: every variable a fixture here sets or a test changes, restored after the module
_VARS = (
    "STORAGE_EMULATOR_HOST",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "AZURE_STORAGE_CONNECTION_STRING",
    "AZURE_STORAGE_ACCOUNT_NAME",
    "AZURE_STORAGE_ACCOUNT_KEY",
    "AZURE_STORAGE_SAS_TOKEN",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _process(argv: list[str], port: int, log: Path) -> Iterator[None]:
    """``argv`` running until the block ends, once something listens on ``port``
    (its output to ``log``, shown when it does not come up)."""
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(log.read_text(errors="replace")) from None
                    time.sleep(0.1)
            yield
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _az_connection(port: int, key: str = AZ_KEY) -> str:
    return (
        f"DefaultEndpointsProtocol=http;AccountName={AZ_ACCOUNT};AccountKey={key};"
        f"BlobEndpoint=http://127.0.0.1:{port}/{AZ_ACCOUNT};"
    )


def _hive_table() -> pa.Table:
    """Rows with two partition keys, for pyarrow's dataset writer."""
    frames = []
    for i, model in enumerate(("lin", "tree")):
        for day in ("2026-11-30", "2026-12-01"):
            frames.append(_frame(40 + 3 * i + len(day), 500).assign(model=model, day=day))
    return pa.Table.from_pandas(pd.concat(frames, ignore_index=True), preserve_index=False)


def _fill(fs: Any, local: Path, objects: dict[str, bytes]) -> None:
    """The objects into the bucket/container ``preds`` through ``fs``; pyarrow's own
    Hive dataset written into it too, and downloaded to ``local/pyarrow``."""
    fs.mkdir(BUCKET)
    for key, data in objects.items():
        fs.pipe(f"{BUCKET}/{key}", data)
    pq.write_to_dataset(
        _hive_table(),
        f"{BUCKET}/pyarrow",
        partition_cols=["model", "day"],
        filesystem=fs,
        # the same names in both stores, so that their local copies are one tree
        basename_template="part-{i}.parquet",
    )
    for path in fs.find(f"{BUCKET}/pyarrow"):
        target = local / path.removeprefix(f"{BUCKET}/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(fs.cat_file(path))


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    """Both emulators running and filled, their variables set in this process (so
    also for the dask workers started after); yields the local copy of the objects
    and the variables."""
    if not AZURITE.exists() and shutil.which("azurite-blob") is None:
        pytest.skip("Azurite is not installed (make venv installs it with npm)")
    azurite = str(AZURITE) if AZURITE.exists() else str(shutil.which("azurite-blob"))
    tmp = tmp_path_factory.mktemp("stores")
    local = tmp / "objects"
    objects = _files(local)
    gcs_port, az_port = _free_port(), _free_port()
    gcs_argv = [sys.executable, "-m", "gcp_storage_emulator", "start", "--host", "127.0.0.1"]
    az_argv = [azurite, "--blobHost", "127.0.0.1", "--blobPort", str(az_port)]
    az_argv += ["--location", str(tmp / "azurite"), "--silent", "--skipApiVersionCheck"]
    env = {
        "STORAGE_EMULATOR_HOST": f"http://127.0.0.1:{gcs_port}",
        "AZURE_STORAGE_CONNECTION_STRING": _az_connection(az_port),
    }
    saved = {k: os.environ.get(k) for k in _VARS}
    with (
        _process([*gcs_argv, "--port", str(gcs_port), "--in-memory"], gcs_port, tmp / "gcs.log"),
        _process(az_argv, az_port, tmp / "azurite.log"),
    ):
        for k in _VARS:
            os.environ.pop(k, None)
        os.environ.update(env)
        try:
            _fill(gcsfs.core.GCSFileSystem(token="anon", skip_instance_cache=True), local, objects)
            _fill(adlfs.AzureBlobFileSystem(skip_instance_cache=True), local, objects)
            yield local, env
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
            _clear_caches()


def _clear_caches() -> None:
    """fsspec keeps one filesystem per arguments, not per environment: forget them
    when a test changes the credentials."""
    gcsfs.core.GCSFileSystem.clear_instance_cache()
    adlfs.AzureBlobFileSystem.clear_instance_cache()


@pytest.fixture
def fresh(stores: tuple[Path, dict[str, str]]) -> Iterator[tuple[Path, dict[str, str]]]:
    _clear_caches()
    yield stores
    _clear_caches()


SCHEMES = ("gs", "az", "abfs")


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("key", ["one.parquet", "one.csv.gz"])
def test_an_object_equals_the_local_file(
    stores: tuple[Path, dict[str, str]], scheme: str, key: str
) -> None:
    local = stores[0]
    _same(run_json(f"{scheme}://{BUCKET}/{key}"), run_json(str(local / key)))


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("prefix", ["hive", "csvs", "pyarrow"])
def test_a_dataset_equals_the_local_dataset(
    stores: tuple[Path, dict[str, str]], scheme: str, prefix: str
) -> None:
    local = stores[0]
    for by in ("model", "day"):
        args = ("--by", by, "--loss", "mse", "--loss", "mae")
        remote = run_json(f"{scheme}://{BUCKET}/{prefix}/", *args)
        _same(remote, run_json(str(local / prefix), *args))
        assert len(remote["results"]) == 3 * 2  # (all, two groups) × two losses


def test_pyarrows_dataset_has_the_rows_it_was_given(stores: tuple[Path, dict[str, str]]) -> None:
    """The oracle of the dataset pyarrow wrote: its rows and its groups are those of
    the table handed to the writer (not only equal to the local copy)."""
    table = _hive_table().to_pandas()
    doc = run_json(f"gs://{BUCKET}/pyarrow/", "--by", "day", "--loss", "mse")
    assert doc["rows"] == len(table)
    for day, rows in table.groupby("day"):
        want = float(((rows.y_true - rows.y_pred) ** 2).mean())
        (got,) = [r["value"] for r in doc["results"] if r["group"] == day]
        assert got == pytest.approx(want, rel=1e-12)


def test_a_glob_in_a_container(stores: tuple[Path, dict[str, str]]) -> None:
    local = stores[0]
    for scheme in ("gs", "az"):
        _same(
            run_json(f"{scheme}://{BUCKET}/hive/model=tree/*/*.parquet", "--by", "day"),
            run_json(str(local / "hive" / "model=tree"), "--by", "day"),
        )


@pytest.mark.parametrize(
    "path",
    [
        "no-such-bucket/one.csv",
        f"{BUCKET}/nope.parquet",
    ],
)
@pytest.mark.parametrize("scheme", ["gs", "az"])
def test_a_missing_bucket_or_key(
    stores: tuple[Path, dict[str, str]], tmp_path: Path, scheme: str, path: str
) -> None:
    out = tmp_path / "report.json"
    url = f"{scheme}://{path}"
    line = run_error(url, "-o", "json", "--output-file", str(out))
    assert line == f"losscli: error: file not found: {url}"
    assert not out.exists()


@pytest.mark.parametrize("scheme", ["gs", "az"])
def test_a_corrupt_object(stores: tuple[Path, dict[str, str]], tmp_path: Path, scheme: str) -> None:
    out = tmp_path / "report.json"
    for url in (f"{scheme}://{BUCKET}/broken/", f"{scheme}://{BUCKET}/broken/b.parquet"):
        line = run_error(url, "-o", "json", "--output-file", str(out))
        assert "broken/b.parquet" in line and "not a valid Parquet file" in line, line
        assert line.count(f"{scheme}://") == 1
    assert not out.exists()


def test_a_wrong_azure_key(
    fresh: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Azurite checks the SharedKey signature: a key that is not the account's is
    refused (403), one line naming the URL."""
    port = fresh[1]["AZURE_STORAGE_CONNECTION_STRING"].rsplit(":", 1)[1].split("/")[0]
    wrong = "A" * 86 + "=="  # base64 of 64 bytes, not the account's key
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", _az_connection(int(port), wrong))
    url = f"az://{BUCKET}/one.parquet"
    line = run_error(url)
    assert line.startswith(f"losscli: error: cannot read {url}: ")
    assert "authenticate" in line


def test_gcs_credentials_that_are_not_a_key(
    fresh: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``GOOGLE_APPLICATION_CREDENTIALS`` naming a file that is not a credential is
    an error, not a silent fall-back to anonymous access."""
    bad = tmp_path / "key.json"
    bad.write_text('{"type": "service_account"}')
    url = f"gs://{BUCKET}/one.parquet"
    for path, why in (
        (bad, "is not a credentials file gcsfs can use"),
        # (gcsfs alone would send the path to Google's token service as a token)
        (tmp_path / "missing.json", "names no file"),
    ):
        monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
        line = run_error(url)
        assert line.startswith(f"losscli: error: cannot read {url}: "), line
        assert why in line


@pytest.mark.parametrize(("scheme", "extra"), [("gs", "gcs"), ("az", "azure"), ("abfs", "azure")])
def test_a_missing_extra_names_the_pip_line(
    monkeypatch: pytest.MonkeyPatch, scheme: str, extra: str
) -> None:
    module = "gcsfs" if extra == "gcs" else "adlfs"
    monkeypatch.setitem(sys.modules, module, None)  # (import now raises ImportError)
    line = run_error(f"{scheme}://{BUCKET}/one.csv")
    assert line.endswith(f"needs the {module} package: pip install 'losscli[{extra}]'")


def test_the_emulator_variable_alone_is_enough(stores: tuple[Path, dict[str, str]]) -> None:
    """The installed command in a fresh process, with the stores' standard
    variables only (no gcsfs switch set by this module): the same report."""
    from conftest import console

    env = {k: v for k, v in os.environ.items() if not k.startswith("GCSFS_")}
    # (gcsfs's default filesystem would first retry gRPC calls for a minute each)
    args = ("evaluate", f"gs://{BUCKET}/hive/", "--by", "model", "-o", "json")
    proc = console(*args, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    _same(json.loads(proc.stdout), run_json(str(stores[0] / "hive"), "--by", "model"))


# --------------------------------------------------------------------------- dask


@pytest.fixture(scope="module")
def scheduler(stores: tuple[Path, dict[str, str]]) -> Iterator[str]:
    """A two-process LocalCluster started with the stores' variables set."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        yield cluster.scheduler_address


@pytest.mark.parametrize(("scheme", "prefix"), [("gs", "pyarrow"), ("az", "hive")])
def test_the_dask_engine_reads_the_store(
    stores: tuple[Path, dict[str, str]], scheduler: str, scheme: str, prefix: str
) -> None:
    args = ("--by", "model", "--loss", "mse", "--loss", "mae")
    url = f"{scheme}://{BUCKET}/{prefix}/"
    got = run_json(url, "--engine", "dask", "--scheduler", scheduler, *args)
    want = run_json(str(stores[0] / prefix), *args)
    got.pop("file"), want.pop("file")
    assert_close(got, want)


@pytest.mark.parametrize("key", ["one.parquet", "hive/"])
def test_an_abfs_url_that_names_the_account(stores: tuple[Path, dict[str, str]], key: str) -> None:
    """``abfs[s]://CONTAINER@ACCOUNT.dfs.core.windows.net/PATH``, the form Spark and
    Databricks write: the connection string still says where the account is, and
    a dataset's files keep the URL's form (their partition keys read from it)."""
    url = f"abfss://{BUCKET}@{AZ_ACCOUNT}.dfs.core.windows.net/{key}"
    args = ("--by", "model") if key.endswith("/") else ()
    remote = run_json(url, *args)
    _same(remote, run_json(str(stores[0] / key.rstrip("/")), *args))
    assert remote["file"].startswith(url.rstrip("/"))
