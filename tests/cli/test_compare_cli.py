"""``losscli compare`` through the CLI: reports and prediction files, every output
format (parsed), gates and exit codes, bad input (one line, exit 2, nothing on
stdout), ``--key`` joins, untrusted text, ``--summary``. Oracle: scikit-learn on the
files' columns (Δ = sklearn(new) − sklearn(base))."""

from __future__ import annotations

import csv
import inspect
import io
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics

from conftest import Cli

_cli = Cli("compare")
run, run_json, run_error = _cli.run, _cli.run_json, _cli.error_line
evaluate = Cli("evaluate")

SAMPLES = Path(__file__).resolve().parents[2] / "sample_data"
MODELS = SAMPLES / "models.csv"


def noisy_copy(tmp_path: Path, name: str = "new.csv", scale: float = 0.5) -> Path:
    """models.csv with the tree model's predictions made worse by seeded noise."""
    frame = pd.read_csv(MODELS)
    rng = np.random.default_rng(3)
    frame["pred_tree"] = frame["pred_tree"] + rng.normal(0, scale, len(frame))
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def base_report(tmp_path: Path, *args: str) -> Path:
    path = tmp_path / "base.json"
    result = evaluate.run(str(MODELS), "-o", "json", *args)
    assert result.exit_code == 0, result.stderr
    path.write_text(result.stdout)
    return path


def change(doc: dict[str, Any], model: str, loss: str, group: str | None = None) -> Any:
    for c in doc["changes"]:
        if (c["model"], c["loss"], c["group"]) == (model, loss, group):
            return c
    raise KeyError((model, loss, group))


def test_report_against_predictions_matches_sklearn(tmp_path: Path) -> None:
    new = noisy_copy(tmp_path)
    doc = run_json(str(base_report(tmp_path)), str(new))
    b, n = pd.read_csv(MODELS), pd.read_csv(new)
    for loss, fn in (
        ("rmse", lambda y, p: metrics.root_mean_squared_error(y, p)),
        ("mae", metrics.mean_absolute_error),
        ("r2", metrics.r2_score),
    ):
        base, new_v = fn(b.y_true, b.pred_tree), fn(n.y_true, n.pred_tree)
        c = change(doc, "tree", loss)
        assert c["base"] == pytest.approx(base, rel=1e-12)
        assert c["new"] == pytest.approx(new_v, rel=1e-12)
        assert c["delta"] == pytest.approx(new_v - base, rel=1e-9)
        assert c["delta_pct"] == pytest.approx(100 * (new_v - base) / abs(base), rel=1e-9)
        assert c["verdict"] == "worse"  # noise: rmse and mae up, r2 down
        assert change(doc, "linear", loss)["verdict"] == "unchanged"
    assert doc["schema"] == "losscli.compare/1"
    assert doc["base"]["kind"] == "report" and doc["new"]["kind"] == "predictions"
    assert doc["summary"]["worse"] == sum(c["verdict"] == "worse" for c in doc["changes"])


def test_two_prediction_files_and_by(tmp_path: Path) -> None:
    frame = pd.read_csv(MODELS)
    frame["half"] = np.where(np.arange(len(frame)) < 250, "a", "b")
    base = tmp_path / "b.csv"
    frame.to_csv(base, index=False)
    before = frame[frame.half == "b"].copy()
    frame.loc[frame.half == "b", "pred_linear"] += 5.0
    new = tmp_path / "n.csv"
    frame.to_csv(new, index=False)
    doc = run_json(str(base), str(new), "--by", "half", "-l", "mae")
    assert doc["group_by"] == "half"
    assert change(doc, "linear", "mae", "a")["verdict"] == "unchanged"
    b = frame[frame.half == "b"]
    old = metrics.mean_absolute_error(before.y_true, before.pred_linear)
    expected = metrics.mean_absolute_error(b.y_true, b.pred_linear)
    assert expected > old  # (the oracle says the shift hurt)
    assert change(doc, "linear", "mae", "b")["verdict"] == "worse"
    assert change(doc, "linear", "mae", "b")["new"] == pytest.approx(expected)
    assert change(doc, "linear", "mae", "b")["base"] == pytest.approx(old)


