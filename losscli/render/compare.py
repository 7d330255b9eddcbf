"""Render a :class:`losscli.compare.CompareReport`: rich table, JSON, CSV, Markdown.

* table: a title (base → new, task), one row per (model, group, loss) with base, new,
  Δ, Δ% and the verdict (``worse`` in red, ``better`` in green, words rather than only
  colours), Δ's interval and whether it is significant when there are intervals; then
  the summary line, the mismatches let through and the gates.
* json: the ``losscli.compare/1`` document of :meth:`CompareReport.to_dict`.
* csv: one line per change, numbers at full precision, text through ``csv_cell``.
* markdown, for a pull-request comment or ``$GITHUB_STEP_SUMMARY``: the summary line
  first ("2 regressions, 1 improvement, 9 unchanged"), then the changed cells, worst
  regression first (by Δ% in the bad direction), then the improvements, and every cell
  inside a collapsed ``<details>``; text escaped by ``md_escape`` (no table breaking,
  no HTML, nobody mentioned). At most :data:`MD_CHANGED` / :data:`MD_ALL` rows, so a
  comment stays under GitHub's 65,536 characters.

Renderers return; they never print.
"""

from __future__ import annotations

import csv
import io
import math
from typing import TYPE_CHECKING, Any

from losscli.compare.report import BETTER, ONLY_BASE, ONLY_NEW, UNCHANGED, WORSE
from losscli.render import csv_cell, fmt_number, safe_text, to_json
from losscli.render.evaluate import _param_text, md_escape

if TYPE_CHECKING:
    from losscli.compare.report import Change, CompareReport, GateResult

MD_CHANGED = 25
MD_ALL = 300
_STYLE = {WORSE: "bold red", BETTER: "green", UNCHANGED: "", ONLY_BASE: "dim", ONLY_NEW: "dim"}


def compare_json(report: CompareReport) -> str:
    return to_json(report.to_dict())


