"""Tabular logs (CSV/TSV/Parquet/JSONL read by :mod:`losscli.io`): cells, columns,
runs, and the generic, Keras and Ultralytics layouts. Lightning has its own module.

* ``keras`` – ``keras.callbacks.CSVLogger``: first column ``epoch`` (0-based), then the
  ``logs`` keys sorted (``accuracy,loss,val_accuracy,val_loss``…), ``NA`` where a key is
  missing (validation skipped by ``validation_freq``); any file name (``training.log``).
* ``ultralytics`` – YOLO ``results.csv``: ``epoch``, ``train/box_loss``,
  ``train/cls_loss``, ``train/dfl_loss`` (YOLOv5: ``train/obj_loss``), ``metrics/…``,
  ``val/…_loss``, ``lr/pg0``…; YOLOv5 pads every header and cell with spaces. The
  training and validation loss are the sums of their ``*_loss`` components (the
  trainer optimises the sum).
* ``generic`` – any table with an ``epoch`` (else ``step``/``iteration``, else the
  0-based row number) column and loss columns among
  :data:`~losscli.history.model.TRAIN_NAMES` / ``VAL_NAMES`` (case-insensitive, headers
  stripped; first match; ``--train``/``--val`` override). When the epoch axis would merge
  rows logged at distinct steps (many steps in one epoch), the step axis is used.

Missing vs NaN. A table reader reads an empty cell, ``NA`` and ``nan`` all as NaN. For
CSV/TSV text the raw text is looked at again (:func:`literal_nan_rows`): a cell spelled
``nan`` is a NaN loss; an empty/``NA`` cell is missing. Where the text cannot be seen
(Parquet, JSON Lines): NaN in the training column is a NaN loss, NaN in the validation
column is missing. ``inf`` is always a value. Rows with no loss value are not points.

Runs. A file is cut into runs where its epoch (else step) counter goes back
(``CSVLogger(append=True)``, a restarted job); each run is analysed on its own.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import io
import math
from collections.abc import Sequence
from typing import IO, Any

from losscli.errors import InputError, UsageError
from losscli.history.align import finish, merges_distinct_steps, run_starts
from losscli.history.model import (
    STEP_NAMES,
    TRAIN_NAMES,
    TRAIN_PATTERN,
    VAL_NAMES,
    VAL_PATTERN,
    Axis,
    Curve,
    Number,
    TrainingLog,
    Value,
    by_pattern,
    clean_number,
    find_name,
    first_name,
)

_NA_TEXT = frozenset(("", "NA", "N/A", "NULL", "NONE"))


class Table:
    """A frame's columns as Python lists, names stripped (YOLOv5 pads them), with the
    raw-text NaN rows and the row offset of this run in the file (for messages)."""

    def __init__(
        self,
        frame: Any,
        name: str,
        literal_nan: dict[str, set[int]] | None = None,
        offset: int = 0,
    ) -> None:
        self.name = name
        self.offset = offset
        self.columns = [str(c).strip() for c in frame.columns]
        self._frame = frame
        self._raw = {str(c).strip(): c for c in frame.columns}
        self._cache: dict[str, list[Any]] = {}
        self.literal_nan = literal_nan
        self.rows = len(frame)
        self._stop = offset + self.rows

    def lookup(self, wanted: str) -> str | None:
        """The column named ``wanted`` (exactly, else case-insensitively), or None."""
        return find_name(self.columns, wanted)

    def cells(self, column: str) -> list[Any]:
        """The cells of this run (rows ``offset`` to ``offset + rows`` of the file)."""
        if column not in self._cache:
            self._cache[column] = list(self._frame[self._raw[column]].tolist())
        whole = self._cache[column]
        if self.offset == 0 and self._stop == len(whole):
            return whole
        return whole[self.offset : self._stop]

    def slice(self, a: int, b: int) -> Table:
        """Rows ``a`` to ``b`` (0-based, of this table) as a table of their own."""
        sub = copy.copy(self)
        if self.literal_nan is not None:
            sub.literal_nan = {
                c: {r - a for r in rows if a <= r < b} for c, rows in self.literal_nan.items()
            }
        sub.offset, sub.rows, sub._stop = self.offset + a, b - a, self.offset + b
        return sub

    def listing(self) -> str:
        return ", ".join(repr(c) for c in self.columns)

    def int_array(self, column: str) -> Any | None:
        """An integer column's values as int64 (None for a column of another type)."""
        series = self._frame[self._raw[column]]
        if getattr(getattr(series, "dtype", None), "kind", "") != "i":
            return None
        import numpy as np

        return series.to_numpy(dtype=np.int64)[self.offset : self._stop]

    def number_array(self, column: str) -> Curve:
        """A column as floats (missing = empty/NA/NaN cells); an error names the first
        bad row."""
        series = self._frame[self._raw[column]]
        kind = getattr(getattr(series, "dtype", None), "kind", "")
        if kind in ("f", "i", "u"):  # a numeric column: no per-cell checks needed
            import numpy as np

            arr = series.to_numpy(dtype=np.float64)[self.offset : self._stop]
            return Curve(arr, np.isnan(arr))
        return Curve.of([self.to_float(v, column, i) for i, v in enumerate(self.cells(column))])

    def numbers(self, column: str) -> list[float | None]:
        """:meth:`number_array` as a list (None = missing)."""
        return list(self.number_array(column))

    def to_float(self, v: Any, column: str, i: int) -> float | None:
        """A cell as float; None if missing (a NaN cell: the caller decides what it means)."""
        if is_missing(v):
            return None
        if isinstance(v, float | int) and not isinstance(v, bool):
            return float(v)
        if isinstance(v, str):
            s = v.strip()
            if s.upper() in _NA_TEXT:
                return None
            try:
                return float(s)
            except ValueError:
                pass
        elif not isinstance(v, bool):
            try:
                return float(v)  # numpy scalars, Decimal
            except (TypeError, ValueError):
                pass
        raise InputError(
            f"{self.name}: column {column!r}, row {self.offset + i + 1}: expected a number, "
            f"got {str(v)[:40]!r}"
        )

    def loss_array(self, column: str, *, nan_means_missing: bool) -> Curve:
        """Loss cells: missing, or a value (NaN = a NaN loss; module docstring)."""
        import numpy as np

        numbers = self.number_array(column)
        raw_nan = self.literal_nan.get(column) if self.literal_nan is not None else None
        missing = numbers.missing
        if raw_nan:
            missing = missing.copy()
            missing[np.fromiter(raw_nan, dtype=np.int64, count=len(raw_nan))] = False
        elif raw_nan is None and not nan_means_missing:
            missing = np.zeros(len(missing), dtype=bool)
        return Curve(numbers.values, missing)

    def losses(self, column: str, *, nan_means_missing: bool) -> list[Value]:
        """:meth:`loss_array` as a list: None = missing, nan = a NaN loss."""
        return list(self.loss_array(column, nan_means_missing=nan_means_missing))


