"""Untrusted text on every stream (issue 10, items 3 and 7): control bytes and
bidirectional controls escaped on stderr exactly as on stdout, in every output format,
and no GitHub mention in Markdown output. Real subprocesses of the installed CLI."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from losscli.render import safe_text, to_json
from losscli.render.evaluate import md_escape

from conftest import console as losscli

BIDI = [0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
# Raw bytes that must never reach a terminal: C0 but tab and newline, DEL, C1, bidi.
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")

NAME = "bad\x1b[31m\u202eX\x07.csv"  # a file name with ESC, BEL and a right-to-left override
COLUMN = "p\x1b]0;pwn\x07\u2067q"  # a column with an OSC title sequence and an isolate


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    (tmp_path / NAME).write_text(f"y_true,{COLUMN},w\n1,2,1\n3,,1\n4,5,1\n", encoding="utf-8")
    return tmp_path


def assert_escaped(text: str) -> None:
    assert RAW.search(text) is None, repr(text)


# -- the one function ----------------------------------------------------------------


@pytest.mark.parametrize("code", [*BIDI, 0x2028, 0x2029])
def test_safe_text_escapes_every_bidi_control(code: int) -> None:
    assert safe_text(f"a{chr(code)}b") == f"a\\u{code:04x}b"


@pytest.mark.parametrize("code", [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)])
def test_safe_text_escapes_control_bytes(code: int) -> None:
    assert safe_text(f"a{chr(code)}b") == f"a\\x{code:02x}b"


def test_json_escapes_bidi_and_c1_yet_keeps_the_text() -> None:
    value = "x\u202ey\x9bz\u2066" + "é"
    text = to_json({"name": value})
    assert_escaped(text)
    assert "é" in text  # (ordinary non-ASCII stays as it is)
    assert json.loads(text) == {"name": value}


def test_json_list_escapes_like_a_document() -> None:
    value = "x\u202ey\x9bz\u2066"
    text = to_json([{"name": value}, {"name": "plain"}])
    assert_escaped(text)
    assert json.loads(text) == [{"name": value}, {"name": "plain"}]


def test_history_of_several_runs_escapes_their_file_names(tmp_path: Path) -> None:
    """Several logs: a JSON list of documents, escaped as one run's document is."""
    log = "epoch,loss,val_loss\n1,1.0,1.1\n2,0.8,0.9\n3,0.6,0.8\n4,0.5,0.75\n"
    (tmp_path / NAME).write_text(log, encoding="utf-8")
    (tmp_path / "plain.csv").write_text(log, encoding="utf-8")
    proc = losscli("history", NAME, "plain.csv", "-o", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert_escaped(proc.stdout)
    assert [run["file"] for run in json.loads(proc.stdout)] == [NAME, "plain.csv"]


# -- stderr: errors and warnings -------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["evaluate", NAME, "--true", "nosuch"],
        ["evaluate", NAME],  # (no prediction column: the column list)
        ["recommend", "--from", NAME, "--true", "nosuch"],
        ["history", NAME],
        ["evaluate", "missing-" + NAME],
    ],
    ids=["evaluate-true", "evaluate-columns", "recommend", "history", "missing-file"],
)
def test_errors_escape_file_and_column_names(hostile: Path, args: list[str]) -> None:
    proc = losscli(*args, cwd=hostile)
    assert proc.returncode == 2 and proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("losscli: error: "), lines
    assert_escaped(proc.stderr)
    assert "bad\\x1b[31m\\u202eX\\x07.csv" in proc.stderr
    if "missing-" + NAME not in args:  # (every other error lists the columns)
        assert "p\\x1b]0;pwn\\x07\\u2067q" in proc.stderr


def test_warnings_escape_the_file_name(hostile: Path) -> None:
    proc = losscli("evaluate", NAME, "--pred", COLUMN, "--dropna", "-o", "csv", cwd=hostile)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.startswith("losscli: warning: bad\\x1b[31m\\u202eX\\x07.csv: dropped 1")
    assert_escaped(proc.stderr)


def test_usage_error_escapes_the_bad_value(hostile: Path) -> None:
    proc = losscli("evaluate", NAME, "-o", "\u202ejson", cwd=hostile)
    assert proc.returncode == 2
    assert_escaped(proc.stderr)
    assert "'\\u202ejson'" in proc.stderr


# -- stdout: every format -------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["table", "csv", "markdown", "json"])
def test_every_output_format_escapes(hostile: Path, fmt: str) -> None:
    proc = losscli("evaluate", NAME, "--pred", COLUMN, "--dropna", "-o", fmt, cwd=hostile)
    assert proc.returncode == 0, proc.stderr
    assert_escaped(proc.stdout)
    if fmt == "json":  # JSON's own escapes: the names come back exactly
        doc = json.loads(proc.stdout)
        assert doc["models"] == [COLUMN] and doc["file"] == NAME
    else:
        assert "\\u2067" in proc.stdout  # (the column)
        assert fmt == "csv" or "\\u202e" in proc.stdout  # (the file name, in the title)


# -- Markdown: no mention, no entity -----------------------------------------------------

MENTION = re.compile(r"(?<![\w`])@[A-Za-z0-9]")  # what GitHub would link


@pytest.mark.parametrize(
    "text",
    ["@octocat", "cc @github/security-team", "a@b.com", "(@x)", "@@dup", "@Octo-Cat"],
)
def test_md_escape_leaves_no_mention(text: str) -> None:
    escaped = md_escape(text)
    assert MENTION.search(escaped) is None, escaped
    assert "@&#8203;" in escaped
    # What a reader sees once GitHub renders it: the text, with an invisible space.
    shown = escaped.replace("&#8203;", "").replace("\\", "")
    assert shown == text


def test_md_escape_writes_ampersands_as_entities() -> None:
    # `&#8238;` would render as a real right-to-left override.
    assert md_escape("a &#8238; b") == "a &amp;\\#8238; b"


def test_markdown_output_pings_nobody(tmp_path: Path) -> None:
    csv = tmp_path / "@octocat.csv"
    csv.write_text(
        "y_true,@dependabot,team\n1,2,@github/security\n3,3,@github/security\n4,5,ok\n",
        encoding="utf-8",
    )
    args = ["--pred", "@dependabot", "--by", "team", "-o", "markdown"]
    proc = losscli("evaluate", csv.name, *args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert MENTION.search(proc.stdout) is None, proc.stdout
    for name in ("octocat", "dependabot", "github/security"):
        assert f"@&#8203;{name}" in proc.stdout


def test_progress_line_shows_the_file_name_as_text(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from losscli.cli import evaluate_cmd

    class _Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    fake = _Tty()
    monkeypatch.setattr(sys, "stderr", fake)
    monkeypatch.setattr(evaluate_cmd._Progress, "DELAY", 0.0)
    progress = evaluate_cmd._Progress("[bold]x[/bold]\x1b[2J\u202e.csv")
    progress(1000)
    progress.stop()
    shown = fake.getvalue()
    # markup stays text, the escape and the override are escaped
    assert "[bold]x[/bold]\\x1b[2J\\u202e.csv: 1,000 rows" in shown
