"""The C block scanner (losscli._fastcsv, issue 6): every value it accepts is the
value Arrow's CSV reader gives, bit for bit, and everything else is declined and
left to Arrow. Oracles: Python's ``float`` (correctly rounded), pyarrow's
``read_csv`` on the same block, and the whole evaluation with the scanner switched
off (``LOSSCLI_FAST_CSV=0``)."""

from __future__ import annotations

import math
import random
import struct
import sys
from decimal import Decimal, getcontext
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from losscli import _fastcsv
from losscli.errors import InputError
from losscli.evaluate import evaluate_file
from losscli.io import scanner, sources
from losscli.io.columns import arrow_float64

NATIVE = Path(_fastcsv.__file__).parent / "_native"


def bits(x: float) -> bytes:
    return struct.pack("<d", x)


def test_the_extension_is_built_and_used() -> None:
    # (make venv compiles it; without a C compiler losscli falls back to Arrow,
    # but this suite must then fail rather than test Arrow twice)
    assert _fastcsv.parse_float(b"1.5") == 1.5
    assert scanner.plan_for(
        sources.resolve(str(NATIVE / "fastcsv.c"), "csv").delimiter,
        ["a", "b"],
        ["b"],
        {"b": "float64"},
    ) == scanner.Plan(names=("b",), ncols=2, indexes=(1,), kinds="f", delimiter=",")


def test_the_power_table_matches_the_published_one() -> None:
    # Go's strconv.detailedPowersOfTen (= fast_float's table), rows 1e-348, 1e-347, 1e43
    sys.path.insert(0, str(NATIVE))
    try:
        import gen_pow10
    finally:
        sys.path.remove(str(NATIVE))
    assert gen_pow10.mantissa128(-348) == 0xFA8FD5A0081C0288_1732C869CD60E453
    assert gen_pow10.mantissa128(-347) == 0x9C99E58405118195_0E7FBD42205C8EB4
    assert gen_pow10.mantissa128(43) >> 64 == 0xE596B7B0C643C719
    assert (NATIVE / "pow10.h").read_text() == gen_pow10.render()  # committed = generated


# ----------------------------------------------------------------------- numbers


def check_number(text: str) -> float | None:
    """The scanner's value for ``text``: None if declined, else exactly float(text)."""
    value = _fastcsv.parse_float(text.encode())
    if value is not None:
        assert bits(value) == bits(float(text)), text
    return value


@settings(max_examples=3000)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_every_normal_float_in_every_usual_spelling_reads_exactly(x: float) -> None:
    spellings = [repr(x), f"{x:.17g}", f"{x:.15g}", f"{x:.6e}", f"{x:.20g}", f"{x:.3f}"]
    for text in spellings:
        value = check_number(text)
        f = float(text)
        if f == 0 or (math.isfinite(f) and abs(f) >= sys.float_info.min):
            assert value is not None, text  # zero and normal numbers are never declined


@settings(max_examples=3000)
@given(st.from_regex(r"\A-?[0-9]{1,25}(\.[0-9]{1,25})?([eE][+-]?[0-9]{1,3})?\Z", fullmatch=True))
def test_any_decimal_string_reads_exactly_or_is_declined(text: str) -> None:
    value = check_number(text)
    f = float(text)
    if value is None:  # only out of the normal range
        assert f == 0 or math.isinf(f) or abs(f) < sys.float_info.min


def test_halfway_cases_round_to_even() -> None:
    # the exact midpoints between neighbouring doubles: where a fast parser goes wrong
    getcontext().prec = 1000
    rng = random.Random(6)
    for _ in range(3000):
        x = abs(struct.unpack("<d", struct.pack("<Q", rng.getrandbits(63)))[0])
        y = math.nextafter(x, math.inf)
        if not (sys.float_info.min <= x and math.isfinite(y)):
            continue
        mid = (Decimal(x) + Decimal(y)) / 2
        for text in (format(mid, "e"), format(mid.next_plus(), "e"), format(mid.next_minus(), "e")):
            check_number(text)


