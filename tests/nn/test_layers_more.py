"""The rest of torch.nn's everyday layers against torch 2.13: pixel/channel shuffles, padding layers, instance /
local-response / RMS normalisation, distances, Fold/Unfold, Softmax2d, RReLU, alpha and 3-d dropout. Every
value, gradient, repr and error text below was produced by torch 2.13 (inputs are fixed formulas); the last
test also compares live against torch where it is installed."""
import re

import numpy as np
import pytest

import plait
import plait.nn as nn
import plait.nn.functional as F
from plait.autograd import gradcheck


def inp(shape, k=0):
    """The fixed inputs the torch numbers were made from."""
    n = int(np.prod(shape))
    return np.round(np.sin(np.arange(n) * 1.37 + k) * 2.0, 3).reshape(shape)


def T(a, requires_grad=False):
    return plait.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def N(t):
    return t.detach().numpy()


# --------------------------------------------------------------------------- reprs and state_dict keys
REPRS = [
    ('nn.Threshold(0.1, 20.0)', 'Threshold(threshold=0.1, value=20.0)', []),
    ('nn.Threshold(0.1, 20, inplace=True)', 'Threshold(threshold=0.1, value=20, inplace=True)', []),
    ('nn.Hardtanh()', 'Hardtanh(min_val=-1.0, max_val=1.0)', []),
    ('nn.Hardtanh(-2.0, 3.0, True)', 'Hardtanh(min_val=-2.0, max_val=3.0, inplace=True)', []),
    ('nn.ReLU6()', 'ReLU6()', []),
    ('nn.ReLU6(inplace=True)', 'ReLU6(inplace=True)', []),
    ('nn.SELU()', 'SELU()', []),
    ('nn.SELU(True)', 'SELU(inplace=True)', []),
    ('nn.CELU()', 'CELU(alpha=1.0)', []),
    ('nn.CELU(0.5, inplace=True)', 'CELU(alpha=0.5, inplace=True)', []),
    ('nn.GLU()', 'GLU(dim=-1)', []),
    ('nn.GLU(0)', 'GLU(dim=0)', []),
    ('nn.GELU()', "GELU(approximate='none')", []),
    ("nn.GELU('tanh')", "GELU(approximate='tanh')", []),
    ('nn.SiLU()', 'SiLU()', []),
    ('nn.SiLU(True)', 'SiLU(inplace=True)', []),
    ('nn.Mish()', 'Mish()', []),
    ('nn.Hardswish()', 'Hardswish()', []),
    ('nn.Hardswish(True)', 'Hardswish()', []),
    ('nn.Hardsigmoid()', 'Hardsigmoid()', []),
    ('nn.LogSigmoid()', 'LogSigmoid()', []),
    ('nn.Softplus()', 'Softplus(beta=1.0, threshold=20.0)', []),
    ('nn.Softplus(2, 10)', 'Softplus(beta=2, threshold=10)', []),
    ('nn.Softshrink()', 'Softshrink(0.5)', []),
    ('nn.Softshrink(0.3)', 'Softshrink(0.3)', []),
    ('nn.Hardshrink()', 'Hardshrink(0.5)', []),
    ('nn.Tanhshrink()', 'Tanhshrink()', []),
    ('nn.Softsign()', 'Softsign()', []),
    ('nn.Softmin(1)', 'Softmin(dim=1)', []),
    ('nn.Softmax()', 'Softmax(dim=None)', []),
    ('nn.Softmax(dim=0)', 'Softmax(dim=0)', []),
    ('nn.LogSoftmax(1)', 'LogSoftmax(dim=1)', []),
    ('nn.PReLU()', 'PReLU(num_parameters=1)', ['weight']),
    ('nn.PReLU(4, 0.1)', 'PReLU(num_parameters=4)', ['weight']),
    ('nn.ELU(0.5, True)', 'ELU(alpha=0.5, inplace=True)', []),
    ('nn.LeakyReLU(0.2)', 'LeakyReLU(negative_slope=0.2)', []),
    ('nn.ReLU(True)', 'ReLU(inplace=True)', []),
    ('nn.Sigmoid()', 'Sigmoid()', []),
    ('nn.Tanh()', 'Tanh()', []),
    ('nn.RReLU()', 'RReLU(lower=0.125, upper=0.3333333333333333)', []),
    ('nn.RReLU(0.1, 0.3, inplace=True)', 'RReLU(lower=0.1, upper=0.3, inplace=True)', []),
    ('nn.Softmax2d()', 'Softmax2d()', []),
    ('nn.PixelShuffle(3)', 'PixelShuffle(upscale_factor=3)', []),
    ('nn.PixelUnshuffle(2)', 'PixelUnshuffle(downscale_factor=2)', []),
    ('nn.ChannelShuffle(4)', 'ChannelShuffle(groups=4)', []),
    ('nn.ReflectionPad1d(2)', 'ReflectionPad1d((2, 2))', []),
    ('nn.ReflectionPad2d((1, 0, 2, 3))', 'ReflectionPad2d((1, 0, 2, 3))', []),
    ('nn.ReflectionPad3d(1)', 'ReflectionPad3d((1, 1, 1, 1, 1, 1))', []),
    ('nn.ReplicationPad1d((1, 2))', 'ReplicationPad1d((1, 2))', []),
    ('nn.ReplicationPad2d(2)', 'ReplicationPad2d((2, 2, 2, 2))', []),
    ('nn.ReplicationPad3d((1, 2, 3, 4, 5, 6))', 'ReplicationPad3d((1, 2, 3, 4, 5, 6))', []),
    ('nn.ZeroPad1d(1)', 'ZeroPad1d((1, 1))', []),
    ('nn.ZeroPad2d((1, 2, 3, 4))', 'ZeroPad2d((1, 2, 3, 4))', []),
    ('nn.ZeroPad3d(2)', 'ZeroPad3d((2, 2, 2, 2, 2, 2))', []),
    ('nn.ConstantPad1d(2, 3.5)', 'ConstantPad1d(padding=(2, 2), value=3.5)', []),
    ('nn.ConstantPad2d((1, 0, 0, 1), -1)', 'ConstantPad2d(padding=(1, 0, 0, 1), value=-1)', []),
    ('nn.ConstantPad3d(1, 0.0)', 'ConstantPad3d(padding=(1, 1, 1, 1, 1, 1), value=0.0)', []),
    ('nn.CircularPad1d(1)', 'CircularPad1d((1, 1))', []),
    ('nn.CircularPad2d((1, 1, 2, 0))', 'CircularPad2d((1, 1, 2, 0))', []),
    ('nn.CircularPad3d(3)', 'CircularPad3d((3, 3, 3, 3, 3, 3))', []),
    ('nn.InstanceNorm1d(3)', 'InstanceNorm1d(3, eps=1e-05, momentum=0.1, affine=False, bias=False, track_running_stats=False)', []),
    ('nn.InstanceNorm2d(4, affine=True)', 'InstanceNorm2d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=False)', ['weight', 'bias']),
    ('nn.InstanceNorm3d(2, eps=1e-3, momentum=None, track_running_stats=True)', 'InstanceNorm3d(2, eps=0.001, momentum=None, affine=False, bias=False, track_running_stats=True)', ['running_mean', 'running_var', 'num_batches_tracked']),
    ('nn.InstanceNorm2d(4, affine=True, bias=False)', 'InstanceNorm2d(4, eps=1e-05, momentum=0.1, affine=True, bias=False, track_running_stats=False)', ['weight']),
    ('nn.LocalResponseNorm(2)', 'LocalResponseNorm(2, alpha=0.0001, beta=0.75, k=1.0)', []),
    ('nn.LocalResponseNorm(5, alpha=0.001, beta=0.5, k=2)', 'LocalResponseNorm(5, alpha=0.001, beta=0.5, k=2)', []),
    ('nn.RMSNorm(4)', 'RMSNorm((4,), eps=None, elementwise_affine=True)', ['weight']),
    ('nn.RMSNorm([2, 3], eps=1e-6, elementwise_affine=False)', 'RMSNorm((2, 3), eps=1e-06, elementwise_affine=False)', []),
    ('nn.CosineSimilarity()', 'CosineSimilarity()', []),
    ('nn.CosineSimilarity(dim=0, eps=1e-6)', 'CosineSimilarity()', []),
    ('nn.PairwiseDistance()', 'PairwiseDistance()', []),
    ('nn.PairwiseDistance(p=1.0, keepdim=True)', 'PairwiseDistance()', []),
    ('nn.Fold(output_size=(4, 5), kernel_size=2)', 'Fold(output_size=(4, 5), kernel_size=2, dilation=1, padding=0, stride=1)', []),
    ('nn.Fold(3, 2, dilation=2, padding=1, stride=1)', 'Fold(output_size=3, kernel_size=2, dilation=2, padding=1, stride=1)', []),
    ('nn.Unfold(kernel_size=(2, 3), padding=1, stride=2)', 'Unfold(kernel_size=(2, 3), dilation=1, padding=1, stride=2)', []),
    ('nn.Dropout1d(0.3)', 'Dropout1d(p=0.3, inplace=False)', []),
    ('nn.Dropout3d()', 'Dropout3d(p=0.5, inplace=False)', []),
    ('nn.Dropout3d(0.2, True)', 'Dropout3d(p=0.2, inplace=True)', []),
    ('nn.AlphaDropout(0.1)', 'AlphaDropout(p=0.1, inplace=False)', []),
    ('nn.FeatureAlphaDropout(0.4, inplace=True)', 'FeatureAlphaDropout(p=0.4, inplace=True)', []),
    ('nn.BatchNorm1d(3, affine=False)', 'BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=False, bias=False, track_running_stats=True)', ['running_mean', 'running_var', 'num_batches_tracked']),
    ('nn.LayerNorm(3, bias=False)', 'LayerNorm((3,), eps=1e-05, elementwise_affine=True, bias=False)', ['weight']),
    ('nn.GroupNorm(1, 2, affine=False)', 'GroupNorm(1, 2, eps=1e-05, affine=False, bias=False)', []),
]


