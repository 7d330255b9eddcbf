"""``losscli recommend``: which loss for a task, from flags or from a file.

The flags path imports neither numpy, pandas nor pyarrow (``losscli.recommend`` is
stdlib + the catalogue); only ``--from`` loads them, inside
:func:`losscli.recommend.measure_file`.
"""

from __future__ import annotations

from enum import StrEnum

import typer

from losscli.cli._output import emit, warn
from losscli.cli.options import (
    TableOrJson,
    columns_option,
    header_names,
    output_option,
    pred_option,
    task_option,
    task_spellings,
    true_option,
    value_option,
)


class _Side(StrEnum):
    under = "under"
    over = "over"


def recommend_command(
    task: str | None = task_option(
        metavar="TASK",
        help=f"{task_spellings()}. With --from it overrides the inferred task.",
    ),
    outliers: bool | None = typer.Option(
        None, "--outliers/--no-outliers", help="Regression targets or residuals have outliers."
    ),
    imbalanced: bool | None = typer.Option(
        None,
        "--imbalanced/--no-imbalanced",
        help="Classification with a much rarer class (largest/smallest ≥ 3).",
    ),
    asymmetric: _Side | None = typer.Option(
        None,
        "--asymmetric",
        case_sensitive=False,
        help="Regression where under- (or over-) prediction costs more.",
    ),
    quantile: float | None = value_option(
        "--quantile", metavar="Q", help="Regression: the prediction is the Q-quantile (0 < Q < 1)."
    ),
    counts: bool | None = typer.Option(
        None, "--counts/--no-counts", help="Regression on non-negative counts."
    ),
    source: str | None = value_option(
        "--from",
        metavar="FILE",
        help="Measure a predictions file (or - for stdin) and infer task and conditions; "
        "flags override what it infers.",
    ),
    true: str | None = true_option(help="Truth column (with --from)."),
    pred: str | None = pred_option(help="Prediction column (with --from); without it, the first."),
    fmt: str | None = value_option(
        "--format", metavar="FORMAT", help="Input format for --from: csv, tsv, parquet, jsonl."
    ),
    columns: str | None = columns_option(
        help="With --from: the column names of a CSV/TSV file without a header line, in "
        "file order (e.g. --columns y,p)."
    ),
    output: TableOrJson = output_option(TableOrJson),
) -> None:
    """Recommend a loss for your task, with the reason, from flags or from your data.

    With no option, print the whole selection table.
    """
    from losscli import recommend as rules
    from losscli.errors import UsageError
    from losscli.render import recommend as render

    side = asymmetric.value if asymmetric is not None else None
    if source is None:
        given = (("--true", true), ("--pred", pred), ("--format", fmt), ("--columns", columns))
        for flag, value in given:
            if value is not None:
                raise UsageError(f"{flag} needs --from FILE")
        rec = rules.recommend(
            task,
            outliers=bool(outliers),
            imbalanced=bool(imbalanced),
            asymmetric=side,
            quantile=quantile,
            counts=bool(counts),
        )
    else:
        rec = rules.recommend_from_file(
            source,
            fmt=fmt,
            header=header_names(columns),
            true=true,
            pred=pred,
            task=task,
            outliers=outliers,
            imbalanced=imbalanced,
            asymmetric=side,
            quantile=quantile,
            counts=counts,
        )
    for message in rec.warnings:
        warn(message)
    if output is TableOrJson.json:
        if rec.task is None:
            raise UsageError(
                "nothing to recommend: give --task TASK (with conditions) or --from FILE; "
                "'losscli recommend' alone prints the selection table"
            )
        emit(render.recommend_json(rec))
    else:
        emit(render.recommend_renderable(rec))
