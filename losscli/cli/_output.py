"""What every command shares for its output: the one emit path, warnings, one-line
messages, rich consoles that never read markup from data.

Why apart from the app (``losscli.cli``): the command modules import these, and the
app imports the command modules to register them; this module imports neither.
Stdlib (and rich inside functions): ``--help`` and the error paths must stay light.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from pathlib import Path
from typing import Any

from losscli.atomic import write_atomic
from losscli.cli._streams import write_stderr, write_stdout


def warn(message: str) -> None:
    """One plain warning line on stderr (never on stdout, which pipelines parse)."""
    write_stderr(f"losscli: warning: {one_line(message)}")


def one_line(message: object) -> str:
    """``message`` as one line that cannot drive the terminal: control bytes and
    bidirectional overrides escaped exactly as on stdout (``render.safe_text``, stdlib
    only), line breaks joined with a space."""
    from losscli.render import safe_text

    return safe_text(" ".join(str(message).split("\n")))


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
