"""Render a :class:`losscli.history.HistoryReport`: JSON, a rich summary table, a
terminal chart, and (``--plot``) a matplotlib PNG. Nothing here prints.

The terminal chart is drawn by hand, no plotting library: a grid of ``height`` rows
by ``width`` columns in which each series is drawn as straight segments between its
points (Bresenham). On a terminal every cell is a braille character (2×4 dots per
cell, so a 64-column plot has 128 × 48 dots); elsewhere it is plain ASCII, one dot per
cell (``*`` training, ``o`` validation, ``#`` both). The best epoch is a vertical
line, the overfitting region is marked on the x axis with ``~``. Untrusted text
(file and column names) only ever enters rich as :class:`rich.text.Text`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from losscli.atomic import write_atomic
from losscli.errors import UsageError
from losscli.history.model import HistoryReport, Number, clean_number
from losscli.history.runs import best_run, label
from losscli.render import fmt_number, safe_text, to_json
from losscli.render.history_chart import Series, draw

SCHEMA = "losscli.history/1"
TRAIN_STYLE = "cyan"
VAL_STYLE = "yellow"
FAINT_TRAIN = "dim cyan"
FAINT_VAL = "dim yellow"
RUN_STYLES = ("cyan", "yellow", "green", "magenta", "blue", "red", "white")
VERDICT_STYLE = {
    "overfitting": "bold red",
    "diverged": "bold red",
    "underfitting": "bold yellow",
    "improving": "bold green",
    "converged": "bold green",
}
#: Plot size in inches at PLOT_DPI: 800 × 500 pixels.
PLOT_SIZE = (8.0, 5.0)
PLOT_DPI = 100


def history_document(report: HistoryReport) -> dict[str, Any]:
    """The JSON document of issue 5, keys in this order."""
    return {
        "schema": SCHEMA,
        "file": report.file,
        "format": report.format,
        "x": report.x_name,
        "points": report.points,
        "train": report.train_column,
        "val": report.val_column,
        "best_epoch": report.best_epoch,
        "best_val_loss": report.best_val_loss,
        "final_train_loss": report.final_train_loss,
        "final_val_loss": report.final_val_loss,
        "gap": report.gap,
        "verdict": report.verdict,
        "overfitting_since": report.overfitting_since,
        "patience": report.patience,
        "min_delta": report.min_delta,
        "smoothing": report.smoothing,
        "noise": report.noise,
        "run": report.run,
        "runs": report.runs,
    }


def _as_list(reports: HistoryReport | Sequence[HistoryReport]) -> list[HistoryReport]:
    return [reports] if isinstance(reports, HistoryReport) else list(reports)


def history_json(reports: HistoryReport | Sequence[HistoryReport]) -> str:
    """One run: its document. Several: a JSON list of the per-run documents, each with
    ``"best": true`` on the best run (:func:`losscli.history.runs.best_run`) and
    ``false`` on the others."""
    items = _as_list(reports)
    if len(items) == 1:
        return to_json(history_document(items[0]))
    best, _ = best_run(items)
    docs = [{**history_document(r), "best": i == best} for i, r in enumerate(items)]
    return to_json(docs)


def _x(v: Number | None) -> str:
    if v is None:
        return "n/a"
    return str(v) if isinstance(v, int) else f"{v:.4g}"


def _n(value: float | None) -> str:
    return "n/a" if value is None else fmt_number(value)


def history_summary(report: HistoryReport, *, unicode: bool = True) -> Any:
    """A two-column rich Table: what was read, the numbers, the verdict and why."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(
        title=Text("losscli history: ") + Text(safe_text(report.file)),
        title_justify="left",
        show_header=False,
        box=box.ROUNDED if unicode else box.ASCII,
    )
    table.add_column("field", style="bold", no_wrap=True)
    table.add_column("value", overflow="fold")
    x = report.x_name
    val_name = safe_text(report.val_column) if report.val_column else "none"
    rows: list[tuple[str, Text]] = [
        ("format", Text(report.format)),
        (f"{x}s", Text(f"{report.points} points, {_x(report.x[0])} to {_x(report.x[-1])}")),
        ("columns", Text(f"train {safe_text(report.train_column)}, val {val_name}")),
        (
            f"best {x}",
            Text(
                f"{_x(report.best_epoch)} (validation loss {_n(report.best_val_loss)})"
                if report.best_epoch is not None
                else (
                    "n/a (no finite validation loss)"
                    if report.val_column
                    else "n/a (no validation loss)"
                )
            ),
        ),
        (
            "final loss",
            Text(f"train {_n(report.final_train_loss)}, val {_n(report.final_val_loss)}"),
        ),
        (
            "gap (val - train)",
            Text(f"{_n(report.gap)} at the end, {_n(report.gap_at_best)} at the best {x}"),
        ),
        ("verdict", Text(report.verdict, style=VERDICT_STYLE.get(report.verdict, "bold"))),
        ("why", Text(safe_text(report.reason))),
    ]
    if report.overfitting_since is not None:
        rows.append(("overfitting since", Text(f"{x} {_x(report.overfitting_since)}")))
    if report.recommendation:
        rows.append(("recommendation", Text(safe_text(report.recommendation))))
    rows.append(
        ("rule", Text(f"patience {report.patience}, min_delta {fmt_number(report.min_delta)}"))
    )
    for key, value in rows:
        table.add_row(Text(key), value)
    return table


