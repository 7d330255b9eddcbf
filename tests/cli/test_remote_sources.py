"""Object stores and URLs, with real parts started here: moto's S3 server on
127.0.0.1 (a random free port; AWS_ENDPOINT_URL points at it, fake credentials,
instance metadata off) read through s3fs, and a Python ``http.server`` with Range
support read through fsspec's HTTP filesystem. Every result is checked against the
single-file local run of the same bytes (the JSON equal except the file name);
every bad input is one line, exit 2, nothing written. Nothing leaves 127.0.0.1."""

from __future__ import annotations

import contextlib
import gzip
import http.server
import json
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import Cli

moto_server = pytest.importorskip("moto.server")
s3fs = pytest.importorskip("s3fs")

_cli = Cli("evaluate")
run, run_json, run_error = _cli.run, _cli.run_json, _cli.error_line

BUCKET = "preds"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _frame(seed: int, n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.normal(size=n)
    return pd.DataFrame({"y_true": y, "y_pred": y + rng.normal(scale=0.3, size=n)})


def _parquet_bytes(frame: pd.DataFrame, row_group: int = 64) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(
        pa.Table.from_pandas(frame, preserve_index=False), sink, row_group_size=row_group
    )
    return bytes(sink.getvalue().to_pybytes())


def _files(tmp: Path) -> dict[str, bytes]:
    """The objects every store serves, by key; also written under ``tmp`` for the
    local runs."""
    # large enough (≈ 300 KiB) that pyarrow's speculative 64 KiB footer read is not
    # the whole file
    frame = _frame(1, 20_000)
    objects = {
        "one.parquet": _parquet_bytes(frame, row_group=2_000),
        "one.csv": frame.to_csv(index=False).encode(),
        "one.csv.gz": gzip.compress(frame.to_csv(index=False).encode()),
        "one.jsonl": frame.to_json(orient="records", lines=True, double_precision=15).encode(),
    }
    for i, model in enumerate(("lin", "tree")):
        for day in ("2026-11-30", "2026-12-01"):
            part = _frame(10 + i * 7 + len(day))
            objects[f"hive/model={model}/day={day}/part-0.parquet"] = _parquet_bytes(part)
            objects[f"csvs/model={model}/day={day}/part-0.csv"] = part.to_csv(index=False).encode()
    objects["broken/a.parquet"] = _parquet_bytes(_frame(3))
    objects["broken/b.parquet"] = b"PAR1 this is not a Parquet file"
    for key, data in objects.items():
        path = tmp / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return objects


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes]]:
    tmp = tmp_path_factory.mktemp("objects")
    return tmp, _files(tmp)


_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


@contextlib.contextmanager
def moto_bucket(
    bucket: str, objects: dict[str, bytes], *, set_endpoint: bool = False
) -> Iterator[str]:
    """moto's S3 API on 127.0.0.1 holding ``objects`` (key → bytes) in ``bucket``,
    with the fake credentials ``_AWS`` (and, ``set_endpoint``, ``AWS_ENDPOINT_URL``)
    set in this process while it runs, restored after; yields its endpoint."""
    port = _free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    env = {**_AWS, "AWS_ENDPOINT_URL": endpoint} if set_endpoint else _AWS
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        fs = s3fs.S3FileSystem(endpoint_url=endpoint, skip_instance_cache=True)
        fs.mkdir(bucket)
        for key, data in objects.items():
            fs.pipe(f"{bucket}/{key}", data)
        yield endpoint
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        s3fs.S3FileSystem.clear_instance_cache()
        server.stop()


@pytest.fixture(scope="module")
def s3_server(local: tuple[Path, dict[str, bytes]]) -> Iterator[str]:
    """moto's S3 API on 127.0.0.1 holding the objects in the bucket ``preds``."""
    with moto_bucket(BUCKET, local[1]) as endpoint:
        yield endpoint


@pytest.fixture
def s3(s3_server: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """The environment a user of an S3-compatible store has: the endpoint and fake
    credentials in the standard variables, no config file of this machine."""
    for key, value in _AWS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server)
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    return s3_server


def _same(a: dict[str, Any], b: dict[str, Any]) -> None:
    a, b = dict(a), dict(b)
    assert a.pop("file") != b.pop("file")
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


# --------------------------------------------------------------------------- S3


@pytest.mark.parametrize("key", ["one.parquet", "one.csv", "one.csv.gz", "one.jsonl"])
def test_an_s3_object_equals_the_local_file(
    s3: str, local: tuple[Path, dict[str, bytes]], key: str
) -> None:
    _same(run_json(f"s3://{BUCKET}/{key}"), run_json(str(local[0] / key)))


@pytest.mark.parametrize("prefix", ["hive", "csvs"])
def test_an_s3_hive_dataset_equals_the_local_dataset(
    s3: str, local: tuple[Path, dict[str, bytes]], prefix: str
) -> None:
    args = ("--by", "model", "--filter", 'day >= "2026-12-01"')
    _same(run_json(f"s3://{BUCKET}/{prefix}/", *args), run_json(str(local[0] / prefix), *args))


def test_an_s3_prefix_without_a_slash_is_a_dataset_too(
    s3: str, local: tuple[Path, dict[str, bytes]]
) -> None:
    _same(
        run_json(f"s3://{BUCKET}/hive", "--by", "day"),
        run_json(str(local[0] / "hive"), "--by", "day"),
    )


