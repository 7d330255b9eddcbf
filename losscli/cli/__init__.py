"""Command-line interface: ``losscli evaluate | recommend | history | losses``.

Why a package rather than one ``cli.py`` (ARCHITECTURE.md): each command keeps
its options next to its few lines of glue in its own module, so commands grow
without stepping on each other. The rules of the guide still hold: nothing
imports ``losscli.cli``, typer lives only here, and errors become exit codes in
one place (``_app._Group``). No module here imports numpy, pandas or pyarrow at
module level: ``losscli --help`` and ``losscli recommend`` must start fast.
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
import warnings
from typing import NoReturn

from losscli.cli import (  # noqa: F401  (each import registers its command)
    _streams,
    evaluate_cmd,
    history_cmd,
    losses_cmd,
    recommend_cmd,
)
from losscli.cli._app import app, one_line, warn
from losscli.errors import ExitStatus


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
    (``losscli.readers.cleanup``) and temporary output files
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
