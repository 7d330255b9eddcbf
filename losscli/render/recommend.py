"""Render a :class:`losscli.recommend.report.Recommendation` as rich renderables or JSON.

The table view reads top to bottom: what was asked (and, with ``--from``, what
the data showed), the recommended losses with one reason each, the alternatives,
the whole selection table with the matching row(s) marked ``▶`` (a marker, not
only a style, so the match shows without colour), and the seed's advice to
monitor validation loss. File names, column names and class labels come from
files: they enter rich only as :class:`rich.text.Text` through ``safe_text``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from losscli.losses.registry import ParamValue, get_spec
from losscli.recommend.report import (
    COUNTS_DISPERSION,
    COUNTS_SMALLEST,
    IMBALANCE_RATIO,
    MIN_DISTINCT_COUNTS,
    OUTLIER_SHARE,
    ROBUST_Z,
    Evidence,
    Recommendation,
)
from losscli.recommend.rules import (
    FLAGS,
    FLAGS_HINT,
    MONITOR_ADVICE,
    QUANTILE,
    SELECTION,
    selection_params,
)
from losscli.render import fmt_number, safe_text, to_json

MARK = "▶"


def recommend_json(rec: Recommendation) -> str:
    """The ``losscli.recommend/1`` document (see :meth:`Recommendation.to_dict`)."""
    return to_json(rec.to_dict())


def _param_value(value: ParamValue) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def format_params(params: Mapping[str, ParamValue]) -> str:
    """``quantile=0.667, eps=1e-07``."""
    return ", ".join(f"{k}={_param_value(v)}" for k, v in params.items())


def _with_params(loss: str, params: Mapping[str, Mapping[str, ParamValue]]) -> str:
    shown = format_params(params.get(loss, {}))
    return f"{loss} ({shown})" if shown else loss


def _condition_text(rec: Recommendation) -> str:
    if not rec.conditions:
        return "no special condition"
    parts = []
    for cond in rec.conditions:
        if cond == QUANTILE:
            q = rec.params.get("pinball", {}).get("quantile")
            parts.append(f"--quantile {_param_value(q)}")
        else:
            parts.append(FLAGS[cond])
    return " ".join(parts)


def selection_table(matched: tuple[str, ...] = ()) -> Any:
    """The whole selection table; rows whose key is in ``matched`` are marked."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title="Selection table", title_justify="left", show_lines=False)
    table.add_column("task and condition")
    table.add_column("recommended (in order)", overflow="fold")
    table.add_column("alternatives", overflow="fold")
    for rule in SELECTION:
        shown = selection_params(rule)
        if rule.condition == QUANTILE:
            recommended = "pinball (quantile=Q)"
        else:
            recommended = ", ".join(_with_params(loss, shown) for loss in rule.recommended)
        alternatives = ", ".join(_with_params(loss, shown) for loss in rule.alternatives) or "—"
        hit = rule.key in matched
        table.add_row(
            Text(f"{MARK if hit else ' '} {rule.label}"),
            Text(recommended),
            Text(alternatives),
            style="bold reverse" if hit else None,
        )
    return table


def _loss_table(title: str, losses: tuple[str, ...], rec: Recommendation) -> Any:
    """One row per loss: id, name and suggested parameters on the left, the reason
    on the right (two columns, so the longest id fits beside a readable reason)."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, title_justify="left", show_lines=False)
    table.add_column("loss", overflow="fold")
    table.add_column("why", ratio=1)
    for loss in losses:
        cell = Text(loss, style="bold")
        cell.append(f"\n{get_spec(loss).name}")
        params = format_params(rec.params.get(loss, {}))
        if params:
            cell.append(f"\n{params}")
        table.add_row(cell, Text(rec.reasons.get(loss, "")))
    return table


def _share(x: float) -> str:
    return f"{100 * x:.3g} %"


def counts_line(ev: Evidence) -> str:
    """The counts rule's evidence: what was seen, each part against its threshold."""
    parts = [f"{ev.distinct_values} distinct values (≥ {MIN_DISTINCT_COUNTS})"]
    if ev.smallest_value is not None:
        parts.append(f"smallest {fmt_number(ev.smallest_value)} (≤ {COUNTS_SMALLEST})")
    if ev.dispersion_index is not None:
        parts.append(
            f"dispersion var/mean {fmt_number(ev.dispersion_index)} (≥ {COUNTS_DISPERSION:g})"
        )
    verdict = "→ counts" if ev.counts else "→ not counts"
    needs = "" if ev.counts else " (counts need non-negative integers and every threshold met)"
    return f"{'; '.join(parts)} {verdict}{needs}"


