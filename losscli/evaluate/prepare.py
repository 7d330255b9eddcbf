"""A chunk as the readers give it → the arrays the losses take: the one place evaluate
calls into the column conversions.

Readers hand over columns in their own types (Arrow arrays, the C scanner's text
codes, float64 numpy, a DataFrame's objects). :class:`Prepare` turns one chunk into a
:class:`ChunkArrays`: the truth as float64 (a regression value, 0/1, or a class index;
NaN = missing), one float64 array per model (n × K for one probability column per
class), the weights, and the ``--by`` group codes (global ids, -1 = missing). Label
text is matched here (``--positive``, class names from the probability columns'
suffixes, hard-label predictions through :class:`losscli.labels.LabelCodes`), so the
engine downstream only sees numbers and applies the missing-value policy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from losscli import tasks
from losscli.errors import InputError
from losscli.evaluate.plan import ClassIndex, Setting, number_key

if TYPE_CHECKING:
    import numpy as np

    from losscli.labels import LabelCodes


@dataclass(frozen=True)
class ChunkArrays:
    """One chunk ready for the losses. ``offset``: the 0-based input row of its first
    row; ``index``: each row's input row when rows were dropped (``None``: in order)."""

    offset: int
    y: np.ndarray
    preds: list[np.ndarray]
    w: np.ndarray | None
    gcodes: np.ndarray | None
    index: np.ndarray | None = None

    def take(self, keep: np.ndarray) -> ChunkArrays:
        """The rows where ``keep`` holds, each with its input row in ``index``."""
        import numpy as np

        return ChunkArrays(
            self.offset,
            self.y[keep],
            [p[keep] for p in self.preds],
            None if self.w is None else self.w[keep],
            None if self.gcodes is None else self.gcodes[keep],
            self.offset + np.flatnonzero(keep),
        )


