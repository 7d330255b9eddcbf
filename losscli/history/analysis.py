"""Curve analysis: best epoch, final losses, gap, and a noise-robust verdict.

A pure function of aligned curves (:func:`analyse`), computed on their numpy arrays
(:class:`~losscli.history.model.Curve`: values and a missing mask), so that judging a
curve costs a few array passes whatever its length; numpy is imported inside the
functions. The rules, stated on the values (the code applies them to whole arrays),
with ``p`` = ``--patience`` (default 3):

Smoothing and noise
-------------------
* The verdict is judged on curves smoothed by TensorBoard's debiased EMA (its
  smoothing slider, ``vz_line_chart2`` ``resmoothDataset``): over the logged finite
  values ``last = w·last + (1 − w)·v``, ``k += 1``, ``smoothed = last / (1 − wᵏ)``;
  a non-finite value is passed through and does not enter ``last``. The weight ``w``
  (``--smoothing``) defaults to ``1 − 2 / (s + 1)`` with span ``s = ⌊n / 20⌋`` for a
  curve of ``n`` points, i.e. ``0`` (no smoothing) below 40 points: a window of about
  5 % of the run.
* The noise ``σ`` of a curve is estimated from the residuals of a running median of
  three, ``rᵢ = yᵢ − median(yᵢ₋₁, yᵢ, yᵢ₊₁)``: ``σ = median|r| / 0.3136`` (0.3136 is
  median|r| for i.i.d. standard normal values, by simulation). A monotone stretch of
  the curve, however steep or curved, has ``r = 0``, and the median ignores a single
  turn (the minimum of a V): only wiggles all along the curve count as noise.
* ``d`` = ``--min-delta``; by default the noise left after smoothing (one standard
  deviation), ``d = σ·√((1 − w)/(1 + w))`` (an EMA of white noise has variance
  ``σ²(1 − w)/(1 + w)``), computed for each curve.
* Rank trend test (used only when ``w > 0``, on at least 10 points): Spearman's ρ
  between the raw values and their index (average ranks for ties),
  ``z = ρ·√(m − 1)``; a rise is significant when ``z > 1.645``, a fall when
  ``z < −1.645`` (one-sided 5 %).

Numbers (always on the raw values, what a person reading the log writes down)
-------------------------------------------------------------------------------
**best epoch** = the first point where the validation loss is lowest; best value;
final train and validation loss = last value logged in each column; ``gap`` = final
validation − final training loss; gap at the best epoch = best validation − training
loss at that point.

Verdict (the first rule that holds; ``S``, ``V`` = smoothed training/validation curve)
----------------------------------------------------------------------------------------
1. ``diverged`` – a raw loss value is NaN or ±inf, or ``S_last > S_first + |S_first|``.
2. ``underfitting`` – the training loss did not fall, or not meaningfully:
   ``S_last ≥ S_first − max(d, f)``, with ``f = 1 % · |S_first|`` unless ``--min-delta``
   is given (then ``f = 0``). A loss that moves 0.07 % over a run is flat on any plot
   of it, however smooth (its noise, and so ``d``, can be ~0): a person calls that
   run stuck, not converged. Every fixture and real log tried fell by 28 % or more.
3. ``overfitting`` – after ``V``'s minimum, ``V > V_min + d`` from some point on and at
   every later point, for at least ``p`` points, while ``S`` kept falling
   (``S_last < S`` at the minimum ``− d``); with ``w > 0`` and ≥ 10 points after the
   minimum, the raw validation values after it must also rise significantly (rank
   test). ``overfitting_since`` = the first of those points.
4. ``improving`` – fewer than ``p`` points come after ``V``'s minimum, or (``w > 0``)
   the last half of the curve (≥ 10 points) still falls significantly (rank test).
5. ``converged`` – otherwise.

Without a validation column rules 1, 2, then 4–5 on the training curve. With
``--smoothing 0 --min-delta 0`` these are exactly the unsmoothed rules of session 1.

For ``overfitting`` the recommendation is to stop at the best epoch: what Keras
``EarlyStopping(patience=p, min_delta=d, restore_best_weights=True)`` and Lightning
``EarlyStopping(patience=p, min_delta=d)`` + ``ModelCheckpoint`` give: both count a point
as an improvement iff ``val < best_so_far − d``, reset the counter there, and stop once it
reaches ``p`` (Keras ``callbacks/early_stopping.py`` ``_is_improvement``; Lightning
``_evaluate_stopping_criteria``). :func:`early_stopping` replays exactly that on the raw
validation values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from losscli.errors import InputError, UsageError
from losscli.history.model import (
    DEFAULT_PATIENCE,
    Axis,
    Curve,
    HistoryReport,
    Number,
    TrainingLog,
    Value,
    fmt_g,
    fmt_x,
)

#: Spearman z above which a trend counts (one-sided 5 %).
TREND_Z = 1.645
#: Fewest points for the rank trend test.
TREND_MIN_POINTS = 10
#: Median of |y_i − median(y_{i−1}, y_i, y_{i+1})| for i.i.d. N(0, 1) values
#: (simulated, 10⁷ draws): the constant that turns the residuals' median into σ.
MEDIAN3_MAD = 0.3136
#: Smoothing span as a share of the run: s = n // SPAN_DIVISOR.
SPAN_DIVISOR = 20
#: A training loss that falls by less than this share of its first value did not
#: learn (rule 2), unless --min-delta is given.
STUCK_FRACTION = 0.01


def early_stopping(
    values: Sequence[float], *, patience: int, min_delta: float = 0.0
) -> tuple[int | None, int | None]:
    """Replay Keras/Lightning ``EarlyStopping(mode="min")`` on a validation series.

    Improvement iff ``v < best − min_delta`` (then ``best = v`` and the wait counter is
    reset), else ``wait += 1`` and training stops when ``wait ≥ patience``. Returns
    ``(kept, stopped)``: the index of the last improvement (what
    ``restore_best_weights=True`` keeps) and the index at which training would have
    stopped (None if it would have run to the end).

    Computed without walking every value: an improvement is always a new strict
    running minimum (every value since the last improvement is ``≥ best − min_delta``),
    so only those are visited; with ``min_delta = 0`` every one of them is an
    improvement. Training stops at ``last + patience`` for the first improvement
    ``last`` followed by no other within ``patience`` values. NaN never improves.
    """
    import numpy as np

    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        return None, None
    before = np.minimum.accumulate(np.where(np.isnan(v), np.inf, v))
    prior = np.concatenate(([np.inf], before[:-1]))
    candidates = np.flatnonzero(v < prior)  # new strict running minima
    if min_delta == 0.0:
        improvements = candidates
    else:
        kept_list: list[int] = []
        best = math.inf
        for i, value in zip(candidates.tolist(), v[candidates].tolist(), strict=True):
            if value < best - min_delta:
                best = value
                kept_list.append(i)
        improvements = np.asarray(kept_list, dtype=np.int64)
    ends = np.concatenate(([-1], improvements, [v.size - 1 + patience + 1]))
    gap = np.flatnonzero(np.diff(ends) > patience)
    last = int(ends[gap[0]]) if gap.size else int(ends[-2])
    stopped = last + patience if last + patience <= v.size - 1 else None
    return (None if last < 0 else last), stopped


def default_smoothing(n: int) -> float:
    """EMA weight for a curve of ``n`` points: ``1 − 2/(s + 1)``, ``s = n // 20``."""
    span = n // SPAN_DIVISOR
    return 0.0 if span <= 1 else 1.0 - 2.0 / (span + 1)


