"""A text source's decompressed bytes in blocks of whole lines, for the CSV/TSV and
JSON Lines parsers, within the line bound of :mod:`losscli.io.spool`.

A block ends after a complete line; with ``quotes`` (CSV/TSV) only where the count of
``"`` before the cut is even, so a quoted field holding a newline is never split.
Cutting blocks here, rather than using Arrow's streaming readers, holds one block at
a time whatever the file size (``pyarrow.csv.open_csv`` reads ahead of a slower
consumer without bound). Uncompressed files are read block by block at their offsets
(:func:`_file_line_blocks`), so a block is never copied to be joined with the rest of
a cut line. A line (or quoted field) longer than ``LOSSCLI_MAX_LINE_BYTES`` is refused
with its line number rather than read into ever larger buffers.

Cut so: the parsers see only whole-line blocks; files, decompression and bounds stay
here and in :mod:`losscli.io.sources`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator, Iterator
from typing import Any

from losscli.errors import InputError
from losscli.io import spool
from losscli.io.sources import Source

#: Arrow's parse unit for the header / schema sniffing (one block).
PARSE_BLOCK_BYTES = 1 << 20


def _worth_parsing(block: bytes | memoryview) -> bool:
    """Whether a block holds anything but whitespace; only a short block can be
    blank (a file's trailing newlines), so a long one is not looked at."""
    return len(block) > 256 or (len(block) > 0 and not bytes(block).isspace())


def line_blocks(
    res: Source, block_bytes: int, *, quotes: bool, spare: list[bytearray] | None = None
) -> Generator[bytes | memoryview]:
    """The decompressed bytes of ``res`` in blocks of about ``block_bytes``, each
    ending after a complete line (with ``quotes``: a line ending outside a quoted
    field, i.e. with an even count of ``"`` before it). Blank blocks are skipped.
    ``spare``: buffers the caller is done with, reused for reading (files only)."""
    if res.compression is None and res.remote is None:
        yield from _file_line_blocks(res, block_bytes, quotes=quotes, spare=spare)
        return
    line_cap = max(block_bytes, spool.max_line_bytes())
    stream = res.arrow_input()
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
            if _worth_parsing(block):
                yield block
            if not data:
                break
    finally:
        stream.close()


def _file_line_blocks(
    res: Source, block_bytes: int, *, quotes: bool, spare: list[bytearray] | None = None
) -> Iterator[memoryview]:
    """:func:`line_blocks` for an uncompressed file: each block is read at its own
    offset into its own buffer, and the line cut at its end is read again at the
    start of the next block, so no block is ever copied to join a line's two
    halves. The buffer is a ``bytearray``, searched in place (``rfind``, ``find``:
    memchr speed); quotes are counted (numpy) only in a block that has one."""
    try:
        fh = open(res.path, "rb", buffering=0)  # noqa: SIM115  (closed below)
    except OSError as exc:
        raise InputError(f"cannot read {res.name}: {exc.strerror or exc}") from None
    pos = 0
    size = block_bytes
    line_cap = max(block_bytes, spool.max_line_bytes())
    quote_mask: list[Any] = [None]  # one reused mask (a fresh one per block faults pages)
    try:
        while True:
            buf = spare.pop() if spare and size == block_bytes else bytearray(size)
            view = memoryview(buf)
            got = _read_at(fh, pos, view)
            if got < size:  # the end of the file: the rest, whatever it ends with
                if _worth_parsing(view[:got]):
                    yield view[:got]
                return
            cut = buf.rfind(b"\n") + 1
            odd = quotes and cut > 0 and _odd_quotes(buf, cut, quote_mask)
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


def _read_at(fh: Any, pos: int, view: memoryview) -> int:
    """Fill ``view`` from offset ``pos`` of the file; the bytes read (fewer at its end)."""
    fh.seek(pos)
    got = 0
    while got < len(view):
        n = fh.readinto(view[got:])
        if not n:
            break
        got += n
    return got


def _odd_quotes(buf: bytearray, cut: int, mask: list[Any]) -> bool:
    """Whether ``buf[:cut]`` holds an odd count of ``"`` (counted with numpy into the
    reused boolean ``mask[0]``, only when there is a quote at all)."""
    if buf.find(b'"', 0, cut) < 0:
        return False
    import numpy as np

    if mask[0] is None or mask[0].size < cut:
        mask[0] = np.empty(len(buf), dtype=bool)
    chars = np.frombuffer(buf, dtype=np.uint8, count=cut)
    odd = bool(np.count_nonzero(np.equal(chars, ord('"'), out=mask[0][:cut])) % 2)
    del chars  # (a bytearray with an export cannot be resized; none is)
    return odd


def _long_line(
    res: Source, pos: int | None, *, quoted: bool, line: int | None = None
) -> InputError:
    """The error for a line (or a quoted field) longer than the line bound; the
    line number is counted on this (rare) path only: newlines before ``pos``."""
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
            f"{spool.size_text(spool.max_line_bytes())} (an unclosed quote?); "
            "set LOSSCLI_MAX_LINE_BYTES to read longer lines"
        )
    return spool.line_too_long(res.name, line)


def head_bytes(res: Source, block_bytes: int = PARSE_BLOCK_BYTES) -> bytes:
    """The first block of complete lines (for headers, schemas and sniffing)."""
    blocks = line_blocks(res, block_bytes, quotes=res.fmt in ("csv", "tsv"))
    try:
        return bytes(next(blocks, b""))
    finally:
        blocks.close()
