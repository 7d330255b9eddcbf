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
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn import metrics
from typer.testing import CliRunner

from losscli.cli import app

runner = CliRunner()


def run(*args: str, input: bytes | str | None = None) -> Any:
    return runner.invoke(app, list(args), input=input)


def run_json(*args: str, input: bytes | str | None = None) -> dict[str, Any]:
    result = run(*args, "-o", "json", input=input)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def run_error(*args: str, input: bytes | str | None = None) -> str:
    """The one error line of a failing command (exit 2, nothing on stdout)."""
    result = run(*args, input=input)
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("losscli: error: ")
    return lines[0]


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
    from losscli import readers
    from losscli.errors import InputError

    path = tmp_path / f"preds.csv.{kind}"
    path.write_bytes(damaged(kind, CSV, how))
    source = str(path)
    header_only = [
        lambda: readers.read_columns(source),
        lambda: readers.sniff_types(source, columns=["y_true"]),
    ]
    whole = [
        lambda: readers.read_frame(source),
        lambda: list(readers.iter_frames(source)),
        lambda: list(readers.iter_batches(source, columns=["y_true"])),
        lambda: list(readers.iter_arrays(source, columns=["y_true", "y_pred"])),
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
    from losscli import readers
    from losscli.errors import InputError

    values = np.array([3, 2**53 + 3], dtype=np.int64)
    with pytest.raises(InputError, match=r"column 'p', row 12: the integer 9007199254740995"):
        readers.numeric_array(values, name="f.csv", column_name="p", offset=10)


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
