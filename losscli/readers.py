"""Turn a path or stdin into columns: CSV, TSV, Parquet, JSON Lines, compressed.

Public API (contract in notes/TEAM.md):

* :func:`read_frame` – the whole file as one pandas DataFrame;
* :func:`iter_frames` – the file as DataFrames of at most ``chunk_rows`` rows;
* :func:`read_columns` – the column names (header only);
* :func:`display_name` – how a source is named in messages (``<stdin>`` for ``-``);
* :func:`iter_arrays` – the streaming path of ``losscli evaluate``: chunks of the
  requested columns as numpy arrays (numeric columns as float64, NaN = missing),
  without building a DataFrame at all.

Formats are chosen by suffix (``.csv .tsv .parquet .pq .jsonl .ndjson``, CSV/TSV/JSONL
optionally followed by ``.gz .bz2 .xz .zst .zstd``) or by ``fmt``. ``-`` reads
stdin: CSV unless ``fmt`` says otherwise; Parquet is recognised by its magic bytes
``PAR1`` and gzip/bz2/xz/zstd compression by theirs. Stdin, and any path that is
not a regular file (a FIFO, process substitution ``<(…)``, ``/dev/zero``), is
spooled once to a temporary file (:mod:`losscli.sources`: bounded by
``LOSSCLI_MAX_SPOOL_BYTES``, left behind by no kind of exit), so it can be sniffed,
re-opened and read in chunks like any file, in flat memory. Lines are bounded by
``LOSSCLI_MAX_LINE_BYTES`` (64 MiB): a longer one is refused with its line number.
A regular file named ``.csv``/``.tsv``/``.jsonl`` whose first bytes say it is
compressed, Parquet, zip, UTF-16/32 or binary (NUL bytes) is refused in one line
saying so; with an explicit ``fmt`` compressed bytes are decompressed as their
magic says, as on stdin.

Every failure is an :class:`~losscli.errors.InputError` whose one-line message
names the file and, where there is one, the column and the 1-based data row; the
public functions turn any I/O or decompression error that escapes (a corrupt or
truncated gzip/bz2/xz/zstd stream) into one (:func:`_input_errors`).

Values no loss can use are refused, naming the column (and row): nested Arrow
values (a Parquet ``list<double>``, a struct), and 64-bit integers, in a column read
as numbers, that float64 cannot hold exactly. Convention for those: integers
that float64 holds exactly (all up to 2**53, and larger ones such as 2**60 whose
odd part fits in 53 bits) are converted; the first that it does not hold raises
InputError naming the column and the 1-based row (:func:`exact_int64`), rather than
computing a loss of a silently rounded value.

Engine choice (measured on a 2M-row ``y_true,y_pred`` CSV, 78 MB, whole process
incl. imports, on the shared 2-core dev machine, so noisy):
pandas ``read_csv(usecols, chunksize=1M)`` 1.6 s / 157 MiB; pyarrow ``open_csv``
(1 MiB blocks) 1.6 s / 185 MiB, (4 MiB) 1.5 s / 220 MiB, (64 MiB) 1.5 s / 331 MiB;
Parquet ``ParquetFile(pre_buffer=False).iter_batches`` 1.25 s / 208 MiB. The CSV
engines are on par; pyarrow wins on what matters more here: one engine and one
set of types for CSV, Parquet and JSONL, ragged rows detected (pandas fills short
rows with NaN silently when ``usecols`` is given), and numeric columns that become
numpy float64 without a copy. But ``open_csv``'s memory grows with the file (its
read-ahead outruns a slower consumer: Arrow pool peak 68 MiB at 2M rows, 150 MiB
at 6M), so CSV/TSV/JSONL are cut into 4 MiB blocks of whole lines here and each
block is parsed by Arrow's multi-threaded ``read_csv`` / ``read_json``
(:func:`_csv_blocks`, two blocks parsed at once on two threads): pool peak
9 MiB at any size. On 10M rows (368 MB CSV) ``losscli evaluate`` with all ten
regression losses then ran in 1.6-1.7 s at 129 MiB peak RSS, against 2.0 s /
271 MiB for DuckDB computing the same ten losses (same run; 20M rows: 129 MiB).
Uncompressed files are read block by block at their offsets
(:func:`_file_line_blocks`), so a block is never copied to be joined with the
rest of a cut line.

Since then each CSV/TSV block is first offered to the C scanner
(:mod:`losscli._fastcsv`, source in ``losscli/_native/fastcsv.c``) when every
requested column has a fixed type (float64, or text read as codes): Arrow spent
≈ 2 CPU-s of a 10M-row run tokenising and converting, the scanner ≈ 1 CPU-s with
correctly rounded floats; the run went from ≈ 2.0 s / 120 MiB to ≈ 1.4 s / 55 MiB.
It returns exactly what Arrow would, or declines the block (anything unusual: a
missing or null-like cell, a quoted number, a ragged row...), which Arrow then
parses, so messages, types and rows are Arrow's and this module's as before
(``tests/test_fastcsv.py`` holds both to this). Its blocks come as numpy columns
(:class:`_ArrayBatch`, :class:`TextCodes`), so a plain CSV is evaluated without
importing pyarrow at all.

Each block infers the types of the columns it holds, so the caller fixes the
types of the columns it needs (``float64`` for predictions and weights, and for a
numeric truth): an integer column with ``1.5`` in a later block then reads fine,
and text in a numeric column is reported with its row.

Numeric Arrow columns are turned into numpy through their buffers
(:func:`arrow_float64`), not ``to_numpy``: pyarrow's conversion helpers import
pandas (0.3 s), which the streaming path otherwise never needs.

pandas and pyarrow are imported inside the functions: ``losscli --help`` must not
pay for them.
"""

from __future__ import annotations

import atexit
import contextlib
import csv
import dataclasses
import functools
import inspect
import io
import os
import re
import sys
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

from losscli.errors import InputError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

STDIN = "-"
FORMATS: tuple[str, ...] = ("csv", "tsv", "parquet", "jsonl")
DEFAULT_CHUNK_ROWS = 1 << 20
#: Arrow CSV block size for the default chunk size: large enough to amortise the
#: per-block overhead, small enough to keep memory flat (see the module docstring).
DEFAULT_BLOCK_BYTES = 8 << 20
#: Bytes of CSV read and parsed at a time by the streaming path (see _csv_blocks).
CSV_BLOCK_BYTES = 4 << 20
#: ... when the caller wants large chunks (``coalesce``, i.e. ``--by``): a block of
#: this size holds 0.4-0.7M rows of a typical file, a chunk on its own, so the C
#: scanner's blocks are never copied into one (10M rows × 100 groups: 0.2 s less).
COALESCE_BLOCK_BYTES = 16 << 20
#: ``coalesce`` joins batches until they hold ``chunk_rows / COALESCE_SHARE`` rows:
#: per-group work has a fixed cost per chunk, a few hundred thousand rows amortise it.
COALESCE_SHARE = 4
#: Arrow's parse unit for the header / schema sniffing (one block, Arrow's threads).
PARSE_BLOCK_BYTES = 1 << 20
#: CSV blocks parsed at the same time by the streaming path (one thread each).
CSV_PARSE_THREADS = 2
#: Row groups of up to this many values (rows × columns read) are read whole
#: (Parquet); bigger ones in batches of this many values.
PARQUET_GROUP_VALUES = 4 << 20

_SUFFIX_FORMAT = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
_SUFFIX_COMPRESSION = {
    ".gz": "gzip",
    ".gzip": "gzip",
    ".bz2": "bz2",
    ".xz": "xz",
    ".zst": "zstd",
    ".zstd": "zstd",
}
_PARQUET_MAGIC = b"PAR1"

SourceLike = str | os.PathLike[str]


def display_name(source: SourceLike) -> str:
    """The name of ``source`` in messages: ``<stdin>`` for ``-``, else the path as given."""
    text = os.fspath(source)
    return "<stdin>" if text == STDIN else text


# --------------------------------------------------------------------------- guard

_F = TypeVar("_F", bound=Callable[..., Any])


