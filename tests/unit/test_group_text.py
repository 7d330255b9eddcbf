"""The ``--by`` text paths cut for speed (session 6): the same cells as the csv module
writes them, and group ids in order of first appearance across chunks."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest

from losscli.render.evaluate import _csv_quoted

CELLS = [
    "", "g1", "a,b", 'say "hi"', "line\nbreak", "cr\rhere", " lead", "trail ", "tab\there",
    "=1+2", "'quoted'", ";", "é ü", "\x00nul", '"', ",", "\r\n", "x" * 300,
]  # fmt: skip


def _oracle(text: str) -> str:
    # the csv module's own writer, one cell per row; an empty cell alone on its row is
    # written '""', which the CSV output writes as an empty cell
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([text])
    line = out.getvalue()[:-1]
    return "" if line == '""' else line


@pytest.mark.parametrize("text", CELLS)
def test_csv_quoted_is_the_csv_modules_cell(text: str) -> None:
    assert _csv_quoted(text) == _oracle(text)


def test_group_ids_count_each_row_in_its_group_across_chunks(tmp_path: Path) -> None:
    # oracle: pandas' value_counts of the whole column; the engine sees the file in
    # chunks of 300 rows, new labels arriving in every chunk
    import pandas as pd

    from losscli.evaluate.api import evaluate_file

    rng = np.random.default_rng(3)
    labels = [f"g{i}" for i in rng.integers(0, 400, 2000)]
    path = tmp_path / "g.csv"
    y = rng.normal(size=2000)
    pd.DataFrame({"y_true": y, "y_pred": y + 1, "group": labels}).to_csv(path, index=False)
    report = evaluate_file(str(path), by="group", losses=["mae"], chunk_rows=300)
    assert report.grouped is not None
    got = dict(zip(report.grouped.labels, report.grouped.rows.tolist(), strict=True))
    assert got == pd.Series(labels).value_counts().to_dict()
