"""Datasets: a directory, a glob or a store prefix of many files read as one input.

* **Which files** (:mod:`losscli.io.listing`): every data file of the folder, the glob
  or the store prefix (hidden and side files skipped, a Delta table refused), in the
  sorted order of their paths, with their Hive partition values; they are read one
  after the other.
* **One format, one schema**: every file must be of the first one's format and hold
  the same columns (Parquet: with the same types); the first file that differs is
  named (exit 2).
* **Hive partitions**: the ``key=value`` directories give every file below them the
  column ``key`` (an integer when every value of the key is one, else text), usable
  as any column (``--by day``, ``--weight``...); when the files hold a column ``key``
  themselves (polars writes both), theirs is read.
* **Rows**: the data rows are numbered on across the files (the first file's rows are
  1…n₁, the second's n₁+1…), which is what the engine counts; an error the engine
  raises about row N is completed with the file holding it and its row there
  (:meth:`DatasetInput.located`). Errors a reader raises name the file and its row.
* **Reading**: Parquet files go through ``pyarrow.dataset`` (one scanner per file,
  in order, its threads decoding columns in parallel; ``--filter`` pushed down:
  partition pruning, row-group statistics, row filtering). CSV, TSV and JSON Lines
  files go through losscli's own readers (:mod:`losscli.io.tables`, the C scanner),
  file by file; ``--filter`` skips files by their partition values and filters the
  rows of each batch with ``pyarrow.compute``. Memory stays that of one file's
  reader whatever the number of files.
* :func:`list_parts` is the listing other engines split work by (one run per part).

Cut so: this module is the dataset as one input (its row numbering, the map from a
kept row back to its file's row); which files are data is :mod:`losscli.io.listing`,
the per-file loop :mod:`losscli.io.dataset_read`. Each file is still read by the
single-file readers, and :class:`FileInput` is the single-file input unchanged, so a
plain file reads exactly as before.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import re
from collections.abc import Generator, Iterator, Sequence
from pathlib import Path
from typing import Any

from losscli.errors import InputError
from losscli.io import tables
from losscli.io.filter import Filter, on_partition, parse
from losscli.io.listing import (
    Dataset,
    Part,
    discover,
    is_dataset,
    is_remote_folder,
    key_kinds,
)
from losscli.io.sources import display_name

#: a row named in a report's text (a row the engine counted)
_ROW = re.compile(r"\brow (\d+)\b")

Arrays = tuple[int, dict[str, Any]]


class NoDataRows(InputError):
    """A dataset input (or the rows ``--filter`` kept of it) holds no data row: an
    error for the whole input, nothing for one file of it read apart."""


# --------------------------------------------------------------------------- listing


def list_parts(
    source: str,
    *,
    fmt: str | None = None,
    filter_text: str | None = None,
    count_rows: bool = True,
) -> list[Part]:
    """The files of ``source`` (a dataset, or one file: a list of one) in reading
    order, those that ``--filter`` rules out by their partition values left out, each
    with its row count when ``count_rows`` (Parquet footers; None for CSV/JSONL)."""
    flt = parse(filter_text) if filter_text else None
    if is_dataset(source):
        parts = list(_kept(discover(source, fmt).parts, flt))
    else:
        res_fmt = _single_format(source, fmt)
        parts = [Part(display_name(source), source, res_fmt)]
    if not count_rows:
        return parts
    return [_counted(p) for p in parts]


def kept_dataset(
    source: str, *, fmt: str | None = None, filter_text: str | None = None
) -> tuple[Dataset, dict[str, str]]:
    """The dataset ``source`` (:func:`discover`) without the files ``--filter`` rules
    out by their partition values (an engine that reads the files apart), and its
    keys' kinds over every file (:func:`key_kinds`, as :class:`DatasetInput` has them)."""
    ds = discover(source, fmt)
    flt = parse(filter_text) if filter_text else None
    kept = Dataset(ds.name, ds.fmt, ds.root, tuple(_kept(ds.parts, flt)), ds.keys)
    return kept, key_kinds(ds)


def _single_format(source: str, fmt: str | None) -> str:
    from losscli.io.sources import resolve

    return resolve(source, fmt).fmt


def _counted(part: Part) -> Part:
    if part.fmt != "parquet":
        return part
    from losscli.io import parquet
    from losscli.io.sources import resolve

    _, rows = parquet.column_names(resolve(part.location, "parquet"))
    return Part(part.name, part.location, part.fmt, rows, part.partition)


def _kept(parts: Sequence[Part], flt: Filter | None) -> Iterator[Part]:
    for part in parts:
        if flt is None or on_partition(flt, dict(part.partition)) is not False:
            yield part


