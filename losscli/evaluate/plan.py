"""Options → the plan of an evaluation: the task, the losses and their parameters.

Everything the user asked for is checked here, once, in one wording: the task
(:func:`losscli.tasks.resolve_task`), the loss names, the quantiles, ``--class-weight``
and each loss's parameters (by making one accumulator per loss). The checks that do
not depend on the data (:func:`check_options`) run before the file is opened, so a
typo costs no numpy / pyarrow import; the others (``--task auto``, class names of a
class weight) need the first chunk, and run there (:func:`decide_task`,
:func:`make_plan`). The engine receives a :class:`Plan` and never checks an option. The loss
parameters arrive as :class:`LossParams`, keyed by the registry's ``PARAMS`` (no
parameter is named in this module but the two it reads itself, the quantiles and
the class weights).

Result keys (:func:`losscli.losses.registry.result_key`): the registry id of the loss
(``mse``, ``binary_crossentropy``...), except the pinball loss, reported once per
``--quantile`` as ``pinball@Q`` (``pinball@0.9``); the quantiles are listed in
``params["quantile"]``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from losscli import tasks
from losscli.errors import InputError, UsageError
from losscli.losses import registry

if TYPE_CHECKING:
    from losscli.detect import Layout
    from losscli.labels import Decision
    from losscli.losses import LossSpec


@dataclass(frozen=True, init=False)
class LossParams:
    """The loss parameters of the command line and the two input options.

    Keywords: one per parameter of :func:`losscli.losses.registry.cli_params` (its
    :attr:`~losscli.losses.registry.Param.keyword`: ``delta``, ``quantiles``, ``gamma``,
    …, parameters registered at run time included; ``None`` or ``()`` = the loss's
    default), plus ``renormalize`` and ``logits``. An unknown keyword is a
    :class:`TypeError`, as for any function.

    Why a class with a fixed surface rather than one generated with
    ``dataclasses.make_dataclass``: a generated class is a plain ``type`` to mypy (no
    fields, so every use is unchecked), and it could not gain the parameters
    registered after it was built. Here the fields are typed and fixed (``values``,
    ``renormalize``, ``logits``, and the two parameters the plan reads itself,
    :attr:`quantiles` and :attr:`class_weight`), and the parameters are data keyed by
    :data:`~losscli.losses.registry.PARAMS`, checked when the object is made.
    """

    #: (parameter name, value) of each parameter given, in :data:`PARAMS` order;
    #: a repeatable one's value is the tuple of its values
    values: tuple[tuple[str, Any], ...]
    renormalize: bool
    logits: bool

    def __init__(self, *, renormalize: bool = False, logits: bool = False, **params: Any) -> None:
        known = registry.cli_params()
        for keyword in params:
            if keyword not in known:
                raise TypeError(f"LossParams() got an unexpected keyword argument {keyword!r}")
        given: list[tuple[str, Any]] = []
        for keyword, param in known.items():
            value = params.get(keyword)
            if param.repeatable:
                value = tuple(float(v) if param.type == "float" else v for v in value or ())
            if value is not None and value != ():
                given.append((param.name, value))
        object.__setattr__(self, "values", tuple(given))
        object.__setattr__(self, "renormalize", bool(renormalize))
        object.__setattr__(self, "logits", bool(logits))

    @property
    def given(self) -> dict[str, Any]:
        """Parameter name → value, for the parameters given."""
        return dict(self.values)

    @property
    def quantiles(self) -> tuple[float, ...]:
        """``--quantile``: one pinball loss per value."""
        quantiles: tuple[float, ...] = self.given.get("quantile", ())
        return quantiles

    @property
    def class_weight(self) -> str | None:
        """``--class-weight`` as written (:func:`parse_class_weight` reads it)."""
        text: str | None = self.given.get("class_weight")
        return text


@dataclass(frozen=True)
class Setting:
    """One evaluation's input and options, once the first chunk has decided the layout
    and the task: what the plan, the column conversion, the checks and the engine share."""

    name: str
    layout: Layout
    task: str
    #: ``--task auto``: the task was guessed (the hints then suggest ``--task``)
    auto: bool
    weight: str | None
    by: str | None
    #: the losses named with ``--loss`` (empty: every applicable one)
    losses: tuple[str, ...]
    params: LossParams
    positive: str | None
    dropna: bool
    decision: Decision | None = None
    #: ``--convention``: whose numbers (losscli.losses.conventions)
    convention: str = "losscli"

    @property
    def label_mode(self) -> bool:
        """The predictions are class labels (:mod:`losscli.labels`)."""
        return self.decision is not None and self.decision.labels


@dataclass(frozen=True)
class LossPlan:
    """One reported loss: its result key, its registry entry, its keyword arguments,
    and whether the user named it (then "does not apply" is an error, not a skip)."""

    key: str
    spec: LossSpec
    params: dict[str, Any]
    requested: bool


@dataclass(frozen=True)
class Plan:
    """The losses of one evaluation, in report order, with the options they came from."""

    losses: list[LossPlan]
    options: LossParams
    #: ``--class-weight`` as given: ``"balanced"``, label → weight, or ``None``
    class_weight: str | dict[str, float] | None
    positive: str | None
    convention: str = "losscli"

    def report_params(self) -> dict[str, Any]:
        """Effective parameters of the losses evaluated (defaults included)."""
        out: dict[str, Any] = {}
        quantiles: list[float] = []
        for plan in self.losses:
            for k, default in plan.spec.params.items():
                if k == "quantile":
                    quantiles.append(plan.params["quantile"])
                    continue
                if k == "alpha" and default is None:
                    continue
                if k == "class_weight":
                    cw = self.class_weight
                    out.setdefault(k, cw if cw is not None else default)
                    continue
                out.setdefault(k, plan.params.get(k, default))
        if quantiles:
            out["quantile"] = quantiles
        if self.options.logits:
            out["logits"] = True
        if self.options.renormalize:
            out["renormalize"] = True
        if self.positive is not None:
            out["positive"] = self.positive
        if self.convention != "losscli":
            out["convention"] = self.convention
        return out


# --------------------------------------------------------------------------- options


def resolve_task(task: str, positive: str | None) -> str | None:
    """``--task`` → a task id, or ``None`` for ``auto`` (decided from the data)."""
    key = tasks.resolve_task(task, allow_auto=True)
    if positive is not None and key in (tasks.REGRESSION, tasks.MULTICLASS):
        raise UsageError(f"--positive makes the truth binary; it does not go with --task {key}")
    return None if key == tasks.AUTO else key


def check_options(names: Sequence[str] | None, params: LossParams) -> None:
    """The option errors that do not depend on the data, raised before the file is
    opened, with the messages and in the order of :func:`make_plan`: class weights,
    quantiles, loss names."""
    parse_class_weight(params.class_weight)
    _check_quantiles(params.quantiles)
    for name in names or ():
        _loss_id(name)


def _check_quantiles(quantiles: Sequence[float]) -> None:
    for q in quantiles:
        if not (0.0 < q < 1.0):
            raise UsageError(f"--quantile must be in (0, 1), got {q:g}")


def _loss_id(name: str) -> str:
    return registry.get_spec(name, UsageError).id


def select_losses(
    task: str, names: Sequence[str] | None, params: LossParams
) -> list[tuple[str, str, float | None, bool]]:
    """(key, loss id, quantile, requested) in report order."""
    _check_quantiles(params.quantiles)
    if params.quantiles and task != tasks.REGRESSION:
        raise UsageError(f"--quantile applies to regression (pinball loss), not to {task} data")
    ids: list[tuple[str, bool]] = []
    if not names:
        ids = [(info.id, False) for info in registry.for_task(task) if not info.on_request]
        if params.quantiles:
            ids.append(("pinball", False))
    else:
        for name in names:
            spec = registry.get_spec(name, UsageError)
            loss_id = spec.id
            if task not in spec.tasks:
                fits = ", ".join(i.id for i in registry.for_task(task))
                raise UsageError(
                    f"loss {loss_id!r} does not apply to {task} data; losses for {task}: {fits}"
                )
            if loss_id == "pinball" and not params.quantiles:
                raise UsageError("pinball needs --quantile Q (repeatable), e.g. --quantile 0.9")
            if loss_id not in (i for i, _ in ids):
                ids.append((loss_id, True))
        if params.quantiles and "pinball" not in (i for i, _ in ids):
            ids.append(("pinball", True))  # --quantile asks for the pinball loss
    out: list[tuple[str, str, float | None, bool]] = []
    for loss_id, requested in ids:
        if loss_id == "pinball":
            for q in dict.fromkeys(params.quantiles):
                out.append((registry.result_key(loss_id, q), loss_id, q, requested))
        else:
            out.append((loss_id, loss_id, None, requested))
    return out


def parse_class_weight(text: str | None) -> str | dict[str, float] | None:
    """``balanced`` or ``LABEL=W,LABEL=W`` (labels as in the file / class suffixes)."""
    if text is None:
        return None
    if text.strip().lower() == "balanced":
        return "balanced"
    out: dict[str, float] = {}
    for part in text.split(","):
        label, sep, weight = part.rpartition("=")
        if not sep or not label.strip():
            raise UsageError(
                f"--class-weight {text!r}: expected 'balanced' or LABEL=W,LABEL=W "
                "(e.g. cat=2,dog=1)"
            )
        try:
            w = float(weight)
        except ValueError:
            raise UsageError(
                f"--class-weight {text!r}: {weight.strip()!r} is not a number"
            ) from None
        if not (w >= 0 and math.isfinite(w)):
            raise UsageError(f"--class-weight {text!r}: weights must be finite and ≥ 0")
        if label.strip() in out:
            raise UsageError(f"--class-weight {text!r}: label {label.strip()!r} is given twice")
        out[label.strip()] = w
    return out


# --------------------------------------------------------------------------- classes


def number_key(text: str) -> str | None:
    """``"num:<float>"`` when ``text`` is a number (so label 2 matches class ``2.0``)."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    if math.isnan(value):
        return None
    return f"num:{value!r}"


