"""The two entry points of an evaluation: a file (streamed) or a DataFrame (in memory).

* :func:`evaluate_file` streams a file chunk by chunk (``losscli.io.tables.iter_arrays``:
  Arrow batches of only the needed columns, numeric columns straight to float64
  numpy), so memory stays flat whatever the file size; no DataFrame is built;
* :func:`evaluate_frame` runs on a pandas DataFrame already in memory
  (``losscli.evaluate_frame``), returning the same :class:`EvaluationReport`.

Both find the layout (which column is the truth, which are predictions), check the
options that do not need data, decide the task on the first chunk (``--task auto``:
:func:`losscli.evaluate.plan.decide_task`; a later chunk that contradicts the guess is
an error that suggests ``--task``), run one :class:`~losscli.evaluate.engine.Engine`
over the chunks and judge the ``--fail-if`` gates on the report it returns.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from losscli.errors import InputError, UsageError
from losscli.evaluate import gates as gate_mod
from losscli.evaluate import signature
from losscli.evaluate.engine import DEFAULT_CHUNK_ROWS, Engine
from losscli.evaluate.plan import (
    LossParams,
    Setting,
    check_options,
    decide_task,
    label_task,
    resolve_task,
)
from losscli.evaluate.report import EvaluationReport

if TYPE_CHECKING:
    import pandas as pd

    from losscli.detect import Layout
    from losscli.io.dataset import DatasetInput, FileInput
    from losscli.uncertainty.analysis import Settings

    Input = FileInput | DatasetInput

Chunks = Iterator[tuple[int, Mapping[str, Any]]]
#: what a run ends with instead of the report: (engine, input rows read) → answer
Sink = Callable[[Engine, int], Any]


@dataclass(frozen=True)
class _Options:
    """What both entry points pass on to the run, checked where it can be."""

    task: str
    weight: str | None
    by: str | None
    losses: Sequence[str] | None
    params: LossParams
    positive: str | None
    dropna: bool
    gates: list[gate_mod.Gate]
    #: ``--ci``: the bootstrap's settings (``None``: no intervals) and ``--baseline``
    ci: Settings | None = None
    baseline: str | None = None
    #: ``--convention``: whose numbers (losscli.losses.conventions)
    convention: str = "losscli"
    #: ``--row-offset``: the input row of the first row (a shard's place in the whole)
    row_offset: int = 0
    #: ``--gate-on``: threshold gates judged on the ``point`` value or the ``ci``
    gate_on: str = "point"


def ci_settings(
    ci: float | bool | None,
    *,
    resamples: int | None = None,
    seed: int | None = None,
    baseline: str | None = None,
    test: str | None = None,
    correction: str | None = None,
) -> Settings | None:
    """The bootstrap's settings of ``ci=LEVEL`` (``True``: 0.95), checked before any
    data is read and before numpy loads; the other options need ``ci``."""
    from losscli.uncertainty import options

    if ci is None or ci is False:
        given = [
            flag
            for flag, value in (
                ("--resamples", resamples),
                ("--seed", seed),
                ("--baseline", baseline),
                ("--test", test),
                ("--correction", correction),
            )
            if value is not None
        ]
        if given:
            raise UsageError(f"{', '.join(given)} needs --ci (intervals are off without it)")
        return None
    level = options.DEFAULT_LEVEL if ci is True else float(ci)
    b = options.DEFAULT_RESAMPLES if resamples is None else int(resamples)
    found = options.problem(level, b, test or "bootstrap", correction or "none")
    if found is not None:
        raise UsageError(found)
    from losscli.uncertainty.analysis import Settings

    return Settings(
        level=level,
        resamples=b,
        seed=options.DEFAULT_SEED if seed is None else int(seed),
        test=test or "bootstrap",  # type: ignore[arg-type]
        correction=correction or "none",  # type: ignore[arg-type]
    )


def _layout(
    name: str,
    columns: Sequence[str],
    true: str | None,
    preds: Sequence[str],
    opts: _Options,
    kinds: Callable[[Sequence[str]], dict[str, str]],
) -> tuple[Layout, list[str]]:
    """The layout of the columns and the columns the run reads, in order."""
    from losscli.detect import detect_layout

    weight, by = opts.weight, opts.by
    layout = detect_layout(
        columns,
        true=true,
        preds=preds,
        source=name,
        exclude=[c for c in (weight, by) if c],
        kinds=kinds,
    )
    for col, flag in ((weight, "--weight"), (by, "--by")):
        if col is not None and col not in columns:
            raise InputError(
                f"column {col!r} ({flag}) not found in {name}; columns are: {', '.join(columns)}"
            )
        if col is not None and col in layout.pred_columns:
            raise UsageError(f"column {col!r} cannot be both {flag} and a prediction")
    if opts.baseline is not None:
        from losscli.evaluate.intervals import baseline_of

        models = [m.name for m in layout.models]
        baseline_of(opts.baseline, models, {m.name: list(m.columns) for m in layout.models})
    if weight is not None and weight == layout.target:
        raise UsageError(f"column {weight!r} cannot be both --weight and the truth")
    needed = [layout.target, *layout.pred_columns]
    for col in (weight, by):
        if col is not None and col not in needed:
            needed.append(col)
    return layout, needed


def _close(chunks: Any) -> None:
    """Close a reader left suspended (its files, its threads), if it can be closed."""
    close = getattr(chunks, "close", None)
    if close is not None:
        close()


def _run(
    chunks: Chunks,
    *,
    name: str,
    layout: Layout,
    opts: _Options,
    progress: Callable[[int], None] | None = None,
    sink: Sink | None = None,
) -> Any:
    """The engine over every chunk, then the report (gates judged), or ``sink``'s
    answer: ``sink(engine, input rows read)`` (``--save-state``: the state, no report)."""
    task_choice = resolve_task(opts.task, opts.positive)
    counted = _Counted(chunks, opts.row_offset)
    try:
        engine = _consume(iter(counted), layout, task_choice, name, opts, progress)
    finally:
        _close(chunks)  # an error mid-file leaves the reader suspended
    if engine is None:
        raise InputError(f"{name} has a header but no data rows")
    if sink is not None:
        return sink(engine, counted.rows)
    report = judge(engine.finish(), opts.gates, opts.gate_on)
    return signature.signed(report, dropna=opts.dropna)  # (last: after every field is set)


def judge(
    report: EvaluationReport, gates: Sequence[gate_mod.Gate], gate_on: str = "point"
) -> EvaluationReport:
    """``report`` with its ``--fail-if`` gates judged (threshold gates on the point
    values or, ``gate_on="ci"``, on the intervals)."""
    if not gates:
        return report
    return dataclasses.replace(report, gates=gate_mod.judge_report(gates, report, gate_on))


class _Counted:
    """The chunks with their offsets moved by ``--row-offset``, counting the input rows
    read (a saved state records them: :mod:`losscli.evaluate.state`)."""

    def __init__(self, chunks: Chunks, row_offset: int) -> None:
        self.chunks, self.row_offset, self.rows = chunks, row_offset, 0

    def __iter__(self) -> Chunks:
        for offset, columns in self.chunks:
            first = next(iter(columns.values()), ())
            self.rows = max(self.rows, offset + len(first))
            yield offset + self.row_offset, columns


def _engine(
    layout: Layout, task_choice: str | None, name: str, opts: _Options, first: Mapping[str, Any]
) -> Engine:
    """The engine of a run, once the first chunk has decided the input's shape."""
    from losscli.labels import plan_input

    d = plan_input(layout, task_choice, opts.positive, first, name, opts.losses)
    if d.labels:
        decided = d.task or label_task(d.layout, first)
    else:
        decided = decide_task(d.layout, d.task, d.positive, first, name, logits=opts.params.logits)
    setting = Setting(
        name=name,
        layout=d.layout,
        task=decided,
        auto=task_choice is None,
        weight=opts.weight,
        by=opts.by,
        losses=tuple(opts.losses or ()),
        params=opts.params,
        positive=d.positive,
        dropna=opts.dropna,
        decision=d,
        convention=opts.convention,
    )
    return Engine(setting, ci=opts.ci, baseline=opts.baseline)


