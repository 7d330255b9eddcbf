"""CSV/TSV files without a header line, as their writers make them: Apache Spark's
``df.write.csv(path)`` (``header`` is false by default: ``part-00000-<uuid>-c000.csv``
parts of data only, a Hive folder per ``partitionBy`` key), ``np.savetxt`` (one file,
``%.18e`` cells). The oracle is scikit-learn on the frame the writer was given.

Without ``--columns`` a first line of numbers only is exit 2 naming the file and the
option (before: the numbers became column names and the first row was lost); with
it every file of the input is read with those names: one file, stdin, a dataset of
parts (their Hive keys still added), an S3 prefix (moto on 127.0.0.1), ``--engine
dask`` (a two-process LocalCluster) and ``--save-state`` shards, which merge with a
shard that had the same names in its header (the state keeps the layout, not the
option: see ``evaluate_file``'s docstring). ``recommend --from`` takes the option
too; ``history`` words the error for logs (which always have a header).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import mean_absolute_error, mean_squared_error

from conftest import Cli, local_spark
from conftest import assert_close as close

evaluate, merge, recommend, history = (
    Cli("evaluate"),
    Cli("merge"),
    Cli("recommend"),
    Cli("history"),
)
pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support:FutureWarning")
N = 900
COLUMNS = "y_true,y_pred,w"


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    y = rng.normal(size=N)
    return pd.DataFrame(
        {
            "y_true": y,
            "y_pred": y + rng.normal(scale=0.5, size=N),
            "w": rng.uniform(0.5, 2.0, N),
            "region": rng.choice(["north", "south", "east"], N),
        }
    )


FRAME = _frame()


def _oracle(rows: pd.DataFrame, weighted: bool = False) -> dict[str, float]:
    w = rows["w"] if weighted else None
    return {
        "mse": mean_squared_error(rows["y_true"], rows["y_pred"], sample_weight=w),
        "mae": mean_absolute_error(rows["y_true"], rows["y_pred"], sample_weight=w),
    }


def _values(doc: dict[str, Any], group: str | None = None) -> dict[str, float]:
    return {r["loss"]: r["value"] for r in doc["results"] if r["group"] == group}


LOSSES = ("--loss", "mse", "--loss", "mae")


def _check(doc: dict[str, Any], rows: pd.DataFrame, weighted: bool = False) -> None:
    got, want = _values(doc), _oracle(rows, weighted)
    assert doc["rows"] == len(rows)
    for loss, value in want.items():
        assert got[loss] == pytest.approx(value, rel=1e-12)


# --------------------------------------------------------------------------- Spark's parts


@pytest.fixture(scope="module")
def spark_parts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """``df.write.csv`` with Spark's defaults (no header), and ``partitionBy``."""
    out = tmp_path_factory.mktemp("spark")
    with local_spark("losscli-headerless") as session:
        df = session.createDataFrame(FRAME).repartition(3)
        df.write.csv(str(out / "csv"))
        df.select("y_true", "y_pred", "w").write.csv(str(out / "numbers"))
        df.write.partitionBy("region").csv(str(out / "hive_csv"))
        df.write.option("sep", "\t").csv(str(out / "tsv"))
    # (Spark names TSV parts .csv too: the test renames them, as a user would, to .tsv)
    for part in (out / "tsv").glob("part-*.csv"):
        part.rename(part.with_suffix(".tsv"))
    yield out


def test_a_spark_part_without_columns_is_refused_naming_the_option(spark_parts: Path) -> None:
    """Numbers only: the reader refuses the part's first line, naming the part. With
    a text column beside them: the names found are numbers and text, detection finds
    no truth, and its line says the first line may be data and which option to give."""
    line = evaluate.error_line(str(spark_parts / "numbers"))
    assert "part-00000-" in line and "c000.csv" in line
    assert "line 1 holds only numbers" in line and "3 column names with --columns" in line
    line = evaluate.error_line(str(spark_parts / "csv"))
    assert "cannot tell which column is the truth" in line
    assert "if it is data, not a header, give the column names with --columns" in line


def test_spark_parts_with_columns(spark_parts: Path) -> None:
    doc = evaluate.run_json(str(spark_parts / "csv"), "--columns", f"{COLUMNS},region", *LOSSES)
    _check(doc, FRAME)
    weighted = evaluate.run_json(
        str(spark_parts / "csv"), "--columns", f"{COLUMNS},region", "--weight", "w", *LOSSES
    )
    _check(weighted, FRAME, weighted=True)


def test_spark_tsv_parts(spark_parts: Path) -> None:
    doc = evaluate.run_json(str(spark_parts / "tsv"), "--columns", f"{COLUMNS},region", *LOSSES)
    _check(doc, FRAME)


