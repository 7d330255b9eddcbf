"""``losscli evaluate`` through the CLI (CliRunner): every layout, every output
format (parsed, not compared as strings), gates, every bad-input case of issue 3
(one stderr line, exit 2, nothing on stdout, no traceback), and safety."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics

from conftest import EVALUATE_KEYS, Cli

_cli = Cli("evaluate")
run, run_json, run_error = _cli.run, _cli.run_json, _cli.error_line

SAMPLES = Path(__file__).resolve().parents[2] / "sample_data"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "evaluate"


def value(doc: dict[str, Any], model: str, loss: str, group: str | None = None) -> float:
    for r in doc["results"]:
        if (r["model"], r["loss"], r["group"]) == (model, loss, group):
            return float(r["value"])
    raise KeyError((model, loss, group))


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


# --------------------------------------------------------------------------- layouts


@pytest.mark.parametrize(
    ("header", "rows", "task", "model"),
    [
        ("y_true,y_pred", ["3,2.5", "-0.5,0", "2,2", "7,8"], "regression", "y_pred"),
        ("target,prediction", ["3,2.5", "-0.5,0", "2,2", "7,8"], "regression", "prediction"),
        ("actual,predicted", ["3,2.5", "-0.5,0", "2,2", "7,8"], "regression", "predicted"),
        ("label,prob", ["1,0.9", "0,0.1", "1,0.8", "0,0.3"], "binary", "prob"),
        ("LABEL,Prob", ["1,0.9", "0,0.1", "1,0.8", "0,0.3"], "binary", "Prob"),
    ],
)
def test_pair_layouts(tmp_path: Path, header: str, rows: list[str], task: str, model: str) -> None:
    path = write(tmp_path, "p.csv", "\n".join([header, *rows]) + "\n")
    doc = run_json(path)
    assert doc["task"] == task and doc["models"] == [model] and doc["rows"] == 4
    if task == "regression":
        # the seed's example: MSE 0.375
        assert value(doc, model, "mse") == pytest.approx(0.375, rel=1e-12)
    else:
        expected = metrics.log_loss([1, 0, 1, 0], [0.9, 0.1, 0.8, 0.3])
        assert value(doc, model, "binary_crossentropy") == pytest.approx(expected, rel=1e-9)


def test_pred_model_columns_layout() -> None:
    doc = run_json(str(SAMPLES / "models.csv"))
    assert doc["models"] == ["linear", "tree"]
    df = pd.read_csv(SAMPLES / "models.csv")
    expected = metrics.mean_absolute_error(df["y_true"], df["pred_tree"])
    assert value(doc, "tree", "mae") == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("prefix", ["prob_", "proba_", "p_"])
def test_class_probability_layout(tmp_path: Path, prefix: str) -> None:
    df = pd.read_csv(SAMPLES / "multiclass.csv")
    df.columns = [c.replace("prob_", prefix) for c in df.columns]
    path = tmp_path / "mc.csv"
    df.to_csv(path, index=False)
    doc = run_json(str(path))
    assert doc["task"] == "multiclass"
    assert doc["classes"] == ["cat", "dog", "bird"]
    assert doc["models"] == [prefix.rstrip("_")]


def test_flags_and_pattern(tmp_path: Path) -> None:
    df = pd.read_csv(SAMPLES / "multiclass.csv")
    df.columns = ["truth", "m_cat", "m_dog", "m_bird"]
    path = tmp_path / "mc.csv"
    df.to_csv(path, index=False)
    doc = run_json(str(path), "--true", "truth", "--pred", "m_*", "-l", "cce")
    assert doc["models"] == ["m"] and doc["target"] == "truth"


def test_stdin_csv_and_parquet() -> None:
    data = (SAMPLES / "regression.csv").read_bytes()
    doc = run_json("-", "-l", "mse", input=data)
    assert doc["file"] == "<stdin>"
    pq = (SAMPLES / "regression.parquet").read_bytes()
    doc2 = run_json("-", "-l", "mse", input=pq)
    assert value(doc2, "y_pred", "mse") == pytest.approx(value(doc, "y_pred", "mse"), rel=1e-12)
    doc3 = run_json("-", "-l", "mse", input=gzip.compress(data))
    assert value(doc3, "y_pred", "mse") == pytest.approx(value(doc, "y_pred", "mse"), rel=1e-12)


def test_format_option(tmp_path: Path) -> None:
    path = tmp_path / "preds.txt"
    path.write_text((SAMPLES / "regression.csv").read_text().replace(",", "\t"))
    doc = run_json(str(path), "--format", "tsv", "-l", "mae")
    assert doc["rows"] == 500


def test_fixture_files() -> None:
    # small files kept in the repository: the same truth/predictions in three formats
    docs = [
        run_json(str(FIXTURES / name), "-l", "mse")
        for name in ("small.csv", "small.tsv.gz", "small.jsonl")
    ]
    values = {value(d, "y_pred", "mse") for d in docs}
    assert len(values) == 1
    assert values.pop() == pytest.approx(0.375, rel=1e-12)


# --------------------------------------------------------------------------- outputs


def test_json_shape_and_order() -> None:
    doc = run_json(str(SAMPLES / "models.csv"), "--fail-if", "rmse>100")
    assert list(doc) == EVALUATE_KEYS
    assert doc["schema"] == "losscli.evaluate/1"
    assert doc["weight"] is None and doc["group_by"] is None and doc["classes"] is None
    assert doc["bootstrap"] is None and doc["comparisons"] == []  # (without --ci, issue 14)
    assert all(
        list(r) == ["model", "group", "loss", "value", "ci_low", "ci_high", "rows"]
        for r in doc["results"]
    )
    assert doc["gates"] == [
        {
            "expr": "rmse>100",
            "model": "linear",
            "group": None,
            "value": value(doc, "linear", "rmse"),
            "failed": False,
            "judged": "point",
        },
        {
            "expr": "rmse>100",
            "model": "tree",
            "group": None,
            "value": value(doc, "tree", "rmse"),
            "failed": False,
            "judged": "point",
        },
    ]


def test_csv_output_parses() -> None:
    result = run(str(SAMPLES / "models.csv"), "-o", "csv")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == ["model", "group", "loss", "value", "rows"]
    doc = run_json(str(SAMPLES / "models.csv"))
    assert len(rows) == len(doc["results"])
    for row, r in zip(rows, doc["results"], strict=True):
        assert (row["model"], row["loss"], int(row["rows"])) == (r["model"], r["loss"], r["rows"])
        assert row["group"] == ""
        assert float(row["value"]) == r["value"]  # full precision


def test_markdown_output() -> None:
    result = run(str(SAMPLES / "models.csv"), "-o", "markdown", "--precision", "3")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    table = [line for line in lines if line.startswith("|")]
    assert table[0] == "| loss | linear | tree |"
    mse = next(line for line in table if line.startswith("| mse |"))
    assert mse == "| mse | 5.10 | **0.982** |"  # best model in bold, 3 significant digits
    r2 = next(line for line in table if line.startswith("| r2"))
    assert "**0.974**" in r2  # higher is better for r2


def test_table_output() -> None:
    result = run(str(SAMPLES / "models.csv"), "--precision", "2")
    assert result.exit_code == 0
    out = result.stdout
    assert "models.csv" in out and "regression" in out and "500 rows" in out
    assert "*0.98" in out  # tree's mse, marked best
    assert "\x1b[" not in out  # no colour when stdout is not a terminal
    assert "use when" in out and "parameters: δ=1" in out


def test_by_and_weight_in_outputs(tmp_path: Path) -> None:
    path = tmp_path / "g.csv"
    path.write_text("y_true,y_pred,w,site\n1,2,1,a\n3,5,2,b\n4,4,1,a\n0,1,0.5,c\n")
    doc = run_json(str(path), "--by", "site", "-w", "w", "-l", "mse")
    assert doc["group_by"] == "site" and doc["weight"] == "w"
    # by hand: a: (1·1 + 1·0)/2 = 0.5; b: 4; c: 1; all: (1 + 8 + 0 + 0.5)/4.5
    assert value(doc, "y_pred", "mse", "a") == 0.5
    assert value(doc, "y_pred", "mse", "b") == 4.0
    assert value(doc, "y_pred", "mse", "c") == 1.0
    assert value(doc, "y_pred", "mse") == pytest.approx(9.5 / 4.5, rel=1e-12)
    table = run(str(path), "--by", "site", "-l", "mse")
    assert table.exit_code == 0 and "site" in table.stdout and "all" in table.stdout


def test_output_file_is_written_atomically(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    result = run(str(SAMPLES / "regression.csv"), "-o", "json", "--output-file", str(target))
    assert result.exit_code == 0 and result.stdout == ""
    assert json.loads(target.read_text())["rows"] == 500
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]  # no temporary left


def test_warnings_go_to_stderr_not_json(tmp_path: Path) -> None:
    path = write(tmp_path, "m.csv", "y_true,y_pred\n1,2\n3,\n4,5\n")
    result = run(path, "--dropna", "-o", "json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["rows"] == 2
    assert (
        result.stderr
        == f"losscli: warning: {path}: dropped 1 row with a missing value (--dropna)\n"
    )


def test_skipped_losses_listed() -> None:
    doc = run_json(str(SAMPLES / "counts.csv"))
    assert [s["loss"] for s in doc["skipped"]] == ["mape"]
    table = run(str(SAMPLES / "counts.csv"))
    assert "skipped mape" in table.stdout


# --------------------------------------------------------------------------- gates


def test_gate_passes() -> None:
    result = run(str(SAMPLES / "models.csv"), "--fail-if", "rmse>100", "-o", "json")
    assert result.exit_code == 0 and result.stderr == ""


def test_gate_fails_after_full_output() -> None:
    result = run(
        str(SAMPLES / "models.csv"),
        "-o",
        "json",
        "--fail-if",
        "rmse>1.2",
        "--fail-if",
        "pred_tree:mae<0.5",
    )
    assert result.exit_code == 1
    doc = json.loads(result.stdout)  # the whole document is still printed
    failed = [(g["expr"], g["model"]) for g in doc["gates"] if g["failed"]]
    assert failed == [("rmse>1.2", "linear")]
    rmse = value(doc, "linear", "rmse")
    assert result.stderr.splitlines() == [f"gate failed: rmse = {rmse:.3f} > 1.2 (model linear)"]


def test_gate_several_failures_one_line_each() -> None:
    result = run(str(SAMPLES / "models.csv"), "--fail-if", "mse>0.1", "--fail-if", "r2<0.99")
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 4
    assert "gate mse>0.1: FAILED" in result.stdout


@pytest.mark.parametrize(
    ("gate", "needle"),
    [
        ("nosuch:rmse>1", "unknown model 'nosuch'"),
        ("foo>1", "unknown loss 'foo'"),
        ("rmse=1", "malformed --fail-if"),
        ("bce>1", "was not evaluated"),
    ],
)
def test_bad_gates_exit_2(gate: str, needle: str) -> None:
    line = run_error(str(SAMPLES / "models.csv"), "--fail-if", gate)
    assert needle in line


# --------------------------------------------------------------------------- bad input


def test_bad_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"
    assert run_error(str(path)) == f"losscli: error: file not found: {path}"


def test_bad_directory(tmp_path: Path) -> None:
    assert "is a directory" in run_error(str(tmp_path))


def test_bad_unreadable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from losscli.io import sources

    path = write(tmp_path, "p.csv", "y_true,y_pred\n1,2\n")
    monkeypatch.setattr(sources.os, "access", lambda *_: False)  # root ignores chmod
    assert run_error(path) == f"losscli: error: cannot read {path}: permission denied"


def test_bad_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path, "e.csv", "")
    assert run_error(path) == f"losscli: error: {path} is empty"


def test_bad_header_only(tmp_path: Path) -> None:
    path = write(tmp_path, "h.csv", "y_true,y_pred\n")
    assert run_error(path) == f"losscli: error: {path} has a header but no data rows"


def test_bad_unknown_extension(tmp_path: Path) -> None:
    path = write(tmp_path, "p.dat", "y_true,y_pred\n1,2\n")
    line = run_error(path)
    assert path in line and "--format" in line


def test_bad_corrupt_parquet(tmp_path: Path) -> None:
    path = tmp_path / "bad.parquet"
    path.write_bytes(b"PAR1" + b"\x00" * 40 + b"PAR1")
    assert f"{path} is not a valid Parquet file" in run_error(str(path))


def test_bad_text_in_numeric_column(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "y_true,y_pred\n1,2\n3,abc\n")
    assert run_error(path) == (
        f"losscli: error: {path}: column 'y_pred', row 2: expected a number, got 'abc'"
    )


def test_bad_text_in_the_truth_column(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "y_true,y_pred\n1.5,2\nabc,3\n2.5,1\n")
    assert run_error(path) == (
        f"losscli: error: {path}: column 'y_true', row 2: expected a number, got 'abc'"
    )


def test_bad_text_in_numeric_column_later_chunk(tmp_path: Path) -> None:
    rows = "".join(f"{i},{i + 0.5}\n" for i in range(20000))
    path = write(tmp_path, "t.csv", "y_true,y_pred\n" + rows + "5,oops\n")
    assert run_error(path) == (
        f"losscli: error: {path}: column 'y_pred', row 20001: expected a number, got 'oops'"
    )


@pytest.mark.parametrize(("cell", "column", "row"), [("inf", "y_pred", 2), ("-inf", "y_true", 3)])
def test_bad_infinite_values(tmp_path: Path, cell: str, column: str, row: int) -> None:
    lines = ["y_true,y_pred", "1,2", "3,4", "5,6"]
    r = lines[row].split(",")
    r[0 if column == "y_true" else 1] = cell
    lines[row] = ",".join(r)
    path = write(tmp_path, "i.csv", "\n".join(lines) + "\n")
    line = run_error(path)
    assert f"column '{column}', row {row}" in line and "infinite" in line
    assert "np." not in line


def test_bad_value_deep_in_a_parquet_file(tmp_path: Path) -> None:
    y = np.arange(5000, dtype=np.float64)
    y[4321] = np.inf
    path = tmp_path / "deep.parquet"
    pd.DataFrame({"y_true": y, "y_pred": y + 0.5}).to_parquet(path, row_group_size=1000)
    assert run_error(str(path)) == (
        f"losscli: error: {path}: column 'y_true', row 4322: the truth is infinite (inf)"
    )


def test_bad_nan_is_missing(tmp_path: Path) -> None:
    path = write(tmp_path, "n.csv", "y_true,y_pred\n1,2\n3,NaN\n5,\n")
    assert run_error(path) == (
        f"losscli: error: {path}: 2 rows have a missing value (first: column 'y_pred', row 2); "
        "drop such rows with --dropna"
    )


def test_bad_probabilities_outside_unit_interval(tmp_path: Path) -> None:
    path = write(tmp_path, "p.csv", "label,prob\n1,0.2\n0,1.3\n")
    line = run_error(path, "--task", "binary")
    assert "column 'prob', row 2: probability 1.3 is outside [0, 1]" in line
    assert "--logits" in line


def test_bad_multiclass_label_without_column(tmp_path: Path) -> None:
    path = write(tmp_path, "m.csv", "label,prob_a,prob_b\na,0.2,0.8\nc,0.5,0.5\n")
    assert run_error(path) == (
        f"losscli: error: {path}: column 'label', row 2: label 'c' has no probability column; "
        "classes are: a, b"
    )


def test_bad_single_class_where_two_are_needed(tmp_path: Path) -> None:
    path = write(tmp_path, "s.csv", "label,prob\n1,0.2\n1,0.7\n")
    line = run_error(path, "--loss", "wbce")
    assert "weighted_binary_crossentropy does not apply" in line and "two classes" in line


def test_bad_negative_weight(tmp_path: Path) -> None:
    path = write(tmp_path, "w.csv", "y_true,y_pred,w\n1,2,1\n3,4,-2\n")
    assert run_error(path, "-w", "w") == (
        f"losscli: error: {path}: column 'w', row 2: negative weight (-2); weights must be ≥ 0"
    )


def test_bad_all_zero_weights(tmp_path: Path) -> None:
    path = write(tmp_path, "w.csv", "y_true,y_pred,w\n1,2,0\n3,4,0\n")
    assert "every weight is 0" in run_error(path, "-w", "w")


@pytest.mark.parametrize("flag", ["--by", "--weight"])
def test_bad_missing_by_or_weight_column(flag: str) -> None:
    line = run_error(str(SAMPLES / "regression.csv"), flag, "nope")
    assert f"column 'nope' ({flag}) not found" in line and "columns are: y_true, y_pred" in line


def test_bad_duplicate_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "y_true,y_pred,y_pred\n1,2,3\n")
    assert "duplicate column names: 'y_pred'" in run_error(path)


def test_bad_unknown_loss_lists_valid_ids() -> None:
    line = run_error(str(SAMPLES / "regression.csv"), "-l", "nope")
    assert "unknown loss 'nope'; valid ids: mse, rmse" in line


def test_bad_malformed_gate() -> None:
    assert "malformed --fail-if 'rmse>>1'" in run_error(
        str(SAMPLES / "regression.csv"), "--fail-if", "rmse>>1"
    )


def test_bad_ragged_rows(tmp_path: Path) -> None:
    path = write(tmp_path, "r.csv", "y_true,y_pred\n1,2\n3,4\n5,6,7\n")
    assert run_error(path) == (
        f"losscli: error: {path}: ragged CSV at row 3: expected 2 fields, got 3"
    )


def test_bad_layout_guess_lists_columns_and_flags(tmp_path: Path) -> None:
    path = write(tmp_path, "x.csv", "a,b\n1,2\n")
    line = run_error(path)
    assert "columns are: a, b" in line and "--true COL --pred COL" in line


# --------------------------------------------------------------------------- safety


def test_markup_and_escape_codes_print_literally(tmp_path: Path) -> None:
    evil_model = "[bold red]x[/]"
    escape = "esc\x1b[31mred"
    path = tmp_path / "evil.csv"
    pd.DataFrame(
        {
            "y_true": [1.0, 2.0, 3.0, 4.0],
            evil_model: [1.5, 2.0, 2.5, 4.0],
            escape: [1.0, 2.5, 3.0, 4.5],
            "g": ["=cmd|' /C calc'!A0", "@x", "+1", "-2"],
        }
    ).to_csv(path, index=False)
    args = (str(path), "--true", "y_true", "--pred", evil_model, "--pred", escape, "-l", "mse")
    table = run(*args)
    assert table.exit_code == 0
    assert "[bold red]x[/]" in table.stdout
    assert "\x1b" not in table.stdout and "esc\\x1b[31mred" in table.stdout
    md = run(*args, "-o", "markdown")
    assert "\x1b" not in md.stdout and "\\[bold red\\]x\\[/\\]" in md.stdout
    grouped = run(*args, "--by", "g", "-o", "csv")
    rows = list(csv.DictReader(io.StringIO(grouped.stdout)))
    groups = {row["group"] for row in rows if row["group"]}
    assert groups == {"'=cmd|' /C calc'!A0", "'@x", "'+1", "'-2"}
    assert all(not row["model"].startswith(("=", "+", "-", "@")) for row in rows)


def test_progress_bar_never_on_non_terminal() -> None:
    result = run(str(SAMPLES / "regression.csv"), "-o", "json")
    assert result.stderr == ""


def test_numbers_vs_sklearn_on_generated_binary(tmp_path: Path) -> None:
    rng = np.random.default_rng(9)
    y = rng.integers(0, 2, 1000)
    p = np.clip(rng.beta(2, 2, 1000), 0.001, 0.999)
    path = tmp_path / "b.parquet"
    pd.DataFrame({"label": y, "prob": p}).to_parquet(path)
    doc = run_json(str(path))
    assert doc["task"] == "binary"
    assert value(doc, "prob", "binary_crossentropy") == pytest.approx(
        metrics.log_loss(y, p), rel=1e-9
    )
    assert value(doc, "prob", "brier") == pytest.approx(metrics.brier_score_loss(y, p), rel=1e-9)


def test_progress_bar_on_a_terminal_after_a_moment(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from losscli.cli import evaluate_cmd

    class _Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    fake = _Tty()
    monkeypatch.setattr(sys, "stderr", fake)
    progress = evaluate_cmd._Progress("big.csv")
    progress(10)  # too soon: nothing shown
    assert progress.bar is None
    monkeypatch.setattr(evaluate_cmd._Progress, "DELAY", 0.0)
    progress(1_000_000)
    progress.stop()
    assert progress.bar is not None
    assert "reading big.csv: 1,000,000 rows" in fake.getvalue()


def test_output_file_in_a_missing_folder_is_an_error(tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "out.json"
    line = run_error(str(SAMPLES / "regression.csv"), "-o", "json", "--output-file", str(target))
    assert "cannot write" in line
