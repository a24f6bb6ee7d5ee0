"""Recurrent layers (torch.nn.modules.rnn): RNN, LSTM, GRU and their single-step cells.

Every layer runs on the packed layout: rows of all sequences at time step ``t`` sit together, the first
``batch_sizes[t]`` sequences (those still running) in batch order. A padded input is the special case of
equal lengths. The input projection of a whole layer is one matrix product before the time loop; each
step then costs one product of the hidden state with all gates' weights plus a few elementwise ops.
Each direction of an LSTM layer is one autograd node with a hand-written backward (``_LSTMLayer``).
"""
import math
import numbers
import warnings
import weakref

import plait

from .. import functional as F
from .. import init
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATE_CHUNKS = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _factory_kwargs(device, dtype):
    return {k: v for k, v in (("device", device), ("dtype", dtype)) if v is not None}


# --------------------------------------------------------------------------- one time step per mode
# ``x_proj`` is the input's projection ``x W_ih^T + b_ih`` (for LSTM and plain RNN layers ``b_hh`` is
# folded into it too, and ``b_hh`` here is None); ``state`` is a tuple (h,) or (h, c).

def _tanh_step(x_proj, state, w_hh, b_hh, w_hr=None):
    h = (x_proj + F.linear(state[0], w_hh, b_hh)).tanh()
    return h, (h,)


def _relu_step(x_proj, state, w_hh, b_hh, w_hr=None):
    h = (x_proj + F.linear(state[0], w_hh, b_hh)).relu()
    return h, (h,)


def _lstm_step(x_proj, state, w_hh, b_hh, w_hr=None):
    h, c = state
    hidden = c.shape[-1]
    gates = x_proj + F.linear(h, w_hh, b_hh)
    # one sigmoid over all four gates (the cell gate's share is unused) beats three sliced ones
    sig = gates.sigmoid()
    in_gate, forget_gate, out_gate = sig[:, :hidden], sig[:, hidden:2 * hidden], sig[:, 3 * hidden:]
    cell_gate = gates[:, 2 * hidden:3 * hidden].tanh()
    c = forget_gate * c + in_gate * cell_gate
    h = out_gate * c.tanh()
    if w_hr is not None:
        h = F.linear(h, w_hr)
    return h, (h, c)


def _gru_step(x_proj, state, w_hh, b_hh, w_hr=None):
    h = state[0]
    hidden = h.shape[-1]
    h_proj = F.linear(h, w_hh, b_hh)
    reset_update = (x_proj[:, :2 * hidden] + h_proj[:, :2 * hidden]).sigmoid()
    reset, update = reset_update[:, :hidden], reset_update[:, hidden:]
    new = (x_proj[:, 2 * hidden:] + reset * h_proj[:, 2 * hidden:]).tanh()
    h = new + update * (h - new)
    return h, (h,)


_STEPS = {"LSTM": _lstm_step, "GRU": _gru_step, "RNN_TANH": _tanh_step, "RNN_RELU": _relu_step}


# --------------------------------------------------------------------------- one LSTM layer as one node
def _offsets(batch_sizes):
    starts = [0]
    for size in batch_sizes:
        starts.append(starts[-1] + size)
    return starts


