"""Dropout statistics and scaling, channel dropout, and Embedding (padding_idx, from_pretrained, max_norm)."""
import numpy as np
import pytest

import plait
import plait.nn as nn
import plait.nn.functional as F
from plait.autograd import gradcheck

RNG = np.random.default_rng(3)


def T(a, requires_grad=False):
    return plait.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def N(t):
    return t.detach().numpy()


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_dropout_drop_rate_and_scaling(p):
    plait.manual_seed(0)
    x = plait.ones(200_000, dtype=plait.float64)
    out = N(F.dropout(x, p))
    zero = out == 0
    assert zero.mean() == pytest.approx(p, abs=0.01)
    np.testing.assert_allclose(out[~zero], 1.0 / (1.0 - p), rtol=1e-12)
    assert out.mean() == pytest.approx(1.0, abs=0.02)


def test_dropout_identity_cases_and_errors():
    x = T(RNG.standard_normal((3, 4)))
    np.testing.assert_array_equal(N(F.dropout(x, 0.5, training=False)), N(x))
    np.testing.assert_array_equal(N(F.dropout(x, 0.0)), N(x))
    np.testing.assert_array_equal(N(F.dropout(x, 1.0)), np.zeros((3, 4)))
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        F.dropout(x, 1.5)
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got -0.1"):
        nn.Dropout(-0.1)


def test_dropout_gradient_is_mask_times_scale_and_inplace():
    x = T(RNG.standard_normal(1000) + 3, requires_grad=True)
    out = F.dropout(x, 0.4)
    out.sum().backward()
    kept = N(out) != 0
    np.testing.assert_allclose(N(x.grad), kept / 0.6, rtol=1e-12)
    y = T(np.ones(1000))
    same = F.dropout(y, 0.3, inplace=True)
    assert same is y
    assert set(np.unique(N(y)).round(6)) <= {0.0, round(1 / 0.7, 6)}


def test_dropout_module_train_eval_and_repr():
    m = nn.Dropout(p=0.3)
    assert repr(m) == "Dropout(p=0.3, inplace=False)"
    x = plait.ones(1000, dtype=plait.float64)
    assert (N(m(x)) == 0).any()
    m.eval()
    np.testing.assert_array_equal(N(m(x)), np.ones(1000))
    assert repr(nn.Dropout2d()) == "Dropout2d(p=0.5, inplace=False)"


def test_dropout2d_zeroes_whole_channels():
    plait.manual_seed(1)
    x = T(np.ones((16, 32, 3, 4)))
    out = N(F.dropout2d(x, 0.25))
    per_channel = out.reshape(16, 32, -1)
    # Each channel is either entirely dropped or entirely kept and scaled.
    assert np.all((per_channel == 0).all(-1) | np.isclose(per_channel, 1 / 0.75).all(-1))
    assert (per_channel[:, :, 0] == 0).mean() == pytest.approx(0.25, abs=0.06)
    m = nn.Dropout2d(0.5)
    m.eval()
    np.testing.assert_array_equal(N(m(x)), N(x))
    xt = T(RNG.standard_normal((2, 3, 2, 2)), requires_grad=True)
    out = F.dropout2d(xt, 0.5)
    out.sum().backward()
    np.testing.assert_allclose(N(xt.grad), np.where(N(out) != 0, 2.0, 0.0))


def test_dropout1d_zeroes_whole_channels():
    plait.manual_seed(2)
    out = N(nn.Dropout1d(0.5)(T(np.ones((8, 10, 6)))))
    assert np.all((out == 0).all(-1) | (out == 2).all(-1))
    assert tuple(F.dropout1d(T(np.ones((10, 6))), 0.5).shape) == (10, 6)


def test_embedding_lookup_padding_idx_and_gradient():
    emb = nn.Embedding(10, 3, padding_idx=2).double()
    assert repr(emb) == "Embedding(10, 3, padding_idx=2)"
    w = N(emb.weight)
    np.testing.assert_array_equal(w[2], np.zeros(3))
    idx = plait.tensor([[1, 2, 4, 5], [4, 3, 2, 9]])
    out = emb(idx)
    assert tuple(out.shape) == (2, 4, 3)
    np.testing.assert_array_equal(N(out), w[N(idx)])
    out.sum().backward()
    grad = N(emb.weight.grad)
    expect_counts = np.bincount(N(idx).ravel(), minlength=10).astype(float)
    expect_counts[2] = 0
    np.testing.assert_array_equal(grad, np.repeat(expect_counts[:, None], 3, axis=1))
    assert nn.Embedding(5, 2, padding_idx=-1).padding_idx == 4


def test_embedding_gradcheck_and_functional():
    w = T(RNG.standard_normal((6, 3)), requires_grad=True)
    idx = plait.tensor([0, 5, 5, 2])
    # The padding row is deliberately not differentiated, so gradcheck runs without padding_idx.
    assert gradcheck(lambda w: F.embedding(idx.reshape(2, 2), w), (w,), eps=1e-6, atol=1e-5)
    out = F.embedding(idx, w, padding_idx=5)
    out.sum().backward()
    np.testing.assert_array_equal(N(w.grad)[5], np.zeros(3))
    np.testing.assert_array_equal(N(w.grad)[0], np.ones(3))


def test_embedding_scale_grad_by_freq():
    emb = nn.Embedding(5, 2, scale_grad_by_freq=True).double()
    assert repr(emb) == "Embedding(5, 2, scale_grad_by_freq=True)"
    idx = plait.tensor([[0, 3, 3], [3, 1, 0]])
    out = emb(idx)
    np.testing.assert_array_equal(N(out), N(emb.weight)[N(idx)])
    out.sum().backward()
    # torch: each row's summed gradient divided by its count, so every looked-up row gets exactly 1.
    np.testing.assert_allclose(N(emb.weight.grad), [[1, 1], [1, 1], [0, 0], [1, 1], [0, 0]])


def test_embedding_from_pretrained_and_max_norm():
    table = T([[1.0, 2.3, 3.0], [4.0, 5.1, 6.3]])
    emb = nn.Embedding.from_pretrained(table)
    assert emb.weight.requires_grad is False
    np.testing.assert_array_equal(N(emb(plait.tensor([1]))), [[4.0, 5.1, 6.3]])
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad is True
    w = T([[3.0, 4.0], [0.3, 0.4]])
    out = F.embedding(plait.tensor([0, 1]), w, max_norm=1.0)
    np.testing.assert_allclose(N(out), [[0.6, 0.8], [0.3, 0.4]], rtol=1e-6)
    np.testing.assert_allclose(N(w)[0], [0.6, 0.8], rtol=1e-6)


def test_embedding_indices_out_of_range_raise_torchs_error():
    weight = plait.ones(4, 2)
    for bad in ([-1], [4], [[0, 5]]):
        with pytest.raises(IndexError, match="index out of range in self"):
            F.embedding(plait.tensor(bad), weight)
