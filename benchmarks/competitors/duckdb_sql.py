"""Competitor (b): a DuckDB SQL script computing the same losses as ``losscli evaluate``.

    python duckdb_sql.py regression|binary|multiclass FILE

One query over ``read_csv`` / ``read_parquet`` (DuckDB streams the file on all cores),
printed as JSON ``{loss_id: value}``. Conventions follow the catalogue: huber δ = 1,
asymmetric weights 2 (under) / 1 (over), probabilities clipped to [1e-7, 1 - 1e-7],
balanced class weights w_c = n / (K·n_c) (so the weighted mean is the mean over classes
of each class's mean loss), focal γ = 2 without α, binary zero-one predicts 1 when
p > 0.5.
"""

from __future__ import annotations

import json
import sys

import duckdb

EPS = 1e-7

REGRESSION = """
SELECT avg(e * e) AS mse,
       sqrt(avg(e * e)) AS rmse,
       avg(abs(e)) AS mae,
       avg(CASE WHEN abs(e) <= 1 THEN 0.5 * e * e ELSE abs(e) - 0.5 END) AS huber,
       avg(abs(e) + ln(1 + exp(-2 * abs(e))) - ln(2)) AS log_cosh,
       avg(CASE WHEN e > 0 THEN 2 * e * e ELSE e * e END) AS asymmetric_mse,
       avg(abs(e) / abs(y)) AS mape,
       avg(pow(ln(1 + y) - ln(1 + p), 2)) AS msle,
       avg(2 * (y * ln(y / p) - y + p)) AS poisson_deviance,
       1 - sum(e * e) / (sum(y * y) - sum(y) * sum(y) / count(*)) AS r2
FROM (SELECT y_true::DOUBLE AS y, y_pred::DOUBLE AS p, y_true - y_pred AS e FROM {src})
"""

BINARY = """
WITH t AS (
  SELECT y_true::DOUBLE AS y, y_pred::DOUBLE AS raw,
         greatest(least(y_pred::DOUBLE, 1 - {eps}), {eps}) AS p
  FROM {src}
), l AS (
  SELECT y, raw, -(y * ln(p) + (1 - y) * ln(1 - p)) AS bce,
         CASE WHEN y = 1 THEN p ELSE 1 - p END AS pt
  FROM t
), per_class AS (SELECT y, avg(bce) AS m FROM l GROUP BY y)
SELECT avg(bce) AS binary_crossentropy,
       (SELECT avg(m) FROM per_class) AS weighted_binary_crossentropy,
       avg(-pow(1 - pt, 2) * ln(pt)) AS focal,
       avg(pow(raw - y, 2)) AS brier,
       avg(CASE WHEN (raw > 0.5)::INT = y THEN 0 ELSE 1 END) AS zero_one
FROM l
"""

MULTICLASS = """
WITH t AS (
  SELECT label, {py} AS p_y, {brier} AS br, greatest({probs}) AS top FROM {src}
), l AS (
  SELECT label, greatest(p_y, {eps}) AS pc, br, (p_y < top)::INT AS wrong FROM t
), per_class AS (SELECT label, avg(-ln(pc)) AS m FROM l GROUP BY label)
SELECT avg(-ln(pc)) AS categorical_crossentropy,
       (SELECT avg(m) FROM per_class) AS weighted_categorical_crossentropy,
       avg(-pow(1 - pc, 2) * ln(pc)) AS focal,
       avg(br) AS brier,
       avg(wrong) AS zero_one
FROM l
"""


def build_sql(task: str, path: str, con: duckdb.DuckDBPyConnection) -> str:
    reader = "read_parquet" if path.endswith(".parquet") else "read_csv"
    src = f"{reader}('{path}')"
    if task == "regression":
        return REGRESSION.format(src=src)
    if task == "binary":
        return BINARY.format(src=src, eps=EPS)
    cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()]
    probs = [c for c in cols if c.startswith("prob_")]
    py = "CASE label " + " ".join(f"WHEN {c[5:]} THEN {c}" for c in probs) + " END"
    brier = " + ".join(f"pow({c} - (label = {c[5:]})::INT, 2)" for c in probs)
    return MULTICLASS.format(src=src, py=py, brier=brier, probs=", ".join(probs), eps=EPS)


def main() -> None:
    task, path = sys.argv[1], sys.argv[2]
    con = duckdb.connect()
    cur = con.execute(build_sql(task, path, con))
    row = cur.fetchone()
    assert row is not None
    names = [d[0] for d in cur.description]
    print(json.dumps({n: float(v) for n, v in zip(names, row, strict=True)}))


if __name__ == "__main__":
    main()
