"""Safe file writes for every file losscli writes (``evaluate --output-file``,
``history --plot``): nothing destroyed, nothing half-written, nothing left behind.

What the path names decides how it is written:

- a **regular file or a new path**: a temporary file in the same folder, written,
  flushed, ``fsync``'d and closed, then renamed over the target, so a failure (a full
  disk, a signal, a bug in a renderer) leaves the old file as it was. A replaced file
  keeps its permission bits (and its owner and group where we may ``chown``, e.g. as
  root); a new file gets ``0666 & ~umask`` like any file a shell redirection makes
  (the kernel applies the umask to the ``0666`` the temporary file is created with).
  A file with several hard links gets a new inode: the other names keep the old text;
- a **symbolic link**: followed to its final target, which is replaced as above; the
  link itself is kept (renaming over the link would turn it into a plain file);
- a **character device, FIFO or Unix socket** (``/dev/null``, ``/dev/tty``, a named
  pipe, a log socket): opened (a socket: connected) and written directly, never
  replaced — renaming over ``/dev/null`` as root would break it for every process on
  the machine;
- ``/dev/stdout``, ``/dev/stderr``, ``/dev/fd/N`` (``>(…)``), ``/proc/self/fd/N``: the
  descriptor itself is duplicated and written, as a shell does, so ``>> log`` keeps
  appending;
- a directory or a block device: refused.

The bytes are rendered first (``write`` gets an in-memory file), then written with a
loop over ``os.write`` (:func:`write_all`), so a short write is never mistaken for a
complete one. Every OSError (at open, write, fsync, close or rename) becomes one
:class:`~losscli.errors.OutputError` line ``cannot write PATH: REASON`` (exit 2).

The temporary name ``.NAME.XXXXXXXX.tmp`` is registered in :data:`_PENDING` *before*
the file exists, so :func:`cleanup` (called on every exit path by
:func:`losscli.cli.main`, including SIGTERM/SIGHUP) can remove a file whose creation a
signal interrupted; its ``NAME`` part is cut so the whole name fits the folder's name
limit (255 bytes): a legal 250-byte target name stays writable. Stdlib only.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from losscli.errors import OutputError

# Temporary files created and not yet renamed or removed (see cleanup()).
_PENDING: set[str] = set()
_SUFFIX = ".tmp"
_MAX_HOPS = 40  # like the kernel's ELOOP limit
_FD_PATH = re.compile(r"/dev/(?:std(in|out|err)|fd/(\d+))|/proc/(?:self|\d+)/fd/(\d+)")
_STD_FD = {"in": 0, "out": 1, "err": 2}


def write_atomic(
    target: str | os.PathLike[str],
    write: Callable[[IO[Any]], object],
    *,
    binary: bool = False,
) -> None:
    """Call ``write(fh)`` on a file object for ``target`` as the module docstring says:
    atomically replaced when it is a regular file or a new path (through symlinks),
    written directly when it is a device, FIFO, socket or an inherited descriptor. An
    OSError becomes a one-line :class:`~losscli.errors.OutputError`; ``target`` is never
    half-written."""
    shown = os.fspath(target)
    data = _render(write, binary)  # (before anything is opened: a FIFO waits for no bug)
    try:
        final, fd_number = _final_target(Path(target))
        if fd_number is not None:
            _write_direct(os.dup(fd_number), data)
            return
        try:
            st: os.stat_result | None = os.stat(final)
        except FileNotFoundError:
            st = None
        if st is not None and not stat.S_ISREG(st.st_mode):
            if stat.S_ISDIR(st.st_mode):
                raise IsADirectoryError(21, "Is a directory")
            if stat.S_ISBLK(st.st_mode):
                raise OutputError(_message(shown, "a block device (not written to)"))
            _write_direct(_open_special(final, st), data)
            return
        _replace(final, st, data)
    except OSError as exc:
        raise OutputError(_message(shown, exc.strerror or str(exc))) from None


def cleanup() -> None:
    """Remove every temporary file a write left (an exit in the middle of a write)."""
    for name in list(_PENDING):
        with contextlib.suppress(OSError):
            os.unlink(name)
        _PENDING.discard(name)


def _message(path: str, reason: str) -> str:
    from losscli.render import safe_text  # (stdlib only)

    return f"cannot write {safe_text(path)}: {reason}"


def _final_target(path: Path) -> tuple[Path, int | None]:
    """Follow ``path`` through its symbolic links to the file it names: (that path, None),
    or (path, N) when a hop is an inherited descriptor (``/dev/stdout``, ``/dev/fd/N``)."""
    for _ in range(_MAX_HOPS):
        match = _FD_PATH.fullmatch(os.path.normpath(path))
        if match is not None:
            std, fd, proc_fd = match.groups()
            return path, _STD_FD[std] if std else int(fd or proc_fd)
        if not path.is_symlink():
            return path, None
        link = Path(os.readlink(path))
        path = link if link.is_absolute() else path.parent / link
    raise OSError(40, "Too many levels of symbolic links")


def _render(write: Callable[[IO[Any]], object], binary: bool) -> bytes:
    """What ``write(fh)`` writes, as bytes (text: UTF-8, unencodable characters as
    backslash escapes, no newline translation)."""
    if binary:
        raw = io.BytesIO()
        write(raw)
        return raw.getvalue()
    text = io.StringIO(newline="")
    write(text)
    return text.getvalue().encode("utf-8", "backslashreplace")


def write_all(fd: int, data: bytes) -> None:
    """Every byte of ``data`` on ``fd``, or an OSError.

    Not a Python file object: when write(2) returns a short count (the reader of a
    pipe went away in the middle of a large write), CPython 3.11's buffered writer
    was seen to drop the rest without an error (65,536 of 1,333,795 bytes written,
    exit 0), so a cut output would look complete. This loop sees the EPIPE or
    ENOSPC that the next write(2) returns."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _open_special(path: Path, st: os.stat_result) -> int:
    """A descriptor to write a device or FIFO (opened as a file) or a Unix socket
    (connected as a stream: open(2) cannot open a socket)."""
    if stat.S_ISSOCK(st.st_mode):
        import socket  # (rare: not on every start-up)

        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(os.fspath(path))
        except BaseException:
            sock.close()
            raise
        return sock.detach()
    return os.open(path, os.O_WRONLY | os.O_NOCTTY | os.O_CLOEXEC)


