"""Datasets as Apache Spark itself writes them (pyspark, a local[2] session started
here; tests/cli/test_real_datasets.py has the same layouts in Spark's shape).

Spark's writers lay out a folder per job: ``part-00000-<uuid>-c000.csv`` (no header
unless asked), ``….snappy.parquet``, ``….json`` (JSON Lines), ``._SUCCESS.crc``
and ``.part-….crc`` checksums beside every part, ``_SUCCESS``, Hive folders for
``partitionBy``, and a header-only part for a job whose rows were all filtered
out. Every dataset holds the rows of one frame (:func:`_frame`), shuffled by
``repartition``; the oracle is scikit-learn on that frame (``mean_squared_error``,
``mean_absolute_error``), per day by pandas' ``groupby``. The Spark recipe of
docs/merge.md is run from the document's own text on Spark's executors.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import mean_absolute_error, mean_squared_error

from conftest import Cli, local_spark

_cli = Cli("evaluate")
run_json, run_error = _cli.run_json, _cli.error_line

# pyspark 4.3 warns that it does not yet fully support pandas 3 (which is ours)
pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support:FutureWarning")
N = 2000
ROOT = Path(__file__).resolve().parents[2]


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    return pd.DataFrame(
        {
            "y_true": rng.normal(size=N),
            "y_pred": rng.normal(size=N),
            "region": rng.choice(["north", "south"], N),
            "day": rng.choice(["2026-11-30", "2026-12-01", "2026-12-02"], N),
        }
    )


FRAME = _frame()


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    with local_spark("losscli-tests") as session:
        yield session


@pytest.fixture(scope="module")
def written(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder per Spark writer call, all from FRAME cut into 4 shuffled tasks."""
    out = tmp_path_factory.mktemp("spark")
    df = spark.createDataFrame(FRAME).repartition(4)
    df.write.option("header", True).csv(str(out / "csv"))
    df.write.option("header", True).option("compression", "gzip").csv(str(out / "csv_gz"))
    df.write.json(str(out / "json"))
    df.write.parquet(str(out / "parquet"))
    df.write.partitionBy("day").parquet(str(out / "hive"))
    df.write.partitionBy("region", "day").option("header", True).csv(str(out / "hive_csv"))
    df.filter(df.region == "nowhere").write.option("header", True).csv(str(out / "none"))
    return out


def _oracle(rows: pd.DataFrame) -> dict[str, float]:
    return {
        "mse": float(mean_squared_error(rows["y_true"], rows["y_pred"])),
        "mae": float(mean_absolute_error(rows["y_true"], rows["y_pred"])),
    }


def _values(doc: dict[str, Any]) -> dict[tuple[str | None, str], float]:
    return {
        (r["group"], r["loss"]): r["value"] for r in doc["results"] if r["loss"] in ("mse", "mae")
    }


@pytest.mark.parametrize("folder", ["csv", "csv_gz", "json", "parquet", "hive", "hive_csv"])
def test_every_spark_layout_gives_the_frames_losses(written: Path, folder: str) -> None:
    doc = run_json(str(written / folder), "-o", "json")
    assert doc["rows"] == N
    want = _oracle(FRAME)
    got = _values(doc)
    for loss in ("mse", "mae"):
        assert got[(None, loss)] == pytest.approx(want[loss], rel=1e-12)


@pytest.mark.parametrize("folder", ["hive", "hive_csv", "csv"])
def test_by_day_a_partition_key_or_a_column(written: Path, folder: str) -> None:
    doc = run_json(str(written / folder), "--by", "day", "-o", "json")
    got = _values(doc)
    for day, rows in FRAME.groupby("day"):
        for loss, value in _oracle(rows).items():
            assert got[(str(day), loss)] == pytest.approx(value, rel=1e-12), (day, loss)


def test_a_filter_on_spark_hive_keys(written: Path) -> None:
    doc = run_json(str(written / "hive_csv"), "--filter", 'region == "north"', "-o", "json")
    rows = FRAME[FRAME.region == "north"]
    assert doc["rows"] == len(rows)
    assert _values(doc)[(None, "mse")] == pytest.approx(_oracle(rows)["mse"], rel=1e-12)


def test_a_job_that_wrote_no_rows(written: Path) -> None:
    """Spark writes one header-only part when every row was filtered out."""
    line = run_error(str(written / "none"))
    assert "no data rows" in line and str(written / "none") in line


def _doc_block(title: str) -> str:
    """The Python block that follows ``**Spark**`` in docs/merge.md."""
    text = (ROOT / "docs" / "merge.md").read_text(encoding="utf-8")
    m = re.search(re.escape(title) + r".*?```python\n(.*?)```", text, re.S)
    assert m, f"no {title} block in docs/merge.md"
    return m.group(1)


def test_the_spark_recipe_of_docs_merge_md(spark: Any, written: Path) -> None:
    """docs/merge.md's mapInPandas recipe, run as written on Spark's executors, gives
    the frame's numbers."""
    frame = FRAME.assign(w=np.linspace(0.5, 2.0, N))
    preds = spark.createDataFrame(frame).repartition(5)
    scope: dict[str, Any] = {"preds": preds}
    exec(compile(_doc_block("**Spark**"), "docs/merge.md", "exec"), scope)
    report = scope["report"]
    want = mean_squared_error(frame["y_true"], frame["y_pred"], sample_weight=frame["w"])
    assert len(scope["rows"]) >= 2  # states from several executors' batches were merged
    assert report.value("y_pred", "mse") == pytest.approx(float(want), rel=1e-12)
