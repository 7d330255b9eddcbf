"""The linear state of every loss: per-row terms summed per bucket, and f(sums).

A loss's value on any set of rows is ``f(s)``, ``s`` a short vector of sums over those
rows. :func:`state_of` gives, for a loss id and its parameters, a :class:`LossState`:

* ``terms(batch) -> (n, F)``: each row's contribution to each of the F sums (a
  bucket's state is the column sums of its rows' terms);
* ``f(sums) -> values``: the loss from sums, vectorised over leading axes
  (``(B, F) -> (B,)`` for B bootstrap replicates), NaN where it is undefined.

| loss kind | fields | f |
|---|---|---|
| mean losses (all but the three below) | total = Σwℓ, weight = Σw | Σwℓ / Σw |
| rmse | total = Σwe², weight = Σw | √(Σwe² / Σw) |
| r2 | Σw, Σw(y−c), Σw(y−c)², Σwe² with a pivot c | 1 − Σwe² / (Σw(y−c)² − (Σw(y−c))²/Σw) |
| class-weighted CE | per class c: sums = Σwℓ, weights = Σw, counts | Σ_c w_c S_c / Σ_c w_c W_c |
| balanced_zero_one | the same 3K fields | mean over {c : W_c > 0} of S_c / W_c |

The mean and per-class states are the accumulators' own *declared* state
(:class:`losscli.losses.StateField`): the columns are the linear fields of the
accumulator that ``losscli.losses.REGISTRY[id].make(**params)`` builds, a row's terms
are its :meth:`~losscli.losses.Accumulator.row_terms` and f is its vectorised
:meth:`~losscli.losses.Accumulator.values`, so a state's full-data value is the
library's value and a new loss gets a state for free. r2 is the exception: its
accumulator merges ȳ and M2 by Chan's formula, which is not a sum, so its state here
is the pivot form, whose sums are linear. The pivot c must be the same for every row
of an evaluation (the engine passes the first truth value); with it the sums carry
the spread about c, not about 0, so a large offset does not cancel (exact when c is a
data value). Balanced class weights w_c = N / (K·n_c) are recomputed from each
replicate's class counts, as the full-data value computes them from the data.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from losscli import losses
from losscli.errors import LossInputError
from losscli.uncertainty.buckets import bucket_sums

FloatArray = npt.NDArray[np.float64]
Terms = Callable[[losses.Batch], FloatArray]
Reduce = Callable[[FloatArray], FloatArray]


@dataclass(frozen=True)
class LossState:
    """How one loss (with its parameters) becomes linear sums and back."""

    loss: str
    fields: tuple[str, ...]
    terms: Terms
    f: Reduce
    greater_is_better: bool = False

    @property
    def n_fields(self) -> int:
        return len(self.fields)

    def accumulate(
        self, batch: losses.Batch, codes: npt.NDArray[np.intp], n_buckets: int
    ) -> FloatArray:
        """This batch's (n_buckets, F) bucket state; ``codes`` = ``bucket_of`` of its
        rows' input numbers. States of chunks add."""
        return bucket_sums(self.terms(batch), codes, n_buckets)

    def value(self, sums: FloatArray) -> float:
        """The loss from one state vector (the exact full-data value from total sums)."""
        return float(self.f(np.asarray(sums, dtype=np.float64)[None, :])[0])


def _weights(batch: losses.Batch) -> FloatArray:
    return np.ones(batch.n) if batch.weight is None else batch.weight


def _checked(acc: losses.Accumulator, batch: losses.Batch) -> None:
    """Raise the loss's own skip reason when ``batch`` breaks its data requirement
    (or has another number of classes than the state's)."""
    check = getattr(acc, "check", None)
    reason = check(batch) if check is not None else None
    if reason is not None:
        raise LossInputError(reason)
    if acc.k and batch.n_classes != acc.k:
        raise LossInputError(f"batch has {batch.n_classes} classes, expected {acc.k}")