def ema(values: Sequence[Value], weight: float) -> Curve:
    """TensorBoard's debiased EMA (module docstring); a missing point stays missing."""
    import numpy as np

    curve = Curve.of(values)
    if weight == 0.0:
        return curve
    finite = np.isfinite(curve.values)
    if len(curve) > 10_000 and weight >= 0.5:
        smoothed = _ema_blocks(curve.values[finite], weight)
    else:
        smoothed = _ema_loop(curve.values[finite].tolist(), weight)
    out = curve.values.copy()  # non-finite values pass through
    out[finite] = smoothed
    return Curve(out, curve.missing)


def _ema_loop(values: list[float], weight: float) -> list[float]:
    """The recurrence one value at a time (short curves, small weights)."""
    out: list[float] = []
    append = out.append
    last, power, rest = 0.0, 1.0, 1.0 - weight
    for v in values:
        last = last * weight + rest * v
        power *= weight  # weight**k after k values
        append(last / (1.0 - power))
    return out


def _ema_blocks(v: Any, weight: float) -> Any:
    """The recurrence a block of ``L`` values at a time: inside a block,
    ``last_k = wᵏ·(last₀ + (1 − w)·Σ_{j≤k} w⁻ʲ·v_j)``, with ``L`` small enough that
    ``w⁻ᴸ`` stays below 1e100 (no overflow, little rounding)."""
    import numpy as np

    out = np.empty_like(v)
    block = max(1, min(4096, int(100 / -math.log10(weight))))
    steps = np.arange(1, block + 1, dtype=np.float64)
    up, down = weight**steps, weight ** (-steps)  # the same for every block
    last, count = 0.0, 0
    for start in range(0, len(v), block):
        seg = v[start : start + block]
        m = len(seg)
        acc = up[:m] * (last + (1.0 - weight) * np.cumsum(seg * down[:m]))
        out[start : start + m] = acc / (1.0 - weight ** (count + steps[:m]))
        last, count = float(acc[-1]), count + m
    return out


