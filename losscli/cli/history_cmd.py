"""``losscli history``: read a training log, show the curves, call overfitting.

A few lines of glue: :func:`losscli.history.read_log` → :func:`losscli.history.analyse_log`
→ :mod:`losscli.render.history`. Everything heavy (pandas via the readers, matplotlib
for ``--plot``) is imported inside the command, never at module level.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path

import typer

from losscli.cli._app import app, make_console, print_renderable, stdout_is_terminal, warn
from losscli.errors import ExitStatus


class _XAxis(StrEnum):
    epoch = "epoch"
    step = "step"


class _HistoryFormat(StrEnum):
    table = "table"
    json = "json"


@app.command("history")
def history_command(
    log: str = typer.Argument(
        ...,
        metavar="LOG",
        help="Training log: CSV/TSV/Parquet/JSONL table, Keras CSVLogger file, Lightning "
        "metrics.csv or Hugging Face trainer_state.json ('-' = stdin).",
    ),
    train: str | None = typer.Option(
        None, "--train", metavar="COL", help="Training loss column (default: detected)."
    ),
    val: str | None = typer.Option(
        None, "--val", metavar="COL", help="Validation loss column (default: detected)."
    ),
    x: _XAxis | None = typer.Option(
        None,
        "--x",
        help="x axis: epoch or step (default: epoch when the log has epochs).",
        case_sensitive=False,
    ),
    patience: int = typer.Option(
        3, "--patience", metavar="N", help="Points without improvement before a verdict."
    ),
    min_delta: float = typer.Option(
        0.0, "--min-delta", metavar="X", help="Smallest change that counts as a change."
    ),
    plot: Path | None = typer.Option(
        None,
        "--plot",
        metavar="FILE.png",
        help="Also write the curves as a PNG (needs matplotlib).",
    ),
    fail_on_overfit: bool = typer.Option(
        False, "--fail-on-overfit", help="Exit 1 when the verdict is overfitting or diverged."
    ),
    output: _HistoryFormat = typer.Option(
        _HistoryFormat.table, "--output", "-o", help="table or json.", case_sensitive=False
    ),
) -> None:
    """Read a training log, chart the loss curves, name the best epoch, call overfitting."""
    from losscli import history
    from losscli.cli._app import emit_text
    from losscli.render import history as render

    # Checked before reading the file, so a bad option never waits on a big log.
    if patience < 1:
        from losscli.errors import UsageError

        raise UsageError(f"--patience must be at least 1, got {patience}")
    training_log = history.read_log(log, train=train, val=val, x=x.value if x else None)
    for message in training_log.warnings:
        warn(message)
    report = history.analyse_log(training_log, patience=patience, min_delta=min_delta)
    if plot is not None:
        render.write_plot(report, plot)
    if output is _HistoryFormat.json:
        emit_text(render.history_json(report), None)
    else:
        width = make_console().width
        # Braille curves differ only by colour: without colour, the ASCII chart (* vs o).
        unicode = stdout_is_terminal() and not os.environ.get("NO_COLOR")
        print_renderable(render.history_renderable(report, width=width, unicode=unicode))
    if fail_on_overfit and report.fails_gate:
        raise typer.Exit(int(ExitStatus.GATE_FAILED))
