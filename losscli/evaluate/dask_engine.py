"""``evaluate --engine dask``: each partition's state on a Dask cluster, reduced as a tree.

The cluster does what the local engine does to one file, once per partition, and the
states (:mod:`losscli.evaluate.state`, in memory: plain dicts and numpy arrays, pickled
by Dask between processes) merge exactly (:mod:`losscli.evaluate.merging`), so the
report is the local engine's on the same rows, up to the order of floating-point sums:

* **partitions** (:mod:`losscli.evaluate.dask_plan`): the input's files in a stable
  sorted order, a Hive dataset's keys columns of each partition (the workers read
  :func:`losscli.io.dataset.part_input`); a large Parquet file cut into runs of row
  groups (read on the worker as one Arrow table and evaluated as a frame), small
  files combined into partitions read as one input. Parquet partitions (without
  ``--filter``) are placed from their footers (:func:`placed`): each knows its
  first row's input row; a CSV or JSON Lines file is read whole by one task (a
  byte range would need a reader of part of a file), and with ``--ci`` the rows of
  each partition are counted on the cluster first, because a row's bootstrap
  bucket is a function of its input row number;
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

* **rows in messages** are the local engine's words for them: each leaf returns, with
  its state, what it read (:class:`Read`: its rows, those ``--filter`` kept, and its
  column types), so the driver maps a counted row to its file's row with the local
  engine's :class:`~losscli.io.dataset.RowMap` (skip reasons, warnings, a loss asked
  that the rows rule out). An error in a partition is the first in the order of the
  rows (the leaves run again until the first that fails: the cluster reports the
  first to fail in time); an engine error about a dataset file's row is worded as
  the local dataset words it by running that file again named as the dataset after
  the rows of the files before it (:func:`first_error`): the error path pays for
  it, not the run.

dask and distributed are an extra (``pip install 'losscli[dask]'``): they are imported
only here, inside functions, so the local engine never loads them. A missing extra, an
unreachable scheduler or a worker that dies are one :class:`~losscli.errors.InputError`
line each. Nothing is written unless the whole run succeeds (the CLI emits at the end).
"""

from __future__ import annotations

import contextlib
import dataclasses
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from losscli.errors import InputError, LossCliError, UsageError
from losscli.evaluate.dask_plan import (
    MAX_PART_BYTES,
    MAX_PART_ROWS,
    Partition,
    combine,
    group_rows,
    members,
    partitions,
    split_row_groups,
    stored_bytes,
    target,
)

if TYPE_CHECKING:
    from losscli.io.dataset import RowMap

#: states merged per node of the reduce tree
SPLIT_EVERY = 8
#: the ``--ci`` options (the leaves need the seed; the rest is the report's)
_CI_OPTIONS = ("ci", "resamples", "seed", "baseline", "test", "correction")


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
            state, reads = future.result()
        except LossCliError as exc:
            raise first_error(client, dask, parts, leaf, exc, name) from None
        except Exception as exc:  # (distributed's errors: a dead worker, a lost scheduler)
            raise _cluster_error(exc) from None
    if state is None:  # (every partition empty, or its rows left out by --filter)
        raise _no_rows(source, name, options)
    rows = _row_map(parts, reads, name, options.get("filter_text"), options.get("header"))
    try:
        report = finish(state, name, gates, ci=boot, baseline=ci["baseline"])
    except InputError as exc:  # (a loss asked that the rows do not allow)
        raise (exc if rows is None else rows.located(exc)) from None
    if rows is None:
        return report
    from losscli.evaluate.api import renumbered

    return renumbered(report, rows)


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
    """The delayed :data:`Leaf` of every partition's rows: leaves of one partition
    each, nodes of ``k`` consecutive states (so the order of the partitions is kept)."""
    level = [dask.delayed(part_state, pure=True)(p, options) for p in parts]
    while len(level) > 1:
        level = [
            dask.delayed(merge_group, pure=True)(level[i : i + k]) for i in range(0, len(level), k)
        ]
    return level[0]


@dataclass(frozen=True)
class Read:
    """What one partition's run read: its rows (those ``--filter`` kept) and how it
    read its columns (to count a file's rows again: :class:`~losscli.io.dataset.RowMap`)."""

    rows: int
    types: tuple[tuple[str, str], ...] = ()


#: a node of the tree: the state of its rows (None: no rows), the :class:`Read` of
#: each partition below it in order
Leaf = tuple[dict[str, Any] | None, tuple[Read, ...]]


