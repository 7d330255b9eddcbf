"""Competitor (c): the smallest Typer + rich app, the floor for ``losscli --help``.

    python typer_minimal.py --help

Two commands with a few options and rich-formatted help, as any Typer CLI has: the
start-up cost of the interpreter, typer, click and rich, and nothing else.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

app = typer.Typer(help="A minimal Typer + rich app.", add_completion=False)


@app.command()
def evaluate(
    file: Path = typer.Argument(..., help="Predictions file."),
    output: str = typer.Option("table", "--output", "-o", help="table or json."),
) -> None:
    """Evaluate a file."""
    Console().print(f"{file} {output}")


@app.command()
def recommend(task: str = typer.Option("binary", "--task", help="The task.")) -> None:
    """Recommend losses."""
    Console().print(task)


if __name__ == "__main__":
    app()
