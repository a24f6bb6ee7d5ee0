"""Tensor-API pieces real PyTorch programs use (found by porting pytorch/examples): ``range``/list indices,
``size=`` on creation functions, shape-changing in-place ops, ``Tensor.multinomial``. Expected values and
messages are torch 2.13's."""
import pytest

import plait
from core_helpers import assert_close


# ---------------------------------------------------------------- range / list indices
def test_setitem_with_range_and_tensor_index():
    # mnist_forward_forward: x_[range(x.shape[0]), y] = x.max()
    x = plait.zeros(3, 4)
    x[range(3), plait.tensor([1, 0, 3])] = 5.0
    assert x.tolist() == [[0.0, 5.0, 0.0, 0.0], [5.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 5.0]]


def test_getitem_with_range_and_lists():
    z = plait.arange(12.0).view(3, 4)
    assert z[range(3), [0, 1, 2]].tolist() == [0.0, 5.0, 10.0]
    assert z[[0, 2], [1, 3]].tolist() == [1.0, 11.0]
    assert z[:, range(1, 3)].tolist() == [[1.0, 2.0], [5.0, 6.0], [9.0, 10.0]]
    assert z[range(0, 3, 2)].tolist() == [[0.0, 1.0, 2.0, 3.0], [8.0, 9.0, 10.0, 11.0]]
    assert z[range(-1, -3, -1), 0].tolist() == [8.0, 4.0]


def test_empty_range_and_list_index_nothing():
    z = plait.arange(12.0).view(3, 4)
    assert z[range(0)].shape == (0, 4)
    assert z[[]].shape == (0, 4)
    assert z[:, range(0)].shape == (3, 0)


def test_range_index_out_of_bounds():
    with pytest.raises(IndexError, match="index 3 is out of bounds for dimension 0 with size 3"):
        plait.zeros(3)[range(4)]


def test_range_index_gradient_accumulates():
    x = plait.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 2]].sum().backward()
    assert x.grad.tolist() == [2.0, 0.0, 1.0]


# ---------------------------------------------------------------- size= keyword
@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
def test_size_keyword(name):
    fn = getattr(plait, name)
    assert fn(size=(2, 3)).shape == (2, 3)
    assert fn(size=[4]).shape == (4,)
    assert fn(size=plait.Size([1, 2]), dtype=plait.float64).dtype is plait.float64
    assert fn(size=()).shape == ()


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
def test_size_keyword_errors(name):
    fn = getattr(plait, name)
    with pytest.raises(TypeError, match=rf"^{name}\(\) got multiple values for argument 'size'$"):
        fn(2, size=(3,))
    with pytest.raises(TypeError, match=rf"^{name}\(\): argument 'size' must be tuple of ints, not int$"):
        fn(size=2)
    with pytest.raises(TypeError, match=rf'^{name}\(\) missing 1 required positional arguments: "size"$'):
        fn()


def test_size_keyword_values_and_other_creators():
    assert plait.zeros(size=(2,)).tolist() == [0.0, 0.0]
    assert plait.ones(size=(2,), dtype=plait.int64).tolist() == [1, 1]
    assert plait.full(size=(2,), fill_value=1.5).tolist() == [1.5, 1.5]
    assert plait.randint(0, 5, size=(2, 3)).shape == (2, 3)
    assert plait.normal(0.0, 1.0, size=(2,)).shape == (2,)


@pytest.mark.parametrize("name", ["new_zeros", "new_ones", "new_empty"])
def test_new_size_keyword(name):
    base = plait.zeros(1, dtype=plait.float64)
    out = getattr(base, name)(size=(2, 3))
    assert out.shape == (2, 3) and out.dtype is plait.float64
    with pytest.raises(TypeError, match=rf"^{name}\(\) got multiple values for argument 'size'$"):
        getattr(base, name)(2, size=(3,))
    assert base.new_full(size=(2,), fill_value=3.0).tolist() == [3.0, 3.0]