class _LSTMLayer(plait.autograd.Function):
    """One direction of an LSTM layer over packed rows, with a hand-written backward through time.

    The forward keeps each step's gate activations; the backward first turns them into the chain rule's
    per-step factors with a few ops over all rows at once, so its time loop is only the recurrence
    (about eight small ops and one product with W_hh per step), and each weight gradient is one matrix
    product over all steps. Autograd through the composed steps records ~15 nodes per step instead.
    Under ``create_graph`` the backward recomputes the layer from composed ops and differentiates that,
    so higher derivatives are exact. Sequences end (forward) or start (reverse) as in ``_run_forward``
    and ``_run_backward``.
    """

    @staticmethod
    def forward(ctx, x_proj, h0, c0, w_hh, w_hr, batch_sizes, reverse):
        steps = len(batch_sizes)
        hidden = c0.shape[-1]
        starts = _offsets(batch_sizes)
        w_hh_t = w_hh.t()
        outputs, acts, tanh_cells, unprojected, h_prev, c_prev = ([None] * steps for _ in range(6))
        finished = []
        running = batch_sizes[-1] if reverse else batch_sizes[0]
        h, c = (h0[:running], c0[:running]) if running < h0.shape[0] else (h0, c0)
        for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
            size = batch_sizes[t]
            if size > running:  # reverse: sequences whose last step this is join from their initial state
                h, c = plait.cat([h, h0[running:size]]), plait.cat([c, c0[running:size]])
            elif size < running:  # forward: the sequences that ended keep their final state aside
                finished.append((h[size:], c[size:]))
                h, c = h[:size], c[:size]
            running = size
            h_prev[t], c_prev[t] = h, c
            gates = x_proj[starts[t]:starts[t + 1]] + h.matmul(w_hh_t)
            sig = gates.sigmoid()
            cell_gate = gates[:, 2 * hidden:3 * hidden].tanh()
            c = sig[:, hidden:2 * hidden] * c + sig[:, :hidden] * cell_gate
            tanh_c = c.tanh()
            h = sig[:, 3 * hidden:] * tanh_c
            # the cell gate's sigmoid is never used: its slot keeps the tanh for the backward
            sig[:, 2 * hidden:3 * hidden] = cell_gate
            acts[t], tanh_cells[t] = sig, tanh_c
            if w_hr is not None:
                unprojected[t] = h  # o * tanh(c), before the projection
                h = h.matmul(w_hr.t())
            outputs[t] = h
        if finished:
            h = plait.cat([h, *(f[0] for f in reversed(finished))])
            c = plait.cat([c, *(f[1] for f in reversed(finished))])
        ctx.batch_sizes, ctx.reverse = batch_sizes, reverse
        # saved with the inputs, so the engine frees them after the backward unless the graph is retained
        ctx.save_for_backward(x_proj, h0, c0, w_hh, w_hr, plait.cat(acts), plait.cat(tanh_cells),
                              plait.cat(c_prev), plait.cat(h_prev),
                              plait.cat(unprojected) if w_hr is not None else None)
        return plait.cat(outputs), h, c

    @staticmethod
    def backward(ctx, grad_out, grad_h, grad_c):
        x_proj, h0, c0, w_hh, w_hr, acts, tanh_c, c_prev, h_prev, unprojected = ctx.saved_tensors
        if plait.is_grad_enabled():
            return _LSTMLayer._differentiable_backward(ctx, (grad_out, grad_h, grad_c))
        batch_sizes, reverse = ctx.batch_sizes, ctx.reverse
        hidden = c0.shape[-1]
        in_gate, forget_gate = acts[:, :hidden], acts[:, hidden:2 * hidden]
        cell_gate, out_gate = acts[:, 2 * hidden:3 * hidden], acts[:, 3 * hidden:]
        # d c_t += d m_t * cell_factor, where m_t = o * tanh(c_t) is the (unprojected) output
        cell_factor = out_gate * (1 - tanh_c * tanh_c)
        # d gates_t = [dc, dc, dc, dm] * gate_factor (the four gates' local derivatives)
        gate_factor = plait.cat([cell_gate * in_gate * (1 - in_gate), c_prev * forget_gate * (1 - forget_gate),
                                 in_gate * (1 - cell_gate * cell_gate), tanh_c * out_gate * (1 - out_gate)], 1)
        steps = len(batch_sizes)
        starts = _offsets(batch_sizes)
        grad_gates, grad_m = [None] * steps, [None] * steps
        initial_parts = []
        if reverse:
            dh, dc = grad_h, grad_c
        else:
            dh, dc = grad_h[:0], grad_c[:0]
        for t in (range(steps) if reverse else range(steps - 1, -1, -1)):
            size, running = batch_sizes[t], dh.shape[0]
            if size > running:  # forward: these sequences' final states were taken after this step
                dh, dc = plait.cat([dh, grad_h[running:size]]), plait.cat([dc, grad_c[running:size]])
            elif size < running:  # reverse: these sequences started from their initial states here
                initial_parts.append((dh[size:], dc[size:]))
                dh, dc = dh[:size], dc[:size]
            rows = slice(starts[t], starts[t + 1])
            dh = grad_out[rows] + dh
            if w_hr is not None:
                grad_m[t] = dh
                dh = dh.matmul(w_hr)
            dc = dc + dh * cell_factor[rows]
            grad_gates[t] = plait.cat([dc, dc, dc, dh], 1) * gate_factor[rows]
            dc = dc * forget_gate[rows]
            dh = grad_gates[t].matmul(w_hh)
        if initial_parts:
            dh = plait.cat([dh, *(p[0] for p in reversed(initial_parts))])
            dc = plait.cat([dc, *(p[1] for p in reversed(initial_parts))])
        grad_x = plait.cat(grad_gates)
        needs = ctx.needs_input_grad
        grad_w_hh = grad_x.t().matmul(h_prev) if needs[3] else None
        grad_w_hr = plait.cat(grad_m).t().matmul(unprojected) if w_hr is not None and needs[4] else None
        return grad_x, dh, dc, grad_w_hh, grad_w_hr, None, None

    @staticmethod
    def _differentiable_backward(ctx, grads):
        inputs = list(ctx.saved_tensors[:5])
        x_proj, h0, c0, w_hh, w_hr = inputs
        wanted = [i for i, t in enumerate(inputs) if t is not None and ctx.needs_input_grad[i]]
        run = _run_backward if ctx.reverse else _run_forward
        outputs, state = run(_lstm_step, x_proj, list(ctx.batch_sizes), (h0, c0), (w_hh, None, w_hr))
        found = plait.autograd.grad([plait.cat(outputs), *state], [inputs[i] for i in wanted], grads,
                                    create_graph=True, allow_unused=True)
        result = [None] * 7
        for i, g in zip(wanted, found):
            result[i] = g
        return tuple(result)


