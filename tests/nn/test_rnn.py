"""RNN, LSTM, GRU and their cells: outputs, final states and every gradient against torch 2.13's numbers
(``rnn_reference.py``, made by ``make_rnn_reference.py`` from the shared ``rnn_cases.py``), gradcheck,
parameter names/shapes/init, repr, dropout between layers, and torch's error messages."""
import math
import pathlib
import re
import sys
import warnings

import numpy as np
import pytest

import plait
import plait.nn as nn
from plait.autograd import gradcheck, gradgradcheck
from plait.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from rnn_cases import CASES, run_case  # noqa: E402
from rnn_reference import REFERENCE  # noqa: E402


def _expected(name):
    return {k: np.asarray(values).reshape(shape) for k, (shape, values) in REFERENCE[name].items()}


@pytest.mark.parametrize("name", list(CASES))
def test_outputs_states_and_gradients_match_torch_float64(name):
    expected = _expected(name)
    got = run_case(name, plait)
    assert set(got) == set(expected)
    for key, value in expected.items():
        assert got[key].shape == value.shape, key
        np.testing.assert_allclose(got[key], value, rtol=1e-10, atol=1e-10, err_msg=key)


@pytest.mark.parametrize("name", ["lstm_proj", "gru_packed_unsorted", "rnn_tanh", "lstm_cell"])
def test_outputs_and_gradients_match_torch_float32(name):
    expected = _expected(name)
    got = run_case(name, plait, dtype=plait.float32)
    for key, value in expected.items():
        if key != "batch_sizes":
            assert got[key].dtype == np.float32, key
        np.testing.assert_allclose(got[key], value, rtol=1e-4, atol=2e-5, err_msg=key)


# ----------------------------------------------------------------------------- gradcheck
def _double(module):
    plait.manual_seed(0)
    return module.double()


@pytest.mark.parametrize("cls,kwargs", [
    (nn.LSTM, dict(num_layers=2, bidirectional=True)),
    (nn.LSTM, dict(proj_size=1)),
    (nn.GRU, dict(bidirectional=True)),
    (nn.RNN, dict(num_layers=2)),
    (nn.RNN, dict(nonlinearity="relu", batch_first=True)),
])
def test_gradcheck_layers(cls, kwargs):
    module = _double(cls(2, 2, **kwargs))
    x = plait.randn(3, 2, 2, dtype=plait.float64, requires_grad=True)
    names = [n for n, _ in module.named_parameters()]

    def fn(x, *params):
        # what torch.func.functional_call does: the forward reads these tensors as its weights
        for n, p in zip(names, params):
            module._parameters[n] = p
        out, hidden = module(x)
        hidden = hidden if isinstance(hidden, tuple) else (hidden,)
        return (out, *hidden)
    params = [p.detach().clone().requires_grad_() for p in module.parameters()]
    assert gradcheck(fn, (x, *params))


def test_gradcheck_lstm_with_packed_unsorted_input_and_initial_state():
    lstm = _double(nn.LSTM(2, 2, bidirectional=True))
    x = plait.randn(3, 3, 2, dtype=plait.float64, requires_grad=True)
    h0 = plait.randn(2, 3, 2, dtype=plait.float64, requires_grad=True)
    c0 = plait.randn(2, 3, 2, dtype=plait.float64, requires_grad=True)

    def fn(x, h0, c0):
        packed = pack_padded_sequence(x, [2, 3, 1], enforce_sorted=False)
        out, (h, c) = lstm(packed, (h0, c0))
        return pad_packed_sequence(out)[0], h, c
    assert gradcheck(fn, (x, h0, c0))


@pytest.mark.parametrize("cls", [nn.LSTMCell, nn.GRUCell, nn.RNNCell])
def test_gradcheck_cells_and_second_derivatives(cls):
    cell = _double(cls(2, 3))
    x = plait.randn(2, 2, dtype=plait.float64, requires_grad=True)
    h = plait.randn(2, 3, dtype=plait.float64, requires_grad=True)
    if cls is nn.LSTMCell:
        c = plait.randn(2, 3, dtype=plait.float64, requires_grad=True)
        inputs, fn = (x, h, c), (lambda x, h, c: cell(x, (h, c)))
    else:
        inputs, fn = (x, h), (lambda x, h: cell(x, h))
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


def test_second_derivatives_through_a_gru_layer():
    gru = _double(nn.GRU(2, 2))
    x = plait.randn(2, 1, 2, dtype=plait.float64, requires_grad=True)
    assert gradgradcheck(lambda x: gru(x)[0], (x,))


