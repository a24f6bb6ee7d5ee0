"""plait.nn and plait.optim on the backend under test: two small models trained a few steps against a
NumPy implementation of the same maths (SGD with momentum on an MLP, Adam on a softmax classifier), a
small CNN that must learn, gradients of the heavier nn.functional ops, state_dict round trips and a
DataLoader feeding the device. Skipped, with the reason, where plait-nn / plait-optim are not installed."""
import pytest

import plait

from ._util import assert_close, to_numpy


def _need(module, dist):
    try:
        return __import__(module, fromlist=["_"])
    except ImportError as exc:
        pytest.skip(f"{module} is not installed ({dist}): {exc}")


@pytest.fixture(scope="module")
def nn():
    return _need("plait.nn", "plait-nn")


@pytest.fixture(scope="module")
def optim():
    return _need("plait.optim", "plait-optim")


def _load(param, array, T):
    with plait.no_grad():
        param.copy_(T(array))


def test_mlp_sgd_momentum_matches_numpy(nn, optim, np, rng, T, backend):
    x = rng.standard_normal((16, 4))
    y = rng.standard_normal((16, 3))
    w1, b1 = rng.standard_normal((8, 4)) * 0.5, rng.standard_normal(8) * 0.1
    w2, b2 = rng.standard_normal((3, 8)) * 0.5, rng.standard_normal(3) * 0.1
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3)).to(T([0.0]).device)
    for p, a in zip(model.parameters(), (w1, b1, w2, b2)):
        _load(p, a.astype(np.float32), T)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loss_fn = nn.MSELoss()
    xt, yt = T(x.astype(np.float32)), T(y.astype(np.float32))
    losses = []
    for _ in range(6):
        opt.zero_grad()
        loss = loss_fn(model(xt), yt)
        loss.backward()
        opt.step()
        losses.append(loss.item())

    params, bufs, ref = [w1, b1, w2, b2], [None] * 4, []
    for _ in range(6):
        w1, b1, w2, b2 = params
        h = np.tanh(x @ w1.T + b1)
        out = h @ w2.T + b2
        ref.append(((out - y) ** 2).mean())
        d = 2 * (out - y) / out.size
        dz = (d @ w2) * (1 - h * h)
        grads = [dz.T @ x, dz.sum(0), d.T @ h, d.sum(0)]
        bufs = [g if b is None else 0.9 * b + g for b, g in zip(bufs, grads)]
        params = [p - 0.1 * b for p, b in zip(params, bufs)]
    assert_close(np.array(losses), np.array(ref), atol=1e-4, rtol=1e-4, what="MLP losses per step")
    for p, a in zip(model.parameters(), params):
        assert_close(p, a, atol=1e-4, rtol=1e-4, what="MLP parameters after training")
        assert p._backend is backend and p.grad._backend is backend
    assert losses[-1] < losses[0]


def test_softmax_classifier_adam_matches_numpy(nn, optim, np, rng, T):
    x = rng.standard_normal((20, 6))
    labels = rng.integers(0, 5, 20)
    w, b = rng.standard_normal((5, 6)) * 0.3, np.zeros(5)
    model = nn.Linear(6, 5).to(T([0.0]).device)
    _load(model.weight, w.astype(np.float32), T)
    _load(model.bias, b.astype(np.float32), T)
    opt = optim.Adam(model.parameters(), lr=0.05)
    xt, yt = T(x.astype(np.float32)), T(labels)
    losses = []
    for _ in range(5):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(xt), yt)
        loss.backward()
        opt.step()
        losses.append(loss.item())

    params, m, v, ref = [w, b], [0, 0], [0, 0], []
    onehot = np.eye(5)[labels]
    for step in range(1, 6):
        w, b = params
        z = x @ w.T + b
        z = z - z.max(1, keepdims=True)
        p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
        ref.append(-np.log((p * onehot).sum(1)).mean())
        d = (p - onehot) / len(x)
        grads = [d.T @ x, d.sum(0)]
        m = [0.9 * mi + 0.1 * g for mi, g in zip(m, grads)]
        v = [0.999 * vi + 0.001 * g * g for vi, g in zip(v, grads)]
        params = [q - 0.05 * (mi / (1 - 0.9 ** step)) / (np.sqrt(vi / (1 - 0.999 ** step)) + 1e-8)
                  for q, mi, vi in zip(params, m, v)]
    assert_close(np.array(losses), np.array(ref), atol=1e-4, rtol=1e-4, what="classifier losses per step")
    assert_close(model.weight, params[0], atol=2e-4, rtol=1e-4, what="classifier weight after Adam")


