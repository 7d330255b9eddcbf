"""CSV and TSV: the header, the file as column batches, the first block's schema, the
whole file as one Arrow table, and Arrow's errors reworded with column and row.

Each block of whole lines (:mod:`losscli.io.lines`) is first offered to the C scanner
(:mod:`losscli.io.scanner`) when every requested column has a fixed type; a block it
declines is parsed by Arrow's single-threaded ``read_csv``, two blocks at once on a
pool of :data:`CSV_PARSE_THREADS` threads, results taken in file order (so the first
failing block raises first, and at most three blocks are in flight: memory stays
flat). pyarrow is imported only when a block needs Arrow.

Each block infers the types of the columns it holds, so the caller fixes the types of
the columns it needs (``float64`` for predictions and weights, and for a numeric
truth): an integer column with ``1.5`` in a later block then reads fine, and text in
a numeric column is reported with its row. Arrow's streaming reader does not say the
row of an error, so on that (rare) path the file is scanned again with Python's
:mod:`csv` module to find it (:func:`error`).

A file without a header line (Spark's default ``header=false`` parts, ``np.savetxt``)
is read with the names the user gives (``--columns``: :attr:`Source.header
<losscli.io.sources.Source.header>`): every block is data, Arrow is given the names
(``column_names``) and the C scanner skips no line. Without them, a first line of
numbers only is refused as a header (:func:`column_names`): the numbers would become
column names and the first row would be lost.

Cut so: everything that knows CSV's syntax (quotes, delimiters, Arrow's CSV options
and messages) is here; the format-independent batch logic is :mod:`losscli.io.tables`.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import io
import re
import sys
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from losscli.errors import InputError
from losscli.io import scanner, spool
from losscli.io.lines import PARSE_BLOCK_BYTES, head_bytes, line_blocks
from losscli.io.scanner import ArrayBatch
from losscli.io.sources import Source, require_bytes, short

#: Arrow CSV block size when a whole file is read at once (:func:`read_table`).
DEFAULT_BLOCK_BYTES = 8 << 20
#: Bytes of CSV read and parsed at a time by the streaming path.
CSV_BLOCK_BYTES = 4 << 20
#: ... when the caller wants large chunks (``coalesce``, i.e. ``--by``): a block of
#: this size holds 0.4-0.7M rows of a typical file, a chunk on its own, so the C
#: scanner's blocks are never copied into one.
COALESCE_BLOCK_BYTES = 16 << 20
#: CSV blocks parsed at the same time by the streaming path (one thread each).
CSV_PARSE_THREADS = 2


def options(
    res: Source,
    columns: Sequence[str] | None,
    column_types: dict[str, str] | None,
    block_bytes: int,
) -> tuple[Any, Any, Any]:
    """Arrow's ``(ReadOptions, ParseOptions, ConvertOptions)`` for ``res``."""
    import pyarrow as pa
    import pyarrow.csv as pc

    read = pc.ReadOptions(
        block_size=block_bytes,
        use_threads=True,
        column_names=list(res.header) if res.header is not None else None,
    )
    parse = pc.ParseOptions(delimiter=res.delimiter)
    # "dictionary": text read straight into a dictionary array by the parser
    # threads (a --by column: its codes are what the grouping needs).
    kinds = {"float64": pa.float64(), "dictionary": pa.dictionary(pa.int32(), pa.string())}
    types = {k: kinds.get(v, pa.string()) for k, v in (column_types or {}).items()}
    convert = pc.ConvertOptions(
        include_columns=list(columns) if columns is not None else None,
        column_types=types or None,
        strings_can_be_null=True,
    )
    return read, parse, convert


# --------------------------------------------------------------------------- header


def _raise_field_limit() -> None:
    """The csv module refuses fields over 128 KiB ("field larger than field
    limit"); a valid cell may be larger: the bound is the line bound instead."""
    limit = min(spool.max_line_bytes(), sys.maxsize)
    if csv.field_size_limit() < limit:
        csv.field_size_limit(limit)


