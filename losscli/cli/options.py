"""The options several commands share, defined once.

Why a module of option factories: ``--task``, ``-o/--output``, ``--true`` / ``--pred``
and the input formats were spelled in each command module, each with its own choice
list and wording, so a spelling accepted by one command could be refused by another.
Here each is one function returning a ``typer.Option``; the command modules only
say their help text and default. Choices come from :mod:`losscli.tasks` and from
the enums below, and the help texts that list them are built from the same data.

``--task`` is a plain string option whose ``parser`` is :func:`losscli.tasks.resolve_task`
(every alias, any case, in every command). A command that also takes ``auto``
(``evaluate``) refuses a bad value as a usage error of the option, in Click's words
for a choice list (its error line, exit 2); the others let ``resolve_task``'s
:class:`~losscli.errors.UsageError` through, which names every accepted spelling.

The loss-parameter options of ``evaluate`` are not written here at all: typer reads a
command's options from ``inspect.signature`` of its function, and
:class:`WithLossParams` gives the command a ``__signature__`` made of its own
parameters plus one option per entry of :func:`losscli.losses.registry.cli_params`
(flag, value name, help, repeatable), rebuilt when the registry changes, so a
parameter added to ``PARAMS`` (or registered at run time) is an option with no edit here.

Stdlib and typer only: imported on the start-up paths.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import Any

import typer

from losscli.errors import UsageError
from losscli.losses import registry
from losscli.tasks import TASK_ALIASES, TASK_CHOICES, resolve_task


class TableOrJson(StrEnum):
    """``-o`` of the commands that print a table or JSON."""

    table = "table"
    json = "json"


class Output(StrEnum):
    """``-o`` of ``evaluate``."""

    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


class InputFormat(StrEnum):
    """``--format`` of ``evaluate``: the table formats the readers know."""

    csv = "csv"
    tsv = "tsv"
    parquet = "parquet"
    jsonl = "jsonl"


def or_list(words: Iterable[str]) -> str:
    """``a, b or c``: a choice list as the help texts write it."""
    items = list(words)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


def task_spellings() -> str:
    """``regression (linear-regression), binary (…) or multiclass (…)``, for a help text."""
    return or_list(f"{task} ({', '.join(aliases)})" for task, aliases in TASK_ALIASES.items())


def _task(value: str) -> str:
    return resolve_task(value)


def _task_or_auto(value: str) -> str:
    try:
        return resolve_task(value, allow_auto=True)
    except UsageError:
        # (a ValueError: typer words it as an invalid value of --task, as for its choices)
        choices = ", ".join(repr(choice) for choice in TASK_CHOICES)
        raise ValueError(f"{value!r} is not one of {choices}.") from None


def task_option(*, help: str, auto: bool = False, metavar: str | None = None) -> Any:
    """``--task``: a task id or alias (:data:`losscli.tasks.TASK_ALIASES`), given to the
    command as its id. With ``auto``, the default is ``auto`` and the metavar lists
    the choices; without, the default is ``None`` (the command infers or lists all)."""
    if auto:
        return typer.Option(
            "auto",
            "--task",
            metavar=f"<{'|'.join(TASK_CHOICES)}>",
            help=help,
            parser=_task_or_auto,
        )
    return typer.Option(None, "--task", metavar=metavar, help=help, parser=_task)


def output_option(choices: type[StrEnum]) -> Any:
    """``-o/--output``, case-insensitive, the first choice by default."""
    first = next(iter(choices))
    return typer.Option(
        first,
        "--output",
        "-o",
        help=f"{or_list(choices)}.",
        case_sensitive=False,
    )


def column_option(*flags: str, help: str) -> Any:
    """An option naming a column of the input (``--true``, ``--pred``, ``--weight``...)."""
    return typer.Option(None, *flags, metavar="COL", help=help)


def true_option(help: str = "Truth column.") -> Any:
    """``--true/-t``: the truth column (``evaluate``, ``recommend --from``)."""
    return column_option("--true", "-t", help=help)


def pred_option(help: str) -> Any:
    """``--pred/-p``: a prediction column (``evaluate``: one per model, repeatable)."""
    return column_option("--pred", "-p", help=help)


def choice_option(default: StrEnum | None, flag: str, *, help: str) -> Any:
    """An option taking one of an enum's values, in any case (``--format``, ``--engine``,
    ``--gate-on``, ``--x``); the enum is the parameter's annotation."""
    return typer.Option(default, flag, help=help, case_sensitive=False)