@pytest.mark.parametrize("src,text,keys", REPRS, ids=[r[0] for r in REPRS])
def test_repr_and_state_dict_keys_match_torch(src, text, keys):
    m = eval(src)
    assert repr(m) == text
    assert list(m.state_dict()) == keys


def test_every_torch_activation_exists():
    names = ("Threshold ReLU RReLU Hardtanh ReLU6 Sigmoid Hardsigmoid Tanh SiLU Mish Hardswish ELU CELU SELU GLU GELU "
             "Hardshrink LeakyReLU LogSigmoid Softplus Softshrink PReLU Softsign Tanhshrink Softmin Softmax Softmax2d "
             "LogSoftmax").split()
    assert [n for n in names if not hasattr(nn, n)] == []
    assert isinstance(nn.ZeroPad2d(1), nn.ConstantPad2d)
    assert nn.ReflectionPad2d(2).padding == (2, 2, 2, 2) and nn.ZeroPad1d((1, 3)).padding == (1, 3)


# --------------------------------------------------------------------------- values and gradients (torch's)
# (id, layer, input shapes, training, torch's repr, output shape, output, input grads, parameter grads,
#  running stats after the call); the output gradient is cos(0.7 k) for its k-th element.
TORCH_CASES = [
    ('pixel_shuffle', 'nn.PixelShuffle(2)', [(1, 8, 2, 3)], True, 'PixelShuffle(upscale_factor=2)', (1, 2, 4, 6),
     [0, 1.868, 1.96, -0.329, 0.782, -1.999, -1.337, -0.911, -1.724, 1.563, 0.649, 1.534, -1.648, -0.468, -1.439, 1.812, 1.074, 1.191, 1.983, -0.951, 0.142, -1.914, -1.927, 0.188, 1.989, -0.513, 0.605, -1.997, -1.747, -0.284, -1.622, 1.674, 0.824, 1.407, 1.95, -1.112, -1.302, 1.883, 1.228, 1.035, 1.792, -1.471, -0.046, -1.851, -1.968, 0.374, -0.739, 2],
     [[1, 0.1699671429, -0.942222340669, -0.519288654117, -0.930426272105, 0.203004863819, 0.764842187284, -0.5048461046, -0.936456687291, -0.947721602131, -0.475536927996, 0.786070296141, -0.490260821341, 0.77556587851, 0.753902254343, 0.999434585501, 0.136737218208, -0.952952916887, 0.186512369423, 0.999858636383, 0.153373862038, 0.742749172704, -0.533584386589, -0.924132800073, -0.460678587411, 0.796352470292, 0.731386095645, 0.997738981391, 0.103352667104, -0.962605866314, 0.219439963211, 0.998727967244, 0.120061915042, 0.71981623582, -0.561719275881, -0.910763876687, -0.547729260224, -0.917578050532, 0.235813020951, -0.430575404777, 0.816238523608, 0.708042864342, -0.957914805902, -0.445690000444, 0.806409493912, 0.252119407927, 0.996467907557, 0.0866141985519]],
     [],
     {}),
    ('pixel_shuffle_5d', 'nn.PixelShuffle(2)', [(2, 1, 4, 1, 2)], True, 'PixelShuffle(upscale_factor=2)', (2, 1, 1, 2, 4),
     [0, 0.782, 1.96, -1.648, -1.439, 1.868, 1.074, -0.329, -1.999, 1.812, -0.468, 1.191, -1.337, 0.649, -1.724, 1.983],
     [[1, 0.1699671429, 0.764842187284, -0.5048461046, -0.942222340669, -0.490260821341, -0.936456687291, 0.186512369423, 0.77556587851, 0.753902254343, 0.999858636383, 0.153373862038, -0.519288654117, -0.930426272105, -0.947721602131, -0.475536927996]],
     [],
     {}),
    ('pixel_unshuffle', 'nn.PixelUnshuffle(2)', [(1, 2, 4, 2)], True, 'PixelUnshuffle(downscale_factor=2)', (1, 8, 2, 1),
     [0, -1.439, 1.96, 1.074, 0.782, 1.868, -1.648, -0.329, -1.999, -1.337, -0.468, -1.724, 1.812, 0.649, 1.191, 1.983],
     [[1, 0.1699671429, -0.942222340669, -0.490260821341, 0.764842187284, -0.5048461046, -0.936456687291, 0.186512369423, 0.77556587851, 0.753902254343, -0.519288654117, -0.930426272105, 0.999858636383, 0.153373862038, -0.947721602131, -0.475536927996]],
     [],
     {}),
    ('channel_shuffle', 'nn.ChannelShuffle(3)', [(2, 6, 2)], True, 'ChannelShuffle(groups=3)', (2, 6, 2),
     [0, 1.96, -1.439, 1.074, -1.999, -0.468, 0.782, -1.648, 1.868, -0.329, 1.812, 1.191, -1.337, -1.724, 0.142, -1.927, 1.534, -0.951, 0.649, 1.983, -0.911, 1.563, -1.914, 0.188],
     [[1, 0.764842187284, -0.490260821341, 0.186512369423, 0.1699671429, -0.5048461046, 0.77556587851, 0.999858636383, -0.942222340669, -0.936456687291, 0.753902254343, 0.153373862038, -0.519288654117, -0.947721602131, 0.999434585501, 0.742749172704, -0.930426272105, -0.475536927996, 0.136737218208, -0.533584386589, 0.203004863819, 0.786070296141, -0.952952916887, -0.924132800073]],
     [],
     {}),
    ('reflection1d', 'nn.ReflectionPad1d((2, 1))', [(2, 4)], True, 'ReflectionPad1d((2, 1))', (2, 7),
     [0.782, 1.96, 0, 1.96, 0.782, -1.648, 0.782, 1.868, 1.074, -1.439, 1.074, 1.868, -0.329, 1.868],
     [[0.1699671429, 0.259996082685, -0.432483162009, -0.936456687291, 0.999858636383, 1.52946813285, -0.607835370671, -0.519288654117]],
     [],
     {}),
    ('reflection2d_neg', 'nn.ReflectionPad2d((-1, 2, 1, 0))', [(1, 2, 3, 4)], True, 'ReflectionPad2d((-1, 2, 1, 0))', (1, 2, 4, 5),
     [1.074, 1.868, -0.329, 1.868, 1.074, 1.96, 0.782, -1.648, 0.782, 1.96, 1.074, 1.868, -0.329, 1.868, 1.074, -0.468, 1.812, 1.191, 1.812, -0.468, -1.927, -0.911, 1.563, -0.911, -1.927, -1.724, 0.649, 1.983, 0.649, -1.724, -1.927, -0.911, 1.563, -0.911, -1.927, -0.951, -1.914, 0.188, -1.914, -0.951],
     [[0, 0.0634019490926, 0.28530505717, 0.186512369423, 0, -0.11874635843, -0.534351657409, -0.349321511216, 0, 0.267212244708, 1.20243944932, 0.786070296141, 0, 0.339501878254, 1.52773856594, 0.998727967244, 0, -0.635857608477, -2.86132199301, -1.87053096742, 0, 0.244690218031, 1.1010916485, 0.71981623582]],
     [],
     {}),
    ('reflection3d', 'nn.ReflectionPad3d(1)', [(1, 2, 2, 3)], True, 'ReflectionPad3d((1, 1, 1, 1, 1, 1))', (1, 4, 4, 5),
     [1.812, -0.468, 1.812, 1.191, 1.812, -0.329, 1.868, -0.329, -1.999, -0.329, 1.812, -0.468, 1.812, 1.191, 1.812, -0.329, 1.868, -0.329, -1.999, -0.329, -1.439, -1.648, -1.439, 1.074, -1.439, 1.96, 0, 1.96, 0.782, 1.96, -1.439, -1.648, -1.439, 1.074, -1.439, 1.96, 0, 1.96, 0.782, 1.96, 1.812, -0.468, 1.812, 1.191, 1.812, -0.329, 1.868, -0.329, -1.999, -0.329, 1.812, -0.468, 1.812, 1.191, 1.812, -0.329, 1.868, -0.329, -1.999, -0.329, -1.439, -1.648, -1.439, 1.074, -1.439, 1.96, 0, 1.96, 0.782, 1.96, -1.439, -1.648, -1.439, 1.074, -1.439, 1.96, 0, 1.96, 0.782, 1.96],
     [[0.21273415227, -0.184173368608, -0.422988585758, -0.362655256991, -0.0594438620986, 0.294793461095, 0.490638148627, 0.629739511678, 0.228279712697, -0.407886901081, -0.685433203232, -0.374611518361]],
     [],
     {}),
    ('replication1d', 'nn.ReplicationPad1d((3, -1))', [(1, 2, 4)], True, 'ReplicationPad1d((3, -1))', (1, 2, 6),
     [0, 0, 0, 0, 1.96, 0.782, -1.439, -1.439, -1.439, -1.439, 1.074, 1.868],
     [[1.42996322558, -0.942222340669, -0.936456687291, 0, 1.47167606298, 0.753902254343, 0.153373862038, 0]],
     [],
     {}),
    ('replication2d', 'nn.ReplicationPad2d((1, 2, 2, 0))', [(2, 2, 3)], True, 'ReplicationPad2d((1, 2, 2, 0))', (2, 4, 6),
     [0, 0, 1.96, 0.782, 0.782, 0.782, 0, 0, 1.96, 0.782, 0.782, 0.782, 0, 0, 1.96, 0.782, 0.782, 0.782, -1.648, -1.648, -1.439, 1.074, 1.074, 1.074, 1.868, 1.868, -0.329, -1.999, -1.999, -1.999, 1.868, 1.868, -0.329, -1.999, -1.999, -1.999, 1.868, 1.868, -0.329, -1.999, -1.999, -1.999, -0.468, -0.468, 1.812, 1.191, 1.191, 1.191],
     [[-0.00591652088143, 0.0151067493057, 0.0371478521691, 1.7421837582, 0.136737218208, -2.41067010355, -0.0293274731146, -0.017872913136, 0.011619473468, -0.17845599685, 0.816238523608, 1.79112497045]],
     [],
     {}),
    ('replication3d', 'nn.ReplicationPad3d((1, 0, 0, 2, 1, 1))', [(1, 1, 2, 2, 3)], True, 'ReplicationPad3d((1, 0, 0, 2, 1, 1))', (1, 1, 4, 4, 4),
     [0, 0, 1.96, 0.782, -1.648, -1.648, -1.439, 1.074, -1.648, -1.648, -1.439, 1.074, -1.648, -1.648, -1.439, 1.074, 0, 0, 1.96, 0.782, -1.648, -1.648, -1.439, 1.074, -1.648, -1.648, -1.439, 1.074, -1.648, -1.648, -1.439, 1.074, 1.868, 1.868, -0.329, -1.999, -0.468, -0.468, 1.812, 1.191, -0.468, -0.468, 1.812, 1.191, -0.468, -0.468, 1.812, 1.191, 1.868, 1.868, -0.329, -1.999, -0.468, -0.468, 1.812, 1.191, -0.468, -0.468, 1.812, 1.191, -0.468, -0.468, 1.812, 1.191],
     [[2.75391734724, 1.1694017284, 0.237903068104, -1.35690255121, -1.37111454592, -1.01897033527, -2.90584330101, -0.667879184141, 0.391070420196, 2.11624391849, 1.2397665094, 0.569799618428]],
     [],
     {}),
    ('circular1d', 'nn.CircularPad1d((1, 3))', [(1, 2, 4)], True, 'CircularPad1d((1, 3))', (1, 2, 8),
     [-1.648, 0, 1.96, 0.782, -1.648, 0, 1.96, 0.782, -0.329, -1.439, 1.074, 1.868, -0.329, -1.439, 1.074, 1.868],
     [[-0.171614500006, -0.32029367844, -0.318333735177, 0.0577776593313, 0.0521370342523, -0.176524017761, -0.322163065958, 0.256277224394]],
     [],
     {}),
    ('circular2d_neg', 'nn.CircularPad2d((-1, 2, 2, 1))', [(2, 3, 4)], True, 'CircularPad2d((-1, 2, 2, 1))', (2, 6, 5),
     [1.074, 1.868, -0.329, 1.074, 1.868, -0.468, 1.812, 1.191, -0.468, 1.812, 1.96, 0.782, -1.648, 1.96, 0.782, 1.074, 1.868, -0.329, 1.074, 1.868, -0.468, 1.812, 1.191, -0.468, 1.812, 1.96, 0.782, -1.648, 1.96, 0.782, -1.927, -0.911, 1.563, -1.927, -0.911, -0.951, -1.914, 0.188, -0.951, -1.914, -1.724, 0.649, 1.983, -1.724, 0.649, -1.927, -0.911, 1.563, -1.927, -0.911, -0.951, -1.914, 0.188, -0.951, -1.914, -1.724, 0.649, 1.983, -1.724, 0.649],
     [[0, 0.757006711069, 0.139361975267, 0.479439313127, 0, 1.01905155291, 0.768373883138, 0.956037439041, 0, -0.948286390646, -0.484665158958, -0.766440547465, 0, -0.985587421636, -0.921039146372, -1.0197943615, 0, -0.572501831313, -0.981083692441, -0.83096385198, 0, 0.831906736368, 1.0155957369, 0.9881707497]],
     [],
     {}),
    ('circular3d', 'nn.CircularPad3d((1, 1, 0, 1, 2, 0))', [(2, 2, 2, 3)], True, 'CircularPad3d((1, 1, 0, 1, 2, 0))', (2, 4, 3, 5),
     [0.782, 0, 1.96, 0.782, 0, 1.074, -1.648, -1.439, 1.074, -1.648, 0.782, 0, 1.96, 0.782, 0, -1.999, 1.868, -0.329, -1.999, 1.868, 1.191, -0.468, 1.812, 1.191, -0.468, -1.999, 1.868, -0.329, -1.999, 1.868, 0.782, 0, 1.96, 0.782, 0, 1.074, -1.648, -1.439, 1.074, -1.648, 0.782, 0, 1.96, 0.782, 0, -1.999, 1.868, -0.329, -1.999, 1.868, 1.191, -0.468, 1.812, 1.191, -0.468, -1.999, 1.868, -0.329, -1.999, 1.868, 0.649, -1.337, -1.724, 0.649, -1.337, -1.927, 1.983, 0.142, -1.927, 1.983, 0.649, -1.337, -1.724, 0.649, -1.337, 1.534, -0.911, 1.563, 1.534, -0.911, 0.188, -0.951, -1.914, 0.188, -0.951, 1.534, -0.911, 1.563, 1.534, -0.911, 0.649, -1.337, -1.724, 0.649, -1.337, -1.927, 1.983, 0.142, -1.927, 1.983, 0.649, -1.337, -1.724, 0.649, -1.337, 1.534, -0.911, 1.563, 1.534, -0.911, 0.188, -0.951, -1.914, 0.188, -0.951, 1.534, -0.911, 1.563, 1.534, -0.911],
     [[-1.77105970148, -1.69747496652, -1.40257117144, 0.945617520553, 0.906328605243, 0.748871352236, 0.776672721075, 1.28219350521, 1.62054018247, -0.414686942608, -0.684598403007, -0.865251006513, 0.640123024046, 1.17383018851, 1.55449180049, -0.341779301026, -0.626740245672, -0.829985957488, 1.14974433552, 0.620421153134, 0.0102066296701, -0.613880145832, -0.33125992988, -0.00544960050401]],
     [],
     {}),
    ('zero3d', 'nn.ZeroPad3d((1, 0, -1, 1, 0, 2))', [(1, 2, 3, 2)], True, 'ZeroPad3d((1, 0, -1, 1, 0, 2))', (1, 4, 3, 3),
     [0, 0.782, -1.648, 0, -1.439, 1.074, 0, 0, 0, 0, -1.999, -0.468, 0, 1.812, 1.191, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
     [[0, 0, 0.764842187284, 0.1699671429, -0.942222340669, -0.936456687291, 0, 0, 0.753902254343, 0.153373862038, -0.947721602131, -0.930426272105]],
     [],
     {}),
    ('constant2d', 'nn.ConstantPad2d((1, 1, 0, 2), -1.5)', [(2, 3)], True, 'ConstantPad2d(padding=(1, 1, 0, 2), value=-1.5)', (4, 5),
     [-1.5, 0, 1.96, 0.782, -1.5, -1.5, -1.648, -1.439, 1.074, -1.5, -1.5, -1.5, -1.5, -1.5, -1.5, -1.5, -1.5, -1.5, -1.5, -1.5],
     [[0.764842187284, 0.1699671429, -0.5048461046, -0.490260821341, 0.186512369423, 0.77556587851]],
     [],
     {}),
    ('instance1d', 'nn.InstanceNorm1d(3)', [(2, 3, 4)], True, 'InstanceNorm1d(3, eps=1e-05, momentum=0.1, affine=False, bias=False, track_running_stats=False)', (2, 3, 4),
     [-0.208695658529, 1.28689297298, 0.388013683225, -1.46621099767, -1.36146075359, 0.613344945558, 1.23729867621, -0.489182868174, -1.43440011766, -0.404833038364, 1.12842165843, 0.710811497593, -0.816786739865, -1.07382798266, 0.502293126264, 1.38832159626, 0.328932925036, -1.27144854915, -0.485567651243, 1.42808327536, 1.41349401762, -0.516734109203, -1.26474605533, 0.367986146915],
     [[0.553241502987, -0.0774726280754, -0.260169360131, -0.215599514781, -0.308842157451, -0.308419900274, 0.0409187031002, 0.576343354625, -0.0639069206798, 0.183425046874, 0.161733582253, -0.281251708447, 0.17476966721, -0.09637654589, -0.167143047991, 0.0887499266705, -0.348410823886, -0.00796968919627, 0.211361412106, 0.145019100977, 0.181572516693, 0.160983449938, 0.0290334958803, -0.371589462511]],
     [],
     {}),
    ('instance1d_unbatched_affine', 'nn.InstanceNorm1d(3, affine=True)', [(3, 5)], True, 'InstanceNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=False)', (3, 5),
     [0.125411658221, 0.847250065656, 0.413410451391, -0.481521859867, -0.404550315401, -0.580399243915, -1.17346681634, 0.467552650431, 1.71493658739, 0.571376822429, 2.11811530513, 1.23155868423, -2.37748340537, -2.9299752126, 0.457784628623],
     [[0.321733949532, -0.0666949721284, -0.104376176059, 0.0213002703183, -0.171963071663, 0.429645392901, -0.169453783825, 0.0605620296812, 0.179667236917, -0.500420875675, 0.651819195455, 0.106107029919, 0.414349352017, -0.00309615197726, -1.16917942541]],
     [[2.83837427344, -3.00032638751, 2.46207940332], [0.487740884916, 0.535219375685, -1.49016041197]],
     {}),
    ('instance2d_tracked', 'nn.InstanceNorm2d(2, track_running_stats=True, momentum=0.3)', [(2, 2, 2, 3)], True, 'InstanceNorm2d(2, eps=1e-05, momentum=0.3, affine=False, bias=False, track_running_stats=True)', (2, 2, 2, 3),
     [-0.0927115804278, 1.40288263882, 0.503999990721, -1.35023161784, -1.19075243833, 0.726813007058, 1.08555686869, -0.481267903352, -1.67225441646, -0.580397918515, 1.04561959639, 0.602743773252, -0.683630423531, -0.956941346988, 0.718941912349, 1.66105243403, 0.360883415727, -1.10030599159, -0.63628290385, 1.26220622675, 1.23995231213, -0.666977958508, -1.4059613994, 0.207063722881],
     [[0.845933269948, 0.250152345679, 0.0464579445661, 0.0477149877324, -0.330424200251, -0.859834347674, -0.423567664814, -0.242334152463, -0.0513574328048, 0.318646275791, 0.456043681989, -0.0574307076986, -0.224538721666, -0.558912707796, -0.351695998799, 0.0791823889173, 0.407103889406, 0.648861149938, 0.995711601649, 0.319073183187, -0.140343490116, -0.172935646354, -0.308040767245, -0.69346488112]],
     [],
     {'running_mean': [-0.037125, 0.0396], 'running_var': [1.370032405, 1.35957753]}),
    ('instance3d_eval', 'nn.InstanceNorm3d(2, track_running_stats=True)', [(1, 2, 2, 1, 3)], False, 'InstanceNorm3d(2, eps=1e-05, momentum=0.1, affine=False, bias=False, track_running_stats=True)', (1, 2, 2, 1, 3),
     [-0.163298771857, 1.43702919234, 0.475199426104, -1.50888065196, -1.33823343537, 0.713615633016, 2.78314445944, -0.323851667283, -2.68556469943, -0.520425386725, 2.7039492919, 1.8257314518],
     [[0.816493859286, 0.624488949241, 0.138777128458, -0.41220374429, -0.769318755238, -0.76461113466, -0.693326569409, 0.263765684744, 1.09680481591, 1.4139995041, 1.06616813117, 0.216901226806]],
     [],
     {'running_mean': [0.2, -0.1], 'running_var': [1.5, 0.5]}),
    ('lrn3d', 'nn.LocalResponseNorm(3, alpha=0.5, beta=0.6, k=1.5)', [(2, 5, 3)], True, 'LocalResponseNorm(3, alpha=0.5, beta=0.6, k=1.5)', (2, 5, 3),
     [0, 1.13506223767, 0.550667040118, -0.94330140618, -0.829735811708, 0.625785571841, 1.06009177634, -0.194063616468, -1.12814404061, -0.275668656402, 1.03074305673, 0.691859621144, -0.92903144318, -0.984853884833, 0.455119582166, 1.20503748342, 0.0962935273713, -1.10908619289, -0.532857721189, 0.8974415188, 0.881654403167, -0.555712712348, -1.08417213598, 0.110993896696, 1.12303001172, 0.355757439806, -0.996305096413, -0.762036183349, 0.859518649281, 1.02338760425],
     [[0.669306846577, 0.183587343449, 0.148783330301, -0.293667367328, -0.357207225006, -0.43324953588, -0.23027652529, 0.149545099527, 0.224800249138, 0.583966700576, 0.191280656115, 0.215029390135, -0.321017391266, -0.310185196247, -0.627619745593, -0.10348769268, 0.129862832165, 0.337076096103, 0.5214358344, 0.215378452926, 0.18348696066, -0.36815531284, -0.272879265676, -0.534100082854, -0.10492128445, 0.0346888944049, 0.347418200496, 0.451414824567, 0.418817778252, 0.162778066341]],
     [],
     {}),
    ('lrn4d', 'nn.LocalResponseNorm(2, alpha=0.2)', [(1, 4, 2, 2)], True, 'LocalResponseNorm(2, alpha=0.2, beta=0.75, k=1.0)', (1, 4, 2, 2),
     [0, 1.5359120595, 0.747951491548, -1.37624824125, -1.24957084891, 0.792579395561, 1.44357927567, -0.273007503153, -1.40077162148, -0.4249657151, 1.22943235544, 1.07061271571, -0.949461757204, -1.40063196247, 0.512384791782, 1.43788810387],
     [[1, 0.495357901961, 0.207387244527, -0.296343893546, -0.753601698773, -0.551145328517, -0.393077479242, 0.159840514213, 0.434382843807, 0.952330649542, 0.455870907957, 0.191997119621, -0.306121923852, -0.509733907243, -0.700705647334, -0.212322311494]],
     [],
     {}),
    ('lrn5d', 'nn.LocalResponseNorm(4, alpha=0.1, beta=1.2, k=2.0)', [(1, 5, 2, 1, 2)], True, 'LocalResponseNorm(4, alpha=0.1, beta=1.2, k=2.0)', (1, 5, 2, 1, 2),
     [0, 0.793333038755, 0.320566158691, -0.688083024096, -0.573760265203, 0.433373665328, 0.731355977393, -0.1345952124, -0.777623201299, -0.181232732613, 0.70534917081, 0.461285381253, -0.519957950714, -0.668785179766, 0.251881353136, 0.77089692716, 0.0568267617368, -0.759456340158, -0.371150278067, 0.608519799066],
     [[0.422129876868, 0.308066178785, 0.0647936000256, -0.192202843864, -0.367087646606, -0.397254949317, -0.191669857527, 0.0767199257901, 0.314287037394, 0.379906206737, 0.315636181285, 0.0551666458045, -0.213687488606, -0.37478978716, -0.359556097874, -0.193338230633, 0.0801472223651, 0.311319237437, 0.391764257796, 0.285505433622]],
     [],
     {}),
    ('rms', 'nn.RMSNorm(3)', [(2, 3)], True, 'RMSNorm((3,), eps=None, elementwise_affine=True)', (2, 3),
     [0, -0.80436711835, 1.28370425826, -1.75675896742, 0.511322037647, 1.52650415131],
     [[1.23117416074, -0.139137284898, 0.348732836829, -0.822366531438, 0.08664071201, -1.14579521343]],
     [[0.591261947617, 2.19398590665, -0.605658737781]],
     {}),
    ('rms_2d_eps', 'nn.RMSNorm([2, 3], eps=0.5)', [(2, 2, 3)], True, 'RMSNorm((2, 3), eps=0.5, elementwise_affine=True)', (2, 2, 3),
     [-0, -0.218644150909, 0.087234554087, -0.551518715353, -0.802624829483, 0.838656493128, -0.580835831042, 0.0340997481108, -0.207189654934, -0.145519897713, 0.939038656181, 0.864102127658],
     [[-0.334659414656, -0.099503545327, 0.0133016409953, -0.15702620466, -0.515126368631, -0.739024480517, 0.0530599387192, -0.00182785366923, 0.18673603367, 0.335794633427, 0.29429480476, 0.047912971706]],
     [[-0.569522103181, 0.965209474806, -0.875173312962, 0.265865497132, 1.75703328639, -0.559572686413]],
     {}),
    ('rms_noaffine', 'nn.RMSNorm(4, elementwise_affine=False)', [(3, 4)], True, 'RMSNorm((4,), eps=None, elementwise_affine=False)', (3, 4),
     [0, 1.4640500667, 0.58412609804, -1.23099719894, -1.10189274775, 0.822399451762, 1.43039308742, -0.25192683392, -1.33886583459, -0.313451330959, 1.21361925577, 0.797693451223],
     [[0.746964319744, 0.0681165412693, -0.073804459338, 0.0459911005374, -0.822778782782, -0.641482665744, -0.243928005707, 0.119661917186, 0.448945946238, 0.653167140393, 0.568847223938, 0.144730477295]],
     [],
     {}),
    ('cosine', 'nn.CosineSimilarity()', [(2, 3), (2, 3)], True, 'CosineSimilarity()', (2,),
     [0.35701571188, 0.690366375037],
     [[0.324281927272, 0.111652776783, -0.279845834391, -0.0640647678621, 0.172560426014, 0.132901038731], [-0.099337561019, 0.295315911961, 0.217196612237, -0.0592686661131, -0.191645734585, -0.0171789690449]],
     [],
     {}),
    ('cosine_broadcast_eps', 'nn.CosineSimilarity(dim=0, eps=0.5)', [(3, 2), (3, 1)], True, 'CosineSimilarity()', (2,),
     [0.673464089673, -0.0308485973716],
     [[0.417836059857, 0.194480272306, 0.149988388345, 0.151186620514, 0.0815086307756, -0.122929034555], [0.0386823453388, -0.140296847541, -0.115893269844]],
     [],
     {}),
    ('pairwise', 'nn.PairwiseDistance()', [(2, 3), (2, 3)], True, 'PairwiseDistance()', (2,),
     [2.60691322871, 2.06028805753],
     [[-0.645590724489, 0.216731801342, 0.732284058778, 0.0727615893331, -0.679351818195, -0.343759261233], [0.645590724489, -0.216731801342, -0.732284058778, -0.0727615893331, 0.679351818195, 0.343759261233]],
     [],
     {}),
    ('pairwise_p1_keepdim', 'nn.PairwiseDistance(p=1.0, eps=0.1, keepdim=True)', [(2, 3), (3,)], True, 'PairwiseDistance()', (2, 1),
     [4.257, 8.266],
     [[-1, 1, 1, -0.764842187284, -0.764842187284, 0.764842187284], [1.76484218728, -0.235157812716, -1.76484218728]],
     [],
     {}),
    ('pairwise_inf', "nn.PairwiseDistance(p=float('inf'))", [(3, 4), (3, 4)], True, 'PairwiseDistance()', (3,),
     [1.909001, 1.829999, 1.899001],
     [[-0, 0, 1, 0, -0.764842187284, -0, 0, 0, -0, -0, 0, 0.1699671429], [0, -0, -1, -0, 0.764842187284, 0, -0, -0, 0, 0, -0, -0.1699671429]],
     [],
     {}),
    ('fold', 'nn.Fold((3, 4), 2)', [(1, 8, 6)], True, 'Fold(output_size=(3, 4), kernel_size=2, dilation=1, padding=0, stride=1)', (1, 2, 3, 4),
     [0, 3.828, 0.453, -1.999, -2.985, -4.542, 5.098, 2.725, 1.983, -0.809, -3.841, 0.188, 1.989, 0.092, -3.744, -0.284, -2.924, 5.609, 6.184, -2.583, -0.046, -3.819, -0.365, 2],
     [[1, 0.764842187284, 0.1699671429, -0.942222340669, -0.936456687291, -0.490260821341, 0.764842187284, 0.1699671429, -0.5048461046, -0.936456687291, -0.490260821341, 0.186512369423, -0.942222340669, -0.936456687291, -0.490260821341, 0.77556587851, 0.999858636383, 0.753902254343, -0.936456687291, -0.490260821341, 0.186512369423, 0.999858636383, 0.753902254343, 0.153373862038, -0.519288654117, -0.947721602131, -0.930426272105, 0.203004863819, 0.786070296141, 0.999434585501, -0.947721602131, -0.930426272105, -0.475536927996, 0.786070296141, 0.999434585501, 0.742749172704, 0.203004863819, 0.786070296141, 0.999434585501, 0.136737218208, -0.533584386589, -0.952952916887, 0.786070296141, 0.999434585501, 0.742749172704, -0.533584386589, -0.952952916887, -0.924132800073]],
     [],
     {}),
    ('unfold', 'nn.Unfold((2, 3), padding=1, stride=2)', [(1, 2, 3, 4)], True, 'Unfold(kernel_size=(2, 3), dilation=1, padding=1, stride=2)', (1, 12, 4),
     [0, 0, 0, 1.074, 0, 0, -1.439, 1.868, 0, 0, 1.074, -0.329, 0, 1.96, 0, -0.468, 0, 0.782, -1.999, 1.812, 1.96, -1.648, -0.468, 1.191, 0, 0, 0, -1.927, 0, 0, 0.142, -0.911, 0, 0, -1.927, 1.563, 0, -1.724, 0, -0.951, -1.337, 0.649, 1.534, -1.914, -1.724, 1.983, -0.951, 0.188],
     [[0.203004863819, -0.810984383923, 0.786070296141, -0.533584386589, -0.490260821341, 0.249056149743, 0.186512369423, 0.153373862038, 0.999434585501, -1.42848984488, 0.742749172704, -0.924132800073, -0.962605866314, 1.53605475943, -0.910763876687, 0.996467907557, -0.547729260224, 1.23454098819, -0.957914805902, 0.806409493912, -0.430575404777, 0.146323588461, 0.252119407927, 0.0866141985519]],
     [],
     {}),
    ('softmax2d', 'nn.Softmax2d()', [(2, 3, 1, 2)], True, 'Softmax2d()', (2, 3, 1, 2),
     [0.292141022548, 0.694730214919, 0.638573408824, 0.0188313604707, 0.0692855686287, 0.286438424611, 0.508527969713, 0.155220374179, 0.0106389332277, 0.135077120199, 0.480833097059, 0.709702505622],
     [[0.194158352234, 0.355165070992, -0.105637900693, -0.0142828518264, -0.0885204515408, -0.340882219165, -0.311067490018, -0.0134026568366, 0.00695919080582, 0.0982011038303, 0.304108299212, -0.0847984469937]],
     [],
     {}),
    ('softmax2d_unbatched', 'nn.Softmax2d()', [(3, 2, 2)], True, 'Softmax2d()', (3, 2, 2),
     [0.728525530954, 0.666437968333, 0.147853173981, 0.0457910301125, 0.172780615446, 0.274773484226, 0.43800035183, 0.171243791568, 0.0986938535999, 0.0587885474408, 0.414146474189, 0.782965178319],
     [[0.260614447162, 0.302333278939, 0.00700016959527, -0.0290202558234, -0.273769796826, -0.342819305066, -0.268442773045, 0.00986438114796, 0.0131553496642, 0.0404860261263, 0.26144260345, 0.0191558746755]],
     [],
     {}),
    ('rrelu_eval', 'nn.RReLU(0.1, 0.3)', [(2, 4)], False, 'RReLU(lower=0.1, upper=0.3)', (2, 4),
     [0, 1.96, 0.782, -0.3296, -0.2878, 1.074, 1.868, -0.0658],
     [[0.2, 0.764842187284, 0.1699671429, -0.10096922092, -0.188444468134, -0.936456687291, -0.490260821341, 0.0373024738845]],
     [],
     {}),
]

# weights made non-trivial so the affine gradients say something (the same in the torch run)
SETUP = {
    "instance1d_unbatched_affine": lambda m: (m.weight.data.copy_(T([0.5, -1.0, 2.0])),
                                              m.bias.data.copy_(T([0.1, 0.2, -0.3]))),
    "rms": lambda m: m.weight.data.copy_(T([1.5, -0.5, 2.0])),
    "rms_2d_eps": lambda m: m.weight.data.copy_(T(np.arange(6.0).reshape(2, 3) / 3 - 0.5)),
    "instance3d_eval": lambda m: (m.running_mean.data.copy_(T([0.2, -0.1])), m.running_var.data.copy_(T([1.5, 0.5]))),
}


@pytest.mark.parametrize("case", TORCH_CASES, ids=[c[0] for c in TORCH_CASES])
def test_values_and_gradients_match_torch(case):
    cid, src, shapes, train, text, out_shape, out, in_grads, param_grads, buffers = case
    m = eval(src).double()
    SETUP.get(cid, lambda m: None)(m)
    if not train:
        m.eval()
    assert repr(m) == text
    xs = [T(inp(s, k), requires_grad=True) for k, s in enumerate(shapes)]
    y = m(*xs)
    assert tuple(y.shape) == out_shape
    np.testing.assert_allclose(N(y).reshape(-1), out, rtol=1e-9, atol=1e-10)
    y.backward(T(np.cos(np.arange(y.numel()) * 0.7).reshape(out_shape)))
    for x, g in zip(xs, in_grads):
        np.testing.assert_allclose(N(x.grad).reshape(-1), g, rtol=1e-8, atol=1e-9)
    params = list(m.parameters())
    assert len(params) == len(param_grads)
    for p, g in zip(params, param_grads):
        np.testing.assert_allclose(N(p.grad).reshape(-1), g, rtol=1e-8, atol=1e-9)
    for key, value in buffers.items():
        np.testing.assert_allclose(N(m.state_dict()[key]).reshape(-1), value, rtol=1e-9, atol=1e-10)


GRADCHECK = [
    lambda x: F.pixel_shuffle(x.reshape(1, 4, 2, 3), 2),
    lambda x: F.pixel_unshuffle(x.reshape(1, 1, 4, 6), 2),
    lambda x: F.channel_shuffle(x.reshape(2, 6, 2), 2),
    lambda x: F.pad(x.reshape(2, 3, 4), (2, -1), mode="reflect"),
    lambda x: F.pad(x.reshape(1, 2, 3, 4), (1, 2, 2, 0), mode="replicate"),
    lambda x: F.pad(x.reshape(1, 2, 2, 2, 3), (1, 1, 0, 1, 2, 0), mode="circular"),
    lambda x: F.instance_norm(x.reshape(2, 3, 4), weight=plait.tensor([0.5, 1.0, -2.0], dtype=plait.float64),
                              bias=plait.tensor([0.1, 0.0, 0.3], dtype=plait.float64)),
    lambda x: F.local_response_norm(x.reshape(2, 4, 3), 3, alpha=0.3, beta=0.7, k=1.2),
    lambda x: F.rms_norm(x.reshape(4, 6), (6,)),
    lambda x: F.cosine_similarity(x.reshape(4, 6)[:2], x.reshape(4, 6)[2:]),
    lambda x: F.pairwise_distance(x.reshape(4, 6)[:2], x.reshape(4, 6)[2:], p=3.0),
    lambda x: nn.Softmax2d()(x.reshape(3, 2, 4)),
    lambda x: F.rrelu(x, 0.1, 0.4),
    lambda x: F.alpha_dropout(x, 0.0, True) * F.feature_alpha_dropout(x.reshape(2, 3, 4), 0.3, False).reshape(-1),
]


@pytest.mark.parametrize("fn", GRADCHECK)
def test_gradcheck_float64(fn):
    x = T(inp((24,)) + 0.05, requires_grad=True)
    assert gradcheck(fn, (x,), eps=1e-6, atol=1e-5)


# --------------------------------------------------------------------------- shuffles
def test_shuffles_are_permutations_and_inverse():
    x = plait.arange(16.).reshape(1, 4, 2, 2)
    assert F.pixel_shuffle(x, 2).reshape(-1).tolist() == [0, 4, 1, 5, 8, 12, 9, 13, 2, 6, 3, 7, 10, 14, 11, 15]
    assert plait.equal(F.pixel_unshuffle(F.pixel_shuffle(x, 2), 2), x)
    assert F.pixel_unshuffle(x.reshape(1, 1, 4, 4), 2).reshape(-1).tolist() == \
        [0, 2, 8, 10, 1, 3, 9, 11, 4, 6, 12, 14, 5, 7, 13, 15]
    assert F.channel_shuffle(plait.arange(12.).reshape(1, 6, 2), 3).reshape(-1).tolist() == \
        [0, 1, 4, 5, 8, 9, 2, 3, 6, 7, 10, 11]
    assert F.native_channel_shuffle(plait.arange(6.).reshape(1, 6, 1), 2).reshape(-1).tolist() == [0, 3, 1, 4, 2, 5]


@pytest.mark.parametrize("call,exc,text", [
    (lambda: F.pixel_shuffle(plait.zeros(2, 3), 2), RuntimeError,
     "pixel_shuffle expects input to have at least 3 dimensions, but got input with 2 dimension(s)"),
    (lambda: F.pixel_shuffle(plait.zeros(1, 3, 2, 2), 2), RuntimeError,
     "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of upscale_factor, but "
     "input.size(-3)=3 is not divisible by 4"),
    (lambda: F.pixel_shuffle(plait.zeros(1, 4, 2, 2), 0), RuntimeError,
     "pixel_shuffle expects a positive upscale_factor, but got 0"),
    (lambda: F.pixel_shuffle(plait.zeros(1, 4, 2, 2), 1.5), TypeError,
     "pixel_shuffle(): argument 'upscale_factor' (position 2) must be int, not float"),
    (lambda: F.pixel_unshuffle(plait.zeros(1, 3, 3, 2), 2), RuntimeError,
     "pixel_unshuffle expects height to be divisible by downscale_factor, but input.size(-2)=3 is not divisible by 2"),
    (lambda: F.pixel_unshuffle(plait.zeros(1, 3, 4, 3), 2), RuntimeError,
     "pixel_unshuffle expects width to be divisible by downscale_factor, but input.size(-1)=3 is not divisible by 2"),
    (lambda: F.pixel_unshuffle(plait.zeros(1, 4, 2, 2), -1), RuntimeError,
     "pixel_unshuffle expects a positive downscale_factor, but got -1"),
    (lambda: F.channel_shuffle(plait.zeros(1, 6), 2), RuntimeError,
     "channel_shuffle expects input with > 2 dims, but got input with sizes [1, 6]"),
    (lambda: F.channel_shuffle(plait.zeros(1, 6, 2), 0), RuntimeError,
     "Number of groups to divide channels in must be positive. Value of groups:0"),
    (lambda: nn.ChannelShuffle(4)(plait.zeros(1, 6, 2)), RuntimeError,
     "Number of channels must be divisible by groups. Got 6 channels and 4 groups."),
])
def test_shuffle_errors_match_torch(call, exc, text):
    with pytest.raises(exc, match=re.escape(text)):
        call()


# --------------------------------------------------------------------------- padding layers
_PAD_HELP = ("Supported combinations for non-constant padding:\n  - 2D or 3D input: padding size = 2 (pads last "
             "dimension)\n  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n  - 4D or 5D input: "
             "padding size = 6 (pads last 3 dimensions)")


@pytest.mark.parametrize("call,exc,text", [
    (lambda: nn.ReflectionPad1d(2)(plait.zeros(4)), NotImplementedError,
     "Padding size 2 is not supported for 1D input tensor.\n" + _PAD_HELP),
    (lambda: nn.ReplicationPad2d(2)(plait.zeros(2, 3, 3, 4, 5)), NotImplementedError,
     "Padding size 4 is not supported for 5D input tensor.\n" + _PAD_HELP),
    (lambda: nn.ReflectionPad3d(1)(plait.zeros(2, 4, 4)), NotImplementedError,
     "Padding size 6 is not supported for 3D input tensor."),
    (lambda: F.pad(plait.zeros(2, 3, 4, 5, 6, 7), (1, 1), mode="circular"), NotImplementedError,
     "Padding size 2 is not supported for 6D input tensor."),
    (lambda: F.pad(plait.zeros(4, 5), (1, 1), mode="bogus"), NotImplementedError, "Unrecognised padding mode bogus"),
    (lambda: nn.CircularPad1d(2)(plait.zeros(4)), ValueError, "expected 2D or 3D input (got 1D input)"),
    (lambda: nn.CircularPad2d(2)(plait.zeros(2, 3, 3, 4, 5)), ValueError, "expected 3D or 4D input (got 5D input)"),
    (lambda: nn.CircularPad3d(2)(plait.zeros(3, 4, 5)), ValueError, "expected 4D or 5D input (got 3D input)"),
    (lambda: nn.CircularPad1d(5)(plait.zeros(1, 4)), RuntimeError, "Padding value causes wrapping around more than once."),
    (lambda: nn.ZeroPad2d(2)(plait.zeros(4)), RuntimeError,
     "Padding length should be less than or equal to two times the input dimension but got padding length 4 and input "
     "of dimension 1"),
    (lambda: nn.ReflectionPad1d(4)(plait.zeros(1, 4)), RuntimeError,
     "Argument #4: Padding size should be less than the corresponding input dimension, but got: padding (4, 4) at "
     "dimension 1 of input [1, 4]"),
    (lambda: nn.ReflectionPad2d((1, 1, 3, 3))(plait.zeros(1, 1, 3, 3)), RuntimeError,
     "Argument #6: Padding size should be less than the corresponding input dimension, but got: padding (3, 3) at "
     "dimension 2 of input [1, 1, 3, 3]"),
    (lambda: nn.ReflectionPad3d((1, 1, 1, 1, 3, 3))(plait.zeros(1, 1, 3, 3, 3)), RuntimeError,
     "Argument #8: Padding size should be less than the corresponding input dimension, but got: padding (3, 3) at "
     "dimension 2 of input [1, 1, 3, 3, 3]"),
    (lambda: F.pad(plait.zeros(1, 3), (-4, 1), mode="replicate"), RuntimeError,
     "input (W: 3) is too small. Calculated output W: 0"),
])
def test_padding_errors_match_torch(call, exc, text):
    with pytest.raises(exc, match=re.escape(text)):
        call()


def test_negative_padding_reads_the_cropped_side_as_torch():
    x = plait.tensor([[1.0, 2.0, 3.0]])
    assert F.pad(x, (-1, 2), mode="reflect").tolist() == [[2.0, 3.0, 2.0, 1.0]]
    assert F.pad(x, (-3, 1), mode="reflect").tolist() == [[2.0]]
    assert F.pad(x, (-3, 1), mode="replicate").tolist() == [[3.0]]
    assert F.pad(x, (1, -3), mode="replicate").tolist() == [[1.0]]
    assert F.pad(plait.arange(12.).reshape(1, 3, 4), (-1, 2, 0, 0), mode="circular")[0, 0].tolist() == \
        [1.0, 2.0, 3.0, 1.0, 2.0]


# --------------------------------------------------------------------------- instance norm
def test_instance_norm_running_stats_and_eval():
    x = plait.arange(24.).reshape(2, 3, 4) ** 1.5
    m = nn.InstanceNorm1d(3, track_running_stats=True)
    assert list(m.state_dict()) == ["running_mean", "running_var", "num_batches_tracked"]
    m(x)
    np.testing.assert_allclose(N(m.running_mean), [2.5993, 4.3210, 6.4613], atol=1e-4)
    np.testing.assert_allclose(N(m.running_var), [3.6902, 5.2070, 6.7090], atol=1e-4)
    assert m.num_batches_tracked.item() == 0  # torch's instance norm never counts
    cumulative = nn.InstanceNorm1d(3, momentum=None, track_running_stats=True)
    cumulative(x)  # momentum=None: torch passes momentum 0, the running stats stay put
    assert N(cumulative.running_mean).tolist() == [0, 0, 0] and N(cumulative.running_var).tolist() == [1, 1, 1]
    cumulative.eval()
    np.testing.assert_allclose(N(cumulative(plait.arange(12.).reshape(3, 4))).reshape(-1),
                               np.arange(12.) / np.sqrt(1 + 1e-5), rtol=1e-6)
    untracked = nn.InstanceNorm1d(3).eval()  # no running stats: eval still uses the instance statistics
    y = N(untracked(x))
    np.testing.assert_allclose(y.mean(-1), 0, atol=1e-5)


def test_instance_norm_checks_and_warnings():
    with pytest.warns(UserWarning, match=re.escape("input's size at dim=1 does not match num_features. You can "
                                                   "silence this warning by not passing in num_features, which is "
                                                   "not used because affine=False")):
        nn.InstanceNorm1d(3)(plait.randn(2, 4, 5))
    with pytest.raises(ValueError, match=re.escape("expected input's size at dim=0 to match num_features (3), but "
                                                   "got: 4.")):
        nn.InstanceNorm1d(3, affine=True)(plait.randn(4, 5))
    with pytest.raises(ValueError, match=re.escape("expected 3D or 4D input (got 2D input)")):
        nn.InstanceNorm2d(3)(plait.randn(3, 4))
    with pytest.raises(ValueError, match=re.escape("expected 4D or 5D input (got 3D input)")):
        nn.InstanceNorm3d(3)(plait.randn(3, 4, 5))
    with pytest.raises(ValueError, match="Expected more than 1 spatial element when training, got input size"):
        nn.InstanceNorm2d(3)(plait.randn(1, 3, 1, 1))
    with pytest.raises(RuntimeError, match="running_mean should contain 6 elements not 4"):
        F.instance_norm(plait.randn(2, 3, 4), plait.zeros(2), plait.ones(2))
    with pytest.raises(RuntimeError, match="weight should contain 6 elements not 4"):
        F.instance_norm(plait.randn(2, 3, 4), weight=plait.ones(2))
    with pytest.raises(RuntimeError, match="Expected running_mean and running_var to be defined when use_input_stats "
                                           "is false"):
        F.instance_norm(plait.randn(2, 3, 4), use_input_stats=False)
    with pytest.raises(ValueError, match="running_mean and running_var must either both be None or neither be None"):
        F.instance_norm(plait.randn(2, 3, 4), plait.zeros(3), None)


def test_instance_norm_old_checkpoint_with_running_stats_is_reported():
    m = nn.InstanceNorm2d(3, affine=True)
    sd = {"weight": plait.ones(3), "bias": plait.zeros(3), "running_mean": plait.zeros(3)}
    with pytest.raises(RuntimeError, match=re.escape(
            'Unexpected running stats buffer(s) "running_mean" for InstanceNorm2d with track_running_stats=False. If '
            'state_dict is a checkpoint saved before 0.4.0')):
        m.load_state_dict(sd)
    with pytest.raises(RuntimeError, match=re.escape('Unexpected key(s) in state_dict: "num_batches_tracked"')):
        m.load_state_dict({"weight": plait.ones(3), "bias": plait.zeros(3), "num_batches_tracked": plait.tensor(0)})
    tracked = nn.InstanceNorm2d(3, track_running_stats=True)
    assert str(tracked.load_state_dict(nn.InstanceNorm2d(3, track_running_stats=True).state_dict())) == \
        "<All keys matched successfully>"


# --------------------------------------------------------------------------- LRN, RMSNorm errors and defaults
def test_lrn_and_rms_norm_errors_and_eps_default():
    with pytest.raises(ValueError, match=re.escape("Expected 3D or higher dimensionality                          "
                                                   "input (got 2 dimensions)")):
        F.local_response_norm(plait.randn(2, 3), 2)
    assert F.local_response_norm(plait.zeros(0, 3, 2), 2).shape == (0, 3, 2)
    with pytest.raises(RuntimeError, match=re.escape("Given normalized_shape=[2, 4], expected input with shape "
                                                     "[*2, 4], but got input of size[2, 3]")):
        F.rms_norm(plait.randn(2, 3), (2, 4))
    with pytest.raises(RuntimeError, match=re.escape("Expected weight to be of same shape as normalized_shape, but "
                                                     "got weight of shape [3] and normalized_shape = [2, 3]")):
        F.rms_norm(plait.randn(2, 3), [2, 3], weight=plait.ones(3))
    with pytest.raises(ValueError, match="Input tensor must have at least 2 dimensions, but got 1"):
        F.rms_norm(plait.randn(3), (2, 3))
    with pytest.raises(TypeError, match=re.escape("rms_norm(): argument 'normalized_shape' (position 2) must be "
                                                  "tuple of ints, not int")):
        F.rms_norm(plait.randn(2, 3), 3)
    x = plait.tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]])
    # torch's float32 numbers: eps None is float32's machine epsilon
    np.testing.assert_allclose(N(F.rms_norm(x, (3,))), [[0.4629100561141968, 0.9258201122283936, 1.3887301683425903],
                                                        [-0.7559288740158081, 0.37796443700790405, 1.5118577480316162]],
                               rtol=1e-6)
    np.testing.assert_allclose(N(F.rms_norm(plait.zeros(1, 2), (2,))), [[0.0, 0.0]])
    np.testing.assert_allclose(N(F.rms_norm(plait.full((1, 2), 1e-4), (2,), eps=None)),
                               [[1e-4 / np.sqrt(1e-8 + np.finfo(np.float32).eps)] * 2], rtol=1e-5)


