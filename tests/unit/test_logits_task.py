"""``--logits`` implies classification: a 0/1 truth with raw scores is binary (not
regression because the scores leave [0, 1]); a family of class-score columns is
multiclass. Oracles: scikit-learn's log loss on the sigmoid / softmax of the scores."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import expit, softmax
from sklearn import metrics

from losscli.evaluate import evaluate_file


def test_logits_with_a_01_truth_is_binary(tmp_path: Path) -> None:
    rng = np.random.default_rng(21)
    z = rng.normal(0, 3, 400)  # raw scores, most outside [0, 1]
    y = (rng.random(400) < expit(z)).astype(int)
    path = tmp_path / "scores.csv"
    pd.DataFrame({"y_true": y, "y_pred": z}).to_csv(path, index=False)
    from losscli.evaluate import LossParams

    report = evaluate_file(str(path), params=LossParams(logits=True))
    assert report.task == "binary"
    want = metrics.log_loss(y, expit(z))
    assert abs(report.value("y_pred", "binary_crossentropy") - want) < 1e-9  # type: ignore[operator]
    # without --logits the same file is regression (the scores leave [0, 1])
    assert evaluate_file(str(path)).task == "regression"


def test_logits_with_class_columns_is_multiclass(tmp_path: Path) -> None:
    rng = np.random.default_rng(22)
    scores = rng.normal(0, 2, (300, 3))
    y = rng.integers(0, 3, 300)
    path = tmp_path / "mc.csv"
    frame = pd.DataFrame({f"prob_{c}": scores[:, c] for c in range(3)})
    frame.insert(0, "label", y)
    frame.to_csv(path, index=False)
    from losscli.evaluate import LossParams

    report = evaluate_file(str(path), params=LossParams(logits=True))
    assert report.task == "multiclass"
    want = metrics.log_loss(y, softmax(scores, axis=1), labels=[0, 1, 2])
    got = report.value("prob", "categorical_crossentropy")
    assert got is not None and abs(got - want) < 1e-9