def _io_failure(source: SourceLike, exc: BaseException) -> InputError:
    """A read or decompression failure that escaped the specific handlers, as one
    line naming the file: "not valid xz data (corrupt or truncated)" and the like."""
    import lzma
    import zlib

    name = display_name(source)
    suffix = Path(os.fspath(source)).suffix.lower()
    compression = _SUFFIX_COMPRESSION.get(suffix)
    if compression is None:
        if isinstance(exc, lzma.LZMAError):
            compression = "xz"
        elif isinstance(exc, zlib.error):
            compression = "gzip"
        elif type(exc).__module__.startswith("zstandard"):
            compression = "zstd"
        elif "compress" in str(exc).lower() or isinstance(exc, EOFError):
            compression = "compressed"
    if compression is not None:
        what = "compressed" if compression == "compressed" else f"{compression}"
        return InputError(f"cannot read {name}: not valid {what} data (corrupt or truncated)")
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else _short(exc)
    return InputError(f"cannot read {name}: {reason}")


def _input_errors(func: _F) -> _F:
    """Every public reader raises InputError, never a raw I/O or decompression
    error (EOFError, lzma.LZMAError, zlib.error, zstandard.ZstdError, OSError),
    whatever internal path it escaped from: its message names the file."""
    from losscli import sources

    if inspect.isgeneratorfunction(func):

        @functools.wraps(func)
        def gen(source: SourceLike, *args: Any, **kwargs: Any) -> Any:
            try:
                yield from func(source, *args, **kwargs)
            except Exception as exc:
                if isinstance(exc, InputError) or not sources.is_io_error(exc):
                    raise
                raise _io_failure(source, exc) from None

        return gen  # type: ignore[return-value]

    @functools.wraps(func)
    def call(source: SourceLike, *args: Any, **kwargs: Any) -> Any:
        try:
            return func(source, *args, **kwargs)
        except Exception as exc:
            if isinstance(exc, InputError) or not sources.is_io_error(exc):
                raise
            raise _io_failure(source, exc) from None

    return call  # type: ignore[return-value]


# --------------------------------------------------------------------------- sources


@dataclass(frozen=True)
class _Resolved:
    """Where the bytes are (a real path) and how to read them."""

    path: Path
    name: str
    fmt: str
    compression: str | None


#: Spools made by this process, by source: stdin (keyed by the stream object:
#: CliRunner swaps ``sys.stdin`` per invocation) and other streams (FIFOs, devices,
#: process substitution; keyed by path and inode, as they can be read only once).
_spools: dict[object, Path] = {}
#: Spool files to delete by cleanup() or at exit (where /proc/self/fd is missing).
_spooled: list[Path] = []
#: Descriptors of unlinked spools read back through /proc/self/fd.
_spool_fds: list[int] = []


def cleanup() -> None:
    """Delete the temporary copies of stdin and other streams. Registered with
    ``atexit`` too; the console script calls it itself, since it ends with
    ``os._exit`` (also on SIGTERM/SIGHUP, which the CLI turns into an exit)."""
    while _spooled:
        _unlink_quietly(_spooled.pop())
    while _spool_fds:
        with contextlib.suppress(OSError):
            os.close(_spool_fds.pop())
    _spools.clear()


def _spool_stream(key: object, raw: IO[bytes], name: str) -> Path:
    """Copy a stream once to a spool file (``losscli.sources.spool``: bounded,
    left behind by no kind of exit on Linux)."""
    from losscli import sources

    if key in _spools:
        return _spools[key]
    if isinstance(key, tuple) and key[0] == STDIN:
        # a new stdin (CliRunner): the previous one's spool is done with
        for old in [k for k in _spools if isinstance(k, tuple) and k[0] == STDIN]:
            _release(_spools.pop(old))
    if not _spooled and not _spool_fds:
        atexit.register(cleanup)
    path = sources.spool(raw, name, _spooled, _spool_fds)
    _spools[key] = path
    return path


def _release(path: Path) -> None:
    """Close (or delete) one spool that is done with."""
    if path in _spooled:
        _spooled.remove(path)
        _unlink_quietly(path)
        return
    fd = int(path.name) if path.parent == Path("/proc/self/fd") else -1
    if fd in _spool_fds:
        _spool_fds.remove(fd)
        with contextlib.suppress(OSError):
            os.close(fd)


def _spool_stdin() -> Path:
    stream = sys.stdin
    raw: IO[bytes] = getattr(stream, "buffer", None) or stream  # type: ignore[assignment]
    # (the stream itself, not its id: a later stdin object (CliRunner) may reuse a
    # freed one's id and would be handed the earlier bytes)
    return _spool_stream((STDIN, stream), raw, "<stdin>")


def _spool_path(path: Path, name: str) -> Path:
    """A FIFO, a character device or ``/dev/fd/N`` read once into a spool."""
    info = path.stat()
    key = (os.fspath(path), info.st_dev, info.st_ino)
    if key in _spools:
        return _spools[key]
    try:
        raw = open(path, "rb")  # noqa: SIM115  (closed below)
    except OSError as exc:
        raise InputError(f"cannot read {name}: {exc.strerror or exc}") from None
    with raw:
        return _spool_stream(key, raw, name)


def _unlink_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def _norm_fmt(fmt: str | None) -> str | None:
    if fmt is None:
        return None
    key = fmt.strip().lower()
    key = {"ndjson": "jsonl", "pq": "parquet", "tab": "tsv", "json": "jsonl"}.get(key, key)
    if key not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    return key


def _resolve(source: SourceLike, fmt: str | None) -> _Resolved:
    from losscli import sources

    fmt = _norm_fmt(fmt)
    explicit = fmt is not None
    text = os.fspath(source)
    name = display_name(source)
    if text == STDIN:
        return _sniffed(_spool_stdin(), name, fmt, None)
    path = Path(text)
    regular = sources.is_regular(path, name)
    if regular and not os.access(path, os.R_OK):
        raise InputError(f"cannot read {name}: permission denied")
    suffixes = [s.lower() for s in path.suffixes]
    compression = None
    if suffixes and suffixes[-1] in _SUFFIX_COMPRESSION:
        compression = _SUFFIX_COMPRESSION[suffixes.pop()]
    named = _SUFFIX_FORMAT.get(suffixes[-1]) if suffixes else None
    if fmt is None and named is None and regular:
        raise InputError(
            f"cannot tell the format of {name} from its name; use --format "
            f"{'|'.join(FORMATS)} (known suffixes: .csv .tsv .parquet .pq .jsonl .ndjson, "
            "optionally + .gz .bz2 .xz .zst)"
        )
    if not regular:
        # a stream (FIFO, <(...), device): read once, then sniffed as stdin is
        return _sniffed(_spool_path(path, name), name, fmt or named, compression)
    fmt = fmt or named
    assert fmt is not None
    if fmt == "parquet" and compression is not None:
        raise InputError(
            f"{name}: a Parquet file is compressed internally; do not wrap it in {compression}"
        )
    res = _Resolved(path, name, fmt, compression)
    if compression is None and fmt != "parquet":
        res = _check_head(res, explicit=explicit)
    return res


def _sniffed(path: Path, name: str, fmt: str | None, compression: str | None) -> _Resolved:
    """A spooled stream, its compression and format told by its magic bytes."""
    from losscli import sources

    head = _head(path, name)
    compression = sources.compression_of(head) or compression
    if fmt is None:
        fmt = "parquet" if head.startswith(_PARQUET_MAGIC) else "csv"
    if fmt == "parquet":
        compression = None
    res = _Resolved(path, name, fmt, compression)
    if compression is None and fmt != "parquet":
        res = _check_head(res, explicit=True)
    return res


def _check_head(res: _Resolved, *, explicit: bool) -> _Resolved:
    """An uncompressed text source must not start like a binary file. With an
    explicit ``--format`` (or a stream), compressed bytes are decompressed as their
    magic says; with a format told by the name only, the name is wrong: say so."""
    from losscli import sources

    head = _head(res.path, res.name, sources.SNIFF_BYTES)
    kind = sources.sniff_binary(head)
    if kind is None:
        return res
    if explicit and kind in sources.COMPRESSION_SUFFIX:
        return dataclasses.replace(res, compression=kind)
    raise InputError(sources.binary_message(res.name, kind, res.fmt))


def _head(path: Path, name: str, n: int = 8) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(n)
    except OSError as exc:
        raise InputError(f"cannot read {name}: {exc.strerror or exc}") from None


