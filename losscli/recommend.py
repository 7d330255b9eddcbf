"""Which loss for which task: the seed's selection table as data, its extensions,
how conditions combine, and the measurements that infer conditions from a file.

The selection table (:data:`SELECTION`) encodes the seed text's table and extends
it; each row is a :class:`Rule`: a task, at most one condition, the recommended
losses in order and the alternatives. Reasons come from the seed's guidance
(:data:`REASONS`). Two or more regression conditions resolve through
:data:`COMBINATIONS` (pairs) and :data:`SEVERAL` (three or more), whose first
recommended loss carries a reason that says how the conditions combine.

Conditions and the tasks they fit:

* regression: ``outliers``, ``asymmetric_under`` / ``asymmetric_over`` (which kind
  of error costs more), ``quantile`` (the prediction is the Q-quantile), ``counts``
  (non-negative integer targets);
* binary and multiclass: ``imbalanced``.

Measurements (:func:`measure_file`, the ``--from`` path) follow the issue:

* outliers: robust z = |x - median| / (1.4826·MAD) on the residuals y - ŷ (on the
  truth when the file has no prediction); "outliers" when the share of rows with
  z > 3.5 exceeds 1 % (Iglewicz & Hoaglin's modified z-score). When MAD = 0 (more
  than half of the residuals are equal, e.g. exact predictions) the scale falls back
  to 1.2533·(mean absolute deviation from the median), the same consistency
  constant for Gaussian data; when that is 0 too, every residual is equal and there
  are no outliers. Huber's δ = 1.345·σ̂ with σ̂ = 1.4826·MAD (the tuning constant
  that gives 95 % efficiency at Gaussian errors), σ̂ from the fallback when MAD = 0.
* imbalance: "imbalanced" when the largest class has at least 3× the rows of the
  smallest (a class the layout names but with no row counts as infinitely rare).
* counts: the truth is made of non-negative integers with at least 3 distinct
  values.

Start-up: this module imports only the standard library, :mod:`losscli.catalog` and
:mod:`losscli.errors` at module level, so ``losscli recommend --task ...`` never
loads numpy, pandas or pyarrow. :func:`measure_file` imports them (and the
readers) when it runs. ARCHITECTURE.md lets this module import ``losses``; it does
not need to, since the numpy-free catalogue already names and describes every loss.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from losscli.catalog import BINARY, BY_ID, MULTICLASS, REGRESSION, TASKS, ParamValue
from losscli.errors import InputError, UsageError
from losscli.ieee import ieee_results

if TYPE_CHECKING:
    import numpy as np

SCHEMA = "losscli.recommend/1"

# ----------------------------------------------------------------------------- tasks

#: accepted spellings of each task (case-insensitive; ``_`` and ``-`` are the same)
TASK_ALIASES: dict[str, tuple[str, ...]] = {
    REGRESSION: ("linear-regression",),
    BINARY: ("binary-classification",),
    MULTICLASS: ("multi-class", "multiclass-classification"),
}
_TASK_LOOKUP: dict[str, str] = {
    name.replace("_", "-"): task
    for task, aliases in TASK_ALIASES.items()
    for name in (task, *aliases)
}


def resolve_task(name: str) -> str:
    """Map a task name or alias (any case) to its id, or raise :class:`UsageError`."""
    key = name.strip().lower().replace("_", "-")
    if key in _TASK_LOOKUP:
        return _TASK_LOOKUP[key]
    spellings = "; ".join(f"{task} ({', '.join(al)})" for task, al in TASK_ALIASES.items())
    raise UsageError(f"unknown task {name!r}; choose one of: {spellings}")


# ------------------------------------------------------------------------ conditions

OUTLIERS = "outliers"
ASYMMETRIC_UNDER = "asymmetric_under"
ASYMMETRIC_OVER = "asymmetric_over"
QUANTILE = "quantile"
COUNTS = "counts"
IMBALANCED = "imbalanced"

#: canonical order of conditions in outputs
CONDITIONS: tuple[str, ...] = (
    OUTLIERS,
    ASYMMETRIC_UNDER,
    ASYMMETRIC_OVER,
    QUANTILE,
    COUNTS,
    IMBALANCED,
)
#: the flag that sets each condition, as users type it
FLAGS: dict[str, str] = {
    OUTLIERS: "--outliers",
    ASYMMETRIC_UNDER: "--asymmetric under",
    ASYMMETRIC_OVER: "--asymmetric over",
    QUANTILE: "--quantile",
    COUNTS: "--counts",
    IMBALANCED: "--imbalanced",
}
#: which tasks each condition fits
CONDITION_TASKS: dict[str, tuple[str, ...]] = {
    OUTLIERS: (REGRESSION,),
    ASYMMETRIC_UNDER: (REGRESSION,),
    ASYMMETRIC_OVER: (REGRESSION,),
    QUANTILE: (REGRESSION,),
    COUNTS: (REGRESSION,),
    IMBALANCED: (BINARY, MULTICLASS),
}
FIT_HINT = (
    "--outliers, --asymmetric, --quantile and --counts fit regression; "
    "--imbalanced fits binary and multiclass"
)

#: cost ratio behind ``--asymmetric``: the costlier side weighs twice the other
ASYMMETRIC_WEIGHT = 2.0


def _family(condition: str) -> str:
    return "asymmetric" if condition in (ASYMMETRIC_UNDER, ASYMMETRIC_OVER) else condition


# ------------------------------------------------------------------------- the rules


@dataclass(frozen=True)
class Rule:
    """One row of the selection table: a task and at most one condition."""

    key: str
    task: str
    condition: str | None
    recommended: tuple[str, ...]
    alternatives: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """How the row reads in the table: ``regression, --outliers``."""
        if self.condition is None:
            return self.task
        flag = "--quantile Q" if self.condition == QUANTILE else FLAGS[self.condition]
        return f"{self.task}, {flag}"


SELECTION: tuple[Rule, ...] = (
    Rule("regression", REGRESSION, None, ("mse",), ("rmse", "mae")),
    Rule("regression+outliers", REGRESSION, OUTLIERS, ("mae", "huber"), ("log_cosh",)),
    Rule(
        "regression+asymmetric_under",
        REGRESSION,
        ASYMMETRIC_UNDER,
        ("asymmetric_mse",),
        ("pinball",),
    ),
    Rule(
        "regression+asymmetric_over",
        REGRESSION,
        ASYMMETRIC_OVER,
        ("asymmetric_mse",),
        ("pinball",),
    ),
    Rule("regression+quantile", REGRESSION, QUANTILE, ("pinball",), ()),
    Rule("regression+counts", REGRESSION, COUNTS, ("poisson_deviance",), ("mse",)),
    Rule("binary", BINARY, None, ("binary_crossentropy",), ("brier", "focal")),
    Rule("multiclass", MULTICLASS, None, ("categorical_crossentropy",), ("brier",)),
    Rule(
        "binary+imbalanced",
        BINARY,
        IMBALANCED,
        ("weighted_binary_crossentropy",),
        ("focal",),
    ),
    Rule(
        "multiclass+imbalanced",
        MULTICLASS,
        IMBALANCED,
        ("weighted_categorical_crossentropy",),
        ("focal",),
    ),
)
BY_KEY: dict[str, Rule] = {rule.key: rule for rule in SELECTION}


@dataclass(frozen=True)
class Combination:
    """What two or more regression conditions call for together. ``how`` is the
    reason given to the first recommended loss: it says how the conditions combine.
    ``families`` uses ``asymmetric`` for both directions."""

    families: frozenset[str]
    recommended: tuple[str, ...]
    alternatives: tuple[str, ...]
    how: str


COMBINATIONS: tuple[Combination, ...] = (
    Combination(
        frozenset({OUTLIERS, "asymmetric"}),
        ("pinball",),
        ("huber", "asymmetric_mse"),
        "Outliers and asymmetric costs: pinball at quantile {q} is an absolute error whose "
        "slope is {ratio}× steeper for {side}-prediction, so it keeps MAE's robustness and "
        "the cost asymmetry, where asymmetric_mse would square the outliers; for a smooth "
        "version use an asymmetric Huber (½e² within ±δ, slopes {q} and {q_other} beyond), "
        "which losscli does not ship, so compare with huber.",
    ),
    Combination(
        frozenset({OUTLIERS, QUANTILE}),
        ("pinball",),
        ("huber",),
        "Outliers and a quantile: pinball at {q} grows only linearly with the error, so "
        "outliers do not dominate it and nothing needs adding; huber checks the centre of "
        "the distribution.",
    ),
    Combination(
        frozenset({"asymmetric", QUANTILE}),
        ("pinball",),
        ("asymmetric_mse",),
        "Asymmetric costs and a quantile: pinball at {q} already charges {side}-prediction "
        "{ratio}× the other per unit of error, so the quantile sets the asymmetry; "
        "asymmetric_mse is the squared-error version.",
    ),
    Combination(
        frozenset({OUTLIERS, COUNTS}),
        ("poisson_deviance", "mae"),
        ("huber",),
        "Counts with outliers: the Poisson deviance suits non-negative counts and grows "
        "like y·log y for large counts, slower than the square, and MAE checks the fit "
        "with every error weighted equally.",
    ),
    Combination(
        frozenset({"asymmetric", COUNTS}),
        ("pinball",),
        ("poisson_deviance", "asymmetric_mse"),
        "Counts with asymmetric costs (the inventory case): stock the {q} quantile of "
        "demand, where {side}-prediction costs {ratio}× the other, and pinball at {q} "
        "scores exactly that; poisson_deviance checks the mean rate.",
    ),
    Combination(
        frozenset({COUNTS, QUANTILE}),
        ("pinball",),
        ("poisson_deviance",),
        "A quantile of counts: pinball at {q} scores it as for any target; "
        "poisson_deviance checks the mean rate.",
    ),
)
#: three or more regression conditions (always one of asymmetric / quantile among them)
SEVERAL = Combination(
    frozenset(),
    ("pinball",),
    (),  # filled from EXTRA_ALTERNATIVES of the conditions present
    "Several conditions at once: pinball at {q} is linear in the error (robust to "
    "outliers), charges {side}-prediction {ratio}× the other, and scores a quantile of "
    "counts as well as of any target; the alternatives each cover one condition.",
)
#: the alternative each condition contributes when three or more combine
EXTRA_ALTERNATIVES: dict[str, str] = {
    OUTLIERS: "huber",
    "asymmetric": "asymmetric_mse",
    COUNTS: "poisson_deviance",
}

#: one sentence per loss, from the seed's guidance; ``{...}`` filled per case
REASONS: dict[str, str] = {
    "mse": "Squares the error, so large errors are penalised more: the default for "
    "regression, but sensitive to outliers.",
    "rmse": "The square root of MSE: the same ranking, in the units of the target.",
    "mae": "Weights all errors equally (a linear penalty), so outliers do not dominate.",
    "huber": "MSE for small errors and MAE for large ones: robust to outliers while "
    "staying smooth; {delta_note}.",
    "log_cosh": "Like Huber (≈ ½e² near zero, ≈ |e| far out) but smooth everywhere and "
    "with no δ to tune.",
    "asymmetric_mse": "Squared error with {side}-prediction weighted {ratio}× the other: "
    "for when one kind of error costs more (e.g. inventory, where under-stocking is "
    "worse than over-stocking).",
    "pinball": "Pinball loss at quantile {q}: minimised by the {q} quantile of the target, "
    "it charges under-prediction {q} and over-prediction {q_other} per unit of error.",
    "poisson_deviance": "The deviance of a Poisson model: made for non-negative counts "
    "predicted as positive rates, whose variance grows with the mean.",
    "binary_crossentropy": "Penalises confident wrong predictions heavily: the standard "
    "loss for a probability of the positive class (as in logistic regression).",
    "categorical_crossentropy": "Penalises confident wrong predictions heavily: the "
    "standard loss for multi-class probabilities from a softmax layer.",
    "weighted_binary_crossentropy": "Weighted cross-entropy for imbalanced classes: "
    "balanced weights n / (2·n_c) make the rare class count as much as the common one.",
    "weighted_categorical_crossentropy": "Weighted cross-entropy for imbalanced classes: "
    "balanced weights n / (K·n_c) make each class count the same in total.",
    "focal": "Scales cross-entropy by (1 - p_t)^γ, so easy, well-classified examples "
    "fade and the hard ones (often the rare class) drive the loss.",
    "brier": "The squared error of the probabilities: bounded, and a check of calibration "
    "that is gentler on confident mistakes.",
}

#: the seed's closing advice, printed under every table
MONITOR_ADVICE = (
    "Always monitor validation loss: if it increases while training loss decreases, "
    "you're overfitting. `losscli history LOG` reads a training log, finds the best "
    "epoch and calls overfitting."
)
FLAGS_HINT = (
    "Ask for your case: losscli recommend --task regression|binary|multiclass "
    "[--outliers] [--asymmetric under|over] [--quantile Q] [--counts] [--imbalanced] "
    "[--output json], or let the data speak: losscli recommend --from FILE."
)

# --------------------------------------------------------------------- measurements

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


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def _check_quantile(quantile: float) -> None:
    if not 0.0 < quantile < 1.0:
        raise UsageError(f"--quantile must be strictly between 0 and 1, got {quantile:g}")


def check_conditions(task: str, conditions: Sequence[str]) -> None:
    """Raise :class:`UsageError` when a condition does not fit ``task``."""
    misfits = [c for c in conditions if task not in CONDITION_TASKS[c]]
    if misfits:
        flags = ", ".join(FLAGS[c].split()[0] for c in misfits)
        raise UsageError(f"{flags} does not fit task {task!r}: {FIT_HINT}")


def _imply_task(conditions: Sequence[str]) -> str:
    """The task the conditions imply when ``--task`` is missing."""
    tasks = {t for c in conditions for t in CONDITION_TASKS[c]}
    if tasks == {REGRESSION}:
        return REGRESSION
    if REGRESSION in tasks:
        raise UsageError(f"these conditions do not fit one task: {FIT_HINT}")
    raise UsageError("--imbalanced needs --task binary or --task multiclass (or --from FILE)")


def recommend(
    task: str | None = None,
    *,
    outliers: bool = False,
    imbalanced: bool = False,
    asymmetric: str | None = None,
    quantile: float | None = None,
    counts: bool = False,
    evidence: Evidence | None = None,
    overridden: Sequence[str] = (),
) -> Recommendation:
    """Apply the rules. ``task`` may be an alias; without it, regression-only
    conditions imply regression and no condition at all means "show the table".

    ``asymmetric`` is ``"under"`` (under-prediction costs more) or ``"over"``.
    ``evidence`` supplies Huber's δ (measured) and is carried into the report.
    Raises :class:`UsageError` for a condition that does not fit the task, a
    quantile outside (0, 1), and a quantile on the wrong side of 0.5 for the
    asymmetry asked for.
    """
    conditions: list[str] = []
    if outliers:
        conditions.append(OUTLIERS)
    if asymmetric is not None:
        side = asymmetric.strip().lower()
        if side not in ("under", "over"):
            raise UsageError(f"--asymmetric takes 'under' or 'over', got {asymmetric!r}")
        conditions.append(ASYMMETRIC_UNDER if side == "under" else ASYMMETRIC_OVER)
    if quantile is not None:
        _check_quantile(quantile)
        conditions.append(QUANTILE)
    if counts:
        conditions.append(COUNTS)
    if imbalanced:
        conditions.append(IMBALANCED)

    if task is None:
        if not conditions:
            return Recommendation(task=None, evidence=evidence, overridden=tuple(overridden))
        task = _imply_task(conditions)
    else:
        task = resolve_task(task)
    check_conditions(task, conditions)

    if asymmetric is not None and quantile is not None:
        under = ASYMMETRIC_UNDER in conditions
        if (under and quantile <= 0.5) or (not under and quantile >= 0.5):
            want = "above" if under else "below"
            raise UsageError(
                f"--asymmetric {'under' if under else 'over'} means a quantile {want} 0.5, "
                f"but --quantile is {quantile:g}; give one of the two, or a consistent pair"
            )

    ctx = _context(conditions, quantile, evidence)
    matched = tuple(
        rule.key
        for rule in SELECTION
        if rule.task == task
        and (rule.condition in conditions or (rule.condition is None and not conditions))
    )
    families = frozenset(_family(c) for c in conditions)
    reasons: dict[str, str] = {}
    combined = len(families) >= 2
    if not combined:
        rule = BY_KEY[matched[0]]
        recommended, alternatives = rule.recommended, rule.alternatives
    else:
        combo = next((c for c in COMBINATIONS if c.families == families), None)
        if combo is None:
            combo = SEVERAL
            extra = tuple(EXTRA_ALTERNATIVES[f] for f in ("outliers", "asymmetric", COUNTS))
            alternatives = tuple(
                alt
                for alt, fam in zip(extra, ("outliers", "asymmetric", COUNTS), strict=True)
                if fam in families
            )
        else:
            alternatives = combo.alternatives
        recommended = combo.recommended
        reasons[recommended[0]] = combo.how.format(**ctx)
    for loss in (*recommended, *alternatives):
        reasons.setdefault(loss, REASONS[loss].format(**ctx))
    params = {loss: p for loss in (*recommended, *alternatives) if (p := _params(loss, ctx))}
    return Recommendation(
        task=task,
        conditions=tuple(c for c in CONDITIONS if c in conditions),
        recommended=recommended,
        alternatives=alternatives,
        params=params,
        reasons=reasons,
        matched=matched,
        combined=combined,
        evidence=evidence,
        overridden=tuple(overridden),
        warnings=evidence.warnings if evidence is not None else (),
    )


def _context(
    conditions: Sequence[str], quantile: float | None, evidence: Evidence | None
) -> dict[str, Any]:
    """Values the reason templates and suggested parameters use.

    Without a quantile, the asymmetry's cost ratio fixes it: minimising the expected
    pinball loss gives the quantile w_under / (w_under + w_over) (the newsvendor
    ratio), 2/3 for under-prediction twice as costly, rounded to 3 decimals. With a
    quantile q, the same relation read backwards sets the cost ratio q / (1 - q) that
    asymmetric_mse's weights suggest (0.9 → under-prediction weighs 9×).
    """
    over = ASYMMETRIC_OVER in conditions
    w_big = ASYMMETRIC_WEIGHT
    if quantile is None:
        quantile = round((1.0 if over else w_big) / (1.0 + w_big), 3)
    if QUANTILE in conditions:
        over = quantile < 0.5
        ratio = max(quantile, 1 - quantile) / min(quantile, 1 - quantile)
    else:
        ratio = w_big
    delta = evidence.huber_delta if evidence is not None and evidence.huber_delta else None
    return {
        "q": _fmt(quantile),
        "q_value": quantile,
        "q_other": _fmt(round(1.0 - quantile, 6)),
        "side": "over" if over else "under",
        "over": over,
        "ratio": _fmt(ratio),
        "ratio_value": round(ratio, 3),
        "delta_note": (
            f"δ = {_fmt(delta)} = 1.345·σ̂ of the residuals, measured"
            if delta is not None
            else "δ (default 1.0) is where it switches: scale it to your residuals as "
            "1.345·1.4826·MAD (--from FILE measures it)"
        ),
        "delta_value": delta if delta is not None else BY_ID["huber"].params["delta"],
    }


def _params(loss: str, ctx: Mapping[str, Any]) -> dict[str, ParamValue]:
    """Suggested parameters: the catalogue's defaults (None = none), with the rule's."""
    params: dict[str, ParamValue] = {k: v for k, v in BY_ID[loss].params.items() if v is not None}
    if loss == "huber":
        # a suggestion to type in: 4 significant digits (the evidence keeps them all)
        params["delta"] = float(f"{float(ctx['delta_value']):.4g}")
    elif loss == "asymmetric_mse":
        big, small = float(ctx["ratio_value"]), 1.0
        params["weight_under"] = small if ctx["over"] else big
        params["weight_over"] = big if ctx["over"] else small
    elif loss == "pinball":
        params["quantile"] = float(ctx["q_value"])
    return params


def selection_params(rule: Rule) -> dict[str, dict[str, ParamValue]]:
    """Parameters shown in the selection table for ``rule`` (pinball at ``Q`` for
    the quantile row is filled by the user, so it shows none)."""
    conditions = (rule.condition,) if rule.condition else ()
    ctx = _context(conditions, None, None)
    out: dict[str, dict[str, ParamValue]] = {}
    for loss in (*rule.recommended, *rule.alternatives):
        if loss == "asymmetric_mse" or (loss == "pinball" and rule.condition != QUANTILE):
            out[loss] = _params(loss, ctx)
    return out


# ------------------------------------------------------------------- the data path


def recommend_from_file(
    source: str,
    *,
    fmt: str | None = None,
    true: str | None = None,
    pred: str | None = None,
    task: str | None = None,
    outliers: bool | None = None,
    imbalanced: bool | None = None,
    asymmetric: str | None = None,
    quantile: float | None = None,
    counts: bool | None = None,
) -> Recommendation:
    """Measure ``source`` (:func:`measure_file`), then apply :func:`recommend`.

    Flags override what the data shows: ``task`` replaces the inferred task,
    ``outliers`` / ``imbalanced`` / ``counts`` set to True or False replace the
    measured verdicts (None = use the measurement). Conditions inferred by a
    measurement that does not fit the final task are dropped (they are not
    measured for it anyway).
    """
    forced_task = resolve_task(task) if task is not None else None
    if quantile is not None:
        _check_quantile(quantile)
    evidence = measure_file(source, fmt=fmt, true=true, pred=pred, task=forced_task)
    final_task = forced_task or evidence.inferred_task
    overridden: list[str] = []
    if forced_task is not None and forced_task != evidence.inferred_task:
        overridden.append(f"--task {forced_task}")

    def pick(flag: bool | None, condition: str, name: str) -> bool:
        found = condition in evidence.inferred
        if flag is None:
            return found
        if flag != found:
            overridden.append(f"--{name}" if flag else f"--no-{name}")
        return flag

    return recommend(
        final_task,
        outliers=pick(outliers, OUTLIERS, "outliers"),
        imbalanced=pick(imbalanced, IMBALANCED, "imbalanced"),
        asymmetric=asymmetric,
        quantile=quantile,
        counts=pick(counts, COUNTS, "counts"),
        evidence=evidence,
        overridden=overridden,
    )


def robust_scale(x: np.ndarray) -> tuple[float, float, float, str]:
    """``(median, MAD, σ̂, method)`` of ``x``: σ̂ = 1.4826·MAD, or 1.2533·MeanAD
    when MAD = 0, or 0 (method ``"none"``) when every value equals the median."""
    import numpy as np

    med = float(np.median(x))
    dev = np.abs(x - med)
    mad = float(np.median(dev))
    if mad > 0:
        return med, mad, MAD_TO_SIGMA * mad, "mad"
    mean_ad = float(np.mean(dev))
    if mean_ad > 0:
        return med, mad, MEANAD_TO_SIGMA * mean_ad, "mean_absolute_deviation"
    return med, mad, 0.0, "none"


def measure_outliers(x: np.ndarray) -> dict[str, Any]:
    """Robust-z outlier count and share of ``x``, and Huber's δ = 1.345·σ̂."""
    import numpy as np

    med, mad, scale, method = robust_scale(x)
    count = int(np.count_nonzero(np.abs(x - med) / scale > ROBUST_Z)) if scale > 0 else 0
    share = count / len(x) if len(x) else 0.0
    return {
        "median": med,
        "mad": mad,
        "scale": scale,
        "scale_method": method,
        "outliers": count,
        "outlier_share": share,
        "huber_delta": HUBER_K * scale if scale > 0 else None,
    }


