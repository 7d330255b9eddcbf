"""``losscli evaluate``: every applicable loss for a predictions file.

Thin glue: options → :func:`losscli.evaluate.evaluate_file` (which judges the
gates) → render → emit. The loss-parameter options (``--delta``, ``--quantile``, …)
are not written here: they come from the registry's ``PARAMS``
(:class:`losscli.cli.options.WithLossParams`). numpy, pandas and pyarrow are
imported only when the command runs.
"""

from __future__ import annotations

import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperCommand

from losscli.cli._output import emit, make_console, one_line, warn
from losscli.cli._streams import write_stderr
from losscli.cli.options import (
    InputFormat,
    Output,
    WithLossParams,
    baseline_option,
    choice_option,
    ci_option,
    column_option,
    columns_option,
    correction_option,
    fail_if_option,
    format_option,
    header_names,
    is_number,
    max_groups_option,
    output_file_option,
    output_option,
    precision_option,
    pred_option,
    pvalue_test_option,
    resamples_option,
    seed_option,
    summary_option,
    switch,
    task_option,
    true_option,
    value_option,
)
from losscli.errors import ExitStatus, UsageError


class Engine(StrEnum):
    """``--engine`` of ``evaluate``."""

    local = "local"
    dask = "dask"


class _Progress:
    """A rich progress line on stderr, only when stderr is a terminal and the read
    has taken more than a moment (so short runs and pipelines never see it)."""

    DELAY = 0.5

    def __init__(self, name: str) -> None:
        self.name = name
        self.start = time.monotonic()
        self.enabled = sys.stderr is not None and sys.stderr.isatty()
        self.bar: Any = None
        self.task: Any = None

    def __call__(self, rows: int) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            if time.monotonic() - self.start < self.DELAY:
                return
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self.bar = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}", markup=False),  # (a file name is data)
                TimeElapsedColumn(),
                console=make_console(stderr=True),
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task("", total=None)
        self.bar.update(self.task, description=f"reading {one_line(self.name)}: {rows:,} rows")

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()


class GateOn(StrEnum):
    """``--gate-on``: what a threshold gate judges (see :mod:`losscli.evaluate.gates`)."""

    point = "point"
    ci = "ci"


def _tune_malloc() -> None:
    """This process is ours: let glibc keep the blocks the CSV scanner and numpy
    allocate over and over (fewer page faults, peak RSS unchanged: notes/perf.md).
    Nothing where the scanner is not built."""
    try:
        from losscli import _fastcsv
    except ImportError:
        return
    _fastcsv.tune_malloc()


_DEFAULT_LEVEL = "0.95"


def optional_level(args: list[str]) -> list[str]:
    """``--ci [LEVEL]``: a bare ``--ci`` (not followed by a number) becomes
    ``--ci=0.95``. Typer has no option with an optional value (its ``flag_value`` is
    deprecated and ignored), so the command's :meth:`EvaluateCommand.parse_args`
    rewrites the arguments before click parses them; nothing after ``--`` is touched."""
    out: list[str] = []
    for i, arg in enumerate(args):
        if arg == "--":
            return out + args[i:]
        bare = arg == "--ci" and not (i + 1 < len(args) and is_number(args[i + 1]))
        out.append(f"--ci={_DEFAULT_LEVEL}" if bare else arg)
    return out


