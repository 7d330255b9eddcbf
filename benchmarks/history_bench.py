"""``losscli history`` on big logs: a 1,000,000-row generic CSV and a TensorBoard file
of 1,000,000 scalars, against the time of reading them.

Usage: ``python benchmarks/history_bench.py [--rows N] [--cache DIR]``. The logs are
made once and kept in ``--cache`` (default ``$TMPDIR/losscli-history-bench``): the event
file is written by tensorboardX's own ``RecordWriter`` and ``Event`` protobuf (about
70 µs per event, so a minute for a million). Each figure is the best of ``--repeat``
runs, wall and CPU (user + system) seconds of a ``losscli history -o json`` process,
and, for reference, the time to read the same bytes: Arrow's CSV reader for the CSV,
the TFRecord framing alone for the event file.
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


def read_reference(csv_path: Path, tb_path: Path, repeat: int) -> dict[str, float]:
    import pyarrow.csv as pc

    from losscli.history.formats.tensorboard import records

    out = {"csv": math.inf, "tb": math.inf}
    for _ in range(repeat):
        t0 = time.perf_counter()
        pc.read_csv(str(csv_path))
        out["csv"] = min(out["csv"], time.perf_counter() - t0)
        t0 = time.perf_counter()
        records(tb_path.read_bytes())
        out["tb"] = min(out["tb"], time.perf_counter() - t0)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "losscli-history-bench"
    )
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    csv_path = args.cache / f"log_{args.rows}.csv"
    tb_dir = args.cache / f"tb_{args.rows}"
    tb_path = tb_dir / "events.out.tfevents.bench"
    if not csv_path.exists():
        make_csv(csv_path, args.rows)
    if not tb_path.exists():
        tb_dir.mkdir(exist_ok=True)
        make_events(tb_path, args.rows)
    losscli = [sys.executable, "-m", "losscli", "history"]
    ref = read_reference(csv_path, tb_path, args.repeat)
    load = os.getloadavg()[0]
    print(f"losscli history, {args.rows:,} points, best of {args.repeat} (load {load:.1f})")
    print(f"{'log':<28}{'wall s':>9}{'cpu s':>9}{'read s':>9}")
    for label, path, key in (
        ("generic CSV (json)", csv_path, "csv"),
        ("TensorBoard file (json)", tb_path, "tb"),
    ):
        wall, cpu = timed([*losscli, str(path), "-o", "json"], args.repeat)
        print(f"{label:<28}{wall:>9.2f}{cpu:>9.2f}{ref[key]:>9.2f}")
    wall, cpu = timed([*losscli, str(csv_path)], args.repeat)
    print(f"{'generic CSV (table+chart)':<28}{wall:>9.2f}{cpu:>9.2f}{ref['csv']:>9.2f}")


if __name__ == "__main__":
    main()
