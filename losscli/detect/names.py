"""The column names detection knows: truth names, prediction names and what they say
about the values, model prefixes and suffixes, id columns, class-probability prefixes.

Why a module of its own: these tables are data, and the usual change to detection is
"recognise one more name" — an edit here, with no logic to read around it. The
logic that reads them is :mod:`losscli.detect.layout`. Names are matched through
:func:`key` (case, surrounding spaces, ``-`` and `` `` do not count). Order matters
where a tuple is searched first to last (``TRUTH_NAMES``: the first name present
wins; ``PRED_NAMES``: models appear in this order).
"""

from __future__ import annotations

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
    "y_probability",
    "y_probs",
    "probs",
    "y_score",
    "score",
    "y_hat",
    "yhat",
    "preds",
    "oof",
    "predicted_values",
    "predicted_value",
    "forecast",
    *LABEL_NAMES,
    *PROBABILITY_PHRASES,
)
#: what a prediction's name says its values are (names not listed: nothing)
NAME_HINTS: dict[str, str] = {
    **dict.fromkeys(
        (
            *("prob", "proba", "probability", "y_prob", "y_proba", "y_probability"),
            *("y_probs", "probs"),
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
CLASS_PREFIXES: tuple[str, ...] = ("prob_", "proba_", "probability_", "p_")
#: one ``prob_<class>`` column alone (``prob_failed``, ``prob_1``): the positive
#: class's probability (``p_`` is left out: ``p_<x>`` is also a paired prediction)
SINGLE_PROB_PREFIXES: tuple[str, ...] = ("prob_", "proba_", "probability_")
#: ``prob_<column>`` naming another column of the file (``prob_true`` beside ``true``,
#: ``prob_pred`` beside ``pred``): the probability the model gave to that column's
#: value on the row, one number per row: not a class's probability (see
#: :func:`losscli.detect.layout.row_probabilities`)
ROW_PROB_PREFIXES: tuple[str, ...] = CLASS_PREFIXES
#: name endings that say a column keys rows (``station_id``, ``time_idx``): used only
#: to find the truth by elimination, never to refuse a column the user names
ID_SUFFIXES: tuple[str, ...] = ("_id", "_idx", "_index")


#: a truth name's usual partners: among several truth candidates, the one whose
#: partner is present is the truth (``y_true`` beside ``y_pred``, ...)
TRUTH_PARTNERS: dict[str, tuple[str, ...]] = {
    "y_true": ("y_pred",),
    "target": ("prediction", "pred", "predicted"),
    "label": ("prob", "proba", "probability"),
    "actual": ("predicted", "prediction", "forecast"),
    "y": ("y_hat", "yhat"),
}
#: prediction names that say nothing of the values: beside one probability column
#: they are the same model's labels
GENERIC_PRED_NAMES: frozenset[str] = frozenset(
    {"y_pred", "pred", "prediction", "predicted", "predictions", "preds"}
)


def key(column: str) -> str:
    """How names are matched: case and surrounding spaces do not count, and a
    space or a hyphen is an underscore (``True Values`` is ``true_values``)."""
    return column.strip().lower().replace(" ", "_").replace("-", "_")


def is_id(column: str) -> bool:
    """Whether a column's name says it identifies rows (``id``, ``filename``, the
    index pandas writes as an unnamed first column, ...)."""
    k = key(column)
    return k in ID_NAMES or k.startswith("unnamed:")


def is_id_like(column: str) -> bool:
    """:func:`is_id`, or a name ending as a key does (``center_id``, ``time_idx``)."""
    return is_id(column) or key(column).endswith(ID_SUFFIXES)