def part_state(part: Partition, options: dict[str, Any]) -> Leaf:
    """One partition's state (on a worker): the local engine on its file, or on its
    row groups (read as one Arrow table, then the engine on the frame); ``None``: a
    file of a dataset whose rows ``--filter`` all left out, or of none (as in the
    local engine, only a dataset without rows is an error)."""
    from losscli.evaluate.state import state_of_file, state_of_frame
    from losscli.io.dataset import NoDataRows

    opts = options | {"fmt": part.fmt or options.get("fmt")}
    types: dict[str, str] = {}
    if part.row_groups is None:
        source = _source(part, opts)
        try:
            state = state_of_file(source, row_offset=part.offset, **opts)
        except NoDataRows:
            return None, tuple(Read(0) for _ in members(part))
        types = getattr(source, "read_types", {})
    else:
        state = state_of_frame(
            _row_groups(part), row_offset=part.offset, source=part.name, **_frame_options(opts)
        )
    state["file"] = part.name
    rows = source.part_rows() if part.more else [int(state["rows_read"])]
    return state, tuple(Read(n, tuple(types.items())) for n in rows)


def _part(part: Partition) -> Any:
    """The files of a partition as :class:`losscli.io.listing.Part` (one, or those of
    a combined partition in order)."""
    from losscli.io.listing import Part

    found = [Part(p.name, p.location, p.fmt or "", None, p.values) for p in members(part)]
    return found[0] if len(found) == 1 else found


def _source(
    part: Partition, options: dict[str, Any], name: str | None = None, first_row: int = 0
) -> Any:
    """What the local engine reads for a whole-file partition: its path (one file),
    the file with ``--filter`` as the local engine opens it, or the file as a part
    of its dataset (its keys as columns, a header-only or 0-byte CSV a part of no
    rows; with ``name``: named as the dataset, its rows after ``first_row``);
    ``filter_text`` moves into the input."""
    from losscli.io.dataset import open_input, part_input

    filter_text = options.pop("filter_text", None)
    if not part.root:
        if filter_text is None:
            return part.location
        return open_input(part.location, fmt=part.fmt, filter_text=filter_text)
    return part_input(
        _part(part),
        root=part.root,
        keys=part.keys,
        kinds=dict(part.kinds),
        filter_text=filter_text,
        name=name,
        first_row=first_row if name is not None else None,
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
    part of no rows: 0; a combined partition: of all its files)."""
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
    """The partitions (:mod:`losscli.evaluate.dask_plan`) with their input offsets:
    Parquet files (without ``--filter``) from their footers, cut into runs of row
    groups of balanced rows (:func:`split_row_groups`), small ones combined by rows;
    otherwise small files combined by stored bytes, and with ``--ci`` (bucket ids are
    global row numbers) each partition's rows counted on the cluster first."""
    import numpy as np

    if options.get("filter_text") is None and all(p.fmt == "parquet" for p in parts):
        sizes = [group_rows(p) for p in parts]
        cut = split_row_groups(parts, sizes, workers)
        total = sum(sum(s) for s in sizes)
        ends = [*(int(p.offset or 0) for p in cut[1:]), total]
        rows = [end - int(p.offset or 0) for p, end in zip(cut, ends, strict=True)]
        return combine(cut, rows, target(total, workers, MAX_PART_ROWS))
    stored = [stored_bytes(p) for p in parts]
    parts = combine(parts, stored, target(sum(stored), workers, MAX_PART_BYTES))
    if not ci:
        return parts
    counts = client.gather(
        client.compute([dask.delayed(part_rows, pure=True)(p, options) for p in parts])
    )
    starts = np.cumsum([0, *counts[:-1]])
    return [dataclasses.replace(p, offset=int(o)) for p, o in zip(parts, starts, strict=True)]


def merge_group(found: list[Leaf]) -> Leaf:
    """A node of the tree: consecutive states merged (checked to merge: the first
    partition that decided another task, say, is named; ``None``: no rows below),
    their partitions' reads in order."""
    from losscli.evaluate.merging import Merger
    from losscli.evaluate.state import check_mergeable

    reads = tuple(r for _, below in found for r in below)
    states = [s for s, _ in found if s is not None]
    if not states:
        return None, reads
    check_mergeable(states, [s["file"] for s in states])
    return Merger(states[0]).merge_all(states), reads


# --------------------------------------------------------------------------- rows in messages


