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
from losscli.history import HistoryReport, Number
from losscli.render import fmt_number, safe_text, to_json

SCHEMA = "losscli.history/1"
TRAIN_STYLE = "cyan"
VAL_STYLE = "yellow"
BOTH_STYLE = "bold white"
MARK_STYLE = "magenta"
OVERFIT_STYLE = "red"
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

# braille dot bits, indexed [row][col] inside a 2-wide, 4-high cell
_BRAILLE = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))


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
    }


def history_json(report: HistoryReport) -> str:
    return to_json(history_document(report))


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


def history_renderable(report: HistoryReport, *, width: int = 80, unicode: bool = True) -> Any:
    """Summary table, a blank line, then the chart: what ``--output table`` prints."""
    from rich.console import Group
    from rich.text import Text

    return Group(
        history_summary(report, unicode=unicode),
        Text(""),
        history_chart(report, width=min(width, 80), unicode=unicode),
    )


# ------------------------------------------------------------------------------ chart


def _finite_points(xs: Sequence[Number], ys: Sequence[float | None] | None) -> list[list[Any]]:
    """Runs of consecutive finite (x, y) points; a non-finite value breaks the line,
    a missing one (not logged) does not."""
    runs: list[list[Any]] = []
    if ys is None:
        return runs
    current: list[Any] = []
    for x, y in zip(xs, ys, strict=True):
        if y is None:
            continue
        if not math.isfinite(y):
            if current:
                runs.append(current)
            current = []
            continue
        current.append((float(x), y))
    if current:
        runs.append(current)
    return runs


def _line(x0: int, y0: int, x1: int, y1: int) -> list[tuple[int, int]]:
    """Bresenham: every grid point on the segment (x0, y0)–(x1, y1)."""
    points = []
    dx, dy = abs(x1 - x0), -abs(y1 - y0)
    sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
    err = dx + dy
    while True:
        points.append((x0, y0))
        if x0 == x1 and y0 == y1:
            return points
        e2 = 2 * err
        if e2 >= dy:
            err += dy
            x0 += sx
        if e2 <= dx:
            err += dx
            y0 += sy


