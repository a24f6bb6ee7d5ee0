"""plait speed figures beside hand-written NumPy (and PyTorch CPU eager when it is installed).

    python benchmarks/bench.py            # all benchmarks
    python benchmarks/bench.py --quick    # fewer repetitions

Targets (the issues' performance goals, checked by reading the printed ratios, never by tests):
  per-op autograd overhead  <= 3x PyTorch CPU eager
  1024x1024 matmul fwd+bwd   <= 1.2x hand-written NumPy
  MLP step (784-512-256-10, batch 128) <= 1.5x PyTorch CPU
  LeNet-5 step (batch 64, 1x28x28)     <= 3x PyTorch CPU
  Transformer encoder step (2 layers, d_model 128, 4 heads, ff 512, batch 16 x seq 64) <= 1.5x PyTorch CPU
  LSTM language-model step (word_language_model: 10000 words, 2x200 LSTM, seq 35, batch 20) <= 2x PyTorch CPU
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


def best_times_interleaved(fns, repeat):
    """Best time of each of ``fns``, run in turns, so a slow spell of a shared machine hits them alike."""
    for fn in fns:
        fn()  # warm-up
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - t0)
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


class NumpyLeNet:
    """LeNet-5 written by hand in NumPy, forward and backward, the way one would without a framework:
    im2col into one (C*k*k, N*Ho*Wo) matrix per convolution, 2x2 max pooling by strided slices with the
    first maximum's mask kept for the backward, SGD with momentum. The yardstick for plait's LeNet step."""

    def __init__(self, params, lr, momentum):
        self.p = [np.array(a, dtype=np.float32) for a in params]  # w1 b1 w2 b2 w3 b3 w4 b4 w5 b5
        self.v = [np.zeros_like(a) for a in self.p]
        self.lr, self.momentum = lr, momentum

    @staticmethod
    def _im2col(x, k, pad):
        if pad:
            x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
        n, c, h, w = x.shape
        ho, wo = h - k + 1, w - k + 1
        win = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(2, 3))  # n c ho wo k k
        cols = np.empty((c, k, k, n, ho, wo), dtype=x.dtype)
        np.copyto(cols, win.transpose(1, 4, 5, 0, 2, 3))
        return cols.reshape(c * k * k, n * ho * wo), (ho, wo)

    @staticmethod
    def _col2im(gcols, shape, k, pad):
        n, c, h, w = shape
        ho, wo = h + 2 * pad - k + 1, w + 2 * pad - k + 1
        g = gcols.reshape(c, k, k, n, ho, wo)
        out = np.zeros((c, n, h + 2 * pad, w + 2 * pad), dtype=gcols.dtype)
        for i in range(k):
            for j in range(k):
                out[:, :, i:i + ho, j:j + wo] += g[:, i, j]
        return out[:, :, pad:pad + h, pad:pad + w].transpose(1, 0, 2, 3)

    def _conv(self, x, w, b, pad):
        cols, (ho, wo) = self._im2col(x, w.shape[-1], pad)
        out = w.reshape(w.shape[0], -1) @ cols + b[:, None]
        return np.ascontiguousarray(out.reshape(w.shape[0], x.shape[0], ho, wo).transpose(1, 0, 2, 3)), cols

    def _conv_backward(self, g, x_shape, cols, w, pad, need_input):
        g2 = np.ascontiguousarray(g.transpose(1, 0, 2, 3)).reshape(g.shape[1], -1)
        gw, gb = (g2 @ cols.T).reshape(w.shape), g2.sum(1)
        gx = self._col2im(w.reshape(w.shape[0], -1).T @ g2, x_shape, w.shape[-1], pad) if need_input else None
        return gx, gw, gb

    @staticmethod
    def _pool(x):
        quads = [x[:, :, i::2, j::2] for i in (0, 1) for j in (0, 1)]
        out = np.maximum(np.maximum(quads[0], quads[1]), np.maximum(quads[2], quads[3]))
        taken = np.zeros(out.shape, dtype=bool)
        masks = []
        for q in quads:  # the gradient goes to the first maximum of each window
            m = (q == out) & ~taken
            taken |= m
            masks.append(m)
        return out, masks

    @staticmethod
    def _pool_backward(g, masks, shape):
        gx = np.empty(shape, dtype=g.dtype)
        for (i, j), m in zip(((0, 0), (0, 1), (1, 0), (1, 1)), masks):
            gx[:, :, i::2, j::2] = g * m
        return gx

    def step(self, x, y):
        w1, b1, w2, b2, w3, b3, w4, b4, w5, b5 = self.p
        n = x.shape[0]
        z1, cols1 = self._conv(x, w1, b1, 2)
        r1 = np.maximum(z1, 0)
        p1, masks1 = self._pool(r1)
        z2, cols2 = self._conv(p1, w2, b2, 0)
        r2 = np.maximum(z2, 0)
        p2, masks2 = self._pool(r2)
        f = p2.reshape(n, -1)
        h3 = np.maximum(f @ w3.T + b3, 0)
        h4 = np.maximum(h3 @ w4.T + b4, 0)
        logits = h4 @ w5.T + b5
        z = logits - logits.max(1, keepdims=True)
        prob = np.exp(z)
        prob /= prob.sum(1, keepdims=True)
        loss = -np.log(prob[np.arange(n), y]).mean()
        g = prob
        g[np.arange(n), y] -= 1
        g /= n
        grads = [None] * 10
        grads[8], grads[9] = g.T @ h4, g.sum(0)
        g = (g @ w5) * (h4 > 0)
        grads[6], grads[7] = g.T @ h3, g.sum(0)
        g = (g @ w4) * (h3 > 0)
        grads[4], grads[5] = g.T @ f, g.sum(0)
        g = self._pool_backward((g @ w3).reshape(p2.shape), masks2, r2.shape) * (z2 > 0)
        g, grads[2], grads[3] = self._conv_backward(g, p1.shape, cols2, w2, 0, True)
        g = self._pool_backward(g, masks1, r1.shape) * (z1 > 0)
        _, grads[0], grads[1] = self._conv_backward(g, x.shape, cols1, w1, 2, False)
        for p, v, gr in zip(self.p, self.v, grads):
            v *= self.momentum
            v += gr
            p -= self.lr * v
        return loss


def lenet(mod_nn):
    """The LeNet-5 of the benchmark, built from ``plait.nn`` or ``torch.nn``."""
    return mod_nn.Sequential(
        mod_nn.Conv2d(1, 6, 5, padding=2), mod_nn.ReLU(), mod_nn.MaxPool2d(2),
        mod_nn.Conv2d(6, 16, 5), mod_nn.ReLU(), mod_nn.MaxPool2d(2), mod_nn.Flatten(),
        mod_nn.Linear(400, 120), mod_nn.ReLU(), mod_nn.Linear(120, 84), mod_nn.ReLU(), mod_nn.Linear(84, 10))


def bench_nn(repeat):
    """nn/optim-level benchmarks (LeNet-5 step), when the plait-nn and plait-optim plugins are installed."""
    try:
        import plait.nn as nn
        import plait.nn.functional as F
        import plait.optim as optim
    except ImportError as exc:
        print(f"(skipping nn benchmarks: {exc})")
        return

    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((64, 1, 28, 28), dtype=np.float32)
    y_np = rng.integers(0, 10, 64)
    plait.manual_seed(0)
    model = lenet(nn)
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = plait.tensor(x_np), plait.tensor(y_np)
    by_hand = NumpyLeNet([p.detach().numpy() for p in model.parameters()], lr=0.01, momentum=0.9)

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
    row("LeNet-5 step, batch 64, 1x28x28", best_time(plait_step, repeat),
        best_time(lambda: by_hand.step(x_np, y_np), repeat), torch_s)


def transformer_encoder(mod_nn):
    """The benchmark's 2-layer Transformer encoder (batch-first, dropout 0.1), from ``plait.nn`` or ``torch.nn``."""
    layer = mod_nn.TransformerEncoderLayer(d_model=128, nhead=4, dim_feedforward=512, batch_first=True)
    return mod_nn.TransformerEncoder(layer, num_layers=2)