@pytest.mark.parametrize("kwargs", [dict(bidirectional=True), dict(proj_size=1)])
def test_second_derivatives_through_lstm_layers(kwargs):
    # the LSTM layer's hand-written backward recomputes itself from composed ops under create_graph
    lstm = _double(nn.LSTM(2, 2, **kwargs))
    x = plait.randn(3, 2, 2, dtype=plait.float64, requires_grad=True)
    h0 = plait.randn(lstm.num_layers * (2 if lstm.bidirectional else 1), 2, lstm.proj_size or 2,
                     dtype=plait.float64, requires_grad=True)
    c0 = plait.randn(h0.shape[0], 2, 2, dtype=plait.float64, requires_grad=True)
    w_hh = lstm.weight_hh_l0

    def fn(x, h0, c0):
        out, (h, c) = lstm(x, (h0, c0))
        return out, h, c
    assert gradgradcheck(fn, (x, h0, c0))

    def packed_fn(x):  # unequal lengths: sequences end (and, reversed, start) inside the loop
        out, _ = lstm(pack_padded_sequence(x, [2, 3], enforce_sorted=False))
        return pad_packed_sequence(out)[0]
    assert gradgradcheck(packed_fn, (x,))
    # second derivatives reach the weights too
    out, _ = lstm(x, (h0, c0))
    (gx,) = plait.autograd.grad(out.pow(2).sum(), [x], create_graph=True)
    (gw,) = plait.autograd.grad(gx.pow(2).sum(), [w_hh])
    assert gw.shape == w_hh.shape and float(gw.abs().sum()) > 0


# ----------------------------------------------------------------------------- parameters, repr, state_dict
def test_parameter_names_shapes_and_order_as_torch():
    lstm = nn.LSTM(3, 4, num_layers=2, proj_size=2, bidirectional=True)
    got = [(n, tuple(p.shape)) for n, p in lstm.named_parameters()]
    layer0 = [("weight_ih_l0", (16, 3)), ("weight_hh_l0", (16, 2)), ("bias_ih_l0", (16,)), ("bias_hh_l0", (16,)),
              ("weight_hr_l0", (2, 4))]
    layer1 = [("weight_ih_l1", (16, 4)), ("weight_hh_l1", (16, 2)), ("bias_ih_l1", (16,)), ("bias_hh_l1", (16,)),
              ("weight_hr_l1", (2, 4))]
    reverse = [(n + "_reverse", s) for n, s in layer0]
    assert got == layer0 + reverse + layer1 + [(n + "_reverse", s) for n, s in layer1]
    assert list(lstm.state_dict()) == [n for n, _ in got]
    assert lstm._flat_weights_names == [n for n, _ in got]
    assert lstm._all_weights[1] == [n for n, _ in reverse]
    assert [[tuple(p.shape) for p in w] for w in lstm.all_weights][0] == [s for _, s in layer0]

    gru = nn.GRU(3, 5, bias=False)
    assert [(n, tuple(p.shape)) for n, p in gru.named_parameters()] == [("weight_ih_l0", (15, 3)),
                                                                       ("weight_hh_l0", (15, 5))]
    rnn = nn.RNN(3, 5)
    assert [tuple(p.shape) for p in rnn.parameters()] == [(5, 3), (5, 5), (5,), (5,)]
    cell = nn.LSTMCell(3, 5, bias=False)
    assert [n for n, _ in cell.named_parameters()] == ["weight_ih", "weight_hh"]
    assert cell.bias_ih is None and cell.bias_hh is None
    assert [(n, tuple(p.shape)) for n, p in nn.GRUCell(3, 5).named_parameters()] == [
        ("weight_ih", (15, 3)), ("weight_hh", (15, 5)), ("bias_ih", (15,)), ("bias_hh", (15,))]


@pytest.mark.parametrize("module", [nn.LSTM(50, 64, num_layers=2, bidirectional=True), nn.GRUCell(30, 64)])
def test_default_init_is_uniform_within_one_over_sqrt_hidden(module):
    bound = 1 / math.sqrt(64)
    values = np.concatenate([p.detach().numpy().reshape(-1) for p in module.parameters()])
    assert values.min() >= -bound and values.max() <= bound
    assert values.min() < -0.9 * bound and values.max() > 0.9 * bound
    assert abs(values.mean()) < 0.05 * bound


