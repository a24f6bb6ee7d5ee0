"""The Backend methods themselves: identity and namespace, dtype mapping, seeded random numbers,
scatter-add (duplicate indices) and index-put against NumPy and against the portable fallbacks of
``plait.backends.Backend``, host / raw-bytes / DLPack transfer, and each optional kernel against the core's
portable code."""
import warnings

import pytest

import plait
from plait.backends import Backend

from ._util import assert_close

REQUIRED_DTYPES = ("bool", "uint8", "int8", "int16", "int32", "int64", "float32", "float64")
ALL_DTYPES = REQUIRED_DTYPES + ("float16",)
# every namespace function plait's core calls (the Array API standard's names)
CORE_NAMESPACE_FUNCTIONS = (
    "abs acos all any argmax argmin argsort asarray asin astype atan atan2 bitwise_invert broadcast_to ceil "
    "clip concat cos cosh cumulative_prod cumulative_sum exp expm1 eye flip floor floor_divide from_dlpack full "
    "isfinite isinf isnan linspace log log10 log1p log2 logical_not matmul max maximum mean min minimum "
    "nonzero permute_dims prod remainder reshape roll round sign sin sinh sqrt stack sum take tan tanh tile "
    "tril triu trunc unique_counts unique_inverse where zeros arange").split()


def _dtype(name):
    return plait._dtype.BY_NAME[name]


def _cpu_backend():
    """The backend serving "cpu" here, or None when no usable one is installed."""
    try:
        return plait.backends.get_backend("cpu")
    except RuntimeError:
        return None


def _supported(backend, name):
    return _dtype(name) in backend.dtype_to_native


def _need_dtype(backend, name):
    if not _supported(backend, name):
        pytest.skip(f"backend {backend.name!r} has no {name} dtype (optional: the Array API standard has none)")


# ---------------------------------------------------------------- identity, namespace, dtypes
def test_backend_declares_itself(backend, device):
    assert isinstance(backend, Backend)
    assert isinstance(backend.name, str) and backend.name
    assert isinstance(backend.device_types, tuple) and device in backend.device_types
    assert isinstance(backend.priority, int)
    assert plait.backends.get_backend(device) is backend, \
        f"device {device!r} is served by {plait.backends.get_backend(device).name!r}, not {backend.name!r}"
    assert backend.name in plait.backends.registry._registry.ready  # set up without error
    assert backend.name in repr(backend)


def test_namespace_has_what_the_core_calls(xp):
    missing = [f for f in CORE_NAMESPACE_FUNCTIONS if not callable(getattr(xp, f, None))]
    assert not missing, f"the namespace lacks functions plait's core calls: {missing}"
    for name in ("bool", "int64", "float32", "float64"):
        assert getattr(xp, name, None) is not None, f"the namespace has no dtype {name}"


@pytest.mark.parametrize("name", ALL_DTYPES)
def test_dtype_mapping_round_trips(backend, xp, name):
    if name == "float16":
        _need_dtype(backend, name)
    d = _dtype(name)
    assert d in backend.dtype_to_native, f"backend {backend.name!r} maps no native dtype to {d}"
    native = backend.dtype_to_native[d]
    probe = xp.zeros((2,), dtype=native)
    assert backend.native_to_dtype[probe.dtype] is d, \
        f"an array created with dtype {native!r} reports {probe.dtype!r}, which maps to " \
        f"{backend.native_to_dtype.get(probe.dtype)}"


def test_owns_and_device_of(backend, T, device):
    arr = T([1.0, 2.0])._data
    assert backend.owns(arr), f"{type(backend).__name__}.owns() does not recognise its own array {type(arr)}"
    assert not backend.owns([1.0, 2.0])
    assert backend.device_of(arr).type in backend.device_types
    found = plait.backends.backend_for_array(arr)
    assert found.owns(arr)


