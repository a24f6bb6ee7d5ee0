"""dtypes: inference from Python data, torch's type promotion (dimensioned tensors, zero-dim tensors and
Python scalars), conversion methods and the legacy constructors."""
import numpy as np
import pytest

import plait
from core_helpers import to_np, assert_close, backend_has


def test_inference_from_python_scalars():
    assert plait.tensor(1).dtype is plait.int64
    assert plait.tensor(2.0).dtype is plait.float32
    assert plait.tensor(True).dtype is plait.bool
    assert plait.tensor([1, 2.5]).dtype is plait.float32
    assert plait.tensor([True, 2]).dtype is plait.int64
    assert plait.tensor([[1, 2], [3, 4]]).dtype is plait.int64
    assert plait.tensor([]).dtype is plait.float32


def test_inference_follows_default_dtype():
    plait.set_default_dtype(plait.float64)
    assert plait.tensor(2.0).dtype is plait.float64
    assert plait.zeros(2).dtype is plait.float64
    assert plait.tensor(1).dtype is plait.int64
    plait.set_default_dtype(plait.float32)
    assert plait.tensor(2.0).dtype is plait.float32


def test_set_default_dtype_rejects_integers():
    with pytest.raises(TypeError):
        plait.set_default_dtype(plait.int32)


def test_inference_from_numpy_keeps_dtype():
    assert plait.tensor(np.zeros(3)).dtype is plait.float64
    assert plait.tensor(np.zeros(3, dtype=np.int32)).dtype is plait.int32
    assert plait.tensor(np.array([True])).dtype is plait.bool


def test_explicit_dtype():
    i = plait.tensor(1, dtype=plait.int32)
    x = plait.tensor(2.0, dtype=plait.double)
    assert i.dtype is plait.int32 and repr(i) == "tensor(1, dtype=plait.int32)"
    assert x.dtype is plait.float64 and repr(x) == "tensor(2., dtype=plait.float64)"
    assert plait.tensor([1.7, -1.7], dtype=plait.int64).tolist() == [1, -1]


def test_dtype_aliases_and_repr():
    assert plait.float is plait.float32 and plait.double is plait.float64 and plait.half is plait.float16
    assert plait.long is plait.int64 and plait.int is plait.int32 and plait.short is plait.int16
    assert repr(plait.int32) == "plait.int32" and str(plait.bool) == "plait.bool"
    assert plait.float32.is_floating_point and not plait.int64.is_floating_point
    assert plait.float16.itemsize == 2 and plait.int64.itemsize == 8


@pytest.mark.parametrize("a, b, expected", [
    ("int64", "float32", "float32"),
    ("int32", "int64", "int64"),
    ("uint8", "int8", "int16"),
    ("uint8", "int16", "int16"),
    ("bool", "uint8", "uint8"),
    ("bool", "float16", "float16"),
    ("float16", "float32", "float32"),
    ("float32", "float64", "float64"),
    ("int64", "float16", "float16"),
])
def test_promote_types(a, b, expected):
    da, db = getattr(plait, a), getattr(plait, b)
    assert plait.promote_types(da, db) is getattr(plait, expected)
    assert plait.promote_types(db, da) is getattr(plait, expected)


@pytest.mark.parametrize("a, b, expected", [
    (("int64", 1), ("float32", 1), "float32"),
    (("int32", 1), ("int64", 1), "int64"),
    # zero-dim tensors only decide the dtype when their category is higher
    (("float32", 1), ("float64", 0), "float32"),
    (("int32", 1), ("int64", 0), "int32"),
    (("int64", 1), ("float64", 0), "float64"),
    (("bool", 1), ("int32", 0), "int32"),
    (("uint8", 1), ("int64", 0), "uint8"),
    (("int32", 0), ("int64", 0), "int64"),
    (("float16", 1), ("float64", 0), "float16"),
])
def test_tensor_tensor_promotion(a, b, expected):
    (da, na), (db, nb) = a, b
    if not backend_has(getattr(plait, da)):
        pytest.skip(f"this run's cpu backend has no {da} dtype")
    x = plait.ones((2,) * na, dtype=getattr(plait, da))
    y = plait.ones((2,) * nb, dtype=getattr(plait, db))
    assert (x + y).dtype is getattr(plait, expected)
    assert (y + x).dtype is getattr(plait, expected)
    assert (x * y).dtype is getattr(plait, expected)