def bench_transformer(repeat, batch=16, seq=64):
    """One training step of a Transformer encoder: forward, mean loss, backward, SGD. torch's encoder takes a
    fused kernel only in inference; in training both run their eager layers, so training steps compare."""
    try:
        import plait.nn as nn
        import plait.optim as optim
    except ImportError as exc:
        print(f"(skipping the Transformer benchmark: {exc})")
        return
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((batch, seq, 128), dtype=np.float32)
    plait.manual_seed(0)
    model = transformer_encoder(nn).train()
    opt = optim.SGD(model.parameters(), lr=0.01)
    x = plait.tensor(x_np)

    def plait_step():
        opt.zero_grad()
        model(x).mean().backward()
        opt.step()

    torch_s = None
    if torch is not None:
        tmodel = transformer_encoder(torch.nn).train()
        tmodel.load_state_dict({k: torch.from_numpy(v.detach().numpy().copy()) for k, v in model.state_dict().items()})
        topt = torch.optim.SGD(tmodel.parameters(), lr=0.01)
        tx = torch.tensor(x_np)

        def torch_step():
            topt.zero_grad()
            tmodel(tx).mean().backward()
            topt.step()
        torch_s = best_time(torch_step, repeat)
    row(f"Transformer encoder step, {batch}x{seq}x128", best_time(plait_step, repeat), None, torch_s)