def _open_binary(res: _Resolved) -> IO[bytes]:
    """A decompressed binary stream of the file."""
    try:
        if res.compression is None:
            return open(res.path, "rb")
        if res.compression == "gzip":
            import gzip

            return gzip.open(res.path, "rb")  # type: ignore[return-value]
        if res.compression == "bz2":
            import bz2

            return bz2.open(res.path, "rb")
        if res.compression == "xz":
            import lzma

            return lzma.open(res.path, "rb")
        from losscli.sources import ZstdReader

        fh = open(res.path, "rb")  # noqa: SIM115  (closed by the reader)
        return ZstdReader(fh)  # type: ignore[return-value]
    except OSError as exc:
        raise InputError(f"cannot read {res.name}: {exc.strerror or exc}") from None


def _arrow_input(res: _Resolved) -> Any:
    """An Arrow input stream; Arrow decompresses gzip/bz2/zstd natively (faster than
    Python's modules); xz goes through :mod:`lzma`."""
    import pyarrow as pa

    if res.compression in (None, "gzip", "bz2", "zstd"):
        try:
            return pa.input_stream(str(res.path), compression=res.compression)
        except OSError as exc:
            raise InputError(f"cannot read {res.name}: {exc}") from None
    return pa.PythonFile(_open_binary(res), mode="r")


# --------------------------------------------------------------------------- header


def _delimiter(fmt: str) -> str:
    return "\t" if fmt == "tsv" else ","


def _raise_field_limit() -> None:
    """The csv module refuses fields over 128 KiB ("field larger than field
    limit"); a valid cell may be larger: the bound is the line bound instead."""
    from losscli import sources

    limit = min(sources.max_line_bytes(), sys.maxsize)
    if csv.field_size_limit() < limit:
        csv.field_size_limit(limit)


def _first_records(res: _Resolved, n: int) -> list[list[str]]:
    """The first ``n`` records of a CSV/TSV (Python's csv module: quoting-aware)."""
    stream = _open_binary(res)
    try:
        text = io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline="")
        _raise_field_limit()
        reader = csv.reader(text, delimiter=_delimiter(res.fmt))
        out: list[list[str]] = []
        for record in reader:
            if not record:  # blank line
                continue
            out.append(record)
            if len(out) >= n:
                break
        return out
    except (OSError, EOFError, ValueError, csv.Error) as exc:
        raise _decode_error(res, exc) from None
    finally:
        with contextlib.suppress(Exception):
            stream.close()


def _corrupt(res: _Resolved) -> InputError:
    return InputError(
        f"cannot read {res.name}: not valid {res.compression} data (corrupt or truncated)"
    )


def _decode_error(res: _Resolved, exc: BaseException) -> InputError:
    what = (
        f"not valid {res.compression} data (corrupt or truncated)" if res.compression else str(exc)
    )
    return InputError(f"cannot read {res.name}: {what}")


def _require_bytes(res: _Resolved) -> None:
    """An unreadable or zero-byte file is an InputError naming it."""
    try:
        size = res.path.stat().st_size
    except OSError as exc:
        raise InputError(f"cannot read {res.name}: {exc.strerror}") from None
    if size == 0:
        raise InputError(f"{res.name} is empty")


def _columns_of(res: _Resolved) -> list[str]:
    """Column names of a resolved source, checked: not empty, no duplicates."""
    if res.compression is not None and res.fmt != "parquet":
        _check_decompressed_head(res)
    if res.fmt in ("csv", "tsv"):
        _require_bytes(res)
        records = _first_records(res, 2)
        if not records or all(not c.strip() for c in records[0]):
            raise InputError(f"{res.name} is empty (no header line)")
        if len(records) < 2:
            raise InputError(f"{res.name} has a header but no data rows")
        # as Arrow reads them: not stripped (include_columns must match exactly)
        names = list(records[0])
        names[0] = names[0].lstrip("\ufeff")
    elif res.fmt == "parquet":
        pf = _parquet_file(res)
        names = list(pf.schema_arrow.names)
        if pf.metadata.num_rows == 0:
            _check_duplicates(names, res.name)
            raise InputError(f"{res.name} has no data rows")
    else:
        from losscli import jsonl

        names = jsonl.columns(res)
    _check_duplicates(names, res.name)
    return names


def _check_decompressed_head(res: _Resolved) -> None:
    """What :func:`_check_head` does for plain files, on the decompressed bytes:
    UTF-16/32 or NUL bytes inside the compression are named too."""
    from losscli import sources

    stream = _open_binary(res)
    try:
        head = stream.read(sources.SNIFF_BYTES)
    except Exception as exc:
        if not sources.is_io_error(exc):
            raise
        return  # (the read proper reports it, with the file's name)
    finally:
        with contextlib.suppress(Exception):
            stream.close()
    kind = sources.sniff_binary(head)
    if kind in ("UTF-16", "UTF-32", "nul"):
        raise InputError(sources.binary_message(res.name, kind, res.fmt))


def _check_duplicates(names: Sequence[str], name: str) -> None:
    seen: set[str] = set()
    dups: list[str] = []
    for col in names:
        if col in seen and col not in dups:
            dups.append(col)
        seen.add(col)
    if dups:
        raise InputError(
            f"{name} has duplicate column names: {', '.join(repr(d) for d in dups)}; "
            "rename them so each column is unique"
        )


@_input_errors
def read_columns(source: SourceLike, *, fmt: str | None = None) -> list[str]:
    """Column names of ``source`` (reads the header / schema only)."""
    return _columns_of(_resolve(source, fmt))


def _check_requested(columns: Sequence[str] | None, available: Sequence[str], name: str) -> None:
    if columns is None:
        return
    missing = [c for c in columns if c not in available]
    if missing:
        raise InputError(
            f"column {missing[0]!r} not found in {name}; columns are: {', '.join(available)}"
        )


# --------------------------------------------------------------------------- parquet


def _parquet_file(res: _Resolved) -> Any:
    import pyarrow as pa
    import pyarrow.parquet as pq

    _require_bytes(res)
    try:
        # pre_buffer=False keeps memory flat whatever the file size (issue 6).
        return pq.ParquetFile(str(res.path), pre_buffer=False)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise InputError(f"{res.name} is not a valid Parquet file ({_short(exc)})") from None


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:200] + ("…" if len(text) > 200 else "")


# --------------------------------------------------------------------------- batches


def _csv_options(
    res: _Resolved,
    columns: Sequence[str] | None,
    column_types: dict[str, str] | None,
    block_bytes: int,
) -> tuple[Any, Any, Any]:
    import pyarrow as pa
    import pyarrow.csv as pc

    read = pc.ReadOptions(block_size=block_bytes, use_threads=True)
    parse = pc.ParseOptions(delimiter=_delimiter(res.fmt))
    # "dictionary": text read straight into a dictionary array by the parser
    # threads (a --by column: its codes are what the grouping needs).
    kinds = {"float64": pa.float64(), "dictionary": pa.dictionary(pa.int32(), pa.string())}
    types = {k: kinds.get(v, pa.string()) for k, v in (column_types or {}).items()}
    convert = pc.ConvertOptions(
        include_columns=list(columns) if columns is not None else None,
        column_types=types or None,
        strings_can_be_null=True,
    )
    return read, parse, convert


