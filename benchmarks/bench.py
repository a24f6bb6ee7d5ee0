"""plait speed figures beside hand-written NumPy (and PyTorch CPU eager when it is installed).

    python benchmarks/bench.py            # all benchmarks
    python benchmarks/bench.py --quick    # fewer repetitions

Targets (the issues' performance goals, checked by reading the printed ratios, never by tests):
  per-op autograd overhead  <= 3x PyTorch CPU eager
  1024x1024 matmul fwd+bwd   <= 1.2x hand-written NumPy
  MLP step (784-512-256-10, batch 128) <= 1.5x PyTorch CPU
  LeNet-5 step (batch 64, 1x28x28)     <= 3x PyTorch CPU
  peak memory of an MLP training loop flat across 1,000 steps
"""
import argparse
import gc
import time
import tracemalloc

import numpy as np

import plait

try:
    import torch
    torch.set_num_threads(max(1, torch.get_num_threads()))
except ImportError:
    torch = None


def best_time(fn, repeat, number=1):
    fn()  # warm-up
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - t0) / number)
    return best


def row(name, plait_s, numpy_s=None, torch_s=None, unit="ms", scale=1e3):
    parts = [f"{name:<38} plait {plait_s * scale:9.2f} {unit}"]
    if numpy_s is not None:
        parts.append(f"numpy {numpy_s * scale:9.2f} {unit} ({plait_s / numpy_s:4.2f}x)")
    if torch_s is not None:
        parts.append(f"torch {torch_s * scale:9.2f} {unit} ({plait_s / torch_s:4.2f}x)")
    print("  ".join(parts), flush=True)


