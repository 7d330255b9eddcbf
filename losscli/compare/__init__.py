"""``losscli compare`` as a library: did NEW get worse than BASE, by how much, for sure?

The package is cut along the flow of one comparison:

* :mod:`~losscli.compare.load`: a path → a ``losscli.evaluate/1`` document (a report
  read and checked, or a prediction file evaluated with ``evaluate_file``);
* :mod:`~losscli.compare.diff`: two documents → one change per (model, group, loss),
  direction-aware verdicts, the MOVER interval of Δ, what makes two reports not
  comparable;
* :mod:`~losscli.compare.join` and :mod:`~losscli.compare.paired`: ``--key``, two
  prediction files joined row by row and compared paired;
* :mod:`~losscli.compare.gates`: ``--fail-if`` on a change, ``--fail-on-regression``;
* :mod:`~losscli.compare.report`: the frozen report and its ``losscli.compare/1``
  document;
* :mod:`~losscli.compare.api`: :func:`compare_files` and :func:`compare_documents`.

Its layer (the import contract in pyproject.toml) is between ``render`` and
``evaluate``: it calls the evaluation library, so it sits above it rather than beside
it, and nothing below imports it. Importing the package loads no numpy or pandas.
"""

from __future__ import annotations

from losscli.compare.api import compare_documents, compare_files
from losscli.compare.report import SCHEMA, Change, CompareReport, GateResult, Side

__all__ = [
    "SCHEMA",
    "Change",
    "CompareReport",
    "GateResult",
    "Side",
    "compare_documents",
    "compare_files",
]
