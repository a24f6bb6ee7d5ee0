"""``repr(tensor)`` exactly as torch prints it (with ``plait.`` for ``torch.`` in dtypes): float/int/bool
formatting, scientific mode, line wrapping, summarization above 1000 elements, suffixes (dtype, device,
requires_grad, grad_fn) and the printed examples of the notes."""
import re

import numpy as np
import pytest

import plait
from core_helpers import backend_has


@pytest.mark.parametrize("make, expected", [
    (lambda: plait.tensor([[1., 2.]], requires_grad=True), "tensor([[1., 2.]], requires_grad=True)"),
    (lambda: plait.tensor(1), "tensor(1)"),
    (lambda: plait.tensor(2.0), "tensor(2.)"),
    (lambda: plait.tensor(True), "tensor(True)"),
    (lambda: plait.tensor(-2.0), "tensor(-2.)"),
    (lambda: plait.tensor(3.14159), "tensor(3.1416)"),
    (lambda: plait.tensor(0.99999), "tensor(1.0000)"),
    (lambda: plait.tensor([5.5, 3]), "tensor([5.5000, 3.0000])"),
    (lambda: plait.tensor([-1.5, 2.25]), "tensor([-1.5000,  2.2500])"),
    (lambda: plait.tensor([1., 1000.]), "tensor([   1., 1000.])"),
    (lambda: plait.tensor([1e-5, 1.]), "tensor([1.0000e-05, 1.0000e+00])"),
    (lambda: plait.tensor([0.1, 100000.]), "tensor([1.0000e-01, 1.0000e+05])"),
    (lambda: plait.tensor([123456789.]), "tensor([1.2346e+08])"),
    (lambda: plait.tensor([1., 2001.]), "tensor([1.0000e+00, 2.0010e+03])"),
    (lambda: plait.tensor([0., 0.]), "tensor([0., 0.])"),
    (lambda: plait.tensor([1., float("nan")]), "tensor([1., nan])"),
    (lambda: plait.tensor([1.5, float("inf")]), "tensor([1.5000,    inf])"),
    (lambda: plait.tensor([1., -float("inf")]), "tensor([1., -inf])"),
    (lambda: plait.tensor([float("nan")]), "tensor([nan])"),
    (lambda: plait.tensor([1, -20, 300]), "tensor([  1, -20, 300])"),
    (lambda: plait.tensor([True, False]), "tensor([ True, False])"),
    (lambda: plait.tensor([1, 2], dtype=plait.int32), "tensor([1, 2], dtype=plait.int32)"),
    (lambda: plait.tensor([1, 2], dtype=plait.uint8), "tensor([1, 2], dtype=plait.uint8)"),
    (lambda: plait.tensor([1., 2.], dtype=plait.float64), "tensor([1., 2.], dtype=plait.float64)"),
    (lambda: plait.tensor([1., 2.], dtype=plait.float64, requires_grad=True),
     "tensor([1., 2.], dtype=plait.float64, requires_grad=True)"),
    (lambda: plait.tensor([]), "tensor([])"),
    (lambda: plait.zeros(2, 0), "tensor([], size=(2, 0))"),
    (lambda: plait.zeros(0, dtype=plait.int64), "tensor([], dtype=plait.int64)"),
    (lambda: plait.zeros(0, 3, dtype=plait.int32), "tensor([], size=(0, 3), dtype=plait.int32)"),
    (lambda: plait.ones(2, 2), "tensor([[1., 1.],\n        [1., 1.]])"),
    (lambda: plait.ones(2, 2, requires_grad=True) + 2, "tensor([[3., 3.],\n        [3., 3.]], grad_fn=<AddBackward0>)"),
    (lambda: plait.tensor([[0., 0.], [1., 2.]], requires_grad=True),
     "tensor([[0., 0.],\n        [1., 2.]], requires_grad=True)"),
    (lambda: plait.tensor([[[1.5]]]), "tensor([[[1.5000]]])"),
    (lambda: plait.tensor([1., 2.], device="strict"), "tensor([1., 2.], device='strict')"),
    (lambda: plait.tensor([1, 2], dtype=plait.int32, device="strict"), "tensor([1, 2], device='strict', dtype=plait.int32)"),
])
def test_repr(make, expected):
    assert repr(make()) == expected
    assert str(make()) == expected


def test_float16_repr():
    if not backend_has(plait.float16):
        pytest.skip("this run's cpu backend has no float16 dtype")
    assert repr(plait.tensor([1.5, 2.0], dtype=plait.float16)) == "tensor([1.5000, 2.0000], dtype=plait.float16)"


def test_line_wrapping():
    assert repr(plait.ones(30)) == (
        "tensor([1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1.,\n"
        "        1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1.])")
    # the suffix moves to its own line when it does not fit on the last one
    assert repr(plait.ones(18, dtype=plait.float64)) == (
        "tensor([1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1.],\n"
        "       dtype=plait.float64)")


def test_summarization_above_threshold():
    assert repr(plait.arange(2000)) == "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])"
    assert repr(plait.arange(1000)).count("...") == 0  # exactly 1000 elements: printed in full
    assert repr(plait.zeros(100, 100)) == """tensor([[0., 0., 0.,  ..., 0., 0., 0.],
        [0., 0., 0.,  ..., 0., 0., 0.],
        [0., 0., 0.,  ..., 0., 0., 0.],
        ...,
        [0., 0., 0.,  ..., 0., 0., 0.],
        [0., 0., 0.,  ..., 0., 0., 0.],
        [0., 0., 0.,  ..., 0., 0., 0.]])"""
    r = repr(plait.arange(3000.).view(10, 300))
    assert r.startswith("tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 2.9700e+02, 2.9800e+02,\n")
    assert "        ...,\n" in r


