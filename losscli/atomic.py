"""Atomic file writes: a temporary file in the target's folder, then a rename.

Used for every file losscli writes (``evaluate --output-file``, ``history --plot``),
so a failure — a full disk, an interrupted run, a bug in a renderer — never leaves
half a file behind. Stdlib only.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from losscli.errors import UsageError


def write_atomic(
    target: str | os.PathLike[str],
    write: Callable[[IO[Any]], object],
    *,
    binary: bool = False,
) -> None:
    """Call ``write(fh)`` on a temporary file beside ``target``, then rename it over
    ``target``. An OSError becomes a one-line :class:`UsageError` (exit 2); on any
    failure the temporary file is removed and ``target`` is left as it was."""
    path = Path(target)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        if binary:
            with os.fdopen(fd, "wb") as fh:
                write(fh)
        else:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                write(fh)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise
