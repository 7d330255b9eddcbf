"""Which column is the truth, which are predictions, which task.

Cut in three, so that each kind of change has one place:

* :mod:`~losscli.detect.names`: the names detection knows (truth, predictions, what
  a name says of its values, ids, model and class prefixes) — data, the usual edit;
* :mod:`~losscli.detect.layout`: :func:`detect_layout`, the truth and prediction
  columns from the names and the user's ``--true`` / ``--pred`` (no data read);
* :mod:`~losscli.detect.task`: :func:`infer_task`, the task from a sample of the
  values (numpy, imported when it runs).

This module re-exports what ``evaluate``, ``labels``, ``recommend`` and the tests use.
"""

from __future__ import annotations

from losscli.detect.layout import Layout, ModelCols, detect_layout
from losscli.detect.names import is_id
from losscli.detect.task import as_float_or_none, infer_task, infer_task_from_truth

__all__ = [
    "Layout",
    "ModelCols",
    "as_float_or_none",
    "detect_layout",
    "infer_task",
    "infer_task_from_truth",
    "is_id",
]