class Prepare:
    """Column conversion of one evaluation; keeps what must be the same across chunks
    (the labels of a ``--positive`` truth, the ids of the group values)."""

    def __init__(self, setting: Setting, classes: ClassIndex, labels: LabelCodes | None) -> None:
        #: the input and options (name, layout, task, positive, decision, weight, by)
        self.setting = setting
        self.classes = classes
        #: label mode: the class numbering shared by truth and predictions
        self.labels = labels
        #: the labels of a ``--positive`` binary truth, in order of first appearance
        self.binary_labels: dict[str, None] = {}
        self.group_ids: dict[str, int] = {}
        self.group_labels: list[str] = []

    def __call__(self, offset: int, columns: Mapping[str, Any]) -> ChunkArrays:
        y = self.truth(columns[self.setting.layout.target], offset)
        preds: list[np.ndarray] = []
        for model in self.setting.layout.models:
            arrays = [self._prediction(columns[c], c, offset) for c in model.columns]
            preds.append(arrays[0] if len(arrays) == 1 else _stack_columns(arrays))
        w = None
        if self.setting.weight is not None:
            w = self._numbers(columns[self.setting.weight], self.setting.weight, offset)
        gcodes = None
        if self.setting.by is not None:
            from losscli.io.codes import factorize

            gcodes = self._group_codes(*factorize(columns[self.setting.by]))
        return ChunkArrays(offset, y, preds, w, gcodes)

    def _numbers(self, raw: Any, column: str, offset: int) -> np.ndarray:
        from losscli.io.columns import numeric_array

        return numeric_array(raw, name=self.setting.name, column_name=column, offset=offset)

    def _prediction(self, raw: Any, column: str, offset: int) -> np.ndarray:
        if self.labels is not None:
            return self.labels.encode(raw, name=self.setting.name, column=column, offset=offset)
        return self._numbers(raw, column, offset)

    # -- truth -------------------------------------------------------------------------

    def truth(self, raw: Any, offset: int) -> np.ndarray:
        """Truth as float64 (regression / binary 0-1 / class index); NaN = missing."""
        from losscli.io.codes import factorize, is_text

        target = self.setting.layout.target
        if self.labels is not None:
            return self.labels.encode(raw, name=self.setting.name, column=target, offset=offset)
        if self.setting.task == tasks.REGRESSION:
            return self._numbers(raw, target, offset)
        if self.setting.task == tasks.BINARY and self.setting.positive is None:
            if is_text(raw):
                return self._zero_one_text(raw)
            return self._numbers(raw, target, offset)
        codes, labels = factorize(raw)
        if self.setting.decision is not None and self.setting.decision.classes is not None:
            self._two_columns_only(codes, labels, offset)
        if self.setting.task == tasks.BINARY:
            return self._positive(codes, labels)
        return self._class_indices(codes, labels, offset)

    def _zero_one_text(self, raw: Any) -> np.ndarray:
        """A binary truth read as text: it must spell 0 and 1 (``"1.0"`` too)."""
        import numpy as np

        from losscli.io.codes import factorize

        codes, labels = factorize(raw)
        seen = [lab for lab in labels if lab is not None]
        if all(number_key(s) in (number_key("0"), number_key("1")) for s in seen):
            one = number_key("1")
            lut = np.array([1.0 if number_key(s or "") == one else 0.0 for s in labels] + [np.nan])
            return np.asarray(lut[codes])
        raise InputError(
            f"{self.setting.name}: the truth column {self.setting.layout.target!r} holds text "
            f"labels ({', '.join(repr(s) for s in seen[:4])}); say which is the positive class "
            "with --positive LABEL"
        )

    def _positive(self, codes: np.ndarray, labels: list[str | None]) -> np.ndarray:
        """``--positive LABEL``: 1 for that label, 0 for the other one."""
        import numpy as np

        for lab in labels:
            if lab is not None:
                self.binary_labels.setdefault(lab, None)
        if len(self.binary_labels) > 2:
            shown = ", ".join(repr(s) for s in list(self.binary_labels)[:5])
            raise InputError(
                f"{self.setting.name}: the truth column {self.setting.layout.target!r} holds "
                f"more than two labels ({shown}); --positive needs a two-label truth"
            )
        pos = (self.setting.positive or "").strip()
        lut = np.array(
            [1.0 if lab is not None and lab.strip() == pos else 0.0 for lab in labels] + [np.nan]
        )
        return np.asarray(lut[codes])

    def _class_indices(
        self, codes: np.ndarray, labels: list[str | None], offset: int
    ) -> np.ndarray:
        """Multiclass: labels → class index through the ``prob_<class>`` suffixes."""
        import numpy as np

        index = []
        for lab in labels:
            if lab is None:
                index.append(np.nan)
                continue
            idx = self.classes.find(lab)
            index.append(-1.0 if idx is None else float(idx))
        y = np.array([*index, np.nan])[codes]
        unknown = y == -1.0
        if unknown.any():
            i = int(np.argmax(unknown))
            raise self._no_column(labels[codes[i]], offset + i + 1, self.classes.classes)
        return np.asarray(y)

    def _two_columns_only(self, codes: np.ndarray, labels: list[str | None], offset: int) -> None:
        """Two probability columns read as binary: every truth label must be one of
        their two classes (a label may carry the trailing space of its header)."""
        import numpy as np

        assert self.setting.decision is not None and self.setting.decision.classes is not None
        known = set(self.setting.decision.classes)
        unknown = [lab is not None and lab.strip() not in known for lab in labels]
        if any(unknown):
            bad = np.asarray(unknown)[codes] & (codes >= 0)
            i = int(np.argmax(bad))
            raise self._no_column(labels[codes[i]], offset + i + 1, self.setting.decision.classes)

    def _no_column(self, label: str | None, row: int, classes: Sequence[str]) -> InputError:
        target = self.setting.layout.target
        return InputError(
            f"{self.setting.name}: column {target!r}, row {row}: label {label!r} has no "
            f"probability column; classes are: {', '.join(classes)}",
            file=self.setting.name,
            column=target,
            row=row,
        )

    # -- groups ------------------------------------------------------------------------

    def _group_codes(self, codes: np.ndarray, labels: list[str | None]) -> np.ndarray:
        """A chunk's codes into ``labels`` → global group ids (-1 = missing); new
        labels get the next ids, in order of first appearance (one ``dict.get`` per
        label through ``map``)."""
        from itertools import chain, repeat

        import numpy as np

        get: Any = self.group_ids.get  # (None, a missing label, is no key: -2)
        # (code -1, a missing value, indexes the last slot)
        found = np.fromiter(chain(map(get, labels, repeat(-2)), (-1,)), np.intp, len(labels) + 1)
        for i in np.flatnonzero(found == -2).tolist():
            lab = labels[i]
            if lab is None:
                found[i] = -1
                continue
            gid = self.group_ids.get(lab)  # (a label twice in one chunk's labels)
            if gid is None:
                gid = self.group_ids[lab] = len(self.group_labels)
                self.group_labels.append(lab)
            found[i] = gid
        return found[codes]


def _stack_columns(columns: Sequence[np.ndarray]) -> np.ndarray:
    """The n × K row-major matrix of K columns (multiclass probabilities), filled 8K
    rows at a time so that the K source slices and the destination stay in cache."""
    import numpy as np

    n = columns[0].shape[0]
    out = np.empty((n, len(columns)))
    step = 8192
    for start in range(0, n, step):
        block = out[start : start + step]
        for j, col in enumerate(columns):
            block[:, j] = col[start : start + step]
    return out