def _declared_state(loss: str, acc: losses.Accumulator, greater_is_better: bool) -> LossState:
    """The state the accumulator declares: one column per scalar linear field, K per
    ``per_class`` one (named ``field_c``), in the declared order; f is the
    accumulator's own vectorised :meth:`~losscli.losses.Accumulator.values`."""
    fields = acc.linear_fields()
    k = acc.k
    names: list[str] = []
    spans: list[tuple[str, slice | int]] = []
    for field in fields:
        if field.shape == "per_class":
            spans.append((field.name, slice(len(names), len(names) + k)))
            names += [f"{field.name}_{c}" for c in range(k)]
        else:
            spans.append((field.name, len(names)))
            names.append(field.name)

    def terms(batch: losses.Batch) -> FloatArray:
        _checked(acc, batch)
        rows = acc.row_terms(batch)
        return np.column_stack([rows[field.name] for field in fields])

    def f(sums: FloatArray) -> FloatArray:
        return acc.values({name: sums[..., at] for name, at in spans})

    return LossState(loss, tuple(names), terms, f, greater_is_better)


def _r2_state(pivot: float, acc: losses.Accumulator | None = None) -> LossState:
    """r2's pivot form; ``acc`` a convention's r2 that gives a constant truth a value
    (:class:`~losscli.losses.conventions.ConstantR2Accumulator`: ``exact`` when
    SSE = 0, else ``inexact``) instead of NaN."""
    c = float(pivot)
    constant = (getattr(acc, "exact", None), getattr(acc, "inexact", None))
    if not math.isfinite(c):
        raise LossInputError(f"the r2 pivot must be finite, got {pivot!r}")

    def terms(batch: losses.Batch) -> FloatArray:
        w = _weights(batch)
        d = batch.y - c
        wd = w * d
        return np.column_stack([w, wd, wd * d, w * batch.sq_e])

    def f(sums: FloatArray) -> FloatArray:
        w, s1, s2, sse = (sums[..., j] for j in range(4))
        with np.errstate(divide="ignore", invalid="ignore"):
            sst = s2 - s1 * s1 / w
        # relative guard: a constant truth leaves only rounding in s2 - s1²/w
        ok = (w > 0) & (sst > 1e-12 * np.abs(s2))
        out = np.where(ok, 1.0 - sse / np.where(ok, sst, 1.0), np.nan)
        if constant[1] is not None:
            exact = constant[0] if isinstance(constant[0], float) else np.nan
            flat = np.where(sse <= 0.0, exact, constant[1])
            out = np.where((w > 0) & ~ok, flat, out)
        return out

    fields = ("sum_w", "sum_w_dy", "sum_w_dy2", "sum_w_e2")
    return LossState("r2", fields, terms, f, greater_is_better=True)


def state_of(
    loss: str,
    *,
    n_classes: int = 2,
    pivot: float = 0.0,
    convention: str = "losscli",
    weighted: bool = False,
    **params: Any,
) -> LossState:
    """The :class:`LossState` of a loss id or alias with its parameters.

    ``params`` are the loss's own (``delta``, ``quantile``, ``eps``, ``class_weight``...)
    and are checked by the library; ``n_classes`` is used by the class-weighted losses,
    ``pivot`` by r2 (pass the first truth value of the input). ``convention``
    (``--convention``, with ``weighted``: the evaluation has sample weights): the
    columns and f of that library's accumulator (:func:`losscli.losses.conventions.bind`),
    so a replicate is computed by the same formula as the point value.
    """
    from losscli.losses import conventions

    spec = losses.get_spec(loss)
    made = conventions.bind(spec, convention, weighted=weighted)
    if spec.id == "r2":
        if params:
            raise LossInputError(f"r2 has no parameter {', '.join(sorted(params))}")
        return _r2_state(pivot, made.make())
    acc = made.make(n_classes=n_classes, **params)
    if not acc.linear_fields() or any(f.reduce == "own" for f in acc.state_fields):
        raise LossInputError(f"{spec.id} has no linear state")
    return _declared_state(spec.id, acc, spec.greater_is_better)


#: The loss ids that have a state: every loss of the library.
STATE_LOSSES: tuple[str, ...] = tuple(losses.REGISTRY)


def table(
    *,
    n_classes: int = 2,
    pivot: float = 0.0,
    params: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, LossState]:
    """A :class:`LossState` for every loss id, keyed by id, with the default parameters
    overridden by ``params[id]``; pinball only when ``params["pinball"]`` gives a quantile."""
    params = params or {}
    out: dict[str, LossState] = {}
    for loss in STATE_LOSSES:
        own = dict(params.get(loss, {}))
        if loss == "r2":
            out[loss] = state_of(loss, pivot=pivot)
        elif loss != "pinball" or own.get("quantile") is not None:
            out[loss] = state_of(loss, n_classes=n_classes, **own)
    return out
