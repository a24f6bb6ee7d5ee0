"""Module-level parity with torch 2.13: BatchNorm checkpoints without num_batches_tracked, the ``bias``
argument of BatchNorm/LayerNorm/GroupNorm and their reprs, normalisation error texts, ParameterDict's repr
and the Upsample layers. Expected texts were observed from torch 2.13; where torch is installed the tests
also compare against it directly."""
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import plait
import plait.nn as nn

try:
    import torch
    import torch.nn as tnn
except ImportError:  # pragma: no cover - torch is optional
    torch = tnn = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")
RNG = np.random.default_rng(7)


def N(t):
    return t.detach().numpy()


def _error(fn):
    with pytest.raises(Exception) as info:
        fn()
    return type(info.value).__name__, str(info.value)


# --------------------------------------------------------------------------- 1. num_batches_tracked
@pytest.mark.parametrize("cls", [nn.BatchNorm1d, nn.BatchNorm2d])
def test_batchnorm_loads_checkpoint_without_num_batches_tracked(cls):
    src = cls(3)
    src.running_mean.fill_(2.0)
    old = {k: v for k, v in src.state_dict().items() if k != "num_batches_tracked"}  # no version metadata
    m = cls(3)
    m.num_batches_tracked.fill_(5)
    result = m.load_state_dict(old)  # strict=True
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert int(m.num_batches_tracked) == 5  # torch keeps the module's own count
    assert N(m.running_mean).tolist() == [2.0, 2.0, 2.0]
    assert "num_batches_tracked" not in old  # the caller's dict is left alone


def test_batchnorm_version_metadata_decides_whether_the_count_is_filled_in():
    bn = nn.BatchNorm1d(3)
    sd = bn.state_dict()
    assert sd._metadata[""]["version"] == 2
    del sd["num_batches_tracked"]
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "num_batches_tracked"'):
        nn.BatchNorm1d(3).load_state_dict(sd)
    sd._metadata[""]["version"] = 1
    nn.BatchNorm1d(3).load_state_dict(sd)


def test_batchnorm_old_checkpoint_nested_and_untracked():
    seq = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    sd = seq.state_dict()
    assert dict(sd._metadata) == {"": {"version": 1}, "0": {"version": 1}, "1": {"version": 2}}
    del sd["1.num_batches_tracked"]
    seq.load_state_dict(OrderedDict(sd))
    bn = nn.BatchNorm1d(3, track_running_stats=False)
    bn.load_state_dict({"weight": plait.ones(3), "bias": plait.zeros(3)})


@needs_torch
def test_batchnorm_old_checkpoint_matches_torch():
    for mod in (tnn, nn):
        m = mod.BatchNorm1d(3)
        sd = {k: v for k, v in m.state_dict().items() if k != "num_batches_tracked"}
        assert str(m.load_state_dict(sd)) == "<All keys matched successfully>"


# --------------------------------------------------------------------------- 2. bias argument and reprs
CASES = [
    ("BatchNorm1d", (4,), {}, "BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, "
     "track_running_stats=True)", ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]),
    ("BatchNorm1d", (4,), {"bias": False}, "BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=True, bias=False, "
     "track_running_stats=True)", ["weight", "running_mean", "running_var", "num_batches_tracked"]),
    ("BatchNorm2d", (4,), {"affine": False}, "BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=False, bias=False, "
     "track_running_stats=True)", ["running_mean", "running_var", "num_batches_tracked"]),
    ("BatchNorm2d", (4,), {"bias": False, "track_running_stats": False}, "BatchNorm2d(4, eps=1e-05, momentum=0.1, "
     "affine=True, bias=False, track_running_stats=False)", ["weight"]),
    ("LayerNorm", (4,), {}, "LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=True)", ["weight", "bias"]),
    ("LayerNorm", ([2, 3],), {"bias": False}, "LayerNorm((2, 3), eps=1e-05, elementwise_affine=True, bias=False)",
     ["weight"]),
    ("LayerNorm", (4,), {"elementwise_affine": False}, "LayerNorm((4,), eps=1e-05, elementwise_affine=False, "
     "bias=False)", []),
    ("GroupNorm", (2, 4), {}, "GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)", ["weight", "bias"]),
    ("GroupNorm", (2, 4), {"bias": False}, "GroupNorm(2, 4, eps=1e-05, affine=True, bias=False)", ["weight"]),
    ("GroupNorm", (2, 4), {"affine": False}, "GroupNorm(2, 4, eps=1e-05, affine=False, bias=False)", []),
]


@pytest.mark.parametrize("name,args,kwargs,text,keys", CASES)
def test_norm_bias_argument_repr_and_state_dict(name, args, kwargs, text, keys):
    m = getattr(nn, name)(*args, **kwargs)
    assert repr(m) == text
    assert list(m.state_dict()) == keys
    if kwargs.get("bias") is False:
        assert m.bias is None