# ---------------------------------------------------------------- shape-changing in-place ops
def test_unsqueeze_squeeze_inplace_metadata_and_version():
    b = plait.zeros(2, 3)
    v = b._version
    assert b.unsqueeze_(0) is b
    assert b.shape == (1, 2, 3) and b._version == v + 1
    b.squeeze_()
    assert b.shape == (2, 3)
    b.unsqueeze_(-1).squeeze_(2)
    assert b.shape == (2, 3)


def test_t_inplace_shares_memory_with_existing_views():
    x = plait.arange(6.0).view(2, 3)
    y = x.view(6)
    x.t_()
    assert x.shape == (3, 2) and not x.is_contiguous()
    y[0] = 100.0
    assert x.tolist() == [[100.0, 3.0], [1.0, 4.0], [2.0, 5.0]]
    x[0, 1] = -1.0
    assert y.tolist() == [100.0, 1.0, 2.0, -1.0, 4.0, 5.0]


def test_transpose_inplace_records_autograd():
    leaf = plait.ones(2, 3, requires_grad=True)
    c = leaf * 2
    c.t_()
    assert c.shape == (3, 2) and repr(c.grad_fn).startswith("<TBackward")
    c.transpose_(0, 1)
    assert repr(c.grad_fn).startswith("<TransposeBackward")
    (c * plait.arange(6.0).view(2, 3)).sum().backward()
    assert leaf.grad.tolist() == [[0.0, 2.0, 4.0], [6.0, 8.0, 10.0]]


def test_unsqueeze_inplace_gradcheck():
    def f(t):
        u = t * 1.0
        u.unsqueeze_(1)
        return u * plait.tensor([[1.0], [2.0]], dtype=plait.float64)
    x = plait.tensor([0.5, -1.5], dtype=plait.float64, requires_grad=True)
    assert plait.autograd.gradcheck(f, (x,))


def test_shape_inplace_errors():
    leaf = plait.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        leaf.unsqueeze_(0)
    with plait.no_grad():
        leaf.unsqueeze_(0)
    assert leaf.shape == (1, 2) and leaf.is_leaf and leaf.requires_grad
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-3, 2\], but got 5\)"):
        plait.zeros(2, 3).unsqueeze_(5)
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 5\)"):
        plait.zeros(2, 3).squeeze_(5)
    with pytest.raises(RuntimeError, match=r"^t_\(\) expects a tensor with <= 2 dimensions, but self is 3D$"):
        plait.zeros(2, 3, 4).t_()


# ---------------------------------------------------------------- multinomial
def test_multinomial_method_and_frequencies():
    plait.manual_seed(0)
    probs = plait.tensor([1.0, 2.0, 7.0], dtype=plait.float64)
    draws = probs.multinomial(4000, replacement=True)
    assert draws.shape == (4000,) and draws.dtype is plait.int64
    freq = plait.stack([(draws == k).sum() for k in range(3)]).double() / 4000
    assert_close(freq, [0.1, 0.2, 0.7], atol=0.03)
    no_repeat = probs.multinomial(3)
    assert sorted(no_repeat.tolist()) == [0, 1, 2]


def test_multinomial_zero_probability_categories_come_last():
    # torch: multinomial([1, 0, 0], 2) -> [0, 1]-like: the positive category first, then a zero one
    out = plait.multinomial(plait.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 2.0]]), 2)
    assert out[:, 0].tolist() == [0, 2]


@pytest.mark.parametrize("args, message", [
    ((plait.tensor([0.0, 0.0]), 1), r"invalid multinomial distribution \(sum of probabilities <= 0\)"),
    ((plait.tensor([1.0, float("nan")]), 1), "probability tensor contains either `inf`, `nan` or element < 0"),
    ((plait.tensor([1.0, float("inf")]), 1), "probability tensor contains either `inf`, `nan` or element < 0"),
    ((plait.tensor([1.0, -1.0]), 1), "probability tensor contains either `inf`, `nan` or element < 0"),
    ((plait.ones(2, 2, 2), 1), "prob_dist must be 1 or 2 dim"),
    ((plait.tensor(1.0), 1), "prob_dist must be 1 or 2 dim"),
    ((plait.ones(3), 4), r"cannot sample n_sample > prob_dist.size\(-1\) samples without replacement"),
    ((plait.tensor([1, 2]), 1), "multinomial only supports floating-point dtypes for input, got: Long"),
    ((plait.tensor([1.0, 2.0]), 0), "cannot sample n_sample <= 0 samples"),
])
def test_multinomial_errors(args, message):
    with pytest.raises(RuntimeError, match=message):
        plait.multinomial(*args)


