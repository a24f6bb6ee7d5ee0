"""Sparse COO tensors: construction, coalesce, conversion, products, reductions, softmax, gradients, printing.

Expected numbers were produced by torch 2.13 on the same inputs (torch prints ``torch.`` where plait prints
``plait.``)."""
import copy
import pickle

import pytest

import plait
from plait.autograd import gradcheck, gradgradcheck

F64 = plait.float64


def idx():
    return plait.tensor([[0, 1, 1, 0], [2, 0, 2, 2]])


def uncoalesced(dtype=plait.float32, **kw):
    """Entries (0,2)=3, (1,0)=4, (1,2)=5, (0,2)=1: a duplicate at (0,2)."""
    return plait.sparse_coo_tensor(idx(), plait.tensor([3., 4., 5., 1.], dtype=dtype), (2, 3), **kw)


def close(a, b, atol=1e-6):
    b = plait.tensor(b, dtype=a.dtype) if not isinstance(b, plait.Tensor) else b
    assert a.shape == b.shape, (a.shape, b.shape)
    assert plait.allclose(a, b, atol=atol, rtol=0), (a, b)


# ---------------------------------------------------------------- construction and metadata
def test_metadata():
    s = uncoalesced()
    assert isinstance(s, plait.Tensor)
    assert s.is_sparse and not plait.zeros(2).is_sparse
    assert s.layout is plait.sparse_coo and plait.zeros(2).layout is plait.strided
    assert repr(plait.sparse_coo) == "plait.sparse_coo" and repr(plait.strided) == "plait.strided"
    assert s.shape == plait.Size([2, 3]) and s.size() == (2, 3) and s.size(1) == 3 and s.size(-2) == 2
    assert s.dim() == s.ndim == 2 and s.numel() == 6 and len(s) == 2
    assert s.sparse_dim() == 2 and s.dense_dim() == 0 and s._nnz() == 4
    assert s.dtype is plait.float32 and s.device == plait.device("cpu")
    assert not s.is_coalesced() and not s.requires_grad and s.grad_fn is None and s.is_leaf
    close(s._indices(), [[0, 1, 1, 0], [2, 0, 2, 2]])
    close(s._values(), [3., 4., 5., 1.])


def test_size_inferred_and_lists():
    s = plait.sparse_coo_tensor(idx(), plait.tensor([3., 4., 5., 1.]))
    assert s.shape == (2, 3)
    s = plait.sparse_coo_tensor([[0, 1], [1, 0]], [1., 2.], [2, 2])
    assert s.shape == (2, 2) and s._indices().dtype is plait.int64
    hybrid = plait.sparse_coo_tensor(plait.tensor([[0, 1]]), plait.tensor([[1., 2.], [3., 4.]]))
    assert hybrid.shape == (2, 2) and hybrid.sparse_dim() == 1 and hybrid.dense_dim() == 1


def test_dtype_requires_grad_is_coalesced():
    s = uncoalesced(dtype=F64)
    assert plait.sparse_coo_tensor(idx(), plait.tensor([3., 4., 5., 1.]), (2, 3), dtype=F64).dtype is F64
    leaf = uncoalesced(dtype=F64, requires_grad=True)
    assert leaf.requires_grad and leaf.is_leaf
    assert plait.sparse_coo_tensor([[0, 1], [1, 0]], [1., 2.], (2, 2), is_coalesced=True).is_coalesced()
    assert plait.sparse_coo_tensor([[0], [1]], [1.], (2, 2)).is_coalesced()  # one entry: coalesced, as torch
    assert not s.is_coalesced()


def test_values_requiring_grad_make_a_non_leaf():
    v = plait.tensor([1., 2.], requires_grad=True)
    s = plait.sparse_coo_tensor([[0, 1], [1, 0]], v, (2, 2))
    assert not s.is_leaf and s.grad_fn.name() == "SparseCooTensorWithDimsAndTensorsBackward0"
    plait.spmm(s, plait.ones(2, 2)).sum().backward()
    close(v.grad, [2., 2.])