class ClassIndex:
    """Class label → class index, for class names taken from the probability columns'
    suffixes: the label as written, then stripped (``"cat "`` and its ``prob_cat``
    header), then by numeric value (label ``2`` is class ``2.0``)."""

    def __init__(self, classes: Sequence[str] | None) -> None:
        self.classes = list(classes or ())
        self.lookup: dict[str, int] = {}
        for i, c in enumerate(self.classes):
            self.lookup.setdefault(c, i)
            num = number_key(c)
            if num is not None:
                self.lookup.setdefault(num, i)

    def find(self, label: str) -> int | None:
        idx = self.lookup.get(label)
        if idx is None:
            idx = self.lookup.get(label.strip())
        if idx is None:
            idx = self.lookup.get(number_key(label) or "")
        return idx


def _class_weight_index(label: str, task: str, classes: ClassIndex, positive: str | None) -> int:
    """Class index of a class-weight label (binary: 0/1 or the --positive label)."""
    if task == tasks.MULTICLASS:
        idx = classes.find(label)
        if idx is None:
            raise UsageError(
                f"--class-weight names {label!r}, not a class; classes are: "
                f"{', '.join(classes.classes)}"
            )
        return idx
    if positive is not None:
        return 1 if label == positive else 0
    key = number_key(label)
    if key == number_key("1"):
        return 1
    if key == number_key("0"):
        return 0
    raise UsageError(f"--class-weight names {label!r}; binary classes are 0 and 1")