@needs_torch
@pytest.mark.parametrize("name,args,kwargs,text,keys", CASES)
def test_norm_bias_argument_matches_torch(name, args, kwargs, text, keys):
    t = getattr(tnn, name)(*args, **kwargs)
    assert repr(t) == text and list(t.state_dict()) == keys


def test_norm_bias_is_keyword_only_for_batchnorm_and_groupnorm():
    with pytest.raises(TypeError):
        nn.BatchNorm1d(4, 1e-5, 0.1, True, True, None, None, False)
    with pytest.raises(TypeError):
        nn.GroupNorm(2, 4, 1e-5, True, None, None, False)
    assert nn.LayerNorm(4, 1e-5, True, False).bias is None  # LayerNorm's bias is positional in torch too


@needs_torch
@pytest.mark.parametrize("train", [True, False])
def test_norm_without_bias_forward_matches_torch(train):
    x = RNG.standard_normal((4, 6, 5))
    w = RNG.standard_normal(6)
    pairs = [(nn.BatchNorm1d(6, bias=False), tnn.BatchNorm1d(6, bias=False)),
             (nn.GroupNorm(3, 6, bias=False), tnn.GroupNorm(3, 6, bias=False))]
    for p, t in pairs:
        p.double().train(train)
        t.double().train(train)
        with torch.no_grad():
            t.weight.copy_(torch.from_numpy(w))
        p.weight.data = plait.tensor(w)
        np.testing.assert_allclose(N(p(plait.tensor(x))), t(torch.from_numpy(x)).detach().numpy(),
                                   rtol=1e-10, atol=1e-10)
    p, t = nn.LayerNorm(5, bias=False).double(), tnn.LayerNorm(5, bias=False).double()
    np.testing.assert_allclose(N(p(plait.tensor(x))), t(torch.from_numpy(x)).detach().numpy(), rtol=1e-10, atol=1e-10)


# --------------------------------------------------------------------------- 3. error texts
ERRORS = [
    ("BatchNorm1d", (3,), {}, True, (2, 4, 3), ("RuntimeError", "running_mean should contain 4 elements not 3")),
    ("BatchNorm1d", (3,), {}, False, (2, 4, 3), ("RuntimeError", "running_mean should contain 4 elements not 3")),
    ("BatchNorm1d", (3,), {"track_running_stats": False}, True, (2, 4, 3),
     ("RuntimeError", "weight should contain 4 elements not 3")),
    ("BatchNorm1d", (3,), {"track_running_stats": False}, False, (2, 4, 3),
     ("RuntimeError", "weight should contain 4 elements not 3")),
    ("BatchNorm1d", (3,), {"affine": False}, True, (2, 4, 3),
     ("RuntimeError", "running_mean should contain 4 elements not 3")),
    ("BatchNorm1d", (3,), {"affine": False}, False, (2, 4, 3),
     ("RuntimeError", "running_mean should contain 4 elements not 3")),
    ("BatchNorm1d", (3,), {}, True, (2, 4), ("RuntimeError", "running_mean should contain 4 elements not 3")),
    ("BatchNorm1d", (3,), {}, True, (1, 4), ("ValueError", "Expected more than 1 value per channel when "
                                            "training, got input size plait.Size([1, 4])")),
    ("BatchNorm2d", (4,), {}, True, (2, 3, 2, 2), ("RuntimeError", "running_mean should contain 3 elements not 4")),
    ("BatchNorm2d", (4,), {}, False, (2, 3, 2, 2), ("RuntimeError", "running_mean should contain 3 elements not 4")),
    ("GroupNorm", (2, 6), {}, True, (2, 4, 3), ("RuntimeError", "Expected weight to be a vector of size equal to "
     "the number of channels in input, but got weight of shape [6] and input of shape [2, 4, 3]")),
    ("GroupNorm", (2, 6), {"bias": False}, True, (2, 4, 3), ("RuntimeError", "Expected weight to be a vector of "
     "size equal to the number of channels in input, but got weight of shape [6] and input of shape [2, 4, 3]")),
    ("GroupNorm", (3, 6), {}, True, (2, 4, 3), ("RuntimeError", "Expected number of channels in input to be "
     "divisible by num_groups, but got input of shape [2, 4, 3] and num_groups=3")),
    ("GroupNorm", (2, 2), {}, True, (1, 2), ("ValueError", "Expected more than 1 value per channel when "
                                             "training, got input size [1, 2]")),
    ("GroupNorm", (2, 6), {}, True, (6,), ("RuntimeError", "Expected at least 2 dimensions for input tensor but "
                                           "received 1")),
]


