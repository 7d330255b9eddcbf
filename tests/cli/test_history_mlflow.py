"""MLflow tracking stores written by MLflow itself (mlflow-skinny, a dev dependency),
read by losscli without MLflow: the SQLite store (mlflow.db) and the file store."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import pytest

from losscli.cli import app

from conftest import Cli, runner

run_json = Cli("history").run_json

mlflow = pytest.importorskip("mlflow")
pytest.importorskip("sqlalchemy")
# MLflow's own SQLAlchemy deprecations are not ours
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def one_line_error(*args: str) -> str:
    result = runner.invoke(app, ["history", *args])
    assert result.exit_code == 2 and result.stdout == "", result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("losscli: error: "), result.stderr
    return lines[0]


def log_run(name: str, val_min_at: int, nan_at: int | None = None) -> str:
    """train 1/(s+1); val 0.5 + |s − val_min_at|/20 for steps 0..9, as Keras autolog or
    Lightning's MLFlowLogger log them (one value per step)."""
    with mlflow.start_run(run_name=name) as run:
        for s in range(10):
            value = math.nan if s == nan_at else 1 / (s + 1)
            mlflow.log_metric("train_loss", value, step=s)
            mlflow.log_metric("val_loss", 0.5 + abs(s - val_min_at) / 20, step=s)
        return str(run.info.run_id)


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("mlflow")
    old = os.environ.get("MLFLOW_ALLOW_FILE_STORE")
    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"  # MLflow 3 keeps the file store opt-in
    try:
        mlflow.set_tracking_uri(f"sqlite:///{root / 'mlflow.db'}")
        mlflow.set_experiment("baseline")
        ids = {"early": log_run("early", 3), "late": log_run("late", 8)}
        mlflow.set_experiment("broken")
        ids["nan"] = log_run("nan", 5, nan_at=4)
        mlflow.set_tracking_uri((root / "mlruns").as_uri())
        mlflow.set_experiment("files")
        ids["file"] = log_run("file", 6)
    finally:
        mlflow.set_tracking_uri(None)
        if old is None:
            os.environ.pop("MLFLOW_ALLOW_FILE_STORE", None)
        else:
            os.environ["MLFLOW_ALLOW_FILE_STORE"] = old
    return {"root": root, "db": str(root / "mlflow.db"), "ids": ids}


def test_sqlite_store_one_run(stores: dict[str, Any]) -> None:
    doc = run_json(stores["db"], "--run-id", stores["ids"]["early"])
    # val lowest at step 3 (0.5), rising by 0.05 per step after it; train 1/(s+1) falls
    assert (doc["format"], doc["x"], doc["points"]) == ("mlflow", "step", 10)
    assert (doc["best_epoch"], doc["best_val_loss"]) == (3, 0.5)
    assert doc["final_train_loss"] == pytest.approx(0.1)
    assert (doc["verdict"], doc["overfitting_since"]) == ("overfitting", 4)


def test_sqlite_store_experiment_compared(stores: dict[str, Any]) -> None:
    docs = run_json(stores["db"], "--experiment", "baseline")
    assert [d["best_epoch"] for d in docs] == [3, 8]
    # both reach 0.5: a tie → the first run named; the verdicts differ
    assert [d["verdict"] for d in docs] == ["overfitting", "improving"]
    assert [d["best"] for d in docs] == [True, False]


def test_sqlite_nan_is_stored_as_is_nan(stores: dict[str, Any]) -> None:
    doc = run_json(stores["db"], "--run-id", stores["ids"]["nan"])
    assert doc["verdict"] == "diverged"


def test_sqlite_every_run_by_default(stores: dict[str, Any]) -> None:
    docs = run_json(stores["db"])
    assert len(docs) == 3
    assert docs[[d["verdict"] for d in docs].index("diverged")]["best"] is False


def test_sqlite_unknown_run_and_misplaced_flags(stores: dict[str, Any]) -> None:
    assert "no active run" in one_line_error(stores["db"], "--run-id", "0" * 32)
    fixture = str(Path(__file__).resolve().parents[1] / "fixtures" / "history" / "generic.csv")
    assert "mlflow.db" in one_line_error(fixture, "--run-id", "x")


def test_file_store_run_and_tree(stores: dict[str, Any]) -> None:
    run_dirs = list((stores["root"] / "mlruns").glob(f"*/{stores['ids']['file']}"))
    assert len(run_dirs) == 1
    doc = run_json(str(run_dirs[0]))
    assert (doc["format"], doc["best_epoch"], doc["verdict"]) == ("mlflow", 6, "overfitting")
    assert "(file)" in doc["file"]  # the run name from tags/mlflow.runName
    doc = run_json(str(stores["root"] / "mlruns"))  # one run below: that run
    assert doc["best_epoch"] == 6
