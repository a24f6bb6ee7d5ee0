"""Sequential, ModuleList, ModuleDict, ParameterList and ParameterDict: torch's indexing, mutation and repr."""
from collections import OrderedDict

import numpy as np
import pytest

import plait
import plait.nn as nn


def _lin(i=2, o=2):
    return nn.Linear(i, o)


# --------------------------------------------------------------------------- Sequential
def test_sequential_forward_matches_manual_chain():
    seq = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    x = plait.randn(5, 3)
    h = np.maximum(x.numpy() @ seq[0].weight.detach().numpy().T + seq[0].bias.detach().numpy(), 0)
    expected = h @ seq[2].weight.detach().numpy().T + seq[2].bias.detach().numpy()
    np.testing.assert_allclose(seq(x).detach().numpy(), expected, rtol=1e-5, atol=1e-6)
    assert len(list(seq.parameters())) == 4


def test_sequential_indexing_and_slicing():
    a, b, c = _lin(), nn.ReLU(), _lin()
    seq = nn.Sequential(a, b, c)
    assert seq[0] is a and seq[-1] is c and seq[-3] is a
    assert len(seq) == 3 and list(seq) == [a, b, c]
    sub = seq[1:]
    assert type(sub) is nn.Sequential and list(sub) == [b, c]
    assert list(sub._modules) == ["1", "2"]
    with pytest.raises(IndexError, match="index 3 is out of range"):
        seq[3]
    with pytest.raises(IndexError, match="index -4 is out of range"):
        seq[-4]
    seq[1] = nn.Tanh()
    assert isinstance(seq[1], nn.Tanh)


def test_sequential_ordered_dict_names():
    seq = nn.Sequential(OrderedDict([("conv", _lin()), ("act", nn.ReLU())]))
    assert isinstance(seq.conv, nn.Linear) and seq[1] is seq.act
    assert [n for n, _ in seq.named_parameters()] == ["conv.weight", "conv.bias"]
    assert repr(seq) == ("Sequential(\n  (conv): Linear(in_features=2, out_features=2, bias=True)\n"
                         "  (act): ReLU()\n)")


def test_sequential_mutation():
    a, b, c, d = _lin(), nn.ReLU(), _lin(), nn.Tanh()
    seq = nn.Sequential(a)
    assert seq.append(b) is seq
    seq.extend([c])
    seq.insert(1, d)
    assert list(seq) == [a, d, b, c]
    seq.insert(-1, nn.Sigmoid())
    assert isinstance(seq[3], nn.Sigmoid) and seq[4] is c
    with pytest.raises(IndexError, match="Index out of range: 9"):
        seq.insert(9, nn.ReLU())
    del seq[0]
    assert list(seq._modules) == ["0", "1", "2", "3"] and seq[0] is d
    del seq[1:3]
    assert list(seq) == [d, c] and list(seq._modules) == ["0", "1"]
    assert seq.pop(0) is d and len(seq) == 1
    both = nn.Sequential(a) + nn.Sequential(b)
    assert list(both) == [a, b]
    assert list(nn.Sequential(b) * 2) == [b, b]
    seq += nn.Sequential(b)
    assert list(seq) == [c, b]


def test_empty_sequential_is_identity():
    x = plait.ones(2)
    assert nn.Sequential()(x) is x
    assert repr(nn.Sequential()) == "Sequential()"


# --------------------------------------------------------------------------- ModuleList
def test_module_list_basics():
    ml = nn.ModuleList([_lin(), nn.ReLU()])
    ml.append(_lin(2, 3))
    ml.extend([nn.Tanh()])
    ml.insert(0, nn.Sigmoid())
    assert [type(m).__name__ for m in ml] == ["Sigmoid", "Linear", "ReLU", "Linear", "Tanh"]
    assert isinstance(ml[-1], nn.Tanh) and len(ml) == 5
    assert type(ml[1:3]) is nn.ModuleList and len(ml[1:3]) == 2
    assert len(list(ml.parameters())) == 4
    del ml[0]
    assert isinstance(ml[0], nn.Linear) and list(ml._modules) == ["0", "1", "2", "3"]
    ml[0] = nn.ReLU()
    assert isinstance(ml[0], nn.ReLU)
    assert isinstance(ml.pop(-1), nn.Tanh) and len(ml) == 3
    assert len(ml + nn.ModuleList([nn.ReLU()])) == 4
    with pytest.raises(IndexError, match="index 7 is out of range"):
        ml[7]
    with pytest.raises(TypeError, match="ModuleList.extend should be called with an iterable"):
        ml.extend(5)
    with pytest.raises(NotImplementedError, match="missing the required \"forward\" function"):
        ml(plait.ones(1))


