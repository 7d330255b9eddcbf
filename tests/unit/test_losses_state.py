"""Declared state: every registered accumulator's state is a plain, serialisable dict
that merges, copies and reloads exactly, and the grouped (``--by``) path built from the
declaration gives each group the value of an accumulator fed only that group's rows."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from losscli import losses
from losscli.evaluate import grouped
from losscli.losses import REGISTRY
from losscli.tasks import BINARY, MULTICLASS, REGRESSION

K = 3
CASES = [(loss_id, task) for loss_id, spec in REGISTRY.items() for task in spec.tasks]


def _params(loss_id: str) -> dict[str, Any]:
    return {"quantile": 0.3} if "quantile" in REGISTRY[loss_id].params else {}


def _data(task: str, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    w = rng.uniform(0.1, 2.0, n)
    if task == REGRESSION:
        y = rng.gamma(2.0, 2.0, n) + 0.5
        return y, y * rng.uniform(0.5, 1.5, n), w
    if task == BINARY:
        y = rng.integers(0, 2, n).astype(float)
        y[:2] = (0.0, 1.0)
        return y, rng.uniform(0.01, 0.99, n), w
    y = rng.integers(0, K, n).astype(float)
    y[:K] = np.arange(K)
    raw = rng.uniform(0.05, 1.0, (n, K))
    return y, raw / raw.sum(axis=1, keepdims=True), w


def _acc(loss_id: str, task: str) -> losses.Accumulator:
    return REGISTRY[loss_id].make(n_classes=K if task == MULTICLASS else 2, **_params(loss_id))


def _batch(task: str, y: Any, p: Any, w: Any, offset: int = 0) -> losses.Batch:
    return losses.Batch(task, y, p, w, n_classes=K if task == MULTICLASS else None, offset=offset)


@pytest.mark.parametrize(("loss_id", "task"), CASES)
def test_state_round_trips_through_json_exactly(loss_id: str, task: str) -> None:
    y, p, w = _data(task, 300)
    acc = _acc(loss_id, task)
    acc.update(_batch(task, y, p, w))
    text = json.dumps(acc.state())  # plain numbers and lists: no numpy, no pickle
    again = _acc(loss_id, task).from_state(json.loads(text))
    assert again.result() == acc.result()
    assert again.state() == acc.state()


@pytest.mark.parametrize(("loss_id", "task"), CASES)
def test_copy_is_independent_and_merge_adds_states(loss_id: str, task: str) -> None:
    y, p, w = _data(task, 400, seed=1)
    whole = _acc(loss_id, task)
    whole.update(_batch(task, y, p, w))
    first = _acc(loss_id, task)
    first.update(_batch(task, y[:150], p[:150], w[:150]))
    before = first.state()
    twin = first.copy()
    twin.update(_batch(task, y[150:], p[150:], w[150:], offset=150))
    assert first.state() == before  # the copy shares no array with the original
    second = _acc(loss_id, task)
    second.update(_batch(task, y[150:], p[150:], w[150:], offset=150))
    merged = first.merge(second)
    assert merged.rows == whole.rows == 400
    assert merged.result() == pytest.approx(whole.result(), rel=1e-12)
    assert twin.result() == pytest.approx(whole.result(), rel=1e-12)


def test_a_violation_is_state_and_the_earliest_wins_a_merge() -> None:
    late, early = losses.REGISTRY["msle"].make(), losses.REGISTRY["msle"].make()
    late.update(_batch(REGRESSION, [1.0, 2.0, -1.0], [1.0, 1.0, 1.0], None, offset=10))
    early.update(_batch(REGRESSION, [1.0, 1.0], [1.0, -3.0], None, offset=4))
    assert late.state()["violation"] == [12, 0]  # row 12, rule 0 (y_true ≥ 0)
    merged = late.merge(early)
    assert merged.skip_reason() == "msle needs y_pred ≥ 0; first violation at index 5"
    reloaded = losses.REGISTRY["msle"].make().from_state(json.loads(json.dumps(merged.state())))
    assert reloaded.skip_reason() == merged.skip_reason()


def test_every_state_field_is_declared_with_rows_first() -> None:
    for loss_id, task in CASES:
        acc = _acc(loss_id, task)
        names = [f.name for f in acc.state_fields]
        assert names[0] == "rows", loss_id
        assert set(acc.state()) == set(names), loss_id


@pytest.mark.parametrize(("loss_id", "task"), CASES)
def test_grouped_states_equal_one_accumulator_per_group(loss_id: str, task: str) -> None:
    n, n_groups = 900, 7
    y, p, w = _data(task, n, seed=2)
    g = np.random.default_rng(3).integers(0, n_groups, n)
    g[:n_groups] = np.arange(n_groups)
    proto = _acc(loss_id, task)
    states = grouped.make_states(proto, 0)
    assert not isinstance(states, grouped.GenericStates)  # every library loss is declared
    rows = np.zeros(n_groups, dtype=np.int64)
    for lo, hi in ((0, 400), (400, n)):

        def make(m: int, yy: Any, pp: Any, ww: Any, ii: Any) -> losses.Batch:
            return losses.Batch(
                task, yy, pp, ww, n_classes=K if task == MULTICLASS else None, index=ii
            )

        chunk = grouped.Chunk(y[lo:hi], [p[lo:hi]], w[lo:hi], g[lo:hi], None, lo, n_groups, make)
        rows += chunk.counts
        states.grow(n_groups)
        states.add(_batch(task, y[lo:hi], p[lo:hi], w[lo:hi], offset=lo), g[lo:hi], {})
        states.end_chunk(chunk)
    out = states.finish(n_groups, rows)
    for c in range(n_groups):
        own = _acc(loss_id, task)
        sel = g == c
        own.update(_batch(task, y[sel], p[sel], w[sel]))
        if own.skip_reason() is None:
            assert out.ok[c], (loss_id, c)
            assert float(out.values[c]) == pytest.approx(own.result(), rel=1e-10), (loss_id, c)
    whole = _acc(loss_id, task)
    whole.update(_batch(task, y, p, w))
    assert out.overall.rows == n
    assert out.overall.result() == pytest.approx(whole.result(), rel=1e-10)
