"""`--output-file` and `--plot` (losscli.atomic): nothing destroyed, nothing half-written,
nothing left behind — whatever the path names (issue 10, item 1).

Real subprocesses of the installed console script where the behaviour depends on the
process (signals, /dev/full, inherited descriptors); devices are made with os.mknod in a
temporary folder (root only), never in the real /dev.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from losscli import atomic
from losscli.errors import OutputError

from conftest import LOSSCLI as _LOSSCLI
from conftest import console as losscli

LOSSCLI = str(_LOSSCLI)
SAMPLE = str(Path(__file__).resolve().parents[2] / "sample_data" / "regression.csv")
ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not ROOT, reason="mknod and chown need root")


def expected_json() -> str:
    """What `evaluate -o json` prints on stdout: the oracle for what a file must hold."""
    proc = losscli("evaluate", SAMPLE, "-o", "json")
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def evaluate_to(target: Path | str) -> subprocess.CompletedProcess[str]:
    return losscli("evaluate", SAMPLE, "-o", "json", "--output-file", str(target))


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.fixture(autouse=True)
def _real_dev_is_never_touched() -> Iterator[None]:
    """Guard: these tests must leave the machine's /dev as it was."""
    before = {name: os.lstat(name) for name in ("/dev/null", "/dev/full", "/dev/stdout")}
    yield
    for name, st in before.items():
        now = os.lstat(name)
        assert (now.st_mode, now.st_ino, now.st_rdev) == (st.st_mode, st.st_ino, st.st_rdev)


# -- regular files, new paths, symlinks --------------------------------------------


def test_new_file_gets_0666_minus_umask(tmp_path: Path) -> None:
    for umask, expected in ((0o022, 0o644), (0o077, 0o600), (0o002, 0o664)):
        target = tmp_path / f"new-{umask:o}.csv"
        old = os.umask(umask)
        try:
            atomic.write_atomic(target, lambda fh: fh.write("x\n"))
        finally:
            os.umask(old)
        assert stat.S_IMODE(target.stat().st_mode) == expected, oct(target.stat().st_mode)
    assert leftovers(tmp_path) == []


def test_replaced_file_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old\n")
    target.chmod(0o640)
    proc = evaluate_to(target)
    assert proc.returncode == 0, proc.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert target.read_text() == expected_json()