def test_constructor_errors():
    v = plait.tensor([3., 4., 5., 1.])
    with pytest.raises(RuntimeError, match=r"indices must be sparse_dim x nnz, but got: \[2\]"):
        plait.sparse_coo_tensor(plait.tensor([0, 1]), v, (2, 3))
    with pytest.raises(RuntimeError, match="indices and values must have same nnz, but got nnz from indices: 4, "
                                           "nnz from values: 3"):
        plait.sparse_coo_tensor(idx(), v[:3], (2, 3))
    with pytest.raises(RuntimeError, match=r"'len\(size\) == sparse_dim \+ dense_dim' is not satisfied: "
                                           r"len\(size\) = 1, sparse_dim = 2, dense_dim = 0"):
        plait.sparse_coo_tensor(idx(), v, (2,))
    with pytest.raises(RuntimeError, match=r"values has incorrect size, expected \[2, 2\], got \[2, 3\]"):
        plait.sparse_coo_tensor(plait.tensor([[0, 1]]), plait.ones(2, 3), (2, 2))
    with pytest.raises(RuntimeError, match="found negative index -1 for dim 0"):
        plait.sparse_coo_tensor(plait.tensor([[0, -1, 1, 0], [2, 0, 2, 2]]), v, (2, 3), check_invariants=True)
    with pytest.raises(RuntimeError, match="size is inconsistent with indices: for dim 1, size is 3 but found "
                                           "index 5"):
        plait.sparse_coo_tensor(plait.tensor([[0, 1, 1, 0], [2, 0, 2, 5]]), v, (2, 3))
    with pytest.raises(RuntimeError, match="Only Tensors of floating point and complex dtype can require gradients"):
        plait.sparse_coo_tensor(idx(), plait.tensor([3, 4, 5, 1]), (2, 3), requires_grad=True)
    # check_invariants=False skips the bound checks (torch's default), the shape checks stay
    unchecked = plait.sparse_coo_tensor(plait.tensor([[0, 1, 1, 0], [2, 0, 2, 5]]), v, (2, 3),
                                        check_invariants=False)
    assert unchecked.shape == (2, 3)


# ---------------------------------------------------------------- coalesce and conversion
def test_coalesce_sums_duplicates():
    s = uncoalesced()
    with pytest.raises(RuntimeError, match=r"Cannot get indices on an uncoalesced tensor, please call "
                                           r"\.coalesce\(\) first"):
        s.indices()
    with pytest.raises(RuntimeError, match=r"Cannot get values on an uncoalesced tensor"):
        s.values()
    c = s.coalesce()
    assert c.is_coalesced() and c.coalesce() is c and c._nnz() == 3
    close(c.indices(), [[0, 1, 1], [2, 0, 2]])
    close(c.values(), [4., 4., 5.])


def test_coalesce_is_differentiable():
    v = plait.tensor([0.5, -1.0, 2.0, 1.5], dtype=F64, requires_grad=True)
    assert gradcheck(lambda x: plait.sparse_coo_tensor(idx(), x, (2, 3)).coalesce()._values(), (v,))
    c = plait.sparse_coo_tensor(idx(), v, (2, 3)).coalesce()
    assert c.grad_fn.name() == "CoalesceBackward0"
    close(c.values(), [2., -1., 2.])


def test_to_dense():
    close(uncoalesced().to_dense(), [[0., 0., 4.], [4., 0., 5.]])
    hybrid = plait.sparse_coo_tensor(plait.tensor([[0, 1]]), plait.tensor([[1., 2.], [3., 4.]]), (3, 2))
    close(hybrid.to_dense(), [[1., 2.], [3., 4.], [0., 0.]])
    assert uncoalesced().to_dense(F64).dtype is F64
    d = plait.ones(2)
    assert d.to_dense() is d
    leaf = uncoalesced(dtype=F64, requires_grad=True)
    dense = leaf.to_dense()
    assert dense.grad_fn.name() == "ToDenseBackward0"
    (dense * plait.arange(6., dtype=F64).reshape(2, 3)).sum().backward()
    assert leaf.grad.is_sparse
    close(leaf.grad._values(), [2., 3., 5., 2.])  # each stored value's gradient, under the leaf's indices
    v = plait.tensor([0.5, -1.0, 2.0, 1.5], dtype=F64, requires_grad=True)
    assert gradcheck(lambda x: plait.sparse_coo_tensor(idx(), x, (2, 3)).to_dense(), (v,))


def test_to_sparse():
    d = plait.tensor([[0., 1.5, 0.], [2., 0., -1.]])
    s = d.to_sparse()
    assert s.is_coalesced() and s.shape == (2, 3)
    close(s.indices(), [[0, 1, 1], [1, 0, 2]])
    close(s.values(), [1.5, 2., -1.])
    s1 = d.to_sparse(1)
    assert s1.sparse_dim() == 1 and s1.dense_dim() == 1
    close(s1.indices(), [[0, 1]])
    close(s1.values(), [[0., 1.5, 0.], [2., 0., -1.]])
    assert d.to_sparse(dense_dim=1).sparse_dim() == 1
    empty = plait.zeros(2, 3).to_sparse()
    assert empty._nnz() == 0 and empty._indices().shape == (2, 0)
    with pytest.raises(RuntimeError, match=r"dense_to_sparse: sparse_dim argument must be in \[0,2\] range, but 3 "
                                           "is given"):
        d.to_sparse(3)
    with pytest.raises(RuntimeError, match="conversion from Sparse to Sparse with sparse_dim argument "
                                           r"!=self.sparse_dim\(\) is not supported"):
        s.to_sparse(1)
    assert s.to_sparse() is s and s.to_sparse_coo() is s


