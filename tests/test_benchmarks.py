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


def test_transformer_benchmark_compares_the_same_model_with_torch():
    """The Transformer benchmark loads plait's weights into torch's encoder: same parameters, same loss and
    gradients (dropout aside, so compared in eval mode), so both time the same work."""
    torch = pytest.importorskip("torch")
    bench = _bench_module()
    plait.manual_seed(0)
    model = bench.transformer_encoder(nn).eval()
    tmodel = bench.transformer_encoder(torch.nn).eval()
    tmodel.load_state_dict({k: torch.from_numpy(v.detach().numpy().copy()) for k, v in model.state_dict().items()})
    x_np = np.random.default_rng(0).standard_normal((2, 8, 128), dtype=np.float32)
    loss = model(plait.tensor(x_np)).square().mean()
    tloss = tmodel(torch.tensor(x_np)).square().mean()
    loss.backward()
    tloss.backward()
    np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-5)
    for (name, p), q in zip(model.named_parameters(), tmodel.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-3, atol=1e-6, err_msg=name)


def test_lstm_language_model_benchmark_trains_like_torch(capsys):
    """The word-language-model step is the same computation in plait and torch: same weights, same losses
    over a few SGD steps with the hidden state carried over."""
    bench = _bench_module()
    bench.bench_lstm_lm(1, vocab=50, seq=5, batch=2, size=8)
    assert "LSTM LM step, 2x8, seq 5, batch 2" in capsys.readouterr().out
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, 50, (7, 3))
    plait.manual_seed(0)
    model = bench.WordLanguageModel(nn, vocab=50, size=8, layers=2)
    tmodel = bench.WordLanguageModel(torch.nn, vocab=50, size=8, layers=2)
    tmodel.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in model.state_dict().items()})
    opt, topt = optim.SGD(model.parameters(), lr=0.5), torch.optim.SGD(tmodel.parameters(), lr=0.5)
    hidden = (plait.zeros(2, 3, 8), plait.zeros(2, 3, 8))
    thidden = (torch.zeros(2, 3, 8), torch.zeros(2, 3, 8))
    x, y = plait.tensor(tokens[:-1]), plait.tensor(tokens[1:].reshape(-1))
    tx, ty = torch.tensor(tokens[:-1]), torch.tensor(tokens[1:].reshape(-1))
    losses = []
    for _ in range(3):
        opt.zero_grad()
        topt.zero_grad()
        out, hidden = model(x, tuple(h.detach() for h in hidden))
        tout, thidden = tmodel(tx, tuple(h.detach() for h in thidden))
        loss, tloss = F.cross_entropy(out, y), torch.nn.functional.cross_entropy(tout, ty)
        loss.backward()
        tloss.backward()
        opt.step()
        topt.step()
        np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-5)
        losses.append(loss.item())
    assert losses[-1] < losses[0]
