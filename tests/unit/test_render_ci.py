"""The ``--ci`` parts of the evaluate renderers (table, CSV, Markdown), on reports
built by hand: the numbers here are chosen, not computed by the code under test, so
each assertion says how a chosen number must be written."""

from __future__ import annotations

import dataclasses
import io
import math
from typing import Any

import numpy as np
import pytest

from losscli.evaluate.report import ComparisonRow, EvaluationReport, GroupTable, Result
from losscli.render import evaluate as render
from losscli.render import intervals

from conftest import ci_csv_tables

BOOT = {
    "method": "percentile bootstrap (Poisson weights over hashed row buckets)",
    "level": 0.95,
    "resamples": 1000,
    "seed": 7,
    "test": "bootstrap",
    "correction": "none",
    "baseline": "linear",
    "buckets": 4096,
}


def plain_report(**changes: Any) -> EvaluationReport:
    """Two regression models, mse and r2, no intervals."""
    base = EvaluationReport(
        file="preds.csv",
        task="regression",
        rows=500,
        target="y",
        weight=None,
        group_by=None,
        models=["linear", "tree"],
        classes=None,
        params={},
        overall=[
            Result("linear", None, "mse", 0.9909, 500),
            Result("tree", None, "mse", 1.0012, 500),
            Result("linear", None, "r2", 0.81, 500),
            Result("tree", None, "r2", 0.79, 500),
        ],
        skipped=[],
        losses=["mse", "r2"],
    )
    return dataclasses.replace(base, **changes)


def ci_report(**changes: Any) -> EvaluationReport:
    """:func:`plain_report` with intervals, one comparison per loss, the bootstrap."""
    overall = [
        Result("linear", None, "mse", 0.9909, 500, 0.962, 1.021),
        Result("tree", None, "mse", 1.0012, 500, 0.97, 1.0334),
        Result("linear", None, "r2", 0.81, 500, 0.7912, 0.8277),
        Result("tree", None, "r2", 0.79, 500, None, None),  # (an undefined interval)
    ]
    comparisons = [
        ComparisonRow("tree", "linear", None, "mse", 0.0103, -0.0052, 0.0261, 0.2, "no sig"),
        ComparisonRow("tree", "linear", None, "r2", -0.02, -0.0311, -0.0094, 0.000999, "worse"),
    ]
    comparisons[0] = dataclasses.replace(comparisons[0], verdict="no significant difference")
    return dataclasses.replace(
        plain_report(overall=overall, comparisons=comparisons, bootstrap=dict(BOOT)), **changes
    )


def table_text(report: EvaluationReport, width: int = 140, **kw: Any) -> str:
    from rich.console import Console

    out = io.StringIO()
    Console(file=out, width=width, no_color=True, markup=False, highlight=False).print(
        render.evaluate_table(report, **kw)
    )
    return out.getvalue()


# --------------------------------------------------------------------------- cell text


@pytest.mark.parametrize(
    ("point", "low", "high", "precision", "want"),
    [
        # the example: 4 significant digits → 4 decimals; the ends get 3
        (0.9909, 0.962, 1.021, 4, "[0.962, 1.021]"),
        (12.34, 11.876, 12.81, 4, "[11.9, 12.8]"),  # 2 decimals → 1
        (1234.5, 1200.2, 1300.7, 4, "[1200, 1301]"),  # 0 decimals stay 0
        (0.0, -0.0123, 0.0456, 3, "[-0.012, 0.046]"),  # the wider end's magnitude
        (1e20, 9e19, 2e20, 3, "[9.0e+19, 2.0e+20]"),  # exponents: precision − 1 digits
        # a Δ near 0 in a wide interval: no more decimals than the wider end (0.5077: 4)
        (0.008333, -0.5, 0.5077, 4, "[-0.5000, 0.5077]"),
    ],
)
def test_interval_text(point: float, low: float, high: float, precision: int, want: str) -> None:
    assert intervals.interval_text(point, (low, high), precision) == want


