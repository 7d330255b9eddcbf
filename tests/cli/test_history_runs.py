"""`losscli history LOG LOG…`: runs side by side, the best run named, JSON as a list."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from losscli import history

from conftest import Cli

run = Cli("history").run

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "history"


def write(tmp_path: Path, name: str, val: list[float]) -> str:
    path = tmp_path / name
    rows = [f"{e},{1 / (e + 1):.4f},{v}" for e, v in enumerate(val)]
    path.write_text("epoch,loss,val_loss\n" + "\n".join(rows) + "\n")
    return str(path)


def test_json_is_a_list_with_the_best_run(tmp_path: Path) -> None:
    a = write(tmp_path, "a.csv", [1.0, 0.8, 0.6, 0.65, 0.7, 0.75])  # best 0.6, overfits
    b = write(tmp_path, "b.csv", [0.9, 0.7, 0.55, 0.5, 0.48, 0.47])  # best 0.47, improving
    result = run(a, b, "-o", "json")
    assert result.exit_code == 0, result.stderr
    docs = json.loads(result.stdout)
    assert isinstance(docs, list) and [Path(d["file"]).name for d in docs] == ["a.csv", "b.csv"]
    assert [d["verdict"] for d in docs] == ["overfitting", "improving"]
    assert [d["best"] for d in docs] == [False, True]
    assert [d["best_val_loss"] for d in docs] == [0.6, 0.47]
    assert run(a, b, "--fail-on-overfit", "-o", "json").exit_code == 1  # any run


def test_table_rows_overlaid_chart_and_best_named(tmp_path: Path) -> None:
    a = write(tmp_path, "a.csv", [1.0, 0.8, 0.6, 0.65, 0.7, 0.75])
    b = write(tmp_path, "b.csv", [0.9, 0.7, 0.55, 0.5, 0.48, 0.47])
    result = run(a, b)
    assert result.exit_code == 0
    out = result.stdout
    assert "2 runs" in out and "best run:" in out and "b.csv" in out.split("best run:")[1]
    chart = [ln for ln in out.splitlines() if ln.rstrip().endswith(("a", "b")) and "|" in ln]
    assert any("a" in ln.split("|", 1)[1] for ln in chart)
    assert "a " in out and "b " in out  # the legend names each run by its mark


def test_best_by_final_train_loss_when_a_run_lacks_validation(tmp_path: Path) -> None:
    a = write(tmp_path, "a.csv", [1.0, 0.8, 0.6])
    c = tmp_path / "c.csv"
    c.write_text("epoch,loss\n0,1.0\n1,0.2\n2,0.1\n")
    reports = [history.analyse_log(history.read_log(p)) for p in (a, str(c))]
    best, why = history.best_run(reports)
    # final train: a 1/3 = 0.3333, c 0.1 → c
    assert best == 1 and "final training loss" in why


def test_diverged_run_is_never_best_unless_all_diverged(tmp_path: Path) -> None:
    a = write(tmp_path, "a.csv", [1.0, 0.8, 0.6])
    d = tmp_path / "d.csv"
    d.write_text("epoch,loss,val_loss\n0,1.0,0.1\n1,nan,0.05\n2,0.5,0.01\n")
    reports = [history.analyse_log(history.read_log(p)) for p in (a, str(d))]
    assert reports[1].verdict == "diverged"
    assert history.best_run(reports)[0] == 0
    assert history.best_run(reports[1:])[0] == 0


def test_plot_of_several_runs(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    a = write(tmp_path, "a.csv", [1.0, 0.8, 0.6, 0.65])
    b = write(tmp_path, "b.csv", [0.9, 0.7, 0.55, 0.5])
    png = tmp_path / "runs.png"
    assert run(a, b, "--plot", str(png), "-o", "json").exit_code == 0
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_stdin_twice_is_a_usage_error() -> None:
    result = run("-", "-")
    assert result.exit_code == 2 and "only once" in result.stderr
