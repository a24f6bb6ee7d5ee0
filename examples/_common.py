"""Bits shared by the example scripts: the common command-line flags and the digits data set.

Every example runs as ``python examples/<name>.py [--device cuda] [--logdir DIR]`` and writes its
TensorBoard logs under ``runs/<name>`` by default (``tensorboard --logdir runs`` shows them all).
"""
import argparse
import os

import plait
from plait.utils.data import TensorDataset, random_split


def example_parser(name, description):
    """An ArgumentParser with --device (default $PLAIT_DEVICE or cpu), --logdir and --seed."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--device", default=os.environ.get("PLAIT_DEVICE") or "cpu",
                        help="cpu, cuda, cuda:1, ... (default: $PLAIT_DEVICE or cpu)")
    parser.add_argument("--logdir", default=os.path.join("runs", name), help="TensorBoard log directory")
    parser.add_argument("--seed", type=int, default=0)
    return parser


def digits_datasets(device, seed=0, flatten=False):
    """scikit-learn's bundled 8x8 handwritten digits as (train, test) datasets, split 80/20 with ``seed``.

    Images are float32 in [0, 1], shaped (N, 1, 8, 8) or, with ``flatten``, (N, 64); labels are int64.
    """
    from sklearn.datasets import load_digits
    digits = load_digits()
    images = plait.as_tensor(digits.images, dtype=plait.float32) / 16.0
    images = images.reshape(-1, 64) if flatten else images.unsqueeze(1)
    labels = plait.as_tensor(digits.target, dtype=plait.int64)
    plait.manual_seed(seed)
    return random_split(TensorDataset(images.to(device), labels.to(device)), [0.8, 0.2])


def accuracy(model, loader):
    """Fraction of ``loader``'s samples that ``model`` classifies correctly (eval mode, no grad)."""
    model.eval()
    correct = total = 0
    with plait.no_grad():
        for x, y in loader:
            correct += (model(x).argmax(1) == y).sum().item()
            total += y.numel()
    model.train()
    return correct / total
