"""`losscli history` end to end: one fixture per format (tests/fixtures/history, written
the way each framework writes them: see make_fixtures.py there), the JSON shape, the
chart, the PNG, exit codes, and the bad inputs of issue 5."""

from __future__ import annotations

import json
import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from losscli.cli import app

from conftest import Cli, runner

_cli = Cli("history")
run, run_json = _cli.run, _cli.run_json

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "history"
ROOT = Path(__file__).resolve().parents[2]

KEYS = [
    "schema",
    "file",
    "format",
    "x",
    "points",
    "train",
    "val",
    "best_epoch",
    "best_val_loss",
    "final_train_loss",
    "final_val_loss",
    "gap",
    "verdict",
    "overfitting_since",
    "patience",
    "min_delta",
    "smoothing",
    "noise",
    "run",
    "runs",
]


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# --------------------------------------------------------------------------- formats


def test_keras_csvlogger() -> None:
    doc = run_json(str(FIXTURES / "keras_csvlogger.csv"))
    assert list(doc) == KEYS
    # epochs 0..11; val lowest at epoch 6 (0.425 as float32), above it from epoch 7 on
    assert doc["schema"] == "losscli.history/1"
    assert (doc["format"], doc["x"], doc["points"]) == ("keras", "epoch", 12)
    assert (doc["train"], doc["val"]) == ("loss", "val_loss")
    assert doc["best_epoch"] == 6
    assert doc["best_val_loss"] == pytest.approx(0.425, abs=1e-7)
    assert doc["final_train_loss"] == pytest.approx(0.11, abs=1e-7)
    assert doc["final_val_loss"] == pytest.approx(0.58, abs=1e-7)
    assert doc["gap"] == pytest.approx(0.47, abs=1e-6)
    assert (doc["verdict"], doc["overfitting_since"]) == ("overfitting", 7)
    # default min_delta = σ (12 points: no smoothing), σ = median|y − running median of
    # 3| / 0.3136; by hand: val falls monotonically to epoch 6 then rises, so the only
    # non-zero residual is at epoch 6 (0.425 − median(0.43, 0.425, 0.44)): median 0, d = 0
    assert doc["patience"] == 3 and doc["smoothing"] == 0.0
    assert (doc["min_delta"], doc["noise"]) == (0.0, 0.0)


def test_lightning_metrics_csv() -> None:
    doc = run_json(str(FIXTURES / "lightning_metrics.csv"))
    # one point per epoch from train_loss_epoch (not the _step rows) and val_loss
    assert (doc["format"], doc["x"], doc["points"]) == ("lightning", "epoch", 6)
    assert (doc["train"], doc["val"]) == ("train_loss_epoch", "val_loss")
    assert doc["final_train_loss"] == pytest.approx(0.31, abs=1e-7)  # not the _step 0.33
    assert (doc["best_epoch"], doc["verdict"]) == (5, "improving")
    assert doc["best_val_loss"] == pytest.approx(0.36, abs=1e-7)


def test_lightning_by_step_aligns_validation_with_training() -> None:
    doc = run_json(str(FIXTURES / "lightning_metrics.csv"), "--x", "step")
    # validation at steps 63, 127, ..., 383; the last one is the best
    assert (doc["x"], doc["points"], doc["best_epoch"]) == ("step", 6, 383)
    assert doc["train"] == "train_loss_step"
    # last train_loss_step at or before step 383 is step 349 (epoch 5): 0.31 + 0.02
    assert doc["final_train_loss"] == pytest.approx(0.33, abs=1e-7)


def test_huggingface_trainer_state() -> None:
    doc = run_json(str(FIXTURES / "trainer_state.json"))
    # 9 evaluations (every 50 steps over 450); best eval_loss 0.49 at step 250 = epoch 5/3;
    # the train_runtime summary entry (train_loss 0.5012) is not a point
    assert (doc["format"], doc["x"], doc["points"]) == ("huggingface", "epoch", 9)
    assert (doc["train"], doc["val"]) == ("loss", "eval_loss")
    assert doc["best_epoch"] == pytest.approx(250 / 150)
    assert doc["best_val_loss"] == 0.49
    assert doc["final_train_loss"] == 0.412  # loss logged at step 450
    assert doc["final_val_loss"] == 0.4915
    # the training loss is flat after the best (0.41 → 0.412): converged, not overfitting
    assert doc["verdict"] == "converged"


