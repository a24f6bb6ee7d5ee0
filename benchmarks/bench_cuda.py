"""plait on a GPU beside PyTorch CUDA and hand-written CuPy (issue 16's figures).

    python benchmarks/bench_cuda.py                 # device cuda: plait-cupy, torch CUDA, raw CuPy
    python benchmarks/bench_cuda.py --device cpu    # the same code on the CPU (plait-numpy, torch CPU, NumPy)

Every timed region starts and ends with a device synchronisation (``plait.cuda.synchronize()``,
``torch.cuda.synchronize()``, CuPy's ``Device().synchronize()``), so queued kernels are counted. Targets
(read from the printed ratios, never asserted): 4096^2 matmul fwd+bwd <= 1.05x torch CUDA, MLP step
<= 1.6x, LeNet-5 step <= 2.5x, per-op chain <= 2x.
"""
import argparse
import time

import plait
import plait.nn as nn

try:
    import torch
except ImportError:
    torch = None


class Device:
    """The three runners on one device: plait, torch (when installed) and the raw array module."""

    def __init__(self, name):
        self.name = name
        self.cuda = name.startswith("cuda")
        if self.cuda:
            import cupy as xp
            self.xp_sync = lambda: xp.cuda.Device().synchronize()
            self.plait_sync = plait.cuda.synchronize
        else:
            import numpy as xp
            self.xp_sync = self.plait_sync = lambda: None
        self.xp = xp
        self.torch_device = None
        if torch is not None and (not self.cuda or torch.cuda.is_available()):
            self.torch_device = torch.device(name)
        self.torch_sync = torch.cuda.synchronize if self.cuda and self.torch_device is not None else (lambda: None)

    def time(self, fn, sync, repeat, number):
        fn()  # warm-up: kernels compiled, memory pools filled
        sync()
        best = float("inf")
        for _ in range(repeat):
            sync()
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            sync()
            best = min(best, (time.perf_counter() - t0) / number)
        return best


def row(name, plait_s, raw_s=None, torch_s=None, raw_name="raw", scale=1e3, unit="ms"):
    parts = [f"{name:<34} plait {plait_s * scale:9.3f} {unit}"]
    if raw_s is not None:
        parts.append(f"{raw_name} {raw_s * scale:9.3f} {unit} ({plait_s / raw_s:4.2f}x)")
    if torch_s is not None:
        parts.append(f"torch {torch_s * scale:9.3f} {unit} ({plait_s / torch_s:4.2f}x)")
    print("  ".join(parts), flush=True)


def bench_matmul(dev, repeat, n):
    xp = dev.xp
    a_raw = xp.random.standard_normal((n, n)).astype(xp.float32)
    b_raw = xp.random.standard_normal((n, n)).astype(xp.float32)
    a = plait.tensor(a_raw, device=dev.name, requires_grad=True)
    b = plait.tensor(b_raw, device=dev.name, requires_grad=True)

    def plait_step():
        a.grad = b.grad = None
        (a @ b).sum().backward()

    def raw_step():
        c = a_raw @ b_raw
        g = xp.ones_like(c)
        return c.sum(), g @ b_raw.T, a_raw.T @ g

    torch_s = None
    if dev.torch_device is not None:
        ta = torch.randn(n, n, device=dev.torch_device, requires_grad=True)
        tb = torch.randn(n, n, device=dev.torch_device, requires_grad=True)

        def torch_step():
            ta.grad = tb.grad = None
            (ta @ tb).sum().backward()
        torch_s = dev.time(torch_step, dev.torch_sync, repeat, 3)
    row(f"matmul {n}^2 fwd+bwd", dev.time(plait_step, dev.plait_sync, repeat, 3),
        dev.time(raw_step, dev.xp_sync, repeat, 3), torch_s, dev.xp.__name__)