def is_missing(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    return type(v).__name__ in ("NAType", "NaTType")


def choose(
    table: Table,
    requested: str | None,
    names: Sequence[str],
    role: str,
    *,
    required: bool = True,
) -> str | None:
    """The column for one role: ``requested`` (must exist), else the first of ``names``."""
    if requested is not None:
        found = table.lookup(requested)
        if found is None:
            raise InputError(
                f"{table.name}: column {requested!r} not found; columns are: {table.listing()}"
            )
        return found
    pattern = TRAIN_PATTERN if role == "training" else VAL_PATTERN
    found = first_name(table.columns, names, pattern)
    if found is not None:
        return found
    if required:
        flag = "--train" if role == "training" else "--val"
        raise InputError(
            f"{table.name}: no {role} loss column found (looked for {', '.join(names)}, any "
            f"case; name one with {flag} COL); columns are: {table.listing()}"
        )
    return None


def best_val_column(
    table: Table, names: Sequence[str], *, exclude: str | None = None
) -> tuple[str | None, Curve | None]:
    """The first of ``names`` holding at least 2 values (a ``test_loss`` logged once is
    not a validation curve), else the first found (then dropped with a warning)."""
    found = [c for n in names if (c := table.lookup(n)) is not None and c != exclude]
    if not found and (c := by_pattern(table.columns, VAL_PATTERN)) is not None:
        found = [c]
    first: tuple[str | None, Curve | None] = (None, None)
    for c in dict.fromkeys(found):
        series = table.loss_array(c, nan_means_missing=True)
        if len(series.missing) - int(series.missing.sum()) >= 2:
            return c, series
        if first[0] is None:
            first = (c, series)
    return first


def check_distinct(train: str | None, val: str | None) -> None:
    """``--train X --val X``: one column cannot be both curves."""
    if train is not None and val is not None and train.strip().lower() == val.strip().lower():
        raise UsageError(f"--train and --val name the same column {train!r}; name two columns")


def x_columns(table: Table) -> tuple[str | None, str | None]:
    """(epoch column, step column) of a table, either may be None."""
    step = next((c for n in STEP_NAMES if (c := table.lookup(n)) is not None), None)
    return table.lookup("epoch"), step


def split_runs(table: Table) -> list[Table]:
    """The table cut where the epoch (else step) counter goes back (module docstring)."""
    epoch, step = x_columns(table)
    key = epoch or step
    if key is None:
        return [table]
    starts = run_starts(_lenient_array(table, key))  # NaN (no key): belongs to no run
    ends = [*starts[1:], table.rows]
    return [table.slice(a, b) for a, b in zip(starts, ends, strict=True)]


def _lenient_array(table: Table, column: str) -> Any:
    """A column as a float array, NaN where missing or not a number."""
    try:
        return table.number_array(column).values.copy()
    except InputError:
        return Curve.of(_lenient(table, column)).values


def _lenient(table: Table, column: str) -> list[float | None]:
    out: list[float | None] = []
    for v in table.cells(column):
        try:
            out.append(None if is_missing(v) else float(v))
        except (TypeError, ValueError):
            out.append(None)
    return out


# ----------------------------------------------------------------------------- layouts


def is_keras(table: Table) -> bool:
    """Keras CSVLogger: ``epoch`` first, then the sorted ``logs`` keys with ``loss``."""
    cols = table.columns
    return (
        bool(cols)
        and cols[0] == "epoch"
        and "loss" in cols
        and not any(c in STEP_NAMES for c in cols)
    )


def ultralytics_parts(table: Table, prefix: str) -> list[str]:
    return [c for c in table.columns if c.startswith(prefix) and c.endswith("_loss")]


def is_ultralytics(table: Table) -> bool:
    return table.lookup("epoch") is not None and bool(ultralytics_parts(table, "train/"))


def ultralytics_log(table: Table, train: str | None, val: str | None, x: str | None) -> TrainingLog:
    """Sums of the ``train/*_loss`` and ``val/*_loss`` components, one point per epoch."""
    if x == "step":
        raise InputError(f"{table.name}: an Ultralytics results.csv has no step column")
    epoch = table.lookup("epoch")
    assert epoch is not None

    def curve(requested: str | None, prefix: str) -> tuple[str | None, list[Value] | None]:
        if requested is not None:
            col = choose(table, requested, (), prefix)
            assert col is not None
            return col, table.losses(col, nan_means_missing=prefix == "val/")
        parts = ultralytics_parts(table, prefix)
        if not parts:
            return None, None
        series = [table.losses(c, nan_means_missing=prefix == "val/") for c in parts]
        total: list[Value] = [
            None if any(v is None for v in row) else math.fsum(row)
            for row in zip(*series, strict=True)
        ]
        label = parts[0] if len(parts) == 1 else "+".join(parts)
        return label, total

    tcol, tr = curve(train, "train/")
    vcol, va = curve(val, "val/")
    assert tcol is not None and tr is not None
    t_curve, v_curve = Curve.of(tr), Curve.of(va) if va is not None else None
    xs = _xs_of_points(table, epoch, t_curve, v_curve)
    return finish(
        table.name,
        "ultralytics",
        "epoch",
        xs,
        t_curve,
        v_curve,
        tcol,
        vcol,
        [],
        val_named=bool(val),
    )


def _xs_of_points(table: Table, column: str, tr: Curve, va: Curve | None) -> Axis:
    """x of every row; rows without any loss get a placeholder (finish skips them),
    rows with a loss must have a finite x."""
    import numpy as np

    has_loss = ~tr.missing if va is None else ~(tr.missing & va.missing)
    try:
        numbers: Curve | None = table.number_array(column)
    except InputError:  # a bad cell: the loop below names it only if its row has a loss
        numbers = None
    if numbers is not None:
        finite = np.isfinite(numbers.values)
        if finite.all() or finite[has_loss].all():
            ints = table.int_array(column)
            if ints is not None and finite.all():  # an integer column: already clean
                return Axis(ints)
            return Axis(np.where(numbers.missing, 0.0, numbers.values))
    xs: list[Number] = []
    for i, v in enumerate(table.cells(column)):
        f = table.to_float(v, column, i) if has_loss[i] else None
        if has_loss[i] and (f is None or not math.isfinite(f)):
            raise InputError(
                f"{table.name}: column {column!r}, row {table.offset + i + 1}: missing or "
                "non-finite value"
            )
        xs.append(clean_number(f) if f is not None else 0)
    return Axis.of(xs)


def _row_numbers(n: int) -> Any:
    import numpy as np

    return np.arange(n, dtype=np.int64)


def generic_log(
    table: Table, train: str | None, val: str | None, x: str | None, fmt: str
) -> TrainingLog:
    """Generic and Keras tables (module docstring)."""
    train_col = choose(table, train, TRAIN_NAMES, "training")
    assert train_col is not None
    tr = table.loss_array(train_col, nan_means_missing=False)
    if val is not None:
        val_col = choose(table, val, VAL_NAMES, "validation")
        if val_col == train_col:
            raise UsageError(f"--val {val!r} is the training loss column {train_col!r}")
        assert val_col is not None
        va: Curve | None = table.loss_array(val_col, nan_means_missing=True)
    else:
        val_col, va = best_val_column(table, VAL_NAMES, exclude=train_col)
    epoch, step = x_columns(table)
    warnings: list[str] = []
    x_col, x_name = _x_axis(table, x, epoch, step, tr, warnings)
    xs = _xs_of_points(table, x_col, tr, va) if x_col else Axis(_row_numbers(table.rows))
    return finish(
        table.name, fmt, x_name, xs, tr, va, train_col, val_col, warnings, val_named=bool(val)
    )


def _x_axis(
    table: Table,
    x: str | None,
    epoch: str | None,
    step: str | None,
    tr: Curve,
    warnings: list[str],
) -> tuple[str | None, str]:
    if x == "step":
        if step is None:
            raise InputError(
                f"{table.name}: --x step needs a 'step' or 'iteration' column; columns are: "
                + table.listing()
            )
        return step, "step"
    if x == "epoch" or epoch is None:
        return (epoch, "epoch") if epoch or step is None else (step, "step")
    if step is not None:
        steps, epochs = _lenient_array(table, step), _lenient_array(table, epoch)
        steps[tr.missing] = math.nan  # points are the rows with a training loss
        if merges_distinct_steps(steps, epochs):
            warnings.append(
                f"{table.name}: several training losses share an epoch value; using the "
                f"step axis ({step!r}); --x epoch keeps the last value of each epoch"
            )
            return step, "step"
    return epoch, "epoch"


# ------------------------------------------------------------------------- raw text


def literal_nan_rows(
    stream: IO[bytes] | None, columns: Sequence[str], rows: int, delimiter: str
) -> dict[str, set[int]] | None:
    """Column → 0-based rows spelled ``nan`` in the raw CSV/TSV text of ``stream``.

    None when the text cannot be seen or does not line up with the table read (then the
    positional rule of the module docstring applies); never raises.
    """
    if stream is None:
        return None
    try:
        with contextlib.closing(stream) as raw:
            data = raw.read()
        if not _may_spell_nan(data):  # the usual case: no cell spelled nan, skip the scan
            return {c.strip(): set() for c in columns}
        text = io.TextIOWrapper(
            io.BytesIO(data), encoding="utf-8-sig", errors="replace", newline=""
        )
        return _scan_nan(csv.reader(text, delimiter=delimiter), columns, rows)
    except Exception:  # a second look at text already parsed: any failure = unknown
        return None


def _may_spell_nan(data: bytes) -> bool:
    """Whether a cell below the header may be spelled ``nan`` (any case): a file of
    numbers has no ``a`` after its header, which two byte searches tell at once."""
    body = data.find(b"\n") + 1
    if data.find(b"a", body) < 0 and data.find(b"A", body) < 0:
        return False
    return b"nan" in data.lower()


def _scan_nan(reader: Any, columns: Sequence[str], rows: int) -> dict[str, set[int]] | None:
    header: list[str] | None = None
    found: dict[str, set[int]] = {}
    index: dict[str, int] = {}
    row = 0
    for record in reader:
        if not record:
            continue
        if header is None:
            header = [c.strip() for c in record]
            if header != [c.strip() for c in columns]:
                return None
            index = {c: header.index(c) for c in header}
            found = {c: set() for c in header}
            continue
        for c, j in index.items():
            if j < len(record) and record[j].strip().lower() in ("nan", "-nan", "+nan"):
                found[c].add(row)
        row += 1
    return found if header is not None and row == rows else None