# --------------------------------------------------------------------------- plan


def _user_params(params: LossParams) -> dict[str, Any]:
    """The loss keyword arguments the user set (the others keep the loss's default),
    but for the two the plan reads itself: the quantiles (one loss each) and the class
    weights (labels → class indices)."""
    return {
        name: value
        for name, value in params.values
        if not registry.PARAMS[name].repeatable and registry.PARAMS[name].type != "class_weight"
    }


def make_plan(setting: Setting, classes: ClassIndex, n_classes: int) -> Plan:
    """The losses to evaluate, each one's parameters checked by making it once. In
    label mode only the losses of the hard decision apply."""
    from losscli.losses import conventions

    task, names, params, positive = setting.task, setting.losses, setting.params, setting.positive
    label_mode = setting.label_mode

    cw = parse_class_weight(params.class_weight)
    user = _user_params(params)
    if isinstance(cw, dict) and not label_mode:
        user["class_weight"] = {
            _class_weight_index(k, task, classes, positive): v for k, v in cw.items()
        }
    selected = select_losses(task, names, params)
    if label_mode and not names:
        from losscli.labels import label_defaults

        selected += label_defaults(task, {s[1] for s in selected})
    plans = []
    for key, loss_id, q, requested in selected:
        spec = conventions.bind(
            registry.get_spec(loss_id), setting.convention, weighted=setting.weight is not None
        )
        if label_mode and not spec.on_labels:
            if not requested:
                continue  # listed as skipped by the report (labels.label_skips)
            raise InputError(
                f"{setting.name}: {key} does not apply: it needs probabilities, and the "
                f"predictions ({', '.join(setting.layout.pred_columns)}) are class labels"
            )
        kwargs = {k: v for k, v in user.items() if k in spec.params}
        if q is not None:
            kwargs["quantile"] = q
        spec.make(n_classes=max(n_classes, 2), **kwargs)  # validate params now
        plans.append(LossPlan(key, spec, kwargs, requested))
    return Plan(plans, params, cw, positive, setting.convention)


