"""``hf://`` URLs (the Hugging Face Hub through huggingface_hub's HfFileSystem)
against a Hub API served on 127.0.0.1 (tests/cli/hub_api.py) from folders of files
written here by pyarrow and pandas. Every run is the console script in a fresh
process with the Hub's standard environment only: ``HF_ENDPOINT`` at the server
(huggingface_hub reads it when it is imported), a temporary ``HF_HOME`` (no cache or
token of this machine), ``HF_HUB_OFFLINE=0``, telemetry off, and ``HF_TOKEN`` or the
login token file where a test needs a token. Oracle: the local run of the same files
(the JSON equal but for ``file``); the server's request log shows ranged reads, the
token sent and the refusals. Nothing leaves 127.0.0.1."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hub_api import Hub, Repo, serve

from conftest import Cli, console

pytest.importorskip("huggingface_hub")
pytest.importorskip("fsspec")

_cli = Cli("evaluate")
run_json, run_error = _cli.run_json, _cli.error_line
GOOD, OTHER = "hf_good_token", "hf_other_token"  # two accounts; only GOOD is granted access


def _frame(seed: int, n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.normal(size=n)
    return pd.DataFrame({"y_true": y, "y_pred": y + rng.normal(scale=0.3, size=n)})


def _write_preds(root: Path) -> None:
    """acme/preds at main: single files of each format, a Hive dataset written by
    pyarrow, a Hive CSV dataset written by pandas, a dataset with a corrupt file."""
    plain = _frame(1, 40_000)
    pq.write_table(
        pa.Table.from_pandas(plain, preserve_index=False),
        root / "one.parquet",
        row_group_size=4_000,
    )
    plain.to_csv(root / "one.csv", index=False)
    plain.to_csv(root / "one.csv.gz", index=False, compression="gzip")
    plain.to_json(root / "one.jsonl", orient="records", lines=True, double_precision=15)
    parts = []
    for i, model in enumerate(("lin", "tree")):
        for day in ("2026-11-30", "2026-12-01"):
            part = _frame(10 + i * 7 + len(day)).assign(model=model, day=day)
            parts.append(part)
            out = root / "csvs" / f"model={model}" / f"day={day}"
            out.mkdir(parents=True)
            part.drop(columns=["model", "day"]).to_csv(out / "part-0.csv", index=False)
    table = pa.Table.from_pandas(pd.concat(parts, ignore_index=True), preserve_index=False)
    pq.write_to_dataset(table, root / "hive", partition_cols=["model", "day"])
    (root / "broken").mkdir()
    pq.write_table(pa.Table.from_pandas(_frame(3), preserve_index=False), root / "broken/a.parquet")
    (root / "broken/b.parquet").write_bytes(b"PAR1 this is not a Parquet file")
    (root / "truncated.csv.gz").write_bytes(gzip.compress(plain.to_csv(index=False).encode())[:900])


def _card(root: Path) -> None:
    """What every Hub repository holds beside its data."""
    (root / "README.md").write_text("---\nlicense: mit\n---\n# Predictions\n")
    (root / ".gitattributes").write_text("*.parquet filter=lfs diff=lfs merge=lfs -text\n")


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """The Hub on 127.0.0.1 with its repositories (each revision a folder)."""
    base = tmp_path_factory.mktemp("hub")
    folders = {
        name: base / name
        for name in ("preds", "preds-v1", "shards", "model", "space", "private", "gated")
    }
    for folder in folders.values():
        folder.mkdir()
        _card(folder)
    _write_preds(folders["preds"])
    _frame(5, 120).to_csv(folders["preds-v1"] / "one.csv", index=False)
    (folders["shards"] / "data").mkdir()
    shards = _frame(6, 900)
    for i, rows in enumerate((shards.iloc[:500], shards.iloc[500:])):
        rows.to_parquet(folders["shards"] / f"data/train-{i:05d}-of-00002.parquet", index=False)
    (folders["model"] / "preds").mkdir()
    _frame(7).to_parquet(folders["model"] / "preds/eval.parquet", index=False)
    _frame(8).to_csv(folders["space"] / "preds.csv", index=False)
    for name in ("private", "gated"):
        _write_preds(folders[name])
    hub = Hub(accounts=(GOOD, OTHER), folders=folders)
    revisions = {
        "main": folders["preds"],
        "v1": folders["preds-v1"],
        "refs/pr/1": folders["preds-v1"],
    }
    hub.add(Repo("datasets", "acme/preds", revisions))
    hub.add(Repo("datasets", "acme/shards", {"main": folders["shards"]}))
    hub.add(Repo("models", "acme/regressor", {"main": folders["model"]}))
    hub.add(Repo("spaces", "acme/demo", {"main": folders["space"]}))
    hub.add(
        Repo("datasets", "acme/private", {"main": folders["private"]}, private=True, tokens=(GOOD,))
    )
    hub.add(Repo("datasets", "acme/gated", {"main": folders["gated"]}, gated=True, tokens=(GOOD,)))
    server, thread = serve(hub)
    try:
        yield hub
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _local(hub: Hub, name: str, path: str = "") -> str:
    return str(hub.folders[name] / path) if path else str(hub.folders[name])


@pytest.fixture
def env(hub: Hub, tmp_path: Path) -> dict[str, str]:
    """The environment of a Hub user with no token: the Hub's own variables only."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING"))}
    home = tmp_path / "hf-home"
    home.mkdir()
    hub.log.clear()
    return {
        **clean,
        "HF_ENDPOINT": hub.endpoint,
        "HF_HOME": str(home),
        "HF_HUB_OFFLINE": "0",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "NO_PROXY": "127.0.0.1,localhost",
    }