# --------------------------------------------------------------------------- a layer over packed rows
def _run_forward(step, x_proj, batch_sizes, state, weights):
    """Steps forward in time; a sequence that ends leaves its final state aside (rows are sorted by
    decreasing length, so the ones that end are always the last rows still running)."""
    outputs, finished = [], []
    running = batch_sizes[0]
    offset = 0
    for size in batch_sizes:
        if size < running:
            finished.append(tuple(s[size:running] for s in state))
            state = tuple(s[:size] for s in state)
            running = size
        out, state = step(x_proj[offset:offset + size], state, *weights)
        outputs.append(out)
        offset += size
    if finished:
        finished.append(state)
        state = tuple(plait.cat(parts[::-1]) for parts in zip(*finished))
    return outputs, state


def _run_backward(step, x_proj, batch_sizes, state, weights):
    """Steps backward in time; a sequence joins (from its initial state) at its own last step."""
    initial = state
    outputs = [None] * len(batch_sizes)
    offset = x_proj.shape[0]
    running = batch_sizes[-1]
    if running < batch_sizes[0]:
        state = tuple(s[:running] for s in state)
    for t in range(len(batch_sizes) - 1, -1, -1):
        size = batch_sizes[t]
        if size > running:
            state = tuple(plait.cat([s, s0[running:size]]) for s, s0 in zip(state, initial))
            running = size
        offset -= size
        outputs[t], state = step(x_proj[offset:offset + size], state, *weights)
    return outputs, state