def format_option(help: str) -> Any:
    """``--format``: the input format when the name does not say (the choices are the
    annotation's enum: :class:`InputFormat`, or history's formats of logs)."""
    return choice_option(None, "--format", help=help)


COLUMNS_HELP = (
    "The column names of a CSV/TSV file without a header line (Spark's header=false "
    "parts, np.savetxt), in file order, e.g. --columns y,p; for a dataset: of every file."
)


def columns_option(help: str = COLUMNS_HELP) -> Any:
    """``--columns NAME,NAME,...``: the header a CSV/TSV file lacks (the value is
    split by :func:`header_names`)."""
    return typer.Option(None, "--columns", metavar="NAME,NAME,...", help=help)


def header_names(text: str | None) -> tuple[str, ...] | None:
    """``--columns``' value as names, each stripped of surrounding spaces; a
    :class:`UsageError` for an empty name or one given twice."""
    if text is None:
        return None
    names = tuple(n.strip() for n in text.split(","))
    if not all(names):
        raise UsageError(f"--columns {text!r} has an empty name; give NAME,NAME,... in file order")
    twice = next((n for i, n in enumerate(names) if n in names[:i]), None)
    if twice is not None:
        raise UsageError(f"--columns names {twice!r} twice")
    return names


def switch(flag: str, *, help: str) -> Any:
    """An on/off flag, off by default (``--dropna``, ``--summary``, ``--significant``…)."""
    return typer.Option(False, flag, help=help)


def summary_option() -> Any:
    """``--summary``: the markdown also appended to ``$GITHUB_STEP_SUMMARY``."""
    return switch(
        "--summary", help="Also append the markdown to $GITHUB_STEP_SUMMARY when it is set."
    )


def value_option(flag: str, *, metavar: str, help: str) -> Any:
    """An option taking one value (its type: the annotation), absent by default
    (``--positive``, ``--filter``, ``--key``, ``--run``…)."""
    return typer.Option(None, flag, metavar=metavar, help=help)


def precision_option() -> Any:
    """``--precision``: significant digits of the human-readable outputs."""
    return typer.Option(
        4,
        "--precision",
        min=1,
        max=17,
        metavar="N",
        help="Significant digits in table and markdown.",
    )


# --------------------------------------------------------------------------- loss parameters


def loss_param_options() -> list[inspect.Parameter]:
    """One typer option per loss parameter of :func:`losscli.losses.registry.cli_params`,
    named by its keyword (what :class:`losscli.evaluate.LossParams` takes): ``float``
    parameters as numbers, the others as text (parsed by the plan or the factory);
    ``None`` = the loss's default, a repeatable one a list."""
    out = []
    for keyword, param in registry.cli_params().items():
        kind: type = float if param.type == "float" else str
        annotation = list[kind] | None if param.repeatable else kind | None  # type: ignore[valid-type]
        assert param.flag is not None  # (cli_params: the parameters with a flag)
        option = typer.Option(None, param.flag, metavar=param.metavar, help=param.help)
        out.append(inspect.Parameter(keyword, _PLAIN, default=option, annotation=annotation))
    return out


_PLAIN = inspect.Parameter.POSITIONAL_OR_KEYWORD