def hf(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return console("evaluate", *args, env=env, timeout=300)


def hf_json(env: dict[str, str], *args: str) -> dict[str, Any]:
    proc = hf(env, *args, "-o", "json")
    assert proc.returncode == 0, (proc.returncode, proc.stderr)
    doc: dict[str, Any] = json.loads(proc.stdout)
    return doc


def hf_error(env: dict[str, str], *args: str) -> str:
    """The one error line of a run that must exit 2 with nothing on stdout."""
    proc = hf(env, *args)
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("losscli: error: ")
    return lines[0]


def _same(remote: dict[str, Any], local: dict[str, Any]) -> None:
    a, b = dict(remote), dict(local)
    assert a.pop("file") != b.pop("file")
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


# --------------------------------------------------------------------------- reading


@pytest.mark.parametrize("key", ["one.parquet", "one.csv", "one.csv.gz", "one.jsonl"])
def test_a_hub_file_equals_the_local_file(hub: Hub, env: dict[str, str], key: str) -> None:
    args = ("-t", "y_true", "-p", "y_pred")
    remote = hf_json(env, f"hf://datasets/acme/preds/{key}", *args)
    _same(remote, run_json(_local(hub, "preds", key), *args))
    assert remote["rows"] == 40_000


@pytest.mark.parametrize("prefix", ["hive", "csvs"])
def test_a_hub_hive_dataset_equals_the_local_dataset(
    hub: Hub, env: dict[str, str], prefix: str
) -> None:
    args = ("--by", "model", "--filter", 'day >= "2026-12-01"')
    remote = hf_json(env, f"hf://datasets/acme/preds/{prefix}/", *args)
    _same(remote, run_json(_local(hub, "preds", prefix), *args))
    assert remote["rows"] == 800


def test_a_hub_glob(hub: Hub, env: dict[str, str]) -> None:
    _same(
        hf_json(env, "hf://datasets/acme/preds/csvs/model=tree/*/*.csv", "--by", "day"),
        run_json(_local(hub, "preds", "csvs/model=tree"), "--by", "day"),
    )


def test_a_repository_is_a_dataset_without_its_card(hub: Hub, env: dict[str, str]) -> None:
    """``hf://datasets/acme/shards`` holds README.md, .gitattributes and data/: the
    data files are the dataset."""
    _same(hf_json(env, "hf://datasets/acme/shards"), run_json(_local(hub, "shards", "data")))


def test_a_revision_reads_that_revision(hub: Hub, env: dict[str, str]) -> None:
    local = run_json(_local(hub, "preds-v1", "one.csv"))
    _same(hf_json(env, "hf://datasets/acme/preds@v1/one.csv"), local)
    commit = hub.repos[("datasets", "acme/preds")].commit("v1")
    _same(hf_json(env, f"hf://datasets/acme/preds@{commit}/one.csv"), local)
    _same(hf_json(env, "hf://datasets/acme/preds@refs/pr/1/one.csv"), local)
    assert local["rows"] == 120  # not main's one.csv
    assert any("/resolve/v1/one.csv" in r.path for r in hub.log)


@pytest.mark.parametrize(
    ("url", "name", "path"),
    [
        ("hf://acme/regressor/preds/eval.parquet", "model", "preds/eval.parquet"),
        ("hf://spaces/acme/demo/preds.csv", "space", "preds.csv"),
    ],
)
def test_model_and_space_repositories(
    hub: Hub, env: dict[str, str], url: str, name: str, path: str
) -> None:
    _same(hf_json(env, url), run_json(_local(hub, name, path)))


def test_a_large_parquet_file_is_read_in_ranges(hub: Hub, env: dict[str, str]) -> None:
    """A Parquet file larger than losscli's read block (8 MiB): its footer first (a
    range that ends at its last byte), then its row groups in several ranges; every
    download a Range request answered 206, none of them the whole file."""
    from losscli.io.remote import REMOTE_BLOCK_BYTES

    path = Path(_local(hub, "preds", "large.parquet"))
    frame = _frame(2, 700_000)
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=50_000)
    size = path.stat().st_size
    assert size > REMOTE_BLOCK_BYTES
    remote = hf_json(env, "hf://datasets/acme/preds/large.parquet", "-l", "mse")
    _same(remote, run_json(str(path), "-l", "mse"))
    gets = hub.resolves("/large.parquet")
    shown = "\n".join(f"{r.range} {r.status} {r.sent}" for r in gets)
    assert all(r.range is not None and r.status == 206 for r in gets), shown
    assert all(r.sent < size for r in gets), (size, shown)
    assert any(r.range is not None and r.range.endswith(f"-{size - 1}") for r in gets), shown
    assert len([r for r in gets if r.sent > 1 << 16]) >= 2, shown  # the data in pieces


