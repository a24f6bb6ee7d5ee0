"""Creation functions: values, dtypes, shapes, ``device=`` on each, ``*_like``/``new_*``, and seeded
reproducibility of the random ones."""
import numpy as np
import pytest

import plait
from core_helpers import to_np, assert_close


def test_tensor_from_nested_lists_and_tuples():
    t = plait.tensor([[1, 2], (3, 4)])
    assert t.shape == (2, 2) and t.dtype is plait.int64
    assert t.tolist() == [[1, 2], [3, 4]]
    assert plait.tensor(5.5).shape == ()
    assert plait.tensor([]).shape == (0,)


def test_tensor_from_numpy_copies():
    a = np.arange(6.0).reshape(2, 3)
    t = plait.tensor(a)
    assert t.dtype is plait.float64 and t.shape == (2, 3)
    a[0, 0] = 100
    assert t[0, 0].item() == 0.0
    assert plait.tensor(a, dtype=plait.float32).dtype is plait.float32


def test_tensor_from_tensor_copies_and_detaches():
    x = plait.tensor([1.0, 2.0], requires_grad=True)
    y = plait.tensor(x)
    assert not y.requires_grad and y.grad_fn is None
    y.add_(1)
    assert x.tolist() == [1.0, 2.0]
    z = plait.tensor(x, dtype=plait.float64, requires_grad=True)
    assert z.dtype is plait.float64 and z.requires_grad and z.is_leaf


def test_tensor_from_list_of_tensors():
    t = plait.tensor([plait.tensor(1.0), plait.tensor(2.0)])
    assert t.shape == (2,) and t.tolist() == [1.0, 2.0]


def test_tensor_from_unsupported_data():
    with pytest.raises(TypeError, match="Could not infer dtype of str"):
        plait.tensor(["a"])
    with pytest.raises(ValueError):
        plait.tensor([[1, 2], [3]])


@pytest.mark.parametrize("size", [(2, 3), ((2, 3),), ([2, 3],), (plait.Size([2, 3]),)])
def test_zeros_ones_empty_size_forms(size):
    for fn, value in ((plait.zeros, 0.0), (plait.ones, 1.0)):
        t = fn(*size)
        assert t.shape == (2, 3) and t.dtype is plait.float32
        assert (to_np(t) == value).all()
    assert plait.empty(*size).shape == (2, 3)


def test_zeros_dtype_and_scalar_shape():
    t = plait.zeros(5, 3, dtype=plait.long)
    assert t.dtype is plait.int64 and repr(t) == ("tensor([[0, 0, 0],\n        [0, 0, 0],\n        [0, 0, 0],\n"
                                                  "        [0, 0, 0],\n        [0, 0, 0]])")
    assert plait.zeros(()).shape == () and plait.ones([]).item() == 1.0
    assert plait.zeros(0, 3).shape == (0, 3)


def test_negative_size_is_rejected():
    with pytest.raises(RuntimeError, match="negative dimension -1"):
        plait.zeros(2, -1)
    with pytest.raises(TypeError, match="size must be a sequence of ints"):
        plait.ones(2.5)


def test_full_infers_dtype_from_fill_value():
    assert plait.full((2,), 7).dtype is plait.int64
    assert plait.full((2,), 1.5).dtype is plait.float32
    assert plait.full((2,), True).dtype is plait.bool
    t = plait.full((2, 2), 3.0, dtype=plait.float64)
    assert t.dtype is plait.float64 and (to_np(t) == 3.0).all()
    assert plait.full([3], -1).tolist() == [-1, -1, -1]


def test_arange():
    a = plait.arange(5)
    assert a.dtype is plait.int64 and a.tolist() == [0, 1, 2, 3, 4]
    assert plait.arange(0, 12).tolist() == list(range(12))
    assert plait.arange(10, 0, -3).tolist() == [10, 7, 4, 1]
    f = plait.arange(0, 1, 0.25)
    assert f.dtype is plait.float32 and f.tolist() == [0.0, 0.25, 0.5, 0.75]
    assert plait.arange(1, 4, dtype=plait.float64).dtype is plait.float64
    assert plait.arange(0.5, 3).tolist() == [0.5, 1.5, 2.5]
    assert plait.arange(3, 3).shape == (0,)
    with pytest.raises(RuntimeError, match="step must be nonzero"):
        plait.arange(0, 3, 0)
    with pytest.raises(RuntimeError, match="inconsistent with step sign"):
        plait.arange(0, 3, -1)


