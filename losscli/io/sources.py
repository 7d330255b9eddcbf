"""Where the bytes come from: a path or ``-`` resolved to a :class:`Source` (a real
file to read, its name in messages, its format and compression), checked before any
parser sees it. Stdlib only.

* The format is told by the suffix (``.csv .tsv .tab .parquet .pq .jsonl .ndjson .json``,
  CSV/TSV/JSONL optionally followed by ``.gz .gzip .bz2 .xz .zst .zstd``) or by
  ``fmt``. ``-`` reads stdin: CSV unless ``fmt`` says otherwise; Parquet is recognised
  by its magic bytes ``PAR1`` and gzip/bz2/xz/zstd by theirs.
* Stdin, and any path that is not a regular file (a FIFO, process substitution
  ``<(…)``, ``/dev/zero``), is spooled once to a temporary file
  (:mod:`losscli.io.spool`), so it can be sniffed, re-opened and read in chunks like
  any file, in flat memory.
* A regular file named ``.csv``/``.tsv``/``.jsonl`` whose first bytes say it is
  compressed, Parquet, zip, UTF-16/32 or binary (NUL bytes) is refused in one line
  saying so (:mod:`losscli.io.magic`); with an explicit ``fmt`` compressed bytes are
  decompressed as their magic says, as on stdin.
* :func:`open_bytes` is the same for callers that parse the bytes themselves (JSON
  documents, TensorBoard event files).

Every failure is an :class:`~losscli.errors.InputError` whose one-line message names
the file; :func:`input_errors` guards the public readers of :mod:`losscli.io.tables`
so that an I/O or decompression error escaping any internal path becomes one.

Cut so: this module knows files and names, never cells; the parsers
(:mod:`~losscli.io.csv`, :mod:`~losscli.io.jsonl`, :mod:`~losscli.io.parquet`) take a
:class:`Source` and never look at a path string again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import inspect
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

from losscli.errors import InputError
from losscli.io import compression, remote, spool
from losscli.io.magic import PARQUET_MAGIC, SNIFF_BYTES, binary_message, sniff_binary
from losscli.io.spool import STDIN

FORMATS: tuple[str, ...] = ("csv", "tsv", "parquet", "jsonl")
_SUFFIX_FORMAT = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    # JSON Lines is what Spark (part-*.json) and pandas' to_json(lines=True) write
    # under .json; a JSON array document is refused with a hint (losscli.io.jsonl)
    ".json": "jsonl",
}

SourceLike = str | os.PathLike[str]


@dataclass(frozen=True)
class Source:
    """Where the bytes are (a real path: a file or a spool) and how to read them."""

    path: Path
    name: str
    fmt: str
    compression: str | None
    #: an object of a store (:class:`losscli.io.remote.Remote`), read in ranges;
    #: None for a local file (then ``path`` is where it is)
    remote: Any = None
    #: the column names of a CSV/TSV file without a header line (``--columns``):
    #: its first line is data; None: the first line is the header
    header: tuple[str, ...] | None = None

    @property
    def delimiter(self) -> str:
        return "\t" if self.fmt == "tsv" else ","

    def open_raw(self) -> IO[bytes]:
        """The file's bytes as they are stored (not decompressed): a remote object
        reads its ranges on demand."""
        if self.remote is not None:
            return self.remote.open()
        try:
            return open(self.path, "rb")
        except OSError as exc:
            raise InputError(f"cannot read {self.name}: {exc.strerror or exc}") from None

    def open_binary(self) -> IO[bytes]:
        """A decompressed binary stream of the file."""
        if self.remote is not None:
            return compression.wrap_binary(self.open_raw(), self.compression)
        return compression.open_binary(self.path, self.name, self.compression)

    def arrow_input(self) -> Any:
        """A decompressed Arrow input stream of the file."""
        if self.remote is not None:
            return compression.wrap_arrow(self.open_raw(), self.compression)
        return compression.arrow_input(self.path, self.name, self.compression)

    def head(self, n: int = 8) -> bytes:
        """The first ``n`` stored bytes."""
        if self.remote is None:
            return _head(self.path, self.name, n)
        with self.open_raw() as fh:
            return fh.read(n)

    def size(self) -> int:
        """The stored size in bytes."""
        if self.remote is not None:
            return int(self.remote.size)
        try:
            return self.path.stat().st_size
        except OSError as exc:
            raise InputError(f"cannot read {self.name}: {exc.strerror}") from None

    def corrupt(self) -> InputError:
        """The error for compressed bytes that do not decompress."""
        return compression.corrupt(self.name, str(self.compression))

    def read_error(self, exc: BaseException) -> InputError:
        """A failure to read the file's bytes, as one line naming it."""
        if self.compression:
            return self.corrupt()
        return InputError(f"cannot read {self.name}: {short(exc)}")