# ---------------------------------------------------------------- tensor() from any Python sequence
def test_tensor_from_deque_and_range():
    import collections
    # reinforce.py: torch.tensor(deque_of_returns)
    assert plait.tensor(collections.deque([1.0, 2.0])).tolist() == [1.0, 2.0]
    t = plait.tensor(range(3))
    assert t.dtype is plait.int64 and t.tolist() == [0, 1, 2]
    assert plait.tensor([collections.deque([1, 2]), (3, 4)]).tolist() == [[1, 2], [3, 4]]
    assert plait.tensor([range(2), range(2)]).tolist() == [[0, 1], [0, 1]]
    assert plait.tensor(collections.deque([1, 2]), dtype=plait.float64).dtype is plait.float64
    with pytest.raises(TypeError, match="Could not infer dtype of set"):
        plait.tensor({1, 2})


# ---------------------------------------------------------------- index_put / index_copy
def test_index_put_values_and_accumulate():
    x = plait.zeros(4)
    assert plait.index_put(x, (plait.tensor([0, 2]),), plait.tensor(1.0)).tolist() == [1.0, 0.0, 1.0, 0.0]
    assert x.tolist() == [0.0] * 4  # the functional form leaves its input alone
    assert x.index_put((plait.tensor([0, 0]),), plait.tensor([1.0, 2.0]), accumulate=True).tolist() == \
        [3.0, 0.0, 0.0, 0.0]
    y = plait.zeros(2, 3)
    assert y.index_put_((plait.tensor([0, 1]), plait.tensor([2, 0])), plait.tensor([5.0, 6.0])) is y
    assert y.tolist() == [[0.0, 0.0, 5.0], [6.0, 0.0, 0.0]]
    assert plait.index_put(plait.zeros(2, 2), [plait.tensor([True, False])], plait.tensor(3.0)).tolist() == \
        [[3.0, 3.0], [0.0, 0.0]]