def test_outputs_table_csv_markdown(tmp_path: Path) -> None:
    base, new = str(base_report(tmp_path)), str(noisy_copy(tmp_path))
    table = run(base, new)
    assert table.exit_code == 0
    assert "regressions" in table.stdout and "tree" in table.stdout
    rows = list(csv.DictReader(io.StringIO(run(base, new, "-o", "csv").stdout)))
    assert len(rows) == 20 and set(rows[0]) >= {"model", "loss", "base", "new", "delta"}
    tree_rmse = next(r for r in rows if (r["model"], r["loss"]) == ("tree", "rmse"))
    assert tree_rmse["verdict"] == "worse" and float(tree_rmse["delta"]) > 0
    md = run(base, new, "-o", "markdown").stdout.splitlines()
    worse = sum(r["verdict"] == "worse" for r in rows)
    assert md[0].startswith("**losscli compare** · ")
    assert f"{worse} regressions, 0 improvements, {20 - worse} unchanged" in md[0]
    assert md.index("<details><summary>All comparisons and parameters</summary>") > 4
    assert "</details>" in md


def test_markdown_worst_first_is_direction_aware(tmp_path: Path) -> None:
    report = {
        "schema": "losscli.evaluate/1",
        "task": "regression",
        "params": {},
        "models": ["m"],
        "results": [
            {"model": "m", "group": None, "loss": "rmse", "value": 1.0},
            {"model": "m", "group": None, "loss": "r2", "value": 0.8},
        ],
    }
    worse = json.loads(json.dumps(report))
    worse["results"][0]["value"] = 1.01  # +1 %
    worse["results"][1]["value"] = 0.4  # −50 %: the worst
    (tmp_path / "a.json").write_text(json.dumps(report))
    (tmp_path / "b.json").write_text(json.dumps(worse))
    md = run(str(tmp_path / "a.json"), str(tmp_path / "b.json"), "-o", "markdown").stdout
    rows = [line for line in md.splitlines() if line.startswith("| m |")]
    assert "r2" in rows[0] and "rmse" in rows[1]


def test_gates_exit_1_with_one_line_each(tmp_path: Path) -> None:
    base, new = str(base_report(tmp_path)), str(noisy_copy(tmp_path))
    result = run(base, new, "--fail-if", "rmse>+2%", "--fail-if", "linear:rmse>+0.01")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("gate failed: rmse>+2%: rmse ")
    assert "model tree" in lines[0]
    ok = run(base, new, "--fail-if", "rmse>+50%")
    assert ok.exit_code == 0, ok.stderr
    reg = run(base, new, "--fail-on-regression")
    assert reg.exit_code == 1
    assert len(reg.stderr.splitlines()) == 10  # every loss of the tree model
    assert run(base, base, "--fail-on-regression").exit_code == 0


def test_gates_judge_each_group_with_one_line_per_failing_row(tmp_path: Path) -> None:
    # group b of the linear model gets worse, group a better: the overall MAE barely
    # moves, so a gate on the overall rows alone would pass
    frame = pd.read_csv(MODELS)
    frame["half"] = np.where(np.arange(len(frame)) < 250, "a", "b")
    base = tmp_path / "b.csv"
    frame.to_csv(base, index=False)
    worse = frame.copy()
    rng = np.random.default_rng(5)
    b = worse.half == "b"
    worse.loc[b, "pred_linear"] += rng.normal(0.0, 2.0, int(b.sum()))
    worse.loc[~b, "pred_linear"] = (
        0.8 * worse.loc[~b, "pred_linear"] + 0.2 * worse.loc[~b, "y_true"]
    )
    new = tmp_path / "n.csv"
    worse.to_csv(new, index=False)

    def mae(df: pd.DataFrame) -> float:
        return float(metrics.mean_absolute_error(df.y_true, df.pred_linear))

    pct = {
        g: 100
        * (mae(worse[worse.half == g]) - mae(frame[frame.half == g]))
        / mae(frame[frame.half == g])
        for g in ("a", "b")
    }
    overall = 100 * (mae(worse) - mae(frame)) / mae(frame)
    assert pct["b"] > 10 and pct["a"] < 0 and abs(overall) < 10  # (the oracle's numbers)
    args = [str(base), str(new), "--by", "half", "-l", "mae", "-l", "rmse"]
    result = run(*args, "--fail-if", "linear:mae>+10%")
    assert result.exit_code == 1, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("gate failed: linear:mae>+10%: mae ")
    assert line.endswith("model linear, group b)")
    doc = run_json(*args, "--fail-if", "linear:mae>+10%", code=1)
    assert [(g["group"], g["failed"]) for g in doc["gates"]] == [
        (None, False),
        ("a", False),
        ("b", True),
    ]
    (failed,) = [g for g in doc["gates"] if g["failed"]]
    assert failed["delta_pct"] == pytest.approx(pct["b"], rel=1e-9)
    # --fail-on-regression: one line per worse (model, group, loss) row
    reg = run(*args, "--fail-on-regression")
    assert reg.exit_code == 1
    lines = reg.stderr.splitlines()
    worse_rows = [c for c in run_json(*args)["changes"] if c["verdict"] == "worse"]
    assert len(lines) == len(worse_rows) >= 2
    for c in worse_rows:
        where = "" if c["group"] is None else f", group {c['group']}"
        assert any(
            f": {c['loss']} " in x and x.endswith(f"model {c['model']}{where})") for x in lines
        ), c
    assert any(x.endswith("model linear, group b)") for x in lines)