def display_name(source: SourceLike) -> str:
    """The name of ``source`` in messages: ``<stdin>`` for ``-``, else the path as given."""
    text = os.fspath(source)
    return "<stdin>" if text == STDIN else text


def short(exc: BaseException) -> str:
    """An exception's text on one line, at most 200 characters."""
    text = " ".join(str(exc).split())
    return text[:200] + ("…" if len(text) > 200 else "")


# --------------------------------------------------------------------------- guard

_F = TypeVar("_F", bound=Callable[..., Any])


def _io_failure(source: SourceLike, exc: BaseException) -> InputError:
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else short(exc)
    return compression.io_failure(display_name(source), os.fspath(source), exc, reason)


@contextlib.contextmanager
def _named_failures(source: SourceLike) -> Iterator[None]:
    """An I/O or decompression error raised inside as an InputError naming ``source``."""
    try:
        yield
    except Exception as exc:
        if isinstance(exc, InputError) or not compression.is_io_error(exc):
            raise
        raise _io_failure(source, exc) from None


def input_errors(func: _F) -> _F:
    """Every public reader raises InputError, never a raw I/O or decompression
    error (EOFError, lzma.LZMAError, zlib.error, zstandard.ZstdError, OSError),
    whatever internal path it escaped from: its message names the file."""
    if inspect.isgeneratorfunction(func):

        @functools.wraps(func)
        def gen(source: SourceLike, *args: Any, **kwargs: Any) -> Any:
            with _named_failures(source):
                yield from func(source, *args, **kwargs)

        return gen  # type: ignore[return-value]

    @functools.wraps(func)
    def call(source: SourceLike, *args: Any, **kwargs: Any) -> Any:
        with _named_failures(source):
            return func(source, *args, **kwargs)

    return call  # type: ignore[return-value]


# --------------------------------------------------------------------------- resolution


def _norm_fmt(fmt: str | None) -> str | None:
    if fmt is None:
        return None
    key = fmt.strip().lower()
    key = {"ndjson": "jsonl", "pq": "parquet", "tab": "tsv", "json": "jsonl"}.get(key, key)
    if key not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    return key


def resolve(source: SourceLike, fmt: str | None) -> Source:
    """``source`` (a path or ``-``) as a :class:`Source`: format, compression and a
    readable real path, or InputError saying why not."""
    fmt = _norm_fmt(fmt)
    explicit = fmt is not None
    text = os.fspath(source)
    name = display_name(source)
    if text == STDIN:
        return _sniffed(spool.spool_stdin(), name, fmt, None)
    if remote.is_url(text):
        return _remote(text, fmt)
    path = Path(text)
    regular = is_regular(path, name)
    if regular and not os.access(path, os.R_OK):
        raise InputError(f"cannot read {name}: permission denied")
    named, packed = name_format(text)
    if fmt is None and named is None and regular:
        raise InputError(
            f"cannot tell the format of {name} from its name; use --format "
            f"{'|'.join(FORMATS)} (known suffixes: .csv .tsv .parquet .pq .jsonl .ndjson .json, "
            "optionally + .gz .bz2 .xz .zst)"
        )
    if not regular:
        # a stream (FIFO, <(...), device): read once, then sniffed as stdin is
        return _sniffed(spool.spool_path(path, name), name, fmt or named, packed)
    fmt = fmt or named
    assert fmt is not None
    if fmt == "parquet" and packed is not None:
        raise InputError(
            f"{name}: a Parquet file is compressed internally; do not wrap it in {packed}"
        )
    res = Source(path, name, fmt, packed)
    if packed is None and fmt != "parquet":
        res = _check_head(res, explicit=explicit)
    return res