# ---------------------------------------------------------------- random numbers
RANDOM_DRAWS = {
    "rand": lambda d: plait.rand(3, 4, device=d),
    "randn": lambda d: plait.randn(3, 4, device=d),
    "rand_float64": lambda d: plait.rand(5, dtype=plait.float64, device=d),
    "randint": lambda d: plait.randint(0, 100, (3, 4), device=d),
    "randperm": lambda d: plait.randperm(10, device=d),
    "bernoulli": lambda d: plait.bernoulli(plait.full((20,), 0.5, device=d)),
    "normal": lambda d: plait.normal(2.0, 3.0, (6,), device=d),
    "uniform_": lambda d: plait.zeros(6, device=d).uniform_(-2, 3),
    "normal_": lambda d: plait.zeros(6, device=d).normal_(1, 2),
    "random_": lambda d: plait.zeros(6, device=d).random_(0, 50),
    "bernoulli_": lambda d: plait.zeros(20, device=d).bernoulli_(0.5),
    "exponential_": lambda d: plait.zeros(6, device=d).exponential_(),
    "multinomial": lambda d: plait.multinomial(plait.tensor([0.1, 0.2, 0.3, 0.4], device=d), 3),
    "dropout_mask": lambda d: plait.rand(4, 5, device=d) < 0.5,
}


@pytest.mark.parametrize("draw", sorted(RANDOM_DRAWS))
def test_seeded_random_is_reproducible(draw, device):
    fn = RANDOM_DRAWS[draw]
    plait.manual_seed(1234)
    a = fn(device).tolist()
    b = fn(device).tolist()
    plait.manual_seed(1234)
    a2 = fn(device).tolist()
    b2 = fn(device).tolist()
    assert a == a2 and b == b2, "the same seed must give the same numbers"
    plait.manual_seed(99)
    c = fn(device).tolist()
    d = fn(device).tolist()
    assert (a, b) != (c, d), "a different seed gave the same numbers"


def test_random_hooks_directly(backend, device, np):
    dev = plait.device(device) if plait.device(device).index is not None else backend.default_device(device)
    f32, f64, i64 = (backend.dtype_to_native[_dtype(n)] for n in ("float32", "float64", "int64"))
    backend.manual_seed(5)
    u = backend.uniform((3, 4), -1.0, 2.0, f32, dev)
    n = backend.normal((3, 4), 1.0, 0.5, f64, dev)
    k = backend.integers((50,), 3, 7, i64, dev)
    p = backend.permutation(9, i64, dev)
    for arr, dt, shape in ((u, "float32", (3, 4)), (n, "float64", (3, 4)), (k, "int64", (50,)),
                           (p, "int64", (9,))):
        assert backend.owns(arr), f"a random draw is not the backend's own array type: {type(arr)}"
        assert tuple(arr.shape) == shape
        assert backend.native_to_dtype[arr.dtype] is _dtype(dt), f"draw has dtype {arr.dtype!r}, expected {dt}"
    hu = np.asarray(backend.to_host(u))
    assert (hu >= -1.0).all() and (hu < 2.0).all()
    hk = np.asarray(backend.to_host(k))
    assert set(hk.tolist()) <= {3, 4, 5, 6}
    assert sorted(np.asarray(backend.to_host(p)).tolist()) == list(range(9))
    probs = backend.xp.asarray([0.0, 1.0, 0.0, 1.0], dtype=f32, device=backend.native_device(dev))
    bern = backend.bernoulli(probs, f32)
    assert backend.native_to_dtype[bern.dtype] is plait.float32
    assert np.asarray(backend.to_host(bern)).tolist() == [0.0, 1.0, 0.0, 1.0]


def test_random_statistics(device):
    plait.manual_seed(0)
    u = plait.rand(40000, device=device)
    assert 0.0 <= u.min().item() and u.max().item() < 1.0
    assert abs(u.mean().item() - 0.5) < 0.01
    n = plait.randn(40000, dtype=plait.float64, device=device)
    assert abs(n.mean().item()) < 0.02 and abs(n.std().item() - 1.0) < 0.02
    m = plait.normal(2.0, 3.0, (40000,), device=device)
    assert abs(m.mean().item() - 2.0) < 0.06 and abs(m.std().item() - 3.0) < 0.06
    r = plait.randint(3, 7, (4000,), device=device)
    assert sorted(set(r.tolist())) == [3, 4, 5, 6]
    b = plait.bernoulli(plait.full((40000,), 0.3, device=device))
    assert abs(b.mean().item() - 0.3) < 0.01
    assert sorted(plait.randperm(50, device=device).tolist()) == list(range(50))
    e = plait.zeros(40000, dtype=plait.float64, device=device).exponential_(2.0)
    assert e.min().item() >= 0 and abs(e.mean().item() - 0.5) < 0.02


