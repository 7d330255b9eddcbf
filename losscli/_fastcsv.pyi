"""Type stub of the C extension built from losscli/_native/fastcsv.c."""

from typing import Any

def parse(
    block: bytes | bytearray | memoryview,
    ncols: int,
    columns: tuple[int, ...],
    kinds: str,
    delimiter: str,
    skip_header: bool,
) -> tuple[int, list[Any]] | str:
    """The block's rows: per requested column, float64 values (kind ``f``) or int32
    codes and their labels (kind ``t``); a str saying why when the block is declined."""

def parse_float(text: bytes) -> float | None:
    """``text`` as a float if the scanner accepts it as a plain number, else None."""

def tune_malloc() -> bool:
    """Have glibc's malloc keep blocks up to 4 MiB in its heap (the CLI's process
    only); False where the C library is not glibc."""
