"""The signature of an evaluation: one line naming everything that changes a number.

In the spirit of sacrebleu's signatures: a loss value means nothing without its
convention and parameters, so every report carries one line such as
``losscli:0.1.0|task:binary|conv:losscli|eps:1e-07|cw:balanced-by-rows|gamma:2.0|w:none|dropna:no``
(JSON key
``signature``, a footer line in the table and the Markdown). ``losscli compare``
refuses two reports whose number-changing fields differ, reading them with
:func:`parse_signature`. The fields, in this order:

* ``losscli``: the version that computed the numbers;
* ``task``: regression, binary, multiclass;
* ``conv``: ``--convention`` (losscli, sklearn, torch, keras);
* ``eps``: the clipping ε of the cross-entropy losses (``none``: no loss clips);
* ``cw``: the class weights: ``balanced-by-weight`` (from the weighted class counts,
  ``--weight`` given), ``balanced-by-rows`` (from the row counts),
  ``given(LABEL=W,...)``, ``none`` (no class-weighted loss);
* ``delta``, ``gamma``, ``beta``, ``alpha``, ``wu``, ``wo``: δ, γ, β, α,
  weight_under, weight_over of the losses evaluated (``none``: no loss takes it);
* ``q``: the pinball quantiles (``0.1,0.9``);
* ``w``: the sample-weight column;
* ``dropna``, ``renorm``, ``logits``: ``yes`` / ``no``;
* ``pos``: the ``--positive`` label;
* ``ci``, ``level``, ``resamples``, ``seed``: the bootstrap's method as a short stable
  id (:func:`ci_id`: ``pct-poisson`` for the percentile bootstrap with Poisson weights
  over hashed row buckets), level, number of resamples and seed (``none`` without
  ``--ci``): ``ci:pct-poisson|level:0.95|resamples:1000|seed:12345``. The paired
  test and the correction are not in it: they change the p-values of the report's own
  comparisons, never a loss or its interval, which is what ``compare`` reads.

A field at its default (``none``; ``no`` for dropna, renorm, logits) is left out,
except ``losscli``, ``task``, ``conv``, ``eps``, ``w`` and ``dropna``, which are always
written. Values are percent-encoded where they hold ``%``, ``|``, ``:``, ``,`` or ``=`` of their
own or anything outside printable ASCII (a column named ``a|b`` is ``a%7Cb``), so
:func:`parse_signature` splits on ``|`` and the first ``:`` and decodes. Cut from the
report and the renderers because the signature is a pure function of the report (and
of ``dropna``, which the report does not hold), shared by every output format and by
``compare``.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any
from urllib.parse import quote, unquote

from losscli.evaluate.report import EvaluationReport

#: every field, in order (all of them change a number)
FIELDS = (
    "losscli",
    "task",
    "conv",
    "eps",
    "cw",
    "delta",
    "gamma",
    "beta",
    "alpha",
    "wu",
    "wo",
    "q",
    "w",
    "dropna",
    "renorm",
    "logits",
    "pos",
    "ci",
    "level",
    "resamples",
    "seed",
)

#: the fields written even at their default value
ALWAYS = ("losscli", "task", "conv", "eps", "w", "dropna")
#: the value of a field a signature leaves out (every other field: ``none``)
DEFAULTS = {"dropna": "no", "renorm": "no", "logits": "no"}

#: report.params name → signature field, for the plain numeric parameters
_NUMERIC = {
    "eps": "eps",
    "delta": "delta",
    "gamma": "gamma",
    "beta": "beta",
    "alpha": "alpha",
    "weight_under": "wu",
    "weight_over": "wo",
}


def _text(value: Any) -> str:
    """A value as the signature writes it: numbers by ``repr`` (round-trips exactly),
    text percent-encoded."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    return quote(str(value), safe="-._~")


#: the bootstrap methods' ids (a method not listed gets its text as a slug)
METHOD_IDS = {"percentile bootstrap, Poisson weights over hashed row buckets": "pct-poisson"}


