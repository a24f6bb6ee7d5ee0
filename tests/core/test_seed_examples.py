"""The core examples of the tutorial notes (shared/seeds) not already covered by the topic modules, run
verbatim with ``plait`` in place of ``torch``: creation, torch.Tensor vs torch.tensor, view/reshape/unsqueeze,
element-wise ops (including the deprecated ``addcdiv(t, value, t1, t2)`` form), ``out=``, and the 60-minute
blitz tensor section. Random values are compared with NumPy rather than with the notes' printed draws."""
import numpy as np
import pytest

import plait
from core_helpers import to_np, assert_close


def test_creating_tensors():
    a = plait.Tensor([1, 2, 3, 4, 5, 6])
    assert repr(a) == "tensor([1., 2., 3., 4., 5., 6.])"
    b = plait.Tensor(2, 3)
    assert b.shape == (2, 3) and b.dtype is plait.float32
    t = plait.Tensor([[1, 2, 3], [4, 5, 6]])
    assert t.size() == plait.Size([2, 3]) and t.shape == plait.Size([2, 3])
    c = plait.Tensor(t.size())
    assert c.shape == (2, 3)
    t1 = plait.Tensor(1)
    t2 = plait.tensor(1)
    assert t1.shape == (1,) and t1.type() == "plait.FloatTensor"
    assert "t2的值{},t2的数据类型{}".format(t2, t2.type()) == "t2的值1,t2的数据类型plait.LongTensor"


def test_changing_shapes():
    x = plait.randn(2, 3)
    assert x.size() == plait.Size([2, 3]) and x.dim() == 2
    assert x.view(3, 2).shape == (3, 2)
    y = x.view(-1)
    assert y.shape == (6,)
    z = plait.unsqueeze(y, 0)
    assert z.size() == plait.Size([1, 6]) and z.numel() == 6


def test_elementwise_examples():
    t = plait.randn(1, 3)
    t1 = plait.randn(3, 1)
    t2 = plait.randn(1, 3)
    n, n1, n2 = to_np(t), to_np(t1), to_np(t2)
    assert_close(plait.addcdiv(t, 0.1, t1, t2), n + 0.1 * (n1 / n2), rtol=1e-5, atol=1e-6)
    assert_close(plait.addcmul(t, 0.5, t1, t2), n + 0.5 * n1 * n2, rtol=1e-5, atol=1e-6)
    assert_close(plait.sigmoid(t), 1 / (1 + np.exp(-n)), rtol=1e-6)
    assert_close(plait.clamp(t, 0, 1), np.clip(n, 0, 1))
    out = t.add_(2)
    assert out is t
    assert_close(t, n + 2)


def test_blitz_tensor_section(capsys):
    x = plait.empty(5, 3)
    assert x.shape == (5, 3)
    x = plait.rand(5, 3)
    assert x.shape == (5, 3) and 0 <= x.min().item() and x.max().item() < 1
    x = plait.zeros(5, 3, dtype=plait.long)
    assert x.dtype is plait.int64
    x = plait.tensor([5.5, 3])
    print(x)
    x = x.new_ones(5, 3, dtype=plait.double)
    print(x)
    x = plait.randn_like(x, dtype=plait.float)
    assert x.dtype is plait.float32 and x.shape == (5, 3)
    print(x.size())
    assert capsys.readouterr().out == """tensor([5.5000, 3.0000])
tensor([[1., 1., 1.],
        [1., 1., 1.],
        [1., 1., 1.],
        [1., 1., 1.],
        [1., 1., 1.]], dtype=plait.float64)
plait.Size([5, 3])
"""
    y = plait.rand(5, 3)
    xn, yn = to_np(x), to_np(y)
    assert_close(x + y, xn + yn)
    assert_close(plait.add(x, y), xn + yn)
    result = plait.empty(5, 3)
    plait.add(x, y, out=result)
    assert_close(result, xn + yn)
    y.add_(x)
    assert_close(y, xn + yn)
    assert_close(x[:, 1], xn[:, 1])


def test_out_argument():
    a, b = plait.tensor([1.0, 2.0]), plait.tensor([3.0, 4.0])
    out = plait.zeros(2)
    assert plait.mul(a, b, out=out) is out and out.tolist() == [3.0, 8.0]
    plait.sub(a, b, out=out)
    assert out.tolist() == [-2.0, -2.0]
    plait.div(a, b, out=out)
    assert_close(out, [1 / 3, 0.5])
    grown = plait.empty(0)
    plait.add(a, b, out=grown)
    assert grown.tolist() == [4.0, 6.0]
    i = plait.zeros(2, dtype=plait.int64)
    plait.add(plait.tensor([1, 2]), 1, out=i)
    assert i.tolist() == [2, 3]
    w = plait.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        plait.add(w, 1, out=plait.zeros(2))


def test_to_device_and_dtype_example():
    x = plait.randn(1)
    y = plait.ones_like(x, device="cpu")
    z = (x.to("cpu") + y)
    d = z.to("cpu", plait.double)
    assert d.dtype is plait.float64 and d.device == plait.device("cpu")
    assert abs(d.item() - (to_np(x)[0] + 1)) < 1e-6


def test_numpy_training_data_to_float_tensors():
    dtype = plait.FloatTensor
    np.random.seed(100)
    x_train = np.linspace(-1, 1, 100).reshape(100, 1)
    y_train = 3 * np.power(x_train, 2) + 2 + 0.2 * np.random.rand(x_train.size).reshape(100, 1)
    inputs = plait.from_numpy(x_train).type(dtype)
    targets = plait.from_numpy(y_train).type(dtype)
    assert inputs.dtype is plait.float32 and inputs.shape == (100, 1)
    assert_close(targets, y_train.astype(np.float32))
