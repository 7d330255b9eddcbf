"""``--ci`` in the outputs people read: interval cells, the paired comparisons, the
bootstrap line (issue 14), for the table, Markdown and CSV renderers of
:mod:`losscli.render.evaluate`.

Cut from :mod:`losscli.render.evaluate` so that module stays the renderer of the plain
report (without ``--ci`` it prints exactly what it printed before), and everything an
interval adds lives in one place: how an interval is written, the comparison rows in
report order, the line naming the bootstrap.

Conventions:

* a cell with an interval reads ``0.9909 [0.962, 1.021]``: the point value (the exact
  full-data value) at ``--precision`` significant digits, then the percentile interval
  with one decimal fewer than the point value (the interval's last digits are
  resampling noise; the point value's are not; :func:`interval_text`). CSV and JSON
  carry full precision.
* Δ = loss(model) − loss(baseline), written with its sign (``+0.0103``), its interval
  by the same rule, p-values at 3 significant digits; ``p`` is the one the verdict used
  (Holm-adjusted with ``--correction holm``, then the raw one is shown beside it).
* a cell whose interval is undefined (too few rows, a constant truth for r2) shows the
  point value alone; CSV leaves its ``ci_low``/``ci_high`` empty, JSON writes null.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from losscli.render import fmt_number, safe_text

if TYPE_CHECKING:
    from losscli.evaluate import EvaluationReport
    from losscli.evaluate.gates import GateOutcome
    from losscli.evaluate.report import ComparisonRow

Interval = tuple[float, float]

#: how the table colours a verdict (the word itself says it without colour)
VERDICT_STYLE = {"better": "green", "worse": "red"}


def finite_interval(low: float | None, high: float | None) -> Interval | None:
    """``(low, high)`` when both ends are finite numbers, else None (no interval)."""
    if low is None or high is None:
        return None
    lo, hi = float(low), float(high)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return None
    return lo, hi


class CellIntervals:
    """The interval of every cell of a report: ``get(group, loss, model)``.

    Overall cells come from :class:`~losscli.evaluate.report.Result`, group cells
    from the :class:`~losscli.evaluate.report.GroupTable` arrays (NaN = none), read
    cell by cell so a 100K-group report builds no dict of every cell."""

    def __init__(self, report: EvaluationReport) -> None:
        self.overall = {
            (r.loss, r.model): finite_interval(r.ci_low, r.ci_high) for r in report.overall
        }
        table = report.grouped
        self.low = table.ci_low if table is not None else None
        self.high = table.ci_high if table is not None else None
        labels = table.labels if table is not None else []
        self.group_at = {label: i for i, label in enumerate(labels)}
        self.loss_at = {loss: j for j, loss in enumerate(report.losses)}
        self.model_at = {model: k for k, model in enumerate(report.models)}

    def get(self, group: str | None, loss: str, model: str) -> Interval | None:
        if group is None:
            return self.overall.get((loss, model))
        if self.low is None or self.high is None:
            return None
        i, j, k = self.group_at.get(group), self.loss_at.get(loss), self.model_at.get(model)
        if i is None or j is None or k is None:
            return None
        return finite_interval(float(self.low[i, j, k]), float(self.high[i, j, k]))


def _decimals(value: float, precision: int) -> int | None:
    """The decimals :func:`losscli.render.fmt_number` gives ``value`` (None when it
    writes an exponent or the value has no magnitude)."""
    if not math.isfinite(value) or value == 0:
        return None
    magnitude = math.floor(math.log10(abs(value)))
    if -5 <= magnitude < 15:
        return max(precision - 1 - magnitude, 0)
    return None


def interval_text(point: float, interval: Interval, precision: int = 4) -> str:
    """``[0.962, 1.021]`` for the point 0.9909 at 4 significant digits: both ends
    with one decimal fewer than the point value, and no more than the wider end has
    at ``precision`` digits (Δ = +0.008333 in ``[-0.5000, 0.5077]``, not
    ``[-0.50000, 0.50770]``); of the wider end, one fewer, when the point is 0 or
    undefined; ``precision − 1`` significant digits when an end needs an exponent."""
    low, high = interval
    at_point = _decimals(point, precision)
    wide = _decimals(max(abs(low), abs(high)), precision)
    fixed = all(v == 0 or _decimals(v, precision) is not None for v in interval)
    if wide is None or not fixed:
        ends = [fmt_number(v, max(precision - 1, 1)) for v in (low, high)]
        return f"[{ends[0]}, {ends[1]}]"
    decimals = wide - 1 if at_point is None else min(at_point - 1, wide)
    ends = [f"{v:.{max(decimals, 0)}f}" for v in (low, high)]
    return f"[{ends[0]}, {ends[1]}]"


def cell_text(value: float, interval: Interval | None, precision: int = 4) -> str:
    """A table cell: the point value, then its interval when it has one."""
    text = fmt_number(value, precision)
    if interval is None:
        return text
    return f"{text} {interval_text(value, interval, precision)}"


def signed(value: float, precision: int = 4) -> str:
    """Δ with its sign: ``+0.0103``, ``-0.0103``, ``0``."""
    text = fmt_number(value, precision)
    return "+" + text if math.isfinite(value) and value > 0 else text


def p_text(p: float | None) -> str:
    """A p-value at 3 significant digits, rounded down (``0.0412``; 0.04995 reads
    ``0.0499``, never the 0.05 it is compared with; ``1``), ``<0.001`` below 0.001
    (the smallest p of 1,000 resamples is 1/1001); — for none. CSV and JSON carry
    it exactly."""
    if p is None or not math.isfinite(p):
        return "—"
    if p < 0.001:
        return "<0.001"
    # rounded down, so a p below the level never reads as the level itself
    decimals = 2 - math.floor(math.log10(p))
    scale = 10.0**decimals
    shown = math.floor(p * scale * (1 + 1e-12)) / scale  # (1e-12: 0.041 · 10⁴ = 409.999…)
    return f"{shown:.{decimals}f}".rstrip("0").rstrip(".")


def level_text(level: Any) -> str:
    """0.95 → ``95%``."""
    try:
        return f"{float(level) * 100:g}%"
    except (TypeError, ValueError):
        return safe_text(level)


def shown_comparisons(report: EvaluationReport, groups: list[str] | None) -> list[ComparisonRow]:
    """The comparison rows a capped view shows: the overall ones, then those of the
    ``groups`` shown, in the order of ``groups`` (the table's, worst first), each
    group's rows in report order; every row in report order when ``groups`` is None."""
    if groups is None:
        return list(report.comparisons)
    at = {label: i for i, label in enumerate(groups)}
    rows = [c for c in report.comparisons if c.group is None or c.group in at]
    return sorted(rows, key=lambda c: -1 if c.group is None else at[c.group])


def has_raw_p(report: EvaluationReport) -> bool:
    """True when a correction was applied, so the raw p-values are shown too."""
    boot = report.bootstrap or {}
    correction = boot.get("correction")
    return correction not in (None, "none", "") or any(
        c.p_raw is not None for c in report.comparisons
    )


def comparison_cells(
    row: ComparisonRow, precision: int, raw_p: bool, with_group: bool, with_baseline: bool = True
) -> list[str]:
    """The text cells of one comparison row (untrusted names through ``safe_text``):
    [group,] model, [baseline,] loss, Δ, interval of Δ, p, [p raw,] verdict."""
    cells = [safe_text("all" if row.group is None else row.group)] if with_group else []
    interval = finite_interval(row.ci_low, row.ci_high)
    cells += [safe_text(row.model)] + [safe_text(row.baseline)] * with_baseline
    cells += [
        safe_text(row.loss),
        signed(row.delta, precision),
        "—" if interval is None else interval_text(row.delta, interval, precision),
        p_text(row.p_value),
    ]
    if raw_p:
        cells.append(p_text(row.p_raw))
    cells.append(safe_text(row.verdict))
    return cells


def comparison_header(
    report: EvaluationReport, raw_p: bool, with_group: bool, with_baseline: bool = True
) -> list[str]:
    """The column names of :func:`comparison_cells`."""
    boot = report.bootstrap or {}
    level = level_text(boot.get("level", 0.95))
    correction = safe_text(boot.get("correction") or "")
    header = [safe_text(report.group_by or "group")] if with_group else []
    header += ["model"] + ["baseline"] * with_baseline
    header += ["loss", "Δ", f"{level} interval of Δ"]
    header.append(f"p ({correction})" if has_raw_p(report) and correction else "p")
    if raw_p:
        header.append("p raw")
    header.append("verdict")
    return header


def comparison_title(report: EvaluationReport) -> str:
    """The line above the comparison table."""
    return "paired comparison " + comparison_subject(report)


def comparison_subject(report: EvaluationReport) -> str:
    """``with baseline linear (Δ = model − baseline; verdict at the 95% level)``."""
    boot = report.bootstrap or {}
    baseline = boot.get("baseline")
    if baseline is None and report.comparisons:
        baseline = report.comparisons[0].baseline
    level = level_text(boot.get("level", 0.95))
    return (
        f"with baseline {safe_text(baseline)} (Δ = model − baseline; verdict at the {level} level)"
    )


def bootstrap_line(report: EvaluationReport) -> str | None:
    """The note naming the bootstrap: ``bootstrap: percentile …, 95%, 1,000
    resamples, seed 0, 4,096 buckets; test bootstrap, correction none`` (None
    without ``--ci``; the test and correction only with two or more models, where
    there are comparisons). Every value through ``safe_text``."""
    boot = report.bootstrap
    if boot is None:
        return None
    parts = [safe_text(boot.get("method") or "percentile bootstrap")]
    parts.append(f"level {level_text(boot.get('level', 0.95))}")
    resamples = boot.get("resamples")
    if isinstance(resamples, int):
        parts.append(f"{resamples:,} resamples")
    parts.append(f"seed {safe_text(boot.get('seed'))}")
    buckets = boot.get("buckets")
    if isinstance(buckets, int):
        parts.append(f"{buckets:,} buckets")
    line = "bootstrap: " + ", ".join(parts)
    test = boot.get("test")
    correction = boot.get("correction")
    if len(report.models) > 1 and (test is not None or correction is not None):
        line += (
            f"; test {safe_text(test or 'bootstrap')}, correction {safe_text(correction or 'none')}"
        )
    return line


# --------------------------------------------------------------------------- gates


def _outcome_interval(outcome: GateOutcome, precision: int) -> str:
    span = finite_interval(outcome.ci_low, outcome.ci_high)
    return "" if span is None else " " + interval_text(outcome.value, span, precision)


def gate_detail(outcome: GateOutcome, precision: int = 4) -> str:
    """What a gate judged on an interval or a difference saw, for the footnotes:
    ``model lin: 1.310 [1.19, 1.42]; judged on the whole 95% interval``; ``Δ = +0.05200
    [0.031, 0.074], p = 0.000999: significant at 95%``; ``Δ = +0.05200 on the point values``."""
    level = level_text(outcome.level) if outcome.level is not None else ""
    value = fmt_number(outcome.value, precision)
    if not outcome.gate.comparative:
        where = f"model {safe_text(outcome.model)}: {value}{_outcome_interval(outcome, precision)}"
        return f"{where}; judged on the whole {level} interval"
    delta = f"Δ = {signed(outcome.value, precision)}"
    if outcome.judged != "difference":
        return f"{delta} on the point values"
    p = outcome.p_value
    alpha = 1.0 - (outcome.level or 0.95)
    significant = p is not None and p < alpha
    word = "significant" if significant else "not significant"
    shown = p_text(p)
    p_is = "p < 0.001" if shown == "<0.001" else f"p = {shown}"
    return f"{delta}{_outcome_interval(outcome, precision)}, {p_is}: {word} at {level}"


def gate_failure_text(outcome: GateOutcome, precision: int = 4) -> str:
    """The stderr line of a failed gate judged on an interval or a difference
    (``gate failed: tree:rmse > linear:rmse (Δ = +0.05200 [0.031, 0.074], p = 0.000999:
    significant at 95%)``); the expression through ``safe_text`` (it names models)."""
    gate = outcome.gate
    if gate.comparative:
        what = f"{outcome.model}:{gate.loss} {gate.op} {outcome.other}:{gate.loss}"
        return f"gate failed: {safe_text(what)} ({gate_detail(outcome, precision)})"
    return (
        f"gate failed: {gate.loss} = {fmt_number(outcome.value, precision)}"
        f"{_outcome_interval(outcome, precision)} {gate.op} {gate.threshold:g} "
        f"(model {safe_text(outcome.model)}; judged on the whole "
        f"{level_text(outcome.level)} interval)"
    )


# --------------------------------------------------------------------------- table


def comparison_renderables(
    report: EvaluationReport, precision: int, groups: list[str] | None
) -> list[Any]:
    """The rich title line and table of the paired comparisons (nothing without
    any): one row per model × loss (× group shown), Δ, its interval, p, verdict.
    The baseline is named by the title, not in a column (one baseline for every
    row), with ``--correction holm`` only the adjusted p (Markdown, CSV and JSON
    carry the raw one too), and the numbers never wrap: a terminal of 100 columns
    fits a 28-letter loss name, the verdict wrapping at its spaces."""
    from rich.table import Table
    from rich.text import Text

    rows = shown_comparisons(report, groups)
    if not rows:
        return []
    raw_p = False  # (see above)
    with_group = report.group_by is not None
    table = Table(show_lines=False)
    lead = 3 if with_group else 2  # the text columns: [group,] model, loss
    for n, name in enumerate(comparison_header(report, raw_p, with_group, False)):
        numeric = lead <= n < lead + 3  # Δ, its interval, p
        table.add_column(
            Text(name),
            justify="right" if numeric else "left",
            overflow="ellipsis" if numeric else "fold",
            no_wrap=numeric or n == lead - 1,  # (numbers, and the loss as in the loss table)
        )
    for row in rows:
        cells = [Text(c) for c in comparison_cells(row, precision, raw_p, with_group, False)]
        cells[-1].stylize(VERDICT_STYLE.get(row.verdict, ""))
        table.add_row(*cells)
    return [Text(comparison_title(report), style="bold"), table]


# --------------------------------------------------------------------------- markdown


def comparison_markdown(
    report: EvaluationReport, precision: int, groups: list[str] | None, escape: Any
) -> list[str]:
    """The Markdown lines of the paired comparisons (none without any): a title line
    and a GitHub table; every cell through ``escape`` (``render.evaluate.md_escape``)."""
    rows = shown_comparisons(report, groups)
    if not rows:
        return []
    raw_p = has_raw_p(report)
    with_group = report.group_by is not None
    header = comparison_header(report, raw_p, with_group)
    lead = 4 if with_group else 3  # the text columns: [group,] model, baseline, loss
    align = [":--"] * lead + ["--:"] * (len(header) - lead - 1) + [":--"]
    lines = ["", f"**Paired comparison** {escape(comparison_subject(report))}", ""]
    lines.append("| " + " | ".join(escape(h) for h in header) + " |")
    lines.append("| " + " | ".join(align) + " |")
    for row in rows:
        cells = [escape(c) for c in comparison_cells(row, precision, raw_p, with_group)]
        if row.group is None and with_group:
            cells[0] = "*all*"
        lines.append("| " + " | ".join(cells) + " |")
    return lines


# --------------------------------------------------------------------------- csv

#: the comparison columns of each ``-o csv`` line with ``--ci`` (a :class:`ComparisonRow`
#: without the cell's own model, group and loss; ``delta_`` names the interval of Δ,
#: apart from the line's own ``ci_low``/``ci_high``)
COMPARISON_CSV_COLUMNS = (
    "baseline",
    "delta",
    "delta_ci_low",
    "delta_ci_high",
    "p_value",
    "verdict",
    "p_raw",
)
#: the comparison cells of a line with no comparison (the baseline, a skipped cell)
NO_COMPARISON = ("",) * len(COMPARISON_CSV_COLUMNS)


def csv_number(value: float | None) -> str:
    """A number at full precision (``repr``); empty for none (None or NaN), as a
    spreadsheet reads an empty cell; ``inf``/``-inf`` as :func:`repr` writes them."""
    if value is None or math.isnan(value):
        return ""
    return repr(float(value))


def ci_text_blocks(report: EvaluationReport, size: int = 65_536) -> Any:
    """The ``ci_low``/``ci_high`` CSV text of the group cells with a value, in the
    order and blocks of ``render.evaluate._group_blocks`` (``np.nonzero(ok)``,
    ``size`` at a time): one (lows, highs) pair of text lists per block."""
    import numpy as np

    table = report.grouped
    assert table is not None
    gi_all, li_all, mi_all = np.nonzero(table.ok)
    for lo in range(0, gi_all.size, size):
        at = (gi_all[lo : lo + size], li_all[lo : lo + size], mi_all[lo : lo + size])
        ends = []
        for array in (table.ci_low, table.ci_high):
            if array is None:
                ends.append([""] * at[0].size)
                continue
            values = array[at]
            text = list(map(repr, values.tolist()))
            for k in np.flatnonzero(np.isnan(values)).tolist():
                text[k] = ""
            ends.append(text)
        yield ends[0], ends[1]


def comparison_csv_cells(
    report: EvaluationReport, cell: Any
) -> dict[tuple[str, str | None, str], list[str]]:
    """The comparison cells (:data:`COMPARISON_CSV_COLUMNS`) of each compared
    (model, group, loss), text through ``cell`` (``render.csv_cell``), numbers at
    full precision."""
    return {
        (c.model, c.group, c.loss): [
            cell(c.baseline),
            csv_number(c.delta),
            csv_number(c.ci_low),
            csv_number(c.ci_high),
            csv_number(c.p_value),
            cell(c.verdict),
            csv_number(c.p_raw),
        ]
        for c in report.comparisons
    }
