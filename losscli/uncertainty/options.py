"""The bootstrap's options and their limits, checked without numpy.

Split from :mod:`losscli.uncertainty.analysis` (numpy at import) so a bad ``--ci``,
``--resamples``, ``--test`` or ``--correction`` is refused on the CLI's error path
before numpy loads; :class:`~losscli.uncertainty.analysis.Settings` checks with the
same function.
"""

from __future__ import annotations

#: sacrebleu's default seed (SACREBLEU_SEED = 12345): a fixed default, printed with results
DEFAULT_SEED = 12345
DEFAULT_RESAMPLES = 1000
DEFAULT_LEVEL = 0.95
#: a group with fewer rows gets a warning and no interval (issue 14)
MIN_ROWS = 20
MIN_RESAMPLES = 100
MAX_RESAMPLES = 100_000
TESTS = ("bootstrap", "permutation")
CORRECTIONS = ("none", "holm")


def problem(level: float, resamples: int, test: str, correction: str) -> str | None:
    """What is wrong with these settings (worded as the CLI's options), or ``None``."""
    if not 0.0 < level < 1.0:  # (NaN fails too)
        return f"--ci level must be in (0, 1), got {level:g}"
    if not MIN_RESAMPLES <= resamples <= MAX_RESAMPLES:
        return f"--resamples must be in [{MIN_RESAMPLES}, {MAX_RESAMPLES}], got {resamples}"
    if test not in TESTS:
        return f"--test must be one of {', '.join(TESTS)}, got {test!r}"
    if correction not in CORRECTIONS:
        return f"--correction must be one of {', '.join(CORRECTIONS)}, got {correction!r}"
    return None