def _consume(
    chunks: Chunks,
    layout: Layout,
    task_choice: str | None,
    name: str,
    opts: _Options,
    progress: Callable[[int], None] | None,
) -> Engine | None:
    engine: Engine | None = None
    read = 0
    for offset, columns in chunks:
        if engine is None:
            engine = _engine(layout, task_choice, name, opts, columns)
        engine.feed(offset, columns)
        if progress is not None:
            first = next(iter(columns.values()))
            read += len(first)
            progress(read)
    return engine


def evaluate_file(
    source: str | Input,
    *,
    fmt: str | None = None,
    true: str | None = None,
    preds: Sequence[str] = (),
    task: str = "auto",
    weight: str | None = None,
    by: str | None = None,
    losses: Sequence[str] | None = None,
    params: LossParams | None = None,
    positive: str | None = None,
    dropna: bool = False,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: Callable[[int], None] | None = None,
    fail_if: Sequence[str] = (),
    gate_on: str = "point",
    ci: float | bool | None = None,
    resamples: int | None = None,
    seed: int | None = None,
    baseline: str | None = None,
    test: str | None = None,
    correction: str | None = None,
    convention: str = "losscli",
    filter_text: str | None = None,
    row_offset: int = 0,
    sink: Sink | None = None,
    header: Sequence[str] | None = None,
) -> EvaluationReport:
    """Evaluate a file (or ``-`` for stdin), a dataset (a directory, a glob, a
    store's URL: :mod:`losscli.io.dataset`) or one object of a store, streaming it
    chunk by chunk.

    ``fail_if``: ``--fail-if`` expressions (:mod:`losscli.evaluate.gates`), parsed
    before the file is opened and judged on the report (``report.gates``);
    ``gate_on``: threshold gates judged on the ``"point"`` value (default) or, with
    ``ci``, on the ``"ci"`` (``rmse>1.2`` fails only when the whole interval is above).

    ``ci=LEVEL`` (``True``: 0.95): a percentile bootstrap interval for every result
    (``Result.ci_low`` / ``ci_high``) from ``resamples`` (default 1000) Poisson
    resamples of hashed row buckets with ``seed`` (default 12345), in the same pass;
    with two or more models, paired comparisons against ``baseline`` (default: the
    first model) in ``report.comparisons``, p-values by ``test`` ("bootstrap" or
    "permutation"), ``correction="holm"`` across every compared cell.
    ``convention``: whose numbers, ``losscli`` (default), ``sklearn``, ``torch`` or
    ``keras`` (:mod:`losscli.losses.conventions`).
    ``filter_text``: ``--filter`` (:mod:`losscli.io.filter`): only the rows it keeps.
    ``header``: ``--columns``, the names of a CSV/TSV without a header line (every
    file of a dataset); not part of a saved state's options: the layout it leads to
    (the truth, prediction, weight and group columns by name) is, so states whose
    names pick other columns do not merge, and a headerless shard merges with one
    that had the same names in its header.
    ``row_offset``: the input row of the file's first row (rows in messages count
    from it). ``source`` may be an input already opened (one file of a dataset with
    its keys: :func:`losscli.io.dataset.part_input`). ``sink``
    (:mod:`losscli.evaluate.state`): the run returns ``sink(engine, rows read)``
    instead of the report."""
    boot = ci_settings(
        ci, resamples=resamples, seed=seed, baseline=baseline, test=test, correction=correction
    )
    from losscli.losses.convention_names import check_convention

    gates = gate_mod.parse_gates(fail_if)
    opts = _Options(
        task,
        weight,
        by,
        losses,
        params or LossParams(),
        positive,
        dropna,
        gates,
        boot,
        baseline,
        convention=check_convention(convention, (params or LossParams()).given.get("eps")),
        row_offset=row_offset,
        gate_on=gate_mod.check_gate_on(gate_on, gates, has_ci=boot is not None),
    )
    resolve_task(task, positive)
    check_options(losses, opts.params)
    inp = _open_input(source, fmt, filter_text, header)
    name = inp.name
    columns = inp.columns()
    layout, needed = _layout(name, columns, true, preds, opts, lambda cols: _file_kinds(inp, cols))
    chunks = inp.iter_arrays(
        columns=needed,
        column_types=_column_types(inp, layout, needed, opts),
        chunk_rows=chunk_rows,
        # per-group work has a fixed cost per (chunk, group): fewer, larger chunks
        coalesce=by is not None,
    )
    try:
        out = _run(chunks, name=name, layout=layout, opts=opts, progress=progress, sink=sink)
    except InputError as exc:
        raise inp.located(exc) from None
    if sink is not None:
        return out
    return renumbered(out, inp)