def noise_sigma(values: Sequence[float]) -> float:
    """Noise estimate from the residuals of a running median of 3 (module docstring)."""
    import numpy as np

    y = np.asarray(values, dtype=np.float64)
    y = y[np.isfinite(y)]
    if y.size < 3:
        return 0.0
    a, b, c = y[:-2], y[1:-1], y[2:]
    with np.errstate(all="ignore"):
        med = np.maximum(np.minimum(a, b), np.minimum(np.maximum(a, b), c))
        sigma = float(np.median(np.abs(b - med))) / MEDIAN3_MAD
    return sigma if math.isfinite(sigma) else 0.0


def trend_z(values: Sequence[float]) -> float:
    """Spearman's ρ of ``values`` against their index, as ``z = ρ·√(m − 1)``."""
    import numpy as np

    y = np.asarray(values, dtype=np.float64)
    m = y.size
    if m < 3:
        return 0.0
    _, inverse, counts = np.unique(y, return_inverse=True, return_counts=True)
    ranks = (np.cumsum(counts) - (counts - 1) / 2.0)[inverse.reshape(-1)]
    idx = np.arange(1, m + 1, dtype=np.float64)
    rc, ic = ranks - ranks.mean(), idx - idx.mean()
    denom = math.sqrt(float(rc @ rc) * float(ic @ ic))
    return 0.0 if denom == 0 else float(rc @ ic) / denom * math.sqrt(m - 1)


def _check_options(patience: int, min_delta: float | None, smoothing: float | None) -> None:
    if isinstance(patience, bool) or not isinstance(patience, int) or patience < 1:
        raise UsageError(f"--patience must be a whole number >= 1, got {patience!r}")
    if min_delta is not None and not (math.isfinite(min_delta) and min_delta >= 0):
        raise UsageError(f"--min-delta must be a finite number >= 0, got {min_delta!r}")
    if smoothing is not None and not (0.0 <= smoothing < 1.0):
        raise UsageError(f"--smoothing must be in [0, 1), got {smoothing!r}")


@dataclass
class _Curves:
    """The aligned curves and what the rules derive from them; ``t_idx``/``v_idx`` are
    the (sorted) indices of the points where each curve was logged."""

    xs: Axis
    tr: Curve
    va: Curve | None
    s_tr: Curve
    s_va: Curve | None
    t_idx: Any
    v_idx: Any
    w: float
    d_t: float
    d_v: float
    patience: int
    x_name: str
    unit: str
    stuck: float = 0.0  # the share of rule 2 (0 when --min-delta is given)

    def at(self, i: int) -> str:
        return f"{self.x_name} {fmt_x(self.xs[i])}"


