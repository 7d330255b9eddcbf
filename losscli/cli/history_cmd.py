"""``losscli history``: read training logs, show the curves, call overfitting.

A few lines of glue: :func:`losscli.history.read_runs` →
:func:`losscli.history.analyse_log` → :mod:`losscli.render.history`. One run gives the
summary and chart of one run; several (``LOG LOG…``, a directory of runs, ``--run
all``) the side-by-side comparison. Everything heavy (pandas via the readers,
matplotlib for ``--plot``) is imported inside the command, never at module level.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path

import typer

from losscli.cli._output import emit, make_console, stdout_is_terminal, warn
from losscli.cli.options import (
    InputFormat,
    TableOrJson,
    choice_option,
    column_option,
    format_option,
    output_option,
    switch,
    value_option,
)
from losscli.errors import ExitStatus


class _XAxis(StrEnum):
    epoch = "epoch"
    step = "step"


class _LogFormat(StrEnum):
    """The table formats of :class:`InputFormat`, then the formats only logs come in."""

    csv = InputFormat.csv.value
    tsv = InputFormat.tsv.value
    parquet = InputFormat.parquet.value
    jsonl = InputFormat.jsonl.value
    json = "json"
    tfevents = "tfevents"


def history_command(
    logs: list[str] = typer.Argument(
        ...,
        metavar="LOG...",
        help="Training log(s): CSV/TSV/Parquet/JSONL table, Keras CSVLogger file, Lightning "
        "metrics.csv, Hugging Face trainer_state.json, Ultralytics results.csv, TensorBoard "
        "event file or run directory, MLflow run directory or mlflow.db ('-' = stdin). "
        "Several logs, or a directory of runs, are compared side by side.",
    ),
    train: str | None = column_option("--train", help="Training loss column (default: detected)."),
    val: str | None = column_option("--val", help="Validation loss column (default: detected)."),
    x: _XAxis | None = choice_option(
        None, "--x", help="x axis: epoch or step (default: epoch when the log has epochs)."
    ),
    fmt: _LogFormat | None = format_option(
        help="Input format when the name and content do not say: csv, tsv, parquet, jsonl, "
        "json (trainer_state.json), tfevents.",
    ),
    run: str | None = value_option(
        "--run",
        metavar="N|all",
        help="Which run of a file that holds several (its epoch counter restarts): a "
        "number from 1, or all (default: the last).",
    ),
    run_id: str | None = value_option(
        "--run-id", metavar="ID", help="MLflow: the run to read from mlflow.db."
    ),
    experiment: str | None = value_option(
        "--experiment",
        metavar="NAME",
        help="MLflow: the experiment (name or id) whose runs to read from mlflow.db.",
    ),
    patience: int = typer.Option(
        3, "--patience", metavar="N", help="Points without improvement before a verdict."
    ),
    min_delta: float | None = value_option(
        "--min-delta",
        metavar="X",
        help="Smallest change that counts as a change (default: from the curve's noise).",
    ),
    smoothing: float | None = value_option(
        "--smoothing",
        metavar="W",
        help="EMA weight in [0, 1) for judging the trend, as TensorBoard's slider "
        "(default: from the number of points; 0 = none).",
    ),
    plot: Path | None = value_option(
        "--plot", metavar="FILE.png", help="Also write the curves as a PNG (needs matplotlib)."
    ),
    fail_on_overfit: bool = switch(
        "--fail-on-overfit", help="Exit 1 when a verdict is overfitting or diverged."
    ),
    output: TableOrJson = output_option(TableOrJson),
) -> None:
    """Read training logs, chart the loss curves, name the best epoch, call overfitting."""
    from losscli import history
    from losscli.errors import UsageError
    from losscli.render import history as render

    # Checked before reading the file, so a bad option never waits on a big log.
    if patience < 1:
        raise UsageError(f"--patience must be at least 1, got {patience}")
    training_logs = history.read_many(
        logs,
        train=train,
        val=val,
        x=x.value if x else None,
        fmt=fmt.value if fmt else None,
        run=run,
        run_id=run_id,
        experiment=experiment,
    )
    for log in training_logs:
        for message in log.warnings:
            warn(message)
    reports = [
        history.analyse_log(log, patience=patience, min_delta=min_delta, smoothing=smoothing)
        for log in training_logs
    ]
    if plot is not None:
        render.write_plot(reports, plot)
    if output is TableOrJson.json:
        emit(render.history_json(reports))
    else:
        width = make_console().width
        # Braille curves differ only by colour: without colour, the ASCII chart (* vs o).
        unicode = stdout_is_terminal() and not os.environ.get("NO_COLOR")
        emit(render.history_renderable(reports, width=width, unicode=unicode))
    if fail_on_overfit and any(r.fails_gate for r in reports):
        raise typer.Exit(int(ExitStatus.GATE_FAILED))