def test_huggingface_by_step() -> None:
    doc = run_json(str(FIXTURES / "trainer_state.json"), "--x", "step")
    assert (doc["x"], doc["best_epoch"]) == ("step", 250)


def test_huggingface_aligns_each_evaluation_with_the_last_training_loss(tmp_path: Path) -> None:
    state = {
        "log_history": [
            {"epoch": 0.5, "loss": 1.0, "step": 10},
            {"epoch": 0.9, "loss": 0.8, "step": 18},
            {"epoch": 1.0, "eval_loss": 0.9, "step": 20},
            {"epoch": 2.0, "loss": 0.6, "step": 40},
            {"epoch": 2.0, "eval_loss": 0.7, "step": 40},
            {"epoch": 2.0, "step": 40, "train_loss": 99.0, "train_runtime": 1.0},
        ]
    }
    doc = run_json(write(tmp_path, "trainer_state.json", json.dumps(state)))
    # eval @20 pairs with loss @18 (0.8), eval @40 with loss @40 (0.6)
    assert (doc["points"], doc["final_train_loss"], doc["gap"]) == (2, 0.6, pytest.approx(0.1))


def test_huggingface_named_eval_dataset(tmp_path: Path) -> None:
    # eval_dataset={"holdout": ...} makes the Trainer log eval_holdout_loss
    state = {
        "log_history": [
            {"epoch": 1.0, "loss": 1.0, "step": 10},
            {"epoch": 1.0, "eval_holdout_loss": 0.9, "step": 10},
            {"epoch": 2.0, "loss": 0.8, "step": 20},
            {"epoch": 2.0, "eval_holdout_loss": 0.85, "step": 20},
        ]
    }
    doc = run_json(write(tmp_path, "trainer_state.json", json.dumps(state)))
    assert (doc["val"], doc["best_epoch"], doc["best_val_loss"]) == ("eval_holdout_loss", 2, 0.85)


def test_huggingface_nan_loss_is_diverged(tmp_path: Path) -> None:
    text = (
        '{"log_history": [{"epoch": 1.0, "loss": 1.0, "step": 5},'
        '{"epoch": 1.0, "eval_loss": 1.0, "step": 5}, {"epoch": 2.0, "loss": NaN, "step": 10},'
        '{"epoch": 2.0, "eval_loss": NaN, "step": 10}]}'
    )
    doc = run_json(write(tmp_path, "trainer_state.json", text))
    assert doc["verdict"] == "diverged"
    assert doc["final_train_loss"] is None  # JSON has no NaN


def test_generic_csv() -> None:
    doc = run_json(str(FIXTURES / "generic.csv"))
    assert (doc["format"], doc["x"], doc["points"], doc["best_epoch"]) == ("generic", "epoch", 5, 5)
    assert (doc["train"], doc["val"], doc["verdict"]) == ("train_loss", "val_loss", "improving")


