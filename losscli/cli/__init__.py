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
import contextlib
import os
import sys
from typing import NoReturn

from losscli.cli import (  # noqa: F401  (each import registers its command)
    evaluate_cmd,
    history_cmd,
    losses_cmd,
    recommend_cmd,
)
from losscli.cli._app import app


def main() -> None:
    """Console-script entry point: run the command, then end the process at once.

    After a command has finished, ``os._exit`` ends the process without the
    interpreter's teardown: that teardown is where an Arrow thread pool can abort
    the process (``terminate called without an active exception``, exit -6; seen
    after big reads, cf. apache/arrow#39862) and, on a 10M-row run, it spent
    30-60 ms freeing objects nobody will use again. What exit would have done is
    done here explicitly: flush stdout and stderr, delete the stdin spool files
    (``losscli.readers.cleanup``) and run the ``atexit`` handlers.
    """
    try:
        app(prog_name="losscli")
        status = 0
    except SystemExit as exc:
        status = _exit_status(exc.code)
    _exit(status)


def _exit_status(code: object) -> int:
    """What ``sys.exit(code)`` would make the exit status."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    sys.stderr.write(f"{code}\n")
    return 1


def _exit(status: int) -> NoReturn:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # (a closed pipe: nothing to say)
            stream.flush()
    readers = sys.modules.get("losscli.readers")
    if readers is not None:  # (never imported by --help, recommend...)
        readers.cleanup()
    run_exitfuncs = getattr(atexit, "_run_exitfuncs", None)
    if run_exitfuncs is not None:
        run_exitfuncs()
    os._exit(status)


__all__ = ["app", "main"]