def test_index_put_gradients():
    # torch: grads of sum(out * [1, 2, 3])
    a = plait.zeros(3, requires_grad=True)
    v = plait.tensor([1.0, 2.0], requires_grad=True)
    (a.index_put((plait.tensor([0, 0]),), v, accumulate=True) * plait.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert a.grad.tolist() == [1.0, 2.0, 3.0] and v.grad.tolist() == [1.0, 1.0]
    a.grad = v.grad = None
    (a.index_put((plait.tensor([1, 2]),), v) * plait.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert a.grad.tolist() == [1.0, 0.0, 0.0] and v.grad.tolist() == [2.0, 3.0]

    def f(base, values):
        return base.index_put((plait.tensor([0, 2, 0]),), values, accumulate=True)
    base = plait.tensor([0.5, -1.0, 2.0], dtype=plait.float64, requires_grad=True)
    values = plait.tensor([1.0, 2.0, 3.0], dtype=plait.float64, requires_grad=True)
    assert plait.autograd.gradcheck(f, (base, values))


def test_index_put_errors():
    with pytest.raises(RuntimeError, match=r"^shape mismatch: value tensor of shape \[2\] cannot be broadcast to "
                                           r"indexing result of shape \[1\]$"):
        plait.zeros(4).index_put([plait.tensor([0])], plait.tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError, match=r"value tensor of shape \[2\] cannot be broadcast to indexing result"):
        x = plait.zeros(4)
        x[[0]] = plait.tensor([1.0, 2.0])
    with pytest.raises(TypeError, match=r"^index_put\(\): argument 'indices' \(position 1\) must be tuple of "
                                        r"Tensors, not Tensor$"):
        plait.zeros(4).index_put(plait.tensor([0]), plait.tensor([1.0]))


def test_index_copy_values_and_gradient():
    src = plait.tensor([[1.0, 2.0], [3.0, 4.0]])
    x = plait.zeros(3, 2)
    assert x.index_copy_(0, plait.tensor([2, 0]), src) is x
    assert x.tolist() == [[3.0, 4.0], [0.0, 0.0], [1.0, 2.0]]
    assert plait.zeros(2, 3).index_copy(1, plait.tensor([1]), plait.ones(2, 1)).tolist() == \
        [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]]
    assert plait.index_copy(plait.zeros(3), 0, plait.tensor([1]), plait.tensor([5.0])).tolist() == [0.0, 5.0, 0.0]
    v = plait.tensor([[1.0, 2.0]], requires_grad=True)
    (plait.zeros(3, 2).index_copy(0, plait.tensor([1]), v) * plait.arange(6.0).view(3, 2)).sum().backward()
    assert v.grad.tolist() == [[2.0, 3.0]]


@pytest.mark.parametrize("shape, dim, source, error, message", [
    ((3, 2), 0, (3, 2), IndexError, r"index_copy_\(\): Number of indices \(1\) should be equal to "
                                    r"source.size\(dim\) \(3\)"),
    ((2, 3), 1, (3, 1), RuntimeError, r"index_copy_\(\): Source/destination tensor must have same slice shapes. "
                                      r"Destination slice shape: 2 at dimension 1 and source slice shape: 3 at "
                                      r"dimension 0\."),
    ((2, 3, 4), 2, (2, 2, 1), RuntimeError, r"Destination slice shape: 2 3 at dimension 2 and source slice "
                                            r"shape: 2 2 at dimension 0\."),
])
def test_index_copy_shape_errors(shape, dim, source, error, message):
    with pytest.raises(error, match=message):
        plait.zeros(*shape).index_copy_(dim, plait.tensor([0]), plait.ones(*source))


def test_index_copy_index_errors():
    with pytest.raises(RuntimeError, match=r"^index_copy_\(\): Expected a long tensor for index, but got Float$"):
        plait.zeros(3, 2).index_copy_(0, plait.tensor([2.0]), plait.ones(1, 2))
    with pytest.raises(IndexError, match=r"^index_copy_\(\): Index should have dimension 1 or 0 \(got 2\)$"):
        plait.zeros(2, 3).index_copy_(0, plait.tensor([[0]]), plait.ones(1, 3))


# ---------------------------------------------------------------- Tensor.new, clamp_min / clamp_max
def test_legacy_new():
    x = plait.zeros(2, 3)
    assert x.new(2).shape == (2,) and x.new(2, 3).dtype is plait.float32
    assert x.new().shape == (0,) and x.new(plait.Size([2])).shape == (2,)
    assert x.new([1, 2]).tolist() == [1.0, 2.0]
    out = plait.zeros(2, dtype=plait.int64).new([1.5])
    assert out.dtype is plait.int64 and out.tolist() == [1]


def test_clamp_min_max_functions():
    assert plait.clamp_min(plait.tensor([1.0, 5.0]), 2).tolist() == [2.0, 5.0]
    assert plait.clamp_max(plait.tensor([1, 5]), 2).tolist() == [1, 2]


# ---------------------------------------------------------------- meshgrid
def test_meshgrid_ij_and_xy():
    a, b = plait.meshgrid(plait.arange(2), plait.arange(3), indexing="ij")
    assert a.tolist() == [[0, 0, 0], [1, 1, 1]] and b.tolist() == [[0, 1, 2], [0, 1, 2]]
    x, y = plait.meshgrid([plait.tensor([1, 2]), plait.tensor([3, 4, 5])], indexing="xy")
    assert x.shape == (3, 2) and x.tolist() == [[1, 2], [1, 2], [1, 2]] and y.tolist() == [[3, 3], [4, 4], [5, 5]]
    assert [t.shape for t in plait.meshgrid(plait.ones(2), plait.ones(3), plait.ones(4), indexing="xy")] == \
        [(3, 2, 4)] * 3
    assert [t.shape for t in plait.meshgrid(plait.tensor(1), plait.tensor([1, 2]), indexing="ij")] == [(1, 2)] * 2
    assert plait.meshgrid(plait.tensor([1.0]), indexing="xy")[0].tolist() == [1.0]


def test_meshgrid_default_warns_and_grads_sum_over_the_grid():
    u = plait.tensor([1.0, 2.0], requires_grad=True)
    v = plait.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.warns(UserWarning, match="it will be required to pass the indexing argument"):
        gu, gv = plait.meshgrid(u, v)
    (gu * gv).sum().backward()
    assert u.grad.tolist() == [6.0, 6.0] and v.grad.tolist() == [3.0, 3.0, 3.0]


def test_meshgrid_errors():
    with pytest.raises(RuntimeError, match="torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got"):
        plait.meshgrid(plait.ones(2, 2), indexing="ij")
    with pytest.raises(RuntimeError, match='indexing must be one of "xy" or "ij", but received: ab'):
        plait.meshgrid(plait.ones(2), indexing="ab")
    with pytest.raises(RuntimeError, match="^meshgrid expects all tensors to have the same dtype$"):
        plait.meshgrid(plait.ones(2), plait.ones(2, dtype=plait.int64), indexing="ij")
    with pytest.raises(RuntimeError, match="^meshgrid expects a non-empty TensorList$"):
        plait.meshgrid(indexing="ij")


# ---------------------------------------------------------------- diff, isin, searchsorted, bucketize, tri indices
def test_diff():
    T = plait.tensor
    assert plait.diff(T([1, 3, 6, 10])).tolist() == [2, 3, 4]
    assert plait.diff(T([1, 3, 6, 10]), n=2).tolist() == [1, 1]
    assert plait.diff(T([[1, 2], [4, 8]]), dim=0).tolist() == [[3, 6]]
    assert plait.diff(T([1.0, 3.0]), prepend=T([0.0]), append=T([10.0])).tolist() == [1.0, 2.0, 7.0]
    assert plait.diff(T([1, 2]), n=3).shape == (0,)
    assert plait.diff(T([True, False, False])).tolist() == [True, False]
    assert plait.diff(T([1, 2]), n=0).tolist() == [1, 2] and T([1, 3]).diff().tolist() == [2]
    x = T([1.0, 4.0, 9.0, 16.0], dtype=plait.float64, requires_grad=True)
    assert plait.autograd.gradcheck(lambda t: plait.diff(t, n=2), (x,))
    with pytest.raises(RuntimeError, match="^diff expects input to be at least one-dimensional$"):
        plait.diff(T(1))
    with pytest.raises(RuntimeError, match="^order must be non-negative but got -1$"):
        plait.diff(T([1, 2]), n=-1)


def test_isin():
    T = plait.tensor
    assert plait.isin(T([1, 2, 3]), T([2, 5])).tolist() == [False, True, False]
    assert plait.isin(T([[1, 2], [3, 4]]), T([4, 1]), invert=True).tolist() == [[False, True], [True, False]]
    assert plait.isin(T([1, 2]), 2).tolist() == [False, True]
    assert plait.isin(1, T([1, 2])).item() is True
    assert plait.isin(T([1.0, 2.0]), T([2])).tolist() == [False, True]


def test_searchsorted_and_bucketize():
    T = plait.tensor
    seq = T([1, 3, 5, 7])
    assert plait.searchsorted(seq, T([3, 6, 9])).tolist() == [1, 3, 4]
    assert plait.searchsorted(seq, T([3, 6, 9]), right=True).tolist() == [2, 3, 4]
    assert plait.searchsorted(seq, T([3]), side="right").tolist() == [2]
    assert plait.searchsorted(T([[1, 3, 5], [2, 4, 6]]), T([[3], [5]])).tolist() == [[1], [2]]
    assert plait.searchsorted(T([1, 3, 5]), 4).tolist() == 2
    assert plait.searchsorted(T([1, 3, 5]), T([3]), out_int32=True).dtype is plait.int32
    assert plait.searchsorted(T([5, 1, 3]), T([3]), sorter=T([1, 2, 0])).tolist() == [1]
    assert plait.bucketize(T([1, 5, 9]), seq).tolist() == [0, 2, 4]
    assert plait.bucketize(T([1, 5, 9]), seq, right=True).tolist() == [1, 3, 4]
    assert plait.bucketize(5, seq).tolist() == 2
    with pytest.raises(RuntimeError, match="side and right can't be set to opposites, got side of left while "
                                           "right was True"):
        plait.searchsorted(seq, T([3]), side="left", right=True)
    with pytest.raises(RuntimeError, match=r"first N-1 dimensions of boundaries tensor and input value tensor must "
                                           r"match, but we got boundaries tensor \[2, 2\] and input value tensor "
                                           r"\[1, 1\]"):
        plait.searchsorted(T([[1, 3], [1, 3]]), T([[3]]))
    with pytest.raises(RuntimeError, match=r"^boundaries tensor must be 1 dimension, but got dim\(2\)$"):
        plait.bucketize(T([1]), T([[1, 2]]))


def test_tril_triu_indices():
    assert plait.tril_indices(3, 3).tolist() == [[0, 1, 1, 2, 2, 2], [0, 0, 1, 0, 1, 2]]
    assert plait.tril_indices(3, 4, 1).tolist() == [[0, 0, 1, 1, 1, 2, 2, 2, 2], [0, 1, 0, 1, 2, 0, 1, 2, 3]]
    assert plait.triu_indices(3, 3, 1).tolist() == [[0, 0, 1], [1, 2, 2]]
    assert plait.triu_indices(4, 3, -1).tolist() == [[0, 0, 0, 1, 1, 1, 2, 2, 3], [0, 1, 2, 0, 1, 2, 1, 2, 2]]
    assert plait.tril_indices(0, 3).shape == (2, 0)
    assert plait.tril_indices(3, 3, dtype=plait.int32).dtype is plait.int32
    with pytest.raises(RuntimeError, match="^row must be non-negative, got-1$"):
        plait.tril_indices(-1, 3)


# ---------------------------------------------------------------- NumPy indices
def test_numpy_integer_scalars_index_like_ints():
    np = pytest.importorskip("numpy")
    x = plait.arange(6).view(2, 3)
    assert x[np.int64(1)].tolist() == [3, 4, 5] and x[np.array(1)].tolist() == [3, 4, 5]
    assert x[np.int64(1), np.int32(2)].item() == 5
    assert x[:, np.array([0, 2])].tolist() == [[0, 2], [3, 5]]
    x[np.int64(0), np.int64(1)] = 100
    assert x[0].tolist() == [0, 100, 2]


def test_numpy_indices_do_not_set_up_other_backends():
    # siamese_network indexes with NumPy ints per sample: that used to import torch (the plait-torch
    # backend was set up just to ask whether it owns the NumPy object)
    import os
    import subprocess
    import sys
    pytest.importorskip("plait_torch")
    pytest.importorskip("plait_numpy")
    env = {k: v for k, v in os.environ.items() if k not in ("PLAIT_BACKEND", "PLAIT_DEVICE")}
    code = ("import sys, numpy as np, plait; x = plait.arange(6).view(2, 3); x[np.int64(1)]; "
            "x[:, np.array([0, 2])]; plait.tensor(np.ones(2)); print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------- median
def test_median_values_indices_and_nan():
    nan = float("nan")
    assert plait.median(plait.tensor([3.0, 1.0, 2.0, 4.0])).item() == 2.0  # the lower median
    r = plait.median(plait.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]]), 1)
    assert r.values.tolist() == [2.0, 4.0] and r.indices.tolist() == [2, 2]
    assert repr(r).startswith("plait.return_types.median(")
    assert plait.median(plait.tensor([1.0, nan, 2.0])).isnan().item()
    r = plait.median(plait.tensor([[1.0, nan, 2.0], [nan, 1.0, nan]]), 1)
    assert r.values.isnan().all().item() and r.indices.tolist() == [1, 0]
    r = plait.tensor([[1, 5], [2, 3]]).median(0, keepdim=True)
    assert r.values.tolist() == [[1, 3]] and r.indices.tolist() == [[0, 1]]
    assert plait.median(plait.tensor(3.0)).item() == 3.0
    r = plait.median(plait.tensor(3.0), 0)
    assert r.values.item() == 3.0 and r.indices.item() == 0
    assert plait.median(plait.tensor([])).isnan().item()
    assert plait.median(plait.zeros(0, 2), 1).values.shape == (0,)
    with pytest.raises(IndexError, match=r"^median\(\): Expected reduction dim 1 to have non-zero size\.$"):
        plait.median(plait.zeros(2, 0), 1)


