"""Command-line interface: ``losscli evaluate | compare | merge | recommend | history | ...``.

Why a package rather than one ``cli.py`` (ARCHITECTURE.md): each command keeps its
options next to its few lines of glue in its own module (``*_cmd.py``: a plain
function, options → library call → render → :func:`._output.emit`), the options
several commands share are defined once (:mod:`.options`), and this module
assembles the app. It is also the ONE place errors become exit codes: a
:class:`losscli.errors.LossCliError` raised anywhere below becomes its one line and
its ``exit_status`` (:func:`_reported`, around parsing and every command), a Click
usage error one line and 2 (:meth:`_Group.main`), a closed pipe 141, and what
escapes a command in the console script (:func:`main`) its status too. The rules of
the guide hold: nothing imports ``losscli.cli``, typer lives only here (the
import-linter contract checks both), and no module here imports numpy, pandas or
pyarrow at module level: ``losscli --help`` and ``losscli recommend`` must start fast.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import sys
import warnings
from collections.abc import Iterator, Sequence
from typing import Any, NoReturn

import typer
from typer.core import TyperGroup

from losscli import __version__
from losscli.cli import (
    _streams,
    compare_cmd,
    evaluate_cmd,
    history_cmd,
    losses_cmd,
    merge_cmd,
    recommend_cmd,
    schema_cmd,
)
from losscli.cli._output import one_line, warn
from losscli.cli._streams import silence_stdout, write_stderr, write_stdout
from losscli.errors import ExitStatus, LossCliError


def _fail(message: str, status: ExitStatus = ExitStatus.ERROR) -> NoReturn:
    """Print ``losscli: error: MESSAGE`` as one plain line on stderr and exit."""
    write_stderr(f"losscli: error: {one_line(message)}")
    raise typer.Exit(int(status))


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
        _fail(str(exc), exc.exit_status)
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


# (in this order in `losscli --help`)
app.command("evaluate", cls=evaluate_cmd.EvaluateCommand)(evaluate_cmd.evaluate_command)
app.command("compare", cls=evaluate_cmd.EvaluateCommand)(compare_cmd.compare_command)
app.command("history")(history_cmd.history_command)
app.command("losses")(losses_cmd.losses_command)
app.command("merge", cls=evaluate_cmd.EvaluateCommand)(merge_cmd.merge_command)
app.command("recommend")(recommend_cmd.recommend_command)
app.command("schema")(schema_cmd.schema_command)


def main() -> None:
    """Console-script entry point: run the command, then end the process at once.

    Before the command: the standard streams are made safe (:mod:`._streams`: closed
    descriptors reserved, unencodable characters escaped), SIGTERM and SIGHUP raise
    ``SystemExit(128 + signum)`` so every ``finally`` and the exit path below run (no
    temporary output file, no stdin spool file left behind; the status is the one a
    shell reports for a command killed by that signal), and Python warnings become one
    ``losscli: warning:`` line each (never a source line).

    After a command has finished, ``os._exit`` ends the process without the
    interpreter's teardown: that teardown is where an Arrow thread pool can abort
    the process (``terminate called without an active exception``, exit -6; seen
    after big reads, cf. apache/arrow#39862) and, on a 10M-row run, it spent
    30-60 ms freeing objects nobody will use again. What exit would have done is
    done here explicitly: flush stdout and stderr, delete the stdin spool files
    (``losscli.io.spool.cleanup``) and temporary output files
    (``losscli.atomic.cleanup``), and run the ``atexit`` handlers.
    """
    _streams.prepare()
    for signum in _EXIT_SIGNALS:
        signal.signal(signum, _on_signal)
    warnings.showwarning = _show_warning
    try:
        app(prog_name="losscli")
        status = 0
    except SystemExit as exc:
        status = _exit_status(exc.code)
    except BrokenPipeError:
        status = int(ExitStatus.BROKEN_PIPE)
    except OSError as exc:
        status = _os_error(exc)
    _exit(status)


_EXIT_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


def _on_signal(signum: int, frame: object) -> None:
    """SIGTERM/SIGHUP: unwind like an exit (``finally`` blocks, cleanup), with the
    status of a process killed by the signal. A second signal during the unwinding
    is ignored, so the cleanup it would interrupt gets done."""
    for other in _EXIT_SIGNALS:
        signal.signal(other, signal.SIG_IGN)
    raise SystemExit(128 + signum)


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: object = None,
    line: str | None = None,
) -> None:
    """A Python warning as one ``losscli: warning: ...`` line: no file name, no
    source line (those are for the library's developers, not for its users)."""
    warn(str(message))


def _os_error(exc: OSError) -> int:
    """An OSError no command turned into a message: a path's when it names one, else
    a stream write's (Click writes --help to stdout itself)."""
    reason = exc.strerror or str(exc)
    if exc.filename is not None:
        message = f"{exc.filename}: {reason}"
    else:
        _streams.silence_stdout()
        message = f"cannot write to stdout: {reason}"
    _streams.write_stderr(f"losscli: error: {one_line(message)}")
    return int(ExitStatus.ERROR)


def _exit_status(code: object) -> int:
    """What ``sys.exit(code)`` would make the exit status."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    _streams.write_stderr(f"{code}")
    return 1


def _exit(status: int) -> NoReturn:
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except BrokenPipeError:
            _streams.silence_stdout()
            status = status or int(ExitStatus.BROKEN_PIPE)
        except (OSError, ValueError) as exc:  # (output left in a buffer: the disk is full)
            if stream is sys.stdout:
                _streams.silence_stdout()
                if status == 0:
                    reason = getattr(exc, "strerror", None) or exc
                    _streams.write_stderr(f"losscli: error: cannot write to stdout: {reason}")
                    status = int(ExitStatus.ERROR)
    for name in ("losscli.io.spool", "losscli.atomic"):
        module = sys.modules.get(name)  # (never imported by --help, recommend...)
        if module is not None:
            module.cleanup()
    run_exitfuncs = getattr(atexit, "_run_exitfuncs", None)
    if run_exitfuncs is not None:
        run_exitfuncs()
    os._exit(status)


__all__ = ["app", "main"]