@_input_errors
def iter_batches(
    source: SourceLike,
    *,
    fmt: str | None = None,
    columns: Sequence[str] | None = None,
    column_types: dict[str, str] | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    coalesce: bool = False,
) -> Iterator[Any]:
    """Arrow ``RecordBatch``es of at most ``chunk_rows`` rows, columns in the order
    requested. ``column_types`` maps column → ``"float64"`` | ``"string"`` (CSV/TSV
    only: other formats carry their types; ``"dictionary"`` reads text as an Arrow
    dictionary array, as ``dictionary_encode`` would make it). ``coalesce=True`` joins the reader's
    blocks into batches of ``chunk_rows`` rows (fewer, larger chunks: what a
    per-group evaluation wants). Raises InputError for empty files and files with a
    header but no data rows. A CSV block of numbers only may come as an
    :class:`_ArrayBatch` (numpy columns) instead of an Arrow batch."""
    res = _resolve(source, fmt)
    available = _columns_of(res)
    _check_requested(columns, available, res.name)
    rows = 0
    pending: list[Any] = []
    pending_rows = 0

    def split(batch: Any) -> Iterator[Any]:
        n = batch.num_rows
        for start in range(0, n, chunk_rows):
            yield batch.slice(start, min(chunk_rows, n - start))

    def flush() -> Iterator[Any]:
        nonlocal pending
        if all(isinstance(b, _ArrayBatch) for b in pending):
            yield from split(_ArrayBatch.concat(pending))
            return
        import pyarrow as pa

        pending = [b.to_arrow() if isinstance(b, _ArrayBatch) else b for b in pending]
        schemas = {b.schema for b in pending}
        if len(schemas) > 1:
            # CSV blocks infer the types of untyped columns (a --by column) one
            # block at a time: an int block and a text block are joined as text.
            first = pending[0].schema

            def unified(i: int, f: Any) -> Any:
                kinds = [b.schema.field(i).type for b in pending]
                if all(t == f.type for t in kinds):
                    return f
                if all(
                    pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_null(t)
                    for t in kinds
                ):
                    return pa.field(f.name, pa.float64())
                return pa.field(f.name, pa.string())

            fields = [unified(i, f) for i, f in enumerate(first)]
            target = pa.schema(fields)
            parts = [b.cast(target) for b in pending]
        else:
            parts = pending
        table = pa.Table.from_batches(parts).combine_chunks()
        for batch in table.to_batches():
            yield from split(batch)

    for batch in _raw_batches(res, columns, column_types, chunk_rows, available, coalesce):
        if columns is not None:
            batch = batch.select(list(columns))
        n = batch.num_rows
        if n == 0:
            continue
        if not isinstance(batch, _ArrayBatch):
            _check_arrow_batch(batch, column_types or {}, res.name, rows)
        rows += n
        if not coalesce:
            yield from split(batch)
            continue
        pending.append(batch)
        pending_rows += n
        if pending_rows >= chunk_rows // COALESCE_SHARE:
            yield from flush()
            pending, pending_rows = [], 0
    if pending:
        yield from flush()
    if rows == 0:
        raise InputError(f"{res.name} has a header but no data rows")


def _check_arrow_batch(batch: Any, column_types: dict[str, str], name: str, offset: int) -> None:
    """Columns no loss can use, refused in one line: nested values (a Parquet
    ``list<double>`` truth, a JSON object), and in a column wanted as float64 an
    integer with no exact float64 value (see :func:`exact_int64`)."""
    import numpy as np
    import pyarrow as pa

    for field, column in zip(batch.schema, batch.columns, strict=True):
        t = field.type
        if pa.types.is_nested(t):
            what = "structs" if pa.types.is_struct(t) else "maps" if pa.types.is_map(t) else "lists"
            raise InputError(
                f"{name}: column {field.name!r} holds {what} ({t}), expected numbers or labels"
            )
        if column_types.get(field.name) == "float64" and pa.types.is_integer(t):
            if t.bit_width < 64:
                continue
            width = np.uint64 if pa.types.is_unsigned_integer(t) else np.int64
            n, off = len(column), column.offset
            ints = np.frombuffer(column.buffers()[1], dtype=width, count=off + n)[off:]
            exact_int64(
                ints, name=name, column_name=field.name, offset=offset, valid=arrow_valid(column)
            )


def _raw_batches(
    res: _Resolved,
    columns: Sequence[str] | None,
    column_types: dict[str, str] | None,
    chunk_rows: int,
    available: Sequence[str],
    coalesce: bool = False,
) -> Iterator[Any]:
    if res.fmt in ("csv", "tsv"):
        yield from _raw_csv_batches(res, columns, column_types, chunk_rows, available, coalesce)
        return
    import pyarrow as pa

    if res.fmt == "parquet":
        pf = _parquet_file(res)
        try:
            yield from _parquet_batches(pf, columns, chunk_rows)
        except (pa.ArrowException, OSError) as exc:
            raise InputError(f"{res.name} is not a valid Parquet file ({_short(exc)})") from None
        finally:
            with contextlib.suppress(Exception):
                pf.close()
        return
    if res.fmt == "jsonl":
        from losscli import jsonl

        parse_json = jsonl.parse_options(column_types)
        try:
            for block in _line_blocks(res, _csv_block_bytes(chunk_rows), quotes=False):
                table = jsonl.read_block(res, block, parse_json, columns)
                if columns is not None:
                    for col in columns:  # a key absent from a whole block
                        if col not in table.column_names:
                            table = table.append_column(col, pa.nulls(table.num_rows))
                    table = table.select(list(columns))
                yield from table.to_batches()
        except pa.ArrowException as exc:
            raise jsonl.error(res, exc) from None
        return


def _raw_csv_batches(
    res: _Resolved,
    columns: Sequence[str] | None,
    column_types: dict[str, str] | None,
    chunk_rows: int,
    available: Sequence[str],
    coalesce: bool,
) -> Iterator[Any]:
    """CSV/TSV blocks as batches. pyarrow is imported only when a block needs Arrow
    (the C scanner declined it, or there is no plan): a plain numeric file streams
    as numpy arrays without it (0.14 s of import saved on every such run)."""

    def arrow_options() -> tuple[Any, Any]:
        _, parse, convert = _csv_options(res, columns, column_types, PARSE_BLOCK_BYTES)
        return parse, convert

    plan = _fast_plan(res, available, columns, column_types)
    try:
        yield from _csv_blocks(
            res,
            functools.cache(arrow_options),
            _csv_block_bytes(chunk_rows, coalesce),
            available,
            plan,
        )
    except Exception as exc:
        # (pyarrow's exception classes exist only once something imported it)
        pa = sys.modules.get("pyarrow")
        if pa is not None and isinstance(exc, pa.ArrowInvalid):
            raise _csv_error(res, exc, available, columns) from None
        if not isinstance(exc, OSError | EOFError) and not (
            pa is not None and isinstance(exc, pa.ArrowException)
        ):
            raise
        if res.compression:
            raise _corrupt(res) from None
        raise InputError(f"cannot read {res.name}: {_short(exc)}") from None