# --------------------------------------------------------------------------- distances
def test_cosine_similarity_floors_norms_without_cutting_their_gradient():
    x = plait.tensor([[1.0, -2.0, 3.0]], requires_grad=True)
    y = plait.tensor([[1e-10, 0.0, 0.0]], requires_grad=True)
    c = F.cosine_similarity(x, y)
    c.backward()
    # torch 2.13: value 0.0026726..., gradients through the unclamped norms
    np.testing.assert_allclose(c.item(), 0.002672612201422453, rtol=1e-6)
    np.testing.assert_allclose(N(x.grad), [[0.0024817113298922777, 0.0003818017430603504, -0.0005727025563828647]],
                               rtol=1e-4)
    np.testing.assert_allclose(N(y.grad), [[26458862.0, -53452248.0, 80178368.0]], rtol=1e-5)
    with pytest.raises(RuntimeError, match="expected common dtype to be floating point, yet common dtype is Long"):
        F.cosine_similarity(plait.tensor([[1, 2]]), plait.tensor([[2, 1]]))
    with pytest.raises(IndexError, match=re.escape("Dimension out of range (expected to be in range of [-1, 0], but "
                                                   "got 1)")):
        F.cosine_similarity(plait.randn(3), plait.randn(3))
    with pytest.raises(RuntimeError, match=re.escape("The size of tensor a (2) must match the size of tensor b (4) at "
                                                     "non-singleton dimension 0")):
        nn.CosineSimilarity()(plait.randn(2, 3), plait.randn(4, 3))
    assert F.cosine_similarity(plait.zeros(1, 2), plait.zeros(1, 2)).tolist() == [0.0]


