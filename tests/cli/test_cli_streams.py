"""stdout that cannot be written, on every command (issue 10, item 2), and Click usage
errors as one line (item 4): real subprocesses of the installed console script, since
the behaviour lives in the process (descriptors, encodings, pipes, exit status)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

LOSSCLI = str(Path(sys.executable).parent / "losscli")
SAMPLES = Path(__file__).resolve().parents[2] / "sample_data"
REGRESSION = str(SAMPLES / "regression.csv")
LOG = str(SAMPLES / "train_log.csv")

COMMANDS = {
    "evaluate": ["evaluate", REGRESSION],
    "evaluate-json": ["evaluate", REGRESSION, "-o", "json"],
    "history": ["history", LOG],
    "history-json": ["history", LOG, "-o", "json"],
    "recommend": ["recommend", "--task", "binary"],
    "recommend-json": ["recommend", "--task", "binary", "-o", "json"],
    "losses": ["losses"],
    "losses-json": ["losses", "-o", "json"],
    "version": ["--version"],
    "help": ["evaluate", "--help"],
}
every_command = pytest.mark.parametrize("args", COMMANDS.values(), ids=COMMANDS.keys())


def run(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    options: dict[str, object] = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
    options.update(kwargs)
    return subprocess.run(
        [LOSSCLI, *args],
        check=False,
        timeout=120,
        **options,  # type: ignore[call-overload]
    )


def one_error_line(stderr: bytes) -> str:
    text = stderr.decode()
    assert "Traceback" not in text
    lines = text.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("losscli: error: ")
    return lines[0]


@every_command
def test_full_stdout_is_one_line_and_exit_2(args: list[str]) -> None:
    with open("/dev/full", "wb") as full:
        proc = run(args, stdout=full)
    assert proc.returncode == 2
    line = one_error_line(proc.stderr)
    assert line == "losscli: error: cannot write to stdout: No space left on device"


@every_command
def test_closed_stdout_is_one_line_and_exit_2(args: list[str]) -> None:
    proc = run(args, stdout=None, preexec_fn=lambda: os.close(1))
    assert proc.returncode == 2
    assert one_error_line(proc.stderr) == (
        "losscli: error: cannot write to stdout: Bad file descriptor (stdout is closed)"
    )


def test_closed_stdout_is_fine_when_nothing_goes_there(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    proc = run(
        ["evaluate", REGRESSION, "-o", "json", "--output-file", str(target)],
        stdout=None,
        preexec_fn=lambda: os.close(1),
    )
    assert proc.returncode == 0 and proc.stderr == b""
    assert json.loads(target.read_text())["rows"] == 500


@pytest.mark.parametrize(
    "args", [["evaluate", "-"], ["recommend", "--from", "-"], ["history", "-"]]
)
def test_closed_stdin_is_one_line_and_exit_2(args: list[str]) -> None:
    proc = run(args, stdin=None, preexec_fn=lambda: os.close(0))
    assert proc.returncode == 2 and proc.stdout == b""
    assert one_error_line(proc.stderr) == "losscli: error: <stdin> is empty"


def test_closed_stderr_still_gives_the_exit_status() -> None:
    proc = run(["evaluate", "no-such-file.csv"], stderr=None, preexec_fn=lambda: os.close(2))
    assert proc.returncode == 2 and proc.stdout == b""


@every_command
def test_ascii_stdout_escapes_and_succeeds(args: list[str]) -> None:
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    proc = run(args, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == b""
    if "--help" in args:  # (Click writes the help itself, as UTF-8 on an ASCII stream)
        return
    proc.stdout.decode("ascii")  # (raises if a byte is not ASCII)
    utf8 = run(args)
    assert utf8.returncode == 0
    if "json" in args:  # the escapes are JSON's own: the same document
        assert json.loads(proc.stdout) == json.loads(utf8.stdout)
    elif not utf8.stdout.isascii():
        assert b"\\u" in proc.stdout


def test_ascii_escape_of_a_character_beyond_the_bmp(tmp_path: Path) -> None:
    csv = tmp_path / "emoji.csv"
    csv.write_text("y_true,pred_\U0001f600\n1,2\n3,3\n", encoding="utf-8")
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    proc = run(["evaluate", str(csv), "-o", "json", "-l", "mse"], env=env)
    assert proc.returncode == 0, proc.stderr
    assert b"\\ud83d\\ude00" in proc.stdout  # U+1F600 as a JSON surrogate pair
    utf8 = run(["evaluate", str(csv), "-o", "json", "-l", "mse"])
    assert json.loads(proc.stdout) == json.loads(utf8.stdout)
    assert "\U0001f600" in json.loads(proc.stdout)["models"][0]


@every_command
def test_closed_pipe_is_quiet_and_exit_141(args: list[str]) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has gone before anything is written
    try:
        proc = run(args, stdout=write_end)
    finally:
        os.close(write_end)
    assert proc.returncode == 141
    assert proc.stderr == b""


def test_head_cuts_a_big_output_and_pipefail_sees_it(tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    with big.open("w") as fh:
        fh.write("y_true,y_pred,g\n")
        fh.writelines(f"{i % 7},{(i * 13) % 11},{i % 3000}\n" for i in range(30_000))
    command = f"{LOSSCLI} evaluate {big} --task regression --by g -o csv | head -1"
    proc = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.stdout == "model,group,loss,value,rows\n"
    assert proc.stderr == ""
    assert proc.returncode == 141
    whole = run(["evaluate", str(big), "--task", "regression", "--by", "g", "-o", "csv"])
    assert whole.returncode == 0 and len(whole.stdout) > 4 * 65536  # more than a pipe holds


# -- usage errors (item 4) -----------------------------------------------------------

USAGE_ERRORS = {
    "precision": (
        ["evaluate", REGRESSION, "--precision", "-1"],
        ["'--precision'", "greater than or equal to 1"],
    ),
    "output": (["evaluate", REGRESSION, "-o", "xml"], ["'--output'", "'xml'", "'markdown'"]),
    "unknown-option": (["evaluate", REGRESSION, "--bogus"], ["no such option: --bogus"]),
    "task": (["evaluate", REGRESSION, "--task", "regresion"], ["'--task'", "'multiclass'"]),
    "missing-file": (["evaluate"], ["missing argument 'FILE'"]),
    "unknown-command": (["evaluat"], ["no such command 'evaluat'"]),
    "history-output": (["history", LOG, "-o", "csv"], ["'--output'", "'json'"]),
    "losses-output": (["losses", "-o", "yaml"], ["'--output'", "'table'"]),
    "recommend-output": (["recommend", "-o", "csv"], ["'--output'", "'json'"]),
    "recommend-side": (["recommend", "--asymmetric", "sideways"], ["'--asymmetric'", "'under'"]),
}


@pytest.mark.parametrize("args,says", USAGE_ERRORS.values(), ids=USAGE_ERRORS.keys())
def test_usage_errors_are_one_line_and_exit_2(args: list[str], says: list[str]) -> None:
    proc = run(args)
    assert proc.returncode == 2 and proc.stdout == b""
    line = one_error_line(proc.stderr)
    for words in says:
        assert words in line, line
    command = args[0] if args[0] in COMMANDS else None
    if command is not None and args[0] != "evaluat":
        assert line.startswith(f"losscli: error: {command}: ")
        assert line.endswith(f"(see 'losscli {command} --help')")


def test_usage_error_with_a_control_byte_is_escaped() -> None:
    proc = run(["evaluate", REGRESSION, "-o", "\x1b[31mred"])
    assert proc.returncode == 2
    line = one_error_line(proc.stderr)
    assert "\x1b" not in line and "\\x1b[31mred" in line


@pytest.mark.parametrize(
    "args",
    [
        ["evaluate", REGRESSION, "--task", "REGRESSION", "-l", "mse", "-o", "CSV"],
        ["evaluate", REGRESSION, "--task", "Regression", "-l", "mse", "-o", "csv"],
        ["evaluate", REGRESSION, "--format", "CSV", "-l", "mse", "-o", "csv"],
    ],
)
def test_choices_are_case_insensitive_in_evaluate(args: list[str]) -> None:
    proc = run(args)
    assert proc.returncode == 0, proc.stderr
    reference = run(["evaluate", REGRESSION, "--task", "regression", "-l", "mse", "-o", "csv"])
    assert proc.stdout == reference.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["history", LOG, "-o", "JSON", "--x", "Epoch"],
        ["losses", "-o", "JSON", "--task", "REGRESSION"],
        ["recommend", "--task", "REGRESSION", "-o", "JSON", "--asymmetric", "UNDER"],
    ],
)
def test_choices_are_case_insensitive_in_every_command(args: list[str]) -> None:
    proc = run(args)
    assert proc.returncode == 0, proc.stderr
    lower = run([a.lower() if a.isupper() or a[:1].isupper() else a for a in args])
    assert json.loads(proc.stdout) == json.loads(lower.stdout)