def test_small_cnn_learns(nn, optim, T, backend, device, tmp_path):
    plait.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(4, 4, 3, padding=1), nn.GELU(), nn.AvgPool2d(2), nn.Flatten(), nn.Dropout(0.1),
                          nn.Linear(16, 3)).to(device)
    x = plait.randn(12, 1, 8, 8, device=device)
    y = plait.randint(0, 3, (12,), device=device)
    opt = optim.Adam(model.parameters(), lr=0.02)
    losses = []
    for _ in range(12):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert all(v == v and abs(v) < 1e6 for v in losses), f"non-finite losses {losses}"
    assert losses[-1] < losses[0] * 0.8, f"the CNN did not learn: losses {losses}"
    for name, p in model.named_parameters():
        assert p._backend is backend and p.device == x.device, name
    bn = model[1]
    assert bn.running_mean._backend is backend and bn.num_batches_tracked.item() == 12
    model.eval()
    with plait.no_grad():
        a, b = model(x), model(x)
    assert a.tolist() == b.tolist(), "eval mode must be deterministic (dropout off, running statistics)"
    path = tmp_path / "cnn.safetensors"
    plait.save(model.state_dict(), path)
    state = plait.load(path, map_location=device)
    clone = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(4, 4, 3, padding=1), nn.GELU(), nn.AvgPool2d(2), nn.Flatten(),
                          nn.Dropout(0.1), nn.Linear(16, 3)).to(device)
    clone.load_state_dict(state)
    clone.eval()
    with plait.no_grad():
        assert_close(clone(x), to_numpy(a), what="reloaded model output")


def test_conv2d_matches_numpy(nn, np, rng, T):
    x = rng.standard_normal((2, 3, 5, 6)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 2)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    out = nn.functional.conv2d(T(x), T(w), T(b), stride=(2, 1), padding=1)
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (1, 1), (1, 1)))
    oh, ow = (xp.shape[2] - 3) // 2 + 1, xp.shape[3] - 2 + 1
    ref = np.zeros((2, 4, oh, ow))
    for i in range(oh):
        for j in range(ow):
            patch = xp[:, :, 2 * i:2 * i + 3, j:j + 2]
            ref[:, :, i, j] = np.einsum("nchw,ochw->no", patch, w) + b
    assert_close(out, ref, what="conv2d")


FUNCTIONAL = {
    "conv2d": (lambda F, x, w: F.conv2d(x, w, padding=1, stride=2), ((1, 2, 5, 5), (3, 2, 3, 3))),
    "conv1d": (lambda F, x, w: F.conv1d(x, w), ((2, 2, 6), (3, 2, 3))),
    "conv_transpose2d": (lambda F, x, w: F.conv_transpose2d(x, w, stride=2), ((1, 2, 3, 3), (2, 3, 2, 2))),
    "max_pool2d": (lambda F, x: F.max_pool2d(x, 2), ((1, 2, 4, 4),)),
    "avg_pool2d": (lambda F, x: F.avg_pool2d(x, 2, stride=1), ((1, 2, 3, 4),)),
    "adaptive_avg_pool2d": (lambda F, x: F.adaptive_avg_pool2d(x, (2, 3)), ((1, 2, 4, 5),)),
    "layer_norm": (lambda F, x, w, b: F.layer_norm(x, (4,), w, b), ((3, 4), (4,), (4,))),
    "batch_norm_train": (lambda F, x, w, b: F.batch_norm(x, None, None, w, b, training=True),
                         ((5, 3), (3,), (3,))),
    "group_norm": (lambda F, x: F.group_norm(x, 2), ((2, 4, 3),)),
    "cross_entropy": (lambda F, x: F.cross_entropy(x, plait.tensor([0, 2, 1], device=x.device)), ((3, 4),)),
    "mse_loss": (lambda F, x, y: F.mse_loss(x, y), ((3, 4), (3, 4))),
    "binary_cross_entropy_with_logits": (lambda F, x, y: F.binary_cross_entropy_with_logits(x, y.sigmoid()),
                                         ((3, 4), (3, 4))),
    "gelu_silu_softplus": (lambda F, x: F.gelu(x) + F.silu(x) + F.softplus(x), ((3, 4),)),
    "embedding": (lambda F, w: F.embedding(plait.tensor([[0, 2], [2, 1]], device=w.device), w), ((3, 4),)),
    "linear": (lambda F, x, w, b: F.linear(x, w, b), ((3, 4), (2, 4), (2,))),
    "pad_reflect": (lambda F, x: F.pad(x, (1, 2), mode="reflect"), ((1, 2, 4),)),
    "interpolate_nearest": (lambda F, x: F.interpolate(x, scale_factor=2), ((1, 1, 2, 3),)),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONAL))
def test_nn_functional_gradcheck(nn, name, device):
    fn, shapes = FUNCTIONAL[name]
    plait.manual_seed(3)
    inputs = [plait.randn(*s, dtype=plait.float64, device=device).requires_grad_() for s in shapes]
    assert plait.autograd.gradcheck(lambda *a: fn(nn.functional, *a), inputs, eps=1e-6, atol=1e-5, rtol=1e-3)


def test_dataloader_feeds_the_device(device, backend):
    from plait.utils.data import DataLoader, TensorDataset
    x = plait.arange(20, dtype=plait.float32, device=device).reshape(10, 2)
    y = plait.arange(10, device=device)
    plait.manual_seed(0)
    loader = DataLoader(TensorDataset(x, y), batch_size=4, shuffle=True)
    seen = []
    for bx, by in loader:
        assert bx._backend is backend and by._backend is backend and bx.device == x.device
        assert (bx[:, 0] == by.float() * 2).all().item()
        seen += by.tolist()
    assert sorted(seen) == list(range(10))
