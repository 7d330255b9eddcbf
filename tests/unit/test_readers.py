"""losscli.io (sources, tables, columns): every format, stdin, chunking, and every way a file
can be bad."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import zstandard

from losscli.errors import InputError
from losscli.io import sources, tables
from losscli.io.columns import numeric_array

FRAME = pd.DataFrame(
    {
        "y_true": [1.5, 2.0, -3.25, 4.0, 5.5, 6.0, 7.0],
        "y_pred": [1.0, 2.5, -3.0, 4.5, 5.0, 6.5, 8.0],
        "label": ["a", "b", "a", "c", "b", "a", "c"],
    }
)


def _csv_bytes(sep: str = ",") -> bytes:
    return FRAME.to_csv(index=False, sep=sep).encode()


def _jsonl_bytes() -> bytes:
    return FRAME.to_json(orient="records", lines=True).encode()


def _compress(data: bytes, kind: str) -> bytes:
    if kind == "gz":
        return gzip.compress(data)
    if kind == "bz2":
        return bz2.compress(data)
    if kind == "xz":
        return lzma.compress(data)
    if kind == "zst":
        return zstandard.ZstdCompressor().compress(data)
    return data


def write_format(tmp_path: Path, name: str) -> Path:
    """Write FRAME as ``name`` (the suffixes say the format and compression)."""
    path = tmp_path / name
    parts = name.split(".")[1:]
    compression = parts[-1] if parts[-1] in ("gz", "bz2", "xz", "zst") else ""
    fmt = parts[-2] if compression else parts[-1]
    if fmt in ("parquet", "pq"):
        FRAME.to_parquet(path)
        return path
    data = {"csv": _csv_bytes(), "tsv": _csv_bytes("\t"), "jsonl": _jsonl_bytes()}
    data["ndjson"] = data["json"] = data["jsonl"]
    path.write_bytes(_compress(data[fmt], compression))
    return path


ALL_NAMES = [
    "p.csv",
    "p.tsv",
    "p.parquet",
    "p.pq",
    "p.jsonl",
    "p.ndjson",
    "p.json",
    "p.csv.gz",
    "p.csv.bz2",
    "p.csv.xz",
    "p.csv.zst",
    "p.tsv.gz",
    "p.tsv.zst",
    "p.jsonl.gz",
    "p.jsonl.xz",
    "p.json.gz",
]


@pytest.mark.parametrize("name", ALL_NAMES)
def test_every_format_reads_the_same_values(tmp_path: Path, name: str) -> None:
    path = write_format(tmp_path, name)
    assert tables.read_columns(path) == ["y_true", "y_pred", "label"]
    df = tables.read_frame(path, columns=["y_pred", "label"])
    assert list(df.columns) == ["y_pred", "label"]
    np.testing.assert_array_equal(df["y_pred"].to_numpy(np.float64), FRAME["y_pred"].to_numpy())
    assert df["label"].astype(str).tolist() == FRAME["label"].tolist()


@pytest.mark.parametrize("name", ALL_NAMES)
def test_chunked_frames_equal_whole_file(tmp_path: Path, name: str) -> None:
    path = write_format(tmp_path, name)
    whole = tables.read_frame(path)
    parts = list(tables.iter_frames(path, chunk_rows=2))
    assert [len(p) for p in parts] == [2, 2, 2, 1]
    joined = pd.concat(parts, ignore_index=True)
    for col in ("y_true", "y_pred"):
        np.testing.assert_array_equal(joined[col].to_numpy(np.float64), whole[col].to_numpy())


@pytest.mark.parametrize("name", ALL_NAMES)
def test_iter_arrays_gives_float64_and_offsets(tmp_path: Path, name: str) -> None:
    path = write_format(tmp_path, name)
    chunks = list(
        tables.iter_arrays(
            path, columns=["y_true"], column_types={"y_true": "float64"}, chunk_rows=3
        )
    )
    assert [offset for offset, _ in chunks] == [0, 3, 6]
    values = np.concatenate(
        [numeric_array(c["y_true"], name=str(path), column_name="y_true") for _, c in chunks]
    )
    assert values.dtype == np.float64
    np.testing.assert_array_equal(values, FRAME["y_true"].to_numpy())


def test_display_name() -> None:
    assert sources.display_name("-") == "<stdin>"
    assert sources.display_name(Path("a/b.csv")) == "a/b.csv"


def test_format_option_overrides_the_suffix(tmp_path: Path) -> None:
    path = tmp_path / "preds.txt"
    path.write_bytes(_csv_bytes("\t"))
    df = tables.read_frame(path, fmt="tsv")
    assert list(df.columns) == ["y_true", "y_pred", "label"]


def test_int_then_float_in_a_later_block_reads_as_float(tmp_path: Path) -> None:
    # The streaming reader infers types from its first block; losscli must not
    # fail when a later block holds 1.5 in an integer-looking column.
    path = tmp_path / "mix.csv"
    path.write_text("a,b\n" + "1,2\n" * 5000 + "1.5,3\n")
    frames = list(tables.iter_frames(path, chunk_rows=100))
    assert sum(len(f) for f in frames) == 5001
    assert frames[-1]["a"].iloc[-1] == 1.5
    assert tables.read_frame(path)["a"].iloc[-1] == 1.5


def test_quoted_newline_across_block_boundaries(tmp_path: Path) -> None:
    rows = [f'{i},"line one\nline two {i}"' for i in range(200)]
    path = tmp_path / "q.csv"
    path.write_text("n,text\n" + "\n".join(rows) + "\n")
    frames = list(tables.iter_frames(path, chunk_rows=7))
    df = pd.concat(frames, ignore_index=True)
    assert df["n"].tolist() == list(range(200))
    assert df["text"].iloc[199] == "line one\nline two 199"


# --------------------------------------------------------------------------- stdin


class _FakeStdin:
    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)


@pytest.mark.parametrize(
    ("data", "fmt"),
    [
        (_csv_bytes(), None),
        (_csv_bytes("\t"), "tsv"),
        (_jsonl_bytes(), "jsonl"),
        (gzip.compress(_csv_bytes()), None),
        (zstandard.ZstdCompressor().compress(_csv_bytes()), None),
    ],
)
def test_stdin(monkeypatch: pytest.MonkeyPatch, data: bytes, fmt: str | None) -> None:
    monkeypatch.setattr(sys, "stdin", _FakeStdin(data))
    assert tables.read_columns("-", fmt=fmt) == ["y_true", "y_pred", "label"]
    df = tables.read_frame("-", fmt=fmt)
    np.testing.assert_array_equal(df["y_true"].to_numpy(np.float64), FRAME["y_true"].to_numpy())


def test_stdin_parquet_by_magic_bytes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    FRAME.to_parquet(path)
    data = path.read_bytes()
    assert data[:4] == b"PAR1"
    monkeypatch.setattr(sys, "stdin", _FakeStdin(data))
    df = tables.read_frame("-")
    assert df["label"].tolist() == FRAME["label"].tolist()


# --------------------------------------------------------------------------- bad input


def _error(call: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(InputError) as info:
        result = call(*args, **kwargs)
        if hasattr(result, "__next__"):
            list(result)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"
    assert _error(tables.read_frame, path) == f"file not found: {path}"


def test_directory(tmp_path: Path) -> None:
    assert "is a directory" in _error(tables.read_frame, tmp_path)


def test_unreadable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_format(tmp_path, "p.csv")
    # Tests may run as root, for whom chmod 000 changes nothing: fake the check.
    monkeypatch.setattr(sources.os, "access", lambda *_: False)
    message = _error(tables.read_frame, path)
    assert str(path) in message and "permission denied" in message


def test_empty_file(tmp_path: Path) -> None:
    for name in ("e.csv", "e.parquet", "e.jsonl"):
        path = tmp_path / name
        path.write_bytes(b"")
        assert _error(tables.read_columns, path) == f"{path} is empty"


def test_header_only(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("y_true,y_pred\n")
    assert "header but no data rows" in _error(tables.read_columns, path)
    assert "header but no data rows" in _error(tables.read_frame, path)


def test_unknown_extension(tmp_path: Path) -> None:
    path = tmp_path / "preds.dat"
    path.write_text("a,b\n1,2\n")
    message = _error(tables.read_frame, path)
    assert str(path) in message and "--format" in message


def test_unknown_format_option(tmp_path: Path) -> None:
    path = write_format(tmp_path, "p.csv")
    assert "unknown format" in _error(tables.read_frame, path, fmt="xlsx")


def test_corrupt_parquet(tmp_path: Path) -> None:
    path = tmp_path / "bad.parquet"
    path.write_bytes(b"PAR1 this is not really parquet PAR1")
    message = _error(tables.read_frame, path)
    assert message.startswith(f"{path} is not a valid Parquet file")


def test_corrupt_gzip(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv.gz"
    path.write_text("y_true,y_pred\n1,2\n")
    assert "not valid gzip data" in _error(tables.read_frame, path)


def test_ragged_rows_name_the_row(tmp_path: Path) -> None:
    path = tmp_path / "rag.csv"
    path.write_text("a,b\n1,2\n3,4\n5,6,7\n8,9\n")
    message = _error(tables.read_frame, path)
    assert message == f"{path}: ragged CSV at row 3: expected 2 fields, got 3"
    assert _error(tables.iter_frames, path, chunk_rows=1) == message


def test_duplicate_columns(tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text("y,y,z\n1,2,3\n")
    assert "duplicate column names: 'y'" in _error(tables.read_frame, path)


def test_missing_requested_column(tmp_path: Path) -> None:
    path = write_format(tmp_path, "p.csv")
    message = _error(tables.read_frame, path, columns=["nope"])
    assert message == f"column 'nope' not found in {path}; columns are: y_true, y_pred, label"


def test_text_in_a_numeric_column_names_column_and_row(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a,b\n" + "1,2\n" * 3000 + "1,oops\n")
    message = _error(
        tables.iter_arrays, path, columns=["b"], column_types={"b": "float64"}, chunk_rows=50
    )
    assert message == f"{path}: column 'b', row 3001: expected a number, got 'oops'"


def test_text_in_numeric_column_from_a_frame_column() -> None:
    values = np.array(["1", "2.5", "x", None], dtype=object)
    with pytest.raises(InputError, match=r"f\.csv: column 'c', row 13: expected a number, got 'x'"):
        numeric_array(values, name="f.csv", column_name="c", offset=10)


def test_numeric_array_keeps_missing_as_nan() -> None:
    out = numeric_array(np.array(["1", None, "inf"], dtype=object), name="f", column_name="c")
    assert out[0] == 1.0 and np.isnan(out[1]) and np.isinf(out[2])


def test_jsonl_text_in_numeric_column_names_row(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    lines = [f'{{"y": {i}, "p": {i}.5}}' for i in range(3000)] + ['{"y": 1, "p": "oops"}']
    path.write_text("\n".join(lines) + "\n")
    message = _error(
        tables.iter_arrays, path, columns=["p"], column_types={"p": "float64"}, chunk_rows=100
    )
    assert message == f"{path}: column 'p', row 3001: expected a number, got 'oops'"


def test_jsonl_invalid_line_names_row(tmp_path: Path) -> None:
    path = tmp_path / "b.jsonl"
    path.write_text('{"y": 1}\n{"y": 2}\nnot json\n')
    assert (
        _error(tables.read_frame, path)
        == f"{path}: line 3 is not valid JSON (Expecting value at column 1)"
    )


def test_jsonl_key_absent_from_a_block_reads_as_missing(tmp_path: Path) -> None:
    path = tmp_path / "k.jsonl"
    lines = ['{"y": 1, "p": 2}'] * 50 + ['{"y": 1}'] * 50
    path.write_text("\n".join(lines) + "\n")
    chunks = list(
        tables.iter_arrays(path, columns=["y", "p"], column_types={"p": "float64"}, chunk_rows=10)
    )
    p = np.concatenate([numeric_array(c["p"], name="k", column_name="p") for _, c in chunks])
    assert p.shape == (100,) and np.isnan(p[50:]).all() and (p[:50] == 2).all()


# ----------------------------------------------------------------------- chunks


def _floats_of(path: Path, chunk_rows: int) -> list[np.ndarray]:
    """``y`` and ``p`` of every chunk as float64, converted with the chunk's offset (as
    the engine converts them)."""
    return [
        numeric_array(cols[c], name=path.name, column_name=c, offset=offset)
        for offset, cols in tables.iter_arrays(path, columns=["y", "p"], chunk_rows=chunk_rows)
        for c in ("y", "p")
    ]


def test_chunks_name_the_row_of_text_in_a_number_column(tmp_path: Path) -> None:
    # the bad cell is data row 707 (1-based), in the third chunk of 300 rows
    path = tmp_path / "t.jsonl"
    lines = [json.dumps({"y": i, "p": "x" if i == 706 else i}) for i in range(1000)]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"column 'p', row 707: expected a number, got 'x'"):
        _floats_of(path, 300)


def test_chunks_convert_with_the_chunk_offset(tmp_path: Path) -> None:
    # Parquet carries its types: the text "x" in a string column reaches
    # numeric_array, which must count the 600 rows of the two chunks before it.
    path = tmp_path / "t.parquet"
    values = [str(i) for i in range(1000)]
    values[706] = "x"
    pd.DataFrame({"y": range(1000), "p": values}).to_parquet(path)
    with pytest.raises(InputError, match=r"column 'p', row 707: expected a number, got 'x'"):
        _floats_of(path, 300)


@pytest.mark.parametrize("indent", [None, 2])
def test_a_json_array_is_refused_with_the_way_to_json_lines(
    tmp_path: Path, indent: int | None
) -> None:
    """pandas' default ``to_json(orient="records")`` writes one array, not JSON
    Lines; the message says so and how to convert it."""
    path = tmp_path / "p.json"
    FRAME.to_json(path, orient="records", indent=indent)
    with pytest.raises(InputError) as info:
        tables.read_frame(path)
    text = str(info.value)
    assert text.startswith(f"{path}: line 1 ")
    assert "it is a JSON array" in text and "jq -c '.[]'" in text
