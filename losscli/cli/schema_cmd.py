"""``losscli schema NAME``: the JSON Schema of one of losscli's JSON outputs.

The schemas ship in the package (``losscli/schemas/*.json``, package data) and are
read with :mod:`importlib.resources`, so an installed wheel finds them as the source
tree does. NAME is ``evaluate``, ``compare``, ``history``, ``recommend`` or ``losses`` (or the
document's own schema id, ``losscli.evaluate/1``). Stdlib only: no numpy on this path.
"""

from __future__ import annotations

import typer

from losscli.cli._output import emit
from losscli.errors import UsageError

NAMES = ("evaluate", "compare", "history", "recommend", "losses")


def schema_text(name: str) -> str:
    """The text of the schema ``name``; UsageError naming the choices otherwise."""
    from importlib import resources

    key = name.strip().lower()
    if key.startswith("losscli.") and key.endswith("/1"):
        key = key[len("losscli.") : -len("/1")]
    if key not in NAMES:
        raise UsageError(f"no schema {name!r}; schemas are: {', '.join(NAMES)}")
    return resources.files("losscli").joinpath("schemas", f"{key}.json").read_text("utf-8")


def schema_command(
    name: str = typer.Argument(
        ..., metavar="NAME", help=f"One of: {', '.join(NAMES)} (or losscli.NAME/1)."
    ),
) -> None:
    """Print the JSON Schema of a JSON output (evaluate, compare, history, recommend, losses)."""
    emit(schema_text(name))
