"""``evaluate --engine dask``: partitions on a Dask cluster (being written)."""

from __future__ import annotations

from typing import Any

from losscli.errors import UsageError


def evaluate_dask(source: str, *, scheduler: str | None = None, **options: Any) -> Any:
    """Not available yet."""
    raise UsageError("--engine dask is not available yet")
