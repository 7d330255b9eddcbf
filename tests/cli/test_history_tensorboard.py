"""TensorBoard event files, written by a real writer (tensorboardX: its SummaryWriter,
its protobuf classes and its TFRecord framing), read by losscli without TensorFlow."""

from __future__ import annotations

import math
import struct
from pathlib import Path
from typing import Any

import pytest

from losscli.cli import app

from conftest import Cli, runner

run_json = Cli("history").run_json

tbx = pytest.importorskip("tensorboardX")
from tensorboardX.proto.summary_pb2 import Summary, SummaryMetadata  # noqa: E402
from tensorboardX.proto.tensor_pb2 import TensorProto  # noqa: E402


def one_line_error(*args: str) -> str:
    result = runner.invoke(app, ["history", *args])
    assert result.exit_code == 2 and result.stdout == "", result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("losscli: error: "), result.stderr
    return lines[0]


def train(step: int) -> float:
    return 1 / (1 + step / 10)


def val(step: int) -> float:
    return 0.5 + abs(step - 49) / 200


def lightning_like(logdir: Path, steps: int = 100) -> None:
    """What Lightning's TensorBoardLogger writes through SummaryWriter.add_scalar:
    ``train_loss`` per step, ``val_loss`` and ``epoch`` every 10 steps (one epoch)."""
    w = tbx.SummaryWriter(str(logdir))
    for step in range(steps):
        w.add_scalar("train_loss", train(step), step)
        if step % 10 == 9:
            w.add_scalar("val_loss", val(step), step)
            w.add_scalar("epoch", step // 10, step)
    w.close()


def test_simple_values_from_summary_writer(tmp_path: Path) -> None:
    lightning_like(tmp_path / "version_0")
    doc = run_json(str(tmp_path / "version_0"))
    # val at steps 9, 19, …, 99: lowest at 49 (0.5), rising after; epochs 0..9 from the
    # 'epoch' scalar; train at step 99 = 1/(1 + 9.9), stored as float32
    assert (doc["format"], doc["x"], doc["points"]) == ("tensorboard", "epoch", 10)
    assert (doc["train"], doc["val"], doc["best_epoch"]) == ("train_loss", "val_loss", 4)
    assert doc["best_val_loss"] == pytest.approx(0.5)
    assert doc["final_train_loss"] == pytest.approx(train(99), rel=1e-6)
    assert doc["final_val_loss"] == pytest.approx(val(99), rel=1e-6)
    assert doc["verdict"] == "overfitting" and doc["overfitting_since"] == 5
    doc = run_json(str(tmp_path / "version_0"), "--x", "step")
    assert (doc["x"], doc["best_epoch"]) == ("step", 49)
    event_file = next((tmp_path / "version_0").iterdir())
    assert run_json(str(event_file))["points"] == 10


def scalar_tensor(tag: str, proto: TensorProto, with_metadata: bool = True) -> Any:
    md = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="scalars"))
    return Summary.Value(tag=tag, tensor=proto, metadata=md if with_metadata else None)


@pytest.mark.parametrize(
    "make",
    [
        lambda v: TensorProto(dtype=1, float_val=[v]),  # torch new_style=True
        lambda v: TensorProto(dtype=2, tensor_content=struct.pack("<d", v)),  # TF2 double
        lambda v: TensorProto(dtype=1, tensor_content=struct.pack("<f", v)),  # TF2 float
        lambda v: TensorProto(dtype=2, double_val=[v]),
    ],
)
def test_tensor_encoded_scalars(tmp_path: Path, make: Any) -> None:
    fw = tbx.FileWriter(str(tmp_path))
    for step in range(20):
        # TF2 writes the plugin metadata with a tag's first value only
        first = step == 0
        values = [
            scalar_tensor("train/loss", make(1 / (step + 1)), first),
            scalar_tensor("val/loss", make(2 / (step + 1)), first),
        ]
        fw.add_summary(Summary(value=values), step)
    # a histogram-like tensor of one element under another plugin is not a scalar
    md = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="histograms"))
    fw.add_summary(Summary(value=[Summary.Value(tag="val_loss", tensor=make(9.0), metadata=md)]), 5)
    fw.close()
    doc = run_json(str(tmp_path))
    assert (doc["train"], doc["val"], doc["points"]) == ("train/loss", "val/loss", 20)
    assert doc["final_train_loss"] == pytest.approx(1 / 20, rel=1e-6)
    assert doc["best_val_loss"] == pytest.approx(2 / 20, rel=1e-6)


def test_every_scalar_kept_no_reservoir(tmp_path: Path) -> None:
    # EventAccumulator keeps 10,000 scalars per tag by default; we keep all 12,000
    w = tbx.SummaryWriter(str(tmp_path))
    for step in range(12_000):
        w.add_scalar("loss", 1 / (1 + step), step)
    w.close()
    doc = run_json(str(tmp_path))
    assert doc["points"] == 12_000 and doc["final_train_loss"] == pytest.approx(1 / 12_000)


def test_keras_train_and_validation_subdirectories(tmp_path: Path) -> None:
    # keras.callbacks.TensorBoard: logs/train and logs/validation, tag 'epoch_loss'
    for sub, f in (("train", lambda e: 1 / (e + 1)), ("validation", lambda e: 1.2 / (e + 1))):
        w = tbx.SummaryWriter(str(tmp_path / sub))
        for epoch in range(6):
            w.add_scalar("epoch_loss", f(epoch), epoch)
        w.close()
    doc = run_json(str(tmp_path))
    assert (doc["train"], doc["val"], doc["points"]) == (
        "train/epoch_loss",
        "validation/epoch_loss",
        6,
    )
    assert doc["best_val_loss"] == pytest.approx(0.2) and doc["verdict"] == "improving"


