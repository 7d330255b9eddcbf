"""Datasets: a directory, a glob or a store prefix of many files read as one input.

* **What is a dataset**: a local directory (every file inside it, recursively), a
  glob (``'preds/2026-*.parquet'``, quoted so the shell leaves it alone), or a URL of
  a store "directory" or glob (``s3://bucket/preds/``). Files and directories whose
  name starts with ``.`` or ``_`` are skipped (``_SUCCESS``, ``_metadata``, ``.crc``:
  what Spark, Hive and pyarrow leave beside the data, and what pyarrow skips too), and
  files named ``…_$folder$`` or ``…._COPYING_`` (Hadoop's, skipped by Spark).
  The files are read in the sorted order of their paths, one after the other.
* **One format, one schema**: every file must be of the first one's format (told by
  its suffix, or all of ``--format``) and hold the same columns (Parquet: with the
  same types); the first file that differs is named (exit 2). An empty directory or a
  glob that matches nothing is an error too.
* **Hive partitions**: directories named ``key=value`` (``model=tree/day=2026-11-30/``)
  give every file below them the column ``key`` (an integer when every value of the
  key is one, else text), usable as any column (``--by day``, ``--weight``...); when
  the files hold a column ``key`` themselves (polars writes both), theirs is read. The
  value ``__HIVE_DEFAULT_PARTITION__`` is a missing value (what Hive, Spark, pyarrow,
  pandas, DuckDB and polars write for a null key, and what pyarrow reads back as null).
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

Cut so: this module knows files of a dataset and their order; each file is still
read by the single-file readers, and :class:`FileInput` is the single-file input
unchanged, so a plain file reads exactly as before.
"""

from __future__ import annotations

import bisect
import os
import re
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from losscli.errors import InputError
from losscli.io import remote, tables
from losscli.io.filter import Filter, on_partition, parse
from losscli.io.sources import FORMATS, display_name, name_format

_GLOB = re.compile(r"[*?\[]")
_INT = re.compile(r"^[-+]?\d{1,18}$")
#: the directory value of a null partition key (Hive's name, which every writer uses)
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"
#: a row named in a report's text (a row the engine counted)
_ROW = re.compile(r"\brow (\d+)\b")

Arrays = tuple[int, dict[str, Any]]


class NoDataRows(InputError):
    """A dataset input (or the rows ``--filter`` kept of it) holds no data row: an
    error for the whole input, nothing for one file of it read apart."""


@dataclass(frozen=True)
class Part:
    """One file of a dataset: ``name`` in messages, ``location`` to hand to the
    readers of :mod:`losscli.io.tables` (a path or a URL), its format, its row count
    (Parquet: from the footer, before any filter; else None) and its Hive partition
    values ``((key, value), ...)`` (int or str; None for a null key)."""

    name: str
    location: str
    fmt: str
    rows: int | None = None
    partition: tuple[tuple[str, str | int | None], ...] = ()


@dataclass(frozen=True)
class Dataset:
    """The files of a dataset in reading order, and the partition keys they share."""

    name: str
    fmt: str
    root: str
    parts: tuple[Part, ...]
    keys: tuple[str, ...]


# --------------------------------------------------------------------------- discovery


def is_dataset(source: str) -> bool:
    """Whether ``source`` names many files: a directory, a glob, a store prefix
    (a URL that ends with ``/`` or holds a glob). Stdlib only."""
    if source == "-":
        return False
    if remote.is_url(source):
        rest = source.split("://", 1)[1]
        web = remote.scheme(source) in ("http", "https")
        return not web and (rest.endswith("/") or bool(_GLOB.search(rest)))
    if os.path.isdir(source):
        return True
    return bool(_GLOB.search(source)) and not os.path.lexists(source)


#: name endings of what is not data either: Hadoop's S3 directory markers
#: (``day=2026-11-30_$folder$``, empty objects) and ``hdfs dfs -put``'s file in
#: transit (``part-0.csv._COPYING_``), which Spark's file index skips too
_NOT_DATA = ("_$folder$", "._COPYING_")


def _hidden(relative: str) -> bool:
    segs = [seg for seg in relative.split("/") if seg]
    return any(seg.startswith((".", "_")) for seg in segs) or (
        bool(segs) and segs[-1].endswith(_NOT_DATA)
    )


