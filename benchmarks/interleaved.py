"""Interleaved A/B timing of whole commands: wall, CPU and peak RSS of each child.

    python interleaved.py REPS NAME=COMMAND NAME=COMMAND ...

Runs one warm-up of every command, then REPS rounds, each round every command once
in a rotating order (so a slow spell of the shared machine hits all of them alike),
and prints the median, min and max of wall seconds, CPU seconds (user + sys, from
``os.wait4``) and peak RSS (MiB), then each command's median wall over the first's.
Only ratios within one run mean anything on a loaded machine.
"""

from __future__ import annotations

import os
import shlex
import statistics
import subprocess
import sys
import time


def once(argv: list[str]) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MiB) of one run of ``argv``, stdout discarded."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {shlex.join(argv)}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main(argv: list[str]) -> int:
    reps = int(argv[0])
    commands = [(a.split("=", 1)[0], shlex.split(a.split("=", 1)[1])) for a in argv[1:]]
    runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name, _ in commands}
    for _, cmd in commands:
        once(cmd)
    for r in range(reps):
        k = r % len(commands)
        for name, cmd in commands[k:] + commands[:k]:
            runs[name].append(once(cmd))
    print(f"{reps} rounds, load average {os.getloadavg()[0]:.2f} at the end")
    first = statistics.median(w for w, _, _ in runs[commands[0][0]])
    for name, _ in commands:
        walls, cpus, rss = zip(*runs[name], strict=True)
        med = statistics.median(walls)
        print(
            f"{name}: wall {med:.2f} s (min {min(walls):.2f}, max {max(walls):.2f}), "
            f"CPU {statistics.median(cpus):.2f} s, peak RSS {statistics.median(rss):.0f} MiB, "
            f"wall / {commands[0][0]} {med / first:.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