def test_pairwise_distance_adds_eps_before_the_norm():
    a, b = plait.tensor([1.0, 2.0]), plait.tensor([1.0, 2.0])
    assert F.pairwise_distance(a, b, p=0).item() == 2.0  # x1 - x2 + eps is nonzero everywhere
    np.testing.assert_allclose(F.pairwise_distance(a, b).item(), np.sqrt(2) * 1e-6, rtol=1e-5)
    assert nn.PairwiseDistance(keepdim=True)(plait.tensor([[1.0, 2.0]]), plait.zeros(2)).shape == (1, 1)
    assert F.pairwise_distance(plait.tensor(1.0), plait.tensor(2.0)).shape == ()


# --------------------------------------------------------------------------- Softmax2d, Fold/Unfold, RReLU
def test_softmax2d_fold_unfold():
    np.testing.assert_allclose(N(nn.Softmax2d()(plait.tensor([[[1.0, 2.0]], [[3.0, 0.5]]]))),
                               [[[0.11920292, 0.81757448]], [[0.88079708, 0.18242552]]], rtol=1e-6)
    for rank in (2, 5):
        with pytest.raises(ValueError, match=f"Softmax2d: expected input to be 3D or 4D, got {rank}D instead"):
            nn.Softmax2d()(plait.zeros(*(2,) * rank))
    x = plait.randn(2, 3, 4, 5)
    unfold = nn.Unfold((2, 3), padding=1, stride=2)
    assert plait.equal(unfold(x), F.unfold(x, (2, 3), padding=1, stride=2))
    fold = nn.Fold((4, 5), (2, 3), padding=1, stride=2)
    assert plait.equal(fold(unfold(x)), F.fold(unfold(x), (4, 5), (2, 3), padding=1, stride=2))


