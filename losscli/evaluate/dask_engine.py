"""``evaluate --engine dask``: each partition's state on a Dask cluster, reduced as a tree.

The cluster does what the local engine does to one file, once per partition, and the
states (:mod:`losscli.evaluate.state`, in memory: plain dicts and numpy arrays, pickled
by Dask between processes) merge exactly (:mod:`losscli.evaluate.merging`), so the
report is the local engine's on the same rows, up to the order of floating-point sums:

* **partitions**: the input's files in a stable sorted order (a directory
  recursively, a glob, or one file): :func:`partitions`, the dataset listing of
  :mod:`losscli.io.dataset`; a Hive dataset's keys are columns of each partition,
  typed as the local engine types them (the listing decides it, the workers read
  :func:`losscli.io.dataset.part_input`). Parquet files (without ``--filter``) are placed
  from their footers (:func:`placed`): each partition knows its first row's input
  row, and a file larger than the balanced share of a worker is cut into runs of row
  groups (:func:`split_row_groups`, read on the worker as one Arrow table and
  evaluated as a frame), so one large file keeps every worker busy. A CSV or JSON
  Lines file is a whole partition (a byte range would need a reader of part of a
  file); with ``--ci`` its rows are counted on the cluster first, because a row's
  bootstrap bucket is a function of its input row number;
* **the tree**: ``dask.delayed`` leaves (one state per partition; positions absolute
  when the offsets are known, else relative to the partition's first row), reduced
  ``split_every`` states at a time by
  :meth:`~losscli.evaluate.merging.Merger.merge_all`, which keeps their order: rows in
  messages are counted across the partitions in order, as if the files were one. The
  driver receives one state and :func:`~losscli.evaluate.state.finish` writes the
  report (with ``--ci``, the intervals from the merged bucket sums:
  :mod:`losscli.evaluate.bucket_state`); the driver's memory holds one state, never a
  partition's rows;
* **the cluster**: ``--scheduler ADDRESS`` (an existing scheduler), else a
  ``distributed.LocalCluster`` of worker processes sized to the machine (its defaults),
  without a dashboard, closed at the end.

dask and distributed are an extra (``pip install 'losscli[dask]'``): they are imported
only here, inside functions, so the local engine never loads them. A missing extra, an
unreachable scheduler or a worker that dies are one :class:`~losscli.errors.InputError`
line each; an error in a partition (a bad value) is the local engine's error for that
file. Nothing is written unless the whole run succeeds (the CLI emits at the end).
"""

from __future__ import annotations

import contextlib
import dataclasses
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from losscli.errors import InputError, LossCliError, UsageError

#: states merged per node of the reduce tree
SPLIT_EVERY = 8
#: the ``--ci`` options (the leaves need the seed; the rest is the report's)
_CI_OPTIONS = ("ci", "resamples", "seed", "baseline", "test", "correction")


#: a Parquet file is cut into runs of row groups of about this many rows at most
MAX_PART_ROWS = 4 << 20
#: and into at least this many partitions per worker when the rows allow it
PARTS_PER_WORKER = 2


@dataclass(frozen=True)
class Partition:
    """One partition: ``name`` as messages show it, ``location`` as the readers take it;
    ``row_groups``: the row groups of a Parquet file it reads (``None``: the whole
    file); ``offset``: the input row of its first row in the whole (``None``: rows
    counted across the partitions in order, positions relative); ``keys``: its Hive
    partition keys, columns of its rows as in the local engine."""

    name: str
    location: str
    fmt: str | None
    row_groups: tuple[int, ...] | None = None
    offset: int | None = None
    #: a Hive dataset's keys, this file's values of them (typed by the whole dataset,
    #: :class:`losscli.io.listing.Part`) and the dataset's root
    keys: tuple[str, ...] = ()
    values: tuple[tuple[str, str | int | None], ...] = ()
    kinds: tuple[tuple[str, str], ...] = ()
    root: str = ""


