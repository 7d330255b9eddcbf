"""Two evaluate documents → one :class:`~losscli.compare.report.Change` per cell.

For each (model, group, loss) of either report: Δ = new − base, Δ% = 100·Δ / |base|
(``None`` when base is 0 and Δ is not), and a verdict, direction-aware from the
registry (``LossSpec.greater_is_better``: r2 is a score, a rise is better; every other
loss is better lower). With ``worse_by`` = Δ for a loss and −Δ for a score, and the
tolerance τ = atol + rtol·|base|:

* ``worse`` when worse_by > τ, ``better`` when worse_by < −τ, else ``unchanged``;
* a value that became undefined (NaN, null in JSON) is ``worse``, one that became
  defined ``better``; both undefined is ``unchanged``.

The default τ (rtol 1e-9, atol 0) calls equal what differs only by floating-point
summation order (the same data read in other chunks), nothing more.

**Significance.** Two reports written by ``evaluate --ci`` carry a bootstrap interval
[l, u] around each value. Non-overlap of the two intervals is not a test (it is far
too conservative); the interval of the *difference* is built instead, by the method
of variance estimates recovery (MOVER; Zou & Donner 2008, Newcombe 1998) for two
independent estimates b (base, [l_b, u_b]) and n (new, [l_n, u_n]):

    L = Δ − √((n − l_n)² + (u_b − b)²)        U = Δ + √((u_n − n)² + (b − l_b)²)

which for symmetric normal intervals is Δ ± z·√(se_b² + se_n²) (the half-widths
combined in quadrature) and keeps the skew of percentile intervals. The change is
*significant* when [L, U] excludes 0. It is approximate, and it assumes the two
evaluations are independent: for two models scored on the same rows the errors are
positively correlated, the true interval of Δ is narrower, and this one is
conservative (it misses changes a paired test finds). Two prediction files joined on a
row key (``--key``) are compared paired instead: one bootstrap over the same resampled
rows, whose interval and p-value replace these.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from losscli.compare.load import Cell, cells
from losscli.compare.report import (
    BETTER,
    ONLY_BASE,
    ONLY_NEW,
    UNCHANGED,
    WORSE,
    Change,
)
from losscli.losses import registry

DEFAULT_RTOL = 1e-9
DEFAULT_ATOL = 0.0
#: what a paired comparison hands over per cell: Δ, its interval, its p-value
Paired = Mapping[Cell, tuple[float, float | None, float | None, float | None]]


def higher_is_better(loss_key: str) -> bool:
    """The registry's direction of a result key (``pinball@0.9`` → pinball's)."""
    spec = registry.find(registry.split_key(loss_key)[0])
    return bool(spec and spec.greater_is_better)


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def verdict(base: float, new: float, higher: bool, rtol: float, atol: float) -> str:
    """better / worse / unchanged of one cell (see the module docstring)."""
    if math.isnan(base) or math.isnan(new):
        if math.isnan(base) and math.isnan(new):
            return UNCHANGED
        return WORSE if math.isnan(new) else BETTER
    if base == new:
        return UNCHANGED
    worse_by = (base - new) if higher else (new - base)
    if math.isnan(worse_by):  # (inf − inf cannot happen: equal infinities returned above)
        return UNCHANGED
    tol = atol + rtol * abs(base) if math.isfinite(base) else 0.0
    if worse_by > tol:
        return WORSE
    if worse_by < -tol:
        return BETTER
    return UNCHANGED


def relative(base: float | None, delta: float | None) -> float | None:
    """Δ% = 100·Δ/|base|; 0 when Δ = 0, ``None`` when undefined (base 0, NaN)."""
    if delta is None or base is None or not math.isfinite(delta) or not math.isfinite(base):
        return None
    if delta == 0:
        return 0.0
    return None if base == 0 else 100.0 * delta / abs(base)


def mover(
    base: float, base_ci: tuple[float | None, float | None], new: float, new_ci: tuple[Any, Any]
) -> tuple[float, float] | None:
    """The MOVER interval of new − base from the two intervals, or ``None``."""
    lb, ub = base_ci
    ln, un = new_ci
    if not all(_finite(v) for v in (base, new, lb, ub, ln, un)):
        return None
    assert lb is not None and ub is not None and ln is not None and un is not None
    delta = new - base
    low = delta - math.hypot(new - ln, ub - base)
    high = delta + math.hypot(un - new, base - lb)
    return low, high


def diff_documents(
    base_doc: dict[str, Any],
    new_doc: dict[str, Any],
    *,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
    paired: Paired | None = None,
) -> list[Change]:
    """Every cell of either document, base's order first, then the cells only NEW has."""
    base_cells, new_cells = cells(base_doc), cells(new_doc)
    order = list(base_cells) + [c for c in new_cells if c not in base_cells]
    out: list[Change] = []
    for cell in order:
        model, group, loss = cell
        higher = higher_is_better(loss)
        b, n = base_cells.get(cell), new_cells.get(cell)
        if b is None or n is None:
            value = b if b is not None else n
            assert value is not None
            out.append(
                Change(
                    model,
                    group,
                    loss,
                    b[0] if b else None,
                    n[0] if n else None,
                    None,
                    None,
                    ONLY_BASE if n is None else ONLY_NEW,
                    higher,
                )
            )
            continue
        out.append(_change(cell, b, n, higher, rtol, atol, paired))
    return out


