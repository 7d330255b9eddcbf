#!/usr/bin/env python3
"""Issue 10 as a hostile user: run each case against a losscli binary, check the promise.

usage: hostile.py /path/to/venv/bin/losscli [WORKDIR]

Promise checked for every case: exit status in the expected set; on 2 exactly one stderr
line `losscli: error: ...`, nothing on stdout; never "Traceback"; no raw control bytes on
stderr; no temporary file left in the work dir. Prints one line per case and a summary.
"""

from __future__ import annotations

import gzip
import json
import lzma
import os
import re
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

LOSSCLI = sys.argv[1]
WORK = Path(sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="hostile-"))
WORK.mkdir(parents=True, exist_ok=True)
RAW_CONTROL = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]")
results: list[tuple[str, bool, str]] = []


def run(args, *, stdin=None, shell=False, env=None, timeout=120, cwd=None):
    e = dict(os.environ, **(env or {}))
    if shell:
        p = subprocess.run(
            args,
            shell=True,
            executable="/bin/bash",
            capture_output=True,
            timeout=timeout,
            env=e,
            cwd=cwd or WORK,
            stdin=stdin,
        )
    else:
        p = subprocess.run(
            [LOSSCLI, *args],
            capture_output=True,
            timeout=timeout,
            env=e,
            cwd=cwd or WORK,
            stdin=stdin,
        )
    return p


def check(name, p, ok_codes=(2,), stdout_empty=None, extra=None):
    err = p.stderr
    problems = []
    if p.returncode not in ok_codes:
        problems.append(f"exit {p.returncode} not in {ok_codes}")
    if b"Traceback" in err:
        problems.append("traceback")
    if RAW_CONTROL.search(err.replace(b"\n", b"")):
        problems.append("raw control bytes on stderr")
    if p.returncode == 2:
        lines = [ln for ln in err.decode("utf-8", "replace").splitlines() if ln.strip()]
        errs = [ln for ln in lines if ln.startswith("losscli: error:")]
        if len(errs) != 1 or any(not (ln.startswith("losscli: ")) for ln in lines):
            problems.append(f"stderr not one error line: {lines[:4]!r}")
        if stdout_empty is None:
            stdout_empty = True
    if stdout_empty and p.stdout:
        problems.append(f"stdout not empty ({len(p.stdout)} bytes)")
    if extra:
        msg = extra(p)
        if msg:
            problems.append(msg)
    leftovers = [
        f.name for f in WORK.iterdir() if f.name.startswith(".") and f.name.endswith(".tmp")
    ]
    if leftovers:
        problems.append(f"temp files left: {leftovers}")
    results.append((name, not problems, "; ".join(problems) or first_line(err)))


def first_line(b: bytes) -> str:
    t = b.decode("utf-8", "replace").strip().splitlines()
    return t[0][:150] if t else ""


def w(name: str, text: str | bytes) -> Path:
    path = WORK / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


# ---------------------------------------------------------------- data
reg = "y_true,y_pred\n" + "".join(f"{i % 7},{(i % 7) + 0.5}\n" for i in range(200))
w("reg.csv", reg)

