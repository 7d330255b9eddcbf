"""Datasets (losscli.io.dataset, dataset_read, filter): directories, globs, Hive
partitions, CSV/JSONL/Parquet directories, --filter; every result checked against the
single-file run on the same rows (the oracle: the files concatenated by pandas in the
documented order), every bad dataset an exit 2 naming the file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from losscli.errors import UsageError
from losscli.io import dataset, filter

from conftest import Cli

_cli = Cli("evaluate")
run, run_json, run_error = _cli.run, _cli.run_json, _cli.error_line

MODELS = ("lin", "tree")
DAYS = ("2026-11-29", "2026-11-30", "2026-12-01")


def _frame(seed: int, n: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.normal(size=n)
    return pd.DataFrame({"y_true": y, "y_pred": y + rng.normal(scale=0.5, size=n)})


def _write(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".parquet":
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    elif path.suffix == ".jsonl":
        frame.to_json(path, orient="records", lines=True)
    else:
        frame.to_csv(path, index=False)


def hive(tmp_path: Path, suffix: str = ".parquet") -> tuple[Path, pd.DataFrame]:
    """A Hive dataset model=*/day=*/part-0<suffix> and, as the oracle, the same rows
    concatenated in the sorted order of the paths with the keys as columns."""
    root = tmp_path / "hive"
    frames = []
    seed = 0
    for model in MODELS:
        for day in DAYS:
            seed += 1
            frame = _frame(seed, 50 + 7 * seed)
            _write(frame, root / f"model={model}" / f"day={day}" / f"part-0{suffix}")
            frames.append(frame.assign(model=model, day=day))
    return root, pd.concat(frames, ignore_index=True)


def _single(tmp_path: Path, frame: pd.DataFrame, name: str = "single.csv") -> Path:
    path = tmp_path / name
    _write(frame, path)
    return path


def _same(a: dict[str, Any], b: dict[str, Any]) -> None:
    """Two evaluate documents equal except the file name (values to 1e-12)."""
    a, b = dict(a), dict(b)
    a.pop("file"), b.pop("file")
    ra, rb = a.pop("results"), b.pop("results")
    assert a == b
    assert [(r["model"], r["group"], r["loss"], r["rows"]) for r in ra] == [
        (r["model"], r["group"], r["loss"], r["rows"]) for r in rb
    ]
    for x, y in zip(ra, rb, strict=True):
        assert x["value"] == pytest.approx(y["value"], rel=1e-12, abs=1e-15)


# --------------------------------------------------------------------------- results


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".jsonl"])
def test_a_hive_dataset_equals_the_single_file_of_its_rows(tmp_path: Path, suffix: str) -> None:
    root, frame = hive(tmp_path, suffix)
    single = _single(tmp_path, frame[["y_true", "y_pred"]], f"single{suffix}")
    _same(run_json(str(root)), run_json(str(single)))


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
@pytest.mark.parametrize("key", ["model", "day"])
def test_partition_keys_are_columns_for_by(tmp_path: Path, suffix: str, key: str) -> None:
    root, frame = hive(tmp_path, suffix)
    single = _single(tmp_path, frame, f"single{suffix}")
    doc = run_json(str(root), "--by", key, "-l", "mse", "-l", "mae")
    _same(doc, run_json(str(single), "--by", key, "-l", "mse", "-l", "mae"))
    # and against the formula: mse of a group is the mean of its squared errors
    for r in doc["results"]:
        if r["group"] is not None and r["loss"] == "mse":
            g = frame[frame[key] == r["group"]]
            assert r["value"] == pytest.approx(((g.y_true - g.y_pred) ** 2).mean(), rel=1e-12)


def test_an_integer_partition_key_is_a_number(tmp_path: Path) -> None:
    frames = []
    for shard in (3, 12):
        frame = _frame(shard, 40).assign(w=float(shard))
        _write(frame.drop(columns="w"), tmp_path / "d" / f"w={shard}" / "p.parquet")
        frames.append(frame)
    single = _single(tmp_path, pd.concat(frames, ignore_index=True))
    _same(
        run_json(str(tmp_path / "d"), "--weight", "w", "-l", "mse"),
        run_json(str(single), "--weight", "w", "-l", "mse"),
    )


def test_a_quoted_glob_is_a_dataset(tmp_path: Path) -> None:
    frames = [_frame(i, 30 + i) for i in range(3)]
    for i, frame in enumerate(frames):
        _write(frame, tmp_path / "preds" / f"2026-11-{i + 10}.parquet")
    _write(_frame(9, 5), tmp_path / "preds" / "2025-01-01.parquet")  # not matched
    single = _single(tmp_path, pd.concat(frames, ignore_index=True))
    _same(run_json(str(tmp_path / "preds" / "2026-*.parquet")), run_json(str(single)))


def test_files_are_read_in_sorted_order_and_hidden_ones_skipped(tmp_path: Path) -> None:
    root = tmp_path / "d"
    for name in ("b/x.csv", "a.csv", "c.csv", "b/a.csv"):
        _write(_frame(len(name), 10), root / name)
    (root / "_SUCCESS").write_text("")
    (root / ".part-0.csv.crc").write_text("junk")
    (root / "_tmp").mkdir()
    (root / "_tmp" / "junk.csv").write_text("not,the,same\n1,2,3\n")
    parts = dataset.list_parts(str(root))
    assert [Path(p.location).relative_to(root).as_posix() for p in parts] == [
        "a.csv",
        "b/a.csv",
        "b/x.csv",
        "c.csv",
    ]
    assert all(p.rows is None and p.fmt == "csv" for p in parts)


def test_list_parts_counts_parquet_rows_and_types_partitions(tmp_path: Path) -> None:
    root, frame = hive(tmp_path)
    parts = dataset.list_parts(str(root))
    assert [p.rows for p in parts] == [
        len(frame[(frame.model == m) & (frame.day == d)]) for m in MODELS for d in DAYS
    ]
    assert parts[0].partition == (("model", "lin"), ("day", DAYS[0]))
    kept = dataset.list_parts(str(root), filter_text='model == "tree" and day >= "2026-11-30"')
    assert [dict(p.partition) for p in kept] == [{"model": "tree", "day": d} for d in DAYS[1:]]


def test_a_single_file_is_a_list_of_one_part(tmp_path: Path) -> None:
    path = _single(tmp_path, _frame(1, 12), "one.parquet")
    (part,) = dataset.list_parts(str(path))
    assert (part.fmt, part.rows, part.partition) == ("parquet", 12, ())


# --------------------------------------------------------------------------- rows named


def test_a_bad_value_names_the_file_and_its_row(tmp_path: Path) -> None:
    root = tmp_path / "d"
    _write(_frame(1, 20), root / "a.csv")
    lines = _frame(2, 20).to_csv(index=False).splitlines()
    lines[7] = "1.0,oops"  # data row 7 of b.csv
    (root / "b.csv").write_text("\n".join(lines) + "\n")
    line = run_error(str(root))
    assert "b.csv: column 'y_pred', row 7: expected a number, got 'oops'" in line


def test_an_engine_error_names_the_dataset_row_its_file_and_row(tmp_path: Path) -> None:
    root = tmp_path / "d"
    _write(_frame(1, 20), root / "a.parquet")
    frame = _frame(2, 20)
    frame.loc[4, "y_true"] = np.nan  # row 5 of b, row 25 of the dataset
    _write(frame, root / "b.parquet")
    line = run_error(str(root))
    assert "row 25" in line
    assert line.endswith(f"(dataset row 25: {root / 'b.parquet'}, row 5)")


# --------------------------------------------------------------------------- bad datasets


def test_an_empty_directory_and_a_glob_matching_nothing(tmp_path: Path) -> None:
    assert "is a directory with no data files" in run_error(str(tmp_path))
    assert f"no file matches {tmp_path}/*.parquet" in run_error(str(tmp_path / "*.parquet"))


def test_mixed_formats_name_the_first_file_that_differs(tmp_path: Path) -> None:
    _write(_frame(1, 10), tmp_path / "a.parquet")
    _write(_frame(1, 10), tmp_path / "b.csv")
    _write(_frame(1, 10), tmp_path / "c.jsonl")
    line = run_error(str(tmp_path))
    assert f"{tmp_path / 'b.csv'} is csv, but {tmp_path / 'a.parquet'} is parquet" in line


def test_a_file_of_unknown_format(tmp_path: Path) -> None:
    _write(_frame(1, 10), tmp_path / "a.csv")
    (tmp_path / "notes.txt").write_text("hello")
    assert "cannot tell the format of" in run_error(str(tmp_path))
    # with --format every file is read so (and notes.txt is then a bad CSV)
    assert "notes.txt" in run_error(str(tmp_path), "--format", "csv")


@pytest.mark.parametrize(
    ("second", "detail"),
    [
        (pd.DataFrame({"y_true": [1.0], "y_hat": [1.0]}), "no column 'y_pred'"),
        (pd.DataFrame({"y_true": [1.0], "y_pred": [1.0], "z": [1]}), "an extra column 'z'"),
        (pd.DataFrame({"y_true": [1.0], "y_pred": [1]}), "column 'y_pred' is int64, not double"),
    ],
)
def test_parquet_schemas_that_disagree(tmp_path: Path, second: pd.DataFrame, detail: str) -> None:
    _write(_frame(1, 10), tmp_path / "a.parquet")
    _write(second, tmp_path / "b.parquet")
    line = run_error(str(tmp_path))
    assert f"{tmp_path / 'b.parquet'}: its columns differ from those of" in line
    assert detail in line


def test_csv_headers_that_disagree(tmp_path: Path) -> None:
    _write(_frame(1, 10), tmp_path / "a.csv")
    _write(_frame(1, 10).rename(columns={"y_pred": "p"}), tmp_path / "b.csv")
    assert "b.csv: its columns differ" in run_error(str(tmp_path))


def test_one_corrupt_parquet_file(tmp_path: Path) -> None:
    _write(_frame(1, 10), tmp_path / "a.parquet")
    _write(_frame(2, 10), tmp_path / "b.parquet")
    (tmp_path / "b.parquet").write_bytes((tmp_path / "b.parquet").read_bytes()[:-30])
    assert f"{tmp_path / 'b.parquet'} is not a valid Parquet file" in run_error(str(tmp_path))


def test_partition_keys_that_differ_between_files(tmp_path: Path) -> None:
    _write(_frame(1, 10), tmp_path / "model=a" / "p.parquet")
    _write(_frame(1, 10), tmp_path / "day=1" / "p.parquet")
    assert "has the partition keys (model)" in run_error(str(tmp_path))


def test_a_partition_key_that_is_also_a_column(tmp_path: Path) -> None:
    """The files' own column is read (polars writes the key in both places and
    reads its files' column back); the directory's value only prunes files."""
    _write(_frame(1, 10).assign(model="x"), tmp_path / "model=a" / "p.parquet")
    doc = run_json(str(tmp_path), "--by", "model", "-l", "mse")
    assert {r["group"] for r in doc["results"]} == {None, "x"}


def test_nothing_is_written_when_a_later_file_fails(tmp_path: Path) -> None:
    _write(_frame(1, 10), tmp_path / "d" / "a.parquet")
    (tmp_path / "d" / "b.parquet").write_bytes(b"PAR1 not really")
    out = tmp_path / "out.json"
    result = run(str(tmp_path / "d"), "-o", "json", "--output-file", str(out))
    assert result.exit_code == 2 and not out.exists()


# --------------------------------------------------------------------------- --filter


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".jsonl"])
@pytest.mark.parametrize(
    ("expr", "keep"),
    [
        ('day >= "2026-11-30"', lambda f: f.day >= "2026-11-30"),
        ('model == "tree" and y_true > 0', lambda f: (f.model == "tree") & (f.y_true > 0)),
        ('not (model != "lin") or y_pred <= -1', lambda f: (f.model == "lin") | (f.y_pred <= -1)),
        ("y_true > 0.5", lambda f: f.y_true > 0.5),
    ],
)
def test_filter_keeps_the_rows_pandas_keeps(
    tmp_path: Path, suffix: str, expr: str, keep: Any
) -> None:
    root, frame = hive(tmp_path, suffix)
    single = _single(tmp_path, frame[keep(frame)], f"single{suffix}")
    _same(
        _rows_out(run_json(str(root), "--filter", expr, "--by", "model")),
        _rows_out(run_json(str(single), "--by", "model")),
    )


def _rows_out(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` without the rows its skip reasons name: a filtered run names its
    files' rows (tests/cli/test_filter_rows.py), a file of the kept rows its own."""
    import re

    skipped = [
        s | {"reason": re.sub(r" at row \d+.*", " at row …", s["reason"])} for s in doc["skipped"]
    ]
    return doc | {"skipped": skipped}


