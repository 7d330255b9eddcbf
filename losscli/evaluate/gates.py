"""``--fail-if`` gates: parse and judge them as data, never ``eval``.

Grammar (whitespace allowed around every token)::

    gate        := threshold | comparative
    threshold   := [model ":"] loss op number
    comparative := model ":" loss op model ":" loss      (the same loss on both sides)
    op          := "<=" | ">=" | "<" | ">"
    loss        := a loss id or alias (``rmse``, ``bce``, ...), or ``pinball@Q`` for the
                   pinball loss at quantile Q (the result key ``evaluate`` reports)
    number      := a finite decimal number (``1.2``, ``-3``, ``1e-3``)

A threshold gate is read from the right: the number at the end, the operator just
before it, then the left-hand side, whose last ``:`` separates the model (any text,
since model names come from column names) from the loss. An expression that does not
end in a number is comparative: it is split at the operator whose both sides end in
``:LOSS`` with a known loss (the rightmost such operator when model names hold
operators themselves). A gate *fails* (exit 1) when its comparison holds: ``rmse>1.2``
fails for a model whose RMSE is above 1.2; ``tree:rmse > linear:rmse`` fails when
tree's RMSE is above linear's. Without a model a threshold gate applies to every
model's overall row (group ``null``); a model may be named by its reported name
(``tree``) or its column (``pred_tree``).

What is judged (the ``judged`` of each outcome):

* ``point`` — the exact full-data value (every gate without ``--ci``; threshold gates
  with ``--gate-on point``, the default; any cell whose interval is undefined);
* ``ci`` — ``--gate-on ci``: a threshold gate fails only when the whole percentile
  interval is past the threshold (``rmse>1.2``: the interval's low end above 1.2;
  ``rmse<0.9``: its high end below 0.9; ``>=``/``<=`` include the end);
* ``difference`` — a comparative gate with ``--ci``: Δ = loss(left) − loss(right)
  from the report's paired comparison (one side must be the baseline: the report
  compares every model with it); the gate fails only when Δ has the gate's direction
  (``>``: Δ > 0) *and* is significant at the level, p < 1 − level, with the p-value
  the verdicts use (Holm-adjusted with ``--correction holm``). A comparison without a
  p-value falls back to the point values.

An undefined value (NaN) fails: it cannot pass a quality gate.

Gates are data: :func:`parse_gates` turns the expressions into :class:`Gate` values
(before any file is read, so a typo costs nothing), :func:`judge_report` turns a report
into :class:`GateOutcome` values, which the report carries. Wording an outcome for
people is :mod:`losscli.render.evaluate`'s job, so this module imports no renderer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from losscli.errors import UsageError
from losscli.losses import registry

if TYPE_CHECKING:
    from losscli.evaluate.report import ComparisonRow, EvaluationReport, Result

OPS: tuple[str, ...] = ("<=", ">=", "<", ">")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$")

GATE_ON: tuple[str, ...] = ("point", "ci")
GATE_ON_CI_NEEDS_CI = "--gate-on ci judges the intervals of --ci: add --ci"


@dataclass(frozen=True)
class Gate:
    """One parsed ``--fail-if`` expression. A comparative gate names the right-hand
    model in ``other`` and compares Δ = loss(model) − loss(other) with ``threshold``
    0, so that ``holds`` judges both kinds alike."""

    expr: str
    model: str | None
    loss: str  # result key: registry id, or ``pinball@Q``
    op: str
    threshold: float
    other: str | None = None

    @property
    def comparative(self) -> bool:
        return self.other is not None

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

    def interval_holds(self, low: float, high: float) -> bool:
        """True when the whole interval ``[low, high]`` is past the threshold."""
        if self.op in (">", ">="):
            return self.holds(low)
        return self.holds(high)


@dataclass(frozen=True)
class GateOutcome:
    """One gate judged against one model's overall value (a comparative gate: the
    value is Δ = loss(model) − loss(other), with its interval and p-value when
    judged on the ``difference``)."""

    gate: Gate
    model: str
    group: str | None
    value: float
    failed: bool
    judged: str = "point"
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    #: comparative gates: the reported name of the right-hand model
    other: str | None = None
    #: the level of the interval or test judged (None: ``point``)
    level: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The entry of the report's JSON ``gates`` list: ``expr, model, group, value,
        failed, judged``; a ``ci`` gate adds ``ci_low, ci_high``; a comparative gate
        adds ``other, ci_low, ci_high, p_value`` (null when judged on the point values)."""
        doc: dict[str, Any] = {
            "expr": self.gate.expr,
            "model": self.model,
            "group": self.group,
            "value": self.value,
            "failed": self.failed,
            "judged": self.judged,
        }
        if self.gate.comparative:
            doc["other"] = self.other
        if self.gate.comparative or self.judged == "ci":
            doc["ci_low"] = self.ci_low
            doc["ci_high"] = self.ci_high
        if self.gate.comparative:
            doc["p_value"] = self.p_value
        return doc


