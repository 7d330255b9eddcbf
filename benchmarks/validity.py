"""Validity of the bucketed bootstrap (issue 14): simulations with known truth.

    python benchmarks/validity.py            # full run, writes benchmarks/VALIDITY.md
    python benchmarks/validity.py --quick    # a small run, prints the tables

Data sets are drawn from distributions whose population loss is known:

* regression: s ~ N(0, 1), ε of variance 1 (Gaussian; logistic of scale √3/π;
  t₅ scaled by √(3/5)), y = s + ε, ŷ = s, so e = ε: mse = rmse² = 1, r2 = 1 − 1/2,
  mae = E|ε| in closed form (√(2/π); 2b·ln 2; √(3/5)·2√5·Γ(3)/(√π·4·Γ(5/2)));
* binary: x ~ N(0, 1), P(y = 1 | x) = σ(1.5x − 0.5), predicted q = p (calibrated)
  or q = σ(2.5x − 0.2) (miscalibrated: over-confident, shifted);
* multiclass: K = 3, logits z = (−1.5x, 0.5, 1.5x), p = softmax(z), predicted
  q = softmax(0.7z) (under-confident).

Classification truths are integrals over x ~ N(0, 1) (every loss is E over x of a
smooth function of p(x), q(x), zero-one's indicator included), taken by the
trapezoid rule on 400,001 points of [−12, 12]: error < 1e-8, far below the
simulation's standard errors. Balanced class-weighted CE's population value is
½·Σ_c E[ℓ | y = c] (K = 2) or (1/K)·Σ_c E[ℓ | y = c]: w_c = N/(K·N_c) makes
Σ_c w_c S_c / Σ_c w_c N_c = (1/K)·Σ_c S_c/N_c.

Coverage = fraction of data sets whose 95 % percentile interval holds the truth.
Null: two models whose errors are i.i.d. (exchangeable): rejection rate at 0.05 of
the paired bootstrap (both p-value conventions) and of the permutation test.
Power: model B's errors have 0.9× model A's variance (mse 10 % better), n = 5,000.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from losscli import losses
from losscli.uncertainty import buckets, resample, states

FloatArray = npt.NDArray[np.float64]
Draw = Callable[[np.random.Generator, int], tuple[FloatArray, FloatArray]]

_GRID = np.linspace(-12.0, 12.0, 400_001)
_PDF = np.exp(-0.5 * _GRID**2) / math.sqrt(2.0 * math.pi)


def _expect(values: FloatArray) -> float:
    """E over x ~ N(0, 1) by the trapezoid rule (see the module docstring)."""
    return float(np.trapezoid(values * _PDF, _GRID))


def _sigmoid(z: FloatArray) -> FloatArray:
    return 1.0 / (1.0 + np.exp(-z))


def _softmax(z: FloatArray) -> FloatArray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@dataclass(frozen=True)
class Scenario:
    name: str
    task: str
    losses: tuple[str, ...]
    draw: Draw
    truth: dict[str, float]


# --------------------------------------------------------------------------- regression

_LOGISTIC_SCALE = math.sqrt(3.0) / math.pi
_T5_SCALE = math.sqrt(3.0 / 5.0)
_T5_ABS = 2.0 * math.sqrt(5.0) * math.gamma(3.0) / (math.sqrt(math.pi) * 4.0 * math.gamma(2.5))
REGRESSION_LOSSES = ("mse", "rmse", "mae", "r2")


def _noise(kind: str, rng: np.random.Generator, n: int) -> FloatArray:
    if kind == "gaussian":
        return rng.normal(size=n)
    if kind == "logistic":
        return rng.logistic(scale=_LOGISTIC_SCALE, size=n)
    return _T5_SCALE * rng.standard_t(5, size=n)


def _regression(kind: str, mae: float) -> Scenario:
    def draw(rng: np.random.Generator, n: int) -> tuple[FloatArray, FloatArray]:
        s = rng.normal(size=n)
        return s + _noise(kind, rng, n), s

    truth = {"mse": 1.0, "rmse": 1.0, "mae": mae, "r2": 0.5}
    return Scenario(f"regression, {kind} errors", "regression", REGRESSION_LOSSES, draw, truth)


# --------------------------------------------------------------------------- classification

BINARY_LOSSES = ("binary_crossentropy", "weighted_binary_crossentropy", "brier", "zero_one")
MULTICLASS_LOSSES = (
    "categorical_crossentropy",
    "weighted_categorical_crossentropy",
    "brier",
    "zero_one",
)


def _binary_truth(p: FloatArray, q: FloatArray) -> dict[str, float]:
    l1, l0 = -np.log(q), -np.log1p(-q)
    pos = _expect(p)
    s1, s0 = _expect(p * l1), _expect((1 - p) * l0)
    return {
        "binary_crossentropy": s1 + s0,
        "weighted_binary_crossentropy": 0.5 * (s1 / pos + s0 / (1 - pos)),
        "brier": _expect(p * (1 - q) ** 2 + (1 - p) * q**2),
        "zero_one": _expect(np.where(q > 0.5, 1 - p, p)),
    }


def _binary(name: str, slope: float, shift: float) -> Scenario:
    def draw(rng: np.random.Generator, n: int) -> tuple[FloatArray, FloatArray]:
        x = rng.normal(size=n)
        y = (rng.random(n) < _sigmoid(1.5 * x - 0.5)).astype(np.float64)
        return y, _sigmoid(slope * x + shift)

    truth = _binary_truth(_sigmoid(1.5 * _GRID - 0.5), _sigmoid(slope * _GRID + shift))
    return Scenario(f"binary, {name}", "binary", BINARY_LOSSES, draw, truth)


def _logits(x: FloatArray) -> FloatArray:
    return np.stack([-1.5 * x, np.full_like(x, 0.5), 1.5 * x], axis=-1)


def _multiclass() -> Scenario:
    def draw(rng: np.random.Generator, n: int) -> tuple[FloatArray, FloatArray]:
        z = _logits(rng.normal(size=n))
        p = _softmax(z)
        y = (rng.random(n)[:, None] > np.cumsum(p, axis=1)).sum(axis=1).astype(np.float64)
        return y, _softmax(0.7 * z)

    z = _logits(_GRID)
    p, q = _softmax(z), _softmax(0.7 * z)
    per_class = [_expect(p[:, c] * -np.log(q[:, c])) for c in range(3)]
    prior = [_expect(p[:, c]) for c in range(3)]
    wrong = 1.0 - np.take_along_axis(p, q.argmax(axis=1)[:, None], axis=1)[:, 0]
    truth = {
        "categorical_crossentropy": sum(per_class),
        "weighted_categorical_crossentropy": sum(
            s / m for s, m in zip(per_class, prior, strict=True)
        )
        / 3,
        "brier": _expect((q * q).sum(axis=1) - 2 * (p * q).sum(axis=1) + 1),
        "zero_one": _expect(wrong),
    }
    return Scenario(
        "multiclass, K = 3, under-confident", "multiclass", MULTICLASS_LOSSES, draw, truth
    )


def scenarios() -> list[Scenario]:
    return [
        _regression("gaussian", math.sqrt(2.0 / math.pi)),
        _regression("logistic", 2.0 * _LOGISTIC_SCALE * math.log(2.0)),
        _regression("t5", _T5_SCALE * _T5_ABS),
        _binary("calibrated", 1.5, -0.5),
        _binary("miscalibrated", 2.5, -0.2),
        _multiclass(),
    ]


# --------------------------------------------------------------------------- one data set


def bucket_states(
    task: str, y: FloatArray, pred: FloatArray, loss_ids: tuple[str, ...], seed: int, n_buckets: int
) -> list[tuple[FloatArray, states.LossState]]:
    """(bucket states, loss state) per loss for one model, trailing empty buckets dropped."""
    n = y.shape[0]
    batch = losses.Batch(task, y, pred)
    codes = buckets.bucket_of(np.arange(n, dtype=np.int64), seed, n_buckets)
    k = min(n, n_buckets)  # (rows < K are their own buckets: buckets ≥ n are empty)
    out = []
    for loss in loss_ids:
        st = states.state_of(loss, n_classes=batch.n_classes or 2, pivot=float(y[0]))
        out.append((st.accumulate(batch, codes, n_buckets)[:k], st))
    return out


def intervals(
    blocks: list[tuple[FloatArray, states.LossState]], weights: FloatArray, level: float
) -> list[tuple[float, float]]:
    return [
        resample.percentile_interval(v, level) for v in resample.replicate_values(blocks, weights)
    ]


# --------------------------------------------------------------------------- experiments


def coverage(
    n: int,
    datasets: int,
    seed: int,
    *,
    resamples: int = 1000,
    n_buckets: int = buckets.DEFAULT_BUCKETS,
    level: float = 0.95,
    only: tuple[str, ...] | None = None,
) -> dict[tuple[str, str], float]:
    """Coverage of the truth by the level-intervals, per (scenario, loss)."""
    chosen = [s for s in scenarios() if only is None or s.name in only]
    hits = {(s.name, loss): 0 for s in chosen for loss in s.losses}
    rng = np.random.default_rng([seed, n])
    k = min(n, n_buckets)
    for d in range(datasets):
        # one W and one product for every scenario of the data set (independent data)
        weights = resample.poisson_weights(seed + d, resamples, k)
        blocks = []
        for s in chosen:
            y, pred = s.draw(rng, n)
            blocks += bucket_states(s.task, y, pred, s.losses, seed + d, n_buckets)
        found = iter(intervals(blocks, weights, level))
        for s in chosen:
            for loss in s.losses:
                low, high = next(found)
                hits[s.name, loss] += low <= s.truth[loss] <= high
    return {key: count / datasets for key, count in hits.items()}


NULL_TESTS = ("bootstrap", "bootstrap (sacrebleu's c)", "permutation")


def _two_models(
    rng: np.random.Generator, n: int, scale_b: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    y = rng.normal(size=n)
    return y, y + rng.normal(size=n), y + scale_b * rng.normal(size=n)


def paired(
    n: int,
    datasets: int,
    seed: int,
    *,
    scale_b: float = 1.0,
    loss_ids: tuple[str, ...] = ("mse", "mae", "rmse", "r2"),
    resamples: int = 1000,
    n_buckets: int = buckets.DEFAULT_BUCKETS,
    level: float = 0.95,
) -> dict[tuple[str, str], dict[str, float]]:
    """Regression, y ~ N(0, 1), model A ŷ = y + N(0, 1), model B ŷ = y + N(0, scale_b²).

    Per (loss, test): the fraction of data sets where B is found better / worse than A
    (scale_b = 1: a true null; both fractions sum to the rejection rate).
    """
    counts = {(loss, t): {"better": 0, "worse": 0} for loss in loss_ids for t in NULL_TESTS}
    rng = np.random.default_rng([seed, n, 1])
    k = min(n, n_buckets)
    for d in range(datasets):
        y, a, b = _two_models(rng, n, scale_b)
        weights = resample.poisson_weights(seed + d, resamples, k)
        masks = resample.swap_masks(seed + d, resamples, k)
        sa = bucket_states("regression", y, a, loss_ids, seed + d, n_buckets)
        sb = bucket_states("regression", y, b, loss_ids, seed + d, n_buckets)
        reps = resample.replicate_values(sb + sa, weights)  # (one product, paired)
        for i, ((s_a, st), (s_b, _)) in enumerate(zip(sa, sb, strict=True)):
            delta = st.value(s_b.sum(axis=0)) - st.value(s_a.sum(axis=0))
            boot = reps[i] - reps[len(sb) + i]
            p_values = {
                "bootstrap": resample.bootstrap_p_value(delta, boot),
                "bootstrap (sacrebleu's c)": resample.bootstrap_p_value(delta, boot, "sacrebleu"),
                "permutation": resample.permutation_p_value(s_b, s_a, st, masks),
            }
            for t, p in p_values.items():
                found = resample.verdict(delta, p, 1.0 - level, st.greater_is_better)
                if found != "no significant difference":
                    counts[st.loss, t][found] += 1
    return {key: {v: c / datasets for v, c in found.items()} for key, found in counts.items()}


# --------------------------------------------------------------------------- report


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def _coverage_table(
    results: dict[int, dict[tuple[str, str], float]], datasets: int, column: str = "n"
) -> list[str]:
    ns = sorted(results)
    lines = ["| scenario | loss | " + " | ".join(f"{column} = {n:,}" for n in ns) + " |"]
    lines.append("|---|---|" + "---:|" * len(ns))
    for key in results[ns[0]]:
        cells = []
        for n in ns:
            c = results[n][key]
            flag = "" if 0.92 <= c <= 0.97 else " ⚠"
            cells.append(_pct(c) + flag)
        lines.append(f"| {key[0]} | {key[1]} | " + " | ".join(cells) + " |")
    se = math.sqrt(0.95 * 0.05 / datasets)
    lines.append("")
    lines.append(
        f"{datasets} data sets per cell: a true coverage of 95 % is measured within "
        f"±{_pct(2 * se)} points 95 % of the time. ⚠ = outside 92–97 %."
    )
    return lines


def _paired_table(results: dict[tuple[str, str], dict[str, float]], what: str) -> list[str]:
    lines = [f"| loss | test | {what} |", "|---|---|---:|"]
    for (loss, test), found in results.items():
        value = (
            found["better"] if what.startswith("found better") else found["better"] + found["worse"]
        )
        lines.append(f"| {loss} | {test} | {_pct(value)} |")
    return lines


def run(quick: bool, seed: int) -> list[str]:
    sizes = (200, 1000) if quick else (200, 1000, 5000, 20000)
    datasets = 100 if quick else 400
    started, cpu = time.perf_counter(), time.process_time()
    cov = {n: coverage(n, datasets, seed) for n in sizes}
    t_cov = time.perf_counter() - started
    bucket_n = 5000
    bucket_sets = 100 if quick else 300
    reg = ("regression, gaussian errors", "regression, logistic errors", "binary, miscalibrated")
    bucket_cmp = {
        nb: coverage(bucket_n, datasets, seed + 7, n_buckets=nb, only=reg) for nb in (256, bucket_n)
    }
    null_n = 1000
    null_sets, power_sets = (200, 50) if quick else (1000, 200)
    null = paired(null_n, null_sets, seed + 11)
    power = paired(5000, power_sets, seed + 13, scale_b=math.sqrt(0.9), loss_ids=("mse", "rmse"))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    lines = [
        "# Validity of the bucketed bootstrap (issue 14)",
        "",
        f"Written by `python benchmarks/validity.py` (`make validate`), seed {seed}, "
        f"B = 1000 Poisson resamples, K = {buckets.DEFAULT_BUCKETS} buckets, level 0.95; "
        f"{elapsed:.0f} s wall, {cpu:.0f} s CPU on 1 core of a shared VM ({t_cov:.0f} s wall "
        "for the coverage table). The distributions "
        "and how each population value is computed are in the docstring of "
        "`benchmarks/validity.py`.",
        "",
        "## Coverage of the population value by the 95 % percentile interval",
        "",
        *_coverage_table(cov, datasets),
        "",
        f"## Buckets against the row-level bootstrap (n = {bucket_n:,})",
        "",
        f"K = {bucket_n:,} is the exact row-level bootstrap (every row its own bucket); "
        "K = 256 puts ≈ 20 rows in a bucket.",
        "",
        *_coverage_table(bucket_cmp, bucket_sets, column="K"),
        "",
        f"## Under a true null (n = {null_n:,}, {null_sets} data sets)",
        "",
        "Two models with i.i.d. errors; % of data sets with p < 0.05:",
        "",
        *_paired_table(null, "p < 0.05 (%)"),
        "",
        f"## Power: mse 10 % better, n = 5,000 ({power_sets} data sets)",
        "",
        *_paired_table(power, "found better (%)"),
    ]
    return lines


#: VALIDITY.md's text after this line is by hand and survives a re-run
MARKER = "<!-- written by hand below: kept when the script rewrites the tables -->"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small run; print only")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    lines = run(args.quick, args.seed)
    text = "\n".join(lines) + "\n"
    if not args.quick:
        path = Path(__file__).parent / "VALIDITY.md"
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        if MARKER in old:  # keep the hand-written reading of the committed run
            text += "\n" + old[old.index(MARKER) :]
        path.write_text(text, encoding="utf-8")
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
