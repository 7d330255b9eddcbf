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

Stdlib and typer only: imported on the start-up paths.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

import typer

from losscli.errors import UsageError
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
