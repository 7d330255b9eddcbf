"""Registry-driven invariants: every registered loss is checked the moment it exists
(the pattern of scikit-learn's metrics/tests/test_common.py).

The cases are every registered loss × task, plus the toy loss of
``registry_cases`` (registered by an autouse fixture while its own cases run): a loss
added by the CONTRIBUTING.md recipe meets the same invariants with no test edited."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from registry_cases import TOY_CASES, cases, toy_for

from losscli import losses
from losscli.tasks import BINARY, MULTICLASS, REGRESSION

CASES = cases()
K = 4


@pytest.fixture(autouse=True)
def _toy_loss(request: pytest.FixtureRequest) -> Iterator[None]:
    """The toy loss is in the registry while (only while) its own cases run."""
    with toy_for(request.node):
        yield


def _params(spec: losses.LossSpec) -> dict[str, Any]:
    return {"quantile": 0.3} if "quantile" in spec.params else {}


def _data(task: str, seed: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    w = rng.uniform(0.1, 2.0, n)
    if task == REGRESSION:
        y = rng.gamma(2.0, 2.0, n) + 0.5
        y[0] += 1.0  # never constant, so r2 applies
        return y, y * rng.uniform(0.5, 1.5, n), w
    if task == BINARY:
        y = rng.integers(0, 2, n).astype(float)
        y[0], y[-1] = 0.0, 1.0
        return y, rng.uniform(0.01, 0.99, n), w
    y = rng.integers(0, K, n).astype(float)
    y[0], y[-1] = 0.0, 1.0
    raw = rng.uniform(0.05, 1.0, (n, K))
    return y, raw / raw.sum(axis=1, keepdims=True), w


def _perfect(task: str, y: np.ndarray) -> np.ndarray:
    if task == MULTICLASS:
        return np.eye(K)[y.astype(int)]
    return y.copy()


def _evaluate(
    loss_id: str,
    task: str,
    y: np.ndarray,
    p: np.ndarray,
    w: np.ndarray | None,
    cuts: list[int] | None = None,
    shuffle_seed: int | None = None,
) -> float:
    spec = losses.REGISTRY[loss_id]
    n_classes = K if task == MULTICLASS else 2
    bounds = [0, *(cuts or []), len(y)]
    accs = []
    for start, stop in itertools.pairwise(bounds):
        if start == stop:
            continue
        acc = spec.make(n_classes=n_classes, **_params(spec))
        acc.update(
            losses.Batch(
                task,
                y[start:stop],
                p[start:stop],
                None if w is None else w[start:stop],
                n_classes=K if task == MULTICLASS else None,
                offset=start,
            )
        )
        accs.append(acc)
    if shuffle_seed is not None:
        # merge order must not matter
        accs = [accs[i] for i in np.random.default_rng(shuffle_seed).permutation(len(accs))]
    total = accs[0]
    for acc in accs[1:]:
        total.merge(acc)
    return total.result()


params = pytest.mark.parametrize(("loss_id", "task"), CASES + TOY_CASES)
# (the registering fixture is function-scoped; the registration holds for every example)
SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@params
@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 80))
def test_non_negative_except_r2(loss_id: str, task: str, seed: int, n: int) -> None:
    y, p, w = _data(task, seed, n)
    value = _evaluate(loss_id, task, y, p, w)
    assert np.isfinite(value)
    if loss_id != "r2":
        assert value >= 0.0


@params
@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 80))
def test_perfect_prediction_scores_zero(loss_id: str, task: str, seed: int, n: int) -> None:
    y, _, w = _data(task, seed, n)
    value = _evaluate(loss_id, task, y, _perfect(task, y), w)
    if loss_id == "r2":
        assert value == pytest.approx(1.0, abs=1e-12)
    else:
        # classification clips probabilities at ε = 1e-7: -log(1 - ε) ≈ 1e-7
        assert value == pytest.approx(0.0, abs=2e-7)


@params
@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 80))
def test_weights_of_ones_equal_no_weights(loss_id: str, task: str, seed: int, n: int) -> None:
    y, p, _ = _data(task, seed, max(n, 2))
    ones = np.ones(len(y))
    assert _evaluate(loss_id, task, y, p, ones) == pytest.approx(
        _evaluate(loss_id, task, y, p, None), rel=1e-12, abs=1e-15
    )


@params
@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 80), perm_seed=st.integers(0, 1000))
def test_invariant_to_row_order(loss_id: str, task: str, seed: int, n: int, perm_seed: int) -> None:
    y, p, w = _data(task, seed, n)
    perm = np.random.default_rng(perm_seed).permutation(n)
    assert _evaluate(loss_id, task, y[perm], p[perm], w[perm]) == pytest.approx(
        _evaluate(loss_id, task, y, p, w), rel=1e-12, abs=1e-15
    )


@params
@SETTINGS
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(2, 200),
    cuts=st.lists(st.integers(0, 200), max_size=8),
    shuffle_seed=st.integers(0, 1000),
    weighted=st.booleans(),
)
def test_chunked_and_merged_in_any_order_equals_one_shot(
    loss_id: str, task: str, seed: int, n: int, cuts: list[int], shuffle_seed: int, weighted: bool
) -> None:
    y, p, w = _data(task, seed, n)
    weights = w if weighted else None
    chunked = _evaluate(loss_id, task, y, p, weights, sorted(c % n for c in cuts), shuffle_seed)
    assert chunked == pytest.approx(_evaluate(loss_id, task, y, p, weights), rel=1e-12, abs=1e-15)


def test_every_registered_loss_has_an_invariant_case() -> None:
    assert {loss_id for loss_id, _ in CASES} == set(losses.REGISTRY)
