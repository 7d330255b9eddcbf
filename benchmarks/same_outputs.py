"""Write what losscli prints for a fixed set of commands, to compare two trees.

Issue 11 changes the shape of the code, not its behaviour: run this before and after
and diff the folders (``diff -r BEFORE AFTER``). Each command's stdout, stderr and exit
status go into one file named after the command. Paths are relative to the repository
root, so two clones give comparable files.

    python benchmarks/same_outputs.py OUTDIR [LOSSCLI]
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
S = "sample_data/"
P = "tests/fixtures/predictions/"
H = "tests/fixtures/history/"
E = "tests/fixtures/evaluate/"

COMMANDS: list[str] = [
    "--version",
    "losses",
    "losses -o json",
    "losses --task binary",
    "recommend --task regression --outliers -o json",
    "recommend --task binary --imbalanced",
    "recommend --task multiclass -o json",
    "recommend --task regression --quantile 0.9",
    f"recommend --from {S}regression_outliers.csv -o json",
    f"recommend --from {S}imbalanced.csv -o json",
    f"recommend --from {S}counts.csv",
    f"recommend --from {P}image_labels.csv -o json",
    f"history {S}train_log.csv",
    f"history {S}train_log.csv -o json",
    f"history {H}lightning_metrics.csv -o json",
    f"history {H}trainer_state.json -o json",
    f"history {H}yolov8_results.csv -o json",
    f"history {H}training_append.log -o json --run all",
    f"history {H}noisy_plateau.csv {H}noisy_overfit.csv -o json",
    f"evaluate {S}regression.parquet -o json",
    "evaluate /tmp/losscli_same/grouped.csv -o json --by region --weight w --dropna",
    "evaluate /tmp/losscli_same/grouped.csv -o csv --by region --dropna",
    "evaluate /tmp/losscli_same/grouped.csv --by region",
    "evaluate /tmp/losscli_same/bad_value.csv -o json",
    "evaluate /tmp/losscli_same/bad_prob.csv -o json --task binary",
    f"evaluate {S}multiclass.parquet -o json",
    f"evaluate {S}binary.csv -o json -l focal -l brier --gamma 1.5",
    f"evaluate {S}imbalanced.csv -o json -l weighted_bce --class-weight balanced",
    f"evaluate {S}regression.csv -o json -l huber -l pinball --delta 0.5 --quantile 0.9",
    f"evaluate {S}regression.csv -o json --fail-if 'rmse>0.1'",
    f"evaluate {S}models.csv -o markdown --fail-if 'linear:rmse<100'",
    f"evaluate {S}counts.csv -o json",
    f"evaluate {E}small.csv -o json",
    f"evaluate {E}small.jsonl -o json",
    f"evaluate {E}small.tsv.gz -o json",
    f"evaluate {S}regression.csv -o json -l nope",
    f"evaluate {S}regression.csv -o json --by nope",
    f"evaluate {S}regression.csv --task nope",
    f"evaluate {S}multiclass.csv -o json --renormalize",
    f"evaluate {S}binary.csv -o json --logits",
]
for _name in ("regression", "models", "multiclass", "binary", "imbalanced"):
    for _fmt in ("table", "json", "csv", "markdown"):
        COMMANDS.append(f"evaluate {S}{_name}.csv -o {_fmt}")
for _f in sorted((ROOT / P).glob("*.csv")):
    COMMANDS.append(f"evaluate {P}{_f.name} -o json")


def main() -> int:
    out = Path(sys.argv[1])
    exe = sys.argv[2] if len(sys.argv) > 2 else str(ROOT / ".venv/bin/losscli")
    out.mkdir(parents=True, exist_ok=True)
    work = Path("/tmp/losscli_same")
    work.mkdir(exist_ok=True)
    rows = [f"{i % 7 * 1.5},{i % 5 * 1.25 + 0.5},{'abc'[i % 3]},{1 + i % 4}" for i in range(300)]
    rows[17] = "2.0,,b,1"
    (work / "grouped.csv").write_text("y_true,y_pred,region,w\n" + "\n".join(rows) + "\n")
    (work / "bad_value.csv").write_text("y_true,y_pred\n1,2\n3,oops\n")
    (work / "bad_prob.csv").write_text("label,prob\n1,0.5\n0,1.5\n")
    for command in COMMANDS:
        proc = subprocess.run(
            f"{exe} {command}",
            shell=True,
            cwd=ROOT,
            capture_output=True,
            text=True,
            env={"PATH": "/usr/bin:/bin", "COLUMNS": "120", "LC_ALL": "C.UTF-8"},
        )
        name = re.sub(r"[^A-Za-z0-9_.=-]+", "_", command)[:150]
        (out / f"{name}.txt").write_text(
            f"$ losscli {command}\nexit {proc.returncode}\n--- stdout\n{proc.stdout}"
            f"--- stderr\n{proc.stderr}"
        )
    print(f"{len(COMMANDS)} commands written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