def _recurrent_stack(mode, data, batch_sizes, hx, flat_weights, bias, num_layers, dropout, training,
                     bidirectional, proj_size):
    """All layers and directions over packed rows ``data`` (N, input_size).

    Returns the output rows (N, num_directions * out_size) and the final states, each stacked to
    (num_layers * num_directions, batch, size).
    """
    step = _STEPS[mode]
    directions = 2 if bidirectional else 1
    per_direction = (2 + 2 * bias) + (proj_size > 0)
    # torch's LSTM and plain RNN add both biases to the gates, so b_hh joins the input projection;
    # GRU's b_hh sits inside the reset gate's product and stays in the step
    fold_hh_bias = mode != "GRU"
    finals = []
    layer_input = data
    for layer in range(num_layers):
        direction_outputs = []
        for direction in range(directions):
            index = layer * directions + direction
            params = flat_weights[index * per_direction:(index + 1) * per_direction]
            w_ih, w_hh = params[0], params[1]
            b_ih = b_hh = None
            if bias:
                b_ih, b_hh = params[2], params[3]
            w_hr = params[-1] if proj_size > 0 else None
            if fold_hh_bias and b_hh is not None:
                x_proj = F.linear(layer_input, w_ih, b_ih + b_hh)
                weights = (w_hh, None, w_hr)
            else:
                x_proj = F.linear(layer_input, w_ih, b_ih)
                weights = (w_hh, b_hh, w_hr)
            state = tuple(h[index] for h in hx)
            if mode == "LSTM":
                out, h, c = _LSTMLayer.apply(x_proj, state[0], state[1], w_hh, w_hr, tuple(batch_sizes),
                                             direction == 1)
                direction_outputs.append(out)
                finals.append((h, c))
                continue
            run = _run_backward if direction == 1 else _run_forward
            outputs, state = run(step, x_proj, batch_sizes, state, weights)
            direction_outputs.append(plait.cat(outputs) if len(outputs) > 1 else outputs[0])
            finals.append(state)
        layer_input = direction_outputs[0] if directions == 1 else plait.cat(direction_outputs, 1)
        if dropout > 0 and training and layer < num_layers - 1:
            layer_input = F.dropout(layer_input, dropout, training=True)
    final = tuple(plait.stack(parts) for parts in zip(*finals))
    return layer_input, final


def _apply_permutation(tensor, permutation, dim=1):
    return tensor.index_select(dim, permutation)


def _batch_sizes_list(batch_sizes):
    return [int(b) for b in batch_sizes.tolist()]


