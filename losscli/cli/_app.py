"""The Typer application object and the helpers every command shares.

This is the one place that turns :class:`losscli.errors.LossCliError` into an
exit status: :class:`_Group` wraps every command invocation, so the mapping holds
both for the console script and for ``typer.testing.CliRunner``.

Options are plain typer options, coerced by typer itself through its public API
only. Typer's coercion imports pydantic when a command runs: that cost is typer's
own floor, so the benchmark compares ``losscli recommend`` with a minimal Typer +
rich app running a command (``benchmarks/bench.py``, start-up case; the figures are
in ``notes/perf.md``).
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

import typer
from typer.core import TyperGroup

from losscli import __version__
from losscli.atomic import write_atomic
from losscli.cli._streams import silence_stdout, write_stderr, write_stdout
from losscli.errors import ExitStatus, LossCliError


def fail(message: str, status: ExitStatus = ExitStatus.ERROR) -> NoReturn:
    """Print ``losscli: error: MESSAGE`` as one plain line on stderr and exit."""
    write_stderr(f"losscli: error: {one_line(message)}")
    raise typer.Exit(int(status))


def warn(message: str) -> None:
    """One plain warning line on stderr (never on stdout, which pipelines parse)."""
    write_stderr(f"losscli: warning: {one_line(message)}")


def one_line(message: object) -> str:
    """``message`` as one line that cannot drive the terminal: control bytes and
    bidirectional overrides escaped exactly as on stdout (``render.safe_text``, stdlib
    only), line breaks joined with a space."""
    from losscli.render import safe_text

    return safe_text(" ".join(str(message).split("\n")))


class _Group(TyperGroup):
    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        """Click's main, with its usage errors as ONE line ``losscli: error: ...``
        (Click prints usage, a hint and the error: four lines) and exit status 2.

        Click's own standalone handling is turned off so the error reaches us; what
        it did besides (exit with the status of ``typer.Exit``) is done here."""
        try:
            status = super().main(
                args, prog_name, complete_var, False, windows_expand_args, **extra
            )
        except typer.Abort:
            write_stderr("losscli: error: aborted")
            status = int(ExitStatus.GATE_FAILED)
        except Exception as exc:
            if not _is_click_error(exc):
                raise
            status = _usage_error(exc)
        if not standalone_mode:
            return status
        sys.exit(status if isinstance(status, int) else 0)

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        with _reported():  # (--help and --version print here)
            return super().parse_args(ctx, args)

    def invoke(self, ctx: Any) -> Any:
        with _reported():
            return super().invoke(ctx)


@contextlib.contextmanager
def _reported() -> Iterator[None]:
    """The one place a :class:`LossCliError` becomes its line and exit status."""
    try:
        yield
    except LossCliError as exc:
        fail(str(exc), exc.exit_status)
    except BrokenPipeError:
        raise typer.Exit(_broken_pipe()) from None


def _broken_pipe() -> int:
    """`losscli ... | head` closed the pipe: no message (the reader chose to stop),
    but not success either: 141, as for a shell command killed by SIGPIPE."""
    silence_stdout()
    return int(ExitStatus.BROKEN_PIPE)


def _is_click_error(exc: Exception) -> bool:
    """Click's ClickException, by its documented interface (``format_message`` and
    ``exit_code``): typer does not export the class itself."""
    return callable(getattr(exc, "format_message", None)) and isinstance(
        getattr(exc, "exit_code", None), int
    )


def _usage_error(exc: Any) -> int:
    """One line for a Click usage error: the command, Click's own words (which option,
    what was wrong, the valid choices) and where the help is."""
    ctx = getattr(exc, "ctx", None)
    if type(exc).__name__ == "NoArgsIsHelpError":  # (`losscli` alone: the help)
        write_stderr(str(exc.format_message()))
        return int(exc.exit_code)
    # (pydantic's "Value error, " prefix says nothing to a user)
    message = str(exc.format_message()).replace("Value error, ", "").strip().rstrip(".")
    message = message[:1].lower() + message[1:]
    where = ""
    if ctx is not None:
        path = str(ctx.command_path)
        command = path.split(" ", 1)[1] if " " in path else ""
        if command:
            message = f"{command}: {message}"
        where = f" (see '{path} --help')"
    write_stderr(f"losscli: error: {one_line(message)}{where}")
    return int(exc.exit_code)


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
        write_stdout(f"losscli {__version__}\n")
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
    return sys.stdout is not None and sys.stdout.isatty()


def make_console(*, stderr: bool = False, width: int | None = None, file: Any = None) -> Any:
    """A rich Console that never reads markup from data and has no colour when the
    stream is not a terminal or NO_COLOR is set (rich honours NO_COLOR itself).

    ``file`` (a buffer) receives the output instead of the stream, rendered as it
    would be for the stream: its terminal-ness, width and encoding."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    is_tty = stream is not None and stream.isatty()
    if is_tty and width is None and file is not None:
        with contextlib.suppress(OSError, ValueError):
            width = os.get_terminal_size(stream.fileno()).columns
    return Console(
        file=stream if file is None else file,
        markup=False,
        emoji=False,
        highlight=False,
        force_terminal=True if is_tty and file is not None else (None if is_tty else False),
        no_color=not is_tty or bool(os.environ.get("NO_COLOR")),
        width=width or (None if is_tty else 100),
        soft_wrap=False,
    )


class _Buffer(io.StringIO):
    """A string buffer that reports an encoding, so rich draws for the real stream's
    (an ASCII-only stdout gets ASCII table borders)."""

    def __init__(self, encoding: str | None) -> None:
        super().__init__()
        self._encoding = encoding or "utf-8"

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._encoding


def render_for_stdout(renderable: Any) -> str:
    """``renderable`` as the text a rich Console would print on stdout (a terminal's
    width and colours, else plain), without writing it."""
    buffer = _Buffer(getattr(sys.stdout, "encoding", None))
    make_console(file=buffer).print(renderable)
    return buffer.getvalue()


def render_for_file(renderable: Any) -> str:
    """``renderable`` as plain text for a file: no colour, 120 columns, whatever the
    terminal."""
    from rich.console import Console

    buffer = io.StringIO()
    Console(
        file=buffer,
        markup=False,
        emoji=False,
        highlight=False,
        force_terminal=False,
        no_color=True,
        width=120,
        soft_wrap=False,
    ).print(renderable)
    return buffer.getvalue()


def emit(output: Any, output_file: Path | None = None) -> None:
    """The one way a command's output leaves: ``output`` (finished text, or a rich
    renderable drawn for where it goes) written to stdout through
    :func:`_streams.write_stdout`, so a full or closed stdout is one error line and a
    closed pipe exit 141 whatever the command, or to ``output_file`` through
    :func:`losscli.atomic.write_atomic` (never half a file, never a device or a link
    replaced)."""
    if output_file is None:
        write_stdout(output if isinstance(output, str) else render_for_stdout(output))
        return
    text = output if isinstance(output, str) else render_for_file(output)
    write_atomic(output_file, lambda fh: fh.write(text))
