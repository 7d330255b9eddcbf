"""Write the sample files of ``sample_data/`` (seeded: every run writes the same bytes).

Run ``python sample_data/make_samples.py`` (or ``--out DIR`` to write elsewhere; the
test suite does that and compares the result with the committed files).

Files (every float written with ``%.6f``; ``\\n`` line endings; UTF-8):

==========================  ====================================================
``regression.csv``          ``y_true,y_pred``; 500 rows, Gaussian residuals (σ = 3)
``regression_outliers.csv`` ``y_true,y_pred``; 500 rows, Gaussian residuals with 6 %
                            gross errors (σ = 40): robust-z outliers ≈ 5 %
``counts.csv``              ``y_true,y_pred``; 800 rows, Poisson counts and the
                            positive rates a Poisson model predicts
``binary.csv``              ``label,prob``; 1000 rows, ≈ 50 % positives
``imbalanced.csv``          ``label,prob``; 2000 rows, exactly 100 positives (5 %)
``multiclass.csv``          ``label,prob_cat,prob_dog,prob_bird``; 600 rows, string
                            labels; each row sums to exactly 1 at 6 decimals
``models.csv``              ``y_true,pred_linear,pred_tree``; 500 rows, one truth and
                            two models (the linear one misses a seasonal term)
``train_log.csv``           ``epoch,train_loss,val_loss``; 30 epochs, training loss
                            falls every epoch, validation loss is lowest at epoch 14
                            and rises after it (overfitting)
``regression.parquet``      Parquet twin of ``regression.csv`` (same values)
``multiclass.parquet``      Parquet twin of ``multiclass.csv`` (same values)
==========================  ====================================================

Each file draws from its own ``numpy.random.default_rng(seed)``, so changing one file
never shifts the numbers of another. The Parquet twins hold exactly the values that
the CSV text holds (the floats are parsed back from their ``%.6f`` text), written by
pyarrow without pandas metadata; their footer names the pyarrow version, so their
bytes are reproducible for a given pyarrow version (the test compares bytes when the
versions match and values otherwise).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CLASSES: tuple[str, ...] = ("cat", "dog", "bird")

Cell = str | int | float
Row = tuple[Cell, ...]


def _fmt(value: Cell) -> str:
    if isinstance(value, float):
        text = f"{value:.6f}"
        # "-0.000000" would read back as 0 but differ in bytes between platforms' habits
        return "0.000000" if text == "-0.000000" else text
    return str(value)


def _q(value: float) -> float:
    """The float that the written text ``%.6f`` reads back as."""
    return float(_fmt(float(value)))


def _write_csv(path: Path, header: Sequence[str], rows: Sequence[Row]) -> None:
    lines = [",".join(header)]
    lines.extend(",".join(_fmt(cell) for cell in row) for row in rows)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="")


def _write_parquet(path: Path, header: Sequence[str], rows: Sequence[Row]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = list(zip(*rows, strict=True))
    arrays = []
    for values in columns:
        if isinstance(values[0], str):
            arrays.append(pa.array(list(values), type=pa.string()))
        else:
            arrays.append(pa.array([float(v) for v in values], type=pa.float64()))
    table = pa.Table.from_arrays(arrays, names=list(header))
    pq.write_table(table, path, compression="snappy")


def regression(seed: int = 101, n: int = 500) -> list[Row]:
    """House-price-like target (thousands), a decent model with σ = 3 residuals."""
    rng = np.random.default_rng(seed)
    y = rng.normal(250.0, 60.0, n)
    pred = y + rng.normal(0.0, 3.0, n)
    return [(_q(a), _q(b)) for a, b in zip(y, pred, strict=True)]


def regression_outliers(seed: int = 102, n: int = 500) -> list[Row]:
    """Like :func:`regression` but 6 % of rows carry a gross error (σ = 40):
    data-entry mistakes, sensor glitches. About 5 % of the residuals have a robust
    z-score above 3.5."""
    rng = np.random.default_rng(seed)
    y = rng.normal(250.0, 60.0, n)
    resid = rng.normal(0.0, 3.0, n)
    gross = rng.random(n) < 0.06
    resid[gross] = rng.normal(0.0, 40.0, int(gross.sum()))
    pred = y - resid
    return [(_q(a), _q(b)) for a, b in zip(y, pred, strict=True)]


def counts(seed: int = 103, n: int = 800) -> list[Row]:
    """Daily sales counts: y ~ Poisson(μ), μ = exp(1 + 0.4x) (2.7 to 7.4); the
    prediction is a positive rate, μ times a small multiplicative error. No gross
    errors: fewer than 1 % of the residuals have a robust z above 3.5."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 2.5, n)
    mu = np.exp(1.0 + 0.4 * x)
    y = rng.poisson(mu)
    pred = mu * np.exp(rng.normal(0.0, 0.1, n))
    return [(int(a), _q(b)) for a, b in zip(y, pred, strict=True)]


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def binary(seed: int = 104, n: int = 1000) -> list[Row]:
    """Balanced labels drawn from a latent score; the model sees the score with noise."""
    rng = np.random.default_rng(seed)
    score = rng.normal(0.0, 1.8, n)
    label = (rng.random(n) < _sigmoid(score)).astype(int)
    prob = np.clip(_sigmoid(score + rng.normal(0.0, 0.6, n)), 1e-6, 1 - 1e-6)
    return [(int(a), _q(b)) for a, b in zip(label, prob, strict=True)]