def test_repr_as_torch():
    assert repr(nn.LSTM(10, 20, num_layers=2, batch_first=True)) == "LSTM(10, 20, num_layers=2, batch_first=True)"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert repr(nn.LSTM(10, 20, proj_size=5, bias=False, dropout=0.3, bidirectional=True, num_layers=2)) == \
            "LSTM(10, 20, proj_size=5, num_layers=2, bias=False, dropout=0.3, bidirectional=True)"
    assert repr(nn.RNN(3, 4, 2, "relu")) == "RNN(3, 4, num_layers=2)"
    assert repr(nn.GRU(3, 4, dropout=0.0)) == "GRU(3, 4)"
    assert repr(nn.RNNCell(10, 20, nonlinearity="relu")) == "RNNCell(10, 20, nonlinearity=relu)"
    assert repr(nn.RNNCell(3, 4, bias=False)) == "RNNCell(3, 4, bias=False)"
    assert repr(nn.LSTMCell(3, 4)) == "LSTMCell(3, 4)" and repr(nn.GRUCell(3, 4)) == "GRUCell(3, 4)"
    assert nn.modules.rnn.LSTM is nn.LSTM and issubclass(nn.GRU, nn.RNNBase)
    assert issubclass(nn.LSTMCell, nn.RNNCellBase)


def test_state_dict_round_trip_and_replaced_weights_are_used():
    a, b = nn.GRU(2, 3, num_layers=2).double(), nn.GRU(2, 3, num_layers=2).double()
    b.load_state_dict(a.state_dict())
    x = plait.randn(4, 2, 2, dtype=plait.float64)
    np.testing.assert_array_equal(a(x)[0].detach().numpy(), b(x)[0].detach().numpy())
    # assigning a new Parameter (what weight-drop wrappers do) reaches the forward
    b.weight_hh_l1 = nn.Parameter(plait.zeros(9, 3, dtype=plait.float64))
    assert b._flat_weights[b._flat_weights_names.index("weight_hh_l1")] is b.weight_hh_l1
    assert not np.allclose(a(x)[0].detach().numpy(), b(x)[0].detach().numpy())
    assert b.flatten_parameters() is None


def test_module_to_dtype_keeps_the_weight_list_current():
    lstm = nn.LSTM(2, 3)
    lstm.to(plait.float64)
    assert all(w.dtype == plait.float64 for w in lstm._flat_weights)
    out, (h, c) = lstm(plait.randn(2, 1, 2, dtype=plait.float64))
    assert out.dtype == h.dtype == c.dtype == plait.float64


def test_batch_first_and_time_major_agree_and_unbatched_squeezes():
    lstm = nn.LSTM(2, 3, num_layers=2, bidirectional=True)
    lstm_bf = nn.LSTM(2, 3, num_layers=2, bidirectional=True, batch_first=True)
    lstm_bf.load_state_dict(lstm.state_dict())
    x = plait.randn(5, 4, 2)
    out, (h, c) = lstm(x)
    out_bf, (h_bf, c_bf) = lstm_bf(x.transpose(0, 1))
    assert out.shape == (5, 4, 6) and out_bf.shape == (4, 5, 6) and h.shape == (4, 4, 3)
    np.testing.assert_allclose(out_bf.transpose(0, 1).detach().numpy(), out.detach().numpy(), atol=1e-6)
    np.testing.assert_allclose(h_bf.detach().numpy(), h.detach().numpy(), atol=1e-6)
    single, (h1, c1) = lstm(x[:, 1])
    assert single.shape == (5, 6) and h1.shape == (4, 3) and c1.shape == (4, 3)
    np.testing.assert_allclose(single.detach().numpy(), out[:, 1].detach().numpy(), atol=1e-6)


def test_packed_output_excludes_padding_and_states_come_back_in_batch_order():
    gru = nn.GRU(2, 3).double()
    x = plait.randn(4, 3, 2, dtype=plait.float64)
    lengths = [2, 4, 3]
    out, h = gru(pack_padded_sequence(x, lengths, enforce_sorted=False))
    padded, got_lengths = pad_packed_sequence(out)
    assert got_lengths.tolist() == lengths
    for b, n in enumerate(lengths):
        alone, h_alone = gru(x[:n, b])  # each sequence by itself, unbatched
        np.testing.assert_allclose(padded[:n, b].detach().numpy(), alone.detach().numpy(), atol=1e-12)
        assert np.all(padded[n:, b].detach().numpy() == 0)
        np.testing.assert_allclose(h[:, b].detach().numpy(), h_alone.detach().numpy(), atol=1e-12)


