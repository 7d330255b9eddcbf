"""One call for an evaluation: every interval and every paired comparison (issue 14).

The engine accumulates, per model and loss, the bucket states ``S`` (K × F, rows =
buckets from :func:`losscli.uncertainty.buckets.bucket_of`, the same assignment for
every model) and calls :func:`analyse`; with ``--by``, :func:`analyse_groups` for all
groups at once (the weights depend on the seed and the bucket only, so every group sees
the same resamples: drawn once) and then :func:`correct` over all groups' comparisons
for Holm.

All intervals come from ONE product ``W.T @ [S_model,loss …]`` (over many groups, a few
products of at most 2²¹ replicate sums each); all permutation tests from one more. The
weights of more than 1024 buckets are drawn block by block inside the product
(:class:`losscli.uncertainty.resample.Draws`), never held whole. The point values are
the exact full-data values ``f(S.sum(0))``.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal, TypeVar

import numpy as np
import numpy.typing as npt

from losscli.uncertainty import buckets, options, resample
from losscli.uncertainty.options import MAX_RESAMPLES as MAX_RESAMPLES
from losscli.uncertainty.options import MIN_RESAMPLES as MIN_RESAMPLES
from losscli.uncertainty.options import MIN_ROWS as MIN_ROWS
from losscli.uncertainty.resample import Comparison, Convention, Interval, Test
from losscli.uncertainty.states import LossState

FloatArray = npt.NDArray[np.float64]
Correction = Literal["none", "holm"]
Key = TypeVar("Key", bound=Hashable)


@dataclass(frozen=True)
class Settings:
    """The bootstrap's settings, printed with every result (``bootstrap`` in the JSON)."""

    level: float = 0.95
    resamples: int = resample.DEFAULT_RESAMPLES
    seed: int = resample.DEFAULT_SEED
    test: Test = "bootstrap"
    correction: Correction = "none"
    convention: Convention = "centered"
    n_buckets: int = buckets.DEFAULT_BUCKETS
    method: str = "percentile bootstrap, Poisson weights over hashed row buckets"

    def __post_init__(self) -> None:
        found = options.problem(self.level, self.resamples, self.test, self.correction)
        if found is not None:
            raise ValueError(found)


@dataclass(frozen=True)
class Analysis:
    """Intervals keyed by (model, loss); comparisons by (model, loss) against ``baseline``."""

    intervals: dict[tuple[str, str], Interval]
    comparisons: dict[tuple[str, str], Comparison]
    baseline: str | None
    settings: Settings


States = Mapping[str, Mapping[str, FloatArray]]
#: the values of B replicates per (model, loss) and B × ΣF floats at a time at most
_BATCH_FLOATS = 1 << 21
#: weights held whole up to this many buckets (then drawn block by block: Draws)
_HELD_BUCKETS = 1024


def analyse(
    states: States,
    losses: Mapping[str, LossState],
    settings: Settings | None = None,
    *,
    baseline: str | None = None,
) -> Analysis:
    """Intervals for every ``states[model][loss]`` and paired comparisons of every other
    model with ``baseline`` (default: the first model, when there are two or more).

    Every state array has the same number of rows K' ≤ ``settings.n_buckets`` (trailing
    empty buckets may be dropped); ``losses[loss]`` is the loss's :class:`LossState`.
    Holm's correction, when asked, runs over this call's comparisons (use
    :func:`correct` across groups instead).
    """
    return analyse_groups([states], losses, settings, baseline=baseline)[0]


def analyse_groups(
    groups: Sequence[States],
    losses: Mapping[str, LossState],
    settings: Settings | None = None,
    *,
    baseline: str | None = None,
) -> list[Analysis]:
    """:func:`analyse` of each group's states, with the same weights for every group
    (they depend on the seed and the bucket only) drawn once, and the replicates of
    many groups in one product. Holm's correction, when asked, runs over every group's
    comparisons together."""
    cfg = settings or Settings()
    plans = [_plan(states, baseline) for states in groups]
    k = {
        np.asarray(st[m][loss]).shape[0]
        for st, (_, cells) in zip(groups, plans, strict=True)
        for m, loss in cells
    }
    if len(k) > 1 or any(x > cfg.n_buckets for x in k):
        raise ValueError("every state must have the same number of buckets, ≤ n_buckets")
    n = k.pop() if k else 0
    weights: resample.Weights = resample.Draws(cfg.seed, cfg.resamples)
    masks: resample.Weights = resample.Draws(cfg.seed, cfg.resamples, swap=True)
    if n <= _HELD_BUCKETS:
        weights = resample.poisson_weights(cfg.seed, cfg.resamples, max(n, 1))
        if cfg.test == "permutation":
            masks = resample.swap_masks(cfg.seed, cfg.resamples, max(n, 1))
    values = _values(groups, plans, losses, weights, cfg.resamples)
    out = []
    for states, (base, cells), vals in zip(groups, plans, values, strict=True):
        out.append(_analysis(states, losses, cfg, base, cells, vals, masks))
    if cfg.correction == "holm":
        every = {(i, key): c for i, a in enumerate(out) for key, c in a.comparisons.items()}
        fixed = correct(every, cfg.level)
        out = [
            replace(a, comparisons={key: fixed[i, key] for key in a.comparisons})
            for i, a in enumerate(out)
        ]
    return out