def test_gate_results_in_json(tmp_path: Path) -> None:
    base, new = str(base_report(tmp_path)), str(noisy_copy(tmp_path))
    doc = run_json(base, new, "--fail-if", "r2<-50%", code=0)
    assert [(g["model"], g["failed"], g["judged"]) for g in doc["gates"]] == [
        ("linear", False, "point"),
        ("tree", False, "point"),
    ]


def test_significant_gates_on_reports_with_intervals(tmp_path: Path) -> None:
    """Reports carrying intervals (as evaluate --ci writes them): a small rise inside
    the noise fails --fail-on-regression, but not with --significant."""
    doc = json.loads(base_report(tmp_path).read_text())
    doc["bootstrap"] = {"method": "percentile", "level": 0.95, "resamples": 1000, "seed": 1}
    for r in doc["results"]:
        r["ci_low"], r["ci_high"] = 0.9 * r["value"], 1.1 * r["value"]
    base = tmp_path / "ci_base.json"
    base.write_text(json.dumps(doc))
    for r in doc["results"]:  # +1 %: Δ = 0.01·v, its MOVER half-width ≈ √2·0.1·v
        r["value"], r["ci_low"], r["ci_high"] = (
            1.01 * r[k] for k in ("value", "ci_low", "ci_high")
        )
    new = tmp_path / "ci_new.json"
    new.write_text(json.dumps(doc))
    assert run(str(base), str(new), "--fail-on-regression").exit_code == 1
    result = run(str(base), str(new), "--fail-on-regression", "--significant")
    assert result.exit_code == 0, result.stderr
    assert "0 significant regressions" in result.stdout
    out = run_json(str(base), str(new), "--significant", "--fail-if", "rmse>+0.5%")
    assert {g["judged"] for g in out["gates"]} == {"difference"}
    assert all(c["significant"] is False for c in out["changes"])


def test_stdin_is_a_report_or_predictions(tmp_path: Path) -> None:
    base = str(base_report(tmp_path))
    new = noisy_copy(tmp_path)
    report = evaluate.run(str(new), "-o", "json").stdout
    a = run_json(base, "-", input=report)
    b = run_json(base, "-", input=new.read_text())
    assert a["new"]["kind"] == "report" and b["new"]["kind"] == "predictions"
    assert change(a, "tree", "mse")["delta"] == pytest.approx(change(b, "tree", "mse")["delta"])