@pytest.mark.parametrize("name", ["float64", "float16"])
def test_random_dtypes(backend, device, name):
    _need_dtype(backend, name)
    d = _dtype(name)
    for t in (plait.rand(3, dtype=d, device=device), plait.randn(3, dtype=d, device=device)):
        assert t.dtype is d and backend.native_to_dtype[t._data.dtype] is d
    assert plait.randint(0, 5, (3,), dtype=plait.int32, device=device).dtype is plait.int32


# ---------------------------------------------------------------- scatter-add / index-put
def _arr(backend, device, np_array):
    dev = backend.default_device(device) if plait.device(device).index is None else plait.device(device)
    return backend.from_host(np_array, dev)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
@pytest.mark.parametrize("rest", [(), (3,), (2, 2)], ids=["1d", "2d", "3d"])
def test_scatter_add_sums_duplicate_indices(backend, device, np, rng, dtype, rest):
    target = (rng.standard_normal((4,) + rest) * 4).astype(dtype)
    index = np.array([0, 2, 0, 0, 3], dtype=np.int64)
    src = (rng.standard_normal((5,) + rest) * 4).astype(dtype)
    expected = target.copy()
    np.add.at(expected, index, src)
    t, i, s = (_arr(backend, device, a) for a in (target, index, src))
    out = backend.scatter_add(t, i, s)
    assert backend.owns(out) and backend.native_to_dtype[out.dtype] is _dtype(dtype)
    assert_close(np.asarray(backend.to_host(out)), expected, dtype_name=dtype, what="scatter_add")
    assert_close(np.asarray(backend.to_host(t)), target, dtype_name=dtype,
                 what="scatter_add must not modify its target")
    fallback = Backend.scatter_add(backend, t, i, s)
    assert_close(np.asarray(backend.to_host(out)), np.asarray(backend.to_host(fallback)), dtype_name=dtype,
                 what="scatter_add against the portable fallback")


def test_scatter_add_empty_index(backend, device, np):
    target = np.arange(6, dtype=np.float32).reshape(3, 2)
    out = backend.scatter_add(_arr(backend, device, target), _arr(backend, device, np.zeros((0,), np.int64)),
                              _arr(backend, device, np.zeros((0, 2), np.float32)))
    assert_close(np.asarray(backend.to_host(out)), target, what="scatter_add with an empty index")


@pytest.mark.parametrize("rest", [(), (3,)], ids=["1d", "2d"])
def test_index_put_writes_rows(backend, device, np, rng, rest):
    target = rng.standard_normal((5,) + rest).astype(np.float32)
    index = np.array([4, 0, 2], dtype=np.int64)
    values = rng.standard_normal((3,) + rest).astype(np.float32)
    expected = target.copy()
    expected[index] = values
    t, i, v = (_arr(backend, device, a) for a in (target, index, values))
    out = backend.index_put(t, i, v)
    assert backend.owns(out)
    assert_close(np.asarray(backend.to_host(out)), expected, what="index_put")
    assert_close(np.asarray(backend.to_host(t)), target, what="index_put must not modify its target")
    fallback = Backend.index_put(backend, t, i, v)
    assert_close(np.asarray(backend.to_host(out)), np.asarray(backend.to_host(fallback)),
                 what="index_put against the portable fallback")


def test_index_put_duplicates_write_one_of_the_values(backend, device, np):
    target = np.zeros(3, dtype=np.float32)
    out = backend.index_put(*(_arr(backend, device, a) for a in (
        target, np.array([1, 1], np.int64), np.array([5.0, 7.0], np.float32))))
    host = np.asarray(backend.to_host(out)).tolist()
    assert host[0] == 0 and host[2] == 0 and host[1] in (5.0, 7.0)