class _Renumbers(Protocol):
    """What words a run's rows as its input's: an input, or ``--engine dask``'s
    :class:`~losscli.io.dataset.RowMap`."""

    def renumbered(self, texts: Sequence[str]) -> list[str]: ...


def renumbered(report: EvaluationReport, inp: _Renumbers) -> EvaluationReport:
    """``report`` with the rows its texts name as the input's rows (``--filter``: the
    engine counted the rows kept)."""
    reasons = inp.renumbered([s.reason for s in report.skipped])
    warnings = inp.renumbered(report.warnings)
    if reasons == [s.reason for s in report.skipped] and warnings == report.warnings:
        return report
    skipped = [
        dataclasses.replace(s, reason=r) for s, r in zip(report.skipped, reasons, strict=True)
    ]
    return dataclasses.replace(report, skipped=skipped, warnings=warnings)


def _open_input(
    source: str | Input,
    fmt: str | None,
    filter_text: str | None,
    header: Sequence[str] | None = None,
) -> Input:
    """What ``source`` names: one file (read as before), a dataset, a store's URL;
    ``filter_text`` parsed before anything is read (an opened input: itself)."""
    from losscli.io.dataset import open_input

    if not isinstance(source, str):
        return source
    return open_input(source, fmt=fmt, filter_text=filter_text, header=header)