def bench_per_op(dev, repeat, n_ops=200):
    xp = dev.xp

    def plait_chain():
        x = plait.ones(16, device=dev.name, requires_grad=True)
        y = x
        for _ in range(n_ops // 2):
            y = (y * 1.0001).tanh()
        y.sum().backward()
        return x.grad

    def raw_chain():
        y = xp.ones(16, dtype=xp.float32)
        outs = []
        for _ in range(n_ops // 2):
            y = xp.tanh(y * 1.0001)
            outs.append(y)
        g = xp.ones(16, dtype=xp.float32)
        for out in reversed(outs):
            g = g * (1 - out * out) * 1.0001
        return g

    torch_s = None
    if dev.torch_device is not None:
        def torch_chain():
            x = torch.ones(16, device=dev.torch_device, requires_grad=True)
            y = x
            for _ in range(n_ops // 2):
                y = (y * 1.0001).tanh()
            y.sum().backward()
            return x.grad
        torch_s = dev.time(torch_chain, dev.torch_sync, repeat, 5) / n_ops
    row(f"per-op chain ({n_ops} ops, fwd+bwd)", dev.time(plait_chain, dev.plait_sync, repeat, 5) / n_ops,
        dev.time(raw_chain, dev.xp_sync, repeat, 5) / n_ops, torch_s, dev.xp.__name__, scale=1e6, unit="us/op")


def _mlp(lib, sizes):
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(lib.nn.Linear(fan_in, fan_out))
        if i < len(sizes) - 2:
            layers.append(lib.nn.ReLU())
    return lib.nn.Sequential(*layers)


def _lenet(lib):
    n = lib.nn
    return n.Sequential(n.Conv2d(1, 6, 5, padding=2), n.ReLU(), n.MaxPool2d(2), n.Conv2d(6, 16, 5), n.ReLU(),
                        n.MaxPool2d(2), n.Flatten(), n.Linear(400, 120), n.ReLU(), n.Linear(120, 84), n.ReLU(),
                        n.Linear(84, 10))


def _train_step(lib, model, x, y, lr=0.01):
    opt = lib.optim.SGD(model.parameters(), lr=lr)
    loss_fn = lib.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
    return step


def bench_models(dev, repeat):
    import plait.optim  # noqa: F401  (plait.optim as an attribute for _train_step)
    cases = (("MLP step 784-512-256-10, batch 128", lambda lib: _mlp(lib, (784, 512, 256, 10)), (128, 784)),
             ("LeNet-5 step, batch 64", _lenet, (64, 1, 28, 28)))
    for name, build, shape in cases:
        model = build(plait).to(dev.name)
        x = plait.randn(*shape, device=dev.name)
        y = plait.randint(0, 10, (shape[0],), device=dev.name)
        plait_s = dev.time(_train_step(plait, model, x, y), dev.plait_sync, repeat, 10)
        torch_s = None
        if dev.torch_device is not None:
            tmodel = build(torch).to(dev.torch_device)
            tmodel.load_state_dict({k: torch.tensor(v.cpu().numpy()) for k, v in model.state_dict().items()})
            tx = torch.randn(*shape, device=dev.torch_device)
            ty = torch.randint(0, 10, (shape[0],), device=dev.torch_device)
            torch_s = dev.time(_train_step(torch, tmodel, tx, ty), dev.torch_sync, repeat, 10)
        row(name, plait_s, None, torch_s)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda", help="cuda (default) or cpu")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions and a 1024^2 matmul")
    args = parser.parse_args()
    dev = Device(args.device)
    repeat = 3 if args.quick else 10
    info = f"torch {torch.__version__}" if torch is not None else "torch not installed"
    if dev.cuda:
        info += f"; GPU {plait.cuda.get_device_name()}"
    print(f"plait on {dev.name} (backend {plait.zeros(1, device=dev.name)._backend.name}); {info}", flush=True)
    bench_matmul(dev, repeat, 1024 if args.quick else 4096)
    bench_per_op(dev, repeat)
    bench_models(dev, repeat)


if __name__ == "__main__":
    main()
