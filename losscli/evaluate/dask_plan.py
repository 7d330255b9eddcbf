"""Which rows each task of ``--engine dask`` reads: the plan of the partitions.

* **files**: the input's files in a stable sorted order (a directory recursively, a
  glob, or one file): :func:`partitions`, the dataset listing of
  :mod:`losscli.io.listing` (those ``--filter`` rules out by their Hive keys left
  out), each file's keys with it, typed as the local engine types them.
* **large Parquet files** are cut into runs of row groups of balanced rows
  (:func:`split_row_groups`), so one large file keeps every worker busy.
* **small files are combined**: consecutive whole files go into one partition
  (:func:`combine`, :attr:`Partition.more`) up to the same target as the runs,
  ⌈total / (:data:`PARTS_PER_WORKER` · workers)⌉, capped, so a dataset of 1,000 small
  files is a few tasks, not 1,000 (each task pays the scheduler's round trip, a
  process switch and an engine set-up; the files of a partition are read as one input,
  one after the other, like the local engine's dataset). The measure is **rows** for
  Parquet without ``--filter`` (its footers are read for the row groups anyway, and
  rows are what a task's time goes with once the file is open) and **stored bytes**
  otherwise (CSV, JSON Lines, Parquet with ``--filter``: their rows are known only by
  reading them, while their sizes come with the listing, ``os.stat`` or the store's
  cached listing; a CSV's parse time goes with its bytes). A run of row groups is a
  partition alone.
* **offsets**: the input row of each partition's first row where it is known
  (Parquet footers; with ``--ci``, counts on the cluster first): bucket ids of the
  bootstrap are input row numbers, so combined partitions keep them (a partition's
  files are read in order after its offset).

Cut so: what decides the tasks is here, apart from what runs them
(:mod:`losscli.evaluate.dask_engine`); all of it is plain data a test can check
without a cluster.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from dataclasses import dataclass

from losscli.errors import InputError

#: a Parquet file is cut into runs of row groups of about this many rows at most
MAX_PART_ROWS = 4 << 20
#: and into at least this many partitions per worker when the rows allow it
PARTS_PER_WORKER = 2
#: small files are combined into partitions of at most this many stored bytes
MAX_PART_BYTES = 64 << 20


@dataclass(frozen=True)
class Partition:
    """One partition: ``name`` as messages show it, ``location`` as the readers take it;
    ``row_groups``: the row groups of a Parquet file it reads (``None``: the whole
    file); ``offset``: the input row of its first row in the whole (``None``: rows
    counted across the partitions in order, positions relative); ``keys``: its Hive
    partition keys, columns of its rows as in the local engine; ``more``: the whole
    files read after this one in the same task (:func:`combine`), in order."""

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
    more: tuple[Partition, ...] = ()


def members(part: Partition) -> list[Partition]:
    """The files of a partition in reading order, one partition each (whole files;
    the first keeps the offset, the others' are not known)."""
    if not part.more:
        return [part]
    return [dataclasses.replace(part, more=()), *(dataclasses.replace(m) for m in part.more)]


def target(total: int, workers: int, cap: int) -> int:
    """The size of a partition: ⌈total / (:data:`PARTS_PER_WORKER` · workers)⌉, at
    most ``cap``, at least 1."""
    return max(1, min(cap, -(-total // (PARTS_PER_WORKER * workers))))


def combine(parts: Sequence[Partition], sizes: Sequence[int], most: int) -> list[Partition]:
    """Consecutive whole-file partitions combined into partitions of at most about
    ``most`` (rows or bytes, as ``sizes`` are): each run of whole files between runs
    of row groups (those stay alone) is cut into k = ⌈its size / most⌉ partitions
    of balanced size, a file going to the partition its middle falls in (so no
    small remainder is left alone at the end); a partition keeps its first file's
    offset."""
    out: list[Partition] = []
    run: list[tuple[Partition, int]] = []
    for part, size in zip(parts, sizes, strict=True):
        if part.row_groups is None:
            run.append((part, size))
            continue
        out.extend(_balanced(run, most))
        run = []
        out.append(part)
    out.extend(_balanced(run, most))
    return out


def _balanced(run: Sequence[tuple[Partition, int]], most: int) -> list[Partition]:
    total = sum(size for _, size in run)
    k = max(1, -(-total // max(1, most)))
    groups: list[list[Partition]] = [[] for _ in range(k)]
    held = 0
    for part, size in run:
        groups[min(k - 1, int((held + size / 2) * k // max(1, total)))].append(part)
        held += size
    return [dataclasses.replace(g[0], more=tuple(g[1:])) for g in groups if g]


def stored_bytes(part: Partition) -> int:
    """A file's stored size: ``os.stat`` for a path, the store's listing for a URL
    (fsspec keeps the listing the dataset was found by: no request per file)."""
    from losscli.io import remote

    if not remote.is_url(part.location):
        try:
            return os.path.getsize(part.location)
        except OSError:
            return 0  # (the worker that reads it names the error)
    _, _, meta = remote.info(part.location)
    return int(meta.get("size") or 0)


def group_rows(part: Partition) -> list[int]:
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
    ``most`` rows (a run holds one row group at least), with their input offsets:
    ``most`` = :func:`target` of the rows, capped at :data:`MAX_PART_ROWS`, so a
    single large file keeps every worker busy. A file no larger than ``most`` stays
    whole."""
    most = target(sum(sum(s) for s in sizes), workers, MAX_PART_ROWS)
    out: list[Partition] = []
    start = 0
    for part, rows in zip(parts, sizes, strict=True):
        if sum(rows) <= most or len(rows) < 2:
            out.append(dataclasses.replace(part, offset=start))
            start += sum(rows)
            continue
        run: list[int] = []
        held = 0
        for i, n in enumerate(rows):
            if run and held + n > most:
                out.append(dataclasses.replace(part, row_groups=tuple(run), offset=start))
                start, run, held = start + held, [], 0
            run.append(i)
            held += n
        out.append(dataclasses.replace(part, row_groups=tuple(run), offset=start))
        start += held
    return out


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