@pytest.mark.parametrize("name,args,kwargs,train,shape,expected", ERRORS)
def test_norm_error_texts(name, args, kwargs, train, shape, expected):
    m = getattr(nn, name)(*args, **kwargs).train(train)
    assert _error(lambda: m(plait.zeros(*shape))) == expected


@needs_torch
@pytest.mark.parametrize("name,args,kwargs,train,shape,expected", ERRORS)
def test_norm_error_texts_match_torch(name, args, kwargs, train, shape, expected):
    m = getattr(tnn, name)(*args, **kwargs).train(train)
    kind, text = _error(lambda: m(torch.zeros(*shape)))
    assert (kind, text.replace("torch.", "plait.")) == expected


@pytest.mark.parametrize("mod", [nn] + ([tnn] if tnn is not None else []))
def test_norm_inputs_that_pass_the_checks(mod):
    lib = plait if mod is nn else torch
    assert tuple(mod.BatchNorm1d(3, affine=False, track_running_stats=False)(lib.zeros(2, 4)).shape) == (2, 4)
    assert tuple(mod.GroupNorm(2, 6, affine=False)(lib.zeros(2, 4, 3)).shape) == (2, 4, 3)


def test_groupnorm_construction_error_text():
    with pytest.raises(ValueError) as info:
        nn.GroupNorm(3, 4)
    assert str(info.value) == "num_channels (4) must be divisible by num_groups (3)"


# --------------------------------------------------------------------------- 4. ParameterDict repr
def _params(lib, mod):
    return {"a": mod.Parameter(lib.zeros(2, dtype=lib.float64)), "b": mod.Parameter(lib.zeros(2, 3)),
            "c": mod.Parameter(lib.zeros(2, dtype=lib.int64), requires_grad=False), "d": lib.zeros(3),
            "e": "x", "f": mod.Parameter(lib.zeros(()))}


PD_TEXT = ("ParameterDict(\n"
           "    (a): Parameter containing: [plait.DoubleTensor of size 2]\n"
           "    (b): Parameter containing: [plait.FloatTensor of size 2x3]\n"
           "    (c): Parameter containing: [plait.LongTensor of size 2]\n"
           "    (d): Parameter containing: [plait.FloatTensor of size 3]\n"
           "    (e): Object of type: str\n"
           "    (f): Parameter containing: [plait.FloatTensor of size ]\n)")
PL_TEXT = ("ParameterList(\n"
           "    (0): Parameter containing: [plait.float64 of size 2]\n"
           "    (1): Parameter containing: [plait.float32 of size 2x3]\n"
           "    (2): Parameter containing: [plait.int64 of size 2]\n"
           "    (3): Parameter containing: [plait.float32 of size 3]\n"
           "    (4): Object of type: str\n"
           "    (5): Parameter containing: [plait.float32 of size ]\n)")


def test_parameter_dict_repr_uses_legacy_type_names():
    assert repr(nn.ParameterDict(_params(plait, nn))) == PD_TEXT
    assert repr(nn.ParameterList(_params(plait, nn).values())) == PL_TEXT
    one = nn.ParameterDict({"a": nn.Parameter(plait.zeros(2, dtype=plait.float64))})
    assert repr(one) == "ParameterDict(  (a): Parameter containing: [plait.DoubleTensor of size 2])"
    for dt, name in [(plait.float16, "HalfTensor"), (plait.int32, "IntTensor"), (plait.int16, "ShortTensor"),
                     (plait.int8, "CharTensor"), (plait.uint8, "ByteTensor"), (plait.bool, "BoolTensor")]:
        try:
            t = plait.zeros(1, dtype=dt)
        except TypeError:  # the Array API standard has no float16, so a strict backend may lack it
            continue
        pd = nn.ParameterDict({"p": nn.Parameter(t, requires_grad=False)})
        assert f"[plait.{name} of size 1]" in repr(pd)


@needs_torch
def test_parameter_dict_and_list_reprs_match_torch():
    assert repr(tnn.ParameterDict(_params(torch, tnn))).replace("torch.", "plait.") == PD_TEXT
    assert repr(tnn.ParameterList(_params(torch, tnn).values())).replace("torch.", "plait.") == PL_TEXT


# --------------------------------------------------------------------------- 5. Upsample
UP_REPRS = [
    (("Upsample",), {"scale_factor": 2}, "Upsample(scale_factor=2.0, mode='nearest')"),
    (("Upsample",), {"size": 5, "mode": "linear"}, "Upsample(size=5, mode='linear')"),
    (("Upsample",), {"size": (4, 6), "mode": "bilinear", "align_corners": True},
     "Upsample(size=(4, 6), mode='bilinear')"),
    (("Upsample",), {"scale_factor": (2, 3), "mode": "bicubic"}, "Upsample(scale_factor=(2.0, 3.0), mode='bicubic')"),
    (("Upsample",), {}, "Upsample(size=None, mode='nearest')"),
    (("UpsamplingNearest2d",), {"scale_factor": 2}, "UpsamplingNearest2d(scale_factor=2.0, mode='nearest')"),
    (("UpsamplingBilinear2d",), {"size": (3, 4)}, "UpsamplingBilinear2d(size=(3, 4), mode='bilinear')"),
]


