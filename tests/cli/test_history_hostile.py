"""`losscli history` under hostile input (issue 10's history items): one line on
stderr, exit 2, nothing on stdout; and the chart/PNG survive losses of ±1e308."""

from __future__ import annotations

import gzip
import json
import lzma
from pathlib import Path
from typing import Any

import pytest
import zstandard

from conftest import Cli

run = Cli("history").run


def one_line_error(result: Any, *needles: str) -> None:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("losscli: error: "), result.stderr
    for needle in needles:
        assert needle in lines[0]


def test_deeply_nested_trainer_state_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "trainer_state.json"
    path.write_text('{"log_history": ' + "[" * 100_000 + "]" * 100_000 + "}")
    one_line_error(run(str(path)), "trainer_state.json", "nested too deeply")


def test_same_column_for_train_and_val_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("epoch,loss,val_loss\n0,1,1\n1,0.5,0.6\n2,0.4,0.5\n")
    one_line_error(run(str(path), "--train", "loss", "--val", "loss"), "same column", "'loss'")
    one_line_error(run(str(path), "--train", "loss", "--val", "LOSS"), "same column")


def test_same_key_twice_in_trainer_state(tmp_path: Path) -> None:
    path = tmp_path / "trainer_state.json"
    hist = [{"loss": 1.0 - i / 10, "step": i, "epoch": i} for i in range(1, 5)]
    path.write_text(json.dumps({"log_history": hist}))
    one_line_error(run(str(path), "--train", "loss", "--val", "loss"), "name the same")


@pytest.mark.parametrize("value", ["1e308", "-1e308"])
def test_losses_of_1e308_chart_and_png(tmp_path: Path, value: str) -> None:
    # a range of 2e308 overflows to inf: the chart must scale without computing it
    path = tmp_path / "log.csv"
    path.write_text(f"epoch,loss,val_loss\n0,{value},-1e308\n1,-1e308,1e308\n2,1e308,1.7e308\n")
    result = run(str(path))
    assert result.exit_code == 0, result.stderr
    assert "train (loss)" in result.stdout
    png = tmp_path / "curves.png"
    result = run(str(path), "--plot", str(png), "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


LOG = b"epoch,loss,val_loss\n" + b"".join(
    f"{i},{1 / (i + 1):.6f},{1 / (i + 1) + 0.1:.6f}\n".encode() for i in range(300)
)
STATE = json.dumps(
    {"log_history": [{"loss": 1 / i, "step": i, "epoch": i} for i in range(1, 300)]}
).encode()


@pytest.mark.parametrize(
    ("suffix", "compress", "cut"),
    [
        (".gz", gzip.compress, 30),
        (".xz", lzma.compress, 30),
        (".zst", lambda b: zstandard.ZstdCompressor().compress(b), 10),
    ],
)
@pytest.mark.parametrize(("stem", "data"), [("log.csv", LOG), ("trainer_state.json", STATE)])
def test_truncated_compressed_logs_are_one_line(
    tmp_path: Path, suffix: str, compress: Any, cut: int, stem: str, data: bytes
) -> None:
    path = tmp_path / (stem + suffix)
    whole = compress(data)
    path.write_bytes(whole)
    assert run(str(path), "-o", "json").exit_code == 0  # the whole file reads
    path.write_bytes(whole[:-cut])
    one_line_error(run(str(path), "-o", "json"), path.name)


def test_garbage_behind_gzip_magic_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "trainer_state.json.gz"
    path.write_bytes(b"\x1f\x8b" + b"garbage" * 20)
    one_line_error(run(str(path)), path.name)