def test_mismatch_refused_then_allowed(tmp_path: Path) -> None:
    base = str(base_report(tmp_path))
    line = run_error(base, str(MODELS), "--delta", "2")
    assert "the reports differ: parameter delta 1 (base) vs 2 (new)" in line
    assert "--allow-mismatch" in line
    doc = run_json(base, str(MODELS), "--delta", "2", "--allow-mismatch")
    assert doc["mismatches"][0] == "parameter delta 1 (base) vs 2 (new)"
    # the signature (evaluate writes one) names the same difference field by field
    assert doc["mismatches"][1:] in ([], ["signature: delta '1.0' (base) vs '2.0' (new)"])
    assert change(doc, "tree", "huber")["verdict"] != "unchanged"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"a": 1}', "is not a losscli report"),
        ("[1]", "is not a losscli report"),
        ("not json", "is not a losscli report (invalid JSON at line 1)"),
        ('{"schema": "losscli.evaluate/2"}', "has schema losscli.evaluate/2"),
        ('{"schema": "losscli.history/1"}', "is a losscli.history/1 document"),
    ],
)
def test_bad_reports(tmp_path: Path, content: str, message: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    line = run_error(str(bad), str(MODELS))
    assert message in line and "bad.json" in line


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rtol", "-1"], "--rtol must be a finite number >= 0"),
        (["--atol", "nan"], "--atol must be a finite number >= 0"),
        (["--fail-if", "rmse>2%"], "needs a sign"),
        (["--fail-if", "r2>+2%"], "would fail on an improvement"),
        (["--significant", "--fail-on-regression"], "--significant needs intervals"),
    ],
)
def test_bad_options(tmp_path: Path, args: list[str], message: str) -> None:
    line = run_error(str(MODELS), str(MODELS), *args)
    assert message in line


def test_missing_files_and_double_stdin(tmp_path: Path) -> None:
    assert "file not found: " in run_error(str(tmp_path / "nope.json"), str(MODELS))
    assert "nope.csv" in run_error(str(MODELS), str(tmp_path / "nope.csv"))
    assert "cannot both be stdin" in run_error("-", "-", input="")


def test_fifo_sides_are_read_once(tmp_path: Path) -> None:
    """A FIFO (as ``<(...)`` makes) is sniffed and evaluated from one spool."""
    import threading

    report = base_report(tmp_path)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_bytes(noisy_copy(tmp_path).read_bytes()))
    writer.start()
    doc = run_json(str(report), str(fifo))
    writer.join(10)
    assert doc["new"]["kind"] == "predictions" and doc["summary"]["worse"] == 10


def test_reports_alone_and_error_paths_load_no_numpy(tmp_path: Path) -> None:
    from conftest import probe_imports

    report = str(base_report(tmp_path))
    assert probe_imports("compare", report, report) == {"exit": 0, "loaded": []}
    assert probe_imports("compare", "--help") == {"exit": 0, "loaded": []}
    # a missing side is found before the other is evaluated
    assert probe_imports("compare", str(MODELS), str(tmp_path / "x.csv"))["loaded"] == []
    assert probe_imports("compare", report, report, "--fail-if", "r2>+1%")["loaded"] == []


# --------------------------------------------------------------------------- --key


def keyed(tmp_path: Path, name: str, order: list[int], *, shift: float = 0.0) -> Path:
    frame = pd.read_csv(MODELS).head(50)
    frame.insert(0, "row_id", [f"r{i}" for i in range(len(frame))])
    frame["pred_tree"] += shift
    path = tmp_path / name
    frame.iloc[order].to_csv(path, index=False)
    return path


def test_key_join_in_any_order(tmp_path: Path) -> None:
    base = keyed(tmp_path, "b.csv", list(range(50)))
    new = keyed(tmp_path, "n.csv", list(reversed(range(50))), shift=0.3)
    doc = run_json(str(base), str(new), "--key", "row_id")
    frame = pd.read_csv(base)
    expected = metrics.mean_absolute_error(frame.y_true, frame.pred_tree + 0.3)
    assert change(doc, "tree", "mae")["new"] == pytest.approx(expected)


def test_key_errors(tmp_path: Path) -> None:
    base = keyed(tmp_path, "b.csv", list(range(50)))
    dup = keyed(tmp_path, "d.csv", [*range(50), 7])
    short = keyed(tmp_path, "s.csv", list(range(49)))
    line = run_error(str(base), str(dup), "--key", "row_id")
    assert "d.csv: --key column 'row_id' has duplicate values: 'r7' at rows 8 and 51" in line
    line = run_error(str(base), str(short), "--key", "row_id")
    assert "1 row(s) of" in line and "b.csv do not join" in line and "row 50" in line
    assert "'r49'" in line
    assert "column 'nope' (--key) not found" in run_error(str(base), str(base), "--key", "nope")
    frame = pd.read_csv(base)
    frame.loc[3, "y_true"] += 1
    other = tmp_path / "t.csv"
    frame.to_csv(other, index=False)
    line = run_error(str(base), str(other), "--key", "row_id")
    assert "column 'y_true' differs between" in line and "first at row 4" in line
    report = base_report(tmp_path)
    assert "a report has no rows to join" in run_error(str(report), str(base), "--key", "row_id")