def test_directory_of_runs_is_compared(tmp_path: Path) -> None:
    lightning_like(tmp_path / "a")
    w = tbx.SummaryWriter(str(tmp_path / "b"))
    for step in range(100):
        w.add_scalar("train_loss", 2 * train(step), step)
        if step % 10 == 9:
            w.add_scalar("val_loss", 0.3 + 1 / (step + 1), step)
    w.close()
    docs = run_json(str(tmp_path))
    assert [Path(d["file"]).name for d in docs] == ["a", "b"]
    # best val: a 0.5, b 0.3 + 1/100 = 0.31 → b is the best
    assert [d["best"] for d in docs] == [False, True]


def test_truncated_last_record_is_a_warning(tmp_path: Path) -> None:
    lightning_like(tmp_path)
    event_file = next(tmp_path.iterdir())
    data = event_file.read_bytes()
    event_file.write_bytes(data[:-7])  # the writer was killed mid-record
    result = runner.invoke(app, ["history", str(tmp_path), "-o", "json"])
    assert result.exit_code == 0 and "truncated" in result.stderr


def test_corrupt_event_file_is_one_line(tmp_path: Path) -> None:
    lightning_like(tmp_path)
    event_file = next(tmp_path.iterdir())
    data = bytearray(event_file.read_bytes())
    data[60:80] = b"\xff" * 20  # inside the second record's payload
    event_file.write_bytes(bytes(data))
    line = one_line_error(str(event_file))
    assert event_file.name in line


def test_missing_tag_names_the_tags(tmp_path: Path) -> None:
    lightning_like(tmp_path)
    line = one_line_error(str(tmp_path), "--val", "val_los")
    assert "'val_los'" in line and "'val_loss'" in line


def flat_run(logdir: Path, amplitude: float, steps: int = 2000) -> None:
    """A training loss that sits at ln 2 and moves by ``amplitude`` over the run."""
    w = tbx.SummaryWriter(str(logdir))
    for step in range(steps):
        w.add_scalar("train_loss", 0.6931 + amplitude * math.exp(-step / 300), step)
    w.close()


def test_a_loss_that_barely_moves_is_stuck(tmp_path: Path) -> None:
    # 0.6931 + 0.0005·e^(−s/300): first ≈ 0.6936, last ≈ 0.6931 + 0.0005·e^(−6.66);
    # the fall is 0.0005·(1 − e^(−6.66)) / 0.6936 ≈ 0.072 % of the first value, under 1 %
    flat_run(tmp_path / "flat", 0.0005)
    doc = run_json(str(tmp_path / "flat"))
    assert doc["verdict"] == "underfitting"
    result = runner.invoke(app, ["history", str(tmp_path / "flat")])
    assert "fell by only 0.07" in result.stdout and "stuck" in result.stdout
    # --min-delta given: only a change smaller than it does not count (the curve falls)
    assert run_json(str(tmp_path / "flat"), "--min-delta", "0")["verdict"] != "underfitting"
    # the same shape falling 0.05·(1 − e^(−6.66)) / 0.7431 ≈ 6.7 %: a learning run
    flat_run(tmp_path / "learning", 0.05)
    assert run_json(str(tmp_path / "learning"))["verdict"] != "underfitting"


def test_every_scalar_as_the_protobuf_library_decodes_it(tmp_path: Path) -> None:
    """The numpy decoder against tensorboardX's own ``Event`` parser on one file of
    mixed events: tags of several lengths interleaved, steps from 1 to 10 varint bytes
    (a negative step), a value per event, a summary of two values, a tensor scalar."""
    from tensorboardX.proto.event_pb2 import Event

    from losscli.history.formats.tensorboard import Scalars, frame

    w = tbx.SummaryWriter(str(tmp_path))
    steps = [*range(300), 2**14, 2**21 + 5, 2**35, 2**62, -3]
    for i, step in enumerate(steps):
        w.add_scalar("loss", 1 / (i + 1), step)
        if i % 7 == 0:
            w.add_scalar("validation/a_rather_long_tag_for_the_loss", i / 3, step)
        if i % 50 == 0:
            w.add_scalar("é", -i, step)  # a non-ASCII tag
    w.file_writer.add_summary(Summary(value=[Summary.Value(tag="loss", simple_value=7.0)] * 2), 400)
    w.file_writer.add_summary(
        Summary(value=[scalar_tensor("loss", TensorProto(dtype=1, float_val=[8.0]))]), 401
    )
    w.close()
    data = next(tmp_path.iterdir()).read_bytes()
    expected: dict[str, list[tuple[int, float]]] = {}
    starts, lengths, truncated = frame(data)
    assert not truncated
    for a, n in zip(starts.tolist(), lengths.tolist(), strict=True):
        event = Event.FromString(data[a : a + n])
        for v in event.summary.value:
            value = v.simple_value if v.HasField("simple_value") else v.tensor.float_val[0]
            expected.setdefault(v.tag, []).append((event.step, value))
    scalars = Scalars()
    scalars.add_file(data, "events")
    got = {
        tag: list(zip(s.tolist(), v.tolist(), strict=True))
        for tag, (s, v) in scalars.by_tag.items()
    }
    assert got == expected
    assert list(got) == list(expected)  # tags in the order they first appear