def test_median_gradient_goes_to_the_chosen_element():
    x = plait.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]], requires_grad=True)
    plait.median(x, 1).values.sum().backward()
    assert x.grad.tolist() == [[0.0, 0.0, 1.0], [0.0, 0.0, 1.0]]
    y = plait.tensor([3.0, 1.0, 2.0, 4.0], requires_grad=True)
    plait.median(y).backward()
    assert y.grad.tolist() == [0.0, 0.0, 1.0, 0.0]


# ---------------------------------------------------------------- cdist
_X1 = [[0.0, 0.0], [1.0, 2.0], [3.0, -1.0]]
_X2 = [[0.0, 0.0], [1.0, 1.0]]


@pytest.mark.parametrize("mode", ["use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
                                  "donot_use_mm_for_euclid_dist"])
def test_cdist_euclidean_values_and_gradients(mode):
    a = plait.tensor(_X1, dtype=plait.float64, requires_grad=True)
    b = plait.tensor(_X2, dtype=plait.float64, requires_grad=True)
    d = plait.cdist(a, b, compute_mode=mode)
    assert_close(d, [[0.0, 1.4142135623730951], [2.23606797749979, 1.0], [3.1622776601683795, 2.8284271247461903]],
                 atol=1e-10)
    (d * plait.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=plait.float64)).sum().backward()
    # torch's numbers: a zero distance contributes no gradient
    assert_close(a.grad, [[-1.414213562373095, -1.414213562373095], [1.3416407864998738, 6.683281572999748],
                          [8.986057177371855, -5.823779517203475]], atol=1e-10)
    assert_close(b.grad, [[-6.085057276752443, -1.1021427429155581], [-2.82842712474619, 1.6568542494923797]],
                 atol=1e-10)


