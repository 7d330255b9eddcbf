"""Hostile and unusual input (issue 10): wide files, corrupt compression, binary
"headers", unbounded stdin, huge lines and cells, FIFOs, JSON Lines errors.

The promise checked throughout: exit 2 with exactly one stderr line
``losscli: error: ...`` naming the file, nothing on stdout, no traceback; or, for
valid input, the values scikit-learn (or the Arrow-only path,
``LOSSCLI_FAST_CSV=0``) gives.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn import metrics

from conftest import LOSSCLI, Cli, console

_cli = Cli()
run, run_json, run_error = _cli.run, _cli.run_json, _cli.error_line


def value(doc: dict[str, Any], model: str, loss: str) -> float:
    for r in doc["results"]:
        if (r["model"], r["loss"], r["group"]) == (model, loss, None):
            return float(r["value"])
    raise KeyError((model, loss))


# --------------------------------------------------------- 1. more than 64 columns


@pytest.mark.filterwarnings("ignore:The y_prob values do not sum")
def test_a_100_class_multiclass_file_reads_as_sklearn_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(10)
    n, k = 400, 100
    classes = [f"c{i}" for i in range(k)]
    probs = rng.dirichlet(np.ones(k), n)
    probs = np.round(probs, 6)
    probs /= probs.sum(axis=1, keepdims=True)
    truth = rng.integers(0, k, n)
    truth[:k] = np.arange(k)  # every class present
    path = tmp_path / "cifar100.csv"
    lines = ["label," + ",".join(f"prob_{c}" for c in classes)]
    lines += [
        classes[t] + "," + ",".join(repr(float(x)) for x in row)
        for t, row in zip(truth, probs, strict=True)
    ]
    path.write_text("\n".join(lines) + "\n")
    doc = run_json("evaluate", str(path), "-l", "categorical_crossentropy")
    expected = metrics.log_loss(truth, np.clip(probs, 1e-7, 1 - 1e-7), labels=range(k))
    assert value(doc, "prob", "categorical_crossentropy") == pytest.approx(expected, rel=1e-9)
    monkeypatch.setenv("LOSSCLI_FAST_CSV", "0")
    assert run_json("evaluate", str(path), "-l", "categorical_crossentropy") == doc


def test_300_models_in_one_file_read_as_sklearn_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(11)
    n, m = 200, 300
    y = rng.normal(10, 3, n)
    preds = y[:, None] + rng.normal(0, 1, (n, m)) * np.linspace(0.1, 3, m)
    path = tmp_path / "models.csv"
    lines = ["y_true," + ",".join(f"pred_m{j}" for j in range(m))]
    lines += [
        repr(float(a)) + "," + ",".join(repr(float(x)) for x in row)
        for a, row in zip(y, preds, strict=True)
    ]
    path.write_text("\n".join(lines) + "\n")
    doc = run_json("evaluate", str(path), "-l", "mse", "-l", "mae")
    for j in (0, 63, 64, 65, 299):
        assert value(doc, f"m{j}", "mse") == pytest.approx(
            metrics.mean_squared_error(y, preds[:, j]), rel=1e-12
        )
        assert value(doc, f"m{j}", "mae") == pytest.approx(
            metrics.mean_absolute_error(y, preds[:, j]), rel=1e-12
        )
    monkeypatch.setenv("LOSSCLI_FAST_CSV", "0")
    assert run_json("evaluate", str(path), "-l", "mse", "-l", "mae") == doc


def test_the_scanner_takes_any_number_of_columns() -> None:
    from losscli import _fastcsv

    k = 500
    block = b"h\n" + b",".join(b"%d.5" % i for i in range(k)) + b"\n"
    rows, parts = _fastcsv.parse(block, k, tuple(range(k)), "f" * k, ",", True)
    assert rows == 1
    assert [np.frombuffer(p, np.float64)[0] for p in parts] == [i + 0.5 for i in range(k)]


# ------------------------------------------------- 2. corrupt or truncated input


def _compress(kind: str, data: bytes) -> bytes:
    import bz2
    import gzip
    import lzma

    import zstandard

    if kind == "gz":
        return gzip.compress(data)
    if kind == "bz2":
        return bz2.compress(data)
    if kind == "xz":
        return lzma.compress(data)
    return zstandard.ZstdCompressor(write_checksum=True).compress(data)


CSV = b"y_true,y_pred\n" + b"".join(b"%d.5,%d.25\n" % (i, i) for i in range(3000))
JSONL = b"".join(b'{"y_true": %d.5, "y_pred": %d.25}\n' % (i, i) for i in range(3000))


def damaged(kind: str, data: bytes, how: str) -> bytes:
    whole = _compress(kind, data)
    if how == "truncated":
        return whole[: len(whole) // 2]
    if how == "tiny":
        return whole[:6]
    if how == "garbage":
        return b"this is not compressed at all\n" * 3
    bad = bytearray(whole)  # "corrupt": bytes flipped in the middle
    for i in range(len(bad) // 3, len(bad) // 3 + 24):
        bad[i] ^= 0x55
    return bytes(bad)


@pytest.mark.parametrize("kind", ["gz", "bz2", "xz", "zst"])
@pytest.mark.parametrize("how", ["truncated", "tiny", "garbage", "corrupt"])
@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize("command", [("evaluate",), ("recommend", "--from")])
def test_damaged_compressed_input_is_one_line_naming_the_file(
    tmp_path: Path, kind: str, how: str, fmt: str, command: tuple[str, ...]
) -> None:
    path = tmp_path / f"preds.{fmt}.{kind}"
    path.write_bytes(damaged(kind, CSV if fmt == "csv" else JSONL, how))
    line = run_error(*command, str(path))
    assert str(path) in line


@pytest.mark.parametrize("kind", ["gz", "bz2", "xz", "zst"])
@pytest.mark.parametrize("how", ["truncated", "tiny", "garbage", "corrupt"])
def test_every_reader_entry_point_raises_input_error_naming_the_file(
    tmp_path: Path, kind: str, how: str
) -> None:
    from losscli.errors import InputError
    from losscli.io import tables

    path = tmp_path / f"preds.csv.{kind}"
    path.write_bytes(damaged(kind, CSV, how))
    source = str(path)
    header_only = [
        lambda: tables.read_columns(source),
        lambda: tables.sniff_types(source, columns=["y_true"]),
    ]
    whole = [
        lambda: tables.read_frame(source),
        lambda: list(tables.iter_frames(source)),
        lambda: list(tables.iter_batches(source, columns=["y_true"])),
        lambda: list(tables.iter_arrays(source, columns=["y_true", "y_pred"])),
    ]
    for call in header_only:  # (the header of a truncated file may still read)
        with contextlib.suppress(InputError):
            call()
    for call in [*header_only, *whole]:
        try:
            call()
        except InputError as exc:
            assert source in str(exc) and "\n" not in str(exc)
        else:
            # what reads past the damage must fail, but for flipped bytes that
            # happen to decode (gzip, bz2, xz, zstd all check their data, though)
            assert call in header_only, (kind, how)


def test_a_truncated_zstd_file_is_not_called_empty(tmp_path: Path) -> None:
    path = tmp_path / "preds.csv.zst"
    path.write_bytes(damaged("zst", CSV, "truncated"))
    line = run_error("evaluate", str(path))
    assert "empty" not in line and "zstd" in line


def _parquet(path: Path, **columns: Any) -> str:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table(columns), path)
    return str(path)


@pytest.mark.parametrize("command", [("evaluate",), ("recommend", "--from")])
@pytest.mark.parametrize("column", ["y_true", "y_pred"])
def test_a_parquet_list_column_is_refused_in_one_line(
    tmp_path: Path, command: tuple[str, ...], column: str
) -> None:
    import pyarrow as pa

    lists = pa.array([[1.0, 2.0], [3.0], [4.0]], pa.list_(pa.float64()))
    plain = pa.array([1.0, 2.0, 3.0])
    cols = {"y_true": lists if column == "y_true" else plain}
    cols["y_pred"] = lists if column == "y_pred" else plain
    line = run_error(*command, _parquet(tmp_path / "lists.parquet", **cols))
    assert f"column {column!r} holds lists" in line


@pytest.mark.parametrize("command", [("evaluate",), ("recommend", "--from")])
def test_int64_beyond_2_53_is_refused_naming_column_and_row(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    import pyarrow as pa

    # 2**53 + 1 is odd and above 2**53: no float64 holds it (the nearest are 2**53
    # and 2**53 + 2)
    truth = pa.array([1, 2, 3, 2**53 + 1, 5], pa.int64())
    path = _parquet(tmp_path / "big.parquet", y_true=truth, y_pred=pa.array([1.0] * 5))
    line = run_error(*command, path)
    assert "column 'y_true', row 4" in line and str(2**53 + 1) in line


def test_int64_beyond_2_53_that_float64_holds_exactly_is_used(tmp_path: Path) -> None:
    import pyarrow as pa

    # 2**60 and 2**62 + 2**20 have odd parts < 2**53: float64 holds them exactly
    y = [1, 2**60, 3, 2**62 + 2**20]
    p = [2, 2**60 + 2**8, 3, 2**62]
    path = _parquet(
        tmp_path / "big.parquet", y_true=pa.array(y, pa.int64()), y_pred=pa.array(p, pa.int64())
    )
    doc = run_json("evaluate", path, "-l", "mae")
    expected = metrics.mean_absolute_error(np.array(y, float), np.array(p, float))
    assert value(doc, "y_pred", "mae") == expected


def test_int64_prediction_beyond_2_53_in_a_pandas_frame_is_refused() -> None:
    from losscli.errors import InputError
    from losscli.io.columns import numeric_array

    values = np.array([3, 2**53 + 3], dtype=np.int64)
    with pytest.raises(InputError, match=r"column 'p', row 12: the integer 9007199254740995"):
        numeric_array(values, name="f.csv", column_name="p", offset=10)


def test_an_unreadable_parent_directory_is_one_line_as_a_non_root_user(tmp_path: Path) -> None:
    import os

    if os.geteuid() != 0:
        pytest.skip("needs root to switch to another user (seteuid)")
    base = tmp_path / "pub"
    locked = base / "locked"
    locked.mkdir(parents=True)
    (locked / "x.csv").write_text("y_true,y_pred\n1,2\n")
    tmp_path.chmod(0o755)
    base.chmod(0o755)
    locked.chmod(0o000)
    args = ["evaluate", str(locked / "x.csv")]
    try:
        run(*args)  # as root: imports everything the error path needs
        os.setegid(65534)
        os.seteuid(65534)
        try:
            result = run(*args)
        finally:
            os.seteuid(0)
            os.setegid(0)
    finally:
        locked.chmod(0o755)
    assert result.exit_code == 2, result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr
    assert result.stderr == f"losscli: error: cannot read {locked / 'x.csv'}: Permission denied\n"


# ------------------------------------------------- 3. bounded streams and lines


def cli(
    *args: str,
    stdin: Any = subprocess.DEVNULL,
    env: dict[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """The installed console script in a real process."""
    return console(*args, stdin=stdin, timeout=timeout, env={**os.environ, **(env or {})})


def assert_one_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("losscli: error: "), lines
    assert all(ch.isprintable() for ch in lines[0])
    return lines[0]


def test_stdin_from_dev_zero_stops_at_once_and_leaves_no_spool(tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    with open("/dev/zero", "rb") as zero:
        result = cli("evaluate", "-", stdin=zero, env={"TMPDIR": str(spool)}, timeout=30)
    line = assert_one_error(result)
    assert "<stdin>" in line and "NUL bytes" in line
    assert list(spool.iterdir()) == []


def test_an_endless_line_on_stdin_hits_the_line_bound(tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    writer = subprocess.Popen(["yes", "1234567890"], stdout=subprocess.PIPE)
    squash = subprocess.Popen(["tr", "-d", "\\n"], stdin=writer.stdout, stdout=subprocess.PIPE)
    assert writer.stdout is not None
    writer.stdout.close()
    try:
        env = {"TMPDIR": str(spool), "LOSSCLI_MAX_LINE_BYTES": str(4 << 20)}
        result = cli("evaluate", "-", stdin=squash.stdout, env=env)
    finally:
        squash.kill()
        writer.kill()
        squash.wait()
        writer.wait()
    line = assert_one_error(result)
    assert line == (
        "losscli: error: <stdin>: line 1 is longer than 4 MiB (no line break found); "
        "set LOSSCLI_MAX_LINE_BYTES to read longer lines"
    )
    assert list(spool.iterdir()) == []


def test_the_spool_is_bounded(tmp_path: Path) -> None:
    data = b"y_true,y_pred\n" + b"1.5,2.5\n" * 200_000  # 1.6 MB
    result = subprocess.run(
        [str(LOSSCLI), "evaluate", "-"],
        input=data,
        capture_output=True,
        env={**os.environ, "LOSSCLI_MAX_SPOOL_BYTES": "1000000", "TMPDIR": str(tmp_path)},
        timeout=60,
    )
    assert result.returncode == 2 and result.stdout == b""
    assert result.stderr.decode() == (
        "losscli: error: <stdin>: more than 1000000 bytes on a stream; save it to a file "
        "and pass the file (or set LOSSCLI_MAX_SPOOL_BYTES)\n"
    )
    ok = subprocess.run(
        [str(LOSSCLI), "evaluate", "-", "-o", "json"],
        input=data,
        capture_output=True,
        env={**os.environ, "LOSSCLI_MAX_SPOOL_BYTES": "2000000"},
        timeout=60,
    )
    assert ok.returncode == 0 and json.loads(ok.stdout)["rows"] == 200_000


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_kill_mid_read_leaves_no_spool_file(tmp_path: Path, signum: int) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    proc = subprocess.Popen(
        [str(LOSSCLI), "evaluate", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "TMPDIR": str(spool)},
    )
    assert proc.stdin is not None
    proc.stdin.write(b"y_true,y_pred\n" + b"1.5,2.5\n" * 100_000)
    proc.stdin.flush()
    # the writer stays open: losscli is blocked mid-read of its stdin
    deadline = time.monotonic() + 20
    fds = Path(f"/proc/{proc.pid}/fd")
    while time.monotonic() < deadline and not any(
        "losscli-stdin-" in os.readlink(fd) for fd in fds.iterdir() if fd.is_symlink()
    ):
        time.sleep(0.05)
    proc.send_signal(signum)
    try:
        proc.wait(timeout=20)
    finally:
        proc.kill()
        for pipe in (proc.stdin, proc.stdout, proc.stderr):
            with contextlib.suppress(OSError):
                pipe.close()  # type: ignore[union-attr]
        proc.wait()
    assert proc.returncode != 0
    assert list(spool.iterdir()) == []


def test_a_huge_line_in_a_file_is_refused_with_its_line_number(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOSSCLI_MAX_LINE_BYTES", str(1 << 20))
    path = tmp_path / "huge.csv"
    # (the bound is at least one read block, 4 MiB: the line is longer than both)
    path.write_bytes(b"y_true,y_pred\n1,2\n3,4\n" + b"9" * (12 << 20) + b",1\n5,6\n")
    line = run_error("evaluate", str(path))
    assert line == (
        f"losscli: error: {path}: line 4 is longer than 1 MiB (no line break found); "
        "set LOSSCLI_MAX_LINE_BYTES to read longer lines"
    )
    gz = tmp_path / "huge.csv.gz"
    gz.write_bytes(_compress("gz", path.read_bytes()))
    assert "line 4 is longer than 1 MiB" in run_error("evaluate", str(gz))


def test_an_unclosed_quote_is_bounded_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOSSCLI_MAX_LINE_BYTES", str(1 << 20))
    path = tmp_path / "quote.csv"
    path.write_bytes(b'y_true,y_pred,g\n1,2,"open\n' + b"1,2,a\n" * 2_000_000)
    line = run_error("evaluate", str(path), "--by", "g")
    assert "a quoted field runs on for more than 1 MiB (an unclosed quote?)" in line


# ------------------------------------------------- 4. binary "headers"


@pytest.mark.parametrize("kind", ["gz", "bz2", "xz", "zst"])
def test_a_compressed_file_named_csv_says_so(tmp_path: Path, kind: str) -> None:
    name = {"gz": "gzip", "bz2": "bz2", "xz": "xz", "zst": "zstd"}[kind]
    path = tmp_path / "preds.csv"
    path.write_bytes(_compress(kind, CSV))
    assert run_error("evaluate", str(path)) == (
        f"losscli: error: {path}: this looks {name}-compressed; name it .csv.{kind} "
        "or pass --format"
    )
    # with --format the magic bytes are believed, as for stdin
    doc = run_json("evaluate", str(path), "--format", "csv", "-l", "mae")
    assert doc["rows"] == 3000 and value(doc, "y_pred", "mae") == pytest.approx(0.25)


def test_parquet_and_zip_named_csv_say_so(tmp_path: Path) -> None:
    import zipfile

    pq_path = _parquet(tmp_path / "real.parquet", y_true=[1.0, 2.0], y_pred=[1.5, 2.5])
    named = tmp_path / "preds.csv"
    named.write_bytes(Path(pq_path).read_bytes())
    assert "this looks like a Parquet file; name it .parquet" in run_error("evaluate", str(named))
    archive = tmp_path / "preds2.csv"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("preds.csv", CSV)
    assert "this looks like a zip archive" in run_error("evaluate", str(archive))


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_text_is_named(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "preds.csv"
    text = "y_true,y_pred\n1,2\n3,4\n"
    bom = {"utf-16-be": "\ufeff"}.get(encoding, "")
    path.write_bytes((bom + text).encode(encoding))
    line = run_error("evaluate", str(path))
    assert f"{path}: this is UTF-{encoding[4:6]} text" in line and "iconv" in line


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_nul_bytes_are_named_without_raw_control_bytes(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"preds.{fmt}"
    path.write_bytes(b"y_true\x00\x1b[31m,y_pred\n1,2\n")
    line = run_error("evaluate", str(path))
    assert line.startswith(f"losscli: error: {path}: holds NUL bytes")
    assert all(ch.isprintable() for ch in line)


# ------------------------------------------------- 5. valid input read


def test_a_cell_over_128_kib_in_the_first_data_row_reads(tmp_path: Path) -> None:
    path = tmp_path / "big_cell.csv"
    note = "z" * (200 << 10)
    path.write_text(f"y_true,y_pred,note\n1.0,1.5,{note}\n2.0,2.75,short\n")
    doc = run_json("evaluate", str(path), "-l", "mae")
    assert value(doc, "y_pred", "mae") == metrics.mean_absolute_error([1, 2], [1.5, 2.75])


def test_a_jsonl_line_over_8_mb_reads(tmp_path: Path) -> None:
    path = tmp_path / "big_line.jsonl"
    rows = [{"y_true": 1.0, "y_pred": 1.5, "note": "x" * (9 << 20)}, {"y_true": 2.0, "y_pred": 3.0}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    doc = run_json("evaluate", str(path), "-l", "mae")
    assert value(doc, "y_pred", "mae") == metrics.mean_absolute_error([1, 2], [1.5, 3.0])


@pytest.mark.parametrize("chunk_rows", [None, "30"])
def test_an_unused_nested_jsonl_field_is_not_read(tmp_path: Path, chunk_rows: str | None) -> None:
    rng = np.random.default_rng(5)
    y = rng.normal(size=300)
    p = y + rng.normal(size=300)
    rows = []
    for i, (a, b) in enumerate(zip(y, p, strict=True)):
        # the unused field changes type from line to line (Arrow cannot unify it)
        meta: Any = {"a": [1, 2], "b": {"c": "x"}} if i % 2 else (5 if i % 3 else "text")
        rows.append({"y_true": float(a), "meta": meta, "y_pred": float(b)})
    path = tmp_path / "nested.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    doc = run_json("evaluate", str(path), "-t", "y_true", "-p", "y_pred", "-l", "mse")
    assert value(doc, "y_pred", "mse") == pytest.approx(metrics.mean_squared_error(y, p), 1e-12)


def test_a_fifo_is_read_as_a_stream(tmp_path: Path) -> None:
    fifo = tmp_path / "preds.csv"
    os.mkfifo(fifo)
    data = b"y_true,y_pred\n1,1.5\n2,3\n4,4\n"

    def feed() -> None:
        with open(fifo, "wb") as fh:
            fh.write(data)

    writer = threading.Thread(target=feed)
    writer.start()
    try:
        result = cli("evaluate", str(fifo), "-o", "json", "-l", "mae", timeout=30)
    finally:
        if writer.is_alive():  # (unblock the writer if losscli never opened the FIFO)
            with contextlib.suppress(OSError), open(fifo, "rb") as fh:
                fh.read()
        writer.join()
    assert result.returncode == 0, result.stderr
    mae = value(json.loads(result.stdout), "y_pred", "mae")
    assert mae == metrics.mean_absolute_error([1, 2, 4], [1.5, 3, 4])


def test_process_substitution_is_read_as_a_stream(tmp_path: Path) -> None:
    path = tmp_path / "preds.csv"
    path.write_bytes(b"y_true,y_pred\n1,1.5\n2,3\n4,4\n")
    gz = tmp_path / "preds.csv.gz"
    gz.write_bytes(_compress("gz", path.read_bytes()))
    for inner in (f"cat {path}", f"cat {gz}"):
        script = f'"{LOSSCLI}" evaluate <({inner}) -o json -l mae'
        result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, result.stderr
        mae = value(json.loads(result.stdout), "y_pred", "mae")
        assert mae == metrics.mean_absolute_error([1, 2, 4], [1.5, 3, 4])


def test_dev_zero_as_a_file_is_not_called_empty() -> None:
    line = assert_one_error(cli("evaluate", "/dev/zero", timeout=30))
    assert line == "losscli: error: /dev/zero: holds NUL bytes, so it is binary data, not text"


# ------------------------------------------------- 6. JSON Lines errors name the line


def _jsonl_with(tmp_path: Path, bad: Any) -> Path:
    lines = [json.dumps({"y_true": i + 0.5, "y_pred": i + 0.25}) for i in range(6000)]
    lines[4999] = bad(lines[4999]) if callable(bad) else bad
    path = tmp_path / "log.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_truncated_json_object_names_its_line(tmp_path: Path) -> None:
    path = _jsonl_with(tmp_path, lambda s: s[:-6])
    line = run_error("evaluate", str(path))
    assert line.startswith(f"losscli: error: {path}: line 5000 is not valid JSON (")


def test_an_extra_brace_names_its_line_not_empty(tmp_path: Path) -> None:
    path = _jsonl_with(tmp_path, lambda s: s + "}")
    line = run_error("evaluate", str(path))
    assert line.startswith(f"losscli: error: {path}: line 5000 is not valid JSON (Extra data")
    assert "empty" not in line


def test_a_json_line_that_is_not_an_object_names_its_line(tmp_path: Path) -> None:
    path = _jsonl_with(tmp_path, "[1, 2]")
    assert run_error("evaluate", str(path)) == (
        f"losscli: error: {path}: line 5000 is not a JSON object"
    )


@pytest.mark.parametrize("kind", ["gz", "zst"])
def test_utf16_inside_compression_is_named(tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"preds.csv.{kind}"
    path.write_bytes(_compress(kind, "y_true,y_pred\n1,2\n".encode("utf-16")))
    assert f"{path}: this is UTF-16 text" in run_error("evaluate", str(path))


def test_each_stdin_object_is_read_for_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each in-process run (CliRunner) gets a new stdin object, and a freed object's
    # id is often reused at once: a spool keyed by id would hand a later run an
    # earlier run's bytes.
    import io

    from losscli.io import spool

    for n in range(2, 42):
        text = "y_true,y_pred\n" + "1,2\n" * n
        stream = io.TextIOWrapper(io.BytesIO(text.encode()))
        monkeypatch.setattr(sys, "stdin", stream)
        assert spool.spool_stdin().read_bytes() == text.encode()
        monkeypatch.setattr(sys, "stdin", None)
        del stream