def _full(value: float | bool | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return repr(float(value))


_CSV_HEAD = [
    "model",
    "group",
    "loss",
    "base",
    "new",
    "delta",
    "delta_pct",
    "verdict",
    "ci_low",
    "ci_high",
    "significant",
]


def compare_csv(report: CompareReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(_CSV_HEAD)
    for c in report.changes:
        writer.writerow(
            [
                csv_cell(c.model),
                "" if c.group is None else csv_cell(c.group),
                csv_cell(c.loss),
                *(_full(v) for v in (c.base, c.new, c.delta, c.delta_pct)),
                c.verdict,
                *(_full(v) for v in (c.ci_low, c.ci_high, c.significant)),
            ]
        )
    return out.getvalue()


# --------------------------------------------------------------------------- words


def _signed(value: float | None, precision: int, suffix: str = "") -> str:
    if value is None:
        return "—"
    text = fmt_number(value, precision)
    return (text if text.startswith("-") or value == 0 else "+" + text) + suffix


def _plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def summary_line(report: CompareReport) -> str:
    """``2 regressions, 1 improvement, 9 unchanged`` (+ one-sided cells, significance, gates)."""
    counts = report.counts()
    parts = [
        _plural(counts[WORSE], "regression"),
        _plural(counts[BETTER], "improvement"),
        f"{counts[UNCHANGED]} unchanged",
    ]
    for verdict in (ONLY_BASE, ONLY_NEW):
        if counts[verdict]:
            parts.append(f"{counts[verdict]} {verdict}")
    text = ", ".join(parts)
    if report.significance is not None:
        sig = [c for c in report.changes if c.significant and c.verdict in (WORSE, BETTER)]
        worse = sum(1 for c in sig if c.verdict == WORSE)
        text += f" ({worse} significant regression{'s' if worse != 1 else ''})"
    failed = sum(1 for g in report.gates if g.failed)
    if report.gates:
        text += f"; gates: {failed} failed" if failed else "; gates passed"
    return text


def gate_failure(outcome: GateResult, precision: int = 4) -> str:
    """The stderr line of a failed gate (the CLI writes it through ``one_line``)."""
    pct = "" if outcome.delta_pct is None else f", {_signed(outcome.delta_pct, 3, '%')}"
    group = "" if outcome.group is None else f", group {safe_text(outcome.group)}"
    return (
        f"gate failed: {outcome.expr.strip()}: {outcome.loss} "
        f"{fmt_number(outcome.base, precision)} → {fmt_number(outcome.new, precision)} "
        f"(Δ {_signed(outcome.delta, precision)}{pct}; model {safe_text(outcome.model)}{group})"
    )


def _title(report: CompareReport) -> str:
    group = f" · by {report.group_by}" if report.group_by else ""
    return (
        f"losscli compare · {report.base.path} → {report.new.path} · {report.task} · "
        f"{report.base.rows:,} → {report.new.rows:,} rows{group}"
    )


def _notes(report: CompareReport, precision: int) -> list[str]:
    notes = [summary_line(report)]
    if report.significance is not None:
        sig = report.significance
        level = sig.get("level")
        notes.append(
            f"significance: {sig.get('method')}"
            + (f" at level {level:g}" if isinstance(level, int | float) else "")
            + (f" ({sig['note']})" if sig.get("note") else "")
        )
    params = ", ".join(_param_text(k, v) for k, v in report.params.items())
    if params:
        notes.append(f"parameters: {params}")
    notes.append(
        f"unchanged: |Δ| ≤ atol + rtol·|base| (rtol={report.rtol:g}, atol={report.atol:g})"
    )
    notes.extend(f"mismatch allowed: {m}" for m in report.mismatches)
    for side, name in ((report.base, "base"), (report.new, "new")):
        if side.signature:
            notes.append(f"{name} signature: {side.signature}")
    for g in report.gates:
        if g.failed:
            notes.append(gate_failure(g, precision))
    return notes


def _cells(c: Change, precision: int, intervals: bool) -> list[str]:
    out = [
        fmt_number(c.base, precision),
        fmt_number(c.new, precision),
        _signed(c.delta, precision),
        _signed(c.delta_pct, 3, "%"),
        c.verdict,
    ]
    if intervals:
        if c.ci_low is None or c.ci_high is None:
            out += ["—", "—"]
        else:
            lo, hi = fmt_number(c.ci_low, precision), fmt_number(c.ci_high, precision)
            out += [f"[{lo}, {hi}]", "yes" if c.significant else "no"]
    return out


_HEAD = ["base", "new", "Δ", "Δ%", "verdict"]
_CI_HEAD = ["Δ interval", "significant"]


# --------------------------------------------------------------------------- table


def compare_table(report: CompareReport, precision: int = 4) -> Any:
    """A rich renderable: title, one row per change, the notes."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    intervals = report.significance is not None
    table = Table(show_lines=False)
    table.add_column("model", overflow="fold")
    if report.group_by is not None:
        table.add_column(Text(safe_text(report.group_by)), overflow="fold")
    table.add_column("loss", no_wrap=True)
    for name in _HEAD + (_CI_HEAD if intervals else []):
        table.add_column(name, justify="right" if name != "verdict" else "left")
    for c in report.changes:
        cells: list[Any] = [Text(safe_text(c.model))]
        if report.group_by is not None:
            cells.append(Text("all" if c.group is None else safe_text(c.group)))
        cells.append(Text(c.loss + (" ↑" if c.higher_is_better else "")))
        for i, text in enumerate(_cells(c, precision, intervals)):
            cells.append(Text(text, style=_STYLE[c.verdict] if i == 4 else ""))
        table.add_row(*cells)
    notes = [Text(safe_text(n)) for n in _notes(report, precision)]
    notes[0].stylize("bold")
    return Group(Text(safe_text(_title(report)), style="bold"), table, *notes)


# --------------------------------------------------------------------------- markdown


def _badness(c: Change) -> float:
    """How bad a change is, for the order of the markdown (worst first): Δ% in the
    loss's bad direction, an undefined relative change as the worst."""
    if c.delta_pct is None:
        return math.inf if c.verdict == WORSE else -math.inf
    return -c.delta_pct if c.higher_is_better else c.delta_pct


def _md_table(report: CompareReport, rows: list[Change], precision: int) -> list[str]:
    intervals = report.significance is not None
    head = ["model"] + (["group"] if report.group_by is not None else []) + ["loss"]
    head += _HEAD + (_CI_HEAD if intervals else [])
    lines = [
        "| " + " | ".join(head) + " |",
        "| "
        + " | ".join([":--"] * (len(head) - len(_HEAD) - 2 * intervals))
        + " | "
        + " | ".join(["--:"] * 4 + [":--"] + ["--:", ":--"][: 2 * intervals])
        + " |",
    ]
    for c in rows:
        cells = [md_escape(c.model)]
        if report.group_by is not None:
            cells.append("*all*" if c.group is None else md_escape(c.group))
        cells.append(md_escape(c.loss + (" ↑" if c.higher_is_better else "")))
        values = _cells(c, precision, intervals)
        if c.verdict == WORSE:
            values[4] = "**worse**"
        cells.extend(md_escape(v) if not v.startswith("**") else v for v in values)
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def compare_markdown(report: CompareReport, precision: int = 4) -> str:
    """The pull-request comment (see the module docstring)."""
    worse = sorted((c for c in report.changes if c.verdict == WORSE), key=_badness, reverse=True)
    better = sorted((c for c in report.changes if c.verdict == BETTER), key=_badness)
    lines = [f"**losscli compare** · {md_escape(summary_line(report))}", ""]
    lines.append(
        f"{md_escape(report.base.path)} → {md_escape(report.new.path)} · {report.task} · "
        f"{report.base.rows:,} → {report.new.rows:,} rows"
        + (f" · by {md_escape(report.group_by)}" if report.group_by else "")
    )
    changed = worse + better
    if changed:
        lines.append("")
        lines.extend(_md_table(report, changed[:MD_CHANGED], precision))
        if len(changed) > MD_CHANGED:
            lines.append("")
            lines.append(f"{len(changed) - MD_CHANGED:,} more changes in the details below.")
    lines += ["", "<details><summary>All comparisons and parameters</summary>", ""]
    lines.extend(_md_table(report, report.changes[:MD_ALL], precision))
    if len(report.changes) > MD_ALL:
        lines += ["", f"{len(report.changes) - MD_ALL:,} more: -o csv lists every change."]
    lines.append("")
    lines.extend(f"- {md_escape(n)}" for n in _notes(report, precision)[1:])
    lines += ["", "</details>"]
    return "\n".join(lines) + "\n"