def evaluate_dask(
    source: str,
    *,
    scheduler: str | None = None,
    fail_if: Sequence[str] = (),
    progress: bool = False,
    split_every: int = SPLIT_EVERY,
    **options: Any,
) -> Any:
    """The report of ``source`` (a file, directory or glob) evaluated partition by
    partition on a Dask cluster (``options``: those of
    :func:`~losscli.evaluate.evaluate_file`; ``progress``: distributed's progress bar
    on stderr)."""
    from losscli.evaluate import gates as gate_mod
    from losscli.evaluate.api import ci_settings
    from losscli.evaluate.state import finish
    from losscli.io import sources

    gates = gate_mod.parse_gates(fail_if)
    ci = {k: options.pop(k, None) for k in _CI_OPTIONS}
    boot = ci_settings(**ci)
    name = sources.display_name(source)
    parts = partitions(source, options.get("fmt"), options.get("filter_text"))
    dask, distributed = _imports()
    with _client(distributed, scheduler) as client:
        workers = max(1, len(client.nthreads()))
        parts = placed(client, dask, parts, options, ci=boot is not None, workers=workers)
        leaf = options | ({"ci": ci["ci"], "seed": ci["seed"]} if boot is not None else {})
        tree = reduce_tree(dask, parts, leaf, split_every)
        future = client.compute(tree)
        try:
            if progress:
                with contextlib.redirect_stdout(sys.stderr):
                    distributed.progress(future, notebook=False, multi=False)
            state = future.result()
        except LossCliError:
            raise
        except Exception as exc:  # (distributed's errors: a dead worker, a lost scheduler)
            raise _cluster_error(exc) from None
    if state is None:  # (every partition empty, or its rows left out by --filter)
        raise _no_rows(source, name, options)
    return finish(state, name, gates, ci=boot, baseline=ci["baseline"])


def _no_rows(source: str, name: str, options: dict[str, Any]) -> InputError:
    """The local engine's error for a dataset without a data row: its files' headers
    read on the driver (each of them 0 bytes or a header only), else --filter's."""
    from losscli.io.dataset import DatasetInput, open_input

    filter_text = options.get("filter_text")
    inp = open_input(
        source, fmt=options.get("fmt"), filter_text=filter_text, header=options.get("header")
    )
    if isinstance(inp, DatasetInput):
        inp.file_columns()  # (raises NoDataRows when every file is so)
    return InputError(f"{name}: no data rows match --filter {filter_text!r}")


def reduce_tree(dask: Any, parts: Sequence[Partition], options: dict[str, Any], k: int) -> Any:
    """The delayed state of every partition's rows: leaves of one partition each,
    nodes of ``k`` consecutive states (so the order of the partitions is kept)."""
    level = [dask.delayed(part_state, pure=True)(p, options) for p in parts]
    while len(level) > 1:
        level = [
            dask.delayed(merge_group, pure=True)(level[i : i + k]) for i in range(0, len(level), k)
        ]
    return level[0]


def part_state(part: Partition, options: dict[str, Any]) -> dict[str, Any] | None:
    """One partition's state (on a worker): the local engine on its file, or on its
    row groups (read as one Arrow table, then the engine on the frame); ``None``: a
    file of a dataset whose rows ``--filter`` all left out (as in the local engine,
    only a dataset without rows is an error)."""
    from losscli.evaluate.state import state_of_file, state_of_frame
    from losscli.io.dataset import NoDataRows

    opts = options | {"fmt": part.fmt or options.get("fmt")}
    if part.row_groups is None:
        try:
            state = state_of_file(_source(part, opts), row_offset=part.offset, **opts)
        except NoDataRows:
            return None
    else:
        state = state_of_frame(
            _row_groups(part), row_offset=part.offset, source=part.name, **_frame_options(opts)
        )
    state["file"] = part.name
    return state


def _part(part: Partition) -> Any:
    from losscli.io.listing import Part

    return Part(part.name, part.location, part.fmt or "", None, part.values)