def test_csv_is_read_in_ranges(hub: Hub, env: dict[str, str]) -> None:
    hf_json(env, "hf://datasets/acme/preds/one.csv")
    gets = hub.resolves("/one.csv")
    assert gets and all(r.range is not None and r.status == 206 for r in gets), gets


# --------------------------------------------------------------------------- tokens


def test_a_private_repository_with_hf_token(hub: Hub, env: dict[str, str]) -> None:
    args = ("--by", "model")
    local = run_json(_local(hub, "private", "hive"), *args)
    _same(hf_json({**env, "HF_TOKEN": GOOD}, "hf://datasets/acme/private/hive/", *args), local)
    assert hub.log and all(r.authorization == f"Bearer {GOOD}" for r in hub.log), hub.log


def test_the_login_token_file_is_read(hub: Hub, env: dict[str, str]) -> None:
    """The token file ``hf auth login`` writes: ``$HF_HOME/token``."""
    (Path(env["HF_HOME"]) / "token").write_text(GOOD)
    _same(
        hf_json(env, "hf://datasets/acme/private/one.csv"),
        run_json(_local(hub, "private", "one.csv")),
    )
    assert all(r.authorization == f"Bearer {GOOD}" for r in hub.log), hub.log


def test_a_gated_repository_with_a_granted_token(hub: Hub, env: dict[str, str]) -> None:
    _same(
        hf_json({**env, "HF_TOKEN": GOOD}, "hf://datasets/acme/gated/one.parquet"),
        run_json(_local(hub, "gated", "one.parquet")),
    )


@pytest.mark.parametrize(
    ("url", "token", "expected", "status"),
    [
        (
            "hf://datasets/acme/private/one.csv",
            None,
            "cannot read hf://datasets/acme/private/one.csv: repository not found (a private "
            "one needs a token that may read it: set HF_TOKEN or run `hf auth login`)",
            401,
        ),
        (
            "hf://datasets/acme/gated/one.parquet",
            None,
            "cannot read hf://datasets/acme/gated/one.parquet: the repository is gated (its "
            "files need the token of an account granted access: set HF_TOKEN or run "
            "`hf auth login`)",
            401,
        ),
        (
            "hf://datasets/acme/gated/hive/",
            OTHER,
            "cannot read hf://datasets/acme/gated/hive/: the repository is gated and this "
            "token was not granted access to it",
            403,
        ),
        (
            "hf://datasets/acme/preds/one.csv",
            "hf_no_such_token",
            "cannot read hf://datasets/acme/preds/one.csv: HTTP 401, the Hub refused the token",
            401,
        ),
    ],
)
def test_refused_reads_are_one_line(
    hub: Hub,
    env: dict[str, str],
    tmp_path: Path,
    url: str,
    token: str | None,
    expected: str,
    status: int,
) -> None:
    out = tmp_path / "report.json"
    if token is not None:
        env = {**env, "HF_TOKEN": token}
    line = hf_error(env, url, "-o", "json", "--output-file", str(out))
    assert line.startswith(f"losscli: error: {expected}"), line
    assert not out.exists()
    assert status in {r.status for r in hub.log}, hub.log