def _label_text(value: Any) -> str:
    """A class label as text: 1.0 → "1", "cat" → "cat"."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return str(int(value))
    return str(value)


@ieee_results
def measure_file(
    source: str,
    *,
    fmt: str | None = None,
    true: str | None = None,
    pred: str | None = None,
    task: str | None = None,
) -> Evidence:
    """Read ``source`` with the readers and column detection of ``evaluate``, in one
    streaming pass (:mod:`losscli.recommend_stream`: memory flat in the rows); infer
    the task from the first chunk and measure, for ``task`` when given (else the
    inferred one), outliers in every model's residuals and counts (regression) or
    class balance (classification).

    Rows with a missing truth (or prediction, for residuals) are left out and
    counted in ``dropped_rows`` with a warning.
    """
    from losscli import detect
    from losscli import recommend_stream as rs
    from losscli.io import sources, tables

    name = sources.display_name(source)
    columns = tables.read_columns(source, fmt=fmt)
    layout = detect.detect_layout(
        columns,
        true=true,
        preds=(pred,) if pred else (),
        source=name,
        require_pred=False,
    )
    models = list(layout.models)
    wanted = list(dict.fromkeys([layout.target, *(c for m in models for c in m.columns)]))
    sniffed = tables.sniff_types(source, fmt=fmt, columns=wanted)
    types = {c: "float64" for c in wanted if sniffed.get(c) == "number"}
    if sniffed.get(layout.target) in ("text", "empty"):
        types[layout.target] = "string"
    first, chunks = rs.first_chunk(
        tables.iter_arrays(source, fmt=fmt, columns=wanted, column_types=types)
    )
    if first is None:
        raise InputError(f"{name} has a header but no data rows")
    from losscli import labels

    decision = labels.plan_input(layout, task, None, first[1], name)
    if decision.labels:
        # label predictions (predict() output), as evaluate reads them: the class
        # balance of the truth is what there is to measure
        inferred_task = _label_task(first[1], layout)
    elif decision.classes is not None:
        inferred_task = BINARY  # (two classes in two probability columns, as evaluate)
    else:
        inferred_task = _first_chunk_task(first[1], layout, models, name, task)
    if task is None:
        task = inferred_task
    if task == REGRESSION:
        # a family of class columns read as regression: its first column (as before)
        use = models[:1] if layout.multiclass else models
        measured = rs.stream_regression(
            chunks, name=name, target=layout.target, predictions=[m.columns[0] for m in use]
        )
        return _regression_evidence(measured, name, layout.target, use, inferred_task)
    prediction = None
    if models:
        model = models[0]
        prediction = model.columns[0] if len(model.columns) == 1 else f"{model.name}_*"
    measured = rs.stream_classes(chunks, target=layout.target)
    return _class_evidence(measured, name, layout.target, prediction, models, task, inferred_task)


def _label_task(first: Mapping[str, Any], layout: Any) -> str:
    """Binary or multiclass for label predictions: the distinct labels of the first
    chunk's truth and predictions (as ``evaluate``'s label mode counts them)."""
    from losscli.io.codes import to_numpy_sample as _to_numpy_sample
    from losscli.tasks import label_text as _label_text

    seen: set[str] = set()
    for column in [layout.target, *(m.columns[0] for m in layout.models)]:
        for value in _to_numpy_sample(first[column]):
            text = _label_text(value)
            if text is not None:
                seen.add(text.strip())
    return BINARY if len(seen) <= 2 else MULTICLASS


def _first_chunk_task(
    first: Mapping[str, Any], layout: Any, models: list[Any], name: str, task: str | None
) -> str:
    """The task the data suggests (from the first chunk, as ``evaluate`` decides),
    reported even when ``task`` overrides it."""
    import pandas as pd

    from losscli import detect
    from losscli.io.codes import to_numpy_sample as _to_numpy_sample

    y0 = _to_numpy_sample(first[layout.target])
    try:
        if models:
            p0 = _to_numpy_sample(first[models[0].columns[0]])
            return detect.infer_task(y0, p0, layout, source=name)
        return _infer_task_from_truth(pd.Series(y0))
    except InputError:
        if task is None:
            raise
        return task  # cannot tell (e.g. text labels, one column), but told


def _dropped_warning(name: str, measured: Any, what: str) -> list[str]:
    if not measured.dropped:
        return []
    return [
        f"{name}: left out {measured.dropped} row(s) with a missing {what} "
        f"(first: row {measured.first_dropped})"
    ]


def _regression_evidence(
    measured: Any, name: str, target: str, models: list[Any], inferred_task: str
) -> Evidence:
    """Outliers: measured on every model's residuals; "outliers" when any model's
    share is above the threshold, and the top-level figures (Huber's δ among them)
    are those of the first such model, else of the first model. Counts: the rule
    of :func:`counts_verdict`."""
    warnings = _dropped_warning(name, measured, "value")
    if measured.rows == 0:
        raise InputError(f"{name}: no row has both a truth and a prediction to measure")
    res, truth = measured.reservoir, measured.truth
    per_model = [measure_outliers(values) for values in res.values]
    chosen = next((i for i, st in enumerate(per_model) if st["outlier_share"] > OUTLIER_SHARE), 0)
    inferred: list[str] = []
    if per_model[chosen]["outlier_share"] > OUTLIER_SHARE:
        inferred.append(OUTLIERS)
    is_counts = counts_verdict(truth)
    if is_counts:
        inferred.append(COUNTS)
    model_rows = tuple(
        {"model": m.name, "prediction": m.columns[0], **st}
        for m, st in zip(models, per_model[: len(models)], strict=True)
    )
    return Evidence(
        file=name,
        target=target,
        prediction=models[chosen].columns[0] if models else None,
        inferred_task=inferred_task,
        rows=measured.rows,
        dropped_rows=measured.dropped,
        measured_on="residuals" if models else "truth",
        counts=is_counts,
        distinct_values=truth.distinct_values,
        inferred=tuple(inferred),
        warnings=tuple(warnings),
        sample=int(res.values[0].size),
        models=model_rows,
        smallest_value=truth.smallest,
        dispersion_index=truth.dispersion,
        **per_model[chosen],
    )


def counts_verdict(truth: Any) -> bool:
    """Counts: non-negative integers with at least 3 distinct values, small values
    present (the smallest ≤ :data:`COUNTS_SMALLEST`) and a variance that grows with
    the mean (dispersion index var/mean ≥ :data:`COUNTS_DISPERSION`; Poisson: 1,
    over-dispersed counts above). An integer score far from zero (25 to 346) is not
    called counts: there the Poisson deviance and the MSE rank models alike."""
    dispersion = truth.dispersion
    return bool(
        truth.integers
        and truth.smallest >= 0
        and truth.distinct_values >= MIN_DISTINCT_COUNTS
        and truth.smallest <= COUNTS_SMALLEST
        and dispersion is not None
        and dispersion >= COUNTS_DISPERSION
    )


def _class_evidence(
    measured: Any,
    name: str,
    target: str,
    prediction: str | None,
    models: list[Any],
    task: str,
    inferred_task: str,
) -> Evidence:
    warnings = _dropped_warning(name, measured, "truth")
    counts: dict[str, int] = dict(measured.class_counts)
    if not counts:
        raise InputError(f"{name}: column {target!r} has no value to count")
    expected: Sequence[str] = ()
    if task == BINARY:
        expected = ("0", "1") if set(counts) <= {"0", "1"} else ()
    elif models and models[0].classes:
        expected = models[0].classes
    for label in expected:
        if label not in counts:
            counts[label] = 0
            warnings.append(f"{name}: class {label!r} has no row in column {target!r}")
    ordered = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    smallest = min(ordered.values())
    ratio = max(ordered.values()) / smallest if smallest > 0 else float("inf")
    if len(ordered) < 2:
        warnings.append(f"{name}: column {target!r} holds a single class")
    inferred = (IMBALANCED,) if ratio >= IMBALANCE_RATIO else ()
    return Evidence(
        file=name,
        target=target,
        prediction=prediction,
        inferred_task=inferred_task,
        rows=measured.rows,
        dropped_rows=measured.dropped,
        class_counts=ordered,
        imbalance_ratio=ratio,
        inferred=inferred,
        warnings=tuple(warnings),
    )


def _infer_task_from_truth(y_true: Any) -> str:
    """Task from a truth column alone (no prediction column): text labels →
    multiclass (binary when there are exactly two), {0, 1} → binary, else regression."""
    import pandas as pd

    values = y_true.dropna()
    if not pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numeric = pd.to_numeric(values, errors="coerce")
        if numeric.isna().any():
            return BINARY if values.nunique() == 2 else MULTICLASS
        values = numeric
    if set(pd.unique(values.astype(float))) <= {0.0, 1.0}:
        return BINARY
    return REGRESSION


__all__ = [
    "COMBINATIONS",
    "CONDITIONS",
    "SCHEMA",
    "SELECTION",
    "TASKS",
    "Evidence",
    "Recommendation",
    "Rule",
    "check_conditions",
    "measure_file",
    "recommend",
    "recommend_from_file",
    "resolve_task",
]
