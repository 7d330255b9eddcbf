"""Which reader a log goes to, and the runs it holds.

Every byte comes through :mod:`losscli.io` (``tables.read_frame`` for tables,
``sources.open_bytes`` for JSON and event files), so compression (gzip, bz2, xz, zstd,
by suffix or magic bytes), stdin spooling and their one-line errors are the input
layer's, and so is the table of compression suffixes looked through to see a log's
own suffix (``log.csv.zst`` is a CSV log).
The format is told by the name (``events.out.tfevents.*``, ``*.json``, a table
suffix), else by the content (a JSON object; a header line with an ``epoch`` or loss
column is a CSV/TSV log, whatever its suffix: Keras' ``training.log``), else
``--format``. A directory is a TensorBoard run (event files), an MLflow run
(``metrics/``), or a directory of such runs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from pathlib import Path
from typing import IO, Any

from losscli.errors import InputError, UsageError
from losscli.history.align import pick_run
from losscli.history.model import STEP_NAMES, TRAIN_NAMES, VAL_NAMES, X_AXES, TrainingLog

#: ``--format`` values: the input layer's table formats, a trainer_state.json, event files.
LOG_FORMATS: tuple[str, ...] = ("csv", "tsv", "parquet", "jsonl", "json", "tfevents")
_TABLE_SUFFIXES = (".csv", ".tsv", ".tab", ".parquet", ".pq", ".jsonl", ".ndjson")


def read_all(stream: IO[bytes], name: str, size: int = -1) -> bytes:
    """The decompressed stream (its first ``size`` bytes, or all); a corrupt or
    truncated file is a one-line error."""
    from losscli.io import compression

    try:
        with contextlib.closing(stream):
            return stream.read(size)
    except Exception as exc:
        if not compression.is_io_error(exc):
            raise
        raise InputError(f"cannot read {name}: corrupt or truncated data ({_why(exc)})") from None


def _why(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:120] if text else type(exc).__name__


def _names(text: str) -> tuple[str, list[str]]:
    """The lower-case base name and suffixes of a path, without the suffix of its
    compression (``log.csv.zst`` → ``.csv``; the input layer's table of suffixes)."""
    from losscli.io import compression

    base = Path(text).name.lower()
    suffixes = [s.lower() for s in Path(text).suffixes]
    if suffixes and compression.from_name(text) is not None:
        suffixes.pop()
    return base, suffixes


def _kind(text: str, fmt: str | None) -> str:
    """``json``, ``tfevents``, ``dir``, or a table format (None: the input layer decides)."""
    if fmt is not None:
        key = fmt.strip().lower()
        key = {"ndjson": "jsonl", "tab": "tsv", "pq": "parquet", "trainer_state": "json"}.get(
            key, key
        )
        if key not in LOG_FORMATS:
            raise UsageError(f"unknown --format {fmt!r}; choose one of: {', '.join(LOG_FORMATS)}")
        return key
    if text == "-":
        return "stdin"
    path = Path(text)
    if path.is_dir():
        return "dir"
    base, suffixes = _names(text)
    if "tfevents" in base:
        return "tfevents"
    if suffixes and suffixes[-1] == ".json":
        return "json"
    if suffixes and suffixes[-1] in _TABLE_SUFFIXES:
        return "table"
    return "sniff"


def _sniff(text: str, name: str) -> str:
    """The format of a file whose name does not say, from its first bytes."""
    from losscli.io import sources

    head = read_all(sources.open_bytes(text), name, 4096)
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] in (b"{", b"["):
        return "json"
    if head.startswith(b"PAR1"):
        return "parquet"
    if b"brain.Event:" in head[:64]:
        return "tfevents"
    line = stripped.split(b"\n", 1)[0].decode("utf-8", errors="replace").strip()
    sep = "\t" if line.count("\t") > line.count(",") else ","
    fields = {f.strip().lower() for f in line.split(sep)}
    known = {"epoch", *STEP_NAMES, *TRAIN_NAMES, *VAL_NAMES}
    if len(fields) > 1 and (fields & known or any(f.startswith("train/") for f in fields)):
        return "tsv" if sep == "\t" else "csv"
    raise InputError(
        f"cannot tell the format of {name} from its name or its content (no header with "
        f"'epoch' or a loss column); use --format {'|'.join(LOG_FORMATS)}"
    )


