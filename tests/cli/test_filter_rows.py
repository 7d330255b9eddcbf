"""With ``--filter``, a row named in an error or a skip reason is a data row of the
source file (1-based, the header not counted), not the count of the rows kept.

Oracle: the files are written here, so the bad row's place is known by hand (noted
beside each file); CSV by hand, Parquet by pyarrow (the filter pushed down).
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import Cli

_cli = Cli("evaluate")
run, error_line = _cli.run, _cli.error_line

# data rows 1..5; the filter keeps rows 1, 4 and 5 (k = "a")
ROWS = [("1", "2", "a"), ("3", "4", "b"), ("5", "6", "b"), ("7", "x", "a"), ("8", "8", "a")]


def _write(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    if path.suffix == ".csv":
        path.write_text("y_true,y_pred,k\n" + "".join(",".join(r) + "\n" for r in rows))
    else:
        cols = list(zip(*rows, strict=True))
        table = pa.table(
            {"y_true": [float(v) for v in cols[0]], "y_pred": list(cols[1]), "k": list(cols[2])}
        )
        pq.write_table(table, path, row_group_size=2)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_bad_value_after_rows_left_out(tmp_path: Path, suffix: str) -> None:
    path = _write(tmp_path / f"p{suffix}", ROWS)  # 'x': data row 4, the 2nd row kept
    line = error_line(str(path), "--filter", 'k = "a"')
    assert "row 4" in line and "row 2" not in line, line
    assert line == error_line(str(path))  # (the same row as without the filter)


def test_a_skip_reason_names_the_files_row(tmp_path: Path) -> None:
    rows = [("1", "2", "a"), ("-3", "4", "b"), ("5", "6", "b"), ("-7", "8", "a"), ("8", "8", "a")]
    path = _write(tmp_path / "p.csv", rows)  # the first negative truth kept: data row 4
    result = run(str(path), "--filter", 'k = "a"', "-o", "json")
    assert result.exit_code == 0, result.stderr
    reasons = [s["reason"] for s in json.loads(result.stdout)["skipped"] if s["loss"] == "msle"]
    assert reasons == ["msle needs y_true ≥ 0; first violation at row 4"]
    line = error_line(str(path), "--filter", 'k = "a"', "--loss", "msle")
    assert line.endswith("first violation at row 4")


def test_a_dataset_names_the_files_row(tmp_path: Path) -> None:
    folder = tmp_path / "ds"
    folder.mkdir()
    _write(folder / "a.csv", [("1", "2", "a"), ("3", "4", "b")])
    rows = [("1", "2", "a"), ("-3", "4", "b"), ("5", "6", "b"), ("-7", "8", "a")]
    _write(folder / "b.csv", rows)  # kept: a.csv row 1, b.csv rows 1 and 4 (the 3rd kept)
    line = error_line(str(folder), "--filter", 'k = "a"', "--loss", "msle")
    want = f"first violation at row 3 of those --filter kept ({folder / 'b.csv'}, row 4)"
    assert line.endswith(want), line
