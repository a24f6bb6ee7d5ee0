"""Recurrent-layer cases written against the torch API, so the same code runs on ``torch`` (to make the
reference numbers, ``tests/nn/make_rnn_reference.py``) and on ``plait`` (in ``test_rnn.py``).

Each case draws its weights, input, initial states and loss weights from a NumPy generator seeded by the
case's name, runs forward, backpropagates ``sum(out * w) + sum(h_n * v) (+ sum(c_n * u))`` and returns
every result as a NumPy array.
"""
import zlib

import numpy as np

# name: (layer class, constructor kwargs, input shape, initial state?, packing lengths, enforce_sorted)
CASES = {
    "lstm": ("LSTM", dict(input_size=2, hidden_size=3), (4, 2, 2), True, None, True),
    "lstm_bidirectional_2_layers": ("LSTM", dict(input_size=2, hidden_size=3, num_layers=2, bidirectional=True),
                                    (4, 2, 2), False, None, True),
    "lstm_proj": ("LSTM", dict(input_size=2, hidden_size=3, proj_size=2, num_layers=2, bidirectional=True),
                  (3, 2, 2), True, None, True),
    "lstm_batch_first_no_bias": ("LSTM", dict(input_size=2, hidden_size=3, batch_first=True, bias=False),
                                 (2, 4, 2), True, None, True),
    "lstm_unbatched": ("LSTM", dict(input_size=2, hidden_size=3, num_layers=2), (4, 2), True, None, True),
    "lstm_packed_sorted": ("LSTM", dict(input_size=2, hidden_size=3, bidirectional=True), (4, 3, 2), True,
                           [4, 2, 1], True),
    "lstm_packed_unsorted": ("LSTM", dict(input_size=2, hidden_size=3, num_layers=2, bidirectional=True,
                                          proj_size=2), (4, 3, 2), True, [2, 4, 1], False),
    "lstm_packed_batch_first": ("LSTM", dict(input_size=2, hidden_size=3, batch_first=True), (3, 4, 2), False,
                                [1, 4, 3], False),
    "gru": ("GRU", dict(input_size=2, hidden_size=3), (4, 2, 2), True, None, True),
    "gru_bidirectional_2_layers": ("GRU", dict(input_size=2, hidden_size=3, num_layers=2, bidirectional=True),
                                   (4, 2, 2), True, None, True),
    "gru_batch_first_unbatched": ("GRU", dict(input_size=2, hidden_size=3, batch_first=True), (4, 2), True, None,
                                  True),
    "gru_packed_unsorted": ("GRU", dict(input_size=2, hidden_size=3, bidirectional=True, bias=False), (4, 3, 2),
                            True, [3, 4, 1], False),
    "rnn_tanh": ("RNN", dict(input_size=2, hidden_size=3, num_layers=2, bidirectional=True), (4, 2, 2), True, None,
                 True),
    "rnn_relu_batch_first": ("RNN", dict(input_size=2, hidden_size=3, nonlinearity="relu", batch_first=True),
                             (2, 4, 2), True, None, True),
    "rnn_packed_unsorted": ("RNN", dict(input_size=2, hidden_size=3, num_layers=2), (4, 3, 2), True, [2, 2, 4],
                            False),
    "lstm_cell": ("LSTMCell", dict(input_size=2, hidden_size=3), (2, 2), True, None, True),
    "lstm_cell_unbatched_no_state": ("LSTMCell", dict(input_size=2, hidden_size=3), (2,), False, None, True),
    "gru_cell": ("GRUCell", dict(input_size=2, hidden_size=3), (2, 2), True, None, True),
    "gru_cell_unbatched": ("GRUCell", dict(input_size=2, hidden_size=3, bias=False), (2,), True, None, True),
    "rnn_cell_tanh": ("RNNCell", dict(input_size=2, hidden_size=3), (2, 2), True, None, True),
    "rnn_cell_relu": ("RNNCell", dict(input_size=2, hidden_size=3, nonlinearity="relu"), (2, 2), True, None, True),
}


def _state_shapes(cls, kwargs, input_shape):
    hidden = kwargs["hidden_size"]
    if cls.endswith("Cell"):
        lead = input_shape[:-1]
        return [(*lead, hidden)] * (2 if cls == "LSTMCell" else 1)
    layers = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
    batched = len(input_shape) == 3
    batch = (input_shape[0] if kwargs.get("batch_first") else input_shape[1],) if batched else ()
    h_size = kwargs.get("proj_size", 0) or hidden
    shapes = [(layers, *batch, h_size)]
    if cls == "LSTM":
        shapes.append((layers, *batch, hidden))
    return shapes


def run_case(name, torch, dtype=None):
    """Forward and backward of case ``name`` with the library ``torch`` (torch or plait); NumPy results."""
    cls, kwargs, input_shape, with_state, lengths, enforce_sorted = CASES[name]
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    dtype = dtype or torch.float64
    module = getattr(torch.nn, cls)(**kwargs).to(dtype)
    module.load_state_dict({k: torch.tensor(rng.uniform(-0.7, 0.7, tuple(v.shape)), dtype=dtype)
                            for k, v in module.state_dict().items()})
    x = torch.tensor(rng.standard_normal(input_shape), dtype=dtype, requires_grad=True)
    states = [torch.tensor(rng.standard_normal(s), dtype=dtype, requires_grad=True)
              for s in _state_shapes(cls, kwargs, input_shape)] if with_state else []
    hx = None if not states else (tuple(states) if cls in ("LSTM", "LSTMCell") else states[0])
    inp = x
    if lengths is not None:
        inp = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=kwargs.get("batch_first", False),
                                                      enforce_sorted=enforce_sorted)
    result = module(inp, hx)
    results = {}
    if cls.endswith("Cell"):
        finals = list(result) if isinstance(result, tuple) else [result]
        output = None
    else:
        output, final = result
        finals = list(final) if isinstance(final, tuple) else [final]
        if lengths is not None:
            results["batch_sizes"] = output.batch_sizes.numpy()
            output = output.data
    loss = 0
    if output is not None:
        results["output"] = output.detach().numpy()
        loss = (output * torch.tensor(rng.standard_normal(tuple(output.shape)), dtype=dtype)).sum()
    for i, f in enumerate(finals):
        results[f"final_{i}"] = f.detach().numpy()
        loss = loss + (f * torch.tensor(rng.standard_normal(tuple(f.shape)), dtype=dtype)).sum()
    loss.backward()
    results["grad_input"] = x.grad.numpy()
    for i, s in enumerate(states):
        results[f"grad_state_{i}"] = s.grad.numpy()
    for k, p in module.named_parameters():
        results[f"grad_{k}"] = p.grad.numpy()
    return results