def _malformed(expr: str, why: str) -> UsageError:
    return UsageError(
        f"malformed --fail-if {expr!r}: {why}; expected [MODEL:]LOSS OP NUMBER or "
        "MODEL:LOSS OP MODEL:LOSS with OP one of < <= > >= (e.g. 'rmse>1.2', "
        "'pred_tree:bce>=0.7' or 'tree:rmse > linear:rmse')"
    )


def parse_gate(expr: str) -> Gate:
    """Parse one expression; UsageError (exit 2) when malformed or the loss is unknown."""
    text = expr.strip()
    m = _NUMBER.search(text)
    if m is None or text[: m.start()].endswith("@"):
        # no number at the end (``pinball@0.9`` ends a comparative gate's loss)
        gate = _parse_comparative(expr, text)
        if gate is None:
            raise _malformed(expr, "no number at the end, nor two models compared")
        return gate
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
    model, loss_text = _split_side(expr, lhs)
    return Gate(expr, model, resolve_loss_key(loss_text, expr), op, threshold)


def _split_side(expr: str, side: str) -> tuple[str | None, str]:
    """``[MODEL:]LOSS`` → (model or None, loss text), split at the last ``:``."""
    model: str | None = None
    loss_text = side
    if ":" in side:
        model_text, loss_text = side.rsplit(":", 1)
        model = model_text.strip()
        if not model:
            raise _malformed(expr, "empty model name before ':'")
    loss_text = loss_text.strip()
    if not loss_text:
        raise _malformed(expr, "no loss name")
    return model, loss_text


def _op_splits(text: str) -> list[tuple[str, str, str]]:
    """Every (left, op, right) split of ``text`` at an operator where both sides
    hold a ``:`` (``MODEL:LOSS``), left to right; ``<=`` is never split as ``<``."""
    out = []
    i = 0
    while i < len(text):
        op = next((o for o in OPS if text.startswith(o, i)), None)
        if op is None:
            i += 1
            continue
        left, right = text[:i].rstrip(), text[i + len(op) :].strip()
        odd = left.endswith(("<", ">", "=", "!")) or right.startswith(("<", ">", "=", "!"))
        if ":" in left and ":" in right and not odd:  # (not ``>>``, ``<=>``, ...)
            out.append((left, op, right))
        i += len(op)
    return out


def _known_loss(side: str) -> bool:
    name = side.rsplit(":", 1)[1].strip().partition("@")[0]
    return registry.find(name) is not None


def _parse_comparative(expr: str, text: str) -> Gate | None:
    """``MODEL:LOSS OP MODEL:LOSS`` (None when the text has no such shape): split at
    the rightmost operator whose both sides name a known loss (else the rightmost
    split, so the unknown loss is the error)."""
    splits = _op_splits(text)
    if not splits:
        return None
    known = [s for s in splits if _known_loss(s[0]) and _known_loss(s[2])]
    left, op, right = (known or splits)[-1]
    model, left_loss = _split_side(expr, left)
    other, right_loss = _split_side(expr, right)
    assert model is not None and other is not None  # (both sides hold a ':')
    loss = resolve_loss_key(left_loss, expr)
    if resolve_loss_key(right_loss, expr) != loss:
        raise UsageError(
            f"--fail-if {expr!r} compares {loss} with {resolve_loss_key(right_loss, expr)}: "
            "a comparative gate compares one loss of two models of the same evaluation"
        )
    return Gate(expr, model, loss, op, 0.0, other=other)


