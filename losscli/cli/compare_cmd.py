"""``losscli compare BASE NEW``: what changed between two evaluations, and gates on it.

Thin glue: options → :func:`losscli.compare.compare_files` → render → emit, gate
failures on stderr, exit 1.

The evaluate options (``--task``, ``--loss``, ``--weight``, ``--by``, the loss
parameters, …) are ``evaluate``'s own: the command's signature takes from
``evaluate_command``'s parameters the ones named in :data:`SHARED` and every loss
parameter of the registry (:func:`losscli.losses.registry.cli_params`, so a parameter
registered at run time is an option here too), with the same flag, help and parsing;
:func:`evaluate_options` turns them into ``evaluate_file`` arguments the way the
evaluate command does. Each of evaluate's options is declared on one side, passed on
(:data:`SHARED`) or not (:data:`NOT_SHARED`): :func:`undeclared` lists the ones on
neither, and tests/cli/test_compare_options.py fails when evaluate gains one (and
when an option of evaluate has no ``evaluate_file`` argument to go to).
"""

from __future__ import annotations

import inspect
from enum import Enum
from pathlib import Path
from typing import Any

import typer

from losscli.cli._output import emit, one_line, warn
from losscli.cli._streams import write_stderr
from losscli.cli.evaluate_cmd import evaluate_command
from losscli.cli.options import (
    Output,
    fail_if_option,
    header_names,
    output_file_option,
    output_option,
    precision_option,
    summary_option,
    switch,
    value_option,
)
from losscli.errors import ExitStatus
from losscli.losses import registry

#: evaluate's options that compare passes on to the evaluation of predictions files
#: (beside the loss parameters, which come from the registry)
SHARED = frozenset(
    {"true", "pred", "task", "fmt", "weight", "by", "dropna", "loss", "renormalize"}
    | {"convention", "logits", "positive", "filter_text", "columns"}
    # the bootstrap: paired comparisons of two predictions files (--key --ci)
    | {"ci", "resamples", "seed", "baseline", "test", "correction"}
)
#: evaluate's parameters that compare does not take (its own output, gates, summary)
NOT_SHARED = frozenset(
    {"file", "output", "output_file", "precision", "fail_if", "gate_on", "max_groups", "summary"}
    # evaluate's engine and shard options: compare evaluates on the local engine
    | {"save_state", "row_offset", "engine", "scheduler"}
)
#: evaluate option name → evaluate_file argument, where they differ
RENAMED = {"pred": "preds", "loss": "losses", "columns": "header"}
#: evaluate option name → LossParams keyword, where they differ
PARAM_RENAMED = {"quantile": "quantiles"}


def _compare_options(
    base: str = typer.Argument(
        ...,
        metavar="BASE",
        help="The baseline: an 'evaluate -o json' report or a predictions file (- for stdin).",
    ),
    new: str = typer.Argument(
        ..., metavar="NEW", help="The candidate: a report or a predictions file."
    ),
    key: str | None = value_option(
        "--key",
        metavar="COL",
        help="Join two predictions files on this row key and compare them paired.",
    ),
    output: Output = output_option(Output),
    output_file: Path | None = output_file_option(),
    precision: int = precision_option(),
    fail_if: list[str] | None = fail_if_option(
        help="Exit 1 when [MODEL:]LOSS OP CHANGE holds: CHANGE signed, '%' relative to base "
        "(repeatable), e.g. 'rmse>+2%', 'rmse>+0.01', 'r2<-1%'.",
    ),
    fail_on_regression: bool = switch(
        "--fail-on-regression", help="Exit 1 when any overall loss got worse."
    ),
    rtol: float = typer.Option(
        1e-9,
        "--rtol",
        metavar="R",
        help="Unchanged when |Δ| ≤ atol + rtol·|base|.",
    ),
    atol: float = typer.Option(0.0, "--atol", metavar="A", help="See --rtol."),
    significant: bool = switch(
        "--significant",
        help="Gates fail only where the change is significant (needs intervals: --ci).",
    ),
    allow_mismatch: bool = switch(
        "--allow-mismatch",
        help="Compare reports whose task, losses, models or parameters differ.",
    ),
    summary: bool = summary_option(),
) -> None:
    """(The options compare adds to evaluate's.)"""