def _delta(values: Any, w: float, min_delta: float | None) -> tuple[float, float]:
    """(noise σ, d) of one curve."""
    sigma = noise_sigma(values)
    if min_delta is not None:
        return sigma, float(min_delta)
    return sigma, sigma * math.sqrt((1.0 - w) / (1.0 + w))


def analyse(
    x: Sequence[Number],
    train: Sequence[Value],
    val: Sequence[Value] | None = None,
    *,
    patience: int = DEFAULT_PATIENCE,
    min_delta: float | None = None,
    smoothing: float | None = None,
    file: str = "",
    format: str = "generic",
    x_name: str = "epoch",
    train_column: str = "train_loss",
    val_column: str | None = None,
    run: int = 1,
    runs: int = 1,
) -> HistoryReport:
    """Analyse aligned loss curves (``None`` = not logged at that point; any sequence,
    or the :class:`~losscli.history.model.Axis`/``Curve`` of a
    :class:`~losscli.history.model.TrainingLog`). Pure function.

    ``min_delta``/``smoothing`` None: derived from the curves (module docstring).
    """
    import numpy as np

    _check_options(patience, min_delta, smoothing)
    xs, tr = Axis.of(x), Curve.of(train)
    va = None if val is None else Curve.of(val)
    if len(tr) != len(xs) or (va is not None and len(va) != len(xs)):
        raise ValueError("x, train and val must have the same length")
    t_idx = np.flatnonzero(~tr.missing)
    v_idx = np.flatnonzero(~va.missing) if va is not None else np.zeros(0, dtype=np.int64)
    if len(t_idx) < 2:
        where = f"{file}: " if file else ""
        raise InputError(
            f"{where}only {len(t_idx)} point(s) with a training loss in column "
            f"{train_column!r}; need at least 2"
        )
    if not len(v_idx):
        va, val_column = None, None
    judged = v_idx if va is not None else t_idx
    w = default_smoothing(len(judged)) if smoothing is None else float(smoothing)
    sigma_t, d_t = _delta(tr.values[t_idx], w, min_delta)
    sigma_v, d_v = sigma_t, d_t
    if va is not None:
        sigma_v, d_v = _delta(va.values[v_idx], w, min_delta)
    c = _Curves(
        xs=xs,
        tr=tr,
        va=va,
        s_tr=ema(tr, w),
        s_va=ema(va, w) if va is not None else None,
        t_idx=t_idx,
        v_idx=v_idx,
        w=w,
        d_t=d_t,
        d_v=d_v,
        patience=patience,
        x_name=x_name,
        unit="epoch" if x_name == "epoch" and xs.integral() else "evaluation",
        stuck=STUCK_FRACTION if min_delta is None else 0.0,
    )
    return _report(c, file, format, train_column, val_column, sigma_v, run, runs)


def _report(
    c: _Curves,
    file: str,
    format: str,
    train_column: str,
    val_column: str | None,
    sigma: float,
    run: int,
    runs: int,
) -> HistoryReport:
    tr, va, xs = c.tr, c.va, c.xs
    final_train = _get(tr, int(c.t_idx[-1]))
    final_val = _get(va, int(c.v_idx[-1])) if va is not None else None
    best_i = _argmin(va, c.v_idx) if va is not None else None
    best_val = _get(va, best_i) if best_i is not None else None
    train_at_best = _last_at_or_before(tr, best_i) if best_i is not None else None
    kept = stopped = None
    if va is not None:
        k, s = early_stopping(va.values[c.v_idx], patience=c.patience, min_delta=c.d_v)
        kept = int(c.v_idx[k]) if k is not None else None
        stopped = int(c.v_idx[s]) if s is not None else None
    verdict, reason, since = _verdict(c, best_i)
    recommendation = None
    if verdict == "overfitting" and best_i is not None:
        recommendation = (
            f"stop at {c.at(best_i)} (best validation loss {fmt_g(_get(va, best_i))}): "
            f"EarlyStopping(patience={c.patience}, min_delta={fmt_g(c.d_v)}) would have "
            + (f"stopped at {c.at(stopped)}" if stopped is not None else "kept training")
            + (f" and restored {c.at(kept)}" if kept is not None else "")
        )
    return HistoryReport(
        file=file,
        format=format,
        x_name=c.x_name,
        points=len(xs),
        train_column=train_column,
        val_column=val_column,
        best_epoch=xs[best_i] if best_i is not None else None,
        best_val_loss=best_val,
        final_train_loss=final_train,
        final_val_loss=final_val,
        gap=_diff(final_val, final_train),
        gap_at_best=_diff(best_val, train_at_best),
        verdict=verdict,
        reason=reason,
        overfitting_since=since,
        patience=c.patience,
        min_delta=float(c.d_v if va is not None else c.d_t),
        stopped_epoch=xs[stopped] if stopped is not None else None,
        restored_epoch=xs[kept] if kept is not None else None,
        recommendation=recommendation,
        x=xs,
        train=tr,
        val=va,
        smoothing=c.w,
        noise=sigma,
        train_smooth=c.s_tr if c.w > 0 else None,
        val_smooth=c.s_va if c.w > 0 else None,
        run=run,
        runs=runs,
    )


