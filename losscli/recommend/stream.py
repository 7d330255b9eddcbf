"""``recommend --from``: one streaming pass over the file, in memory flat in its rows.

Why a module of its own: it holds the state of the pass (a reservoir, the truth's
moments, class counts), which :mod:`losscli.recommend.measure` turns into evidence;
keeping it apart keeps each part small enough to read and lets its tests drive the
stream directly. The file is read chunk by chunk as ``evaluate`` reads it
(``io.tables.iter_arrays``: only the needed columns), and what is kept is bounded:

* the robust statistics (median, MAD, the robust-z outlier share) of each model's
  residuals y − ŷ (of the truth when there is no prediction) come from a **seeded
  uniform reservoir** of at most :data:`SAMPLE` values: each row draws a key from a
  fixed-seed generator and the :data:`SAMPLE` rows with the smallest keys are kept
  (bottom-k sampling: a uniform sample without replacement, the same rows for every
  model). With at most :data:`SAMPLE` rows the sample is the data and every figure
  is exact; above, they are those of a uniform sample of :data:`SAMPLE` residuals
  (the evidence says "of a uniform sample of 100,000 of 5,000,000 residuals"): the
  median's standard error is then about 1.25·σ/√100000 ≈ 0.4 % of σ, and the outlier
  share's at most √(0.01·0.99/100000) ≈ 0.03 points at the 1 % threshold;
* the truth's count evidence is exact: rows, smallest value, all non-negative
  integers or not, mean and variance (Chan's merge of per-chunk moments), and the
  distinct values counted exactly up to :data:`MAX_DISTINCT` (then "at least");
* class counts are a dict of label → rows.

The task (``--task auto``) is decided on the first chunk, as in ``evaluate``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from losscli.errors import InputError
from losscli.tasks import label_text

if TYPE_CHECKING:
    import numpy as np

#: values kept for the median and the MAD
SAMPLE = 100_000
SEED = 20_261_201
#: distinct truth values counted exactly up to this many
MAX_DISTINCT = 100_000


class Reservoir:
    """A seeded uniform sample without replacement of at most ``size`` rows of a
    stream, for several value columns at once (one per model): bottom-k keys."""

    def __init__(self, columns: int, size: int | None = None, seed: int = SEED) -> None:
        import numpy as np

        self.size = SAMPLE if size is None else size
        self.rng = np.random.default_rng(seed)
        self.keys: Any = np.zeros(0)
        self.values: list[Any] = [np.zeros(0) for _ in range(columns)]
        self.seen = 0

    def add(self, columns: list[np.ndarray]) -> None:
        import numpy as np

        n = columns[0].shape[0]
        self.seen += n
        keys: Any = self.rng.random(n)
        if self.keys.size >= self.size:
            # only rows whose key beats the largest kept one can enter
            take = np.flatnonzero(keys < self.keys.max())
            keys = keys[take]
            columns = [c[take] for c in columns]
        keys = np.concatenate((self.keys, keys))
        values = [np.concatenate((v, c)) for v, c in zip(self.values, columns, strict=True)]
        if keys.size > self.size:
            keep = np.argpartition(keys, self.size - 1)[: self.size]
            keys = keys[keep]
            values = [v[keep] for v in values]
        self.keys, self.values = keys, values

    @property
    def exact(self) -> bool:
        return self.seen <= self.size


@dataclass
class TruthStats:
    """Exact streaming statistics of the regression truth for the counts rule."""

    rows: int = 0
    mean: float = 0.0
    m2: float = 0.0
    smallest: float = float("inf")
    integers: bool = True
    distinct: set[float] = field(default_factory=set)
    distinct_capped: bool = False

    def add(self, y: np.ndarray) -> None:
        import numpy as np

        n = int(y.size)
        if not n:
            return
        mean = float(y.mean())
        m2 = float(((y - mean) ** 2).sum())
        total = self.rows + n
        delta = mean - self.mean
        self.mean += delta * n / total
        self.m2 += m2 + delta * delta * self.rows * n / total
        self.rows = total
        self.smallest = min(self.smallest, float(y.min()))
        if self.integers and not bool(np.all(y == np.floor(y))):
            self.integers = False
        if not self.distinct_capped:
            self.distinct.update(np.unique(y).tolist())
            if len(self.distinct) > MAX_DISTINCT:
                self.distinct_capped = True
                self.distinct = set()

    @property
    def distinct_values(self) -> int:
        return MAX_DISTINCT if self.distinct_capped else len(self.distinct)

    @property
    def dispersion(self) -> float | None:
        """Dispersion index var(y) / mean(y) (sample variance, n − 1)."""
        if self.rows < 2 or self.mean <= 0:
            return None
        return (self.m2 / (self.rows - 1)) / self.mean


@dataclass
class Measured:
    """What one pass over a file gave (see :func:`stream_measure`)."""

    rows: int
    dropped: int
    first_dropped: int | None
    reservoir: Reservoir | None = None
    truth: TruthStats | None = None
    class_counts: dict[str, int] | None = None


def class_label(value: Any) -> str:
    """A truth value as the key of the class counts: :func:`losscli.tasks.label_text`
    (``3``, ``3.0`` and ``"3"`` are one class), except that a boolean is ``"1"`` /
    ``"0"``: recommend names the binary classes ``0`` and ``1`` whatever the column's
    type (the ``expected`` classes of ``measure._class_evidence``), where label text
    would write ``true`` / ``false``. Missing values never reach it (left out before)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    text = label_text(value)
    return str(value) if text is None else text


