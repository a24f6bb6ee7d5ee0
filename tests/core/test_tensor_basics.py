"""Tensor metadata (shape/size/dim/numel/ndim), NumPy interop with shared memory, clone/detach/item/tolist and
the Python protocols (len, iter, bool, float, int, index, format)."""
import numpy as np
import pytest

import plait
from core_helpers import to_np, assert_close


def _require_shared_memory(t):
    if not t._backend.shares_host_memory:
        pytest.skip(f"backend {t._backend.name!r} copies on numpy()/from_numpy(): no memory to share")


def test_shape_size_dim_numel():
    x = plait.zeros(2, 3, 4)
    assert x.shape == (2, 3, 4) and isinstance(x.shape, plait.Size) and isinstance(x.shape, tuple)
    assert x.size() == plait.Size([2, 3, 4])
    assert x.size(0) == 2 and x.size(-1) == 4 and x.size(1) == 3
    assert x.dim() == 3 and x.ndim == 3 and x.ndimension() == 3
    assert x.numel() == 24 and x.nelement() == 24 and plait.numel(x) == 24
    assert len(x) == 2
    assert x.size()[1:] == plait.Size([3, 4]) and isinstance(x.size()[1:], plait.Size)
    assert x.shape.numel() == 24
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.size(3)
    s = plait.tensor(True)
    assert s.dim() == 0 and s.shape == () and s.numel() == 1
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(s)


def test_size_repr():
    assert repr(plait.Size([4])) == "plait.Size([4])"
    assert str(plait.zeros(2, 8).size()) == "plait.Size([2, 8])"
    assert repr(plait.tensor(1.0).shape) == "plait.Size([])"


def test_seed_dim_examples(capsys):
    scalar = plait.tensor(True)
    print(scalar)
    print(scalar.dim())
    vector = plait.tensor([1.0, 2.0, 3.0, 4.0])
    print(vector)
    print(vector.dim())
    print(vector.size())
    print(vector.shape)
    tensor3 = plait.tensor([[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]])
    print(tensor3)
    print(tensor3.dim())
    tensor4 = plait.tensor([[[[1.0, 1.0], [2.0, 2.0]], [[3.0, 3.0], [4.0, 4.0]]],
                            [[[5.0, 5.0], [6.0, 6.0]], [[7.0, 7.0], [8.0, 8.0]]]])
    print(tensor4)
    print(tensor4.dim())
    assert capsys.readouterr().out == """tensor(True)
0
tensor([1., 2., 3., 4.])
1
plait.Size([4])
plait.Size([4])
tensor([[[1., 2.],
         [3., 4.]],

        [[5., 6.],
         [7., 8.]]])
3
tensor([[[[1., 1.],
          [2., 2.]],

         [[3., 3.],
          [4., 4.]]],


        [[[5., 5.],
          [6., 6.]],

         [[7., 7.],
          [8., 8.]]]])
4
"""


def test_from_numpy_shares_memory(capsys):
    arr = np.zeros(3)
    tensor = plait.from_numpy(arr)
    assert tensor.dtype is plait.float64 and tensor.device == plait.device("cpu")
    _require_shared_memory(tensor)
    print("before add 1:")
    print(arr)
    print(tensor)
    print("\nafter add 1:")
    np.add(arr, 1, out=arr)
    print(arr)
    print(tensor)
    assert capsys.readouterr().out == """before add 1:
[0. 0. 0.]
tensor([0., 0., 0.], dtype=plait.float64)

after add 1:
[1. 1. 1.]
tensor([1., 1., 1.], dtype=plait.float64)
"""
    tensor.add_(1)  # and the other way round
    assert arr.tolist() == [2.0, 2.0, 2.0]


def test_numpy_shares_memory(capsys):
    tensor = plait.zeros(3)
    arr = tensor.numpy()
    assert isinstance(arr, np.ndarray) and arr.dtype == np.float32
    _require_shared_memory(tensor)
    print(tensor)
    print(arr)
    tensor.add_(1)
    print(tensor)
    print(arr)
    assert capsys.readouterr().out == "tensor([0., 0., 0.])\n[0. 0. 0.]\ntensor([1., 1., 1.])\n[1. 1. 1.]\n"
    arr[0] = 5
    assert tensor[0].item() == 5.0
    d = tensor.data.numpy()  # .data shares too
    d[1] = 7
    assert tensor[1].item() == 7.0


def test_blitz_numpy_bridge(capsys):
    a = plait.ones(5)
    b = a.numpy()
    _require_shared_memory(a)
    a.add_(1)
    print(a)
    print(b)
    a = np.ones(5)
    b = plait.from_numpy(a)
    np.add(a, 1, out=a)
    print(a)
    print(b)
    assert capsys.readouterr().out == ("tensor([2., 2., 2., 2., 2.])\n[2. 2. 2. 2. 2.]\n[2. 2. 2. 2. 2.]\n"
                                       "tensor([2., 2., 2., 2., 2.], dtype=plait.float64)\n")