@pytest.mark.parametrize(
    "text",
    [
        "0",
        "-0",
        "0.0",
        "-0.0",
        "00012.5000",
        "9007199254740993",
        "9007199254740992",
        "1e22",
        "1e23",
        "123456789012345678",
        "1234567890123456789",
        "12345678901234567890",
        "0.000000000000000000000000000001234567890123456789012345",
        "2.2250738585072014e-308",
        "1.7976931348623157e308",
        "0.1",
        "4.16965223045253",
        "6.834407555844067",
        "1E5",
        "1e+05",
        "7e-1",
    ],
)
def test_edge_numbers_read_exactly(text: str) -> None:
    assert check_number(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "",
        " 1",
        "1 ",
        "+1",
        ".5",
        "1.",
        "-",
        "1e",
        "1e+",
        "nan",
        "NaN",
        "inf",
        "-inf",
        "Infinity",
        "1,5",
        "0x10",
        "1_000",
        "١",
        "1e400",
        "-1e400",
        "1e-400",
        "4.9e-324",
        "--1",
        "1.2.3",
        '"1"',
    ],
)
def test_anything_else_is_declined(text: str) -> None:
    assert _fastcsv.parse_float(text.encode()) is None


# ----------------------------------------------------------------------- blocks


def arrow_block(data: bytes, names: list[str], types: dict[str, str], delimiter: str) -> Any:
    """What the Arrow path makes of a block: the oracle."""
    kinds = {"float64": pa.float64(), "dictionary": pa.dictionary(pa.int32(), pa.string())}
    convert = pc.ConvertOptions(
        include_columns=list(types),
        column_types={c: kinds.get(t, pa.string()) for c, t in types.items()},
        strings_can_be_null=True,
    )
    return pc.read_csv(
        pa.py_buffer(data),
        read_options=pc.ReadOptions(use_threads=False),
        parse_options=pc.ParseOptions(delimiter=delimiter),
        convert_options=convert,
    )


def fast_block(data: bytes, names: list[str], types: dict[str, str], delimiter: str) -> Any:
    kinds = {"float64": "f", "dictionary": "t", "string": "t"}
    plan = scanner.Plan(
        names=tuple(types),
        ncols=len(names),
        indexes=tuple(names.index(c) for c in types),
        kinds="".join(kinds[t] for t in types.values()),
        delimiter=delimiter,
    )
    return scanner.scan(plan, data, True)


def assert_same(batch: Any, table: Any, types: dict[str, str]) -> None:
    assert batch.num_rows == table.num_rows
    for i, (col, kind) in enumerate(types.items()):
        mine, theirs = batch.column(i), table.column(col).combine_chunks()
        if kind == "float64":
            assert theirs.null_count == 0
            assert mine.tobytes() == arrow_float64(theirs).tobytes(), col
        elif kind == "dictionary":
            assert mine.labels == theirs.dictionary.to_pylist(), col
            assert mine.codes.tolist() == theirs.indices.to_pylist(), col
        else:
            assert mine.to_objects().tolist() == theirs.to_pylist(), col


NUMBER = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300).map(repr),
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(lambda x: f"{x:.9g}"),
    st.sampled_from(["0", "-0", "1e5", "2E-3", "007", "0.000001"]),
)
LABEL = st.one_of(
    st.sampled_from(["cat", "dog", "g01", "Zürich", "a b", "x;y", "=cmd()", "é"]),
    st.text(alphabet="abcXYZ019_-. ", min_size=1, max_size=6),
)