def resolve_loss_key(text: str, expr: str) -> str:
    """A loss name as written in a gate → the result key (``rmse``, ``pinball@0.9``)."""
    name, quantile = registry.split_key(text)
    spec = registry.find(name)
    if spec is None:
        raise UsageError(
            f"--fail-if {expr!r} names an unknown loss {name.strip()!r}; valid ids: "
            f"{registry.valid_ids()}"
        )
    loss_id = spec.id
    if loss_id == "pinball":
        if not quantile:
            raise UsageError(f"--fail-if {expr!r}: say which quantile, e.g. 'pinball@0.9<0.3'")
        try:
            q = float(quantile)
        except ValueError:
            raise _malformed(expr, f"bad quantile {quantile!r}") from None
        return registry.result_key(loss_id, q)
    if quantile:
        raise _malformed(expr, f"only pinball takes '@quantile', not {loss_id}")
    return loss_id


def parse_gates(exprs: Sequence[str]) -> list[Gate]:
    return [parse_gate(e) for e in exprs]


@dataclass(frozen=True)
class _Judge:
    """What judging needs of a report: overall values and intervals by (model, loss),
    the overall paired comparisons by (model, baseline, loss), the level (None
    without ``--ci``) and what threshold gates are judged on."""

    overall: dict[tuple[str, str], float]
    intervals: dict[tuple[str, str], tuple[float, float]]
    comparisons: dict[tuple[str, str, str], ComparisonRow]
    models: Sequence[str]
    aliases: dict[str, str]
    skipped: dict[str, str]
    level: float | None
    gate_on: str
    baseline: str | None

    def name(self, gate: Gate, text: str) -> str:
        """A model as a gate names it (reported name or column) → its reported name."""
        name = text if text in self.models else self.aliases.get(text)
        if name is None:
            raise UsageError(
                f"--fail-if {gate.expr!r} names an unknown model {text!r}; "
                f"models are: {', '.join(self.models)}"
            )
        return name

    def not_judged(self, gate: Gate) -> UsageError:
        reason = self.skipped.get(gate.loss)
        if reason:
            return UsageError(
                f"--fail-if {gate.expr!r} cannot be judged: {gate.loss} was skipped ({reason})"
            )
        evaluated = sorted({loss for _, loss in self.overall})
        return UsageError(
            f"--fail-if {gate.expr!r} names loss {gate.loss!r}, which was not evaluated; "
            f"evaluated: {', '.join(evaluated) or 'none'}"
        )

    def threshold(self, gate: Gate) -> list[GateOutcome]:
        targets = list(self.models) if gate.model is None else [self.name(gate, gate.model)]
        outcomes: list[GateOutcome] = []
        for model in targets:
            value = self.overall.get((model, gate.loss))
            if value is None:
                continue
            span = self.intervals.get((model, gate.loss)) if self.gate_on == "ci" else None
            if span is None:
                outcomes.append(GateOutcome(gate, model, None, value, gate.holds(value)))
                continue
            failed = gate.interval_holds(*span)
            outcomes.append(
                GateOutcome(gate, model, None, value, failed, "ci", *span, level=self.level)
            )
        if not outcomes:
            raise self.not_judged(gate)
        return outcomes

    def comparative(self, gate: Gate) -> GateOutcome:
        assert gate.model is not None and gate.other is not None
        a, b = self.name(gate, gate.model), self.name(gate, gate.other)
        if a == b:
            raise UsageError(f"--fail-if {gate.expr!r} compares model {a!r} with itself")
        va, vb = self.overall.get((a, gate.loss)), self.overall.get((b, gate.loss))
        if va is None or vb is None:
            raise self.not_judged(gate)
        if self.level is None:
            return GateOutcome(gate, a, None, va - vb, gate.holds(va - vb), other=b)
        row, sign = self.comparisons.get((a, b, gate.loss)), 1.0
        if row is None:
            row, sign = self.comparisons.get((b, a, gate.loss)), -1.0
        if row is None:
            raise UsageError(
                f"--fail-if {gate.expr!r}: with --ci every model is compared with the "
                f"baseline {self.baseline!r} only; name it on one side of the gate, or make "
                f"{b!r} the baseline with --baseline"
            )
        p = row.p_value
        if p is None or math.isnan(p):
            return GateOutcome(gate, a, None, va - vb, gate.holds(va - vb), other=b)
        delta = sign * row.delta
        low, high = row.ci_low, row.ci_high
        if sign < 0:
            low, high = (None if high is None else -high), (None if low is None else -low)
        significant = p < 1.0 - self.level
        failed = gate.holds(delta) and (significant or math.isnan(delta))
        return GateOutcome(gate, a, None, delta, failed, "difference", low, high, p, b, self.level)