@pytest.mark.parametrize("dtype, scalar, expected", [
    ("int64", 1.5, "float32"),
    ("int32", 5, "int32"),
    ("uint8", 3, "uint8"),
    ("int16", 2.0, "float32"),
    ("float16", 1.5, "float16"),
    ("float64", 2, "float64"),
    ("bool", 1, "int64"),
    ("bool", True, "bool"),
    ("bool", 0.5, "float32"),
])
def test_tensor_scalar_promotion(dtype, scalar, expected):
    if not backend_has(getattr(plait, dtype)):
        pytest.skip(f"this run's cpu backend has no {dtype} dtype")
    x = plait.ones(3, dtype=getattr(plait, dtype))
    assert (x + scalar).dtype is getattr(plait, expected)
    assert (scalar + x).dtype is getattr(plait, expected)
    assert (x * scalar).dtype is getattr(plait, expected)


def test_python_scalar_follows_default_dtype():
    plait.set_default_dtype(plait.float64)
    assert (plait.tensor([1, 2]) * 0.5).dtype is plait.float64


def test_division_of_integers_is_true_division():
    a = plait.tensor([1, 2, 3])
    out = a / 2
    assert out.dtype is plait.float32
    assert_close(out, [0.5, 1.0, 1.5])
    assert (a / a).dtype is plait.float32
    assert (2 / a).dtype is plait.float32
    assert_close(2 / a, [2.0, 1.0, 2 / 3])
    assert (a // 2).dtype is plait.int64
    assert_close(a // 2, [0, 1, 1])


def test_comparison_promotes_then_returns_bool():
    a = plait.tensor([1, 2, 3])
    out = a < 2.5
    assert out.dtype is plait.bool
    assert out.tolist() == [True, True, False]
    assert (a == plait.tensor([1.0, 2.5, 3.0])).tolist() == [True, False, True]


def test_unary_math_promotes_integers_to_default_float():
    a = plait.tensor([1, 4])
    assert a.sqrt().dtype is plait.float32
    assert a.exp().dtype is plait.float32
    assert plait.tensor([True, False]).float().dtype is plait.float32
    assert a.abs().dtype is plait.int64
    assert (-a).dtype is plait.int64


def test_sum_of_integers_and_bools_is_int64():
    assert plait.tensor([1, 2], dtype=plait.int32).sum().dtype is plait.int64
    assert plait.tensor([True, True, False]).sum().item() == 2
    assert plait.tensor([True, True]).sum().dtype is plait.int64
    assert plait.tensor([1.0, 2.0]).sum(dtype=plait.float64).dtype is plait.float64


def test_conversion_methods():
    i = plait.tensor(1)
    assert i.dtype is plait.int64
    x = i.float()
    assert x.dtype is plait.float32 and repr(x) == "tensor(1.)"
    y = i.type(plait.float)
    assert y.dtype is plait.float32 and repr(y) == "tensor(1.)"
    z = i.type_as(x)
    assert z.dtype is plait.float32 and repr(z) == "tensor(1.)"
    t = plait.tensor([1.5, -2.7])
    assert t.double().dtype is plait.float64
    assert t.long().dtype is plait.int64 and t.long().tolist() == [1, -2]
    assert t.int().dtype is plait.int32 and t.int().tolist() == [1, -2]
    if backend_has(plait.float16):
        assert t.half().dtype is plait.float16
    else:  # array-api-strict has no float16: a clear error, not a KeyError
        with pytest.raises(TypeError, match="has no plait.float16 dtype"):
            t.half()
    assert t.short().dtype is plait.int16
    assert t.bool().tolist() == [True, True]
    assert plait.tensor([0.0, 3.0]).bool().tolist() == [False, True]
    assert t.to(plait.float64).dtype is plait.float64
    assert t.to(dtype=plait.int32).dtype is plait.int32
    assert t.to("cpu", plait.float64).dtype is plait.float64


def test_to_same_dtype_returns_self_and_copy_makes_new():
    t = plait.tensor([1.0, 2.0])
    assert t.to(plait.float32) is t
    assert t.float() is t
    c = t.to(plait.float32, copy=True)
    assert c is not t
    c.add_(1)
    assert t.tolist() == [1.0, 2.0]


def test_type_with_no_argument_and_strings():
    assert plait.tensor(1).type() == "plait.LongTensor"
    assert plait.Tensor(1).type() == "plait.FloatTensor"
    assert plait.tensor([True]).type() == "plait.BoolTensor"
    assert plait.tensor(1).type("plait.FloatTensor").dtype is plait.float32
    assert plait.tensor(1).type("torch.DoubleTensor").dtype is plait.float64
    with pytest.raises(ValueError, match="invalid type"):
        plait.tensor(1).type("plait.NoSuchTensor")


def test_legacy_tensor_constructor():
    a = plait.Tensor(2, 3)
    assert a.shape == (2, 3) and a.dtype is plait.float32
    b = plait.Tensor([1, 2])
    assert b.dtype is plait.float32 and repr(b) == "tensor([1., 2.])"
    c = plait.Tensor(np.array(2.0))
    assert c.dtype is plait.float32 and repr(c) == "tensor(2.)"
    t = plait.Tensor([[1, 2, 3], [4, 5, 6]])
    assert t.size() == plait.Size([2, 3])
    d = plait.Tensor(t.size())  # a Size is a shape, as in torch
    assert d.shape == (2, 3) and d.dtype is plait.float32
    e = plait.Tensor(1)
    assert e.shape == (1,) and e.type() == "plait.FloatTensor"
    assert plait.Tensor().shape == (0,)


def test_typed_legacy_constructors():
    i = plait.IntTensor(1)
    assert i.shape == (1,) and i.dtype is plait.int32
    assert repr(plait.IntTensor([1])) == "tensor([1], dtype=plait.int32)"
    b = plait.BoolTensor(np.array([1, 0, 2, 0]))
    assert repr(b) == "tensor([ True, False,  True, False])"
    assert plait.LongTensor([[0, 1, 1]]).dtype is plait.int64
    assert plait.FloatTensor(2, 2).shape == (2, 2)
    assert plait.DoubleTensor([1]).dtype is plait.float64
    assert plait.ByteTensor([1]).dtype is plait.uint8
    assert plait.FloatTensor([1]).dtype is plait.float32
    assert plait.FloatTensor(plait.Size([3])).shape == (3,)
    assert plait.FloatTensor().shape == (0,)
    # the typed classes also check and convert, as in torch
    assert isinstance(plait.zeros(1), plait.FloatTensor) and not isinstance(plait.zeros(1), plait.LongTensor)
    assert isinstance(plait.tensor([1]), plait.LongTensor) and not isinstance([1], plait.LongTensor)
    assert plait.tensor([1, 2]).type(plait.FloatTensor).dtype is plait.float32
    assert plait.tensor([1.5]).type(plait.IntTensor).tolist() == [1]
    with pytest.raises(ValueError, match="invalid type"):
        plait.tensor([1]).type(list)


def test_requires_grad_only_for_floating_point():
    with pytest.raises(RuntimeError, match="floating point"):
        plait.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        plait.tensor([1, 2]).requires_grad_()
    assert plait.tensor([1.0], dtype=plait.float64, requires_grad=True).requires_grad


def test_is_floating_point_and_element_size():
    assert plait.is_floating_point(plait.zeros(1))
    assert not plait.tensor([1]).is_floating_point()
    assert plait.zeros(3, dtype=plait.float64).element_size() == 8
    assert plait.zeros(3, dtype=plait.int16).nbytes == 6


def test_mixed_dtype_inplace_casting_rules():
    a = plait.tensor([1, 2])
    with pytest.raises(RuntimeError, match="can't be cast"):
        a.add_(0.5)
    f = plait.tensor([1.0, 2.0])
    f.add_(plait.tensor([1, 1]))
    assert f.dtype is plait.float32 and f.tolist() == [2.0, 3.0]
    assert to_np(f).dtype == np.float32