def history_chart(
    report: HistoryReport, *, width: int = 80, height: int = 12, unicode: bool = True
) -> Any:
    """Both curves in ``width`` columns (y labels included) and ``height`` rows of plot,
    then an x axis, its labels and a legend. Returns a :class:`rich.text.Text`."""
    from rich.text import Text

    train_runs = _finite_points(report.x, report.train)
    val_runs = _finite_points(report.x, report.val)
    ys = [y for run in train_runs + val_runs for _, y in run]
    xs = [float(v) for v in report.x]
    out = Text()
    if not ys:
        out.append("(no finite loss values to draw)\n")
        return out
    y_lo, y_hi = min(ys), max(ys)
    if y_hi - y_lo < 1e-12 * max(1.0, abs(y_hi)):
        y_lo, y_hi = y_lo - 0.5 * max(abs(y_lo), 1.0), y_hi + 0.5 * max(abs(y_hi), 1.0)
    x_lo, x_hi = min(xs), max(xs)
    if x_hi == x_lo:
        x_hi = x_lo + 1.0

    labels = [fmt_number(y_hi, 3), fmt_number((y_hi + y_lo) / 2, 3), fmt_number(y_lo, 3)]
    lw = max(len(s) for s in labels)
    plot_w = max(10, width - lw - 2)
    sx, sy = (2, 4) if unicode else (1, 1)
    dots_w, dots_h = plot_w * sx, height * sy

    def to_dot(x: float, y: float) -> tuple[int, int]:
        col = round((x - x_lo) / (x_hi - x_lo) * (dots_w - 1))
        row = round((y_hi - y) / (y_hi - y_lo) * (dots_h - 1))
        return col, row

    def cell_col(x: float) -> int:
        return to_dot(x, y_hi)[0] // sx

    def raster(runs: list[list[Any]]) -> set[tuple[int, int]]:
        dots: set[tuple[int, int]] = set()
        for run in runs:
            prev = None
            for x, y in run:
                d = to_dot(x, y)
                if prev is None:
                    dots.add(d)
                else:
                    dots.update(_line(prev[0], prev[1], d[0], d[1]))
                prev = d
        return dots

    train_dots, val_dots = raster(train_runs), raster(val_runs)
    best_col = cell_col(float(report.best_epoch)) if report.best_epoch is not None else None
    since_col = (
        cell_col(float(report.overfitting_since)) if report.overfitting_since is not None else None
    )

    def cell_bits(dots: set[tuple[int, int]], r: int, c: int) -> int:
        bits = 0
        for dr in range(sy):
            for dc in range(sx):
                if (c * sx + dc, r * sy + dr) in dots:
                    bits |= _BRAILLE[dr][dc] if unicode else 1
        return bits

    v_axis, h_axis, corner = ("│", "─", "└") if unicode else ("|", "-", "+")
    label_rows = {0: labels[0], (height - 1) // 2: labels[1], height - 1: labels[2]}
    for r in range(height):
        out.append(label_rows.get(r, "").rjust(lw) + " " + v_axis)
        for c in range(plot_w):
            tb, vb = cell_bits(train_dots, r, c), cell_bits(val_dots, r, c)
            if tb or vb:
                ascii_ch = "#" if tb and vb else ("*" if tb else "o")
                ch = chr(0x2800 + (tb | vb)) if unicode else ascii_ch
                style = BOTH_STYLE if tb and vb else (TRAIN_STYLE if tb else VAL_STYLE)
                out.append(ch, style=style)
            elif c == best_col:
                out.append("┊" if unicode else ":", style=MARK_STYLE)
            else:
                out.append(" ")
        out.append("\n")

    # x axis: ─ everywhere, ~ over the overfitting region, ┴ / + at the best epoch
    out.append(" " * lw + " " + corner)
    for c in range(plot_w):
        if c == best_col:
            out.append("┴" if unicode else "^", style=MARK_STYLE)
        elif since_col is not None and c >= since_col:
            out.append("~", style=OVERFIT_STYLE)
        else:
            out.append(h_axis)
    out.append("\n")

    # x labels: first and last x, and the best epoch where it fits between them
    axis = [" "] * (plot_w + 1)

    def put(text: str, at: int) -> bool:
        at = max(0, min(at, len(axis) - len(text)))
        if any(ch != " " for ch in axis[max(0, at - 1) : at + len(text) + 1]):
            return False
        axis[at : at + len(text)] = list(text)
        return True

    put(f"{report.x_name} {_x(report.x[0])}", 0)
    last = _x(report.x[-1])
    put(last, plot_w + 1 - len(last))
    if best_col is not None:
        put(f"best {_x(report.best_epoch)}", best_col - 2)
    out.append(" " * (lw + 1) + "".join(axis).rstrip() + "\n")

    # legend
    t_mark, v_mark = ("⠒⠒", "⠒⠒") if unicode else ("*", "o")
    out.append(" " * (lw + 2))
    out.append(t_mark, style=TRAIN_STYLE)
    out.append(" train (")
    out.append(Text(safe_text(report.train_column)))
    out.append(")")
    if report.val_column is not None:
        out.append("   ")
        out.append(v_mark, style=VAL_STYLE)
        out.append(" val (")
        out.append(Text(safe_text(report.val_column)))
        out.append(")")
    if best_col is not None:
        out.append("   ")
        out.append("┊" if unicode else ":", style=MARK_STYLE)
        out.append(f" best {report.x_name}")
    if since_col is not None:
        out.append("   ")
        out.append("~", style=OVERFIT_STYLE)
        out.append(" overfitting")
    out.append("\n")
    return out


# ------------------------------------------------------------------------------- PNG


def _mpl_text(text: str) -> str:
    """Untrusted text for matplotlib: ``$`` would start mathtext."""
    return safe_text(text).replace("$", r"\$")


def write_plot(report: HistoryReport, path: str | os.PathLike[str]) -> None:
    """The seed's figure as a PNG (PLOT_SIZE × PLOT_DPI pixels), written atomically:
    training and validation curves, x label Epoch (or Step), y label Loss, legend, the
    best epoch marked, the overfitting region shaded. Needs the ``plot`` extra."""
    try:
        import matplotlib  # noqa: F401  (imported first: a clear ImportError if absent)
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise UsageError(
            "--plot needs matplotlib, which is not installed: install losscli[plot] "
            "(pip install 'losscli[plot]')"
        ) from None

    def series(ys: Sequence[float | None]) -> tuple[list[float], list[float]]:
        pts = [(float(x), y) for x, y in zip(report.x, ys, strict=True) if y is not None]
        return [p[0] for p in pts], [p[1] if math.isfinite(p[1]) else math.nan for p in pts]

    fig = Figure(figsize=PLOT_SIZE, dpi=PLOT_DPI)
    FigureCanvasAgg(fig)  # the Agg backend, without touching pyplot's global state
    ax = fig.add_subplot()
    tx, ty = series(report.train)
    ax.plot(tx, ty, label=f"Training Loss ({_mpl_text(report.train_column)})", color="tab:blue")
    if report.val is not None and report.val_column is not None:
        vx, vy = series(report.val)
        ax.plot(
            vx, vy, label=f"Validation Loss ({_mpl_text(report.val_column)})", color="tab:orange"
        )
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
            [report.best_val_loss],
            marker="o",
            color="tab:green",
            linestyle="none",
            label=f"Best {report.x_name} {_x(report.best_epoch)}",
        )
    ax.set_xlabel("Epoch" if report.x_name == "epoch" else "Step")
    ax.set_ylabel("Loss")
    ax.set_title(f"{_mpl_text(Path(report.file).name)}: {report.verdict}")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()

    write_atomic(path, lambda fh: fig.savefig(fh, format="png", dpi=PLOT_DPI), binary=True)
