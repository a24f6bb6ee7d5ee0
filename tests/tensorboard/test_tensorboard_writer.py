"""SummaryWriter records (NumPy and Python inputs), read back with TensorBoard's EventAccumulator."""
import os
import re
import socket
import subprocess
import sys
import time

import numpy as np
import pytest
from _tb_helpers import _decode_png_stdlib, decode_png, load
from tensorboard.compat.proto import event_pb2

from plait.tensorboard import SummaryWriter


def test_scalars_values_steps_and_walltime(tmp_path):
    with SummaryWriter(tmp_path) as w:
        for step in range(5):
            w.add_scalar("loss", 1.0 / (step + 1), step)
        w.add_scalar("int", 7, 0)
        w.add_scalar("np", np.float32(2.5), 3, walltime=1234.5)
        w.add_scalar("one_elem", np.array([[4.0]]), np.int64(9))
        w.add_scalar("new", 0.25, 1, new_style=True)
    acc = load(tmp_path)
    loss = acc.Scalars("loss")
    assert [e.step for e in loss] == [0, 1, 2, 3, 4]
    assert [e.value for e in loss] == pytest.approx([1.0, 0.5, 1 / 3, 0.25, 0.2])
    assert acc.Scalars("int")[0].value == 7.0
    (np_event,) = acc.Scalars("np")
    assert (np_event.step, np_event.value, np_event.wall_time) == (3, 2.5, 1234.5)
    assert (acc.Scalars("one_elem")[0].step, acc.Scalars("one_elem")[0].value) == (9, 4.0)
    # new_style scalars are tensor summaries of the scalars plugin.
    (new,) = acc.Tensors("new")
    assert new.tensor_proto.float_val == [0.25]
    assert acc.SummaryMetadata("new").plugin_data.plugin_name == "scalars"


def test_add_scalar_rejects_non_scalar(tmp_path):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(ValueError, match=r"scalar should be 0D.*\(2, 3\)"):
            w.add_scalar("bad", np.zeros((2, 3)))
        with pytest.raises(TypeError, match="plait tensor, a NumPy array or a Python number"):
            w.add_scalar("bad", object())


def test_add_scalars_writes_one_subrun_per_key(tmp_path):
    with SummaryWriter(tmp_path) as w:
        for step in range(3):
            w.add_scalars("run/loss", {"train": step * 1.0, "val": step * 2.0}, step)
        assert set(w.all_writers) == {str(tmp_path), f"{tmp_path}/run_loss_train", f"{tmp_path}/run_loss_val"}
    for name, factor in (("train", 1.0), ("val", 2.0)):
        sub = tmp_path / f"run_loss_{name}"
        events = load(sub).Scalars("run/loss")
        assert [(e.step, e.value) for e in events] == [(s, s * factor) for s in range(3)]


def test_histogram_default_tensorflow_bins(tmp_path):
    values = np.random.default_rng(0).normal(size=(50, 20))
    with SummaryWriter(tmp_path) as w:
        w.add_histogram("weights", values, 4)
    (event,) = load(tmp_path).Histograms("weights")
    h = event.histogram_value
    assert event.step == 4
    assert h.num == 1000
    assert h.min == pytest.approx(values.min())
    assert h.max == pytest.approx(values.max())
    assert h.sum == pytest.approx(values.sum())
    assert h.sum_squares == pytest.approx((values ** 2).sum())
    assert sum(h.bucket) == 1000
    assert len(h.bucket) == len(h.bucket_limit)
    # Only the support is stored: the first bucket is the empty one that carries the left edge.
    assert h.bucket[0] == 0 and h.bucket[-1] > 0
    assert h.bucket_limit[-1] >= values.max()


@pytest.mark.parametrize("bins", [10, "auto", [0.0, 2.0, 5.0, 10.0]])
def test_histogram_numpy_bins(tmp_path, bins):
    values = np.arange(10.0)
    with SummaryWriter(tmp_path) as w:
        w.add_histogram("h", values, 0, bins=bins)
    h = load(tmp_path).Histograms("h")[0].histogram_value
    counts, edges = np.histogram(values, bins=bins)
    assert list(h.bucket) == [0] + counts.tolist()
    assert list(h.bucket_limit) == pytest.approx(edges.tolist())
    assert (h.num, h.min, h.max, h.sum) == (10, 0.0, 9.0, 45.0)


