"""Parquet: the schema's names, the file as Arrow batches, its errors in one line.

A Parquet file carries its types, so nothing is inferred here. It is opened with
``pre_buffer=False`` and read row group by row group (``read_row_group``, only the
requested columns), which keeps memory flat whatever the file size; the next row
group is decoded on a background thread while the losses run on the current one
(:func:`_row_groups`: DuckDB decodes in parallel too, and a single-threaded read
left one of two cores idle). A row group is decoded whole, so memory follows the
writer's row-group size (two of them at a time), and a file whose row groups hold
more than :data:`PARQUET_GROUP_VALUES` values (rows × columns read) is read in
batches of that many values instead.

Cut so: what knows Parquet (pyarrow.parquet, row groups) is here; the batches it
yields go through the same checks as every format's in :mod:`losscli.io.tables`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

from losscli.errors import InputError
from losscli.io.sources import Source, require_bytes, short

#: Row groups of up to this many values (rows × columns read) are read whole;
#: bigger ones in batches of this many values.
PARQUET_GROUP_VALUES = 4 << 20


def open_file(res: Source) -> Any:
    """The ``pyarrow.parquet.ParquetFile``, or InputError for a file that is not one."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    require_bytes(res)
    try:
        where = res.open_raw() if res.remote is not None else str(res.path)
        return pq.ParquetFile(where, pre_buffer=False)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise _invalid(res, exc) from None


def _invalid(res: Source, exc: BaseException) -> InputError:
    return InputError(f"{res.name} is not a valid Parquet file ({short(exc)})")


def column_names(res: Source) -> tuple[list[str], int]:
    """The schema's column names and the file's row count."""
    pf = open_file(res)
    return list(pf.schema_arrow.names), pf.metadata.num_rows


def schema(res: Source) -> Any:
    """The file's Arrow schema."""
    return open_file(res).schema_arrow


def batches(res: Source, columns: Sequence[str] | None, chunk_rows: int) -> Iterator[Any]:
    """The file as Arrow batches of at most ``chunk_rows`` rows (only ``columns``)."""
    import pyarrow as pa

    pf = open_file(res)
    try:
        yield from _batches(pf, columns, chunk_rows)
    except (pa.ArrowException, OSError) as exc:
        raise _invalid(res, exc) from None
    finally:
        with contextlib.suppress(Exception):
            pf.close()


def _batches(pf: Any, columns: Sequence[str] | None, chunk_rows: int) -> Iterator[Any]:
    """Row group by row group, or ``iter_batches`` for a file whose row groups are
    too big to hold one at a time (see the module docstring)."""
    from losscli.io.tables import DEFAULT_CHUNK_ROWS

    cols = list(columns) if columns is not None else None
    meta = pf.metadata
    sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    width = max(1, len(cols) if cols is not None else meta.num_columns)
    if any(n * width > PARQUET_GROUP_VALUES for n in sizes):
        # wide (multiclass: 11 columns) or huge row groups: batches of at most
        # PARQUET_GROUP_VALUES values
        batch = max(1, min(chunk_rows, PARQUET_GROUP_VALUES // width))
        yield from pf.iter_batches(batch_size=batch, columns=cols)
        return
    if chunk_rows < DEFAULT_CHUNK_ROWS:  # (small chunks: tests)
        yield from pf.iter_batches(batch_size=chunk_rows, columns=cols)
        return
    yield from _row_groups(pf, [i for i, n in enumerate(sizes) if n], cols, chunk_rows)


def _row_groups(
    pf: Any, groups: list[int], cols: list[str] | None, chunk_rows: int
) -> Iterator[Any]:
    """The row groups ``groups``, each decoded on one background thread while the
    caller works on the one before (pyarrow releases the GIL while it decodes, so
    decoding and the losses share the cores): at most two row groups are held. A
    decoding error is raised here, in order; closing the generator waits for the
    thread, so none outlives the reader."""
    from concurrent.futures import Future, ThreadPoolExecutor

    def read(i: int) -> Any:
        return pf.read_row_group(i, columns=cols, use_threads=False)

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="losscli-parquet")
    pending: Future[Any] | None = pool.submit(read, groups[0]) if groups else None
    try:
        for k in range(len(groups)):
            assert pending is not None
            table = pending.result()
            pending = pool.submit(read, groups[k + 1]) if k + 1 < len(groups) else None
            yield from table.combine_chunks().to_batches(max_chunksize=chunk_rows)
            del table  # (free the row group before the next one is taken)
    finally:
        if pending is not None:
            pending.cancel()
        pool.shutdown(wait=True)