def _parquet_batches(pf: Any, columns: Sequence[str] | None, chunk_rows: int) -> Iterator[Any]:
    """Row group by row group (``read_row_group``, only ``columns``), or
    ``iter_batches`` for a file whose row groups are too big to hold one at a time.

    Measured on 10M rows (10 row groups of 1M, whole process, read + 10 losses):
    ``read_row_group`` 0.98 s / 209 MiB, ``iter_batches(1M)`` 1.06 s / 265 MiB, both
    flat from 5M to 20M rows (notes/perf.md). A row group is decoded whole, so
    memory follows the writer's row-group size: above ``PARQUET_GROUP_VALUES``
    values (e.g. 2M rows of two columns, or 1M rows of 11), or when a test asks for
    small chunks, batches are read instead.
    """
    cols = list(columns) if columns is not None else None
    meta = pf.metadata
    sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    width = max(1, len(cols) if cols is not None else meta.num_columns)
    if any(n * width > PARQUET_GROUP_VALUES for n in sizes):
        # wide (multiclass: 11 columns) or huge row groups: batches of at most
        # PARQUET_GROUP_VALUES values (1M × 11 columns: peak RSS 406 → 334 MiB)
        batch = max(1, min(chunk_rows, PARQUET_GROUP_VALUES // width))
        yield from pf.iter_batches(batch_size=batch, columns=cols)
        return
    if chunk_rows < DEFAULT_CHUNK_ROWS:
        yield from pf.iter_batches(batch_size=chunk_rows, columns=cols)
        return
    for i, n in enumerate(sizes):
        if n == 0:
            continue
        table = pf.read_row_group(i, columns=cols, use_threads=False)
        yield from table.combine_chunks().to_batches(max_chunksize=chunk_rows)
        del table  # (free the row group before decoding the next)


def _csv_block_bytes(chunk_rows: int, coalesce: bool = False) -> int:
    # Roughly 24 bytes a row of two numbers; small chunk sizes (tests) give small blocks.
    most = COALESCE_BLOCK_BYTES if coalesce else CSV_BLOCK_BYTES
    return max(1 << 10, min(most, chunk_rows * 24))


def _csv_blocks(
    res: _Resolved,
    arrow_options: Callable[[], tuple[Any, Any]],
    block_bytes: int,
    names: Sequence[str],
    plan: _FastPlan | None = None,
) -> Iterator[Any]:
    """Parse a CSV/TSV ``block_bytes`` at a time, each block cut after its last
    complete line, two blocks at once: a pool of ``CSV_PARSE_THREADS`` threads,
    each running Arrow's single-threaded ``read_csv`` (``use_threads=False``) on
    its own block; results are taken in file order, so the first failing block
    raises first, and at most three blocks are in flight (memory stays flat).

    Measured (10M rows, 368 MB, read + 10 losses, whole process, same run,
    notes/perf.md): one block at a time with Arrow's own threads 2.13 s / 152 MiB,
    two single-threaded parses at once 1.79 s / 179 MiB, DuckDB 1.88 s. Arrow's
    internal threads split a 4 MiB block into 1 MiB parse units and wait for the
    slowest; two whole blocks keep both cores busy, also while the main thread
    computes the losses.

    Why not ``pyarrow.csv.open_csv``: its streaming reader reads ahead of a slow
    consumer without bound; with 8 MiB blocks its pool peaked at 68 MiB for a 2M-row
    file and 150 MiB for 6M rows (memory grows with the file). Cutting blocks
    ourselves holds one block at a time: peak pool 9 MiB at 4 MiB blocks for both
    sizes, and the same speed (2M rows: 0.35 s vs 0.38 s). A cut is only made where
    the count of ``"`` before it is even, so a quoted field holding a newline is
    never split.

    With a ``plan`` (:func:`_fast_plan`), each block is first offered to the C
    scanner (:mod:`losscli._fastcsv`), which returns what Arrow would or declines
    the block; a declined block is parsed by Arrow, so errors and odd cells are
    always Arrow's (and this module's) business. ``arrow_options`` gives Arrow's
    ``(ParseOptions, ConvertOptions)``, made (and pyarrow imported) on first use.
    """
    columns = list(names)

    def parse_block(block: Any, header: bool) -> list[Any]:
        if plan is not None:
            batch = _fast_block(plan, block, header)
            if batch is not None:
                return [batch]
        import pyarrow as pa
        import pyarrow.csv as pc

        parse, convert = arrow_options()
        # One thread per block (use_threads=False), CSV_PARSE_THREADS blocks at once;
        # Arrow's parse unit covers the whole block, so Arrow never cuts it itself
        # (its cut would not know about a newline inside quotes).
        size = max(len(block) + 1, 1 << 20)
        read = (
            pc.ReadOptions(block_size=size, use_threads=False)
            if header
            else pc.ReadOptions(block_size=size, use_threads=False, column_names=columns)
        )
        table = pc.read_csv(
            pa.py_buffer(block), read_options=read, parse_options=parse, convert_options=convert
        )
        return list(table.to_batches())

    spare: list[bytearray] = []
    blocks = _line_blocks(res, block_bytes, quotes=True, spare=spare)
    pool = ThreadPoolExecutor(max_workers=CSV_PARSE_THREADS, thread_name_prefix="losscli-csv")
    inflight: deque[tuple[Future[Any], Any]] = deque()

    def take() -> list[Any]:
        future, block = inflight.popleft()
        batches: list[Any] = future.result()
        # The C scanner copied all it read, so its block's buffer can take the next
        # read (a fresh 4 MiB bytearray is zeroed and faulted in: 0.07 s per 10M
        # rows on the main thread). Arrow's results are left alone.
        owner = block.obj if isinstance(block, memoryview) else None
        if (
            isinstance(owner, bytearray)
            and len(owner) == block_bytes
            and all(isinstance(b, _ArrayBatch) for b in batches)
        ):
            spare.append(owner)
        return batches

    try:
        for i, block in enumerate(blocks):
            inflight.append((pool.submit(parse_block, block, i == 0), block))
            if len(inflight) > CSV_PARSE_THREADS:
                # results in file order: the first failing block raises first
                yield from take()
        while inflight:
            yield from take()
    finally:
        blocks.close()
        for future, _ in inflight:
            future.cancel()
        pool.shutdown(wait=True)  # no parser thread outlives the reader


#: Cells Arrow's CSV reader reads as null in a text column (its default
#: ``null_values``; ``strings_can_be_null`` is on): the C scanner's text labels must
#: not be one of them, or the block goes to Arrow.
_ARROW_NULLS = frozenset(
    (
        *("#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND"),
        *("1.#QNAN", "N/A", "NA", "NULL", "NaN", "n/a", "nan", "null"),
    )
)


@dataclass(frozen=True)
class _FastPlan:
    """What the C scanner is asked for: the header's width, the requested columns'
    positions in it, and per column ``f`` (float64) or ``t`` (dictionary text)."""

    names: tuple[str, ...]
    ncols: int
    indexes: tuple[int, ...]
    kinds: str
    delimiter: str


def _fast_plan(
    res: _Resolved,
    available: Sequence[str],
    columns: Sequence[str] | None,
    column_types: dict[str, str] | None,
) -> _FastPlan | None:
    """A plan for :mod:`losscli._fastcsv` when every requested column has a fixed
    type it produces (``float64`` or ``dictionary``), the extension is built, and
    ``LOSSCLI_FAST_CSV`` is not ``0``; otherwise None (Arrow parses every block).
    Columns whose type is left to inference (a numeric ``--by`` column) or read as
    plain text (class labels) always go through Arrow."""
    if os.environ.get("LOSSCLI_FAST_CSV", "1") == "0" or not columns or not column_types:
        return None
    kinds = {"float64": "f", "dictionary": "t", "string": "t"}
    if any(column_types.get(c) not in kinds for c in columns):
        return None
    try:
        from losscli import _fastcsv  # noqa: F401  (compiled at install; optional)
    except ImportError:
        return None
    return _FastPlan(
        names=tuple(columns),
        ncols=len(available),
        indexes=tuple(list(available).index(c) for c in columns),
        kinds="".join(kinds[column_types[c]] for c in columns),
        delimiter=_delimiter(res.fmt),
    )


@dataclass(frozen=True)
class TextCodes:
    """A text column of one CSV block as the C scanner reads it: ``codes`` (int32)
    index ``labels``, numbered in order of first appearance (as Arrow's dictionary
    arrays are). Never missing: a block with an empty or null-like cell goes to
    Arrow. Consumers (evaluate's ``_factorize``) take the codes as they are."""

    codes: np.ndarray
    labels: list[str]

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, rows: slice) -> TextCodes:
        return TextCodes(self.codes[rows], self.labels)

    def to_objects(self) -> np.ndarray:
        """The values as an object array of str."""
        import numpy as np

        return np.asarray(self.labels, dtype=object)[self.codes]

    @staticmethod
    def concat(parts: Sequence[TextCodes]) -> TextCodes:
        """One column from several blocks' columns, labels in order of first
        appearance across them (what Arrow's dictionary unification gives)."""
        import numpy as np

        index: dict[str, int] = {}
        pieces = []
        for part in parts:
            lut = np.array([index.setdefault(s, len(index)) for s in part.labels], np.int32)
            pieces.append(lut[part.codes] if len(lut) else part.codes)
        return TextCodes(np.concatenate(pieces), list(index))


class _ArrayBatch:
    """A block the C scanner read: float64 numpy columns and :class:`TextCodes`,
    with the part of ``pyarrow.RecordBatch``'s interface that :func:`iter_batches`
    and :func:`iter_arrays` use (``num_rows``, ``column``, ``select``, ``slice``)."""

    __slots__ = ("_columns", "_names", "num_rows")

    def __init__(self, names: Sequence[str], columns: Sequence[Any], num_rows: int) -> None:
        self._names = list(names)
        self._columns = list(columns)
        self.num_rows = num_rows

    def column(self, i: int) -> Any:
        return self._columns[i]

    @staticmethod
    def concat(parts: Sequence[_ArrayBatch]) -> _ArrayBatch:
        import numpy as np

        first = parts[0]
        cols = [
            TextCodes.concat([p._columns[i] for p in parts])
            if isinstance(col, TextCodes)
            else np.concatenate([p._columns[i] for p in parts])
            for i, col in enumerate(first._columns)
        ]
        return _ArrayBatch(first._names, cols, sum(p.num_rows for p in parts))

    def to_arrow(self) -> Any:
        """As the Arrow batch Arrow's reader would have made (to join it with
        blocks Arrow parsed)."""
        import pyarrow as pa

        arrays = [
            pa.DictionaryArray.from_arrays(
                pa.array(c.codes, pa.int32()), pa.array(c.labels, pa.string())
            )
            if isinstance(c, TextCodes)
            else pa.array(c, pa.float64())
            for c in self._columns
        ]
        return pa.RecordBatch.from_arrays(arrays, names=self._names)

    def select(self, names: Sequence[str]) -> _ArrayBatch:
        cols = [self._columns[self._names.index(n)] for n in names]
        return _ArrayBatch(names, cols, self.num_rows)

    def slice(self, start: int, length: int) -> _ArrayBatch:
        cols = [c[start : start + length] for c in self._columns]
        return _ArrayBatch(self._names, cols, min(length, max(0, self.num_rows - start)))


def _fast_block(plan: _FastPlan, block: Any, header: bool) -> Any | None:
    """One block through the C scanner as an :class:`_ArrayBatch` holding what
    Arrow's reader would (float64 columns without nulls; text columns as
    :class:`TextCodes`, numbered as Arrow's dictionary arrays are), or None when
    the scanner declines the block. No pyarrow on this path."""
    from losscli import _fastcsv

    out = _fastcsv.parse(block, plan.ncols, plan.indexes, plan.kinds, plan.delimiter, header)
    if isinstance(out, str):
        return None
    rows, parts = out
    import numpy as np

    cols: list[Any] = []
    for kind, part in zip(plan.kinds, parts, strict=True):
        if kind == "f":
            cols.append(np.frombuffer(part, dtype=np.float64, count=rows))
            continue
        codes, raw = part
        labels = _fast_labels(raw)
        if labels is None:
            return None
        cols.append(TextCodes(np.frombuffer(codes, dtype=np.int32, count=rows), labels))
    return _ArrayBatch(plan.names, cols, rows)


def _fast_labels(raw: list[bytes]) -> list[str] | None:
    """The C scanner's text labels as str, or None where Arrow must decide: invalid
    UTF-8 (Arrow's error) or a cell Arrow reads as null."""
    try:
        labels = [b.decode("utf-8") for b in raw]
    except UnicodeDecodeError:
        return None
    return labels if _ARROW_NULLS.isdisjoint(labels) else None


def _line_blocks(
    res: _Resolved, block_bytes: int, *, quotes: bool, spare: list[bytearray] | None = None
) -> Generator[bytes | memoryview]:
    """The decompressed bytes of ``res`` in blocks of about ``block_bytes``, each
    ending after a complete line (with ``quotes``: a line ending outside a quoted
    field, i.e. with an even count of ``"`` before it). Blank blocks are skipped.
    ``spare``: buffers the caller is done with, reused for reading (files only)."""
    if res.compression is None:
        yield from _file_line_blocks(res, block_bytes, quotes=quotes, spare=spare)
        return
    from losscli import sources

    line_cap = max(block_bytes, sources.max_line_bytes())
    stream = _arrow_input(res)
    pending = b""
    lines = 0  # (counted for the message only; decompression costs far more)
    try:
        while True:
            data = stream.read(block_bytes)
            buf = pending + data if pending else data
            if data:
                cut = buf.rfind(b"\n") + 1
                # (`in` is a fast memchr; counting only runs for files with quotes)
                odd = quotes and b'"' in buf and buf.count(b'"', 0, cut) % 2
                if cut == 0 or odd:
                    pending = buf  # no complete line yet, or inside a quoted field
                    if len(pending) > line_cap:
                        raise _long_line(res, None, quoted=bool(odd), line=lines + 1)
                    continue
                lines += buf.count(b"\n", 0, cut)
                block, pending = memoryview(buf)[:cut], buf[cut:]  # (no copy of the block)
            else:
                block, pending = memoryview(buf), b""
            # only a short block can be blank (a file's trailing newlines)
            if len(block) > 256 or (len(block) and not bytes(block).isspace()):
                yield block
            if not data:
                break
    finally:
        stream.close()


def _file_line_blocks(
    res: _Resolved, block_bytes: int, *, quotes: bool, spare: list[bytearray] | None = None
) -> Iterator[memoryview]:
    """:func:`_line_blocks` for an uncompressed file: each block is read at its own
    offset into its own buffer, and the line cut at its end is read again at the
    start of the next block, so no block is ever copied to join a line's two
    halves. The buffer is a ``bytearray``, searched in place (``rfind``, ``find``:
    memchr speed); quotes are counted (numpy) only in a block that has one. On the
    10M-row grouped CSV (quoted group names, 428 MB) the main thread spent 1.1 s
    in the concatenating reader (``bytes.count`` alone 0.67 s) and 0.1 s in this
    one; on a file without quotes, only the read itself remains.

    A line (or quoted field) longer than ``LOSSCLI_MAX_LINE_BYTES`` is refused
    (:mod:`losscli.sources`) rather than read into ever larger buffers."""
    from losscli import sources

    try:
        fh = open(res.path, "rb", buffering=0)  # noqa: SIM115  (closed below)
    except OSError as exc:
        raise InputError(f"cannot read {res.name}: {exc.strerror or exc}") from None
    pos = 0
    size = block_bytes
    line_cap = max(block_bytes, sources.max_line_bytes())
    is_quote: Any = None  # one reused mask (a fresh 4 MiB one per block: ~1000 faults)
    try:
        while True:
            buf = spare.pop() if spare and size == block_bytes else bytearray(size)
            view = memoryview(buf)
            fh.seek(pos)
            got = 0
            while got < size:
                n = fh.readinto(view[got:])
                if not n:
                    break
                got += n
            if got < size:  # the end of the file: the rest, whatever it ends with
                block = view[:got]
                if got > 256 or (got and not bytes(block).isspace()):
                    yield block
                return
            cut = buf.rfind(b"\n") + 1
            odd = False
            if quotes and cut and buf.find(b'"', 0, cut) >= 0:
                import numpy as np

                if is_quote is None or is_quote.size < cut:
                    is_quote = np.empty(size, dtype=bool)
                chars = np.frombuffer(buf, dtype=np.uint8, count=cut)
                odd = bool(np.count_nonzero(np.equal(chars, ord('"'), out=is_quote[:cut])) % 2)
                del chars  # (a bytearray with an export cannot be resized; none is)
            if cut == 0 or odd:
                # no complete line yet, or inside a quoted field: read more, up to a bound
                if size >= line_cap:
                    raise _long_line(res, pos, quoted=odd)
                size = min(size * 2, line_cap + 1)
                continue
            yield view[:cut]
            pos += cut
            size = block_bytes
    finally:
        fh.close()


def _long_line(
    res: _Resolved, pos: int | None, *, quoted: bool, line: int | None = None
) -> InputError:
    """The error for a line (or a quoted field) longer than the line bound; the
    line number is counted on this (rare) path only: newlines before ``pos``."""
    from losscli import sources

    if line is None and pos is not None:
        with contextlib.suppress(OSError), open(res.path, "rb") as fh:
            line, left = 1, pos
            while left > 0:
                chunk = fh.read(min(left, 1 << 20))
                if not chunk:
                    break
                line += chunk.count(b"\n")
                left -= len(chunk)
    if quoted:
        where = f"line {line}" if line is not None else "a line"
        return InputError(
            f"{res.name}: {where}: a quoted field runs on for more than "
            f"{sources.size_text(sources.max_line_bytes())} (an unclosed quote?); "
            "set LOSSCLI_MAX_LINE_BYTES to read longer lines"
        )
    return sources.line_too_long(res.name, line)


def _head_bytes(res: _Resolved, block_bytes: int = PARSE_BLOCK_BYTES) -> bytes:
    """The first block of complete lines (for headers, schemas and sniffing)."""
    blocks = _line_blocks(res, block_bytes, quotes=res.fmt in ("csv", "tsv"))
    try:
        return bytes(next(blocks, b""))
    finally:
        blocks.close()


def _csv_error(
    res: _Resolved, exc: BaseException, available: Sequence[str], columns: Sequence[str] | None
) -> InputError:
    """Turn Arrow's CSV error into one line with column and row. Arrow's streaming
    reader does not say the row, so on this (rare) path the file is scanned again
    with Python's csv module to find it."""
    text = str(exc)
    if "Empty CSV file" in text:
        return InputError(f"{res.name} is empty")
    m = re.search(r"Expected (\d+) columns, got (\d+)", text)
    if m:
        row = _find_ragged_row(res, len(available))
        where = f" at row {row}" if row is not None else ""
        return InputError(
            f"{res.name}: ragged CSV{where}: expected {m.group(1)} fields, got {m.group(2)}"
        )
    # (the single-threaded parser puts "Row #N: " (row within the block) before it)
    m = re.search(
        r"column #(\d+): (?:Row #\d+: )?CSV conversion error to (\w+): invalid value '(.*)'", text
    )
    if m:
        index, value = int(m.group(1)), m.group(3)
        col = available[index] if index < len(available) else f"#{index}"
        row = _find_value_row(res, index, value)
        where = f", row {row}" if row is not None else ""
        return InputError(f"{res.name}: column {col!r}{where}: expected a number, got {value!r}")
    if res.compression and ("compress" in text.lower() or "gzip" in text.lower()):
        return _corrupt(res)
    return InputError(f"cannot read {res.name}: {_short(exc)}")


def _scan_records(res: _Resolved) -> Iterator[tuple[int, list[str]]]:
    """(1-based data row, fields) for every data record, skipping the header."""
    stream = _open_binary(res)
    try:
        text = io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline="")
        _raise_field_limit()
        reader = csv.reader(text, delimiter=_delimiter(res.fmt))
        row = -1
        for record in reader:
            if not record:
                continue
            row += 1
            if row >= 1:
                yield row, record
    finally:
        with contextlib.suppress(Exception):
            stream.close()