def test_spark_hive_parts_names_of_the_files_and_keys_as_columns(spark_parts: Path) -> None:
    """``partitionBy("region")``: the files hold three columns, the folders the key."""
    doc = evaluate.run_json(
        str(spark_parts / "hive_csv"), "--columns", COLUMNS, "--by", "region", *LOSSES
    )
    _check(doc, FRAME)
    for region, rows in FRAME.groupby("region"):
        for loss, value in _oracle(rows).items():
            assert _values(doc, str(region))[loss] == pytest.approx(value, rel=1e-12)


def test_spark_parts_on_s3(spark_parts: Path) -> None:
    pytest.importorskip("moto.server")
    pytest.importorskip("s3fs")
    from test_remote_sources import moto_bucket

    tree = {
        f"csv/{p.name}": p.read_bytes()
        for p in sorted((spark_parts / "csv").iterdir())
        if p.is_file()
    }
    with moto_bucket("headerless", tree, set_endpoint=True):
        doc = evaluate.run_json("s3://headerless/csv/", "--columns", f"{COLUMNS},region", *LOSSES)
    _check(doc, FRAME)


def test_spark_parts_on_dask(spark_parts: Path) -> None:
    distributed = pytest.importorskip("distributed")
    args = (str(spark_parts / "hive_csv"), "--columns", COLUMNS, "--by", "region", *LOSSES)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as cluster:
        doc = evaluate.run_json(*args, "--engine", "dask", "--scheduler", cluster.scheduler_address)
    local = evaluate.run_json(*args)
    assert doc["rows"] == local["rows"]
    close(doc["results"], local["results"])
    _check(doc, FRAME)


# --------------------------------------------------------------------------- np.savetxt, stdin


def _savetxt(path: Path, delimiter: str = ",") -> Path:
    np.savetxt(path, FRAME[["y_true", "y_pred", "w"]].to_numpy(), delimiter=delimiter)
    return path


def test_savetxt_file_and_stdin(tmp_path: Path) -> None:
    """``%.18e`` cells hold the float64 exactly: sklearn's values to 1e-12."""
    path = _savetxt(tmp_path / "preds.csv")
    assert "--columns" in evaluate.error_line(str(path))
    doc = evaluate.run_json(str(path), "--columns", COLUMNS, *LOSSES)
    _check(doc, FRAME)
    piped = evaluate.run_json("-", "--columns", COLUMNS, *LOSSES, input=path.read_bytes())
    assert piped["results"] == doc["results"]
    tsv = _savetxt(tmp_path / "preds.tsv", "\t")
    assert evaluate.run_json(str(tsv), "--columns", COLUMNS, *LOSSES)["results"] == doc["results"]


def test_names_that_pick_other_columns(tmp_path: Path) -> None:
    """The names are the user's word: the second column named the truth is read so."""
    path = _savetxt(tmp_path / "preds.csv")
    doc = evaluate.run_json(str(path), "--columns", "y_pred,y_true,w", *LOSSES)
    swapped = FRAME.rename(columns={"y_true": "y_pred", "y_pred": "y_true"})
    _check(doc, swapped)


def test_wrong_counts_name_the_file_and_row(tmp_path: Path) -> None:
    path = _savetxt(tmp_path / "preds.csv")
    line = evaluate.error_line(str(path), "--columns", "y_true,y_pred")
    assert "preds.csv" in line and "row 1 has 3 fields but --columns names 2" in line
    lines = path.read_text().splitlines()
    lines[4] += ",1.0"
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("\n".join(lines) + "\n")
    line = evaluate.error_line(str(ragged), "--columns", COLUMNS)
    assert "ragged.csv" in line and "row 5" in line


def test_a_bad_cell_is_counted_from_line_1(tmp_path: Path) -> None:
    lines = _savetxt(tmp_path / "preds.csv").read_text().splitlines()
    lines[6] = "oops," + lines[6].split(",", 1)[1]
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n")
    line = evaluate.error_line(str(bad), "--columns", COLUMNS)
    assert "column 'y_true'" in line and "row 7" in line and "'oops'" in line


def test_columns_refused_where_the_file_names_its_columns(tmp_path: Path) -> None:
    with_header = tmp_path / "h.csv"
    FRAME[["y_true", "y_pred"]].to_csv(with_header, index=False)
    line = evaluate.error_line(str(with_header), "--columns", "y_true,y_pred")
    assert "has a header line" in line and "drop --columns" in line
    parquet = tmp_path / "p.parquet"
    FRAME.to_parquet(parquet)
    assert "--columns is for a CSV or TSV" in evaluate.error_line(
        str(parquet), "--columns", COLUMNS
    )


