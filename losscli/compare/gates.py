"""Regression gates of ``compare``: ``--fail-if`` on a change, ``--fail-on-regression``.

Grammar of ``--fail-if`` (whitespace allowed around every token), parsed as data,
never ``eval``'d::

    gate   := [model ":"] loss op change
    op     := ">" | ">=" | "<" | "<="
    change := sign number ["%"]          sign := "+" | "-"   (required)
    loss   := a loss id or alias, or pinball@Q (as in evaluate's --fail-if)

A number with ``%`` is relative to the base, Δ% = 100·(new − base)/|base|
(``'rmse>+2%'``: fail when RMSE rose by more than 2 % of its base value); without,
absolute, Δ = new − base (``'rmse>+0.01'``). The sign is required because the number
is a *change*, not a value: ``evaluate --fail-if 'rmse>0.01'`` is about the value, and
``compare`` refuses the unsigned form rather than read it one way or the other.

Direction: a gate must point where the loss gets worse, so that it fails on
regressions only. For a loss (lower is better) that is ``>`` / ``>=`` with a ``+``
change; for a score (r2, higher is better) ``<`` / ``<=`` with a ``-`` change:
``'r2<-2%'`` fails when r2 dropped by more than 2 % of |base|. ``'r2>+2%'`` (it would
fail on an improvement) and ``'rmse<-1%'`` are refused (exit 2) with the form to use.

A relative gate on a base of 0 fails on any worsening (the relative change is
infinite). An undefined new value (NaN) fails every gate on its cell. Gates judge every
(model, group, loss) row: the overall rows (group ``null``) and, in reports grouped by
``--by``, each group's row, so a regression hidden in one group fails the gate too
(one result per row, one stderr line per failing row naming model, group and loss).
Without a model they apply to every model, and a model may be named by its name or one
of its prediction columns.

``--fail-on-regression`` fails for every cell (overall and per group) whose verdict is ``worse``
(beyond the tolerance τ = atol + rtol·|base| of ``--atol``/``--rtol``, see
:mod:`losscli.compare.diff`). With ``--significant`` every gate fails only where the
change is significant too (its interval excludes 0); without intervals in both
reports (``evaluate --ci``) or a paired comparison, ``--significant`` is an error.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from losscli.compare.diff import higher_is_better
from losscli.compare.report import WORSE, Change, GateResult
from losscli.errors import UsageError
from losscli.evaluate.gates import resolve_loss_key

OPS = ("<=", ">=", "<", ">")
_CHANGE = re.compile(r"([+-])\s*((?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*(%?)\s*$")
_FORM = (
    "expected [MODEL:]LOSS OP CHANGE, CHANGE a signed number, '%' for relative "
    "(e.g. 'rmse>+2%', 'rmse>+0.01', 'r2<-1%')"
)


@dataclass(frozen=True)
class ChangeGate:
    """One parsed ``--fail-if`` expression of ``compare``."""

    expr: str
    model: str | None
    loss: str
    op: str
    threshold: float
    relative: bool

    def holds(self, change: Change) -> bool:
        """Whether the gate fails on ``change`` (an overall cell of its loss)."""
        if change.new is None and change.base is not None:
            return True  # the value became undefined
        value = self.value(change)
        if value is None:
            return False
        if self.op == ">":
            return value > self.threshold
        if self.op == ">=":
            return value >= self.threshold
        if self.op == "<":
            return value < self.threshold
        return value <= self.threshold

    def value(self, change: Change) -> float | None:
        """The change the gate reads: Δ, or Δ% (±inf for a worsening of a base of 0)."""
        if not self.relative:
            return change.delta
        if change.delta_pct is not None:
            return change.delta_pct
        if change.base == 0 and change.delta:
            return math.copysign(math.inf, change.delta)
        return None


def _malformed(expr: str, why: str) -> UsageError:
    return UsageError(f"malformed --fail-if {expr!r}: {why}; {_FORM}")


def parse_gate(expr: str) -> ChangeGate:
    """One expression → a :class:`ChangeGate`; UsageError (exit 2) when malformed, the
    loss unknown or the direction one that cannot be a regression."""
    text = expr.strip()
    m = _CHANGE.search(text)
    if m is None:
        if re.search(r"\d\s*%?\s*$", text):
            raise _malformed(expr, "the change needs a sign (+ or -): it is new - base")
        raise _malformed(expr, "no signed change at the end")
    sign, number, percent = m.groups()
    head = text[: m.start()].rstrip()
    op = next((o for o in OPS if head.endswith(o)), None)
    if op is None:
        raise _malformed(expr, "no comparison operator before the change")
    lhs = head[: -len(op)].rstrip()
    if lhs.endswith(("<", ">", "=", "!")):
        raise _malformed(expr, f"unknown operator {lhs[-1] + op!r}")
    model: str | None = None
    if ":" in lhs:
        model_text, lhs = lhs.rsplit(":", 1)
        model = model_text.strip()
        if not model:
            raise _malformed(expr, "empty model name before ':'")
    if not lhs.strip():
        raise _malformed(expr, "no loss name")
    loss = resolve_loss_key(lhs.strip(), expr)
    threshold = float(sign + number)
    if not math.isfinite(threshold):
        raise _malformed(expr, "the change must be finite")
    _check_direction(expr, loss, op, sign, model, number + percent)
    return ChangeGate(expr, model, loss, op, threshold, bool(percent))


def _check_direction(
    expr: str, loss: str, op: str, sign: str, model: str | None, amount: str
) -> None:
    higher = higher_is_better(loss)
    worse_op, worse_sign = ("<", "-") if higher else (">", "+")
    if op.startswith(worse_op) and sign == worse_sign:
        return
    prefix = f"{model}:" if model else ""
    kind = (
        "a score (higher is better): a regression is a drop"
        if higher
        else ("a loss (lower is better): a regression is a rise")
    )
    raise UsageError(
        f"--fail-if {expr!r} would fail on an improvement: {loss} is {kind}; "
        f"write '{prefix}{loss}{worse_op}{worse_sign}{amount}'"
    )


def parse_gates(exprs: Sequence[str]) -> list[ChangeGate]:
    return [parse_gate(e) for e in exprs]


def _targets(gate: ChangeGate, models: Sequence[str], aliases: dict[str, str]) -> list[str]:
    if gate.model is None:
        return list(models)
    name = gate.model if gate.model in models else aliases.get(gate.model)
    if name is None:
        raise UsageError(
            f"--fail-if {gate.expr!r} names an unknown model {gate.model!r}; "
            f"models are: {', '.join(models)}"
        )
    return [name]


def _result(expr: str, change: Change, failed: bool, significant: bool) -> GateResult:
    if significant:
        failed = failed and change.significant is True
    return GateResult(
        expr,
        change.model,
        change.loss,
        change.base,
        change.new,
        change.delta,
        change.delta_pct,
        failed,
        "difference" if significant else "point",
        change.group,
    )


def judge(
    gates: Sequence[ChangeGate],
    changes: Sequence[Change],
    *,
    models: Sequence[str],
    aliases: dict[str, str] | None = None,
    fail_on_regression: bool = False,
    significant: bool = False,
    regression_expr: str = "regression",
) -> list[GateResult]:
    """Judge the gates on every change, overall and per group (``changes``' order: a
    gate's results model by model, each model's rows in report order); a gate on a
    model or loss that was not compared is a UsageError (exit 2)."""
    by_cell: dict[tuple[str, str], list[Change]] = {}
    for c in changes:
        by_cell.setdefault((c.model, c.loss), []).append(c)
    out: list[GateResult] = []
    for gate in gates:
        judged = False
        for model in _targets(gate, models, aliases or {}):
            for change in by_cell.get((model, gate.loss), []):
                if change.base is None:
                    continue
                judged = True
                out.append(_result(gate.expr, change, gate.holds(change), significant))
        if not judged:
            compared = sorted({loss for _, loss in by_cell})
            raise UsageError(
                f"--fail-if {gate.expr!r} names loss {gate.loss!r}, which is not in both "
                f"reports; compared: {', '.join(compared) or 'none'}"
            )
    if fail_on_regression:
        for change in changes:
            if (change.base is not None and change.new is not None) or change.verdict == WORSE:
                out.append(_result(regression_expr, change, change.verdict == WORSE, significant))
    return out


def aliases_of(doc: dict[str, Any]) -> dict[str, str]:
    """Prediction column → model name, from a document's ``models_info``."""
    out: dict[str, str] = {}
    for info in doc.get("models_info") or []:
        if isinstance(info, dict):
            for col in info.get("columns") or []:
                out[str(col)] = str(info.get("name"))
    return out