def test_rrelu_training_draws_slopes_and_eval_uses_their_mean():
    with pytest.raises(RuntimeError, match="Lower bound should be less than or equal to the upper bound"):
        F.rrelu(plait.randn(3), 0.5, 0.2)
    x = T(np.linspace(-3, 3, 4000), requires_grad=True)
    plait.manual_seed(5)
    y = F.rrelu(x, 0.1, 0.3, training=True)
    assert y.grad_fn.name() == "RreluWithNoiseBackward0"
    y.sum().backward()
    xs, ys, gs = N(x), N(y), N(x.grad)
    neg = xs < 0
    slopes = ys[neg] / xs[neg]
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and slopes.std() > 0.05  # drawn, one per element
    np.testing.assert_allclose(gs[neg], slopes, rtol=1e-12)
    assert (ys[~neg] == xs[~neg]).all() and (gs[~neg] == 1).all()
    plait.manual_seed(5)
    assert plait.equal(F.rrelu(x.detach(), 0.1, 0.3, training=True), y.detach())  # reproducible
    m = nn.RReLU(0.1, 0.3)
    m.eval()
    np.testing.assert_allclose(N(m(x)), np.where(xs > 0, xs, 0.2 * xs), rtol=1e-12)
    z = T([-1.0, 2.0])
    assert F.rrelu_(z) is z and z.tolist() == [-(1 / 8 + 1 / 3) / 2, 2.0]
    w = T([-1.0, 2.0], requires_grad=True).clone()
    assert F.rrelu(w, training=True, inplace=True).grad_fn.name() == "RreluWithNoiseBackward1"


