"""``--filter`` on date and timestamp columns that a file holds (not Hive keys): a
quoted literal is read as the column's type, and a literal of the wrong kind is one
clear line (it was Arrow's "no kernel matching input types"). Oracle: pandas' own
selection of the same rows, scikit-learn's MAE on them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sklearn import metrics

from conftest import Cli

_cli = Cli("evaluate")
run, run_error = _cli.run, _cli.error_line


def frame() -> object:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(7)
    n = 60
    days = pd.to_datetime("2026-11-25") + pd.to_timedelta(np.arange(n) % 10, unit="D")
    y = rng.normal(size=n)
    return pd.DataFrame(
        {
            "y_true": y,
            "y_pred": y + rng.normal(size=n),
            "day": days.date,
            "at": days + pd.to_timedelta(np.arange(n), unit="h"),
        }
    )


@pytest.fixture(params=["csv", "parquet"])
def dated(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, object]:
    df = frame()
    path = tmp_path / f"dated.{request.param}"
    if request.param == "csv":
        df.to_csv(path, index=False)  # (Arrow's CSV reader types the columns date / timestamp)
    else:
        df.to_parquet(path, index=False)
    return str(path), df


@pytest.mark.parametrize(
    ("expr", "keep"),
    [
        ('day >= "2026-12-01"', lambda df: df["day"] >= dt.date(2026, 12, 1)),
        ('day == "2026-11-30" or day = "2026-11-25"',
         lambda df: df["day"].isin([dt.date(2026, 11, 30), dt.date(2026, 11, 25)])),
        ('at < "2026-11-28 12:00:00"',
         lambda df: df["at"] < dt.datetime(2026, 11, 28, 12)),
    ],
)  # fmt: skip
def test_a_date_literal_filters_a_date_column(dated: tuple[str, object], expr: str, keep) -> None:  # type: ignore[no-untyped-def]
    path, df = dated
    kept = df[keep(df)]  # type: ignore[index]
    assert 0 < len(kept) < len(df)  # type: ignore[arg-type]
    out = json.loads(run(path, "--filter", expr, "-l", "mae", "-o", "json").stdout)
    (result,) = out["results"]
    assert result["rows"] == len(kept)
    assert result["value"] == pytest.approx(
        metrics.mean_absolute_error(kept["y_true"], kept["y_pred"])
    )


@pytest.mark.parametrize(
    ("expr", "says"),
    [
        ('day == "banana"', "column 'day' holds date32[day]; 'banana' is not one"),
        ("day == 3", "column 'day' holds date32[day]; compare it with \"quoted text\""),
        ('y_true > "a"', "column 'y_true' holds numbers; compare it with numbers"),
    ],
)
def test_a_literal_of_the_wrong_kind_is_one_line(
    dated: tuple[str, object], expr: str, says: str
) -> None:
    path, _ = dated
    line = run_error(path, "--filter", expr)
    assert line.startswith("losscli: error: --filter") and says in line
