"""``losscli history`` on big logs: a 1,000,000-row generic CSV and a TensorBoard file
of 1,000,000 scalars, against the time of reading them (issue 13's speed point).

Usage: ``python benchmarks/history_bench.py [--rows N] [--repeat K] [--cache DIR]``;
``make bench`` calls :func:`measure` and :func:`markdown` (``bench.py --history-only``
runs just this section). The logs are made once and kept in ``--cache`` (default
``$TMPDIR/losscli-history-bench``): the event file is written by tensorboardX's own
``RecordWriter`` and ``Event`` protobuf (a minute for a million events).

Each figure is the best of ``--repeat`` runs, wall and CPU (user + system) seconds of
a whole ``losscli history LOG -o json`` process, start-up included. The references,
timed in one process after its imports:

* CSV: Arrow's CSV reader on the same file (``pyarrow.csv.read_csv``);
* TensorBoard: the protobuf library decoding every record (tensorboardX's generated
  ``Event.FromString``, what a reader without losscli does), and losscli's own TFRecord
  framing alone (:func:`losscli.history.formats.tensorboard.frame`);
* start-up: ``losscli history`` on a 10-point CSV log, the cost every run pays.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

DEFAULT_CACHE = Path(tempfile.gettempdir()) / "losscli-history-bench"


def make_csv(path: Path, rows: int) -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    s = np.arange(rows)
    t = 0.3 + 2 * np.exp(-s / (rows / 3)) + rng.normal(0, 0.05, rows)
    v = 0.4 + 2 * np.exp(-s / (rows / 3)) + rng.normal(0, 0.05, rows)
    with open(path, "w") as fh:
        fh.write("step,train_loss,val_loss\n")
        np.savetxt(fh, np.column_stack([s, t, v]), fmt=["%d", "%.6f", "%.6f"], delimiter=",")


def make_events(path: Path, rows: int) -> None:
    from tensorboardX.proto.event_pb2 import Event
    from tensorboardX.proto.summary_pb2 import Summary
    from tensorboardX.record_writer import RecordWriter

    writer = RecordWriter(str(path))
    writer.write(Event(wall_time=time.time(), file_version="brain.Event:2").SerializeToString())
    for i in range(rows):
        loss = 0.3 + 2 * math.exp(-i / (rows / 3))
        value = Summary.Value(tag="train_loss", simple_value=loss)
        writer.write(
            Event(wall_time=1.7e9 + i, step=i, summary=Summary(value=[value])).SerializeToString()
        )
    writer.close()


def timed(cmd: list[str], repeat: int) -> tuple[float, float]:
    """Best (wall, cpu) seconds of ``cmd`` over ``repeat`` runs."""
    best_wall = best_cpu = math.inf
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        best_wall, best_cpu = min(best_wall, wall), min(best_cpu, cpu)
    return best_wall, best_cpu


def _best(fn: Any, repeat: int) -> float:
    best = math.inf
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best


def _protobuf_decode(data: bytes) -> None:
    from tensorboardX.proto.event_pb2 import Event

    from losscli.history.formats.tensorboard import frame

    starts, lengths, _ = frame(data)
    parse = Event.FromString
    for a, n in zip(starts.tolist(), lengths.tolist(), strict=True):
        parse(data[a : a + n])


def read_reference(csv_path: Path, tb_path: Path, repeat: int) -> dict[str, float]:
    """CPU seconds of the references (module docstring), best of ``repeat``."""
    import pyarrow.csv as pc

    from losscli.history.formats.tensorboard import frame

    data = tb_path.read_bytes()
    return {
        "csv": _best(lambda: pc.read_csv(str(csv_path)), repeat),
        "tb": _best(lambda: _protobuf_decode(data), repeat),
        "tb_frame": _best(lambda: frame(data), repeat),
    }


def logs(rows: int, cache: Path) -> tuple[Path, Path, Path]:
    """(CSV log, event file, 10-point CSV log) of ``rows`` points, made once."""
    cache.mkdir(parents=True, exist_ok=True)
    csv_path = cache / f"log_{rows}.csv"
    tb_dir = cache / f"tb_{rows}"
    tb_path = tb_dir / "events.out.tfevents.bench"
    small = cache / "log_10.csv"
    if not csv_path.exists():
        make_csv(csv_path, rows)
    if not tb_path.exists():
        tb_dir.mkdir(exist_ok=True)
        make_events(tb_path, rows)
    if not small.exists():
        make_csv(small, 10)
    return csv_path, tb_path, small


def measure(rows: int = 1_000_000, repeat: int = 3, cache: Path = DEFAULT_CACHE) -> dict[str, Any]:
    """Every figure of the section: {"rows", "repeat", "load", "rows_timed": [...]}, each
    row (label, wall, cpu, reference label, reference cpu)."""
    csv_path, tb_path, small = logs(rows, cache)
    losscli = [sys.executable, "-m", "losscli", "history"]
    ref = read_reference(csv_path, tb_path, repeat)
    timed_rows = []
    for label, path, ref_label, ref_cpu in (
        ("generic CSV, -o json", csv_path, "Arrow read_csv", ref["csv"]),
        ("TensorBoard file, -o json", tb_path, "protobuf decode", ref["tb"]),
        ("generic CSV, table + chart", csv_path, "Arrow read_csv", ref["csv"]),
        ("10-point CSV (start-up), -o json", small, "", math.nan),
    ):
        extra = [] if "chart" in label else ["-o", "json"]
        wall, cpu = timed([*losscli, str(path), *extra], repeat)
        timed_rows.append((label, wall, cpu, ref_label, ref_cpu))
    return {
        "rows": rows,
        "repeat": repeat,
        "load": os.getloadavg()[0],
        "tb_frame": ref["tb_frame"],
        "timed": timed_rows,
    }


def markdown(m: dict[str, Any]) -> list[str]:
    """The section of ``benchmarks/RESULTS.md`` for :func:`measure`'s figures."""
    startup = next(cpu for label, _, cpu, _, _ in m["timed"] if "start-up" in label)
    lines = [
        f"## History (issue 13): {m['rows']:,}-point logs",
        "",
        f"`benchmarks/history_bench.py`: `losscli history` on a {m['rows']:,}-row generic "
        f"CSV and a TensorBoard file of {m['rows']:,} scalars (tensorboardX's writer); best "
        f"of {m['repeat']} whole processes, start-up included (load {m['load']:.1f}). "
        "Reference: CPU seconds of reading the same bytes in one process after its "
        "imports (Arrow's CSV reader; the protobuf library decoding every event). "
        f"losscli's TFRecord framing alone: {m['tb_frame']:.2f} CPU s. The last column "
        "leaves out the start-up every run pays (the 10-point log's CPU s: Python and "
        "the imports).",
        "",
        "| log | wall s | CPU s | reference | reference CPU s | CPU / reference | "
        "(CPU − start-up) / reference |",
        "|---|---:|---:|---|---:|---:|---:|",
    ]
    for label, wall, cpu, ref_label, ref_cpu in m["timed"]:
        if math.isnan(ref_cpu):
            lines.append(f"| {label} | {wall:.2f} | {cpu:.2f} | | | | |")
        else:
            lines.append(
                f"| {label} | {wall:.2f} | {cpu:.2f} | {ref_label} | {ref_cpu:.2f} | "
                f"{cpu / ref_cpu:.2f}× | {(cpu - startup) / ref_cpu:.2f}× |"
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    args = parser.parse_args()
    print("\n".join(markdown(measure(args.rows, args.repeat, args.cache))))


if __name__ == "__main__":
    main()
