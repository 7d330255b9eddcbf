"""The Typer application object and the helpers every command shares.

This is the one place that turns :class:`losscli.errors.LossCliError` into an
exit status: :class:`_Group` wraps every command invocation, so the mapping holds
both for the console script and for ``typer.testing.CliRunner``.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, NoReturn

import typer
from typer.core import TyperGroup

from losscli import __version__
from losscli.errors import ExitStatus, LossCliError, UsageError


def fail(message: str, status: ExitStatus = ExitStatus.ERROR) -> NoReturn:
    """Print ``losscli: error: MESSAGE`` as one plain line on stderr and exit."""
    one_line = " ".join(str(message).split("\n"))
    sys.stderr.write(f"losscli: error: {one_line}\n")
    sys.stderr.flush()
    raise typer.Exit(int(status))


def warn(message: str) -> None:
    """One plain warning line on stderr (never on stdout, which pipelines parse)."""
    sys.stderr.write(f"losscli: warning: {message}\n")
    sys.stderr.flush()


class _Group(TyperGroup):
    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except LossCliError as exc:
            fail(str(exc), exc.exit_status)
        except BrokenPipeError:
            # `losscli ... | head` closed the pipe: not an error worth a traceback.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise typer.Exit(int(ExitStatus.OK)) from None


app = typer.Typer(
    cls=_Group,
    name="losscli",
    help="Every loss for your predictions, exactly: evaluate, recommend, history.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"losscli {__version__}\n")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        "-V",
        help="Print the version and exit.",
        is_eager=True,
        callback=_version,
    ),
) -> None:
    """Every loss for your predictions, exactly: evaluate, recommend, history."""


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def make_console(*, stderr: bool = False, width: int | None = None) -> Any:
    """A rich Console that never reads markup from data and has no colour when the
    stream is not a terminal or NO_COLOR is set (rich honours NO_COLOR itself)."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    is_tty = stream.isatty()
    return Console(
        file=stream,
        markup=False,
        emoji=False,
        highlight=False,
        force_terminal=None if is_tty else False,
        no_color=not is_tty or bool(os.environ.get("NO_COLOR")),
        width=width or (None if is_tty else 100),
        soft_wrap=False,
    )


def emit_text(text: str, output_file: Path | None) -> None:
    """Write a finished output to stdout, or atomically to ``output_file``
    (temporary file in the same folder, then rename: never half a file)."""
    if output_file is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    target = Path(output_file)
    folder = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
