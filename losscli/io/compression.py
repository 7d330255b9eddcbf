"""Compression: which one a source uses (its name's suffix or its magic bytes), a
decompressed stream of it, and what a decompression failure is. Stdlib only
(``zstandard`` and pyarrow are imported when a stream needs them).

Cut out of :mod:`losscli.io.sources` so that every reader of bytes (the tables,
``history``'s JSON and event files) asks one table of suffixes and magic bytes and one
test of "is this a read or decompression failure" (:func:`is_io_error`), instead of
keeping its own list.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any

from losscli.errors import InputError

#: Name suffix → compression.
SUFFIXES = {
    ".gz": "gzip",
    ".gzip": "gzip",
    ".bz2": "bz2",
    ".xz": "xz",
    ".zst": "zstd",
    ".zstd": "zstd",
}
#: Compression → the suffix a file so compressed should have.
COMPRESSION_SUFFIX = {"gzip": ".gz", "bz2": ".bz2", "xz": ".xz", "zstd": ".zst"}
MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bz2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
)


def from_magic(head: bytes) -> str | None:
    """gzip | bz2 | xz | zstd from the magic bytes at the start, else None."""
    return next((c for magic, c in MAGIC if head.startswith(magic)), None)


def from_name(name: str | os.PathLike[str]) -> str | None:
    """gzip | bz2 | xz | zstd from the last suffix of a file name (``log.csv.zst``:
    zstd), else None."""
    return SUFFIXES.get(Path(os.fspath(name)).suffix.lower())


def corrupt(name: str, what: str) -> InputError:
    """The one line for bytes that do not decompress: ``what`` is the compression
    (or ``compressed`` when it is not known)."""
    return InputError(f"cannot read {name}: not valid {what} data (corrupt or truncated)")


def is_io_error(exc: BaseException) -> bool:
    """Whether ``exc`` is a failure to read or decompress bytes (a corrupt or
    truncated gzip/bz2/xz/zstd stream, an I/O error), which the readers turn into an
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


def io_failure(name: str, suffix_of: str, exc: BaseException, reason: str) -> InputError:
    """A read or decompression failure that escaped the specific handlers, as one
    line naming the file: "not valid xz data (corrupt or truncated)" and the like.
    The compression is told by the name ``suffix_of``, else by the exception's kind;
    ``reason`` is the text for a plain read failure."""
    import lzma
    import zlib

    compression = from_name(suffix_of)
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
        return corrupt(name, compression)
    return InputError(f"cannot read {name}: {reason}")


def open_binary(path: Path, name: str, compression: str | None) -> IO[bytes]:
    """A decompressed binary stream of the file at ``path``."""
    try:
        if compression is None:
            return open(path, "rb")
        if compression == "gzip":
            import gzip

            return gzip.open(path, "rb")  # type: ignore[return-value]
        if compression == "bz2":
            import bz2

            return bz2.open(path, "rb")
        if compression == "xz":
            import lzma

            return lzma.open(path, "rb")
        fh = open(path, "rb")  # noqa: SIM115  (closed by the reader)
        return ZstdReader(fh)  # type: ignore[return-value]
    except OSError as exc:
        raise InputError(f"cannot read {name}: {exc.strerror or exc}") from None


def arrow_input(path: Path, name: str, compression: str | None) -> Any:
    """An Arrow input stream; Arrow decompresses gzip/bz2/zstd natively (faster than
    Python's modules); xz goes through :mod:`lzma`."""
    import pyarrow as pa

    if compression in (None, "gzip", "bz2", "zstd"):
        try:
            return pa.input_stream(str(path), compression=compression)
        except OSError as exc:
            raise InputError(f"cannot read {name}: {exc}") from None
    return pa.PythonFile(open_binary(path, name, compression), mode="r")


def wrap_binary(raw: IO[bytes], compression: str | None) -> IO[bytes]:
    """:func:`open_binary` for a file already open (a remote object)."""
    if compression is None:
        return raw
    if compression == "gzip":
        import gzip

        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    if compression == "bz2":
        import bz2

        return bz2.BZ2File(raw)
    if compression == "xz":
        import lzma

        return lzma.LZMAFile(raw)
    return ZstdReader(raw)  # type: ignore[return-value]


def wrap_arrow(raw: IO[bytes], compression: str | None) -> Any:
    """:func:`arrow_input` for a file already open (a remote object)."""
    import pyarrow as pa

    if compression in ("gzip", "bz2", "zstd"):
        return pa.CompressedInputStream(pa.PythonFile(raw, mode="r"), compression)
    return pa.PythonFile(wrap_binary(raw, compression), mode="r")


class ZstdReader:
    """A zstd stream as a readable binary file that raises EOFError when the data
    ends inside a frame (zstandard's ``stream_reader`` returns the bytes decoded
    so far and then nothing, so a truncated file read as an empty or short one).
    Concatenated frames are read one after the other, as the ``zstd`` tool does; a
    context manager, as the other decompressors' files are."""

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

    def __enter__(self) -> ZstdReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
