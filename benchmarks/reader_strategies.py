"""Which reader should losscli stream with?  Whole-process probes (wall + peak RSS).

Each strategy runs in its own child process (``--child NAME FILE``): it imports what it
needs, reads ``y_true`` and ``y_pred`` of a regression file and feeds every chunk to the
fused regression sums of :mod:`fused` (the same work ``losscli evaluate`` does), then
prints the losses as JSON. The parent times each child with ``os.wait4`` (the child's
own ``ru_maxrss``), runs every strategy ``--runs`` times in rotating order after a
warm-up, and prints medians as a Markdown table (the findings live in ``notes/perf.md``).

    python benchmarks/reader_strategies.py [--runs 3] [--only REGEX] [--data DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
COLS = ["y_true", "y_pred"]


# --- child side: one function per strategy, each yields (y, p) float64 chunks -------------


def _pandas_whole(path: str) -> Iterator[tuple[Any, Any]]:
    import pandas as pd

    df = pd.read_csv(path, usecols=COLS, engine="c")
    yield df["y_true"].to_numpy("float64"), df["y_pred"].to_numpy("float64")


def _pandas_chunks(rows: int) -> Callable[[str], Iterator[tuple[Any, Any]]]:
    def run(path: str) -> Iterator[tuple[Any, Any]]:
        import pandas as pd

        dtypes = dict.fromkeys(COLS, "float64")
        with pd.read_csv(path, usecols=COLS, engine="c", chunksize=rows, dtype=dtypes) as it:
            for df in it:
                yield df["y_true"].to_numpy("float64"), df["y_pred"].to_numpy("float64")

    return run


def _arrow_stream(block_mib: int, threads: bool) -> Callable[[str], Iterator[tuple[Any, Any]]]:
    def run(path: str) -> Iterator[tuple[Any, Any]]:
        import pyarrow.csv as pcsv

        reader = pcsv.open_csv(
            path,
            read_options=pcsv.ReadOptions(block_size=block_mib << 20, use_threads=threads),
            convert_options=pcsv.ConvertOptions(include_columns=COLS),
        )
        for batch in reader:
            yield (
                batch.column(0).to_numpy(zero_copy_only=False),
                batch.column(1).to_numpy(zero_copy_only=False),
            )

    return run


def _arrow_whole(path: str) -> Iterator[tuple[Any, Any]]:
    import pyarrow.csv as pcsv

    table = pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(include_columns=COLS))
    for batch in table.to_batches():
        yield (
            batch.column(0).to_numpy(zero_copy_only=False),
            batch.column(1).to_numpy(zero_copy_only=False),
        )


def _byte_blocks(path: str, block: int) -> Iterator[tuple[bytes, bytes]]:
    """(header line, a block of whole lines of about ``block`` bytes)."""
    with open(path, "rb") as fh:
        header = fh.readline()
        rest = b""
        while True:
            data = fh.read(block)
            if not data:
                if rest:
                    yield header, rest
                return
            data = rest + data
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                rest = data
                continue
            rest = data[cut:]
            yield header, data[:cut]


def _arrow_blocks(block_mib: int) -> Callable[[str], Iterator[tuple[Any, Any]]]:
    """Cut the file into ~N MiB blocks of whole lines and parse each with the parallel
    ``pyarrow.csv.read_csv`` (threads inside a block): bounded memory, all cores.
    Only valid when no quoted field holds a newline (we would need a quote-aware cut)."""

    def run(path: str) -> Iterator[tuple[Any, Any]]:
        import pyarrow as pa
        import pyarrow.csv as pcsv

        conv = pcsv.ConvertOptions(
            include_columns=COLS, column_types=dict.fromkeys(COLS, pa.float64())
        )
        for header, body in _byte_blocks(path, block_mib << 20):
            table = pcsv.read_csv(pa.BufferReader(header + body), convert_options=conv)
            yield (
                table.column(0).to_numpy(),
                table.column(1).to_numpy(),
            )

    return run


def _arrow_blocks_sized(
    block_mib: float, parse_mib: float = 1.0
) -> Callable[[str], Iterator[tuple[Any, Any]]]:
    """Like ``_arrow_blocks`` with Arrow's parse unit set (losscli's io/csv.py shape)."""

    def run(path: str) -> Iterator[tuple[Any, Any]]:
        import pyarrow as pa
        import pyarrow.csv as pcsv

        ropts = pcsv.ReadOptions(block_size=int(parse_mib * (1 << 20)), use_threads=True)
        conv = pcsv.ConvertOptions(
            include_columns=COLS, column_types=dict.fromkeys(COLS, pa.float64())
        )
        for header, body in _byte_blocks(path, int(block_mib * (1 << 20))):
            table = pcsv.read_csv(
                pa.BufferReader(header + body), read_options=ropts, convert_options=conv
            )
            yield table.column(0).to_numpy(), table.column(1).to_numpy()

    return run


def _parallel_blocks(
    engine: str, block_mib: int, workers: int = 2
) -> Callable[[str], Iterator[tuple[Any, Any]]]:
    """Whole-line byte blocks parsed by ``workers`` threads at once (each parse is
    single-threaded), results yielded in file order; at most ``workers + 1`` blocks
    in flight. Both parsers release the GIL while tokenising and converting."""

    def run(path: str) -> Iterator[tuple[Any, Any]]:
        import io
        from concurrent.futures import Future, ThreadPoolExecutor

        if engine == "pandas":
            import pandas as pd

            dtypes = dict.fromkeys(COLS, "float64")

            def parse(hb: tuple[bytes, bytes]) -> tuple[Any, Any]:
                df = pd.read_csv(io.BytesIO(hb[0] + hb[1]), usecols=COLS, dtype=dtypes)
                return df["y_true"].to_numpy(), df["y_pred"].to_numpy()
        else:
            import pyarrow as pa
            import pyarrow.csv as pcsv

            ropts = pcsv.ReadOptions(use_threads=False, block_size=4 << 20)
            conv = pcsv.ConvertOptions(
                include_columns=COLS, column_types=dict.fromkeys(COLS, pa.float64())
            )

            def parse(hb: tuple[bytes, bytes]) -> tuple[Any, Any]:
                t = pcsv.read_csv(
                    pa.BufferReader(hb[0] + hb[1]), read_options=ropts, convert_options=conv
                )
                return t.column(0).to_numpy(), t.column(1).to_numpy()

        pending: list[Future[tuple[Any, Any]]] = []
        with ThreadPoolExecutor(workers) as pool:
            for hb in _byte_blocks(path, block_mib << 20):
                pending.append(pool.submit(parse, hb))
                if len(pending) > workers:
                    yield pending.pop(0).result()
            for fut in pending:
                yield fut.result()

    return run


def _duckdb_stream(rows: int) -> Callable[[str], Iterator[tuple[Any, Any]]]:
    def run(path: str) -> Iterator[tuple[Any, Any]]:
        import duckdb

        con = duckdb.connect()
        src = "read_parquet" if path.endswith(".parquet") else "read_csv"
        rel = con.execute(f"SELECT y_true::DOUBLE, y_pred::DOUBLE FROM {src}(?)", [path])
        reader: Any = rel.to_arrow_reader(rows)
        for batch in reader:
            yield (
                batch.column(0).to_numpy(zero_copy_only=False),
                batch.column(1).to_numpy(zero_copy_only=False),
            )

    return run


def _parquet_batches(rows: int, pre_buffer: bool) -> Callable[[str], Iterator[tuple[Any, Any]]]:
    def run(path: str) -> Iterator[tuple[Any, Any]]:
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path, pre_buffer=pre_buffer)
        for batch in pf.iter_batches(batch_size=rows, columns=COLS):
            yield (
                batch.column(0).to_numpy(zero_copy_only=False),
                batch.column(1).to_numpy(zero_copy_only=False),
            )

    return run


def _parquet_row_groups(path: str) -> Iterator[tuple[Any, Any]]:
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path, pre_buffer=False)
    for i in range(pf.num_row_groups):
        t = pf.read_row_group(i, columns=COLS)
        yield t.column(0).to_numpy(), t.column(1).to_numpy()


def _pandas_parquet(path: str) -> Iterator[tuple[Any, Any]]:
    import pandas as pd

    df = pd.read_parquet(path, columns=COLS)
    yield df["y_true"].to_numpy("float64"), df["y_pred"].to_numpy("float64")


def _pipelined(
    make: Callable[[str], Iterator[tuple[Any, Any]]], depth: int = 1
) -> Callable[[str], Iterator[tuple[Any, Any]]]:
    """Read in a background thread while the main thread computes: the parsers and numpy
    release the GIL, so on 2 cores the loss kernel hides behind the read."""

    def run(path: str) -> Iterator[tuple[Any, Any]]:
        import queue
        import threading

        q: queue.Queue[Any] = queue.Queue(maxsize=depth)
        done = object()

        def produce() -> None:
            try:
                for item in make(path):
                    q.put(item)
                q.put(done)
            except BaseException as exc:  # re-raised in the consumer
                q.put(exc)

        threading.Thread(target=produce, daemon=True).start()
        while True:
            item = q.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    return run


DUCKDB_SQL = """
SELECT avg(e*e), sqrt(avg(e*e)), avg(abs(e)),
  avg(CASE WHEN abs(e) <= 1 THEN 0.5*e*e ELSE abs(e) - 0.5 END),
  avg(abs(e) + ln(1 + exp(-2*abs(e))) - ln(2)),
  avg(CASE WHEN e > 0 THEN 2*e*e ELSE e*e END),
  avg(abs(e)/abs(y)), avg(pow(ln(1+y) - ln(1+p), 2)), avg(2*(y*ln(y/p) - y + p)),
  1 - sum(e*e) / (sum(y*y) - sum(y)*sum(y)/count(*)), count(*)
