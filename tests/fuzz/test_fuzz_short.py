"""Short fuzz runs for ``make test`` (seconds): the C scanner's contract over
arbitrary bytes (``scanner_target.check``: exactly Arrow's values or a decline,
never a crash), the committed seed corpus replayed, and a few seconds of the
coverage-guided atheris fuzzer where atheris is installed. ``make fuzz`` runs the
long version (notes/fuzz.md). ``LOSSCLI_FUZZ_EXAMPLES`` scales the hypothesis runs."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scanner_target

HERE = Path(__file__).resolve().parent
EXAMPLES = int(os.environ.get("LOSSCLI_FUZZ_EXAMPLES", "200"))
#: the short run of `make test` is the same every time (a CI run must not fail on a new
#: random draw); `make fuzz` (LOSSCLI_FUZZ_EXAMPLES set) explores with fresh seeds
DERANDOMIZE = "LOSSCLI_FUZZ_EXAMPLES" not in os.environ

CELLS = st.sampled_from(
    [
        *(b"1", b"-2.5e3", b"0.1", b"1e400", b"4.9e-324", b"nan", b"NA", b"", b"abc", b'"x"'),
        *(b'"a""b"', b"1 ", b"+1", b".5", b"9007199254740993", b"\xff", b"null", b"1.0e+5"),
    ]
)
SEPARATORS = st.sampled_from([b",", b"\n", b"\r\n", b"\t", b'"', b"\r"])


@settings(
    max_examples=EXAMPLES,
    derandomize=DERANDOMIZE,
    suppress_health_check=[HealthCheck.too_slow],
    deadline=None,
)
@given(
    st.binary(min_size=4, max_size=4),
    st.binary(max_size=400) | st.lists(CELLS | SEPARATORS, max_size=60).map(b"".join),
)
def test_the_scanner_keeps_its_contract_on_any_bytes(params: bytes, block: bytes) -> None:
    scanner_target.check(params + block)


@pytest.mark.parametrize(
    "block", [b"\xef\xbb\xbf", b"\xef\xbb\xbf\n", b"\xef\xbb\xbf\x00", b"\xef\xbb\xbfa,b\n1,2\n"]
)
def test_a_block_starting_with_a_utf8_bom_keeps_the_contract(block: bytes) -> None:
    # found by the hypothesis run in CI: Arrow drops a leading BOM, the scanner read it
    # as data (now it declines such a block)
    for params in (b"\x00\x00\x01\x00", b"\x01\x00\x01\x00"):
        scanner_target.check(params + block)


def test_the_seed_corpus_keeps_the_contract() -> None:
    seeds = sorted((HERE / "seeds").iterdir())
    assert len(seeds) >= 8
    for seed in seeds:
        scanner_target.check(seed.read_bytes())


def test_the_target_catches_a_wrong_value(monkeypatch: pytest.MonkeyPatch) -> None:
    # (the check must be able to fail: a scanner off by one ulp is caught)
    import numpy as np

    from losscli.io import scanner

    real = scanner.scan

    def off_by_one_ulp(plan, block, header):  # type: ignore[no-untyped-def]
        batch = real(plan, block, header)
        if batch is not None and plan.kinds[0] == "f":
            batch._columns[0] = np.nextafter(batch._columns[0], np.inf)
        return batch

    monkeypatch.setattr(scanner, "scan", off_by_one_ulp)
    with pytest.raises(AssertionError):
        scanner_target.check((HERE / "seeds" / "two_numbers").read_bytes())


@pytest.mark.skipif(importlib.util.find_spec("atheris") is None, reason="atheris not installed")
def test_a_few_seconds_of_coverage_guided_fuzzing_find_nothing(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    result = subprocess.run(
        [
            *(sys.executable, str(HERE / "fuzz_scanner.py"), "-max_total_time=3", "-seed=1"),
            *(f"-artifact_prefix={tmp_path}/", str(corpus), str(HERE / "seeds")),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Done" in result.stderr and not list(tmp_path.glob("crash-*"))