def test_cdist_other_norms_and_batches():
    a, b = plait.tensor(_X1, dtype=plait.float64), plait.tensor(_X2, dtype=plait.float64)
    assert plait.cdist(a, b, p=1).tolist() == [[0.0, 2.0], [3.0, 1.0], [4.0, 4.0]]
    assert plait.cdist(a, b, p=float("inf")).tolist() == [[0.0, 1.0], [2.0, 1.0], [3.0, 2.0]]
    assert plait.cdist(a, b, p=0).tolist() == [[0.0, 2.0], [2.0, 1.0], [2.0, 2.0]]
    assert_close(plait.cdist(a, b, p=3), [[0.0, 1.2599210498948732], [2.080083823051904, 1.0],
                                          [3.0365889718756622, 2.5198420997897464]], atol=1e-10)
    assert plait.cdist(plait.ones(2, 3, 2), plait.zeros(1, 4, 2)).shape == (2, 3, 4)
    big = plait.cdist(plait.ones(30, 2, dtype=plait.float64), plait.zeros(2, 2, dtype=plait.float64))
    assert_close(big, [[2 ** 0.5] * 2] * 30, atol=1e-12)  # the matrix-product path (more than 25 rows)


def test_cdist_gradcheck():
    a = plait.tensor([[0.3, -1.0], [1.0, 2.0]], dtype=plait.float64, requires_grad=True)
    b = plait.tensor([[0.5, 0.2], [1.0, 1.5], [-2.0, 0.0]], dtype=plait.float64, requires_grad=True)
    for p in (1.0, 2.0, 3.0):
        assert plait.autograd.gradcheck(lambda u, v: plait.cdist(u, v, p=p), (a, b))


