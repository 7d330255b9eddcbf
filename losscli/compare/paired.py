"""``compare --key``: the two prediction files joined on a key, compared paired.

The join (:mod:`.join`) checks that both files hold the same rows with the same truth;
then, when intervals are asked for (``--ci``), the joined frame is evaluated once with
both files' predictions as models of one frame, and the paired bootstrap of
``evaluate_frame(..., ci=..., baseline=...)`` gives Δ's interval and p-value on the
same resampled rows (tighter than the unpaired MOVER interval of :mod:`.diff`, which
ignores that both were scored on the same examples).

Without intervals the point values are those of each file evaluated on its own: every
row joins and no key repeats, so both files hold the same rows and the values are the
same (up to the order of summation).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from losscli.compare.diff import Paired
from losscli.compare.join import join_files
from losscli.errors import UsageError


def _prediction_columns(report: Any) -> list[str]:
    return [c for cols in report.model_columns.values() for c in cols]


def paired_changes(
    base: tuple[str, Any], new: tuple[str, Any], key: str, options: Mapping[str, Any]
) -> tuple[Paired | None, dict[str, Any] | None]:
    """Join the files (errors for duplicate keys, rows that do not join, a truth that
    differs) and, with ``--ci``, the paired Δ of every cell and how it was judged."""
    from losscli.io import sources

    (base_src, base_report), (new_src, new_report) = base, new
    if base_report.target != new_report.target:
        raise UsageError(
            f"--key: the truth column is {base_report.target!r} in {base_src} and "
            f"{new_report.target!r} in {new_src}"
        )
    extra = [c for c in (options.get("weight"), options.get("by")) if c]
    join_files(
        (base_src, sources.display_name(base_src)),
        (new_src, sources.display_name(new_src)),
        key,
        truth=base_report.target,
        base_columns=_prediction_columns(base_report),
        new_columns=_prediction_columns(new_report),
        extra=extra,
        fmt=options.get("fmt"),
    )
    return None, None