# --------------------------------------------------------------------------- inputs


class FileInput:
    """One file (or ``-``) read exactly as :mod:`losscli.io.tables` reads it
    (``header``: the names of a CSV/TSV without a header line, ``--columns``)."""

    def __init__(self, source: str, fmt: str | None, header: Sequence[str] | None = None) -> None:
        self.source, self.fmt, self.header = source, fmt, header
        self.name = display_name(source)

    def columns(self) -> list[str]:
        return tables.read_columns(self.source, fmt=self.fmt, header=self.header)

    def sniff_types(self, columns: Sequence[str]) -> dict[str, str]:
        return tables.sniff_types(
            self.source, fmt=self.fmt, columns=list(columns), header=self.header
        )

    def iter_arrays(
        self,
        *,
        columns: Sequence[str],
        column_types: dict[str, str] | None = None,
        chunk_rows: int = tables.DEFAULT_CHUNK_ROWS,
        coalesce: bool = False,
    ) -> Generator[Arrays]:
        return tables.iter_arrays(
            self.source,
            fmt=self.fmt,
            columns=columns,
            column_types=column_types,
            chunk_rows=chunk_rows,
            coalesce=coalesce,
            header=self.header,
        )

    def located(self, exc: InputError) -> InputError:
        return exc

    def renumbered(self, texts: Sequence[str]) -> list[str]:
        return list(texts)


class DatasetInput:
    """Many files (:class:`Dataset`) read one after the other as one input
    (``header``: the names of CSV/TSV files without a header line, every file's)."""

    def __init__(
        self, dataset: Dataset, flt: Filter | None, header: Sequence[str] | None = None
    ) -> None:
        self.dataset, self.flt, self.header = dataset, flt, header
        self.name = dataset.name
        #: the files read: those ``--filter`` does not rule out by their partition values
        self.kept = list(_kept(dataset.parts, flt))
        if not self.kept:
            assert flt is not None
            raise InputError(f"{self.name}: no data rows match --filter {flt.text!r}")
        self.first = self.kept[0]
        self._kinds = key_kinds(dataset)
        self._starts: list[int] = []
        self._parts: list[Part] = []
        self._read = 0
        self._columns: list[str] | None = None
        self._types: dict[str, str] = {}
        #: one file read with --filter (not a dataset): rows in messages are its rows
        self.single = len(dataset.parts) == 1 and dataset.parts[0].name == self.name

    def file_columns(self) -> list[str]:
        """The first file's columns; CSV/TSV files of a header and no rows before
        it are passed over (the first file with rows is :attr:`first`, whose types
        are sniffed), all of them such: no data rows."""
        if self._columns is None:
            self._columns = self._first_with_rows()
            self._keys_in_files(set(self._columns) & set(self.dataset.keys))
        return self._columns

    def _keys_in_files(self, both: set[str]) -> None:
        """Keys that are also columns of the files (polars' ``write_parquet(
        partition_by=...)`` keeps them in both): the files' column is read, as
        polars reads it back; the directory values have pruned the files already
        (:attr:`kept`), and stop being columns of their own."""
        if not both:
            return
        ds = self.dataset
        self.dataset = Dataset(
            ds.name, ds.fmt, ds.root, ds.parts, tuple(k for k in ds.keys if k not in both)
        )
        self.kept = [
            Part(
                p.name,
                p.location,
                p.fmt,
                p.rows,
                tuple(kv for kv in p.partition if kv[0] not in both),
            )
            for p in self.kept
        ]
        self.first = next(p for p in self.kept if p.location == self.first.location)

    def _first_with_rows(self) -> list[str]:
        """The columns of the first file with rows: CSV/TSV files of a header only and
        0-byte text files (:func:`~losscli.io.dataset_read.is_empty`) are parts of no
        rows; a file given alone (with ``--filter``) is read as it is."""
        from losscli.io.csv import HeaderOnly
        from losscli.io.dataset_read import is_empty

        empty = 0
        for part in self.kept:
            if not self.single and is_empty(part):
                empty += 1
                continue
            try:
                columns = tables.read_columns(part.location, fmt=part.fmt, header=self.header)
            except HeaderOnly:
                continue
            self.first = part
            return columns
        why = f" match --filter {self.flt.text!r}" if self.flt is not None else ""
        each = {0: "has a header only", len(self.kept): "is 0 bytes"}
        raise NoDataRows(
            f"{self.name}: no data rows{why} "
            f"(every file {each.get(empty, 'is 0 bytes or has a header only')})"
        )

    def columns(self) -> list[str]:
        return [*self.file_columns(), *self.dataset.keys]

    def key_kind(self, key: str) -> str:
        """ "number" when the key's values are integers (nulls aside), else "text"."""
        return self._kinds[key]

    def sniff_types(self, columns: Sequence[str]) -> dict[str, str]:
        keys = self.dataset.keys
        data = [c for c in columns if c not in keys]
        self.file_columns()  # which file is the first with rows
        first = self.first
        out = tables.sniff_types(first.location, fmt=first.fmt, columns=data, header=self.header)
        out.update({c: self.key_kind(c) for c in columns if c in keys})
        return {c: out[c] for c in columns}

    def iter_arrays(
        self,
        *,
        columns: Sequence[str],
        column_types: dict[str, str] | None = None,
        chunk_rows: int = tables.DEFAULT_CHUNK_ROWS,
        coalesce: bool = False,
    ) -> Generator[Arrays]:
        from losscli.io import dataset_read

        self.file_columns()  # which keys the files hold themselves
        self._starts, self._parts, self._read = [], [], 0
        self._types = dict(column_types or {})
        reader = dataset_read.Reader(self, list(columns), column_types or {}, chunk_rows, coalesce)
        base = 0
        try:
            for part, batches in reader.parts():
                self._starts.append(base)
                self._parts.append(part)
                for offset, arrays in batches:
                    yield base + offset, arrays
                base += reader.rows_of_last
                self._read = base
        except InputError as exc:
            exc.file_rows = True  # type: ignore[attr-defined]  # (a reader's: its file's rows)
            raise
        if base == 0:
            why = f" match --filter {self.flt.text!r}" if self.flt is not None else ""
            raise NoDataRows(f"{self.name}: no data rows{why}")

    @property
    def read_types(self) -> dict[str, str]:
        """How the last run read the files' columns (:attr:`RowMap.types`)."""
        return dict(self._types)

    def part_rows(self) -> list[int]:
        """The rows read of each file of :attr:`kept` (those ``--filter`` kept), after
        the last chunk."""
        starts = [*self._starts, self._read]
        return [b - a for a, b in itertools.pairwise(starts)]

    def rows(self) -> RowMap:
        """The map of the rows read so far (all of them after the last chunk)."""
        types = [self._types] * len(self._parts)
        return RowMap(
            self.name, self.flt, self.single, self._starts, self._parts, types, self.header
        )

    def locate(self, row: int) -> tuple[Part, int] | None:
        """The file holding the 1-based dataset row ``row``, and its row there."""
        return self.rows().locate(row)

    def located(self, exc: InputError) -> InputError:
        return self.rows().located(exc)

    def renumbered(self, texts: Sequence[str]) -> list[str]:
        return self.rows().renumbered(texts)


