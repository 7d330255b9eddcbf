"""``evaluate --engine dask``: each partition's state on a Dask cluster, reduced as a tree.

The cluster does what the local engine does to one file, once per partition, and the
states (:mod:`losscli.evaluate.state`, in memory: plain dicts and numpy arrays, pickled
by Dask between processes) merge exactly (:mod:`losscli.evaluate.merging`), so the
report is the local engine's on the same rows, up to the order of floating-point sums:

* **partitions**: the input's files in a stable sorted order (a directory
  recursively, a glob, or one file): :func:`partitions`, which uses the dataset
  listing of :mod:`losscli.io.dataset` where that module exists (``list_parts``) and
  lists local files itself otherwise. A partition is a whole file: a Parquet row-group
  range or a CSV byte range would need a reader of part of a file (not yet in
  :mod:`losscli.io`);
* **the tree**: ``dask.delayed`` leaves (one state per partition, positions relative
  to the partition's first row), reduced ``split_every`` states at a time by
  :meth:`~losscli.evaluate.merging.Merger.merge_all`, which keeps their order: rows in
  messages are counted across the partitions in order, as if the files were one. The
  driver receives one state and :func:`~losscli.evaluate.state.finish` writes the
  report; the driver's memory holds one state, never a partition's rows;
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
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from losscli.errors import InputError, LossCliError, UsageError

#: states merged per node of the reduce tree
SPLIT_EVERY = 8
_FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}


@dataclass(frozen=True)
class Partition:
    """One partition: ``name`` as messages show it, ``location`` as the readers take it."""

    name: str
    location: str
    fmt: str | None


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
    from losscli.evaluate.state import finish
    from losscli.io import sources

    gates = gate_mod.parse_gates(fail_if)
    parts = partitions(source, options.get("fmt"))
    dask, distributed = _imports()
    with _client(distributed, scheduler) as client:
        tree = reduce_tree(dask, parts, options, split_every)
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
    return finish(state, sources.display_name(source), gates)


def reduce_tree(dask: Any, parts: Sequence[Partition], options: dict[str, Any], k: int) -> Any:
    """The delayed state of every partition's rows: leaves of one partition each,
    nodes of ``k`` consecutive states (so the order of the partitions is kept)."""
    level = [dask.delayed(part_state, pure=True)(p, options) for p in parts]
    while len(level) > 1:
        level = [
            dask.delayed(merge_group, pure=True)(level[i : i + k]) for i in range(0, len(level), k)
        ]
    return level[0]


def part_state(part: Partition, options: dict[str, Any]) -> dict[str, Any]:
    """One partition's state (on a worker): the local engine on its file."""
    from losscli.evaluate.state import state_of_file

    state = state_of_file(part.location, **(options | {"fmt": part.fmt or options.get("fmt")}))
    state["file"] = part.name
    return state


def merge_group(states: list[dict[str, Any]]) -> dict[str, Any]:
    """A node of the tree: consecutive states merged (checked to merge: the first
    partition that decided another task, say, is named)."""
    from losscli.evaluate.merging import Merger
    from losscli.evaluate.state import check_mergeable

    check_mergeable(states, [s["file"] for s in states])
    return Merger(states[0]).merge_all(states)


# --------------------------------------------------------------------------- partitions


def partitions(source: str, fmt: str | None = None) -> list[Partition]:
    """The partitions of ``source``: :mod:`losscli.io.dataset`'s listing where it exists,
    else :func:`list_files`."""
    import importlib

    try:
        dataset = importlib.import_module("losscli.io.dataset")
    except ImportError:
        return list_files(source, fmt)
    return [
        Partition(p.name, p.location, p.fmt)
        for p in dataset.list_parts(source, fmt=fmt, count_rows=False)
    ]


def list_files(source: str, fmt: str | None = None) -> list[Partition]:
    """A local file, or the files of a directory (recursively) or of a glob, sorted;
    every file of one format (the first file's)."""
    import glob
    import os

    if source == "-":
        raise UsageError("--engine dask reads files, not stdin")
    if os.path.isdir(source):
        found = sorted(
            os.path.join(root, f)
            for root, dirs, files in os.walk(source)
            for f in files
            if not f.startswith((".", "_"))
        )
    elif any(c in source for c in "*?["):
        found = sorted(p for p in glob.glob(source, recursive=True) if os.path.isfile(p))
    else:
        return [Partition(source, source, fmt)]
    kinds = {_kind(p, fmt) for p in found} - {None}
    if not found or not kinds:
        raise InputError(f"{source}: no CSV, TSV, JSON Lines or Parquet file in it")
    first = _kind(found[0], fmt) or next(iter(kinds))
    files = [p for p in found if _kind(p, fmt) is not None]
    other = next((p for p in files if _kind(p, fmt) != first), None)
    if other is not None:
        raise InputError(f"{source}: {other} is not {first} as {files[0]} is (one format only)")
    return [Partition(p, p, fmt or first) for p in files]


def _kind(path: str, fmt: str | None) -> str | None:
    import os

    name = path.lower()
    for ext in (".gz", ".bz2", ".xz", ".zst"):
        name = name.removesuffix(ext)
    return fmt or _FORMATS.get(os.path.splitext(name)[1])


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
            processes=True, dashboard_address=None, silence_logs=logging.ERROR
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