def _diff(a: float | None, b: float | None) -> float | None:
    if a is None or b is None:
        return None
    return a - b


def _get(series: Curve | None, i: int) -> float:
    assert series is not None and not series.missing[i]
    return float(series.values[i])


def _argmin(series: Curve, idx: Any) -> int | None:
    """The first index in ``idx`` where ``series`` is lowest (finite values only: NaN
    and ±inf never win)."""
    import numpy as np

    v = series.values[idx]
    finite = np.isfinite(v)
    if not finite.any():
        return None
    return int(idx[int(np.argmin(np.where(finite, v, np.inf)))])


def _first_non_finite(series: Curve) -> int | None:
    import numpy as np

    bad = np.flatnonzero(~series.missing & ~np.isfinite(series.values))
    return int(bad[0]) if bad.size else None


def _verdict(c: _Curves, raw_best: int | None) -> tuple[str, str, Number | None]:
    """(verdict, one-line reason, overfitting_since) — rules 1–5 of the module docstring."""
    bad = _first_non_finite(c.tr), _first_non_finite(c.va) if c.va is not None else None
    if bad[0] is not None or bad[1] is not None:
        i = min(b for b in bad if b is not None)
        label, series = ("training", c.tr) if bad[0] == i else ("validation", c.va)
        assert series is not None
        return "diverged", f"the {label} loss is {fmt_g(_get(series, i))} at {c.at(i)}", None
    smoothed = " (smoothed)" if c.w > 0 else ""
    t_first, t_last = int(c.t_idx[0]), int(c.t_idx[-1])
    first, last = _get(c.s_tr, t_first), _get(c.s_tr, t_last)
    far = first + abs(first)
    if last > far:
        return (
            "diverged",
            f"the training loss{smoothed} ended at {fmt_g(last)}, far above its first value "
            f"{fmt_g(first)} (more than first + |first| = {fmt_g(far)})",
            None,
        )
    span = f"({fmt_g(first)} at {c.at(t_first)}, {fmt_g(last)} at {c.at(t_last)})"
    if last >= first - c.d_t:
        return "underfitting", f"the training loss{smoothed} did not fall over the run {span}", None
    if last >= first - c.stuck * abs(first):
        fell = (first - last) / abs(first)
        return (
            "underfitting",
            f"the training loss{smoothed} fell by only {100 * fell:.2g} % of its first value "
            f"over the run {span}: stuck, not learning",
            None,
        )
    if c.va is None or c.s_va is None or raw_best is None:
        return _train_only(c, smoothed)
    best_i = _argmin(c.s_va, c.v_idx)
    assert best_i is not None  # every value is finite past rule 1
    overfit = _overfitting(c, best_i, raw_best, last, smoothed)
    if overfit is not None:
        return overfit
    return _improving_or_converged(c, c.s_va, c.va, c.v_idx, best_i, "validation", smoothed)


def _train_only(c: _Curves, smoothed: str) -> tuple[str, str, Number | None]:
    lowest = _argmin(c.s_tr, c.t_idx)
    assert lowest is not None  # every value is finite past rule 1
    verdict, reason, _ = _improving_or_converged(
        c, c.s_tr, c.tr, c.t_idx, lowest, "training", smoothed
    )
    return verdict, reason + "; no validation loss, so no overfitting verdict is possible", None


