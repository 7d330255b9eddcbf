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

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from losscli.errors import InputError, UsageError

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
)
MODEL_PREFIXES: tuple[str, ...] = ("pred_", "prediction_", "preds_")
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
    """How names are matched: case and surrounding spaces do not count."""
    return column.strip().lower()


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
) -> Layout:
    """Find the truth and prediction columns among ``columns``.

    ``true`` / ``preds`` are the user's ``--true`` / ``--pred`` (names matched
    exactly, then case-insensitively); ``exclude`` names columns that are neither
    (``--weight``, ``--by``). ``require_pred=False`` (used by ``recommend``) returns
    a layout with no models instead of failing when no prediction column is found.
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
    if true is not None:
        target = _find_column(true, cols, source, "--true")
    else:
        target = _guess_truth(cols, skip | used, source, bool(models))
    if target in used:
        raise UsageError(f"column {target!r} cannot be both the truth and a prediction")

    # -- predictions guessed ----------------------------------------------------------
    if not models:
        models = _guess_preds(cols, skip | {target}, source)
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
    return Layout(target, final, multiclass)


def _guess_truth(cols: list[str], skip: set[str], source: str, have_preds: bool) -> str:
    lower = {c: _key(c) for c in cols}
    candidates = [c for name in TRUTH_NAMES for c in lower if lower[c] == name]
    if len(candidates) > 1:
        # an excluded column (--by, --weight) is the truth only when nothing else is
        candidates = [c for c in candidates if c not in skip] or candidates
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        rest = [c for c in cols if c not in skip]
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


def _guess_preds(cols: list[str], skip: set[str], source: str) -> list[ModelCols]:
    families = _class_families(cols, skip)
    if len(families) > 1:
        raise InputError(
            f"more than one set of class-probability columns{_where(source)} "
            f"({', '.join(f.name + '_*' for f in families)}); pick one with --pred 'PREFIX*'; "
            f"columns are: {_listing(cols)}"
        )
    if families:
        return [families[0]]
    models: list[ModelCols] = []
    lower = {c: _key(c) for c in cols if c not in skip}
    for name in PRED_NAMES:
        models.extend(ModelCols(c.strip(), (c,), None) for c in lower if lower[c] == name)
    for c, low in lower.items():
        for prefix in MODEL_PREFIXES:
            if low.startswith(prefix) and len(low) > len(prefix):
                models.append(ModelCols(c.strip()[len(prefix) :], (c,), None))
                break
    return models


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
        labels = {str(v) for v in truth.ravel().tolist() if not _is_missing(v)}
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


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _as_float_or_none(values: Any) -> Any:
    """float64 array (None/NaN → NaN), or None when some value is not a number.
    Works on numpy arrays and pandas Series alike, without importing pandas."""
    import numpy as np

    arr = np.asarray(values)
    if arr.dtype.kind in "fiub":
        return arr.astype(np.float64, copy=False).ravel()
    out = np.empty(arr.size, dtype=np.float64)
    for i, v in enumerate(arr.ravel().tolist()):
        if _is_missing(v):
            out[i] = np.nan
            continue
        try:
            out[i] = float(v)
        except (TypeError, ValueError):
            return None
    return out