def test_round_trips():
    plait.manual_seed(0)
    d = plait.randn(4, 5, 3, dtype=F64) * (plait.rand(4, 5, 3, dtype=F64) > 0.6)
    for k in (0, 1, 2, 3):
        assert plait.equal(d.to_sparse(k).to_dense(), d)
    assert plait.equal(uncoalesced().coalesce().to_dense(), uncoalesced().to_dense())
    assert plait.equal(uncoalesced().to_dense().to_sparse().to_dense(), uncoalesced().to_dense())


def test_to_sparse_is_differentiable():
    x = plait.tensor([[0., 1.5, 0.], [2., 0., -1.]], requires_grad=True)
    y = x.to_sparse()
    assert y.grad_fn.name() == "ToSparseBackward1"
    (y.to_dense() * plait.arange(6.).reshape(2, 3)).sum().backward()
    close(x.grad, [[0., 1., 0.], [3., 0., 5.]])


# ---------------------------------------------------------------- shape and arithmetic
def test_transpose_and_t():
    s = uncoalesced()
    st = s.t()
    assert st.shape == (3, 2) and not st.is_coalesced() and not s.coalesce().t().is_coalesced()
    close(st._indices(), [[2, 0, 2, 2], [0, 1, 1, 0]])
    close(st.to_dense(), s.to_dense().t())
    three = plait.zeros(2, 2, 2).to_sparse()
    with pytest.raises(RuntimeError, match="t\\(\\) expects a tensor with <= 2 sparse and 0 dense dimensions, but "
                                           "got 3 sparse and 0 dense dimensions"):
        three.t()


def test_scalar_mul_div_neg_and_sparse_add():
    c = uncoalesced().coalesce()
    for out, expected in ((c * 2, [8., 8., 10.]), (2 * c, [8., 8., 10.]), (c / 2, [2., 2., 2.5]),
                          (-c, [-4., -4., -5.]), (c.mul(plait.tensor(3.)), [12., 12., 15.])):
        assert out.is_coalesced()
        close(out.values(), expected)
    both = c + c
    assert both.is_coalesced()
    close(both.values(), [8., 8., 10.])
    mixed = uncoalesced() + c
    assert not mixed.is_coalesced()
    close(mixed.to_dense(), [[0., 0., 8.], [8., 0., 10.]])
    close((uncoalesced() - c).coalesce().values(), [0., 0., 0.])
    close(c.add(c, alpha=2).values(), [12., 12., 15.])
    with pytest.raises(RuntimeError, match=r"add\(sparse, dense\) is not supported. Use add\(dense, sparse\) "
                                           "instead."):
        c + plait.ones(2, 3)
    with pytest.raises(RuntimeError, match=r"add: expected sizes of 'self' and 'other' to match, but \[2, 3\] != "
                                           r"\[2\]"):
        c + plait.sparse_coo_tensor(plait.tensor([[0, 1]]), plait.ones(2), (2,))


def test_to_device_and_dtype():
    s = uncoalesced()
    assert s.to(F64).dtype is F64 and s.double().dtype is F64
    assert s.to("cpu") is s and s.cpu() is s
    close(s.to(F64).to_dense(), s.to_dense().to(F64))


def test_dense_ops_raise():
    s = uncoalesced()
    with pytest.raises(NotImplementedError, match="Could not run this operation with arguments from the "
                                                  "'SparseCPU' backend"):
        plait.exp(s)
    with pytest.raises(NotImplementedError, match="needs a dense \\(strided\\) tensor"):
        s.view(6)
    with pytest.raises(NotImplementedError, match="SparseCPU"):
        plait.add(plait.ones(2, 3), s)  # the operator form works: below
    close(plait.ones(2, 3) + s, [[1., 1., 5.], [5., 1., 6.]])
    with pytest.raises(NotImplementedError, match="multiply by a scalar"):
        s * plait.ones(2, 3)
    with pytest.raises(TypeError, match=r"can't convert Sparse layout tensor to numpy. Use Tensor.to_dense\(\) "
                                        "first."):
        s.numpy()
    with pytest.raises(RuntimeError, match="nbytes is not defined for sparse tensors"):
        s.nbytes
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value is ambiguous"):
        bool(s)
    assert not s.is_contiguous() and s.type() == "plait.sparse.FloatTensor"
    assert plait.equal(s.T.to_dense(), s.to_dense().t())