# ----------------------------------------------------------------------------- dropout
def test_dropout_warns_for_one_layer_and_rejects_bad_values():
    with pytest.warns(UserWarning, match=re.escape("dropout option adds dropout after all but last recurrent layer, "
                                                   "so non-zero dropout expects num_layers greater than 1, but got "
                                                   "dropout=0.5 and num_layers=1")):
        nn.LSTM(2, 3, dropout=0.5)
    for bad in (1.5, -0.1, True, "0.1"):
        with pytest.raises(ValueError, match=r"dropout should be a number in range \[0, 1\] representing the "
                                             r"probability of an element being zeroed"):
            nn.GRU(2, 3, num_layers=2, dropout=bad)


def test_dropout_acts_between_layers_in_training_only():
    lstm = nn.LSTM(2, 3, num_layers=2, dropout=1.0).double()
    top = nn.LSTM(3, 3).double()
    top.load_state_dict({k.replace("l1", "l0"): v for k, v in lstm.state_dict().items() if "l1" in k})
    x = plait.randn(4, 2, 2, dtype=plait.float64)
    # every first-layer output dropped: the second layer sees zeros
    out, (h, c) = lstm(x)
    expected, _ = top(plait.zeros(4, 2, 3, dtype=plait.float64))
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), atol=1e-12)
    lstm.eval()
    no_drop = nn.LSTM(2, 3, num_layers=2).double()
    no_drop.load_state_dict(lstm.state_dict())
    np.testing.assert_allclose(lstm(x)[0].detach().numpy(), no_drop(x)[0].detach().numpy(), atol=1e-12)

    lstm = nn.LSTM(2, 3, num_layers=2, dropout=0.5).double()
    plait.manual_seed(1)
    first = lstm(x)[0].detach().numpy()
    plait.manual_seed(2)
    assert not np.allclose(first, lstm(x)[0].detach().numpy())


# ----------------------------------------------------------------------------- errors
def _raises(exc, message):
    return pytest.raises(exc, match="^" + re.escape(message) + "$")


def test_constructor_errors():
    with _raises(ValueError, "Unknown nonlinearity 'x'. Select from 'tanh' or 'relu'."):
        nn.RNN(10, 20, nonlinearity="x")
    with _raises(ValueError, "proj_size argument is only supported for LSTM, not RNN or GRU"):
        nn.GRU(10, 20, proj_size=2)
    with _raises(ValueError, "proj_size argument is only supported for LSTM, not RNN or GRU"):
        nn.RNN(10, 20, proj_size=2)
    with _raises(ValueError, "proj_size has to be smaller than hidden_size"):
        nn.LSTM(10, 20, proj_size=20)
    with _raises(ValueError, "proj_size should be a positive integer or zero to disable projections"):
        nn.LSTM(10, 20, proj_size=-1)
    with _raises(ValueError, "num_layers must be greater than zero"):
        nn.LSTM(10, 20, num_layers=0)
    with _raises(ValueError, "hidden_size must be greater than zero"):
        nn.LSTM(10, 0)
    with _raises(ValueError, "input_size must be greater than zero"):
        nn.GRU(0, 2)
    with _raises(TypeError, "hidden_size should be of type int, got: float"):
        nn.LSTM(10, 2.0)
    with _raises(TypeError, "input_size should be of type int, got: str"):
        nn.LSTM("10", 2)
    with _raises(TypeError, "bias should be of type bool, got: int"):
        nn.LSTM(10, 2, bias=1)
    with _raises(TypeError, "batch_first should be of type bool, got: int"):
        nn.LSTM(10, 2, batch_first=0)