def _records(res: Source) -> Generator[list[str]]:
    """The non-blank records of the file (Python's csv module: quoting-aware);
    the stream is closed when the iterator is."""
    stream = res.open_binary()
    try:
        text = io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline="")
        _raise_field_limit()
        for record in csv.reader(text, delimiter=res.delimiter):
            if record:  # (not a blank line)
                yield record
    finally:
        with contextlib.suppress(Exception):
            stream.close()


class HeaderOnly(InputError):
    """A CSV/TSV file with a header and no data rows: an error for one file; in a
    dataset, a part of no rows (what Spark and pyarrow read it as), its header in
    :attr:`columns` to check against the other parts'."""

    def __init__(self, message: str, columns: list[str]) -> None:
        super().__init__(message)
        self.columns = columns


class NoHeaderLine(InputError):
    """A CSV/TSV file whose first line holds only numbers: data, not a header (the
    message says to name the columns with ``--columns``; a command without that
    option words it its own way)."""


def column_names(res: Source) -> list[str]:
    """The header's names as Arrow reads them (not stripped: ``include_columns``
    must match exactly; a UTF-8 byte-order mark dropped), checked: a header and at
    least one data row. A file without a header (:attr:`Source.header` given): those
    names, checked against the first line (:func:`_given_names`)."""
    require_bytes(res)
    records: list[list[str]] = []
    reader = _records(res)
    try:
        for record in reader:
            records.append(record)
            if len(records) >= 2:
                break
    except (OSError, EOFError, ValueError, csv.Error) as exc:
        if res.compression:
            raise res.corrupt() from None
        raise InputError(f"cannot read {res.name}: {exc}") from None
    finally:
        reader.close()
    if not records or all(not c.strip() for c in records[0]):
        raise InputError(f"{res.name} is empty (no header line)")
    names = list(records[0])
    names[0] = names[0].lstrip("\ufeff")
    if res.header is not None:
        return _given_names(res, names)
    if _numbers_only(names):
        shown = ", ".join(repr(c) for c in names[:3]) + (", ..." if len(names) > 3 else "")
        raise NoHeaderLine(
            f"{res.name}: line 1 holds only numbers ({shown}): a file without a header; "
            f"give its {len(names)} column names with --columns NAME,NAME,..."
        )
    if len(records) < 2:
        raise HeaderOnly(f"{res.name} has a header but no data rows", names)
    return names


def _numbers_only(cells: Sequence[str]) -> bool:
    """Whether a first line is data: every cell a number. Not ``0,1,...,k-1`` (the
    names pandas writes for a frame made from an array), and not a line with an empty
    cell (an index's unnamed header), which are headers."""
    if [c.strip() for c in cells] == [str(i) for i in range(len(cells))]:
        return False
    for cell in cells:
        try:
            float(cell)
        except ValueError:
            return False
    return True


def _given_names(res: Source, first: list[str]) -> list[str]:
    """``--columns``' names for a file without a header, checked against its first
    line: as many names as cells, and not the header itself (then the file has
    one)."""
    given = list(res.header or ())
    if [c.strip() for c in first] == [c.strip() for c in given]:
        raise InputError(f"{res.name} has a header line ({', '.join(first)}); drop --columns")
    if len(first) != len(given):
        raise InputError(
            f"{res.name}: row 1 has {len(first)} fields but --columns names {len(given)}"
        )
    return given


# --------------------------------------------------------------------------- batches


def block_bytes(chunk_rows: int, coalesce: bool = False) -> int:
    """The streaming block size: roughly 24 bytes a row of two numbers; small chunk
    sizes (tests) give small blocks."""
    most = COALESCE_BLOCK_BYTES if coalesce else CSV_BLOCK_BYTES
    return max(1 << 10, min(most, chunk_rows * 24))


