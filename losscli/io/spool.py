"""Streams copied once to a spool file, and the bounds put on untrusted input
(issue 10). Stdlib only.

Anything that is not a regular file (stdin, a FIFO, process substitution ``<(…)``, a
character device such as ``/dev/zero``) is copied once to a temporary *spool* file,
so it can be sniffed and re-read in chunks like any file (:func:`spool_stdin`,
:func:`spool_path`). On Linux the spool is unlinked as soon as it is created and read
back through ``/proc/self/fd/N``: nothing is left in ``$TMPDIR`` whatever ends the
process (SIGTERM, SIGHUP, even SIGKILL). Elsewhere it is deleted by :func:`cleanup`
(the CLI's exit path, also on SIGTERM/SIGHUP, and ``atexit``).

Bounds, both overridable by environment variables (a plain number of bytes, ``0`` for
no limit):

- ``LOSSCLI_MAX_SPOOL_BYTES`` (default 4 GiB, :data:`DEFAULT_MAX_SPOOL_BYTES`): the
  most a stream may hold; past it the copy stops with an error that points to a file
  instead (a file is read in place, at any size);
- ``LOSSCLI_MAX_LINE_BYTES`` (default 64 MiB, :data:`DEFAULT_MAX_LINE_BYTES`): the
  longest line (CSV record or JSON object) read; a valid file's lines are far shorter
  (a 128 KiB cell and an 8 MiB JSON object are read), and a longer one is refused
  with its line number instead of holding ever bigger buffers (``/dev/zero`` is a
  single endless line).

A module of its own because it keeps process state (the spools made so far, which
:func:`cleanup` releases) that nothing else in :mod:`losscli.io` has.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from losscli.errors import InputError
from losscli.io.magic import SNIFF_BYTES, binary_message, sniff_binary

STDIN = "-"
DEFAULT_MAX_SPOOL_BYTES = 4 << 30
DEFAULT_MAX_LINE_BYTES = 64 << 20


def _limit(variable: str, default: int) -> int:
    """A byte limit from the environment: a plain integer, 0 = no limit."""
    text = os.environ.get(variable, "").strip().replace("_", "")
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise InputError(f"{variable} must be a number of bytes, got {text[:40]!r}") from None
    return value if value > 0 else 1 << 62


def max_spool_bytes() -> int:
    """The most bytes a stream may hold (``LOSSCLI_MAX_SPOOL_BYTES``)."""
    return _limit("LOSSCLI_MAX_SPOOL_BYTES", DEFAULT_MAX_SPOOL_BYTES)


def max_line_bytes() -> int:
    """The longest line read (``LOSSCLI_MAX_LINE_BYTES``)."""
    return _limit("LOSSCLI_MAX_LINE_BYTES", DEFAULT_MAX_LINE_BYTES)


def size_text(n: int) -> str:
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift and n % (1 << shift) == 0:
            return f"{n >> shift} {unit}"
    return f"{n} bytes"


def line_too_long(name: str, line: int | None) -> InputError:
    """The error for a line longer than :func:`max_line_bytes`."""
    where = f"line {line}" if line is not None else "a line"
    return InputError(
        f"{name}: {where} is longer than {size_text(max_line_bytes())} "
        "(no line break found); set LOSSCLI_MAX_LINE_BYTES to read longer lines"
    )


# --------------------------------------------------------------------------- the spools made

#: Spools made by this process, by source: stdin (keyed by the stream object:
#: CliRunner swaps ``sys.stdin`` per invocation) and other streams (FIFOs, devices,
#: process substitution; keyed by path and inode, as they can be read only once).
_spools: dict[object, Path] = {}
#: Spool files to delete by cleanup() or at exit (where /proc/self/fd is missing).
_spooled: list[Path] = []
#: Descriptors of unlinked spools read back through /proc/self/fd.
_spool_fds: list[int] = []


def cleanup() -> None:
    """Delete the temporary copies of stdin and other streams. Registered with
    ``atexit`` too; the console script calls it itself, since it ends with
    ``os._exit`` (also on SIGTERM/SIGHUP, which the CLI turns into an exit)."""
    while _spooled:
        _unlink_quietly(_spooled.pop())
    while _spool_fds:
        with contextlib.suppress(OSError):
            os.close(_spool_fds.pop())
    _spools.clear()


def _spool_stream(key: object, raw: IO[bytes], name: str) -> Path:
    """Copy a stream once to a spool file (bounded, left behind by no kind of exit
    on Linux)."""
    if key in _spools:
        return _spools[key]
    if isinstance(key, tuple) and key[0] == STDIN:
        # a new stdin (CliRunner): the previous one's spool is done with
        for old in [k for k in _spools if isinstance(k, tuple) and k[0] == STDIN]:
            _release(_spools.pop(old))
    if not _spooled and not _spool_fds:
        atexit.register(cleanup)
    path = spool(raw, name, _spooled, _spool_fds)
    _spools[key] = path
    return path


def _release(path: Path) -> None:
    """Close (or delete) one spool that is done with."""
    if path in _spooled:
        _spooled.remove(path)
        _unlink_quietly(path)
        return
    fd = int(path.name) if path.parent == Path("/proc/self/fd") else -1
    if fd in _spool_fds:
        _spool_fds.remove(fd)
        with contextlib.suppress(OSError):
            os.close(fd)


def spool_stdin() -> Path:
    """Stdin, copied once (per stdin object) to a spool: the path to read it by."""
    stream = sys.stdin
    raw: IO[bytes] = getattr(stream, "buffer", None) or stream  # type: ignore[assignment]
    # (the stream itself, not its id: a later stdin object (CliRunner) may reuse a
    # freed one's id and would be handed the earlier bytes)
    return _spool_stream((STDIN, stream), raw, "<stdin>")


def spool_path(path: Path, name: str) -> Path:
    """A FIFO, a character device or ``/dev/fd/N`` read once into a spool."""
    info = path.stat()
    key = (os.fspath(path), info.st_dev, info.st_ino)
    if key in _spools:
        return _spools[key]
    try:
        raw = open(path, "rb")  # noqa: SIM115  (closed below)
    except OSError as exc:
        raise InputError(f"cannot read {name}: {exc.strerror or exc}") from None
    with raw:
        return _spool_stream(key, raw, name)


def _unlink_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


# --------------------------------------------------------------------------- the copy


def _spool_file() -> tuple[int, Path, bool]:
    """(fd, path to read it by, whether the path must be deleted later)."""
    fd, name = tempfile.mkstemp(prefix="losscli-stdin-")
    proc = Path(f"/proc/self/fd/{fd}")
    if proc.exists():
        # unlinked at once: the spool goes with the process, however it ends
        os.unlink(name)
        return fd, proc, False
    return fd, Path(name), True


def spool(raw: IO[bytes], name: str, keep: list[Path], held: list[int]) -> Path:
    """Copy the stream ``raw`` to a spool file, within the bounds of the module
    docstring; the path to re-read it by. ``keep`` gets paths to delete at exit,
    ``held`` the file descriptors kept open for ``/proc/self/fd`` paths."""
    fd, path, named = _spool_file()
    if named:
        keep.append(path)
    else:
        held.append(fd)
    out = os.fdopen(fd, "wb", closefd=named)
    try:
        _copy_bounded(raw, out, name)
    except OSError as exc:
        raise InputError(f"cannot read {name}: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(OSError):
            out.close()
    return path


def _copy_bounded(raw: IO[bytes], out: IO[bytes], name: str) -> None:
    """The copy loop of :func:`spool`: stops at the spool limit, at a line longer
    than the line limit (text only: compressed and Parquet bytes have no lines),
    and at once for NUL bytes at the start of what should be text."""
    cap, line_cap = max_spool_bytes(), max_line_bytes()
    total, since_newline, lines = 0, 0, 0
    text: bool | None = None
    head = b""  # (the first SNIFF_BYTES, gathered before deciding text or binary)
    for chunk in _chunks(raw):
        if text is None:
            head += chunk
            if chunk and len(head) < SNIFF_BYTES:
                continue
            chunk, head = head, b""
            kind = sniff_binary(chunk[:SNIFF_BYTES])
            text = kind is None or kind in ("UTF-16", "UTF-32", "nul")
            if kind in ("UTF-16", "UTF-32", "nul"):
                raise InputError(binary_message(name, kind, "text"))
        if not chunk:
            return
        total += len(chunk)
        if total > cap:
            raise InputError(
                f"{name}: more than {size_text(cap)} on a stream; save it to a file and "
                "pass the file (or set LOSSCLI_MAX_SPOOL_BYTES)"
            )
        if text:
            last = chunk.rfind(b"\n")
            if last < 0:
                since_newline += len(chunk)
            else:
                lines += chunk.count(b"\n")
                since_newline = len(chunk) - last - 1
            if since_newline > line_cap:
                raise line_too_long(name, lines + 1)
        out.write(chunk)


def _chunks(raw: IO[bytes]) -> Iterator[bytes]:
    """The stream's bytes as they arrive, ending with one empty chunk.

    Waits in ``select`` with a timeout rather than in a blocking ``read``: a SIGTERM
    that lands just before a read syscall starts would otherwise wait for that read to
    return (CPython runs Python signal handlers between bytecodes), and a writer that
    keeps its end open and sends nothing makes that never. ``read1`` then returns what
    is there, one system call at most."""
    import select

    try:
        fd: int | None = raw.fileno()
    except (AttributeError, OSError, ValueError):
        fd = None
    read = getattr(raw, "read1", raw.read)
    while True:
        if fd is not None and not select.select([fd], [], [], 0.25)[0]:
            continue  # (a loop turn: pending signal handlers run here)
        chunk = read(1 << 20)
        yield chunk
        if not chunk:
            return
