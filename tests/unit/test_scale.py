"""``--by`` with many groups: per-group values against scikit-learn, the overall row
as the merge of the groups, skip reasons, the streamed JSON/CSV against the plain
renderers, the capped table, and no Result object per (group, loss) cell on the way."""

from __future__ import annotations

import csv
import io
import json
import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics

import losscli
from losscli import losses
from losscli.cli import app
from losscli.evaluate import evaluate_file, grouped
from losscli.evaluate import report as ev
from losscli.evaluate.engine import _group_order
from losscli.render import evaluate as render
from losscli.render import to_json

from conftest import runner

REL = 1e-9


def _regression_frame(n: int = 30_000, groups: int = 1_500, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.gamma(2.0, 5.0, n)
    g = rng.integers(0, groups, n)
    df = pd.DataFrame(
        {
            "y_true": y,
            "y_pred": y * np.exp(rng.normal(0.0, 0.3, n)),
            "w": rng.uniform(0.1, 2.0, n),
            "g": [f"k{v:05d}" for v in g],
        }
    )
    # group k00007 breaks msle and poisson (a negative truth), k00011 has a
    # constant truth (r2 undefined there only)
    df.loc[df.index[df["g"] == "k00007"][0], "y_true"] = -1.0
    df.loc[df["g"] == "k00011", "y_true"] = 3.0
    return df


SKLEARN_REGRESSION = {
    "mse": metrics.mean_squared_error,
    "rmse": lambda y, p, sample_weight=None: math.sqrt(
        metrics.mean_squared_error(y, p, sample_weight=sample_weight)
    ),
    "mae": metrics.mean_absolute_error,
    "msle": metrics.mean_squared_log_error,
    "poisson_deviance": metrics.mean_poisson_deviance,
    "mape": metrics.mean_absolute_percentage_error,
    "r2": metrics.r2_score,
    "pinball@0.5": lambda y, p, sample_weight=None: metrics.mean_pinball_loss(
        y, p, alpha=0.5, sample_weight=sample_weight
    ),
}


def _close(a: float | None, b: float, rel: float = REL) -> bool:
    assert a is not None
    return abs(a - b) <= rel * max(1.0, abs(b))


@pytest.mark.parametrize("weighted", [False, True])
def test_many_groups_match_sklearn_per_group(weighted: bool) -> None:
    df = _regression_frame()
    weight = "w" if weighted else None
    report = losscli.evaluate_frame(df, by="g", weight=weight, chunk_rows=4_099, quantiles=[0.5])
    assert report.groups == sorted(df["g"].unique())
    for group, part in df.groupby("g"):
        sw = part["w"].to_numpy() if weighted else None
        y, p = part["y_true"].to_numpy(), part["y_pred"].to_numpy()
        for loss, fn in SKLEARN_REGRESSION.items():
            got = report.value("y_pred", loss, str(group))
            if loss in ("msle", "poisson_deviance") and group == "k00007":
                assert got is None
                continue
            if loss == "r2" and group == "k00011":
                assert got is None
                continue
            assert _close(got, fn(y, p, sample_weight=sw)), (group, loss)
    # the rows of each group, and the overall rows: the merge of the groups
    rows = {r.group: r.rows for r in report.results if r.loss == "mse"}
    assert rows[None] == len(df)
    assert rows["k00003"] == int((df["g"] == "k00003").sum())
    sw = df["w"].to_numpy() if weighted else None
    y, p = df["y_true"].to_numpy(), df["y_pred"].to_numpy()
    for loss in ("mse", "rmse", "mae", "r2", "pinball@0.5"):
        want = SKLEARN_REGRESSION[loss](y, p, sample_weight=sw)
        assert _close(report.value("y_pred", loss), want), loss
    skipped = {s.loss: s.reason for s in report.skipped}
    first_bad = int(np.flatnonzero(y < 0)[0]) + 1
    assert skipped["msle"] == f"msle needs y_true ≥ 0; first violation at row {first_bad}"
    assert skipped["r2"] == "r2 is undefined when the truth is constant (group k00011)"


@pytest.mark.parametrize("chunk_rows", [3, 17, 1 << 20])
def test_the_overall_reason_names_the_earliest_violation(chunk_rows: int) -> None:
    # many groups with a violation each, scattered: the overall reason names the
    # file's first violating row whatever the chunking (a y_pred < 0 row before
    # the first y_true < 0 row of another group: the earlier row wins)
    rng = np.random.default_rng(3)
    n = 400
    y = rng.uniform(1, 5, n)
    p = rng.uniform(1, 5, n)
    g = rng.integers(0, 60, n)
    y[[50, 120, 300]] = -1.0
    p[[37, 200]] = -2.0
    df = pd.DataFrame({"y_true": y, "y_pred": p, "g": g})
    report = losscli.evaluate_frame(df, by="g", chunk_rows=chunk_rows)
    (reason,) = [s.reason for s in report.skipped if s.loss == "msle"]
    assert reason == "msle needs y_pred ≥ 0; first violation at row 38"
    assert report.value("y_pred", "msle") is None
    for group, part in df.groupby("g"):
        yy, pp = part["y_true"].to_numpy(), part["y_pred"].to_numpy()
        assert _close(report.value("y_pred", "mse", str(group)), metrics.mean_squared_error(yy, pp))
        msle = report.value("y_pred", "msle", str(group))
        if (yy < 0).any() or (pp < 0).any():
            assert msle is None
        else:
            assert _close(msle, metrics.mean_squared_log_error(yy, pp))


def test_class_weighted_losses_per_group_match_sklearn() -> None:
    rng = np.random.default_rng(8)
    n, groups = 20_000, 300
    df = pd.DataFrame(
        {
            "label": (rng.random(n) < 0.2).astype(int),
            "prob": rng.uniform(0.02, 0.98, n),
            "site": rng.integers(0, groups, n),
        }
    )
    df.loc[df["site"] == 5, "label"] = 1  # one class only: balanced weights undefined
    report = losscli.evaluate_frame(df, by="site", chunk_rows=3_001)
    for site, part in df.groupby("site"):
        y, p = part["label"].to_numpy(), part["prob"].to_numpy()
        got = report.value("prob", "binary_crossentropy", str(site))
        assert _close(got, metrics.log_loss(y, p, labels=[0, 1]))
        assert _close(report.value("prob", "brier", str(site)), metrics.brier_score_loss(y, p))
        got = report.value("prob", "weighted_binary_crossentropy", str(site))
        if site == 5:
            assert got is None
            continue
        sample = _balanced(y)
        assert _close(got, metrics.log_loss(y, p, sample_weight=sample, labels=[0, 1]))
    reasons = [s.reason for s in report.skipped if s.loss == "weighted_binary_crossentropy"]
    assert reasons == [
        "class-balanced weights need at least two classes present in y_true (group 5)"
    ]
    y, p = df["label"].to_numpy(), df["prob"].to_numpy()
    overall = report.value("prob", "weighted_binary_crossentropy")
    assert _close(overall, metrics.log_loss(y, p, sample_weight=_balanced(y)))


def _balanced(y: np.ndarray) -> np.ndarray:
    """scikit-learn's 'balanced' class weight of each row: n / (K · n_c)."""
    from sklearn.utils.class_weight import compute_sample_weight

    return compute_sample_weight("balanced", y)


def test_multiclass_many_groups_match_sklearn() -> None:
    rng = np.random.default_rng(9)
    n, k = 6_000, 4
    scores = rng.normal(size=(n, k))
    prob = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    df = pd.DataFrame({f"prob_{c}": prob[:, c] for c in range(k)})
    df.insert(0, "label", rng.integers(0, k, n))
    df["g"] = rng.integers(0, 300, n)
    report = losscli.evaluate_frame(df, by="g", chunk_rows=1_000)
    for group, part in df.groupby("g"):
        y = part["label"].to_numpy()
        p = part[[f"prob_{c}" for c in range(k)]].to_numpy()
        want = metrics.log_loss(y, p, labels=list(range(k)))
        assert _close(report.value("prob", "categorical_crossentropy", str(group)), want)
        if len(set(y)) > 1:
            got = report.value("prob", "weighted_categorical_crossentropy", str(group))
            want = metrics.log_loss(y, p, sample_weight=_balanced(y), labels=list(range(k)))
            assert _close(got, want)


# --------------------------------------------------------------------------- kinds


class _OwnResult(losses.ClassWeightedAccumulator):
    """A subclass with its own result (the unweighted mean error rate per class):
    its sums are the base class's, its result is not."""

    def result(self) -> float:
        with np.errstate(invalid="ignore"):
            rate = self.sums / self.weights
        return float(np.nanmean(rate))


class _Opaque(losses.Accumulator):
    """An accumulator kind the grouped states do not know: the largest |e|."""

    def __init__(self) -> None:
        self.rows = 0
        self.top = 0.0

    def update(self, batch: losses.Batch) -> None:
        self.rows += batch.n
        self.top = max(self.top, float(batch.abs_e.max()))

    def merge(self, other: losses.Accumulator) -> _Opaque:
        assert isinstance(other, _Opaque)
        self.rows += other.rows
        self.top = max(self.top, other.top)
        return self

    def result(self) -> float:
        return self.top


def _feed(proto: losses.Accumulator, task: str, y: Any, p: Any, g: np.ndarray) -> Any:
    """Run one states object over ``y, p`` in two chunks; return its outcome."""
    n_groups = int(g.max()) + 1
    states = grouped.make_states(proto, 0)
    rows = np.zeros(n_groups, dtype=np.int64)
    for lo, hi in ((0, len(y) // 3), (len(y) // 3, len(y))):

        def make(m: int, yy: Any, pp: Any, ww: Any, ii: Any) -> losses.Batch:
            return losses.Batch(task, yy, pp, ww, index=ii)

        chunk = grouped.Chunk(y[lo:hi], [p[lo:hi]], None, g[lo:hi], None, lo, n_groups, make)
        rows += chunk.counts
        states.grow(n_groups)
        states.add(losses.Batch(task, y[lo:hi], p[lo:hi], offset=lo), g[lo:hi], {})
        states.end_chunk(chunk)
    return type(states), states.finish(n_groups, rows)


def test_subclass_with_its_own_result_and_an_unknown_kind_per_group() -> None:
    rng = np.random.default_rng(4)
    n = 3_000
    y = (rng.random(n) < 0.4).astype(float)
    p = rng.uniform(0.01, 0.99, n)
    g = rng.integers(0, 40, n)
    zero_one = losses.REGISTRY["zero_one"].make()
    proto = _OwnResult(zero_one.term, 2, "balanced")  # type: ignore[attr-defined]
    kind, out = _feed(proto, "binary", y, p, g)
    assert kind is grouped.ClassWeightedStates
    for c in range(40):
        yy, pp = y[g == c], p[g == c]
        # oracle: 1 - balanced accuracy = the mean over classes of the error rate
        want = 1.0 - metrics.balanced_accuracy_score(yy, pp >= 0.5)
        assert out.ok[c] and _close(float(out.values[c]), want), c
    kind, out = _feed(_Opaque(), "regression", rng.normal(size=n), rng.normal(size=n), g)
    assert kind is grouped.GenericStates
    assert out.ok.all()


def test_no_result_object_per_cell_for_csv_json_and_table(monkeypatch: pytest.MonkeyPatch) -> None:
    df = _regression_frame(n=20_000, groups=2_000)
    report = losscli.evaluate_frame(df, by="g")
    made = []
    real = ev.Result

    class Counting(real):  # type: ignore[misc,valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            made.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(ev, "Result", Counting)
    render.evaluate_csv(report)
    render.evaluate_json(report)
    render.evaluate_table(report)
    render.evaluate_markdown(report)
    assert made == []
    report.results  # noqa: B018 (built on demand: one per cell)
    assert len(made) == int(report.grouped.ok.sum())  # type: ignore[union-attr]


# --------------------------------------------------------------------------- renderers


def test_streamed_json_and_csv_equal_the_plain_renderers() -> None:
    df = _regression_frame(n=5_000, groups=300)
    df.loc[df["g"] == "k00003", "g"] = '=cmd|"x",\n@evil'  # formula, quotes, newline
    report = losscli.evaluate_frame(df, by="g", weight="w")
    assert render.evaluate_json(report) == to_json(report.to_dict())
    plain = io.StringIO()
    writer = csv.writer(plain, lineterminator="\n")
    writer.writerow(["model", "group", "loss", "value", "rows"])
    from losscli.render import csv_cell

    for r in report.results:
        cell = "" if r.group is None else csv_cell(r.group)
        writer.writerow([csv_cell(r.model), cell, r.loss, repr(r.value), str(r.rows)])
    assert render.evaluate_csv(report) == plain.getvalue()
    doc = json.loads(render.evaluate_json(report))
    assert len(doc["results"]) == len(report.results)


def _write(df: pd.DataFrame, path: Path) -> Path:
    df.to_csv(path, index=False)
    return path


def test_table_shows_the_worst_groups_and_says_how_many_are_left_out(tmp_path: Path) -> None:
    rng = np.random.default_rng(12)
    n, groups = 8_000, 400
    g = rng.integers(0, groups, n)
    y = rng.normal(0, 1, n)
    noise = rng.uniform(0.1, 3.0, groups)[g]  # each group its own error scale
    df = pd.DataFrame({"y_true": y, "y_pred": y + rng.normal(0, 1, n) * noise, "g": g})
    path = _write(df, tmp_path / "g.csv")
    mse = df.groupby("g").apply(
        lambda part: metrics.mean_squared_error(part["y_true"], part["y_pred"])
    )
    r2 = df.groupby("g").apply(lambda part: metrics.r2_score(part["y_true"], part["y_pred"]))
    res = runner.invoke(app, ["evaluate", str(path), "--by", "g", "-l", "mse", "-l", "r2"])
    assert res.exit_code == 0, res.output
    shown = _groups_in_table(res.stdout)
    assert shown == [str(v) for v in mse.sort_values(ascending=False).index[:50]]
    note = "50 of 400 groups shown (the worst by mse, highest first); 350 left out: -o csv lists"
    assert note in " ".join(res.stdout.split())
    # r2 first: higher is better, so the worst are the lowest
    res = runner.invoke(
        app, ["evaluate", str(path), "--by", "g", "-l", "r2", "-l", "mse", "--max-groups", "7"]
    )
    assert _groups_in_table(res.stdout) == [str(v) for v in r2.sort_values().index[:7]]
    assert "(the worst by r2, lowest first); 393 left out" in " ".join(res.stdout.split())
    res = runner.invoke(app, ["evaluate", str(path), "--by", "g", "-o", "markdown"])
    body = [line for line in res.stdout.splitlines() if line.startswith("| ")]
    assert len({line.split("|")[1] for line in body[2:]}) == 51  # *all* + 50 groups
    res = runner.invoke(app, ["evaluate", str(path), "--by", "g", "-o", "csv"])
    assert len({row["group"] for row in csv.DictReader(io.StringIO(res.stdout))}) == 401
    res = runner.invoke(app, ["evaluate", str(path), "--by", "g", "--max-groups", "0"])
    assert len(_groups_in_table(res.stdout)) == 400
    assert "left out" not in res.stdout


def _groups_in_table(text: str) -> list[str]:
    """The group cells of a plain (non-terminal) rich table, in order, once each."""
    seen: list[str] = []
    for line in text.splitlines():
        if not line.startswith("│"):
            continue
        cell = line.strip("│┃").split("│")[0].strip()
        if cell and cell != "all" and (not seen or seen[-1] != cell):
            seen.append(cell)
    return seen


def test_group_order_is_numeric_then_text() -> None:
    # oracle: Python's sort with the documented key (numbers first, numerically)
    labels = ["10", "b", "2", "-1.5", "a", "1e3", "B", "2.0", " 3", "x10", "inf", "0"]

    def key(label: str) -> tuple[int, float, str]:
        try:
            return (0, float(label), label)
        except ValueError:
            return (1, 0.0, label)

    order = _group_order(labels)
    assert [labels[i] for i in order] == sorted(labels, key=key)
    rng = np.random.default_rng(0)
    many = [f"g{v}" if v % 3 else str(v) for v in rng.integers(0, 10_000, 5_000)]
    many = list(dict.fromkeys(many))
    assert [many[i] for i in _group_order(many)] == sorted(many, key=key)


def test_label_predictions_per_group_match_sklearn(tmp_path: Path) -> None:
    # class labels as predictions, many groups, classes met as the file streams:
    # zero_one and balanced_zero_one per group against scikit-learn
    rng = np.random.default_rng(17)
    n = 6_000
    truth = rng.choice(["cat", "dog", "fish"], n, p=[0.6, 0.3, 0.1])
    pred = np.where(rng.random(n) < 0.7, truth, rng.choice(["cat", "dog", "fish", "owl"], n))
    df = pd.DataFrame({"y_true": truth, "pred_label": pred, "g": rng.integers(0, 200, n)})
    path = _write(df, tmp_path / "labels.csv")
    report = evaluate_file(str(path), by="g", chunk_rows=700)
    for group, part in df.groupby("g"):
        y, p = part["y_true"].to_numpy(), part["pred_label"].to_numpy()
        got = report.value("pred_label", "zero_one", str(group))
        assert _close(got, metrics.zero_one_loss(y, p)), group
        got = report.value("pred_label", "balanced_zero_one", str(group))
        with warnings.catch_warnings():  # (sklearn warns of the predicted-only "owl")
            warnings.simplefilter("ignore")
            want = 1.0 - metrics.balanced_accuracy_score(y, p)
        assert _close(got, want), group


@pytest.mark.parametrize("chunk_rows", [5, 1 << 20])
def test_group_labels_alike_but_distinct_stay_apart(chunk_rows: int) -> None:
    # labels numpy strings would merge (trailing NUL), a label new in a later
    # chunk, a missing group value dropped: per-group values against sklearn
    labels = ["a", "a\x00", "b", "a", "c", "b", "a\x00", "d", "a", "c", "d", "b"]
    y = np.arange(len(labels), dtype=float)
    p = y + np.linspace(-1, 2, len(labels))
    df = pd.DataFrame({"y_true": y, "y_pred": p, "g": labels})
    report = losscli.evaluate_frame(df, by="g", chunk_rows=chunk_rows, losses=["mae"])
    assert sorted(report.groups) == sorted(set(labels))
    for group in set(labels):
        part = df[df["g"] == group]
        want = metrics.mean_absolute_error(part["y_true"], part["y_pred"])
        assert _close(report.value("y_pred", "mae", group), want), repr(group)