def batches(
    res: Source,
    available: Sequence[str],
    columns: Sequence[str] | None,
    column_types: dict[str, str] | None,
    size: int,
) -> Iterator[Any]:
    """The file's blocks of about ``size`` bytes (:func:`block_bytes`) as Arrow
    batches or :class:`~losscli.io.scanner.ArrayBatch`es (a block the C scanner read),
    in file order; Arrow's errors as InputError."""

    def arrow_options() -> tuple[Any, Any]:
        _, parse, convert = options(res, columns, column_types, PARSE_BLOCK_BYTES)
        return parse, convert

    plan = scanner.plan_for(res.delimiter, available, columns, column_types)
    try:
        yield from _blocks(res, functools.cache(arrow_options), size, available, plan)
    except Exception as exc:
        # (pyarrow's exception classes exist only once something imported it)
        pa = sys.modules.get("pyarrow")
        if pa is not None and isinstance(exc, pa.ArrowInvalid):
            raise error(res, exc, available) from None
        if not isinstance(exc, OSError | EOFError) and not (
            pa is not None and isinstance(exc, pa.ArrowException)
        ):
            raise
        raise res.read_error(exc) from None


def _parse_block(
    block: Any,
    header: bool,
    plan: scanner.Plan | None,
    arrow_options: Callable[[], tuple[Any, Any]],
    names: list[str],
) -> list[Any]:
    """One block: the C scanner's reading, or Arrow's. Arrow's parse unit covers the
    whole block (``use_threads=False``: one thread per block), so Arrow never cuts it
    itself (its cut would not know about a newline inside quotes)."""
    if plan is not None:
        batch = scanner.scan(plan, block, header)
        if batch is not None:
            return [batch]
    import pyarrow as pa
    import pyarrow.csv as pc

    parse, convert = arrow_options()
    size = max(len(block) + 1, 1 << 20)
    read = (
        pc.ReadOptions(block_size=size, use_threads=False)
        if header
        else pc.ReadOptions(block_size=size, use_threads=False, column_names=names)
    )
    table = pc.read_csv(
        pa.py_buffer(block), read_options=read, parse_options=parse, convert_options=convert
    )
    return list(table.to_batches())


def _blocks(
    res: Source,
    arrow_options: Callable[[], tuple[Any, Any]],
    size: int,
    names: Sequence[str],
    plan: scanner.Plan | None = None,
) -> Iterator[Any]:
    """Parse a CSV/TSV ``size`` bytes at a time, each block cut after its last
    complete line, :data:`CSV_PARSE_THREADS` blocks at once, results in file order.
    ``arrow_options`` gives Arrow's ``(ParseOptions, ConvertOptions)``, made (and
    pyarrow imported) on first use."""
    columns = list(names)
    spare: list[bytearray] = []
    blocks = line_blocks(res, size, quotes=True, spare=spare)
    pool = ThreadPoolExecutor(max_workers=CSV_PARSE_THREADS, thread_name_prefix="losscli-csv")
    inflight: deque[tuple[Future[Any], Any]] = deque()

    def take() -> list[Any]:
        future, block = inflight.popleft()
        parsed: list[Any] = future.result()
        # The C scanner copied all it read, so its block's buffer can take the next
        # read (a fresh bytearray is zeroed and faulted in on the main thread).
        # Arrow's results are left alone.
        owner = block.obj if isinstance(block, memoryview) else None
        if (
            isinstance(owner, bytearray)
            and len(owner) == size
            and all(isinstance(b, ArrayBatch) for b in parsed)
        ):
            spare.append(owner)
        return parsed

    try:
        headed = res.header is None
        for i, block in enumerate(blocks):
            job = pool.submit(_parse_block, block, headed and i == 0, plan, arrow_options, columns)
            inflight.append((job, block))
            if len(inflight) > CSV_PARSE_THREADS:
                # results in file order: the first failing block raises first
                yield from take()
        while inflight:
            yield from take()
    finally:
        blocks.close()
        for future, _ in inflight:
            future.cancel()
        pool.shutdown(wait=True)  # no parser thread outlives the reader