def _row_map(
    parts: Sequence[Partition],
    reads: Sequence[Read],
    name: str,
    flt: str | None,
    header: Sequence[str] | None = None,
) -> RowMap | None:
    """With ``--filter``, the map of the rows the run counted (those kept, across the
    partitions in order) to the files' rows, from the partitions' reads: the
    local engine's :class:`~losscli.io.dataset.RowMap`, so messages word a row as it
    does; None without (the rows counted are the input's)."""
    if flt is None:
        return None
    import numpy as np

    from losscli.io.dataset import RowMap
    from losscli.io.filter import parse

    files = [_part(f) for p in parts for f in members(p)]
    starts = [int(v) for v in np.cumsum([0, *(r.rows for r in reads[:-1])])]
    single = len(files) == 1 and not parts[0].root
    types = [dict(r.types) for r in reads]
    return RowMap(name, parse(flt), single, starts, files, types, header)


def first_error(
    client: Any,
    dask: Any,
    parts: Sequence[Partition],
    options: dict[str, Any],
    exc: LossCliError,
    name: str,
) -> LossCliError:
    """The local engine's error for the run that failed with ``exc``: the first
    partition in order that fails (the cluster reports the first to fail in time;
    the leaves run again, those before it to their end), and an engine error about
    a row of a dataset's file worded as the local engine's dataset words it (the
    rows of the files before it counted, the file run again named as the dataset:
    :func:`worded_error`)."""
    parts = [f for p in parts for f in _apart(p)]
    futures = client.compute([dask.delayed(part_state, pure=True)(p, options) for p in parts])
    found, index = exc, None
    for i, future in enumerate(futures):
        error = future.exception()
        if error is not None:
            found, index = error, i
            break
    client.cancel(futures)
    if not isinstance(found, LossCliError):
        return _cluster_error(found)
    if index is None or not _engine_row_error(found) or not parts[index].root:
        return found
    first = next(i for i, p in enumerate(parts) if p.location == parts[index].location)
    whole = dataclasses.replace(parts[first], row_groups=None, offset=None)
    before = _whole_files(parts[:first])
    counts = client.gather(
        client.compute([dask.delayed(part_rows, pure=True)(p, options) for p in before])
    )
    task = dask.delayed(worded_error, pure=True)(whole, options, name, int(sum(counts)))
    worded = client.compute(task).result()
    return worded if worded is not None else found


def _apart(part: Partition) -> list[Partition]:
    """A combined partition's files as partitions of their own (offsets unknown)."""
    if not part.more:
        return [part]
    return [dataclasses.replace(f, offset=None) for f in members(part)]


def _engine_row_error(exc: LossCliError) -> bool:
    """An error of the engine naming a row (a reader's names its file's row already)."""
    return (
        isinstance(exc, InputError) and exc.row is not None and not getattr(exc, "file_rows", False)
    )


def _whole_files(parts: Sequence[Partition]) -> list[Partition]:
    """One whole-file partition per file of ``parts`` (runs of row groups joined)."""
    seen: dict[str, Partition] = {}
    for p in parts:
        seen.setdefault(p.location, dataclasses.replace(p, row_groups=None, offset=None))
    return list(seen.values())


def worded_error(
    part: Partition, options: dict[str, Any], name: str, first_row: int
) -> InputError | None:
    """(On a worker.) The error of the whole file ``part`` run again as the part of
    the dataset ``name`` after ``first_row`` rows: the local engine's words for it."""
    from losscli.evaluate.state import state_of_file

    opts = options | {"fmt": part.fmt or options.get("fmt")}
    source = _source(part, opts, name=name, first_row=first_row)
    try:
        state_of_file(source, row_offset=first_row, **opts)
    except InputError as exc:
        return exc
    return None


# --------------------------------------------------------------------------- partitions


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
    """A client of ``scheduler``, or of a :func:`local_cluster` sized to the machine
    that lives as long as the run."""
    if scheduler is not None:
        try:
            client = distributed.Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise InputError(f"--scheduler {scheduler}: cannot connect ({exc})") from None
        with client:
            yield client
        return
    with local_cluster(distributed) as cluster, distributed.Client(cluster) as client:
        yield client


def local_cluster(distributed: Any, **sizes: Any) -> Any:
    """A ``distributed.LocalCluster`` of worker processes on this machine, no
    dashboard, quiet logs; ``sizes``: ``n_workers``, ``threads_per_worker`` (default:
    sized to the machine). The scheduler serves its HTTP routes (health, metrics)
    even without a dashboard, on 8787 by default: here on a free 127.0.0.1 port, so
    a second cluster on the machine does not make the run warn. Logs below CRITICAL
    are silenced: a task's failure and a dead worker reach the run through its
    future, and on a loaded machine a worker's last heartbeat can race the
    scheduler's close and log an ERROR with a traceback that the user should not
    see. The tests and the benchmark start theirs with it too."""
    import logging

    return distributed.LocalCluster(
        processes=True,
        dashboard_address=None,
        silence_logs=logging.CRITICAL,
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
        **sizes,
    )


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