# ---------------------------------------------------------------- products
D_ROWS = [[1., 2.], [0.5, -1.], [3., 0.25]]
V = [0.5, -1.0, 2.0, 1.5]


def test_spmm_values_and_gradients_against_torch():
    v = plait.tensor(V, dtype=F64, requires_grad=True)
    d = plait.tensor(D_ROWS, dtype=F64, requires_grad=True)
    out = plait.sparse.mm(plait.sparse_coo_tensor(idx(), v, (2, 3)), d)
    assert out.grad_fn.name() == "SparseAddmmBackward0"
    close(out, [[6., 0.5], [5., -1.5]], 1e-12)
    (out * plait.tensor([[1., -2.], [0.5, 3.]], dtype=F64)).sum().backward()
    close(v.grad, [2.5, 6.5, 2.25, 2.5], 1e-12)
    close(d.grad, [[-0.5, -3.], [0., 0.], [3., 2.]], 1e-12)


def test_spmm_gradcheck():
    v = plait.tensor(V, dtype=F64, requires_grad=True)
    d = plait.tensor(D_ROWS, dtype=F64, requires_grad=True)

    def f(values, dense):
        return plait.spmm(plait.sparse_coo_tensor(idx(), values, (2, 3)), dense)
    assert gradcheck(f, (v, d))
    assert gradgradcheck(f, (v, d))
    vec = plait.tensor([1., -2., 0.5], dtype=F64, requires_grad=True)
    assert gradcheck(lambda values, x: plait.sparse_coo_tensor(idx(), values, (2, 3)) @ x, (v, vec))


def test_sparse_leaf_gradient_is_sparse():
    # torch.sparse.mm's gradient of a coalesced sparse leaf: a sparse tensor with the same indices
    leaf = uncoalesced(dtype=F64).coalesce().detach().requires_grad_()
    plait.sparse.mm(leaf, plait.tensor(D_ROWS, dtype=F64)).sum().backward()
    g = leaf.grad
    assert g.is_sparse and g.is_coalesced()
    close(g.indices(), [[0, 1, 1], [2, 0, 2]])
    close(g.values(), [3.25, 3., 3.25], 1e-12)
    leaf.grad = None
    assert leaf.grad is None


def test_mm_matmul_operator_dispatch():
    c = uncoalesced().coalesce()
    d = plait.ones(3, 2)
    for out in (c @ d, plait.mm(c, d), plait.matmul(c, d), c.mm(d), c.matmul(d), plait.spmm(c, d)):
        close(out, [[4., 4.], [9., 9.]])
    close(plait.matmul(c, plait.ones(3)), [4., 9.])
    close(plait.spmm(plait.ones(2, 3), d), [[3., 3.], [3., 3.]])  # a dense left operand: a dense product
    close(plait.sparse.addmm(plait.ones(2, 2), c, d, beta=0.5, alpha=2), [[8.5, 8.5], [18.5, 18.5]])
    close(plait.addmm(plait.ones(2, 2), c, d, beta=0.5, alpha=2), [[8.5, 8.5], [18.5, 18.5]])


def test_product_errors():
    c = uncoalesced().coalesce()
    hybrid = plait.sparse_coo_tensor(plait.tensor([[0, 1]]), plait.tensor([[1., 2.], [3., 4.]]), (3, 2))
    with pytest.raises(RuntimeError, match="addmm: matrices expected, got 1D tensor"):
        plait.mm(hybrid, plait.ones(2, 2))
    with pytest.raises(RuntimeError, match=r"addmm: Argument #3 \(dense\): Expected dim 0 size 3, got 2"):
        plait.mm(c, plait.ones(2, 2))
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 2x3\)"):
        c @ c
    with pytest.raises(RuntimeError, match=r"Expected mat2_.dim\(\) == 2 to be true, but got false."):
        plait.sparse.mm(c, plait.sparse_coo_tensor([[0, 1]], [2., -1.], (2,)))
    with pytest.raises(RuntimeError, match="reduce= is supported for sparse CSR tensors only"):
        plait.sparse.mm(c, plait.ones(3, 2), "sum")


# ---------------------------------------------------------------- sum and softmax
def test_sparse_sum():
    c = uncoalesced().coalesce()
    close(plait.sparse.sum(c), 13.)
    close(plait.sparse.sum(c, (0, 1)), 13.)
    rows = plait.sparse.sum(c, 1)
    assert rows.is_sparse and rows.is_coalesced() and rows.shape == (2,)
    close(rows.indices(), [[0, 1]])
    close(rows.values(), [4., 9.])
    cols = plait.sparse.sum(uncoalesced(), 0)
    close(cols.indices(), [[0, 2]])
    close(cols.values(), [4., 9.])
    hybrid = plait.sparse_coo_tensor(plait.tensor([[0, 1]]), plait.tensor([[1., 2.], [3., 4.]]), (3, 2))
    close(plait.sparse.sum(hybrid, 0), [4., 6.])
    assert plait.sparse.sum(c, dtype=F64).dtype is F64
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got "
                                         r"2\)"):
        plait.sparse.sum(c, 2)
    v = plait.tensor(V, dtype=F64, requires_grad=True)
    assert gradcheck(lambda x: plait.sparse.sum(plait.sparse_coo_tensor(idx(), x, (2, 3)), 0)._values(), (v,))