def _source(part: Partition, options: dict[str, Any]) -> Any:
    """What the local engine reads for a whole-file partition: its path (one file),
    or the file as a part of its dataset (its keys as columns, a header-only CSV a
    part of no rows; ``filter_text`` moves into the input)."""
    if not part.root and options.get("filter_text") is None:
        return part.location
    from losscli.io.dataset import part_input

    filter_text = options.pop("filter_text", None)
    return part_input(
        _part(part),
        root=part.root,
        keys=part.keys,
        kinds=dict(part.kinds),
        filter_text=filter_text,
        header=options.get("header"),
    )


def _row_groups(part: Partition) -> Any:
    """A run of row groups as a frame, with the Hive keys as constant columns of the
    local engine's types (a number key: float64, as the dataset reader gives it, a
    null key NaN; a key the file holds as a column: the file's column)."""
    import numpy as np

    from losscli.io import parquet
    from losscli.io.sources import resolve

    assert part.row_groups is not None
    pf = parquet.open_file(resolve(part.location, "parquet"))
    try:
        table = pf.read_row_groups(list(part.row_groups), use_threads=False)
    finally:
        pf.close()
    df = table.to_pandas()
    kinds = dict(part.kinds)
    for key, value in part.values:
        if key in df.columns:
            continue
        if kinds.get(key) == "number":
            df[key] = np.full(len(df), np.nan if value is None else value, dtype=np.float64)
        else:
            df[key] = np.full(len(df), value, dtype=object)
    return df


def _frame_options(options: dict[str, Any]) -> dict[str, Any]:
    """:func:`~losscli.evaluate.evaluate_file`'s options as
    :func:`~losscli.evaluate.evaluate_frame` takes them (loss parameters by keyword)."""
    from losscli.losses import registry

    out = {k: v for k, v in options.items() if k not in ("fmt", "filter_text", "params", "header")}
    params = options.get("params")
    if params is not None:
        keyword = {p.name: kw for kw, p in registry.cli_params().items()}
        out |= {keyword[name]: value for name, value in params.given.items()}
        out |= {"renormalize": params.renormalize, "logits": params.logits}
    return out


def part_rows(part: Partition, options: dict[str, Any]) -> int:
    """The input rows of a partition (on a worker; CSV and JSON Lines are read; a
    part of no rows: 0)."""
    from losscli.io.dataset import NoDataRows, open_input

    source = _source(part, dict(options))
    inp = (
        open_input(source, fmt=part.fmt, header=options.get("header"))
        if isinstance(source, str)
        else source
    )
    rows = 0
    try:
        for offset, arrays in inp.iter_arrays(columns=inp.columns()[:1]):
            rows = offset + len(next(iter(arrays.values())))
    except NoDataRows:
        return 0
    return rows


def placed(
    client: Any,
    dask: Any,
    parts: Sequence[Partition],
    options: dict[str, Any],
    *,
    ci: bool,
    workers: int,
) -> list[Partition]:
    """The partitions with their input offsets: Parquet files (without ``--filter``)
    from their footers, cut into runs of row groups of balanced rows
    (:func:`split_row_groups`); otherwise, with ``--ci`` (bucket ids are global row
    numbers), each file's rows counted on the cluster first."""
    import numpy as np

    if options.get("filter_text") is None and all(p.fmt == "parquet" for p in parts):
        return split_row_groups(parts, [_group_rows(p) for p in parts], workers)
    if not ci:
        return list(parts)
    counts = client.gather(
        client.compute([dask.delayed(part_rows, pure=True)(p, options) for p in parts])
    )
    starts = np.cumsum([0, *counts[:-1]])
    return [dataclasses.replace(p, offset=int(o)) for p, o in zip(parts, starts, strict=True)]