def _write_direct(fd: int, data: bytes) -> None:
    """Write to a device, FIFO, socket or duplicated descriptor, never replaced; a
    full device (``/dev/full``: ENOSPC) is reported, not ignored."""
    try:
        write_all(fd, data)
    finally:
        os.close(fd)


def _replace(final: Path, st: os.stat_result | None, data: bytes) -> None:
    """Write a temporary file beside ``final`` (written, fsync'd, closed: each can fail,
    e.g. on a full disk or NFS), then rename it over ``final``."""
    tmp, fd = _create_temp(final.parent, final.name)
    try:
        try:
            if st is not None:
                _copy_owner_and_mode(fd, st)
            write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    finally:
        _PENDING.discard(tmp)


def _create_temp(folder: Path, name: str) -> tuple[str, int]:
    """Create ``folder/.NAME.XXXXXXXX.tmp`` (0666 & ~umask: the kernel applies the umask),
    registered in _PENDING before it exists; NAME is cut to fit the name limit."""
    try:
        limit = os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        limit = 255
    room = max(limit - len(f"..{'x' * 8}{_SUFFIX}"), 1)
    stem = os.fsdecode(os.fsencode(name)[:room])
    # A cut in the middle of a UTF-8 sequence leaves lone surrogates; fsencode gives
    # the same bytes back, so the name stays within `room` bytes.
    for _ in range(100):
        tmp = os.fspath(folder / f".{stem}.{os.urandom(4).hex()}{_SUFFIX}")
        _PENDING.add(tmp)
        try:
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
            return tmp, os.open(tmp, flags, 0o666)
        except FileExistsError:
            _PENDING.discard(tmp)
        except BaseException:  # (a signal: the file may exist, and it is ours)
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            _PENDING.discard(tmp)
            raise
    raise FileExistsError(17, "File exists")


def _copy_owner_and_mode(fd: int, st: os.stat_result) -> None:
    """The replaced file's owner and group (where permitted) and permission bits;
    chown first, since chown clears the set-user-ID bits chmod sets."""
    if (st.st_uid, st.st_gid) != (os.geteuid(), os.getegid()):
        with contextlib.suppress(PermissionError):
            os.fchown(fd, st.st_uid, st.st_gid)
    os.fchmod(fd, stat.S_IMODE(st.st_mode))
