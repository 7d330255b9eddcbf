"""Render the loss catalogue for ``losscli losses``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from losscli.losses.registry import LossSpec as LossInfo
from losscli.render import to_json


def losses_json(infos: Sequence[LossInfo]) -> str:
    return to_json(
        {
            "schema": "losscli.losses/1",
            "losses": [
                {
                    "id": info.id,
                    "name": info.name,
                    "aliases": list(info.aliases),
                    "tasks": list(info.tasks),
                    "formula": info.formula,
                    "use_when": info.use_when,
                    "params": dict(info.params),
                    "greater_is_better": info.greater_is_better,
                    "on_labels": info.on_labels,
                    "convention": info.convention,
                }
                for info in infos
            ],
        }
    )


def losses_table(infos: Sequence[LossInfo]) -> Any:
    from rich.table import Table
    from rich.text import Text

    table = Table(title="losscli losses", title_justify="left", show_lines=False)
    table.add_column("id", style="bold", no_wrap=True)
    table.add_column("aliases")
    table.add_column("task")
    table.add_column("formula")
    table.add_column("use when")
    for info in infos:
        params = ", ".join(f"{k}={v}" for k, v in info.params.items())
        formula = info.formula + (f"  [{params}]" if params else "")
        if info.convention:
            formula += f"  ({info.convention})"
        table.add_row(
            Text(info.id),
            Text(", ".join(info.aliases)),
            Text(", ".join(info.tasks)),
            Text(formula),
            Text(info.use_when),
        )
    return table
