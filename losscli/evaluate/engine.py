"""Chunks → accumulated losses per (model, group, loss): the evaluation's one loop.

:class:`Engine` takes the chunks of one input in order. Each chunk is turned into
float arrays by :class:`losscli.evaluate.prepare.Prepare` (the engine never converts
a column itself), then the engine applies the missing-value policy (an error naming
the first missing cell, or ``--dropna``: drop the row and count it), runs the file-
worded checks (:mod:`losscli.evaluate.checks`), and feeds the accumulators: one
:class:`losscli.losses.Batch` per model and cache-sized slice, so the error ``y - ŷ``
or ``log p`` is computed once and shared by every loss.

``--by``: the group codes are global ids (``Prepare``); each loss's pointwise term is
computed once on the chunk and summed per group with ``np.bincount`` into arrays
indexed by group code (:mod:`losscli.evaluate.grouped`). The overall row is the *merge* of the
group states, so grouping does not evaluate each row twice. :meth:`Engine.finish`
hands the accumulators to :mod:`losscli.evaluate.summary` and builds the report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from losscli import tasks
from losscli.errors import InputError, LossInputError
from losscli.evaluate import summary
from losscli.evaluate.checks import Checks
from losscli.evaluate.plan import ClassIndex, Setting, make_plan
from losscli.evaluate.prepare import ChunkArrays, Prepare
from losscli.evaluate.report import EvaluationReport, GroupTable
from losscli.ieee import ieee_results

if TYPE_CHECKING:
    import numpy as np

    from losscli.evaluate.bootstrap import BucketSums
    from losscli.evaluate.grouped import GroupStates
    from losscli.losses import Accumulator, Batch
    from losscli.uncertainty.analysis import Settings

DEFAULT_CHUNK_ROWS = 1 << 20
#: Bytes of one prediction column per Batch (see Engine._slices).
CACHE_BYTES = 512 << 10


class Engine:
    """Validates chunks and feeds the accumulators; one per evaluation."""

    def __init__(
        self, setting: Setting, *, ci: Settings | None = None, baseline: str | None = None
    ) -> None:
        from losscli.labels import LabelCodes

        self.setting = s = setting
        #: label mode: the predictions are class labels (see losscli.labels)
        self.labels = LabelCodes() if s.label_mode else None
        self.name, self.layout, self.task, self.params = s.name, s.layout, s.task, s.params
        self.classes: list[str] | None = (
            list(s.layout.classes) if s.layout.classes is not None else None
        )
        self.n_classes = len(self.classes) if self.classes else (2 if s.task == "binary" else 0)
        index = ClassIndex(self.classes)
        self.plan = make_plan(s, index, self.n_classes)
        self.plans = self.plan.losses
        self.prepare = Prepare(s, index, self.labels)
        self.checks = Checks(s)
        self.accs: dict[int, list[Accumulator]] = {}
        #: --by: per model, per loss, the state of every group (losscli.evaluate.grouped)
        self.gstates: list[list[GroupStates]] | None = None
        self.group_rows: np.ndarray = _empty_rows()
        self._protos: list[Accumulator] | None = None  # see _prototypes
        #: ``--ci``: the bootstrap's settings, its baseline and bucket states
        self.ci, self.baseline = ci, baseline
        self.buckets: BucketSums | None = None
        self._order: np.ndarray | None = None  # --by: group codes in report order
        self.rows = 0
        self.dropped = 0
        self.missing_count = 0
        self.missing_first: tuple[int, str] | None = None
        self.total_weight = 0.0
        self.unnormalized = [0] * len(s.layout.models)
        self.first_unnormalized: list[int | None] = [None] * len(s.layout.models)

    # -- per chunk ---------------------------------------------------------------------

    @ieee_results
    def feed(self, offset: int, columns: Mapping[str, Any]) -> None:
        """Add one chunk (``offset``: the 0-based input row of its first row)."""
        chunk = self.prepare(offset, columns)
        self._grow_classes()
        # One sum per column says "no NaN, no ±inf" for the whole chunk (NaN and inf
        # make a sum non-finite); the per-row masks below are only built otherwise.
        if _chunk_finite(chunk):
            self._accept(chunk, finite=True)
            return
        missing, first = self._missing(chunk)
        if missing is not None and first is not None:
            count = int(missing.sum())
            if not self.setting.dropna:
                self.missing_count += count
                if self.missing_first is None:
                    self.missing_first = (offset + first[0] + 1, first[1])
                return
            self.dropped += count
            chunk = chunk.take(~missing)
            if chunk.y.shape[0] == 0:
                return
        self._accept(chunk, finite=False)

    def _missing(self, chunk: ChunkArrays) -> tuple[np.ndarray | None, tuple[int, str] | None]:
        """The rows with a missing value, and the first missing cell (row, column)."""
        import numpy as np

        layout = self.layout
        checks: list[tuple[str, np.ndarray]] = [(layout.target, np.isnan(chunk.y))]
        for model, pred in zip(layout.models, chunk.preds, strict=True):
            mask = np.isnan(pred)
            if mask.ndim == 2:
                for j, col in enumerate(model.columns):
                    checks.append((col, mask[:, j]))
            else:
                checks.append((model.columns[0], mask))
        if chunk.w is not None and self.setting.weight is not None:
            checks.append((self.setting.weight, np.isnan(chunk.w)))
        if chunk.gcodes is not None and self.setting.by is not None:
            checks.append((self.setting.by, chunk.gcodes < 0))
        missing: np.ndarray | None = None
        first: tuple[int, str] | None = None
        for col, mask in checks:
            if mask.any():
                i = int(np.argmax(mask))
                if first is None or i < first[0]:
                    first = (i, col)
                missing = mask if missing is None else (missing | mask)
        return missing, first

    def _accept(self, chunk: ChunkArrays, *, finite: bool) -> None:
        """Check a chunk without missing values and add it to the accumulators."""
        if self.missing_count:
            return  # already failing: only count the missing values of the rest
        self.checks.run(chunk, finite=finite)
        self.rows += chunk.y.shape[0]
        if chunk.w is not None:
            self.total_weight += float(chunk.w.sum())
        keys = self._bucket_keys(chunk)
        if chunk.gcodes is None:
            self._update(chunk, keys)
        else:
            self._grouped(chunk, chunk.gcodes, keys)

    def _bucket_keys(self, chunk: ChunkArrays) -> np.ndarray | None:
        """``--ci``: each row's (group, bucket) key, computed once per chunk and shared
        by every model and loss (:mod:`losscli.evaluate.bootstrap`)."""
        if self.ci is None:
            return None
        import numpy as np

        from losscli.evaluate.bootstrap import BucketSums

        if self.buckets is None:
            ids = [p.spec.id for p in self.plans]
            self.buckets = BucketSums(
                ids, self._prototypes(), len(chunk.preds), self.ci, grouped=chunk.gcodes is not None
            )
        n = chunk.y.shape[0]
        rows = chunk.offset + np.arange(n, dtype=np.int64) if chunk.index is None else chunk.index
        n_groups = len(self.prepare.group_labels) if chunk.gcodes is not None else 1
        return self.buckets.keys(rows, chunk.gcodes, n_groups)

    def _grouped(self, chunk: ChunkArrays, gcodes: np.ndarray, keys: np.ndarray | None) -> None:
        """``--by``: each loss's pointwise term is computed once on the chunk (in
        cache-sized Batches) and summed per group into arrays (:mod:`losscli.evaluate.grouped`)."""
        from losscli.evaluate import grouped

        y, preds, w, index, offset = chunk.y, chunk.preds, chunk.w, chunk.index, chunk.offset
        n_groups = len(self.prepare.group_labels)
        if self.buckets is not None:
            self.buckets.share(self._prototypes())
        if self.gstates is None:
            self.gstates = [
                [grouped.make_states(proto, m) for proto in self._prototypes()]
                for m in range(len(preds))
            ]

        def make_batch(m: int, yy: Any, pp: Any, ww: Any, ii: Any) -> Batch:
            return self._batch(m, yy, pp, ww, offset, count=False, index=ii)

        part = grouped.Chunk(y, preds, w, gcodes, index, offset, n_groups, make_batch)
        self.group_rows = grouped.grown(self.group_rows, n_groups)
        self.group_rows[:n_groups] += part.counts
        # Batches of at least 8 rows per group: each Batch costs a bincount of
        # length "groups" per loss, which with many groups outweighs the cache
        step = max(self._slices(y.shape[0])[0].stop, 8 * n_groups)
        slices = [slice(i, min(i + step, y.shape[0])) for i in range(0, y.shape[0], step)]
        for m in range(len(preds)):
            states = self.gstates[m]
            for st in states:
                st.grow(n_groups)
            for sl in slices:
                batch = self._piece(m, sl, chunk)
                codes = gcodes[sl]
                memo: dict[int, Any] = {}  # (keys: ids of arrays the Batch keeps alive)
                for st in states:
                    st.add(batch, codes, memo)
                if keys is not None and self.buckets is not None:
                    self.buckets.add(m, batch, keys[sl], self._prototypes())
            for st in states:
                st.end_chunk(part)

    def _update(self, chunk: ChunkArrays, keys: np.ndarray | None) -> None:
        accs_of = [self._accs(m) for m in range(len(chunk.preds))]
        if self.buckets is not None:
            for accs in accs_of:
                self.buckets.share(accs)
        for sl in self._slices(chunk.y.shape[0]):
            for m in range(len(chunk.preds)):
                batch = self._piece(m, sl, chunk)
                for acc in accs_of[m]:
                    acc.update(batch)
                if keys is not None and self.buckets is not None:
                    self.buckets.add(m, batch, keys[sl], accs_of[m])

    def _piece(self, m: int, sl: slice, chunk: ChunkArrays) -> Batch:
        """Rows ``sl`` of a chunk as a counted Batch, with their input positions."""
        return self._batch(
            m,
            chunk.y[sl],
            chunk.preds[m][sl],
            None if chunk.w is None else chunk.w[sl],
            chunk.offset + sl.start,
            count=True,
            index=None if chunk.index is None else chunk.index[sl],
        )

    def _slices(self, n: int) -> list[slice]:
        """Cache-sized pieces of a chunk: every loss runs a chain of element-wise
        numpy operations over the batch, whose temporaries then stay in the CPU cache
        (notes/perf.md)."""
        width = max(self.n_classes, 1) if self.task == tasks.MULTICLASS else 1
        step = max(2048, CACHE_BYTES // (8 * width))
        return [slice(i, min(i + step, n)) for i in range(0, n, step)]

    def _batch(
        self,
        m: int,
        y: np.ndarray,
        pred: np.ndarray,
        w: np.ndarray | None,
        offset: int,
        *,
        count: bool,
        index: np.ndarray | None = None,
    ) -> Batch:
        from losscli.losses import Batch

        label_mode = self.labels is not None
        n_classes: int | None = None
        if label_mode:
            # labels arrive as they stream: a first chunk (or shard) holding one label
            # is two classes wide, as the accumulators are (the second, without rows
            # yet, is the next label seen)
            n_classes = max(self.n_classes, 2)
        elif self.task == tasks.MULTICLASS:
            n_classes = self.n_classes
        try:
            batch = Batch(
                tasks.MULTICLASS if label_mode else self.task,
                y,
                pred,
                w,
                logits=self.params.logits,
                n_classes=n_classes,
                labels=label_mode,
                offset=offset,
                renormalize=self.params.renormalize,
                index=index,
            )
        except LossInputError as exc:
            raise _input_error(self.name, exc) from None
        if count and batch.unnormalized_rows:
            self.unnormalized[m] += batch.unnormalized_rows
            if self.first_unnormalized[m] is None and batch.first_unnormalized is not None:
                self.first_unnormalized[m] = batch.first_unnormalized + 1
        return batch

    def _accs(self, m: int) -> list[Accumulator]:
        from losscli.evaluate.grouped import fresh

        accs = self.accs.get(m)
        if accs is None:
            accs = [fresh(proto) for proto in self._prototypes()]
            self.accs[m] = accs
        return accs

    def _prototypes(self) -> list[Accumulator]:
        """One empty accumulator per loss, made (and its parameters checked) once:
        every model gets copies."""
        if self._protos is None:
            self._protos = [
                plan.spec.make(n_classes=max(self.n_classes, 2), **plan.params)
                for plan in self.plans
            ]
        return self._protos

    def _grow_classes(self) -> None:
        """Label mode: widen the per-class accumulators to the classes seen so far."""
        if self.labels is None or len(self.labels) <= self.n_classes:
            return
        self.n_classes = len(self.labels)
        protos = self._protos if self._protos is not None else []
        for acc in [*protos, *(a for accs in self.accs.values() for a in accs)]:
            grow = getattr(acc, "grow", None)
            if grow is not None:
                grow(self.n_classes)

    # -- end ---------------------------------------------------------------------------

    def _check_done(self) -> None:
        """The errors known only at the end: missing values, nothing left, weights
        that sum to 0, a ``--positive`` label that never occurred."""
        if self.missing_count:
            assert self.missing_first is not None
            row, col = self.missing_first
            noun = "row has" if self.missing_count == 1 else "rows have"
            raise InputError(
                f"{self.name}: {self.missing_count} {noun} a missing value (first: column "
                f"{col!r}, row {row}); drop such rows with --dropna",
                file=self.name,
                column=col,
                row=row,
            )
        if self.rows == 0:
            raise InputError(
                f"{self.name}: no rows left to evaluate"
                + (f" after dropping {self.dropped} with missing values" if self.dropped else "")
            )
        weight = self.setting.weight
        if weight is not None and self.total_weight <= 0.0:
            raise InputError(
                f"{self.name}: column {weight!r}: every weight is 0; nothing to average"
            )
        labels = self.prepare.binary_labels
        if self.task == tasks.BINARY and self.setting.positive is not None:
            if self.setting.positive.strip() not in {lab.strip() for lab in labels}:
                raise InputError(
                    f"{self.name}: --positive {self.setting.positive!r} is not a label of column "
                    f"{self.layout.target!r}; labels are: {', '.join(labels)}"
                )
            negatives = [lab for lab in labels if lab.strip() != self.setting.positive.strip()]
            self.classes = [*negatives[:1], self.setting.positive]

    def _warnings(self, names: Sequence[str]) -> list[str]:
        warnings: list[str] = []
        if self.dropped:
            noun = "row" if self.dropped == 1 else "rows"
            warnings.append(
                f"{self.name}: dropped {self.dropped} {noun} with a missing value (--dropna)"
            )
        for m, count in enumerate(self.unnormalized):
            if count and not self.params.renormalize:
                first = self.first_unnormalized[m]
                where = f" (first at row {first})" if first is not None else ""
                warnings.append(
                    f"{self.name}: {count} rows of model {names[m]!r} do not sum to 1 within "
                    f"0.001{where}; --renormalize divides each row by its sum"
                )
        return warnings

    @ieee_results
    def finish(self) -> EvaluationReport:
        self._check_done()
        layout = self.layout
        names = [m.name for m in layout.models]
        table: GroupTable | None = None
        if self.setting.by is None:
            accs = {m: self.accs[m] for m in range(len(names))}
        else:
            accs, table, group_reasons = self._finish_groups()
        out = summary.Outcome(self.task, self.classes)
        skipped_overall = summary.overall(out, self.name, self.plans, names, accs)
        if table is not None:
            out.skipped.extend(
                summary.group_skips(group_reasons, skipped_overall, self.plans, names, table.labels)
            )
        out.warnings = self._warnings(names)
        summary.describe(
            out,
            name=self.name,
            layout=layout,
            decision=self.setting.decision,
            labels=self.labels,
            auto=self.setting.auto,
            requested=self.setting.losses,
            logits=self.params.logits,
        )
        overall, comparisons, boot = out.results, [], None
        if self.buckets is not None:
            from losscli.evaluate import intervals

            filled = intervals.fill(
                self.buckets,
                name=self.name,
                plans=self.plans,
                models=names,
                baseline=intervals.baseline_of(self.baseline, names, self._columns()),
                overall=out.results,
                table=table,
                order=self._order,
                rows=self.rows,
            )
            overall, table, comparisons = filled.overall, filled.table, filled.comparisons
            boot = filled.bootstrap
            out.warnings.extend(filled.warnings)
        return EvaluationReport(
            file=self.name,
            task=out.task,
            rows=self.rows,
            target=layout.target,
            weight=self.setting.weight,
            group_by=self.setting.by,
            models=names,
            classes=out.classes,
            params=self.plan.report_params(),
            overall=overall,
            skipped=out.skipped,
            losses=[p.key for p in self.plans],
            groups=list(table.labels) if table is not None else [],
            model_columns=self._columns(),
            warnings=out.warnings,
            dropped=self.dropped,
            models_info=out.models_info,
            grouped=table,
            comparisons=comparisons,
            bootstrap=boot,
        )

    def _columns(self) -> dict[str, list[str]]:
        return {m.name: list(m.columns) for m in self.layout.models}

    def _finish_groups(
        self,
    ) -> tuple[dict[int, list[Accumulator]], GroupTable, list[summary.GroupReason]]:
        """The overall accumulators (the merge of the groups' states), the group
        table in report order, and the groups' skip reasons as (loss index, model
        index, reason, positions of the groups in report order)."""
        import numpy as np

        assert self.gstates is not None
        group_labels = self.prepare.group_labels
        n = len(group_labels)
        order = self._order = _group_order(group_labels)
        labels = [group_labels[i] for i in order.tolist()]
        rank = np.empty(n, dtype=np.intp)
        rank[order] = np.arange(n)
        shape = (n, len(self.plans), len(self.gstates))
        values = np.full(shape, np.nan)
        ok = np.zeros(shape, dtype=bool)
        rows = self.group_rows[:n]
        overall: dict[int, list[Accumulator]] = {}
        reasons: list[summary.GroupReason] = []
        for m, states in enumerate(self.gstates):
            overall[m] = []
            for li, st in enumerate(states):
                out = st.finish(n, rows)
                overall[m].append(out.overall)
                values[:, li, m] = out.values[order]
                ok[:, li, m] = out.ok[order]
                reasons.extend((li, m, text, rank[g]) for text, g in out.reasons)
        return overall, GroupTable(labels, values, ok, rows[order].copy()), reasons


# --------------------------------------------------------------------------- helpers


def _input_error(name: str, exc: LossInputError) -> InputError:
    """The loss library's error about a batch, with its first bad value as a file row
    (``first_index`` is the 0-based input index the Batch was told)."""
    if exc.first_index is None or exc.what is None or exc.count is None:
        return InputError(f"{name}: {exc}", file=name)
    row = exc.first_index + 1
    noun, verb = ("value", "is") if exc.count == 1 else ("values", "are")
    return InputError(
        f"{name}: {exc.what} has {exc.count} {noun} that {verb} {exc.problem}; first at row {row}",
        file=name,
        row=row,
    )


def _chunk_finite(chunk: ChunkArrays) -> bool:
    gcodes = chunk.gcodes
    return (
        _all_finite(chunk.y)
        and all(_all_finite(p) for p in chunk.preds)
        and (chunk.w is None or _all_finite(chunk.w))
        and (gcodes is None or not gcodes.size or int(gcodes.min()) >= 0)
    )


def _empty_rows() -> np.ndarray:
    import numpy as np

    return np.zeros(0, dtype=np.int64)


def _all_finite(values: np.ndarray) -> bool:
    """Whether no value is NaN or ±inf, by one sum (a sum of finite values is
    finite unless it overflows; then the exact test runs)."""
    import numpy as np

    if np.isfinite(values.sum()):
        return True
    return bool(np.isfinite(values).all())


def _group_order(labels: Sequence[str]) -> np.ndarray:
    """The permutation putting ``labels`` in report order: numeric group values in
    numeric order, then the others in text order; sorted by numpy (one ``float()``
    per label, no Python comparisons)."""
    import numpy as np

    values = np.zeros(len(labels))
    text = np.zeros(len(labels), dtype=bool)
    for i, label in enumerate(labels):
        try:
            values[i] = float(label)
        except ValueError:
            text[i] = True
    values[np.isnan(values)] = np.inf  # (a "nan" label: after the numbers)
    strings = np.array(labels, dtype=str) if labels else np.zeros(0, dtype=str)
    return np.lexsort((strings, values, text))
