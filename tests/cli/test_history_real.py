"""Issue 13's ten classes of real-log failure, one fixture each, written the way the
framework writes its log (tests/fixtures/history/make_real_shapes.py cites each
writer). Expected numbers are derived by hand from the generating formulas there."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from conftest import Cli

_cli = Cli("history")
run, doc_of = _cli.run, _cli.run_json_stderr

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "history"


def error_of(*args: str) -> str:
    result = run(*args)
    assert result.exit_code == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("losscli: error: ")
    return lines[0]


# 1. Keras CSVLogger under any name; --format like evaluate's


def test_keras_training_log_without_flags() -> None:
    doc, _ = doc_of(str(FIXTURES / "training.log"))
    # val = 1.1/(e+1) + 0.02·max(0, e−5): e=6: 0.15714+0.02 = 0.17714 (lowest), e=7:
    # 0.1375+0.04 = 0.1775, e=8 0.18222, e=9 0.19 → above from 7 on, train 1/(e+1) falls
    assert (doc["format"], doc["points"], doc["best_epoch"]) == ("keras", 10, 6)
    assert doc["best_val_loss"] == pytest.approx(1.1 / 7 + 0.02, abs=1e-6)
    assert doc["final_train_loss"] == pytest.approx(0.1, abs=1e-7)
    assert (doc["verdict"], doc["overfitting_since"]) == ("overfitting", 7)


def test_format_option_reads_a_log_of_any_name(tmp_path: Path) -> None:
    path = tmp_path / "log.txt"
    path.write_text("a;b\n")  # no epoch/loss header: the content does not say
    assert "use --format" in error_of(str(path))
    path.write_text("epoch\tloss\tval_loss\n0\t1.0\t1.1\n1\t0.5\t0.7\n2\t0.4\t0.6\n")
    doc, _ = doc_of(str(path))  # sniffed: a TSV header with epoch and loss
    assert (doc["points"], doc["best_epoch"]) == (3, 2)
    doc, _ = doc_of(str(path), "--format", "tsv")
    assert doc["final_val_loss"] == 0.6
    assert "invalid value for '--format'" in run(str(path), "--format", "xml").stderr.lower()


# 2 + 4. Lightning: LearningRateMonitor rows, per-step train_loss, a stopped last epoch


def test_lightning_lr_monitor_rows_and_per_step_mean() -> None:
    doc, err = doc_of(str(FIXTURES / "lightning_steps_metrics.csv"))
    # 6 full epochs; epoch e's logged steps are 1/(e+1) + 0.01·(i−2), i = 0..4: mean
    # exactly 1/(e+1) (the last batch alone would be 1/(e+1) + 0.02); epoch 6 stopped
    # after 20 batches, without validation: dropped
    assert (doc["format"], doc["x"], doc["points"]) == ("lightning", "epoch", 6)
    assert doc["final_train_loss"] == pytest.approx(1 / 6)
    assert (doc["best_epoch"], doc["best_val_loss"], doc["final_val_loss"]) == (5, 0.37, 0.37)
    assert doc["verdict"] == "improving"  # the best is the last epoch
    assert "epoch 6 did not finish" in err


# 3 + 8. One epoch, many steps; a test_loss logged once is not a validation curve


def test_one_epoch_falls_back_to_steps_and_ignores_test_loss() -> None:
    doc, err = doc_of(str(FIXTURES / "lightning_one_epoch_metrics.csv"))
    # 20 training losses 2/(1 + s/100) at s = 19, 39, …, 399; test_loss once
    assert (doc["x"], doc["points"], doc["val"]) == ("step", 20, None)
    assert doc["final_train_loss"] == pytest.approx(2 / (1 + 399 / 100))
    assert doc["verdict"] == "improving"  # strictly falling to the last point
    assert "using the step axis" in err and "'test_loss' has 1 value" in err


def test_named_column_with_one_value_is_an_error() -> None:
    line = error_of(str(FIXTURES / "lightning_one_epoch_metrics.csv"), "--val", "test_loss")
    assert "'test_loss'" in line


# 5. A mistyped --train/--val is an error on every format


@pytest.mark.parametrize(
    "name",
    ["trainer_state.json", "keras_csvlogger.csv", "lightning_metrics.csv", "yolov8_results.csv"],
)
@pytest.mark.parametrize("flag", ["--train", "--val"])
def test_mistyped_column_is_an_error(name: str, flag: str) -> None:
    line = error_of(str(FIXTURES / name), flag, "val_los")
    assert "'val_los'" in line and name in line


# 6. CSVLogger(append=True): runs split where the epoch restarts


def test_appended_runs_split_last_by_default() -> None:
    path = str(FIXTURES / "training_append.log")
    doc, err = doc_of(path)
    # run 2: train .8 .6 .5 .45 .42, val .85 .7 .62 .6 .61 → best epoch 3
    assert (doc["run"], doc["runs"], doc["points"], doc["best_epoch"]) == (2, 2, 5, 3)
    assert "holds 2 runs" in err and "--run" in err
    doc, _ = doc_of(path, "--run", "1")
    assert (doc["run"], doc["points"], doc["final_val_loss"]) == (1, 3, pytest.approx(0.75))
    result = run(path, "--run", "all", "-o", "json")
    docs = json.loads(result.stdout)
    assert [d["run"] for d in docs] == [1, 2] and [d["points"] for d in docs] == [3, 5]
    assert "holds 2 run(s)" in error_of(path, "--run", "3")


# 7. Rounded epochs: the step axis


def test_rounded_epochs_use_steps() -> None:
    doc, err = doc_of(str(FIXTURES / "trainer_state_rounded.json"))
    # 400 training losses at steps 50..20000, epochs 0.0025 apart rounded to 0.01: the
    # epoch axis would keep ~100; one evaluation → train only
    assert (doc["x"], doc["points"], doc["val"]) == ("step", 400, None)
    assert doc["final_train_loss"] == round(3 / (1 + 20000 / 2000), 4)
    assert doc["verdict"] == "improving"
    assert "using the step axis" in err and "only 1 evaluation" in err
    line = error_of(str(FIXTURES / "trainer_state_rounded.json"), "--val", "eval_los")
    assert "'eval_los'" in line


# 9. Noise: smoothed verdicts with known truth, where the unsmoothed rules get it wrong


@pytest.mark.parametrize(
    ("name", "truth", "raw"),
    [
        ("noisy_still_falling.csv", "improving", "converged"),
        ("noisy_plateau.csv", "converged", "overfitting"),
        ("noisy_overfit.csv", "overfitting", "overfitting"),
    ],
)
def test_noise_robust_verdict(name: str, truth: str, raw: str) -> None:
    path = str(FIXTURES / name)
    doc, _ = doc_of(path)
    assert doc["verdict"] == truth
    assert doc["smoothing"] > 0.5  # 100–600 points: span ≥ 5
    raw_doc, _ = doc_of(path, "--smoothing", "0", "--min-delta", "0")
    assert raw_doc["verdict"] == raw  # session 1's rules: noise decides


def test_noise_estimate_matches_simulated_sigma() -> None:
    import random

    from losscli import history

    # a falling curve plus N(0, 0.03²): the trend is cancelled by the running median
    rng = random.Random(7)
    ys = [2 / (1 + i / 500) + rng.gauss(0, 0.03) for i in range(5000)]
    assert history.noise_sigma(ys) == pytest.approx(0.03, rel=0.08)
    assert history.noise_sigma([1 / (1 + i) for i in range(50)]) == 0.0  # monotone
    assert history.noise_sigma([abs(i - 20) for i in range(50)]) == 0.0  # one turn


def test_ema_is_tensorboards_debiased_ema() -> None:
    from losscli import history

    # by hand, w = 0.5: last = 0.5·1 = 0.5 → /(1 − 0.5) = 1; last = 0.25 + 0.5·3 = 1.75 →
    # /(1 − 0.25) = 2.3333; None passes through; inf passes through, not accumulated
    out = history.ema([1.0, None, 3.0, math.inf], 0.5)
    assert out[0] == 1.0 and out[1] is None and out[3] == math.inf
    assert out[2] == pytest.approx(1.75 / 0.75)


def test_smoothed_curve_in_the_chart() -> None:
    result = run(str(FIXTURES / "noisy_overfit.csv"))
    assert result.exit_code == 0
    assert "EMA 0.67" in result.stdout  # the legend names the smoothed curves


# 10. Ultralytics results.csv: sums of the loss components, YOLOv5's padded headers


def test_yolov8_results_sum_components() -> None:
    doc, _ = doc_of(str(FIXTURES / "yolov8_results.csv"))
    # val sums: 2.95, 2.53, 2.36 (epoch 3, 1-based), 2.41; train at epoch 4: 2.28
    assert (doc["format"], doc["points"], doc["best_epoch"]) == ("ultralytics", 4, 3)
    assert doc["best_val_loss"] == pytest.approx(0.9 + 0.5 + 0.96)
    assert doc["final_train_loss"] == pytest.approx(0.85 + 0.5 + 0.93)
    assert doc["train"] == "train/box_loss+train/cls_loss+train/dfl_loss"


def test_yolov5_padded_headers() -> None:
    path = str(FIXTURES / "yolov5_results.csv")
    doc, _ = doc_of(path)
    # epoch from 0; components /10: val sum at epoch 2 = (0.9 + 0.96 + 0.5)/10
    assert (doc["format"], doc["best_epoch"]) == ("ultralytics", 2)
    assert doc["best_val_loss"] == pytest.approx(0.236)
    doc, _ = doc_of(path, "--train", "train/box_loss", "--val", "val/box_loss")
    assert (doc["train"], doc["final_train_loss"]) == ("train/box_loss", pytest.approx(0.085))


def test_prefixed_loss_names_of_other_kinds(tmp_path: Path) -> None:
    # seen in a real Lightning log: 'train/nll_loss' and 'val/rmse_loss', with
    # LearningRateMonitor rows; the one prefixed *loss column of each role is taken
    path = tmp_path / "metrics.csv"
    path.write_text(
        "epoch,lr-Adam,step,train/nll_loss,val/rmse_loss\n"
        ",0.003,49,,\n0,,49,0.9,\n0,,49,,0.8\n"
        ",0.003,99,,\n1,,99,0.6,\n1,,99,,0.7\n"
        ",0.003,149,,\n2,,149,0.5,\n2,,149,,0.75\n"
    )
    doc, _ = doc_of(str(path))
    assert (doc["format"], doc["train"], doc["val"]) == (
        "lightning",
        "train/nll_loss",
        "val/rmse_loss",
    )
    assert (doc["points"], doc["best_epoch"], doc["final_train_loss"]) == (3, 1, 0.5)
    path.write_text("epoch,train_a_loss,train_b_loss\n0,1,1\n1,0.5,0.5\n")  # two: ambiguous
    assert "no training loss column" in error_of(str(path))