# --------------------------------------------------------------------------- dropout family
def test_alpha_dropout_keeps_selu_statistics_and_is_reproducible():
    x = plait.randn(200000, dtype=plait.float64)
    plait.manual_seed(3)
    y = F.alpha_dropout(x, 0.2, training=True)
    plait.manual_seed(3)
    assert plait.equal(nn.AlphaDropout(0.2)(x), y)
    ys = N(y)
    assert abs(ys.mean()) < 0.01 and abs(ys.std() - 1) < 0.01
    a = 1 / np.sqrt((1.7580993408473766 ** 2 * 0.2 + 1) * 0.8)
    dropped = np.isclose(ys, -1.7580993408473766 * a * 0.8)
    assert abs(dropped.mean() - 0.2) < 0.01
    kept = ~dropped
    np.testing.assert_allclose(ys[kept], N(x)[kept] * a + 1.7580993408473766 * a * 0.2, rtol=1e-12)
    assert plait.equal(F.alpha_dropout(x, 0.2), x)  # F's default is training=False, as torch's
    assert F.alpha_dropout(x, 1.0, True).abs().sum().item() == 0


def test_feature_dropouts_drop_whole_channels():
    x = plait.ones(4, 6, 3, 2, 2)
    plait.manual_seed(1)
    y = N(F.feature_alpha_dropout(x, 0.5, True)).reshape(4, 6, -1)
    assert (y == y[..., :1]).all() and len(np.unique(y)) == 2
    plait.manual_seed(1)
    z = N(nn.Dropout3d(0.5)(x)).reshape(4, 6, -1)
    assert (z == z[..., :1]).all() and set(np.unique(z)) == {0.0, 2.0}
    u = N(F.dropout3d(plait.ones(5, 2, 2, 2), 0.5)).reshape(5, -1)  # unbatched: one draw per channel
    assert (u == u[:, :1]).all()
    with pytest.raises(RuntimeError, match="Feature dropout requires at least 2 dimensions in the input"):
        F.feature_alpha_dropout(plait.ones(3), 0.5, True)
    with pytest.warns(UserWarning, match=re.escape("dropout3d: Received a 3-D input to dropout3d, which is deprecated "
                                                   "and will result in an error in a future release.")):
        F.dropout3d(plait.ones(2, 3, 4))
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        F.dropout3d(plait.ones(2, 3, 4, 5), 1.5)
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        nn.AlphaDropout(1.5)
    m = nn.FeatureAlphaDropout(0.5, inplace=True)
    m.eval()
    assert m(x) is x


