"""The tasks losscli knows, their spellings, and how a class label is written as text.

One room for what every command (``evaluate``, ``recommend``, ``losses``, ``history``)
and the loss library say about tasks, so that a spelling accepted by one command is
accepted by all of them and refused in the same words. Stdlib only: it is imported on
the start-up paths (``--help``, ``recommend`` with flags) that must not load numpy.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Any

from losscli.errors import UsageError


class Task(StrEnum):
    """A prediction task. A ``StrEnum``, so ``Task.BINARY == "binary"`` and the JSON
    outputs keep writing the plain word."""

    REGRESSION = "regression"
    BINARY = "binary"
    MULTICLASS = "multiclass"


REGRESSION = Task.REGRESSION.value
BINARY = Task.BINARY.value
MULTICLASS = Task.MULTICLASS.value
#: the task ids in their documented order
TASKS: tuple[str, ...] = (REGRESSION, BINARY, MULTICLASS)
#: what ``--task`` accepts on ``evaluate``: a task or ``auto`` (detect it from the data)
AUTO = "auto"
TASK_CHOICES: tuple[str, ...] = (AUTO, *TASKS)

#: accepted spellings of each task (case-insensitive; ``_`` and ``-`` are the same)
TASK_ALIASES: dict[str, tuple[str, ...]] = {
    REGRESSION: ("linear-regression",),
    BINARY: ("binary-classification",),
    MULTICLASS: ("multi-class", "multiclass-classification"),
}
_LOOKUP: dict[str, str] = {
    name.replace("_", "-"): task
    for task, aliases in TASK_ALIASES.items()
    for name in (task, *aliases)
}


def spellings() -> str:
    """The accepted spellings, as an error message lists them."""
    return "; ".join(f"{task} ({', '.join(al)})" for task, al in TASK_ALIASES.items())


def resolve_task(name: str, *, allow_auto: bool = False) -> str:
    """Map a task name or alias (any case, ``_`` or ``-``) to its id, or raise
    :class:`UsageError`. With ``allow_auto``, ``auto`` is returned as is."""
    key = name.strip().lower().replace("_", "-")
    if allow_auto and key == AUTO:
        return AUTO
    if key in _LOOKUP:
        return _LOOKUP[key]
    choices = f"{AUTO}; {spellings()}" if allow_auto else spellings()
    raise UsageError(f"unknown task {name!r}; choose one of: {choices}")


def label_text(value: Any) -> str | None:
    """A truth label or group value as text, the same from every reader:
    ``3``, ``3.0`` and ``"3"`` are all ``"3"``; ``True`` is ``"true"``; NaN / None is
    missing (``None``). numpy scalars are unwrapped without importing numpy."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):  # (numpy float64 too)
        value = float(value)
        if math.isnan(value):
            return None
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return repr(value)
    item = getattr(value, "item", None)
    if item is not None and type(value).__module__ == "numpy":
        return label_text(item())
    return str(value)


def is_missing(value: Any) -> bool:
    """None or a float NaN: a missing cell as the readers hand it over."""
    return value is None or (isinstance(value, float) and value != value)
