"""Training logs → curve analysis: best epoch, final losses, gap, verdict.

A package cut by job (``ARCHITECTURE.md``: "log readers and curve analysis"):

* :mod:`~losscli.history.model` – names looked for, :class:`TrainingLog`,
  :class:`HistoryReport` (stdlib only);
* :mod:`~losscli.history.read` – which reader a log goes to (name, content, ``--format``),
  the runs a file holds; every byte comes through :mod:`losscli.io`;
* :mod:`~losscli.history.formats` – one module per kind of log: ``tables`` (generic,
  Keras ``CSVLogger``, Ultralytics ``results.csv``), ``lightning`` (``metrics.csv``),
  ``huggingface`` (``trainer_state.json``), ``tensorboard`` (event files), ``mlflow``
  (file store and SQLite store), ``directories`` (a run directory, a directory of runs);
* :mod:`~losscli.history.align` – pairing evaluations with training losses, merging
  repeated x values, cutting runs (shared by every format);
* :mod:`~losscli.history.analysis` – the noise-robust verdict rules (documented there);
* :mod:`~losscli.history.runs` – several runs side by side.

Deviation from ARCHITECTURE.md's import table: the readers are imported inside
functions, so ``losscli.history.read_log("metrics.csv")`` works from Python like the
rest of the library; the analysis itself never touches files.
"""

from __future__ import annotations

from losscli.history.align import align_on_steps
from losscli.history.analysis import (
    analyse,
    analyse_log,
    default_smoothing,
    early_stopping,
    ema,
    noise_sigma,
    trend_z,
)
from losscli.history.formats.huggingface import log_from_trainer_state
from losscli.history.model import (
    DEFAULT_PATIENCE,
    FORMATS,
    HF_TRAIN_KEY,
    HF_VAL_KEY,
    STEP_NAMES,
    TRAIN_NAMES,
    VAL_NAMES,
    VERDICTS,
    X_AXES,
    HistoryReport,
    Number,
    TrainingLog,
    Value,
)
from losscli.history.read import LOG_FORMATS, read_log, read_runs
from losscli.history.runs import best_run, read_many

__all__ = [
    "DEFAULT_PATIENCE",
    "FORMATS",
    "HF_TRAIN_KEY",
    "HF_VAL_KEY",
    "LOG_FORMATS",
    "STEP_NAMES",
    "TRAIN_NAMES",
    "VAL_NAMES",
    "VERDICTS",
    "X_AXES",
    "HistoryReport",
    "Number",
    "TrainingLog",
    "Value",
    "align_on_steps",
    "analyse",
    "analyse_log",
    "best_run",
    "default_smoothing",
    "early_stopping",
    "ema",
    "log_from_frame",
    "log_from_trainer_state",
    "noise_sigma",
    "read_log",
    "read_many",
    "read_runs",
    "trend_z",
]


def log_from_frame(
    frame: object,
    name: str,
    *,
    train: str | None = None,
    val: str | None = None,
    x: str | None = None,
    literal_nan: dict[str, set[int]] | None = None,
) -> TrainingLog:
    """A table (pandas DataFrame, read whole) → the :class:`TrainingLog` of its last run."""
    from losscli.history.formats.tables import Table, check_distinct, split_runs
    from losscli.history.read import _layout

    check_distinct(train, val)
    table = Table(frame, name, literal_nan)
    parts = split_runs(table)
    log: TrainingLog = _layout(table)(parts[-1], train, val, x)
    return log
