"""Finished accumulators → the report's results, skipped losses, warnings and model kinds.

The engine ends with one accumulator per (model, loss) for the overall row and, under
``--by``, a :class:`losscli.evaluate.report.GroupTable` with the groups' skip reasons.
This module words what did not apply: a loss that does not apply to the data (msle
with a negative value, r2 with a constant truth, class-balanced cross-entropy with
one class) is listed in ``skipped`` with its reason; when the user asked for that
loss by name with ``--loss``, it is an error instead (exit 2), since the run cannot
give what was asked for. Label mode (:mod:`losscli.labels`) settles the task and the
classes here, on every label seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from losscli import tasks
from losscli.errors import InputError, LossInputError
from losscli.evaluate.report import Result, Skipped

if TYPE_CHECKING:
    import numpy as np

    from losscli.detect import Layout
    from losscli.evaluate.plan import LossPlan
    from losscli.labels import Decision, LabelCodes
    from losscli.losses import Accumulator

#: a group skip reason: (loss index, model index, reason, group positions in report order)
GroupReason = tuple[int, int, str, "np.ndarray"]


@dataclass
class Outcome:
    """The parts of the report that :func:`overall` and :func:`describe` settle."""

    task: str
    classes: list[str] | None
    results: list[Result] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    models_info: list[dict[str, Any]] = field(default_factory=list)


def skip_text(acc: Accumulator) -> str | None:
    """Why ``acc``'s loss does not apply, as the report says it, or ``None``. A broken
    data requirement (mape: a zero truth) is worded from its structured
    :class:`~losscli.losses.Violation`: the 1-based data row ``first_index + 1`` (the
    batches carry each row's input index, so rows dropped or regrouped before are
    counted); the other reasons name no row and are the library's own words.

    The per-group reasons of :mod:`losscli.evaluate.grouped` need no row: a group
    that breaks a requirement breaks it overall too, so :func:`group_skips` leaves
    that loss out of the group entries (its overall reason, from here, names the row)."""
    from losscli.losses import MeanAccumulator

    if isinstance(acc, MeanAccumulator) and acc.violation is not None and acc.needs is not None:
        return acc.needs.text(acc.violation, row=acc.violation.first_index + 1)
    return acc.skip_reason()


def _for_model(text: str, names: Sequence[str], m: int) -> str:
    return f"{text} (model {names[m]})" if len(names) > 1 else text


def overall(
    out: Outcome,
    name: str,
    plans: Sequence[LossPlan],
    names: Sequence[str],
    accs: dict[int, list[Accumulator]],
) -> set[str]:
    """Add the overall results and skips to ``out``, loss by loss, model by model;
    returns the keys of the losses skipped overall. A requested loss that does not
    apply is an :class:`InputError`."""
    skipped_overall: set[str] = set()
    seen: set[tuple[str, str]] = set()
    for li, plan in enumerate(plans):
        for m in range(len(names)):
            acc = accs[m][li]
            reason = skip_text(acc)
            value: float | None = None
            if reason is None:
                try:
                    value = acc.result()
                except LossInputError as exc:
                    reason = str(exc)
            if reason is None and value is not None:
                out.results.append(Result(names[m], None, plan.key, value, acc.rows))
                continue
            text = _for_model(reason or "not applicable", names, m)
            if plan.requested:
                raise InputError(f"{name}: {plan.key} does not apply: {text}")
            skipped_overall.add(plan.key)
            if (plan.key, text) not in seen:
                seen.add((plan.key, text))
                out.skipped.append(Skipped(plan.key, text))
    return skipped_overall


def group_skips(
    reasons: Sequence[GroupReason],
    skipped_overall: set[str],
    plans: Sequence[LossPlan],
    names: Sequence[str],
    labels: Sequence[str],
) -> list[Skipped]:
    """One entry per (loss, reason) skipped in some groups only (a loss skipped
    overall already says why), naming up to five groups, in the order of the
    first group (report order), then loss, then model."""
    import numpy as np

    entries: dict[tuple[str, str], tuple[tuple[int, int, int], list[np.ndarray]]] = {}
    for li, m, reason, pos in reasons:
        key = plans[li].key
        if key in skipped_overall or not pos.size:
            continue
        text = _for_model(reason, names, m)
        first = (int(pos.min()), li, m)
        seen = entries.get((key, text))
        if seen is None:
            entries[(key, text)] = (first, [pos])
        else:
            entries[(key, text)] = (min(seen[0], first), [*seen[1], pos])
    out = []
    for (key, text), (_, parts) in sorted(entries.items(), key=lambda kv: kv[1][0]):
        where = np.unique(np.concatenate(parts))
        shown = ", ".join(labels[p] for p in where[:5].tolist()) + (
            f" and {where.size - 5} more" if where.size > 5 else ""
        )
        noun = "group" if where.size == 1 else "groups"
        out.append(Skipped(key, f"{text} ({noun} {shown})"))
    return out


def describe(
    out: Outcome,
    *,
    name: str,
    layout: Layout,
    decision: Decision | None,
    labels: LabelCodes | None,
    auto: bool,
    requested: Sequence[str],
    logits: bool,
) -> None:
    """Label mode's task, classes and skipped losses; notes; each model's kind."""
    from losscli.labels import NEEDS_PROBABILITIES, label_skips

    d = decision
    if d is not None:
        out.warnings[:0] = d.notes
        if d.classes is not None:
            out.classes = list(d.classes)
        for model, unused, used in layout.unused:
            out.warnings.append(
                f"{name}: model {model!r}: column {unused!r} (labels) was not used; "
                f"the probabilities in {used!r} are its predictions"
            )
    if layout.ignored:
        named = ", ".join(f"{c!r} (of {n!r})" for c, n in layout.ignored)
        out.warnings.append(
            f"{name}: {named} not used: the probability of that column's value on each "
            "row, not one column per class"
        )
    if labels is not None:
        classes = labels.sorted_labels()
        if out.task == tasks.BINARY and not auto and len(classes) > 2:
            shown = ", ".join(repr(c) for c in classes[:5])
            raise InputError(
                f"{name}: --task binary, but truth and predictions hold "
                f"{len(classes)} labels ({shown}); say --task multiclass"
            )
        if auto or out.task == tasks.MULTICLASS:
            out.task = tasks.BINARY if len(classes) <= 2 and auto else tasks.MULTICLASS
        out.classes = classes
        have = {s.loss for s in out.skipped}
        for key in label_skips(out.task, requested):
            if key not in have:
                out.skipped.append(Skipped(key, NEEDS_PROBABILITIES))
    if labels is not None:
        kind = "label"
    elif out.task == tasks.REGRESSION:
        kind = "value"
    else:
        kind = "score" if logits else "probability"
    out.models_info = [
        {"name": m.name, "kind": kind, "columns": list(m.columns)} for m in layout.models
    ]