FROM (SELECT y_true AS y, y_pred AS p, y_true - y_pred AS e FROM {src}(?))
"""


def _duckdb_sql(path: str) -> dict[str, float]:
    import duckdb

    src = "read_parquet" if path.endswith(".parquet") else "read_csv"
    row = duckdb.connect().execute(DUCKDB_SQL.format(src=src), [path]).fetchone()
    assert row is not None
    names = [
        "mse", "rmse", "mae", "huber", "log_cosh", "asymmetric_mse",
        "mape", "msle", "poisson_deviance", "r2",
    ]  # fmt: skip
    return dict(zip(names, row, strict=False))


CSV_STRATEGIES: dict[str, Callable[[str], Iterator[tuple[Any, Any]]]] = {
    "pandas_c_whole": _pandas_whole,
    "pandas_c_chunk_500k": _pandas_chunks(500_000),
    "pandas_c_chunk_1m": _pandas_chunks(1_000_000),
    "pandas_c_chunk_2m": _pandas_chunks(2_000_000),
    "arrow_open_csv_1mib": _arrow_stream(1, True),
    "arrow_open_csv_4mib": _arrow_stream(4, True),
    "arrow_open_csv_16mib": _arrow_stream(16, True),
    "arrow_open_csv_64mib": _arrow_stream(64, True),
    "arrow_open_csv_16mib_nothreads": _arrow_stream(16, False),
    "arrow_read_csv_whole": _arrow_whole,
    "arrow_read_csv_blocks_16mib": _arrow_blocks(16),
    "arrow_read_csv_blocks_32mib": _arrow_blocks(32),
    "arrow_read_csv_blocks_64mib": _arrow_blocks(64),
    "duckdb_stream_1m": _duckdb_stream(1_000_000),
    "duckdb_stream_256k": _duckdb_stream(262_144),
    "arrow_read_csv_blocks_4mib_parse1mib": _arrow_blocks_sized(4, 1),
    "pandas_parallel_blocks_16mib": _parallel_blocks("pandas", 16),
    "arrow_parallel_blocks_16mib": _parallel_blocks("arrow", 16),
    "arrow_parallel_blocks_4mib": _parallel_blocks("arrow", 4),
    "pandas_c_chunk_1m_pipelined": _pipelined(_pandas_chunks(1_000_000)),
    "pandas_c_chunk_500k_pipelined": _pipelined(_pandas_chunks(500_000)),
    "arrow_read_csv_blocks_16mib_pipelined": _pipelined(_arrow_blocks(16)),
    "arrow_open_csv_1mib_pipelined": _pipelined(_arrow_stream(1, True)),
}
PARQUET_STRATEGIES: dict[str, Callable[[str], Iterator[tuple[Any, Any]]]] = {
    "pq_iter_64k_nopre": _parquet_batches(65_536, False),
    "pq_iter_256k_nopre": _parquet_batches(262_144, False),
    "pq_iter_1m_nopre": _parquet_batches(1_048_576, False),
    "pq_iter_256k_prebuffer": _parquet_batches(262_144, True),
    "pq_row_groups_nopre": _parquet_row_groups,
    "pandas_read_parquet": _pandas_parquet,
    "pq_row_groups_nopre_pipelined": _pipelined(_parquet_row_groups),
    "pq_iter_256k_nopre_pipelined": _pipelined(_parquet_batches(262_144, False), 4),
    "duckdb_stream_1m": _duckdb_stream(1_000_000),
}


def child(name: str, path: str) -> None:
    sys.path.insert(0, str(HERE))
    if name == "duckdb_sql":
        out = _duckdb_sql(path)
    elif name == "noop":
        out = {}
    else:
        from fused import RegSums

        table = PARQUET_STRATEGIES if path.endswith(".parquet") else CSV_STRATEGIES
        acc = RegSums()
        for y, p in table[name](path):
            acc.update(y, p)
        out = acc.result()
    sys.stdout.write(json.dumps(out) + "\n")


# --- parent side ---------------------------------------------------------------------------


def measure(argv: list[str]) -> tuple[float, float, float, str]:
    """Run ``argv`` once: (wall s, peak RSS MiB, user+sys CPU s of that child, stdout)."""
    with tempfile.TemporaryFile() as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.PIPE)
        assert proc.stderr is not None
        err = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode()
    if proc.returncode != 0:
        raise RuntimeError(f"{argv} failed: {err.decode()[-2000:]}")
    return wall, usage.ru_maxrss / 1024.0, usage.ru_utime + usage.ru_stime, text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--child", nargs=2, metavar=("NAME", "FILE"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only", default="")
    ap.add_argument("--data", default="/tmp/losscli-bench-data")
    ap.add_argument("--sizes", default="10m", help="comma list of 5m,10m,20m")
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    data = Path(args.data)
    jobs: list[tuple[str, str]] = []
    for size in args.sizes.split(","):
        csv = str(data / f"regression_{size}.csv")
        pq = str(data / f"regression_{size}.parquet")
        jobs += [(n, csv) for n in [*CSV_STRATEGIES, "duckdb_sql", "losscli"]]
        jobs += [(n, pq) for n in [*PARQUET_STRATEGIES, "duckdb_sql", "losscli"]]
    jobs.append(("noop", str(data / "regression_5m.csv")))
    if args.only:
        jobs = [j for j in jobs if re.search(args.only, f"{j[0]} {Path(j[1]).name}")]
    py = sys.executable
    me = str(Path(__file__).resolve())
    losscli = str(Path(py).parent / "losscli")

    def argv(job: tuple[str, str]) -> list[str]:
        if job[0] == "losscli":
            return [losscli, "evaluate", job[1], "-o", "json"]
        return [py, me, "--child", *job]

    results: dict[tuple[str, str], list[tuple[float, float, float]]] = {j: [] for j in jobs}
    values: dict[tuple[str, str], str] = {}
    failures: dict[tuple[str, str], list[str]] = {j: [] for j in jobs}

    def attempt(job: tuple[str, str]) -> tuple[float, float, float, str] | None:
        try:
            return measure(argv(job))
        except RuntimeError as exc:  # a crash is a finding too: report it, go on
            failures[job].append(str(exc).strip().splitlines()[-1][:160])
            return None

    for job in jobs:  # warm-up: page cache and .pyc
        attempt(job)
    for r in range(args.runs):
        order = jobs if r % 2 == 0 else jobs[::-1]
        for job in order:
            got = attempt(job)
            if got is not None:
                results[job].append(got[:3])
                values[job] = got[3]
    print("| file | strategy | wall s median | wall s min | CPU s | peak RSS MiB | mse |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for job in jobs:
        if failures[job]:
            print(
                f"| {Path(job[1]).name} | {job[0]} | {len(failures[job])} failed runs: "
                f"{failures[job][0]} |"
            )
        if not results[job]:
            continue
        wall, rss, cpu = (statistics.median(col) for col in zip(*results[job], strict=True))
        best = min(w for w, _, _ in results[job])
        parsed: dict[str, Any] = json.loads(values[job])
        if "results" in parsed:  # a losscli.evaluate/1 report
            parsed = {r["loss"]: r["value"] for r in parsed["results"] if r["group"] is None}
        mse = parsed.get("mse", "")
        print(
            f"| {Path(job[1]).name} | {job[0]} | {wall:.3f} | {best:.3f} | {cpu:.2f} "
            f"| {rss:.0f} | {mse} |"
        )


if __name__ == "__main__":
    main()