def test_cell_text_and_undefined_intervals() -> None:
    assert intervals.cell_text(0.9909, (0.962, 1.021), 4) == "0.9909 [0.962, 1.021]"
    assert intervals.cell_text(0.9909, None, 4) == "0.9909"
    assert intervals.finite_interval(None, 1.0) is None
    assert intervals.finite_interval(math.nan, 1.0) is None
    assert intervals.finite_interval(0.5, 1.0) == (0.5, 1.0)


@pytest.mark.parametrize(
    ("p", "want"),
    [
        (0.000999, "<0.001"),
        (0.001, "0.001"),
        (0.04995, "0.0499"),  # rounded down: below 0.05 stays below
        (0.041, "0.041"),
        (0.2, "0.2"),
        (0.12345, "0.123"),
        (1.0, "1"),
        (None, "—"),
    ],
)
def test_p_text(p: float | None, want: str) -> None:
    assert intervals.p_text(p) == want


def test_signed_delta() -> None:
    assert intervals.signed(0.0103) == "+0.01030"
    assert intervals.signed(-0.0103) == "-0.01030"
    assert intervals.signed(0.0) == "0"


# --------------------------------------------------------------------------- table


def test_table_without_ci_has_no_interval_parts() -> None:
    text = table_text(plain_report())
    assert "[" not in text and "bootstrap" not in text and "paired" not in text
    # the same report with the bootstrap fields left empty renders the same text
    assert table_text(plain_report(comparisons=[], bootstrap=None)) == text


def test_table_cells_comparisons_and_bootstrap_line() -> None:
    text = table_text(ci_report())
    assert "*0.9909 [0.962, 1.021]" in text  # best of the row, marked as before
    assert "1.001 [0.97, 1.03]" in text  # 1.0012: 3 decimals at 4 digits, the ends 2
    assert "0.7900" in text and "0.7900 [" not in text  # undefined interval: the point alone
    assert "paired comparison with baseline linear" in text
    lines = text.splitlines()
    mse = next(line for line in lines if "tree" in line and " mse " in line and "+0.01" in line)
    assert "[-0.0052, 0.0261]" in mse and "0.2" in mse and "no significant difference" in mse
    r2 = next(line for line in lines if "tree" in line and " r2 " in line and "worse" in line)
    assert "-0.02000" in r2 and "<0.001" in r2
    assert (
        "bootstrap: percentile bootstrap (Poisson weights over hashed row buckets), level 95%, "
        "1,000 resamples, seed 7, 4,096 buckets; test bootstrap, correction none"
    ) in text.replace("\n", " ").replace("  ", " ")


def test_the_comparison_table_comes_under_the_losses() -> None:
    text = table_text(ci_report())
    assert text.index("r2 ↑") < text.index("paired comparison") < text.index("bootstrap:")


def test_holm_shows_the_raw_p_value_too() -> None:
    rows = [
        dataclasses.replace(c, p_value=min(1.0, 2 * (c.p_value or 0)), p_raw=c.p_value)
        for c in ci_report().comparisons
    ]
    report = ci_report(comparisons=rows, bootstrap={**BOOT, "correction": "holm"})
    text = table_text(report)  # the terminal table: the adjusted p alone, named so
    assert "p (holm)" in text and "p raw" not in text
    r2 = next(line for line in text.splitlines() if " r2 " in line and "worse" in line)
    assert "0.00199" in r2 and "<0.001" not in r2  # 2 × 0.000999, rounded down
    md = render.evaluate_markdown(report).splitlines()
    assert "| model | baseline | loss | Δ | 95% interval of Δ | p (holm) | p raw | verdict |" in md
    want = "| tree | linear | r2 | -0.02000 | \\[-0.0311, -0.0094\\] | 0.00199 | \\<0.001 | worse |"
    assert want in md