def test_sparse_softmax_against_torch():
    c = uncoalesced().coalesce()
    out = plait.sparse.softmax(c, 1)
    assert out.is_sparse and out.is_coalesced()
    close(out.indices(), [[0, 1, 1], [2, 0, 2]])
    close(out.values(), [1.0, 0.2689414213699951, 0.7310585786300049])
    close(plait.sparse.softmax(uncoalesced(), 0).values(), [0.2689414213699951, 1.0, 0.7310585786300049])
    close(plait.sparse.log_softmax(c, 1).values(), [0.0, -1.3132616875182228, -0.31326168751822286])
    close(c.softmax(-1).values(), [1.0, 0.2689414213699951, 0.7310585786300049])
    hybrid = plait.sparse_coo_tensor(plait.tensor([[0, 1]]), plait.tensor([[1., 2.], [3., 4.]]), (3, 2))
    close(plait.sparse.softmax(hybrid, 0).values(), [[0.11920292202211755, 0.11920292202211755],
                                                     [0.8807970779778823, 0.8807970779778823]])
    close(plait.sparse.softmax(hybrid, 1).values(), plait.tensor([[1., 2.], [3., 4.]]).softmax(1))


def test_sparse_softmax_is_stable_and_differentiable():
    big = plait.sparse_coo_tensor([[0, 0, 1], [0, 1, 1]], [1000., 1001., -1000.], (2, 2))
    close(plait.sparse.softmax(big, 1).values(), [0.2689414213699951, 0.7310585786300049, 1.0])
    close(plait.sparse.log_softmax(big, 1).values(), [-1.3132616875182228, -0.31326168751822286, 0.0])
    v = plait.tensor(V, dtype=F64, requires_grad=True)
    for fn in (plait.sparse.softmax, plait.sparse.log_softmax):
        for dim in (0, 1):
            assert gradcheck(lambda x: fn(plait.sparse_coo_tensor(idx(), x, (2, 3)), dim)._values(), (v,))


# ---------------------------------------------------------------- printing and copying
def test_printing():
    assert repr(uncoalesced()) == (
        "tensor(indices=tensor([[0, 1, 1, 0],\n"
        "                       [2, 0, 2, 2]]),\n"
        "       values=tensor([3., 4., 5., 1.]),\n"
        "       size=(2, 3), nnz=4, layout=plait.sparse_coo)")
    assert repr(uncoalesced(dtype=F64, requires_grad=True)) == (
        "tensor(indices=tensor([[0, 1, 1, 0],\n"
        "                       [2, 0, 2, 2]]),\n"
        "       values=tensor([3., 4., 5., 1.]),\n"
        "       size=(2, 3), nnz=4, dtype=plait.float64, layout=plait.sparse_coo,\n"
        "       requires_grad=True)")
    assert repr(plait.tensor([[0., 1.5, 0.], [2., 0., -1.]]).to_sparse(1)) == (
        "tensor(indices=tensor([[0, 1]]),\n"
        "       values=tensor([[ 0.0000,  1.5000,  0.0000],\n"
        "                      [ 2.0000,  0.0000, -1.0000]]),\n"
        "       size=(2, 3), nnz=2, layout=plait.sparse_coo)")
    assert f"{uncoalesced()}" == repr(uncoalesced()) == str(uncoalesced())
    assert repr(plait.zeros(2, 3).to_sparse()) == (
        "tensor(indices=tensor([], size=(2, 0)),\n"
        "       values=tensor([], size=(0,)),\n"
        "       size=(2, 3), nnz=0, layout=plait.sparse_coo)")


def test_copy_and_pickle():
    s = uncoalesced(dtype=F64, requires_grad=True)
    for other in (copy.deepcopy(s), pickle.loads(pickle.dumps(s))):
        assert other.is_sparse and other.requires_grad and not other.is_coalesced()
        assert plait.equal(other.to_dense(), s.to_dense().detach())
    assert not s.detach().requires_grad


