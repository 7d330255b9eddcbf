"""``recommend --from FILE``: the conditions a file shows, measured, then the rules.

Measurements (:func:`measure_file`) follow the issue:

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
* counts: the rule of :func:`counts_verdict`.

Why a module of its own: these are the only parts of ``recommend`` that read data,
so they are the only ones that need numpy, pandas and :mod:`losscli.io`; they import
them inside the functions, and the rules (:mod:`losscli.recommend.rules`) never import
this module. The one streaming pass over the file is :mod:`losscli.recommend.stream`;
this module turns what it kept into :class:`~losscli.recommend.report.Evidence`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from losscli.errors import InputError
from losscli.ieee import ieee_results
from losscli.recommend.report import (
    COUNTS_DISPERSION,
    COUNTS_SMALLEST,
    HUBER_K,
    IMBALANCE_RATIO,
    MAD_TO_SIGMA,
    MEANAD_TO_SIGMA,
    MIN_DISTINCT_COUNTS,
    OUTLIER_SHARE,
    ROBUST_Z,
    Evidence,
    Recommendation,
)
from losscli.recommend.rules import COUNTS, IMBALANCED, OUTLIERS, check_quantile, recommend
from losscli.tasks import BINARY, MULTICLASS, REGRESSION, resolve_task

if TYPE_CHECKING:
    import numpy as np


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
    header: Sequence[str] | None = None,
) -> Recommendation:
    """Measure ``source`` (:func:`measure_file`), then apply :func:`recommend`.

    Flags override what the data shows: ``task`` replaces the inferred task,
    ``outliers`` / ``imbalanced`` / ``counts`` set to True or False replace the
    measured verdicts (None = use the measurement). Conditions inferred by a
    measurement that does not fit the final task are dropped (they are not
    measured for it anyway). ``header``: ``--columns``, the names of a CSV/TSV
    without a header line.
    """
    forced_task = resolve_task(task) if task is not None else None
    if quantile is not None:
        check_quantile(quantile)
    evidence = measure_file(source, fmt=fmt, true=true, pred=pred, task=forced_task, header=header)
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


@ieee_results
def measure_file(
    source: str,
    *,
    fmt: str | None = None,
    true: str | None = None,
    pred: str | None = None,
    task: str | None = None,
    header: Sequence[str] | None = None,
) -> Evidence:
    """Read ``source`` with the input layer (:mod:`losscli.io`) and the column
    detection of ``evaluate``, in one streaming pass (:mod:`losscli.recommend.stream`:
    memory flat in the rows); infer the task from the first chunk and measure, for
    ``task`` when given (else the inferred one), outliers in every model's residuals
    and counts (regression) or class balance (classification).

    Rows with a missing truth (or prediction, for residuals) are left out and
    counted in ``dropped_rows`` with a warning.
    """
    from losscli import detect
    from losscli.io import sources, tables
    from losscli.recommend import stream as rs

    name = sources.display_name(source)
    columns = tables.read_columns(source, fmt=fmt, header=header)
    layout = detect.detect_layout(
        columns,
        true=true,
        preds=(pred,) if pred else (),
        source=name,
        require_pred=False,
    )
    models = list(layout.models)
    wanted = list(dict.fromkeys([layout.target, *(c for m in models for c in m.columns)]))
    sniffed = tables.sniff_types(source, fmt=fmt, columns=wanted, header=header)
    types = {c: "float64" for c in wanted if sniffed.get(c) == "number"}
    if sniffed.get(layout.target) in ("text", "empty"):
        types[layout.target] = "string"
    first, chunks = rs.first_chunk(
        tables.iter_arrays(source, fmt=fmt, columns=wanted, column_types=types, header=header)
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
    from losscli.io.codes import to_numpy_sample
    from losscli.tasks import label_text

    seen: set[str] = set()
    for column in [layout.target, *(m.columns[0] for m in layout.models)]:
        for value in to_numpy_sample(first[column]):
            text = label_text(value)
            if text is not None:
                seen.add(text.strip())
    return BINARY if len(seen) <= 2 else MULTICLASS


def _first_chunk_task(
    first: Mapping[str, Any], layout: Any, models: list[Any], name: str, task: str | None
) -> str:
    """The task the data suggests (from the first chunk, as ``evaluate`` decides),
    reported even when ``task`` overrides it."""
    from losscli import detect
    from losscli.io.codes import to_numpy_sample

    y0 = to_numpy_sample(first[layout.target])
    try:
        if models:
            p0 = to_numpy_sample(first[models[0].columns[0]])
            return detect.infer_task(y0, p0, layout, source=name)
        return detect.infer_task_from_truth(y0)
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
