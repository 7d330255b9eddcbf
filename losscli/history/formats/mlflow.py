"""MLflow tracking stores, read without MLflow.

* **File store** (``mlruns/<experiment id>/<run id>/``): one file per metric under
  ``metrics/`` (a key with ``/`` is a subdirectory), one line per logged value,
  ``"<timestamp ms> <value> <step>"`` (``FileStore._get_metric_from_line``; the step is
  optional, default 0). The run's name is in ``tags/mlflow.runName``.
* **SQLite store** (``mlflow.db``; the default tracking URI since MLflow 3.7): table
  ``metrics(key, value, timestamp, run_uuid, step, is_nan)`` (a NaN is stored as
  ``value 0, is_nan 1``), ``runs(run_uuid, name, experiment_id, lifecycle_stage…)``,
  ``experiments(experiment_id, name…)``. Read with the stdlib :mod:`sqlite3`, opened
  read-only. ``--run-id ID`` picks one run, ``--experiment NAME|ID`` the runs of one
  experiment; with neither, every active run.

Keys are picked as columns are in CSV logs (``train_loss``, ``loss``, ``val_loss``,
``eval_loss``…; Keras autolog logs ``loss``/``val_loss`` per epoch, Lightning's
``MLFlowLogger`` ``train_loss``/``val_loss`` and ``epoch``).
"""

from __future__ import annotations

import contextlib
import math
from pathlib import Path

from losscli.errors import InputError, UsageError
from losscli.history.formats.scalars import Series, log_from_series
from losscli.history.model import TrainingLog


def is_run_dir(path: Path) -> bool:
    return ((path / "metrics").is_dir() and (path / "meta.yaml").is_file()) or (
        (path / "metrics").is_dir() and not (path / "metrics" / "metrics").exists()
    )


def read_file_store_run(
    path: Path, *, train: str | None = None, val: str | None = None, x: str | None = None
) -> TrainingLog:
    """One run directory of the file store (module docstring)."""
    series: Series = {}
    metrics = path / "metrics"
    for f in sorted(p for p in metrics.rglob("*") if p.is_file()):
        key = f.relative_to(metrics).as_posix()
        series[key] = _metric_lines(f, key)
    name = str(path)
    run_name = path / "tags" / "mlflow.runName"
    if run_name.is_file():
        with contextlib.suppress(OSError):
            name = f"{path} ({run_name.read_text(encoding='utf-8', errors='replace').strip()})"
    return log_from_series(series, name, "mlflow", train=train, val=val, x=x)


def _metric_lines(f: Path, key: str) -> list[tuple[int, float]]:
    try:
        text = f.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InputError(f"cannot read {f}: {exc.strerror or exc}") from None
    out: list[tuple[int, float]] = []
    for i, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        try:
            value = float(parts[1])
            step = int(parts[2]) if len(parts) > 2 else 0
        except (IndexError, ValueError):
            raise InputError(
                f"{f}: line {i}: expected '<timestamp> <value> <step>', got {line[:60]!r}"
            ) from None
        out.append((step, value))
    return out


def read_sqlite(
    path: Path,
    *,
    run_id: str | None = None,
    experiment: str | None = None,
    train: str | None = None,
    val: str | None = None,
) -> list[TrainingLog]:
    """The runs of an MLflow SQLite store that ``run_id``/``experiment`` select."""
    import sqlite3

    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise InputError(f"cannot open {path}: {exc}") from None
    try:
        runs = _select_runs(con, path, run_id, experiment)
        logs = []
        for uuid, run_name in runs:
            series: Series = {}
            rows = con.execute(
                "SELECT key, value, step, is_nan FROM metrics WHERE run_uuid = ? "
                "ORDER BY timestamp, step",
                (uuid,),
            )
            for key, value, step, is_nan in rows:
                v = math.nan if is_nan else float(value)
                series.setdefault(str(key), []).append((int(step), v))
            label = f"{path} (run {run_name or uuid})"
            logs.append(log_from_series(series, label, "mlflow", train=train, val=val))
        return logs
    except sqlite3.Error as exc:
        raise InputError(f"{path}: not an MLflow tracking database ({exc})") from None
    finally:
        con.close()


def _select_runs(
    con: object, path: Path, run_id: str | None, experiment: str | None
) -> list[tuple[str, str | None]]:
    import sqlite3

    assert isinstance(con, sqlite3.Connection)
    query = "SELECT r.run_uuid, r.name FROM runs r JOIN experiments e USING (experiment_id)"
    where, args = ["r.lifecycle_stage = 'active'"], []
    if run_id is not None:
        where.append("r.run_uuid = ?")
        args.append(run_id)
    if experiment is not None:
        where.append("(e.name = ? OR CAST(e.experiment_id AS TEXT) = ?)")
        args.extend([experiment, experiment])
    rows = con.execute(
        f"{query} WHERE {' AND '.join(where)} ORDER BY r.start_time, r.run_uuid", args
    ).fetchall()
    if not rows:
        what = f"run {run_id!r}" if run_id else (f"experiment {experiment!r}" if experiment else "")
        raise InputError(f"{path}: no active run{' for ' + what if what else ''}")
    if run_id is None and experiment is None and len(rows) > 50:
        raise UsageError(
            f"{path} holds {len(rows)} runs; pick some with --experiment NAME or --run-id ID"
        )
    return [(str(u), n) for u, n in rows]