@needs_root
def test_replaced_file_keeps_its_owner_and_group_as_root(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old\n")
    os.chown(target, 1234, 5678)
    target.chmod(0o604)
    assert evaluate_to(target).returncode == 0
    st = target.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (1234, 5678, 0o604)
    assert target.read_text() == expected_json()


def test_symlink_is_kept_and_its_target_replaced(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    real = tmp_path / "real" / "report.json"
    real.write_text("old\n")
    link = tmp_path / "link.json"
    link.symlink_to(Path("real") / "report.json")  # relative, as ln -s makes them
    chain = tmp_path / "chain.json"
    chain.symlink_to(link)  # a link to a link
    assert evaluate_to(chain).returncode == 0
    assert chain.is_symlink() and link.is_symlink()
    assert os.readlink(link) == os.path.join("real", "report.json")
    assert real.read_text() == expected_json()
    assert leftovers(tmp_path) == [] and leftovers(tmp_path / "real") == []


def test_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    link = tmp_path / "link.json"
    link.symlink_to(tmp_path / "later.json")
    assert evaluate_to(link).returncode == 0
    assert link.is_symlink() and (tmp_path / "later.json").read_text() == expected_json()


def test_a_250_byte_file_name_is_writable(tmp_path: Path) -> None:
    for name in ("a" * 250 + ".json", "é" * 125):  # 254 and 250 bytes
        assert len(os.fsencode(name)) <= 255
        target = tmp_path / name
        proc = evaluate_to(target)
        assert proc.returncode == 0, proc.stderr
        assert target.read_text() == expected_json()
    assert leftovers(tmp_path) == []


def test_a_directory_is_refused_and_kept(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    proc = evaluate_to(folder)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == f"losscli: error: cannot write {folder}: Is a directory\n"
    assert folder.is_dir() and leftovers(tmp_path) == []


def test_a_failing_renderer_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old\n")

    def broken(fh: object) -> None:
        raise RuntimeError("renderer bug")

    with pytest.raises(RuntimeError):
        atomic.write_atomic(target, broken)
    assert target.read_text() == "old\n" and leftovers(tmp_path) == []


def test_a_folder_we_may_not_write_is_one_line_and_the_file_kept(tmp_path: Path) -> None:
    """As root (who may write anywhere) the run drops to nobody with setpriv, in a
    folder nobody can reach; as another user a read-only folder suffices."""
    prefix: list[str] = []
    if ROOT:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("root, and no setpriv to run as another user")
        prefix = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
        tmp_path = Path(tempfile.mkdtemp(prefix="losscli-ro-"))
        tmp_path.chmod(0o755)
    folder = tmp_path / "ro"
    folder.mkdir()
    target = folder / "out.json"
    target.write_text("old\n")
    target.chmod(0o644)
    folder.chmod(0o555)
    try:
        proc = subprocess.run(
            [*prefix, LOSSCLI, "evaluate", SAMPLE, "-o", "json", "--output-file", str(target)],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
    finally:
        folder.chmod(0o755)
    try:
        if proc.returncode == 127 or "Permission denied" in proc.stderr.partition("\n")[2]:
            pytest.skip(f"cannot run losscli as another user here: {proc.stderr[:200]}")
        assert proc.returncode == 2 and proc.stdout == ""
        assert proc.stderr == f"losscli: error: cannot write {target}: Permission denied\n"
        assert target.read_text() == "old\n" and sorted(os.listdir(folder)) == ["out.json"]
    finally:
        if ROOT:
            shutil.rmtree(tmp_path)


# -- devices, FIFOs, inherited descriptors -------------------------------------------


@needs_root
def test_character_device_is_written_not_replaced(tmp_path: Path) -> None:
    null = os.stat("/dev/null").st_rdev
    device = tmp_path / "null"
    os.mknod(device, 0o666 | stat.S_IFCHR, null)
    link = tmp_path / "stdout-like"
    link.symlink_to(device)
    for target in (device, link):
        proc = evaluate_to(target)
        assert proc.returncode == 0, proc.stderr
        st = os.lstat(device)
        assert stat.S_ISCHR(st.st_mode) and st.st_rdev == null
    assert link.is_symlink() and leftovers(tmp_path) == []


@needs_root
def test_full_character_device_fails_in_one_line(tmp_path: Path) -> None:
    full = os.stat("/dev/full").st_rdev
    device = tmp_path / "full"
    os.mknod(device, 0o666 | stat.S_IFCHR, full)
    proc = evaluate_to(device)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == f"losscli: error: cannot write {device}: No space left on device\n"
    assert stat.S_ISCHR(os.lstat(device).st_mode)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_dev_full_fails_in_one_line(tmp_path: Path) -> None:
    # Through a link in tmp_path, never /dev/full itself: a build where this test fails
    # (the old writer renamed over whatever the path named) then breaks only the link.
    link = tmp_path / "full"
    link.symlink_to("/dev/full")
    for command in (("evaluate", SAMPLE, "-o", "csv"), ("evaluate", SAMPLE)):
        proc = losscli(*command, "--output-file", str(link))
        assert proc.returncode == 2 and proc.stdout == ""
        assert proc.stderr == f"losscli: error: cannot write {link}: No space left on device\n"
    assert link.is_symlink()


def test_fifo_is_written_not_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []

    def reader() -> None:
        with open(fifo, "rb") as fh:
            received.append(fh.read())

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    proc = evaluate_to(fifo)
    thread.join(timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert received == [expected_json().encode()]
    assert leftovers(tmp_path) == []


def test_unix_socket_is_connected_and_written_not_replaced(tmp_path: Path) -> None:
    path = tmp_path / "s.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)
    received: list[bytes] = []

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            chunks = []
            while chunk := conn.recv(65536):
                chunks.append(chunk)
            received.append(b"".join(chunks))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    proc = evaluate_to(path)
    thread.join(timeout=60)
    server.close()
    assert proc.returncode == 0, proc.stderr
    assert stat.S_ISSOCK(os.lstat(path).st_mode)
    assert received == [expected_json().encode()]


@needs_root
def test_block_device_is_refused_and_kept(tmp_path: Path) -> None:
    device = tmp_path / "disk"
    os.mknod(device, 0o600 | stat.S_IFBLK, os.makedev(7, 0))  # (a loop device's numbers)
    proc = evaluate_to(device)
    assert proc.returncode == 2 and proc.stdout == ""
    assert (
        proc.stderr == f"losscli: error: cannot write {device}: a block device (not written to)\n"
    )
    assert stat.S_ISBLK(os.lstat(device).st_mode) and leftovers(tmp_path) == []


def test_dev_stdout_writes_the_inherited_descriptor(tmp_path: Path) -> None:
    """`--output-file /dev/stdout` with stdout appending to a file: appended, as a shell
    would, not the file replaced (which would lose what was there)."""
    log = tmp_path / "log.txt"
    log.write_text("before\n")
    inode = log.stat().st_ino
    link = tmp_path / "stdout"  # (-> /dev/stdout: never name /dev itself, see above)
    link.symlink_to("/dev/stdout")
    with open(log, "a") as out:
        proc = subprocess.run(
            [LOSSCLI, "evaluate", SAMPLE, "-o", "json", "--output-file", str(link)],
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
            timeout=120,
        )
    assert proc.returncode == 0, proc.stderr
    assert log.stat().st_ino == inode
    assert log.read_text() == "before\n" + expected_json()


def test_write_atomic_reports_oserror_as_output_error(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match=r"^cannot write .*missing.*: No such file"):
        atomic.write_atomic(tmp_path / "missing" / "x.csv", lambda fh: fh.write("x"))


# -- signals ----------------------------------------------------------------------------

# A real `losscli evaluate --output-file`, whose write into the temporary file stops
# half-way (losscli.atomic.write_all patched to write half, say so, and wait): the
# moment a SIGTERM or SIGHUP must leave no temporary file and the old file intact.
_SLOW_WRITER = textwrap.dedent(
    """
    import os, sys, time
    import losscli.atomic as atomic
    real = atomic.write_all
    def slow(fd, data):
        real(fd, data[: len(data) // 2])
        sys.stderr.write("writing\\n"); sys.stderr.flush()
        time.sleep(60)
        real(fd, data[len(data) // 2 :])
    atomic.write_all = slow
    from losscli.cli import main
    sys.argv = ["losscli", *sys.argv[1:]]
    main()
    """
)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_signal_during_the_write_leaves_no_temporary_file(
    tmp_path: Path, signum: signal.Signals
) -> None:
    target = tmp_path / "out.json"
    target.write_text("old\n")
    command = [sys.executable, "-c", _SLOW_WRITER, "evaluate", SAMPLE, "-o", "json"]
    proc = subprocess.Popen(
        [*command, "--output-file", str(target)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    assert proc.stderr.readline() == "writing\n"
    assert len(leftovers(tmp_path)) == 1  # (the half-written temporary file is there)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signum and err == ""
    assert leftovers(tmp_path) == [] and target.read_text() == "old\n"


def test_sigterm_while_waiting_for_a_fifo_reader(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    proc = subprocess.Popen(
        [LOSSCLI, "evaluate", SAMPLE, "-o", "json", "--output-file", str(fifo)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    time.sleep(1.5)  # (the open of a FIFO nobody reads blocks)
    assert proc.poll() is None
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143 and (out, err) == (b"", b"")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and sorted(os.listdir(tmp_path)) == ["pipe"]


def test_history_plot_goes_through_the_same_writer(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    log = Path(SAMPLE).parent / "train_log.csv"
    link = tmp_path / "curves.png"
    (tmp_path / "real.png").write_bytes(b"old")
    (tmp_path / "real.png").chmod(0o640)
    link.symlink_to("real.png")
    proc = losscli("history", str(log), "-o", "json", "--plot", str(link))
    assert proc.returncode == 0, proc.stderr
    assert link.is_symlink() and (tmp_path / "real.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert stat.S_IMODE((tmp_path / "real.png").stat().st_mode) == 0o640
    assert json.loads(proc.stdout)["schema"].startswith("losscli.history")