def _first(mask: np.ndarray, offset: int) -> int:
    import numpy as np

    return offset + int(np.argmax(mask)) + 1


def stream_regression(
    chunks: Iterator[tuple[int, Mapping[str, Any]]],
    *,
    name: str,
    target: str,
    predictions: list[str],
) -> Measured:
    """Residuals of every prediction column (the truth when there is none) into one
    reservoir, and the truth's count statistics. Rows with a missing truth or a
    missing prediction of any model are left out (so every model is measured on
    the same rows); an infinite value is an error naming its row."""
    import numpy as np

    from losscli.io.columns import numeric_array

    reservoir = Reservoir(max(len(predictions), 1))
    truth = TruthStats()
    dropped = 0
    first_dropped: int | None = None
    for offset, columns in chunks:
        y = numeric_array(columns[target], name=name, column_name=target, offset=offset)
        preds = [
            numeric_array(columns[c], name=name, column_name=c, offset=offset) for c in predictions
        ]
        for column, values in ((target, y), *zip(predictions, preds, strict=True)):
            bad = np.isinf(values)
            if bad.any():
                raise InputError(
                    f"{name}: column {column!r}, row {_first(bad, offset)}: infinite value"
                )
        missing = np.isnan(y)
        for p in preds:
            missing |= np.isnan(p)
        if missing.any():
            dropped += int(np.count_nonzero(missing))
            if first_dropped is None:
                first_dropped = _first(missing, offset)
            keep = ~missing
            y = y[keep]
            preds = [p[keep] for p in preds]
        if not y.size:
            continue
        truth.add(y)
        reservoir.add([y - p for p in preds] if preds else [y])
    return Measured(truth.rows, dropped, first_dropped, reservoir=reservoir, truth=truth)


def stream_classes(chunks: Iterator[tuple[int, Mapping[str, Any]]], *, target: str) -> Measured:
    """Rows per class label of the truth; missing labels left out and counted."""
    import numpy as np
    import pandas as pd

    from losscli.io.columns import TextCodes, pyarrow_if

    counts: dict[str, int] = {}
    rows = dropped = 0
    first_dropped: int | None = None
    for offset, columns in chunks:
        raw = columns[target]
        pa = pyarrow_if(raw)
        if isinstance(raw, TextCodes):  # the C scanner's text column
            values = raw.to_objects()
        elif pa is not None:
            values = raw.to_numpy(zero_copy_only=False)
        else:
            values = np.asarray(raw)
        series = pd.Series(values)
        missing = series.isna().to_numpy()
        if missing.any():
            dropped += int(missing.sum())
            if first_dropped is None:
                first_dropped = _first(missing, offset)
        for value, n in series[~missing].value_counts(sort=False).items():
            label = class_label(value)
            counts[label] = counts.get(label, 0) + int(n)
        rows += int((~missing).sum())
    return Measured(rows, dropped, first_dropped, class_counts=counts)


def first_chunk(
    chunks: Iterator[tuple[int, Mapping[str, Any]]],
) -> tuple[tuple[int, Mapping[str, Any]] | None, Iterator[tuple[int, Mapping[str, Any]]]]:
    """The first chunk, and an iterator giving it again followed by the rest."""
    import itertools

    first = next(chunks, None)
    if first is None:
        return None, chunks
    return first, itertools.chain([first], chunks)