@st.composite
def csv_blocks(draw: Any) -> tuple[bytes, list[str], dict[str, str], str]:
    delimiter = draw(st.sampled_from([",", "\t"]))
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    quote_labels = draw(st.booleans())
    names = ["y", "p", "g", "extra"]
    order = draw(st.permutations(names))
    rows = draw(st.lists(st.tuples(NUMBER, NUMBER, LABEL, LABEL), min_size=1, max_size=40))
    header = delimiter.join(f'"{n}"' if draw(st.booleans()) else n for n in order)
    lines = [header]
    for y, p, g, extra in rows:
        cells = {"y": y, "p": p, "g": g, "extra": extra}
        if quote_labels:
            cells["g"] = f'"{g}"'
        lines.append(delimiter.join(cells[n] for n in order))
    last = eol if draw(st.booleans()) else ""
    data = (eol.join(lines) + last).encode()
    types = draw(
        st.sampled_from(
            [
                {"y": "float64", "p": "float64"},
                {"p": "float64", "y": "float64", "g": "dictionary"},
                {"g": "string", "p": "float64"},
            ]
        )
    )
    return data, list(order), types, delimiter


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(csv_blocks())
def test_an_accepted_block_is_exactly_what_arrow_reads(
    case: tuple[bytes, list[str], dict[str, str], str],
) -> None:
    data, names, types, delimiter = case
    batch = fast_block(data, names, types, delimiter)
    try:
        table = arrow_block(data, names, types, delimiter)
    except pa.ArrowInvalid:
        assert batch is None  # what Arrow rejects, the scanner never accepts
        return
    if batch is None:
        # declined: only for a cell Arrow reads as null, or a label with a delimiter
        # or quote Arrow's own quoting rules must settle
        return
    assert_same(batch, table, types)


def test_the_scanner_accepts_the_common_case() -> None:
    # (the property above must not pass by declining everything)
    data = b'"y","p","g"\n1.5,2,"a"\n-3e2,0.25,b\r\n7,8,"a"'
    batch = fast_block(data, ["y", "p", "g"], {"y": "float64", "g": "dictionary"}, ",")
    assert batch is not None
    assert batch.column(0).tolist() == [1.5, -300.0, 7.0]
    assert batch.column(1).labels == ["a", "b"]
    assert batch.column(1).codes.tolist() == [0, 1, 0]


@pytest.mark.parametrize(
    "body",
    [
        b"1,2\n3\n",  # ragged: too few
        b"1,2\n3,4,5\n",  # too many
        b"1,2\n,4\n",  # empty cell: Arrow's null
        b"1,2\nNA,4\n",  # null spelling
        b'1,2\n"3",4\n',  # quoted number
        b"1,2\n\n3,4\n",  # blank line
        b"1,2\r3,4\n",  # bare CR
        b"1,2\n3 ,4\n",  # space
        b"1,2\n3,4,\n",  # trailing delimiter
        b"1,2\n3,abc\n",  # text
    ],
)
def test_odd_blocks_are_declined(body: bytes) -> None:
    assert fast_block(b"y,p\n" + body, ["y", "p"], {"y": "float64", "p": "float64"}, ",") is None


@pytest.mark.parametrize(
    "body",
    [
        b'1,"a""b"\n',  # escaped quote
        b'1,"a\nb"\n',  # line break inside quotes
        b'1,a"b\n',  # quote inside a field
        b'1,"ab"c\n',  # text after the closing quote
        b"1,\n",  # empty text: Arrow's null
        b"1,null\n",
        b"1,NaN\n",
        b"1,\xff\xfe\n",  # not UTF-8
    ],
)
def test_odd_text_is_declined(body: bytes) -> None:
    assert fast_block(b"y,g\n" + body, ["y", "g"], {"y": "float64", "g": "dictionary"}, ",") is None


# ------------------------------------------------------- whole files, both engines


def evaluate_both(monkeypatch: pytest.MonkeyPatch, path: Path, **kwargs: Any) -> dict[str, Any]:
    """The report with the scanner and with Arrow alone: they must be identical."""
    fast = evaluate_file(str(path), **kwargs).to_dict()
    monkeypatch.setenv("LOSSCLI_FAST_CSV", "0")
    try:
        slow = evaluate_file(str(path), **kwargs).to_dict()
    finally:
        monkeypatch.delenv("LOSSCLI_FAST_CSV")
    assert fast == slow
    return fast


def write_rows(path: Path, rows: list[str], header: str) -> Path:
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


@pytest.mark.parametrize("chunk_rows", [7, 1000, 1 << 20])
def test_files_evaluate_the_same_with_and_without_the_scanner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk_rows: int
) -> None:
    rng = np.random.default_rng(3)
    n = 3000
    y = rng.gamma(2.0, 3.0, n)
    p = y + rng.normal(0, 1, n).clip(-y + 0.01)
    w = rng.uniform(0.5, 2, n)
    g = rng.choice(["north", "south", "east", "=west"], n)
    rows = [f"{a!r},{b:.6f},{c:.3g},{d}" for a, b, c, d in zip(y.tolist(), p, w, g, strict=True)]
    path = write_rows(tmp_path / "reg.csv", rows, "y_true,y_pred,w,region")
    report = evaluate_both(monkeypatch, path, chunk_rows=chunk_rows)
    assert report["rows"] == n
    evaluate_both(monkeypatch, path, chunk_rows=chunk_rows, weight="w", by="region")


