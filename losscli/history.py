"""Training logs → curve analysis: best epoch, final losses, gap, verdict.

Two halves, both plain Python (no numpy, no pandas at import time):

* **reading** – :func:`read_log` turns a log file into a :class:`TrainingLog`
  (aligned ``x``, ``train``, ``val`` lists). Generic tables come through
  :func:`losscli.readers.read_frame` (imported lazily); a ``.json`` file must be a
  Hugging Face ``trainer_state.json``; stdin (``-``) may be either (a JSON object with
  ``log_history`` is a trainer state, anything else goes to the readers). Deviation
  from ARCHITECTURE.md's import table (history → errors only): ``read_log`` imports
  ``losscli.readers`` inside the function, so that
  ``losscli.history.read_log("metrics.csv")`` works from Python like the rest of the
  library; the analysis itself never touches files.
* **analysis** – :func:`analyse` is a pure function on lists returning a
  :class:`HistoryReport`.

Formats, recognised without flags
---------------------------------
* ``huggingface`` – a ``.json`` file holding a ``TrainerState`` (``json.dumps(asdict(state),
  indent=2, sort_keys=True)``): ``log_history`` is a list of dicts; training entries carry
  ``loss`` (+ ``grad_norm``, ``learning_rate``), evaluation entries ``eval_loss`` (+
  ``eval_runtime``…; ``eval_<name>_loss`` with several eval datasets), both ``epoch``
  (fractional) and ``step``; the final summary entry
  (``train_runtime``, ``train_loss`` = mean over the run…) is skipped. Each evaluation is
  one point, aligned with the last training loss logged at or before its step.
* ``lightning`` – PyTorch Lightning ``CSVLogger`` ``metrics.csv``: columns ``epoch`` and
  ``step``, training and validation values on different rows (the other cells empty),
  ``*_step``/``*_epoch`` variants when logged with both ``on_step`` and ``on_epoch``. One
  point per epoch: the ``*_epoch`` column if there is one, else the last value logged in
  that epoch (plain column, then ``*_step``). With ``--x step``: one point per
  validation, aligned like Hugging Face.
* ``keras`` – ``keras.callbacks.CSVLogger``: first column ``epoch`` (0-based), then the
  ``logs`` keys sorted (``accuracy,loss,val_accuracy,val_loss``…), ``NA`` where a key is
  missing (validation skipped by ``validation_freq``).
* ``generic`` – any table with an ``epoch`` (else ``step``/``iteration``, else the 0-based
  row number) column and loss columns found case-insensitively among
  ``train_loss, loss, training_loss`` and ``val_loss, valid_loss, validation_loss,
  eval_loss, test_loss`` (first match in that order; ``--train``/``--val`` override).

Missing vs NaN. A table reader reads an empty cell, ``NA`` and ``nan`` all as NaN. For
CSV/TSV files (plain or gz/bz2/xz-compressed, or plain CSV on stdin) the raw text is
looked at again: a cell spelled ``nan`` is a NaN loss; an empty/``NA`` cell is missing
(no value logged at that point). Where the text cannot be seen (Parquet, JSON Lines,
zstd): NaN in the training column is a NaN loss, NaN in the validation column is missing. ``inf`` is
always a value. Rows with no loss value at all are skipped (with a warning); rows whose
``x`` repeats are aggregated, the last value logged wins, with a warning.

Analysis rules (``p`` = ``--patience``, default 3; ``d`` = ``--min-delta``, default 0)
---------------------------------------------------------------------------------------
A *point* is one row of the aligned log: an epoch in an epoch log, an evaluation in a
step log; ``p`` counts points, like Lightning's ``patience`` counts validation checks.

* **best epoch** = the first point where the validation loss is lowest; best value;
  final train and validation loss = last value logged in each column; ``gap`` = final
  validation − final training loss; gap at the best epoch = best validation − training
  loss at that point.
* The verdict is the first rule that holds, in this order:

  1. ``diverged`` – a loss value is non-finite (NaN or ±inf, in either column), or the
     final training loss is *far above* the first: ``last > first + |first|`` (more than
     double the first for a positive loss).
  2. ``underfitting`` – the training loss did not fall over the run:
     ``last ≥ first − d``.
  3. ``overfitting`` – after the best epoch the validation loss exceeds ``best + d`` from
     some point on and at every later point, for at least ``p`` points, while the
     training loss kept falling (final training loss < training loss at the best epoch
     − ``d``). ``overfitting_since`` = the first of those points.
  4. ``improving`` – fewer than ``p`` points come after the best one (the best is at or
     within patience of the last epoch: ``EarlyStopping`` would not have stopped yet).
  5. ``converged`` – otherwise: no new best for ``p`` or more points, without the
     sustained rise under a falling training loss that rule 3 asks for (both curves flat,
     or validation noisy around its best).

  Without a validation column there is no overfitting verdict: rules 1, 2, then
  ``improving``/``converged`` applied to the training loss, and the reason says so.
* For ``overfitting`` the recommendation is to stop at the best epoch. That is what
  Keras ``EarlyStopping(patience=p, min_delta=d, restore_best_weights=True)`` and Lightning
  ``EarlyStopping(patience=p, min_delta=d)`` + ``ModelCheckpoint`` give: both count a
  point as an improvement iff ``val < best_so_far − d``, reset the counter there, and stop
  once it reaches ``p`` (Keras ``callbacks/early_stopping.py`` ``_is_improvement``;
  Lightning ``_evaluate_stopping_criteria``). :func:`early_stopping` replays exactly that;
  with ``d = 0`` its kept epoch is the best epoch above (with ``d > 0`` it may be an
  earlier point whose loss is within ``d`` of the minimum; we report the minimum).
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import lzma
import math
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from losscli.errors import InputError, UsageError

FORMATS: tuple[str, ...] = ("generic", "keras", "lightning", "huggingface")
VERDICTS: tuple[str, ...] = ("overfitting", "improving", "converged", "underfitting", "diverged")
X_AXES: tuple[str, ...] = ("epoch", "step")
TRAIN_NAMES: tuple[str, ...] = ("train_loss", "loss", "training_loss")
VAL_NAMES: tuple[str, ...] = ("val_loss", "valid_loss", "validation_loss", "eval_loss", "test_loss")
STEP_NAMES: tuple[str, ...] = ("step", "iteration")
HF_TRAIN_KEY = "loss"
HF_VAL_KEY = "eval_loss"
DEFAULT_PATIENCE = 3
DEFAULT_MIN_DELTA = 0.0

Number = int | float
Value = float | None  # None = nothing logged at that point; float("nan") = a NaN loss


@dataclass(frozen=True)
class TrainingLog:
    """A training log aligned on one x axis: ``train[i]`` and ``val[i]`` belong to ``x[i]``."""

    file: str
    format: str
    x_name: str
    x: tuple[Number, ...]
    train: tuple[Value, ...]
    val: tuple[Value, ...] | None
    train_column: str
    val_column: str | None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class HistoryReport:
    """Everything ``losscli history`` says about one log (rules in the module docstring).

    ``best_epoch``, ``overfitting_since``, ``stopped_epoch`` and ``restored_epoch`` are
    values on the ``x_name`` axis (an epoch, or a step with ``--x step``).
    """

    file: str
    format: str
    x_name: str
    points: int
    train_column: str
    val_column: str | None
    best_epoch: Number | None
    best_val_loss: float | None
    final_train_loss: float
    final_val_loss: float | None
    gap: float | None
    gap_at_best: float | None
    verdict: str
    reason: str
    overfitting_since: Number | None
    patience: int
    min_delta: float
    stopped_epoch: Number | None
    restored_epoch: Number | None
    recommendation: str | None
    x: tuple[Number, ...]
    train: tuple[Value, ...]
    val: tuple[Value, ...] | None

    @property
    def fails_gate(self) -> bool:
        """True for the verdicts ``--fail-on-overfit`` turns into exit status 1."""
        return self.verdict in ("overfitting", "diverged")


# =========================================================================== analysis


def early_stopping(
    values: Sequence[float], *, patience: int, min_delta: float = 0.0
) -> tuple[int | None, int | None]:
    """Replay Keras/Lightning ``EarlyStopping(mode="min")`` on a validation series.

    Improvement iff ``v < best − min_delta`` (then ``best = v`` and the wait counter is
    reset), else ``wait += 1`` and training stops when ``wait ≥ patience``. Returns
    ``(kept, stopped)``: the index of the last improvement (what
    ``restore_best_weights=True`` keeps) and the index at which training would have
    stopped (None if it would have run to the end).
    """
    best = math.inf
    kept: int | None = None
    wait = 0
    for i, v in enumerate(values):
        if v < best - min_delta:  # False for NaN: a NaN never improves
            best, kept, wait = v, i, 0
            continue
        wait += 1
        if wait >= patience:
            return kept, i
    return kept, None


def analyse(
    x: Sequence[Number],
    train: Sequence[Value],
    val: Sequence[Value] | None = None,
    *,
    patience: int = DEFAULT_PATIENCE,
    min_delta: float = DEFAULT_MIN_DELTA,
    file: str = "",
    format: str = "generic",
    x_name: str = "epoch",
    train_column: str = "train_loss",
    val_column: str | None = None,
) -> HistoryReport:
    """Analyse aligned loss curves (``None`` = not logged at that point). Pure function."""
    if isinstance(patience, bool) or not isinstance(patience, int) or patience < 1:
        raise UsageError(f"--patience must be a whole number >= 1, got {patience!r}")
    if not (math.isfinite(min_delta) and min_delta >= 0):
        raise UsageError(f"--min-delta must be a finite number >= 0, got {min_delta!r}")
    n = len(x)
    if len(train) != n or (val is not None and len(val) != n):
        raise ValueError("x, train and val must have the same length")
    xs = tuple(_clean_number(v) for v in x)
    tr = tuple(None if v is None else float(v) for v in train)
    va = None if val is None else tuple(None if v is None else float(v) for v in val)
    t_idx = [i for i in range(n) if tr[i] is not None]
    v_idx = [i for i in range(n) if va is not None and va[i] is not None]
    where = f"{file}: " if file else ""
    if len(t_idx) < 2:
        raise InputError(
            f"{where}only {len(t_idx)} point(s) with a training loss in column "
            f"{train_column!r}; need at least 2"
        )
    if not v_idx:
        va, val_column = None, None
    unit = _unit(xs, x_name)

    def at(i: int) -> str:
        return f"{x_name} {_fmt_x(xs[i])}"

    def t(i: int) -> float:
        v = tr[i]
        assert v is not None
        return v

    def v_(i: int) -> float:
        assert va is not None
        v = va[i]
        assert v is not None
        return v

    final_train = t(t_idx[-1])
    final_val = v_(v_idx[-1]) if va is not None else None
    gap = final_val - final_train if final_val is not None else None

    best_i: int | None = None
    finite_v = [i for i in v_idx if math.isfinite(v_(i))]
    if finite_v:
        best_i = min(finite_v, key=lambda i: (v_(i), i))
    best_val = v_(best_i) if best_i is not None else None
    train_at_best = _last_at_or_before(tr, best_i) if best_i is not None else None
    gap_at_best = (
        best_val - train_at_best if best_val is not None and train_at_best is not None else None
    )
    kept = stopped = None
    if va is not None:
        k, s = early_stopping([v_(i) for i in v_idx], patience=patience, min_delta=min_delta)
        kept = v_idx[k] if k is not None else None
        stopped = v_idx[s] if s is not None else None

    verdict, reason, since, recommendation = _verdict(
        xs, tr, va, t_idx, v_idx, best_i, train_at_best, patience, min_delta, x_name, unit, at
    )
    if verdict == "overfitting" and best_i is not None:
        recommendation = (
            f"stop at {at(best_i)} (best validation loss {_g(v_(best_i))}): "
            f"EarlyStopping(patience={patience}, min_delta={_g(min_delta)}) would have "
            + (f"stopped at {at(stopped)}" if stopped is not None else "kept training")
            + (f" and restored {at(kept)}" if kept is not None else "")
        )
    return HistoryReport(
        file=file,
        format=format,
        x_name=x_name,
        points=n,
        train_column=train_column,
        val_column=val_column,
        best_epoch=xs[best_i] if best_i is not None else None,
        best_val_loss=best_val,
        final_train_loss=final_train,
        final_val_loss=final_val,
        gap=gap,
        gap_at_best=gap_at_best,
        verdict=verdict,
        reason=reason,
        overfitting_since=since,
        patience=patience,
        min_delta=float(min_delta),
        stopped_epoch=xs[stopped] if stopped is not None else None,
        restored_epoch=xs[kept] if kept is not None else None,
        recommendation=recommendation,
        x=xs,
        train=tr,
        val=va,
    )


def _verdict(
    xs: tuple[Number, ...],
    tr: tuple[Value, ...],
    va: tuple[Value, ...] | None,
    t_idx: list[int],
    v_idx: list[int],
    best_i: int | None,
    train_at_best: float | None,
    patience: int,
    d: float,
    x_name: str,
    unit: str,
    at: Any,
) -> tuple[str, str, Number | None, str | None]:
    """(verdict, one-line reason, overfitting_since, recommendation) — rules 1–5."""
    for i in range(len(xs)):
        for label, series in (("training", tr), ("validation", va)):
            v = series[i] if series is not None else None
            if v is not None and not math.isfinite(v):
                return "diverged", f"the {label} loss is {_g(v)} at {at(i)}", None, None
    train_vals = [tr[i] for i in t_idx]
    first, last = train_vals[0], train_vals[-1]
    assert first is not None and last is not None
    far = first + abs(first)
    if last > far:
        return (
            "diverged",
            f"the training loss ended at {_g(last)}, far above its first value {_g(first)} "
            f"(more than first + |first| = {_g(far)})",
            None,
            None,
        )
    if last >= first - d:
        return (
            "underfitting",
            f"the training loss did not fall over the run ({_g(first)} at {at(t_idx[0])}, "
            f"{_g(last)} at {at(t_idx[-1])})",
            None,
            None,
        )
    if va is None or best_i is None:
        lowest = min(t_idx, key=lambda i: (tr[i], i))
        after = len(t_idx) - 1 - t_idx.index(lowest)
        tail = "; no validation loss, so no overfitting verdict is possible"
        if after < patience:
            return (
                "improving",
                f"the training loss is still falling (lowest at {at(lowest)}){tail}",
                None,
                None,
            )
        return (
            "converged",
            f"the training loss has not improved for {after} {unit}s (lowest at "
            f"{at(lowest)}){tail}",
            None,
            None,
        )

    best = va[best_i]
    assert best is not None and train_at_best is not None
    threshold = best + d
    b = v_idx.index(best_i)
    start: int | None = None
    for k in range(len(v_idx) - 1, b, -1):
        value = va[v_idx[k]]
        assert value is not None
        if value > threshold:
            start = k
        else:
            break
    above = len(v_idx) - start if start is not None else 0
    falling = last < train_at_best - d
    if start is not None and above >= patience and falling:
        since = xs[v_idx[start]]
        return (
            "overfitting",
            f"after the best {at(best_i)} the validation loss has stayed above best + "
            f"min_delta ({_g(threshold)}) for {above} {unit}s since {at(v_idx[start])}, "
            f"while the training loss kept falling ({_g(train_at_best)} -> {_g(last)})",
            since,
            None,
        )
    after = len(v_idx) - 1 - b
    if after < patience:
        where = (
            "at the last point"
            if after == 0
            else f"{after} {unit}(s) before the end, fewer than patience={patience}"
        )
        return (
            "improving",
            f"the best validation loss ({_g(best)}, {at(best_i)}) is {where}",
            None,
            None,
        )
    return (
        "converged",
        f"no new best validation loss in the last {after} {unit}s (best {_g(best)} at "
        f"{at(best_i)}) and no sustained rise while the training loss falls",
        None,
        None,
    )


def _last_at_or_before(series: Sequence[Value], i: int) -> float | None:
    for j in range(i, -1, -1):
        v = series[j]
        if v is not None:
            return v
    for j in range(i + 1, len(series)):
        v = series[j]
        if v is not None:
            return v
    return None


def _unit(xs: Sequence[Number], x_name: str) -> str:
    if x_name == "epoch" and all(isinstance(v, int) for v in xs):
        return "epoch"
    return "evaluation"


def _clean_number(v: Any) -> Number:
    """Integral floats become ints (epoch 3, not 3.0), so JSON and labels read naturally."""
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return v
    f = float(v)
    return int(f) if f.is_integer() else f


def _fmt_x(v: Number) -> str:
    return str(v) if isinstance(v, int) else f"{v:.4g}"


def _g(v: float) -> str:
    if isinstance(v, float) and math.isnan(v):
        return "nan"
    return f"{v:.4g}"


# =========================================================================== reading


def read_log(
    source: str | os.PathLike[str],
    *,
    train: str | None = None,
    val: str | None = None,
    x: str | None = None,
) -> TrainingLog:
    """Read a training log (format detected, see the module docstring)."""
    text = os.fspath(source)
    if x is not None and x not in X_AXES:
        raise UsageError(f"--x must be one of: {', '.join(X_AXES)}; got {x!r}")
    if text != "-" and Path(text).suffix.lower() == ".json":
        return log_from_trainer_state(_load_json(Path(text)), text, train=train, val=val, x=x)

    from losscli import readers

    name = readers.display_name(text)
    data: bytes | None = None
    if text == "-":
        frame, state, data = _read_stdin(readers)
        if state is not None:
            return log_from_trainer_state(state, name, train=train, val=val, x=x)
    else:
        frame = readers.read_frame(text)
    literal = _literal_nan_rows(text, [str(c) for c in frame.columns], len(frame), data)
    return log_from_frame(frame, name, train=train, val=val, x=x, literal_nan=literal)


def _read_stdin(readers: Any) -> tuple[Any, Any, bytes]:
    """Stdin holds a trainer_state.json (returned as parsed JSON) or a table (returned as
    a frame). Logs are small, so stdin is read once into memory, sniffed, and handed to
    the readers as a fresh ``sys.stdin`` (they sniff Parquet/compression themselves)."""
    try:
        raw = getattr(sys.stdin, "buffer", None)
        data = raw.read() if raw is not None else sys.stdin.read().encode("utf-8")
    except OSError as exc:
        raise InputError(f"cannot read <stdin>: {exc.strerror or exc}") from None
    head = data.lstrip()[:1]
    if head == b"{":
        try:
            state = json.loads(data.decode("utf-8", errors="replace"))
        except json.JSONDecodeError:
            state = None  # JSON Lines, probably: the readers decide
        if isinstance(state, dict) and "log_history" in state:
            return None, state, data
    saved = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")
    try:
        return readers.read_frame("-"), None, data
    finally:
        sys.stdin = saved


def _load_json(path: Path) -> Any:
    name = str(path)
    if not path.exists():
        raise InputError(f"file not found: {name}")
    if path.is_dir():
        raise InputError(f"{name} is a directory, not a file")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {name}: {exc.strerror or exc}") from None
    text = raw.decode("utf-8", errors="replace").lstrip("\ufeff")
    if not text.strip():
        raise InputError(f"{name} is empty")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{name} is not a Hugging Face trainer_state.json: not valid JSON "
            f"(line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None


# ----------------------------------------------------------------------- huggingface


def log_from_trainer_state(
    state: Any,
    name: str,
    *,
    train: str | None = None,
    val: str | None = None,
    x: str | None = None,
) -> TrainingLog:
    """A ``TrainerState`` (parsed JSON) → one point per evaluation (see module docstring)."""
    history = state.get("log_history") if isinstance(state, dict) else None
    if not isinstance(history, list):
        what = "a JSON object without a 'log_history' list"
        if not isinstance(state, dict):
            what = f"a JSON {type(state).__name__ if state is not None else 'null'}"
        raise InputError(
            f"{name} is not a Hugging Face trainer_state.json: expected a JSON object with "
            f"a 'log_history' list, found {what}"
        )
    train_key = train or HF_TRAIN_KEY
    val_key = val or _hf_val_key(history)
    train_pts: list[tuple[float, float | None, float]] = []  # (step, epoch, value)
    val_pts: list[tuple[float, float | None, float]] = []
    keys_seen: dict[str, None] = {}
    for row, entry in enumerate(history, start=1):
        if not isinstance(entry, dict):
            raise InputError(f"{name}: log_history row {row} is not a JSON object")
        keys_seen.update(dict.fromkeys(str(k) for k in entry))
        if "train_runtime" in entry:  # the end-of-training summary, not a logged point
            continue
        for key, pts in ((train_key, train_pts), (val_key, val_pts)):
            if key not in entry or entry[key] is None:
                continue
            value = _json_number(entry[key], name, key, row)
            step = entry.get("step")
            if step is None:
                raise InputError(f"{name}: log_history row {row} has {key!r} but no 'step'")
            step_v = _json_number(step, name, "step", row)
            epoch = entry.get("epoch")
            epoch_v = _json_number(epoch, name, "epoch", row) if epoch is not None else None
            pts.append((step_v, epoch_v, value))
    if not train_pts:
        raise InputError(
            f"{name}: no training loss found: no log_history entry has {train_key!r}; "
            f"keys are: {', '.join(keys_seen) or '(none)'}"
        )
    warnings: list[str] = []
    points, skipped = _align_on_steps(train_pts, val_pts)
    if skipped:
        warnings.append(
            f"{name}: {skipped} evaluation(s) before the first logged training loss were skipped"
        )
    if x is None:
        x = "epoch" if all(p[1] is not None for p in points) else "step"
    if x == "epoch" and any(p[1] is None for p in points):
        raise InputError(f"{name}: log_history entries have no 'epoch'; use --x step")
    xs: list[Number] = [p[0] if x == "step" else p[1] for p in points]  # type: ignore[misc]
    return _finish(
        name,
        "huggingface",
        x,
        xs,
        [p[2] for p in points],
        [p[3] for p in points] if val_pts else None,
        train_key,
        val_key if val_pts else None,
        warnings,
    )


def _hf_val_key(history: list[Any]) -> str:
    """``eval_loss``; with several eval datasets the Trainer writes ``eval_<name>_loss``
    instead: then the first such key logged."""
    entries = [e for e in history if isinstance(e, dict)]
    if any(HF_VAL_KEY in e for e in entries):
        return HF_VAL_KEY
    for entry in entries:
        for key in entry:
            if isinstance(key, str) and key.startswith("eval_") and key.endswith("_loss"):
                return key
    return HF_VAL_KEY


def _json_number(value: Any, name: str, key: str, row: int) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(
            f"{name}: log_history row {row}: {key!r} is {str(value)[:40]!r}, not a number"
        )
    return float(value)


def _align_on_steps(
    train_pts: Sequence[tuple[float, float | None, float]],
    val_pts: Sequence[tuple[float, float | None, float]],
) -> tuple[list[tuple[float, float | None, Value, Value]], int]:
    """Points = evaluations, each with the last training loss at or before its step
    (points = training entries when there is no evaluation). Returns (points, skipped)."""
    train_sorted = sorted(train_pts, key=lambda p: p[0])
    if not val_pts:
        return [(s, e, v, None) for s, e, v in train_sorted], 0
    out: list[tuple[float, float | None, Value, Value]] = []
    skipped = 0
    j = -1
    for step, epoch, value in sorted(val_pts, key=lambda p: p[0]):
        while j + 1 < len(train_sorted) and train_sorted[j + 1][0] <= step:
            j += 1
        if j < 0:
            skipped += 1
            continue
        out.append((step, epoch, train_sorted[j][2], value))
    return out, skipped


# ----------------------------------------------------------------------------- tables


def log_from_frame(
    frame: Any,
    name: str,
    *,
    train: str | None = None,
    val: str | None = None,
    x: str | None = None,
    literal_nan: dict[str, set[int]] | None = None,
) -> TrainingLog:
    """A table (pandas DataFrame, read whole) → :class:`TrainingLog`.

    ``literal_nan`` maps column → 0-based rows whose raw text was ``nan`` (see the module
    docstring); None when the raw text could not be looked at.
    """
    columns = [str(c) for c in frame.columns]
    if _is_lightning(frame, columns):
        return _lightning_log(frame, columns, name, train, val, x, literal_nan)
    fmt = "keras" if _is_keras(columns) else "generic"
    train_col = _choose(columns, train, TRAIN_NAMES, name, "training")
    val_col = _choose(columns, val, VAL_NAMES, name, "validation", required=val is not None)
    if val_col == train_col:
        val_col = None
    x_col, x_name = _x_column(columns, x, name, fmt)
    n = len(frame)
    xs: list[Number] = _x_values(frame, x_col, name) if x_col else list(range(n))
    assert train_col is not None  # required=True: found or raised
    tr = _loss_values(frame, train_col, name, literal_nan, nan_means_missing=False)
    va = (
        _loss_values(frame, val_col, name, literal_nan, nan_means_missing=True) if val_col else None
    )
    return _finish(name, fmt, x_name, xs, tr, va, train_col, val_col, [], dedupe=True)


def _is_keras(columns: Sequence[str]) -> bool:
    """Keras CSVLogger: ``epoch`` first, then the sorted ``logs`` keys with ``loss``."""
    return (
        bool(columns)
        and columns[0] == "epoch"
        and "loss" in columns
        and not any(c in STEP_NAMES for c in columns)
    )


def _variant_bases(columns: Sequence[str]) -> bool:
    names = {c.lower() for c in columns}
    return any(
        f"{base}_{suffix}" in names
        for base in TRAIN_NAMES + VAL_NAMES
        for suffix in ("epoch", "step")
    )


def _is_lightning(frame: Any, columns: Sequence[str]) -> bool:
    """Lightning CSVLogger: ``epoch`` and ``step`` columns, and either ``*_epoch``/``*_step``
    loss columns or training and validation losses never on the same row."""
    if "epoch" not in columns or "step" not in columns:
        return False
    if _variant_bases(columns):
        return True
    lower = {c.lower(): c for c in columns}
    tcol = next((lower[n] for n in TRAIN_NAMES if n in lower), None)
    vcol = next((lower[n] for n in VAL_NAMES if n in lower), None)
    if tcol is None or vcol is None:
        return False
    t_missing = [_is_missing(v) for v in frame[tcol].tolist()]
    v_missing = [_is_missing(v) for v in frame[vcol].tolist()]
    return any(t_missing) and not any(
        not a and not b for a, b in zip(t_missing, v_missing, strict=True)
    )


def _choose(
    columns: Sequence[str],
    requested: str | None,
    names: Sequence[str],
    name: str,
    role: str,
    *,
    required: bool = True,
) -> str | None:
    listing = ", ".join(repr(c) for c in columns)
    if requested is not None:
        if requested in columns:
            return requested
        matches = [c for c in columns if c.lower() == requested.lower()]
        if len(matches) == 1:
            return matches[0]
        raise InputError(f"{name}: column {requested!r} not found; columns are: {listing}")
    lower: dict[str, str] = {}
    for c in columns:
        lower.setdefault(c.lower(), c)
    for cand in names:
        if cand in lower:
            return lower[cand]
    if required:
        flag = "--train" if role == "training" else "--val"
        raise InputError(
            f"{name}: no {role} loss column found (looked for {', '.join(names)}, any case; "
            f"name one with {flag} COL); columns are: {listing}"
        )
    return None


def _x_column(columns: Sequence[str], x: str | None, name: str, fmt: str) -> tuple[str | None, str]:
    lower: dict[str, str] = {}
    for c in columns:
        lower.setdefault(c.lower(), c)
    epoch_col = lower.get("epoch")
    step_col = next((lower[n] for n in STEP_NAMES if n in lower), None)
    if x == "step":
        if step_col is None:
            raise InputError(
                f"{name}: --x step needs a 'step' or 'iteration' column; columns are: "
                + ", ".join(repr(c) for c in columns)
            )
        return step_col, "step"
    if x == "epoch":
        return epoch_col, "epoch"  # no epoch column: the row number is the epoch
    if epoch_col is not None:
        return epoch_col, "epoch"
    if step_col is not None:
        return step_col, "step"
    return None, "epoch"


def _is_missing(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    return type(v).__name__ in ("NAType", "NaTType")


def _to_float(v: Any, name: str, column: str, row: int) -> float | None:
    """A cell as float; None if missing (a NaN cell: the caller decides what it means)."""
    if _is_missing(v):
        return None
    if isinstance(v, bool):
        raise InputError(f"{name}: column {column!r}, row {row}: expected a number, got {v!r}")
    if isinstance(v, int | float):
        return float(v)
    if isinstance(v, str):
        s = v.strip()
        if s == "" or s.upper() in ("NA", "N/A", "NULL", "NONE"):
            return None
        try:
            return float(s)
        except ValueError:
            pass
        raise InputError(f"{name}: column {column!r}, row {row}: expected a number, got {v[:40]!r}")
    try:
        return float(v)  # numpy scalars, Decimal
    except (TypeError, ValueError):
        raise InputError(
            f"{name}: column {column!r}, row {row}: expected a number, got {str(v)[:40]!r}"
        ) from None


def _x_values(frame: Any, column: str, name: str) -> list[Number]:
    out: list[Number] = []
    for i, v in enumerate(frame[column].tolist()):
        f = _to_float(v, name, column, i + 1)
        if f is None or not math.isfinite(f):
            raise InputError(f"{name}: column {column!r}, row {i + 1}: missing or non-finite value")
        out.append(_clean_number(f))
    return out


def _loss_values(
    frame: Any,
    column: str,
    name: str,
    literal_nan: dict[str, set[int]] | None,
    *,
    nan_means_missing: bool,
) -> list[Value]:
    """Loss cells as floats: None = missing, nan = a NaN loss (module docstring)."""
    raw_nan = literal_nan.get(column) if literal_nan is not None else None
    out: list[Value] = []
    for i, v in enumerate(frame[column].tolist()):
        f = _to_float(v, name, column, i + 1)
        if f is not None and not math.isnan(f):
            out.append(f)
        elif f is not None:  # the text "nan" in a text column: spelled out, so a NaN loss
            out.append(math.nan)
        elif raw_nan is not None:
            out.append(math.nan if i in raw_nan else None)
        else:
            out.append(None if nan_means_missing else math.nan)
    return out


def _literal_nan_rows(
    source: str, columns: Sequence[str], rows: int, data: bytes | None = None
) -> dict[str, set[int]] | None:
    """For a CSV/TSV file (plain, .gz, .bz2, .xz) or uncompressed CSV on stdin (``data``):
    column → 0-based rows spelled ``nan``.

    None when the raw text cannot be seen (other formats) or does not line up with the
    table read (then the positional rule of the module docstring applies).
    """
    opener: Any = open
    if source == "-":
        if data is None or data[:4] == b"PAR1" or data[:2] == b"\x1f\x8b":
            return None
        delimiter = ","

        def opener(_: str, mode: str) -> IO[bytes]:
            return io.BytesIO(data or b"")

    else:
        suffixes = [s.lower() for s in Path(source).suffixes]
        if suffixes and suffixes[-1] in (".gz", ".bz2", ".xz"):
            opener = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}[suffixes.pop()]
        if not suffixes or suffixes[-1] not in (".csv", ".tsv", ".tab"):
            return None
        delimiter = "," if suffixes[-1] == ".csv" else "\t"
    try:
        with opener(source, "rb") as raw:
            text: IO[str] = io.TextIOWrapper(
                raw, encoding="utf-8-sig", errors="replace", newline=""
            )
            reader = csv.reader(text, delimiter=delimiter)
            header: list[str] | None = None
            found: dict[str, set[int]] = {}
            index: dict[str, int] = {}
            row = 0
            for record in reader:
                if not record:
                    continue
                if header is None:
                    header = [c.strip() for c in record]
                    if [h for h in header] != list(columns):
                        return None
                    index = {c: header.index(c) for c in columns}
                    found = {c: set() for c in columns}
                    continue
                for c, j in index.items():
                    if j < len(record) and record[j].strip().lower() in ("nan", "-nan", "+nan"):
                        found[c].add(row)
                row += 1
    except (OSError, EOFError, csv.Error, ValueError, lzma.LZMAError):
        return None
    return found if header is not None and row == rows else None


# -------------------------------------------------------------------------- lightning


def _lightning_columns(
    columns: Sequence[str], requested: str | None, names: Sequence[str], mode: str
) -> list[str]:
    """Actual columns for one role, in order of preference for ``mode``."""
    lower: dict[str, str] = {}
    for c in columns:
        lower.setdefault(c.lower(), c)
    order = ("_epoch", "", "_step") if mode == "epoch" else ("_step", "", "_epoch")
    bases = [requested.lower()] if requested is not None else [n.lower() for n in names]
    if requested is not None and requested.lower().endswith(("_epoch", "_step")):
        exact = lower.get(requested.lower())
        return [exact] if exact else []
    for base in bases:
        found = [lower[base + suffix] for suffix in order if base + suffix in lower]
        if found:
            return found
    return []


def _lightning_log(
    frame: Any,
    columns: Sequence[str],
    name: str,
    train: str | None,
    val: str | None,
    x: str | None,
    literal_nan: dict[str, set[int]] | None,
) -> TrainingLog:
    mode = x or "epoch"
    listing = ", ".join(repr(c) for c in columns)
    train_cols = _lightning_columns(columns, train, TRAIN_NAMES, mode)
    if not train_cols:
        what = f"column {train!r} not found" if train else "no training loss column found"
        raise InputError(
            f"{name}: {what} (looked for {', '.join(TRAIN_NAMES)} and their _epoch/_step "
            f"variants, any case); columns are: {listing}"
        )
    val_cols = _lightning_columns(columns, val, VAL_NAMES, mode)
    if val is not None and not val_cols:
        raise InputError(f"{name}: column {val!r} not found; columns are: {listing}")
    epochs = [
        None if (f := _to_float(v, name, "epoch", i + 1)) is None else _clean_number(f)
        for i, v in enumerate(frame["epoch"].tolist())
    ]
    steps = [
        None if (f := _to_float(v, name, "step", i + 1)) is None else _clean_number(f)
        for i, v in enumerate(frame["step"].tolist())
    ]
    cells = {
        c: _loss_values(frame, c, name, literal_nan, nan_means_missing=True)
        for c in train_cols + val_cols
    }

    def per_key(keys: list[Number | None], cols: list[str]) -> dict[Number, Value]:
        """For each key (epoch or step): the last value of the first column (in order of
        preference) that logged anything under that key."""
        out: dict[Number, Value] = {}
        for c in reversed(cols):  # the preferred column is written last, so it wins
            last: dict[Number, Value] = {}
            for k, v in zip(keys, cells[c], strict=True):
                if k is not None and v is not None:
                    last[k] = v
            out.update(last)
        return out

    if mode == "epoch":
        tr_by = per_key(epochs, train_cols)
        va_by = per_key(epochs, val_cols) if val_cols else {}
        xs = sorted(set(tr_by) | set(va_by))
        return _finish(
            name,
            "lightning",
            "epoch",
            list(xs),
            [tr_by.get(k) for k in xs],
            [va_by.get(k) for k in xs] if val_cols else None,
            train_cols[0],
            val_cols[0] if val_cols else None,
            [],
        )

    # by step, *_epoch columns are epoch aggregates logged at one step: only a fallback
    def per_step(cols: list[str]) -> list[str]:
        return [c for c in cols if not c.lower().endswith("_epoch")] or cols

    train_cols, val_cols = per_step(train_cols), per_step(val_cols)
    tr_steps = per_key(steps, train_cols)
    va_steps = per_key(steps, val_cols) if val_cols else {}
    train_pts = [(float(s), None, v) for s, v in tr_steps.items() if v is not None]
    val_pts = [(float(s), None, v) for s, v in va_steps.items() if v is not None]
    points, skipped = _align_on_steps(train_pts, val_pts)
    warnings = (
        [f"{name}: {skipped} validation(s) before the first logged training loss were skipped"]
        if skipped
        else []
    )
    return _finish(
        name,
        "lightning",
        "step",
        [p[0] for p in points],
        [p[2] for p in points],
        [p[3] for p in points] if val_pts else None,
        train_cols[0],
        val_cols[0] if val_pts else None,
        warnings,
    )


# ----------------------------------------------------------------------------- finish


def _finish(
    name: str,
    fmt: str,
    x_name: str,
    xs: Sequence[Number],
    train: Sequence[Value],
    val: Sequence[Value] | None,
    train_col: str,
    val_col: str | None,
    warnings: list[str],
    *,
    dedupe: bool = True,
) -> TrainingLog:
    """Skip rows without any loss, merge repeated x (last value wins, with a warning),
    sort by x, and check there are at least 2 training points."""
    rows = [
        (_clean_number(xv), t, val[i] if val is not None else None)
        for i, (xv, t) in enumerate(zip(xs, train, strict=True))
    ]
    kept = [r for r in rows if r[1] is not None or r[2] is not None]
    if len(kept) < len(rows):
        warnings.append(f"{name}: {len(rows) - len(kept)} row(s) without any loss value skipped")
    merged: dict[Number, list[Value]] = {}
    counts: dict[Number, int] = {}
    for xv, t, v in kept:
        slot = merged.setdefault(xv, [None, None])
        counts[xv] = counts.get(xv, 0) + 1
        if t is not None:
            slot[0] = t
        if v is not None:
            slot[1] = v
    repeated = [k for k, c in counts.items() if c > 1]
    if repeated and dedupe:
        extra = sum(counts[k] - 1 for k in repeated)
        warnings.append(
            f"{name}: {len(repeated)} {x_name} value(s) logged more than once (first: "
            f"{x_name} {_fmt_x(repeated[0])}, {extra} extra row(s)); kept the last value "
            "logged for each"
        )
    order = sorted(merged)
    tr = tuple(merged[k][0] for k in order)
    va = tuple(merged[k][1] for k in order) if val is not None else None
    n_train = sum(v is not None for v in tr)
    if n_train < 2:
        raise InputError(
            f"{name}: only {n_train} point(s) with a training loss in column {train_col!r}; "
            "need at least 2"
        )
    if va is not None and all(v is None for v in va):
        warnings.append(f"{name}: validation column {val_col!r} has no values; ignored")
        va, val_col = None, None
    return TrainingLog(
        file=name,
        format=fmt,
        x_name=x_name,
        x=tuple(order),
        train=tr,
        val=va,
        train_column=train_col,
        val_column=val_col,
        warnings=tuple(warnings),
    )


def analyse_log(
    log: TrainingLog,
    *,
    patience: int = DEFAULT_PATIENCE,
    min_delta: float = DEFAULT_MIN_DELTA,
) -> HistoryReport:
    """:func:`analyse` applied to a :class:`TrainingLog`."""
    return analyse(
        log.x,
        log.train,
        log.val,
        patience=patience,
        min_delta=min_delta,
        file=log.file,
        format=log.format,
        x_name=log.x_name,
        train_column=log.train_column,
        val_column=log.val_column,
    )