# --------------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "hf://datasets/acme/nothing/one.csv",
            "cannot read hf://datasets/acme/nothing/one.csv: repository not found",
        ),
        (
            "hf://datasets/acme/preds/nope.parquet",
            "file not found: hf://datasets/acme/preds/nope.parquet",
        ),
        ("hf://datasets/acme/preds/nope/", "file not found: hf://datasets/acme/preds/nope/"),
        (
            "hf://datasets/acme/preds@v9/one.csv",
            "cannot read hf://datasets/acme/preds@v9/one.csv: revision not found in the repository",
        ),
        ("hf://datasets/acme/preds/broken/", "broken/b.parquet is not a valid Parquet file"),
        (
            "hf://datasets/acme/preds/truncated.csv.gz",
            "truncated.csv.gz: not valid gzip data (corrupt or truncated)",
        ),
        ("hf://datasets/acme/preds/csvs/*.parquet", "no file matches"),
    ],
)
def test_bad_hub_inputs_are_one_line_and_write_nothing(
    hub: Hub, env: dict[str, str], tmp_path: Path, url: str, expected: str
) -> None:
    out = tmp_path / "report.json"
    line = hf_error(env, url, "-o", "json", "--output-file", str(out))
    assert expected in line, line
    assert not out.exists()


def test_a_missing_extra_names_the_pip_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)  # (its import now raises)
    line = run_error("hf://datasets/acme/preds/one.csv")
    assert line.endswith("pip install 'losscli[hf]'")


def test_local_runs_and_start_up_never_import_huggingface_hub(hub: Hub) -> None:
    code = (
        "import sys\nfrom typer.testing import CliRunner\nfrom losscli.cli import app\n"
        "r = CliRunner().invoke(app, sys.argv[1:])\n"
        "print(r.exit_code, sorted(m for m in sys.modules if m.split('.')[0] in "
        "('fsspec', 'huggingface_hub', 'httpx2', 'hf_xet')))"
    )
    for args in (
        ["evaluate", _local(hub, "preds", "one.parquet")],
        ["evaluate", _local(hub, "preds", "hive")],
        ["--help"],
    ):
        proc = subprocess.run(
            [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
        )
        assert proc.stdout.strip().splitlines()[-1] == "0 []", (args, proc.stdout)


# --------------------------------------------------------------------------- engines


def test_dask_workers_read_a_private_repository(hub: Hub, env: dict[str, str]) -> None:
    """``--engine dask`` without ``--scheduler``: a LocalCluster of worker processes,
    which read their partitions from the Hub with the token and endpoint of the
    environment they inherit."""
    pytest.importorskip("distributed")
    args = ("--by", "model", "-l", "mse", "-l", "mae")
    env = {**env, "HF_TOKEN": GOOD}
    remote = hf_json(env, "hf://datasets/acme/private/hive/", "--engine", "dask", *args)
    local = run_json(_local(hub, "private", "hive"), *args)
    from conftest import assert_close

    remote["file"] = local["file"]
    assert_close(remote, local)
    assert all(r.authorization == f"Bearer {GOOD}" for r in hub.log), hub.log
    assert len(hub.resolves(".parquet")) >= 4  # every part file was read


def test_save_state_of_a_hub_dataset_merges_to_the_local_report(
    hub: Hub, env: dict[str, str], tmp_path: Path
) -> None:
    state = tmp_path / "hub.lstate"
    proc = hf(env, "hf://datasets/acme/preds/hive/", "--by", "day", "--save-state", str(state))
    assert proc.returncode == 0, proc.stderr
    merged = Cli("merge").run_json(str(state))
    local = run_json(_local(hub, "preds", "hive"), "--by", "day")
    for doc in (merged, local):
        doc.pop("file")
    assert json.dumps(merged, sort_keys=True) == json.dumps(local, sort_keys=True)


def test_an_unreachable_hub_names_its_endpoint(env: dict[str, str]) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # (closed again: nothing listens there)
    endpoint = f"http://127.0.0.1:{port}"
    line = hf_error({**env, "HF_ENDPOINT": endpoint}, "hf://datasets/acme/preds/one.csv")
    assert line.startswith(
        f"losscli: error: cannot read hf://datasets/acme/preds/one.csv: cannot reach the Hub "
        f"at {endpoint} ("
    ), line