def _find_ragged_row(res: _Resolved, width: int) -> int | None:
    with contextlib.suppress(Exception):
        for row, record in _scan_records(res):
            if len(record) != width:
                return row
    return None


def _find_value_row(res: _Resolved, index: int, value: str) -> int | None:
    with contextlib.suppress(Exception):
        for row, record in _scan_records(res):
            if index < len(record) and record[index].strip() == value.strip():
                return row
    return None


# --------------------------------------------------------------------------- numpy


def pyarrow_if(column: Any) -> Any:
    """The pyarrow module when ``column`` is an Arrow object, else None: a numpy
    column (the C scanner's, a DataFrame's) is handled without importing pyarrow."""
    if type(column).__module__.partition(".")[0] != "pyarrow":
        return None
    import pyarrow as pa

    return pa


def numeric_array(column: Any, *, name: str, column_name: str, offset: int = 0) -> np.ndarray:
    """An Arrow or pandas/numpy column as float64, missing values as NaN.

    Booleans become 0/1. Text raises InputError naming the file, the column and the
    first row (``offset`` = data rows before this chunk) whose value is not a number.
    """
    import numpy as np

    pa = pyarrow_if(column)
    if pa is not None and isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if isinstance(column, TextCodes):
        values = column.to_objects()
    elif pa is not None and isinstance(column, pa.Array):
        t = column.type
        if pa.types.is_null(t):
            return np.full(len(column), np.nan)
        if pa.types.is_nested(t):
            raise InputError(f"{name}: column {column_name!r} holds lists ({t}), expected numbers")
        if pa.types.is_integer(t) and t.bit_width == 64:
            width = np.uint64 if pa.types.is_unsigned_integer(t) else np.int64
            n, off = len(column), column.offset
            ints = np.frombuffer(column.buffers()[1], dtype=width, count=off + n)[off:]
            exact_int64(
                ints, name=name, column_name=column_name, offset=offset, valid=arrow_valid(column)
            )
        if (
            pa.types.is_floating(t)
            or pa.types.is_integer(t)
            or pa.types.is_decimal(t)
            or pa.types.is_boolean(t)
        ):
            return arrow_float64(column)
        values = np.asarray(column.to_pylist(), dtype=object)
    else:
        values = np.asarray(column)
        if values.dtype.kind in "iu" and values.dtype.itemsize == 8:
            exact_int64(values, name=name, column_name=column_name, offset=offset)
        if values.dtype.kind in "fiub":
            return values.astype(np.float64, copy=False)
        if values.dtype.kind == "O" and any(
            isinstance(v, list | tuple | dict) for v in values[:1000]
        ):
            raise InputError(f"{name}: column {column_name!r} holds lists, expected numbers")
    return _text_to_float(values, name=name, column_name=column_name, offset=offset)


