"""The names of the ``--convention`` presets and their check, importable without numpy.

Cut from :mod:`losscli.losses.conventions` (whose accumulators need numpy) because the
option is checked before the file is opened: a misspelt ``--convention`` or an
``--eps`` the library cannot take is a usage error on the start-up path, which loads
no numpy, pandas or pyarrow.
"""

from __future__ import annotations

from losscli.errors import UsageError

CONVENTIONS = ("losscli", "sklearn", "torch", "keras")
DEFAULT = "losscli"


def check_convention(name: str, eps: float | None = None) -> str:
    """The convention's id (any case), or a :class:`UsageError`; ``--eps`` only
    where the library has an ε to set (Keras; scikit-learn and PyTorch have none)."""
    key = str(name).strip().lower()
    if key not in CONVENTIONS:
        raise UsageError(f"unknown convention {name!r}; expected one of {', '.join(CONVENTIONS)}")
    if eps is not None and key in ("sklearn", "torch"):
        lib = (
            "scikit-learn 1.9's log_loss clips at float64 ε"
            if key == "sklearn"
            else "PyTorch's BCELoss clamps log at -100"
        )
        raise UsageError(f"--eps does not go with --convention {key}: {lib} and has no ε to set")
    return key