@dataclasses.dataclass(frozen=True)
class RowMap:
    """Where the rows a run counted come from: the rows of ``parts[i]`` follow the
    ``starts[i]`` rows of the parts before it (with ``--filter``: the rows it kept),
    ``types[i]``: how the run read that part's columns (to count its rows again);
    ``single``: one file read with ``--filter`` (rows in messages are its rows).
    :class:`DatasetInput` fills one as it reads; ``--engine dask`` builds one from
    its partitions' counts, so both word a row alike."""

    name: str
    flt: Filter | None
    single: bool
    starts: Sequence[int]
    parts: Sequence[Part]
    types: Sequence[dict[str, str]]
    #: ``--columns``: the names of CSV/TSV files without a header line
    header: Sequence[str] | None = None

    def locate(self, row: int) -> tuple[Part, int] | None:
        """The file holding the 1-based dataset row ``row``, and its row there."""
        found = self._index(row)
        return None if found is None else (self.parts[found[0]], found[1])

    def _index(self, row: int) -> tuple[int, int] | None:
        i = bisect.bisect_right(self.starts, row - 1) - 1
        return None if i < 0 else (i, row - self.starts[i])

    def located(self, exc: InputError) -> InputError:
        """An engine error about a dataset row, completed with its file and row. With
        ``--filter`` the engine counted the rows kept: its "row N" become the file's
        rows (:meth:`renumbered`); a reader's error names its file's rows already."""
        if getattr(exc, "file_rows", False) or exc.file not in (None, self.name):
            return exc
        found = self._index(exc.row) if exc.row is not None else None
        if self.flt is not None and (exc.row is None or self.single):
            row = self._source_row(*found)[1] if found is not None else exc.row
            (text,) = self.renumbered([str(exc)])
            return InputError(text, file=exc.file, column=exc.column, row=row)
        if found is None:
            return exc
        part, row = self._source_row(*found)
        after = " of those --filter kept" if self.flt is not None else ""
        return InputError(
            f"{exc} (dataset row {exc.row}{after}: {part.name}, row {row})",
            file=part.name,
            column=exc.column,
            row=row,
        )

    def _source_row(self, i: int, row: int) -> tuple[Part, int]:
        """The file's 1-based data row of the ``row``-th row read of ``parts[i]``
        (with ``--filter``: of those kept, counted again in the file)."""
        part = self.parts[i]
        if self.flt is None:
            return part, row
        from losscli.io.filter import source_rows

        found = source_rows(
            part.location,
            part.fmt,
            self.flt,
            dict(part.partition),
            self.types[i],
            [row],
            header=self.header,
        )
        return part, found.get(row, row)

    def renumbered(self, texts: Sequence[str]) -> list[str]:
        """Texts of the run (skip reasons, warnings, errors) whose "row N" counts the
        rows ``--filter`` kept, with the file's row instead (a dataset: the file's
        row added to the count)."""
        flt = self.flt
        if flt is None:
            return list(texts)

        def row_of(m: re.Match[str]) -> str:
            kept = int(m.group(1))
            found = self._index(kept)
            if found is None:
                return m.group(0)
            if on_partition(flt, dict(self.parts[found[0]].partition)) is True:
                return m.group(0)  # (its file's rows all kept: a row of the files read)
            part, row = self._source_row(*found)
            if self.single:
                return f"row {row}"
            return f"row {kept} of those --filter kept ({part.name}, row {row})"

        return [_ROW.sub(row_of, t) for t in texts]


