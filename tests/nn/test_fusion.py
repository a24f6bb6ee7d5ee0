"""Conv/linear + batch-norm fusion (plait.nn.utils.fusion) against torch 2.13's numbers (hard-coded below,
produced by running the same scenario functions with torch), and torch's checks."""
import warnings

import numpy as np
import pytest

import plait
import plait.nn as nn

CONV_W = [[[[0.4925, -0.5218], [1.0862, 0.6052]], [[-0.178, 0.632], [1.2598, 1.7912]]], [[[-1.5736, 0.8831], [0.4651, -0.0939]], [[-1.0067, 1.2572], [-1.2617, 0.5669]]], [[[1.3019, -1.5997], [-0.3025, -1.3092]], [[0.2441, 1.5144], [2.0236, -1.7781]]]]
CONV_B = [-0.5749, 0.7035, 1.5794]
IMG = [[[[0.4212, -0.7462, 0.2971], [-0.0166, -0.2037, -0.7345], [0.3873, 0.3079, -0.093]], [[-0.2217, -1.2849, -0.4862], [1.2064, -0.1906, -1.4397], [1.3344, 0.5303, 2.1081]]]]
BN_MEAN = [0.3, -0.2, 0.5]
BN_VAR = [0.8, 1.7, 0.4]
BN_WEIGHT = [1.2, -0.7, 0.9]
BN_BIAS = [0.1, 0.4, -0.3]
LIN_W = [[0.4, -1.1], [0.9, 0.3], [-0.6, 0.8]]
LIN_X = [[0.5, -1.5], [2.0, 0.25]]


def _bn(fw, affine=True):
    bn = fw.nn.BatchNorm2d(3, eps=1e-3, affine=affine).double()
    with fw.no_grad():
        bn.running_mean.copy_(fw.tensor(BN_MEAN, dtype=fw.float64))
        bn.running_var.copy_(fw.tensor(BN_VAR, dtype=fw.float64))
        if affine:
            bn.weight.copy_(fw.tensor(BN_WEIGHT, dtype=fw.float64))
            bn.bias.copy_(fw.tensor(BN_BIAS, dtype=fw.float64))
    return bn.eval()


def conv_bn(fw, bias, affine):
    conv = fw.nn.Conv2d(2, 3, 2, bias=bias).double()
    with fw.no_grad():
        conv.weight.copy_(fw.tensor(CONV_W, dtype=fw.float64))
        if bias:
            conv.bias.copy_(fw.tensor(CONV_B, dtype=fw.float64))
    conv.eval()
    fused = fw.nn.utils.fuse_conv_bn_eval(conv, _bn(fw, affine))
    x = fw.tensor(IMG, dtype=fw.float64)
    return {"weight": fused.weight.detach().tolist(), "bias": fused.bias.detach().tolist(),
            "out": fused(x).detach().tolist()}


def conv_transpose_bn(fw):
    conv = fw.nn.ConvTranspose2d(2, 3, 2).double()
    with fw.no_grad():
        conv.weight.copy_(fw.tensor(CONV_W, dtype=fw.float64).permute(1, 0, 2, 3))
        conv.bias.copy_(fw.tensor(CONV_B, dtype=fw.float64))
    conv.eval()
    fused = fw.nn.utils.fuse_conv_bn_eval(conv, _bn(fw), transpose=True)
    x = fw.tensor(IMG, dtype=fw.float64)
    return {"weight": fused.weight.detach().tolist(), "bias": fused.bias.detach().tolist(),
            "out": fused(x).detach().tolist()}


def linear_bn(fw, bias):
    lin = fw.nn.Linear(2, 3, bias=bias).double()
    with fw.no_grad():
        lin.weight.copy_(fw.tensor(LIN_W, dtype=fw.float64))
        if bias:
            lin.bias.copy_(fw.tensor(CONV_B, dtype=fw.float64))
    lin.eval()
    bn = fw.nn.BatchNorm1d(3, eps=1e-3).double()
    with fw.no_grad():
        bn.running_mean.copy_(fw.tensor(BN_MEAN, dtype=fw.float64))
        bn.running_var.copy_(fw.tensor(BN_VAR, dtype=fw.float64))
        bn.weight.copy_(fw.tensor(BN_WEIGHT, dtype=fw.float64))
        bn.bias.copy_(fw.tensor(BN_BIAS, dtype=fw.float64))
    fused = fw.nn.utils.fuse_linear_bn_eval(lin, bn.eval())
    x = fw.tensor(LIN_X, dtype=fw.float64)
    return {"weight": fused.weight.detach().tolist(), "bias": fused.bias.detach().tolist(),
            "out": fused(x).detach().tolist(), "unfused": bn(lin(x)).detach().tolist()}


