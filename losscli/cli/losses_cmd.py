"""``losscli losses``: list the loss registry."""

from __future__ import annotations

from losscli.cli._output import emit
from losscli.cli.options import TableOrJson, output_option, task_option


def losses_command(
    task: str | None = task_option(
        help="Only the losses for this task: regression, binary, multiclass."
    ),
    output: TableOrJson = output_option(TableOrJson),
) -> None:
    """List every loss losscli knows: id, aliases, task, formula, when to use it."""
    from losscli.losses import registry
    from losscli.render import losses as render

    infos = tuple(registry.REGISTRY.values()) if task is None else registry.for_task(task)
    emit(render.losses_json(infos) if output is TableOrJson.json else render.losses_table(infos))
