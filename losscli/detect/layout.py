"""Which column is the truth and which are predictions: a :class:`Layout` from the
column names (and, in one fallback, the column kinds).

Layouts recognised without flags (names from :mod:`losscli.detect.names`, matched
case-insensitively):

* a pair ``y_true,y_pred`` / ``target,prediction`` / ``label,prob`` /
  ``actual,predicted`` (and the other truth × prediction names);
* a truth column plus ``pred_<model>`` columns: several models, each named by its
  suffix (``pred_tree`` → model ``tree``);
* a truth column plus ``prob_<class>`` / ``proba_<class>`` / ``p_<class>`` columns
  (at least two): multiclass, one model named by the prefix (``prob``), classes
  named by the suffixes, in column order.

``--pred`` takes a column name, or a pattern with one ``*`` (``'prob_*'``) that
selects one probability column per class; the part the ``*`` matched is the class
label. When the guess is ambiguous or fails, the InputError lists the file's
columns and the flags that pick them.

Why cut so: this module reads names only (no data, no numpy); the task, which needs
the values, is :mod:`losscli.detect.task`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from losscli.detect.names import (
    CLASS_PREFIXES,
    GENERIC_PRED_NAMES,
    MODEL_PREFIXES,
    MODEL_SUFFIXES,
    NAME_HINTS,
    PAIRED_PRED_PREFIXES,
    PAIRED_TRUTH_PREFIXES,
    PRED_NAMES,
    PRED_WORDS,
    ROW_PROB_PREFIXES,
    SINGLE_PROB_PREFIXES,
    TRUTH_NAMES,
    TRUTH_PARTNERS,
    is_id,
    is_id_like,
)
from losscli.detect.names import key as _key
from losscli.errors import InputError, UsageError

_FLAGS_HINT = (
    "pick them with --true COL --pred COL (repeat --pred for several models, "
    "or --pred 'prob_*' for one probability column per class)"
)


@dataclass(frozen=True)
class ModelCols:
    """One model's prediction columns: one column, or one per class (``classes``)."""

    name: str
    columns: tuple[str, ...]
    classes: tuple[str, ...] | None = None
    #: what the column names say the values are: "probability", "score", "label" or None
    hint: str | None = None


@dataclass(frozen=True)
class Layout:
    target: str
    models: tuple[ModelCols, ...]
    multiclass: bool
    #: (model, column not used, column used): a label column beside the same
    #: model's probabilities (``lr_pred`` beside ``lr_proba``)
    unused: tuple[tuple[str, str, str], ...] = ()
    #: (column, the column it names): per-row probabilities left out of the guess
    #: (``prob_true`` beside ``true``: :func:`row_probabilities`)
    ignored: tuple[tuple[str, str], ...] = ()

    @property
    def classes(self) -> tuple[str, ...] | None:
        return self.models[0].classes if self.multiclass and self.models else None

    @property
    def pred_columns(self) -> tuple[str, ...]:
        return tuple(c for m in self.models for c in m.columns)


def _listing(columns: Sequence[str]) -> str:
    return ", ".join(columns) if columns else "(none)"


def where(source: str) -> str:
    """`` in FILE`` for a message, or nothing when the source has no name."""
    return f" in {source}" if source else ""


def _find_column(name: str, columns: Sequence[str], source: str, flag: str) -> str:
    """Exact match first, then a unique case-insensitive one."""
    if name in columns:
        return name
    folded = [c for c in columns if _key(c) == _key(name)]
    if len(folded) == 1:
        return folded[0]
    raise InputError(
        f"column {name!r} ({flag}) not found{where(source)}; columns are: {_listing(columns)}"
    )


def _pattern_model(pattern: str, columns: Sequence[str], source: str) -> ModelCols:
    if pattern.count("*") != 1:
        raise UsageError(
            f"--pred pattern {pattern!r} must hold exactly one '*' (e.g. 'prob_*'), "
            "standing for the class label"
        )
    prefix, suffix = pattern.split("*")
    pl, sl = prefix.lower(), suffix.lower()
    cols: list[str] = []
    classes: list[str] = []
    for col in columns:
        low = col.lower()
        if len(col) > len(prefix) + len(suffix) and low.startswith(pl) and low.endswith(sl):
            cols.append(col)
            classes.append(col[len(prefix) : len(col) - len(suffix)])
    if len(cols) < 2:
        raise InputError(
            f"--pred {pattern!r} matches {len(cols)} column{'s' if len(cols) != 1 else ''}"
            f"{where(source)}; a multiclass model needs one column per class (at least two); "
            f"columns are: {_listing(columns)}"
        )
    name = prefix.rstrip("_-. ") or suffix.strip("_-. ") or pattern
    return ModelCols(name, tuple(cols), tuple(classes))


