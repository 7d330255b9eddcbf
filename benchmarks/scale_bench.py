"""Issue 16's figures: ``losscli merge`` of 1,000 state files, and ``--engine dask`` on a
20-file Parquet dataset on a two-worker LocalCluster against the local engine.

* merge: 1,000 states of a regression frame (two models, every default loss), without
  and with ``--by`` (20 groups); the ``losscli merge`` process's wall time (best of the
  runs) against one state's (the fixed cost: start-up, one report);
* dask: the cluster's start-up timed apart; then ``evaluate DIR --engine dask
  --scheduler ADDRESS`` (a process, as a user runs it) against ``evaluate WHOLE`` on
  the concatenation of the files (the same rows), and one partition's state: its
  JSON size and the time of the local engine on one file.

``python benchmarks/scale_bench.py [--quick]`` prints the markdown section; ``bench.py``
puts it into RESULTS.md (``--scale-only``: this section alone).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HEADING = "## Scaling: merge and --engine dask (issue 16)"
LOSSCLI = str(Path(sys.executable).parent / "losscli")


def _wall(argv: list[str], runs: int) -> float:
    return _timed(argv, runs)[0]


def _timed(argv: list[str], runs: int) -> tuple[float, float]:
    """The best wall time of ``argv`` and the CPU time (user + sys) of that run: on a
    shared machine the CPU time is the steadier figure."""
    import resource

    best = (float("inf"), float("inf"))
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
        best = min(best, (wall, cpu))
    return best


def _frame(n: int, seed: int = 0) -> Any:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    y = rng.gamma(2.0, 2.0, n)
    return pd.DataFrame(
        {
            "y_true": y,
            "pred_a": np.abs(y + rng.normal(0, 1, n)) + 0.01,
            "pred_b": y * rng.uniform(0.8, 1.2, n),
            "g": rng.choice([f"g{i:02d}" for i in range(20)], n),
        }
    )


def merge_figures(folder: Path, runs: int, states: int) -> dict[str, Any]:
    import numpy as np

    from losscli.evaluate import state_codec, state_of_frame

    df = _frame(200_000)
    out: dict[str, Any] = {}
    for key, by in (("plain", None), ("by", "g")):
        sub = folder / f"states-{key}"
        sub.mkdir()
        for i, rows in enumerate(np.array_split(np.arange(len(df)), states)):
            text = state_codec.dumps(state_of_frame(df.iloc[rows], by=by))
            (sub / f"s{i:04d}.lstate").write_text(text)
        files = sorted(str(p) for p in sub.iterdir())
        out[key] = {
            "states": len(files),
            "bytes": sum(os.path.getsize(f) for f in files) / len(files),
            "merge_s": _timed([LOSSCLI, "merge", *files, "-o", "json"], runs),
            "one_s": _timed([LOSSCLI, "merge", files[0], "-o", "json"], runs),
        }
    return out


def dask_figures(folder: Path, rows: int, runs: int) -> dict[str, Any]:
    import distributed
    import numpy as np

    from losscli.evaluate import dask_engine

    df = _frame(rows, seed=1)
    ds = folder / "ds"
    ds.mkdir()
    for i, part in enumerate(np.array_split(np.arange(rows), 20)):
        df.iloc[part].to_parquet(ds / f"part-{i:02d}.parquet", index=False)
    whole = folder / "whole.parquet"
    df.to_parquet(whole, index=False)
    one = str(ds / "part-00.parquet")
    start = time.perf_counter()
    cluster = dask_engine.local_cluster(distributed, n_workers=2, threads_per_worker=1)
    startup = time.perf_counter() - start
    try:
        address = cluster.scheduler_address
        dask_s = _wall(
            [LOSSCLI, "evaluate", str(ds), "--engine", "dask", "--scheduler", address], runs
        )
    finally:
        cluster.close()
    from losscli.evaluate import state_codec, state_of_file

    return {
        "rows": rows,
        "startup_s": startup,
        "dask_s": dask_s,
        "local_s": _wall([LOSSCLI, "evaluate", str(whole)], runs),
        "part_s": _wall([LOSSCLI, "evaluate", one, "--save-state", str(folder / "p")], runs),
        "one_state_s": _wall([LOSSCLI, "merge", str(folder / "p")], runs),
        "state_bytes": len(state_codec.dumps(state_of_file(one))),
        "state_bytes_by": len(state_codec.dumps(state_of_file(one, by="g"))),
    }


def measure(quick: bool, states: int | None = None, merge_only: bool = False) -> dict[str, Any]:
    """The figures; ``quick``: one run each, 100 states (``states``: how many), a
    200K-row dataset (else 1,000 states, 10M rows, best of three); ``merge_only``:
    no dask figures (the merge alone takes seconds; the dataset, minutes)."""
    runs = 1 if quick else 3
    states = states or (100 if quick else 1000)
    with tempfile.TemporaryDirectory(prefix="losscli-scale-") as tmp:
        folder = Path(tmp)
        figures: dict[str, Any] = {"quick": quick, "merge": merge_figures(folder, runs, states)}
        if merge_only:
            figures["dask"] = None
            return figures
        try:
            import distributed  # noqa: F401
        except ImportError:
            figures["dask"] = None
            return figures
        figures["dask"] = dask_figures(folder, 40_000 if quick else 10_000_000, runs)
    return figures


def markdown(f: dict[str, Any]) -> str:
    lines = [HEADING, ""]
    if f["quick"]:
        lines += ["(quick run: 100 states, a 40K-row dataset, one run each)", ""]
    lines += [
        f"load at the start: {os.getloadavg()[0]:.1f} (2 cores: wall times stretch with it)",
        "",
        f"| merge of {f['merge']['plain']['states']:,} states | state size | "
        "`losscli merge`: wall (CPU) | one state |",
        "|---|--:|--:|--:|",
    ]
    for key, label in (("plain", "two models, 10 losses"), ("by", "the same, --by 20 groups")):
        m = f["merge"][key]
        (mw, mc), (ow, oc) = m["merge_s"], m["one_s"]
        lines.append(
            f"| {label} | {m['bytes'] / 1e3:.1f} kB | {mw:.2f} s ({mc:.2f} s) | "
            f"{ow:.2f} s ({oc:.2f} s) |"
        )
    d = f["dask"]
    lines.append("")
    if d is None:
        lines.append("--engine dask: not measured (--merge-only, or no distributed).")
        return "\n".join(lines) + "\n"
    ratio = d["dask_s"] / (d["local_s"] + d["startup_s"])
    lines += [
        f"--engine dask, {d['rows']:,} rows in 20 Parquet files, 2-worker LocalCluster:",
        "",
        "| what | wall |",
        "|---|--:|",
        f"| cluster start-up (apart) | {d['startup_s']:.2f} s |",
        f"| `evaluate DIR --engine dask --scheduler …` | {d['dask_s']:.2f} s |",
        f"| `evaluate WHOLE.parquet` (local engine, same rows) | {d['local_s']:.2f} s |",
        f"| dask / (local + start-up) | {ratio:.2f}× (target ≤ 1.5×) |",
        f"| one partition's state (`--save-state`, 1/20 of the rows) | {d['part_s']:.2f} s |",
        f"| `merge` of that one state | {d['one_state_s']:.2f} s |",
        f"| one partition's state size (JSON; with --by 20 groups) | "
        f"{d['state_bytes'] / 1e3:.1f} kB; {d['state_bytes_by'] / 1e3:.1f} kB |",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--states", type=int, default=None, help="states to merge")
    ap.add_argument("--merge-only", action="store_true", help="no --engine dask figures")
    args = ap.parse_args()
    print(markdown(measure(args.quick, args.states, args.merge_only)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