SCENARIOS = {
    "conv_bn": (conv_bn, (True, True)),
    "conv_no_bias_bn": (conv_bn, (False, True)),
    "conv_bn_no_affine": (conv_bn, (True, False)),
    "conv_transpose_bn": (conv_transpose_bn, ()),
    "linear_bn": (linear_bn, (True,)),
    "linear_no_bias_bn": (linear_bn, (False,)),
}


EXPECTED = {
    'conv_bn': {'weight': [[[[0.660345500307, -0.699631029564], [1.4563802689, 0.811454003626]], [[-0.238662942243, 0.847387525267], [1.689143677739, 2.401646416547]]], [[[0.844578905474, -0.473975363132], [-0.249627382395, 0.050397788017]], [[0.54031366557, -0.674761438715], [0.677176668173, -0.304265239904]]], [[[1.850324716464, -2.273572815829], [-0.429927971987, -1.860699837772]], [[0.346927001528, 2.152340233976], [2.876040476409, -2.52712372559]]]], 'bias': [-1.073068585215, -0.08492440334, 1.234096704011], 'out': [[[[0.081796989683, -6.551299334041], [2.950538668495, 4.463421329737]], [[2.240522752901, -0.899334564947], [1.439157787679, 0.595778006061]], [[5.205024201009, 2.230058662645], [3.433038898789, -4.399318727791]]]]},
    'conv_no_bias_bn': {'weight': [[[[0.660345500307, -0.699631029564], [1.4563802689, 0.811454003626]], [[-0.238662942243, 0.847387525267], [1.689143677739, 2.401646416547]]], [[[0.844578905474, -0.473975363132], [-0.249627382395, 0.050397788017]], [[0.54031366557, -0.674761438715], [0.677176668173, -0.304265239904]]], [[[1.850324716464, -2.273572815829], [-0.429927971987, -1.860699837772]], [[0.346927001528, 2.152340233976], [2.876040476409, -2.52712372559]]]], 'bias': [-0.302240913892, 0.292656468547, -1.010624747087], 'out': [[[[0.852624661005, -5.780471662719], [3.721366339818, 5.234249001059]], [[2.618103624788, -0.521753693061], [1.816738659566, 0.973358877948]], [[2.960302749912, -0.014662788452], [1.188317447691, -6.644040178889]]]]},
    'conv_bn_no_affine': {'weight': [[[[0.550287916922, -0.58302585797], [1.213650224083, 0.676211669688]], [[-0.198885785202, 0.706156271056], [1.407619731449, 2.001372013789]]], [[[-1.206541293535, 0.677107661617], [0.356610546278, -0.071996840025]], [[-0.7718766651, 0.96394491245], [-0.967395240247, 0.434664628435]]], [[[2.055916351627, -2.526192017588], [-0.477697746653, -2.067444264191]], [[0.385474446142, 2.391489148863], [3.195600529344, -2.807915250655]]]], 'bias': [-0.977557154346, 0.692749147629, 1.704551893345], 'out': [[[[-0.015169175264, -5.542749445034], [2.375448890413, 3.636184441447]], [[-2.62931821843, 1.856192235639], [-1.484511125256, -0.279682865801]], [[6.116693556677, 2.811176291828], [4.147820998654, -4.554798586435]]]]},
    'conv_transpose_bn': {'weight': [[[[0.660345500307, -0.699631029564], [1.4563802689, 0.811454003626]], [[0.844578905474, -0.473975363132], [-0.249627382395, 0.050397788017]], [[1.850324716464, -2.273572815829], [-0.429927971987, -1.860699837772]]], [[[-0.238662942243, 0.847387525267], [1.689143677739, 2.401646416547]], [[0.54031366557, -0.674761438715], [0.677176668173, -0.304265239904]], [[0.346927001528, 2.152340233976], [2.876040476409, -2.52712372559]]]], 'bias': [-1.073068585215, -0.08492440334, 1.234096704011], 'out': [[[[-0.74201948619, -1.74171078706, -1.32758557151, -1.692928778883], [-1.133009078136, -3.575981873664, -5.31344007519, -2.705770917375], [0.877818417285, 2.128736306734, -5.528271302519, -3.275288569016], [1.744980816505, 3.790136905729, 3.87581161923, 3.91437700317]], [[0.151024691989, -1.459442023484, 1.12398087385, 0.102326527777], [0.297616872174, -1.761262315874, -1.308062896083, 1.39757148666], [1.784265309118, -1.068445507317, -0.272051019913, -1.062275792933], [0.722019457468, -0.189170360076, 1.220012699607, -0.731032949868]], [[1.936539758347, -2.027184803578, 0.546150337665, -0.487849601331], [0.803210212939, -0.17268975736, 2.537946143505, 0.481185335962], [5.890458892611, 0.500883697613, -0.729432766026, 10.987871481703], [4.905374012181, -1.46595680052, 5.424017741994, -3.920287736992]]]]},
    'linear_bn': {'weight': [[0.536321218523, -1.474883350939], [-0.48304589154, -0.16101529718], [-0.852749696504, 1.136999595339]], 'bias': [-1.073068585215, -0.08492440334, 1.234096704011], 'out': [[1.407417050455, -0.08492440334, -0.897777537249], [-0.369146985903, -1.091270010714, -0.187152790163]], 'unfused': [[1.407417050455, -0.08492440334, -0.897777537249], [-0.369146985903, -1.091270010714, -0.187152790163]]},
    'linear_no_bias_bn': {'weight': [[0.536321218523, -1.474883350939], [-0.48304589154, -0.16101529718], [-0.852749696504, 1.136999595339]], 'bias': [-0.302240913892, 0.292656468547, -1.010624747087], 'out': [[2.178244721777, 0.292656468547, -3.142498988347], [0.401680685419, -0.713689138828, -2.43187424126]], 'unfused': [[2.178244721777, 0.292656468547, -3.142498988347], [0.401680685419, -0.713689138828, -2.43187424126]]},
}