def _class_families(columns: Sequence[str], skip: set[str]) -> list[ModelCols]:
    families = []
    for prefix in CLASS_PREFIXES:
        cols = [
            c
            for c in columns
            if c not in skip and _key(c).startswith(prefix) and len(_key(c)) > len(prefix)
        ]
        if len(cols) >= 2:
            families.append(
                ModelCols(
                    prefix.rstrip("_"), tuple(cols), tuple(c.strip()[len(prefix) :] for c in cols)
                )
            )
    return families


def _unique_names(models: list[ModelCols]) -> tuple[ModelCols, ...]:
    """Models named by a suffix fall back to their column name if two names clash."""
    names = [m.name for m in models]
    out = []
    for m in models:
        if names.count(m.name) > 1 and len(m.columns) == 1:
            m = ModelCols(m.columns[0], m.columns, m.classes)
        out.append(m)
    final = [m.name for m in out]
    dup = next((n for n in final if final.count(n) > 1), None)
    if dup is not None:
        raise UsageError(f"two prediction sources are both named {dup!r}; name them apart")
    return tuple(out)


def _check_classes(models: tuple[ModelCols, ...], source: str) -> tuple[ModelCols, ...]:
    """Every multiclass model must have the same classes; reorder to the first's order."""
    first = models[0].classes
    assert first is not None
    out = [models[0]]
    for m in models[1:]:
        if m.classes is None:
            raise UsageError(
                f"model {m.name!r} has one prediction column while {models[0].name!r} has one "
                "per class; evaluate one kind at a time"
            )
        if sorted(m.classes) != sorted(first):
            raise InputError(
                f"models {models[0].name!r} and {m.name!r}{where(source)} name different "
                f"classes: {', '.join(first)} vs {', '.join(m.classes)}"
            )
        by_class = dict(zip(m.classes, m.columns, strict=True))
        out.append(ModelCols(m.name, tuple(by_class[c] for c in first), first))
    return tuple(out)


def detect_layout(
    columns: Sequence[str],
    *,
    true: str | None = None,
    preds: Sequence[str] = (),
    source: str = "",
    require_pred: bool = True,
    exclude: Sequence[str] = (),
    kinds: Callable[[Sequence[str]], Mapping[str, str]] | None = None,
) -> Layout:
    """Find the truth and prediction columns among ``columns``.

    ``true`` / ``preds`` are the user's ``--true`` / ``--pred`` (names matched
    exactly, then case-insensitively); ``exclude`` names columns that are neither
    (``--weight``, ``--by``). ``require_pred=False`` (used by ``recommend``) returns
    a layout with no models instead of failing when no prediction column is found.
    ``kinds`` (columns → ``"number"`` | ``"text"`` | ``"id"`` ..., from the data) is
    asked only when the truth is named and no prediction column is: a single
    numeric non-id column left is then the prediction.
    """
    cols = list(columns)
    skip = {c for c in exclude if c in cols}
    rows = {} if preds else row_probabilities(cols, skip)

    # -- predictions given ------------------------------------------------------------
    models: list[ModelCols] = []
    for spec in preds:
        if "*" in spec:
            models.append(_pattern_model(spec, [c for c in cols if c not in skip], source))
        else:
            col = _find_column(spec, cols, source, "--pred")
            name = col
            for prefix in MODEL_PREFIXES:
                if _key(col).startswith(prefix) and len(_key(col)) > len(prefix):
                    name = col.strip()[len(prefix) :]
            models.append(ModelCols(name, (col,), None))

    # -- truth ------------------------------------------------------------------------
    used = {c for m in models for c in m.columns}
    unused: tuple[tuple[str, str, str], ...] = ()
    guess = skip | set(rows)  # (what the guesses below may not take)
    # (a class family beside true_<x>/predicted_<x> labels is the model: not the pair)
    family = bool(_class_families(cols, guess))
    paired = None if true is not None or models or family else _paired(cols, guess)
    if true is not None:
        target = _find_column(true, cols, source, "--true")
    elif paired is not None:
        target, models = paired
    else:
        target = _guess_truth(cols, guess | used, source, bool(models))
    if target in used:
        raise UsageError(f"column {target!r} cannot be both the truth and a prediction")

    # -- predictions guessed ----------------------------------------------------------
    if not models and not family:
        models = _paired_preds(target, cols, guess)  # (true_<x> with pred_<x>: the pair)
    if not models:
        models, unused = _guess_preds(cols, guess | {target}, source)
    if not models and true is not None:
        models = _fallback_pred(cols, guess | {target}, kinds)
    if not models:
        if not require_pred:
            return Layout(target, (), False)
        raise InputError(
            f"found the truth column {target!r} but no prediction column{where(source)}; "
            f"columns are: {_listing(cols)}; {_row_note(rows)}{_FLAGS_HINT}"
        )

    multiclass = any(m.classes is not None for m in models)
    final = _unique_names(models)
    if multiclass:
        final = _check_classes(final, source)
    ignored = tuple((c, n) for c, n in rows.items() if c != target)
    return Layout(target, final, multiclass, unused, ignored)