class WordLanguageModel:
    """pytorch/examples' word_language_model (LSTM variant, no dropout, untied weights), from ``mod_nn``:
    Embedding -> 2-layer LSTM -> Linear decoder over the vocabulary."""

    def __new__(cls, mod_nn, vocab=10000, size=200, layers=2):
        class Model(mod_nn.Module):
            def __init__(self):
                super().__init__()
                self.encoder = mod_nn.Embedding(vocab, size)
                self.rnn = mod_nn.LSTM(size, size, layers)
                self.decoder = mod_nn.Linear(size, vocab)

            def forward(self, tokens, hidden):
                output, hidden = self.rnn(self.encoder(tokens), hidden)
                return self.decoder(output).view(-1, vocab), hidden
        return Model()


def bench_lstm_lm(repeat, vocab=10000, seq=35, batch=20, size=200, layers=2):
    """One truncated-BPTT training step of the word-level LSTM language model: forward over 35 steps,
    cross-entropy, backward, SGD step; the hidden state is carried over (detached) as the example does."""
    try:
        import plait.nn as nn
        import plait.nn.functional as F
        import plait.optim as optim
    except ImportError as exc:
        print(f"(skipping the LSTM benchmark: {exc})")
        return
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, vocab, (seq + 1, batch))
    plait.manual_seed(0)
    model = WordLanguageModel(nn, vocab, size, layers)
    opt = optim.SGD(model.parameters(), lr=0.1)
    x, y = plait.tensor(tokens[:-1]), plait.tensor(tokens[1:].reshape(-1))
    hidden = [(plait.zeros(layers, batch, size), plait.zeros(layers, batch, size))]

    def plait_step():
        opt.zero_grad()
        out, h = model(x, tuple(t.detach() for t in hidden[0]))
        F.cross_entropy(out, y).backward()
        nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        opt.step()
        hidden[0] = h

    torch_s = None
    if torch is not None:
        tmodel = WordLanguageModel(torch.nn, vocab, size, layers)
        tmodel.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in model.state_dict().items()})
        topt = torch.optim.SGD(tmodel.parameters(), lr=0.1)
        tx, ty = torch.tensor(tokens[:-1]), torch.tensor(tokens[1:].reshape(-1))
        thidden = [(torch.zeros(layers, batch, size), torch.zeros(layers, batch, size))]

        def torch_step():
            topt.zero_grad()
            out, h = tmodel(tx, tuple(t.detach() for t in thidden[0]))
            torch.nn.functional.cross_entropy(out, ty).backward()
            torch.nn.utils.clip_grad_norm_(tmodel.parameters(), 0.25)
            topt.step()
            thidden[0] = h
        plait_s, torch_s = best_times_interleaved([plait_step, torch_step], repeat)
    else:
        plait_s = best_time(plait_step, repeat)
    row(f"LSTM LM step, {layers}x{size}, seq {seq}, batch {batch}", plait_s, None, torch_s)


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
    bench_transformer(repeat)
    bench_lstm_lm(repeat)
    bench_memory(step, 100 if args.quick else args.memory_steps)


if __name__ == "__main__":
    main()
