"""Hostile and unusual input (issue 10): wide files, corrupt compression, binary
"headers", unbounded stdin, huge lines and cells, FIFOs, JSON Lines errors.

The promise checked throughout: exit 2 with exactly one stderr line
``losscli: error: ...`` naming the file, nothing on stdout, no traceback; or, for
valid input, the values scikit-learn (or the Arrow-only path,
``LOSSCLI_FAST_CSV=0``) gives.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn import metrics
from typer.testing import CliRunner

from losscli.cli import app

runner = CliRunner()


def run(*args: str, input: bytes | str | None = None) -> Any:
    return runner.invoke(app, list(args), input=input)


def run_json(*args: str, input: bytes | str | None = None) -> dict[str, Any]:
    result = run(*args, "-o", "json", input=input)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def run_error(*args: str, input: bytes | str | None = None) -> str:
    """The one error line of a failing command (exit 2, nothing on stdout)."""
    result = run(*args, input=input)
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("losscli: error: ")
    return lines[0]


def value(doc: dict[str, Any], model: str, loss: str) -> float:
    for r in doc["results"]:
        if (r["model"], r["loss"], r["group"]) == (model, loss, None):
            return float(r["value"])
    raise KeyError((model, loss))


# --------------------------------------------------------- 1. more than 64 columns


@pytest.mark.filterwarnings("ignore:The y_prob values do not sum")
def test_a_100_class_multiclass_file_reads_as_sklearn_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(10)
    n, k = 400, 100
    classes = [f"c{i}" for i in range(k)]
    probs = rng.dirichlet(np.ones(k), n)
    probs = np.round(probs, 6)
    probs /= probs.sum(axis=1, keepdims=True)
    truth = rng.integers(0, k, n)
    truth[:k] = np.arange(k)  # every class present
    path = tmp_path / "cifar100.csv"
    lines = ["label," + ",".join(f"prob_{c}" for c in classes)]
    lines += [
        classes[t] + "," + ",".join(repr(float(x)) for x in row)
        for t, row in zip(truth, probs, strict=True)
    ]
    path.write_text("\n".join(lines) + "\n")
    doc = run_json("evaluate", str(path), "-l", "categorical_crossentropy")
    expected = metrics.log_loss(truth, np.clip(probs, 1e-7, 1 - 1e-7), labels=range(k))
    assert value(doc, "prob", "categorical_crossentropy") == pytest.approx(expected, rel=1e-9)
    monkeypatch.setenv("LOSSCLI_FAST_CSV", "0")
    assert run_json("evaluate", str(path), "-l", "categorical_crossentropy") == doc


def test_300_models_in_one_file_read_as_sklearn_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(11)
    n, m = 200, 300
    y = rng.normal(10, 3, n)
    preds = y[:, None] + rng.normal(0, 1, (n, m)) * np.linspace(0.1, 3, m)
    path = tmp_path / "models.csv"
    lines = ["y_true," + ",".join(f"pred_m{j}" for j in range(m))]
    lines += [
        repr(float(a)) + "," + ",".join(repr(float(x)) for x in row)
        for a, row in zip(y, preds, strict=True)
    ]
    path.write_text("\n".join(lines) + "\n")
    doc = run_json("evaluate", str(path), "-l", "mse", "-l", "mae")
    for j in (0, 63, 64, 65, 299):
        assert value(doc, f"m{j}", "mse") == pytest.approx(
            metrics.mean_squared_error(y, preds[:, j]), rel=1e-12
        )
        assert value(doc, f"m{j}", "mae") == pytest.approx(
            metrics.mean_absolute_error(y, preds[:, j]), rel=1e-12
        )
    monkeypatch.setenv("LOSSCLI_FAST_CSV", "0")
    assert run_json("evaluate", str(path), "-l", "mse", "-l", "mae") == doc


def test_the_scanner_takes_any_number_of_columns() -> None:
    from losscli import _fastcsv

    k = 500
    block = b"h\n" + b",".join(b"%d.5" % i for i in range(k)) + b"\n"
    rows, parts = _fastcsv.parse(block, k, tuple(range(k)), "f" * k, ",", True)
    assert rows == 1
    assert [np.frombuffer(p, np.float64)[0] for p in parts] == [i + 0.5 for i in range(k)]