# --------------------------------------------------------------------------- text safety


def test_untrusted_model_names_stay_text(tmp_path: Path) -> None:
    hostile = "=cmd|@octocat\x1b[31m"
    frame = pd.read_csv(MODELS).head(40)
    frame = frame.rename(columns={"pred_tree": f"pred_{hostile}"})
    base = tmp_path / "b.csv"
    frame.to_csv(base, index=False)
    frame[f"pred_{hostile}"] += 0.5
    new = tmp_path / "n.csv"
    frame.to_csv(new, index=False)
    md = run(str(base), str(new), "-o", "markdown").stdout
    assert "\x1b" not in md and "@octocat" not in md and "@&#8203;octocat" in md
    assert "\\|" in md  # the pipe cannot break the table
    out = run(str(base), str(new), "-o", "csv").stdout
    assert "\x1b" not in out
    assert any(r["model"].startswith("'=") for r in csv.DictReader(io.StringIO(out)))
    table = run(str(base), str(new)).stdout
    assert "\x1b" not in table and "\\x1b" in table
    gate = run(str(base), str(new), "--fail-on-regression")
    assert gate.exit_code == 1 and "\x1b" not in gate.stderr


# --------------------------------------------------------------------------- --summary


def test_summary_appends_markdown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    link = tmp_path / "link.md"
    link.symlink_to(summary)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(link))
    base, new = str(base_report(tmp_path)), str(noisy_copy(tmp_path))
    result = run(base, new, "--summary", "-o", "json")
    assert result.exit_code == 0
    json.loads(result.stdout)  # stdout keeps its format
    text = summary.read_text()
    assert text.startswith("earlier step\n**losscli compare** · ")
    assert link.is_symlink()
    run(base, new, "--summary")
    assert summary.read_text().count("**losscli compare**") == 2


def test_summary_without_variable_or_to_a_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    assert run(str(MODELS), str(MODELS), "--summary").exit_code == 0
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path))
    line = run_error(str(MODELS), str(MODELS), "--summary")
    assert "$GITHUB_STEP_SUMMARY" in line and "directory" in line


def test_summary_to_a_fifo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(fifo))
    assert run(str(MODELS), str(MODELS), "--summary", "-o", "json").exit_code == 0
    reader.join(10)
    assert fifo.exists() and not fifo.is_file()  # still a FIFO
    assert got and got[0].startswith(b"**losscli compare**")


def test_evaluate_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = tmp_path / "s.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = evaluate.run(str(MODELS), "--summary", "-o", "csv")
    assert result.exit_code == 0 and result.stdout.startswith("model,group,loss")
    assert summary.read_text().startswith("**losscli evaluate**")


# --------------------------------------------------------------------------- options


def test_every_shared_evaluate_option_reaches_evaluate_file() -> None:
    """compare takes evaluate's options from its signature; each must map onto an
    evaluate_file argument or a LossParams field (else compare would drop it)."""
    from losscli.cli import compare_cmd, evaluate_cmd

    shared = [
        name
        for name in inspect.signature(evaluate_cmd.evaluate_command).parameters
        if name not in compare_cmd.NOT_SHARED
    ]
    assert {"true", "pred", "task", "weight", "by", "loss", "delta"} <= set(shared)
    defaults = {
        name: (p.default.default if p.default.default is not ... else None)
        for name, p in inspect.signature(evaluate_cmd.evaluate_command).parameters.items()
        if name in shared
    }
    from losscli.evaluate import LossParams, evaluate_file

    options, params = compare_cmd.evaluate_options(defaults)
    assert "preds" in options and "delta" in params
    LossParams(**params)  # (a TypeError for a keyword it does not take)
    inspect.signature(evaluate_file).bind("x.csv", params=LossParams(**params), **options)