def read_runs(
    source: str | os.PathLike[str],
    *,
    train: str | None = None,
    val: str | None = None,
    x: str | None = None,
    fmt: str | None = None,
    run: str | None = None,
) -> list[TrainingLog]:
    """The runs of one log that ``run`` selects (None = the last, ``all``, ``N``)."""
    from losscli.history.formats.tables import check_distinct
    from losscli.io import sources

    text = os.fspath(source)
    if x is not None and x not in X_AXES:
        raise UsageError(f"--x must be one of: {', '.join(X_AXES)}; got {x!r}")
    check_distinct(train, val)
    name = sources.display_name(text)
    kind = _kind(text, fmt)
    if kind == "dir":
        from losscli.history.formats.directories import read_directory

        return read_directory(Path(text), train=train, val=val, x=x, run=run)
    if kind == "tfevents":
        from losscli.history.formats.tensorboard import log_from_event_files

        return [log_from_event_files([text], name, train=train, val=val, x=x)]
    if kind == "sniff":
        kind = _sniff(text, name)
    if kind == "stdin":
        raw = read_all(sources.open_bytes(text), name)
        if raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{":
            doc = _maybe_state(raw, name)
            if doc is not None:
                return [_from_state(doc, name, train, val, x)]
        kind = "table"
    if kind == "json":
        from losscli.history.formats.huggingface import parse_json

        doc = parse_json(read_all(sources.open_bytes(text), name), name)
        return [_from_state(doc, name, train, val, x)]
    table_fmt = None if kind == "table" else kind
    return _table_runs(text, name, table_fmt, train, val, x, run)


def _maybe_state(raw: bytes, name: str) -> Any:
    """A trainer state on stdin, or None (JSON Lines, probably: the input layer decides)."""
    from losscli.history.formats.huggingface import parse_json

    try:
        doc = parse_json(raw, name)
    except InputError:
        return None
    return doc if isinstance(doc, dict) and "log_history" in doc else None


def _from_state(doc: Any, name: str, train: str | None, val: str | None, x: str | None) -> Any:
    from losscli.history.formats.huggingface import log_from_trainer_state

    return log_from_trainer_state(doc, name, train=train, val=val, x=x)


def _table_runs(
    text: str,
    name: str,
    fmt: str | None,
    train: str | None,
    val: str | None,
    x: str | None,
    run: str | None,
) -> list[TrainingLog]:
    from losscli.history.formats.tables import Table, literal_nan_rows, split_runs
    from losscli.io import tables
    from losscli.io.csv import NoHeaderLine

    try:
        frame = tables.read_frame(text, fmt=fmt)
    except NoHeaderLine:
        # (every log writer names its metrics in a header: without one there is no
        # loss to find, so history takes no --columns)
        raise InputError(
            f"{name}: line 1 holds only numbers: a training log names its metrics in a "
            "header line (Keras CSVLogger, Lightning's metrics.csv write one)"
        ) from None
    delimiter = _delimiter(text, fmt)
    literal = None
    if delimiter is not None:
        literal = literal_nan_rows(
            _quiet_open(text), [str(c) for c in frame.columns], len(frame), delimiter
        )
    table = Table(frame, name, literal)
    builder = _layout(table)
    parts = split_runs(table)
    chosen = pick_run(list(range(len(parts))), run, name)
    logs = []
    for k in chosen:
        log = builder(parts[k], train, val, x)
        notes = list(log.warnings)
        if len(parts) > 1 and (k == chosen[0] or (run is not None and run != "all")):
            notes.append(
                f"{name} holds {len(parts)} runs (the counter restarts at data row(s) "
                + ", ".join(str(p.offset + 1) for p in parts[1:])
                + f"); this is run {k + 1}"
                + ("; --run N|all picks another" if run is None else "")
            )
        logs.append(dataclasses.replace(log, warnings=tuple(notes), run=k + 1, runs=len(parts)))
    return logs


def _quiet_open(text: str) -> IO[bytes] | None:
    from losscli.io import sources

    try:
        return sources.open_bytes(text)
    except InputError:
        return None


def _delimiter(text: str, fmt: str | None) -> str | None:
    """The delimiter of a CSV/TSV log (None for other formats: no raw text to look at)."""
    if fmt in ("csv", "tsv"):
        return "," if fmt == "csv" else "\t"
    if text == "-":
        from losscli.io import sources

        head = read_all(sources.open_bytes(text), "<stdin>", 4)
        return None if head.startswith(b"PAR1") else ","
    _, suffixes = _names(text)
    if suffixes and suffixes[-1] in (".csv", ".tsv", ".tab"):
        return "," if suffixes[-1] == ".csv" else "\t"
    return None


def _layout(table: Any) -> Any:
    """The builder for a table's layout: Lightning, Ultralytics, Keras or generic."""
    from losscli.history.formats import lightning, tables

    if lightning.is_lightning(table):
        return lightning.lightning_log
    if tables.is_ultralytics(table):
        return tables.ultralytics_log
    fmt = "keras" if tables.is_keras(table) else "generic"

    def generic(part: Any, train: str | None, val: str | None, x: str | None) -> TrainingLog:
        return tables.generic_log(part, train, val, x, fmt)

    return generic


def read_log(
    source: str | os.PathLike[str],
    *,
    train: str | None = None,
    val: str | None = None,
    x: str | None = None,
    fmt: str | None = None,
    run: str | None = None,
) -> TrainingLog:
    """One training log (format detected, see :mod:`losscli.history`): the last run of
    the file, or run ``N``."""
    logs = read_runs(source, train=train, val=val, x=x, fmt=fmt, run=run)
    return logs[-1]