class WithLossParams:
    """A command function whose options include every loss parameter of the registry.

    ``func`` takes its own options and ``**params`` (the loss parameters, by keyword);
    typer sees :attr:`__signature__`: ``func``'s parameters with the generated
    options (:func:`loss_param_options`) after the one named ``after``. The signature
    is built when typer asks for it (when it builds the command), again whenever the
    registry's parameters have changed. ``__annotations__`` is empty because the
    signature carries the evaluated annotations (typer reads both).
    """

    def __init__(self, func: Callable[..., None], *, after: str) -> None:
        self.func = func
        self.after = after
        self.__name__ = func.__name__
        self.__qualname__ = func.__qualname__
        self.__module__ = func.__module__
        self.__doc__ = func.__doc__
        self.__annotations__: dict[str, Any] = {}
        self._built: tuple[tuple[registry.Param, ...], inspect.Signature] | None = None

    @property
    def __signature__(self) -> inspect.Signature:
        key = tuple(registry.cli_params().values())
        if self._built is None or self._built[0] != key:
            self._built = (key, self._signature())
        return self._built[1]

    def _signature(self) -> inspect.Signature:
        own = [
            p
            for p in inspect.signature(self.func, eval_str=True).parameters.values()
            if p.kind is not inspect.Parameter.VAR_KEYWORD
        ]
        generated = loss_param_options()
        clash = {p.name for p in own} & {p.name for p in generated}
        if clash:
            raise ValueError(f"loss parameters named like options: {', '.join(sorted(clash))}")
        at = next(i for i, p in enumerate(own) if p.name == self.after) + 1
        return inspect.Signature([*own[:at], *generated, *own[at:]], return_annotation=None)

    def __call__(self, **kwargs: Any) -> None:
        self.func(**kwargs)


def max_groups_option() -> Any:
    """``--max-groups``: how many groups the human-readable outputs show."""
    return typer.Option(
        50,
        "--max-groups",
        min=0,
        metavar="N",
        help="With --by, the table and markdown show the N worst groups (0: all); "
        "json and csv list every group.",
    )


def output_file_option() -> Any:
    """``--output-file``: the output written atomically to a file."""
    return typer.Option(
        None, "--output-file", metavar="FILE", help="Write the output to this file (atomically)."
    )


#: ``--fail-if``'s help for the gates of a report (``evaluate``, ``merge``)
FAIL_IF_HELP = (
    "Exit 1 when [MODEL:]LOSS OP NUMBER holds, OP one of < <= > >= (repeatable), "
    "e.g. 'rmse>1.2'; or MODEL:LOSS OP MODEL:LOSS, e.g. 'tree:rmse > linear:rmse' "
    "(with --ci: only when the difference is significant)."
)


def fail_if_option(help: str = FAIL_IF_HELP) -> Any:
    """``--fail-if``: gates, repeatable (a report's: :mod:`losscli.evaluate.gates`;
    ``compare`` says its own ``help``, on changes)."""
    return typer.Option(None, "--fail-if", metavar="EXPR", help=help)


# --------------------------------------------------------------------------- --ci and its options


def is_number(text: str) -> bool:
    """Whether ``text`` reads as a float (a ``--ci`` level, or the next argument)."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def _ci_level(value: str | None) -> str | None:
    if value is not None and not is_number(value):
        raise typer.BadParameter(f"{value!r} is not a level in (0, 1), e.g. --ci 0.9")
    return value


def ci_option(help: str) -> Any:
    """``--ci [LEVEL]`` (a bare ``--ci`` is rewritten to 0.95 by the command's
    ``parse_args``: typer has no option with an optional value)."""
    return typer.Option(None, "--ci", metavar="[LEVEL]", callback=_ci_level, help=help)


def resamples_option() -> Any:
    return value_option(
        "--resamples", metavar="B", help="With --ci: bootstrap resamples (default 1000)."
    )


def seed_option(help: str) -> Any:
    return value_option("--seed", metavar="S", help=help)


def baseline_option(help: str) -> Any:
    return value_option("--baseline", metavar="MODEL", help=help)


def pvalue_test_option(help: str) -> Any:
    return value_option("--test", metavar="TEST", help=help)


def correction_option(help: str) -> Any:
    return value_option("--correction", metavar="HOW", help=help)
