"""The plan of ``--engine dask``'s tasks (losscli.evaluate.dask_plan), without a
cluster: small files combined into balanced partitions, runs of row groups alone,
offsets kept. Hand derivations in the comments (k = ⌈total / most⌉ partitions, a
file in the partition its middle falls in: ⌊(before + size/2) · k / total⌋)."""

from __future__ import annotations

from pathlib import Path

from losscli.evaluate.dask_plan import (
    MAX_PART_BYTES,
    Partition,
    combine,
    members,
    partitions,
    split_row_groups,
    stored_bytes,
    target,
)


def _files(n: int) -> list[Partition]:
    return [Partition(f"f{i}", f"f{i}", "csv") for i in range(n)]


def _shape(parts: list[Partition]) -> list[list[str]]:
    return [[m.name for m in members(p)] for p in parts]


def test_small_files_are_combined_into_balanced_partitions() -> None:
    # 1,000 files of 1,000 rows on 2 workers: most = ⌈10⁶ / 4⌉ = 250,000 → 4 of 250
    parts = combine(_files(1000), [1000] * 1000, target(10**6, 2, 4 << 20))
    assert [len(p) for p in _shape(parts)] == [250] * 4
    assert _shape(parts)[1][0] == "f250" and _shape(parts)[3][-1] == "f999"
    # 5 files of 10 with most 25: k = 2; middles 5, 15, 25, 35, 45 → ⌊m·2/50⌋ = 0,0,1,1,1
    assert _shape(combine(_files(5), [10] * 5, 25)) == [["f0", "f1"], ["f2", "f3", "f4"]]


def test_files_no_smaller_than_the_target_stay_alone() -> None:
    # 3 files of 10 with most 10: k = 3, one each (what a few large files give)
    assert _shape(combine(_files(3), [10, 10, 10], 10)) == [["f0"], ["f1"], ["f2"]]
    # a large file first: k = ⌈104 / 25⌉ = 5; middles 50, 100.5, ... → 2, 4, 4, 4, 4
    # (the partitions no file falls in are none)
    assert _shape(combine(_files(5), [100, 1, 1, 1, 1], 25)) == [["f0"], ["f1", "f2", "f3", "f4"]]
    # 0-byte files: one partition of them all
    assert _shape(combine(_files(3), [0, 0, 0], 25)) == [["f0", "f1", "f2"]]


def test_runs_of_row_groups_stay_alone_and_offsets_are_kept() -> None:
    big = Partition("big", "big", "parquet")
    smalls = [Partition(f"s{i}", f"s{i}", "parquet") for i in range(4)]
    # 1,000 rows in 10 row groups and 4 files of 50 on 2 workers: most ⌈1200/4⌉ = 300
    cut = split_row_groups([big, *smalls], [[100] * 10, *([[50]] * 4)], workers=2)
    assert [p.offset for p in cut] == [0, 300, 600, 900, 1000, 1050, 1100, 1150]
    rows = [300, 300, 300, 100, 50, 50, 50, 50]
    parts = combine(cut, rows, 300)
    # the four runs alone; the 4 small files (200 rows: k = 1) one partition at 1000
    assert [(p.name, p.row_groups is not None, p.offset) for p in parts] == [
        ("big", True, 0),
        ("big", True, 300),
        ("big", True, 600),
        ("big", True, 900),
        ("s0", False, 1000),
    ]
    assert [m.name for m in members(parts[-1])] == ["s0", "s1", "s2", "s3"]


def test_a_dataset_listing_is_combined_by_stored_bytes(tmp_path: Path) -> None:
    for i in range(40):
        (tmp_path / f"part-{i:02d}.csv").write_text("y_true,y_pred\n" + "1,2\n" * (i % 3 + 1))
    parts = partitions(str(tmp_path))
    sizes = [stored_bytes(p) for p in parts]
    assert sizes == [(tmp_path / f"part-{i:02d}.csv").stat().st_size for i in range(40)]
    combined = combine(parts, sizes, target(sum(sizes), 2, MAX_PART_BYTES))
    assert len(combined) == 4  # (⌈total / ⌈total / 4⌉⌉ = 4 partitions on 2 workers)
    files = [m.location for p in combined for m in members(p)]
    assert files == [p.location for p in parts]  # every file once, in order
