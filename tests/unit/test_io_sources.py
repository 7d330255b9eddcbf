"""losscli.io.sources / compression: one table of compressions for every reader, so a
compressed training log reads as its plain self (``losscli history log.csv.zst``).

Oracles: the standard library's and zstandard's own writers make the compressed files;
the expected report is the one the same command gives for the uncompressed file."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
import zstandard
from typer.testing import CliRunner

from losscli.cli import app
from losscli.io import compression, sources

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "train_log.csv"

WRITERS: dict[str, Callable[[bytes], bytes]] = {
    ".gz": gzip.compress,
    ".bz2": bz2.compress,
    ".xz": lzma.compress,
    ".zst": zstandard.ZstdCompressor().compress,
}


def history_json(*args: str, stdin: bytes | None = None) -> dict[str, object]:
    result = CliRunner().invoke(app, ["history", *args, "-o", "json"], input=stdin)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert isinstance(report, dict)
    return report


def without_names(report: dict[str, object]) -> str:
    """The report with the file's name taken out (it differs by construction)."""
    text = json.dumps(report, sort_keys=True)
    for name in (str(SAMPLE), "<stdin>"):
        text = text.replace(json.dumps(name)[1:-1], "NAME")
    return text


@pytest.mark.parametrize("suffix", sorted(WRITERS))
def test_a_compressed_training_log_reads_as_the_plain_one(tmp_path: Path, suffix: str) -> None:
    packed = WRITERS[suffix](SAMPLE.read_bytes())
    plain = without_names(history_json(str(SAMPLE)))
    named = tmp_path / f"log.csv{suffix}"
    named.write_bytes(packed)
    unnamed = tmp_path / "training.log"  # (no suffix: told by the magic bytes)
    unnamed.write_bytes(packed)
    for path in (named, unnamed):
        assert without_names(history_json(str(path))).replace(str(path), "NAME") == plain
    assert without_names(history_json("-", stdin=packed)) == plain


def test_a_truncated_zstd_log_is_one_line_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "log.csv.zst"
    path.write_bytes(zstandard.ZstdCompressor().compress(SAMPLE.read_bytes())[:200])
    result = CliRunner().invoke(app, ["history", str(path)])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("losscli: error: ") and str(path) in lines[0]
    assert "zstd" in lines[0]


@pytest.mark.parametrize("suffix", [".gz", ".GZIP", ".bz2", ".xz", ".zst", ".ZSTD"])
def test_compression_from_name_and_magic_agree_with_the_writers(suffix: str) -> None:
    kind = compression.from_name(f"log.csv{suffix}")
    assert kind is not None
    writer = WRITERS[compression.COMPRESSION_SUFFIX[kind]]
    assert compression.from_magic(writer(b"epoch,loss\n1,2\n")) == kind


def test_compression_from_name_is_none_for_plain_names() -> None:
    for name in ("log.csv", "log", "log.zip", "archive.tar", "-"):
        assert compression.from_name(name) is None


def test_is_io_error_knows_every_decompressor_failure() -> None:
    failures: list[BaseException] = []
    for data, read in (
        (b"\x1f\x8b" + b"\0" * 20, gzip.decompress),
        (b"BZh9" + b"\0" * 20, bz2.decompress),
        (b"\xfd7zXZ\x00" + b"\0" * 20, lzma.decompress),
        (b"\x00" * 8, zlib.decompress),
        (b"\x28\xb5\x2f\xfd" + b"\xff" * 20, zstandard.ZstdDecompressor().decompress),
    ):
        with pytest.raises(Exception) as info:
            read(data)
        failures.append(info.value)
    assert all(compression.is_io_error(exc) for exc in failures), failures
    assert compression.is_io_error(EOFError()) and compression.is_io_error(OSError())
    assert not compression.is_io_error(ValueError("not an I/O failure"))


def test_open_bytes_decompresses_by_magic_whatever_the_name(tmp_path: Path) -> None:
    data = SAMPLE.read_bytes()
    for suffix, write in WRITERS.items():
        path = tmp_path / f"any{suffix}.bin"
        path.write_bytes(write(data))
        with sources.open_bytes(path) as stream:
            assert stream.read() == data
