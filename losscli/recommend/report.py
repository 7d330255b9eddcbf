"""The report objects of ``losscli recommend`` and the thresholds their JSON states.

:class:`Recommendation` is what :func:`losscli.recommend.recommend` returns and
every output format renders; :class:`Evidence` is what ``--from FILE`` measured.
Both are frozen dataclasses whose ``to_dict`` writes the ``losscli.recommend/1``
document. The thresholds of the measurements live here, beside the document that
reports them, so that the rules (numpy-free), the measurements and the renderer
read one copy. Standard library only: the flags path imports it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from losscli.losses.registry import ParamValue

SCHEMA = "losscli.recommend/1"


ROBUST_Z = 3.5
OUTLIER_SHARE = 0.01
MAD_TO_SIGMA = 1.4826
MEANAD_TO_SIGMA = 1.2533  # √(π/2): mean absolute deviation → σ for Gaussian data
HUBER_K = 1.345
IMBALANCE_RATIO = 3.0
MIN_DISTINCT_COUNTS = 3
#: counts need small values: the smallest truth value at most this
COUNTS_SMALLEST = 2
#: counts need a variance growing with the mean: var/mean at least this
COUNTS_DISPERSION = 0.8


@dataclass(frozen=True)
class Evidence:
    """What :func:`measure_file` saw in a file. Fields that do not apply to the task
    are ``None`` (outlier fields for classification, class fields for regression)."""

    file: str
    target: str
    prediction: str | None
    inferred_task: str
    rows: int
    dropped_rows: int = 0
    measured_on: str | None = None  # "residuals" | "truth"
    median: float | None = None
    mad: float | None = None
    scale: float | None = None  # σ̂ used in the robust z
    scale_method: str | None = None  # "mad" | "mean_absolute_deviation" | "none"
    outliers: int | None = None
    outlier_share: float | None = None
    huber_delta: float | None = None
    counts: bool | None = None
    distinct_values: int | None = None
    class_counts: dict[str, int] | None = None
    imbalance_ratio: float | None = None
    #: conditions the measurements found, before flags override them
    inferred: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    #: residuals (or truth values) the robust statistics were computed on: all of
    #: them up to 100,000 rows, else a seeded uniform sample of 100,000
    sample: int | None = None
    #: every model's outlier measurements (model, prediction, median, mad, ...)
    models: tuple[dict[str, Any], ...] = ()
    smallest_value: float | None = None
    dispersion_index: float | None = None

    def to_dict(self, overridden: Sequence[str] = ()) -> dict[str, Any]:
        return {
            "file": self.file,
            "target": self.target,
            "prediction": self.prediction,
            "inferred_task": self.inferred_task,
            "rows": self.rows,
            "dropped_rows": self.dropped_rows,
            "measured_on": self.measured_on,
            "robust_z": ROBUST_Z if self.measured_on is not None else None,
            "outlier_share_threshold": OUTLIER_SHARE if self.measured_on is not None else None,
            "median": self.median,
            "mad": self.mad,
            "scale": self.scale,
            "scale_method": self.scale_method,
            "outliers": self.outliers,
            "outlier_share": self.outlier_share,
            "huber_delta": self.huber_delta,
            "counts": self.counts,
            "distinct_values": self.distinct_values,
            "class_counts": self.class_counts,
            "imbalance_ratio": self.imbalance_ratio,
            "imbalance_ratio_threshold": (
                IMBALANCE_RATIO if self.class_counts is not None else None
            ),
            "inferred": list(self.inferred),
            "overridden": list(overridden),
            "sample": self.sample,
            "models": [dict(m) for m in self.models],
            "smallest_value": self.smallest_value,
            "dispersion_index": self.dispersion_index,
            "counts_thresholds": (
                {
                    "smallest_at_most": COUNTS_SMALLEST,
                    "dispersion_at_least": COUNTS_DISPERSION,
                    "distinct_at_least": MIN_DISTINCT_COUNTS,
                }
                if self.counts is not None
                else None
            ),
        }


# ------------------------------------------------------------------ recommendation


@dataclass(frozen=True)
class Recommendation:
    """The answer of ``losscli recommend``. ``task`` is ``None`` when nothing was
    asked (the renderer then shows the selection table and a hint)."""

    task: str | None
    conditions: tuple[str, ...] = ()
    recommended: tuple[str, ...] = ()
    alternatives: tuple[str, ...] = ()
    params: dict[str, dict[str, ParamValue]] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    #: keys of the selection-table rows that match (several when conditions combine)
    matched: tuple[str, ...] = ()
    #: True when two or more conditions were resolved by a combination rule
    combined: bool = False
    evidence: Evidence | None = None
    #: flags that overrode what the evidence inferred (``--no-outliers``, ``--task``...)
    overridden: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON document, keys in the documented order."""
        return {
            "schema": SCHEMA,
            "task": self.task,
            "conditions": list(self.conditions),
            "recommended": list(self.recommended),
            "alternatives": list(self.alternatives),
            "params": {k: dict(v) for k, v in self.params.items()},
            "reasons": dict(self.reasons),
            "evidence": (
                self.evidence.to_dict(self.overridden) if self.evidence is not None else None
            ),
        }
