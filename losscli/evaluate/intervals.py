"""``--ci``: bucket states → the report's intervals, paired comparisons and ``bootstrap``.

The engine's :class:`~losscli.evaluate.bootstrap.BucketSums` holds the states; this
module turns them into report fields once the point values are known, because only
the cells that *have* a value (not skipped, enough rows) get an interval or take part
in a comparison, and the comparisons' Δ is the difference of the report's exact
values. One :func:`losscli.uncertainty.analysis.analyse_groups` call for the overall
cells and one per :data:`GROUP_BATCH` groups (a few ``W.T @ S`` products over every
group, model and loss; the weights drawn once per call);
Holm's correction, when asked, runs once over every compared cell of the report
(overall and groups together: the family is what the user reads).

Rules (issue 14): a cell of fewer than :data:`losscli.uncertainty.analysis.MIN_ROWS`
rows gets no interval and one warning per group (the first
:data:`MAX_GROUP_WARNINGS`, then one line counting the rest); an undefined
interval (too many undefined replicates) is ``None`` too; the baseline is the first
model when none is named and there are two or more.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from losscli.errors import LossInputError
from losscli.evaluate.report import ComparisonRow, GroupTable, Result

if TYPE_CHECKING:
    import numpy as np

    from losscli.evaluate.bootstrap import BucketSums
    from losscli.evaluate.plan import LossPlan
    from losscli.uncertainty.resample import Comparison, Interval
    from losscli.uncertainty.states import LossState

MAX_GROUP_WARNINGS = 10
#: groups analysed together (their states are held at once: bounded memory)
GROUP_BATCH = 256


@dataclass
class Filled:
    """What :func:`fill` gives back to the engine's report."""

    overall: list[Result]
    table: GroupTable | None
    comparisons: list[ComparisonRow]
    bootstrap: dict[str, Any]
    warnings: list[str]


def baseline_of(name: str | None, models: Sequence[str], columns: dict[str, list[str]]) -> str:
    """``--baseline``: a model's name, or the one prediction column of a model."""
    from losscli.errors import UsageError

    if name is None:
        return models[0]
    if name in models:
        return name
    for model, cols in columns.items():
        if cols == [name]:
            return model
    raise UsageError(f"--baseline {name!r} names no model; models are: {', '.join(models)}")


def loss_states(plans: Sequence[LossPlan], n_classes: int, pivot: float) -> list[LossState | None]:
    """Each reported loss's :class:`LossState` (``None``: a loss without linear state),
    under the plan's ``--convention`` (a replicate is the point value's formula)."""
    from losscli.losses.conventions import BoundSpec
    from losscli.uncertainty.states import state_of

    out: list[LossState | None] = []
    for plan in plans:
        spec = plan.spec
        conv = (
            (spec.convention, spec.weighted) if isinstance(spec, BoundSpec) else ("losscli", False)
        )
        try:
            out.append(
                state_of(
                    spec.id,
                    n_classes=max(n_classes, 2),
                    pivot=pivot,
                    convention=conv[0],
                    weighted=conv[1],
                    **plan.params,
                )
            )
        except (LossInputError, TypeError, ValueError):
            out.append(None)
    return out