def test_hard_coded_numbers_are_torchs():
    """Where torch is installed, the scenarios run with it still give the numbers hard-coded above."""
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, (fn, args) in SCENARIOS.items():
            got = fn(torch, *args)
            for key, value in EXPECTED[name].items():
                np.testing.assert_allclose(np.array(got[key]), np.array(value), rtol=1e-9, atol=1e-10,
                                           err_msg=f"{name}: {key}")

@pytest.mark.parametrize("name", list(SCENARIOS))
def test_fusion_matches_torch(name):
    fn, args = SCENARIOS[name]
    got = fn(plait, *args)
    for key, value in EXPECTED[name].items():
        np.testing.assert_allclose(np.array(got[key]), np.array(value), rtol=1e-9, atol=1e-10, err_msg=key)


def test_fused_layer_equals_conv_then_bn():
    conv = nn.Conv2d(2, 3, 2).double().eval()
    bn = _bn(plait)
    x = plait.tensor(IMG, dtype=plait.float64)
    fused = nn.utils.fuse_conv_bn_eval(conv, bn)
    np.testing.assert_allclose(fused(x).detach().numpy(), bn(conv(x)).detach().numpy(), atol=1e-12)
    assert fused is not conv and fused.weight is not conv.weight
    assert isinstance(fused.weight, nn.Parameter) and fused.weight.requires_grad
    assert list(fused.state_dict()) == ["weight", "bias"]


def test_fuse_weights_returns_parameters_with_input_dtypes():
    w, b = nn.utils.fuse_conv_bn_weights(plait.ones(3, 2, 1, 1), None, plait.zeros(3), plait.ones(3), 1e-5, None,
                                         None)
    assert isinstance(w, nn.Parameter) and isinstance(b, nn.Parameter)
    assert w.dtype == plait.float32 and b.dtype == plait.float32
    assert not b.requires_grad  # the zero bias made up for a bias-free convolution
    np.testing.assert_allclose(w.detach().numpy(), np.full((3, 2, 1, 1), 1 / np.sqrt(1 + 1e-5)), rtol=1e-6)
    w, b = nn.utils.fuse_linear_bn_weights(plait.ones(3, 2, requires_grad=True), None, plait.zeros(3), plait.ones(3),
                                           1e-5, plait.ones(3), plait.zeros(3))
    assert w.requires_grad and not b.requires_grad and b.shape == (3,)


def test_fusion_errors():
    conv, bn = nn.Conv2d(2, 3, 2), nn.BatchNorm2d(3)
    with pytest.raises(AssertionError, match="^Fusion only for eval!$"):
        nn.utils.fuse_conv_bn_eval(conv, bn.eval())
    with pytest.raises(AssertionError, match="^Fusion only for eval!$"):
        nn.utils.fuse_linear_bn_eval(nn.Linear(2, 3).eval(), nn.BatchNorm1d(3))
    with pytest.raises(AssertionError, match=r"^To fuse, linear.out_features == bn.num_features or bn.num_features "
                                             r"== 1, got linear.out_features=3 and bn.num_features=4$"):
        nn.utils.fuse_linear_bn_eval(nn.Linear(2, 3).eval(), nn.BatchNorm1d(4).eval())
    with pytest.raises(AssertionError, match="^bn.running_mean and bn.running_var must not be None$"):
        nn.utils.fuse_conv_bn_eval(conv.eval(), nn.BatchNorm2d(3, track_running_stats=False).eval())