def evidence_table(ev: Evidence, overridden: tuple[str, ...] = ()) -> Any:
    """What the data showed, one line per measurement, each with its verdict."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title="Evidence", title_justify="left", show_header=False, show_lines=False)
    table.add_column("what", style="bold", no_wrap=True)
    table.add_column("seen")
    rows = [
        ("file", Text(safe_text(ev.file))),
        ("columns", _columns_text(ev)),
        ("rows", Text(_rows_text(ev))),
        ("task inferred", Text(ev.inferred_task)),
        *_outlier_rows(ev),
    ]
    if ev.counts is not None:
        rows.append(("counts", Text(counts_line(ev))))
    rows.extend(_class_rows(ev))
    rows.append(("conditions found", Text(", ".join(FLAGS[c] for c in ev.inferred) or "none")))
    if overridden:
        rows.append(("overridden by flags", Text(" ".join(overridden))))
    for what, seen in rows:
        table.add_row(Text(what), seen)
    return table


def _columns_text(ev: Evidence) -> Any:
    """``truth y, prediction p``: column names from the file, kept as plain text."""
    from rich.text import Text

    columns = Text("truth ")
    columns.append(safe_text(ev.target))
    if ev.prediction is not None:
        columns.append(", prediction ")
        columns.append(safe_text(ev.prediction))
    else:
        columns.append(" (no prediction column)")
    return columns


def _rows_text(ev: Evidence) -> str:
    rows = f"{ev.rows}"
    if ev.dropped_rows:
        rows += f" ({ev.dropped_rows} with a missing value left out)"
    return rows


def _outlier_rows(ev: Evidence) -> list[tuple[str, Any]]:
    """The robust-z verdict, one line per model when there are several, the robust
    scale and Huber's δ (nothing for a classification file)."""
    from rich.text import Text

    if ev.measured_on is None or ev.outlier_share is None or ev.outliers is None:
        return []
    on = "residuals y - ŷ" if ev.measured_on == "residuals" else "the truth"
    verdict = "outliers" if ev.outlier_share > OUTLIER_SHARE else "no outliers"
    of = f"{ev.rows} rows"
    if ev.sample is not None and ev.sample < ev.rows:
        of = f"a uniform sample of {ev.sample:,} of {ev.rows:,} rows"
    which = ""
    if len(ev.models) > 1 and ev.prediction is not None:
        which = f" ({safe_text(ev.prediction)}: the first model over the threshold, else the first)"
    rows: list[tuple[str, Any]] = [
        (
            "outliers",
            Text(
                f"{ev.outliers} of {of} ({_share(ev.outlier_share)}) of {on}{which} have "
                f"robust z > {ROBUST_Z:g} → {verdict} (threshold {_share(OUTLIER_SHARE)})"
            ),
        )
    ]
    if len(ev.models) > 1:
        rows.extend(
            (
                "  model",
                Text(
                    f"{safe_text(m['prediction'])}: {_share(m['outlier_share'])} with "
                    f"z > {ROBUST_Z:g}, median {fmt_number(m['median'])}, "
                    f"σ̂ {fmt_number(m['scale'])}"
                ),
            )
            for m in ev.models
        )
    rows.append(("robust scale", Text(f"median {fmt_number(ev.median)}; {_scale_text(ev)}")))
    if ev.huber_delta is not None:
        rows.append(("Huber δ", Text(f"1.345·σ̂ = {fmt_number(ev.huber_delta)}")))
    return rows


def _scale_text(ev: Evidence) -> str:
    """How σ̂ was found: from the MAD, from the mean absolute deviation, or not at all."""
    if ev.scale_method == "mad":
        return f"σ̂ = 1.4826·MAD = {fmt_number(ev.scale)} (MAD {fmt_number(ev.mad)})"
    if ev.scale_method == "mean_absolute_deviation":
        return (
            f"MAD = 0 (over half the values equal the median), so σ̂ = 1.2533·mean "
            f"absolute deviation = {fmt_number(ev.scale)}"
        )
    return "every value equals the median: no spread, no outliers, δ not measurable"


def _class_rows(ev: Evidence) -> list[tuple[str, Any]]:
    """Rows per class (labels from the file, kept as plain text) and the imbalance
    verdict (nothing for a regression file)."""
    from rich.text import Text

    if ev.class_counts is None:
        return []
    classes = Text()
    for i, (label, n) in enumerate(ev.class_counts.items()):
        if i:
            classes.append(", ")
        classes.append(safe_text(label))
        classes.append(f": {n}")
    ratio = ev.imbalance_ratio
    verdict = "imbalanced" if ratio is None or ratio >= IMBALANCE_RATIO else "balanced"
    shown = "∞ (a class has no row)" if ratio is None or ratio == float("inf") else f"{ratio:.3g}"
    return [
        ("classes", classes),
        ("largest / smallest", Text(f"{shown} → {verdict} (threshold {IMBALANCE_RATIO:g}×)")),
    ]


def recommend_renderable(rec: Recommendation) -> Any:
    """Everything the table output shows, as one rich renderable."""
    from rich.console import Group
    from rich.text import Text

    parts: list[Any] = []
    if rec.task is None:
        parts.append(Text("losscli recommend: which loss for which task", style="bold"))
        parts.append(Text(""))
        parts.append(selection_table())
        parts.append(Text(""))
        parts.append(Text(FLAGS_HINT))
        parts.append(Text(""))
        parts.append(Text(MONITOR_ADVICE))
        return Group(*parts)

    head = Text(f"losscli recommend: {rec.task}, {_condition_text(rec)}", style="bold")
    parts.append(head)
    if rec.evidence is not None:
        parts.append(Text(""))
        parts.append(evidence_table(rec.evidence, rec.overridden))
    parts.append(Text(""))
    parts.append(_loss_table("Recommended", rec.recommended, rec))
    if rec.alternatives:
        parts.append(Text(""))
        parts.append(_loss_table("Alternatives", rec.alternatives, rec))
    if rec.combined:
        parts.append(Text(""))
        parts.append(
            Text(
                "Conditions combined: the marked rows below each cover one condition; "
                f"the reason for {rec.recommended[0]} above says how they combine."
            )
        )
    parts.append(Text(""))
    parts.append(selection_table(rec.matched))
    parts.append(Text(""))
    parts.append(Text(MONITOR_ADVICE))
    return Group(*parts)
