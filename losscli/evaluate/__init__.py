"""``losscli evaluate`` as a library: options → plan → chunks → engine → report.

The package is cut along the flow of one evaluation, each step in its own module:

* :mod:`~losscli.evaluate.plan`: the options checked once (task, losses, quantiles,
  class weights, loss parameters) → a :class:`~losscli.evaluate.plan.Plan`;
* :mod:`~losscli.evaluate.prepare`: a reader's chunk → float arrays and codes (the one
  place that calls the column conversions of :mod:`losscli.io`);
* :mod:`~losscli.evaluate.checks`: the file-worded checks of a chunk (row, column, hint);
* :mod:`~losscli.evaluate.engine`: chunks → accumulators per model × group, with the
  missing-value policy;
* :mod:`~losscli.evaluate.summary`: accumulators → results, skipped losses, warnings;
* :mod:`~losscli.evaluate.report`: the frozen report and its JSON document;
* :mod:`~losscli.evaluate.gates`: ``--fail-if`` parsed and judged as data;
* :mod:`~losscli.evaluate.api`: :func:`evaluate_file` and :func:`evaluate_frame`;
* :mod:`~losscli.evaluate.state`, :mod:`~losscli.evaluate.merging`,
  :mod:`~losscli.evaluate.state_codec`: an evaluation's mergeable state
  (:func:`state_of_file`, :func:`state_of_frame`), states merged into the report of
  all their rows (:func:`merge_states`), a state as JSON (``--save-state``, ``merge``).

Importing the package loads no numpy, pandas or pyarrow (the CLI's start-up paths
import it); the modules import them inside the functions that compute.
"""

from __future__ import annotations

from losscli.evaluate.api import evaluate_file, evaluate_frame
from losscli.evaluate.engine import CACHE_BYTES, DEFAULT_CHUNK_ROWS
from losscli.evaluate.plan import LossParams
from losscli.evaluate.report import SCHEMA, EvaluationReport, GroupTable, Result, Skipped
from losscli.evaluate.state import merge_states, state_of_file, state_of_frame
from losscli.tasks import TASK_CHOICES

__all__ = [
    "CACHE_BYTES",
    "DEFAULT_CHUNK_ROWS",
    "SCHEMA",
    "TASK_CHOICES",
    "EvaluationReport",
    "GroupTable",
    "LossParams",
    "Result",
    "Skipped",
    "evaluate_file",
    "evaluate_frame",
    "merge_states",
    "state_of_file",
    "state_of_frame",
]
