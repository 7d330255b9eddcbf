"""Which loss for which task: the seed's selection table as data, its extensions,
and how conditions combine into one recommendation.

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

Why a module of its own: this is the whole of ``losscli recommend --task ...`` with
flags, and that path must not load numpy, pandas or pyarrow. So the module imports
only the standard library, :mod:`losscli.losses.registry` (numpy-free,
which names and describes every loss), :mod:`losscli.tasks` and the report objects
of :mod:`losscli.recommend.report`; the measurements of ``--from`` live in
:mod:`losscli.recommend.measure`, which depends on this module, never the reverse.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from losscli.errors import UsageError
from losscli.losses.registry import BINARY, MULTICLASS, REGRESSION, ParamValue, get_spec
from losscli.recommend.report import Evidence, Recommendation
from losscli.tasks import resolve_task

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

# ------------------------------------------------------------------ recommendation


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def check_quantile(quantile: float) -> None:
    """Raise :class:`UsageError` unless ``quantile`` is strictly inside (0, 1)."""
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
        check_quantile(quantile)
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
        "delta_value": delta if delta is not None else get_spec("huber").params["delta"],
    }


def _params(loss: str, ctx: Mapping[str, Any]) -> dict[str, ParamValue]:
    """Suggested parameters: the catalogue's defaults (None = none), with the rule's."""
    params: dict[str, ParamValue] = {
        k: v for k, v in get_spec(loss).params.items() if v is not None
    }
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