def evaluate_options(options: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """evaluate's options, as the command received them → the ``evaluate_file``
    arguments it takes by name (:data:`RENAMED` where the names differ) and the rest,
    the loss parameters, by ``LossParams`` keyword (``compare_files`` makes the one
    ``LossParams``, which refuses a keyword it does not know: an option compare would
    otherwise drop)."""
    from losscli.evaluate import evaluate_file

    accepted = inspect.signature(evaluate_file).parameters
    params: dict[str, Any] = {}
    out: dict[str, Any] = {}
    for name, value in options.items():
        if isinstance(value, Enum):
            value = value.value
        elif name == "columns":  # (NAME,NAME,... → the names)
            value = header_names(value)
        elif isinstance(value, list) or (value is None and name in _repeatable()):
            value = tuple(value or ())
        target = RENAMED.get(name, name)
        if target in accepted and target != "params":
            out[target] = value
        else:
            params[PARAM_RENAMED.get(name, name)] = value
    out["preds"] = tuple(out.get("preds") or ())
    out["losses"] = tuple(out["losses"]) if out.get("losses") else None
    return out, params


def _repeatable() -> set[str]:
    """evaluate's repeatable options (a list; ``None`` when not given)."""
    params = inspect.signature(evaluate_command, eval_str=True).parameters.values()
    return {p.name for p in params if "list" in str(p.annotation)}


def _compare(**kwargs: Any) -> None:
    """What changed from BASE to NEW: Δ, Δ% and better / worse per model, group, loss.

    Per model, group and loss: base, new, Δ = new - base, Δ% and the verdict
    (better / worse / unchanged; r2: higher is better).

    BASE and NEW are 'losscli evaluate -o json' reports or predictions files
    (evaluated with the evaluate options given). Exit status: 0 ok, 1 a gate failed,
    2 usage or input error (reports that differ in task, losses or parameters
    without --allow-mismatch).
    """
    from losscli.compare import compare_files
    from losscli.render import compare as render

    own = set(_OWN)
    shared = {k: v for k, v in kwargs.items() if k not in own}
    options, loss_params = evaluate_options(shared)
    report = compare_files(
        kwargs["base"],
        kwargs["new"],
        evaluate_options=options,
        loss_params=loss_params,
        key=kwargs["key"],
        rtol=kwargs["rtol"],
        atol=kwargs["atol"],
        fail_if=tuple(kwargs["fail_if"] or ()),
        fail_on_regression=kwargs["fail_on_regression"],
        significant=kwargs["significant"],
        allow_mismatch=kwargs["allow_mismatch"],
    )
    for message in report.warnings:
        warn(message)
    precision = kwargs["precision"]
    if kwargs["summary"]:
        from losscli.cli._summary import append_summary

        append_summary(render.compare_markdown(report, precision))
    output, output_file = kwargs["output"], kwargs["output_file"]
    if output is Output.json:
        emit(render.compare_json(report), output_file)
    elif output is Output.csv:
        emit(render.compare_csv(report), output_file)
    elif output is Output.markdown:
        emit(render.compare_markdown(report, precision), output_file)
    else:
        emit(render.compare_table(report, precision), output_file)
    failed = [g for g in report.gates if g.failed]
    for outcome in failed:
        write_stderr(one_line(render.gate_failure(outcome, precision)))
    if failed:
        raise typer.Exit(int(ExitStatus.GATE_FAILED))


def _evaluate_parameters() -> dict[str, inspect.Parameter]:
    return dict(inspect.signature(evaluate_command, eval_str=True).parameters)


def undeclared() -> set[str]:
    """evaluate's options that are neither :data:`SHARED`, :data:`NOT_SHARED` nor a
    loss parameter (empty, or compare silently does not take an evaluate option)."""
    return set(_evaluate_parameters()) - SHARED - NOT_SHARED - set(registry.cli_params())


def _signature() -> inspect.Signature:
    """BASE, NEW, --key; then evaluate's shared options (in evaluate's order); then
    compare's output and gates."""
    own = list(inspect.signature(_compare_options, eval_str=True).parameters.values())
    shared = SHARED | set(registry.cli_params())
    theirs = [p for name, p in _evaluate_parameters().items() if name in shared]
    params = [*own[:3], *theirs, *own[3:]]
    return inspect.Signature([p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in params])


_OWN = tuple(inspect.signature(_compare_options).parameters)


class _Command:
    """The command typer registers: :func:`_compare` with the signature of
    :func:`_signature`, built when typer asks for it (evaluate's options are generated
    from the registry, so a parameter registered at run time is an option here too)."""

    __name__ = "compare_command"
    __qualname__ = "compare_command"
    __doc__ = _compare.__doc__

    def __init__(self) -> None:
        self.__annotations__: dict[str, Any] = {}

    @property
    def __signature__(self) -> inspect.Signature:
        return _signature()

    def __call__(self, **kwargs: Any) -> None:
        _compare(**kwargs)


compare_command = _Command()
