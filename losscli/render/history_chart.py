"""The terminal chart of ``losscli history``, drawn by hand (no plotting library).

A grid of ``height`` rows by ``width`` columns in which each series is drawn as
straight segments between its points (Bresenham). On a terminal every cell is a
braille character (2×4 dots per cell, so a 64-column plot has 128 × 48 dots);
elsewhere it is plain ASCII, one dot per cell, each series with its own mark. A
series of more points than dot columns is first reduced to the first, lowest,
highest and last point of each dot column (what the raster would keep anyway), so
drawing costs what the chart's width does, not what the number of points does; a
history curve's arrays are read as they are. A cell holding two
main series is drawn in ``BOTH_STYLE`` (``#`` in ASCII); faint series (the raw curve
under its smoothed one) give way to main ones. Untrusted text (labels) only ever
enters rich as :class:`rich.text.Text`.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from losscli.history.model import Axis, Curve
from losscli.render import fmt_number, safe_text

BOTH_STYLE = "bold white"
MARK_STYLE = "magenta"
OVERFIT_STYLE = "red"

# braille dot bits, indexed [row][col] inside a 2-wide, 4-high cell
_BRAILLE = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))


@dataclass(frozen=True)
class Series:
    """One curve: a label, its points, a rich style, an ASCII mark; ``faint`` series
    (raw values under a smoothed curve) are drawn only where no main series is."""

    label: str
    xs: Sequence[float]
    ys: Sequence[float | None] | None
    style: str
    mark: str
    faint: bool = False


def finite_runs(xs: Sequence[float], ys: Sequence[float | None] | None) -> list[Any]:
    """Runs of consecutive finite points as (x array, y array); a non-finite value
    breaks the line, a missing one (not logged) does not."""
    import numpy as np

    if ys is None:
        return []
    curve = Curve.of(ys)  # a history curve already holds its arrays
    keep = ~curve.missing
    y = curve.values[keep]
    x = _floats(xs)[keep]
    bad = np.flatnonzero(~np.isfinite(y))
    edges = [-1, *bad.tolist(), len(y)]
    return [(x[a + 1 : b], y[a + 1 : b]) for a, b in itertools.pairwise(edges) if b > a + 1]


def _floats(xs: Sequence[float]) -> Any:
    """``xs`` as a float64 array (a history :class:`Axis` gives its own)."""
    import numpy as np

    return np.asarray(xs.values if isinstance(xs, Axis) else xs, dtype=np.float64)


def _min(a: Any) -> Any:
    return a.min()


def _max(a: Any) -> Any:
    return a.max()


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


class _Frame:
    """Data → dot coordinates. Halves everywhere: a range of ±1e308 would overflow."""

    def __init__(self, xs: list[float], ys: list[float], dots_w: int, dots_h: int) -> None:
        y_lo, y_hi = min(ys), max(ys)
        if y_hi / 2 - y_lo / 2 < 1e-12 * max(1.0, abs(y_hi)):
            y_lo = max(y_lo - 0.5 * max(abs(y_lo), 1.0), -sys.float_info.max)
            y_hi = min(y_hi + 0.5 * max(abs(y_hi), 1.0), sys.float_info.max)
        x_lo, x_hi = min(xs), max(xs)
        if x_hi == x_lo:
            x_hi = x_lo + 1.0
        self.y_lo, self.y_hi, self.x_lo = y_lo, y_hi, x_lo
        self.y_half, self.x_half = y_hi / 2 - y_lo / 2, x_hi / 2 - x_lo / 2
        self.dots_w, self.dots_h = dots_w, dots_h

    def col(self, x: float) -> int:
        return round((x / 2 - self.x_lo / 2) / self.x_half * (self.dots_w - 1))

    def row(self, y: float) -> int:
        return round((self.y_hi / 2 - y / 2) / self.y_half * (self.dots_h - 1))


def _decimate(run: Any, frame: _Frame) -> list[tuple[int, int]]:
    """The run as dots, at most first/lowest/highest/last per dot column, in order."""
    import numpy as np

    xs, ys = run
    with np.errstate(all="ignore"):
        cols = np.rint((xs / 2 - frame.x_lo / 2) / frame.x_half * (frame.dots_w - 1))
        rows = np.rint((frame.y_hi / 2 - ys / 2) / frame.y_half * (frame.dots_h - 1))
    if len(xs) <= 4 * frame.dots_w:
        return list(zip(cols.astype(int).tolist(), rows.astype(int).tolist(), strict=True))
    starts = np.flatnonzero(np.r_[True, cols[1:] != cols[:-1]])
    ends = np.r_[starts[1:], len(cols)] - 1
    lo = np.minimum.reduceat(rows, starts)
    hi = np.maximum.reduceat(rows, starts)
    dots: list[tuple[int, int]] = []
    for c, first, mn, mx, last in zip(
        cols[starts].astype(int).tolist(),
        rows[starts].astype(int).tolist(),
        lo.astype(int).tolist(),
        hi.astype(int).tolist(),
        rows[ends].astype(int).tolist(),
        strict=True,
    ):
        for r in dict.fromkeys((first, mn, mx, last)):  # in order, duplicates dropped
            dots.append((c, r))
    return dots


def _raster(runs: list[list[Any]], frame: _Frame) -> set[tuple[int, int]]:
    dots: set[tuple[int, int]] = set()
    for run in runs:
        prev = None
        for d in _decimate(run, frame):
            if prev is None:
                dots.add(d)
            else:
                dots.update(_line(prev[0], prev[1], d[0], d[1]))
            prev = d
    return dots


def draw(
    series: Sequence[Series],
    *,
    x_name: str,
    x_first: str,
    x_last: str,
    best: tuple[float, str] | None = None,
    since: float | None = None,
    width: int = 80,
    height: int = 12,
    unicode: bool = True,
) -> Any:
    """All ``series`` in ``width`` columns (y labels included) and ``height`` rows, an x
    axis (``best`` marked, ``~`` from ``since`` on), its labels and a legend."""
    from rich.text import Text

    runs = [finite_runs(s.xs, s.ys) for s in series]
    ys = [float(v) for rs in runs for run in rs for v in (run[1].min(), run[1].max())]
    out = Text()
    if not ys:
        out.append("(no finite loss values to draw)\n")
        return out
    xs = [float(f(_floats(s.xs))) for s in series if len(s.xs) for f in (_min, _max)]
    probe = _Frame(xs, ys, 2, 2)
    labels = [
        fmt_number(probe.y_hi, 3),
        fmt_number(probe.y_lo / 2 + probe.y_hi / 2, 3),
        fmt_number(probe.y_lo, 3),
    ]
    lw = max(len(s) for s in labels)
    plot_w = max(10, width - lw - 2)
    sx, sy = (2, 4) if unicode else (1, 1)
    frame = _Frame(xs, ys, plot_w * sx, height * sy)
    dots = [_raster(rs, frame) for rs in runs]
    best_col = frame.col(best[0]) // sx if best is not None else None
    since_col = frame.col(since) // sx if since is not None else None
    v_axis = "│" if unicode else "|"
    label_rows = {0: labels[0], (height - 1) // 2: labels[1], height - 1: labels[2]}
    for r in range(height):
        out.append(label_rows.get(r, "").rjust(lw) + " " + v_axis)
        for c in range(plot_w):
            _cell(out, series, dots, r, c, sx, sy, unicode, c == best_col)
        out.append("\n")
    _axis(out, lw, plot_w, best_col, since_col, unicode)
    _x_labels(out, lw, plot_w, x_name, x_first, x_last, best, best_col)
    _legend(out, lw, series, best_col is not None, since_col is not None, x_name, unicode)
    return out


def _cell(
    out: Any,
    series: Sequence[Series],
    dots: list[set[tuple[int, int]]],
    r: int,
    c: int,
    sx: int,
    sy: int,
    unicode: bool,
    is_best: bool,
) -> None:
    bits_of = []
    for d in dots:
        bits = 0
        for dr in range(sy):
            for dc in range(sx):
                if (c * sx + dc, r * sy + dr) in d:
                    bits |= _BRAILLE[dr][dc] if unicode else 1
        bits_of.append(bits)
    present = [i for i, b in enumerate(bits_of) if b]
    if not present:
        if is_best:
            out.append("┊" if unicode else ":", style=MARK_STYLE)
        else:
            out.append(" ")
        return
    main = [i for i in present if not series[i].faint]
    shown = main or present
    if unicode:
        union = 0
        for i in present:
            union |= bits_of[i]
        ch = chr(0x2800 + union)
    else:
        ch = "#" if len(main) > 1 else series[shown[0]].mark
    style = BOTH_STYLE if len(main) > 1 else series[shown[0]].style
    out.append(ch, style=style)


def _axis(
    out: Any, lw: int, plot_w: int, best_col: int | None, since_col: int | None, unicode: bool
) -> None:
    """x axis: ─ everywhere, ~ over the overfitting region, ┴ / ^ at the best epoch."""
    h_axis, corner = ("─", "└") if unicode else ("-", "+")
    out.append(" " * lw + " " + corner)
    for c in range(plot_w):
        if c == best_col:
            out.append("┴" if unicode else "^", style=MARK_STYLE)
        elif since_col is not None and c >= since_col:
            out.append("~", style=OVERFIT_STYLE)
        else:
            out.append(h_axis)
    out.append("\n")


def _x_labels(
    out: Any,
    lw: int,
    plot_w: int,
    x_name: str,
    x_first: str,
    x_last: str,
    best: tuple[float, str] | None,
    best_col: int | None,
) -> None:
    """First and last x, and the best epoch where it fits between them."""
    axis = [" "] * (plot_w + 1)

    def put(text: str, at: int) -> None:
        at = max(0, min(at, len(axis) - len(text)))
        if any(ch != " " for ch in axis[max(0, at - 1) : at + len(text) + 1]):
            return
        axis[at : at + len(text)] = list(text)

    put(f"{x_name} {x_first}", 0)
    put(x_last, plot_w + 1 - len(x_last))
    if best is not None and best_col is not None:
        put(f"best {best[1]}", best_col - 2)
    out.append(" " * (lw + 1) + "".join(axis).rstrip() + "\n")


def _legend(
    out: Any,
    lw: int,
    series: Sequence[Series],
    has_best: bool,
    has_since: bool,
    x_name: str,
    unicode: bool,
) -> None:
    from rich.text import Text

    out.append(" " * (lw + 2))
    first = True
    for s in series:
        if s.faint or s.ys is None:
            continue
        if not first:
            out.append("   ")
        first = False
        out.append("⠒⠒" if unicode else s.mark, style=s.style)
        out.append(" ")
        out.append(Text(safe_text(s.label)))
    if has_best:
        out.append("   ")
        out.append("┊" if unicode else ":", style=MARK_STYLE)
        out.append(f" best {x_name}")
    if has_since:
        out.append("   ")
        out.append("~", style=OVERFIT_STYLE)
        out.append(" overfitting")
    out.append("\n")