def _plan(states: States, baseline: str | None) -> tuple[str | None, list[tuple[str, str]]]:
    models = list(states)
    if baseline is not None and baseline not in states:
        raise ValueError(f"baseline {baseline!r} names no model; models: {', '.join(models)}")
    base = baseline if baseline is not None else (models[0] if len(models) > 1 else None)
    return base, [(m, loss) for m in models for loss in states[m]]


def _values(
    groups: Sequence[States],
    plans: Sequence[tuple[str | None, list[tuple[str, str]]]],
    losses: Mapping[str, LossState],
    weights: resample.Weights,
    resamples: int,
) -> list[dict[tuple[str, str], FloatArray]]:
    """Every group's replicate values, from as few ``W.T @ S`` products as memory allows."""
    out: list[dict[tuple[str, str], FloatArray]] = [{} for _ in groups]
    batch: list[tuple[int, tuple[str, str]]] = []
    width = 0

    def flush() -> None:
        blocks = [(groups[g][m][loss], losses[loss]) for g, (m, loss) in batch]
        for (g, cell), v in zip(batch, resample.replicate_values(blocks, weights), strict=True):
            out[g][cell] = v
        batch.clear()

    for g, (_, cells) in enumerate(plans):
        for m, loss in cells:
            width += losses[loss].n_fields
            batch.append((g, (m, loss)))
        if width * resamples >= _BATCH_FLOATS:
            flush()
            width = 0
    if batch:
        flush()
    return out


def _analysis(
    states: States,
    losses: Mapping[str, LossState],
    cfg: Settings,
    base: str | None,
    cells: list[tuple[str, str]],
    values: Mapping[tuple[str, str], FloatArray],
    masks: resample.Weights,
) -> Analysis:
    if not cells:
        return Analysis({}, {}, base, cfg)
    lows, highs = resample.percentile_intervals(np.stack([values[c] for c in cells]), cfg.level)
    intervals = {
        (m, loss): Interval(
            losses[loss].value(np.asarray(states[m][loss]).sum(axis=0)), float(lo), float(hi)
        )
        for (m, loss), lo, hi in zip(cells, lows, highs, strict=True)
    }
    compared = [(m, loss) for m, loss in cells if base is not None and m != base]
    compared = [(m, loss) for m, loss in compared if loss in states[base or ""]]
    comparisons = _compare(compared, base or "", states, losses, intervals, values, masks, cfg)
    return Analysis(intervals, comparisons, base, cfg)


def _compare(
    cells: list[tuple[str, str]],
    base: str,
    states: States,
    losses: Mapping[str, LossState],
    intervals: Mapping[tuple[str, str], Interval],
    values: Mapping[tuple[str, str], FloatArray],
    masks: resample.Weights,
    cfg: Settings,
) -> dict[tuple[str, str], Comparison]:
    if not cells:
        return {}
    if cfg.test == "permutation":
        pairs = [(states[m][loss], states[base][loss], losses[loss]) for m, loss in cells]
        p_values = resample.permutation_p_values(pairs, masks, cfg.convention)
    else:
        p_values = [float("nan")] * len(cells)
    reps_all = np.stack([values[m, loss] - values[base, loss] for m, loss in cells])
    lows, highs = resample.percentile_intervals(reps_all, cfg.level)
    out: dict[tuple[str, str], Comparison] = {}
    alpha = 1.0 - cfg.level
    for i, ((m, loss), p_perm) in enumerate(zip(cells, p_values, strict=True)):
        delta = intervals[m, loss].point - intervals[base, loss].point
        p = (
            p_perm
            if cfg.test == "permutation"
            else resample.bootstrap_p_value(delta, reps_all[i], cfg.convention)
        )
        gib = losses[loss].greater_is_better
        verdict = resample.verdict(delta, p, alpha, gib)
        out[m, loss] = Comparison(delta, float(lows[i]), float(highs[i]), p, verdict, gib)
    return out


def correct(comparisons: Mapping[Key, Comparison], level: float) -> dict[Key, Comparison]:
    """Holm's step-down correction across the given cells: each gets ``p_adjusted`` and
    a verdict judged on it (the raw ``p_value`` is kept)."""
    keys = list(comparisons)
    adjusted = resample.holm([comparisons[key].p_value for key in keys])
    out: dict[Key, Comparison] = {}
    for key, p in zip(keys, adjusted, strict=True):
        c = comparisons[key]
        found = resample.verdict(c.delta, p, 1.0 - level, c.greater_is_better)
        out[key] = replace(c, p_adjusted=p, verdict=found)
    return out