# --------------------------------------------------------------------------- modules
class RNNBase(Module):
    """Shared machinery of RNN, LSTM and GRU: parameters per layer and direction, checks, packing."""

    __constants__ = ["mode", "input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout",
                     "bidirectional", "proj_size"]

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        fk = _factory_kwargs(device, dtype)
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        self._flat_weight_refs = []
        num_directions = 2 if bidirectional else 1

        if not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             "element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and "
                          f"num_layers={num_layers}", stacklevel=2)
        if not isinstance(bias, bool):
            raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
        if not isinstance(batch_first, bool):
            raise TypeError(f"batch_first should be of type bool, got: {type(batch_first).__name__}")
        if not isinstance(input_size, int):
            raise TypeError(f"input_size should be of type int, got: {type(input_size).__name__}")
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATE_CHUNKS:
            raise ValueError("Unrecognized RNN mode: " + mode)
        gate_size = _GATE_CHUNKS[mode] * hidden_size

        self._flat_weights_names = []
        self._all_weights = []
        real_hidden_size = proj_size if proj_size > 0 else hidden_size
        for layer in range(num_layers):
            for direction in range(num_directions):
                layer_input_size = input_size if layer == 0 else real_hidden_size * num_directions
                shapes = [(gate_size, layer_input_size), (gate_size, real_hidden_size)]
                names = ["weight_ih_l{}{}", "weight_hh_l{}{}"]
                if bias:
                    shapes += [(gate_size,), (gate_size,)]
                    names += ["bias_ih_l{}{}", "bias_hh_l{}{}"]
                if proj_size > 0:
                    shapes.append((proj_size, hidden_size))
                    names.append("weight_hr_l{}{}")
                suffix = "_reverse" if direction == 1 else ""
                names = [n.format(layer, suffix) for n in names]
                for name, shape in zip(names, shapes):
                    setattr(self, name, Parameter(plait.empty(shape, **fk)))
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self._init_flat_weights()
        self.reset_parameters()

    def _init_flat_weights(self):
        self._flat_weights = [getattr(self, name) if hasattr(self, name) else None
                              for name in self._flat_weights_names]
        self._flat_weight_refs = [weakref.ref(w) if w is not None else None for w in self._flat_weights]
        self.flatten_parameters()

    def __setattr__(self, attr, value):
        if hasattr(self, "_flat_weights_names") and attr in self._flat_weights_names:
            # keep the weight list the forward reads in step with ``self.weight_hh_l0 = ...``
            self._flat_weights[self._flat_weights_names.index(attr)] = value
        super().__setattr__(attr, value)

    def flatten_parameters(self):
        """A no-op: torch packs the weights into one cuDNN buffer here; plait keeps no such buffer."""

    def _apply(self, fn, recurse=True):
        self._flat_weight_refs = []
        result = super()._apply(fn, recurse)
        self._init_flat_weights()
        return result

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def check_input(self, input, batch_sizes):
        weight_dtype = self._flat_weights[0].dtype
        if input.dtype != weight_dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype ({weight_dtype}). "
                             f"Convert input: input.to({weight_dtype}), or convert model: model.to({input.dtype})")
        expected_input_dim = 2 if batch_sizes is not None else 3
        if input.dim() != expected_input_dim:
            raise RuntimeError(f"input must have {expected_input_dim} dimensions, got {input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                               f"got {input.size(-1)}")

    def get_expected_hidden_size(self, input, batch_sizes):
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.size(0) if self.batch_first else input.size(1)
        num_directions = 2 if self.bidirectional else 1
        size = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (self.num_layers * num_directions, mini_batch, size)

    def check_hidden_size(self, hx, expected_hidden_size, msg="Expected hidden size {}, got {}"):
        if tuple(hx.size()) != tuple(expected_hidden_size):
            raise RuntimeError(msg.format(expected_hidden_size, list(hx.size())))

    def _weights_have_changed(self):
        for ref, name in zip(self._flat_weight_refs, self._flat_weights_names):
            weight = getattr(self, name) if hasattr(self, name) else None
            if weight is not None and ref is not None and ref() is not weight:
                return True
        return False

    def _update_flat_weights(self):
        if self._weights_have_changed():
            self._init_flat_weights()

    def check_forward_args(self, input, hidden, batch_sizes):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    def permute_hidden(self, hx, permutation):
        if permutation is None:
            return hx
        return _apply_permutation(hx, permutation)

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    def __getstate__(self):
        self._update_flat_weights()
        state = self.__dict__.copy()
        state.pop("_flat_weight_refs", None)
        return state

    def __setstate__(self, d):
        super().__setstate__(d)
        self._flat_weight_refs = [weakref.ref(w) if w is not None else None for w in self._flat_weights]

    @property
    def all_weights(self):
        return [[getattr(self, weight) for weight in weights] for weights in self._all_weights]

    # ----------------------------------------------------------------- the shared forward
    def _zero_state(self, batch, size, like):
        num_directions = 2 if self.bidirectional else 1
        return plait.zeros(self.num_layers * num_directions, batch, size, dtype=like.dtype, device=like.device)

    def _run(self, input, batch_sizes, hx):
        """The recurrence over time-major input: (T, B, I) when ``batch_sizes`` is None, else packed rows."""
        if batch_sizes is None:
            steps, batch = input.shape[0], input.shape[1]
            data = input.reshape(steps * batch, input.shape[2])
            sizes = [batch] * steps
        else:
            data, sizes = input, _batch_sizes_list(batch_sizes)
        output, final = _recurrent_stack(self.mode, data, sizes, hx, self._flat_weights, self.bias, self.num_layers,
                                         self.dropout, self.training, self.bidirectional, self.proj_size)
        if batch_sizes is None:
            output = output.reshape(steps, batch, output.shape[-1])
        return output, final

    def _time_major(self, input):
        return input.transpose(0, 1) if self.batch_first else input

    def _finish(self, orig_input, output, batch_sizes, sorted_indices, unsorted_indices, is_batched, batch_dim):
        if isinstance(orig_input, PackedSequence):
            return PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices)
        if self.batch_first:
            output = output.transpose(0, 1)
        if not is_batched:
            output = output.squeeze(batch_dim)
        return output


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or ReLU)."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(mode, *args, **kwargs)

    def forward(self, input, hx=None):
        return _single_state_forward(self, input, hx, "RNN: Expected input to be 2D or 3D, got {}D tensor instead")