@pytest.mark.parametrize("name,kwargs,text", UP_REPRS)
def test_upsample_repr(name, kwargs, text):
    assert repr(getattr(nn, name[0])(**kwargs)) == text


@needs_torch
@pytest.mark.parametrize("name,kwargs,text", UP_REPRS)
def test_upsample_repr_matches_torch(name, kwargs, text):
    assert repr(getattr(tnn, name[0])(**kwargs)) == text


def test_upsample_attributes_and_pickle():
    up = nn.UpsamplingBilinear2d(scale_factor=2)
    assert (up.name, up.mode, up.align_corners, up.scale_factor, up.size) == \
        ("UpsamplingBilinear2d", "bilinear", True, 2.0, None)
    assert nn.Upsample(scale_factor=0).scale_factor is None
    assert isinstance(up, nn.Upsample) and "Upsample" in nn.__all__ and "UpsamplingNearest2d" in nn.__all__
    state = pickle.loads(pickle.dumps(nn.Upsample(scale_factor=2)))
    assert state.recompute_scale_factor is None
    del state.__dict__["recompute_scale_factor"]
    state.__setstate__(dict(state.__dict__))
    assert state.recompute_scale_factor is True


UP_VALUES = [
    ("Upsample", {"scale_factor": 2}, (2, 3, 4, 5)),
    ("Upsample", {"scale_factor": 2}, (2, 3, 5)),
    ("Upsample", {"size": (7, 3), "mode": "nearest"}, (1, 2, 4, 5)),
    ("Upsample", {"scale_factor": 1.5, "mode": "nearest", "recompute_scale_factor": True}, (1, 2, 4, 5)),
    ("Upsample", {"scale_factor": 2, "mode": "linear"}, (2, 3, 5)),
    ("Upsample", {"scale_factor": 2, "mode": "linear", "align_corners": True}, (2, 3, 5)),
    ("Upsample", {"scale_factor": (2, 3), "mode": "bilinear"}, (1, 2, 4, 5)),
    ("Upsample", {"size": (6, 7), "mode": "bilinear", "align_corners": True}, (1, 2, 4, 5)),
    ("Upsample", {"scale_factor": 2, "mode": "bicubic"}, (1, 2, 4, 5)),
    ("Upsample", {"scale_factor": 2, "mode": "trilinear"}, (1, 2, 3, 4, 2)),
    ("UpsamplingNearest2d", {"scale_factor": 3}, (2, 3, 4, 5)),
    ("UpsamplingNearest2d", {"size": (5, 9)}, (2, 3, 4, 5)),
    ("UpsamplingBilinear2d", {"scale_factor": 2}, (2, 3, 4, 5)),
    ("UpsamplingBilinear2d", {"size": (7, 3)}, (2, 3, 4, 5)),
]


@pytest.mark.parametrize("name,kwargs,shape", UP_VALUES)
def test_upsample_matches_functional_interpolate(name, kwargs, shape):
    x = plait.tensor(RNG.standard_normal(shape))
    m = getattr(nn, name)(**kwargs)
    expect = nn.functional.interpolate(x, m.size, m.scale_factor, m.mode, m.align_corners,
                                       recompute_scale_factor=m.recompute_scale_factor)
    np.testing.assert_array_equal(N(m(x)), N(expect))


@needs_torch
@pytest.mark.parametrize("name,kwargs,shape", UP_VALUES)
def test_upsample_values_match_torch(name, kwargs, shape):
    x = RNG.standard_normal(shape)
    got = getattr(nn, name)(**kwargs)(plait.tensor(x))
    want = getattr(tnn, name)(**kwargs)(torch.from_numpy(x)).numpy()
    assert tuple(got.shape) == want.shape
    np.testing.assert_allclose(N(got), want, rtol=1e-10, atol=1e-12)


@needs_torch
def test_upsample_gradient_matches_torch():
    x = RNG.standard_normal((1, 2, 3, 4))
    px = plait.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    nn.UpsamplingBilinear2d(scale_factor=2)(px).pow(2).sum().backward()
    tnn.UpsamplingBilinear2d(scale_factor=2)(tx).pow(2).sum().backward()
    np.testing.assert_allclose(N(px.grad), tx.grad.numpy(), rtol=1e-10, atol=1e-12)