@pytest.mark.parametrize("args, kwargs, error, message", [
    ((plait.ones(3), plait.ones(3)), {}, RuntimeError, "^cdist only supports at least 2D tensors, X1 got: 1D$"),
    ((plait.ones(2, 3), plait.ones(2, 4)), {}, RuntimeError,
     "^X1 and X2 must have the same number of columns. X1: 3 X2: 4$"),
    ((plait.ones(2, 3), plait.ones(2, 3)), {"p": -1}, RuntimeError, "^cdist only supports non-negative p values$"),
    ((plait.ones(2, 3, dtype=plait.int64), plait.ones(2, 3, dtype=plait.int64)), {}, RuntimeError,
     "^cdist only supports floating-point dtypes, X1 got: Long$"),
    ((plait.ones(2, 3), plait.ones(2, 3)), {"compute_mode": "abc"}, ValueError,
     "^abc is not a valid value for compute_mode$"),
    ((plait.ones(2, 3), plait.ones(2, 3, dtype=plait.float64)), {}, RuntimeError,
     "^expected scalar type Float but found Double$"),
])
def test_cdist_errors(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        plait.cdist(*args, **kwargs)


# ---------------------------------------------------------------- bit shifts
def test_shift_operators_and_functions():
    T = plait.tensor
    assert (T([4]) >> 1).tolist() == [2] and (T([4]) << 1).tolist() == [8]
    assert (1 << T([2])).tolist() == [4] and (2 >> T([1])).tolist() == [1]
    assert plait.bitwise_right_shift(T([8]), T([1, 2])).tolist() == [4, 2]
    assert T([4]).bitwise_left_shift(1).tolist() == [8]
    assert (T([True]) << 1).tolist() == [2]
    out = T([1], dtype=plait.uint8) << 9
    assert out.dtype is plait.uint8 and out.tolist() == [0]
    assert (T([-8]) >> 1).tolist() == [-4]
    x = T([1, 2])
    v = x._version
    x <<= 2
    assert x.tolist() == [4, 8] and x._version == v + 1
    x >>= 1
    assert x.tolist() == [2, 4]


def test_shift_errors():
    T = plait.tensor
    with pytest.raises(NotImplementedError, match="^\"rshift_cpu\" not implemented for 'Float'$"):
        T([4.0]) >> 1
    with pytest.raises(NotImplementedError, match="^\"rshift_cpu\" not implemented for 'Float'$"):
        T([4]) >> 1.5
    with pytest.raises(NotImplementedError, match="^\"lshift_cpu\" not implemented for 'Float'$"):
        T([4]) << T([1.0])
    with pytest.raises(NotImplementedError, match="^\"lshift_cpu\" not implemented for 'Bool'$"):
        T([True]) << T([True])


# ---------------------------------------------------------------- RNG state
def test_get_set_rng_state_replays_draws():
    plait.manual_seed(0)
    state = plait.get_rng_state()
    first = plait.rand(3)
    plait.set_rng_state(state)
    assert plait.equal(plait.rand(3), first)
    plait.set_rng_state(state)  # a state can be restored more than once
    assert plait.equal(plait.rand(3), first)
    assert plait.random.get_rng_state is plait.get_rng_state


def test_set_rng_state_rejects_foreign_objects():
    with pytest.raises(TypeError, match=r"RNG state \(from plait.get_rng_state\(\)\), but got list"):
        plait.set_rng_state([1, 2])


def test_fork_rng_restores_the_streams():
    plait.random.manual_seed(1)
    expected = plait.rand(2)
    plait.random.manual_seed(1)
    with plait.random.fork_rng():
        plait.rand(5)
    assert plait.equal(plait.rand(2), expected)
    plait.random.manual_seed(1)
    with plait.random.fork_rng(devices=[]):
        plait.randn(4)
    assert plait.equal(plait.rand(2), expected)
    plait.random.manual_seed(1)
    with plait.random.fork_rng(enabled=False):
        plait.rand(5)
    assert not plait.equal(plait.rand(2), expected)
    assert plait.random.initial_seed() == 1
