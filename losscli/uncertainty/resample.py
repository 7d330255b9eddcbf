"""Bootstrap replicates over bucket states: intervals, paired tests, verdicts, Holm.

Weights. Each bucket gets an independent Poisson(1) weight per resample (the
"Poisson bootstrap", Hanley & MacGibbon 2006; Chamandy et al. 2012 for streams)
rather than a multinomial draw of K buckets among K:

* every loss here is a ratio of sums (Σwℓ/Σw, r2's SSE/SST, the class-weighted
  ratio), so the random total weight of a Poisson resample cancels, and the two
  schemes agree to O(1/K);
* empty buckets are harmless (a weight on a zero state adds nothing), whereas a
  multinomial over K buckets would spend draws on them and shrink the resample;
* the weights of bucket j do not depend on how many buckets there are: they are
  drawn bucket-major, ``W[j, b]``, so the first k rows of a (K, B) draw equal a (k, B)
  draw with the same seed, and dropping trailing empty buckets changes nothing.

Replicate sums are ``W.T @ S`` ((B × K) · (K × F)); the replicate values ``f`` of
those. The point value is always the exact full-data value ``f(S.sum(0))``.

Interval: the percentile interval [q(α/2), q(1 − α/2)] of the finite replicate
values, α = 1 − level (numpy's default linear quantile). A replicate where the loss
is undefined (r2 of a constant resample, a balanced CE with one class) is NaN and
left out; when more than 1 % are, the interval is NaN (undefined).

Paired comparison: Δ = loss(model) − loss(baseline) on the same weights W for every
model, so Δ's replicates are paired. Its interval is the percentile interval of the
Δ replicates; its p-value is that of the two-sided paired bootstrap test, and
``permutation`` gives the approximate-randomization test instead (see
:func:`bootstrap_p_value` and :func:`permutation_p_value` for the definitions).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from losscli.uncertainty.options import DEFAULT_RESAMPLES as DEFAULT_RESAMPLES
from losscli.uncertainty.options import DEFAULT_SEED as DEFAULT_SEED
from losscli.uncertainty.states import LossState

FloatArray = npt.NDArray[np.float64]

DEFAULT_ROUNDS = 1000
#: more NaN replicates than this fraction make the interval undefined
MAX_UNDEFINED = 0.01

Test = Literal["bootstrap", "permutation"]
Convention = Literal["centered", "sacrebleu"]
Verdict = Literal["better", "worse", "no significant difference"]


def _poisson1_thresholds() -> npt.NDArray[np.uint64]:
    # T_k = ⌈2³² P(X ≤ k)⌉ for X ~ Poisson(1), k = 0, 1, ... while below 2³²
    cdf, term, k = 0.0, float(np.exp(-1.0)), 0
    out: list[int] = []
    while True:
        cdf += term
        t = int(np.ceil(cdf * 2.0**32))
        if t >= 2**32:
            return np.array(out, dtype=np.uint64)
        out.append(t)
        k += 1
        term /= k


_THRESHOLDS = _poisson1_thresholds()
_CELL_BITS = 20  # u >> 20: 4096 cells of 2²⁰ values; ≤ 13 of them hold a threshold


def _cell_tables() -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.bool_]]:
    starts = np.arange(2 ** (32 - _CELL_BITS), dtype=np.uint64) << np.uint64(_CELL_BITS)
    ends = starts + np.uint64(2**_CELL_BITS - 1)
    low = np.searchsorted(_THRESHOLDS, starts, side="right")
    high = np.searchsorted(_THRESHOLDS, ends, side="right")
    return low.astype(np.uint8), low != high


_CELL_VALUE, _CELL_MIXED = _cell_tables()


def _poisson_of(u: npt.NDArray[np.uint32]) -> FloatArray:
    cell = u >> np.uint32(_CELL_BITS)
    counts = _CELL_VALUE[cell]
    mixed = np.flatnonzero(_CELL_MIXED[cell])
    flat = counts.reshape(-1)
    flat[mixed] = np.searchsorted(_THRESHOLDS, u.reshape(-1)[mixed].astype(np.uint64), "right")
    return counts.astype(np.float64)


def poisson_weights(seed: int, resamples: int, n_buckets: int) -> FloatArray:
    """Bucket-major Poisson(1) weights, shape (n_buckets, resamples), float64.

    Inverse transform of 32-bit uniforms u from PCG64 seeded with (seed, 0) (stream 1
    is the permutation test's): W = #{k : u ≥ T_k}, T_k = ⌈2³² P(X ≤ k)⌉, so each
    probability is exact to 2⁻³². Computed by a table over the top 12 bits of u and an
    exact search for the 0.3 % of u whose cell holds a threshold: 10× faster than
    numpy's general Poisson sampler.
    """
    if resamples < 1 or n_buckets < 1:
        raise ValueError("resamples and n_buckets must be ≥ 1")
    rng = np.random.Generator(np.random.PCG64([seed, 0]))
    return _poisson_of(rng.integers(0, 2**32, size=(n_buckets, resamples), dtype=np.uint32))


def swap_masks(seed: int, rounds: int, n_buckets: int) -> FloatArray:
    """Bucket-major fair coin flips (1.0 = swap the two models' bucket states)."""
    rng = np.random.Generator(np.random.PCG64([seed, 1]))
    return rng.integers(0, 2, size=(n_buckets, rounds)).astype(np.float64)


@dataclass(frozen=True)
class Draws:
    """The weights of :func:`poisson_weights` (``swap=True``: the masks of
    :func:`swap_masks`) for ``seed`` and ``resamples``, drawn :data:`BLOCK` buckets at
    a time when a product needs them, instead of held whole (4096 buckets × 1000
    resamples are 33 MB of float64). The same numbers: PCG64's stream continues across
    draws, and the weights are bucket-major, so the blocks are the rows of the whole."""

    seed: int
    resamples: int
    swap: bool = False

    def blocks(self, n_buckets: int) -> Iterator[FloatArray]:
        """The (≤ BLOCK, resamples) weights of buckets 0..n_buckets-1, in order."""
        rng = np.random.Generator(np.random.PCG64([self.seed, 1 if self.swap else 0]))
        for start in range(0, n_buckets, BLOCK):
            size = (min(BLOCK, n_buckets - start), self.resamples)
            if self.swap:
                yield rng.integers(0, 2, size=size).astype(np.float64)
            else:
                yield _poisson_of(rng.integers(0, 2**32, size=size, dtype=np.uint32))


#: buckets per block of streamed weights (256 × 1000 resamples: 2 MB)
BLOCK = 256
Weights = FloatArray | Draws


def replicate_sums(states: FloatArray, weights: Weights) -> FloatArray:
    """(K, F) bucket states and (K', B) weights, K ≤ K' → (B, F) replicate sums.

    Only the first K rows of ``weights`` are used (trailing buckets absent = empty);
    :class:`Draws` are drawn block by block and summed, never held whole.
    """
    s = np.asarray(states, dtype=np.float64)
    if not isinstance(weights, Draws):
        return weights[: s.shape[0]].T @ s
    out = np.zeros((weights.resamples, s.shape[1]))
    start = 0
    for block in weights.blocks(s.shape[0]):
        out += block.T @ s[start : start + block.shape[0]]
        start += block.shape[0]
    return out


def n_resamples(weights: Weights) -> int:
    return weights.resamples if isinstance(weights, Draws) else int(weights.shape[1])


def replicate_values(
    blocks: Sequence[tuple[FloatArray, LossState]], weights: Weights
) -> list[FloatArray]:
    """The bootstrap replicate values of several (states, loss) blocks with ONE product.

    All blocks must have the same number of buckets; the engine passes every model ×
    loss at once (one ``W.T @ [S₁ | S₂ | ...]``), so they share the resamples.
    """
    if not blocks:
        return []
    stacked = np.concatenate([np.asarray(s, dtype=np.float64) for s, _ in blocks], axis=1)
    sums = replicate_sums(stacked, weights)
    out: list[FloatArray] = []
    start = 0
    for s, state in blocks:
        width = s.shape[1]
        out.append(np.asarray(state.f(sums[:, start : start + width]), dtype=np.float64))
        start += width
    return out


def percentile_interval(values: FloatArray, level: float) -> tuple[float, float]:
    """[q(α/2), q(1 − α/2)] of the finite values, α = 1 − level; NaNs when > 1 % are
    undefined."""
    _check_level(level)
    v = np.asarray(values, dtype=np.float64)
    finite = v[np.isfinite(v)]
    if finite.size == 0 or finite.size < (1.0 - MAX_UNDEFINED) * v.size:
        return (float("nan"), float("nan"))
    alpha = 1.0 - level
    low, high = np.quantile(finite, [alpha / 2.0, 1.0 - alpha / 2.0])
    return (float(low), float(high))


def percentile_intervals(values: FloatArray, level: float) -> tuple[FloatArray, FloatArray]:
    """:func:`percentile_interval` of each row of ``values`` (n × B) at once: the same
    numbers (numpy's linear quantile of the finite values of the row), NaN where more
    than 1 % of a row is undefined."""
    _check_level(level)
    v = np.array(values, dtype=np.float64, ndmin=2)
    bad = ~np.isfinite(v)
    v[bad] = np.nan
    alpha = 1.0 - level
    n = v.shape[0]
    low, high = np.full(n, np.nan), np.full(n, np.nan)
    if n == 0 or v.shape[1] == 0:
        return low, high
    counts = bad.sum(axis=1)
    ok = (counts < v.shape[1]) & (v.shape[1] - counts >= (1.0 - MAX_UNDEFINED) * v.shape[1])
    clean = ok & (counts == 0)
    if clean.any():  # (np.quantile along an axis: one sort for every row)
        low[clean], high[clean] = np.quantile(v[clean], [alpha / 2.0, 1.0 - alpha / 2.0], axis=1)
    for i in np.flatnonzero(ok & ~clean).tolist():
        low[i], high[i] = percentile_interval(v[i], level)
    return low, high


def _check_level(level: float) -> None:
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level!r}")


def _count(stats: FloatArray, observed: float, convention: Convention) -> int:
    finite = stats[np.isfinite(stats)]
    if convention == "sacrebleu":
        return int(np.sum(finite > observed))
    # ≥: a replicate as extreme as the data counts against H0 (Phipson & Smyth 2010);
    # with '>' a model compared with itself (every stat 0 = observed) gets p = 1/(B+1)
    return int(np.sum(finite >= observed))


def bootstrap_p_value(
    delta: float, replicates: FloatArray, convention: Convention = "centered"
) -> float:
    """Two-sided paired-bootstrap p-value, p = (c + 1) / (B + 1).

    ``replicates`` are the B bootstrap values Δ*_b of Δ = loss(model) − loss(baseline).

    * ``"sacrebleu"``: sacrebleu's definition of c exactly (mjpost/sacrebleu,
      sacrebleu/significance.py, ``_paired_bs_test`` and ``_compute_p_value``):
      d_b = |Δ*_b|, c = #{b : d_b − mean(d) > |Δ|}. Centering the *absolute*
      differences makes this a one-sided tail for |Δ| away from 0 (for a clear
      sign, d_b − mean(d) ≈ Δ*_b − Δ), so its size is about 2α: at α = 0.05 it
      rejected a true null in 11–13 % of data sets (benchmarks/VALIDITY.md).
    * ``"centered"`` (default): the same null shift applied before the absolute value,
      c = #{b : |Δ*_b − mean(Δ*)| ≥ |Δ|} (Efron & Tibshirani 1993, §16.4: the
      bootstrap distribution shifted to the null, both tails), with ties counted.
    """
    reps = np.asarray(replicates, dtype=np.float64)
    reps = reps[np.isfinite(reps)]
    if reps.size == 0:
        return float("nan")
    observed = abs(float(delta))
    if convention == "sacrebleu":
        d = np.abs(reps)
        stats = d - d.mean()
    else:
        stats = np.abs(reps - reps.mean())
        # rounding must not turn a tie into a miss (Δ and Δ* are differences of sums)
        observed -= 1e-12 * max(observed, float(np.abs(reps).max()))
    c = _count(stats, observed, convention)
    return (c + 1) / (reps.size + 1)


def permutation_p_values(
    pairs: Sequence[tuple[FloatArray, FloatArray, LossState]],
    masks: Weights,
    convention: Convention = "centered",
) -> list[float]:
    """Approximate-randomization p-values, p = (c + 1) / (R + 1), swapping per bucket.

    ``pairs`` are (model states, baseline states, loss) with the same buckets; all
    share the masks (K × R, from :func:`swap_masks`) and ONE product ``M.T @ [D₁ | …]``.

    H0: the two models' predictions are exchangeable row by row. Each round swaps
    the two models' states of each bucket with probability ½:
    A* = Σ S_model + M·(S_base − S_model), B* = Σ S_base − M·(S_base − S_model), and
    c = #{r : |f(A*_r) − f(B*_r)| ≥ |Δ|} (``"sacrebleu"``: '>' as in sacrebleu's
    ``_paired_ar_test``, mjpost/sacrebleu sacrebleu/significance.py, which swaps per
    sentence).

    Why per bucket is the streaming analogue of per row: buckets are assigned by a
    hash of the row number, independently of the data, so swapping whole buckets is
    a sub-group of the row-level swaps and is exact under the same H0 (every swap
    pattern of the rows in a bucket is as likely as the observed one); it needs only
    the bucket states. With n ≤ K every row is its own bucket: it *is* the
    row-level test.
    """
    if not pairs:
        return []
    a_all = [np.asarray(a, dtype=np.float64) for a, _, _ in pairs]
    b_all = [np.asarray(b, dtype=np.float64) for _, b, _ in pairs]
    diffs = replicate_sums(
        np.concatenate([b - a for a, b in zip(a_all, b_all, strict=True)], axis=1), masks
    )  # (R, ΣF)
    out: list[float] = []
    start = 0
    for a, b, (_, _, state) in zip(a_all, b_all, pairs, strict=True):
        diff = diffs[:, start : start + a.shape[1]]
        start += a.shape[1]
        stats = np.abs(state.f(a.sum(axis=0) + diff) - state.f(b.sum(axis=0) - diff))
        observed = abs(state.value(a.sum(axis=0)) - state.value(b.sum(axis=0)))
        if convention != "sacrebleu":
            observed -= 1e-12 * max(observed, float(np.nanmax(stats, initial=0.0)))
        c = _count(np.asarray(stats), observed, convention)
        out.append((c + 1) / (stats.shape[0] + 1))
    return out


def permutation_p_value(
    model: FloatArray,
    baseline: FloatArray,
    state: LossState,
    masks: Weights,
    convention: Convention = "centered",
) -> float:
    """:func:`permutation_p_values` for one pair."""
    return permutation_p_values([(model, baseline, state)], masks, convention)[0]


@dataclass(frozen=True)
class Interval:
    """A loss's exact full-data value and its percentile bootstrap interval."""

    point: float
    low: float
    high: float


@dataclass(frozen=True)
class Comparison:
    """Δ = loss(model) − loss(baseline): its interval, p-value and verdict."""

    delta: float
    low: float
    high: float
    p_value: float
    verdict: Verdict
    greater_is_better: bool = False
    #: Holm-adjusted p-value when a correction was applied (the verdict then uses it)
    p_adjusted: float | None = None


def interval(
    states: FloatArray, state: LossState, weights: FloatArray, level: float = 0.95
) -> Interval:
    """The point value and the percentile interval of one model's loss."""
    point = state.value(np.asarray(states).sum(axis=0))
    (values,) = replicate_values([(states, state)], weights)
    return Interval(point, *percentile_interval(values, level))


def verdict(delta: float, p_value: float, alpha: float, greater_is_better: bool) -> Verdict:
    """better / worse when p < α, by the sign of Δ and the loss's direction."""
    if not (p_value < alpha) or delta == 0.0:
        return "no significant difference"
    improved = delta > 0 if greater_is_better else delta < 0
    return "better" if improved else "worse"


def compare(
    model: FloatArray,
    baseline: FloatArray,
    state: LossState,
    weights: FloatArray,
    *,
    level: float = 0.95,
    test: Test = "bootstrap",
    masks: FloatArray | None = None,
    convention: Convention = "centered",
) -> Comparison:
    """Paired comparison of two models' bucket states for one loss.

    ``weights`` (from :func:`poisson_weights`) must be the same for every model
    compared; ``masks`` (from :func:`swap_masks`) is needed for ``test="permutation"``.
    """
    _check_level(level)
    delta = state.value(np.asarray(model).sum(axis=0)) - state.value(
        np.asarray(baseline).sum(axis=0)
    )
    reps_m, reps_b = replicate_values([(model, state), (baseline, state)], weights)
    reps = reps_m - reps_b
    low, high = percentile_interval(reps, level)
    if test == "permutation":
        if masks is None:
            raise ValueError("the permutation test needs swap masks")
        p = permutation_p_value(model, baseline, state, masks, convention)
    else:
        p = bootstrap_p_value(delta, reps, convention)
    gib = state.greater_is_better
    return Comparison(delta, low, high, p, verdict(delta, p, 1.0 - level, gib), gib)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values (Holm 1979), in the input's order.

    With p₍₁₎ ≤ … ≤ p₍ₘ₎: p̃₍ᵢ₎ = min(1, max_{j ≤ i} (m − j + 1) p₍ⱼ₎). Rejecting
    p̃ < α controls the family-wise error rate at α. NaNs stay NaN and do not count
    in m.
    """
    p = np.asarray(p_values, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    idx = np.flatnonzero(np.isfinite(p))
    m = idx.size
    if m == 0:
        return out.tolist()
    order = idx[np.argsort(p[idx], kind="stable")]
    scaled = np.minimum(1.0, (m - np.arange(m)) * p[order])
    out[order] = np.maximum.accumulate(scaled)
    return out.tolist()