def ci_id(bootstrap: dict[str, Any] | None) -> str:
    """The ``ci`` field: a short id of the method (``none`` without ``--ci``), letters,
    digits and ``-`` only, so it is never percent-encoded."""
    if not bootstrap:
        return "none"
    method = str(bootstrap.get("method") or "")
    known = METHOD_IDS.get(method)
    if known is None:
        known = "-".join(
            "".join(c if c.isascii() and c.isalnum() else " " for c in method.lower()).split()
        )
    return known or "unknown"


def _class_weight(report: EvaluationReport) -> str:
    cw = report.params.get("class_weight")
    if cw is None:
        return "none"
    if isinstance(cw, dict):
        inner = ",".join(f"{quote(str(k), safe='-._~')}={_text(float(v))}" for k, v in cw.items())
        return f"given({inner})"
    return "balanced-by-weight" if report.weight is not None else "balanced-by-rows"


def build(report: EvaluationReport, *, dropna: bool | None = None) -> str:
    """The signature of ``report`` (``dropna``: the option; ``None``: whether rows
    were dropped)."""
    from losscli import __version__

    params = report.params
    fields: dict[str, str] = {
        "losscli": _text(__version__),
        "task": _text(report.task),
        "conv": _text(params.get("convention", "losscli")),
    }
    for name, field in _NUMERIC.items():
        fields[field] = _text(params.get(name))
    fields["cw"] = _class_weight(report)
    quantiles = params.get("quantile")
    fields["q"] = ",".join(_text(float(v)) for v in quantiles) if quantiles else "none"
    fields["w"] = _text(report.weight)
    fields["dropna"] = _text(bool(report.dropped) if dropna is None else dropna)
    fields["renorm"] = _text(bool(params.get("renormalize", False)))
    fields["logits"] = _text(bool(params.get("logits", False)))
    fields["pos"] = _text(params.get("positive"))
    boot = report.bootstrap or {}
    fields["ci"] = ci_id(report.bootstrap)
    for name in ("level", "resamples", "seed"):
        fields[name] = _text(boot.get(name))
    return "|".join(
        f"{name}:{fields[name]}"
        for name in FIELDS
        if name in ALWAYS or fields[name] != DEFAULTS.get(name, "none")
    )


def signed(report: EvaluationReport, *, dropna: bool | None = None) -> EvaluationReport:
    """``report`` with its :attr:`~EvaluationReport.signature` filled in."""
    return dataclasses.replace(report, signature=build(report, dropna=dropna))


def parse_signature(text: str) -> dict[str, str]:
    """Every field of a signature (:data:`FIELDS` order, then any unknown ones as
    written), values decoded, a field left out at its default (``"none"``, or
    ``"no"`` for the yes/no fields); numbers as written: compare them as strings.
    Raises ``ValueError`` for a line that is not a losscli signature."""
    given: dict[str, str] = {}
    for part in text.strip().split("|"):
        name, sep, value = part.partition(":")
        if not sep or not name:
            raise ValueError(f"not a losscli signature field: {part!r}")
        given[name] = unquote(value)
    if "losscli" not in given:
        raise ValueError("not a losscli signature: no 'losscli' field")
    out = {name: given.pop(name, DEFAULTS.get(name, "none")) for name in FIELDS}
    return out | given


def differences(a: str, b: str, *, ignore: tuple[str, ...] = ()) -> list[str]:
    """The fields whose values differ between two signatures (``name: A ≠ B``, in
    field order; a field only one side has counts as differing), except ``ignore``."""
    fa, fb = parse_signature(a), parse_signature(b)
    names = list(dict.fromkeys([*fa, *fb]))
    return [
        f"{n}: {fa.get(n, '(absent)')} ≠ {fb.get(n, '(absent)')}"
        for n in names
        if n not in ignore and fa.get(n) != fb.get(n)
    ]
