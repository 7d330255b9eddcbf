"""The report of a comparison, as frozen data: what every ``compare`` output is made from.

One :class:`Change` per (model, group, loss) found in either report, the gates judged
on them (:class:`GateResult`) and what was compared (:class:`Side` for BASE and NEW).
:meth:`CompareReport.to_dict` is the ``losscli.compare/1`` document (its JSON Schema
is ``losscli/schemas/compare.json``). Stdlib only: the report types are imported on
the CLI's paths before any number is computed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SCHEMA = "losscli.compare/1"

#: the verdicts of a change, in the order the summary names them
WORSE, BETTER, UNCHANGED = "worse", "better", "unchanged"
#: a cell that only one report has (with ``--allow-mismatch``)
ONLY_BASE, ONLY_NEW = "only in base", "only in new"
VERDICTS = (WORSE, BETTER, UNCHANGED, ONLY_BASE, ONLY_NEW)


@dataclass(frozen=True)
class Side:
    """What one side of the comparison was: a report read, or a file evaluated."""

    path: str
    #: "report" (an ``evaluate -o json`` document) or "predictions" (evaluated here)
    kind: str
    file: str
    task: str
    rows: int
    signature: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind,
            "file": self.file,
            "task": self.task,
            "rows": self.rows,
            "signature": self.signature,
        }


@dataclass(frozen=True)
class Change:
    """One (model, group, loss) cell: base and new value, Δ = new − base, Δ% = 100·Δ/|base|.

    ``worse_by`` is the change in the loss's bad direction (Δ for a loss, −Δ for a
    score such as r2), so sorting by it puts the worst regressions first whatever the
    direction. ``ci_low``/``ci_high`` bound Δ (``None`` without intervals) and
    ``significant`` says whether that interval excludes 0 (``None`` without one).
    """

    model: str
    group: str | None
    loss: str
    base: float | None
    new: float | None
    delta: float | None
    delta_pct: float | None
    verdict: str
    higher_is_better: bool
    worse_by: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    significant: bool | None = None
    p_value: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "group": self.group,
            "loss": self.loss,
            "base": self.base,
            "new": self.new,
            "delta": self.delta,
            "delta_pct": self.delta_pct,
            "verdict": self.verdict,
            "higher_is_better": self.higher_is_better,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "significant": self.significant,
            "p_value": self.p_value,
        }


@dataclass(frozen=True)
class GateResult:
    """One gate (``--fail-if`` or ``--fail-on-regression``) judged on one change: an
    overall one (``group`` None) or, with ``--by``, one group's.

    ``judged``: "point" (on Δ alone) or "difference" (``--significant``: it fails
    only where Δ's interval excludes 0 too)."""

    expr: str
    model: str
    loss: str
    base: float | None
    new: float | None
    delta: float | None
    delta_pct: float | None
    failed: bool
    judged: str = "point"
    group: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "expr": self.expr,
            "model": self.model,
            "group": self.group,
            "loss": self.loss,
            "base": self.base,
            "new": self.new,
            "delta": self.delta,
            "delta_pct": self.delta_pct,
            "failed": self.failed,
            "judged": self.judged,
        }


@dataclass(frozen=True)
class CompareReport:
    """Everything ``losscli compare`` prints, in every format."""

    base: Side
    new: Side
    task: str
    group_by: str | None
    params: dict[str, Any]
    rtol: float
    atol: float
    changes: list[Change]
    #: how significance was judged: None (no intervals), else {method, level, note}
    significance: dict[str, Any] | None = None
    #: differences between the reports that --allow-mismatch let through
    mismatches: list[str] = field(default_factory=list)
    gates: list[GateResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """How many changes have each verdict, in :data:`VERDICTS` order."""
        out = dict.fromkeys(VERDICTS, 0)
        for c in self.changes:
            out[c.verdict] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of schema ``losscli.compare/1``, keys in order."""
        counts = self.counts()
        return {
            "schema": SCHEMA,
            "base": self.base.to_dict(),
            "new": self.new.to_dict(),
            "task": self.task,
            "group_by": self.group_by,
            "params": dict(self.params),
            "tolerance": {"rtol": self.rtol, "atol": self.atol},
            "significance": dict(self.significance) if self.significance else None,
            "mismatches": list(self.mismatches),
            "summary": {
                "worse": counts[WORSE],
                "better": counts[BETTER],
                "unchanged": counts[UNCHANGED],
                "only_base": counts[ONLY_BASE],
                "only_new": counts[ONLY_NEW],
            },
            "changes": [c.to_dict() for c in self.changes],
            "gates": [g.to_dict() for g in self.gates],
        }
