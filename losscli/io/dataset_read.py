"""Reading a dataset's files one after the other (:class:`Reader`), for
:class:`losscli.io.dataset.DatasetInput`.

* Every file's header (Parquet: its footer's schema, types included) is checked
  against the first file's before its rows are read.
* Without a row filter (none, or one that the partition values decide, which has
  pruned the files already), each file is read by the single-file path,
  :func:`losscli.io.tables.iter_arrays` (the C scanner for CSV; Parquet row groups
  decoded on a background thread), its errors naming the file and row; the Hive
  keys are added as constant columns (numpy / :class:`~losscli.io.columns.TextCodes`).
  Not ``pyarrow.dataset`` here: importing it imports pandas (≈ 0.9 CPU s, more than
  reading 10M rows), and nothing is left for it to push down.
* Parquet with a row filter: one ``pyarrow.dataset`` over the files with the schema
  of the first file and the Hive keys (nothing inferred from other files), one
  ``Scanner.from_fragment`` per file in order, the filter pushed into it (row-group
  statistics, row filtering), its threads decoding columns in parallel, read-ahead
  kept to one batch so memory stays that of one batch.
* CSV, TSV, JSON Lines with a row filter: the batches go through Arrow,
  ``Table.filter`` with the filter's expression.

Cut so: what knows pyarrow.dataset and the per-file loop is here, the row map in
:mod:`losscli.io.dataset` and the listing in :mod:`losscli.io.listing`, so each stays
one screen to read.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from losscli.errors import InputError, UsageError
from losscli.io import remote, tables
from losscli.io.filter import on_partition, to_expression
from losscli.io.scanner import ArrayBatch
from losscli.io.sources import short

if TYPE_CHECKING:
    from losscli.io.dataset import DatasetInput
    from losscli.io.listing import Part

Arrays = tuple[int, dict[str, Any]]


class Reader:
    """The files of a dataset input, each as ``(part, its (offset, arrays)
    chunks)``; after a part's chunks are consumed, :attr:`rows_of_last` holds its
    row count (rows kept by the filter)."""

    def __init__(
        self,
        inp: DatasetInput,
        columns: list[str],
        column_types: dict[str, str],
        chunk_rows: int,
        coalesce: bool,
    ) -> None:
        self.inp, self.columns, self.types = inp, columns, column_types
        self.chunk_rows, self.coalesce = chunk_rows, coalesce
        self.keys = [c for c in columns if c in inp.dataset.keys]
        self.data = [c for c in columns if c not in inp.dataset.keys]
        self.rows_of_last = 0

    def parts(self) -> Iterator[tuple[Part, Iterator[Arrays]]]:
        kept = self.inp.kept
        flt = self.inp.flt
        parquet = self.inp.dataset.fmt == "parquet"
        rows_filtered = flt is not None and any(
            on_partition(flt, dict(p.partition)) is not True for p in kept
        )
        if parquet and rows_filtered:
            yield from self._parquet(kept)  # a row filter: pushed down
            return
        expected = self.inp.file_columns()
        first_schema = _footer_schema(self.inp.first, None) if parquet else None
        for part in kept:
            rows = True
            if first_schema is not None:
                diff = _type_diff(_footer_schema(part, None), first_schema)
            else:
                found, rows = _header(part, self.inp.header)
                agree = found is None or set(found) == set(expected)
                diff = None if agree else _name_diff(found or [], expected)
            if diff is not None:
                raise _differs(part, self.inp.first, diff)
            self.rows_of_last = 0
            yield part, self._text(part) if rows else iter(())

    # ----------------------------------------------------------------- text formats

    def _text(self, part: Part) -> Iterator[Arrays]:
        flt = self.inp.flt
        values = dict(part.partition)
        if flt is not None and on_partition(flt, values) is not True:
            yield from self._text_filtered(part, values)
            return
        read = self.data or self.inp.file_columns()[:1]
        for offset, arrays in tables.iter_arrays(
            part.location,
            fmt=part.fmt,
            columns=read,
            column_types=self.types,
            chunk_rows=self.chunk_rows,
            coalesce=self.coalesce,
            header=self.inp.header,
        ):
            n = len(next(iter(arrays.values())))
            out = {c: arrays[c] for c in self.data}
            out.update({k: _constant(values[k], n, self.inp.key_kind(k)) for k in self.keys})
            self.rows_of_last = offset + n
            yield offset, {c: out[c] for c in self.columns}

    def _text_filtered(self, part: Part, values: dict[str, Any]) -> Iterator[Arrays]:
        import pyarrow as pa

        assert self.inp.flt is not None
        wanted = [c for c in self.inp.flt.columns() if c not in values and c not in self.data]
        read = [*self.data, *wanted]
        kept = 0
        for batch in tables.iter_batches(
            part.location,
            fmt=part.fmt,
            columns=read,
            column_types=self.types,
            chunk_rows=self.chunk_rows,
            coalesce=self.coalesce,
            header=self.inp.header,
        ):
            arrow = batch.to_arrow() if isinstance(batch, ArrayBatch) else batch
            table = pa.Table.from_batches([arrow])
            for key, value in values.items():
                kind = pa.int64() if self.inp.key_kind(key) == "number" else pa.string()
                table = table.append_column(key, pa.repeat(pa.scalar(value, kind), table.num_rows))
            expr = to_expression(self.inp.flt, table.schema)
            table = _filtered(table, expr, self.inp.flt.text)
            if table.num_rows == 0:
                continue
            yield kept, {c: table.column(c).combine_chunks() for c in self.columns}
            kept += table.num_rows
            self.rows_of_last = kept

    # ----------------------------------------------------------------- parquet

    def _parquet(self, kept: Sequence[Part]) -> Iterator[tuple[Part, Iterator[Arrays]]]:
        import pyarrow as pa

        first = self.inp.first
        first_schema = _footer_schema(first, None)
        key_fields = [
            pa.field(k, pa.int64() if self.inp.key_kind(k) == "number" else pa.string())
            for k in self.inp.dataset.keys
        ]
        schema = pa.schema([*first_schema, *key_fields])
        dset = _arrow_dataset(self.inp.dataset.root, kept, schema, key_fields)
        expr = to_expression(self.inp.flt, schema) if self.inp.flt is not None else None
        for part, fragment in zip(kept, dset.get_fragments(), strict=True):
            physical = _footer_schema(part, fragment)
            diff = _type_diff(physical, first_schema)
            if diff is not None:
                raise _differs(part, first, diff)
            self.rows_of_last = 0
            yield part, self._fragment(part, fragment, dset.schema, expr)

    def _fragment(self, part: Part, fragment: Any, schema: Any, expr: Any) -> Iterator[Arrays]:
        import pyarrow as pa
        import pyarrow.dataset as pds

        from losscli.io.columns import check_arrow_batch

        def checked() -> Iterator[Any]:
            rows = 0
            scanner = pds.Scanner.from_fragment(
                fragment,
                schema=schema,
                columns=self.columns,
                filter=expr,
                batch_size=self.chunk_rows,
                batch_readahead=1,
                fragment_readahead=1,
                use_threads=True,
            )
            for batch in scanner.to_batches():
                if batch.num_rows == 0:
                    continue
                check_arrow_batch(batch, self.types, part.name, rows)
                rows += batch.num_rows
                yield batch

        kept = 0
        try:
            for batch in tables.rechunk(checked(), self.chunk_rows, self.coalesce):
                yield kept, {c: batch.column(i) for i, c in enumerate(self.columns)}
                kept += batch.num_rows
                self.rows_of_last = kept
        except (pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
            if self.inp.flt is None:
                raise _invalid(part, exc) from None
            raise _filter_error(self.inp.flt.text, exc) from None
        except (pa.ArrowException, OSError) as exc:
            raise _invalid(part, exc) from None


def is_empty(part: Part) -> bool:
    """Whether a CSV/TSV/JSON Lines part is 0 bytes as stored (compressed or not):
    a part of no rows in a dataset, what Hadoop and Spark write for an empty task or
    partition and read back as none (so do pandas' ``to_csv(header=False)`` and
    polars' ``write_ndjson`` of an empty frame). A Parquet file of 0 bytes is no
    Parquet file: not one."""
    if part.fmt == "parquet":
        return False
    from losscli.io.sources import resolve

    return resolve(part.location, part.fmt).size() == 0


def _header(part: Part, header: Sequence[str] | None) -> tuple[list[str] | None, bool]:
    """A text file's columns (None: a 0-byte part, :func:`is_empty`), and whether it
    has rows: a header without rows is a part of none (Spark and pyarrow read it
    so), not an error (``header``: the names ``--columns`` gives files without a
    header line)."""
    from losscli.io.csv import HeaderOnly

    if is_empty(part):
        return None, False
    try:
        return tables.read_columns(part.location, fmt=part.fmt, header=header), True
    except HeaderOnly as exc:
        return exc.columns, False


def _constant(value: str | int | None, n: int, kind: str) -> Any:
    """A partition key's value as a column of ``n`` rows (a null key: NaN for a
    number key, an Arrow string column of nulls for a text key, as a CSV's empty
    cells read)."""
    import numpy as np

    from losscli.io.columns import TextCodes

    if value is None and kind == "text":
        import pyarrow as pa

        return pa.nulls(n, pa.string())
    if value is None or isinstance(value, int):
        return np.full(n, np.nan if value is None else value, dtype=np.float64)
    return TextCodes(np.zeros(n, dtype=np.int32), [value])


def _filtered(table: Any, expr: Any, text: str) -> Any:
    import pyarrow as pa

    try:
        return table.filter(expr)
    except (pa.ArrowNotImplementedError, pa.ArrowTypeError, pa.ArrowInvalid) as exc:
        raise _filter_error(text, exc) from None


def _filter_error(text: str, exc: BaseException) -> UsageError:
    why = short(exc).split("\n")[0]
    return UsageError(
        f"--filter {text!r} cannot be applied: {why} (compare numbers with numbers, "
        'text with "quoted text")'
    )


def _invalid(part: Part, exc: BaseException) -> InputError:
    return InputError(f"{part.name} is not a valid Parquet file ({short(exc)})")


def _differs(part: Part, first: Part, detail: str) -> InputError:
    return InputError(
        f"{part.name}: its columns differ from those of {first.name} ({detail}); "
        "the files of a dataset must agree"
    )


def _name_diff(found: Sequence[str], expected: Sequence[str]) -> str:
    missing = [c for c in expected if c not in found]
    if missing:
        return f"no column {missing[0]!r}"
    extra = [c for c in found if c not in expected]
    return f"an extra column {extra[0]!r}"


def _type_diff(found: Any, expected: Any) -> str | None:
    """How a file's Arrow schema differs from the first file's, None if it agrees."""
    if set(found.names) != set(expected.names):
        return _name_diff(found.names, expected.names)
    for field in expected:
        other = found.field(field.name).type
        if other != field.type:
            return f"column {field.name!r} is {other}, not {field.type}"
    return None


def _footer_schema(part: Part, fragment: Any) -> Any:
    """The Arrow schema of a Parquet file's footer, or InputError naming the file."""
    import pyarrow as pa

    try:
        if fragment is not None:
            return fragment.physical_schema
        from losscli.io import parquet
        from losscli.io.sources import resolve

        return parquet.schema(resolve(part.location, "parquet"))
    except (pa.ArrowException, OSError) as exc:
        raise _invalid(part, exc) from None


def _arrow_dataset(root: str, parts: Sequence[Part], schema: Any, key_fields: list[Any]) -> Any:
    """A ``pyarrow.dataset`` of ``parts`` (local paths, or a store's through fsspec)."""
    import pyarrow as pa
    import pyarrow.dataset as pds

    fs = None
    paths = [p.location for p in parts]
    base = root
    if remote.is_url(parts[0].location):
        fs, base = remote.filesystem(root)
        paths = [remote.filesystem(p.location)[1] for p in parts]
    partitioning = pds.partitioning(pa.schema(key_fields), flavor="hive") if key_fields else None
    try:
        return pds.dataset(
            paths,
            schema=schema,
            format="parquet",
            partitioning=partitioning,
            partition_base_dir=base,
            filesystem=fs,
        )
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"cannot read {parts[0].name}: {short(exc)}") from None