def _local_files(source: str) -> tuple[str, list[str]]:
    """``(root, sorted file paths)`` of a local directory or glob."""
    import glob

    if os.path.isdir(source):
        root = source
        if os.path.isdir(os.path.join(source, "_delta_log")):
            _refuse_delta(source)
        found: list[str] = []
        for folder, dirs, files in os.walk(source):
            dirs[:] = [d for d in dirs if not d.startswith((".", "_"))]
            found.extend(os.path.join(folder, f) for f in files)
    else:
        root = _glob_root(source)
        found = [p for p in glob.glob(source, recursive=True) if os.path.isfile(p)]
    rel = {p: os.path.relpath(p, root).replace(os.sep, "/") for p in found}
    return root, sorted((p for p in found if not _hidden(rel[p])), key=lambda p: rel[p])


def _glob_root(pattern: str) -> str:
    """The directory part of a glob before its first wildcard."""
    head = _GLOB.split(pattern, maxsplit=1)[0]
    return head if head.endswith(("/", os.sep)) else (os.path.dirname(head) or ".")


def _remote_files(source: str) -> tuple[str, list[str]]:
    found = remote.resolve(source)
    if isinstance(found, remote.Remote):
        return source.rsplit("/", 1)[0], [source]
    glob = bool(_GLOB.search(source.split("://", 1)[1]))
    root = (_glob_root(source) if glob else source).rstrip("/")
    if not glob and any(u[len(root) :].startswith("/_delta_log/") for u in found):
        _refuse_delta(source)
    # a key ending in "/" is a directory marker (an S3 console's "Create folder")
    return root, [u for u in found if not u.endswith("/") and not _hidden(u[len(root) :])]


def _partition(relative: str) -> list[tuple[str, str | None]]:
    """The Hive ``key=value`` directories of a file's path below the root (None for
    :data:`NULL_PARTITION`)."""
    from urllib.parse import unquote

    out: list[tuple[str, str | None]] = []
    for seg in relative.split("/")[:-1]:
        key, eq, value = seg.partition("=")
        if eq and key:
            out.append((unquote(key), None if value == NULL_PARTITION else unquote(value)))
    return out


def discover(source: str, fmt: str | None = None) -> Dataset:
    """The files of the dataset ``source`` (see the module docstring), or InputError:
    nothing found, a file of another format, partition keys that differ, a Delta
    Lake table (:func:`_refuse_delta`)."""
    name = display_name(source)
    root, files = _remote_files(source) if remote.is_url(source) else _local_files(source)
    if not files:
        if os.path.isdir(source) or source.endswith("/"):
            raise InputError(
                f"{name} is a directory with no data files "
                "(.csv .tsv .parquet .pq .jsonl .ndjson, optionally + .gz .bz2 .xz .zst)"
            )
        raise InputError(f"no file matches {name}")
    chosen, parts = _typed_files(name, root, files, fmt)
    keys, parts = _partitions(name, root, parts)
    return Dataset(name, chosen, root, tuple(parts), keys)


def _refuse_delta(source: str) -> None:
    """A Delta Lake table's directory (``_delta_log/`` beside the data) also holds
    the Parquet files that later versions removed or overwrote: read as a dataset
    it would count their rows too (as pyarrow's and Spark's Parquet readers do), so
    it is refused. A quoted glob still reads the files it names."""
    raise InputError(
        f"{display_name(source)} is a Delta Lake table (it has a _delta_log): its "
        "directory also holds files that later versions removed; write the version to "
        "evaluate to Parquet first (deltalake: DeltaTable(PATH).to_pyarrow_dataset()), "
        "or name the files with a quoted glob to read every one of them"
    )


def _typed_files(name: str, root: str, files: list[str], fmt: str | None) -> tuple[str, list[Part]]:
    parts: list[Part] = []
    chosen = fmt
    for path in files:
        named, _ = name_format(path)
        this = fmt or named
        shown = display_name(path)
        if this is None:
            raise InputError(
                f"{name}: cannot tell the format of {shown} from its name; a dataset holds "
                f"files of one format (use --format {'|'.join(FORMATS)} to read every file so)"
            )
        if chosen is None:
            chosen = this
        if this == chosen:
            parts.append(Part(shown, path, this))
            continue
        raise InputError(
            f"{name}: {shown} is {this}, but {parts[0].name} is {chosen}: "
            "a dataset holds files of one format"
        )
    assert chosen is not None
    return chosen, parts