def test_filter_on_one_file(tmp_path: Path) -> None:
    frame = _frame(3, 200)
    path = _single(tmp_path, frame, "one.parquet")
    kept = _single(tmp_path, frame[frame.y_true < 0], "kept.csv")
    _same(_rows_out(run_json(str(path), "--filter", "y_true < 0")), _rows_out(run_json(str(kept))))


def test_partition_pruning_never_opens_the_files_it_rules_out(tmp_path: Path) -> None:
    root, frame = hive(tmp_path)
    for path in (root / "model=lin").rglob("*.parquet"):
        path.write_bytes(b"corrupt, and never read")
    single = _single(tmp_path, frame[frame.model == "tree"][["y_true", "y_pred"]])
    _same(run_json(str(root), "--filter", 'model == "tree"'), run_json(str(single)))


def test_a_filter_that_keeps_nothing(tmp_path: Path) -> None:
    root, _ = hive(tmp_path)
    assert "no data rows match --filter" in run_error(str(root), "--filter", "y_true > 1e9")
    assert "no data rows match --filter" in run_error(str(root), "--filter", 'day == "1999"')


@pytest.mark.parametrize(
    "text",
    ["", "day", "day >", "day >> 1", "(a == 1", "a == 1 b", "__import__('os') == 1", "a == b"],
)
def test_filter_syntax_errors_are_one_line(text: str) -> None:
    with pytest.raises(UsageError, match="--filter"):
        filter.parse(text)