def test_an_s3_glob(s3: str, local: tuple[Path, dict[str, bytes]]) -> None:
    _same(
        run_json(f"s3://{BUCKET}/hive/model=tree/*/*.parquet", "--by", "day"),
        run_json(str(local[0] / "hive" / "model=tree"), "--by", "day"),
    )


def test_aws_endpoint_url_s3_is_honoured_too(
    s3: str, local: tuple[Path, dict[str, bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3)
    _same(run_json(f"s3://{BUCKET}/one.csv"), run_json(str(local[0] / "one.csv")))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("s3://no-such-bucket/one.csv", "file not found: s3://no-such-bucket/one.csv"),
        (f"s3://{BUCKET}/nope.parquet", f"file not found: s3://{BUCKET}/nope.parquet"),
        (f"s3://{BUCKET}/broken/", "broken/b.parquet is not a valid Parquet file"),
        (f"s3://{BUCKET}/nothing-*.csv", "no file matches"),
    ],
)
def test_bad_s3_inputs_are_one_line_and_write_nothing(
    s3: str, tmp_path: Path, url: str, expected: str
) -> None:
    out = tmp_path / "report.json"
    line = run_error(url, "-o", "json", "--output-file", str(out))
    assert expected in line
    assert not out.exists()


def test_a_missing_extra_names_the_pip_line(s3: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "s3fs", None)  # (import s3fs now raises ImportError)
    line = run_error(f"s3://{BUCKET}/one.csv")
    assert line.endswith("pip install 'losscli[s3]'")


def test_an_unknown_scheme(s3: str) -> None:
    assert "unknown URL scheme 'ftp'" in run_error("ftp://example.invalid/a.csv")


def test_a_local_run_never_imports_fsspec(local: tuple[Path, dict[str, bytes]]) -> None:
    code = (
        "import sys\nfrom typer.testing import CliRunner\nfrom losscli.cli import app\n"
        "r = CliRunner().invoke(app, sys.argv[1:])\n"
        "print(r.exit_code, sorted(m for m in sys.modules if m.split('.')[0] in "
        "('fsspec', 's3fs', 'aiohttp', 'botocore')))"
    )
    for key in ("one.parquet", "hive"):
        target = str(local[0] / key)
        proc = subprocess.run(
            [sys.executable, "-c", code, "evaluate", target, "-o", "json"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert proc.stdout.strip().splitlines()[-1] == "0 []"


# --------------------------------------------------------------------------- HTTP


class _RangeHandler(http.server.SimpleHTTPRequestHandler):
    """http.server's file handler plus single ``Range: bytes=a-b`` requests (206),
    which fsspec's HTTPFile uses for its ranged reads; every request is logged."""

    #: (method, Range header or None) of every request for a file
    requests: ClassVar[list[tuple[str, str | None]]] = []

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_head(self) -> Any:
        header = self.headers.get("Range")
        path = Path(self.translate_path(self.path))
        type(self).requests.append((self.command, header))
        if header is None or not path.is_file():
            return super().send_head()
        m = re.fullmatch(r"bytes=(\d+)-(\d*)", header.strip())
        if m is None:
            self.send_error(416)
            return None
        data = path.read_bytes()
        start = int(m.group(1))
        end = min(int(m.group(2)) if m.group(2) else len(data) - 1, len(data) - 1)
        import io

        self.send_response(206)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        return io.BytesIO(data[start : end + 1])

    def end_headers(self) -> None:
        if self.headers.get("Range") is None:
            self.send_header("Accept-Ranges", "bytes")
        super().end_headers()


@pytest.fixture(scope="module")
def web(local: tuple[Path, dict[str, bytes]]) -> Iterator[str]:
    handler = lambda *a, **k: _RangeHandler(*a, directory=str(local[0]), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("key", ["one.parquet", "one.csv", "one.csv.gz", "one.jsonl"])
def test_an_http_file_equals_the_local_file(
    web: str, local: tuple[Path, dict[str, bytes]], key: str
) -> None:
    _same(run_json(f"{web}/{key}"), run_json(str(local[0] / key)))


def test_http_parquet_is_read_in_ranges(
    web: str, local: tuple[Path, dict[str, bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from losscli.io import remote

    # blocks much smaller than the file, so that a whole download would show
    monkeypatch.setattr(remote, "REMOTE_BLOCK_BYTES", 16 << 10)
    _RangeHandler.requests.clear()
    run_json(f"{web}/one.parquet", "-l", "mse")
    size = len(local[1]["one.parquet"])
    gets = [r for m, r in _RangeHandler.requests if m == "GET"]
    assert gets and None not in gets  # never the whole file in one plain GET
    spans = [re.fullmatch(r"bytes=(\d+)-(\d+)", r or "") for r in gets]
    assert all(m is not None for m in spans), gets
    # the footer is read from the end, and no range is the whole file
    assert any(int(m.group(2)) >= size - 1 for m in spans if m)
    assert all(int(m.group(2)) - int(m.group(1)) + 1 < size for m in spans if m), (size, gets)


def test_an_http_404_is_one_line(web: str, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    line = run_error(f"{web}/missing.csv", "-o", "json", "--output-file", str(out))
    assert f"file not found: {web}/missing.csv" in line
    assert not out.exists()


def test_an_unreachable_server_is_not_called_missing() -> None:
    url = f"http://127.0.0.1:{_free_port()}/a.csv"  # (nothing listens there)
    line = run_error(url)
    assert line.startswith(f"losscli: error: cannot read {url}: ")