def history_renderable(
    reports: HistoryReport | Sequence[HistoryReport], *, width: int = 80, unicode: bool = True
) -> Any:
    """Summary table, a blank line, then the chart: what ``--output table`` prints (for
    several runs: the comparison table and the overlaid curves)."""
    from rich.console import Group
    from rich.text import Text

    items = _as_list(reports)
    if len(items) > 1:
        return Group(
            compare_table(items, unicode=unicode),
            Text(""),
            compare_chart(items, width=min(width, 80), unicode=unicode),
        )
    return Group(
        history_summary(items[0], unicode=unicode),
        Text(""),
        history_chart(items[0], width=min(width, 80), unicode=unicode),
    )


def compare_table(reports: Sequence[HistoryReport], *, unicode: bool = True) -> Any:
    """One row per run (its chart mark, ``*`` on the best): points, best epoch and
    value, final losses, verdict; the best run named with its criterion in the caption
    (the gaps are in the JSON)."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    best, why = best_run(reports)
    table = Table(
        title=Text(f"losscli history: {len(reports)} runs"),
        title_justify="left",
        box=box.ROUNDED if unicode else box.ASCII,
        caption=(
            Text("best run: ") + Text(safe_text(label(reports[best]))) + Text(f" ({why})")
            if best is not None
            else None
        ),
        caption_justify="left",
    )
    table.add_column("run", overflow="fold", min_width=12)
    for name in ("points", "best", "best val", "final train", "final val"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("verdict", no_wrap=True)
    for i, r in enumerate(reports):
        mark = chr(ord("a") + i % 26) + ("*" if i == best else "")
        table.add_row(
            Text(f"{mark} ") + Text(safe_text(label(r))),
            Text(str(r.points)),
            Text(_x(r.best_epoch)),
            Text(_n(r.best_val_loss)),
            Text(_n(r.final_train_loss)),
            Text(_n(r.final_val_loss)),
            Text(r.verdict, style=VERDICT_STYLE.get(r.verdict, "bold")),
        )
    return table


# ------------------------------------------------------------------------------ chart


def _series(report: HistoryReport) -> list[Series]:
    """Training and validation curves; with smoothing, the raw values faint underneath."""
    xs = report.x  # the chart reads its float array
    smooth = report.train_smooth is not None
    out = []
    if smooth:
        out.append(Series("raw", xs, report.train, FAINT_TRAIN, ".", faint=True))
        if report.val is not None:
            out.append(Series("raw", xs, report.val, FAINT_VAL, ".", faint=True))
    tail = f", EMA {report.smoothing:.2f}" if smooth else ""
    out.append(
        Series(
            f"train ({report.train_column}{tail})",
            xs,
            report.train_smooth if smooth else report.train,
            TRAIN_STYLE,
            "*",
        )
    )
    if report.val_column is not None:
        out.append(
            Series(
                f"val ({report.val_column}{tail})",
                xs,
                report.val_smooth if smooth else report.val,
                VAL_STYLE,
                "o",
            )
        )
    return out


def history_chart(
    report: HistoryReport, *, width: int = 80, height: int = 12, unicode: bool = True
) -> Any:
    """Both curves (smoothed, over the raw values, when the verdict was judged smoothed)
    in ``width`` columns and ``height`` rows, then an x axis, its labels and a legend.
    Returns a :class:`rich.text.Text`."""
    best = (
        (float(report.best_epoch), _x(report.best_epoch)) if report.best_epoch is not None else None
    )
    since = float(report.overfitting_since) if report.overfitting_since is not None else None
    return draw(
        _series(report),
        x_name=report.x_name,
        x_first=_x(report.x[0]),
        x_last=_x(report.x[-1]),
        best=best,
        since=since,
        width=width,
        height=height,
        unicode=unicode,
    )


def compare_chart(
    reports: Sequence[HistoryReport], *, width: int = 80, height: int = 14, unicode: bool = True
) -> Any:
    """One curve per run, overlaid: the validation curves when every run has one, else
    the training curves (smoothed when the verdict was)."""
    use_val = all(r.val is not None for r in reports)
    series = []
    for i, r in enumerate(reports):
        smooth = r.val_smooth if use_val else r.train_smooth
        ys = smooth if smooth is not None else (r.val if use_val else r.train)
        series.append(
            Series(
                f"{chr(ord('a') + i % 26)} {label(r)}",
                r.x,
                ys,
                RUN_STYLES[i % len(RUN_STYLES)],
                chr(ord("a") + i % 26),
            )
        )
    x_names = {r.x_name for r in reports}
    x_name = x_names.pop() if len(x_names) == 1 else "x"
    lo = min(float(r.x.values.min()) for r in reports)
    hi = max(float(r.x.values.max()) for r in reports)
    return draw(
        series,
        x_name=x_name + (" (validation loss)" if use_val else " (training loss)"),
        x_first=_x(clean_number(lo)),
        x_last=_x(clean_number(hi)),
        width=width,
        height=height,
        unicode=unicode,
    )


# ------------------------------------------------------------------------------- PNG


def _mpl_text(text: str) -> str:
    """Untrusted text for matplotlib: ``$`` would start mathtext."""
    return safe_text(text).replace("$", r"\$")


def _figure() -> Any:
    try:
        import matplotlib  # noqa: F401  (imported first: a clear ImportError if absent)
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise UsageError(
            "--plot needs matplotlib, which is not installed: install losscli[plot] "
            "(pip install 'losscli[plot]')"
        ) from None
    fig = Figure(figsize=PLOT_SIZE, dpi=PLOT_DPI)
    FigureCanvasAgg(fig)  # the Agg backend, without touching pyplot's global state
    return fig


def _y_scale(reports: Sequence[HistoryReport]) -> float:
    """A power of ten to divide the losses by when they are so large (±1e308) that
    matplotlib's axis arithmetic would overflow; 1 otherwise."""
    top = max(
        (
            abs(v)
            for r in reports
            for series in (r.train, r.val or ())
            for v in series
            if v is not None and math.isfinite(v)
        ),
        default=0.0,
    )
    return 10.0 ** math.floor(math.log10(top)) if top > 1e100 else 1.0


