"""The registry's one lookup of a loss by name (issue 11): ``find`` / ``get_spec``.

The old spellings (``BY_ID``, ``CATALOG``, ``spec.info``, ``registry as catalog``,
``registry.resolve``) are gone from the package; a name is looked up one way.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from losscli.errors import LossInputError, UsageError
from losscli.losses import registry

PACKAGE = Path(__file__).resolve().parents[2] / "losscli"
OLD = re.compile(r"\bBY_ID\b|\bCATALOG\b|\bspec\.info\b|registry as catalog|registry\.resolve\(")


def test_find_takes_ids_and_aliases_in_any_spelling() -> None:
    huber = registry.REGISTRY["huber"]
    assert registry.find("huber") is huber and registry.find(" HUBER ") is huber
    assert registry.find("smooth-l1") is registry.REGISTRY["smooth_l1"]
    assert registry.find("log_loss") is registry.REGISTRY["binary_crossentropy"]
    assert registry.find("nope") is None


@pytest.mark.parametrize("error", [LossInputError, UsageError])
def test_get_spec_raises_the_callers_error_listing_the_ids(error: type[Exception]) -> None:
    with pytest.raises(error, match=r"unknown loss 'nope'; valid ids: mse, rmse, mae, huber"):
        registry.get_spec("nope", error)  # type: ignore[arg-type]


def test_no_old_lookup_spelling_is_left_in_the_package() -> None:
    hits = [
        f"{path.relative_to(PACKAGE)}:{n}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if OLD.search(line)
    ]
    assert hits == []


def test_lookup_loads_no_numpy() -> None:
    code = (
        "import sys; from losscli.losses import registry as r; "
        "assert r.find('bce').id == 'binary_crossentropy'; r.for_task('regression'); "
        "assert 'numpy' not in sys.modules, 'numpy'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