# --------------------------------------------------------------------------- task


def decide_task(
    layout: Layout,
    task: str | None,
    positive: str | None,
    first: Mapping[str, Any],
    name: str,
    *,
    logits: bool = False,
) -> str:
    """``--task auto``: from the first chunk. ``--logits`` says the predictions are
    raw class scores, so their range says nothing: a 0/1 truth is then binary (one
    prediction column; a family of class columns is multiclass by the layout)."""
    if layout.multiclass:
        if task not in (None, tasks.MULTICLASS):
            raise UsageError(
                "the predictions are one probability column per class "
                f"({', '.join(layout.pred_columns)}): that is --task multiclass, not {task}"
            )
        return tasks.MULTICLASS
    if task == tasks.MULTICLASS:
        raise UsageError(
            "--task multiclass needs one probability column per class, e.g. --pred 'prob_*'"
        )
    if task is not None:
        return task
    if positive is not None:
        return tasks.BINARY
    from losscli.detect import infer_task
    from losscli.io.codes import some_numbers, to_numpy_sample

    truth = to_numpy_sample(first[layout.target])
    pred = to_numpy_sample(first[layout.models[0].columns[0]])
    if truth.dtype == object and some_numbers(truth):
        # numbers with some text among them: text in a numeric column, not labels
        from losscli.io.columns import numeric_array

        numeric_array(truth, name=name, column_name=layout.target)
    return infer_task(truth, None if logits else pred, layout, source=name)


def label_task(layout: Layout, first: Mapping[str, Any]) -> str:
    """Label mode, ``--task auto``: binary when the first chunk holds at most two
    labels (truth and predictions together), multiclass otherwise; the report's
    task is settled on every label seen (:mod:`losscli.evaluate.summary`)."""
    from losscli.io.codes import factorize

    seen: set[str | None] = set()
    for col in (layout.target, *layout.pred_columns):
        seen.update(factorize(first[col])[1])
    seen.discard(None)
    return tasks.BINARY if len(seen) <= 2 else tasks.MULTICLASS