def _partitions(name: str, root: str, parts: list[Part]) -> tuple[tuple[str, ...], list[Part]]:
    """The Hive keys every file shares (the same keys, in the same order), the
    values typed: int when every value of a key is an integer."""
    found = [_partition(_relative(root, p.location)) for p in parts]
    keys = tuple(k for k, _ in found[0])
    for part, pairs in zip(parts, found, strict=True):
        if tuple(k for k, _ in pairs) != keys:
            raise InputError(
                f"{name}: {part.name} has the partition keys ({', '.join(k for k, _ in pairs)}), "
                f"but {parts[0].name} has ({', '.join(keys)}): the files of a dataset must agree"
            )
    ints = [_all_ints([pairs[i][1] for pairs in found]) for i in range(len(keys))]
    typed = []
    for part, pairs in zip(parts, found, strict=True):
        values = tuple(
            (k, int(v) if ints[i] and v is not None else v) for i, (k, v) in enumerate(pairs)
        )
        typed.append(Part(part.name, part.location, part.fmt, None, values))
    return keys, typed


def _all_ints(values: list[str | None]) -> bool:
    """Whether a key is a number: every value that is not null is an integer (and
    one is not null)."""
    present = [v for v in values if v is not None]
    return bool(present) and all(_INT.match(v) for v in present)


def _relative(root: str, location: str) -> str:
    if remote.is_url(location):
        return location[len(root) :].lstrip("/")
    return os.path.relpath(location, root).replace(os.sep, "/")


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
    """One file (or ``-``) read exactly as :mod:`losscli.io.tables` reads it."""

    def __init__(self, source: str, fmt: str | None) -> None:
        self.source, self.fmt = source, fmt
        self.name = display_name(source)

    def columns(self) -> list[str]:
        return tables.read_columns(self.source, fmt=self.fmt)

    def sniff_types(self, columns: Sequence[str]) -> dict[str, str]:
        return tables.sniff_types(self.source, fmt=self.fmt, columns=list(columns))

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
        )

    def located(self, exc: InputError) -> InputError:
        return exc

    def renumbered(self, texts: Sequence[str]) -> list[str]:
        return list(texts)


class DatasetInput:
    """Many files (:class:`Dataset`) read one after the other as one input."""

    def __init__(self, dataset: Dataset, flt: Filter | None) -> None:
        self.dataset, self.flt = dataset, flt
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
        from losscli.io.csv import HeaderOnly

        for part in self.kept:
            try:
                columns = tables.read_columns(part.location, fmt=part.fmt)
            except HeaderOnly:
                continue
            self.first = part
            return columns
        why = f" match --filter {self.flt.text!r}" if self.flt is not None else ""
        raise NoDataRows(f"{self.name}: no data rows{why} (every file has a header only)")

    def columns(self) -> list[str]:
        return [*self.file_columns(), *self.dataset.keys]

    def key_kind(self, key: str) -> str:
        """ "number" when the key's values are integers (nulls aside), else "text"."""
        return self._kinds[key]

    def sniff_types(self, columns: Sequence[str]) -> dict[str, str]:
        keys = self.dataset.keys
        data = [c for c in columns if c not in keys]
        self.file_columns()  # which file is the first with rows
        out = tables.sniff_types(self.first.location, fmt=self.first.fmt, columns=data)
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
        self._starts, self._parts = [], []
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
        except InputError as exc:
            exc.file_rows = True  # type: ignore[attr-defined]  # (a reader's: its file's rows)
            raise
        if base == 0:
            why = f" match --filter {self.flt.text!r}" if self.flt is not None else ""
            raise NoDataRows(f"{self.name}: no data rows{why}")

    def locate(self, row: int) -> tuple[Part, int] | None:
        """The file holding the 1-based dataset row ``row``, and its row there."""
        i = bisect.bisect_right(self._starts, row - 1) - 1
        if i < 0:
            return None
        return self._parts[i], row - self._starts[i]

    def located(self, exc: InputError) -> InputError:
        """An engine error about a dataset row, completed with its file and row. With
        ``--filter`` the engine counted the rows kept: its "row N" become the file's
        rows (:meth:`renumbered`); a reader's error names its file's rows already."""
        if getattr(exc, "file_rows", False) or exc.file not in (None, self.name):
            return exc
        if self.flt is not None and (exc.row is None or self.single):
            found = self.locate(exc.row) if exc.row is not None else None
            row = self._source_row(*found)[1] if found is not None else exc.row
            (text,) = self.renumbered([str(exc)])
            return InputError(text, file=exc.file, column=exc.column, row=row)
        found = self.locate(exc.row) if exc.row is not None else None
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

    def _source_row(self, part: Part, row: int) -> tuple[Part, int]:
        """The file's 1-based data row of its ``row``-th row read (with ``--filter``:
        of those kept, counted again in the file)."""
        if self.flt is None:
            return part, row
        from losscli.io.filter import source_rows

        found = source_rows(
            part.location, part.fmt, self.flt, dict(part.partition), self._types, [row]
        )
        return part, found.get(row, row)

    def renumbered(self, texts: Sequence[str]) -> list[str]:
        """Texts of the run (skip reasons, warnings, errors) whose "row N" counts the
        rows ``--filter`` kept, with the file's row instead (a dataset: the file's
        row added to the count)."""
        if self.flt is None:
            return list(texts)

        def row_of(m: re.Match[str]) -> str:
            kept = int(m.group(1))
            found = self.locate(kept)
            if found is None:
                return m.group(0)
            part, row = found
            if self.flt is not None and on_partition(self.flt, dict(part.partition)) is True:
                return m.group(0)  # (its file's rows all kept: a row of the files read)
            part, row = self._source_row(part, row)
            if self.single:
                return f"row {row}"
            return f"row {kept} of those --filter kept ({part.name}, row {row})"

        return [_ROW.sub(row_of, t) for t in texts]