def test_3d_summarization_separators():
    r = repr(plait.zeros(20, 2, 60))
    assert r.count("...,\n") == 1
    assert "\n\n        ...,\n\n" in r


def test_set_printoptions():
    plait.set_printoptions(precision=2)
    assert repr(plait.tensor([1.23456])) == "tensor([1.23])"
    plait.set_printoptions(profile="default")
    plait.set_printoptions(sci_mode=False)
    # a forced mode also sets the widths (torch 2.13; older torch padded to the scientific width)
    assert repr(plait.tensor([1e-5, 1.])) == "tensor([0.0000, 1.0000])"
    assert repr(plait.tensor([1e-5, 1., 1000.])) == "tensor([   0.0000,    1.0000, 1000.0000])"
    plait.set_printoptions(sci_mode=True)
    assert repr(plait.tensor([0.5, 1.5])) == "tensor([5.0000e-01, 1.5000e+00])"
    plait.set_printoptions(profile="default")
    plait.set_printoptions(threshold=5, edgeitems=2)
    assert repr(plait.arange(10)) == "tensor([0, 1,  ..., 8, 9])"
    plait.set_printoptions(profile="default")
    plait.set_printoptions(linewidth=20)
    assert repr(plait.ones(6)) == "tensor([1., 1., 1.,\n        1., 1., 1.])"


def test_grad_fn_suffix_and_node_repr():
    x = plait.ones(2, 2, requires_grad=True)
    y = x + 2
    assert re.fullmatch(r"<AddBackward0 object at 0x[0-9a-f]+>", repr(y.grad_fn))
    z = y * y * 3
    out = z.mean()
    assert str(z) + " " + str(out) == ("tensor([[27., 27.],\n        [27., 27.]], grad_fn=<MulBackward0>) "
                            "tensor(27., grad_fn=<MeanBackward0>)")
    assert repr(x.sum(0)) == "tensor([2., 2.], grad_fn=<SumBackward1>)"
    assert repr((x * 1.5).long()) == "tensor([[1, 1],\n        [1, 1]])"


def test_blitz_requires_grad_example(capsys):
    a = plait.randn(2, 2)
    a = ((a * 3) / (a - 1))
    print(a.requires_grad)
    a.requires_grad_(True)
    print(a.requires_grad)
    b = (a * a).sum()
    print(re.sub(r"0x[0-9a-f]+", "0x", repr(b.grad_fn)))
    assert capsys.readouterr().out == "False\nTrue\n<SumBackward0 object at 0x>\n"


def test_seed_dtype_examples(capsys):
    i = plait.tensor(1)
    print(i, i.dtype)
    x = plait.tensor(2.0)
    print(x, x.dtype)
    b = plait.tensor(True)
    print(b, b.dtype)
    i = plait.tensor(1, dtype=plait.int32)
    print(i, i.dtype)
    x = plait.tensor(2.0, dtype=plait.double)
    print(x, x.dtype)
    x = plait.Tensor(np.array(2.0))
    print(x, x.dtype)
    b = plait.BoolTensor(np.array([1, 0, 2, 0]))
    print(b, b.dtype)
    i = plait.tensor(1)
    print(i, i.dtype)
    x = i.float()
    print(x, x.dtype)
    y = i.type(plait.float)
    print(y, y.dtype)
    z = i.type_as(x)
    print(z, z.dtype)
    assert capsys.readouterr().out == """tensor(1) plait.int64
tensor(2.) plait.float32
tensor(True) plait.bool
tensor(1, dtype=plait.int32) plait.int32
tensor(2., dtype=plait.float64) plait.float64
tensor(2.) plait.float32
tensor([ True, False,  True, False]) plait.bool
tensor(1) plait.int64
tensor(1.) plait.float32
tensor(1.) plait.float32
tensor(1.) plait.float32
"""


def test_seed_legacy_constructor_types(capsys):
    t1 = plait.Tensor(1)
    t2 = plait.tensor(1)
    print("t1 type {}".format(t1.type()))
    print("t2 {} type {}".format(t2, t2.type()))  # a 0-d tensor formats as its number
    assert capsys.readouterr().out == "t1 type plait.FloatTensor\nt2 1 type plait.LongTensor\n"
    assert t1.shape == (1,)  # torch leaves the value uninitialised; plait zero-fills


def test_format_of_tensors_in_strings():
    t = plait.tensor([1.0, 2.0])
    assert "{}".format(t) == "tensor([1., 2.])"
    assert f"{plait.tensor(0.5)}" == "0.5"  # a 0-d tensor formats as its number, as in torch


def test_return_types_print_like_torch():
    x = plait.tensor([[1, 2], [3, 4]])
    assert repr(plait.max(x, 0)) == "plait.return_types.max(\nvalues=tensor([3, 4]),\nindices=tensor([1, 1]))"
    assert repr(x.min(1)) == "plait.return_types.min(\nvalues=tensor([1, 3]),\nindices=tensor([0, 0]))"
    assert repr(x.float().topk(1, dim=0)) == ("plait.return_types.topk(\nvalues=tensor([[3., 4.]]),\n"
                                              "indices=tensor([[1, 1]]))")
    assert repr(plait.tensor([2, 1]).sort()) == ("plait.return_types.sort(\nvalues=tensor([1, 2]),\n"
                                                 "indices=tensor([1, 0]))")
    assert repr(plait.aminmax(x)) == "plait.return_types.aminmax(\nmin=tensor(1),\nmax=tensor(4))"
    values, indices = plait.max(x, 0)  # still a tuple
    assert values.tolist() == [3, 4] and plait.max(x, 0)[1].tolist() == [1, 1]