def _xy(
    xs: Sequence[Number], ys: Sequence[float | None], scale: float = 1.0
) -> tuple[list[float], list[float]]:
    pts = [(float(x), y) for x, y in zip(xs, ys, strict=True) if y is not None]
    return [p[0] for p in pts], [p[1] / scale if math.isfinite(p[1]) else math.nan for p in pts]


def _y_label(what: str, scale: float) -> str:
    return what if scale == 1.0 else f"{what} (× {scale:.0e})"


def write_plot(
    reports: HistoryReport | Sequence[HistoryReport], path: str | os.PathLike[str]
) -> None:
    """The seed's figure as a PNG (PLOT_SIZE × PLOT_DPI pixels), written atomically:
    training and validation curves (smoothed curves solid over the raw values, as
    TensorBoard draws them, when the verdict was judged smoothed), x label Epoch (or
    Step), y label Loss, legend, the best epoch marked, the overfitting region shaded.
    Several runs: one curve per run overlaid, the best run's drawn thicker. Needs the
    ``plot`` extra."""
    items = _as_list(reports)
    fig = _figure()
    ax = fig.add_subplot()
    if len(items) > 1:
        _plot_runs(ax, items)
    else:
        _plot_one(ax, items[0])
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    write_atomic(path, lambda fh: fig.savefig(fh, format="png", dpi=PLOT_DPI), binary=True)


