"""Which files of a folder, a glob or a store prefix are a dataset's data, and their
Hive partition values: the listing rules, apart from how the files are read.

* **What is a dataset** (:func:`is_dataset`): a local directory (every file inside
  it, recursively), a glob (``'preds/2026-*.parquet'``, quoted so the shell leaves it
  alone), or a URL of a store "directory" or glob (``s3://bucket/preds/``; a URL
  without the ``/`` that names no object is one too: :func:`is_remote_folder`).
* **What is not data** (:func:`_hidden`): files and directories whose name starts
  with ``.`` or ``_`` (``_SUCCESS``, ``_metadata``, ``.crc``: what Spark, Hive and
  pyarrow leave beside the data, and what pyarrow skips too), files named
  ``…_$folder$`` (Hadoop's S3 directory markers) or ``…._COPYING_`` (``hdfs dfs
  -put``'s file in transit), both skipped by Spark, and store keys ending in ``/``
  (an S3 console's "Create folder" marker).
* **Delta Lake** (:func:`_refuse_delta`): a directory beside a ``_delta_log/`` is
  refused; a quoted glob still reads the files it names.
* **One format**: every file must be of the first one's format (told by its suffix,
  or all of ``--format``); the first file that differs is named (exit 2). An empty
  directory or a glob that matches nothing is an error too.
* **Hive partitions**: directories named ``key=value`` (``model=tree/day=2026-11-30/``)
  give every file below them the value of ``key`` (an integer when every value of
  the key is one, else text); every file must have the same keys in the same order.
  The value ``__HIVE_DEFAULT_PARTITION__`` is a missing value (what Hive, Spark,
  pyarrow, pandas, DuckDB and polars write for a null key, and what pyarrow reads
  back as null).
* The files are listed in the sorted order of their paths below the root.

Cut so: these rules are what other tools' readers agree on (Spark's file index,
pyarrow's ``selector_ignore_prefixes``, Hive's layout) and they change when a writer's
layout is met, while reading the files (:mod:`losscli.io.dataset`,
:mod:`losscli.io.dataset_read`) changes with the engines; kept apart, each reads in
one sitting, and the listing needs nothing beyond the stdlib (fsspec only for a URL,
through :mod:`losscli.io.remote`), so no array library loads to list files.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from losscli.errors import InputError
from losscli.io import remote
from losscli.io.sources import FORMATS, display_name, name_format

_GLOB = re.compile(r"[*?\[]")
_INT = re.compile(r"^[-+]?\d{1,18}$")
#: the directory value of a null partition key (Hive's name, which every writer uses)
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"
#: name endings of what is not data either: Hadoop's S3 directory markers
#: (``day=2026-11-30_$folder$``, empty objects) and ``hdfs dfs -put``'s file in
#: transit (``part-0.csv._COPYING_``), which Spark's file index skips too
_NOT_DATA = ("_$folder$", "._COPYING_")
#: the formats a dataset's files can be named by, for the message of an empty one
_SUFFIXES = ".csv .tsv .parquet .pq .jsonl .ndjson, optionally + .gz .bz2 .xz .zst"


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


def is_dataset(source: str) -> bool:
    """Whether ``source`` names many files: a directory, a glob, a store prefix
    (a URL that ends with ``/`` or holds a glob). No look-up in a store."""
    if source == "-":
        return False
    if remote.is_url(source):
        rest = source.split("://", 1)[1]
        web = remote.scheme(source) in ("http", "https")
        return not web and (rest.endswith("/") or bool(_GLOB.search(rest)))
    if os.path.isdir(source):
        return True
    return bool(_GLOB.search(source)) and not os.path.lexists(source)


def is_remote_folder(source: str) -> bool:
    """Whether a URL without a trailing ``/`` names a store "directory" (one look-up;
    a web URL is always one file)."""
    if not remote.is_url(source) or remote.scheme(source) in ("http", "https"):
        return False
    return not isinstance(remote.resolve(source), remote.Remote)


def discover(source: str, fmt: str | None = None) -> Dataset:
    """The files of the dataset ``source`` (see the module docstring), or InputError:
    nothing found, a file of another format, partition keys that differ, a Delta
    Lake table (:func:`_refuse_delta`)."""
    name = display_name(source)
    root, files = _remote_files(source) if remote.is_url(source) else _local_files(source)
    if not files:
        if os.path.isdir(source) or source.endswith("/"):
            raise InputError(f"{name} is a directory with no data files ({_SUFFIXES})")
        raise InputError(f"no file matches {name}")
    chosen, parts = _typed_files(name, files, fmt)
    keys, parts = _partitions(name, root, parts)
    return Dataset(name, chosen, root, tuple(parts), keys)


def key_kinds(ds: Dataset) -> dict[str, str]:
    """Each partition key's kind over the dataset's files: "number" when its values
    are integers (nulls aside), else "text"."""
    return {
        k: "number" if any(isinstance(dict(p.partition)[k], int) for p in ds.parts) else "text"
        for k in ds.keys
    }


# --------------------------------------------------------------------------- files


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


def _typed_files(name: str, files: list[str], fmt: str | None) -> tuple[str, list[Part]]:
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


# --------------------------------------------------------------------------- Hive keys


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