def _column_types(inp: Input, layout: Layout, needed: list[str], opts: _Options) -> dict[str, str]:
    """How the reader hands each column over: float64, string or dictionary."""
    sniffed = inp.sniff_types(needed)
    types: dict[str, str] = {
        c: "string" if sniffed.get(c) == "text" else "float64" for c in layout.pred_columns
    }
    if opts.weight is not None:
        types[opts.weight] = "float64"
    kind = sniffed.get(layout.target)
    if kind == "number" and opts.positive is None:
        types[layout.target] = "float64"
    elif kind in ("text", "empty") or (kind == "number" and opts.positive is not None):
        types[layout.target] = "string"
    if opts.by is not None and sniffed.get(opts.by) == "text":
        # factorised by the CSV parser threads, not by dictionary_encode on the main thread
        types[opts.by] = "dictionary"
    return types


def _row_key(values: Any) -> bool:
    """Whether numbers look like a row key: distinct integers forming a range (an
    index left in by ``to_csv``, a running id), not a prediction."""
    import numpy as np

    arr = np.asarray(values, dtype=np.float64)
    if arr.size < 10 or not np.isfinite(arr).all() or (arr != np.floor(arr)).any():
        return False
    return bool(np.unique(arr).size == arr.size and arr.max() - arr.min() + 1 == arr.size)


def _file_kinds(inp: Input, cols: Sequence[str]) -> dict[str, str]:
    """``detect_layout``'s ``kinds``: the sniffed kinds, ``"id"`` for row keys."""
    from losscli.io.codes import to_numpy_sample

    kinds = inp.sniff_types(list(cols))
    numeric = [c for c in cols if kinds.get(c) == "number"]
    if len(numeric) > 1:
        chunks = inp.iter_arrays(
            columns=numeric,
            column_types=dict.fromkeys(numeric, "float64"),
            chunk_rows=65536,
        )
        try:
            _, first = next(iter(chunks))
        except StopIteration:
            return kinds
        finally:
            _close(chunks)
        for c in numeric:
            if _row_key(to_numpy_sample(first[c])):
                kinds[c] = "id"
    return kinds


