"""The report of an evaluation, as frozen data: what every output format is made from.

:class:`EvaluationReport` holds the overall results as :class:`Result` objects and the
``--by`` cells as arrays (:class:`GroupTable`): a report of 100K groups × 10 losses
builds no object per cell unless :attr:`EvaluationReport.results` is asked for. The
gates judged on the report (:mod:`losscli.evaluate.gates`) are part of it, so the
renderers word them and the CLI only reads ``failed``. Nothing here imports numpy at
module level: the report types are imported on the CLI's start-up paths.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from losscli.evaluate.gates import GateOutcome

SCHEMA = "losscli.evaluate/1"


@dataclass(frozen=True)
class Result:
    model: str
    group: str | None
    loss: str
    value: float
    rows: int
    #: ``--ci``: the percentile bootstrap interval (None without ``--ci``, or when the
    #: cell has too few rows for one, or the interval is undefined)
    ci_low: float | None = None
    ci_high: float | None = None


@dataclass(frozen=True)
class ComparisonRow:
    """``--ci`` with two or more models: Δ = loss(model) − loss(baseline) in one cell.

    ``verdict`` is "better" / "worse" / "no significant difference" at the level,
    direction-aware (r2: higher is better); ``p_value`` is the one the verdict used
    (Holm-adjusted with ``--correction holm``, then ``p_raw`` is the unadjusted one).
    """

    model: str
    baseline: str
    group: str | None
    loss: str
    delta: float
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    verdict: str
    p_raw: float | None = None


#: the fields of a comparison, in order: the JSON entry's keys and the CSV block's columns
COMPARISON_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(ComparisonRow))


@dataclass(frozen=True)
class Skipped:
    loss: str
    reason: str


@dataclass(frozen=True)
class GroupTable:
    """The per-group cells of a ``--by`` report, as arrays (a :class:`Result` per cell
    is only built on demand, see :attr:`EvaluationReport.results`).

    ``values[i, j, k]``: group ``labels[i]`` (report order), loss ``losses[j]`` of the
    report, model ``models[k]``; ``ok`` says which cells have a value (the others were
    skipped, with their reason in the report's ``skipped``); ``rows[i]``: the group's rows.
    """

    labels: list[str]
    values: np.ndarray
    ok: np.ndarray
    rows: np.ndarray
    #: ``--ci``: intervals shaped as ``values`` (NaN where a cell has none)
    ci_low: np.ndarray | None = None
    ci_high: np.ndarray | None = None

    def ci(self, i: int, j: int, k: int) -> tuple[float | None, float | None]:
        """The interval of cell (group i, loss j, model k), ``None``s when it has none."""
        if self.ci_low is None or self.ci_high is None:
            return (None, None)
        low, high = float(self.ci_low[i, j, k]), float(self.ci_high[i, j, k])
        return (low, high) if math.isfinite(low) and math.isfinite(high) else (None, None)


@dataclass(frozen=True)
class EvaluationReport:
    """Everything ``losscli evaluate`` prints, in every format."""

    file: str
    task: str
    rows: int
    target: str
    weight: str | None
    group_by: str | None
    models: list[str]
    classes: list[str] | None
    params: dict[str, Any]
    #: the overall results (group ``None``), loss by loss, model by model
    overall: list[Result]
    skipped: list[Skipped]
    #: loss result keys in report order (rows of the table)
    losses: list[str] = field(default_factory=list)
    #: group values in report order (without the overall ``None``)
    groups: list[str] = field(default_factory=list)
    #: model name → its prediction columns (a gate may name a model by column)
    model_columns: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    dropped: int = 0
    #: the ``--fail-if`` gates judged on the overall results, in the order given
    gates: list[GateOutcome] = field(default_factory=list)
    #: per model: name, kind ("probability" | "label" | "score" | "value"), columns
    models_info: list[dict[str, Any]] = field(default_factory=list)
    #: ``--by``: every group's values
    grouped: GroupTable | None = None
    #: ``--ci`` with two or more models: every paired comparison (issue 14)
    comparisons: list[ComparisonRow] = field(default_factory=list)
    #: ``--ci``: method, level, resamples, seed, test, correction, baseline (None without)
    bootstrap: dict[str, Any] | None = None
    #: one line naming everything that changes a number (issue 15; see its README section)
    signature: str | None = None
    _cells: list[Result] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def results(self) -> list[Result]:
        """Every result: the overall ones, then group by group (report order), loss
        by loss, model by model. Built once, on first use, from :attr:`grouped`."""
        if self.grouped is None:
            return self.overall
        if self._cells is None:
            table = self.grouped
            cells = self.overall + [
                Result(self.models[k], table.labels[i], self.losses[j], v, r, *table.ci(i, j, k))
                for i, j, k, v, r in self.group_cells()
            ]
            object.__setattr__(self, "_cells", cells)  # (a cache, not a field's value)
            return cells
        return self._cells

    def group_cells(self) -> Iterator[tuple[int, int, int, float, int]]:
        """(group index, loss index, model index, value, rows) of every group cell
        with a value, in report order, without building a Result per cell."""
        import numpy as np

        table = self.grouped
        if table is None:
            return iter(())
        gi, li, mi = np.nonzero(table.ok)
        values = table.values[gi, li, mi].tolist()
        rows = table.rows[gi].tolist()
        return zip(gi.tolist(), li.tolist(), mi.tolist(), values, rows, strict=True)

    def value(self, model: str, loss: str, group: str | None = None) -> float | None:
        table = self.grouped
        if group is not None and table is not None:
            if model not in self.models or loss not in self.losses or group not in table.labels:
                return None
            i = table.labels.index(group)
            j, k = self.losses.index(loss), self.models.index(model)
            return float(table.values[i, j, k]) if table.ok[i, j, k] else None
        for r in self.results if group is not None else self.overall:
            if r.model == model and r.loss == loss and r.group == group:
                return r.value
        return None

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of schema ``losscli.evaluate/1``, keys in order."""
        doc = self.to_dict_head()
        doc["results"] = [result_dict(r) for r in self.results]
        return doc

    def to_dict_head(self) -> dict[str, Any]:
        """:meth:`to_dict` with an empty ``results`` list (in its place), which the
        JSON renderer fills from the arrays. ``bootstrap`` is ``None`` and
        ``comparisons`` empty without ``--ci``."""
        return {
            "schema": SCHEMA,
            "file": self.file,
            "task": self.task,
            "rows": self.rows,
            "target": self.target,
            "weight": self.weight,
            "group_by": self.group_by,
            "models": list(self.models),
            "models_info": [dict(m) for m in self.models_info],
            "classes": list(self.classes) if self.classes is not None else None,
            "params": dict(self.params),
            "signature": self.signature,
            "bootstrap": dict(self.bootstrap) if self.bootstrap is not None else None,
            "results": [],
            "comparisons": [comparison_dict(c) for c in self.comparisons],
            "skipped": [{"loss": s.loss, "reason": s.reason} for s in self.skipped],
            "gates": [g.to_dict() for g in self.gates],
        }


def result_dict(r: Result) -> dict[str, Any]:
    """One ``results`` entry of the JSON document (``ci_low``/``ci_high``: null
    without ``--ci`` or without an interval)."""
    return {
        "model": r.model,
        "group": r.group,
        "loss": r.loss,
        "value": r.value,
        "ci_low": r.ci_low,
        "ci_high": r.ci_high,
        "rows": r.rows,
    }


def comparison_dict(c: ComparisonRow) -> dict[str, Any]:
    """One ``comparisons`` entry of the JSON document, in :class:`ComparisonRow` order."""
    return {name: getattr(c, name) for name in COMPARISON_FIELDS}
