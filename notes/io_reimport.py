"""One-off for merging session 4's branches (issue 11): rewrite imports of the old
``losscli.readers`` / ``losscli.sources`` / ``losscli.jsonl`` to ``losscli.io``.

    python notes/io_reimport.py FILE...    (prints what it changed; delete this after)

then `ruff check --fix` and `ruff format` (import order, joined lines).

* ``from losscli import readers`` (function-local or at the top): the names used as
  ``readers.X`` in that scope decide the new imports (``sources``, ``spool``,
  ``tables``); ``numeric_array`` and the other column helpers are imported by name,
  since callers name a local variable ``columns``.
* ``from losscli.readers import A, B``: each name from its new module.
"""

from __future__ import annotations

import re
import sys

#: old name → (new module, new name)
MOVED: dict[str, tuple[str, str]] = {
    "display_name": ("sources", "display_name"),
    "open_bytes": ("sources", "open_bytes"),
    "STDIN": ("sources", "STDIN"),
    "FORMATS": ("sources", "FORMATS"),
    "os": ("sources", "os"),
    "cleanup": ("spool", "cleanup"),
    "_spool_stdin": ("spool", "spool_stdin"),
    "read_columns": ("tables", "read_columns"),
    "sniff_types": ("tables", "sniff_types"),
    "iter_arrays": ("tables", "iter_arrays"),
    "iter_batches": ("tables", "iter_batches"),
    "iter_frames": ("tables", "iter_frames"),
    "read_frame": ("tables", "read_frame"),
    "DEFAULT_CHUNK_ROWS": ("tables", "DEFAULT_CHUNK_ROWS"),
    "_check_duplicates": ("tables", "check_duplicates"),
    "PARQUET_GROUP_VALUES": ("parquet", "PARQUET_GROUP_VALUES"),
    "_fast_block": ("scanner", "scan"),
    "_FastPlan": ("scanner", "Plan"),
    "numeric_array": ("columns", "numeric_array"),
    "arrow_float64": ("columns", "arrow_float64"),
    "arrow_int_codes": ("columns", "arrow_int_codes"),
    "arrow_valid": ("columns", "arrow_valid"),
    "exact_int64": ("columns", "exact_int64"),
    "TextCodes": ("columns", "TextCodes"),
    "pyarrow_if": ("columns", "pyarrow_if"),
}
BY_NAME = {"columns"}  # modules whose names are imported directly


def _scope_end(lines: list[str], i: int, indent: str) -> int:
    if not indent:
        return len(lines)
    j = i + 1
    while j < len(lines):
        text = lines[j]
        if text.strip() and len(text) - len(text.lstrip()) < len(indent):
            break
        j += 1
    return j


def _module_import(lines: list[str], i: int, m: re.Match[str]) -> list[str]:
    indent = m.group(1)
    end = _scope_end(lines, i, indent)
    used = sorted(set(re.findall(r"\breaders\.(\w+)", "\n".join(lines[i + 1 : end]))))
    unknown = [u for u in used if u not in MOVED]
    if unknown:
        raise SystemExit(f"line {i + 1}: no new home known for readers.{', '.join(unknown)}")
    for k in range(i + 1, end):

        def sub(mm: re.Match[str]) -> str:
            module, name = MOVED[mm.group(1)]
            return name if module in BY_NAME else f"{module}.{name}"

        lines[k] = re.sub(r"\breaders\.(\w+)", sub, lines[k])
    others = [x.strip() for x in m.group(2).split(",") if x.strip() != "readers"]
    direct = sorted(MOVED[u][1] for u in used if MOVED[u][0] in BY_NAME)
    modules = sorted({MOVED[u][0] for u in used if MOVED[u][0] not in BY_NAME})
    new = [f"{indent}from losscli import {', '.join(others)}"] if others else []
    if direct:
        new.append(f"{indent}from losscli.io.columns import {', '.join(direct)}")
    if modules:
        new.append(f"{indent}from losscli.io import {', '.join(modules)}")
    return new


def _name_import(m: re.Match[str]) -> list[str]:
    indent, names = m.group(1), [n.strip() for n in m.group(2).split(",") if n.strip()]
    by_module: dict[str, list[str]] = {}
    for name in names:
        old, _, alias = name.partition(" as ")
        module, new = MOVED[old.strip()]
        alias = alias.strip() or (old.strip() if new != old.strip() else "")
        by_module.setdefault(module, []).append(f"{new} as {alias}" if alias else new)
    return [
        f"{indent}from losscli.io.{module} import {', '.join(items)}"
        for module, items in sorted(by_module.items())
    ]


def rewrite(text: str) -> tuple[str, list[str]]:
    lines = text.split("\n")
    done: list[str] = []
    i = 0
    while i < len(lines):
        whole = re.match(r"^(\s*)from losscli import (.*\breaders\b.*)$", lines[i])
        named = re.match(r"^(\s*)from losscli\.readers import ([^(]*)$", lines[i])
        if whole:
            new = _module_import(lines, i, whole)
        elif named:
            new = _name_import(named)
        else:
            i += 1
            continue
        done.append(f"{i + 1}: {lines[i].strip()} -> {' | '.join(n.strip() for n in new)}")
        lines[i : i + 1] = new
        i += len(new)
    return "\n".join(lines), done


if __name__ == "__main__":
    for path in sys.argv[1:]:
        with open(path) as fh:
            text, done = rewrite(fh.read())
        with open(path, "w") as fh:
            fh.write(text)
        for line in done:
            print(f"{path}:{line}")
