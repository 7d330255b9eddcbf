"""``losscli losses``: list the loss registry."""

from __future__ import annotations

from enum import StrEnum

import typer

from losscli.cli._app import app, emit_text, print_renderable


class _ListFormat(StrEnum):
    table = "table"
    json = "json"


@app.command("losses")
def losses_command(
    task: str | None = typer.Option(
        None, "--task", help="Only the losses for this task: regression, binary, multiclass."
    ),
    output: _ListFormat = typer.Option(
        _ListFormat.table, "--output", "-o", help="table or json.", case_sensitive=False
    ),
) -> None:
    """List every loss losscli knows: id, aliases, task, formula, when to use it."""
    from losscli import catalog
    from losscli.errors import UsageError
    from losscli.render import losses as render

    infos = catalog.CATALOG
    if task is not None:
        key = task.strip().lower()
        if key not in catalog.TASKS:
            raise UsageError(f"unknown task {task!r}; choose one of: {', '.join(catalog.TASKS)}")
        infos = catalog.for_task(key)
    if output is _ListFormat.json:
        emit_text(render.losses_json(infos), None)
    else:
        print_renderable(render.losses_table(infos))
