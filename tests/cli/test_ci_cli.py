"""``losscli evaluate --ci`` (issue 14): the options, the JSON document, bad input.

Oracles: the library call with the same settings (the engine's numbers are checked
against the uncertainty core in tests/unit/test_ci_engine.py), the JSON shape agreed
by the team (notes/HELPER_BRIEF.md: key order, nulls without ``--ci``), the render
module's generic ``to_json`` of :meth:`EvaluationReport.to_dict` for the fast
``--by`` path, and the project's error standard (one line, exit 2, no numpy on the
error paths).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from losscli.cli.evaluate_cmd import optional_level
from losscli.evaluate import evaluate_file
from losscli.render import evaluate as render
from losscli.render import to_json

from conftest import EVALUATE_KEYS, SAMPLES, Cli, probe_imports

_cli = Cli("evaluate")
run, run_json, error_line = _cli.run, _cli.run_json, _cli.error_line
MODELS = str(SAMPLES / "models.csv")

TOP = EVALUATE_KEYS
RESULT = ["model", "group", "loss", "value", "ci_low", "ci_high", "rows"]
COMPARISON = [
    "model",
    "baseline",
    "group",
    "loss",
    "delta",
    "ci_low",
    "ci_high",
    "p_value",
    "verdict",
    "p_raw",
]


@pytest.fixture(scope="module")
def grouped_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = np.random.default_rng(1)
    n = 3000
    y = rng.normal(size=n)
    df = pd.DataFrame(
        {
            "y_true": y,
            "pred_a": y + rng.normal(size=n),
            "pred_b": y + 0.7 * rng.normal(size=n),
            "site": rng.choice(["north", "south", "=cmd|x"], size=n),
        }
    )
    df.loc[:9, "site"] = "tiny"  # 10 rows: no interval, one warning
    path = tmp_path_factory.mktemp("ci") / "grouped.csv"
    df.to_csv(path, index=False)
    return path


# --------------------------------------------------------------------------- options


@pytest.mark.parametrize(
    ("args", "level"),
    [
        (["--ci"], 0.95),
        (["--ci", "-o", "json"], 0.95),
        (["--ci", "0.9"], 0.9),
        (["--ci=0.8"], 0.8),
        (["--ci", "0.99", "--resamples", "200"], 0.99),
    ],
)
def test_ci_with_and_without_a_level(args: list[str], level: float) -> None:
    doc = run_json(MODELS, *[a for a in args if a not in ("-o", "json")])
    assert doc["bootstrap"]["level"] == level
    assert all(r["ci_low"] is not None for r in doc["results"])


def test_ci_before_the_file_and_the_rewrite_itself() -> None:
    doc = run_json("--ci", MODELS)
    assert doc["bootstrap"]["level"] == 0.95
    assert optional_level(["f.csv", "--ci"]) == ["f.csv", "--ci=0.95"]
    assert optional_level(["--ci", "0.9", "f"]) == ["--ci", "0.9", "f"]
    assert optional_level(["--ci", "--seed", "3"]) == ["--ci=0.95", "--seed", "3"]
    assert optional_level(["f", "--", "--ci"]) == ["f", "--", "--ci"]


def test_the_library_call_gives_the_same_document() -> None:
    doc = run_json(
        MODELS, "--ci", "0.9", "--resamples", "300", "--seed", "7", "--test", "permutation"
    )
    report = evaluate_file(MODELS, ci=0.9, resamples=300, seed=7, test="permutation")
    assert doc == json.loads(render.evaluate_json(report))
    assert doc["bootstrap"] == {
        "method": "percentile bootstrap, Poisson weights over hashed row buckets",
        "level": 0.9,
        "resamples": 300,
        "seed": 7,
        "test": "permutation",
        "correction": "none",
        "baseline": "linear",
        "buckets": 4096,
    }


def test_the_default_seed_is_fixed_and_printed() -> None:
    one, two = run_json(MODELS, "--ci"), run_json(MODELS, "--ci")
    assert one == two and one["bootstrap"]["seed"] == 12345
    other = run_json(MODELS, "--ci", "--seed", "1")
    assert other["results"][0]["ci_low"] != one["results"][0]["ci_low"]
    assert other["results"][0]["value"] == one["results"][0]["value"]


# --------------------------------------------------------------------------- JSON


def test_json_shape_without_ci() -> None:
    doc = run_json(MODELS)
    assert list(doc) == TOP
    assert doc["bootstrap"] is None and doc["comparisons"] == []
    assert doc["signature"].startswith("losscli:")  # (every output is signed, issue 15)
    for r in doc["results"]:
        assert list(r) == RESULT and r["ci_low"] is None and r["ci_high"] is None


def test_json_shape_with_ci_and_comparisons() -> None:
    doc = run_json(MODELS, "--ci", "--baseline", "tree", "--correction", "holm")
    assert list(doc) == TOP
    assert doc["bootstrap"]["baseline"] == "tree" and doc["bootstrap"]["correction"] == "holm"
    losses = [r["loss"] for r in doc["results"] if r["model"] == "linear"]
    assert [c["loss"] for c in doc["comparisons"]] == losses
    for c in doc["comparisons"]:
        assert list(c) == COMPARISON
        assert (c["model"], c["baseline"], c["group"]) == ("linear", "tree", None)
        assert c["ci_low"] <= c["delta"] <= c["ci_high"]
        assert c["p_raw"] is not None and c["p_value"] >= c["p_raw"]
        assert c["verdict"] in ("better", "worse", "no significant difference")
    # r2: higher is better, and linear's r2 is lower than tree's there
    (r2,) = [c for c in doc["comparisons"] if c["loss"] == "r2"]
    assert r2["delta"] < 0 and r2["verdict"] == "worse"


def test_grouped_json_is_the_generic_document(grouped_csv: Path) -> None:
    report = evaluate_file(str(grouped_csv), by="site", ci=0.95)
    fast = render.evaluate_json(report)
    assert fast == to_json(report.to_dict())
    doc = json.loads(fast)
    tiny = [r for r in doc["results"] if r["group"] == "tiny"]
    assert tiny and all(r["ci_low"] is None and r["ci_high"] is None for r in tiny)
    others = [r for r in doc["results"] if r["group"] != "tiny"]
    assert all(r["ci_low"] <= r["ci_high"] for r in others)
    assert {c["group"] for c in doc["comparisons"]} == {None, "north", "south", "=cmd|x"}


def test_the_small_group_warns_on_stderr(grouped_csv: Path) -> None:
    doc, err = _cli.run_json_stderr(str(grouped_csv), "--by", "site", "--ci")
    lines = [line for line in err.splitlines() if "--ci" in line]
    assert len(lines) == 1 and "'tiny'" in lines[0] and "10 rows" in lines[0]
    assert doc["bootstrap"]["buckets"] == 4096


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--ci", "--resamples", "99"], "--resamples must be in [100, 100000], got 99"),
        (["--ci", "--resamples", "100001"], "--resamples must be in [100, 100000]"),
        (["--ci", "0"], "--ci level must be in (0, 1), got 0"),
        (["--ci", "1.5"], "--ci level must be in (0, 1), got 1.5"),
        (["--ci=abc"], "'abc' is not a level in (0, 1)"),
        (["--ci", "--test", "t"], "--test must be one of bootstrap, permutation, got 't'"),
        (["--ci", "--correction", "bh"], "--correction must be one of none, holm"),
        (["--resamples", "500"], "--resamples needs --ci"),
        (["--seed", "1", "--baseline", "tree"], "--seed, --baseline needs --ci"),
        (["--test", "permutation"], "--test needs --ci"),
        (["--correction", "holm"], "--correction needs --ci"),
    ],
)
def test_bad_ci_options_are_one_line_and_import_no_numpy(args: list[str], message: str) -> None:
    assert message in error_line(MODELS, *args)
    probe = probe_imports("evaluate", MODELS, *args)
    assert probe == {"exit": 2, "loaded": []}


def test_a_baseline_naming_no_model() -> None:
    line = error_line(MODELS, "--ci", "--baseline", "forest")
    assert line == ("losscli: error: --baseline 'forest' names no model; models are: linear, tree")
    doc = run_json(MODELS, "--ci", "--baseline", "pred_tree")  # a model's column
    assert doc["bootstrap"]["baseline"] == "tree"


def test_too_few_rows_warn_and_give_null_intervals(tmp_path: Path) -> None:
    path = tmp_path / "few.csv"
    path.write_text(
        "y_true,pred_a,pred_b\n" + "".join(f"{i},{i + 0.5},{i - 1}\n" for i in range(5))
    )
    doc, err = _cli.run_json_stderr(str(path), "--ci")
    assert all(r["ci_low"] is None for r in doc["results"])
    assert doc["comparisons"] == []
    assert "5 rows, fewer than the 20 an interval needs" in err
