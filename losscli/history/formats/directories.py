"""Directories: a TensorBoard run, an MLflow run, or a directory of runs.

What a directory holds, found by walking it (at most ``MAX_DEPTH`` levels, at most
``MAX_RUNS`` runs):

* an MLflow file-store run: a directory with a ``metrics/`` folder;
* a TensorBoard run: a directory holding ``events.out.tfevents.*`` files; Keras writes
  one run as ``train/`` and ``validation/`` subdirectories, which are read as one run
  whose tags carry the subdirectory as prefix (``train/epoch_loss``);
* a log file by its framework's usual name: ``metrics.csv`` (Lightning),
  ``trainer_state.json`` (Hugging Face), ``results.csv`` (Ultralytics),
  ``training.log``/``history.csv`` (Keras ``CSVLogger``).

One run found: that run. Several: all of them, compared side by side, in path order.
"""

from __future__ import annotations

import os
from pathlib import Path

from losscli.errors import InputError
from losscli.history.model import TrainingLog

MAX_DEPTH = 6
MAX_RUNS = 200
LOG_NAMES = ("metrics.csv", "trainer_state.json", "results.csv", "training.log", "history.csv")
_KERAS_SPLITS = frozenset(("train", "validation", "val", "eval"))


def find_runs(root: Path) -> list[tuple[str, Path]]:
    """(kind, path) of every run under ``root``: kind ``mlflow``, ``tensorboard``, ``file``."""
    from losscli.history.formats.mlflow import is_run_dir

    found: list[tuple[str, Path]] = []
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        depth = len(here.relative_to(root).parts)
        dirnames.sort()
        if depth >= MAX_DEPTH or is_run_dir(here):
            if is_run_dir(here):
                found.append(("mlflow", here))
            dirnames[:] = []
            continue
        if any("tfevents" in f for f in filenames) or _keras_run(here, dirnames):
            found.append(("tensorboard", here))
            dirnames[:] = []
            continue
        found.extend(("file", here / f) for f in sorted(filenames) if f in LOG_NAMES)
        if len(found) > MAX_RUNS:
            raise InputError(f"{root}: more than {MAX_RUNS} runs; name fewer")
    return found


def _keras_run(here: Path, dirnames: list[str]) -> bool:
    """Keras' TensorBoard callback: ``train/`` and ``validation/`` with event files."""
    splits = [d for d in dirnames if d in _KERAS_SPLITS]
    return len(splits) >= 2 and all(
        any("tfevents" in f for f in os.listdir(here / d)) for d in splits
    )


def read_directory(
    path: Path,
    *,
    train: str | None = None,
    val: str | None = None,
    x: str | None = None,
    run: str | None = None,
) -> list[TrainingLog]:
    """Every run under ``path`` (module docstring)."""
    from losscli.history.formats.mlflow import read_file_store_run
    from losscli.history.formats.tensorboard import event_files, log_from_event_files
    from losscli.history.read import read_runs

    try:
        runs = find_runs(path)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not runs:
        raise InputError(
            f"{path} is a directory without training logs (looked for TensorBoard event files, "
            f"MLflow runs with a metrics/ folder, and {', '.join(LOG_NAMES)})"
        )
    logs: list[TrainingLog] = []
    for kind, where in runs:
        if kind == "mlflow":
            logs.append(read_file_store_run(where, train=train, val=val, x=x))
        elif kind == "tensorboard":
            files = event_files(where)
            logs.append(
                log_from_event_files(files, str(where), train=train, val=val, x=x, root=where)
            )
        else:
            logs.extend(read_runs(where, train=train, val=val, x=x, run=run))
    return logs