def test_generic_tsv_jsonl_parquet(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(
        {
            "step": [100, 200, 300, 400],
            "Loss": [1.0, 0.7, 0.5, 0.4],
            "Eval_Loss": [1, 0.8, 0.7, 0.6],
        }
    )
    tsv = tmp_path / "log.tsv"
    frame.to_csv(tsv, sep="\t", index=False)
    jsonl = tmp_path / "log.jsonl"
    frame.to_json(jsonl, orient="records", lines=True)
    parquet = tmp_path / "log.parquet"
    frame.to_parquet(parquet)
    for path in (tsv, jsonl, parquet):
        doc = run_json(str(path))
        assert (doc["format"], doc["x"], doc["points"]) == ("generic", "step", 4), path
        assert (doc["train"], doc["val"], doc["best_epoch"]) == ("Loss", "Eval_Loss", 400), path


def test_sample_train_log_through_make_demo_command() -> None:
    sample = ROOT / "sample_data" / "train_log.csv"
    if not sample.exists():
        pytest.skip("sample_data/train_log.csv not generated yet")
    doc = run_json(str(sample))
    # make_samples.py: validation loss lowest at epoch 14, rising after it (by more than
    # the default min_delta: σ, σ from the wiggles of the curve, computed here from the
    # documented formula)
    import numpy as np

    rows = sample.read_text().splitlines()[1:]
    v = np.array([float(r.split(",")[2]) for r in rows])
    med = np.median(np.stack([v[:-2], v[1:-1], v[2:]]), axis=0)
    d = np.median(np.abs(v[1:-1] - med)) / 0.3136
    assert v[14] > v[13] + d
    assert doc["min_delta"] == pytest.approx(d)
    assert (doc["verdict"], doc["best_epoch"], doc["overfitting_since"]) == ("overfitting", 14, 15)
    assert "history sample_data/train_log.csv" in (ROOT / "Makefile").read_text()


def test_lightning_plain_columns_on_separate_rows(tmp_path: Path) -> None:
    # self.log("train_loss", ...) in training_step (on_step only) and "val_loss" on epoch:
    # no _epoch/_step variants, train and val never on the same row → lightning; the
    # training value of an epoch is the mean of the steps logged in it (issue 13, class 4):
    # epoch 1: (0.7 + 0.6) / 2 = 0.65.
    text = (
        "epoch,step,train_loss,val_loss\r\n"
        "0,49,0.9,\r\n0,99,0.8,\r\n0,99,,0.85\r\n"
        "1,149,0.7,\r\n1,199,0.6,\r\n1,199,,0.65\r\n"
    )
    doc = run_json(write(tmp_path, "metrics.csv", text))
    assert (doc["format"], doc["points"], doc["train"]) == ("lightning", 2, "train_loss")
    assert doc["final_train_loss"] == pytest.approx(0.65)
    assert doc["final_val_loss"] == 0.65


def test_lightning_1x_unsorted_header(tmp_path: Path) -> None:
    # lightning < 2.1 wrote the keys in first-seen order, not sorted
    text = (
        "train_loss_step,epoch,step,val_loss,train_loss_epoch\r\n"
        "0.95,0,49,,\r\n,0,63,0.9,\r\n,0,63,,0.93\r\n"
        "0.75,1,99,,\r\n,1,127,0.8,\r\n,1,127,,0.77\r\n"
    )
    doc = run_json(write(tmp_path, "metrics.csv", text))
    assert (doc["format"], doc["points"], doc["train"]) == ("lightning", 2, "train_loss_epoch")
    assert (doc["final_train_loss"], doc["best_val_loss"]) == (0.77, 0.8)


def test_stdin_table_and_trainer_state() -> None:
    csv_text = (FIXTURES / "generic.csv").read_text()
    result = runner.invoke(app, ["history", "-", "-o", "json"], input=csv_text)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["file"] == "<stdin>"
    state = (FIXTURES / "trainer_state.json").read_text()
    result = runner.invoke(app, ["history", "-", "-o", "json"], input=state)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["format"] == "huggingface"


# ------------------------------------------------------------------ NaN, NA, duplicates


def test_nan_in_validation_column_is_diverged_not_a_crash(tmp_path: Path) -> None:
    path = write(tmp_path, "log.csv", "epoch,loss,val_loss\n0,1.0,1.1\n1,0.8,0.9\n2,nan,nan\n")
    doc = run_json(path)
    assert doc["verdict"] == "diverged"
    assert doc["best_epoch"] == 1  # best over the finite values


def test_nan_only_in_validation_is_diverged(tmp_path: Path) -> None:
    path = write(
        tmp_path, "log.csv", "epoch,train_loss,val_loss\n1,1.0,1.1\n2,0.8,nan\n3,0.7,0.6\n"
    )
    assert run_json(path)["verdict"] == "diverged"


NAN_LOG = "epoch,train_loss,val_loss\n1,1.0,1.1\n2,0.8,nan\n3,0.7,0.6\n"


def test_nan_on_stdin() -> None:
    result = runner.invoke(app, ["history", "-", "-o", "json"], input=NAN_LOG)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["verdict"] == "diverged"


def test_nan_in_compressed_csv(tmp_path: Path) -> None:
    import gzip

    text = NAN_LOG
    path = tmp_path / "log.csv.gz"
    path.write_bytes(gzip.compress(text.encode()))
    assert run_json(str(path))["verdict"] == "diverged"
    # the same file with an empty cell instead of nan: a missing value, not divergence
    path.write_bytes(gzip.compress(text.replace("nan", "").encode()))
    assert run_json(str(path))["verdict"] == "improving"


def test_nan_in_parquet_training_column_is_diverged(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    path = tmp_path / "log.parquet"
    pd.DataFrame({"epoch": [0, 1, 2], "loss": [1.0, float("nan"), 0.5]}).to_parquet(path)
    assert run_json(str(path))["verdict"] == "diverged"


def test_keras_na_is_a_missing_validation_not_a_nan(tmp_path: Path) -> None:
    # validation_freq=2: Keras writes NA for the epochs it did not validate
    text = "epoch,loss,val_loss\r\n0,1.0,NA\r\n1,0.8,0.9\r\n2,0.7,NA\r\n3,0.6,0.8\r\n4,0.5,NA\r\n"
    doc = run_json(write(tmp_path, "log.csv", text))
    assert (doc["format"], doc["verdict"], doc["points"]) == ("keras", "improving", 5)
    assert (doc["best_epoch"], doc["final_val_loss"]) == (3, 0.8)


def test_duplicate_epochs_last_wins_with_warning(tmp_path: Path) -> None:
    # training resumed from epoch 2: the second epoch-2 row (0.65, 0.75) replaces the first
    text = "epoch,train_loss,val_loss\n1,1.0,1.0\n2,0.7,0.9\n2,0.65,0.75\n3,0.6,0.8\n"
    result = run(write(tmp_path, "log.csv", text), "-o", "json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["points"] == 3
    assert (doc["best_epoch"], doc["best_val_loss"]) == (2, 0.75)
    assert "losscli: warning:" in result.stderr and "more than once" in result.stderr


def test_rows_without_any_loss_are_skipped_with_warning(tmp_path: Path) -> None:
    result = run(write(tmp_path, "log.csv", "epoch,loss\n0,1.0\n1,\n2,0.5\n"), "-o", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["points"] == 2
    assert "1 row(s) without any loss value" in result.stderr


# --------------------------------------------------------------------------- output


def test_table_output_is_plain_ascii_with_chart_when_not_a_terminal() -> None:
    result = run(str(FIXTURES / "keras_csvlogger.csv"))
    assert result.exit_code == 0
    out = result.stdout
    assert out.isascii()
    assert "overfitting" in out and "best 6" in out
    assert "* train (loss)" in out and "o val (val_loss)" in out
    lines = out.splitlines()
    chart = [ln for ln in lines if re.match(r"^[ 0-9.e+-]* \|", ln)]
    assert len(chart) >= 10
    assert all(len(ln) <= 80 for ln in chart)
    # the x axis marks the best epoch (^) and the overfitting region (~)
    axis = next(ln for ln in lines if ln.startswith(" ") and ln.strip().startswith("+-"))
    assert axis.index("^") < axis.index("~")


def test_braille_chart_fits_80_columns_on_a_terminal() -> None:
    from losscli import history
    from losscli.render import history as render

    log = history.read_log(FIXTURES / "keras_csvlogger.csv")
    text = render.history_chart(history.analyse_log(log), width=80, unicode=True)
    lines = text.plain.splitlines()
    assert all(len(ln) <= 80 for ln in lines)
    assert any("\u2800" < ch <= "\u28ff" for ln in lines for ch in ln)


def test_column_names_are_never_markup(tmp_path: Path) -> None:
    path = write(tmp_path, "log.csv", "epoch,[bold]x[/bold]\n0,1.0\n1,0.5\n")
    result = run(path, "--train", "[bold]x[/bold]")
    assert result.exit_code == 0, result.stderr
    assert "[bold]x[/bold]" in result.stdout


def test_training_only_log_says_no_overfitting_verdict(tmp_path: Path) -> None:
    result = run(write(tmp_path, "log.csv", "epoch,loss\n0,1.0\n1,0.7\n2,0.5\n"))
    assert result.exit_code == 0
    assert "no overfitting verdict" in " ".join(result.stdout.split())
    doc = run_json(write(tmp_path, "log2.csv", "epoch,loss\n0,1.0\n1,0.7\n2,0.5\n"))
    assert (doc["val"], doc["best_epoch"], doc["final_val_loss"], doc["gap"]) == (
        None,
        None,
        None,
        None,
    )


def test_explicit_columns(tmp_path: Path) -> None:
    text = "epoch,a,b,loss,val_loss\n0,1.0,2.0,9,9\n1,0.5,1.0,9,9\n2,0.4,1.5,9,9\n3,0.3,1.6,9,9\n"
    doc = run_json(write(tmp_path, "log.csv", text), "--train", "a", "--val", "b")
    assert (doc["train"], doc["val"], doc["best_epoch"]) == ("a", "b", 1)


# ------------------------------------------------------------------------- exit codes


def test_fail_on_overfit_exits_1_after_printing() -> None:
    result = run(str(FIXTURES / "keras_csvlogger.csv"), "--fail-on-overfit", "-o", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["verdict"] == "overfitting"


def test_fail_on_overfit_exits_1_when_diverged(tmp_path: Path) -> None:
    path = write(tmp_path, "log.csv", "epoch,loss\n0,1.0\n1,inf\n")
    assert run(path, "--fail-on-overfit").exit_code == 1


def test_fail_on_overfit_passes_other_verdicts() -> None:
    for name in ("lightning_metrics.csv", "trainer_state.json", "generic.csv"):
        assert run(str(FIXTURES / name), "--fail-on-overfit").exit_code == 0, name


def test_overfitting_without_the_flag_exits_0() -> None:
    assert run(str(FIXTURES / "keras_csvlogger.csv")).exit_code == 0


def test_patience_option_changes_the_verdict() -> None:
    # keras fixture: 5 epochs above the best; patience 6 → still "improving"? No: 5 < 6
    doc = run_json(str(FIXTURES / "keras_csvlogger.csv"), "--patience", "6")
    assert (doc["verdict"], doc["patience"], doc["overfitting_since"]) == ("improving", 6, None)


# ------------------------------------------------------------------------------ PNG


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert (length, kind) == (13, b"IHDR")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_plot_writes_a_png_of_the_expected_size(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    out = tmp_path / "curves.png"
    result = run(str(FIXTURES / "keras_csvlogger.csv"), "--plot", str(out))
    assert result.exit_code == 0, result.stderr
    assert png_size(out.read_bytes()) == (800, 500)
    assert [p.name for p in tmp_path.iterdir()] == ["curves.png"]  # no temp file left


def test_plot_without_matplotlib_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for mod in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, mod)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib → ImportError
    out = tmp_path / "curves.png"
    result = run(str(FIXTURES / "keras_csvlogger.csv"), "--plot", str(out))
    assert result.exit_code == 2
    assert "install losscli[plot]" in result.stderr
    assert result.stderr.startswith("losscli: error:")
    assert not out.exists()


def test_plot_into_missing_folder_is_an_error(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    result = run(str(FIXTURES / "generic.csv"), "--plot", str(tmp_path / "no" / "x.png"))
    assert result.exit_code == 2
    assert "cannot write" in result.stderr


# ------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("name", "text", "needles"),
    [
        (
            "nocol.csv",
            "epoch,acc,val_acc\n0,0.5,0.4\n1,0.6,0.5\n",
            ["nocol.csv", "no training loss column", "'acc'", "'val_acc'"],
        ),
        (
            "text.csv",
            "epoch,train_loss,val_loss\n1,1.0,1.0\n2,0.9,oops\n3,0.8,0.7\n",
            ["text.csv", "'val_loss'", "row 2", "oops"],
        ),
        ("one.csv", "epoch,train_loss\n1,1.0\n", ["one.csv", "need at least 2"]),
        ("empty.csv", "", ["empty.csv", "empty"]),
        ("header.csv", "epoch,train_loss\n", ["header.csv", "no data rows"]),
        ("list.json", "[1, 2]", ["list.json", "not a Hugging Face trainer_state.json"]),
        ("obj.json", '{"epoch": 3}', ["obj.json", "log_history"]),
        ("bad.json", '{"log_history": [', ["bad.json", "not valid JSON"]),
        ("empty.json", "  \n", ["empty.json", "empty"]),
        (
            "noloss.json",
            '{"log_history": [{"eval_loss": 1.0, "step": 1}]}',
            ["noloss.json", "no training loss", "eval_loss"],
        ),
        (
            "textloss.json",
            '{"log_history": [{"loss": "x", "step": 1}]}',
            ["textloss.json", "row 1", "'loss'"],
        ),
    ],
)
def test_bad_input_exits_2_with_one_line(
    tmp_path: Path, name: str, text: str, needles: list[str]
) -> None:
    result = run(write(tmp_path, name, text))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("losscli: error:")
    assert result.stderr.count("\n") == 1
    for needle in needles:
        assert needle in result.stderr, (needle, result.stderr)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    for target in (tmp_path / "nope.csv", tmp_path / "nope.json", tmp_path):
        result = run(str(target))
        assert result.exit_code == 2
        assert str(target) in result.stderr


def test_unknown_column_requested(tmp_path: Path) -> None:
    result = run(str(FIXTURES / "generic.csv"), "--val", "nope")
    assert result.exit_code == 2
    assert "'nope' not found" in result.stderr and "'val_loss'" in result.stderr


def test_step_axis_without_step_column() -> None:
    result = run(str(FIXTURES / "generic.csv"), "--x", "step")
    assert result.exit_code == 2
    assert "--x step" in result.stderr


def test_bad_patience_is_a_usage_error() -> None:
    result = run(str(FIXTURES / "generic.csv"), "--patience", "0")
    assert result.exit_code == 2
    assert "--patience" in result.stderr


# --------------------------------------------------------------------------- start-up


def test_history_command_module_imports_no_numpy_pandas_matplotlib() -> None:
    code = (
        "import sys, losscli.cli.history_cmd\n"
        "bad = [m for m in ('numpy', 'pandas', 'pyarrow', 'matplotlib') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert proc.stdout.strip() == ""


@pytest.mark.parametrize(
    ("fixture", "suffix"),
    [
        ("generic.csv", ".zst"),
        ("keras_csvlogger.csv", ".zstd"),
        ("training.log", ".zst"),  # no table suffix: the content says CSV
        ("trainer_state.json", ".zst"),
        ("yolov5_results.csv", ".xz"),
    ],
)
def test_compressed_logs_read_as_the_plain_file(tmp_path: Path, fixture: str, suffix: str) -> None:
    import lzma

    import zstandard

    raw = (FIXTURES / fixture).read_bytes()
    packed = lzma.compress(raw) if suffix == ".xz" else zstandard.ZstdCompressor().compress(raw)
    path = tmp_path / (fixture + suffix)
    path.write_bytes(packed)
    plain = run_json(str(FIXTURES / fixture))
    doc = run_json(str(path))
    assert doc["file"] == str(path)
    assert {**doc, "file": ""} == {**plain, "file": ""}
