"""Hard-label predictions and the input decisions made on a file's first chunk.

A *label prediction* is a column of predicted classes (``predict`` output: text
labels, or integer class ids when the task is classification) instead of
probabilities. Only the losses of the hard decision apply to it (``zero_one``,
``balanced_zero_one``: ``registry.for_labels``); the probabilistic ones are listed
as skipped ("needs probabilities").

Labels are matched as text (:func:`losscli.tasks.label_text`: ``3``, ``3.0`` and
``"3"`` are one class) and numbered in order of first appearance, in the truth or in
any prediction: :class:`LabelCodes` grows while the file streams, and the engine
widens its per-class accumulators when it does (``ClassWeightedAccumulator.grow``).
A predicted label that never occurs in the truth is simply an error of that row;
the report's class list is the union, in sorted order.

:func:`plan_input` makes the decisions that need data (the first chunk), before
the engine is built:

* two classes in two probability columns are the *binary* task, with p the
  column of the second class in sorted label order (or of ``--positive``), so
  every binary loss equals sklearn's on the 1-D layout;
* a model whose predictions are labels (text, or integers with ``--task
  binary|multiclass``, or 0/1 integers against a 0/1 truth) → label mode;
* truth and prediction integer-valued with at most :data:`FEW_CLASSES` distinct
  values and ``--task auto`` → still regression (ordinal targets are common),
  with a note saying how to get classification.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from losscli.detect import Layout, ModelCols
from losscli.errors import InputError, UsageError

if TYPE_CHECKING:
    import numpy as np

#: At most this many distinct integers in truth and prediction look like class ids.
FEW_CLASSES = 20
NEEDS_PROBABILITIES = "needs probabilities"


@dataclass
class Decision:
    """What the first chunk decided: the (possibly rewritten) layout, the task
    choice (``None`` = still auto), the positive label, label mode, and notes."""

    layout: Layout
    task: str | None
    positive: str | None
    labels: bool = False
    notes: list[str] = field(default_factory=list)
    #: the classes of a two-column binary model, negative first
    classes: list[str] | None = None


class LabelCodes:
    """Class label text → class index, numbered in order of first appearance."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.labels: list[str] = []

    def __len__(self) -> int:
        return len(self.labels)

    def encode(self, raw: Any, *, name: str, column: str, offset: int) -> np.ndarray:
        """Class indices of a column as float64 (NaN = missing). A number that is
        not an integer is not a class label: InputError naming the row."""
        import numpy as np

        from losscli.io.codes import factorize, to_numpy_sample
        from losscli.tasks import label_text

        if isinstance(raw, np.ndarray) and raw.dtype.kind == "f":
            values = raw
        else:
            values = None
            sample = to_numpy_sample(raw)
            if isinstance(sample, np.ndarray) and sample.dtype.kind in "fiu":
                values = sample.astype(np.float64, copy=False)
        if values is not None:
            bad = np.isfinite(values) & (values != np.floor(values))
            bad |= np.isinf(values)
            if bad.any():
                i = int(np.argmax(bad))
                raise InputError(
                    f"{name}: column {column!r}, row {offset + i + 1}: "
                    f"{label_text(float(values[i]))} is not a class label (an integer or "
                    "a text label); the first rows held labels"
                )
            raw = values
        codes, labels = factorize(raw)
        lut = np.empty(len(labels) + 1)
        for i, label in enumerate(labels):
            if label is None:
                lut[i] = np.nan
                continue
            idx = self.index.get(label)
            if idx is None:
                idx = self.index[label] = len(self.labels)
                self.labels.append(label)
            lut[i] = idx
        lut[-1] = np.nan
        return np.asarray(lut[codes], dtype=np.float64)

    def sorted_labels(self) -> list[str]:
        """The union of the labels seen, numbers in numeric order, then text."""
        return sorted(self.labels, key=_label_key)


def _label_key(label: str) -> tuple[int, float, str]:
    try:
        value = float(label)
    except ValueError:
        return (1, 0.0, label)
    return (0, value, label) if not math.isnan(value) else (1, 0.0, label)


# --------------------------------------------------------------------------- decisions


def _integer_values(values: Any) -> Any:
    """The finite values as float64 when every one is an integer, else None."""
    import numpy as np

    from losscli.detect import as_float_or_none

    arr = as_float_or_none(values)
    if arr is None:
        return None
    arr = arr[~np.isnan(arr)]
    if arr.size == 0 or not np.isfinite(arr).all() or (arr != np.floor(arr)).any():
        return None
    return arr


def _is_text(values: Any) -> bool:
    from losscli.detect import as_float_or_none

    return (
        getattr(values, "dtype", None) is not None
        and values.dtype.kind in "OUS"
        and (as_float_or_none(values) is None)
    )