@pytest.mark.parametrize(
    ("value", "words"), [("y,,p", "empty name"), ("y,p,y", "'y' twice"), (" , ", "empty name")]
)
def test_bad_columns_values(tmp_path: Path, value: str, words: str) -> None:
    path = _savetxt(tmp_path / "preds.csv")
    assert words in evaluate.error_line(str(path), "--columns", value)


def test_pandas_range_names_stay_a_header(tmp_path: Path) -> None:
    """``pd.DataFrame(array).to_csv(index=False)`` writes the header ``0,1``: names,
    not data (its first row is kept)."""
    path = tmp_path / "range.csv"
    pd.DataFrame(FRAME[["y_true", "y_pred"]].to_numpy()).to_csv(path, index=False)
    doc = evaluate.run_json(str(path), "--true", "0", "--pred", "1", *LOSSES)
    _check(doc, FRAME)


# --------------------------------------------------------------------------- states


def test_headerless_shards_merge_with_a_headed_one(tmp_path: Path) -> None:
    """Three shards: two without a header (``--columns``), one with it; the merge
    is the whole frame's. A shard whose names give the truth another name does not
    merge (its layout differs: the state holds the columns by name)."""
    cuts = [0, 300, 650, N]
    states = []
    for i, (a, b) in enumerate(itertools.pairwise(cuts)):
        rows = FRAME.iloc[a:b][["y_true", "y_pred", "w"]]
        path = tmp_path / f"shard{i}.csv"
        state = tmp_path / f"shard{i}.lstate"
        offset = ("--row-offset", str(a)) if i else ()
        if i == 1:
            rows.to_csv(path, index=False)
            result = evaluate.run(str(path), "--save-state", str(state), *LOSSES, *offset)
        else:
            np.savetxt(path, rows.to_numpy(), delimiter=",")
            args = ("--columns", COLUMNS, "--save-state", str(state), *LOSSES, *offset)
            result = evaluate.run(str(path), *args)
        assert result.exit_code == 0, result.stderr
        states.append(str(state))
    _check(merge.run_json(*states), FRAME)
    other = tmp_path / "other.lstate"
    args = ("--columns", "target,y_pred,w", "--save-state", str(other), *LOSSES)
    assert evaluate.run(str(tmp_path / "shard0.csv"), *args).exit_code == 0
    line = merge.error_line(states[0], str(other))
    assert "layout.target 'y_true' vs 'target'" in line


# --------------------------------------------------------------------------- other commands


def test_recommend_from_a_headerless_file(tmp_path: Path) -> None:
    path = _savetxt(tmp_path / "preds.csv")
    assert "--columns" in recommend.error_line("--from", str(path))
    doc = recommend.run_json("--from", str(path), "--columns", COLUMNS)
    assert doc["task"] == "regression"
    assert "--from" in recommend.error_line("--columns", COLUMNS)


def test_history_of_a_headerless_log_says_logs_have_headers(tmp_path: Path) -> None:
    log = tmp_path / "training.log"
    np.savetxt(log, np.column_stack([np.arange(5), np.linspace(1, 0.5, 5)]), delimiter=",")
    line = history.error_line(str(log), "--format", "csv")
    assert "line 1 holds only numbers" in line and "header line" in line
    assert "--columns" not in line


def test_compare_two_headerless_runs(tmp_path: Path) -> None:
    """``compare`` passes ``--columns`` to both evaluations, and to its ``--key`` join:
    base and new are each file's sklearn values."""
    rng = np.random.default_rng(3)
    other = FRAME.assign(y_pred=FRAME["y_true"] + rng.normal(scale=0.8, size=N))
    paths = []
    for name, rows in (("base.csv", FRAME), ("new.csv", other)):
        path = tmp_path / name
        frame = rows.assign(row=np.arange(N))[["row", "y_true", "y_pred"]]
        np.savetxt(path, frame.to_numpy(), delimiter=",")
        paths.append(str(path))
    compare = Cli("compare")
    assert "--columns" in compare.error_line(*paths)
    names = ("--columns", "row,y_true,y_pred", "--loss", "mse")
    for extra in ((), ("--key", "row", "--ci")):
        doc = compare.run_json(*paths, *names, *extra)
        change = next(c for c in doc["changes"] if c["loss"] == "mse")
        assert change["base"] == pytest.approx(_oracle(FRAME)["mse"], rel=1e-12)
        assert change["new"] == pytest.approx(_oracle(other)["mse"], rel=1e-12)
