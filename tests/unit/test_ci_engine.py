"""``--ci`` in the engine (issue 14): bucket states in the one pass, intervals and
paired comparisons in the report.

Oracles: the uncertainty core applied by hand to the whole data in memory (bucket
of each row from its input row number, ``bucket_sums`` of the loss's terms,
``analysis.analyse``) — the core itself is checked against the bootstrap's definition,
sacrebleu's and Holm's formulas and simulations in tests/unit/test_bootstrap.py;
for a file of n ≤ K rows the exact row-level Poisson bootstrap written out with
numpy (each row its own bucket); the point values of the run without ``--ci``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import losscli
from losscli import losses
from losscli.errors import UsageError
from losscli.evaluate import bootstrap, evaluate_file
from losscli.uncertainty import analysis, buckets, resample, states


def _frame(n: int = 6000, seed: int = 0, groups: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.normal(size=n) + 3.0
    df = pd.DataFrame({"y_true": y, "a": y + rng.normal(size=n), "b": y + 0.8 * rng.normal(size=n)})
    if groups:
        df["g"] = rng.integers(0, groups, size=n)
    return df


def _cells(report: Any) -> dict[tuple[Any, ...], tuple[float, Any, Any]]:
    return {(r.model, r.group, r.loss): (r.value, r.ci_low, r.ci_high) for r in report.results}


def _comparisons(report: Any) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    return {
        (c.model, c.group, c.loss): (c.delta, c.ci_low, c.ci_high, c.p_value, c.verdict)
        for c in report.comparisons
    }


def _same(a: dict[Any, tuple[Any, ...]], b: dict[Any, tuple[Any, ...]]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        for x, y in zip(a[key], b[key], strict=True):
            if isinstance(x, str) or x is None or y is None:
                assert x == y, key
            else:
                assert x == pytest.approx(y, rel=1e-9, abs=1e-12), key


def _oracle(
    df: pd.DataFrame, models: list[str], loss_ids: list[str], cfg: analysis.Settings, k: int
) -> analysis.Analysis:
    """The core applied by hand to the whole frame at once."""
    y = df["y_true"].to_numpy()
    table = {loss: states.state_of(loss, pivot=float(y[0])) for loss in loss_ids}
    codes = buckets.bucket_of(np.arange(len(df), dtype=np.int64), cfg.seed, cfg.n_buckets)
    codes = codes >> int(math.log2(cfg.n_buckets // k))
    st = {
        m: {
            loss: buckets.bucket_sums(
                t.terms(losses.Batch("regression", y, df[m].to_numpy())), codes, k
            )
            for loss, t in table.items()
        }
        for m in models
    }
    return analysis.analyse(st, table, cfg)


# --------------------------------------------------------------------------- the oracle


def test_intervals_and_comparisons_are_the_core_on_the_whole_data() -> None:
    df = _frame()
    ids = ["mse", "rmse", "mae", "r2", "huber"]
    report = losscli.evaluate_frame(
        df, preds=["a", "b"], losses=ids, ci=0.9, seed=7, chunk_rows=999
    )
    cfg = analysis.Settings(level=0.9, seed=7)
    want = _oracle(df, ["a", "b"], ids, cfg, 4096)
    for r in report.overall:
        iv = want.intervals[r.model, r.loss]
        assert (r.ci_low, r.ci_high) == pytest.approx((iv.low, iv.high), rel=1e-9)
    assert [(c.model, c.loss) for c in report.comparisons] == [("b", loss) for loss in ids]
    for c in report.comparisons:
        w = want.comparisons[c.model, c.loss]
        assert c.baseline == "a" and c.group is None
        assert (c.ci_low, c.ci_high) == pytest.approx((w.low, w.high), rel=1e-9)
        assert (c.p_value, c.verdict) == (w.p_value, w.verdict)
        exact = report.value("b", c.loss) - report.value("a", c.loss)  # type: ignore[operator]
        assert c.delta == exact
    assert report.bootstrap == {
        "method": cfg.method,
        "level": 0.9,
        "resamples": 1000,
        "seed": 7,
        "test": "bootstrap",
        "correction": "none",
        "baseline": "a",
        "buckets": 4096,
    }


def test_a_small_file_is_the_exact_row_level_bootstrap() -> None:
    # n ≤ K: row r is bucket r, so replicate b of mse is Σ_r W[r, b] e_r² / Σ_r W[r, b]
    df = _frame(n=500, seed=3)
    report = losscli.evaluate_frame(df, preds=["a"], losses=["mse"], ci=0.95, resamples=400)
    e2 = (df["y_true"] - df["a"]).to_numpy() ** 2
    w = resample.poisson_weights(resample.DEFAULT_SEED, 400, 500)
    reps = (w * e2[:, None]).sum(axis=0) / w.sum(axis=0)
    low, high = np.quantile(reps, [0.025, 0.975])
    (r,) = report.overall
    assert (r.ci_low, r.ci_high) == pytest.approx((low, high), rel=1e-12)


def test_point_values_are_the_exact_values_without_ci() -> None:
    df = _frame(groups=5)
    for by in (None, "g"):
        plain = losscli.evaluate_frame(df, preds=["a", "b"], by=by, chunk_rows=1500)
        ci = losscli.evaluate_frame(df, preds=["a", "b"], by=by, chunk_rows=1500, ci=0.95)
        assert [(r.model, r.group, r.loss, r.value) for r in plain.results] == [
            (r.model, r.group, r.loss, r.value) for r in ci.results
        ]
        assert plain.comparisons == [] and plain.bootstrap is None
        assert all(r.ci_low is None and r.ci_high is None for r in plain.results)
        assert all(r.ci_low is not None and r.ci_low <= r.ci_high for r in ci.results)  # type: ignore[operator]


# --------------------------------------------------------------------------- layouts


def test_the_same_results_for_any_chunk_size() -> None:
    df = _frame(groups=4)
    for by in (None, "g"):
        runs = [
            losscli.evaluate_frame(df, preds=["a", "b"], by=by, ci=0.95, chunk_rows=c)
            for c in (1 << 20, 4096, 1000, 333)
        ]
        for other in runs[1:]:
            _same(_cells(runs[0]), _cells(other))
            _same(_comparisons(runs[0]), _comparisons(other))


def test_csv_and_parquet_row_groups_give_the_same_results(tmp_path: Path) -> None:
    df = _frame(n=9000, groups=3)
    df.to_csv(tmp_path / "p.csv", index=False)
    table = pa.Table.from_pandas(df, preserve_index=False)
    pq.write_table(table, tmp_path / "small.parquet", row_group_size=1000)
    pq.write_table(table, tmp_path / "big.parquet", row_group_size=7001)
    for by in (None, "g"):
        runs = [
            evaluate_file(str(tmp_path / name), preds=["a", "b"], by=by, ci=0.95, chunk_rows=rows)
            for name, rows in (("p.csv", 1 << 20), ("p.csv", 2000), ("small.parquet", 1 << 20))
        ]
        runs.append(evaluate_file(str(tmp_path / "big.parquet"), preds=["a", "b"], by=by, ci=0.95))
        for other in runs[1:]:
            _same(_cells(runs[0]), _cells(other))
            _same(_comparisons(runs[0]), _comparisons(other))


def test_dropped_rows_keep_the_buckets_of_their_input_rows() -> None:
    df = _frame(n=3000, seed=5)
    holes = df.copy()
    holes.loc[[10, 500, 2999], "a"] = np.nan
    report = losscli.evaluate_frame(holes, preds=["a"], losses=["mae"], ci=0.95, dropna=True)
    keep = holes["a"].notna().to_numpy()
    y, p = df["y_true"].to_numpy(), df["a"].to_numpy()
    codes = buckets.bucket_of(np.flatnonzero(keep), resample.DEFAULT_SEED, 4096)
    st = states.state_of("mae")
    sums = buckets.bucket_sums(st.terms(losses.Batch("regression", y[keep], p[keep])), codes, 4096)
    want = resample.interval(sums, st, resample.poisson_weights(resample.DEFAULT_SEED, 1000, 4096))
    (r,) = report.overall
    assert (r.ci_low, r.ci_high) == pytest.approx((want.low, want.high), rel=1e-9)


def test_memory_does_not_grow_with_the_rows() -> None:
    from losscli.evaluate.engine import Engine

    shapes = []
    seen: list[Engine] = []
    original = Engine.finish

    def spy(self: Engine) -> Any:
        seen.append(self)
        return original(self)

    for n in (5000, 50_000):
        Engine.finish = spy  # type: ignore[method-assign]
        try:
            losscli.evaluate_frame(_frame(n=n), preds=["a", "b"], ci=0.95, chunk_rows=4000)
        finally:
            Engine.finish = original  # type: ignore[method-assign]
        sums = seen.pop().buckets
        assert sums is not None
        shapes.append(sorted((k, a.shape) for k, d in sums.state().items() for a in d.values()))
    assert shapes[0] == shapes[1]
    assert all(shape == (1, 4096) for _, shape in shapes[0])


# --------------------------------------------------------------------------- --by


def test_by_groups_are_the_core_on_each_groups_rows() -> None:
    df = _frame(n=8000, groups=3)
    report = losscli.evaluate_frame(df, preds=["a", "b"], losses=["mse", "r2"], by="g", ci=0.95)
    y = df["y_true"].to_numpy()
    codes = buckets.bucket_of(np.arange(len(df), dtype=np.int64), resample.DEFAULT_SEED, 4096)
    cfg = analysis.Settings()
    table = {loss: states.state_of(loss, pivot=float(y[0])) for loss in ("mse", "r2")}
    for g in range(3):
        rows = df["g"].to_numpy() == g
        st = {
            m: {
                loss: buckets.bucket_sums(
                    t.terms(losses.Batch("regression", y[rows], df[m].to_numpy()[rows])),
                    codes[rows],
                    4096,
                )
                for loss, t in table.items()
            }
            for m in ("a", "b")
        }
        want = analysis.analyse(st, table, cfg)
        for r in report.results:
            if r.group == str(g):
                iv = want.intervals[r.model, r.loss]
                assert (r.ci_low, r.ci_high) == pytest.approx((iv.low, iv.high), rel=1e-9)
        for c in report.comparisons:
            if c.group == str(g):
                assert c.p_value == want.comparisons[c.model, c.loss].p_value
    # the overall cells of a --by run with few groups: the run without --by
    plain = losscli.evaluate_frame(df, preds=["a", "b"], losses=["mse", "r2"], ci=0.95)
    for r, s in zip(plain.overall, report.overall, strict=True):
        assert (r.ci_low, r.ci_high) == pytest.approx((s.ci_low, s.ci_high), rel=1e-9)
    groups = [c.group for c in report.comparisons]
    assert groups == [None] * 2 + ["0"] * 2 + ["1"] * 2 + ["2"] * 2


def test_many_groups_fold_buckets_whatever_the_order_groups_appear() -> None:
    n_groups = 200  # 201 groups × 512 > CELLS ≥ 201 × 256: Kc = 4096 >> 4 = 256 a group
    df = _frame(n=20_000, groups=n_groups, seed=9)
    df.loc[df.index[-1], "g"] = n_groups + 7  # a group first seen in the last chunk
    runs = [
        losscli.evaluate_frame(df, preds=["a", "b"], losses=["mae"], by="g", ci=0.95, chunk_rows=c)
        for c in (1 << 20, 3000)
    ]
    assert runs[0].bootstrap is not None and runs[0].bootstrap["buckets"] == 256
    assert (n_groups + 1) * 512 > bootstrap.CELLS >= (n_groups + 1) * 256
    _same(_cells(runs[0]), _cells(runs[1]))
    _same(_comparisons(runs[0]), _comparisons(runs[1]))
    # group 0 against the core with buckets bucket_of(r) >> 4
    rows = np.flatnonzero(df["g"].to_numpy() == 0)
    codes = buckets.bucket_of(rows.astype(np.int64), resample.DEFAULT_SEED, 4096) >> 4
    st = states.state_of("mae")
    y = df["y_true"].to_numpy()[rows]
    sums = buckets.bucket_sums(
        st.terms(losses.Batch("regression", y, df["a"].to_numpy()[rows])), codes, 256
    )
    want = resample.interval(sums, st, resample.poisson_weights(resample.DEFAULT_SEED, 1000, 256))
    (got,) = [r for r in runs[0].results if r.group == "0" and r.model == "a"]
    assert (got.ci_low, got.ci_high) == pytest.approx((want.low, want.high), rel=1e-9)


def test_small_groups_warn_once_each_and_have_no_interval() -> None:
    df = _frame(n=2000, groups=2)
    df.loc[df.index[:15], "g"] = 9  # 15 rows: group 9
    df.loc[df.index[15:16], "g"] = 8  # 1 row
    report = losscli.evaluate_frame(df, preds=["a", "b"], losses=["mse"], by="g", ci=0.95)
    small = [w for w in report.warnings if "--ci" in w]
    assert len(small) == 2
    assert any("'9'" in w and "15 rows" in w for w in small)
    assert any("'8'" in w and "1 row," in w for w in small)
    for r in report.results:
        assert (r.ci_low is None) == (r.group in ("8", "9"))
    assert {c.group for c in report.comparisons} == {None, "0", "1"}
    tiny = losscli.evaluate_frame(_frame(n=12), preds=["a", "b"], losses=["mse"], ci=0.95)
    assert tiny.comparisons == [] and all(r.ci_low is None for r in tiny.overall)
    assert any("12 rows" in w for w in tiny.warnings)


# --------------------------------------------------------------------------- tasks


def test_binary_multiclass_and_weights_match_the_core() -> None:
    rng = np.random.default_rng(4)
    n = 5000
    y = rng.integers(0, 3, size=n)
    p = rng.dirichlet([2, 2, 2], size=n)
    df = pd.DataFrame({"y": [f"c{v}" for v in y], "w": rng.random(n)})
    for c in range(3):
        df[f"prob_c{c}"] = p[:, c]
    report = losscli.evaluate_frame(
        df, true="y", preds=["prob_*"], weight="w", ci=0.95, chunk_rows=1234
    )
    batch = losses.Batch("multiclass", y.astype(float), p, df["w"].to_numpy(), n_classes=3)
    codes = buckets.bucket_of(np.arange(n, dtype=np.int64), resample.DEFAULT_SEED, 4096)
    weights = resample.poisson_weights(resample.DEFAULT_SEED, 1000, 4096)
    assert len(report.overall) >= 3
    for r in report.overall:
        st = states.state_of(r.loss, n_classes=3)
        want = resample.interval(buckets.bucket_sums(st.terms(batch), codes, 4096), st, weights)
        assert r.value == pytest.approx(want.point, rel=1e-9)
        assert (r.ci_low, r.ci_high) == pytest.approx((want.low, want.high), rel=1e-9), r.loss

    yb = rng.integers(0, 2, size=n).astype(float)
    pb = np.clip(yb * 0.3 + rng.random(n) * 0.7, 1e-3, 1 - 1e-3)
    dfb = pd.DataFrame({"y_true": yb, "m1": pb, "m2": rng.random(n)})
    rep = losscli.evaluate_frame(
        dfb, preds=["m1", "m2"], ci=0.95, test="permutation", chunk_rows=2000
    )
    batch_b = {m: losses.Batch("binary", yb, dfb[m].to_numpy()) for m in ("m1", "m2")}
    table = {r.loss: states.state_of(r.loss) for r in rep.overall}
    st = {
        m: {loss: buckets.bucket_sums(t.terms(b), codes, 4096) for loss, t in table.items()}
        for m, b in batch_b.items()
    }
    want_b = analysis.analyse(st, table, analysis.Settings(test="permutation"))
    for c in rep.comparisons:
        assert c.p_value == want_b.comparisons[c.model, c.loss].p_value
        assert c.verdict == want_b.comparisons[c.model, c.loss].verdict
    assert {c.verdict for c in rep.comparisons} == {"worse"}  # m2 is noise


def test_label_predictions_whose_classes_appear_late() -> None:
    rng = np.random.default_rng(8)
    labels = np.array(["x", "y"])[rng.integers(0, 2, size=3000)]
    pred = labels.copy()
    pred[rng.random(3000) < 0.3] = "y"
    labels[-5:] = "z"  # a class first seen in the last chunk
    df = pd.DataFrame({"y_true": labels, "pred": pred})
    runs = [losscli.evaluate_frame(df, ci=0.95, chunk_rows=c) for c in (1 << 20, 700)]
    assert runs[0].overall and all(r.ci_low is not None for r in runs[0].overall)
    _same(_cells(runs[0]), _cells(runs[1]))


def test_a_skipped_loss_has_no_interval_and_no_comparison() -> None:
    df = _frame(n=1000)
    df.loc[3, "y_true"] = 0.0  # mape needs no zero truth: skipped
    report = losscli.evaluate_frame(df, preds=["a", "b"], ci=0.95)
    assert "mape" in [s.loss for s in report.skipped]
    assert "mape" not in {r.loss for r in report.overall} | {c.loss for c in report.comparisons}
    assert len(report.comparisons) == len(report.overall) / 2


# --------------------------------------------------------------------------- options


def test_baseline_holm_and_option_errors() -> None:
    df = _frame(groups=2)
    df["c"] = df["b"] + 0.01
    report = losscli.evaluate_frame(
        df, preds=["a", "b", "c"], losses=["mse", "mae"], by="g", ci=0.95, baseline="b"
    )
    assert {c.model for c in report.comparisons} == {"a", "c"}
    assert {c.baseline for c in report.comparisons} == {"b"}
    holm = losscli.evaluate_frame(
        df,
        preds=["a", "b", "c"],
        losses=["mse", "mae"],
        by="g",
        ci=0.95,
        baseline="b",
        correction="holm",
    )
    raw = [c.p_value for c in report.comparisons]
    assert [c.p_raw for c in holm.comparisons] == raw
    assert [c.p_value for c in holm.comparisons] == pytest.approx(resample.holm(raw))
    assert holm.bootstrap is not None and holm.bootstrap["correction"] == "holm"
    for kwargs, message in (
        ({"ci": 0.95, "baseline": "forest"}, "--baseline 'forest' names no model"),
        ({"baseline": "a"}, "--baseline needs --ci"),
        ({"resamples": 500, "test": "permutation"}, "--resamples, --test needs --ci"),
        ({"ci": 0.95, "resamples": 99}, "--resamples must be in"),
        ({"ci": 1.0}, r"--ci level must be in \(0, 1\)"),
        ({"ci": 0.95, "test": "t"}, "--test must be one of"),
        ({"ci": 0.95, "correction": "bonferroni"}, "--correction must be one of"),
    ):
        with pytest.raises(UsageError, match=message):
            losscli.evaluate_frame(df, preds=["a", "b"], **kwargs)  # type: ignore[arg-type]
    one = losscli.evaluate_frame(df, preds=["a"], ci=True)
    assert one.comparisons == [] and one.bootstrap is not None
    assert one.bootstrap["baseline"] is None and one.bootstrap["level"] == 0.95