def test_a_bad_cell_deep_in_the_file_gets_arrows_message_and_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [f"{i}.5,{i}.25" for i in range(5000)]
    rows[4321] = "4321.5,oops"
    path = write_rows(tmp_path / "bad.csv", rows, "y_true,y_pred")
    messages = []
    for engine in ("1", "0"):
        monkeypatch.setenv("LOSSCLI_FAST_CSV", engine)
        with pytest.raises(InputError) as info:
            evaluate_file(str(path), chunk_rows=500)
        messages.append(str(info.value))
    assert messages[0] == messages[1]
    assert "row 4322" in messages[0] and "y_pred" in messages[0]


def test_a_declined_block_mid_file_is_read_by_arrow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # missing cells in one block: that block goes to Arrow, --dropna drops them
    rows = [f"{i % 17}.5,{i % 13}.25,{'ab'[i % 2]}" for i in range(4000)]
    rows[2500] = "1.5,,a"
    rows[2501] = 'NA,2,"b"'
    path = write_rows(tmp_path / "gaps.csv", rows, "y_true,y_pred,label")
    report = evaluate_both(monkeypatch, path, chunk_rows=300, dropna=True, by="label")
    assert report["rows"] == 3998


def test_multiclass_text_labels_read_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(5)
    probs = rng.dirichlet([1, 1, 1], 2000)
    labels = rng.choice(["cat", "dog", "bird"], 2000)
    rows = [
        f"{lab},{a!r},{b!r},{c!r}" for lab, (a, b, c) in zip(labels, probs.tolist(), strict=True)
    ]
    path = write_rows(tmp_path / "mc.csv", rows, "label,prob_cat,prob_dog,prob_bird")
    report = evaluate_both(monkeypatch, path, chunk_rows=256)
    assert report["task"] == "multiclass"


@settings(max_examples=1500, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.binary(max_size=300)
    | st.lists(
        st.sampled_from([b"1", b"-2.5e3", b",", b"\n", b"\r", b'"', b"ab", b"\t", b" "])
    ).map(b"".join),
    st.integers(1, 4),
    st.data(),
)
def test_any_bytes_give_rows_or_a_reason_never_a_crash(block: bytes, ncols: int, data: Any) -> None:
    # (run under AddressSanitizer too: see notes/perf.md)
    columns = data.draw(
        st.lists(st.integers(0, ncols - 1), min_size=1, max_size=ncols, unique=True)
    )
    kinds = "".join(data.draw(st.sampled_from("ft")) for _ in columns)
    out = _fastcsv.parse(block, ncols, tuple(columns), kinds, ",", data.draw(st.booleans()))
    if isinstance(out, str):
        assert " at byte " in out
        return
    rows, parts = out
    assert rows <= block.count(b"\n") + 1
    for kind, part in zip(kinds, parts, strict=True):
        if kind == "f":
            assert len(part) == 8 * rows
        else:
            codes, labels = part
            assert len(codes) == 4 * rows
            assert all(0 <= c < len(labels) for c in np.frombuffer(codes, np.int32))


def test_short_rows_grow_the_outputs() -> None:
    # rows of 4 bytes: four times the rows the first buffers are sized for
    block = b"y,p\n" + b"".join(b"%d,%d\n" % (i % 10, (i + 3) % 10) for i in range(50000))
    batch = fast_block(block, ["y", "p"], {"y": "float64", "p": "float64"}, ",")
    assert batch is not None and batch.num_rows == 50000
    assert batch.column(0)[-3:].tolist() == [7.0, 8.0, 9.0]
    assert batch.column(1)[:3].tolist() == [3.0, 4.0, 5.0]


def test_malloc_is_tuned_where_the_c_library_is_glibc() -> None:
    import platform

    assert _fastcsv.tune_malloc() is (platform.libc_ver()[0] == "glibc")
