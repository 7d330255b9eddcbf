"""What the first bytes of a supposedly text source say when it is not text: the magic
bytes of gzip, bz2, xz, zstd, Parquet and zip, a UTF-16/UTF-32 byte-order mark, NUL
bytes; and the one line that names it (:func:`binary_message`) instead of parsing it
as a CSV header. Stdlib only.

A module of its own because both the spool (which stops copying a binary stream
early) and the source resolution (which refuses a mis-named file) ask it, and the
spool must not depend on the rest of :mod:`losscli.io.sources`.
"""

from __future__ import annotations

from losscli.io.compression import COMPRESSION_SUFFIX, from_magic

#: How much of a text source is looked at for NUL bytes and byte-order marks.
SNIFF_BYTES = 64 << 10
PARQUET_MAGIC = b"PAR1"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)


def sniff_binary(head: bytes) -> str | None:
    """What the first bytes of a supposedly text (CSV/TSV/JSONL) source are, when
    they are not UTF-8 text: a compression name, ``parquet``, ``zip``, ``UTF-16``,
    ``UTF-32`` or ``nul``; None for anything that may be text."""
    compression = from_magic(head)
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
