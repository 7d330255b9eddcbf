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
#: the variables of Azure's credentials, unset while Azurite runs but for its own
_AZURE_VARS = (
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


def _az_connection(port: int) -> str:
    return (
        f"DefaultEndpointsProtocol=http;AccountName={AZ_ACCOUNT};AccountKey={AZ_KEY};"
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
def local(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes]]:
    """The objects (key → bytes), and the folder that holds them for the local runs."""
    root = tmp_path_factory.mktemp("objects")
    return root, _files(root)


@contextlib.contextmanager
def _environ(names: tuple[str, ...], env: dict[str, str]) -> Iterator[None]:
    """``names`` unset but for ``env`` in this process (the CLI runs in it, the
    dask workers start from it) while the block runs; restored after."""
    saved = {k: os.environ.get(k) for k in names}
    for k in names:
        os.environ.pop(k, None)
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture(scope="module")
def gcs(
    local: tuple[Path, dict[str, bytes]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """gcp-storage-emulator on 127.0.0.1, filled; yields ``STORAGE_EMULATOR_HOST``."""
    port = _free_port()
    argv = [sys.executable, "-m", "gcp_storage_emulator", "start", "--host", "127.0.0.1"]
    argv += ["--port", str(port), "--in-memory"]
    host = f"http://127.0.0.1:{port}"
    names = ("STORAGE_EMULATOR_HOST", "GOOGLE_APPLICATION_CREDENTIALS")
    log = tmp_path_factory.mktemp("gcs") / "emulator.log"
    with _process(argv, port, log), _environ(names, {"STORAGE_EMULATOR_HOST": host}):
        _fill(gcsfs.core.GCSFileSystem(token="anon", skip_instance_cache=True), *local)
        yield host
        gcsfs.core.GCSFileSystem.clear_instance_cache()


@pytest.fixture(scope="module")
def azure(
    local: tuple[Path, dict[str, bytes]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Azurite's Blob service on 127.0.0.1, filled; yields the connection string."""
    found = AZURITE if AZURITE.exists() else shutil.which("azurite-blob")
    if found is None:
        pytest.fail("Azurite is not installed: make venv installs it with npm (Node.js needed)")
    port = _free_port()
    tmp = tmp_path_factory.mktemp("azurite")
    argv = [str(found), "--blobHost", "127.0.0.1", "--blobPort", str(port)]
    argv += ["--location", str(tmp), "--silent", "--skipApiVersionCheck"]
    env = {"AZURE_STORAGE_CONNECTION_STRING": _az_connection(port)}
    with _process(argv, port, tmp / "azurite.log"), _environ(_AZURE_VARS, env):
        _fill(adlfs.AzureBlobFileSystem(skip_instance_cache=True), *local)
        yield env["AZURE_STORAGE_CONNECTION_STRING"]
        adlfs.AzureBlobFileSystem.clear_instance_cache()


def _served(request: pytest.FixtureRequest, scheme: str) -> Path:
    """The store of ``scheme`` running; the local folder of its objects."""
    request.getfixturevalue("gcs" if scheme in ("gs", "gcs") else "azure")
    local: tuple[Path, dict[str, bytes]] = request.getfixturevalue("local")
    return local[0]


@pytest.fixture
def fresh() -> Iterator[None]:
    """fsspec keeps one filesystem per arguments, not per environment: forgotten
    around a test that changes the credentials."""
    gcsfs.core.GCSFileSystem.clear_instance_cache()
    adlfs.AzureBlobFileSystem.clear_instance_cache()
    yield
    gcsfs.core.GCSFileSystem.clear_instance_cache()
    adlfs.AzureBlobFileSystem.clear_instance_cache()


SCHEMES = ("gs", "az", "abfs")


@pytest.mark.parametrize("scheme", [*SCHEMES, "gcs", "abfss"])
@pytest.mark.parametrize("key", ["one.parquet", "one.csv.gz"])
def test_an_object_equals_the_local_file(
    request: pytest.FixtureRequest, scheme: str, key: str
) -> None:
    local = _served(request, scheme)
    _same(run_json(f"{scheme}://{BUCKET}/{key}"), run_json(str(local / key)))


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("prefix", ["hive", "csvs", "pyarrow"])
def test_a_dataset_equals_the_local_dataset(
    request: pytest.FixtureRequest, scheme: str, prefix: str
) -> None:
    local = _served(request, scheme)
    for by in ("model", "day"):
        args = ("--by", by, "--loss", "mse", "--loss", "mae")
        remote = run_json(f"{scheme}://{BUCKET}/{prefix}/", *args)
        _same(remote, run_json(str(local / prefix), *args))
        assert len(remote["results"]) == 3 * 2  # (all, two groups) × two losses


@pytest.mark.parametrize("scheme", ["gs", "az"])
def test_pyarrows_dataset_has_the_rows_it_was_given(
    request: pytest.FixtureRequest, scheme: str
) -> None:
    """The oracle of the dataset pyarrow wrote into the store: its rows and groups
    are those of the table handed to the writer (MSE by its definition)."""
    _served(request, scheme)
    table = _hive_table().to_pandas()
    doc = run_json(f"{scheme}://{BUCKET}/pyarrow/", "--by", "day", "--loss", "mse")
    assert doc["rows"] == len(table)
    for day, rows in table.groupby("day"):
        want = float(((rows.y_true - rows.y_pred) ** 2).mean())
        (got,) = [r["value"] for r in doc["results"] if r["group"] == day]
        assert got == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("scheme", ["gs", "az"])
def test_a_glob_in_a_container(request: pytest.FixtureRequest, scheme: str) -> None:
    local = _served(request, scheme)
    _same(
        run_json(f"{scheme}://{BUCKET}/hive/model=tree/*/*.parquet", "--by", "day"),
        run_json(str(local / "hive" / "model=tree"), "--by", "day"),
    )


@pytest.mark.parametrize("path", ["no-such-bucket/one.csv", f"{BUCKET}/nope.parquet"])
@pytest.mark.parametrize("scheme", ["gs", "az"])
def test_a_missing_bucket_or_key(
    request: pytest.FixtureRequest, tmp_path: Path, scheme: str, path: str
) -> None:
    _served(request, scheme)
    out = tmp_path / "report.json"
    url = f"{scheme}://{path}"
    line = run_error(url, "-o", "json", "--output-file", str(out))
    assert line == f"losscli: error: file not found: {url}"
    assert not out.exists()


@pytest.mark.parametrize("scheme", ["gs", "az"])
def test_a_corrupt_object(request: pytest.FixtureRequest, tmp_path: Path, scheme: str) -> None:
    _served(request, scheme)
    out = tmp_path / "report.json"
    for url in (f"{scheme}://{BUCKET}/broken/", f"{scheme}://{BUCKET}/broken/b.parquet"):
        line = run_error(url, "-o", "json", "--output-file", str(out))
        assert f"{scheme}://{BUCKET}/broken/b.parquet is not a valid Parquet file" in line
    assert not out.exists()


def test_a_wrong_azure_key(azure: str, fresh: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Azurite checks the SharedKey signature: a key that is not the account's is
    refused (403), one line naming the URL."""
    wrong = "A" * 86 + "=="  # base64 of 64 bytes, not the account's key
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azure.replace(AZ_KEY, wrong))
    url = f"az://{BUCKET}/one.parquet"
    line = run_error(url)
    assert line.startswith(f"losscli: error: cannot read {url}: ")
    assert "Server failed to authenticate the request" in line


def test_gcs_credentials_that_are_not_a_key(
    gcs: str, fresh: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``GOOGLE_APPLICATION_CREDENTIALS`` naming a file that is not a credential is
    an error, not a silent fall-back to anonymous access. (The emulator checks no
    credentials, so a key that the store refuses cannot be shown here.)"""
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


def test_the_emulator_variable_alone_is_enough(
    gcs: str, local: tuple[Path, dict[str, bytes]]
) -> None:
    """The installed command in a process of its own, whose environment names the
    emulator and nothing else of GCS: the same report, in seconds (gcsfs's default
    filesystem would retry a gRPC call for a minute per operation first)."""
    from conftest import console

    args = ("evaluate", f"gs://{BUCKET}/hive/", "--by", "model", "-o", "json")
    proc = console(*args, env=dict(os.environ), timeout=60)
    assert proc.returncode == 0, proc.stderr
    _same(json.loads(proc.stdout), run_json(str(local[0] / "hive"), "--by", "model"))


@pytest.mark.parametrize("key", ["one.parquet", "hive/"])
def test_an_abfs_url_that_names_the_account(
    azure: str, local: tuple[Path, dict[str, bytes]], key: str
) -> None:
    """``abfs[s]://CONTAINER@ACCOUNT.dfs.core.windows.net/PATH``, the form Spark and
    Databricks write: the connection string still says where the account is, and
    a dataset's files keep the URL's form (their partition keys read from it)."""
    url = f"abfss://{BUCKET}@{AZ_ACCOUNT}.dfs.core.windows.net/{key}"
    args = ("--by", "model") if key.endswith("/") else ()
    remote = run_json(url, *args)
    _same(remote, run_json(str(local[0] / key.rstrip("/")), *args))
    assert remote["file"].startswith(url.rstrip("/"))


# --------------------------------------------------------------------------- dask


@pytest.fixture(scope="module")
def scheduler(gcs: str, azure: str) -> Iterator[str]:
    """A two-process LocalCluster started with both stores' variables set."""
    distributed = pytest.importorskip("distributed")
    from losscli.evaluate import dask_engine

    with dask_engine.local_cluster(distributed, n_workers=2, threads_per_worker=1) as cluster:
        yield cluster.scheduler_address


@pytest.mark.parametrize(("scheme", "prefix"), [("gs", "pyarrow"), ("az", "hive")])
def test_the_dask_engine_reads_the_store(
    local: tuple[Path, dict[str, bytes]], scheduler: str, scheme: str, prefix: str
) -> None:
    args = ("--by", "model", "--loss", "mse", "--loss", "mae")
    url = f"{scheme}://{BUCKET}/{prefix}/"
    got = run_json(url, "--engine", "dask", "--scheduler", scheduler, *args)
    want = run_json(str(local[0] / prefix), *args)
    assert got.pop("file") != want.pop("file")
    assert_close(got, want)


def test_the_install_brings_azurite() -> None:
    """``make venv`` (so a clean clone's ``make test``) installs the Azurite these
    tests start, at the version named here, where they look for it."""
    root = Path(__file__).resolve().parents[2]
    plan = subprocess.run(
        ["make", "-n", "venv", "VENV=/nonexistent/venv"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "npm install --prefix /nonexistent/venv/azurite" in plan
    assert "azurite@3.37.0" in plan
    assert AZURITE.relative_to(sys.prefix) == Path("azurite/node_modules/.bin/azurite-blob")
