"""``--summary``: append the Markdown output to ``$GITHUB_STEP_SUMMARY`` (GitHub Actions).

GitHub gives every job step a file named by ``GITHUB_STEP_SUMMARY`` and shows what
the step appended to it on the run's summary page. ``evaluate --summary`` and
``compare --summary`` append their Markdown there when the variable is set, and do
nothing when it is not (the same command runs on a laptop), whatever ``-o`` prints.

An *append*, never a replacement (the file holds the earlier steps' summaries), and as
safe as :mod:`losscli.atomic`'s writes where an append can be: the text is rendered
first, then written with one ``O_APPEND`` descriptor by :func:`losscli.atomic.write_all`
(no short write taken for a complete one); a symbolic link is followed (its target
appended to, the link kept); a FIFO, character device or ``/dev/fd/N`` is written
directly (``/dev/null`` stays a device); a directory or a block device is refused; a
new path is created ``0666 & ~umask``. Every OSError is one
:class:`~losscli.errors.OutputError` line (exit 2). Stdlib only.
"""

from __future__ import annotations

import os
import stat

from losscli.atomic import write_all
from losscli.errors import OutputError

VARIABLE = "GITHUB_STEP_SUMMARY"


def append_summary(markdown: str) -> bool:
    """Append ``markdown`` (and a blank line) to ``$GITHUB_STEP_SUMMARY``; ``False``
    when the variable is unset or empty."""
    target = os.environ.get(VARIABLE, "")
    if not target:
        return False
    append_text(target, markdown if markdown.endswith("\n") else markdown + "\n")
    return True


def append_text(target: str, text: str) -> None:
    """Append ``text`` (UTF-8) to ``target`` as the module docstring says."""
    from losscli.render import safe_text

    data = (text + "\n").encode("utf-8", "backslashreplace")
    try:
        try:
            st: os.stat_result | None = os.stat(target)
        except FileNotFoundError:
            st = None
        if st is not None and (stat.S_ISDIR(st.st_mode) or stat.S_ISBLK(st.st_mode)):
            kind = "a directory" if stat.S_ISDIR(st.st_mode) else "a block device"
            raise OutputError(f"cannot write {safe_text(target)} (${VARIABLE}): it is {kind}")
        fd = os.open(
            target, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOCTTY | os.O_CLOEXEC, 0o666
        )
        try:
            write_all(fd, data)
        finally:
            os.close(fd)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise OutputError(f"cannot write {safe_text(target)} (${VARIABLE}): {reason}") from None