def check_gate_on(gate_on: str, gates: Sequence[Gate], *, has_ci: bool) -> str:
    """``gate_on`` as given, when it is one of ``GATE_ON`` and, for ``ci``, there are
    intervals to judge the threshold gates on (a UsageError otherwise)."""
    if gate_on not in GATE_ON:
        raise UsageError(f"--gate-on {gate_on!r}: expected one of {', '.join(GATE_ON)}")
    if gate_on == "ci" and not has_ci and any(not g.comparative for g in gates):
        raise UsageError(GATE_ON_CI_NEEDS_CI)
    return gate_on


def judge(
    gates: Sequence[Gate],
    results: Sequence[tuple[str, str | None, str, float]],
    *,
    models: Sequence[str],
    aliases: dict[str, str] | None = None,
    skipped: dict[str, str] | None = None,
    intervals: dict[tuple[str, str], tuple[float, float]] | None = None,
    comparisons: Sequence[ComparisonRow] = (),
    level: float | None = None,
    gate_on: str = "point",
    baseline: str | None = None,
) -> list[GateOutcome]:
    """Judge ``gates`` against the overall rows of ``results``
    (``(model, group, loss, value)`` tuples). ``aliases`` maps other accepted
    model names (column names) to reported names; ``intervals`` ((model, loss) →
    (low, high)), ``comparisons`` and ``level`` are those of ``--ci`` (``level``
    None: no ``--ci``, every gate is judged on the point values). A gate naming an
    unknown model, or a loss that was not evaluated, is a UsageError (exit 2)."""
    check_gate_on(gate_on, gates, has_ci=level is not None)
    ctx = _Judge(
        overall={(m, loss): v for m, g, loss, v in results if g is None},
        intervals=dict(intervals or {}),
        comparisons={(c.model, c.baseline, c.loss): c for c in comparisons if c.group is None},
        models=models,
        aliases=aliases or {},
        skipped=skipped or {},
        level=level,
        gate_on=gate_on,
        baseline=baseline,
    )
    outcomes: list[GateOutcome] = []
    for gate in gates:
        if gate.comparative:
            outcomes.append(ctx.comparative(gate))
        else:
            outcomes.extend(ctx.threshold(gate))
    return outcomes


def _span(r: Result) -> tuple[float, float] | None:
    """A result's interval when both ends are finite."""
    if r.ci_low is None or r.ci_high is None:
        return None
    if not (math.isfinite(r.ci_low) and math.isfinite(r.ci_high)):
        return None
    return float(r.ci_low), float(r.ci_high)


def judge_report(
    gates: Sequence[Gate], report: EvaluationReport, gate_on: str = "point"
) -> list[GateOutcome]:
    """:func:`judge` on a report's overall results (with ``--ci``: its intervals,
    paired comparisons and level); a model may be named by one of its prediction
    columns, and a gate on a skipped loss says why it was skipped."""
    boot = report.bootstrap
    spans = {(r.model, r.loss): span for r in report.overall if (span := _span(r)) is not None}
    return judge(
        gates,
        [(r.model, r.group, r.loss, r.value) for r in report.overall],
        models=report.models,
        aliases={col: name for name, cols in report.model_columns.items() for col in cols},
        skipped={s.loss: s.reason for s in report.skipped},
        intervals=spans,
        comparisons=report.comparisons,
        level=None if boot is None else float(boot.get("level", 0.95)),
        gate_on=gate_on,
        baseline=None if boot is None else boot.get("baseline"),
    )