def _two_class_binary(layout: Layout, positive: str | None) -> Decision:
    """One model per class pair → one column each: that of the positive class."""
    classes = layout.classes
    assert classes is not None
    if positive is not None:
        matches = [c for c in classes if c.strip() == positive.strip()]
        if len(matches) != 1:
            raise UsageError(
                f"--positive {positive!r} is not one of the probability columns' classes: "
                f"{', '.join(classes)}"
            )
        pos = matches[0]
    else:
        pos = sorted(classes, key=_label_key)[1]
    neg = next(c for c in classes if c != pos)
    models = []
    for m in layout.models:
        assert m.classes is not None
        col = m.columns[m.classes.index(pos)]
        models.append(ModelCols(m.name, (col,), None, "probability"))
    new = dataclasses.replace(layout, models=tuple(models), multiclass=False)
    return Decision(new, "binary", pos.strip(), classes=[neg.strip(), pos.strip()])


def plan_input(
    layout: Layout,
    task: str | None,
    positive: str | None,
    first: Mapping[str, Any],
    name: str,
    losses: Sequence[str] | None = None,
) -> Decision:
    """The decisions of the first chunk ``first`` (see the module docstring).
    ``losses``: the user's ``--loss`` names (a multiclass-only one keeps two
    probability columns multiclass)."""
    from losscli.io.codes import to_numpy_sample
    from losscli.losses import registry

    if layout.multiclass:
        found = [registry.find(n) for n in losses or ()]
        multiclass_only = any(s and registry.BINARY not in s.tasks for s in found)
        two = layout.classes is not None and len(layout.classes) == 2
        if two and task in (None, "binary") and not multiclass_only:
            return _two_class_binary(layout, positive)
        return Decision(layout, task, positive)
    if positive is not None or task == "regression" or not layout.models:
        return Decision(layout, task, positive)
    truth = to_numpy_sample(first[layout.target])
    truth_ints = _integer_values(truth)
    truth_labels = truth_ints is not None or _is_text(truth)
    kinds: list[bool] = []
    notes: list[str] = []
    for m in layout.models:
        pred = to_numpy_sample(first[m.columns[0]])
        kinds.append(_is_label(pred, m, task, truth_ints, truth_labels, notes, name))
    if not any(kinds):
        return Decision(layout, task, positive, notes=notes)
    if not all(kinds):
        lab = [m.name for m, k in zip(layout.models, kinds, strict=True) if k]
        num = [m.name for m, k in zip(layout.models, kinds, strict=True) if not k]
        raise UsageError(
            f"{name}: model {lab[0]!r} gives class labels and model {num[0]!r} numbers; "
            "evaluate them apart (pick the models with --pred COL)"
        )
    return Decision(layout, task, positive, labels=True)


def _is_label(
    pred: Any,
    model: ModelCols,
    task: str | None,
    truth_ints: Any,
    truth_labels: bool,
    notes: list[str],
    name: str,
) -> bool:
    """Whether ``model``'s first values are class labels (see the module docstring)."""
    import numpy as np

    from losscli.io.codes import some_numbers

    if _is_text(pred):
        # (text against a continuous truth, or numbers with some text among them:
        # text in a numeric column, the reader's error names its row)
        return truth_labels and not some_numbers(pred)
    if model.hint in ("probability", "score"):
        return False
    ints = _integer_values(pred)
    if ints is None:
        return False
    if task in ("binary", "multiclass"):
        return True
    if truth_ints is None:
        return False
    if np.isin(truth_ints, (0.0, 1.0)).all() and np.isin(ints, (0.0, 1.0)).all():
        return True  # 0/1 decisions against a 0/1 truth: predict(), not predict_proba()
    distinct = np.union1d(np.unique(truth_ints), np.unique(ints)).size
    if distinct <= FEW_CLASSES and truth_ints.size >= 2 * distinct:  # (values repeat)
        notes.append(
            f"{name}: truth and predictions of model {model.name!r} are integers with "
            f"{distinct} distinct values: evaluated as regression (ordinal targets are "
            "common); if they are class ids, say --task multiclass (or --task binary)"
        )
    return False


def label_defaults(task: str, have: set[str]) -> list[tuple[str, str, float | None, bool]]:
    """The label losses a label prediction gets by default beyond the task's usual
    defaults (those ``on_request`` elsewhere: balanced_zero_one), as
    ``_select_losses`` entries (key, loss id, quantile, requested)."""
    from losscli.losses import registry

    return [(i.id, i.id, None, False) for i in registry.for_labels(task) if i.id not in have]


def label_skips(task: str, requested: Sequence[str] | None) -> list[str]:
    """Default losses of ``task`` a label prediction cannot give (listed as skipped)."""
    from losscli.losses import registry

    if requested:
        return []
    return [i.id for i in registry.for_task(task) if not i.on_request and not i.on_labels]