def _group_rows(part: Partition) -> list[int]:
    from losscli.io import parquet
    from losscli.io.sources import resolve

    pf = parquet.open_file(resolve(part.location, "parquet"))
    try:
        meta = pf.metadata
        return [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    finally:
        pf.close()


def split_row_groups(
    parts: Sequence[Partition], sizes: Sequence[Sequence[int]], workers: int
) -> list[Partition]:
    """Parquet partitions cut into runs of consecutive row groups of at most
    ``target`` rows (a run holds one row group at least), with their input offsets:
    ``target`` = min(:data:`MAX_PART_ROWS`, ⌈rows / (:data:`PARTS_PER_WORKER` ·
    workers)⌉), so a single large file keeps every worker busy. A file no larger
    than ``target`` stays whole."""
    total = sum(sum(s) for s in sizes)
    target = max(1, min(MAX_PART_ROWS, -(-total // (PARTS_PER_WORKER * workers))))
    out: list[Partition] = []
    start = 0
    for part, rows in zip(parts, sizes, strict=True):
        if sum(rows) <= target or len(rows) < 2:
            out.append(dataclasses.replace(part, offset=start))
            start += sum(rows)
            continue
        run: list[int] = []
        held = 0
        for i, n in enumerate(rows):
            if run and held + n > target:
                out.append(dataclasses.replace(part, row_groups=tuple(run), offset=start))
                start, run, held = start + held, [], 0
            run.append(i)
            held += n
        out.append(dataclasses.replace(part, row_groups=tuple(run), offset=start))
        start += held
    return out


def merge_group(found: list[dict[str, Any] | None]) -> dict[str, Any] | None:
    """A node of the tree: consecutive states merged (checked to merge: the first
    partition that decided another task, say, is named); ``None``: no rows below."""
    from losscli.evaluate.merging import Merger
    from losscli.evaluate.state import check_mergeable

    states = [s for s in found if s is not None]
    if not states:
        return None
    check_mergeable(states, [s["file"] for s in states])
    return Merger(states[0]).merge_all(states)


# --------------------------------------------------------------------------- partitions


def partitions(
    source: str, fmt: str | None = None, filter_text: str | None = None
) -> list[Partition]:
    """The partitions of ``source``: :mod:`losscli.io.listing`'s listing (a dataset's
    files with their Hive keys, those ``--filter`` rules out by their keys left out)."""
    from losscli.io import dataset

    if dataset.is_dataset(source):
        ds, kinds = dataset.kept_dataset(source, fmt=fmt, filter_text=filter_text)
        if not ds.parts:
            raise InputError(f"{ds.name}: no data rows match --filter {filter_text!r}")
        return [
            Partition(
                p.name,
                p.location,
                p.fmt,
                keys=ds.keys,
                values=p.partition,
                kinds=tuple(kinds.items()),
                root=ds.root,
            )
            for p in ds.parts
        ]
    return [
        Partition(p.name, p.location, p.fmt)
        for p in dataset.list_parts(source, fmt=fmt, count_rows=False)
    ]


# --------------------------------------------------------------------------- cluster


def _imports() -> tuple[Any, Any]:
    try:
        import dask
        import distributed
    except ImportError:
        raise UsageError(
            "--engine dask needs dask and distributed: pip install 'losscli[dask]'"
        ) from None
    return dask, distributed


@contextlib.contextmanager
def _client(distributed: Any, scheduler: str | None) -> Iterator[Any]:
    """A client of ``scheduler``, or of a LocalCluster sized to the machine (worker
    processes, no dashboard, quiet logs) that lives as long as the run."""
    import logging

    if scheduler is not None:
        try:
            client = distributed.Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise InputError(f"--scheduler {scheduler}: cannot connect ({exc})") from None
        with client:
            yield client
        return
    with (
        distributed.LocalCluster(
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
            # the scheduler serves its HTTP routes (health, metrics) even without a
            # dashboard, on 8787 by default: a free port, so a second run or another
            # cluster on the machine does not make it warn
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def _cluster_error(exc: BaseException) -> InputError:
    """One line for what the cluster did to the run (the run wrote nothing)."""
    name = type(exc).__name__
    if name == "KilledWorker":
        return InputError(
            "--engine dask: a worker died while evaluating a partition (KilledWorker); "
            "nothing was written"
        )
    detail = " ".join(str(exc).split()) or name
    return InputError(f"--engine dask: the run failed ({name}: {detail}); nothing was written")
