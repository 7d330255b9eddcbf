"""The JSON Schemas shipped in ``losscli/schemas`` (``losscli schema NAME``): each is a
valid draft 2020-12 schema, is package data, prints without numpy, and every JSON
output of every command (all samples, --by, gates, skipped losses, several runs,
compare in every mode) validates against its schema — and a document that breaks
the contract does not."""

from __future__ import annotations

import copy
import json
import tomllib
from fnmatch import fnmatch
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from conftest import Cli, probe_imports

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_data"
FIXTURES = ROOT / "tests" / "fixtures"
NAMES = ("evaluate", "compare", "history", "recommend", "losses")
cli = Cli()


def schema(name: str) -> dict[str, Any]:
    text = resources.files("losscli").joinpath("schemas", f"{name}.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def validate(name: str, document: Any) -> None:
    Draft202012Validator(schema(name)).validate(document)


def output(*args: str, code: int = 0) -> Any:
    result = cli.run(*args, "-o", "json")
    assert result.exit_code == code, (args, result.stdout, result.stderr)
    return json.loads(result.stdout)


@pytest.mark.parametrize("name", NAMES)
def test_schema_is_valid_and_printed(name: str) -> None:
    Draft202012Validator.check_schema(schema(name))
    result = cli.run("schema", name)
    assert result.exit_code == 0
    assert json.loads(result.stdout) == schema(name)
    assert cli.run("schema", f"losscli.{name}/1").stdout == result.stdout


def test_schema_command_loads_no_numpy() -> None:
    probe = probe_imports("schema", "evaluate")
    assert probe == {"exit": 0, "loaded": []}


def test_unknown_schema_is_one_line() -> None:
    line = Cli("schema").error_line("nope")
    assert "no schema 'nope'; schemas are: evaluate, compare" in line


def test_schemas_are_package_data() -> None:
    """setuptools ships what package-data names: every schema file must match it."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["losscli"]
    files = sorted(p.name for p in (ROOT / "losscli" / "schemas").glob("*"))
    assert files == sorted(f"{n}.json" for n in NAMES)
    for name in files:
        assert any(fnmatch(f"schemas/{name}", p) for p in patterns), name


EVALUATE_RUNS = [
    *[[str(p)] for p in sorted(SAMPLES.glob("*.csv")) if p.name != "train_log.csv"],
    [str(SAMPLES / "multiclass.parquet")],
    [str(SAMPLES / "models.csv"), "--fail-if", "rmse>2.5"],
    [str(SAMPLES / "models.csv"), "--ci", "--resamples", "200", "--fail-if", "rmse>2.5"],
    [str(SAMPLES / "binary.csv"), "--ci", "0.9", "--resamples", "200"],
    [
        str(SAMPLES / "regression.csv"),
        "--loss",
        "pinball",
        "--quantile",
        "0.1",
        "--quantile",
        "0.9",
    ],
    [str(SAMPLES / "imbalanced.csv"), "--class-weight", "0=1,1=10", "--gamma", "1"],
    [str(SAMPLES / "regression_outliers.csv"), "--loss", "mape", "--loss", "msle"],
    *[
        [str(p)]
        for p in sorted((FIXTURES / "predictions").glob("*.csv"))
        if p.name not in ("named_truth.csv", "class_ids.csv")
    ],
    [str(FIXTURES / "predictions" / "named_truth.csv"), "-t", "SalePrice"],
    [str(FIXTURES / "predictions" / "class_ids.csv"), "--task", "multiclass"],
]


def _ids(args: list[str]) -> str:
    return " ".join(Path(a).name if "/" in a else a for a in args)


@pytest.mark.parametrize("args", EVALUATE_RUNS, ids=_ids)
def test_evaluate_outputs_validate(args: list[str]) -> None:
    validate("evaluate", output("evaluate", *args))


def test_evaluate_by_and_gates_validate(tmp_path: Path) -> None:
    import pandas as pd

    frame = pd.read_csv(SAMPLES / "models.csv")
    frame["g"] = ["a", "b", "c", "d"] * (len(frame) // 4)
    path = tmp_path / "by.csv"
    frame.to_csv(path, index=False)
    doc = output("evaluate", str(path), "--by", "g", "--fail-if", "tree:mse>0.5", code=1)
    assert any(r["group"] == "a" for r in doc["results"])
    validate("evaluate", doc)


def test_evaluate_ci_fields_validate() -> None:
    """The fields ``evaluate --ci`` adds (the shape agreed in the session brief)."""
    doc = output("evaluate", str(SAMPLES / "models.csv"))
    doc["signature"] = "losscli:0.x|task:regression|conv:losscli|ci:pct-poisson|level:0.95"
    doc["bootstrap"] = {
        "method": "percentile",
        "level": 0.95,
        "resamples": 1000,
        "seed": 0,
        "test": "paired",
        "correction": None,
        "baseline": "linear",
        "buckets": 64,
    }
    for r in doc["results"]:
        r["ci_low"], r["ci_high"] = r["value"] * 0.9, r["value"] * 1.1
    doc["results"][0]["ci_low"] = None
    doc["comparisons"] = [
        {
            "model": "tree",
            "baseline": "linear",
            "group": None,
            "loss": "mse",
            "delta": -4.1,
            "ci_low": -4.5,
            "ci_high": -3.7,
            "p_value": 0.001,
            "verdict": "better",
            "p_raw": 0.001,
        }
    ]
    for g in doc["gates"]:
        g["judged"] = "ci"
    validate("evaluate", doc)


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda d: d.pop("task"), "task"),
        (lambda d: d.update(extra=1), "extra"),
        (lambda d: d["results"][0].update(value="1.0"), "value"),
        (lambda d: d.update(bootstrap={"level": 2}), "bootstrap"),
        (lambda d: d.update(signature=3), "signature"),
        # the ci field is a short id, never the method's text percent-encoded
        (lambda d: d.update(signature=d["signature"] + "|ci:percentile%20bootstrap"), "ci"),
        (lambda d: d.update(signature="task:regression|" + d["signature"]), "signature"),
        (lambda d: d.pop("comparisons"), "comparisons"),
        (lambda d: d["results"][0].pop("ci_low"), "ci_low"),
    ],
)
def test_a_broken_evaluate_document_fails(change: Any, path: str) -> None:
    from jsonschema import ValidationError

    doc = copy.deepcopy(output("evaluate", str(SAMPLES / "regression.csv")))
    change(doc)
    with pytest.raises(ValidationError):
        validate("evaluate", doc)


HISTORY_RUNS = [
    [str(SAMPLES / "train_log.csv")],
    *[
        [str(p)]
        for p in sorted((FIXTURES / "history").iterdir())
        if p.suffix in (".csv", ".log", ".json") and not p.name.startswith("make_")
    ],
    [str(FIXTURES / "history" / "training_append.log"), "--run", "all"],
    [
        str(FIXTURES / "history" / "yolov5_results.csv"),
        str(FIXTURES / "history" / "yolov8_results.csv"),
    ],
]


@pytest.mark.parametrize("args", HISTORY_RUNS, ids=_ids)
def test_history_outputs_validate(args: list[str]) -> None:
    result = cli.run("history", *args, "-o", "json")
    assert result.exit_code in (0, 1), result.stderr
    validate("history", json.loads(result.stdout))


RECOMMEND_RUNS = [
    ["--task", "regression"],
    ["--task", "regression", "--outliers", "--asymmetric", "under"],
    ["--task", "binary", "--imbalanced"],
    ["--task", "multiclass"],
    ["--task", "regression", "--counts", "--quantile", "0.8"],
    ["--from", str(SAMPLES / "regression_outliers.csv")],
    ["--from", str(SAMPLES / "imbalanced.csv")],
    ["--from", str(SAMPLES / "counts.csv")],
    ["--from", str(SAMPLES / "multiclass.csv")],
]


@pytest.mark.parametrize("args", RECOMMEND_RUNS, ids=" ".join)
def test_recommend_outputs_validate(args: list[str]) -> None:
    validate("recommend", output("recommend", *args))


@pytest.mark.parametrize("args", [[], ["--task", "binary"]], ids=" ".join)
def test_losses_outputs_validate(args: list[str]) -> None:
    validate("losses", output("losses", *args))


def _report(tmp_path: Path, name: str, *args: str) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(output("evaluate", *args)))
    return str(path)


def test_compare_outputs_validate(tmp_path: Path) -> None:
    import pandas as pd

    models = str(SAMPLES / "models.csv")
    frame = pd.read_csv(models)
    frame["g"] = ["a", "b"] * (len(frame) // 2)
    by = tmp_path / "by.csv"
    frame.to_csv(by, index=False)
    base = _report(tmp_path, "base.json", models)
    other = _report(tmp_path, "d2.json", models, "--delta", "2")
    runs = [
        [base, models],
        [base, base, "--fail-on-regression", "--fail-if", "rmse>+1%", "--fail-if", "r2<-1%"],
        [str(by), str(by), "--by", "g", "-l", "mae"],
        [base, other, "--allow-mismatch"],
        [models, models, "--ci", "--resamples", "200", "--fail-on-regression", "--significant"],
        [
            str(FIXTURES / "compare" / "keyed_base.csv"),
            str(FIXTURES / "compare" / "keyed_new.csv"),
            *("--key", "row_id", "--ci", "--resamples", "200"),
        ],
        [str(SAMPLES / "binary.csv"), str(SAMPLES / "binary.csv")],
        [str(SAMPLES / "multiclass.csv"), str(SAMPLES / "multiclass.parquet")],
    ]
    for args in runs:
        validate("compare", output("compare", *args))


def test_compare_with_intervals_validates(tmp_path: Path) -> None:
    doc = output("evaluate", str(SAMPLES / "models.csv"))
    doc["bootstrap"] = {"method": "percentile", "level": 0.95, "resamples": 200, "seed": 1}
    for r in doc["results"]:
        r["ci_low"], r["ci_high"] = r["value"] * 0.95, r["value"] * 1.05
    base = tmp_path / "b.json"
    base.write_text(json.dumps(doc))
    for r in doc["results"]:  # every value and its interval 20 % higher
        r["value"], r["ci_low"], r["ci_high"] = (1.2 * r[k] for k in ("value", "ci_low", "ci_high"))
    new = tmp_path / "n.json"
    new.write_text(json.dumps(doc))
    result = output("compare", str(base), str(new), "--significant", "--fail-on-regression", code=1)
    assert result["significance"]["method"] == "mover"
    validate("compare", result)