def test_duplicate_index_gradients_accumulate(device):
    x = plait.zeros(4, device=device, requires_grad=True)
    idx = plait.tensor([0, 0, 3, 0], device=device)
    (x[idx] * plait.tensor([1.0, 2.0, 3.0, 4.0], device=device)).sum().backward()
    assert x.grad.tolist() == [7.0, 0.0, 0.0, 3.0]
    y = plait.zeros(3, 2, device=device)
    y.index_add_(0, plait.tensor([2, 2, 0], device=device), plait.ones(3, 2, device=device))
    assert y.tolist() == [[1.0, 1.0], [0.0, 0.0], [2.0, 2.0]]


# ---------------------------------------------------------------- host transfer
def _values(name):
    if name == "bool":
        return [True, False, True, True]
    if name == "uint8":
        return [0, 1, 200, 255]
    if name.startswith("int"):
        return [0, -1, 100, -128]
    return [0.0, -1.5, 2.25, 1e3]


@pytest.mark.parametrize("name", ALL_DTYPES)
def test_to_host_and_from_host_round_trip(backend, device, np, name):
    if name == "float16":
        _need_dtype(backend, name)
    d = _dtype(name)
    t = plait.tensor(_values(name), dtype=d, device=device).reshape(2, 2)
    host = backend.to_host(t._data)
    assert isinstance(host, np.ndarray), f"to_host returned {type(host).__name__}, not a numpy.ndarray"
    assert host.dtype == np.dtype(name) and host.shape == (2, 2)
    assert np.asarray(host).reshape(-1).tolist() == _values(name)
    back = _arr(backend, device, np.array(_values(name), dtype=name).reshape(2, 2))
    assert backend.owns(back) and backend.native_to_dtype[back.dtype] is d
    assert np.asarray(backend.to_host(back)).reshape(-1).tolist() == _values(name)


def test_numpy_tolist_item(backend, device, np):
    t = plait.tensor([[1.5, -2.0], [3.0, 4.0]], device=device)
    assert t.tolist() == [[1.5, -2.0], [3.0, 4.0]]
    assert t[0, 1].item() == -2.0 and isinstance(t[0, 1].item(), float)
    assert plait.tensor(7, device=device).item() == 7 and float(t[1, 1]) == 4.0
    assert plait.tensor(True, device=device).item() is True
    if backend.host_accessible:
        assert isinstance(t.numpy(), np.ndarray) and t.numpy().tolist() == t.tolist()
    else:
        with pytest.raises(TypeError, match="cpu"):
            t.numpy()
    assert np.asarray(t.detach().numpy(force=True)).tolist() == t.tolist()
    assert np.asarray(t).tolist() == t.tolist()  # __array__


def test_numpy_shares_memory_when_declared(backend, device, np):
    t = plait.zeros(3, device=device)
    if not (backend.shares_host_memory and backend.host_accessible):
        # nothing to check: the backend declares that Tensor.numpy() returns a copy
        t.numpy(force=True)[0] = 5.0
        return
    t.numpy()[0] = 5.0
    assert t.tolist() == [5.0, 0.0, 0.0], "shares_host_memory is True but Tensor.numpy() returned a copy"


def test_from_numpy_and_foreign_arrays(backend, device, np):
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = plait.tensor(a, device=device)  # a NumPy array into this backend (through from_host)
    assert t._backend is backend and t.tolist() == a.tolist() and t.dtype is plait.float32
    a[0, 0] = 100.0
    assert t[0, 0].item() == 0.0, "plait.tensor() must copy"
    t2 = plait.as_tensor(np.array([1, 2], dtype=np.int32), device=device)
    assert t2.dtype is plait.int32 and t2.tolist() == [1, 2]
    if _cpu_backend() is not backend:
        return  # plait.from_numpy makes "cpu" tensors, which another backend serves here
    f = plait.from_numpy(np.array([1.0, 2.0]))
    assert f._backend is backend and f.dtype is plait.float64 and f.tolist() == [1.0, 2.0]


@pytest.mark.parametrize("name", ALL_DTYPES)
def test_from_bytes(backend, device, np, name):
    if name == "float16":
        _need_dtype(backend, name)
    d = _dtype(name)
    a = np.array(_values(name), dtype=np.dtype(name).newbyteorder("<")).reshape(2, 2)
    dev = backend.default_device(device)
    out = backend.from_bytes(a.tobytes(), d, (2, 2), dev)
    assert backend.owns(out) and tuple(out.shape) == (2, 2) and backend.native_to_dtype[out.dtype] is d
    assert np.asarray(backend.to_host(out)).reshape(-1).tolist() == _values(name)
    empty = backend.from_bytes(b"", d, (0, 3), dev)
    assert tuple(empty.shape) == (0, 3)


