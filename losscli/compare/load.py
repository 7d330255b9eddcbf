"""BASE and NEW as ``losscli.evaluate/1`` documents: a report read, or a file evaluated.

Every side becomes the same thing, the JSON document of an evaluation (a dict), so a
report written by ``evaluate -o json`` on main and a prediction file evaluated here go
through one comparison path. Which one a path is:

* a name ending in ``.json`` is a report (and must be a losscli evaluate report);
* otherwise the first bytes decide: a JSON object whose first key is ``"schema"`` (the
  way losscli writes every JSON document) is a report; anything else is a prediction
  file, evaluated with the options ``compare`` was given (``evaluate_file``, the same
  library call as ``losscli evaluate``). ``-`` (stdin) is spooled once and sniffed the
  same way, so ``losscli evaluate ... -o json | losscli compare base.json -`` works.

A report is checked for the shape the comparison reads (schema, task, params, results
with model / group / loss / value), with one error line naming the file and the first
bad entry; the full contract is the JSON Schema (``losscli schema evaluate``).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from losscli.errors import InputError

EVALUATE_SCHEMA = "losscli.evaluate/1"
_HEAD = re.compile(rb'\A\s*\{\s*"schema"\s*:')
_SNIFF = 4096

Cell = tuple[str, "str | None", str]


def sniff_path(source: str) -> tuple[Path | None, bool]:
    """The path holding ``source``'s bytes and whether they are a report.

    Stdin, a FIFO or ``<(…)`` is spooled once (:mod:`losscli.io.spool`: the evaluation
    then reads the same spool, nothing is read twice); ``None`` for a local path that
    does not exist. A URL or a glob is a predictions source: ``(None, False)``."""
    import stat

    from losscli.io import spool

    if source == "-":
        path = spool.spool_stdin()
    elif _remote(source):
        return None, False
    else:
        path = Path(source)
        try:
            mode = path.stat().st_mode
        except OSError:
            return None, source.lower().endswith(".json")
        if stat.S_ISDIR(mode):
            return path, False  # (a directory of prediction files)
        if source.lower().endswith(".json"):
            return path, True
        if not stat.S_ISREG(mode):
            path = spool.spool_path(path, source)
    try:
        with open(path, "rb") as fh:
            head = fh.read(_SNIFF)
    except OSError:
        return path, False  # (the evaluation names the failure)
    return path, _HEAD.match(head) is not None


def read_report(path: Path, name: str) -> dict[str, Any]:
    """The evaluate document in ``path``, checked; InputError (exit 2) naming what is wrong."""
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise InputError(f"{name}: no such file", file=name) from None
    except OSError as exc:
        raise InputError(f"cannot read {name}: {exc.strerror or exc}", file=name) from None
    except UnicodeDecodeError:
        raise InputError(f"{name} is not a losscli report (not UTF-8 JSON)", file=name) from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{name} is not a losscli report (invalid JSON at line {exc.lineno})", file=name
        ) from None
    check_report(doc, name)
    return doc


def check_report(doc: Any, name: str) -> None:
    """The shape the comparison reads: a ``losscli.evaluate/1`` document."""
    schema = doc.get("schema") if isinstance(doc, dict) else None
    if not isinstance(schema, str) or not schema.startswith("losscli."):
        raise InputError(
            f'{name} is not a losscli report (no "schema": {json.dumps(EVALUATE_SCHEMA)})',
            file=name,
        )
    if schema.startswith("losscli.evaluate/") and schema != EVALUATE_SCHEMA:
        raise InputError(
            f"{name} has schema {schema}; this losscli compares {EVALUATE_SCHEMA} reports",
            file=name,
        )
    if schema != EVALUATE_SCHEMA:
        raise InputError(
            f"{name} is a {schema} document, not an evaluate report ({EVALUATE_SCHEMA})",
            file=name,
        )
    for key, kind in (("task", str), ("params", dict), ("results", list), ("models", list)):
        if not isinstance(doc.get(key), kind):
            raise InputError(f"{name}: {EVALUATE_SCHEMA} report without a valid {key!r}")
    for i, r in enumerate(doc["results"]):
        why = _bad_result(r)
        if why:
            raise InputError(f"{name}: results[{i}] {why}", file=name)


def _bad_result(r: Any) -> str | None:
    if not isinstance(r, dict):
        return "is not an object"
    for key in ("model", "loss"):
        if not isinstance(r.get(key), str):
            return f"has no {key!r}"
    if r.get("group") is not None and not isinstance(r["group"], str):
        return "has a 'group' that is not text"
    for key in ("value", "ci_low", "ci_high"):
        v = r.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int | float)):
            return f"has a {key!r} that is not a number"
    return None


def cells(doc: dict[str, Any]) -> dict[Cell, tuple[float, float | None, float | None]]:
    """(model, group, loss) → (value, ci_low, ci_high); a null value (JSON's NaN) is NaN."""
    out: dict[Cell, tuple[float, float | None, float | None]] = {}
    for r in doc["results"]:
        value = r.get("value")
        out[(r["model"], r.get("group"), r["loss"])] = (
            math.nan if value is None else float(value),
            _opt(r.get("ci_low")),
            _opt(r.get("ci_high")),
        )
    return out


def _opt(value: Any) -> float | None:
    return None if value is None else float(value)


def _remote(source: str) -> bool:
    return "://" in source or any(c in source for c in "*?[")


def load_sides(
    sources: tuple[str, str], evaluate: Callable[[str], Any]
) -> list[tuple[dict[str, Any], str, Any | None]]:
    """Each source as an evaluate document, its kind ("report" | "predictions") and,
    for predictions, the :class:`~losscli.evaluate.EvaluationReport` (its warnings).

    Both are found and the reports read before any file is evaluated, so a missing
    or bad side costs no evaluation (and loads no numpy). ``evaluate(source)``
    evaluates a prediction file with the command's options."""
    from losscli.io import sources as src

    found = []
    for source in sources:
        name = src.display_name(source)
        path, is_report = sniff_path(source)
        if path is None and (is_report or not _remote(source)):
            raise InputError(f"file not found: {name}", file=name)
        found.append((source, name, path, is_report))
    docs = {s: read_report(p, n) for s, n, p, r in found if r and p is not None}
    out = []
    for source, _, _, is_report in found:
        if is_report:
            out.append((docs[source], "report", None))
        else:
            report = evaluate(source)
            out.append((report.to_dict(), "predictions", report))
    return out
