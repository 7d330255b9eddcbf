"""0-byte parts of CSV, TSV and JSON Lines datasets: what Hadoop and Spark write for an
empty task or partition (Spark's CSV writer with its default ``header=false``), and
what pandas' ``to_csv(header=False)`` and polars' ``write_ndjson`` write for an empty
frame (the writers used here). Spark reads such a part as no rows; so does losscli,
first, in the middle or last, locally and on an S3 API (moto on 127.0.0.1); the
dask engine's side is in tests/cli/test_dask_engine.py.

Oracle: scikit-learn on the frame's rows (``mean_squared_error``,
``mean_absolute_error``), ``--filter`` by pandas on the same frame. A dataset of
0-byte parts only is no data (exit 2, one line); a 0-byte file given alone keeps its
error ("is empty").
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import mean_absolute_error, mean_squared_error

from conftest import Cli

_cli = Cli("evaluate")
run_json, run_error = _cli.run_json, _cli.error_line

N = 500
#: the parts of each dataset: None is a 0-byte part, else the frame's rows it holds
LAYOUT: list[slice | None] = [None, slice(0, 200), None, None, slice(200, N), None]


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(16)
    y = rng.normal(size=N) * 2
    return pd.DataFrame({"y_true": y, "y_pred": y + rng.normal(scale=0.3, size=N)})


FRAME = _frame()


def _write(path: Path, rows: pd.DataFrame, fmt: str) -> None:
    """``rows`` as a real writer writes them (an empty frame: 0 bytes)."""
    if fmt == "jsonl":
        pl = pytest.importorskip("polars")
        pl.from_pandas(rows).write_ndjson(path)
        return
    sep = "\t" if fmt == "tsv" else ","
    rows.to_csv(path, sep=sep, index=False, header=len(rows) > 0, float_format="%.17g")


def _dataset(folder: Path, fmt: str, layout: list[slice | None] = LAYOUT) -> Path:
    folder.mkdir(parents=True)
    for i, rows in enumerate(layout):
        part = FRAME.iloc[rows] if rows is not None else FRAME.head(0)
        _write(folder / f"part-{i:05d}.{fmt}", part, fmt)
    sizes = [(folder / f"part-{i:05d}.{fmt}").stat().st_size for i in range(len(layout))]
    assert [n == 0 for n in sizes] == [rows is None for rows in layout]  # (the writers' 0 bytes)
    return folder


def _check(result: dict[str, Any], rows: pd.DataFrame) -> None:
    assert result["rows"] == len(rows)
    got = {r["loss"]: r["value"] for r in result["results"]}
    want = {
        "mse": mean_squared_error(rows.y_true, rows.y_pred),
        "mae": mean_absolute_error(rows.y_true, rows.y_pred),
    }
    assert got == pytest.approx(want, rel=1e-12)


LOSSES = ("--loss", "mse", "--loss", "mae")


@pytest.mark.parametrize("fmt", ["csv", "tsv", "jsonl"])
def test_zero_byte_parts_are_parts_of_no_rows(tmp_path: Path, fmt: str) -> None:
    folder = _dataset(tmp_path / "ds", fmt)
    _check(run_json(str(folder), *LOSSES), FRAME)
    kept = run_json(str(folder), *LOSSES, "--filter", "y_true > 0.5")
    _check(kept, FRAME[FRAME.y_true > 0.5])


def test_a_dataset_of_zero_byte_parts_only(tmp_path: Path) -> None:
    folder = _dataset(tmp_path / "ds", "csv", [None] * 6)
    line = run_error(str(folder))
    assert line == f"losscli: error: {folder}: no data rows (every file is 0 bytes)"
    (folder / "part-00003.csv").write_text("y_true,y_pred\n")  # (a header only)
    assert run_error(str(folder)).endswith("(every file is 0 bytes or has a header only)")
    filtered = run_error(str(folder), "--filter", "y_true > 0")
    assert filtered == (
        f"losscli: error: {folder}: no data rows match --filter 'y_true > 0' "
        "(every file is 0 bytes or has a header only)"
    )


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_zero_byte_file_alone_is_still_an_error(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"empty.{fmt}"
    _write(path, FRAME.head(0), fmt)
    assert path.stat().st_size == 0
    assert run_error(str(path)) == f"losscli: error: {path} is empty"
    assert run_error(str(path), "--filter", "y_true > 0") == f"losscli: error: {path} is empty"


# --------------------------------------------------------------------------- S3


#: a bucket of its own: moto keeps one store per process
BUCKET = "empty-parts"


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The csv and jsonl datasets and one of 0-byte parts only, under their names."""
    pytest.importorskip("moto.server")
    pytest.importorskip("s3fs")
    from test_remote_sources import moto_bucket

    root = tmp_path_factory.mktemp("empty")
    for fmt in ("csv", "jsonl"):
        _dataset(root / fmt, fmt)
    _dataset(root / "none", "csv", [None] * 6)
    objects = {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*.*")}
    with moto_bucket(BUCKET, objects, set_endpoint=True):
        yield root


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_zero_byte_parts_on_s3(s3: Path, fmt: str) -> None:
    remote = run_json(f"s3://{BUCKET}/{fmt}/", *LOSSES)
    local = run_json(str(s3 / fmt), *LOSSES)
    assert remote.pop("file") != local.pop("file")
    assert json.dumps(remote, sort_keys=True) == json.dumps(local, sort_keys=True)
    _check(remote, FRAME)


def test_zero_byte_parts_only_on_s3(s3: Path) -> None:
    assert run_error(f"s3://{BUCKET}/none/") == (
        f"losscli: error: s3://{BUCKET}/none/: no data rows (every file is 0 bytes)"
    )