class EvaluateCommand(TyperCommand):
    """``evaluate``'s click command: :func:`optional_level` before the parse."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        # (ctx: typer's click Context; Any, not a name from typer's private modules)
        return super().parse_args(ctx, optional_level(args))


def _evaluate(
    file: str = typer.Argument(
        ...,
        metavar="FILE",
        help="Predictions file: CSV, TSV, Parquet, JSON Lines (optionally .gz/.bz2/.xz/.zst), "
        "or - for stdin; a directory or a quoted glob of such files (Hive key=value "
        "directories become columns); an s3:// gs:// az:// https:// hf:// URL.",
    ),
    true: str | None = true_option(),
    pred: list[str] | None = pred_option(
        help="Prediction column, one per model (repeatable); 'PREFIX*' selects one "
        "probability column per class (multiclass).",
    ),
    task: str = task_option(auto=True, help="auto, regression, binary, multiclass."),
    fmt: InputFormat | None = format_option(
        help="Input format when the name does not say: csv, tsv, parquet, jsonl."
    ),
    columns: str | None = columns_option(),
    weight: str | None = column_option("--weight", "-w", help="Sample-weight column."),
    by: str | None = column_option("--by", help="Also report per value of this column."),
    max_groups: int = max_groups_option(),
    dropna: bool = switch("--dropna", help="Drop rows with a missing value (and say how many)."),
    loss: list[str] | None = typer.Option(
        None,
        "--loss",
        "-l",
        metavar="ID",
        help="Loss id or alias (repeatable); default: every applicable one.",
    ),
    renormalize: bool = switch(
        "--renormalize", help="Divide each multiclass probability row by its sum."
    ),
    convention: str = typer.Option(
        "losscli",
        "--convention",
        metavar="NAME",
        help="Whose numbers: losscli (default), sklearn, torch or keras (see the README).",
    ),
    logits: bool = switch(
        "--logits", help="Predictions are raw scores (logits), not probabilities."
    ),
    positive: str | None = value_option(
        "--positive", metavar="LABEL", help="The positive label of a two-label truth (e.g. yes)."
    ),
    filter_text: str | None = value_option(
        "--filter",
        metavar="EXPR",
        help="Only the rows where EXPR holds: COLUMN OP VALUE joined by and/or/not, OP one "
        "of == != < <= > >=, e.g. 'day >= \"2026-11-01\"' (pushed down into Parquet reads).",
    ),
    gate_on: GateOn = choice_option(
        GateOn.point,
        "--gate-on",
        help="What a threshold gate judges: point (the value) or ci (fails only when the "
        "whole --ci interval is past the threshold).",
    ),
    output: Output = output_option(Output),
    output_file: Path | None = output_file_option(),
    precision: int = precision_option(),
    fail_if: list[str] | None = fail_if_option(),
    ci: str | None = ci_option(
        help="A percentile bootstrap interval for every loss at LEVEL (default 0.95), and "
        "paired comparisons of the models with the baseline; the point values stay exact.",
    ),
    resamples: int | None = resamples_option(),
    seed: int | None = seed_option(
        help="With --ci: the seed of the row buckets and resamples (default 12345)."
    ),
    baseline: str | None = baseline_option(
        help="With --ci: the model the others are compared with (default: the first)."
    ),
    test: str | None = pvalue_test_option(
        help="With --ci: the p-value of a comparison, bootstrap (paired bootstrap, default) "
        "or permutation (approximate randomization).",
    ),
    correction: str | None = correction_option(
        help="With --ci: none (default) or holm (Holm's step-down across every comparison)."
    ),
    save_state: Path | None = typer.Option(
        None,
        "--save-state",
        metavar="FILE",
        help="Write the evaluation's mergeable state to FILE instead of the report "
        "(losscli merge reports several).",
    ),
    row_offset: int | None = typer.Option(
        None,
        "--row-offset",
        min=0,
        metavar="N",
        help="The input row of the file's first row in the whole data set: rows in "
        "messages and in a saved state count from it.",
    ),
    engine: Engine = typer.Option(
        Engine.local,
        "--engine",
        help="local (this process) or dask (partitions on a Dask cluster; pip install "
        "'losscli[dask]').",
        case_sensitive=False,
    ),
    scheduler: str | None = typer.Option(
        None,
        "--scheduler",
        metavar="ADDRESS",
        help="With --engine dask: the scheduler's address (default: a local cluster "
        "sized to this machine).",
    ),
    summary: bool = summary_option(),
    **loss_params: Any,
) -> None:
    """Every applicable loss for a predictions file, per model (and per group with --by).

    Exit status: 0 ok, 1 a --fail-if gate failed, 2 usage or input error.
    """
    from losscli.evaluate import LossParams, evaluate_file
    from losscli.evaluate import gates as gate_mod
    from losscli.io import sources

    if gate_on is GateOn.ci and ci is None:  # (before the file is read)
        raise UsageError(gate_mod.GATE_ON_CI_NEEDS_CI)
    params = LossParams(renormalize=renormalize, logits=logits, **loss_params)
    options: dict[str, Any] = dict(
        fmt=fmt.value if fmt is not None else None,
        header=header_names(columns),
        true=true,
        preds=tuple(pred or ()),
        task=task,
        weight=weight,
        by=by,
        losses=tuple(loss) if loss else None,
        params=params,
        positive=positive,
        dropna=dropna,
        convention=convention,
        filter_text=filter_text,
    )
    ci_options: dict[str, Any] = dict(
        ci=None if ci is None else float(ci),
        resamples=resamples,
        seed=seed,
        baseline=baseline,
        test=test,
        correction=correction,
    )
    if scheduler is not None and engine is not Engine.dask:
        raise UsageError("--scheduler goes with --engine dask")
    if save_state is not None:
        _save_state(file, save_state, row_offset, engine, fail_if, options, ci_options)
        return
    if engine is Engine.dask:
        from losscli.evaluate.dask_engine import evaluate_dask

        report = evaluate_dask(
            file,
            scheduler=scheduler,
            fail_if=tuple(fail_if or ()),
            progress=sys.stderr is not None and sys.stderr.isatty(),
            **options,
            **ci_options,
        )
    else:
        progress = _Progress(sources.display_name(file))
        _tune_malloc()
        try:
            report = evaluate_file(
                file,
                progress=progress,
                fail_if=tuple(fail_if or ()),
                gate_on=gate_on.value,
                row_offset=row_offset or 0,
                **options,
                **ci_options,
            )
        finally:
            progress.stop()
    # No gc.collect() here any more: the console script ends with os._exit, so
    # no Arrow object is left to the interpreter's teardown, where Arrow's
    # shutdown race could abort the process (apache/arrow#39862; see
    # losscli.cli.main). The readers close their files and threads themselves.
    show_report(report, output, output_file, precision, max_groups, summary=summary)


def show_report(
    report: Any,
    output: Output,
    output_file: Path | None,
    precision: int,
    max_groups: int,
    *,
    summary: bool = False,
) -> None:
    """Print a report (``evaluate``'s, ``merge``'s): its warnings on stderr, the output
    in its format (``summary``: also appended to $GITHUB_STEP_SUMMARY), the failed gates;
    exit 1 when a gate failed."""
    from losscli.render import evaluate as render

    for message in report.warnings:
        warn(message)

    if summary:
        from losscli.cli._summary import append_summary

        append_summary(render.evaluate_markdown(report, precision, max_groups))
    if output is Output.json:
        emit(render.evaluate_json(report), output_file)
    elif output is Output.csv:
        emit(render.evaluate_csv(report), output_file)
    elif output is Output.markdown:
        emit(render.evaluate_markdown(report, precision, max_groups), output_file)
    else:
        emit(render.evaluate_table(report, precision, max_groups), output_file)

    failed = [g for g in report.gates if g.failed]
    for outcome in failed:
        write_stderr(one_line(render.gate_failure(outcome, precision)))
    if failed:
        raise typer.Exit(int(ExitStatus.GATE_FAILED))


def _save_state(
    file: str,
    path: Path,
    row_offset: int | None,
    engine: Engine,
    fail_if: list[str] | None,
    options: dict[str, Any],
    ci_options: dict[str, Any],
) -> None:
    """``--save-state``: the state written atomically, no report (the gates are the
    merge's: ``losscli merge STATES --fail-if ...``; with ``--ci``, the bootstrap's
    bucket sums of ``--seed``, the analysis is ``merge --ci``'s)."""
    from losscli.atomic import write_atomic
    from losscli.evaluate import state_codec
    from losscli.evaluate.state import state_of_file

    if fail_if:
        raise UsageError("--fail-if is judged by 'losscli merge', not with --save-state")
    if engine is not Engine.local:
        raise UsageError("--save-state runs on the local engine (--engine local)")
    later = [f"--{k}" for k in ("resamples", "baseline", "test", "correction") if ci_options[k]]
    if later:
        raise UsageError(f"{', '.join(later)} go to 'losscli merge --ci', not with --save-state")
    seed = {"ci": ci_options["ci"], "seed": ci_options["seed"]}
    _tune_malloc()
    text = state_codec.dumps(state_of_file(file, row_offset=row_offset, **options, **seed))
    write_atomic(path, lambda fh: fh.write(text))


#: the command: ``_evaluate``'s options, and after ``--loss`` one per loss parameter
#: of the registry (``--delta``, ``--quantile``, …: :class:`losscli.cli.options.WithLossParams`)
evaluate_command = WithLossParams(_evaluate, after="loss")