def test_a_parameter_registered_at_run_time_is_a_compare_option(tmp_path: Path) -> None:
    """evaluate's options come from the registry (the toy loss of tests/registry_cases
    adds --power); compare takes them too, and passes them on to the evaluation."""
    from registry_cases import TOY_ID, toy_registered

    frame = pd.DataFrame({"y_true": [1.0, 2.0, 3.0, 4.0], "y_pred": [1.5, 2.0, 2.0, 5.0]})
    path = tmp_path / "toy.csv"
    frame.to_csv(path, index=False)
    with toy_registered():
        assert "--power" in run("--help").stdout
        doc = run_json(str(path), str(path), "--loss", "toy_power", "--power", "3")
        (row,) = doc["changes"]
        assert row["loss"] == TOY_ID and doc["params"] == {"power": 3.0}
        # mean |e|^3 of e = (-0.5, 0, 1, -1): (0.125 + 0 + 1 + 1) / 4
        assert row["base"] == pytest.approx(2.125 / 4)
    assert "--power" not in run("--help").stdout


def test_key_with_ci_is_paired_and_tighter_than_unpaired() -> None:
    """The same two files: joined on the key, one bootstrap over the same rows (paired);
    apart, the MOVER interval from each file's own interval. Both contain the point
    Δ of scikit-learn; the paired one is narrower (the two evaluations share rows, so
    their errors are positively correlated, which MOVER ignores)."""
    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "compare"
    base, new = str(fixtures / "keyed_base.csv"), str(fixtures / "keyed_new.csv")
    args = ["--ci", "--resamples", "400", "-l", "rmse"]
    paired = run_json(base, new, "--key", "row_id", *args)
    apart = run_json(base, new, *args)
    assert paired["significance"]["method"] == "paired"
    assert apart["significance"]["method"] == "mover"
    b = pd.read_csv(base)
    n = pd.read_csv(new).set_index("row_id").loc[b.row_id]
    delta = metrics.root_mean_squared_error(
        n.y_true, n.pred_tree
    ) - metrics.root_mean_squared_error(b.y_true, b.pred_tree)
    p, a = change(paired, "tree", "rmse"), change(apart, "tree", "rmse")
    for c in (p, a):
        assert c["delta"] == pytest.approx(delta, rel=1e-9)
        assert c["ci_low"] < delta < c["ci_high"]
    assert p["ci_high"] - p["ci_low"] < a["ci_high"] - a["ci_low"]
    assert p["p_value"] is not None and a["p_value"] is None


MULTICLASS = SAMPLES / "multiclass.csv"
CLASS_COLUMNS = ["prob_cat", "prob_dog", "prob_bird"]


def _multiclass_pair(tmp_path: Path) -> tuple[Path, Path, pd.DataFrame, pd.DataFrame]:
    """multiclass.csv with a row key, a group and a weight (BASE), and NEW: the same
    rows shuffled, probabilities mixed 30 % with seeded Dirichlet noise (worse)."""
    frame = pd.read_csv(MULTICLASS)
    frame.insert(0, "row_id", np.arange(len(frame)) * 7 + 3)
    frame["g"] = np.where(frame.row_id % 2 == 0, "even", "odd")
    frame["w"] = (frame.row_id % 5) + 0.5
    worse = frame.copy()
    rng = np.random.default_rng(1)
    noise = rng.dirichlet(np.ones(3), len(frame))
    worse[CLASS_COLUMNS] = 0.7 * frame[CLASS_COLUMNS].to_numpy() + 0.3 * noise
    worse = worse.sample(frac=1.0, random_state=2)
    base, new = tmp_path / "mb.csv", tmp_path / "mn.csv"
    frame.to_csv(base, index=False)
    worse.to_csv(new, index=False)
    return base, new, frame, worse.set_index("row_id").loc[frame.row_id].reset_index()


def _log_loss(df: pd.DataFrame, weighted: bool = False) -> float:
    labels = sorted(c.removeprefix("prob_") for c in CLASS_COLUMNS)  # (sklearn's order)
    return float(
        metrics.log_loss(
            df.label,
            df[[f"prob_{c}" for c in labels]].to_numpy(),
            labels=labels,
            sample_weight=df.w if weighted else None,
        )
    )


