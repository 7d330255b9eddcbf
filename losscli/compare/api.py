"""``losscli compare`` as a library: two sides → documents → changes → gates → report.

:func:`compare_files` is what the command calls: each side is read (a report) or
evaluated (a prediction file, with ``evaluate_file`` and the options given), the two
documents are checked against each other (:func:`losscli.compare.diff.mismatches`:
refused unless ``allow_mismatch``), diffed cell by cell and the gates judged.
:func:`compare_documents` does the same on two documents already in memory.

Every option is checked before a file is read (gates parsed, tolerances finite and
non-negative), so a typo costs nothing.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

from losscli.compare import diff, gates
from losscli.compare.load import load_sides
from losscli.compare.report import CompareReport, Side
from losscli.errors import UsageError

SIGNIFICANT_NEEDS = (
    "--significant needs intervals in both reports (evaluate --ci) or two prediction "
    "files compared paired (--key COL with --ci)"
)


def check_tolerance(name: str, value: float) -> float:
    """A tolerance must be a finite number ≥ 0 (UsageError otherwise)."""
    if not math.isfinite(value) or value < 0:
        raise UsageError(f"{name} must be a finite number >= 0, not {value:g}")
    return float(value)


def _side(path: str, kind: str, doc: dict[str, Any]) -> Side:
    return Side(
        path,
        kind,
        str(doc.get("file", path)),
        str(doc["task"]),
        int(doc.get("rows") or 0),
        doc.get("signature"),
    )


def compare_documents(
    base_doc: dict[str, Any],
    new_doc: dict[str, Any],
    *,
    base_side: Side | None = None,
    new_side: Side | None = None,
    rtol: float = diff.DEFAULT_RTOL,
    atol: float = diff.DEFAULT_ATOL,
    fail_if: Sequence[str] = (),
    fail_on_regression: bool = False,
    significant: bool = False,
    allow_mismatch: bool = False,
    paired: diff.Paired | None = None,
    significance: dict[str, Any] | None = None,
) -> CompareReport:
    """Compare two ``losscli.evaluate/1`` documents (already checked)."""
    parsed = gates.parse_gates(fail_if)
    rtol, atol = check_tolerance("--rtol", rtol), check_tolerance("--atol", atol)
    found = diff.mismatches(base_doc, new_doc)
    if found and not allow_mismatch:
        raise UsageError(
            f"the reports differ: {'; '.join(found)} (--allow-mismatch compares them anyway)"
        )
    if paired is None and diff.has_intervals(base_doc) and diff.has_intervals(new_doc):
        level = (base_doc["bootstrap"] or {}).get("level")
        significance = {
            "method": "mover",
            "level": level,
            "paired": False,
            "note": "interval of new - base from the two reports' intervals (MOVER), "
            "approximate: assumes independent evaluations",
        }
    if significant and significance is None:
        raise UsageError(SIGNIFICANT_NEEDS)
    changes = diff.diff_documents(base_doc, new_doc, rtol=rtol, atol=atol, paired=paired)
    models = list(dict.fromkeys([*base_doc["models"], *new_doc["models"]]))
    aliases = {**gates.aliases_of(new_doc), **gates.aliases_of(base_doc)}
    expr = f"regression (rtol={rtol:g}, atol={atol:g})"
    judged = gates.judge(
        parsed,
        changes,
        models=models,
        aliases=aliases,
        fail_on_regression=fail_on_regression,
        significant=significant,
        regression_expr=expr,
    )
    notes = []
    version = diff.signature_difference(base_doc.get("signature"), new_doc.get("signature"))
    if version is not None and version[1]:
        notes.append(f"the reports were made by other losscli versions ({version[0]})")
    return CompareReport(
        warnings=notes,
        base=base_side or _side("<base>", "report", base_doc),
        new=new_side or _side("<new>", "report", new_doc),
        task=str(base_doc["task"]),
        group_by=base_doc.get("group_by"),
        params=dict(base_doc.get("params") or {}),
        rtol=rtol,
        atol=atol,
        changes=changes,
        significance=significance,
        mismatches=found,
        gates=judged,
    )


def compare_files(
    base: str,
    new: str,
    *,
    evaluate_options: Mapping[str, Any] | None = None,
    loss_params: Mapping[str, Any] | None = None,
    key: str | None = None,
    rtol: float = diff.DEFAULT_RTOL,
    atol: float = diff.DEFAULT_ATOL,
    fail_if: Sequence[str] = (),
    fail_on_regression: bool = False,
    significant: bool = False,
    allow_mismatch: bool = False,
) -> CompareReport:
    """Compare BASE and NEW (reports or prediction files, see :mod:`.load`).

    ``evaluate_options``: keyword arguments of :func:`losscli.evaluate.evaluate_file`
    for the sides that are prediction files, and ``loss_params`` its loss parameters
    (``LossParams`` keywords); ``key``: join two prediction files on this column
    (:mod:`.join`) and compare them paired."""
    gates.parse_gates(fail_if)
    check_tolerance("--rtol", rtol)
    check_tolerance("--atol", atol)
    if base == "-" and new == "-":
        raise UsageError("BASE and NEW cannot both be stdin (-)")
    options = dict(evaluate_options or {})
    params = dict(loss_params or {})

    def evaluate(source: str) -> Any:
        from losscli.evaluate import LossParams, evaluate_file

        return evaluate_file(source, params=LossParams(**params), **options)

    (base_doc, base_kind, base_report), (new_doc, new_kind, new_report) = load_sides(
        (base, new), evaluate
    )
    paired = None
    significance = None
    if key is not None:
        if base_report is None or new_report is None:
            raise UsageError("--key joins two prediction files; a report has no rows to join")
        from losscli.compare.paired import paired_changes

        paired, significance = paired_changes(
            (base, base_report), (new, new_report), key, options, params
        )
    report = compare_documents(
        base_doc,
        new_doc,
        base_side=_side(base, base_kind, base_doc),
        new_side=_side(new, new_kind, new_doc),
        rtol=rtol,
        atol=atol,
        fail_if=fail_if,
        fail_on_regression=fail_on_regression,
        significant=significant,
        allow_mismatch=allow_mismatch,
        paired=paired,
        significance=significance,
    )
    warnings = [w for r in (base_report, new_report) if r is not None for w in r.warnings]
    warnings += report.warnings
    return dataclasses.replace(report, warnings=list(dict.fromkeys(warnings)))