# 1. outputs ----------------------------------------------------------------
if os.geteuid() == 0:
    dev = WORK / "fake_null"
    if dev.exists() and not stat.S_ISCHR(os.lstat(dev).st_mode):
        dev.unlink()
    if not dev.exists():
        os.mknod(dev, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    p = run(["evaluate", "reg.csv", "-o", "json", "--output-file", str(dev)])
    check(
        "output to char device",
        p,
        ok_codes=(0,),
        extra=lambda p: None if stat.S_ISCHR(os.lstat(dev).st_mode) else "device replaced",
    )
fifo = WORK / "out.fifo"
if fifo.exists() or fifo.is_symlink():
    fifo.unlink()
os.mkfifo(fifo)
reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
p = run(["evaluate", "reg.csv", "-o", "json", "--output-file", str(fifo)])
try:
    got = reader.communicate(timeout=20)[0]
except subprocess.TimeoutExpired:
    reader.kill()
    got = b""
check(
    "output to fifo",
    p,
    ok_codes=(0,),
    extra=lambda p: (
        None
        if stat.S_ISFIFO(os.lstat(fifo).st_mode) and b"schema" in got
        else "fifo replaced or empty"
    ),
)
target = w("target.json", "old")
link = WORK / "link.json"
if link.is_symlink() or link.exists():
    link.unlink()
link.symlink_to(target)
p = run(["evaluate", "reg.csv", "-o", "json", "--output-file", str(link)])
check(
    "output through symlink",
    p,
    ok_codes=(0,),
    extra=lambda p: (
        None
        if link.is_symlink() and b"schema" in target.read_bytes()
        else "symlink replaced or target not written"
    ),
)
p = run(["evaluate", "reg.csv", "-o", "json", "--output-file", "/dev/full"])
check("output-file /dev/full", p)
os.chmod(target, 0o640)
p = run(["evaluate", "reg.csv", "-o", "json", "--output-file", str(target)])
check(
    "replaced file keeps mode",
    p,
    ok_codes=(0,),
    extra=lambda p: (
        None
        if stat.S_IMODE(os.stat(target).st_mode) == 0o640
        else f"mode {oct(stat.S_IMODE(os.stat(target).st_mode))}"
    ),
)
new = WORK / "new_out.json"
if new.exists():
    new.unlink()
p = run(["evaluate", "reg.csv", "-o", "json", "--output-file", str(new)], shell=False, env=None)
check(
    "new file mode 0644 under umask 022",
    p,
    ok_codes=(0,),
    extra=lambda p: (
        None
        if stat.S_IMODE(os.stat(new).st_mode) == 0o644
        else f"mode {oct(stat.S_IMODE(os.stat(new).st_mode))}"
    ),
)
longname = WORK / ("x" * 245 + ".json")
p = run(["evaluate", "reg.csv", "-o", "json", "--output-file", str(longname)])
check("250-char file name", p, ok_codes=(0,))

# 2. many columns ------------------------------------------------------------
k = 100
hdr = "label," + ",".join(f"prob_{c}" for c in range(k))
rows = []
for i in range(300):
    p_ = [0.5 / (k - 1)] * k
    p_[i % k] = 0.5
    rows.append(f"{i % k}," + ",".join(f"{v:.6f}" for v in p_))
w("c100.csv", hdr + "\n" + "\n".join(rows) + "\n")
check("100-class multiclass", run(["evaluate", "c100.csv", "-o", "json"]), ok_codes=(0,))
hdr = "y_true," + ",".join(f"pred_m{j}" for j in range(300))
w(
    "m300.csv",
    hdr
    + "\n"
    + "\n".join(f"{i}," + ",".join(str(i + j / 100) for j in range(300)) for i in range(50))
    + "\n",
)
check("300 models", run(["evaluate", "m300.csv", "-o", "csv"]), ok_codes=(0,))

# 3. streams --------------------------------------------------------------------
for cmd in (
    ["evaluate", "reg.csv"],
    ["history", str(WORK / "log.csv")],
    ["recommend", "--task", "binary"],
    ["losses"],
):
    w(
        "log.csv",
        "epoch,train_loss,val_loss\n"
        + "".join(
            f"{e},{1 / (e + 1)},{1 / (e + 1) + (0.01 * e if e > 5 else 0)}\n" for e in range(12)
        ),
    )
    line = " ".join([LOSSCLI, *cmd])
    check(f"{cmd[0]} > /dev/full", run(f"{line} > /dev/full", shell=True))
    check(f"{cmd[0]} stdout closed", run(f"{line} >&-", shell=True))
w("ünï.csv", "y_true,y_pred,grüppe\n1,2,ä\n3,4,ö\n")
check(
    "PYTHONIOENCODING=ascii",
    run(["evaluate", "ünï.csv", "--by", "grüppe"], env={"PYTHONIOENCODING": "ascii"}),
    ok_codes=(0,),
)
big = "y_true,y_pred,g\n" + "".join(f"{i % 5},{i % 3},{i % 20000}\n" for i in range(400000))
w("big.csv", big)
p = run(f"set -o pipefail; {LOSSCLI} evaluate big.csv --by g -o csv | head -1", shell=True)
check("broken pipe -> 141 quiet", p, ok_codes=(141,), stdout_empty=False)

for comp, data in (
    ("gz", gzip.compress(reg.encode())[:40]),
    ("xz", lzma.compress(reg.encode())[:40]),
    ("zst", b"\x28\xb5\x2f\xfd" + b"garbage" * 5),
    ("bz2", b"BZh91AY&SYgarbage"),
):
    w(f"bad.csv.{comp}", data)
    check(f"corrupt .{comp} evaluate", run(["evaluate", f"bad.csv.{comp}"]))
    check(f"corrupt .{comp} recommend --from", run(["recommend", "--from", f"bad.csv.{comp}"]))
    w(f"badlog.csv.{comp}", data)
    check(f"corrupt .{comp} history", run(["history", f"badlog.csv.{comp}"]))

try:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(
        pa.table(
            {"y_true": pa.array([[1.0], [2.0]], pa.list_(pa.float64())), "y_pred": [1.0, 2.0]}
        ),
        WORK / "list.parquet",
    )
    check("parquet list truth", run(["evaluate", "list.parquet"]))
    pq.write_table(
        pa.table(
            {
                "y_true": pa.array([2**53 + 1, 3], pa.int64()),
                "y_pred": pa.array([1, 2**60], pa.int64()),
            }
        ),
        WORK / "big.parquet",
    )
    check("parquet int64 > 2^53", run(["evaluate", "big.parquet"]), ok_codes=(0, 2))
except ImportError:
    pass

deep = '{"log_history": ' + "[" * 100000 + "]" * 100000 + "}"
w("trainer_state.json", deep)
check("deep trainer_state.json", run(["history", "trainer_state.json"]))
w("huge.csv", "epoch,train_loss,val_loss\n0,1e308,1e308\n1,-1e308,1e308\n2,1e308,-1e308\n3,1,1\n")
check("history ±1e308", run(["history", "huge.csv"]), ok_codes=(0, 1, 2))

# 4/6. stdin, fifos, big cells ---------------------------------------------------------
p = run(f"timeout 60 {LOSSCLI} evaluate - < /dev/zero", shell=True, env={"TMPDIR": str(WORK)})
check("stdin /dev/zero", p)
check("evaluate /dev/zero", run(["evaluate", "/dev/zero"], timeout=60))
p = run(f"{LOSSCLI} evaluate <(cat reg.csv) -o json", shell=True)
check("process substitution", p, ok_codes=(0,))
cell = "y_true,y_pred,note\n1,2," + "x" * (200 << 10) + "\n3,4,y\n"
w("bigcell.csv", cell)
check(
    "128 KiB cell", run(["evaluate", "bigcell.csv", "-t", "y_true", "-p", "y_pred"]), ok_codes=(0,)
)
line = json.dumps({"y_true": 1, "y_pred": 2, "blob": "x" * (9 << 20)})
w("bigline.jsonl", line + "\n" + json.dumps({"y_true": 3, "y_pred": 4, "blob": "y"}) + "\n")
check(
    "9 MB JSONL line",
    run(["evaluate", "bigline.jsonl", "-t", "y_true", "-p", "y_pred"]),
    ok_codes=(0,),
)
w(
    "nested.jsonl",
    "".join(
        json.dumps({"y_true": i, "y_pred": i + 1, "meta": {"a": [i, {"b": i}]}}) + "\n"
        for i in range(50)
    ),
)
check(
    "JSONL unused nested",
    run(["evaluate", "nested.jsonl", "-t", "y_true", "-p", "y_pred"]),
    ok_codes=(0,),
)
w("trail.csv", "label,prob_cat ,prob_dog\n" + "cat ,0.7,0.3\ndog,0.2,0.8\n" * 5)
check("trailing-space label", run(["evaluate", "trail.csv"]), ok_codes=(0,))
w("logit.csv", "y_true,y_pred\n" + "".join(f"{i % 2},{(i % 5) - 2.5}\n" for i in range(100)))
p = run(["evaluate", "logit.csv", "--logits", "-o", "json"])
check(
    "--logits implies binary",
    p,
    ok_codes=(0,),
    extra=lambda p: (
        None if p.returncode or json.loads(p.stdout)["task"] == "binary" else "task not binary"
    ),
)

# 5. binary headers, control bytes --------------------------------------------------------
w("gz_named.csv", gzip.compress(reg.encode()))
p = run(["evaluate", "gz_named.csv"])
check("gzip named .csv", p, extra=lambda p: None if b"gzip" in p.stderr else "no gzip hint")
w("utf16.csv", reg.encode("utf-16"))
check("UTF-16 csv", run(["evaluate", "utf16.csv"]))
w("nul.csv", b"y_true,y_pred\n1,\x002\n")
check("NUL bytes", run(["evaluate", "nul.csv"]))
w("ctl.csv", "a\x1b[31m,b\x07,c\u202e\n1,2,3\n")
check("control bytes in columns", run(["evaluate", "ctl.csv"]))
w("f\x1b[2Jname.csv", "")
check("control bytes in file name", run(["evaluate", "f\x1b[2Jname.csv"]))

# 7. messages -------------------------------------------------------------------------------
lines = [json.dumps({"y_true": i, "y_pred": i}) for i in range(6000)]
lines[4999] = '{"y_true": 1, "y_pred'
w("trunc.jsonl", "\n".join(lines) + "\n")
check(
    "JSONL truncated line 5000",
    run(["evaluate", "trunc.jsonl"]),
    extra=lambda p: None if b"5000" in p.stderr else "line 5000 not named",
)
lines[4999] = '{"y_true": 1, "y_pred": 2}}'
w("extra.jsonl", "\n".join(lines) + "\n")
check(
    "JSONL extra brace line 5000",
    run(["evaluate", "extra.jsonl"]),
    extra=lambda p: None if b"5000" in p.stderr else "line 5000 not named",
)
for args in (["--precision", "-1"], ["-o", "xml"], ["--bogus"]):
    check(f"usage {' '.join(args)}", run(["evaluate", "reg.csv", *args]))
check("--task REGRESSION", run(["evaluate", "reg.csv", "--task", "REGRESSION"]), ok_codes=(0,))
w("extreme.csv", "y_true,y_pred\n1e308,-1e308\n0,0\n1,1e-320\n")
p = run(["evaluate", "extreme.csv"])
check(
    "no RuntimeWarning",
    p,
    ok_codes=(0, 2),
    extra=lambda p: "RuntimeWarning leaked" if b"RuntimeWarning" in p.stderr else None,
)
w("bin.csv", "label,prob\n" + "".join(f"{i % 2},{0.3 + 0.4 * (i % 2)}\n" for i in range(40)))
check("--eps 5e-324", run(["evaluate", "bin.csv", "--eps", "5e-324"]))
check("--class-weight dup", run(["evaluate", "bin.csv", "--class-weight", "0=1,0=2"]))
check(
    "history --train X --val X",
    run(["history", "log.csv", "--train", "val_loss", "--val", "val_loss"]),
)
w("md.csv", "y_true,pred_@octocat,pred_@org/team\n1,2,3\n2,3,4\n")
p = run(["evaluate", "md.csv", "-o", "markdown"])
check(
    "markdown mentions",
    p,
    ok_codes=(0,),
    extra=lambda p: (
        "mention left" if re.search(rb"(?<![\w`])@(octocat|org/team)", p.stdout) else None
    ),
)

ok = sum(1 for _, good, _ in results if good)
for name, good, why in results:
    print(f"{'PASS' if good else 'FAIL'}  {name}: {why}")
print(f"{ok} passed, {len(results) - ok} failed")
