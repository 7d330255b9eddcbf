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

Reading is cut for logs of millions of events: :func:`frame` finds the records with
numpy (runs of records of one length checked at once), and the common scalar layout
(``simple_value`` with a short tag) is decoded for every record at once
(:class:`_Simple`); only the other records (tensors, several values, negative steps)
go through the general decoder, one at a time.

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
#: Zero bytes after a file's data, so that a byte read past a record's end is never
#: past the buffer's (the farthest read is 25 bytes into a record).
_PAD = 32


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


def frame(data: bytes) -> tuple[Any, Any, bool]:
    """Where the TFRecord payloads of ``data`` are: (starts, lengths) as int64 arrays,
    and whether the last record was truncated.

    Each record's place depends on the one before, so the walk is a chain; but a
    scalar log is mostly long runs of records of one length (one tag, steps of the same
    varint size), so from each record the next ``k`` records of the same length are
    checked at once (their length fields read with numpy, ``k`` growing while the run
    lasts). Where lengths vary record to record, short stretches are walked one
    record at a time."""
    import numpy as np

    end = len(data)
    starts: list[Any] = []
    lengths: list[Any] = []
    pos, chunk = 0, 64
    while pos < end:
        # one record (a short stretch where lengths vary): bounds and truncation checked
        pos, truncated = _walk(data, pos, 1 if chunk > 8 else 256, starts, lengths)
        if truncated or pos + 12 > end:
            if truncated or pos >= end:
                return _joined(starts, lengths, truncated)
            continue  # the next walk reports the truncated record
        chunk = max(chunk, 64)
        (length,) = struct.unpack_from("<Q", data, pos)
        stride = length + 16
        n = min(chunk, (end - pos) // stride)  # records of this length that would fit
        if n < 2:
            continue
        # the length fields of the next n records, were they all of this length
        fields = np.ndarray((n,), dtype="<u8", buffer=data, offset=pos, strides=(stride,))
        same = fields == length
        k = n if same.all() else int(np.argmin(same))
        starts.append(pos + 12 + stride * np.arange(k, dtype=np.int64))
        lengths.append(np.full(k, length, dtype=np.int64))
        pos += stride * k
        chunk = min(chunk * 4, 1 << 20) if k == n else (64 if k >= 8 else 8)
    return _joined(starts, lengths, False)


def _walk(
    data: bytes, pos: int, count: int, starts: list[Any], lengths: list[Any]
) -> tuple[int, bool]:
    """Up to ``count`` records from ``pos``, one at a time: (next position, truncated)."""
    import numpy as np

    s: list[int] = []
    ln: list[int] = []
    end = len(data)
    truncated = False
    for _ in range(count):
        if pos >= end:
            break
        if pos + 12 > end:
            truncated = True
            break
        (length,) = struct.unpack_from("<Q", data, pos)
        if pos + 12 + length + 4 > end:
            truncated = True
            break
        s.append(pos + 12)
        ln.append(length)
        pos += length + 16
    if s:
        starts.append(np.array(s, dtype=np.int64))
        lengths.append(np.array(ln, dtype=np.int64))
    return pos, truncated


def _joined(starts: list[Any], lengths: list[Any], truncated: bool) -> tuple[Any, Any, bool]:
    import numpy as np

    if not starts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), truncated
    return np.concatenate(starts), np.concatenate(lengths), truncated


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