def _frame_kinds(frame: pd.DataFrame, cols: Sequence[str]) -> dict[str, str]:
    import pandas as pd

    out: dict[str, str] = {}
    for c in cols:
        series = frame[c]
        if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(
            series.dtype
        ):
            out[c] = "id" if _row_key(series.to_numpy()) else "number"
        else:
            out[c] = "text"
    return out


def _frame_column(series: pd.Series) -> Any:
    import numpy as np
    import pandas as pd

    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    if pd.api.types.is_numeric_dtype(dtype):
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    return series.astype(object).where(series.notna(), None).to_numpy(dtype=object)


def evaluate_frame(
    df: pd.DataFrame,
    *,
    true: str | None = None,
    preds: Sequence[str] = (),
    task: str = "auto",
    weight: str | None = None,
    by: str | None = None,
    losses: Sequence[str] | None = None,
    renormalize: bool = False,
    logits: bool = False,
    positive: str | None = None,
    dropna: bool = False,
    source: str = "<frame>",
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    fail_if: Sequence[str] = (),
    gate_on: str = "point",
    ci: float | bool | None = None,
    resamples: int | None = None,
    seed: int | None = None,
    baseline: str | None = None,
    test: str | None = None,
    correction: str | None = None,
    convention: str = "losscli",
    row_offset: int = 0,
    sink: Sink | None = None,
    **params: Any,
) -> EvaluationReport:
    """Evaluate an in-memory DataFrame; the same engine and report as the CLI
    (``fail_if``, ``gate_on``, ``ci``, ``resamples``, ``seed``, ``baseline``,
    ``test``, ``correction``: as :func:`evaluate_file`; ``convention``,
    ``row_offset``, ``sink`` too).

    ``params``: the loss parameters by their keywords in :class:`LossParams`
    (``delta=1.5``, ``quantiles=[0.1, 0.9]``, …: one per ``evaluate`` option of
    :func:`losscli.losses.registry.cli_params`, those registered at run time included).

    >>> import pandas as pd, losscli
    >>> df = pd.DataFrame({"y_true": [3, -0.5, 2, 7], "y_pred": [2.5, 0.0, 2, 8]})
    >>> losscli.evaluate_frame(df, losses=["mse"]).value("y_pred", "mse")
    0.375
    """
    from losscli.io.tables import check_duplicates

    gates = gate_mod.parse_gates(fail_if)
    columns = [str(c) for c in df.columns]
    check_duplicates(columns, source)
    if len(df) == 0:
        raise InputError(f"{source} has no rows")
    loss_params = LossParams(renormalize=renormalize, logits=logits, **params)
    boot = ci_settings(
        ci, resamples=resamples, seed=seed, baseline=baseline, test=test, correction=correction
    )
    from losscli.losses.convention_names import check_convention

    conv = check_convention(convention, loss_params.given.get("eps"))
    opts = _Options(
        task,
        weight,
        by,
        losses,
        loss_params,
        positive,
        dropna,
        gates,
        boot,
        baseline,
        convention=conv,
        row_offset=row_offset,
        gate_on=gate_mod.check_gate_on(gate_on, gates, has_ci=boot is not None),
    )
    resolve_task(task, positive)
    frame = df.set_axis(columns, axis=1)
    layout, needed = _layout(
        source, columns, true, preds, opts, lambda cols: _frame_kinds(frame, cols)
    )

    def chunks() -> Chunks:
        step = max(1, int(chunk_rows))
        for start in range(0, len(frame), step):
            part = frame.iloc[start : start + step]
            yield start, {c: _frame_column(part[c]) for c in needed}

    return _run(chunks(), name=source, layout=layout, opts=opts, sink=sink)