def test_untrusted_names_stay_text_in_the_comparison_table() -> None:
    evil = "[bold red]x[/]\x1b[31m"
    report = ci_report(
        models=["linear", evil],
        overall=[
            dataclasses.replace(r, model=evil) if r.model == "tree" else r
            for r in ci_report().overall
        ],
        comparisons=[dataclasses.replace(c, model=evil) for c in ci_report().comparisons],
        bootstrap={**BOOT, "baseline": "base\x1b[2J"},
    )
    text = table_text(report)
    assert "\x1b" not in text
    assert "[bold red]x[/]\\x1b[31m" in text


def grouped_report(n_groups: int = 3) -> EvaluationReport:
    """One loss (mse), two models, ``n_groups`` groups g0… with mse = i + 1 for
    linear, i + 1.5 for tree; intervals ±0.25 around each, group g1's linear none."""
    labels = [f"g{i}" for i in range(n_groups)]
    values = np.zeros((n_groups, 1, 2))
    values[:, 0, 0] = np.arange(n_groups) + 1.0
    values[:, 0, 1] = np.arange(n_groups) + 1.5
    low, high = values - 0.25, values + 0.25
    low[1, 0, 0] = high[1, 0, 0] = np.nan
    table = GroupTable(
        labels, values, np.ones_like(values, dtype=bool), np.full(n_groups, 40), low, high
    )
    comparisons = [
        ComparisonRow("tree", "linear", None, "mse", 0.5, 0.25, 0.75, 0.001, "worse"),
    ] + [ComparisonRow("tree", "linear", g, "mse", 0.5, 0.1, 0.9, 0.01, "worse") for g in labels]
    return plain_report(
        group_by="site",
        overall=[
            Result("linear", None, "mse", 2.0, 120, 1.5, 2.5),
            Result("tree", None, "mse", 2.5, 120, 2.0, 3.0),
        ],
        losses=["mse"],
        groups=labels,
        grouped=table,
        comparisons=comparisons,
        bootstrap=dict(BOOT),
    )


def first_cell(line: str) -> str:
    cells = line.split("│")
    return cells[1].strip() if len(cells) > 2 else ""


def test_grouped_cells_and_comparisons() -> None:
    text = table_text(grouped_report())
    g0 = next(line for line in text.splitlines() if first_cell(line) == "g0")
    # 1.0 at 4 digits has 3 decimals, so its interval ends have 2
    assert "*1.000 [0.75, 1.25]" in g0 and "1.500 [1.25, 1.75]" in g0
    g1 = next(line for line in text.splitlines() if first_cell(line) == "g1")
    assert "2.000 [" not in g1 and "2.000" in g1  # its NaN interval: the point alone
    compared = text[text.index("paired comparison") :]
    shown = [first_cell(line) for line in compared.splitlines() if "worse" in line]
    assert shown == ["all", "g0", "g1", "g2"]


def test_capped_groups_cap_the_comparisons_too() -> None:
    text = table_text(grouped_report(5), max_groups=2)
    compared = text[text.index("paired comparison") :]
    shown = [first_cell(line) for line in compared.splitlines() if "worse" in line]
    assert shown == ["all", "g4", "g3"]  # the two worst by mse of linear, worst first


# --------------------------------------------------------------------------- csv


def test_csv_without_ci_is_unchanged() -> None:
    assert render.evaluate_csv(plain_report()).splitlines()[0] == "model,group,loss,value,rows"


def test_csv_with_ci_adds_interval_and_comparison_columns() -> None:
    results, comparisons = ci_csv_tables(render.evaluate_csv(ci_report()))
    assert results[1] == ["linear", "", "mse", "0.9909", "500", "0.962", "1.021"]
    assert results[4] == ["tree", "", "r2", "0.79", "500", "", ""]  # no interval: empty
    assert comparisons[2] == [
        "tree", "linear", "", "r2", "-0.02", "-0.0311", "-0.0094", "0.000999", "worse", ""
    ]  # fmt: skip


