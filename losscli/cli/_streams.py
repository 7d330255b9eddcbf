"""The process's standard streams, made safe for a CLI whose output pipelines parse.

Why a module of its own: every command prints through :func:`write_stdout` and every
message goes through :func:`write_stderr`, so "stdout cannot be written" has one
meaning everywhere (issue 10):

- a closed stdout (``>&-``; Python then sets ``sys.stdout`` to None) or one that
  refuses the bytes (``> /dev/full``: ENOSPC) is one line ``cannot write to stdout:
  REASON`` and exit 2 (:class:`losscli.errors.OutputError`);
- a reader that went away (``| head -1``: EPIPE) is :class:`BrokenPipeError`, which
  the CLI turns into a quiet exit 141, the status of a shell command killed by
  SIGPIPE, so ``set -o pipefail`` sees that the output was cut;
- an encoding that cannot hold a character (``PYTHONIOENCODING=ascii``) writes it as
  a backslash escape (``\\u2014``) instead of raising UnicodeEncodeError;
- a closed descriptor 0, 1 or 2 is re-opened on ``/dev/null`` at start-up, so no file
  losscli opens later (an output file, a spool file) can become "stdout" by taking
  the lowest free descriptor number.

Stdlib only: the error paths must not import numpy.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Any

from losscli.atomic import write_all
from losscli.errors import OutputError

# Descriptors found closed at start-up (re-opened on /dev/null, written to nowhere).
_CLOSED: set[int] = set()


def prepare() -> None:
    """Reserve closed standard descriptors and make the text streams escape what
    their encoding cannot hold (called once, by :func:`losscli.cli.main`)."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            if os.open(os.devnull, os.O_RDWR) == fd:  # (the lowest free number: fd)
                _CLOSED.add(fd)
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors="backslashreplace")


def stdout_closed() -> bool:
    return sys.stdout is None or 1 in _CLOSED


def write_stdout(text: str) -> None:
    """Write and flush ``text`` on stdout. Raises :class:`BrokenPipeError` when the
    reader has gone, :class:`OutputError` when stdout is closed or refuses the write."""
    stream = sys.stdout
    if stream is None or 1 in _CLOSED:
        raise OutputError("cannot write to stdout: Bad file descriptor (stdout is closed)")
    try:
        _write_all(stream, text)
    except BrokenPipeError:
        silence_stdout()
        raise
    except (OSError, ValueError) as exc:
        silence_stdout()
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise OutputError(f"cannot write to stdout: {reason}") from None


def _write_all(stream: Any, text: str) -> None:
    """Every byte of ``text`` on the stream's descriptor, or an OSError: through
    :func:`losscli.atomic.write_all`, not ``stream.write`` (which can lose the end of
    a large write to a pipe whose reader went away, without an error). Streams
    without a descriptor (a test runner's buffer) are written the ordinary way."""
    try:
        fd = stream.fileno()
    except (OSError, ValueError, AttributeError):
        stream.write(text)
        stream.flush()
        return
    stream.flush()  # (whatever was written before, in order)
    write_all(fd, text.encode(stream.encoding or "utf-8", stream.errors or "backslashreplace"))


def write_stderr(line: str) -> None:
    """Write one line on stderr; a stderr that cannot be written is not reported
    (there is nowhere left to report it), the exit status still says what happened."""
    stream = sys.stderr
    if stream is None or 2 in _CLOSED:
        return
    with contextlib.suppress(OSError, ValueError):
        stream.write(line if line.endswith("\n") else line + "\n")
        stream.flush()


def silence_stdout() -> None:
    """Point descriptor 1 at /dev/null, so what is still buffered for a stdout that
    failed is dropped quietly at exit instead of failing a second time."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno() if sys.stdout is not None else 1)
        os.close(devnull)