def row_probabilities(cols: Sequence[str], skip: set[str]) -> dict[str, str]:
    """``{column: the column it names}`` for the ``prob_<column>`` columns that are
    one number per row: ``prob_true`` beside ``true``, ``prob_pred`` beside ``pred``.

    Such a column is the probability the model gave to the value of the column it
    names on that row (the true label's, the predicted label's: a board-square
    evaluator writes ``true,pred,prob_pred,prob_true``, a worst-errors table
    ``true,pred,prob_true,prob_pred``), not one class's probability: read as a class
    family it would make classes named ``pred`` and ``true``, read alone as the
    positive class's probability (``prob_failed``) it would give a wrong log loss.
    A prefix counts only when every column it starts names another column
    (``label,prob_false,prob_true`` has no column ``false``: classes). These columns
    are never guessed as predictions; ``--pred`` still takes them."""
    keys = {_key(c): c for c in cols}
    out: dict[str, str] = {}
    for prefix in ROW_PROB_PREFIXES:
        members = [c for c in cols if _key(c).startswith(prefix) and len(_key(c)) > len(prefix)]
        named = {c: keys.get(_key(c)[len(prefix) :]) for c in members if c not in skip}
        if members and all(n is not None and n != c for c, n in named.items()):
            out.update({c: n for c, n in named.items() if n is not None})
    return out


def _row_note(rows: Mapping[str, str]) -> str:
    """Why the per-row probabilities were not taken (for the no-prediction message)."""
    if not rows:
        return ""
    named = ", ".join(f"{c!r} (of column {n!r})" for c, n in rows.items())
    return (
        f"{named}: the probability of that column's value on each row, not a class's "
        "(say --pred COL if it is the positive class's probability); "
    )


def _guess_truth(cols: list[str], skip: set[str], source: str, have_preds: bool) -> str:
    lower = {c: _key(c) for c in cols}
    candidates = [c for name in TRUTH_NAMES for c in lower if lower[c] == name]
    if len(candidates) > 1:
        # an excluded column (--by, --weight) is the truth only when nothing else is
        candidates = [c for c in candidates if c not in skip] or candidates
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        rest = [c for c in cols if c not in skip and not is_id(c)]
        if have_preds and len(rest) == 1:
            return rest[0]
        left = None if have_preds else _truth_by_elimination(cols, skip, source)
        if left is not None:
            return left
        raise InputError(
            f"cannot tell which column is the truth{where(source)}; columns are: "
            f"{_listing(cols)}; {_calibration_note(cols)}{_data_note(cols)}{_FLAGS_HINT}"
        )
    # Several: prefer the one whose usual partner is present (y_true + y_pred, ...).
    present = {_key(c) for c in cols}
    paired = [c for c in candidates if any(p in present for p in TRUTH_PARTNERS.get(_key(c), ()))]
    if len(paired) == 1:
        return paired[0]
    raise InputError(
        f"more than one column could be the truth{where(source)}: "
        f"{', '.join(candidates)}; pick one with --true COL; columns are: {_listing(cols)}"
    )


