"""``losscli recommend``: which loss for which task, from flags or from a file's data.

The package is cut along the start-up rule: ``recommend --task ...`` with flags must
load no numpy, pandas or pyarrow, so what that path needs is numpy-free and what
reads data imports its libraries inside functions:

* :mod:`~losscli.recommend.rules`: the selection table, the conditions, how they
  combine, the reasons and suggested parameters (:func:`recommend`);
* :mod:`~losscli.recommend.report`: the report objects (:class:`Recommendation`,
  :class:`Evidence`) and the measurement thresholds their JSON states;
* :mod:`~losscli.recommend.measure`: ``--from FILE`` (:func:`measure_file`,
  :func:`recommend_from_file`): evidence from the data, then the rules;
* :mod:`~losscli.recommend.stream`: the one streaming pass over the file (reservoir
  sample, exact truth moments, class counts) that the measurements read.

This module re-exports what the CLI, the renderer and the tests use.
"""

from __future__ import annotations

from losscli.recommend.measure import (
    counts_verdict,
    measure_file,
    measure_outliers,
    recommend_from_file,
    robust_scale,
)
from losscli.recommend.report import SCHEMA, Evidence, Recommendation
from losscli.recommend.rules import (
    BY_KEY,
    COMBINATIONS,
    CONDITIONS,
    EXTRA_ALTERNATIVES,
    REASONS,
    SELECTION,
    SEVERAL,
    Rule,
    check_conditions,
    recommend,
    selection_params,
)
from losscli.tasks import TASK_ALIASES, TASKS, resolve_task

__all__ = [
    "BY_KEY",
    "COMBINATIONS",
    "CONDITIONS",
    "EXTRA_ALTERNATIVES",
    "REASONS",
    "SCHEMA",
    "SELECTION",
    "SEVERAL",
    "TASKS",
    "TASK_ALIASES",
    "Evidence",
    "Recommendation",
    "Rule",
    "check_conditions",
    "counts_verdict",
    "measure_file",
    "measure_outliers",
    "recommend",
    "recommend_from_file",
    "resolve_task",
    "robust_scale",
    "selection_params",
]