def test_filter_type_mismatch_is_a_usage_error(tmp_path: Path) -> None:
    root, _ = hive(tmp_path)
    assert "compare" in run_error(str(root), "--filter", 'y_true > "a"')
    assert "partition key 'day' holds text" in run_error(str(root), "--filter", "day > 3")


def test_filter_parse_tree_and_partition_logic() -> None:
    flt = filter.parse("a == 1 and (`b c` != 'x' or d >= 2.5e0) and not e < -3")
    assert flt.columns() == ["a", "b c", "d", "e"]
    assert filter.on_partition(flt, {"a": 2}) is False  # decided by the key alone
    assert filter.on_partition(flt, {"a": 1}) is None  # needs data columns
    assert filter.on_partition(filter.parse("a = 1 or z > 0"), {"a": 1}) is True
    expr = filter.to_expression(filter.parse('a >= 2 and s == "q"'))
    table = pa.table({"a": [1, 2, 3], "s": ["q", "q", "r"]})
    assert table.filter(expr).to_pydict() == {"a": [2], "s": ["q"]}


def test_several_file_arguments_are_refused(tmp_path: Path) -> None:
    # one FILE: an unquoted glob the shell expanded is several arguments; quote it
    a, b = _single(tmp_path, _frame(1, 5), "a.csv"), _single(tmp_path, _frame(2, 5), "b.csv")
    result = run(str(a), str(b))
    assert result.exit_code == 2 and "unexpected extra argument" in result.stderr


def test_the_json_file_is_the_dataset_as_given(tmp_path: Path) -> None:
    root, _ = hive(tmp_path)
    assert run_json(str(root))["file"] == str(root)
    assert json.dumps(run_json(str(root), "--by", "day")["group_by"]) == '"day"'