def test_histogram_max_bins_and_raw(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_histogram("sub", np.arange(100.0), 0, bins=100, max_bins=10)
        w.add_histogram_raw("raw", min=0.0, max=3.0, num=3, sum=3.0, sum_squares=5.0,
                            bucket_limits=[0.5, 1.5, 3.0], bucket_counts=[1, 1, 1], global_step=2)
        with pytest.raises(ValueError, match="bucket_limits"):
            w.add_histogram_raw("bad", 0, 1, 1, 1, 1, [1.0, 2.0], [1])
        with pytest.raises(ValueError, match="no element"):
            w.add_histogram("empty", np.array([]))
    acc = load(tmp_path)
    sub = acc.Histograms("sub")[0].histogram_value
    assert sum(sub.bucket) == 100 and len(sub.bucket) == 11
    raw = acc.Histograms("raw")[0]
    assert raw.step == 2 and list(raw.histogram_value.bucket) == [1, 1, 1]


def _expected_uint8(x):
    return x if x.dtype == np.uint8 else (x.astype(np.float32) * 255).clip(0, 255).astype(np.uint8)


@pytest.mark.parametrize("dataformats,shape", [("CHW", (3, 5, 7)), ("HWC", (5, 7, 3)), ("HW", (5, 7)),
                                               ("CHW", (1, 5, 7)), ("HWC", (5, 7, 4))])
@pytest.mark.parametrize("dtype", [np.float32, np.uint8])
def test_add_image_pixels(tmp_path, dataformats, shape, dtype):
    rng = np.random.default_rng(1)
    img = rng.integers(0, 256, shape).astype(np.uint8) if dtype == np.uint8 else rng.random(shape, np.float32)
    with SummaryWriter(tmp_path) as w:
        w.add_image("img", img, 3, dataformats=dataformats)
    (event,) = load(tmp_path).Images("img")
    assert (event.step, event.width, event.height) == (3, 7, 5)
    expected = _expected_uint8(img)
    if dataformats == "CHW":
        expected = expected.transpose(1, 2, 0)
    elif dataformats == "HW":
        expected = expected[:, :, None]
    if expected.shape[2] == 1:
        expected = np.repeat(expected, 3, axis=2)  # grey images are stored as RGB, as torch does
    np.testing.assert_array_equal(decode_png(event.encoded_image_string), expected)
    np.testing.assert_array_equal(_decode_png_stdlib(event.encoded_image_string), expected)


def test_float_image_scaling_matches_torch(tmp_path):
    img = np.array([[0.0, 0.5, 1.0, 2.0, -1.0]], np.float32)
    with SummaryWriter(tmp_path) as w:
        w.add_image("img", img, dataformats="HW")
    pixels = decode_png(load(tmp_path).Images("img")[0].encoded_image_string)
    assert pixels[0, :, 0].tolist() == [0, 127, 255, 255, 0]


@pytest.mark.parametrize("dataformats", ["NCHW", "NHWC"])
def test_add_images_grid(tmp_path, dataformats):
    # 10 images of 2x3: the grid has 8 columns and 2 rows, as torch's make_grid.
    batch = np.stack([np.full((3, 2, 3), i, np.uint8) for i in range(10)])
    if dataformats == "NHWC":
        batch = batch.transpose(0, 2, 3, 1)
    with SummaryWriter(tmp_path) as w:
        w.add_images("batch", batch, 0, dataformats=dataformats)
    (event,) = load(tmp_path).Images("batch")
    assert (event.width, event.height) == (8 * 3, 2 * 2)
    pixels = decode_png(event.encoded_image_string)
    for i in range(10):
        row, col = divmod(i, 8)
        assert (pixels[row * 2:(row + 1) * 2, col * 3:(col + 1) * 3] == i).all()
    assert (pixels[2:, 6:] == 0).all()  # unused cells stay black


def test_add_image_errors_name_expected_and_given_shape(tmp_path):
    with SummaryWriter(tmp_path) as w:
        expected = r"'CHW' expects a 3-D image of shape \(C, H, W\), got a 2-D one of shape \(4, 5\)"
        with pytest.raises(ValueError, match=expected):
            w.add_image("img", np.zeros((4, 5)))
        with pytest.raises(ValueError, match=r"'NCHW' expects a 4-D image.*shape \(3, 4, 5\)"):
            w.add_images("img", np.zeros((3, 4, 5)))
        with pytest.raises(ValueError, match="permutation of NCHW"):
            w.add_image("img", np.zeros((3, 4, 5)), dataformats="CXW")
        with pytest.raises(ValueError, match="1, 3 or 4 channels"):
            w.add_image("img", np.zeros((2, 4, 5)))
        with pytest.raises(ValueError, match="no pixels"):
            w.add_image("img", np.zeros((3, 0, 5)))


def test_add_text(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_text("notes", "**hello** plait ✓", 2)
    acc = load(tmp_path)
    (event,) = acc.Tensors("notes/text_summary")
    assert event.step == 2
    assert event.tensor_proto.string_val == ["**hello** plait ✓".encode()]
    assert acc.SummaryMetadata("notes/text_summary").plugin_data.plugin_name == "text"


def test_add_hparams(tmp_path):
    from tensorboard.plugins.hparams import metadata
    from tensorboard.plugins.hparams.plugin_data_pb2 import HParamsPluginData

    with SummaryWriter(tmp_path) as w:
        w.add_hparams({"lr": 0.1, "bsize": 32, "opt": "sgd", "nesterov": True, "skip": None, "wd": np.int64(3)},
                      {"hparam/accuracy": 0.9}, hparam_domain_discrete={"opt": ["sgd", "adam"]},
                      run_name="trial1")
        with pytest.raises(TypeError, match="should be dictionary"):
            w.add_hparams([("lr", 0.1)], {})
        with pytest.raises(TypeError, match=r"hparam_domain_discrete\[lr\]"):
            w.add_hparams({"lr": 0.1}, {}, hparam_domain_discrete={"lr": ["a"]})
        with pytest.raises(ValueError, match="'bad'"):
            w.add_hparams({"bad": [1, 2]}, {})
    acc = load(tmp_path / "trial1")
    content = acc.PluginTagToContent(metadata.PLUGIN_NAME)
    assert set(content) == {metadata.EXPERIMENT_TAG, metadata.SESSION_START_INFO_TAG, metadata.SESSION_END_INFO_TAG}
    start = HParamsPluginData.FromString(content[metadata.SESSION_START_INFO_TAG]).session_start_info
    assert start.hparams["lr"].number_value == 0.1
    assert start.hparams["bsize"].number_value == 32
    assert start.hparams["opt"].string_value == "sgd"
    assert start.hparams["nesterov"].bool_value is True
    assert "skip" not in start.hparams
    assert start.hparams["wd"].number_value == 3
    experiment = HParamsPluginData.FromString(content[metadata.EXPERIMENT_TAG]).experiment
    assert [m.name.tag for m in experiment.metric_infos] == ["hparam/accuracy"]
    infos = {i.name: i for i in experiment.hparam_infos}
    assert [v.string_value for v in infos["opt"].domain_discrete.values] == ["sgd", "adam"]
    assert acc.Scalars("hparam/accuracy")[0].value == pytest.approx(0.9)


def test_add_embedding(tmp_path):
    from google.protobuf import text_format
    from tensorboard.plugins.projector.projector_config_pb2 import ProjectorConfig

    mat = np.arange(12.0).reshape(6, 2)
    thumbs = np.random.default_rng(2).random((6, 3, 4, 5))
    with SummaryWriter(tmp_path) as w:
        w.add_embedding(mat, metadata=list("abcdef"), label_img=thumbs, global_step=3, tag="fe/at")
        w.add_embedding(mat, metadata=[["a", 1]] * 6, metadata_header=["letter", "n"])
        with pytest.raises(ValueError, match="2D"):
            w.add_embedding(np.zeros(3))
        with pytest.raises(ValueError, match="#labels"):
            w.add_embedding(mat, metadata=["x"])
    config = text_format.Parse((tmp_path / "projector_config.pbtxt").read_text(), ProjectorConfig())
    first, second = config.embeddings
    assert first.tensor_name == "fe/at:00003"
    assert first.tensor_path == "00003/fe%2fat/tensors.tsv"
    assert first.metadata_path == "00003/fe%2fat/metadata.tsv"
    assert first.sprite.image_path == "00003/fe%2fat/sprite.png"
    assert list(first.sprite.single_image_dim) == [5, 4]
    assert second.tensor_path == "00000/default/tensors.tsv"
    subdir = tmp_path / "00003" / "fe%2fat"
    rows = [list(map(float, line.split("\t"))) for line in (subdir / "tensors.tsv").read_text().splitlines()]
    np.testing.assert_array_equal(rows, mat)
    assert (subdir / "metadata.tsv").read_text() == "a\nb\nc\nd\ne\nf\n"
    assert (tmp_path / "00000" / "default" / "metadata.tsv").read_text().splitlines()[:2] == ["letter\tn", "a\t1"]
    sprite = decode_png((subdir / "sprite.png").read_bytes())
    assert sprite.shape == (3 * 4, 3 * 5, 3)  # ceil(sqrt(6)) = 3 thumbnails per side
    np.testing.assert_array_equal(sprite[:4, :5], _expected_uint8(thumbs[0]).transpose(1, 2, 0))


def test_add_figure(tmp_path):
    pytest.importorskip("matplotlib", reason="matplotlib is an optional dependency of add_figure")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(2, 1), dpi=50)
    plt.plot([0, 1], [1, 0])
    figs = [plt.figure(figsize=(1, 1), dpi=20) for _ in range(2)]
    with SummaryWriter(tmp_path) as w:
        w.add_figure("fig", fig, 1)
        w.add_figure("figs", figs, 1, close=False)
    acc = load(tmp_path)
    (event,) = acc.Images("fig")
    assert (event.width, event.height) == (100, 50)
    assert decode_png(event.encoded_image_string).shape == (50, 100, 3)
    assert not plt.fignum_exists(fig.number)
    assert (acc.Images("figs")[0].width, acc.Images("figs")[0].height) == (40, 20)
    assert all(plt.fignum_exists(f.number) for f in figs)
    plt.close("all")


def test_add_figure_without_matplotlib_raises_clear_import_error(tmp_path, monkeypatch):
    # A None entry in sys.modules makes `import matplotlib` fail as if it were not installed.
    for name in ("matplotlib", "matplotlib.pyplot", "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, name, None)
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(ImportError, match="add_figure needs matplotlib"):
            w.add_figure("fig", object())


def test_context_manager_closes_and_writer_reopens(tmp_path):
    with SummaryWriter(tmp_path, flush_secs=3600) as w:
        w.add_scalar("x", 1.0, 0)
    assert w.all_writers is None and w.file_writer is None
    assert [e.value for e in load(tmp_path).Scalars("x")] == [1.0]
    w.close()  # closing twice is harmless
    w.add_scalar("x", 2.0, 1)  # as in torch, logging after close opens a new event file
    w.close()
    assert len(list(tmp_path.glob("events.out.tfevents.*"))) == 2
    assert [e.value for e in load(tmp_path).Scalars("x")] == [1.0, 2.0]


def test_flush_writes_pending_events(tmp_path):
    w = SummaryWriter(tmp_path, flush_secs=3600, filename_suffix=".plait")
    try:
        w.add_scalar("x", 3.0, 0)
        w.flush()
        (path,) = tmp_path.glob("events.out.tfevents.*")
        assert path.name.endswith(".plait")
        assert [e.value for e in load(tmp_path).Scalars("x")] == [3.0]
        assert w.get_logdir() == str(tmp_path) == w.log_dir
    finally:
        w.close()


def test_purge_step_hides_later_steps_of_earlier_run(tmp_path):
    with SummaryWriter(tmp_path) as w:
        for step in range(10):
            w.add_scalar("loss", float(step), step)
    # Event files are read in name order and names start with the creation second; make the
    # resumed run's file sort after the first one.
    time.sleep(1.01 - time.time() % 1)
    with SummaryWriter(tmp_path, purge_step=5) as w:
        assert w.purge_step is None
        for step in range(5, 8):
            w.add_scalar("loss", 100.0 + step, step)
    events = load(tmp_path).Scalars("loss")
    assert [(e.step, e.value) for e in events] == [(s, float(s)) for s in range(5)] + [
        (s, 100.0 + s) for s in range(5, 8)
    ]


def test_default_logdir_naming(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with SummaryWriter(comment="_lr0.1") as w:
        w.add_scalar("x", 1.0)
    host = re.escape(socket.gethostname())
    stamp = r"[A-Z][a-z]{2}\d{2}_\d{2}-\d{2}-\d{2}"  # datetime's %b%d_%H-%M-%S
    assert re.fullmatch(rf"runs{re.escape(os.sep)}{stamp}_{host}_lr0\.1", w.log_dir)
    assert w.get_logdir() == w.log_dir
    (run,) = (tmp_path / "runs").iterdir()
    assert run.name == os.path.basename(w.log_dir)
    assert load(run).Scalars("x")[0].value == 1.0


_CRASHING_CHILD = """
import os, signal, sys
from plait.tensorboard import SummaryWriter
w = SummaryWriter(sys.argv[1], flush_secs=3600)
for step in range(20):
    w.add_scalar("loss", float(step), step)
w.flush()
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_killed_process_keeps_flushed_events(tmp_path):
    result = subprocess.run([sys.executable, "-c", _CRASHING_CHILD, str(tmp_path)], timeout=60,
                            capture_output=True, text=True)
    assert result.returncode == -9, result.stderr
    (path,) = tmp_path.glob("events.out.tfevents.*")
    events = load(tmp_path).Scalars("loss")
    assert [e.step for e in events] == list(range(20))
    # Every record is intact: the raw reader sees the file-version event followed by the 20 scalars.
    from tensorboard.backend.event_processing.event_file_loader import RawEventFileLoader

    records = [event_pb2.Event.FromString(r) for r in RawEventFileLoader(str(path)).Load()]
    assert records[0].file_version == "brain.Event:2" and len(records) == 21
