"""Several runs side by side: read every log named, pick the best run.

``losscli history A B C`` (or a directory of runs, or ``--run all``) analyses each run
on its own, with the same rules and options, then names the best run:

* when every run has a validation curve: the lowest best validation loss (ties: the
  first named);
* otherwise: the lowest final training loss — the only number every run has (loss
  values of different losses, or of different data, are not comparable: losscli
  cannot tell, the user can).

A run whose verdict is ``diverged`` is never the best unless every run diverged.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

from losscli.errors import UsageError
from losscli.history.model import HistoryReport, TrainingLog


def read_many(
    sources: Sequence[str | os.PathLike[str]],
    *,
    train: str | None = None,
    val: str | None = None,
    x: str | None = None,
    fmt: str | None = None,
    run: str | None = None,
    run_id: str | None = None,
    experiment: str | None = None,
) -> list[TrainingLog]:
    """Every run that the logs named (and ``--run``, ``--run-id``, ``--experiment``) select."""
    from losscli.history.read import read_runs

    if not sources:
        raise UsageError("name at least one training log")
    if (run_id is not None or experiment is not None) and not any(
        _is_mlflow_db(s) for s in sources
    ):
        raise UsageError("--run-id and --experiment read an MLflow tracking database (mlflow.db)")
    if sum(os.fspath(s) == "-" for s in sources) > 1:
        raise UsageError("stdin ('-') can be named only once")
    logs: list[TrainingLog] = []
    for source in sources:
        if _is_mlflow_db(source):
            from losscli.history.formats.mlflow import read_sqlite

            logs.extend(
                read_sqlite(
                    Path(source), run_id=run_id, experiment=experiment, train=train, val=val
                )
            )
            continue
        logs.extend(read_runs(source, train=train, val=val, x=x, fmt=fmt, run=run))
    return logs


def _is_mlflow_db(source: str | os.PathLike[str]) -> bool:
    text = os.fspath(source)
    if text == "-" or not text.lower().endswith((".db", ".sqlite", ".sqlite3")):
        return False
    try:
        with open(text, "rb") as fh:
            return fh.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def label(report: HistoryReport) -> str:
    """How a run is named in a comparison: its file, and its number when the file holds
    several runs."""
    return report.file + (f" (run {report.run})" if report.runs > 1 else "")


def best_run(reports: Sequence[HistoryReport]) -> tuple[int | None, str]:
    """(index of the best run, the criterion), per the module docstring."""
    if not reports:
        return None, ""
    pool = [i for i, r in enumerate(reports) if r.verdict != "diverged"] or list(
        range(len(reports))
    )
    if all(reports[i].best_val_loss is not None for i in pool):
        key = "lowest best validation loss"
        values = {i: reports[i].best_val_loss for i in pool}
    else:
        key = "lowest final training loss (not every run has a validation loss)"
        values = {i: reports[i].final_train_loss for i in pool}
    finite = [i for i in pool if (v := values[i]) is not None and math.isfinite(v)]
    if not finite:
        return None, key
    return min(finite, key=lambda i: (values[i], i)), key
