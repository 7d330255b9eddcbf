"""losscli: every loss for your predictions, exactly, from the command line.

The package root stays import-light: ``import losscli`` loads neither numpy nor
pandas, so ``losscli --help`` starts fast. The heavy entry points are loaded on
first use through module ``__getattr__``.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["__version__", "evaluate_frame"]


def __getattr__(name: str) -> Any:
    if name == "evaluate_frame":
        from losscli.evaluate import evaluate_frame

        return evaluate_frame
    raise AttributeError(f"module 'losscli' has no attribute {name!r}")