# ---------------------------------------------------------------- a graph network
def _normalized_adjacency(edges, n):
    """D^-1/2 (A + I) D^-1/2 of an undirected graph, as dense and as sparse COO (both float64)."""
    a = plait.eye(n, dtype=F64)
    for i, j in edges:
        a[i, j] = 1.
        a[j, i] = 1.
    scale = a.sum(1).rsqrt()
    dense = scale.unsqueeze(1) * a * scale.unsqueeze(0)
    return dense, dense.to_sparse()


def _train_gcn(adj, x, labels, steps=5, lr=0.5):
    plait.manual_seed(3)
    w1 = (plait.randn(x.shape[1], 8, dtype=F64) * 0.3).requires_grad_()
    w2 = (plait.randn(8, 3, dtype=F64) * 0.3).requires_grad_()
    losses = []
    for _ in range(steps):
        hidden = plait.spmm(adj, x @ w1).relu()
        logits = plait.spmm(adj, hidden @ w2)
        loss = -logits.log_softmax(1).gather(1, labels.unsqueeze(1)).mean()
        loss.backward()
        with plait.no_grad():
            for w in (w1, w2):
                w -= lr * w.grad
                w.grad = None
        losses.append(loss.item())
    return losses, w1.detach(), w2.detach()


def test_two_layer_gcn_trains_like_dense():
    n = 7
    edges = [(0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (5, 6), (6, 3), (2, 3)]
    dense_adj, sparse_adj = _normalized_adjacency(edges, n)
    assert sparse_adj._nnz() == n + 2 * len(edges)
    plait.manual_seed(1)
    x = plait.randn(n, 4, dtype=F64)
    labels = plait.tensor([0, 0, 0, 1, 1, 2, 2])
    sparse_losses, s1, s2 = _train_gcn(sparse_adj, x, labels)
    dense_losses, d1, d2 = _train_gcn(dense_adj, x, labels)
    assert sparse_losses[-1] < sparse_losses[0]
    for a, b in zip(sparse_losses, dense_losses):
        assert abs(a - b) < 1e-10
    assert plait.allclose(s1, d1, atol=1e-10) and plait.allclose(s2, d2, atol=1e-10)


def test_live_against_torch():
    torch = pytest.importorskip("torch")
    import warnings
    rng = [[0, 1, 2, 2, 0, 3], [1, 1, 0, 2, 1, 0]]
    vals = [0.3, -1.2, 2.0, 0.7, 1.1, -0.4]
    dense = [[0.5, 1.0], [-2.0, 0.3], [1.5, -0.7]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ts = torch.sparse_coo_tensor(torch.tensor(rng), torch.tensor(vals, dtype=torch.float64), (4, 3))
    ps = plait.sparse_coo_tensor(plait.tensor(rng), plait.tensor(vals, dtype=F64), (4, 3))
    td = torch.tensor(dense, dtype=torch.float64, requires_grad=True)
    pd = plait.tensor(dense, dtype=F64, requires_grad=True)
    tv = ts.coalesce().detach().requires_grad_()
    pv = ps.coalesce().detach().requires_grad_()
    (torch.sparse.mm(tv, td) ** 2).sum().backward()
    (plait.sparse.mm(pv, pd) ** 2).sum().backward()
    assert pv.grad.indices().tolist() == tv.grad.coalesce().indices().tolist()
    assert plait.allclose(pv.grad.values(), plait.tensor(tv.grad.coalesce().values().tolist(), dtype=F64))
    assert plait.allclose(pd.grad, plait.tensor(td.grad.tolist(), dtype=F64))
    for dim in (0, 1):
        expected = torch.sparse.softmax(ts, dim).coalesce().values().tolist()
        assert plait.allclose(plait.sparse.softmax(ps, dim).values(), plait.tensor(expected, dtype=F64))
    assert repr(ps).replace("plait.", "torch.") == repr(ts)


def test_graph_example_preprocessing_against_torch():
    """pytorch/examples' gcn/gat data preparation: diag(v).to_sparse() @ dense, an int64 sparse adjacency from a
    (2, E) edge list, eye + sparse (dense), sparse @ dense @ sparse, then spmm(adj, mm(sparse_features, W))."""
    edges_t = [[0, 1, 2, 3, 2, 1], [1, 2, 0, 4, 3, 2]]  # the (1, 2) edge twice
    n, e = 5, 6
    features = plait.FloatTensor([[1, 0, 1], [0, 1, 0], [1, 1, 1], [0, 0, 1], [1, 0, 0]])
    scale = 1 / plait.sum(features, dim=1)
    scale[scale == float("inf")] = 0
    features = plait.diag(scale).to_sparse() @ features
    adj = plait.sparse_coo_tensor(edges_t, plait.ones(e), (n, n), dtype=plait.int64)
    assert adj.dtype is plait.int64
    adj = plait.eye(n) + adj
    assert not adj.is_sparse and adj.dtype is plait.float32
    deg = plait.sqrt(1 / plait.sum(adj, dim=1))
    deg = plait.diag(deg).to_sparse()
    adj = deg @ adj @ deg
    features, adj = features.to_sparse(), adj.to_sparse()
    close(adj.indices(), [[0, 0, 1, 1, 2, 2, 2, 3, 3, 4], [0, 1, 1, 2, 0, 2, 3, 3, 4, 4]])
    close(adj.values(), [0.4999999701976776, 0.40824827551841736, 0.3333333134651184, 0.6666666269302368,
                         0.40824827551841736, 0.3333333134651184, 0.40824827551841736, 0.4999999701976776,
                         0.7071067690849304, 1.0])
    w = plait.tensor([[-1.0, -0.6], [-0.2, 0.2], [0.6, 1.0]], requires_grad=True)
    out = plait.spmm(adj, plait.mm(features, w))
    assert out.grad_fn.name() == "MmBackward0"
    out.log_softmax(1)[:, 0].sum().backward()
    close(out, [[-0.18164964020252228, 0.18164964020252228], [-0.19999997317790985, 0.19999997317790985],
                [0.09663266688585281, 0.5565645694732666], [-0.40710678696632385, 0.07573588937520981],
                [-1.0, -0.6000000238418579]])
    close(w.grad, [[1.5097157955169678, -1.5097159147262573], [0.6415157914161682, -0.6415157914161682],
                   [1.0332047939300537, -1.0332047939300537]], 1e-5)
    column_sums = [0.908248245716095, 0.7415815591812134, 0.9999999403953552, 0.908248245716095, 1.7071068286895752]
    close(plait.mm(plait.ones(2, 5), adj), [column_sums, column_sums])
    close(plait.ones(5) @ adj, column_sums)
    close(plait.ones(5, 5) - adj.t(), plait.ones(5, 5) - adj.to_dense().t())


def test_dense_sparse_matmul_gradcheck():
    v = plait.tensor(V, dtype=F64, requires_grad=True)
    x = plait.tensor([[1., -2.], [0.5, 3.], [2., 1.]], dtype=F64, requires_grad=True)
    assert gradcheck(lambda values, dense: dense.t() @ plait.sparse_coo_tensor(idx(), values, (2, 3)).t(), (v, x))
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 2x3\)"):
        plait.ones(2, 3) @ uncoalesced()


def test_autograd_grad_and_backward_inputs_with_a_sparse_input():
    leaf = uncoalesced(dtype=F64).coalesce().detach().requires_grad_()
    dense = plait.tensor(D_ROWS, dtype=F64, requires_grad=True)
    out = plait.sparse.mm(leaf, dense).sum()
    g_sparse, g_dense = plait.autograd.grad(out, (leaf, dense), retain_graph=True)
    assert g_sparse.is_sparse
    close(g_sparse.values(), [3.25, 3., 3.25], 1e-12)
    close(g_dense, [[4., 4.], [0., 0.], [9., 9.]], 1e-12)
    out.backward(inputs=[leaf])
    close(leaf.grad.values(), [3.25, 3., 3.25], 1e-12)
    assert dense.grad is None


def test_transposed_leaf_passes_gradients_back():
    leaf = uncoalesced(dtype=F64, requires_grad=True)
    st = leaf.t()
    assert not st.is_leaf and st.grad_fn.name() == "TransposeBackward0"
    (st.to_dense() * plait.arange(6., dtype=F64).reshape(3, 2)).sum().backward()
    close(leaf.grad._values(), [4., 1., 5., 4.])  # entry (r, c) reads weight [c, r] = 2c + r
    base = uncoalesced()
    plain = base.t()
    plain.requires_grad_()
    assert plain.requires_grad and plain.is_leaf and not base.requires_grad


def test_creation_with_sparse_layout():
    z = plait.zeros(2, 3, layout=plait.sparse_coo)
    assert repr(z) == ("tensor(indices=tensor([], size=(2, 0)),\n"
                       "       values=tensor([], size=(0,)),\n"
                       "       size=(2, 3), nnz=0, layout=plait.sparse_coo)")
    e = plait.empty(2, 3, layout=plait.sparse_coo, dtype=F64)
    assert e.is_sparse and e.dtype is F64 and e._nnz() == 0
    assert not plait.zeros(2, layout=plait.strided).is_sparse
    with pytest.raises(RuntimeError, match=r"full\(...\) is not implemented for sparse layout"):
        plait.ones(2, 3, layout=plait.sparse_coo)
    with pytest.raises(TypeError, match="zeros\\(\\): argument 'layout' must be plait.layout, not int"):
        plait.zeros(2, 3, layout=3)


def test_sparse_times_sparse_against_torch():
    av = plait.tensor([3., 4., 5., 1.], requires_grad=True)
    bv = plait.tensor([2., -1., 0.5], requires_grad=True)
    a = plait.sparse_coo_tensor(idx(), av, (2, 3))
    b = plait.sparse_coo_tensor([[0, 2, 2], [1, 0, 1]], bv, (3, 2))
    for out in (plait.sparse.mm(a, b), a @ b, plait.mm(a, b), plait.matmul(a, b)):
        assert out.is_sparse and out.is_coalesced() and out.shape == (2, 2)
        close(out.indices(), [[0, 0, 1, 1], [0, 1, 0, 1]])
        close(out.values(), [-4., 2., -5., 10.5])
    out = plait.sparse.mm(a, b)
    assert out.grad_fn.name() == "SparseSparseMatmulBackward0"
    (out.to_dense() * plait.tensor([[1., 2.], [3., 4.]])).sum().backward()
    close(av.grad, [0., 8., -1., 0.])
    close(bv.grad, [16., 19., 28.])
    empty = a @ plait.zeros(3, 2).to_sparse()
    assert empty._nnz() == 0 and empty.shape == (2, 2)
    v = plait.tensor(V, dtype=F64, requires_grad=True)
    w = plait.tensor([2., -1., 0.5], dtype=F64, requires_grad=True)
    assert gradcheck(lambda x, y: plait.sparse.mm(plait.sparse_coo_tensor(idx(), x, (2, 3)),
                                                  plait.sparse_coo_tensor([[0, 2, 2], [1, 0, 1]], y, (3, 2))
                                                  ).to_dense(), (v, w))


def test_save_and_load(tmp_path):
    s = uncoalesced(dtype=F64)
    path = tmp_path / "sparse.pt"
    plait.save({"adj": s, "coalesced": s.coalesce(), "leaf": uncoalesced(requires_grad=True)}, path)
    back = plait.load(path)
    assert back["adj"].is_sparse and not back["adj"].is_coalesced() and back["adj"].dtype is F64
    assert plait.equal(back["adj"]._indices(), s._indices()) and plait.equal(back["adj"]._values(), s._values())
    assert back["coalesced"].is_coalesced()
    assert plait.equal(back["coalesced"].to_dense(), s.to_dense())
    assert not back["leaf"].requires_grad  # as torch: a sparse tensor's values are saved without their grad flag


def test_save_and_load_with_torch(tmp_path):
    torch = pytest.importorskip("torch")
    import warnings
    path = tmp_path / "sparse.pt"
    plait.save({"adj": uncoalesced()}, path)
    theirs = torch.load(path, weights_only=True)["adj"]
    assert theirs.layout is torch.sparse_coo and not theirs.is_coalesced()
    assert theirs.to_dense().tolist() == uncoalesced().to_dense().tolist()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.save({"adj": torch.sparse_coo_tensor([[0, 1, 1, 0], [2, 0, 2, 2]], [3., 4., 5., 1.], (2, 3)),
                    "csr": torch.ones(2, 2).to_sparse_csr()}, path)
    with pytest.raises(plait.serialization.CheckpointError, match="layout 'torch.sparse_csr', which plait does not "
                                                                  "support"):
        plait.load(path)
    torch.save({"adj": torch.sparse_coo_tensor([[0, 1, 1, 0], [2, 0, 2, 2]], [3., 4., 5., 1.], (2, 3))}, path)
    mine = plait.load(path)["adj"]
    assert mine.is_sparse and plait.equal(mine.to_dense(), uncoalesced().to_dense())


def test_sparse_mask_and_to_sparse_coo():
    d = plait.arange(6., dtype=F64).reshape(2, 3).requires_grad_()
    masked = d.sparse_mask(uncoalesced())
    assert not masked.is_coalesced()
    close(masked._indices(), [[0, 1, 1, 0], [2, 0, 2, 2]])
    close(masked._values(), [2., 3., 5., 2.])
    assert d.sparse_mask(uncoalesced().coalesce()).is_coalesced()
    masked.to_dense().sum().backward()
    close(d.grad, [[0., 0., 2.], [1., 0., 1.]])
    with pytest.raises(RuntimeError, match=r"sparse_mask\(\): operands have incompatible sizes; self has size "
                                           r"\[2, 3\] but mask has size \[2\]"):
        d.sparse_mask(plait.sparse_coo_tensor([[0]], [1.], (2,)))
    coo = plait.arange(6.).reshape(2, 3).to_sparse_coo()
    close(coo.indices(), [[0, 0, 1, 1, 1], [1, 2, 0, 1, 2]])
    close(coo.values(), [1., 2., 3., 4., 5.])
