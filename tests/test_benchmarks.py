"""The benchmark's hand-written NumPy LeNet is a fair yardstick only if it does plait's work: same weights,
same loss, same SGD trajectory."""
import importlib.util
import pathlib

import numpy as np
import pytest

import plait

nn = pytest.importorskip("plait.nn")
optim = pytest.importorskip("plait.optim")
F = nn.functional


def _bench_module():
    path = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "bench.py"
    spec = importlib.util.spec_from_file_location("plait_bench", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(plait.backends.get_backend("cpu").name != "numpy", reason="the baseline is NumPy; compare on NumPy")
def test_numpy_lenet_baseline_follows_plaits_training_trajectory():
    bench = _bench_module()
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((8, 1, 28, 28), dtype=np.float32)
    y_np = rng.integers(0, 10, 8)
    plait.manual_seed(0)
    model = bench.lenet(nn)
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    by_hand = bench.NumpyLeNet([p.detach().numpy() for p in model.parameters()], lr=0.05, momentum=0.9)
    x, y = plait.tensor(x_np), plait.tensor(y_np)
    for _ in range(3):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        np.testing.assert_allclose(by_hand.step(x_np, y_np), loss.item(), rtol=1e-5)
    for p, q in zip(model.parameters(), by_hand.p):
        np.testing.assert_allclose(p.detach().numpy(), q, rtol=1e-4, atol=1e-6)