# ----------------------------------------------------------------------------- per-op overhead
def bench_per_op(repeat):
    n_ops = 200

    def plait_chain():
        x = plait.ones(16, requires_grad=True)
        y = x
        for _ in range(n_ops // 2):
            y = (y * 1.0001).tanh()
        y.sum().backward()

    def numpy_chain():  # the same arithmetic, gradients by hand
        x = np.ones(16, dtype=np.float32)
        ys = []
        y = x
        for _ in range(n_ops // 2):
            y = np.tanh(y * np.float32(1.0001))
            ys.append(y)
        g = np.ones(16, dtype=np.float32)
        for y in reversed(ys):
            g = g * (1 - y * y) * np.float32(1.0001)
        return g

    torch_s = None
    if torch is not None:
        def torch_chain():
            x = torch.ones(16, requires_grad=True)
            y = x
            for _ in range(n_ops // 2):
                y = (y * 1.0001).tanh()
            y.sum().backward()
        torch_s = best_time(torch_chain, repeat) / n_ops
    row("per-op overhead (16 elems, fwd+bwd)", best_time(plait_chain, repeat) / n_ops,
        best_time(numpy_chain, repeat) / n_ops, torch_s, unit="us/op", scale=1e6)


# ----------------------------------------------------------------------------- matmul
def bench_matmul(repeat, n=1024):
    rng = np.random.default_rng(0)
    a_np = rng.standard_normal((n, n), dtype=np.float32)
    b_np = rng.standard_normal((n, n), dtype=np.float32)
    a = plait.tensor(a_np, requires_grad=True)
    b = plait.tensor(b_np, requires_grad=True)

    def plait_step():
        a.grad = b.grad = None
        (a @ b).sum().backward()

    def numpy_step():
        c = a_np @ b_np
        g = np.ones_like(c)
        return c.sum(), g @ b_np.T, a_np.T @ g

    torch_s = None
    if torch is not None:
        ta = torch.tensor(a_np, requires_grad=True)
        tb = torch.tensor(b_np, requires_grad=True)

        def torch_step():
            ta.grad = tb.grad = None
            (ta @ tb).sum().backward()
        torch_s = best_time(torch_step, repeat)
    row(f"matmul {n}x{n} fwd+bwd", best_time(plait_step, repeat), best_time(numpy_step, repeat), torch_s)


# ----------------------------------------------------------------------------- MLP step (core ops only)
def _mlp_params(rng, sizes):
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1 / np.sqrt(fan_in)
        params.append((rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32),
                       rng.uniform(-bound, bound, fan_out).astype(np.float32)))
    return params


def bench_mlp(repeat, batch=128):
    rng = np.random.default_rng(0)
    sizes = (784, 512, 256, 10)
    init = _mlp_params(rng, sizes)
    x_np = rng.standard_normal((batch, 784), dtype=np.float32)
    y_np = rng.integers(0, 10, batch)
    lr = 0.01

    params = [(plait.tensor(w, requires_grad=True), plait.tensor(b, requires_grad=True)) for w, b in init]
    x, y = plait.tensor(x_np), plait.tensor(y_np)

    def plait_step():
        h = x
        for i, (w, b) in enumerate(params):
            h = plait.linear(h, w, b)
            if i < len(params) - 1:
                h = h.relu()
        loss = -h.log_softmax(1).gather(1, y.unsqueeze(1)).mean()
        for w, b in params:
            w.grad = b.grad = None
        loss.backward()
        with plait.no_grad():
            for w, b in params:
                w.sub_(w.grad, alpha=lr)
                b.sub_(b.grad, alpha=lr)

    np_params = [(w.copy(), b.copy()) for w, b in init]

    def numpy_step():
        acts = [x_np]
        h = x_np
        for i, (w, b) in enumerate(np_params):
            h = h @ w.T + b
            if i < len(np_params) - 1:
                h = np.maximum(h, 0)
            acts.append(h)
        z = h - h.max(1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(1, keepdims=True)
        g = p
        g[np.arange(batch), y_np] -= 1
        g /= batch
        for i in range(len(np_params) - 1, -1, -1):
            w, b = np_params[i]
            gw, gb = g.T @ acts[i], g.sum(0)
            if i:
                g = (g @ w) * (acts[i] > 0)
            w -= lr * gw
            b -= lr * gb

    torch_s = None
    if torch is not None:
        tparams = [(torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)) for w, b in init]
        tx, ty = torch.tensor(x_np), torch.tensor(y_np)

        def torch_step():
            h = tx
            for i, (w, b) in enumerate(tparams):
                h = torch.nn.functional.linear(h, w, b)
                if i < len(tparams) - 1:
                    h = h.relu()
            loss = -h.log_softmax(1).gather(1, ty.unsqueeze(1)).mean()
            for w, b in tparams:
                w.grad = b.grad = None
            loss.backward()
            with torch.no_grad():
                for w, b in tparams:
                    w.sub_(w.grad, alpha=lr)
                    b.sub_(b.grad, alpha=lr)
        torch_s = best_time(torch_step, repeat)
    row("MLP step 784-512-256-10, batch 128", best_time(plait_step, repeat), best_time(numpy_step, repeat), torch_s)
    return plait_step


def bench_memory(step, steps):
    gc.collect()
    tracemalloc.start()
    marks = []
    for i in range(steps):
        step()
        if i % max(1, steps // 5) == 0 or i == steps - 1:
            marks.append(tracemalloc.get_traced_memory()[0] / 2 ** 20)
    peak = tracemalloc.get_traced_memory()[1] / 2 ** 20
    tracemalloc.stop()
    print(f"{'MLP loop memory over ' + str(steps) + ' steps':<38} current MiB at checkpoints: "
          + ", ".join(f"{m:.1f}" for m in marks) + f"; peak {peak:.1f} MiB", flush=True)


def bench_nn(repeat):
    """nn/optim-level benchmarks (LeNet-5 step), when the plait-nn and plait-optim plugins are installed."""
    try:
        import plait.nn as nn
        import plait.nn.functional as F
        import plait.optim as optim
    except ImportError as exc:
        print(f"(skipping nn benchmarks: {exc})")
        return

    def lenet(mod_nn):
        return mod_nn.Sequential(
            mod_nn.Conv2d(1, 6, 5, padding=2), mod_nn.ReLU(), mod_nn.MaxPool2d(2),
            mod_nn.Conv2d(6, 16, 5), mod_nn.ReLU(), mod_nn.MaxPool2d(2), mod_nn.Flatten(),
            mod_nn.Linear(400, 120), mod_nn.ReLU(), mod_nn.Linear(120, 84), mod_nn.ReLU(), mod_nn.Linear(84, 10))

    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((64, 1, 28, 28), dtype=np.float32)
    y_np = rng.integers(0, 10, 64)
    plait.manual_seed(0)
    model = lenet(nn)
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = plait.tensor(x_np), plait.tensor(y_np)

    def plait_step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()

    torch_s = None
    if torch is not None:
        tmodel = lenet(torch.nn)
        topt = torch.optim.SGD(tmodel.parameters(), lr=0.01, momentum=0.9)
        tx, ty = torch.tensor(x_np), torch.tensor(y_np)

        def torch_step():
            topt.zero_grad()
            torch.nn.functional.cross_entropy(tmodel(tx), ty).backward()
            topt.step()
        torch_s = best_time(torch_step, repeat)
    row("LeNet-5 step, batch 64, 1x28x28", best_time(plait_step, repeat), None, torch_s)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--memory-steps", type=int, default=1000)
    args = parser.parse_args()
    repeat = 3 if args.quick else 10
    print(f"plait {plait.__version__} on backend(s) {sorted(plait.backends.available())}; "
          f"torch: {torch.__version__ if torch else 'not installed'}")
    bench_per_op(repeat)
    bench_matmul(max(2, repeat // 2))
    step = bench_mlp(repeat)
    bench_nn(repeat)
    bench_memory(step, 100 if args.quick else args.memory_steps)


if __name__ == "__main__":
    main()