def arrow_valid(column: Any) -> np.ndarray | None:
    """The validity of an Arrow array as a bool array, or None when nothing is null.

    Read from the validity bitmap directly: pyarrow's ``to_numpy`` and scalars
    import pandas (~0.3 s), which the streaming path does not otherwise need."""
    import numpy as np

    if column.null_count == 0:
        return None
    n, off = len(column), column.offset
    bits = np.frombuffer(column.buffers()[0], dtype=np.uint8)
    return np.unpackbits(bits, count=off + n, bitorder="little")[off:].astype(bool)


def arrow_float64(column: Any) -> np.ndarray:
    """A numeric / boolean Arrow array as float64 numpy (nulls → NaN), zero-copy
    when it is already float64 without nulls (the result is then read-only)."""
    import numpy as np
    import pyarrow as pa

    if not pa.types.is_float64(column.type):
        # (integers beyond 2**53 are rounded: callers that compute losses check
        # them first with exact_int64; a sample for detection need not)
        column = column.cast(pa.float64(), safe=not pa.types.is_integer(column.type))
    n, off = len(column), column.offset
    data = np.frombuffer(column.buffers()[1], dtype=np.float64, count=off + n)[off:]
    valid = arrow_valid(column)
    if valid is not None:
        data = data.copy()
        data[~valid] = np.nan
    return data