def test_clone_breaks_the_link(capsys):
    tensor = plait.zeros(3)
    arr = tensor.clone().numpy()
    tensor.add_(1)
    print(tensor)
    print(arr)
    assert capsys.readouterr().out == "tensor([1., 1., 1.])\n[0. 0. 0.]\n"


def test_numpy_values_on_every_backend():
    t = plait.tensor([[1, 2], [3, 4]], dtype=plait.int32)
    a = t.numpy()
    assert a.dtype == np.int32 and a.tolist() == [[1, 2], [3, 4]]
    f = plait.from_numpy(np.arange(4, dtype=np.int16))
    assert f.dtype is plait.int16 and f.tolist() == [0, 1, 2, 3]
    with pytest.raises(TypeError, match="expected np.ndarray"):
        plait.from_numpy([1, 2])
    np.testing.assert_array_equal(np.asarray(plait.tensor([1.5, 2.5])), [1.5, 2.5])


def test_numpy_on_requires_grad_tensor_raises():
    x = plait.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Use tensor.detach\(\).numpy\(\) instead"):
        x.numpy()
    assert x.detach().numpy().tolist() == [1.0, 1.0]


def test_clone_is_a_copy_with_history():
    x = plait.tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    assert c.grad_fn is not None and c.grad_fn.name() == "CloneBackward0"
    c.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]
    y = plait.tensor([1, 2])
    z = y.clone()
    z[0] = 10
    assert y.tolist() == [1, 2] and plait.clone(y).tolist() == [1, 2]


def test_detach_shares_memory_and_drops_history():
    x = plait.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert d.grad_fn is None and not d.requires_grad and d.is_leaf
    d.zero_()
    assert y.tolist() == [0.0, 0.0]  # same memory
    assert d._version == y._version
    y2 = x * 3
    assert y2.detach_() is y2 and y2.grad_fn is None and not y2.requires_grad


def test_item_and_tolist():
    scalar = plait.tensor(1.0)
    s = scalar.item()
    assert s == 1.0 and type(s) is float
    assert type(plait.tensor(3).item()) is int and type(plait.tensor(True).item()) is bool
    assert plait.tensor([[2.5]]).item() == 2.5
    with pytest.raises(RuntimeError, match="a Tensor with 2 elements cannot be converted to Scalar"):
        plait.tensor([1, 2]).item()
    t = plait.rand(2, 2).tolist()
    assert type(t) is list and len(t) == 2 and all(type(v) is float for row in t for v in row)
    assert plait.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert plait.tensor(7).tolist() == 7
    assert plait.tensor([True, False]).tolist() == [True, False]
    v = plait.tensor([0.1], dtype=plait.float32).tolist()[0]
    assert v == float(np.float32(0.1))


def test_python_protocols():
    t = plait.tensor([[1, 2], [3, 4]])
    rows = list(t)
    assert len(rows) == 2 and rows[1].tolist() == [3, 4]
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(plait.tensor(1))
    assert float(plait.tensor([2.5])) == 2.5 and int(plait.tensor(3.7)) == 3
    assert [10, 20, 30][plait.tensor(1)] == 20
    with pytest.raises(TypeError, match="converted to an index"):
        [1, 2][plait.tensor(1.0)]
    assert bool(plait.tensor([1])) and not bool(plait.tensor(0.0))
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value is ambiguous"):
        bool(plait.tensor([1, 2]))
    assert f"{plait.tensor(3.14159):.2f}" == "3.14"
    assert plait.is_tensor(t) and not plait.is_tensor([1])
    assert {t: 1}[t] == 1  # hashable by identity


def test_seed_item_and_size_examples(capsys):
    x = plait.randn(4, 4)
    y = x.view(16)
    z = x.view(-1, 8)
    print(x.size(), y.size(), z.size())
    x = plait.randn(1)
    v = x.item()
    assert capsys.readouterr().out == "plait.Size([4, 4]) plait.Size([16]) plait.Size([2, 8])\n"
    assert isinstance(v, float) and v == to_np(x)[0]


def test_equal_allclose_isclose():
    a = plait.tensor([1.0, 2.0])
    assert plait.equal(a, plait.tensor([1.0, 2.0])) and not plait.equal(a, plait.tensor([1.0, 2.5]))
    assert not plait.equal(a, plait.tensor([1.0]))
    assert plait.allclose(a, a + 1e-9) and not a.allclose(a + 1)
    assert a.isclose(plait.tensor([1.0, 3.0])).tolist() == [True, False]
    n = plait.tensor([float("nan")])
    assert not plait.allclose(n, n) and plait.allclose(n, n, equal_nan=True)


def test_data_attribute():
    x = plait.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    assert not y.data.requires_grad and y.data.grad_fn is None
    x.data = plait.tensor([5.0, 6.0])
    assert x.tolist() == [5.0, 6.0] and x.requires_grad and x.is_leaf
    assert_close(x.data, [5.0, 6.0])