def test_save_load_round_trip(device, tmp_path):
    state = {"w": plait.randn(3, 4, device=device), "i": plait.arange(5, device=device),
             "b": plait.tensor([True, False], device=device), "nested": [plait.ones(2, dtype=plait.float64,
                                                                                   device=device)]}
    path = tmp_path / "state.pt"  # torch's zip format: any structure
    plait.save(state, path)
    back = plait.load(path, map_location=device)
    for key in ("w", "i", "b"):
        assert back[key].dtype is state[key].dtype and back[key].tolist() == state[key].tolist()
        assert back[key].device == state[key].device
    assert back["nested"][0].tolist() == [1.0, 1.0]
    flat = {k: v for k, v in state.items() if k != "nested"}
    plait.save(flat, tmp_path / "state.safetensors")  # a standard safetensors file: tensors only
    again = plait.load(tmp_path / "state.safetensors", map_location=device)
    assert {k: (v.dtype, v.tolist()) for k, v in again.items()} == {k: (v.dtype, v.tolist()) for k, v in flat.items()}


def test_dlpack(backend, device, np):
    t = plait.arange(6, dtype=plait.float32, device=device).reshape(2, 3)
    again = backend.from_dlpack(t._data)
    assert backend.owns(again) and np.asarray(backend.to_host(again)).tolist() == t.tolist()
    same = plait.from_dlpack(t)
    assert same.tolist() == t.tolist()
    if backend.host_accessible and t.__dlpack_device__()[0] in (1, 3):  # CPU memory: NumPy can import it
        assert np.from_dlpack(t).tolist() == t.tolist()
    if _cpu_backend() is backend:
        imported = plait.from_dlpack(np.arange(3.0))
        assert imported._backend is backend and imported.tolist() == [0.0, 1.0, 2.0]


# ---------------------------------------------------------------- optional kernels
def _erf_case(backend, xp, np):
    from plait.ops.elementwise import erf_array
    x = np.linspace(-5, 5, 201)
    return (lambda a: erf_array(xp, a)), x


KNOWN_KERNELS = {"erf": _erf_case}


