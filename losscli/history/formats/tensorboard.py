"""TensorBoard event files (``events.out.tfevents.*``) without TensorFlow.

Framing (TFRecord, ``tensorflow/core/lib/io/record_writer.cc``): each record is
``uint64 length`` (little-endian), ``uint32`` masked CRC-32C of the length, ``length``
bytes of data, ``uint32`` masked CRC-32C of the data. The CRCs are not checked (no
CRC-32C in the stdlib, and a pure-Python one would cost more than the parse); a
truncated last record (a writer killed mid-write) ends the file with a warning.

Each record is an ``Event`` (``tensorboard/compat/proto/event.proto``): ``wall_time``
(1, double), ``step`` (2, int64), ``file_version`` (3), ``summary`` (5). ``Summary``
(``summary.proto``) holds repeated ``Value`` (1): ``tag`` (1), ``simple_value`` (2,
float) — what ``tensorboardX``, ``torch.utils.tensorboard`` and Lightning's
``TensorBoardLogger`` write by default — or ``tensor`` (8, ``TensorProto``) with
``metadata`` (9, ``SummaryMetadata``: ``plugin_data`` (1) → ``plugin_name`` (1)), what
TF2 / Keras' ``TensorBoard`` callback and ``add_scalar(..., new_style=True)`` write.
A tensor is a scalar when its plugin is ``scalars`` (the metadata comes with the first
value of a tag only) and it holds one number: ``float_val`` (5), ``double_val`` (6),
``int_val`` (7), ``int64_val`` (10), ``half_val`` (13), or ``tensor_content`` (4, raw
little-endian bytes) for dtypes ``DT_FLOAT`` (1), ``DT_DOUBLE`` (2), ``DT_INT32`` (3),
``DT_INT64`` (9), ``DT_HALF`` (19), ``DT_BFLOAT16`` (14).

Every scalar is kept: no reservoir (TensorBoard's ``EventAccumulator`` keeps 10,000 per
tag by default). Tags are picked as columns are in CSV logs (``train_loss``, ``loss``,
``train/loss``…, ``val_loss``, ``val/loss``, ``eval/loss``…). Keras writes ``train/`` and
``validation/`` subdirectories of one run, each with an ``epoch_loss`` tag: the
subdirectory is the tag's prefix (``train/epoch_loss``, ``validation/epoch_loss``). The
x axis is the step (Lightning logs ``epoch`` as a scalar; when present and no
``--x step``, one point per epoch as for CSV logs).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from losscli.errors import InputError
from losscli.history.formats.scalars import log_from_series
from losscli.history.model import TrainingLog

_SCALAR_PLUGINS = ("", "scalars")
_DTYPES = {1: ("<f", 4), 2: ("<d", 8), 3: ("<i", 4), 9: ("<q", 8), 19: ("<e", 2)}
_BFLOAT16 = 14


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7


def _fields(buf: bytes) -> Iterator[tuple[int, int, Any]]:
    """(field number, wire type, value) of a protobuf message: ints for varints, bytes
    for length-delimited fields, raw little-endian bytes for fixed 32/64-bit fields."""
    pos, end = 0, len(buf)
    while pos < end:
        key, pos = _varint(buf, pos)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
            yield field, wire, value
        elif wire == 1:
            yield field, wire, buf[pos : pos + 8]
            pos += 8
        elif wire == 2:
            size, pos = _varint(buf, pos)
            yield field, wire, buf[pos : pos + size]
            pos += size
        elif wire == 5:
            yield field, wire, buf[pos : pos + 4]
            pos += 4
        else:
            raise ValueError(f"unsupported wire type {wire}")


def records(data: bytes) -> tuple[list[bytes], bool]:
    """The TFRecord payloads of ``data`` and whether the last one was truncated."""
    out: list[bytes] = []
    pos, end = 0, len(data)
    unpack = struct.unpack_from
    while pos < end:
        if pos + 12 > end:
            return out, True
        (length,) = unpack("<Q", data, pos)
        start = pos + 12
        if start + length + 4 > end:
            return out, True
        out.append(data[start : start + length])
        pos = start + length + 4
    return out, False


def _tensor_scalar(buf: bytes) -> float | None:
    """The one number of a ``TensorProto``, or None when it is not one number."""
    dtype = 0
    values: list[float] = []
    content = b""
    for field, _, value in _fields(buf):
        if field == 1:
            dtype = value
        elif field == 2 and any(f == 2 and _dim_size(v) != 1 for f, _, v in _fields(value)):
            return None
        elif field == 4:
            content = value
        elif field in (5, 6, 7, 10, 13):
            values.extend(_packed(field, value))
    if content:
        if dtype == _BFLOAT16 and len(content) == 2:
            return float(struct.unpack("<f", b"\x00\x00" + content)[0])
        fmt = _DTYPES.get(dtype)
        if fmt is None or len(content) != fmt[1]:
            return None
        return float(struct.unpack(fmt[0], content)[0])
    return values[0] if len(values) == 1 else None


def _dim_size(buf: bytes) -> int:
    return next((v for f, _, v in _fields(buf) if f == 1), 0)


def _packed(field: int, value: object) -> list[float]:
    if isinstance(value, int):  # a single non-packed varint
        return [float(_signed(value))]
    assert isinstance(value, bytes)
    if field == 5:
        return [float(v) for v in struct.unpack(f"<{len(value) // 4}f", value)]
    if field == 6:
        return [float(v) for v in struct.unpack(f"<{len(value) // 8}d", value)]
    out, pos = [], 0
    while pos < len(value):
        v, pos = _varint(value, pos)
        out.append(_signed(v))
    if field == 13:  # half_val: float16 bit patterns in int32s
        return [float(struct.unpack("<e", struct.pack("<H", v & 0xFFFF))[0]) for v in out]
    return [float(v) for v in out]


def _signed(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


def _plugin(buf: bytes) -> str:
    for field, _, value in _fields(buf):
        if field == 1:
            for f, _, v in _fields(value):
                if f == 1:
                    return bytes(v).decode("utf-8", errors="replace")
    return ""


def _simple_event(rec: bytes) -> tuple[int, bytes, float] | None:
    """The layout almost every scalar event has — ``wall_time`` (field 1), ``step`` (2),
    ``summary`` (5) holding one ``Value`` of ``tag`` (1) and ``simple_value`` (2) —
    read without the general decoder; None for anything else."""
    if len(rec) < 16 or rec[0] != 0x09 or rec[9] != 0x10:
        return None
    step, pos = _varint(rec, 10)
    end = len(rec)
    if pos + 4 > end or rec[pos] != 0x2A:
        return None
    size, pos = _varint(rec, pos + 1)
    if pos + size != end or rec[pos] != 0x0A:
        return None
    size, pos = _varint(rec, pos + 1)
    if pos + size != end or rec[pos] != 0x0A or rec[pos + 1] >= 0x80:
        return None
    t0 = pos + 2
    t1 = t0 + rec[pos + 1]
    if t1 + 5 != end or rec[t1] != 0x15:
        return None
    return _signed(step), rec[t0:t1], struct.unpack_from("<f", rec, t1 + 1)[0]


class Scalars:
    """Every scalar of some event files: tag → list of (step, value), in file order."""

    def __init__(self) -> None:
        self.by_tag: dict[str, list[tuple[int, float]]] = {}
        self.plugins: dict[str, str] = {}
        self.truncated: list[str] = []
        self._tags: dict[bytes, str] = {}

    def add_file(self, data: bytes, name: str, prefix: str = "") -> None:
        self._tags = {}  # raw tag → prefixed tag, for this file's prefix
        recs, truncated = records(data)
        if truncated:
            self.truncated.append(name)
        for i, rec in enumerate(recs):
            try:
                self._event(rec, prefix)
            except (ValueError, IndexError, struct.error):
                raise InputError(
                    f"{name}: record {i + 1} is not a TensorBoard event (corrupt file?)"
                ) from None

    def _event(self, rec: bytes, prefix: str) -> None:
        fast = _simple_event(rec)
        if fast is not None:
            step, raw_tag, value = fast
            tag = self._tags.get(raw_tag)
            if tag is None:
                tag = self._tags[raw_tag] = prefix + raw_tag.decode("utf-8", errors="replace")
            self.by_tag.setdefault(tag, []).append((step, value))
            return
        step = 0
        summary = None
        for field, _, value in _fields(rec):
            if field == 2:
                step = _signed(value)
            elif field == 5:
                summary = value
        if summary is None:
            return
        for field, _, value in _fields(summary):
            if field == 1:
                self._value(value, step, prefix)

    def _value(self, buf: bytes, step: int, prefix: str) -> None:
        tag = ""
        simple: float | None = None
        tensor = metadata = None
        for field, _, value in _fields(buf):
            if field == 1:
                tag = bytes(value).decode("utf-8", errors="replace")
            elif field == 2:
                simple = struct.unpack("<f", value)[0]
            elif field == 8:
                tensor = value
            elif field == 9:
                metadata = value
        tag = prefix + tag
        if metadata is not None and tag not in self.plugins:
            self.plugins[tag] = _plugin(metadata)
        if simple is None and tensor is not None:
            if self.plugins.get(tag, "") not in _SCALAR_PLUGINS:
                return
            simple = _tensor_scalar(tensor)
        if simple is not None:
            self.by_tag.setdefault(tag, []).append((step, float(simple)))


def event_files(path: Path) -> list[Path]:
    """The event files of a run directory (and its subdirectories), in name order
    (the name holds the writer's start time)."""
    return sorted(
        (p for p in path.rglob("*") if "tfevents" in p.name and p.is_file()),
        key=lambda p: (str(p.parent), p.name),
    )


def read_scalars(files: Sequence[str | Path], root: Path | None = None) -> Scalars:
    """Scalars of ``files``; with ``root``, a file's directory below it prefixes its tags."""
    from losscli.history.read import read_all
    from losscli.io import sources

    scalars = Scalars()
    for f in files:
        name = sources.display_name(str(f))
        prefix = ""
        if root is not None:
            rel = Path(f).parent.relative_to(root)
            prefix = "" if str(rel) == "." else rel.as_posix() + "/"
        scalars.add_file(read_all(sources.open_bytes(str(f)), name), name, prefix)
    return scalars


def log_from_event_files(
    files: Sequence[str | Path],
    name: str,
    *,
    train: str | None = None,
    val: str | None = None,
    x: str | None = None,
    root: Path | None = None,
) -> TrainingLog:
    """Event files of one run → :class:`TrainingLog` (module docstring)."""
    scalars = read_scalars(files, root)
    warnings = [f"{f}: the last record is truncated (ignored)" for f in scalars.truncated]
    return log_from_series(
        scalars.by_tag, name, "tensorboard", train=train, val=val, x=x, warnings=warnings
    )