class GRU(RNNBase):
    """Gated recurrent unit: reset gate r, update gate z, candidate n = tanh(W_in x + r (W_hn h + b_hn))."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input, hx=None):
        return _single_state_forward(self, input, hx, "GRU: Expected input to be 2D or 3D, got {}D instead")


def _single_state_forward(module, input, hx, rank_message):
    """RNN's and GRU's forward (one state tensor), with torch's checks in torch's order."""
    module._update_flat_weights()
    orig_input = input
    num_directions = 2 if module.bidirectional else 1
    is_batched, batch_dim = True, 0 if module.batch_first else 1
    if isinstance(orig_input, PackedSequence):
        input, batch_sizes, sorted_indices, unsorted_indices = input
        if hx is None:
            hx = plait.zeros(module.num_layers * num_directions, int(batch_sizes[0]), module.hidden_size,
                             dtype=input.dtype, device=input.device)
        else:
            hx = module.permute_hidden(hx, sorted_indices)
    else:
        batch_sizes = sorted_indices = unsorted_indices = None
        if input.dim() not in (2, 3):
            raise ValueError(rank_message.format(input.dim()))
        is_batched = input.dim() == 3
        if not is_batched:
            input = input.unsqueeze(batch_dim)
            if hx is not None:
                if hx.dim() != 2:
                    raise RuntimeError(f"For unbatched 2-D input, hx should also be 2-D but got {hx.dim()}-D tensor")
                hx = hx.unsqueeze(1)
        elif hx is not None and hx.dim() != 3:
            raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got {hx.dim()}-D tensor")
        if hx is None:
            batch = input.size(0) if module.batch_first else input.size(1)
            hx = module._zero_state(batch, module.hidden_size, input)
    module.check_forward_args(input, hx, batch_sizes)
    if batch_sizes is None:
        output, (hidden,) = module._run(module._time_major(input), None, (hx,))
    else:
        output, (hidden,) = module._run(input, batch_sizes, (hx,))
    output = module._finish(orig_input, output, batch_sizes, sorted_indices, unsorted_indices, is_batched, batch_dim)
    if not is_batched:
        hidden = hidden.squeeze(1)
    return output, module.permute_hidden(hidden, unsorted_indices)


class LSTM(RNNBase):
    """Long short-term memory with gates i, f, g, o; ``proj_size`` > 0 projects h_t by W_hr."""

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    def get_expected_cell_size(self, input, batch_sizes):
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.size(0) if self.batch_first else input.size(1)
        num_directions = 2 if self.bidirectional else 1
        return (self.num_layers * num_directions, mini_batch, self.hidden_size)

    def check_forward_args(self, input, hidden, batch_sizes):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden[0], self.get_expected_hidden_size(input, batch_sizes),
                               "Expected hidden[0] size {}, got {}")
        self.check_hidden_size(hidden[1], self.get_expected_cell_size(input, batch_sizes),
                               "Expected hidden[1] size {}, got {}")

    def permute_hidden(self, hx, permutation):
        if permutation is None:
            return hx
        return _apply_permutation(hx[0], permutation), _apply_permutation(hx[1], permutation)

    def _zero_states(self, batch, like):
        return (self._zero_state(batch, self.proj_size if self.proj_size > 0 else self.hidden_size, like),
                self._zero_state(batch, self.hidden_size, like))

    def forward(self, input, hx=None):
        self._update_flat_weights()
        orig_input = input
        is_batched, batch_dim = True, 0 if self.batch_first else 1
        if isinstance(orig_input, PackedSequence):
            input, batch_sizes, sorted_indices, unsorted_indices = input
            if hx is None:
                hx = self._zero_states(int(batch_sizes[0]), input)
            else:
                hx = self.permute_hidden(hx, sorted_indices)
            # torch leaves these checks to its kernel; plait makes the padded path's checks here
            self.check_forward_args(input, hx, batch_sizes)
        else:
            batch_sizes = sorted_indices = unsorted_indices = None
            if input.dim() not in (2, 3):
                raise ValueError(f"LSTM: Expected input to be 2D or 3D, got {input.dim()}D instead")
            is_batched = input.dim() == 3
            if not is_batched:
                input = input.unsqueeze(batch_dim)
            if hx is None:
                hx = self._zero_states(input.size(0) if self.batch_first else input.size(1), input)
            else:
                if is_batched:
                    if hx[0].dim() != 3 or hx[1].dim() != 3:
                        raise RuntimeError("For batched 3-D input, hx and cx should also be 3-D but got "
                                           f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
                else:
                    if hx[0].dim() != 2 or hx[1].dim() != 2:
                        raise RuntimeError("For unbatched 2-D input, hx and cx should also be 2-D but got "
                                           f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
                    hx = (hx[0].unsqueeze(1), hx[1].unsqueeze(1))
            self.check_forward_args(input, hx, batch_sizes)
        if batch_sizes is None:
            output, hidden = self._run(self._time_major(input), None, tuple(hx))
        else:
            output, hidden = self._run(input, batch_sizes, tuple(hx))
        output = self._finish(orig_input, output, batch_sizes, sorted_indices, unsorted_indices, is_batched, batch_dim)
        if not is_batched:
            hidden = (hidden[0].squeeze(1), hidden[1].squeeze(1))
        return output, self.permute_hidden(hidden, unsorted_indices)


# --------------------------------------------------------------------------- cells
class RNNCellBase(Module):
    """Parameters weight_ih, weight_hh, bias_ih, bias_hh of a single-step cell with ``num_chunks`` gates."""

    __constants__ = ["input_size", "hidden_size", "bias"]

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        fk = _factory_kwargs(device, dtype)
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(plait.empty((num_chunks * hidden_size, input_size), **fk))
        self.weight_hh = Parameter(plait.empty((num_chunks * hidden_size, hidden_size), **fk))
        if bias:
            self.bias_ih = Parameter(plait.empty(num_chunks * hidden_size, **fk))
            self.bias_hh = Parameter(plait.empty(num_chunks * hidden_size, **fk))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _check_step_args(self, input, states):
        """torch's kernel checks on a (batched) cell input and its states."""
        if input.size(1) != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.size(1)} expected {self.input_size}")
        for index, state in enumerate(states):
            if input.size(0) != state.size(0):
                raise RuntimeError(f"Input batch size {input.size(0)} doesn't match hidden{index} batch size "
                                   f"{state.size(0)}")
            if state.size(1) != self.hidden_size:
                raise RuntimeError(f"hidden{index} has inconsistent hidden_size: got {state.size(1)}, expected "
                                   f"{self.hidden_size}")

    def _cell_step(self, step, input, states):
        self._check_step_args(input, states)
        x_proj = F.linear(input, self.weight_ih, self.bias_ih)
        return step(x_proj, states, self.weight_hh, self.bias_hh)[1]