def name_format(name: str) -> tuple[str | None, str | None]:
    """``(format, compression)`` told by a file name's suffixes (``a.csv.gz``:
    csv, gzip), each None when the name does not say."""
    suffixes = [s.lower() for s in Path(name).suffixes]
    packed = None
    if suffixes and suffixes[-1] in compression.SUFFIXES:
        packed = compression.SUFFIXES[suffixes.pop()]
    named = _SUFFIX_FORMAT.get(suffixes[-1]) if suffixes else None
    return named, packed


def _remote(url: str, fmt: str | None) -> Source:
    """A URL of one object as a Source read in ranges (:mod:`losscli.io.remote`)."""
    found = remote.resolve(url)
    if not isinstance(found, remote.Remote):
        raise InputError(f"{url} is a directory, not a file")
    named, packed = name_format(url.split("?", 1)[0])
    if fmt is None and named is None:
        raise InputError(
            f"cannot tell the format of {url} from its name; use --format {'|'.join(FORMATS)}"
        )
    res = Source(Path(found.path), url, fmt or str(named), packed, found)
    if res.fmt == "parquet":
        return dataclasses.replace(res, compression=None)
    if packed is None:
        res = _check_head(res, explicit=fmt is not None)
    return res


def _sniffed(path: Path, name: str, fmt: str | None, packed: str | None) -> Source:
    """A spooled stream, its compression and format told by its magic bytes."""
    head = _head(path, name)
    packed = compression.from_magic(head) or packed
    if fmt is None:
        fmt = "parquet" if head.startswith(PARQUET_MAGIC) else "csv"
    if fmt == "parquet":
        packed = None
    res = Source(path, name, fmt, packed)
    if packed is None and fmt != "parquet":
        res = _check_head(res, explicit=True)
    return res


def _check_head(res: Source, *, explicit: bool) -> Source:
    """An uncompressed text source must not start like a binary file. With an
    explicit ``--format`` (or a stream), compressed bytes are decompressed as their
    magic says; with a format told by the name only, the name is wrong: say so."""
    kind = sniff_binary(res.head(SNIFF_BYTES))
    if kind is None:
        return res
    if explicit and kind in compression.COMPRESSION_SUFFIX:
        return dataclasses.replace(res, compression=kind)
    raise InputError(binary_message(res.name, kind, res.fmt))


def check_decompressed_head(res: Source) -> None:
    """What :func:`_check_head` does for plain files, on the decompressed bytes:
    UTF-16/32 or NUL bytes inside the compression are named too."""
    stream = res.open_binary()
    try:
        head = stream.read(SNIFF_BYTES)
    except Exception as exc:
        if not compression.is_io_error(exc):
            raise
        return  # (the read proper reports it, with the file's name)
    finally:
        with contextlib.suppress(Exception):
            stream.close()
    kind = sniff_binary(head)
    if kind in ("UTF-16", "UTF-32", "nul"):
        raise InputError(binary_message(res.name, kind, res.fmt))


def _head(path: Path, name: str, n: int = 8) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(n)
    except OSError as exc:
        raise InputError(f"cannot read {name}: {exc.strerror or exc}") from None


def is_regular(path: Path, name: str) -> bool:
    """Whether ``path`` is a regular file (else a stream to spool); InputError when
    it cannot be looked at (missing, a directory, a parent without search
    permission)."""
    import stat

    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise InputError(f"file not found: {name}") from None
    except NotADirectoryError:
        raise InputError(f"file not found: {name} (a parent is not a directory)") from None
    except OSError as exc:
        raise InputError(f"cannot read {name}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(mode):
        raise InputError(f"{name} is a directory, not a file")
    return stat.S_ISREG(mode)


def require_bytes(res: Source) -> None:
    """An unreadable or zero-byte file is an InputError naming it."""
    if res.size() == 0:
        raise InputError(f"{res.name} is empty")


def open_bytes(source: SourceLike) -> IO[bytes]:
    """A decompressed binary stream of ``source`` whatever its format, for callers that
    parse the bytes themselves (JSON documents, TensorBoard event files): compression
    told by the magic bytes; ``-`` and other streams are spooled like every other
    reader here. Decompression errors surface on ``read``."""
    text = os.fspath(source)
    name = display_name(source)
    if text == STDIN:
        path = spool.spool_stdin()
    else:
        path = Path(text)
        if not is_regular(path, name):
            path = spool.spool_path(path, name)
        elif not os.access(path, os.R_OK):
            raise InputError(f"cannot read {name}: permission denied")
    packed = compression.from_magic(_head(path, name))
    return compression.open_binary(path, name, packed)
