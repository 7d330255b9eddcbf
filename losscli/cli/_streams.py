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
  a backslash escape (``\\u2014``, see :func:`_escape`) instead of raising
  UnicodeEncodeError;
- a closed descriptor 0, 1 or 2 is re-opened on ``/dev/null`` at start-up, so no file
  losscli opens later (an output file, a spool file) can become "stdout" by taking
  the lowest free descriptor number; a closed stdin reads as an empty one (``-`` is
  then "<stdin> is empty", one line) instead of ``sys.stdin`` being None.

Stdlib only: the error paths must not import numpy.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import io
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
    if 0 in _CLOSED and sys.stdin is None:  # (`<&-`: no input, like an empty one)
        sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115 (for the whole run)
    if 1 in _CLOSED:  # (Click writes --help itself: a write there must fail too)
        sys.stdout = _ClosedStream()
    codecs.register_error(ESCAPE, _escape)
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors=ESCAPE)


ESCAPE = "losscli.escape"


def _escape(exc: UnicodeError) -> tuple[str, int]:
    """The codec error handler of stdout and stderr: a character the encoding cannot
    hold (``PYTHONIOENCODING=ascii``) becomes ``\\uXXXX`` (a surrogate pair beyond
    U+FFFF), which is also a valid JSON escape, so ``-o json`` stays parseable (Python's
    ``backslashreplace`` would write ``\\xb7``, which JSON refuses)."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    out = []
    for char in exc.object[exc.start : exc.end]:
        code = ord(char)
        if code > 0xFFFF:
            code -= 0x10000
            out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
        else:
            out.append(f"\\u{code:04x}")
    return "".join(out), exc.end


class _ClosedStream(io.TextIOBase):
    """Stands for a stdout that was closed when losscli started: every write fails."""

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, CLOSED_REASON)

    def isatty(self) -> bool:
        return False


CLOSED_REASON = "Bad file descriptor (stdout is closed)"


def write_stdout(text: str) -> None:
    """Write and flush ``text`` on stdout. Raises :class:`BrokenPipeError` when the
    reader has gone, :class:`OutputError` when stdout is closed or refuses the write."""
    stream = sys.stdout
    if stream is None or 1 in _CLOSED:
        raise OutputError(f"cannot write to stdout: {CLOSED_REASON}")
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
    write_all(fd, text.encode(stream.encoding or "utf-8", stream.errors or "strict"))


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
