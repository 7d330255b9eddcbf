"""``losscli evaluate --ci`` through the CLI, in the formats people read: the table's
interval cells, the comparison table and the bootstrap line, CSV's columns and
comparisons block, Markdown's (issue 14). The numbers are checked against the
report the library returns for the same file and options (the one object every
format is made from), the point values against scikit-learn; how a number is written
is tests/unit/test_render_ci.py's."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from sklearn import metrics

from conftest import COMPARISON_ROW, Cli, ci_csv_tables

_cli = Cli("evaluate")
run = _cli.run

SAMPLES = Path(__file__).resolve().parents[2] / "sample_data"
MODELS = str(SAMPLES / "models.csv")


def report(**options: Any) -> Any:
    from losscli.evaluate import evaluate_file

    return evaluate_file(MODELS, ci=0.95, **options)


def test_csv_with_ci_carries_the_report() -> None:
    import pandas as pd

    rep = report()
    text = run(MODELS, "--ci", "-o", "csv").stdout
    results, comparisons = ci_csv_tables(text)
    assert pd.read_csv(io.StringIO(text)).shape == (len(rep.overall), 14)  # one table
    assert results[0] == ["model", "group", "loss", "value", "rows", "ci_low", "ci_high"]
    want = [
        [r.model, "", r.loss, repr(r.value), str(r.rows), repr(r.ci_low), repr(r.ci_high)]
        for r in rep.overall
    ]
    assert results[1:] == want
    assert comparisons[0] == COMPARISON_ROW
    assert len(comparisons) - 1 == len(rep.comparisons) == len(rep.overall) // 2
    df = pd.read_csv(MODELS)
    mse = {m: metrics.mean_squared_error(df["y_true"], df[f"pred_{m}"]) for m in ("linear", "tree")}
    row = next(r for r in comparisons[1:] if r[3] == "mse")
    assert row[:2] == ["tree", "linear"]
    assert float(row[4]) == pytest.approx(mse["tree"] - mse["linear"])
    # the plain CSV is what it was: no interval columns, no second block
    plain = run(MODELS, "-o", "csv").stdout
    assert plain.splitlines()[0] == "model,group,loss,value,rows" and "\n\n" not in plain


def test_table_with_ci_shows_intervals_comparisons_and_the_bootstrap() -> None:
    rep = report(losses=["rmse"])
    text = run(MODELS, "--ci", "-l", "rmse").stdout
    tree = next(r for r in rep.overall if r.model == "tree")
    # rmse of tree ≈ 0.99: 4 significant digits = 4 decimals, the interval's ends 3
    assert f"*{tree.value:.4f} [{tree.ci_low:.3f}, {tree.ci_high:.3f}]" in text
    assert "paired comparison with baseline linear" in text
    (row,) = rep.comparisons
    line = next(x for x in text.splitlines() if "tree" in x and row.verdict in x)
    assert "rmse" in line and "linear" not in line  # (the baseline is in the title)
    boot = rep.bootstrap
    flat = " ".join(text.split())  # (the footnote wraps at the console's width)
    assert f"{boot['resamples']:,} resamples, seed {boot['seed']}" in flat


def test_grouped_table_and_csv_with_ci(tmp_path: Path) -> None:
    import pandas as pd

    df = pd.read_csv(MODELS)
    df["site"] = ["north" if i % 3 else "south" for i in range(len(df))]
    path = tmp_path / "sites.csv"
    df.to_csv(path, index=False)
    text = run(str(path), "--ci", "--by", "site", "-l", "mae").stdout
    compared = text[text.index("paired comparison") :]
    assert [x.split("│")[1].strip() for x in compared.splitlines() if "tree" in x] == [
        "all",
        "north",
        "south",
    ]
    results, comparisons = ci_csv_tables(
        run(str(path), "--ci", "--by", "site", "-l", "mae", "-o", "csv").stdout
    )
    assert len(results) == 1 + 2 * 3 and all(r[5] and r[6] for r in results[1:])
    assert [r[2] for r in comparisons[1:]] == ["", "north", "south"]


def test_markdown_with_ci() -> None:
    text = run(MODELS, "--ci", "-o", "markdown", "-l", "mae", "-l", "r2").stdout
    lines = text.splitlines()
    assert any(x.startswith("| mae | ") and "[" in x for x in lines)
    assert any(x.startswith("**Paired comparison** with baseline linear") for x in lines)
    assert "| model | baseline | loss | Δ | 95% interval of Δ | p | verdict |" in lines
    assert any(x.startswith("- Bootstrap: percentile bootstrap") for x in lines)


def test_holm_and_permutation_in_the_table() -> None:
    args = (MODELS, "--ci", "--test", "permutation", "--correction", "holm")
    text = run(*args).stdout
    assert "p (holm)" in text and "test permutation, correction holm" in " ".join(text.split())
    md = run(*args, "-o", "markdown").stdout
    assert "| p (holm) | p raw | verdict |" in md


def test_untrusted_model_names_with_ci(tmp_path: Path) -> None:
    path = tmp_path / "evil.csv"
    lines = ["y_true,pred_[bold red]x[/],pred_@octo\u202e"]
    lines += [f"{i % 7}.5,{(i * 3) % 7}.25,{(i * 5) % 7}.75" for i in range(60)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    table = run(str(path), "--ci", "-l", "mae")
    assert table.exit_code == 0, table.stderr
    assert "[bold red]x[/]" in table.stdout and "\u202e" not in table.stdout
    md = run(str(path), "--ci", "-l", "mae", "-o", "markdown").stdout
    assert "@octo" not in md and "@&#8203;octo\\\\u202e" in md  # (md_escape doubles the \\)
    rows = ci_csv_tables(run(str(path), "--ci", "-l", "mae", "-o", "csv").stdout)[1]
    assert rows[1][0] == "'@octo\\u202e"  # no live formula in a spreadsheet
