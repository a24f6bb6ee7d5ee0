"""Runs every script in examples/ (and the main demo) as a user would, in a subprocess, and checks the
exit status, the expected output and the TensorBoard logs each one writes."""
import glob
import os
import re
import subprocess
import sys

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


def run_example(name, tmp_path, *args, timeout=300):
    logdir = tmp_path / "runs" / name
    cmd = [sys.executable, os.path.join(EXAMPLES, f"{name}.py"), "--logdir", str(logdir), *args]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{name} failed:\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert f"TensorBoard logs: {logdir}" in proc.stdout
    return proc.stdout, logdir


def logged_tags(logdir):
    """The TensorBoard tags (by kind) and whether a graph was written, read back with TensorBoard itself."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    assert glob.glob(os.path.join(logdir, "events.out.tfevents.*")), f"no event file in {logdir}"
    acc = EventAccumulator(str(logdir), size_guidance={"scalars": 0, "histograms": 0, "images": 0})
    acc.Reload()
    return acc.Tags()


def assert_logged(logdir, scalars=(), graph=True):
    tags = logged_tags(logdir)
    for tag in scalars:
        assert tag in tags["scalars"], f"scalar {tag!r} missing from {tags['scalars']}"
    assert tags["histograms"], "no weight histogram logged"
    assert tags["images"], "no image logged"
    if graph:
        assert tags["graph"], "no model graph logged"
    return tags


def test_linear_regression(tmp_path):
    out, logdir = run_example("linear_regression", tmp_path)
    assert "Epoch [60/60], Loss:" in out
    m = re.search(r"quadratic fit: y = ([\d.]+) x\^2 \+ (-?[\d.]+) x \+ ([\d.]+)", out)
    assert m and abs(float(m.group(1)) - 3) < 0.1 and abs(float(m.group(3)) - 2.1) < 0.05
    assert_logged(logdir, scalars=["line/loss", "训练损失值", "quadratic/r2"])


def test_logistic_regression(tmp_path):
    out, logdir = run_example("logistic_regression", tmp_path)
    assert "Epoch [20/20], Step [15/15], Loss:" in out
    m = re.search(r"Accuracy of the model on the 359 test images: ([\d.]+) %", out)
    assert m and float(m.group(1)) > 90
    assert_logged(logdir, scalars=["loss/train", "accuracy/test"])


def test_lenet_blitz(tmp_path):
    out, logdir = run_example("lenet_blitz", tmp_path)
    assert """Net(
  (conv1): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))
  (conv2): Conv2d(6, 16, kernel_size=(5, 5), stride=(1, 1))
  (fc1): Linear(in_features=400, out_features=120, bias=True)
  (fc2): Linear(in_features=120, out_features=84, bias=True)
  (fc3): Linear(in_features=84, out_features=10, bias=True)
)
10
plait.Size([6, 1, 5, 5])""" in out
    assert "conv1.bias.grad after backward\ntensor([" in out
    m = re.search(r"loss went from ([\d.]+) to ([\d.]+)", out)
    assert m and float(m.group(2)) < float(m.group(1))
    assert_logged(logdir, scalars=["loss"])


def test_tensorboardx_net(tmp_path):
    out, logdir = run_example("tensorboardx_net", tmp_path)
    assert "(conv2_drop): Dropout2d(p=0.5, inplace=False)" in out
    assert "(bn): BatchNorm2d(20, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)" in out
    accs = [float(a) for a in re.findall(r"accuracy ([\d.]+)%", out)]
    assert len(accs) == 6 and accs[-1] > 50
    assert_logged(logdir, scalars=["loss", "accuracy"])


def test_unet_double_conv(tmp_path):
    out, logdir = run_example("unet_double_conv", tmp_path)
    assert "DoubleConv(3, 64): input [4, 3, 40, 40] -> output [4, 64, 36, 36]" in out
    assert "input grad [4, 3, 40, 40]" in out
    assert ("buggy DoubleConv: RuntimeError: Given groups=1, weight of size [64, 3, 3, 3], expected "
            "input[4, 64, 158, 158] to have 3 channels, but got 64 channels instead") in out
    assert re.search(r"step  25  loss [\d.]+  pixel accuracy", out)
    assert_logged(logdir, scalars=["loss/train", "accuracy/pixel"])


def test_small_resnet(tmp_path):
    out, logdir = run_example("small_resnet", tmp_path)
    accs = [float(a) for a in re.findall(r"held-out accuracy ([\d.]+)%", out)]
    assert len(accs) == 3 and accs[-1] > 90
    assert_logged(logdir, scalars=["loss/train", "accuracy/held_out"])


def test_demo_flags_and_checkpoint(tmp_path):
    """A one-epoch run with every flag set: prints the epoch line, the log path, and reloads the checkpoint."""
    ckpt = tmp_path / "ckpt" / "digits.pt"
    ckpt.parent.mkdir()
    out, logdir = run_example("demo", tmp_path, "--epochs", "1", "--batch-size", "64", "--lr", "0.005",
                              "--device", "cpu", "--checkpoint", str(ckpt))
    assert "device: cpu  train samples: 1438  held-out samples: 359" in out
    assert re.search(r"epoch  1/1  train loss [\d.]+  held-out loss [\d.]+  held-out accuracy [\d.]+%", out)
    assert ckpt.exists() and "reloaded model's held-out accuracy" in out


def test_demo_reaches_97_percent(tmp_path):
    """The README's demo, with its default settings, reaches >= 97% held-out accuracy (about 10 s on 2 CPUs)."""
    ckpt = tmp_path / "digits_cnn.pt"
    out, logdir = run_example("demo", tmp_path, "--checkpoint", str(ckpt))
    epochs = re.findall(r"epoch +(\d+)/(\d+) .*held-out accuracy ([\d.]+)%", out)
    assert len(epochs) == int(epochs[0][1]) >= 1
    final = float(re.search(r"final held-out accuracy ([\d.]+)%", out).group(1))
    assert final >= 97.0, out
    assert f"reloaded model's held-out accuracy {final:.2f}%" in out
    assert ckpt.exists()
    tags = assert_logged(logdir, scalars=["loss/train", "loss/held_out", "accuracy/held_out"])
    assert any(t.startswith("weights/") for t in tags["histograms"])
    assert "digits/held_out_samples" in tags["images"]