# --------------------------------------------------------------------------- live comparison with torch
def test_live_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    cases = [("PixelShuffle(3)", (2, 18, 2, 3)), ("PixelUnshuffle(3)", (2, 3, 6, 3)), ("ChannelShuffle(2)", (3, 4, 5)),
             ("ReflectionPad2d((2, 1, -1, 2))", (2, 3, 4, 5)), ("ReplicationPad3d((2, 0, 1, 3, 0, 1))", (2, 3, 2, 3)),
             ("CircularPad2d((1, 2, 0, 3))", (2, 2, 4, 4)), ("ConstantPad3d((1, 0, 2, 1, 0, 1), 2.5)", (1, 2, 3, 4)),
             ("InstanceNorm2d(3, affine=True)", (2, 3, 4, 5)), ("InstanceNorm3d(2)", (2, 3, 2, 3)),
             ("LocalResponseNorm(5, alpha=0.3)", (2, 7, 3, 2)), ("RMSNorm([3, 2])", (4, 3, 2)),
             ("Softmax2d()", (2, 5, 3, 2)), ("RReLU()", (6, 5))]
    for src, shape in cases:
        x = rng.standard_normal(shape)
        results = []
        for lib, mod in ((torch, torch.nn), (plait, nn)):
            m = eval("mod." + src).double().eval()
            t = lib.tensor(x, requires_grad=True)
            y = m(t)
            (y * lib.tensor(np.cos(np.arange(y.numel())).reshape(tuple(y.shape)))).sum().backward()
            results.append((repr(m), y.detach().numpy(), t.grad.numpy()))
        (tr, ty, tg), (pr, py, pg) = results
        assert pr == tr, src
        np.testing.assert_allclose(py, ty, rtol=1e-10, atol=1e-12, err_msg=src)
        np.testing.assert_allclose(pg, tg, rtol=1e-9, atol=1e-11, err_msg=src)