def _calibration_note(cols: Sequence[str]) -> str:
    """``prob_true`` and ``prob_pred`` with no truth: scikit-learn's
    ``calibration_curve`` returns ``(prob_true, prob_pred)``, the fraction of
    positives and the mean predicted probability of each bin — a summary of
    predictions, not predictions; the message says so."""
    keys = {_key(c) for c in cols}
    if {"prob_true", "prob_pred"} <= keys:
        return (
            "prob_true and prob_pred look like a calibration table (fraction of positives "
            "and mean predicted probability per bin), which holds no per-row predictions; "
        )
    return ""


def _data_note(cols: Sequence[str]) -> str:
    """Names that are numbers (``-1.93``, ``0.41``): the first line may be data (a
    Spark part written without a header, beside a text column); the file readers
    refuse a first line of numbers only themselves."""
    numbers = []
    for c in cols:
        try:
            float(c)
        except ValueError:
            continue
        numbers.append(c)
    if not numbers:
        return ""
    shown = ", ".join(numbers[:2])
    return (
        f"line 1 holds numbers ({shown}): if it is data, not a header, give the column "
        "names with --columns NAME,NAME,...; "
    )


def _truth_by_elimination(cols: list[str], skip: set[str], source: str) -> str | None:
    """No truth name (``station_id,time_idx,pred,Money_spent``): when the names
    give the predictions and every other column but one keys rows (an id name, or a
    name ending in ``_id`` / ``_idx`` / ``_index``), that one is the truth."""
    try:
        models, unused = _guess_preds(cols, skip, source)
    except InputError:
        return None
    taken = {c for m in models for c in m.columns} | {u[1] for u in unused}
    rest = [c for c in cols if c not in skip and c not in taken and not is_id_like(c)]
    return rest[0] if models and len(rest) == 1 else None


def _guess_preds(
    cols: list[str], skip: set[str], source: str
) -> tuple[list[ModelCols], tuple[tuple[str, str, str], ...]]:
    """Prediction columns by name: a class family; else the usual names and
    ``pred_<model>``; else ``<model>_proba`` / ``<model>_pred`` ... (a model with
    both keeps its probabilities: the other column is returned as unused)."""
    families = _class_families(cols, skip)
    if len(families) > 1:
        raise InputError(
            f"more than one set of class-probability columns{where(source)} "
            f"({', '.join(f.name + '_*' for f in families)}); pick one with --pred 'PREFIX*'; "
            f"columns are: {_listing(cols)}"
        )
    if families:
        f = families[0]
        return [ModelCols(f.name, f.columns, f.classes, "probability")], ()
    models: list[ModelCols] = []
    lower = {c: _key(c) for c in cols if c not in skip and not is_id(c)}
    taken: set[str] = set()
    single = [c for c, k in lower.items() if k.startswith(SINGLE_PROB_PREFIXES)]
    if len(single) == 1:  # prob_failed beside pred: the model's probabilities
        models.append(ModelCols(single[0].strip(), (single[0],), None, "probability"))
        taken.add(single[0])
    for name in PRED_NAMES:
        for c in lower:
            if lower[c] == name:
                models.append(ModelCols(c.strip(), (c,), None, NAME_HINTS.get(name)))
                taken.add(c)
    prefixed = []
    for c, low in lower.items():
        prefix = next((p for p in MODEL_PREFIXES if low.startswith(p) and low != p), None)
        if prefix is not None and c not in taken:
            prefixed.append(ModelCols(c.strip()[len(prefix) :], (c,), None))
            taken.add(c)
    _refuse_class_numbers(prefixed, source)
    models.extend(prefixed)
    if not models:
        for c, low in lower.items():
            suffix = next((x for x in MODEL_SUFFIXES if low.endswith(x) and low != x), None)
            if suffix is not None:
                name = c.strip()[: len(c.strip()) - len(suffix)]
                models.append(ModelCols(name, (c,), None, NAME_HINTS.get(suffix)))
    return _pair_models(models)


