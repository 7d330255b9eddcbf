"""Seeded benchmark data for ``benchmarks/bench.py`` and ``benchmarks/reader_strategies.py``.

Every file is generated in chunks (so a 20M-row file needs ~100 MB, not 2 GB, to write)
from a fixed seed, with pyarrow's writers: CSV floats in shortest round-trip form
(~18 characters each, like ``df.to_csv`` would write them), Parquet with pyarrow's
defaults (what ``df.to_parquet`` writes). The data are chosen so that *every* loss of a
task applies (no loss is skipped for lack of positive targets), which is the most work
losscli can be asked to do:

- regression: ``y_true`` ~ Gamma(2, 5) > 0, ``y_pred = y_true · exp(N(0, 0.2))`` > 0
  (mape, msle and poisson_deviance apply; huber's δ=1 sees both branches);
- binary: latent logit ~ N(0, 2), ``y_true`` ~ Bernoulli(σ(logit)) as 0/1 integers,
  ``y_pred = σ(logit + N(0, 0.5))`` (never within 1e-7 of 0 or 1, so clipping conventions
  of sklearn, DuckDB and losscli agree);
- multiclass: ``label`` in 0..K-1, ``prob_0 .. prob_{K-1}`` = softmax(N(0,1) + 2·onehot);
- grouped regression: the regression columns plus ``group`` = one of 100 strings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHUNK = 1_000_000
SEED = 20_261_126


@dataclass(frozen=True)
class Spec:
    """One generated data set."""

    name: str  # file stem, e.g. "regression_10m"
    kind: str  # regression | binary | multiclass | grouped
    rows: int
    classes: int = 0


def _chunk_table(kind: str, rng: object, n: int, classes: int) -> object:
    import numpy as np
    import pyarrow as pa

    assert isinstance(rng, np.random.Generator)
    if kind in ("regression", "grouped"):
        y = rng.gamma(2.0, 5.0, n)
        pred = y * np.exp(rng.normal(0.0, 0.2, n))
        cols = {"y_true": y, "y_pred": pred}
        if kind == "grouped":
            names = np.array([f"g{i:02d}" for i in range(100)], dtype=object)
            cols["group"] = names[rng.integers(0, 100, n)]
        return pa.table(cols)
    if kind == "binary":
        logit = rng.normal(0.0, 2.0, n)
        y = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(np.int64)
        pred = 1.0 / (1.0 + np.exp(-(logit + rng.normal(0.0, 0.5, n))))
        return pa.table({"y_true": y, "y_pred": pred})
    if kind == "multiclass":
        label = rng.integers(0, classes, n)
        scores = rng.normal(0.0, 1.0, (n, classes))
        scores[np.arange(n), label] += 2.0
        scores -= scores.max(axis=1, keepdims=True)
        probs = np.exp(scores)
        probs /= probs.sum(axis=1, keepdims=True)
        mc: dict[str, Any] = {"label": label}
        for k in range(classes):
            mc[f"prob_{k}"] = np.ascontiguousarray(probs[:, k])
        return pa.table(mc)
    raise ValueError(kind)


def generate(spec: Spec, folder: Path) -> tuple[Path, Path]:
    """Write ``<name>.csv`` and ``<name>.parquet`` in ``folder`` unless an identical
    generation (same spec and seed, recorded in a sidecar) is already there."""
    import numpy as np
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    csv_path = folder / f"{spec.name}.csv"
    pq_path = folder / f"{spec.name}.parquet"
    stamp = folder / f"{spec.name}.json"
    want = {"kind": spec.kind, "rows": spec.rows, "classes": spec.classes, "seed": SEED}
    if csv_path.exists() and pq_path.exists() and stamp.exists():
        try:
            if json.loads(stamp.read_text()) == want:
                return csv_path, pq_path
        except ValueError:
            pass
    rng = np.random.default_rng([SEED, spec.rows, spec.classes, len(spec.kind)])
    csv_tmp = csv_path.with_suffix(".csv.part")
    pq_tmp = pq_path.with_suffix(".parquet.part")
    csv_writer = None
    pq_writer = None
    try:
        done = 0
        while done < spec.rows:
            n = min(CHUNK, spec.rows - done)
            table = _chunk_table(spec.kind, rng, n, spec.classes)
            if csv_writer is None:
                csv_writer = pcsv.CSVWriter(csv_tmp, table.schema)  # type: ignore[attr-defined]
                pq_writer = pq.ParquetWriter(pq_tmp, table.schema)  # type: ignore[attr-defined]
            csv_writer.write_table(table)
            assert pq_writer is not None
            pq_writer.write_table(table)
            done += n
    finally:
        if csv_writer is not None:
            csv_writer.close()
        if pq_writer is not None:
            pq_writer.close()
    csv_tmp.replace(csv_path)
    pq_tmp.replace(pq_path)
    stamp.write_text(json.dumps(want))
    return csv_path, pq_path


if __name__ == "__main__":
    import sys

    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/losscli-bench-data")
    for s in (
        Spec("regression_10m", "regression", 10_000_000),
        Spec("regression_5m", "regression", 5_000_000),
        Spec("regression_20m", "regression", 20_000_000),
    ):
        print(generate(s, out))
