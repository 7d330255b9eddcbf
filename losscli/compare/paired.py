"""``compare --key``: the two prediction files joined on a key, compared paired.

The join (:mod:`.join`) checks that both files hold the same rows with the same truth.
Without intervals that is all: every row joins and no key repeats, so both files hold
the same rows, and the point values are those of each file evaluated on its own (the
same up to the order of summation).

With ``--ci``, the joined frame is evaluated once per model with both files'
predictions of that model as two models of one frame (``base:<column>`` and
``new:<column>``), ``evaluate_frame(..., ci=..., baseline="base:…")``: its paired
bootstrap resamples the same rows for both, and its comparison of new against base
gives Δ's interval and p-value. That interval is tighter than the unpaired MOVER
interval of :mod:`.diff` (which ignores that both were scored on the same examples),
and it replaces it for every cell.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from losscli.compare.diff import Paired
from losscli.compare.join import BASE_PREFIX, NEW_PREFIX, join_files
from losscli.errors import UsageError

#: evaluate_file arguments that evaluate_frame does not take (it reads no file)
_FILE_ONLY = ("fmt", "progress", "chunk_rows", "fail_if", "filter_text", "header")


def _prediction_columns(report: Any) -> list[str]:
    return [c for cols in report.model_columns.values() for c in cols]


def _pred_spec(prefix: str, columns: list[str], classes: list[str] | None) -> str:
    """How ``--pred`` names a model's columns in the joined frame: the column, or
    ``PREFIX*`` for a model of one probability column per class. The glob's literal
    part must end where the class labels begin (evaluate reads each class from what
    the ``*`` matched), so the columns' common prefix is cut back until every column
    is that prefix and a class: ``prob_cat``, ``prob_cow``, ``prob_crow`` share
    ``prob_c``, but their glob is ``prob_*``."""
    if len(columns) == 1:
        return prefix + columns[0]
    first, last = min(columns), max(columns)
    n = next((i for i, (a, b) in enumerate(zip(first, last, strict=False)) if a != b), len(first))
    common = first[:n]  # (the columns' common prefix, character by character)
    labels = {str(c) for c in classes or ()}
    while labels and common and not all(c[len(common) :] in labels for c in columns):
        common = common[:-1]
    return prefix + common + "*"


def paired_changes(
    base: tuple[str, Any],
    new: tuple[str, Any],
    key: str,
    options: Mapping[str, Any],
    loss_params: Mapping[str, Any],
) -> tuple[Paired | None, dict[str, Any] | None]:
    """Join the files (errors for duplicate keys, rows that do not join, a truth that
    differs) and, with ``ci`` in ``options``, the paired Δ of every cell of the models
    both files have, and how it was judged."""
    from losscli.io import sources

    (base_src, base_report), (new_src, new_report) = base, new
    if base_report.target != new_report.target:
        raise UsageError(
            f"--key: the truth column is {base_report.target!r} in {base_src} and "
            f"{new_report.target!r} in {new_src}"
        )
    extra = [c for c in (options.get("weight"), options.get("by")) if c]
    joined = join_files(
        (base_src, sources.display_name(base_src)),
        (new_src, sources.display_name(new_src)),
        key,
        truth=base_report.target,
        base_columns=_prediction_columns(base_report),
        new_columns=_prediction_columns(new_report),
        extra=extra,
        fmt=options.get("fmt"),
        header=options.get("header"),
    )
    if not options.get("ci"):
        return None, None
    return _bootstrap(joined, base_report, new_report, options, loss_params)


def _bootstrap(
    joined: Any,
    base_report: Any,
    new_report: Any,
    options: Mapping[str, Any],
    loss_params: Mapping[str, Any],
) -> tuple[Paired, dict[str, Any]]:
    from losscli.evaluate import evaluate_frame

    if options.get("filter_text"):
        # (the rows were joined from the whole files; a filter would apply before the join)
        raise UsageError("--filter does not go with --key --ci (filter the files first)")
    frame_options = {k: v for k, v in options.items() if k not in (*_FILE_ONLY, "preds", "true")}
    frame_options["task"] = base_report.task  # (the joined frame's columns are renamed)
    paired: dict[tuple[str, str | None, str], Any] = {}
    settings: dict[str, Any] | None = None
    for model, base_cols in base_report.model_columns.items():
        new_cols = new_report.model_columns.get(model)
        if new_cols is None:
            continue
        # (the baseline is the first model, base's: a model of one probability column
        # per class has no single column to name it by)
        frame_options["baseline"] = None
        report = evaluate_frame(
            joined,
            true=base_report.target,
            preds=[
                _pred_spec(BASE_PREFIX, list(base_cols), base_report.classes),
                _pred_spec(NEW_PREFIX, list(new_cols), new_report.classes),
            ],
            source="<joined>",
            **frame_options,
            **loss_params,
        )
        for row in report.comparisons:
            paired[(model, row.group, row.loss)] = (row.delta, row.ci_low, row.ci_high, row.p_value)
        settings = settings or report.bootstrap
    level = (settings or {}).get("level")
    return paired, {
        "method": "paired",
        "level": level,
        "paired": True,
        "note": "one bootstrap over the joined rows for base and new (evaluate --ci); "
        f"test {(settings or {}).get('test')}",
    }