def test_layer_forward_errors():
    lstm = nn.LSTM(10, 20, 2)
    with _raises(ValueError, "LSTM: Expected input to be 2D or 3D, got 4D instead"):
        lstm(plait.randn(5, 3, 10, 1))
    with _raises(RuntimeError, "input.size(-1) must be equal to input_size. Expected 10, got 5"):
        lstm(plait.randn(5, 3, 5))
    with _raises(RuntimeError, "Expected hidden[0] size (2, 3, 20), got [1, 3, 20]"):
        lstm(plait.randn(5, 3, 10), (plait.randn(1, 3, 20), plait.randn(2, 3, 20)))
    with _raises(RuntimeError, "Expected hidden[1] size (2, 3, 20), got [2, 4, 20]"):
        lstm(plait.randn(5, 3, 10), (plait.randn(2, 3, 20), plait.randn(2, 4, 20)))
    with _raises(RuntimeError, "For batched 3-D input, hx and cx should also be 3-D but got (2-D, 2-D) tensors"):
        lstm(plait.randn(5, 3, 10), (plait.randn(3, 20), plait.randn(3, 20)))
    with _raises(RuntimeError, "For unbatched 2-D input, hx and cx should also be 2-D but got (3-D, 3-D) tensors"):
        lstm(plait.randn(5, 10), (plait.randn(2, 1, 20), plait.randn(2, 1, 20)))
    with _raises(ValueError, "RNN input dtype (plait.float64) does not match weight dtype (plait.float32). Convert "
                             "input: input.to(plait.float32), or convert model: model.to(plait.float64)"):
        lstm(plait.randn(5, 3, 10, dtype=plait.float64))
    with _raises(RuntimeError, "Expected hidden[0] size (2, 2, 20), got [2, 3, 20]"):
        packed = pack_padded_sequence(plait.randn(5, 2, 10), [5, 3])
        lstm(packed, (plait.zeros(2, 3, 20), plait.zeros(2, 3, 20)))
    proj = nn.LSTM(10, 20, proj_size=4)
    with _raises(RuntimeError, "Expected hidden[0] size (1, 3, 4), got [1, 3, 20]"):
        proj(plait.randn(5, 3, 10), (plait.randn(1, 3, 20), plait.randn(1, 3, 20)))

    gru = nn.GRU(10, 20)
    with _raises(ValueError, "GRU: Expected input to be 2D or 3D, got 4D instead"):
        gru(plait.randn(5, 3, 10, 2))
    with _raises(RuntimeError, "Expected hidden size (1, 3, 20), got [2, 3, 20]"):
        gru(plait.randn(5, 3, 10), plait.randn(2, 3, 20))
    with _raises(RuntimeError, "For batched 3-D input, hx should also be 3-D but got 2-D tensor"):
        gru(plait.randn(5, 3, 10), plait.randn(3, 20))
    with _raises(RuntimeError, "For unbatched 2-D input, hx should also be 2-D but got 3-D tensor"):
        gru(plait.randn(5, 10), plait.randn(1, 1, 20))
    with _raises(ValueError, "RNN: Expected input to be 2D or 3D, got 1D tensor instead"):
        nn.RNN(10, 20)(plait.randn(10))
    with _raises(RuntimeError, "input must have 2 dimensions, got 3"):
        packed = pack_padded_sequence(plait.randn(5, 2, 10), [5, 3])
        nn.RNN(10, 20)(type(packed)(plait.randn(8, 1, 10), packed.batch_sizes))


def test_cell_errors():
    lstm_cell = nn.LSTMCell(10, 20)
    with _raises(RuntimeError, "input has inconsistent input_size: got 5 expected 10"):
        lstm_cell(plait.randn(3, 5))
    with _raises(RuntimeError, "hidden0 has inconsistent hidden_size: got 21, expected 20"):
        lstm_cell(plait.randn(3, 10), (plait.randn(3, 21), plait.randn(3, 20)))
    with _raises(RuntimeError, "hidden1 has inconsistent hidden_size: got 21, expected 20"):
        lstm_cell(plait.randn(3, 10), (plait.randn(3, 20), plait.randn(3, 21)))
    with _raises(RuntimeError, "Input batch size 3 doesn't match hidden0 batch size 4"):
        lstm_cell(plait.randn(3, 10), (plait.randn(4, 20), plait.randn(4, 20)))
    with _raises(ValueError, "LSTMCell: Expected input to be 1D or 2D, got 3D instead"):
        lstm_cell(plait.randn(3, 10, 1))
    with _raises(ValueError, "LSTMCell: Expected hx[1] to be 1D or 2D, got 3D instead"):
        lstm_cell(plait.randn(3, 10), (plait.randn(3, 20), plait.randn(1, 3, 20)))
    gru_cell = nn.GRUCell(10, 20)
    with _raises(ValueError, "GRUCell: Expected hidden to be 1D or 2D, got 3D instead"):
        gru_cell(plait.randn(3, 10), plait.randn(3, 20, 1))
    with _raises(RuntimeError, "hidden0 has inconsistent hidden_size: got 21, expected 20"):
        gru_cell(plait.randn(3, 10), plait.randn(3, 21))
    with _raises(ValueError, "RNNCell: Expected input to be 1D or 2D, got 0D instead"):
        nn.RNNCell(10, 20)(plait.tensor(1.0))
    with _raises(RuntimeError, "Unknown nonlinearity: sig"):
        nn.RNNCell(10, 20, nonlinearity="sig")(plait.randn(3, 10))