def _plot_one(ax: Any, report: HistoryReport) -> None:
    curves = [("Training", report.train, report.train_smooth, report.train_column, "tab:blue")]
    if report.val is not None and report.val_column is not None:
        curves.append(
            ("Validation", report.val, report.val_smooth, report.val_column, "tab:orange")
        )
    scale = _y_scale([report])
    for what, raw, smooth, column, color in curves:
        rx, ry = _xy(report.x, raw, scale)
        name = f"{what} Loss ({_mpl_text(column)})"
        if smooth is not None:
            ax.plot(rx, ry, color=color, alpha=0.3, linewidth=1)
            sx, sy = _xy(report.x, smooth, scale)
            ax.plot(sx, sy, label=f"{name}, EMA {report.smoothing:.2f}", color=color)
        else:
            ax.plot(rx, ry, label=name, color=color)
    if report.overfitting_since is not None:
        ax.axvspan(
            float(report.overfitting_since),
            float(report.x[-1]),
            color="tab:red",
            alpha=0.12,
            label=f"Overfitting (since {report.x_name} {_x(report.overfitting_since)})",
        )
    if report.best_epoch is not None and report.best_val_loss is not None:
        ax.axvline(float(report.best_epoch), color="tab:green", linestyle="--", linewidth=1)
        ax.plot(
            [float(report.best_epoch)],
            [report.best_val_loss / scale],
            marker="o",
            color="tab:green",
            linestyle="none",
            label=f"Best {report.x_name} {_x(report.best_epoch)}",
        )
    ax.set_xlabel("Epoch" if report.x_name == "epoch" else "Step")
    ax.set_ylabel(_y_label("Loss", scale))
    ax.set_title(f"{_mpl_text(Path(report.file).name)}: {report.verdict}")


def _plot_runs(ax: Any, reports: Sequence[HistoryReport]) -> None:
    best, _ = best_run(reports)
    use_val = all(r.val is not None for r in reports)
    scale = _y_scale(reports)
    for i, r in enumerate(reports):
        smooth = r.val_smooth if use_val else r.train_smooth
        ys = smooth if smooth is not None else (r.val if use_val else r.train)
        assert ys is not None
        xs, vals = _xy(r.x, ys, scale)
        star = " (best)" if i == best else ""
        ax.plot(
            xs,
            vals,
            label=f"{_mpl_text(label(r))}: {r.verdict}{star}",
            linewidth=2.5 if i == best else 1.2,
        )
    names = {r.x_name for r in reports}
    ax.set_xlabel("Epoch" if names == {"epoch"} else ("Step" if names == {"step"} else "x"))
    ax.set_ylabel(_y_label("Validation loss" if use_val else "Training loss", scale))
    ax.set_title(f"{len(reports)} runs")