def exact_int64(
    ints: np.ndarray, *, name: str, column_name: str, offset: int = 0, valid: Any = None
) -> None:
    """Refuse 64-bit integers that float64 cannot hold exactly.

    Losses are computed in float64, which holds every integer up to 2**53 and,
    above it, only those whose odd part fits in 53 bits (v = m·2**k, m < 2**53).
    Convention (issue 10): exactly representable values (2**60, 10**18) are
    converted; the first value that is not raises InputError naming the file,
    the column and the 1-based row (``offset`` = data rows before this chunk),
    rather than computing a loss of a silently rounded truth or prediction.
    ``valid``: a bool mask of the non-null entries (None: all)."""
    import numpy as np

    magnitude = np.where(ints < 0, -ints, ints).astype(np.uint64)  # (-2**63: wraps to 2**63)
    big = magnitude > np.uint64(1 << 53)
    if valid is not None:
        big &= valid
    if not big.any():
        return
    where = np.flatnonzero(big)
    m = magnitude[where]
    low = m & (~m + np.uint64(1))  # the lowest set bit: v = odd · low
    inexact = (m // low) >= np.uint64(1 << 53)
    if inexact.any():
        i = int(where[np.argmax(inexact)])
        raise InputError(
            f"{name}: column {column_name!r}, row {offset + i + 1}: the integer {int(ints[i])} "
            "has no exact float64 value (beyond 2**53), and losses are computed in float64; "
            "round it or store the column as floating point"
        )


def arrow_int_codes(column: Any) -> np.ndarray:
    """An integer Arrow array (dictionary indices) as intp numpy, nulls → -1."""
    import numpy as np
    import pyarrow as pa

    if not pa.types.is_int64(column.type):
        column = column.cast(pa.int64())
    n, off = len(column), column.offset
    data = np.frombuffer(column.buffers()[1], dtype=np.int64, count=off + n)[off:]
    codes = data.astype(np.intp, copy=True)
    valid = arrow_valid(column)
    if valid is not None:
        codes[~valid] = -1
    return codes


def _text_to_float(values: Any, *, name: str, column_name: str, offset: int) -> np.ndarray:
    import numpy as np
    import pandas as pd

    obj = np.asarray(values, dtype=object)
    coerced = pd.to_numeric(pd.Series(obj), errors="coerce").to_numpy(dtype=np.float64)
    missing = pd.isna(pd.Series(obj)).to_numpy()
    bad = np.flatnonzero(np.isnan(coerced) & ~missing)
    if bad.size:
        # "nan" / "inf" spelled out are numbers to Python's float(); keep them.
        for i in bad:
            try:
                coerced[i] = float(str(obj[i]).strip())
            except ValueError:
                raise InputError(
                    f"{name}: column {column_name!r}, row {offset + int(i) + 1}: expected a "
                    f"number, got {str(obj[i])[:40]!r}"
                ) from None
    return coerced


def text_array(column: Any) -> np.ndarray:
    """An Arrow or pandas/numpy column as an object array of str (None = missing)."""
    import numpy as np
    import pyarrow as pa

    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if isinstance(column, pa.Array):
        if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
            column = column.cast(pa.string())
        return np.asarray(column.to_pylist(), dtype=object)
    return np.asarray(column, dtype=object)


@_input_errors
def iter_arrays(
    source: SourceLike,
    *,
    fmt: str | None = None,
    columns: Sequence[str],
    column_types: dict[str, str] | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    coalesce: bool = False,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(offset, {column: pyarrow.Array})`` chunks; ``offset`` counts the data rows
    before the chunk, so ``offset + i + 1`` is the 1-based row of element ``i``."""
    offset = 0
    batches = iter_batches(
        source,
        fmt=fmt,
        columns=columns,
        column_types=column_types,
        chunk_rows=chunk_rows,
        coalesce=coalesce,
    )
    try:
        for batch in batches:
            yield offset, {c: batch.column(i) for i, c in enumerate(columns)}
            offset += batch.num_rows
    finally:
        close = getattr(batches, "close", None)
        if close is not None:
            close()


# --------------------------------------------------------------------------- frames


@_input_errors
def iter_frames(
    source: SourceLike,
    *,
    fmt: str | None = None,
    columns: Sequence[str] | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> Iterator[pd.DataFrame]:
    """``source`` as DataFrames of at most ``chunk_rows`` rows (only ``columns``).

    As with ``pandas.read_csv(chunksize=...)``, each block of the file infers its own
    column types: an integer column may come as float64 in a chunk that holds
    ``1.5`` or a missing value.
    """
    for batch in iter_batches(source, fmt=fmt, columns=columns, chunk_rows=chunk_rows):
        yield batch.to_pandas()


@_input_errors
def sniff_types(
    source: SourceLike, *, fmt: str | None = None, columns: Sequence[str] | None = None
) -> dict[str, str]:
    """Column → ``"number"`` | ``"text"`` | ``"bool"`` | ``"empty"`` as seen in the
    first block (CSV/TSV) or the schema (Parquet, JSONL)."""
    res = _resolve(source, fmt)
    available = _columns_of(res)
    _check_requested(columns, available, res.name)
    numbers = _fast_sniff(res, columns, available)
    if numbers is not None:
        return numbers
    import pyarrow as pa

    if res.fmt == "parquet":
        schema = _parquet_file(res).schema_arrow
    else:
        schema = _first_block_schema(res, columns, available)
    out: dict[str, str] = {}
    for col in columns if columns is not None else available:
        t = schema.field(col).type
        if pa.types.is_boolean(t):
            out[col] = "bool"
        elif pa.types.is_null(t):
            out[col] = "empty"
        elif pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
            out[col] = "number"
        else:
            out[col] = "text"
    return out


def _fast_sniff(
    res: _Resolved, columns: Sequence[str] | None, available: Sequence[str]
) -> dict[str, str] | None:
    """What Arrow's type inference on the first block would say, from the C
    scanner, where it can tell: ``"number"`` for a column of plain numbers (Arrow:
    int64 or float64), ``"text"`` for one holding a label that no other Arrow type
    can read (it starts with a letter and is not a boolean, inf or nan spelling).
    None when any column is unclear: then Arrow sniffs, as it always did."""
    if res.fmt not in ("csv", "tsv") or not columns:
        return None
    plan = _fast_plan(res, available, columns, dict.fromkeys(columns, "float64"))
    if plan is None:
        return None
    from losscli import _fastcsv

    head = _head_bytes(res)

    def scan(indexes: tuple[int, ...], kinds: str) -> Any:
        out = _fastcsv.parse(head, plan.ncols, indexes, kinds, plan.delimiter, True)
        return None if isinstance(out, str) or out[0] == 0 else out[1]

    if scan(plan.indexes, plan.kinds) is not None:
        return dict.fromkeys(columns, "number")
    kinds: dict[str, str] = {}
    for col, i in zip(columns, plan.indexes, strict=True):
        if scan((i,), "f") is not None:
            kinds[col] = "number"
            continue
        parts = scan((i,), "t")
        labels = None if parts is None else _fast_labels(parts[0][1])
        if labels is None or not any(map(_plainly_text, labels)):
            return None
        kinds[col] = "text"
    return kinds


def _plainly_text(label: str) -> bool:
    # Arrow infers int, bool, date, time, timestamp or float before string: none of
    # them reads a value that starts with a letter, but for these spellings.
    return label[:1].isalpha() and label.lower().lstrip("+-")[:3] not in (
        "tru",
        "fal",
        "inf",
        "nan",
    )


def _first_block_schema(
    res: _Resolved, columns: Sequence[str] | None, available: Sequence[str]
) -> Any:
    import pyarrow as pa

    if res.fmt == "jsonl":
        from losscli import jsonl

        try:
            return jsonl.read_block(res, _head_bytes(res), None, columns).schema
        except pa.ArrowException as exc:
            raise jsonl.error(res, exc) from None
    import pyarrow.csv as pc

    # Parse the first block only; never leave an open_csv streaming reader behind:
    # its read-ahead threads outlive it and abort the interpreter at exit.
    read, parse, convert = _csv_options(res, columns, None, PARSE_BLOCK_BYTES)
    try:
        return pc.read_csv(
            pa.py_buffer(_head_bytes(res)),
            read_options=read,
            parse_options=parse,
            convert_options=convert,
        ).schema
    except pa.ArrowInvalid as exc:
        raise _csv_error(res, exc, available, columns) from None
    except (pa.ArrowException, OSError, EOFError) as exc:
        if res.compression:
            raise _corrupt(res) from None
        raise InputError(f"cannot read {res.name}: {_short(exc)}") from None


@_input_errors
def read_frame(
    source: SourceLike, *, fmt: str | None = None, columns: Sequence[str] | None = None
) -> pd.DataFrame:
    """The whole of ``source`` (only ``columns``) as one DataFrame. Types are
    inferred from the whole file (integers stay integers)."""
    import pyarrow as pa

    res = _resolve(source, fmt)
    available = _columns_of(res)
    _check_requested(columns, available, res.name)
    if res.fmt in ("csv", "tsv"):
        import pyarrow.csv as pc

        read, parse, convert = _csv_options(res, columns, None, DEFAULT_BLOCK_BYTES)
        try:
            table = pc.read_csv(
                _arrow_input(res), read_options=read, parse_options=parse, convert_options=convert
            )
        except pa.ArrowInvalid as exc:
            raise _csv_error(res, exc, available, columns) from None
        except (pa.ArrowException, OSError, EOFError) as exc:
            if res.compression:
                raise _corrupt(res) from None
            raise InputError(f"cannot read {res.name}: {_short(exc)}") from None
        if columns is not None:
            table = table.select(list(columns))
        if table.num_rows == 0:
            raise InputError(f"{res.name} has a header but no data rows")
        return table.to_pandas()
    batches = list(iter_batches(source, fmt=fmt, columns=columns))
    return pa.Table.from_batches(batches).to_pandas()


def open_bytes(source: SourceLike) -> IO[bytes]:
    """A decompressed binary stream of ``source`` whatever its format, for callers that
    parse the bytes themselves (JSON documents, TensorBoard event files): compression
    told by the magic bytes; ``-`` and other streams are spooled like every other
    reader here. Decompression errors surface on ``read``."""
    from losscli import sources

    text = os.fspath(source)
    name = display_name(source)
    if text == STDIN:
        path = _spool_stdin()
    else:
        path = Path(text)
        if not sources.is_regular(path, name):
            path = _spool_path(path, name)
        elif not os.access(path, os.R_OK):
            raise InputError(f"cannot read {name}: permission denied")
    compression = sources.compression_of(_head(path, name))
    return _open_binary(_Resolved(path, name, "csv", compression))
