"""``--filter``: a small row predicate, parsed by hand (never ``eval``), as data.

Grammar (case-insensitive keywords)::

    expr    := term ("or" term)*
    term    := factor ("and" factor)*
    factor  := "not" factor | "(" expr ")" | compare
    compare := column OP literal
    OP      := "==" | "=" | "!=" | "<" | "<=" | ">" | ">="
    column  := NAME ([A-Za-z_][A-Za-z0-9_.]*) | `any name` (backquotes)
    literal := number | "text" | 'text' | true | false

Semantics are SQL's: a comparison with a missing value is unknown, and a row is kept
only when the whole predicate is true. The parsed :class:`Filter` is used three ways:
:func:`to_expression` gives a ``pyarrow.compute.Expression`` (pushed down to
``pyarrow.dataset``: partition pruning, row-group statistics, row filtering);
:func:`on_partition` decides a file from its Hive partition values alone (True,
False, or None when the predicate needs data columns), so files are skipped before
they are opened; :meth:`Filter.columns` names what the rows must be read with.

Cut so: the syntax and its meaning are here, stdlib only; pyarrow is imported by
:func:`to_expression` alone, and what reads files is :mod:`losscli.io.dataset`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from losscli.errors import UsageError

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<op>==|!=|<=|>=|<|>|=)
      | (?P<paren>[()])
      | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<quoted>`[^`]+`)
      | (?P<num>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![A-Za-z_]))
      | (?P<name>[A-Za-z_][A-Za-z0-9_.]*)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Compare:
    column: str
    op: str  # one of == != < <= > >=
    value: str | int | float | bool


@dataclass(frozen=True)
class Node:
    kind: str  # "and" | "or" | "not"
    items: tuple[Any, ...]


@dataclass(frozen=True)
class Filter:
    """A parsed ``--filter``: ``tree`` of :class:`Node` / :class:`Compare`, ``text``
    as given."""

    text: str
    tree: Any

    def columns(self) -> list[str]:
        """The columns the predicate reads, in order of appearance."""
        out: list[str] = []
        _walk_columns(self.tree, out)
        return out


def _walk_columns(tree: Any, out: list[str]) -> None:
    if isinstance(tree, Compare):
        if tree.column not in out:
            out.append(tree.column)
        return
    for item in tree.items:
        _walk_columns(item, out)


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise _bad(text, f"cannot read {text[pos:].strip()[:20]!r}")
        kind = m.lastgroup
        assert kind is not None
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def _bad(text: str, why: str) -> UsageError:
    return UsageError(
        f"--filter {text!r}: {why}; write COLUMN OP VALUE joined by and/or, "
        'e.g. \'day >= "2026-11-01" and model == "tree"\''
    )


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def keyword(self, word: str) -> bool:
        tok = self.peek()
        if tok is not None and tok[0] == "name" and tok[1].lower() == word:
            self.i += 1
            return True
        return False

    def expr(self) -> Any:
        items = [self.term()]
        while self.keyword("or"):
            items.append(self.term())
        return items[0] if len(items) == 1 else Node("or", tuple(items))

    def term(self) -> Any:
        items = [self.factor()]
        while self.keyword("and"):
            items.append(self.factor())
        return items[0] if len(items) == 1 else Node("and", tuple(items))

    def factor(self) -> Any:
        if self.keyword("not"):
            return Node("not", (self.factor(),))
        tok = self.peek()
        if tok == ("paren", "("):
            self.i += 1
            inner = self.expr()
            if self.peek() != ("paren", ")"):
                raise _bad(self.text, "a '(' is not closed")
            self.i += 1
            return inner
        return self.compare()

    def compare(self) -> Compare:
        col = self.take("a column name")
        if col[0] == "quoted":
            column = col[1][1:-1]
        elif col[0] == "name" and col[1].lower() not in ("and", "or", "not", "true", "false"):
            column = col[1]
        else:
            raise _bad(self.text, f"expected a column name, got {col[1]!r}")
        op = self.take("an operator (== != < <= > >=)")
        if op[0] != "op":
            raise _bad(self.text, f"expected an operator after {column!r}, got {op[1]!r}")
        return Compare(column, "==" if op[1] == "=" else op[1], self.literal())

    def literal(self) -> str | int | float | bool:
        kind, text = self.take("a value")
        if kind == "str":
            return re.sub(r"\\(.)", r"\1", text[1:-1])
        if kind == "num":
            return float(text) if re.search(r"[.eE]", text) else int(text)
        if kind == "name" and text.lower() in ("true", "false"):
            return text.lower() == "true"
        raise _bad(self.text, f"expected a number, a quoted text or true/false, got {text!r}")

    def take(self, what: str) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise _bad(self.text, f"ends where {what} was expected")
        self.i += 1
        return tok


def parse(text: str) -> Filter:
    """The :class:`Filter` of ``text``, or UsageError naming what is wrong."""
    if not text.strip():
        raise _bad(text, "it is empty")
    parser = _Parser(text)
    tree = parser.expr()
    if parser.peek() is not None:
        raise _bad(text, f"unexpected {parser.peek()[1]!r}")  # type: ignore[index]
    return Filter(text, tree)


# --------------------------------------------------------------------------- meaning


def _compare(left: Any, op: str, right: Any) -> bool:
    if op == "==":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    if op == ">":
        return bool(left > right)
    return bool(left >= right)


def on_partition(flt: Filter, values: dict[str, Any]) -> bool | None:
    """The predicate on one file's partition ``values`` (key → typed value): True or
    False when they decide it, None when it needs a data column (three-valued logic:
    ``False and unknown`` is False, ``True or unknown`` is True)."""
    return _decide(flt.tree, values, flt.text)


def _decide(tree: Any, values: dict[str, Any], text: str) -> bool | None:
    if isinstance(tree, Compare):
        if tree.column not in values:
            return None
        left = values[tree.column]
        if left is None:  # a null key: the rows decide (SQL: NULL compares unknown)
            return None
        if isinstance(left, str) != isinstance(tree.value, str):
            kind = "text" if isinstance(left, str) else "numbers"
            raise _bad(text, f"partition key {tree.column!r} holds {kind}; compare it with {kind}")
        return _compare(left, tree.op, tree.value)
    parts = [_decide(item, values, text) for item in tree.items]
    if tree.kind == "not":
        return None if parts[0] is None else not parts[0]
    if tree.kind == "and":
        if any(p is False for p in parts):
            return False
        return None if any(p is None for p in parts) else True
    if any(p is True for p in parts):
        return True
    return None if any(p is None for p in parts) else False


def to_expression(flt: Filter, schema: Any = None) -> Any:
    """The predicate as a ``pyarrow.compute.Expression``. With the ``schema`` of the
    rows it filters, a quoted literal compared with a date or timestamp column is that
    column's type (``day >= "2026-11-01"`` on a date a CSV or Parquet file holds, as on
    a Hive key), and a literal of the wrong kind is one clear UsageError."""
    return _expression(flt.tree, schema, flt.text)


def _expression(tree: Any, schema: Any, text: str) -> Any:
    import pyarrow.compute as pc

    if isinstance(tree, Compare):
        field = pc.field(tree.column)
        value = _literal(tree, schema, text)
        ops = {
            "==": field.__eq__,
            "!=": field.__ne__,
            "<": field.__lt__,
            "<=": field.__le__,
            ">": field.__gt__,
            ">=": field.__ge__,
        }
        return ops[tree.op](value)
    parts = [_expression(item, schema, text) for item in tree.items]
    if tree.kind == "not":
        return ~parts[0]
    out = parts[0]
    for part in parts[1:]:
        out = (out & part) if tree.kind == "and" else (out | part)
    return out


def _literal(tree: Compare, schema: Any, text: str) -> Any:
    """``tree``'s literal as a pyarrow scalar of the column's kind (see
    :func:`to_expression`)."""
    import pyarrow as pa

    value = pa.scalar(tree.value)
    if schema is None or tree.column not in schema.names:
        return value
    kind = schema.field(tree.column).type
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    is_text = pa.types.is_string(kind) or pa.types.is_large_string(kind)
    if pa.types.is_temporal(kind) and isinstance(tree.value, str):
        try:
            return value.cast(kind)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise _bad(
                text, f"column {tree.column!r} holds {kind}; {tree.value!r} is not one"
            ) from None
    if pa.types.is_temporal(kind):
        raise _bad(text, f'column {tree.column!r} holds {kind}; compare it with "quoted text"')
    if is_text != isinstance(tree.value, str) and not pa.types.is_null(kind):
        held = "text" if is_text else "numbers"
        raise _bad(text, f"column {tree.column!r} holds {held}; compare it with {held}")
    return value


def source_rows(
    location: str,
    fmt: str,
    flt: Filter,
    values: dict[str, Any],
    types: dict[str, str],
    kept: list[int],
    *,
    header: Sequence[str] | None = None,
) -> dict[int, int]:
    """The file's 1-based data rows of the rows ``kept`` (1-based among the rows
    ``flt`` keeps of the file at ``location``; ``values``: its partition values,
    ``types``: how the run read its columns). The rows the run was given are the kept
    ones, so its messages count them; this reads the filter's columns of the file
    again (only when a message names a row) and counts every row."""
    import numpy as np
    import pyarrow as pa

    from losscli.io import tables
    from losscli.io.scanner import ArrayBatch

    read = [c for c in flt.columns() if c not in values]
    if not read:  # (a filter on partition keys only keeps every row of a file it reads)
        return {k: k for k in kept}
    wanted, out = sorted(set(kept)), {}
    start = seen = 0
    batches = tables.iter_batches(
        location, fmt=fmt, columns=read, column_types=types, header=header
    )
    for batch in batches:
        table = pa.Table.from_batches(
            [batch.to_arrow() if isinstance(batch, ArrayBatch) else batch]
        )
        for key, value in values.items():
            table = table.append_column(key, pa.repeat(value, table.num_rows))
        rows = np.arange(start, start + table.num_rows)
        expr = to_expression(flt, table.schema)
        index = table.append_column("\0row", pa.array(rows)).filter(expr).column("\0row")
        found = index.to_numpy()
        while wanted and wanted[0] <= seen + len(found):
            k = wanted.pop(0)
            out[k] = int(found[k - seen - 1]) + 1
        if not wanted:
            break
        start, seen = start + table.num_rows, seen + len(found)
    return out