class PartInput(DatasetInput):
    """One file of a dataset (or a run of consecutive files) read alone, its Hive
    keys as columns typed as the whole dataset types them (:attr:`Part.partition`,
    ``kinds``: :meth:`key_kinds` of the dataset): what an engine that reads the files
    apart (``--engine dask``) hands each partition to. Its rows are its files', so
    an engine error is its error as it is; given ``first_row`` (the rows of the
    dataset before the file, those ``--filter`` kept, the run's ``row_offset`` too)
    and the dataset's name, an engine error is worded as :class:`DatasetInput`
    words it for the whole."""

    def __init__(
        self,
        dataset: Dataset,
        flt: Filter | None,
        kinds: dict[str, str],
        first_row: int | None = None,
        header: Sequence[str] | None = None,
    ) -> None:
        super().__init__(dataset, flt, header)
        self._kinds = dict(kinds)
        self.first_row = first_row
        self.single = False  # (a part of a dataset, a 0-byte one a part of no rows)

    def rows(self) -> RowMap:
        found = super().rows()
        shift = self.first_row or 0
        return dataclasses.replace(found, starts=[s + shift for s in found.starts])

    def located(self, exc: InputError) -> InputError:
        return exc if self.first_row is None else super().located(exc)


def part_input(
    part: Part | Sequence[Part],
    *,
    root: str,
    keys: Sequence[str],
    kinds: dict[str, str],
    filter_text: str | None = None,
    name: str | None = None,
    first_row: int | None = None,
    header: Sequence[str] | None = None,
) -> PartInput:
    """The input of ``part`` alone, or of consecutive parts read one after the other
    (see :class:`PartInput`); ``root``: the dataset's (``--filter`` on Parquet reads
    through ``pyarrow.dataset`` from it); ``name``: the dataset's, with ``first_row``
    (default: the first part's)."""
    flt = parse(filter_text) if filter_text is not None else None
    parts = (part,) if isinstance(part, Part) else tuple(part)
    ds = Dataset(name or parts[0].name, parts[0].fmt, root, parts, tuple(keys))
    return PartInput(ds, flt, kinds, first_row, header)


def open_input(
    source: str,
    *,
    fmt: str | None = None,
    filter_text: str | None = None,
    header: Sequence[str] | None = None,
) -> FileInput | DatasetInput:
    """The input a run reads: one file as before, or a dataset (a directory, a glob,
    a store prefix; or one file with ``--filter``); ``header``: ``--columns``."""
    flt = parse(filter_text) if filter_text is not None else None
    if is_dataset(source) or is_remote_folder(source):
        ds = discover(source, fmt)
    elif flt is not None:
        from losscli.io.sources import resolve

        if source == "-":
            raise InputError("--filter reads files, not stdin; save the input to a file first")
        res = resolve(source, fmt)
        part = Part(res.name, source, res.fmt)
        ds = Dataset(res.name, res.fmt, str(Path(source).parent), (part,), ())
    else:
        return FileInput(source, fmt, header)
    if flt is not None:
        _check_filter(ds, flt)
    return DatasetInput(ds, flt, header)


def _check_filter(ds: Dataset, flt: Filter) -> None:
    """Partition values that a comparison cannot use are an error before any read."""
    for part in ds.parts:
        on_partition(flt, dict(part.partition))
