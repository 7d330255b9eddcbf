"""One call for an evaluation: every interval and every paired comparison (issue 14).

The engine accumulates, per model and loss, the bucket states ``S`` (K × F, rows =
buckets from :func:`losscli.uncertainty.buckets.bucket_of`, the same assignment for
every model) and calls :func:`analyse`; with ``--by`` it calls it once per group (the
weights depend on the seed and the bucket only, so every group sees the same
resamples) and then :func:`correct` over all groups' comparisons for Holm.

All intervals come from ONE product ``W.T @ [S_model,loss …]``; all permutation tests
from one more. The point values are the exact full-data values ``f(S.sum(0))``.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
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


def analyse(
    states: Mapping[str, Mapping[str, FloatArray]],
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
    cfg = settings or Settings()
    models = list(states)
    if baseline is not None and baseline not in states:
        raise ValueError(f"baseline {baseline!r} names no model; models: {', '.join(models)}")
    base = baseline if baseline is not None else (models[0] if len(models) > 1 else None)
    cells = [(m, loss) for m in models for loss in states[m]]
    if not cells:
        return Analysis({}, {}, base, cfg)
    k = {np.asarray(states[m][loss]).shape[0] for m, loss in cells}
    if len(k) != 1 or next(iter(k)) > cfg.n_buckets:
        raise ValueError("every state must have the same number of buckets, ≤ n_buckets")
    weights = resample.poisson_weights(cfg.seed, cfg.resamples, k.pop())
    blocks = [(states[m][loss], losses[loss]) for m, loss in cells]
    values = dict(zip(cells, resample.replicate_values(blocks, weights), strict=True))
    intervals = {
        (m, loss): Interval(
            losses[loss].value(np.asarray(states[m][loss]).sum(axis=0)),
            *resample.percentile_interval(values[m, loss], cfg.level),
        )
        for m, loss in cells
    }
    compared = [(m, loss) for m, loss in cells if base is not None and m != base]
    compared = [(m, loss) for m, loss in compared if loss in states[base or ""]]
    comparisons = _compare(compared, base or "", states, losses, intervals, values, weights, cfg)
    if cfg.correction == "holm":
        comparisons = correct(comparisons, cfg.level)
    return Analysis(intervals, comparisons, base, cfg)


def _compare(
    cells: list[tuple[str, str]],
    base: str,
    states: Mapping[str, Mapping[str, FloatArray]],
    losses: Mapping[str, LossState],
    intervals: Mapping[tuple[str, str], Interval],
    values: Mapping[tuple[str, str], FloatArray],
    weights: FloatArray,
    cfg: Settings,
) -> dict[tuple[str, str], Comparison]:
    if cfg.test == "permutation" and cells:
        masks = resample.swap_masks(cfg.seed, cfg.resamples, weights.shape[0])
        pairs = [(states[m][loss], states[base][loss], losses[loss]) for m, loss in cells]
        p_values = resample.permutation_p_values(pairs, masks, cfg.convention)
    else:
        p_values = [float("nan")] * len(cells)
    out: dict[tuple[str, str], Comparison] = {}
    alpha = 1.0 - cfg.level
    for (m, loss), p_perm in zip(cells, p_values, strict=True):
        delta = intervals[m, loss].point - intervals[base, loss].point
        reps = values[m, loss] - values[base, loss]
        low, high = resample.percentile_interval(reps, cfg.level)
        p = (
            p_perm
            if cfg.test == "permutation"
            else resample.bootstrap_p_value(delta, reps, cfg.convention)
        )
        gib = losses[loss].greater_is_better
        out[m, loss] = Comparison(delta, low, high, p, resample.verdict(delta, p, alpha, gib), gib)
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