def test_csv_grouped_cells_carry_their_intervals() -> None:
    report = grouped_report()
    results, comparisons = ci_csv_tables(render.evaluate_csv(report))
    by_cell = {(r[0], r[1], r[2]): r[3:] for r in results[1:]}
    # linear in g0: mse 1.0 ± 0.25 (grouped_report); g1's linear has NaN ends: empty
    assert by_cell[("linear", "g0", "mse")] == ["1.0", "40", "0.75", "1.25"]
    assert by_cell[("linear", "g1", "mse")] == ["2.0", "40", "", ""]
    assert by_cell[("tree", "g2", "mse")] == ["3.5", "40", "3.25", "3.75"]
    assert len(by_cell) == 2 + 3 * 2
    assert [r[2] for r in comparisons[1:]] == ["", "g0", "g1", "g2"]  # every group


def test_csv_grouped_without_ci_is_unchanged() -> None:
    report = dataclasses.replace(grouped_report(), comparisons=[], bootstrap=None)
    lines = render.evaluate_csv(report).splitlines()
    assert lines[0] == "model,group,loss,value,rows" and lines[3] == "linear,g0,mse,1.0,40"
    assert "" not in lines


def test_csv_text_cells_are_neutralised_in_the_comparisons() -> None:
    report = ci_report(
        comparisons=[
            dataclasses.replace(c, baseline="=HYPERLINK(1)", verdict="@SUM(1)")
            for c in ci_report().comparisons
        ]
    )
    comparisons = ci_csv_tables(render.evaluate_csv(report))[1]
    assert comparisons[1][1] == "'=HYPERLINK(1)" and comparisons[1][8] == "'@SUM(1)"


# --------------------------------------------------------------------------- markdown


def test_markdown_cells_comparisons_and_bootstrap_note() -> None:
    text = render.evaluate_markdown(ci_report())
    lines = text.splitlines()
    assert "| mse | **0.9909 [0.962, 1.021]** | 1.001 [0.97, 1.03] |" in lines
    assert "| r2 ↑ | **0.8100 [0.791, 0.828]** | 0.7900 |" in lines
    at = lines.index(next(line for line in lines if line.startswith("**Paired comparison**")))
    assert lines[at + 2] == ("| model | baseline | loss | Δ | 95% interval of Δ | p | verdict |")
    assert lines[at + 3] == "| :-- | :-- | :-- | --: | --: | --: | :-- |"
    assert lines[at + 5] == (
        "| tree | linear | r2 | -0.02000 | \\[-0.0311, -0.0094\\] | \\<0.001 | worse |"
    )
    assert any(line.startswith("- Bootstrap: percentile bootstrap") for line in lines)


def test_markdown_without_ci_is_unchanged() -> None:
    text = render.evaluate_markdown(plain_report())
    assert "[" not in text and "Paired" not in text and "Bootstrap" not in text


def test_markdown_escapes_names_and_mentions_in_the_comparisons() -> None:
    rows = [dataclasses.replace(c, model="@octocat|x") for c in ci_report().comparisons]
    text = render.evaluate_markdown(
        ci_report(comparisons=rows, bootstrap={**BOOT, "baseline": "<b>@team</b>"})
    )
    assert "@octocat" not in text and "@&#8203;octocat\\|x" in text
    assert "<b>" not in text and "\\<b\\>@&#8203;team\\</b\\>" in text


def test_markdown_grouped_comparisons_follow_the_capped_groups() -> None:
    text = render.evaluate_markdown(grouped_report(5), max_groups=2)
    rows = [line for line in text.splitlines() if line.endswith("| worse |")]
    assert [r.split(" | ")[0] for r in rows] == ["| *all*", "| g4", "| g3"]


def test_one_model_names_no_test_and_no_comparisons() -> None:
    report = ci_report(
        models=["linear"],
        overall=[r for r in ci_report().overall if r.model == "linear"],
        comparisons=[],
        bootstrap={**BOOT, "baseline": None},
    )
    text = table_text(report)
    assert "seed 7, 4,096 buckets" in text
    assert "correction" not in text and "paired comparison" not in text