@pytest.mark.parametrize("name", sorted(KNOWN_KERNELS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_optional_kernel_matches_fallback(backend, device, xp, np, name, dtype):
    kernel = backend.kernels.get(name)
    if kernel is None:
        pytest.skip(f"backend provides no optional {name!r} kernel: the core's portable code is used "
                    f"(checked by test_forward[{name}])")
    fallback, x = KNOWN_KERNELS[name](backend, xp, np)
    arr = _arr(backend, device, x.astype(dtype))
    got, want = kernel(arr), fallback(arr)
    assert backend.owns(got) and tuple(got.shape) == tuple(arr.shape)
    assert backend.native_to_dtype[got.dtype] is _dtype(dtype), f"kernel {name!r} changed the dtype"
    assert_close(np.asarray(backend.to_host(got)), np.asarray(backend.to_host(want)), dtype_name=dtype,
                 what=f"kernel {name!r} against the portable fallback")


# in-place kernels (plait.ops.inplace.FAST_KERNELS): run on the tensor's own memory when no graph is recorded
INPLACE_CASES = {
    "add_": (lambda a, b, c: a + 0.5 * b, {"alpha": 0.5}),
    "sub_": (lambda a, b, c: a - 0.5 * b, {"alpha": 0.5}),
    "mul_": (lambda a, b, c: a * b, {}),
    "div_": (lambda a, b, c: a / b, {}),
    "addcmul_": (lambda a, b, c: a + 0.3 * b * c, {"value": 0.3}),
    "addcdiv_": (lambda a, b, c: a + 0.3 * b / c, {"value": 0.3}),
    "lerp_": (lambda a, b, c: a + c * (b - a), {}),
}


@pytest.mark.parametrize("name", sorted(INPLACE_CASES))
def test_inplace_kernel_writes_the_op_result_into_its_target(backend, device, np, name):
    from plait.ops.inplace import FAST_KERNELS
    kernel = backend.kernels.get(name)
    if kernel is None:
        pytest.skip(f"backend provides no in-place {name!r} kernel: the core computes the op and copies the "
                    "result in (checked by the in-place forward tests)")
    rng = np.random.default_rng(0)
    a, b, c = (rng.uniform(0.5, 2.0, (3, 4)) for _ in range(3))
    formula, kwargs = INPLACE_CASES[name]
    target = _arr(backend, device, a.copy())  # the copy: a CPU backend may wrap the host array itself
    operands = [_arr(backend, device, b.copy()), _arr(backend, device, c.copy())][:FAST_KERNELS[name]]
    kernel(target, *operands, **kwargs)
    assert_close(np.asarray(backend.to_host(target)), formula(a, b, c), dtype_name="float64",
                 what=f"in-place kernel {name!r}")


# sliding-window kernels (plait.ops.window): against the portable strided-slice versions
WINDOW_GEOMETRIES = [  # kernel, dilation, padding (t, b, l, r), stride
    ((3, 3), (1, 1), (1, 1, 1, 1), (1, 1)),
    ((2, 2), (1, 1), (0, 0, 0, 0), (2, 2)),
    ((3, 2), (2, 1), (0, 1, 2, 0), (2, 3)),
]


@pytest.mark.parametrize("batch_inside", [False, True], ids=["NCk", "CkN"])
@pytest.mark.parametrize("geometry", WINDOW_GEOMETRIES, ids=["same3x3", "pool2x2", "dilated-asymmetric"])
@pytest.mark.parametrize("name", ["im2col", "col2im"])
def test_window_kernel_matches_portable(backend, device, xp, np, name, geometry, batch_inside):
    from plait.ops import window
    kernel = backend.kernels.get(name)
    if kernel is None:
        pytest.skip(f"backend provides no {name!r} kernel: the core's portable strided slices are used")
    (kh, kw), (dh, dw), pad, (sh, sw) = geometry
    h, w = 7, 8
    ho = (h + pad[0] + pad[1] - dh * (kh - 1) - 1) // sh + 1
    wo = (w + pad[2] + pad[3] - dw * (kw - 1) - 1) // sw + 1
    rng = np.random.default_rng(1)
    if name == "im2col":
        x = _arr(backend, device, rng.standard_normal((2, 3, h, w)))
        args = ((kh, kw), (dh, dw), pad, (sh, sw), (ho, wo), -1.5)
        got = kernel(x, *args, batch_inside=batch_inside)
        want = window.im2col_portable(xp, x, *args, batch_inside=batch_inside)
        assert tuple(want.shape) == ((3, kh * kw, 2, ho, wo) if batch_inside else (2, 3, kh * kw, ho, wo))
    else:
        shape = (3, kh * kw, 2, ho, wo) if batch_inside else (2, 3, kh * kw, ho, wo)
        cols = _arr(backend, device, rng.standard_normal(shape))
        args = ((h, w), (kh, kw), (dh, dw), pad, (sh, sw))
        got = kernel(cols, *args, batch_inside=batch_inside)
        want = window.col2im_portable(xp, cols, *args, batch_inside=batch_inside)
        assert tuple(want.shape) == (2, 3, h, w)
    assert tuple(got.shape) == tuple(want.shape)
    assert_close(np.asarray(backend.to_host(got)), np.asarray(backend.to_host(want)), dtype_name="float64",
                 what=f"kernel {name!r} against the portable version")


def test_kernel_names_are_known(backend):
    from plait.ops.inplace import FAST_KERNELS
    unknown = sorted(set(backend.kernels) - set(KNOWN_KERNELS) - set(FAST_KERNELS) - {"im2col", "col2im"})
    if unknown:
        warnings.warn(f"backend {backend.name!r} provides kernels this plait version never looks up: {unknown} "
                      f"(known: {sorted(set(KNOWN_KERNELS) | set(FAST_KERNELS) | {'im2col', 'col2im'})})",
                      UserWarning)
    assert all(callable(k) for k in backend.kernels.values())
