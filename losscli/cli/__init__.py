"""Command-line interface: ``losscli evaluate | recommend | history | losses``.

Why a package rather than one ``cli.py`` (ARCHITECTURE.md): each command keeps
its options next to its few lines of glue in its own module, so commands grow
without stepping on each other. The rules of the guide still hold: nothing
imports ``losscli.cli``, typer lives only here, and errors become exit codes in
one place (``_app._Group``). No module here imports numpy, pandas or pyarrow at
module level: ``losscli --help`` and ``losscli recommend`` must start fast.
"""

from __future__ import annotations

from losscli.cli import (  # noqa: F401  (each import registers its command)
    evaluate_cmd,
    history_cmd,
    losses_cmd,
    recommend_cmd,
)
from losscli.cli._app import app


def main() -> None:
    """Console-script entry point."""
    app(prog_name="losscli")


__all__ = ["app", "main"]