class _Simple:
    """:func:`_simple_event` on every record at once (numpy over the file's bytes), for
    the records whose step takes at most 9 varint bytes and whose two sizes take one
    byte each, as a scalar event's do; ``ok`` marks them, the rest go to the decoder.

    A byte is read at the same offset in every record at once, even where a record is
    shorter (the buffer is padded): the checks end with the exact sizes of the layout,
    so a record that passes them held every byte that was read."""

    def __init__(self, data: bytes, starts: Any, lengths: Any) -> None:
        import numpy as np

        self.buf = np.frombuffer(data + bytes(_PAD), dtype=np.uint8)
        self.starts = starts
        ok = (lengths >= 16) & (self._at(0) == 0x09) & (self._at(9) == 0x10)
        step = np.zeros(len(starts), dtype=np.uint64)
        size = np.zeros(len(starts), dtype=np.int64)  # bytes of the step varint
        going = ok.copy()
        for j in range(9):
            byte = self._at(10 + j)
            step |= (byte & 0x7F).astype(np.uint64) * going << np.uint64(7 * j)
            size += going
            going &= byte >= 0x80
            if not going.any():
                break
        ok &= ~going  # a 10-byte (negative) step: the decoder's
        pos = 10 + size
        ok &= (pos + 4 <= lengths) & (self._at(pos) == 0x2A)
        ok &= (self._at(pos + 1) < 0x80) & (pos + 2 + self._at(pos + 1) == lengths)
        ok &= (self._at(pos + 2) == 0x0A) & (self._at(pos + 3) < 0x80)
        ok &= pos + 4 + self._at(pos + 3) == lengths
        ok &= (self._at(pos + 4) == 0x0A) & (self._at(pos + 5) < 0x80)
        self.tag_start = pos + 6
        self.tag_length = self._at(pos + 5).astype(np.int64)
        ok &= self.tag_start + self.tag_length + 5 == lengths
        ok &= self._at(lengths - 5) == 0x15
        self.ok = ok
        self.step = step.astype(np.int64)
        rows = np.flatnonzero(ok)
        end = starts[rows] + lengths[rows]
        raw = np.stack([self.buf[end - 4 + j] for j in range(4)], axis=1)
        self.value = np.zeros(len(starts), dtype=np.float64)
        self.value[rows] = raw.view("<f4").reshape(len(rows))

    def _at(self, offset: Any) -> Any:
        """The byte at ``offset`` of each record (or past it, into the padding)."""
        import numpy as np

        where = np.minimum(self.starts + offset, len(self.buf) - 1)
        return self.buf[where].astype(np.int64)

    def tags(self) -> list[tuple[bytes, Any]]:
        """(raw tag, record indices) of the simple records, tags in order of first
        appearance."""
        import numpy as np

        out: list[tuple[int, bytes, Any]] = []
        rows = np.flatnonzero(self.ok)
        lengths = self.tag_length[rows]
        for n in np.flatnonzero(np.bincount(lengths)).tolist() if len(rows) else []:
            group = rows[lengths == n]
            words = self._words(self.starts[group] + self.tag_start[group], n)
            while len(group):
                same = (words == words[0]).all(axis=1)
                a = int(self.starts[group[0]] + self.tag_start[group[0]])
                out.append((int(group[0]), self.buf[a : a + n].tobytes(), group[same]))
                group, words = group[~same], words[~same]
        out.sort(key=lambda t: t[0])
        return [(raw, members) for _, raw, members in out]

    def _words(self, at: Any, n: int) -> Any:
        """The ``n`` bytes from each of ``at``, packed into uint64 words (one row each)."""
        import numpy as np

        raw = np.zeros((len(at), 8 * max(1, (n + 7) // 8)), dtype=np.uint8)
        for j in range(n):
            raw[:, j] = self.buf[at + j]
        return raw.view(np.uint64)


class Scalars:
    """Every scalar of some event files: tag → (steps, values) arrays, in file order."""

    def __init__(self) -> None:
        self.by_tag: dict[str, tuple[Any, Any]] = {}
        self.plugins: dict[str, str] = {}
        self.truncated: list[str] = []

    def add_file(self, data: bytes, name: str, prefix: str = "") -> None:
        import numpy as np

        starts, lengths, truncated = frame(data)
        if truncated:
            self.truncated.append(name)
        simple = _Simple(data, starts, lengths)
        # tag → [(record indices, steps, values)], tags in order of first record
        parts: dict[str, list[tuple[Any, Any, Any]]] = {}
        first: dict[str, int] = {}
        for raw, rows in simple.tags():
            tag = prefix + raw.decode("utf-8", errors="replace")
            parts.setdefault(tag, []).append((rows, simple.step[rows], simple.value[rows]))
            first[tag] = min(first.get(tag, len(starts)), int(rows[0]))
        slow: dict[str, tuple[list[int], list[int], list[float]]] = {}
        for i in np.flatnonzero(~simple.ok).tolist():
            a, n = int(starts[i]), int(lengths[i])
            try:
                for tag, step, value in self._event(data[a : a + n], prefix):
                    rows_, steps_, values_ = slow.setdefault(tag, ([], [], []))
                    rows_.append(i)
                    steps_.append(step)
                    values_.append(value)
                    first[tag] = min(first.get(tag, len(starts)), i)
            except (ValueError, IndexError, struct.error):
                raise InputError(
                    f"{name}: record {i + 1} is not a TensorBoard event (corrupt file?)"
                ) from None
        for tag, (r, st, va) in slow.items():
            parts.setdefault(tag, []).append(
                (np.array(r), np.array(st, dtype=np.int64), np.array(va, dtype=np.float64))
            )
        for tag in sorted(parts, key=first.__getitem__):
            self._append(tag, parts[tag])

    def _append(self, tag: str, parts: list[tuple[Any, Any, Any]]) -> None:
        """Add one tag's entries of a file, in record order, after what it already has."""
        import numpy as np

        rows = np.concatenate([p[0] for p in parts])
        order = np.argsort(rows, kind="stable")
        steps = np.concatenate([p[1] for p in parts])[order]
        values = np.concatenate([p[2] for p in parts])[order]
        if tag in self.by_tag:
            old_steps, old_values = self.by_tag[tag]
            steps, values = np.concatenate([old_steps, steps]), np.concatenate([old_values, values])
        self.by_tag[tag] = (steps, values)

    def _event(self, rec: bytes, prefix: str) -> list[tuple[str, int, float]]:
        """(tag, step, value) of each scalar of one event."""
        fast = _simple_event(rec)
        if fast is not None:
            step, raw_tag, value = fast
            return [(prefix + raw_tag.decode("utf-8", errors="replace"), step, value)]
        step = 0
        summary = None
        for field, _, value in _fields(rec):
            if field == 2:
                step = _signed(value)
            elif field == 5:
                summary = value
        if summary is None:
            return []
        out = []
        for field, _, value in _fields(summary):
            if field == 1:
                found = self._value(value, prefix)
                if found is not None:
                    out.append((found[0], step, found[1]))
        return out

    def _value(self, buf: bytes, prefix: str) -> tuple[str, float] | None:
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
                return None
            simple = _tensor_scalar(tensor)
        return None if simple is None else (tag, float(simple))


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