def test_multiclass_paired_key_with_ci(tmp_path: Path) -> None:
    # a model of one probability column per class, the files in other row orders: the
    # paired bootstrap of the joined rows; sklearn's log_loss gives the point values
    base, new, b, n = _multiclass_pair(tmp_path)
    args = [str(base), str(new), "--key", "row_id", "--ci", "--resamples", "300"]
    doc = run_json(*args, "-l", "cce", "-l", "zero_one")
    assert doc["significance"]["method"] == "paired" and doc["task"] == "multiclass"
    (model,) = {c["model"] for c in doc["changes"]}
    cce = change(doc, model, "categorical_crossentropy")
    assert cce["base"] == pytest.approx(_log_loss(b), rel=1e-12)
    assert cce["new"] == pytest.approx(_log_loss(n), rel=1e-12)
    assert cce["delta"] == pytest.approx(_log_loss(n) - _log_loss(b), rel=1e-9)
    assert cce["ci_low"] < cce["delta"] < cce["ci_high"]
    # the noise made every row's log loss worse on average: a clear regression
    assert cce["verdict"] == "worse" and cce["significant"] is True
    assert 0 < cce["p_value"] < 0.05
    err = change(doc, model, "zero_one")
    wrong = lambda df: float(  # noqa: E731
        metrics.zero_one_loss(
            df.label,
            np.asarray(["cat", "dog", "bird"])[np.argmax(df[CLASS_COLUMNS].to_numpy(), axis=1)],
        )
    )
    assert err["delta"] == pytest.approx(wrong(n) - wrong(b), abs=1e-12)
    assert err["ci_low"] <= err["delta"] <= err["ci_high"]
    # gates on the paired significance
    result = run(*args, "-l", "cce", "--fail-on-regression", "--significant")
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert "categorical_crossentropy" in line and f"model {model}" in line


def test_multiclass_paired_key_with_ci_by_group_and_weight(tmp_path: Path) -> None:
    base, new, b, n = _multiclass_pair(tmp_path)
    args = [str(base), str(new), "--key", "row_id", "--ci", "--resamples", "300"]
    doc = run_json(*args, "-l", "cce", "--by", "g", "--weight", "w")
    (model,) = {c["model"] for c in doc["changes"]}
    for group in (None, "even", "odd"):
        bg = b if group is None else b[b.g == group]
        ng = n if group is None else n[n.g == group]
        c = change(doc, model, "categorical_crossentropy", group)
        assert c["base"] == pytest.approx(_log_loss(bg, weighted=True), rel=1e-12)
        assert c["new"] == pytest.approx(_log_loss(ng, weighted=True), rel=1e-12)
        assert c["ci_low"] < c["delta"] < c["ci_high"], group
        assert c["p_value"] is not None


def test_multiclass_paired_key_with_classes_sharing_a_prefix(tmp_path: Path) -> None:
    # prob_cat, prob_cow, prob_crow share "prob_c": the joined frame's glob must still
    # be prob_* (else the classes would read "at", "ow", "row")
    rng = np.random.default_rng(4)
    n = 300
    labels = np.array(["cat", "cow", "crow"])
    proba = rng.dirichlet(np.ones(3), n)
    frame = pd.DataFrame({"id": np.arange(n), "label": labels[rng.integers(0, 3, n)]})
    for k, c in enumerate(labels):
        frame[f"prob_{c}"] = proba[:, k]
    worse = frame.copy()
    cols = [f"prob_{c}" for c in labels]
    worse[cols] = 0.5 * proba + 0.5 / 3
    base, new = tmp_path / "b.csv", tmp_path / "n.csv"
    frame.to_csv(base, index=False)
    worse.sample(frac=1.0, random_state=3).to_csv(new, index=False)
    doc = run_json(str(base), str(new), "--key", "id", "--ci", "--resamples", "200", "-l", "cce")
    (c,) = doc["changes"]
    want = [
        metrics.log_loss(d.label, d[cols].to_numpy(), labels=list(labels)) for d in (frame, worse)
    ]
    assert (c["base"], c["new"]) == pytest.approx(want, rel=1e-12)
    assert c["ci_low"] <= c["delta"] <= c["ci_high"]