def _single_state_cell(cell, name, input, hx, step):
    if input.dim() not in (1, 2):
        raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
    if hx is not None and hx.dim() not in (1, 2):
        raise ValueError(f"{name}: Expected hidden to be 1D or 2D, got {hx.dim()}D instead")
    is_batched = input.dim() == 2
    if not is_batched:
        input = input.unsqueeze(0)
    if hx is None:
        hx = plait.zeros(input.size(0), cell.hidden_size, dtype=input.dtype, device=input.device)
    elif not is_batched:
        hx = hx.unsqueeze(0)
    if step is None:
        raise RuntimeError(f"Unknown nonlinearity: {cell.nonlinearity}")
    (h,) = cell._cell_step(step, input, (hx,))
    return h if is_batched else h.squeeze(0)


class RNNCell(RNNCellBase):
    """One Elman step: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or ReLU)."""

    __constants__ = ["input_size", "hidden_size", "bias", "nonlinearity"]

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        step = {"tanh": _tanh_step, "relu": _relu_step}.get(self.nonlinearity)
        return _single_state_cell(self, "RNNCell", input, hx, step)


class LSTMCell(RNNCellBase):
    """One LSTM step, returning (h', c')."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        if input.dim() not in (1, 2):
            raise ValueError(f"LSTMCell: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if hx is not None:
            for index, value in enumerate(hx):
                if value.dim() not in (1, 2):
                    raise ValueError(f"LSTMCell: Expected hx[{index}] to be 1D or 2D, got {value.dim()}D instead")
        is_batched = input.dim() == 2
        if not is_batched:
            input = input.unsqueeze(0)
        if hx is None:
            zeros = plait.zeros(input.size(0), self.hidden_size, dtype=input.dtype, device=input.device)
            hx = (zeros, zeros)
        elif not is_batched:
            hx = (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
        h, c = self._cell_step(_lstm_step, input, tuple(hx))
        return (h, c) if is_batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        return _single_state_cell(self, "GRUCell", input, hx, _gru_step)
