"""Where the bytes come from, and the bounds put on them (issue 10). Stdlib only.

:mod:`losscli.readers` turns a source into columns; this module holds what it
does before and around that, for input it cannot trust:

* **Streams** (stdin, a FIFO, process substitution ``<(…)``, a character device
  such as ``/dev/zero``): anything that is not a regular file is copied once to a
  temporary *spool* file, so it can be sniffed and re-read like a file
  (:func:`spool`). On Linux the spool is unlinked as soon as it is created and
  read back through ``/proc/self/fd/N``: nothing is left in ``$TMPDIR`` whatever
  ends the process (SIGTERM, SIGHUP, even SIGKILL). Elsewhere it is deleted by
  ``readers.cleanup()`` (the CLI's exit path, also on SIGTERM/SIGHUP).
* **Bounds**, both overridable by environment variables (a plain number of bytes,
  ``0`` for no limit):

  - ``LOSSCLI_MAX_SPOOL_BYTES`` (default 4 GiB, :data:`DEFAULT_MAX_SPOOL_BYTES`):
    the most a stream may hold; past it the copy stops with an error that points
    to a file instead (a file is read in place, at any size);
  - ``LOSSCLI_MAX_LINE_BYTES`` (default 64 MiB, :data:`DEFAULT_MAX_LINE_BYTES`):
    the longest line (CSV record or JSON object) read; a valid file's lines are
    far shorter (a 128 KiB cell and an 8 MiB JSON object are read), and a longer
    one is refused with its line number instead of holding ever bigger buffers
    (``/dev/zero`` is a single endless line).

* **Binary "headers"** (:func:`sniff_binary`): the magic bytes of gzip, bz2, xz,
  zstd, Parquet and zip, a UTF-16/UTF-32 byte-order mark, and NUL bytes in what
  should be text are named in one line (:func:`binary_message`) instead of being
  parsed as a CSV header.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from losscli.errors import InputError

DEFAULT_MAX_SPOOL_BYTES = 4 << 30
DEFAULT_MAX_LINE_BYTES = 64 << 20
#: How much of a text source is looked at for NUL bytes and byte-order marks.
SNIFF_BYTES = 64 << 10

MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bz2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
)
COMPRESSION_SUFFIX = {"gzip": ".gz", "bz2": ".bz2", "xz": ".xz", "zstd": ".zst"}
PARQUET_MAGIC = b"PAR1"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)


def _limit(variable: str, default: int) -> int:
    """A byte limit from the environment: a plain integer, 0 = no limit."""
    text = os.environ.get(variable, "").strip().replace("_", "")
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise InputError(f"{variable} must be a number of bytes, got {text[:40]!r}") from None
    return value if value > 0 else 1 << 62


def max_spool_bytes() -> int:
    """The most bytes a stream may hold (``LOSSCLI_MAX_SPOOL_BYTES``)."""
    return _limit("LOSSCLI_MAX_SPOOL_BYTES", DEFAULT_MAX_SPOOL_BYTES)


def max_line_bytes() -> int:
    """The longest line read (``LOSSCLI_MAX_LINE_BYTES``)."""
    return _limit("LOSSCLI_MAX_LINE_BYTES", DEFAULT_MAX_LINE_BYTES)


def size_text(n: int) -> str:
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift and n % (1 << shift) == 0:
            return f"{n >> shift} {unit}"
    return f"{n} bytes"


def line_too_long(name: str, line: int | None) -> InputError:
    """The error for a line longer than :func:`max_line_bytes`."""
    where = f"line {line}" if line is not None else "a line"
    return InputError(
        f"{name}: {where} is longer than {size_text(max_line_bytes())} "
        "(no line break found); set LOSSCLI_MAX_LINE_BYTES to read longer lines"
    )


def compression_of(head: bytes) -> str | None:
    """gzip | bz2 | xz | zstd from the magic bytes at the start, else None."""
    return next((c for magic, c in MAGIC if head.startswith(magic)), None)


def sniff_binary(head: bytes) -> str | None:
    """What the first bytes of a supposedly text (CSV/TSV/JSONL) source are, when
    they are not UTF-8 text: a compression name, ``parquet``, ``zip``, ``UTF-16``,
    ``UTF-32`` or ``nul``; None for anything that may be text."""
    compression = compression_of(head)
    if compression is not None:
        return compression
    if head.startswith(PARQUET_MAGIC):
        return "parquet"
    if head.startswith(_ZIP_MAGIC):
        return "zip"
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    if b"\x00" in head:
        return "nul"
    return None


def binary_message(name: str, kind: str, fmt: str) -> str:
    """One line saying what a binary "header" is and what to do about it."""
    if kind in COMPRESSION_SUFFIX:
        return (
            f"{name}: this looks {kind}-compressed; name it "
            f".{fmt}{COMPRESSION_SUFFIX[kind]} or pass --format"
        )
    if kind == "parquet":
        return f"{name}: this looks like a Parquet file; name it .parquet or pass --format parquet"
    if kind == "zip":
        return f"{name}: this looks like a zip archive; unzip it and pass the file inside"
    if kind in ("UTF-16", "UTF-32"):
        return (
            f"{name}: this is {kind} text (byte-order mark); losscli reads UTF-8: "
            f"convert it first, e.g. iconv -f {kind} -t UTF-8"
        )
    what = fmt.upper() if fmt in ("csv", "tsv") else "JSON Lines" if fmt == "jsonl" else "text"
    return f"{name}: holds NUL bytes, so it is binary data, not {what}"


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


def _spool_file() -> tuple[int, Path, bool]:
    """(fd, path to read it by, whether the path must be deleted later)."""
    fd, name = tempfile.mkstemp(prefix="losscli-stdin-")
    proc = Path(f"/proc/self/fd/{fd}")
    if proc.exists():
        # unlinked at once: the spool goes with the process, however it ends
        os.unlink(name)
        return fd, proc, False
    return fd, Path(name), True


def spool(raw: IO[bytes], name: str, keep: list[Path], held: list[int]) -> Path:
    """Copy the stream ``raw`` to a spool file, within the bounds of the module
    docstring; the path to re-read it by. ``keep`` gets paths to delete at exit,
    ``held`` the file descriptors kept open for ``/proc/self/fd`` paths."""
    fd, path, named = _spool_file()
    if named:
        keep.append(path)
    else:
        held.append(fd)
    out = os.fdopen(fd, "wb", closefd=named)
    try:
        _copy_bounded(raw, out, name)
    except OSError as exc:
        raise InputError(f"cannot read {name}: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(OSError):
            out.close()
    return path


def _copy_bounded(raw: IO[bytes], out: IO[bytes], name: str) -> None:
    """The copy loop of :func:`spool`: stops at the spool limit, at a line longer
    than the line limit (text only: compressed and Parquet bytes have no lines),
    and at once for NUL bytes at the start of what should be text."""
    cap, line_cap = max_spool_bytes(), max_line_bytes()
    total, since_newline, lines = 0, 0, 0
    text: bool | None = None
    head = b""  # (the first SNIFF_BYTES, gathered before deciding text or binary)
    for chunk in _chunks(raw):
        if text is None:
            head += chunk
            if chunk and len(head) < SNIFF_BYTES:
                continue
            chunk, head = head, b""
            kind = sniff_binary(chunk[:SNIFF_BYTES])
            text = kind is None or kind in ("UTF-16", "UTF-32", "nul")
            if kind in ("UTF-16", "UTF-32", "nul"):
                raise InputError(binary_message(name, kind, "text"))
        if not chunk:
            return
        total += len(chunk)
        if total > cap:
            raise InputError(
                f"{name}: more than {size_text(cap)} on a stream; save it to a file and "
                "pass the file (or set LOSSCLI_MAX_SPOOL_BYTES)"
            )
        if text:
            last = chunk.rfind(b"\n")
            if last < 0:
                since_newline += len(chunk)
            else:
                lines += chunk.count(b"\n")
                since_newline = len(chunk) - last - 1
            if since_newline > line_cap:
                raise line_too_long(name, lines + 1)
        out.write(chunk)


def _chunks(raw: IO[bytes]) -> Iterator[bytes]:
    """The stream's bytes as they arrive, ending with one empty chunk.

    Waits in ``select`` with a timeout rather than in a blocking ``read``: a SIGTERM
    that lands just before a read syscall starts would otherwise wait for that read to
    return (CPython runs Python signal handlers between bytecodes), and a writer that
    keeps its end open and sends nothing makes that never. ``read1`` then returns what
    is there, one system call at most."""
    import select

    try:
        fd: int | None = raw.fileno()
    except (AttributeError, OSError, ValueError):
        fd = None
    read = getattr(raw, "read1", raw.read)
    while True:
        if fd is not None and not select.select([fd], [], [], 0.25)[0]:
            continue  # (a loop turn: pending signal handlers run here)
        chunk = read(1 << 20)
        yield chunk
        if not chunk:
            return


def is_io_error(exc: BaseException) -> bool:
    """Whether ``exc`` is a failure to read or decompress bytes (a corrupt or
    truncated gzip/bz2/xz/zstd stream, an I/O error), which readers turn into an
    InputError naming the file."""
    import lzma
    import zlib

    kinds: tuple[type[BaseException], ...] = (OSError, EOFError, lzma.LZMAError, zlib.error)
    zstd = _zstd_error()
    if zstd is not None:
        kinds = (*kinds, zstd)
    return isinstance(exc, kinds)


def _zstd_error() -> type[BaseException] | None:
    import sys

    module = sys.modules.get("zstandard")
    error = getattr(module, "ZstdError", None)
    return error if isinstance(error, type) else None


class ZstdReader:
    """A zstd stream as a readable binary file that raises EOFError when the data
    ends inside a frame (zstandard's ``stream_reader`` returns the bytes decoded
    so far and then nothing, so a truncated file read as an empty or short one).
    Concatenated frames are read one after the other, as the ``zstd`` tool does."""

    def __init__(self, fh: IO[bytes]) -> None:
        import zstandard

        self._fh = fh
        self._new = zstandard.ZstdDecompressor().decompressobj
        self._dobj = self._new()
        self._started = False
        self._buffer = bytearray()
        self.closed = False

    def readable(self) -> bool:
        return True

    def _fill(self) -> bool:
        """Decode more into the buffer; False at the end of the data."""
        data = self._fh.read(1 << 20)
        if not data:
            if self._started and not self._dobj.eof:
                raise EOFError("truncated zstd stream")
            return False
        while data:
            if self._dobj.eof:
                self._dobj = self._new()
            self._started = True
            self._buffer += self._dobj.decompress(data)
            data = self._dobj.unused_data if self._dobj.eof else b""
        return True

    def read(self, n: int = -1) -> bytes:
        while (n < 0 or len(self._buffer) < n) and self._fill():
            pass
        if n < 0:
            n = len(self._buffer)
        out = bytes(self._buffer[:n])
        del self._buffer[:n]
        return out

    def readinto(self, target: bytearray | memoryview) -> int:
        data = self.read(len(target))
        target[: len(data)] = data
        return len(data)

    def read1(self, n: int = -1) -> bytes:
        return self.read(n if n >= 0 else 1 << 20)

    def readinto1(self, target: bytearray | memoryview) -> int:
        return self.readinto(target)

    def writable(self) -> bool:
        return False

    def seekable(self) -> bool:
        return False

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True
        self._fh.close()
