"""``--fail-if`` gates: parse and judge ``[MODEL:]LOSS OP NUMBER``, never ``eval``.

Grammar (whitespace allowed around every token)::

    gate   := [model ":"] loss op number
    op     := "<=" | ">=" | "<" | ">"
    loss   := a loss id or alias (``rmse``, ``bce``, ...), or ``pinball@Q`` for the
              pinball loss at quantile Q (the result key ``evaluate`` reports)
    number := a finite decimal number (``1.2``, ``-3``, ``1e-3``)

The expression is read from the right: the number at the end, the operator just
before it, then the left-hand side, whose last ``:`` separates the model (any
text, since model names come from column names) from the loss. A gate *fails*
(exit 1) when its comparison holds: ``rmse>1.2`` fails for a model whose RMSE is
above 1.2. Without a model it applies to every model's overall row (group
``null``); a model may be named by its reported name (``tree``) or its column
(``pred_tree``).

Gates are data: :func:`parse_gates` turns the expressions into :class:`Gate` values
(before any file is read, so a typo costs nothing), :func:`judge_report` turns a report's
overall results into :class:`GateOutcome` values, which the report carries. Wording an
outcome for people is :mod:`losscli.render.evaluate`'s job, so this module imports no
renderer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from losscli.errors import UsageError
from losscli.losses import registry as catalog

if TYPE_CHECKING:
    from losscli.evaluate.report import EvaluationReport

OPS: tuple[str, ...] = ("<=", ">=", "<", ">")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$")


@dataclass(frozen=True)
class Gate:
    """One parsed ``--fail-if`` expression."""

    expr: str
    model: str | None
    loss: str  # result key: registry id, or ``pinball@Q``
    op: str
    threshold: float

    def holds(self, value: float) -> bool:
        """True when ``value OP threshold``, i.e. the gate fails."""
        if math.isnan(value):
            return True  # an undefined value cannot pass a quality gate
        if self.op == "<":
            return value < self.threshold
        if self.op == "<=":
            return value <= self.threshold
        if self.op == ">":
            return value > self.threshold
        return value >= self.threshold


@dataclass(frozen=True)
class GateOutcome:
    """One gate judged against one model's overall value."""

    gate: Gate
    model: str
    group: str | None
    value: float
    failed: bool

    def to_dict(self) -> dict[str, Any]:
        """The entry of the report's JSON ``gates`` list."""
        return {
            "expr": self.gate.expr,
            "model": self.model,
            "group": self.group,
            "value": self.value,
            "failed": self.failed,
        }


def _malformed(expr: str, why: str) -> UsageError:
    return UsageError(
        f"malformed --fail-if {expr!r}: {why}; expected [MODEL:]LOSS OP NUMBER with OP one "
        "of < <= > >= (e.g. 'rmse>1.2' or 'pred_tree:bce>=0.7')"
    )


def parse_gate(expr: str) -> Gate:
    """Parse one expression; UsageError (exit 2) when malformed or the loss is unknown."""
    text = expr.strip()
    m = _NUMBER.search(text)
    if m is None:
        raise _malformed(expr, "no number at the end")
    number_text = m.group().strip()
    head = text[: m.start()].rstrip()
    op = next((o for o in OPS if head.endswith(o)), None)
    if op is None:
        raise _malformed(expr, "no comparison operator before the number")
    lhs = head[: -len(op)].rstrip()
    if lhs.endswith(("<", ">", "=", "!")):
        raise _malformed(expr, f"unknown operator {lhs[-1] + op!r}")
    threshold = float(number_text)
    if not math.isfinite(threshold):
        raise _malformed(expr, "the number must be finite")
    model: str | None = None
    loss_text = lhs
    if ":" in lhs:
        model_text, loss_text = lhs.rsplit(":", 1)
        model = model_text.strip()
        if not model:
            raise _malformed(expr, "empty model name before ':'")
    loss_text = loss_text.strip()
    if not loss_text:
        raise _malformed(expr, "no loss name")
    return Gate(expr, model, resolve_loss_key(loss_text, expr), op, threshold)


def resolve_loss_key(text: str, expr: str) -> str:
    """A loss name as written in a gate → the result key (``rmse``, ``pinball@0.9``)."""
    name, quantile = catalog.split_key(text)
    loss_id = catalog.resolve(name)
    if loss_id is None:
        raise UsageError(
            f"--fail-if {expr!r} names an unknown loss {name.strip()!r}; valid ids: "
            f"{', '.join(catalog.BY_ID)}"
        )
    if loss_id == "pinball":
        if not quantile:
            raise UsageError(f"--fail-if {expr!r}: say which quantile, e.g. 'pinball@0.9<0.3'")
        try:
            q = float(quantile)
        except ValueError:
            raise _malformed(expr, f"bad quantile {quantile!r}") from None
        return catalog.result_key(loss_id, q)
    if quantile:
        raise _malformed(expr, f"only pinball takes '@quantile', not {loss_id}")
    return loss_id


def parse_gates(exprs: Sequence[str]) -> list[Gate]:
    return [parse_gate(e) for e in exprs]


def judge(
    gates: Sequence[Gate],
    results: Sequence[tuple[str, str | None, str, float]],
    *,
    models: Sequence[str],
    aliases: dict[str, str] | None = None,
    skipped: dict[str, str] | None = None,
) -> list[GateOutcome]:
    """Judge ``gates`` against the overall rows of ``results``
    (``(model, group, loss, value)`` tuples). ``aliases`` maps other accepted
    model names (column names) to reported names. A gate naming an unknown model,
    or a loss that was not evaluated, is a UsageError (exit 2)."""
    overall = {(m, loss): v for m, g, loss, v in results if g is None}
    evaluated = sorted({loss for _, loss in overall})
    aliases = aliases or {}
    outcomes: list[GateOutcome] = []
    for gate in gates:
        if gate.model is None:
            targets = list(models)
        else:
            name = gate.model if gate.model in models else aliases.get(gate.model)
            if name is None:
                raise UsageError(
                    f"--fail-if {gate.expr!r} names an unknown model {gate.model!r}; "
                    f"models are: {', '.join(models)}"
                )
            targets = [name]
        judged = False
        for model in targets:
            value = overall.get((model, gate.loss))
            if value is None:
                continue
            judged = True
            outcomes.append(GateOutcome(gate, model, None, value, gate.holds(value)))
        if not judged:
            reason = (skipped or {}).get(gate.loss)
            if reason:
                raise UsageError(
                    f"--fail-if {gate.expr!r} cannot be judged: {gate.loss} was skipped ({reason})"
                )
            raise UsageError(
                f"--fail-if {gate.expr!r} names loss {gate.loss!r}, which was not evaluated; "
                f"evaluated: {', '.join(evaluated) or 'none'}"
            )
    return outcomes


def judge_report(gates: Sequence[Gate], report: EvaluationReport) -> list[GateOutcome]:
    """:func:`judge` on a report's overall results; a model may be named by one of its
    prediction columns, and a gate on a skipped loss says why it was skipped."""
    return judge(
        gates,
        [(r.model, r.group, r.loss, r.value) for r in report.overall],
        models=report.models,
        aliases={col: name for name, cols in report.model_columns.items() for col in cols},
        skipped={s.loss: s.reason for s in report.skipped},
    )