def imbalanced(seed: int = 105, n: int = 2000, positives: int = 100) -> list[Row]:
    """Fraud-like labels: exactly ``positives`` of ``n`` rows are 1 (5 %), at random
    places; the model gives positives higher probabilities, with overlap."""
    rng = np.random.default_rng(seed)
    label = np.zeros(n, dtype=int)
    label[rng.choice(n, size=positives, replace=False)] = 1
    prob = np.where(label == 1, rng.beta(4.0, 4.0, n), rng.beta(1.2, 14.0, n))
    prob = np.clip(prob, 1e-6, 1 - 1e-6)
    return [(int(a), _q(b)) for a, b in zip(label, prob, strict=True)]


def multiclass(seed: int = 106, n: int = 600) -> list[Row]:
    """Pet photos: labels cat/dog/bird (45/35/20 %), softmax probabilities from
    logits where the true class gets +2. Rounded to 6 decimals, the last column takes
    ``1 - (others)`` so that each row's written values sum to exactly 1."""
    rng = np.random.default_rng(seed)
    k = len(CLASSES)
    idx = rng.choice(k, size=n, p=[0.45, 0.35, 0.20])
    logits = rng.normal(0.0, 1.0, (n, k))
    logits[np.arange(n), idx] += 2.0
    expz = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs = expz / expz.sum(axis=1, keepdims=True)
    rows: list[Row] = []
    for i in range(n):
        # work in integer micro-units so the written row sums to 1.000000 exactly
        micro = [max(round(float(p) * 1_000_000), 1) for p in probs[i, :-1]]
        last = 1_000_000 - sum(micro)
        if last < 1:  # never happens with these logits; keep every probability > 0
            raise AssertionError(f"row {i + 1}: probabilities do not leave room for the last")
        values = [m / 1_000_000 for m in (*micro, last)]
        rows.append((CLASSES[idx[i]], *(_q(v) for v in values)))
    return rows


def models(seed: int = 107, n: int = 500) -> list[Row]:
    """y = 5 + 2x + 3 sin(x) + noise. ``pred_linear`` is the straight line 5 + 2x
    (it misses the seasonal term); ``pred_tree`` is the true curve evaluated at the
    centre of 0.5-wide bins (a shallow tree), so it is the better model."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 10.0, n)
    y = 5.0 + 2.0 * x + 3.0 * np.sin(x) + rng.normal(0.0, 1.0, n)
    linear = 5.0 + 2.0 * x + rng.normal(0.0, 0.2, n)
    centre = (np.floor(x / 0.5) + 0.5) * 0.5
    tree = 5.0 + 2.0 * centre + 3.0 * np.sin(centre)
    return [(_q(a), _q(b), _q(c)) for a, b, c in zip(y, linear, tree, strict=True)]


def train_log(seed: int = 108, epochs: int = 30) -> list[Row]:
    """Training loss falls every epoch; validation loss falls, bottoms out at
    epoch 14 and then climbs as the model overfits."""
    rng = np.random.default_rng(seed)
    e = np.arange(1, epochs + 1, dtype=float)
    # noise scales with the decaying term (2 % of it), far below the per-epoch drop
    # (≈ 13 % of it), so the training curve decreases strictly
    train = 0.15 + 1.2 * np.exp(-e / 7.0) * (1.0 + 0.02 * rng.standard_normal(epochs))
    val = (
        0.28
        + 1.2 * np.exp(-e / 4.0)
        + 0.0009 * np.maximum(e - 8.0, 0.0) ** 2
        + 0.002 * rng.standard_normal(epochs)
    )
    return [(int(a), _q(b), _q(c)) for a, b, c in zip(e, train, val, strict=True)]


def write_samples(out_dir: Path) -> list[Path]:
    """Write every sample file into ``out_dir`` (created if missing); return the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    reg_header = ("y_true", "y_pred")
    reg_rows = regression()
    mc_header = ("label", *(f"prob_{c}" for c in CLASSES))
    mc_rows = multiclass()
    csvs: list[tuple[str, Sequence[str], list[Row]]] = [
        ("regression.csv", reg_header, reg_rows),
        ("regression_outliers.csv", reg_header, regression_outliers()),
        ("counts.csv", reg_header, counts()),
        ("binary.csv", ("label", "prob"), binary()),
        ("imbalanced.csv", ("label", "prob"), imbalanced()),
        ("multiclass.csv", mc_header, mc_rows),
        ("models.csv", ("y_true", "pred_linear", "pred_tree"), models()),
        ("train_log.csv", ("epoch", "train_loss", "val_loss"), train_log()),
    ]
    written: list[Path] = []
    for name, header, rows in csvs:
        path = out_dir / name
        _write_csv(path, header, rows)
        written.append(path)
    for name, header, rows in (
        ("regression.parquet", reg_header, reg_rows),
        ("multiclass.parquet", mc_header, mc_rows),
    ):
        path = out_dir / name
        _write_parquet(path, header, rows)
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write losscli's sample data files.")
    parser.add_argument(
        "--out", type=Path, default=HERE, help="folder to write into (default: sample_data/)"
    )
    args = parser.parse_args(argv)
    for path in write_samples(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