def _overfitting(
    c: _Curves, best_i: int, raw_best: int, last: float, smoothed: str
) -> tuple[str, str, Number | None] | None:
    import numpy as np

    assert c.s_va is not None and c.va is not None
    best = _get(c.s_va, best_i)
    threshold = best + c.d_v
    b = int(np.searchsorted(c.v_idx, best_i))
    above_after = c.s_va.values[c.v_idx[b + 1 :]] > threshold
    if not above_after.size or not above_after[-1]:
        return None
    below = np.flatnonzero(~above_after)
    start = b + 1 + (int(below[-1]) + 1 if below.size else 0)  # the last run above
    above = len(c.v_idx) - start
    train_at_best = _last_at_or_before(c.s_tr, best_i)
    assert train_at_best is not None
    falling = last < train_at_best - c.d_t
    if above < c.patience or not falling:
        return None
    after = c.va.values[c.v_idx[b + 1 :]]
    if c.w > 0 and len(after) >= TREND_MIN_POINTS and trend_z(after) <= TREND_Z:
        return None  # a plateau with noise, not a rise
    since_i = int(c.v_idx[start])
    if since_i <= raw_best:  # the smoothed curve lags: never before the raw best
        later = c.v_idx[c.v_idx > raw_best]
        since_i = int(later[0]) if later.size else raw_best
    return (
        "overfitting",
        f"after the best {c.at(raw_best)} the validation loss{smoothed} has stayed above "
        f"its minimum + min_delta ({fmt_g(threshold)}) for {above} {c.unit}s since "
        f"{c.at(int(c.v_idx[start]))}, while the training loss{smoothed} kept falling "
        f"({fmt_g(train_at_best)} -> {fmt_g(last)})",
        c.xs[since_i],
    )


def _improving_or_converged(
    c: _Curves,
    s: Curve,
    raw: Curve,
    idx: Any,
    best_i: int,
    label: str,
    smoothed: str,
) -> tuple[str, str, Number | None]:
    import numpy as np

    after = len(idx) - 1 - int(np.searchsorted(idx, best_i))
    best = _get(s, best_i)
    if after < c.patience:
        where = (
            "at the last point"
            if after == 0
            else f"{after} {c.unit}(s) before the end, fewer than patience={c.patience}"
        )
        return (
            "improving",
            f"the lowest {label} loss{smoothed} ({fmt_g(best)}, {c.at(best_i)}) is {where}",
            None,
        )
    tail = raw.values[idx[len(idx) // 2 :]]
    if c.w > 0 and len(tail) >= TREND_MIN_POINTS:
        z = trend_z(tail)
        if z < -TREND_Z:
            return (
                "improving",
                f"the {label} loss is still falling over the last {len(tail)} {c.unit}s "
                f"(rank trend z = {z:.2f})",
                None,
            )
    return (
        "converged",
        f"no new lowest {label} loss{smoothed} in the last {after} {c.unit}s (lowest "
        f"{fmt_g(best)} at {c.at(best_i)})"
        + (" and no sustained rise while the training loss falls" if label == "validation" else ""),
        None,
    )


def _last_at_or_before(series: Curve, i: int) -> float | None:
    """The value logged last at or before point ``i``, else the first one after it."""
    import numpy as np

    logged = np.flatnonzero(~series.missing)
    if not logged.size:
        return None
    k = int(np.searchsorted(logged, i, side="right")) - 1
    return float(series.values[logged[max(k, 0)]])


def analyse_log(
    log: TrainingLog,
    *,
    patience: int = DEFAULT_PATIENCE,
    min_delta: float | None = None,
    smoothing: float | None = None,
) -> HistoryReport:
    """:func:`analyse` applied to a :class:`TrainingLog`."""
    return analyse(
        log.x,
        log.train,
        log.val,
        patience=patience,
        min_delta=min_delta,
        smoothing=smoothing,
        file=log.file,
        format=log.format,
        x_name=log.x_name,
        train_column=log.train_column,
        val_column=log.val_column,
        run=log.run,
        runs=log.runs,
    )
