"""Which column is the truth, which are predictions, which task.

Layouts recognised without flags (column names matched case-insensitively):

* a pair ``y_true,y_pred`` / ``target,prediction`` / ``label,prob`` /
  ``actual,predicted`` (and the other truth × prediction names below);
* a truth column plus ``pred_<model>`` columns: several models, each named by its
  suffix (``pred_tree`` → model ``tree``);
* a truth column plus ``prob_<class>`` / ``proba_<class>`` / ``p_<class>`` columns
  (at least two): multiclass, one model named by the prefix (``prob``), classes
  named by the suffixes, in column order.

``--pred`` takes a column name, or a pattern with one ``*`` (``'prob_*'``) that
selects one probability column per class; the part the ``*`` matched is the class
label. When the guess is ambiguous or fails, the InputError lists the file's
columns and the flags that pick them.

Task inference (:func:`infer_task`): class-probability columns → multiclass;
truth values in {0, 1} (or booleans) and predictions in [0, 1] → binary; text
truth with at most two labels → binary (the caller asks for ``--positive``);
otherwise regression.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from losscli.errors import InputError, UsageError
from losscli.tasks import is_missing

TRUTH_NAMES: tuple[str, ...] = (
    "y_true",
    "target",
    "label",
    "actual",
    "truth",
    "ground_truth",
    "y",
    "true",
    "labels",
    "targets",
    "y_test",
    "true_values",
    "true_value",
    "actual_values",
    "true_label",
    "true_labels",
    "true_class",
    "actual_label",
    "actual_class",
    "gt",
    "observed",
)
#: prediction names that say the values are class labels (``predict`` output)
LABEL_NAMES: tuple[str, ...] = (
    "pred_label",
    "pred_labels",
    "pred_class",
    "predicted_label",
    "predicted_labels",
    "predicted_class",
    "y_pred_label",
)
#: prediction names of two words that say the values are probabilities
PROBABILITY_PHRASES: tuple[str, ...] = (
    "predicted_prob",
    "predicted_proba",
    "predicted_probability",
    "pred_prob",
    "pred_proba",
)
PRED_NAMES: tuple[str, ...] = (
    "y_pred",
    "prediction",
    "predicted",
    "prob",
    "pred",
    "predictions",
    "proba",
    "probability",
    "y_prob",
    "y_proba",
    "y_score",
    "score",
    "y_hat",
    "yhat",
    "preds",
    "oof",
    "predicted_values",
    "predicted_value",
    *LABEL_NAMES,
    *PROBABILITY_PHRASES,
)
#: what a prediction's name says its values are (names not listed: nothing)
NAME_HINTS: dict[str, str] = {
    **dict.fromkeys(
        (
            *("prob", "proba", "probability", "y_prob", "y_proba"),
            *PROBABILITY_PHRASES,
            *("_prob", "_proba", "_probability"),
        ),
        "probability",
    ),
    **dict.fromkeys(("score", "y_score", "_score"), "score"),
    **dict.fromkeys(LABEL_NAMES, "label"),
}
MODEL_PREFIXES: tuple[str, ...] = ("pred_", "prediction_", "preds_")
#: ``<model>_proba`` / ``<model>_pred`` ...: one model each, named by the prefix
MODEL_SUFFIXES: tuple[str, ...] = (
    "_proba",
    "_prob",
    "_probability",
    "_pred",
    "_preds",
    "_prediction",
    "_predictions",
    "_predicted",
    "_score",
)
#: ``Actual_<x>`` (the truth) with ``OOF_<x>`` / ``p_<x>`` / ``pred_<x>`` (its prediction)
PAIRED_TRUTH_PREFIXES: tuple[str, ...] = ("actual_", "true_", "y_true_")
PAIRED_PRED_PREFIXES: tuple[str, ...] = ("oof_", "p_", "pred_", "predicted_", "prediction_")
#: columns that identify a row and are never the truth or a prediction
ID_NAMES: frozenset[str] = frozenset(
    (
        "",
        "id",
        "index",
        "idx",
        "row",
        "row_id",
        "filename",
        "file",
        "file_name",
        "path",
        "image",
        "image_id",
        "image_name",
        "sample_id",
        "key",
        "uid",
        "unnamed:_0",
    )
)
#: words of a name that say "prediction" (the fallback once the truth is named)
PRED_WORDS: tuple[str, ...] = ("pred", "prob", "score", "oof", "hat", "forecast", "estimate")
CLASS_PREFIXES: tuple[str, ...] = ("prob_", "proba_", "p_")

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

    @property
    def classes(self) -> tuple[str, ...] | None:
        return self.models[0].classes if self.multiclass and self.models else None

    @property
    def pred_columns(self) -> tuple[str, ...]:
        return tuple(c for m in self.models for c in m.columns)


def _key(column: str) -> str:
    """How names are matched: case and surrounding spaces do not count, and a
    space or a hyphen is an underscore (``True Values`` is ``true_values``)."""
    return column.strip().lower().replace(" ", "_").replace("-", "_")


def is_id(column: str) -> bool:
    """Whether a column's name says it identifies rows (``id``, ``filename``, the
    index pandas writes as an unnamed first column, ...)."""
    key = _key(column)
    return key in ID_NAMES or key.startswith("unnamed:")


def _listing(columns: Sequence[str]) -> str:
    return ", ".join(columns) if columns else "(none)"


def _where(source: str) -> str:
    return f" in {source}" if source else ""


def _find_column(name: str, columns: Sequence[str], source: str, flag: str) -> str:
    """Exact match first, then a unique case-insensitive one."""
    if name in columns:
        return name
    folded = [c for c in columns if _key(c) == _key(name)]
    if len(folded) == 1:
        return folded[0]
    raise InputError(
        f"column {name!r} ({flag}) not found{_where(source)}; columns are: {_listing(columns)}"
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
            f"{_where(source)}; a multiclass model needs one column per class (at least two); "
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
                f"models {models[0].name!r} and {m.name!r}{_where(source)} name different "
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
    paired = None if true is not None or models else _paired(cols, skip)
    if true is not None:
        target = _find_column(true, cols, source, "--true")
    elif paired is not None:
        target, models = paired
    else:
        target = _guess_truth(cols, skip | used, source, bool(models))
    if target in used:
        raise UsageError(f"column {target!r} cannot be both the truth and a prediction")

    # -- predictions guessed ----------------------------------------------------------
    if not models:
        models = _paired_preds(target, cols, skip)  # (true_<x> with pred_<x>: the pair)
    if not models:
        models, unused = _guess_preds(cols, skip | {target}, source)
    if not models and true is not None:
        models = _fallback_pred(cols, skip | {target}, kinds)
    if not models:
        if not require_pred:
            return Layout(target, (), False)
        raise InputError(
            f"found the truth column {target!r} but no prediction column{_where(source)}; "
            f"columns are: {_listing(cols)}; {_FLAGS_HINT}"
        )

    multiclass = any(m.classes is not None for m in models)
    final = _unique_names(models)
    if multiclass:
        final = _check_classes(final, source)
    return Layout(target, final, multiclass, unused)


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
        raise InputError(
            f"cannot tell which column is the truth{_where(source)}; columns are: "
            f"{_listing(cols)}; {_FLAGS_HINT}"
        )
    # Several: prefer the one whose usual partner is present (y_true + y_pred, ...).
    present = {_key(c) for c in cols}
    partners = {
        "y_true": ("y_pred",),
        "target": ("prediction", "pred", "predicted"),
        "label": ("prob", "proba", "probability"),
        "actual": ("predicted", "prediction"),
        "y": ("y_hat", "yhat"),
    }
    paired = [c for c in candidates if any(p in present for p in partners.get(_key(c), ()))]
    if len(paired) == 1:
        return paired[0]
    raise InputError(
        f"more than one column could be the truth{_where(source)}: "
        f"{', '.join(candidates)}; pick one with --true COL; columns are: {_listing(cols)}"
    )


def _guess_preds(
    cols: list[str], skip: set[str], source: str
) -> tuple[list[ModelCols], tuple[tuple[str, str, str], ...]]:
    """Prediction columns by name: a class family; else the usual names and
    ``pred_<model>``; else ``<model>_proba`` / ``<model>_pred`` ... (a model with
    both keeps its probabilities: the other column is returned as unused)."""
    families = _class_families(cols, skip)
    if len(families) > 1:
        raise InputError(
            f"more than one set of class-probability columns{_where(source)} "
            f"({', '.join(f.name + '_*' for f in families)}); pick one with --pred 'PREFIX*'; "
            f"columns are: {_listing(cols)}"
        )
    if families:
        f = families[0]
        return [ModelCols(f.name, f.columns, f.classes, "probability")], ()
    models: list[ModelCols] = []
    lower = {c: _key(c) for c in cols if c not in skip and not is_id(c)}
    taken: set[str] = set()
    for name in PRED_NAMES:
        for c in lower:
            if lower[c] == name:
                models.append(ModelCols(c.strip(), (c,), None, NAME_HINTS.get(name)))
                taken.add(c)
    for c, low in lower.items():
        prefix = next((p for p in MODEL_PREFIXES if low.startswith(p) and low != p), None)
        if prefix is not None and c not in taken:
            models.append(ModelCols(c.strip()[len(prefix) :], (c,), None))
            taken.add(c)
    if not models:
        for c, low in lower.items():
            suffix = next((x for x in MODEL_SUFFIXES if low.endswith(x) and low != x), None)
            if suffix is not None:
                name = c.strip()[: len(c.strip()) - len(suffix)]
                models.append(ModelCols(name, (c,), None, NAME_HINTS.get(suffix)))
    return _pair_models(models)


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
        generic = {"y_pred", "pred", "prediction", "predicted", "predictions", "preds"}
        if len(probs) == 1 and (rest[0].hint == "label" or _key(rest[0].columns[0]) in generic):
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


# --------------------------------------------------------------------------- task


def infer_task(y_true: Any, first_pred: Any, layout: Layout, *, source: str = "") -> str:
    """``"regression"`` | ``"binary"`` | ``"multiclass"`` from a sample of the data.

    ``y_true`` is a Series / array of the truth (a first chunk is enough),
    ``first_pred`` the first model's predictions (Series / array, or a 2-D
    DataFrame / array for a multiclass model, or ``None``).
    """
    import numpy as np

    if layout.multiclass:
        return "multiclass"
    truth = np.asarray(y_true)
    if truth.dtype == bool:
        return "binary"
    values = _as_float_or_none(truth)
    if values is None:
        labels = {str(v) for v in truth.ravel().tolist() if not is_missing(v)}
        if len(labels) <= 2:
            return "binary"
        raise InputError(
            f"the truth column {layout.target!r}{_where(source)} holds {len(labels)} text "
            "labels but there is one prediction column per model; for multiclass give one "
            "probability column per class (e.g. --pred 'prob_*'), or say --task"
        )
    values = values[~np.isnan(values)]
    if values.size == 0 or not np.isin(values, (0.0, 1.0)).all():
        return "regression"
    if first_pred is None:
        return "binary"
    pred = _as_float_or_none(np.asarray(first_pred))
    if pred is None:
        return "regression"
    pred = pred[~np.isnan(pred)]
    if pred.size and (pred.min() < 0.0 or pred.max() > 1.0):
        return "regression"
    return "binary"


def _as_float_or_none(values: Any) -> Any:
    """float64 array (None/NaN → NaN), or None when some value is not a number.
    Works on numpy arrays and pandas Series alike, without importing pandas."""
    import numpy as np

    arr = np.asarray(values)
    if arr.dtype.kind in "fiub":
        return arr.astype(np.float64, copy=False).ravel()
    out = np.empty(arr.size, dtype=np.float64)
    for i, v in enumerate(arr.ravel().tolist()):
        if is_missing(v):
            out[i] = np.nan
            continue
        try:
            out[i] = float(v)
        except (TypeError, ValueError):
            return None
    return out