def _change(
    cell: Cell,
    b: tuple[float, float | None, float | None],
    n: tuple[float, float | None, float | None],
    higher: bool,
    rtol: float,
    atol: float,
    paired: Paired | None,
) -> Change:
    model, group, loss = cell
    base, new = b[0], n[0]
    delta: float | None = new - base if _finite(base) and _finite(new) else None
    if delta is None and base == new:
        delta = 0.0  # (the same infinity)
    worse_by = None if delta is None else (-delta if higher else delta)
    ci: tuple[float, float] | None = None
    p_value = None
    if paired is not None and cell in paired:
        d, lo, hi, p_value = paired[cell]
        ci = (lo, hi) if lo is not None and hi is not None else None
        delta = d if _finite(d) else delta
    elif paired is None:
        ci = mover(base, (b[1], b[2]), new, (n[1], n[2]))
    significant = None if ci is None else bool(ci[0] > 0 or ci[1] < 0)
    return Change(
        model,
        group,
        loss,
        None if math.isnan(base) else base,
        None if math.isnan(new) else new,
        delta,
        relative(base, delta),
        verdict(base, new, higher, rtol, atol),
        higher,
        worse_by,
        None if ci is None else ci[0],
        None if ci is None else ci[1],
        significant,
        p_value,
    )


def has_intervals(doc: dict[str, Any]) -> bool:
    """Whether a document carries bootstrap intervals (``evaluate --ci``)."""
    return doc.get("bootstrap") is not None


def mismatches(base: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What differs between two reports so that their numbers do not compare: the
    task, weight column, ``--by`` column, parameters, signature (conventions), the
    interval level, the models and the losses. Each is one phrase."""
    out: list[str] = []
    for key in ("task", "weight", "group_by"):
        if base.get(key) != new.get(key):
            out.append(f"{key} {_show(base.get(key))} (base) vs {_show(new.get(key))} (new)")
    bp, np_ = base.get("params") or {}, new.get("params") or {}
    for key in list(bp) + [k for k in np_ if k not in bp]:
        if bp.get(key) != np_.get(key):
            out.append(
                f"parameter {key} {_show(bp.get(key))} (base) vs {_show(np_.get(key))} (new)"
            )
    found = signature_difference(base.get("signature"), new.get("signature"))
    if found is not None and not found[1]:
        out.append(found[0])
    bb, nb = base.get("bootstrap"), new.get("bootstrap")
    if isinstance(bb, dict) and isinstance(nb, dict) and bb.get("level") != nb.get("level"):
        out.append(f"interval level {bb.get('level')} (base) vs {nb.get('level')} (new)")
    for what, key in (("models", "model"), ("losses", "loss")):
        b_set = {r[key] for r in base["results"]}
        n_set = {r[key] for r in new["results"]}
        for side, only in (("base", b_set - n_set), ("new", n_set - b_set)):
            if only:
                out.append(f"{what} only in {side}: {', '.join(sorted(only))}")
    return out


#: signature fields that name the losscli version (a difference there alone is a warning)
VERSION_FIELDS = ("losscli", "version", "v")


def parse_signature(text: str) -> dict[str, str] | None:
    """A signature's fields, ``key:value`` separated by ``|`` (sacrebleu's form), or
    ``None`` when it is not in that form (then it is compared as a whole)."""
    fields: dict[str, str] = {}
    for part in text.split("|"):
        key, sep, value = part.partition(":")
        if not sep or not key.strip():
            return None
        fields[key.strip()] = value.strip()
    return fields


def signature_difference(base: Any, new: Any) -> tuple[str, bool] | None:
    """How two reports' signatures differ: (the phrase, whether only the losscli
    version differs), or ``None`` when they agree or either is missing."""
    if not isinstance(base, str) or not isinstance(new, str) or base == new:
        return None
    b, n = parse_signature(base), parse_signature(new)
    if b is None or n is None:
        return f"signature {base!r} (base) vs {new!r} (new)", False
    keys = list(b) + [k for k in n if k not in b]
    differ = [k for k in keys if b.get(k) != n.get(k)]
    parts = [f"{k} {_show(b.get(k))} (base) vs {_show(n.get(k))} (new)" for k in differ]
    only_version = all(k in VERSION_FIELDS for k in differ)
    return f"signature: {'; '.join(parts)}", only_version


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str):
        return repr(value)
    return str(value)
