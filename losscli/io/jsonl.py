"""JSON Lines: the header (column names), the file as Arrow batches of whole lines,
the first block's schema, and errors that name the line or the row.

Blocks of whole lines come from :mod:`losscli.io.lines` and are parsed by Arrow's
``read_json``, the requested columns' types fixed (:func:`parse_options`) since each
block would infer its own. Arrow's JSON errors count rows within a block, so on that
(rare) path the file is scanned again with :mod:`json` to name the line or row
(:func:`error`).

Cut so: what knows JSON (Arrow's JSON reader and messages, :mod:`json`) is here, as
:mod:`losscli.io.csv` holds what knows CSV. pyarrow is imported inside the functions.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterator, Sequence
from typing import Any

from losscli.errors import InputError
from losscli.io.lines import head_bytes, line_blocks
from losscli.io.sources import Source, require_bytes, short


def column_names(res: Source) -> list[str]:
    """The column names of a JSON Lines source (its first block), checked not empty."""
    import pyarrow as pa

    require_bytes(res)
    try:
        head = head_bytes(res)
        names = list(read_block(res, head, None, None).schema.names) if head.strip() else []
    except pa.ArrowException as exc:
        raise error(res, exc) from None
    if not names:
        raise InputError(f"{res.name} is empty (no JSON objects)")
    return names


def read_block(res: Source, block: Any, parse_options: Any, needed: Sequence[str] | None) -> Any:
    """One block of whole JSON lines as an Arrow table.

    Arrow's parse unit is the whole block (its default, 1 MiB, refuses a longer
    object: "straddling object"; lines are bounded by LOSSCLI_MAX_LINE_BYTES
    instead). A field no caller needs must not stop the read: when Arrow fails on
    a column outside ``needed`` (a nested field whose type changes from line to
    line, say), the block is parsed again from its lines with only the needed
    keys (Python's :mod:`json`: slow, but only for such blocks). ``needed=None``:
    only the names matter (the header): the values are then read as JSON text."""
    import pyarrow as pa
    import pyarrow.json as pj

    read = pj.ReadOptions(block_size=max(len(block) + 1, 1 << 20), use_threads=True)
    try:
        return pj.read_json(pa.py_buffer(block), read_options=read, parse_options=parse_options)
    except pa.ArrowInvalid as exc:
        m = re.search(r"Column\(/([^)/]*)", str(exc))
        if m is None or (needed is not None and m.group(1) in needed):
            raise
    filtered = filter_lines(bytes(block), needed)
    if filtered is None:
        raise pa.ArrowInvalid("JSON parse error in a block")  # (named by error)
    read = pj.ReadOptions(block_size=max(len(filtered) + 1, 1 << 20), use_threads=True)
    return pj.read_json(pa.py_buffer(filtered), read_options=read, parse_options=parse_options)


def batches(
    res: Source,
    columns: Sequence[str] | None,
    column_types: dict[str, str] | None,
    block_bytes: int,
) -> Iterator[Any]:
    """The file as Arrow batches, blocks of about ``block_bytes``; with ``columns``,
    exactly those (a key absent from a whole block: a column of nulls)."""
    import pyarrow as pa

    parse_json = parse_options(column_types)
    try:
        for block in line_blocks(res, block_bytes, quotes=False):
            table = read_block(res, block, parse_json, columns)
            if columns is not None:
                for col in columns:
                    if col not in table.column_names:
                        table = table.append_column(col, pa.nulls(table.num_rows))
                table = table.select(list(columns))
            yield from table.to_batches()
    except pa.ArrowException as exc:
        raise error(res, exc) from None


def first_block_schema(res: Source, columns: Sequence[str] | None) -> Any:
    """The Arrow schema Arrow infers from the first block."""
    import pyarrow as pa

    try:
        return read_block(res, head_bytes(res), None, columns).schema
    except pa.ArrowException as exc:
        raise error(res, exc) from None


def filter_lines(block: bytes, needed: Sequence[str] | None) -> bytes | None:
    """The block's JSON objects with only the ``needed`` keys (None: every key,
    each value as its JSON text); None if a line is not a JSON object."""
    import json

    keep = None if needed is None else set(needed)
    out: list[str] = []
    for line in block.splitlines():
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            return None
        if not isinstance(obj, dict):
            return None
        if keep is None:
            obj = {k: json.dumps(v) for k, v in obj.items()}
        else:
            obj = {k: v for k, v in obj.items() if k in keep}
        out.append(json.dumps(obj))
    return ("\n".join(out) + "\n").encode()


def parse_options(column_types: dict[str, str] | None) -> Any:
    """Fix the types of the requested JSONL columns, as for CSV: the streaming
    reader infers them from the first block only."""
    import pyarrow as pa
    import pyarrow.json as pj

    if not column_types:
        return None
    schema = pa.schema(
        [(k, pa.float64() if v == "float64" else pa.string()) for k, v in column_types.items()]
    )
    return pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="infer")


def error(res: Source, exc: BaseException) -> InputError:
    """Arrow's JSON errors count rows within a block; on this (rare) path the file
    is scanned again with :mod:`json` to name the line (or row) of the file."""
    text = short(exc)
    if res.compression and ("compress" in text.lower() or "gzip" in text.lower()):
        return res.corrupt()
    m = re.search(r"Column\((/[^)]*)\) changed from (\w+) to (\w+)", text)
    if m is None:
        m = re.search(r"Column\((/[^)]*)\)", text)
    if m:
        col = m.group(1).lstrip("/")
        found = find_row(res, col)
        if found is not None:
            row, value = found
            return InputError(
                f"{res.name}: column {col!r}, row {row}: expected a number, got {value!r}"
            )
        return InputError(f"{res.name}: column {col!r} holds text where numbers are expected")
    found_bad = find_row(res, None)
    if found_bad is not None:
        return InputError(f"{res.name}: line {found_bad[0]} {found_bad[1]}{_array_hint(res)}")
    if "empty" in text.lower() and "json" in text.lower():
        return InputError(f"{res.name} is empty (no JSON objects)")
    return InputError(f"{res.name} is not valid JSON Lines ({text})")


def _array_hint(res: Source) -> str:
    """A JSON array document (``[{...}, ...]``, pandas' default ``to_json``) is the
    usual way a file fails here: say how to make JSON Lines of it."""
    with contextlib.suppress(Exception):
        stream = res.open_binary()
        try:
            if stream.read(4096).lstrip().startswith(b"["):
                return (
                    "; it is a JSON array, and losscli reads JSON Lines (one object per "
                    "line): convert it with jq -c '.[]'"
                )
        finally:
            stream.close()
    return ""


def find_row(res: Source, column: str | None) -> tuple[int, str] | None:
    """First data row whose ``column`` holds text, as (1-based row, the text);
    ``column=None``: the first line that is not one JSON object, as (1-based
    line of the file, what is wrong with it)."""
    import json

    with contextlib.suppress(Exception):
        stream = res.open_binary()
        try:
            row = 0
            lines = io.TextIOWrapper(stream, encoding="utf-8", errors="replace")
            for line, raw in enumerate(lines, 1):
                if not raw.strip():
                    continue
                row += 1
                try:
                    obj = json.loads(raw.strip())
                except json.JSONDecodeError as exc:
                    if column is None:
                        return line, f"is not valid JSON ({exc.msg} at column {exc.colno})"
                    continue
                if column is None:
                    if not isinstance(obj, dict):
                        return line, "is not a JSON object"
                    continue
                if isinstance(obj, dict) and isinstance(obj.get(column), str):
                    return row, str(obj[column])[:40]
        finally:
            stream.close()
    return None