# --------------------------------------------------------------------------- whole reads


def _read_csv(
    res: Source, data: Callable[[], Any], opts: tuple[Any, Any, Any], available: Sequence[str]
) -> Any:
    """``pyarrow.csv.read_csv`` of ``data()`` (a buffer or a stream), errors reworded."""
    import pyarrow as pa
    import pyarrow.csv as pc

    read, parse, convert = opts
    try:
        return pc.read_csv(data(), read_options=read, parse_options=parse, convert_options=convert)
    except pa.ArrowInvalid as exc:
        raise error(res, exc, available) from None
    except (pa.ArrowException, OSError, EOFError) as exc:
        raise res.read_error(exc) from None


def first_block_schema(res: Source, columns: Sequence[str] | None, available: Sequence[str]) -> Any:
    """The Arrow schema Arrow infers from the first block. (Never an ``open_csv``
    streaming reader left behind: its read-ahead threads outlive it and abort the
    interpreter at exit.)"""
    import pyarrow as pa

    opts = options(res, columns, None, PARSE_BLOCK_BYTES)
    return _read_csv(res, lambda: pa.py_buffer(head_bytes(res)), opts, available).schema


def read_table(res: Source, columns: Sequence[str] | None, available: Sequence[str]) -> Any:
    """The whole file (only ``columns``) as one Arrow table, types inferred from the
    whole file."""
    opts = options(res, columns, None, DEFAULT_BLOCK_BYTES)
    table = _read_csv(res, res.arrow_input, opts, available)
    if columns is not None:
        table = table.select(list(columns))
    if table.num_rows == 0:
        raise InputError(f"{res.name} has a header but no data rows")
    return table


def sniff(res: Source, columns: Sequence[str], available: Sequence[str]) -> dict[str, str] | None:
    """Column → ``"number"`` | ``"text"`` from the C scanner's look at the first
    block, where it can tell (:func:`losscli.io.scanner.sniff`); None otherwise."""
    plan = scanner.plan_for(res.delimiter, available, columns, dict.fromkeys(columns, "float64"))
    if plan is None:
        return None
    return scanner.sniff(plan, head_bytes(res), header=res.header is None)


# --------------------------------------------------------------------------- errors


def error(res: Source, exc: BaseException, available: Sequence[str]) -> InputError:
    """Turn Arrow's CSV error into one line with column and row."""
    text = str(exc)
    if "Empty CSV file" in text:
        return InputError(f"{res.name} is empty")
    m = re.search(r"Expected (\d+) columns, got (\d+)", text)
    if m:
        row = _find_row(res, lambda record: len(record) != len(available))
        where = f" at row {row}" if row is not None else ""
        return InputError(
            f"{res.name}: ragged CSV{where}: expected {m.group(1)} fields, got {m.group(2)}"
        )
    # (the single-threaded parser puts "Row #N: " (row within the block) before it)
    m = re.search(
        r"column #(\d+): (?:Row #\d+: )?CSV conversion error to (\w+): invalid value '(.*)'", text
    )
    if m:
        index, value = int(m.group(1)), m.group(3)
        col = available[index] if index < len(available) else f"#{index}"
        row = _find_row(
            res, lambda record: index < len(record) and record[index].strip() == value.strip()
        )
        where = f", row {row}" if row is not None else ""
        return InputError(f"{res.name}: column {col!r}{where}: expected a number, got {value!r}")
    if res.compression and ("compress" in text.lower() or "gzip" in text.lower()):
        return res.corrupt()
    return InputError(f"cannot read {res.name}: {short(exc)}")


def _find_row(res: Source, bad: Callable[[list[str]], bool]) -> int | None:
    """The 1-based data row of the first record (after the header, if any) that is
    ``bad``."""
    first = 0 if res.header is not None else 1
    with contextlib.suppress(Exception):
        records = _records(res)
        try:
            for i, record in enumerate(records):
                if i >= first and bad(record):
                    return i - first + 1
        finally:
            records.close()
    return None