def _refuse_class_numbers(models: Sequence[ModelCols], source: str) -> None:
    """``pred_0, pred_1, pred_2``: one model's probabilities of classes 0, 1, 2 (an
    out-of-fold table's ``target,pred_0,pred_1,pred_2``) or three models numbered
    from 0 (seeds, folds)? The names cannot say, and either reading silently wrong
    would give another task: an :class:`InputError` naming both flags. Only the
    numbers ``0 .. k-1`` are refused; ``pred_1 .. pred_8`` (horizons, runs) and
    ``pred_tree`` stay models."""
    names = [m.name for m in models]
    if len(names) < 2 or sorted(names) != [str(i) for i in range(len(names))]:
        return
    cols = [m.columns[0] for m in models]
    prefix = cols[0][: len(cols[0]) - len(names[0])]
    raise InputError(
        f"columns {', '.join(cols)}{where(source)} could be one model's probabilities of "
        f"classes {', '.join(names)} or {len(cols)} models; say --pred '{prefix}*' for one "
        f"column per class, or {' '.join(f'--pred {c}' for c in cols)} for models"
    )


def _pair_models(
    models: list[ModelCols],
) -> tuple[list[ModelCols], tuple[tuple[str, str, str], ...]]:
    """One model with a probability column and a label column (``lr_proba`` +
    ``lr_pred``; ``y_prob`` + ``y_pred``) is one model: its probabilities."""
    groups: dict[str, list[ModelCols]] = {}
    for m in models:
        groups.setdefault(m.name.lower(), []).append(m)
    if len(groups) == 2 and len(models) == 2:
        probs = [m for m in models if m.hint == "probability"]
        rest = [m for m in models if m.hint != "probability"]
        generic = _key(rest[0].columns[0]) in GENERIC_PRED_NAMES
        if len(probs) == 1 and (rest[0].hint == "label" or generic):
            return probs, ((probs[0].name, rest[0].columns[0], probs[0].columns[0]),)
    out: list[ModelCols] = []
    unused: list[tuple[str, str, str]] = []
    for group in groups.values():
        probs = [m for m in group if m.hint == "probability"]
        if len(group) > 1 and len(probs) == 1:
            out.append(probs[0])
            unused.extend(
                (m.name, m.columns[0], probs[0].columns[0])
                for m in group
                if m.hint != "probability"
            )
        else:
            out.extend(group)
    return out, tuple(unused)


def _paired(cols: list[str], skip: set[str]) -> tuple[str, list[ModelCols]] | None:
    """``Actual_<x>`` with ``OOF_<x>`` / ``p_<x>`` / ...: when exactly one truth
    column of that shape has a prediction of the same ``<x>``."""
    found = []
    for c in cols:
        if c in skip:
            continue
        low = _key(c)
        if any(low.startswith(p) and low != p for p in PAIRED_TRUTH_PREFIXES):
            preds = _paired_preds(c, cols, skip)
            if preds:
                found.append((c, preds))
    return found[0] if len(found) == 1 else None


def _paired_preds(target: str, cols: list[str], skip: set[str]) -> list[ModelCols]:
    low = _key(target)
    prefix = next((p for p in PAIRED_TRUTH_PREFIXES if low.startswith(p) and low != p), None)
    if prefix is None:
        return []
    x = low[len(prefix) :]
    return [
        ModelCols(c.strip(), (c,), None)
        for c in cols
        if c not in skip and c != target and _strip_pred_prefixes(_key(c)) == x
    ]


def _strip_pred_prefixes(key: str) -> str | None:
    """``oof_p_churn`` → ``churn``: one or two prediction prefixes taken off (None
    when the name has none)."""
    out = None
    for _ in range(2):
        prefix = next((p for p in PAIRED_PRED_PREFIXES if key.startswith(p) and key != p), None)
        if prefix is None:
            break
        key = out = key[len(prefix) :]
    return out


def _fallback_pred(
    cols: list[str],
    skip: set[str],
    kinds: Callable[[Sequence[str]], Mapping[str, str]] | None,
) -> list[ModelCols]:
    """Once the truth is named: the one prediction-looking column left, or the one
    numeric column that is not an id (nothing when there are several)."""
    rest = [c for c in cols if c not in skip and not is_id(c)]
    looking = [c for c in rest if any(w in _key(c) for w in PRED_WORDS)]
    if len(looking) == 1:
        return [ModelCols(looking[0].strip(), (looking[0],), None)]
    if kinds is None or not rest:
        return []
    seen = kinds(rest)
    numeric = [c for c in rest if seen.get(c) == "number"]
    if len(numeric) == 1:
        return [ModelCols(numeric[0].strip(), (numeric[0],), None)]
    return []