def test_linspace_logspace_eye():
    a = plait.linspace(0, 10, 6)
    assert a.dtype is plait.float32 and a.tolist() == [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
    assert plait.linspace(-1, 1, 1).tolist() == [-1.0]
    assert_close(plait.logspace(0, 2, 3), [1.0, 10.0, 100.0], rtol=1e-5)
    assert_close(plait.eye(3), np.eye(3))
    assert_close(plait.eye(2, 3), np.eye(2, 3))
    assert plait.eye(2, dtype=plait.int64).dtype is plait.int64


def test_rand_randn_ranges_shapes_and_dtypes():
    plait.manual_seed(0)
    r = plait.rand(200)
    assert r.dtype is plait.float32 and r.shape == (200,)
    assert 0.0 <= r.min().item() and r.max().item() < 1.0
    n = plait.randn(4000, dtype=plait.float64)
    assert n.dtype is plait.float64
    assert abs(n.mean().item()) < 0.1 and 0.9 < n.std().item() < 1.1
    assert plait.randn(2, 3).shape == (2, 3) and plait.rand((2, 3)).shape == (2, 3)
    assert plait.randn(()).shape == ()
    with pytest.raises(RuntimeError, match="not implemented for 'Int64'"):
        plait.rand(2, dtype=plait.int64)


def test_randint_and_randperm():
    plait.manual_seed(0)
    r = plait.randint(0, 10, (50,))
    assert r.dtype is plait.int64 and r.shape == (50,)
    assert 0 <= r.min().item() and r.max().item() < 10
    r2 = plait.randint(5, (2, 2))
    assert r2.shape == (2, 2) and r2.max().item() < 5
    r3 = plait.randint(3, 6, (20,), dtype=plait.int32)
    assert r3.dtype is plait.int32 and 3 <= r3.min().item() and r3.max().item() < 6
    p = plait.randperm(8)
    assert p.dtype is plait.int64 and sorted(p.tolist()) == list(range(8))
    with pytest.raises(RuntimeError, match="'from' to be less than 'to'"):
        plait.randint(3, 3, (2,))


@pytest.mark.parametrize("draw", [
    lambda: plait.rand(3, 4),
    lambda: plait.randn(3, 4),
    lambda: plait.randint(0, 100, (3, 4)),
    lambda: plait.randperm(12),
    lambda: plait.randn_like(plait.zeros(2, 2)),
    lambda: plait.normal(0.0, 2.0, size=(5,)),
    lambda: plait.zeros(6).uniform_(-1, 1),
    lambda: plait.zeros(6).normal_(),
])
def test_manual_seed_reproducibility(draw):
    plait.manual_seed(100)
    a = draw()
    b = draw()
    plait.manual_seed(100)
    c = draw()
    np.testing.assert_array_equal(to_np(a), to_np(c))
    assert not np.array_equal(to_np(a), to_np(b))
    assert plait.initial_seed() == 100


def test_like_functions_keep_shape_dtype_device():
    x = plait.ones(2, 3, dtype=plait.float64)
    for fn, value in ((plait.zeros_like, 0.0), (plait.ones_like, 1.0), (plait.empty_like, None)):
        t = fn(x)
        assert t.shape == (2, 3) and t.dtype is plait.float64 and t.device == x.device
        if value is not None:
            assert (to_np(t) == value).all()
    f = plait.full_like(x, 7)
    assert f.dtype is plait.float64 and (to_np(f) == 7).all()
    assert plait.zeros_like(x, dtype=plait.int32).dtype is plait.int32
    r = plait.randn_like(x, dtype=plait.float)
    assert r.dtype is plait.float32 and r.shape == (2, 3)
    assert plait.rand_like(x).dtype is plait.float64
    ri = plait.randint_like(x, 0, 4)
    assert ri.dtype is plait.float64 and ri.max().item() < 4
    assert plait.ones_like(x, requires_grad=True).requires_grad


def test_new_methods_reuse_dtype_and_device():
    x = plait.tensor([5.5, 3])
    assert repr(x) == "tensor([5.5000, 3.0000])"
    y = x.new_ones(5, 3, dtype=plait.double)
    assert y.shape == (5, 3) and y.dtype is plait.float64
    assert repr(y).endswith("dtype=plait.float64)")
    i = plait.tensor([1, 2], dtype=plait.int32)
    assert i.new_zeros(2, 2).dtype is plait.int32
    assert i.new_zeros((3,)).shape == (3,)
    assert i.new_tensor([7, 8]).dtype is plait.int32
    assert i.new_tensor([7.5]).tolist() == [7]
    assert i.new_full((2,), 4).tolist() == [4, 4]
    assert i.new_empty(3).shape == (3,)
    assert x.new_ones(2, requires_grad=True).requires_grad


@pytest.mark.parametrize("make", [
    lambda d: plait.tensor([1.0, 2.0], device=d),
    lambda d: plait.zeros(2, device=d),
    lambda d: plait.ones(2, device=d),
    lambda d: plait.empty(2, device=d),
    lambda d: plait.full((2,), 3.0, device=d),
    lambda d: plait.arange(3, device=d),
    lambda d: plait.arange(0, 1, 0.5, device=d),
    lambda d: plait.linspace(0, 1, 3, device=d),
    lambda d: plait.eye(2, device=d),
    lambda d: plait.rand(2, device=d),
    lambda d: plait.randn(2, device=d),
    lambda d: plait.randint(0, 3, (2,), device=d),
    lambda d: plait.randperm(3, device=d),
    lambda d: plait.zeros_like(plait.zeros(2), device=d),
    lambda d: plait.ones_like(plait.zeros(2), device=d),
    lambda d: plait.full_like(plait.zeros(2), 1.0, device=d),
    lambda d: plait.rand_like(plait.zeros(2), device=d),
    lambda d: plait.randn_like(plait.zeros(2), device=d),
    lambda d: plait.zeros(1).new_ones(2, device=d),
    lambda d: plait.zeros(1).new_tensor([1.0], device=d),
    lambda d: plait.as_tensor([1.0], device=d),
])
@pytest.mark.parametrize("device", ["cpu", plait.device("cpu"), "strict", plait.device("strict")])
def test_device_argument(make, device):
    t = make(device)
    assert t.device == plait.device(device)
    assert str(t.device) == str(device)
    assert t.device.type == plait.device(device).type
    assert t.is_cpu == (t.device.type == "cpu")
    to_np(t)  # readable on the host


def test_device_objects():
    d = plait.device("cpu")
    assert d.type == "cpu" and d.index is None and repr(d) == "device(type='cpu')" and str(d) == "cpu"
    d1 = plait.device("cuda:1")
    assert d1.type == "cuda" and d1.index == 1 and repr(d1) == "device(type='cuda', index=1)"
    assert plait.device("cuda", 0) == "cuda:0" and plait.device(0) == plait.device("cuda:0")
    assert plait.device(d) is d
    with pytest.raises(RuntimeError, match="Invalid device string"):
        plait.device("cuda:x")
    with pytest.raises(RuntimeError, match="Invalid device string"):
        plait.device("")


def test_as_tensor_and_asarray_share_with_numpy_where_possible():
    a = np.arange(3.0)
    t = plait.as_tensor(a)
    assert t.dtype is plait.float64 and t.tolist() == [0.0, 1.0, 2.0]
    same = plait.tensor([1.0])
    assert plait.as_tensor(same) is same
    assert plait.asarray([1, 2]).dtype is plait.int64
    assert plait.asarray(a, dtype=plait.float32).dtype is plait.float32
    if t._backend.shares_host_memory:
        a[0] = 9
        assert t[0].item() == 9.0


def test_bernoulli_and_multinomial():
    plait.manual_seed(1)
    b = plait.bernoulli(plait.full((100,), 0.5))
    vals = set(to_np(b).tolist())
    assert vals <= {0.0, 1.0} and len(vals) == 2
    probs = plait.tensor([0.0, 1.0, 0.0])
    assert plait.multinomial(probs, 3, replacement=True).tolist() == [1, 1, 1]
    m = plait.multinomial(plait.tensor([0.2, 0.3, 0.5]), 3)
    assert sorted(m.tolist()) == [0, 1, 2]


def test_generator_gives_its_own_reproducible_stream():
    g = plait.Generator().manual_seed(123)
    a = plait.randn(5, generator=g).tolist()
    b = plait.rand(3, generator=g).tolist()
    g.manual_seed(123)
    assert plait.randn(5, generator=g).tolist() == a
    assert plait.rand(3, generator=g).tolist() == b
    # drawing from a generator leaves the default stream where it was
    plait.manual_seed(0)
    first = plait.randn(4).tolist()
    plait.manual_seed(0)
    plait.randint(0, 10, (3,), generator=plait.Generator().manual_seed(1))
    plait.randperm(7, generator=plait.Generator().manual_seed(1))
    assert plait.randn(4).tolist() == first
    p1 = plait.randperm(10, generator=plait.Generator().manual_seed(9)).tolist()
    assert p1 == plait.randperm(10, generator=plait.Generator().manual_seed(9)).tolist()
    assert sorted(p1) == list(range(10))
    t = plait.empty(6)
    t.uniform_(generator=plait.Generator().manual_seed(2))
    u = plait.empty(6)
    u.uniform_(generator=plait.Generator().manual_seed(2))
    assert t.tolist() == u.tolist()


def test_finfo_iinfo():
    assert plait.finfo(plait.float32).eps == 2.0 ** -23
    assert plait.finfo().max == plait.finfo(plait.float32).max
    assert plait.iinfo(plait.int8).min == -128 and plait.iinfo(plait.uint8).max == 255
    assert plait.iinfo(plait.int64).max == 2 ** 63 - 1
    with pytest.raises(TypeError):
        plait.finfo(plait.int32)


def test_arrays_of_unsupported_dtypes_are_refused_clearly():
    np = pytest.importorskip("numpy")
    for make in (plait.as_tensor, plait.tensor, plait.from_numpy):
        with pytest.raises(TypeError, match="can't convert an array of dtype .*uint16.* supported dtypes are: bool"):
            make(np.zeros(3, dtype=np.uint16))


def test_out_argument_of_zeros_ones_empty_writes_into_the_given_tensor():
    out = plait.full((2, 3), 7.0)
    assert plait.zeros(2, 3, out=out) is out and out.tolist() == [[0.0] * 3] * 2
    assert plait.ones(size=(2, 3), out=out) is out and out.tolist() == [[1.0] * 3] * 2
    assert plait.empty(2, 3, out=out) is out
    with pytest.raises(RuntimeError, match=r"zeros\(\): out= must be a tensor of the result's shape \[3\]"):
        plait.zeros(3, out=plait.ones(2))
