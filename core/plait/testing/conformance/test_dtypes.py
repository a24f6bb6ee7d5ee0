"""torch's type promotion (expectations checked against PyTorch 2.x) and casts on the backend under test:
the plait dtype of every result *and* the dtype of the array the backend really produced (a namespace that
promotes differently shows up here)."""
import pytest

import plait

from ._util import assert_close

NAMES = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64")


def _d(name):
    return plait._dtype.BY_NAME[name]


def _check(backend, t, expected, what):
    assert t.dtype is expected, f"{what}: dtype {t.dtype}, expected {expected}"
    native = backend.native_to_dtype.get(t._data.dtype)
    assert native is expected, f"{what}: the backend array has dtype {t._data.dtype!r} ({native}), expected {expected}"


def _skip_unsupported(backend, *names):
    missing = [n for n in names if _d(n) not in backend.dtype_to_native]
    if missing:
        pytest.skip(f"backend {backend.name!r} has no {', '.join(missing)} dtype (optional: the Array API "
                    "standard has no float16)")


def _supported(backend):
    return [n for n in NAMES if _d(n) in backend.dtype_to_native]


@pytest.mark.parametrize("left", NAMES)
def test_tensor_tensor_promotion(backend, device, left):
    _skip_unsupported(backend, left)
    a = plait.ones(3, dtype=_d(left), device=device)
    for right in _supported(backend):
        b = plait.ones(3, dtype=_d(right), device=device)
        expected = plait.promote_types(_d(left), _d(right))
        out = a * b
        _check(backend, out, expected, f"{left} * {right}")
        assert out.tolist() == [1, 1, 1] if expected is not plait.bool else [True] * 3
        _check(backend, a == b, plait.bool, f"{left} == {right}")
        if expected.is_floating_point or expected is not plait.bool:
            _check(backend, a + b, expected, f"{left} + {right}")


SCALAR_CASES = [
    ("int64", 2.5, "float32"), ("int32", 3, "int32"), ("uint8", 2, "uint8"), ("int8", True, "int8"),
    ("float16", 1.5, "float16"), ("float64", 1, "float64"), ("bool", 1, "int64"), ("bool", 1.5, "float32"),
    ("bool", True, "bool"), ("float32", 2, "float32"), ("int16", 1.0, "float32"),
]


@pytest.mark.parametrize("name,scalar,expected", SCALAR_CASES, ids=[f"{a}-{b!r}" for a, b, _ in SCALAR_CASES])
def test_tensor_scalar_promotion(backend, device, name, scalar, expected):
    _skip_unsupported(backend, name, expected)
    t = plait.ones(3, dtype=_d(name), device=device)
    _check(backend, t * scalar, _d(expected), f"{name} * {scalar!r}")
    _check(backend, scalar * t, _d(expected), f"{scalar!r} * {name}")


ZERO_DIM_CASES = [
    ("int64", "float64", "float64"),   # a 0-dim tensor of a higher category takes part fully
    ("float32", "float64", "float32"),  # same category: the dimensioned tensor wins
    ("int32", "int64", "int32"),
    ("uint8", "int64", "uint8"),
    ("bool", "int32", "int32"),
    ("float16", "float64", "float16"),
]


@pytest.mark.parametrize("dim_name,zero_name,expected", ZERO_DIM_CASES,
                         ids=[f"{a}-{b}" for a, b, _ in ZERO_DIM_CASES])
def test_zero_dim_tensor_promotion(backend, device, dim_name, zero_name, expected):
    _skip_unsupported(backend, dim_name, zero_name, expected)
    a = plait.ones(3, dtype=_d(dim_name), device=device)
    s = plait.tensor(2, dtype=_d(zero_name), device=device)
    _check(backend, a * s, _d(expected), f"{dim_name}[3] * {zero_name}[]")
    _check(backend, s * a, _d(expected), f"{zero_name}[] * {dim_name}[3]")


def test_default_dtype_follows_set_default_dtype(backend, device):
    plait.set_default_dtype(plait.float64)
    _check(backend, plait.tensor([1.5, 2.0], device=device), plait.float64, "tensor([1.5, 2.0])")
    _check(backend, plait.ones(2, device=device), plait.float64, "ones")
    _check(backend, plait.arange(0, 1, 0.25, device=device), plait.float64, "arange with a float step")
    _check(backend, plait.tensor([1, 2], device=device).exp(), plait.float64, "exp of int64")
    _check(backend, plait.ones(2, dtype=plait.int64, device=device) * 0.5, plait.float64, "int64 * 0.5")
    plait.set_default_dtype(plait.float32)
    _check(backend, plait.tensor([1.5], device=device), plait.float32, "tensor([1.5])")
    _check(backend, plait.tensor([1, 2], device=device), plait.int64, "tensor([1, 2])")
    _check(backend, plait.tensor([True], device=device), plait.bool, "tensor([True])")


def _cast_values(src, dst):
    values = [0, 1, 2, 5, 100]
    if _d(src).is_signed and _d(dst).is_signed:
        values += [-3, -100]
    if src == "bool" or dst == "bool":
        values = [0, 1, 1, 0]
    return values


@pytest.mark.parametrize("src", NAMES)
def test_casts(backend, device, np, src):
    _skip_unsupported(backend, src)
    for dst in _supported(backend):
        values = _cast_values(src, dst)
        data = [bool(v) for v in values] if src == "bool" else values
        t = plait.tensor(data, dtype=_d(src), device=device)
        out = t.to(_d(dst))
        _check(backend, out, _d(dst), f"{src}.to({dst})")
        assert_close(out, np.array(data, dtype=src).astype(dst), what=f"{src}.to({dst})")
    if _d(src).is_floating_point:
        f = plait.tensor([-2.7, -0.5, 0.5, 2.7], dtype=_d(src), device=device)
        assert f.long().tolist() == [-2, 0, 0, 2], "float -> int casts truncate toward zero"
        assert f.bool().tolist() == [True, True, True, True]


def test_float16_arithmetic(backend, device, np):
    _skip_unsupported(backend, "float16")
    a = np.array([0.5, -1.25, 3.0, 7.0], dtype=np.float16)
    t = plait.tensor(a, device=device)
    _check(backend, t * t + 1, plait.float16, "float16 arithmetic")
    assert_close(t * t + 1, a.astype(np.float64) ** 2 + 1, what="float16 arithmetic")
    assert_close(t.exp().float(), np.exp(a.astype(np.float64)), dtype_name="float16", what="float16 exp")
    _check(backend, t.sum(), plait.float16, "float16 sum")


def test_result_dtypes_of_special_ops(backend, device):
    i = plait.tensor([3, -7, 8], device=device)
    _check(backend, i / 2, plait.float32, "int64 / int")
    _check(backend, i // 2, plait.int64, "int64 // int")
    _check(backend, i % 3, plait.int64, "int64 % int")
    _check(backend, i.sum(), plait.int64, "int64 sum")
    _check(backend, i.int().sum(), plait.int64, "int32 sum")
    _check(backend, (i > 0).sum(), plait.int64, "bool sum")
    _check(backend, i.float().mean(), plait.float32, "float32 mean")
    _check(backend, i.argmax(), plait.int64, "argmax")
    _check(backend, (i * i).sqrt(), plait.float32, "sqrt of int64")
    _check(backend, i < 1, plait.bool, "comparison")
    _check(backend, i.abs(), plait.int64, "abs of int64")
    _check(backend, plait.where(i > 0, i, 0.5), plait.float32, "where(int64, 0.5)")
    assert (i // 2).tolist() == [1, -4, 4] and (i % 3).tolist() == [0, 2, 2]