def test_module_list_repr_folds_repeats():
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.ReLU()])
    assert repr(ml) == ("ModuleList(\n  (0-2): 3 x Linear(in_features=2, out_features=2, bias=True)\n"
                        "  (3): ReLU()\n)")
    assert repr(nn.ModuleList()) == "ModuleList()"

    class Holder(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.ReLU(), nn.Sequential(nn.Tanh())])

    assert repr(Holder()) == ("Holder(\n  (layers): ModuleList(\n    (0): ReLU()\n    (1): Sequential(\n"
                              "      (0): Tanh()\n    )\n  )\n)")


# --------------------------------------------------------------------------- ModuleDict
def test_module_dict():
    md = nn.ModuleDict({"b": nn.ReLU(), "a": _lin()})
    assert list(md.keys()) == ["b", "a"] and "a" in md and len(md) == 2
    md["c"] = nn.Tanh()
    md.update([("d", nn.Sigmoid())])
    assert list(md) == ["b", "a", "c", "d"]
    assert isinstance(md.pop("c"), nn.Tanh) and "c" not in md
    del md["d"]
    assert [k for k, _ in md.items()] == ["b", "a"] and len(list(md.values())) == 2
    assert [n for n, _ in md.named_parameters()] == ["a.weight", "a.bias"]
    assert repr(md) == "ModuleDict(\n  (b): ReLU()\n  (a): Linear(in_features=2, out_features=2, bias=True)\n)"
    with pytest.raises(ValueError, match="has length 3; 2 is required"):
        md.update([("x", nn.ReLU(), 1)])
    md.clear()
    assert len(md) == 0


# --------------------------------------------------------------------------- ParameterList / ParameterDict
def test_parameter_list_wraps_tensors_and_registers():
    pl = nn.ParameterList([nn.Parameter(plait.ones(2, 3)), plait.zeros(4)])
    pl.append(plait.ones(1, dtype=plait.float64))
    assert all(isinstance(p, nn.Parameter) for p in pl)
    assert len(pl) == 3 and pl[-1].dtype == plait.float64
    assert [n for n, _ in pl.named_parameters()] == ["0", "1", "2"]
    assert len(pl[:2]) == 2
    assert repr(pl) == ("ParameterList(\n"
                        f"    (0): Parameter containing: [{plait.float32} of size 2x3]\n"
                        f"    (1): Parameter containing: [{plait.float32} of size 4]\n"
                        f"    (2): Parameter containing: [{plait.float64} of size 1]\n)")
    pl[0] = plait.zeros(1)
    assert isinstance(pl[0], nn.Parameter) and pl[0].shape == (1,)
    with pytest.raises(RuntimeError, match="ParameterList should not be called."):
        pl(plait.ones(1))


def test_parameter_dict():
    pd = nn.ParameterDict({"w": plait.ones(2), "b": nn.Parameter(plait.zeros(1))})
    # a plain dict is inserted in sorted key order, as torch does
    assert list(pd.keys()) == ["b", "w"]
    assert isinstance(pd["w"], nn.Parameter) and "w" in pd and len(pd) == 2
    pd["x"] = plait.zeros(3, 3)
    assert [n for n, _ in pd.named_parameters()] == ["b", "w", "x"]
    assert repr(pd) == ("ParameterDict(\n"
                        "    (b): Parameter containing: [plait.FloatTensor of size 1]\n"
                        "    (w): Parameter containing: [plait.FloatTensor of size 2]\n"
                        "    (x): Parameter containing: [plait.FloatTensor of size 3x3]\n)")
    assert pd.pop("x").shape == (3, 3) and "x" not in pd
    assert pd.get("nope") is None
    merged = pd | nn.ParameterDict({"z": plait.ones(1)})
    assert list(merged.keys()) == ["b", "w", "z"]
    del pd["b"]
    assert list(pd) == ["w"]
    pd.clear()
    assert len(pd) == 0


def test_containers_move_with_model():
    class Holder(nn.Module):
        def __init__(self):
            super().__init__()
            self.pl = nn.ParameterList([plait.ones(2)])
            self.pd = nn.ParameterDict({"a": plait.ones(2)})
            self.ml = nn.ModuleList([_lin()])

    h = Holder().double()
    assert h.pl[0].dtype == plait.float64 and h.pd["a"].dtype == plait.float64
    assert h.ml[0].weight.dtype == plait.float64
    assert list(h.state_dict()) == ["pl.0", "pd.a", "ml.0.weight", "ml.0.bias"]
