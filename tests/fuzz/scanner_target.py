"""The fuzz target of the C scanner (``losscli._fastcsv``), shared by the
coverage-guided fuzzer (``fuzz_scanner.py``, atheris: ``make fuzz``) and the short
hypothesis run in ``make test`` (``test_fuzz_short.py``).

The contract checked, for any bytes (fastcsv.c's header comment):

* ``_fastcsv.parse`` returns rows and outputs of the right sizes, or a str saying
  why it declines; it never crashes, never raises for a well-formed call, and
  never reads outside the block (the sanitizer build of ``make fuzz`` checks the
  last with libFuzzer's coverage; AddressSanitizer where its runtime is preloaded);
* what losscli makes of an accepted block (``losscli.io.scanner.scan``) is exactly,
  bit for bit, what Arrow's CSV reader gives for the same block with losscli's
  options: the same float64 bits, the same dictionary labels and codes. A
  declined block is always allowed (Arrow then parses it).

The first bytes of the input choose the call (see :func:`decode`); the rest is
the block.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pc

from losscli import _fastcsv
from losscli.io import scanner
from losscli.io.columns import arrow_float64


def decode(data: bytes) -> tuple[bytes, int, tuple[int, ...], str, str, bool]:
    """(block, ncols, columns, kinds, delimiter, skip_header) from fuzz bytes: byte
    0 = columns in the header (1-8) and the delimiter, byte 1 = which columns are
    requested, byte 2 = their kinds (bit set: text), byte 3 = header or not."""
    head = data[:4].ljust(4, b"\0")
    ncols = head[0] % 8 + 1
    delimiter = "\t" if head[0] & 0x80 else ","
    mask = head[1] % (1 << ncols) or 1
    columns = tuple(i for i in range(ncols) if mask >> i & 1)
    kinds = "".join("t" if head[2] >> (i % 8) & 1 else "f" for i in range(len(columns)))
    return data[4:], ncols, columns, kinds, delimiter, bool(head[3] & 1)


def _arrow(block: bytes, ncols: int, columns: tuple[int, ...], kinds: str, delimiter: str) -> Any:
    """Arrow's reading of a header-less block, with losscli's options."""
    names = [f"c{i}" for i in range(ncols)]
    types = {
        names[c]: pa.float64() if k == "f" else pa.dictionary(pa.int32(), pa.string())
        for c, k in zip(columns, kinds, strict=True)
    }
    return pc.read_csv(
        pa.py_buffer(block),
        read_options=pc.ReadOptions(
            column_names=names, use_threads=False, block_size=max(len(block) + 1, 1 << 20)
        ),
        parse_options=pc.ParseOptions(delimiter=delimiter),
        convert_options=pc.ConvertOptions(
            include_columns=list(types), column_types=types, strings_can_be_null=True
        ),
    )


def check_raw(block: bytes, ncols: int, columns: tuple[int, ...], kinds: str, header: bool) -> Any:
    """The C call itself: well-sized outputs or a reason."""
    out = _fastcsv.parse(block, ncols, columns, kinds, ",", header)
    if isinstance(out, str):
        assert " at byte " in out, out
        return None
    rows, parts = out
    assert 0 <= rows <= block.count(b"\n") + 1
    for kind, part in zip(kinds, parts, strict=True):
        if kind == "f":
            assert len(part) == 8 * rows
        else:
            codes, labels = part
            assert len(codes) == 4 * rows
            assert all(0 <= c < len(labels) for c in np.frombuffer(codes, np.int32))
            assert all(lab and lab in block for lab in labels)
    return out


def check(data: bytes) -> None:
    """One fuzz input: raise AssertionError when the contract is broken."""
    block, ncols, columns, kinds, delimiter, header = decode(data)
    check_raw(block, ncols, columns, kinds, header)
    if header or not block:
        return
    plan = scanner.Plan(
        names=tuple(f"c{c}" for c in columns),
        ncols=ncols,
        indexes=columns,
        kinds=kinds,
        delimiter=delimiter,
    )
    batch = scanner.scan(plan, block, False)
    if batch is None:
        return  # declined: Arrow decides
    try:
        table = _arrow(block, ncols, columns, kinds, delimiter)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise AssertionError(f"the scanner accepted what Arrow refuses: {exc}") from None
    assert batch.num_rows == table.num_rows, (batch.num_rows, table.num_rows)
    for i, kind in enumerate(kinds):
        mine, theirs = batch.column(i), table.column(i).combine_chunks()
        assert theirs.null_count == 0, "accepted a cell Arrow reads as null"
        if kind == "f":
            assert mine.tobytes() == arrow_float64(theirs).tobytes(), _diff(mine, theirs)
        else:
            assert mine.labels == theirs.dictionary.to_pylist()
            assert mine.codes.tolist() == theirs.indices.to_pylist()


def _diff(mine: Any, theirs: Any) -> str:
    ours = [struct.pack("<d", x).hex() for x in mine.tolist()[:5]]
    return f"scanner {mine.tolist()[:5]} ({ours}) vs Arrow {theirs.to_pylist()[:5]}"
