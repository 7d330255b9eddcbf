"""The checks of a chunk without missing values, worded for a file: column and row.

The loss library checks its inputs too (:class:`losscli.losses.Batch`), in terms of
arrays and indices; these checks run first so that the user reads the file's column
name, the 1-based data row and a hint for the option that fixes it (``--logits``,
``--task regression``, ``--positive``). Each check costs a reduction or two when
nothing is wrong; the per-row masks that name the first bad row are built only when
a reduction says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from losscli import tasks
from losscli.errors import InputError
from losscli.tasks import label_text

if TYPE_CHECKING:
    import numpy as np

    from losscli.evaluate.plan import Setting
    from losscli.evaluate.prepare import ChunkArrays


class Checks:
    """The checks of one evaluation (:class:`losscli.evaluate.plan.Setting`)."""

    def __init__(self, setting: Setting) -> None:
        self.name = setting.name
        self.layout = setting.layout
        self.task = setting.task
        self.weight = setting.weight
        self.auto = setting.auto
        self.logits = setting.params.logits
        #: the truth and predictions are class indices made from labels: nothing to check
        self.label_mode = setting.label_mode

    def run(self, chunk: ChunkArrays, *, finite: bool) -> None:
        """Raise :class:`InputError` for the first rule the chunk breaks.
        ``finite``: the chunk is known to hold no NaN / ±inf."""
        if not finite:
            self._infinite(chunk)
        self._weights(chunk)
        if self.label_mode:
            return  # class indices made by LabelCodes: nothing left to check
        if self.task == tasks.BINARY:
            self._zero_one(chunk)
        if self.task in (tasks.BINARY, tasks.MULTICLASS) and not self.logits:
            self._probabilities(chunk)

    def _row(self, index: int, chunk: ChunkArrays) -> int:
        """1-based file data row of element ``index`` of the (possibly compacted) chunk."""
        if chunk.index is not None:
            return int(chunk.index[index]) + 1
        return chunk.offset + index + 1

    def _fail(
        self,
        column: str,
        mask: np.ndarray,
        chunk: ChunkArrays,
        what: str,
        values: np.ndarray | None = None,
        hint: str = "",
    ) -> InputError:
        import numpy as np

        i = int(np.argmax(mask))
        count = int(np.count_nonzero(mask))
        shown = f" ({label_text(values[i])})" if values is not None else ""
        more = f" and {count - 1} more in the same chunk" if count > 1 else ""
        row = self._row(i, chunk)
        return InputError(
            f"{self.name}: column {column!r}, row {row}: {what}{shown}{more}{hint}",
            file=self.name,
            column=column,
            row=row,
        )

    def _infinite(self, chunk: ChunkArrays) -> None:
        import numpy as np

        if self.task != tasks.MULTICLASS:
            bad = np.isinf(chunk.y)
            if bad.any():
                raise self._fail(self.layout.target, bad, chunk, "the truth is infinite", chunk.y)
        for model, pred in zip(self.layout.models, chunk.preds, strict=True):
            bad2 = np.isinf(pred)
            if bad2.any():
                rows = bad2.any(axis=1) if bad2.ndim == 2 else bad2
                col = (
                    model.columns[int(np.argmax(bad2[int(np.argmax(rows))]))]
                    if bad2.ndim == 2
                    else model.columns[0]
                )
                raise self._fail(col, rows, chunk, "the prediction is infinite")
        if chunk.w is not None and self.weight is not None and np.isinf(chunk.w).any():
            raise self._fail(self.weight, np.isinf(chunk.w), chunk, "infinite weight")

    def _weights(self, chunk: ChunkArrays) -> None:
        w = chunk.w
        if w is not None and self.weight is not None and w.size and w.min() < 0:
            raise self._fail(
                self.weight, w < 0, chunk, "negative weight", w, "; weights must be ≥ 0"
            )

    def _zero_one(self, chunk: ChunkArrays) -> None:
        y = chunk.y
        bad = (y != 0.0) & (y != 1.0)
        if bad.any():
            hint = (
                "; the first rows looked binary: say --task regression"
                if self.auto
                else "; binary truth must be 0 or 1 (or name the positive label with --positive)"
            )
            raise self._fail(self.layout.target, bad, chunk, "truth is not 0 or 1", y, hint)

    def _probabilities(self, chunk: ChunkArrays) -> None:
        import numpy as np

        for model, pred in zip(self.layout.models, chunk.preds, strict=True):
            if pred.min() >= 0.0 and pred.max() <= 1.0:
                continue  # (two reductions; the mask only on failure)
            out = (pred < 0.0) | (pred > 1.0)
            if not out.any():
                continue
            rows = out.any(axis=1) if out.ndim == 2 else out
            i = int(np.argmax(rows))
            j = int(np.argmax(out[i])) if out.ndim == 2 else 0
            col = model.columns[j]
            value = pred[i, j] if pred.ndim == 2 else pred[i]
            hint = "; pass --logits if these are raw scores"
            if self.auto and self.task == tasks.BINARY:
                hint += ", or --task regression"
            more = int(np.count_nonzero(rows)) - 1
            row = self._row(i, chunk)
            raise InputError(
                f"{self.name}: column {col!r}, row {row}: "
                f"probability {label_text(float(value))} is outside [0, 1]"
                f"{f' and {more} more in the same chunk' if more else ''}{hint}",
                file=self.name,
                column=col,
                row=row,
            )
