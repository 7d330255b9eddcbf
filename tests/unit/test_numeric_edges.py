"""Extreme numbers and the options that bound them (issue 10, items 5 and 6): no numpy
RuntimeWarning (or any Python warning) with a source line on stderr; `--eps` too small
to keep the clipped logarithms finite refused; a class weight given twice refused."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest

from losscli import losses
from losscli.errors import LossInputError

LOSSCLI = str(Path(sys.executable).parent / "losscli")

EXTREME = {
    # ±1e308: every residual overflows (e = 2e308 = inf), so does e², their sums...
    "opposite": "y_true,y_pred\n1e308,-1e308\n-1e308,1e308\n0,0\n",
    # e² of 1e200 overflows, 5e-324 is subnormal, log1p of 1e300 is fine
    "mixed": "y_true,y_pred\n1e200,1e-200\n5e-324,1e300\n3,4\n",
    # the sum of two 1e308 overflows even where every row is finite
    "same": "y_true,y_pred\n1e308,1e308\n1e308,1e308\n",
}


def losscli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LOSSCLI, *args], capture_output=True, text=True, check=False, timeout=120
    )


@pytest.mark.parametrize("name", EXTREME)
@pytest.mark.parametrize("extra", [[], ["--by", "y_true"], ["-o", "json"]])
def test_extreme_values_give_inf_without_warnings(
    tmp_path: Path, name: str, extra: list[str]
) -> None:
    path = tmp_path / f"{name}.csv"
    path.write_text(EXTREME[name])
    proc = losscli("evaluate", str(path), "--task", "regression", "-o", "csv", *extra)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # (no RuntimeWarning, no other warning)


@pytest.mark.parametrize("name", EXTREME)
def test_recommend_from_extreme_values_warns_nothing(tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.csv"
    path.write_text(EXTREME[name])
    proc = losscli("recommend", "--from", str(path), "--task", "regression", "-o", "json")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # (no RuntimeWarning: the medians and MADs are inf, not faults)


def test_the_values_are_the_ieee_ones(tmp_path: Path) -> None:
    path = tmp_path / "opposite.csv"
    path.write_text(EXTREME["opposite"])
    proc = losscli("evaluate", str(path), "-o", "csv", "-l", "mse", "-l", "mae")
    rows = dict(line.split(",")[2:4] for line in proc.stdout.splitlines()[1:])
    # by hand: |e| = 2e308 overflows to inf in rows 1 and 2, so both means are inf
    assert rows == {"mse": "inf", "mae": "inf"}


def test_the_library_computes_them_without_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (any RuntimeWarning would raise)
        assert losses.mse([1e308, -1e308], [-1e308, 1e308]) == math.inf
        assert losses.mae([1e308, 0.0], [-1e308, 0.0]) == math.inf
    # numpy's own state is left as it was
    assert np.geterr()["over"] == "warn"


# The CLI's last line of defence: a Python warning that reaches it (here raised by a
# renderer patched for the test) becomes one `losscli: warning:` line, escaped, with no
# file name or source line.
_WARNING_SCRIPT = textwrap.dedent(
    """
    import sys, warnings
    import losscli.render.losses as render
    real = render.losses_json
    def noisy(infos):
        warnings.warn("overflow\\x1b[2J encountered in multiply", RuntimeWarning)
        return real(infos)
    render.losses_json = noisy
    from losscli.cli import main
    sys.argv = ["losscli", "losses", "-o", "json"]
    main()
    """
)


def test_a_python_warning_is_one_line() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _WARNING_SCRIPT],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0
    assert proc.stderr == "losscli: warning: overflow\\x1b[2J encountered in multiply\n"
    assert proc.stdout.startswith("{")


# -- --eps -----------------------------------------------------------------------------


@pytest.mark.parametrize("eps", [5e-324, 1e-300, 1e-17, 2.0**-54, 0.5, 0.0, -1e-7, math.nan])
def test_eps_too_small_or_too_large_is_refused(eps: float) -> None:
    with pytest.raises(LossInputError, match=r"eps must be in \[2\^-53 ≈ 1\.1e-16, 0\.5\)"):
        losses.binary_crossentropy([0, 1], [0.2, 0.7], eps=eps)


def test_eps_at_the_limit_keeps_the_loss_finite() -> None:
    eps = 2.0**-53
    assert 1.0 - eps < 1.0  # the rule the limit comes from
    value = losses.binary_crossentropy([0, 1], [1.0, 0.0], eps=eps)
    # by hand: both predictions clipped to the wrong end, -log(eps) each = 53 ln 2
    assert value == pytest.approx(53 * math.log(2), rel=1e-12)


def test_cli_refuses_a_subnormal_eps(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    path.write_text("y_true,y_pred\n0,0.1\n1,0.9\n0,1\n")
    proc = losscli("evaluate", str(path), "--eps", "5e-324", "-o", "csv")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1
    assert proc.stderr.startswith("losscli: error: eps must be in [2^-53")


# -- --class-weight ----------------------------------------------------------------------


@pytest.mark.parametrize("spec", ["0=1,0=2", "0=1,1=1,0=1", " 1=2 ,1=3"])
def test_a_class_weight_given_twice_is_refused(tmp_path: Path, spec: str) -> None:
    path = tmp_path / "b.csv"
    path.write_text("y_true,y_pred\n0,0.1\n1,0.9\n0,0.4\n")
    proc = losscli("evaluate", str(path), "--class-weight", spec, "-o", "csv")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1
    assert "is given twice" in proc.stderr


def test_distinct_class_weights_still_work(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    path.write_text("y_true,y_pred\n0,0.1\n1,0.9\n0,0.4\n")
    args = ["--class-weight", "0=1,1=2", "-l", "weighted_bce", "-o", "csv"]
    proc = losscli("evaluate", str(path), *args)
    assert proc.returncode == 0, proc.stderr
    value = float(proc.stdout.splitlines()[1].split(",")[3])
    # by hand: Σ wᵢ·(-log p_t,i) / Σ wᵢ with w = 1, 2, 1 and p_t = 0.9, 0.9, 0.6
    expected = (-math.log(0.9) - 2 * math.log(0.9) - math.log(0.6)) / 4
    assert value == pytest.approx(expected, rel=1e-12)
