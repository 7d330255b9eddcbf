"""The history section of ``make bench`` (issue 13's speed point) runs and lands in
the report in place, so it cannot rot; the figures themselves are ``make bench``'s."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCH))

pytest.importorskip("tensorboardX")
pytest.importorskip("pyarrow")


def test_measure_times_every_row_and_renders_them(tmp_path: Path) -> None:
    import history_bench

    figures = history_bench.measure(rows=60, repeat=1, cache=tmp_path)
    labels = [row[0] for row in figures["timed"]]
    assert len(labels) == 4 and any("TensorBoard" in x for x in labels)
    assert all(row[1] > 0 and row[2] > 0 for row in figures["timed"])
    text = "\n".join(history_bench.markdown(figures))
    assert text.startswith("## History (issue 13): 60-point logs")
    # one table row per timed row, each with wall and CPU figures
    assert sum(line.startswith("| ") and "×" in line for line in text.splitlines()) == 3
    assert not any(math.isnan(row[2]) for row in figures["timed"])


def test_splice_replaces_only_the_history_section() -> None:
    import bench

    report = "# Results\n\n## Targets\n\nT\n\n## History (issue 13): 9-point logs\n\nold\n"
    new = "## History (issue 13): 5-point logs\n\nnew\n"
    assert bench.splice_history(report, new) == "# Results\n\n## Targets\n\nT\n\n" + new
    middle = report.replace("old\n", "old\n\n## After\n\nA\n")
    spliced = bench.splice_history(middle, new)
    assert "old" not in spliced and spliced.endswith("new\n\n## After\n\nA\n")
    assert bench.splice_history("# Results\n", new) == "# Results\n\n" + new
