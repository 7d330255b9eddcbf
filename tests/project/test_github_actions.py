"""examples/github-actions.yml, run: its ``run:`` steps executed locally, in order, as
GitHub's runner would (``bash -eo pipefail``), in a clone whose ``origin/main`` holds
the baseline report, with a fake ``$GITHUB_STEP_SUMMARY`` and ``GITHUB_BASE_REF``.
A pull request that changes nothing passes; one whose model got worse fails the last
step (exit 1) with one line per failed gate, and the summary file holds both
markdown reports. The ``uses:`` steps (checkout, setup-python) and the ``pip install``
step are what this checkout and venv already are."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / "examples" / "github-actions.yml"
MODELS = ROOT / "sample_data" / "models.csv"
OUT = "reports/losses.json"

# the model step of the example: the PR's "model" is the noise it adds to pred_tree
PREDICT = """\
import sys
import numpy as np
import pandas as pd

NOISE = {noise}
frame = pd.read_csv({models!r})
frame["pred_tree"] += np.random.default_rng(0).normal(0, 1, len(frame)) * NOISE
frame.to_csv(sys.argv[sys.argv.index("--out") + 1], index=False)
"""


def steps() -> list[dict[str, Any]]:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    (job,) = workflow["jobs"].values()
    result: list[dict[str, Any]] = job["steps"]
    return result


def git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=ci", "-c", "user.email=ci@example.invalid", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def write_predict(repo: Path, noise: float) -> None:
    script = repo / "scripts" / "predict.py"
    script.parent.mkdir(exist_ok=True)
    script.write_text(PREDICT.format(noise=noise, models=str(MODELS)))


def checkout(tmp_path: Path, pr_noise: float) -> Path:
    """A clone of an "upstream" repository: main with its baseline report, and the
    pull request's change checked out."""
    upstream = tmp_path / "upstream"
    upstream.mkdir()
    git(upstream, "init", "-q", "-b", "main")
    write_predict(upstream, 0.0)
    subprocess.run(
        [sys.executable, "scripts/predict.py", "--out", "predictions.csv"], cwd=upstream, check=True
    )
    (upstream / "reports").mkdir()
    losscli = Path(sys.executable).parent / "losscli"
    subprocess.run(
        [str(losscli), "evaluate", "predictions.csv", "--ci", "-o", "json", "--output-file", OUT],
        cwd=upstream,
        check=True,
    )
    (upstream / "predictions.csv").unlink()
    git(upstream, "add", ".")
    git(upstream, "commit", "-q", "-m", "baseline")
    work = tmp_path / "work"
    git(tmp_path, "clone", "-q", str(upstream), str(work))
    git(work, "checkout", "-q", "-b", "pr")
    write_predict(work, pr_noise)
    git(work, "commit", "-q", "--allow-empty", "-am", "the change")
    return work


def run_steps(work: Path, summary: Path) -> list[subprocess.CompletedProcess[str]]:
    """Every ``run:`` step in order until one fails (as the runner stops the job)."""
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_BASE_REF": "main",
        "GITHUB_ACTIONS": "true",
        "CI": "true",
    }
    done = []
    for step in steps():
        script = step.get("run")
        if script is None:
            assert step["uses"].split("@")[0] in ("actions/checkout", "actions/setup-python")
            continue
        if script.strip().startswith("pip install"):
            assert shutil.which("losscli", path=env["PATH"])  # (this venv is the install)
            continue
        proc = subprocess.run(
            ["bash", "-eo", "pipefail", "-c", script],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        done.append(proc)
        if proc.returncode != 0:
            break
    return done


def test_the_workflow_has_the_promised_steps() -> None:
    scripts = " ".join(s.get("run", "") for s in steps())
    assert "losscli evaluate" in scripts and "losscli compare" in scripts
    assert scripts.count("--summary") == 2 and "--fail-on-regression" in scripts
    assert scripts.count("--ci") == 1 and "--significant" in scripts
    assert "GITHUB_BASE_REF" in scripts


def test_unchanged_pull_request_passes(tmp_path: Path) -> None:
    work = checkout(tmp_path, pr_noise=0.0)
    summary = tmp_path / "summary.md"
    done = run_steps(work, summary)
    assert [p.returncode for p in done] == [0] * len(done), [p.stderr for p in done]
    assert len(done) == 4
    text = summary.read_text()
    assert text.startswith("**losscli evaluate**")
    assert "**losscli compare** · 0 regressions, 0 improvements, 20 unchanged" in text
    assert "gates passed" in done[-1].stdout


def test_worse_pull_request_fails_the_gate(tmp_path: Path) -> None:
    work = checkout(tmp_path, pr_noise=0.5)
    summary = tmp_path / "summary.md"
    done = run_steps(work, summary)
    assert [p.returncode for p in done] == [0, 0, 0, 1]
    failures = done[-1].stderr.splitlines()
    assert failures and all(line.startswith("gate failed: ") for line in failures)
    assert any("rmse>+2%" in line and "model tree" in line for line in failures)
    text = summary.read_text()
    # the linear model's 10 losses did not change; the tree model's got worse, beyond
    # rtol 1 % for most (r2 drops by less than 1 % of itself), significantly for some
    m = re.search(
        r"\*\*losscli compare\*\* · (\d+) regressions, 0 improvements, (\d+) unchanged "
        r"\((\d+) significant regressions\)",
        text,
    )
    assert m is not None, text
    worse, same, significant = int(m[1]), int(m[2]), int(m[3])
    assert worse + same == 20 and 8 <= worse <= 10 and 1 <= significant <= worse
    # one line per significant regression (--fail-on-regression) and 'rmse>+2%'
    assert len(failures) == significant + 1
    assert f"gates: {len(failures)} failed" in text
    assert "<details>" in text