class PartInput(DatasetInput):
    """One file of a dataset read alone, its Hive keys as columns typed as the whole
    dataset types them (:attr:`Part.partition`, ``kinds``: :meth:`key_kinds` of the
    dataset): what an engine that reads the files apart (``--engine dask``) hands
    each file to. Its rows are the file's, so an engine error is the file's error
    as it is."""

    def __init__(self, dataset: Dataset, flt: Filter | None, kinds: dict[str, str]) -> None:
        super().__init__(dataset, flt)
        self._kinds = dict(kinds)

    def located(self, exc: InputError) -> InputError:
        return exc


def key_kinds(ds: Dataset) -> dict[str, str]:
    """Each partition key's kind over the dataset's files: "number" when its values
    are integers (nulls aside), else "text"."""
    return {
        k: "number" if any(isinstance(dict(p.partition)[k], int) for p in ds.parts) else "text"
        for k in ds.keys
    }


def part_input(
    part: Part,
    *,
    root: str,
    keys: Sequence[str],
    kinds: dict[str, str],
    filter_text: str | None = None,
) -> PartInput:
    """The input of ``part`` alone (see :class:`PartInput`); ``root``: the dataset's
    (``--filter`` on Parquet reads through ``pyarrow.dataset`` from it)."""
    flt = parse(filter_text) if filter_text is not None else None
    return PartInput(Dataset(part.name, part.fmt, root, (part,), tuple(keys)), flt, kinds)


def open_input(
    source: str, *, fmt: str | None = None, filter_text: str | None = None
) -> FileInput | DatasetInput:
    """The input a run reads: one file as before, or a dataset (a directory, a glob,
    a store prefix; or one file with ``--filter``)."""
    flt = parse(filter_text) if filter_text is not None else None
    if is_dataset(source) or _remote_folder(source):
        ds = discover(source, fmt)
    elif flt is not None:
        from losscli.io.sources import resolve

        if source == "-":
            raise InputError("--filter reads files, not stdin; save the input to a file first")
        res = resolve(source, fmt)
        part = Part(res.name, source, res.fmt)
        ds = Dataset(res.name, res.fmt, str(Path(source).parent), (part,), ())
    else:
        return FileInput(source, fmt)
    if flt is not None:
        _check_filter(ds, flt)
    return DatasetInput(ds, flt)


def _remote_folder(source: str) -> bool:
    """Whether a URL without a trailing ``/`` names a store "directory" (one look-up;
    a web URL is always one file)."""
    if not remote.is_url(source) or remote.scheme(source) in ("http", "https"):
        return False
    return not isinstance(remote.resolve(source), remote.Remote)


def _check_filter(ds: Dataset, flt: Filter) -> None:
    """Partition values that a comparison cannot use are an error before any read."""
    for part in ds.parts:
        on_partition(flt, dict(part.partition))
