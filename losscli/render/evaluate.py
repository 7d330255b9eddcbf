"""Render an :class:`losscli.evaluate.EvaluationReport`: rich table, JSON, CSV, Markdown.

* table: a title line (file, task, rows used), one row per loss (× group with
  ``--by``), one column per model, the best model of each row in bold and marked
  ``*`` (a marker, not only a style, so it shows without colour; lower is better,
  r2 higher), a short "use when" column, then footnotes: skipped losses with
  their reason, the parameters used, the gates.
* json: the ``losscli.evaluate/1`` document of :meth:`EvaluationReport.to_dict`.
* csv: ``model,group,loss,value,rows``, values at full precision, text cells
  through :func:`losscli.render.csv_cell` (no live spreadsheet formulas).
* markdown: a GitHub table (loss rows, model columns) for a pull-request comment
  or ``$GITHUB_STEP_SUMMARY``; cell text escaped so a column name cannot break
  the table or inject markup.

Renderers return; they never print. Untrusted text (file, column, model, class
and group names) enters rich only as :class:`rich.text.Text` via ``safe_text``.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from losscli.losses import registry
from losscli.render import csv_cell, fmt_number, safe_text, to_json
from losscli.render import intervals as ci

if TYPE_CHECKING:
    from losscli.evaluate import EvaluationReport
    from losscli.evaluate.gates import GateOutcome

BEST_MARK = "*"
_USE_WHEN_WIDTH = 48


def evaluate_json(report: EvaluationReport) -> str:
    """The document of :meth:`EvaluationReport.to_dict`, with the ``--by`` cells
    written straight from the report's arrays (1M cells in about a second, where a
    dict per cell through ``json.dumps`` took gigabytes); the same text either way."""
    if report.grouped is None:
        return to_json(report.to_dict())
    head = to_json(report.to_dict_head())
    marker = '\n  "results": [],\n'  # (a JSON string holds no raw newline: unique)
    at = head.index(marker)
    cells = [
        _json_cell(r.model, r.group, r.loss, r.value, r.rows, r.ci_low, r.ci_high)
        for r in report.overall
    ]
    models = [_json_text(m) for m in report.models]
    groups = [_json_text(g) for g in report.grouped.labels]
    losses = [_json_text(k) for k in report.losses]
    blocks = [",\n".join(cells)] if cells else []
    for gi, li, mi, values, rows in _group_blocks(report, _json_number):
        lows, highs = _json_intervals(report, gi, li, mi)
        blocks.append(
            ",\n".join(
                [
                    _CELL % (models[k], groups[i], losses[j], v, low, high, r)
                    for i, j, k, v, r, low, high in zip(
                        gi, li, mi, values, rows, lows, highs, strict=True
                    )
                ]
            )
        )
    if not blocks:
        return head
    parts = [head[:at], '\n  "results": [\n']
    for i, block in enumerate(blocks):
        parts.extend((",\n", block) if i else (block,))
    parts.extend(("\n  ],\n", head[at + len(marker) :]))
    return "".join(parts)


_CELL = (
    '    {\n      "model": %s,\n      "group": %s,\n      "loss": %s,\n'
    '      "value": %s,\n      "ci_low": %s,\n      "ci_high": %s,\n      "rows": %d\n    }'
)


def _json_intervals(
    report: EvaluationReport, gi: list[int], li: list[int], mi: list[int]
) -> tuple[list[str], list[str]]:
    """The ``ci_low`` / ``ci_high`` texts of a block of group cells (null without)."""
    table = report.grouped
    if table is None or table.ci_low is None or table.ci_high is None:
        nulls = ["null"] * len(gi)
        return nulls, nulls
    lows = table.ci_low[gi, li, mi].tolist()
    highs = table.ci_high[gi, li, mi].tolist()
    return [_json_number(v) for v in lows], [_json_number(v) for v in highs]


def _json_text(value: str | None) -> str:
    return "null" if value is None else json.dumps(value, ensure_ascii=False)


def _json_number(value: float) -> str:
    return repr(float(value)) if math.isfinite(value) else "null"


def _json_cell(
    model: str,
    group: str | None,
    loss: str,
    value: float,
    rows: int,
    ci_low: float | None = None,
    ci_high: float | None = None,
) -> str:
    return _CELL % (
        _json_text(model),
        _json_text(group),
        _json_text(loss),
        _json_number(value),
        "null" if ci_low is None else _json_number(ci_low),
        "null" if ci_high is None else _json_number(ci_high),
        rows,
    )


def _full(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return repr(float(value))


def evaluate_csv(report: EvaluationReport) -> str:
    """One line per result; numbers written by us, text cells neutralised. The
    ``--by`` cells come from the report's arrays, each label neutralised once.

    With ``--ci`` (only then, so the plain CSV stays as it was) each line adds
    ``ci_low,ci_high`` (empty where a cell has no interval) and its paired comparison
    against the baseline (:data:`losscli.render.intervals.COMPARISON_CSV_COLUMNS`,
    empty on the baseline's own lines): one rectangular table, which
    ``pandas.read_csv`` and a spreadsheet read as it is."""
    with_ci = report.bootstrap is not None
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["model", "group", "loss", "value", "rows"]
        + with_ci * ["ci_low", "ci_high", *ci.COMPARISON_CSV_COLUMNS]
    )
    paired = ci.comparison_csv_cells(report, csv_cell) if with_ci else {}
    writer.writerows(
        [
            csv_cell(r.model),
            "" if r.group is None else csv_cell(r.group),
            csv_cell(r.loss),
            _full(r.value),
            str(r.rows),
        ]
        + with_ci
        * [
            ci.csv_number(r.ci_low),
            ci.csv_number(r.ci_high),
            *paired.get((r.model, r.group, r.loss), ci.NO_COMPARISON),
        ]
        for r in report.overall
    )
    parts = [out.getvalue()]
    if report.grouped is not None:
        parts.extend(_csv_group_lines(report, with_ci, paired))
    return "".join(parts)


def _csv_group_lines(
    report: EvaluationReport,
    with_ci: bool,
    paired: dict[tuple[str, str | None, str], list[str]],
) -> Iterator[str]:
    """The ``--by`` lines of :func:`evaluate_csv`, a block of cells at a time
    (``paired``: the comparison cells of :func:`losscli.render.intervals.comparison_csv_cells`)."""
    assert report.grouped is not None
    # each text cell quoted once by the csv module, then the lines joined as text
    models = [_csv_quoted(csv_cell(m)) for m in report.models]
    groups = [_csv_quoted(csv_cell(g)) for g in report.grouped.labels]
    losses = [_csv_quoted(csv_cell(k)) for k in report.losses]
    blocks = _group_blocks(report, _full)
    if not with_ci:
        for gi, li, mi, values, rows in blocks:
            yield "".join(
                [
                    f"{models[k]},{groups[i]},{losses[j]},{v},{r}\n"
                    for i, j, k, v, r in zip(gi, li, mi, values, rows, strict=True)
                ]
            )
        return
    labels, names, keys = report.grouped.labels, report.models, report.losses
    tails = {key: "," + ",".join(_csv_quoted(c) for c in cells) for key, cells in paired.items()}
    none = "," * len(ci.NO_COMPARISON)
    for (gi, li, mi, values, rows), (lows, highs) in zip(
        blocks, ci.ci_text_blocks(report), strict=True
    ):
        yield "".join(
            [
                f"{models[k]},{groups[i]},{losses[j]},{v},{r},{a},{b}"
                f"{tails.get((names[k], labels[i], keys[j]), none)}\n"
                for i, j, k, v, r, a, b in zip(gi, li, mi, values, rows, lows, highs, strict=True)
            ]
        )


#: a cell holding one of these is quoted (or escaped) by the csv module; one without
#: them, not empty, is written as it is (QUOTE_MINIMAL), so only those go through a writer
_CSV_SPECIAL = re.compile(r'[,"\r\n]')


def _csv_quoted(text: str) -> str:
    """``text`` as the csv module writes one cell (quoted when it must be)."""
    if text and _CSV_SPECIAL.search(text) is None:
        return text
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([text])
    line = out.getvalue()[:-1]
    return "" if line == '""' else line


def _group_blocks(
    report: EvaluationReport, number: Any, size: int = 65_536
) -> Iterator[tuple[list[int], list[int], list[int], list[str], list[int]]]:
    """The group cells with a value, in report order, ``size`` at a time, as columns:
    group, loss and model indices, the values as text (``repr``; ``number(v)`` for
    non-finite ones) and the rows. In blocks, so that 1M cells never become 1M
    Python objects at once."""
    import numpy as np

    table = report.grouped
    assert table is not None
    gi_all, li_all, mi_all = np.nonzero(table.ok)
    for lo in range(0, gi_all.size, size):
        gi, li, mi = gi_all[lo : lo + size], li_all[lo : lo + size], mi_all[lo : lo + size]
        values = table.values[gi, li, mi]
        text = list(map(repr, values.tolist()))
        for at in np.flatnonzero(~np.isfinite(values)).tolist():
            text[at] = number(float(values[at]))
        yield gi.tolist(), li.tolist(), mi.tolist(), text, table.rows[gi].tolist()


# --------------------------------------------------------------------------- shared


def greater_is_better(key: str) -> bool:
    info = registry.find(registry.split_key(key)[0])
    return bool(info and info.greater_is_better)


#: groups shown by the table and markdown by default (``--max-groups``)
MAX_GROUPS = 50


def _rows(
    report: EvaluationReport, max_groups: int = 0
) -> list[tuple[str | None, str, dict[str, float]]]:
    """(group, loss, {model: value}) in report order, losses without any value left
    out; with ``max_groups`` > 0, only the groups of :func:`shown_groups`."""
    table: dict[tuple[str | None, str], dict[str, float]] = {}
    for r in report.overall:
        table.setdefault((r.group, r.loss), {})[r.model] = r.value
    out: list[tuple[str | None, str, dict[str, float]]] = [
        (None, loss, table[(None, loss)]) for loss in report.losses if (None, loss) in table
    ]
    grouped = report.grouped
    if grouped is None:
        return out
    picked = shown_groups(report, max_groups)[0]
    for i in picked:
        for j, loss in enumerate(report.losses):
            values = {
                model: float(grouped.values[i, j, k])
                for k, model in enumerate(report.models)
                if grouped.ok[i, j, k]
            }
            if values:
                out.append((grouped.labels[i], loss, values))
    return out


def shown_groups(report: EvaluationReport, max_groups: int) -> tuple[list[int], str | None]:
    """The groups a capped view shows (indices into the report's group labels) and
    the note naming those left out. At most ``max_groups`` (0: all, in report
    order); when some are left out, the worst by the first loss of the table for the
    first model (highest first; r2 and other higher-is-better scores lowest first;
    groups where that loss was skipped last), worst first."""
    import numpy as np

    grouped = report.grouped
    if grouped is None:
        return [], None
    n = len(grouped.labels)
    if max_groups <= 0 or n <= max_groups:
        return list(range(n)), None
    has = grouped.ok[:, :, 0].any(axis=0)
    j = int(np.argmax(has)) if has.any() else 0
    loss = report.losses[j]
    values = np.where(grouped.ok[:, j, 0], grouped.values[:, j, 0], np.nan)
    worst = -values if not greater_is_better(loss) else values
    worst = np.where(np.isnan(worst), np.inf, worst)
    picked = np.argsort(worst, kind="stable")[:max_groups].tolist()
    left = n - max_groups
    model = f" of model {report.models[0]}" if len(report.models) > 1 else ""
    order = "lowest" if greater_is_better(loss) else "highest"
    note = (
        f"{max_groups:,} of {n:,} groups shown (the worst by {loss}{model}, {order} first); "
        f"{left:,} left out: -o csv lists every group"
    )
    return picked, note


def best_model(values: dict[str, float], loss: str) -> str | None:
    """The best model of a row, ``None`` with fewer than two models or a tie for all."""
    finite = {m: v for m, v in values.items() if math.isfinite(v)}
    if len(values) < 2 or not finite:
        return None
    pick = max if greater_is_better(loss) else min
    best = pick(finite, key=lambda m: finite[m])
    if all(v == finite[best] for v in finite.values()):
        return None
    return best


def _param_text(name: str, value: Any) -> str:
    symbol = registry.symbol(name)
    if isinstance(value, list):
        return f"{symbol}={', '.join(f'{v:g}' if isinstance(v, float) else str(v) for v in value)}"
    if isinstance(value, dict):
        inner = ", ".join(f"{safe_text(k)}={v:g}" for k, v in value.items())
        return f"{symbol}={{{inner}}}"
    if isinstance(value, float):
        return f"{symbol}={value:g}"
    if isinstance(value, bool):
        return name
    return f"{symbol}={safe_text(value)}"


def params_line(report: EvaluationReport) -> str:
    return ", ".join(_param_text(k, v) for k, v in report.params.items())


def _title(report: EvaluationReport) -> str:
    rows = f"{report.rows:,} rows"
    if report.dropped:
        rows += f" ({report.dropped:,} dropped)"
    extra = ""
    if report.classes:
        extra = f" · classes {', '.join(report.classes)}"
    group = f" · by {report.group_by}" if report.group_by else ""
    return (
        f"losscli evaluate · {report.file} · {report.task} · {rows} · truth {report.target}"
        f"{group}{extra}"
    )


def _use_when(loss: str) -> str:
    info = registry.find(registry.split_key(loss)[0])
    if info is None:
        return ""
    text = info.use_when.split(";")[0].strip()
    if len(text) > _USE_WHEN_WIDTH:
        text = text[: _USE_WHEN_WIDTH - 1].rstrip() + "…"
    return text


def gate_failure(outcome: GateOutcome, precision: int = 4) -> str:
    """The stderr line of a failed gate: ``gate failed: rmse = 1.310 > 1.2 (model lin)``;
    judged on the interval or the difference, it says so (:func:`~losscli.render.
    intervals.gate_failure_text`)."""
    gate = outcome.gate
    if outcome.judged != "point" or gate.comparative:
        return ci.gate_failure_text(outcome, precision)
    return (
        f"gate failed: {gate.loss} = {fmt_number(outcome.value, precision)} "
        f"{gate.op} {gate.threshold:g} (model {safe_text(outcome.model)})"
    )


def _gate_lines(report: EvaluationReport, precision: int) -> list[str]:
    lines = []
    for g in report.gates:
        state = "FAILED" if g.failed else "passed"
        if g.judged != "point" or g.gate.comparative:
            detail = ci.gate_detail(g, precision)
        else:
            detail = f"model {g.model}: {fmt_number(g.value, precision)}"
        lines.append(f"gate {g.gate.expr.strip()}: {state} ({detail})")
    return lines


# --------------------------------------------------------------------------- table


def evaluate_table(
    report: EvaluationReport, precision: int = 4, max_groups: int = MAX_GROUPS
) -> Any:
    """A rich renderable: title, table, (with ``--ci`` and two or more models) the
    paired comparisons, footnotes; with ``--by``, at most ``max_groups`` groups (see
    :func:`shown_groups`; 0 = all)."""
    from rich.console import Group
    from rich.text import Text

    table = _loss_table(report, precision, max_groups)
    compared = ci.comparison_renderables(report, precision, _shown_labels(report, max_groups))
    notes = _table_notes(report, precision, max_groups)
    return Group(Text(safe_text(_title(report)), style="bold"), table, *compared, *notes)


def _loss_table(report: EvaluationReport, precision: int, max_groups: int) -> Any:
    """One row per loss (× group), one column per model; ``--ci`` cells carry their
    interval (:func:`losscli.render.intervals.cell_text`) and do not wrap, so a
    narrow terminal wraps the "use when" text rather than a number."""
    from rich.table import Table
    from rich.text import Text

    spans = ci.CellIntervals(report) if report.bootstrap is not None else None
    rows: list[list[Any]] = []
    for group, loss, values in _rows(report, max_groups):
        best = best_model(values, loss)
        cells: list[Any] = []
        if report.group_by is not None:
            cells.append(
                Text(
                    "all" if group is None else safe_text(group),
                    style="italic" if group is None else "",
                )
            )
        label = loss + (" ↑" if greater_is_better(loss) else "")
        cells.append(Text(label))
        for model in report.models:
            value = values.get(model)
            if value is None:
                cells.append(Text("—"))
                continue
            text = fmt_number(value, precision)
            if spans is not None:
                text = ci.cell_text(value, spans.get(group, loss, model), precision)
            if model == best:
                cells.append(Text(f"{BEST_MARK}{text}", style="bold green"))
            else:
                cells.append(Text(text))
        cells.append(Text(_use_when(loss) if group is None else ""))
        rows.append(cells)
    table = Table(show_lines=False)
    if report.group_by is not None:
        table.add_column(Text(safe_text(report.group_by)), overflow="fold")
    table.add_column("loss", no_wrap=True)
    for model in report.models:
        if spans is None:
            table.add_column(Text(safe_text(model)), justify="right", overflow="fold")
        else:  # (a cell cut by a narrow terminal ends in "…": never a silently short number)
            table.add_column(
                Text(safe_text(model)), justify="right", overflow="ellipsis", no_wrap=True
            )
    table.add_column("use when", overflow="fold", style="dim")
    for cells in rows:
        table.add_row(*cells)
    return table


def _table_notes(report: EvaluationReport, precision: int, max_groups: int) -> list[Any]:
    """The footnotes under the table, one Text line each, in this order: groups left
    out, the best-model marker, skipped losses, parameters, weight, the bootstrap,
    the gates."""
    from rich.text import Text

    notes: list[Text] = []
    left_out = shown_groups(report, max_groups)[1]
    if left_out:
        notes.append(Text(safe_text(left_out), style="bold"))
    if len(report.models) > 1:
        notes.append(
            Text(f"{BEST_MARK} best model of the row (lower is better; ↑ higher is better)")
        )
    for s in report.skipped:
        notes.append(Text(safe_text(f"skipped {s.loss}: {s.reason}")))
    params = params_line(report)
    if params:
        notes.append(Text(safe_text(f"parameters: {params}")))
    if report.weight:
        notes.append(Text(safe_text(f"weighted by column {report.weight}")))
    boot = ci.bootstrap_line(report)
    if boot is not None:
        notes.append(Text(boot))
    for line in _gate_lines(report, precision):
        notes.append(Text(safe_text(line), style="bold red" if "FAILED" in line else ""))
    if report.signature:
        notes.append(Text(safe_text(f"signature: {report.signature}"), style="dim"))
    return notes


def _shown_labels(report: EvaluationReport, max_groups: int) -> list[str] | None:
    """The group labels a capped view shows (None: no ``--by``, or every group)."""
    if report.grouped is None:
        return None
    picked, left_out = shown_groups(report, max_groups)
    return None if left_out is None else [report.grouped.labels[i] for i in picked]


# --------------------------------------------------------------------------- markdown

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|#!~])")


# GitHub finds mentions in the *rendered* text of a comment: an `@` directly followed
# by a login character, so `@user` and `@org/team` notify them even when written
# `\@user` (the backslash is gone once rendered). A zero-width space between `@` and
# the name breaks that match and shows as nothing; written as the entity `&#8203;`
# it stays ASCII and visible in the Markdown source, so nothing is hidden from a
# reader of the raw text. (Inline code would also stop it, but changes the look.)
_MENTION = re.compile(r"@(?=[A-Za-z0-9])")


def md_escape(value: object) -> str:
    """Cell text that cannot break a GitHub table, inject markup/HTML, spell a
    character as an entity (``&#8238;`` is a right-to-left override: ``&`` is written
    ``&amp;``) or mention anyone (``@user`` becomes ``@&#8203;user``). Control bytes
    and bidirectional controls are escaped by :func:`safe_text` first."""
    text = safe_text(value).replace("\r", " ").replace("\n", " ").replace("&", "&amp;")
    return _MENTION.sub("@&#8203;", _MD_SPECIAL.sub(r"\\\1", text))


def evaluate_markdown(
    report: EvaluationReport, precision: int = 4, max_groups: int = MAX_GROUPS
) -> str:
    """A GitHub table; with ``--by``, capped at ``max_groups`` groups like the table
    (a pull-request comment holds at most 65,536 characters)."""
    lines: list[str] = []
    rows = f"{report.rows:,} rows"
    lines.append(
        f"**losscli evaluate** · {md_escape(report.file)} · {report.task} · {rows}"
        + (f" · by {md_escape(report.group_by)}" if report.group_by else "")
    )
    lines.append("")
    header = []
    if report.group_by is not None:
        header.append(md_escape(report.group_by))
    header.append("loss")
    header.extend(md_escape(m) for m in report.models)
    lines.append("| " + " | ".join(header) + " |")
    align = [":--"] * (1 if report.group_by is None else 2) + ["--:"] * len(report.models)
    lines.append("| " + " | ".join(align) + " |")
    spans = ci.CellIntervals(report) if report.bootstrap is not None else None
    for group, loss, values in _rows(report, max_groups):
        best = best_model(values, loss)
        cells = []
        if report.group_by is not None:
            cells.append("*all*" if group is None else md_escape(group))
        cells.append(md_escape(loss + (" ↑" if greater_is_better(loss) else "")))
        for model in report.models:
            value = values.get(model)
            if value is None:
                cells.append("—")
                continue
            text = fmt_number(value, precision)
            if spans is not None:
                text = ci.cell_text(value, spans.get(group, loss, model), precision)
            cells.append(f"**{text}**" if model == best else text)
        lines.append("| " + " | ".join(cells) + " |")
    lines.extend(
        ci.comparison_markdown(report, precision, _shown_labels(report, max_groups), md_escape)
    )
    notes = _markdown_notes(report, precision, max_groups)
    if notes:
        lines.append("")
        lines.extend(f"- {n}" for n in notes)
    return "\n".join(lines) + "\n"


def _markdown_notes(report: EvaluationReport, precision: int, max_groups: int) -> list[str]:
    """The list under the Markdown table, in the order of :func:`_table_notes`."""
    notes = []
    left_out = shown_groups(report, max_groups)[1]
    if left_out:
        notes.append(md_escape(left_out))
    if len(report.models) > 1:
        notes.append("Bold: best model of the row (lower is better; ↑ higher is better).")
    for s in report.skipped:
        notes.append(f"Skipped {md_escape(s.loss)}: {md_escape(s.reason)}")
    params = params_line(report)
    if params:
        notes.append(f"Parameters: {md_escape(params)}")
    boot = ci.bootstrap_line(report)
    if boot is not None:
        notes.append(md_escape(boot[0].upper() + boot[1:]))
    for line in _gate_lines(report, precision):
        notes.append(md_escape(line))
    if report.signature:
        notes.append(f"Signature: `{report.signature}`")
    return notes
