"""``--by`` R² from saved states keeps its digits at large truth offsets, as a direct
run does (tests/unit/test_grouped_r2.py).

Oracle: scikit-learn's ``r2_score`` on each group's rows shifted by the exact offset
(y − offset and ŷ − offset are exact in float64, Sterbenz), which R² does not change.
The shards are Parquet (exact doubles), evaluated with ``--save-state`` one by one and
merged by ``losscli merge``. Before the states saved each group's mean about its
pivot, they saved the mean of y itself: at 1e12 that mean is rounded to ~1e-4, and
Chan's merge turned it into ~1e-7 relative error in each group's R².
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import r2_score

from conftest import Cli

_cli = Cli()
run, run_json = _cli.run, _cli.run_json

N, GROUPS = 3700, 5


def _frame(offset: float) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    group = rng.integers(0, GROUPS, N)
    y = offset + group * 3.0 + rng.normal(0.0, 1.0 + group, N)  # each group its own centre
    return pd.DataFrame(
        {"y_true": y, "y_pred": y + rng.normal(0.0, 0.7, N), "w": rng.uniform(0, 2, N), "g": group}
    )


def _states(df: pd.DataFrame, k: int, folder: Path) -> list[str]:
    out = []
    for i, rows in enumerate(np.array_split(np.arange(len(df)), k)):
        shard = folder / f"shard-{i:03d}.parquet"
        df.iloc[rows].to_parquet(shard, index=False)
        state = folder / f"shard-{i:03d}.lstate"
        args = ("--by", "g", "--weight", "w", "--loss", "r2", "--save-state", str(state))
        result = run("evaluate", str(shard), *args)
        assert result.exit_code == 0, result.stderr
        out.append(str(state))
    return out


def _r2(doc: dict, group: str | None) -> float:
    (value,) = [r["value"] for r in doc["results"] if r["group"] == group and r["loss"] == "r2"]
    return float(value)


@pytest.mark.parametrize("offset", [1e10, 1e12])
@pytest.mark.parametrize("k", [1, 5, 37])
def test_merged_per_group_r2_at_a_large_offset(tmp_path: Path, offset: float, k: int) -> None:
    df = _frame(offset)
    doc = run_json("merge", *_states(df, k, tmp_path))
    for g, sub in [(str(g), df[df["g"] == g]) for g in range(GROUPS)] + [(None, df)]:
        want = r2_score(sub["y_true"] - offset, sub["y_pred"] - offset, sample_weight=sub["w"])
        got = _r2(doc, g)
        assert abs(got - want) <= 1e-12 * abs(want), (g, got, want)


def test_a_version_2_state_is_still_read(tmp_path: Path) -> None:
    """A ``losscli.state/2`` file (R²: the mean of y per group, ``mean``) merges as it
    did: its means about the pivot are recovered (exact at a small offset)."""
    df = _frame(100.0)
    states = _states(df, 3, tmp_path)
    new = run_json("merge", *states)
    old = []
    for path in states:
        doc = json.loads(Path(path).read_text())
        assert doc["schema"] == "losscli.state/3"
        for items in doc["models"]:
            for item in items:
                arrays = item["arrays"]
                dmean, ref = (_decoded(arrays[k]) for k in ("dmean", "ref"))
                arrays["mean"] = _encoded(dmean + ref)
                item["arrays"] = {k: arrays[k] for k in ("weight", "mean", *_REST)}
        v2 = Path(path).with_suffix(".v2")
        v2.write_text(json.dumps(doc | {"schema": "losscli.state/2"}))
        old.append(str(v2))
    got = run_json("merge", *old)
    for g in [*map(str, range(GROUPS)), None]:
        assert _r2(got, g) == pytest.approx(_r2(new, g), rel=1e-12)


_REST = ("m2", "sse", "ref", "seen", "varies")


def _decoded(a: dict) -> np.ndarray:
    import base64

    return np.frombuffer(base64.b64decode(a["base64"]), "<f8")


def _encoded(a: np.ndarray) -> dict:
    import base64

    raw = base64.b64encode(a.astype("<f8").tobytes()).decode()
    return {"$array": "float64", "shape": list(a.shape), "base64": raw}