class _Run:
    """One report's ``--ci`` analysis: the calls of :func:`analyse` and what they found."""

    def __init__(
        self, sums: BucketSums, plans: Sequence[LossPlan], models: Sequence[str], baseline: str
    ) -> None:
        self.sums, self.models, self.baseline = sums, list(models), baseline
        self.keys = [p.key for p in plans]
        self.states = loss_states(plans, sums.n_classes, sums.pivot or 0.0)
        self.by_key = {k: s for k, s in zip(self.keys, self.states, strict=True) if s is not None}
        self.plain = dataclasses.replace(sums.settings, correction="none")
        self.found: dict[tuple[str | None, str, str], Comparison] = {}
        #: (group, model, loss) → the report's exact value, for Δ
        self.values: dict[tuple[str | None, str, str], float] = {}

    def cells(
        self, ok: np.ndarray, values: np.ndarray, group: int | None, label: str | None
    ) -> dict[str, dict[str, np.ndarray]]:
        """The states of the cells with a value (``ok[loss, model]``) of one group
        (``None``: the overall cells), noting their exact values for Δ."""
        cells: dict[str, dict[str, np.ndarray]] = {}
        for m, model in enumerate(self.models):
            cells[model] = {}
            for li, key in enumerate(self.keys):
                matrix = self.sums.matrix(m, li, group) if ok[li, m] else None
                if matrix is not None and self.states[li] is not None:
                    cells[model][key] = matrix
                    self.values[label, model, key] = float(values[li, m])
        return cells

    def analyse(
        self, cells: list[dict[str, dict[str, np.ndarray]]], labels: list[str | None]
    ) -> list[dict[tuple[str, str], Interval]]:
        """The intervals of several groups' cells, recording their comparisons."""
        from losscli.uncertainty import analysis

        found = analysis.analyse_groups(cells, self.by_key, self.plain, baseline=self.baseline)
        for label, result in zip(labels, found, strict=True):
            self.found |= {(label, m, loss): c for (m, loss), c in result.comparisons.items()}
        return [result.intervals for result in found]

    def overall(self, overall: list[Result], name: str, rows: int) -> tuple[list[Result], str]:
        """The overall results with their intervals (and a warning when too few rows)."""
        import numpy as np

        from losscli.uncertainty.analysis import MIN_ROWS

        if rows < MIN_ROWS:
            return overall, f"{name}: --ci: {_few(rows)}: no intervals"
        shape = (len(self.keys), len(self.models))
        ok, values = np.zeros(shape, dtype=bool), np.full(shape, np.nan)
        for r in overall:
            at = (self.keys.index(r.loss), self.models.index(r.model))
            ok[at], values[at] = True, r.value
        (found,) = self.analyse([self.cells(ok, values, None, None)], [None])
        out = []
        for r in overall:
            iv = found.get((r.model, r.loss))
            low, high = (None, None) if iv is None else _pair(iv.low, iv.high)
            out.append(dataclasses.replace(r, ci_low=low, ci_high=high))
        return out, ""

    def groups(
        self, table: GroupTable, order: np.ndarray, name: str
    ) -> tuple[GroupTable, list[str]]:
        """The group table with its intervals, and the small groups' warnings."""
        import numpy as np

        from losscli.uncertainty.analysis import MIN_ROWS

        low, high = np.full(table.values.shape, np.nan), np.full(table.values.shape, np.nan)
        small: list[str] = []
        big = []
        for i, label in enumerate(table.labels):
            rows = int(table.rows[i])
            if rows < MIN_ROWS:
                small.append(f"{name}: --ci: group {label!r}: {_few(rows)}: no interval")
            else:
                big.append(i)
        for lo in range(0, len(big), GROUP_BATCH):
            part = big[lo : lo + GROUP_BATCH]
            cells = [
                self.cells(table.ok[i], table.values[i], int(order[i]), table.labels[i])
                for i in part
            ]
            found = self.analyse(cells, [table.labels[i] for i in part])
            for i, intervals in zip(part, found, strict=True):
                for (m, loss), v in intervals.items():
                    at = (i, self.keys.index(loss), self.models.index(m))
                    low[at], high[at] = v.low, v.high
        warnings = small[:MAX_GROUP_WARNINGS]
        if len(small) > MAX_GROUP_WARNINGS:
            warnings.append(
                f"{name}: --ci: {len(small) - MAX_GROUP_WARNINGS} more groups with fewer than "
                f"{MIN_ROWS} rows have no interval"
            )
        return dataclasses.replace(table, ci_low=low, ci_high=high), warnings


def fill(
    sums: BucketSums,
    *,
    name: str,
    plans: Sequence[LossPlan],
    models: Sequence[str],
    baseline: str,
    overall: list[Result],
    table: GroupTable | None,
    order: np.ndarray | None,
    rows: int,
) -> Filled:
    """The report's ``--ci`` fields. ``order[i]``: the group code of ``table.labels[i]``."""
    from losscli.uncertainty import analysis

    run = _Run(sums, plans, models, baseline)
    filled, warning = run.overall(overall, name, rows)
    warnings = [warning] if warning else []
    if table is not None and order is not None:
        table, small = run.groups(table, order, name)
        warnings += small
    cfg = sums.settings
    found = run.found
    if cfg.correction == "holm" and found:
        found = analysis.correct(found, cfg.level)
    comparisons = _rows(found, run.values, baseline, run.keys, run.models, table)
    boot = {
        "method": cfg.method,
        "level": cfg.level,
        "resamples": cfg.resamples,
        "seed": cfg.seed,
        "test": cfg.test,
        "correction": cfg.correction,
        "baseline": baseline if len(models) > 1 else None,
        "buckets": sums.width,
    }
    return Filled(filled, table, comparisons, boot, warnings)


def _few(rows: int) -> str:
    from losscli.uncertainty.analysis import MIN_ROWS

    noun = "row" if rows == 1 else "rows"
    return f"{rows} {noun}, fewer than the {MIN_ROWS} an interval needs"


def _pair(low: float, high: float) -> tuple[float | None, float | None]:
    if math.isfinite(low) and math.isfinite(high):
        return (low, high)
    return (None, None)


def _rows(
    found: dict[tuple[str | None, str, str], Comparison],
    values: dict[tuple[str | None, str, str], float],
    baseline: str,
    keys: Sequence[str],
    models: Sequence[str],
    table: GroupTable | None,
) -> list[ComparisonRow]:
    """The comparisons in report order: overall first, then group by group; loss by
    loss, model by model. Δ is the difference of the report's exact values."""
    groups: list[str | None] = [None, *(table.labels if table is not None else [])]
    rank = {g: i for i, g in enumerate(groups)}
    ordered = sorted(
        found.items(), key=lambda kv: (rank[kv[0][0]], keys.index(kv[0][2]), models.index(kv[0][1]))
    )
    out: list[ComparisonRow] = []
    for (group, model, loss), c in ordered:
        delta = values[group, model, loss] - values[group, baseline, loss]
        low, high = _pair(c.low, c.high)
        p = c.p_adjusted if c.p_adjusted is not None else c.p_value
        out.append(
            ComparisonRow(
                model=model,
                baseline=baseline,
                group=group,
                loss=loss,
                delta=delta,
                ci_low=low,
                ci_high=high,
                p_value=p if math.isfinite(p) else None,
                verdict=c.verdict,
                p_raw=c.p_value if c.p_adjusted is not None and math.isfinite(c.p_value) else None,
            )
        )
    return out
