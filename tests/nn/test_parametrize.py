"""plait.nn.utils.parametrize, parametrizations (orthogonal, weight_norm, spectral_norm) and the hook-based
weight_norm / spectral_norm: a few SGD steps of a parametrized layer reproduce torch 2.13's numbers (hard-coded
below, produced by running the same scenario functions with torch), the state_dict keys, reprs and errors are
torch's, and gradchecks in float64."""
import copy
import pickle
import warnings

import numpy as np
import pytest

import plait
import plait.nn as nn
from plait.autograd import gradcheck
from plait.nn.utils import parametrizations, parametrize

# --------------------------------------------------------------------------- scenarios (run with torch too)
W44 = [[0.0342, 1.3597, 1.2247, -0.5103], [-0.298, -0.5274, 0.5697, -0.0561], [0.7469, -1.8473, 1.5665, -0.0964], [0.6804, -0.1366, -0.3791, 0.4631]]
W43 = [[0.8245, -0.2025, -0.1528], [0.6857, -0.8703, -1.5144], [0.395, -0.6706, -1.9203], [-0.8141, -0.4676, -1.1932]]
W34 = [[-1.4925, 0.0366, 0.8972, -0.2331], [-0.7436, 0.385, 0.7172, -0.3], [0.5447, 1.0429, -0.207, -0.8135]]
B4 = [0.3477, 0.2475, 1.0988, -1.2846]
B3 = [-0.6616, -0.8382, -1.734]
X3 = [[0.1264, 0.5278, -0.7388], [1.3856, 0.8219, 0.6274]]
X4 = [[0.4017, 0.9557, -1.332, 0.6139], [0.6028, -1.7677, 0.347, -0.2504]]
U4 = [0.7815, -0.4391, -0.0182, 0.3429]
U3 = [-0.8763, 0.5986, -0.105]


def _linear(fw, weight, bias):
    """A float64 nn.Linear holding ``weight`` and ``bias``."""
    lin = fw.nn.Linear(len(weight[0]), len(weight)).double()
    with fw.no_grad():
        lin.weight.copy_(fw.tensor(weight, dtype=fw.float64))
        lin.bias.copy_(fw.tensor(bias, dtype=fw.float64))
    return lin


def _train(fw, lin, x, steps=3, lr=0.1):
    """A few SGD steps on sum(lin(x)^2 * [1, 2, ...]); the losses, in order."""
    opt = fw.optim.SGD(lin.parameters(), lr=lr)
    x = fw.tensor(x, dtype=fw.float64)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        out = lin(x)
        loss = (out * out * fw.arange(1, out.shape[-1] + 1, dtype=fw.float64)).sum()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def _list(t):
    return t.detach().tolist()


def weight_norm_training(fw, dim):
    lin = fw.nn.utils.parametrizations.weight_norm(_linear(fw, W43, B4), dim=dim)
    initial = _list(lin.weight)
    losses = _train(fw, lin, X3)
    p = lin.parametrizations.weight
    return {"initial": initial, "losses": losses, "weight": _list(lin.weight), "g": _list(p.original0),
            "v": _list(p.original1)}


def spectral_norm_training(fw):
    lin = fw.nn.utils.parametrizations.spectral_norm(_linear(fw, W43, B4))
    sn = lin.parametrizations.weight[0]
    with fw.no_grad():
        sn._u.copy_(fw.nn.functional.normalize(fw.tensor(U4, dtype=fw.float64), dim=0))
        sn._v.copy_(fw.nn.functional.normalize(fw.tensor(U3, dtype=fw.float64), dim=0))
    losses = _train(fw, lin, X3)
    lin.eval()
    return {"losses": losses, "weight": _list(lin.weight), "u": _list(sn._u), "v": _list(sn._v),
            "original": _list(lin.parametrizations.weight.original)}


def orthogonal_training(fw, shape, orthogonal_map, use_trivialization):
    weight, bias, x = {(4, 4): (W44, B4, X4), (4, 3): (W43, B4, X3), (3, 4): (W34, B3, X4)}[shape]
    lin = fw.nn.utils.parametrizations.orthogonal(_linear(fw, weight, bias), orthogonal_map=orthogonal_map,
                                                  use_trivialization=use_trivialization)
    initial = _list(lin.weight)
    losses = _train(fw, lin, x)
    return {"initial": initial, "losses": losses, "weight": _list(lin.weight),
            "original": _list(lin.parametrizations.weight.original)}


def old_weight_norm_training(fw, dim):
    lin = fw.nn.utils.weight_norm(_linear(fw, W43, B4), dim=dim)
    losses = _train(fw, lin, X3)
    out = {"losses": losses, "g": _list(lin.weight_g), "v": _list(lin.weight_v)}
    fw.nn.utils.remove_weight_norm(lin)
    out["removed"] = _list(lin.weight)
    return out


def old_spectral_norm_training(fw):
    lin = fw.nn.utils.spectral_norm(_linear(fw, W43, B4))
    with fw.no_grad():
        lin.weight_u.copy_(fw.nn.functional.normalize(fw.tensor(U4, dtype=fw.float64), dim=0))
        lin.weight_v.copy_(fw.nn.functional.normalize(fw.tensor(U3, dtype=fw.float64), dim=0))
    losses = _train(fw, lin, X3)
    lin.eval()
    eval_out = _list(lin(fw.tensor(X3, dtype=fw.float64)))
    out = {"losses": losses, "u": _list(lin.weight_u), "v": _list(lin.weight_v), "eval_out": eval_out,
           "weight": _list(lin.weight)}
    fw.nn.utils.remove_spectral_norm(lin)
    out["removed"] = _list(lin.weight)
    return out


SCENARIOS = {
    "weight_norm_dim0": (weight_norm_training, (0,)),
    "weight_norm_dim1": (weight_norm_training, (1,)),
    "weight_norm_dim_none": (weight_norm_training, (None,)),
    "spectral_norm": (spectral_norm_training, ()),
    "orthogonal_matrix_exp": (orthogonal_training, ((4, 4), None, True)),
    "orthogonal_cayley": (orthogonal_training, ((4, 4), "cayley", True)),
    "orthogonal_householder_square": (orthogonal_training, ((4, 4), "householder", True)),
    "orthogonal_householder_tall_direct": (orthogonal_training, ((4, 3), None, False)),
    "orthogonal_householder_wide_direct": (orthogonal_training, ((3, 4), "householder", False)),
    "old_weight_norm_dim0": (old_weight_norm_training, (0,)),
    "old_weight_norm_dim_none": (old_weight_norm_training, (None,)),
    "old_spectral_norm": (old_spectral_norm_training, ()),
}


EXPECTED = {
    'weight_norm_dim0': {'initial': [[0.8245, -0.2025, -0.1528], [0.6857, -0.8703, -1.5144], [0.395, -0.6706, -1.9203], [-0.8141, -0.4676, -1.1932]], 'losses': [71.415066274226, 18.951895585919, 24.41714486095], 'weight': [[0.405920167131, -0.345381365233, -0.197464487233], [0.936876035587, -0.889352435751, -0.860091805302], [0.32572984283, -0.521738066639, -0.489400334476], [-0.158319140835, -0.102068654088, 0.242903294317]], 'g': [[0.568376365845], [1.551915711171], [0.786017320468], [-0.307384077161]], 'v': [[0.667457689512, -0.567913266464, -0.324692392942], [1.166100135716, -1.10694900567, -1.070529219229], [0.979237802658, -1.568495024894, -1.471278480315], [2.09229709988, 1.348907957753, -3.210135272157]]},
    'weight_norm_dim1': {'initial': [[0.8245, -0.2025, -0.1528], [0.6857, -0.8703, -1.5144], [0.395, -0.6706, -1.9203], [-0.8141, -0.4676, -1.1932]], 'losses': [71.415066274226, 47.242850121695, 49.773506409276], 'weight': [[0.542865213488, -0.194828576975, 0.008539275398], [0.561222636425, -0.438762833753, 0.054306931324], [0.257928537644, -0.481157878951, 0.053932341531], [0.457521437547, 0.292687324572, 0.007802341349]], 'g': [[0.941024167595, 0.740033629729, -0.077406304703]], 'v': [[2.11495655826, -0.80054120635, -0.314735587567], [2.186475511896, -1.80285527764, -2.001612917175], [1.00486757799, -1.977054469322, -1.987806506994], [1.782464488132, 1.202638070524, -0.287574106061]]},
    'weight_norm_dim_none': {'initial': [[0.8245, -0.2025, -0.1528], [0.6857, -0.8703, -1.5144], [0.395, -0.6706, -1.9203], [-0.8141, -0.4676, -1.1932]], 'losses': [71.415066274226, 55.087829612219, 71.509084263658], 'weight': [[0.203054650079, -0.117691661674, -0.06889470581], [0.274268690428, -0.30001008395, -0.4163318148], [0.160141952157, -0.321269774936, -0.423254036426], [0.21017144336, 0.113812805976, -0.151115004228]], 'g': 0.8867668076, 'v': [[1.324701331165, -0.767804632034, -0.449459829961], [1.789292188901, -1.957225591321, -2.716092978207], [1.044744639512, -2.095920966868, -2.761252624632], [1.371130336996, 0.74249949716, -0.985854040686]]},
    'spectral_norm': {'losses': [37.658006405754, 23.140974143437, 12.208651866052], 'weight': [[0.303580808282, -0.159579583632, -0.180067562728], [0.348148306698, -0.338438072321, -0.522242904008], [0.173873558346, -0.3154930654, -0.500529506127], [0.034439801208, 0.140842436387, -0.144002813668]], 'u': [-0.343592653142, -0.710291429318, -0.61178394932, -0.056129969699], 'v': [-0.442657035042, 0.480060855701, 0.757361422408], 'original': [[1.162739900881, -0.611203159729, -0.689673834201], [1.333437149445, -1.29624613918, -2.00023402625], [0.665950279074, -1.208364842519, -1.917069895279], [0.13190732072, 0.539438317761, -0.551542827223]]},
    'orthogonal_matrix_exp': {'initial': [[0.032449842006, 0.690106531462, 0.718713772876, 0.078425095894], [-0.282750085315, -0.428169805709, 0.337791872945, 0.789062517996], [0.708677982289, -0.490402263437, 0.461784265892, -0.209848586389], [0.645581067277, 0.316115821698, -0.395098032172, 0.5720082323]], 'losses': [34.238177888837, 28.636054197234, 16.75766055256], 'weight': [[-0.027013375449, 0.761730849039, -0.470363253633, 0.444741274002], [-0.369773758605, -0.085335702984, 0.571205134186, 0.727811706366], [-0.537971776846, 0.530285026737, 0.396092172334, -0.522010678771], [0.757049544158, 0.362328196306, 0.543685658563, 0.000412946343]], 'original': [[-1.0, 0.0, 0.0, 0.0], [-0.062106215744, -1.0, 0.0, 0.0], [-1.290388155809, 1.224882580298, -1.0, 0.0], [0.72789605554, -0.341721717013, 0.353041372065, -1.0]]},
    'orthogonal_cayley': {'initial': [[0.032449842006, 0.690106531462, 0.718713772876, 0.078425095894], [-0.282750085315, -0.428169805709, 0.337791872945, 0.789062517996], [0.708677982289, -0.490402263437, 0.461784265892, -0.209848586389], [0.645581067277, 0.316115821698, -0.395098032172, 0.5720082323]], 'losses': [34.238177888837, 25.066491425133, 7.911228487451], 'weight': [[-0.140913439002, 0.755313796366, -0.546057706198, 0.333864423426], [-0.211524473714, 0.009543989956, 0.558255579115, 0.802195124432], [-0.084982268664, 0.633277911705, 0.617039549933, -0.459346595043], [0.963420372289, 0.168431196104, 0.097128181837, 0.184440328373]], 'original': [[-1.0, 0.0, 0.0, 0.0], [-0.28732198234, -1.0, 0.0, 0.0], [-1.055846742291, 1.714722737979, -1.0, 0.0], [0.608487011369, -0.326175591598, 0.153952687347, -1.0]]},
    'orthogonal_householder_square': {'initial': [[0.032449842006, 0.690106531462, 0.718713772876, 0.078425095894], [-0.282750085315, -0.428169805709, 0.337791872945, 0.789062517996], [0.708677982289, -0.490402263437, 0.461784265892, -0.209848586389], [0.645581067277, 0.316115821698, -0.395098032172, 0.5720082323]], 'losses': [34.238177888837, 31.146288457244, 16.382666105018], 'weight': [[-0.056437872259, -0.441946195061, 0.823760350993, 0.350595509637], [-0.04807506539, -0.566753300845, 0.042234321979, -0.821398652371], [-0.987544165207, -0.04466525635, -0.126568208229, 0.082109836842], [-0.13878067743, 0.693887074046, 0.551013280099, -0.442317778525]], 'original': [[-1.0, 0.0, 0.0, 0.0], [1.89845836474, -1.0, 0.0, 0.0], [-2.060133717098, 3.175854196466, -1.0, 0.0], [0.384544318172, -2.614815344646, 0.901342468957, -1.0]]},
    'orthogonal_householder_tall_direct': {'initial': [[0.587615615569, 0.061494771706, 0.148928698806], [0.48869378726, -0.575759863494, 0.508953399133], [0.281513848575, -0.482845881351, -0.829078349479], [-0.580203605379, -0.656946594104, 0.177244945224]], 'losses': [49.771163424086, 53.293668243922, 31.412111047571], 'weight': [[-0.810002885087, -0.575048266708, 0.097385002582], [0.207817565562, -0.15832598879, 0.937586330726], [-0.388785120657, 0.457286606639, -0.032239344197], [0.386721237521, -0.659652432436, -0.332277983612]], 'original': [[-1.0, 0.461782346184, 0.678157638965], [1.093793269743, 1.0, 2.573611958202], [-2.046268549055, 1.359076905906, 1.0], [2.035405841289, -0.964979363111, -0.138330699565]]},
    'orthogonal_householder_wide_direct': {'initial': [[-0.849301092064, 0.020827082057, 0.510548033367, -0.132644612771], [0.313205734617, 0.788064766956, 0.397939480045, -0.350000373011], [-0.295117160784, 0.161270049337, -0.669567266675, -0.662251846351]], 'losses': [31.420498979442, 10.224187147, 6.843733198902], 'weight': [[0.738882343331, 0.466866823997, -0.271569399678, -0.402912288871], [-0.121203615151, -0.610414124821, -0.317955371922, -0.715268244338], [-0.385445071549, 0.448705643216, 0.569491093061, -0.570767235823]], 'original': [[1.0, -1.787955781895, 1.040026948551, 1.543029659545], [1.045517152013, -1.0, -1.110025835645, -3.055587721926], [-0.438670791388, -1.194827740179, 1.0, 2.396736014675]]},
    'old_weight_norm_dim0': {'losses': [71.415066274226, 18.951895585919, 24.41714486095], 'g': [[0.568376365845], [1.551915711171], [0.786017320468], [-0.307384077161]], 'v': [[0.667457689512, -0.567913266464, -0.324692392942], [1.166100135716, -1.10694900567, -1.070529219229], [0.979237802658, -1.568495024894, -1.471278480315], [2.09229709988, 1.348907957753, -3.210135272157]], 'removed': [[0.405920167131, -0.345381365233, -0.197464487233], [0.936876035587, -0.889352435751, -0.860091805302], [0.32572984283, -0.521738066639, -0.489400334476], [-0.158319140835, -0.102068654088, 0.242903294317]]},
    'old_weight_norm_dim_none': {'losses': [71.415066274226, 55.087829612219, 71.509084263658], 'g': 0.8867668076, 'v': [[1.324701331165, -0.767804632034, -0.449459829961], [1.789292188901, -1.957225591321, -2.716092978207], [1.044744639512, -2.095920966868, -2.761252624632], [1.371130336996, 0.74249949716, -0.985854040686]], 'removed': [[0.203054650079, -0.117691661674, -0.06889470581], [0.274268690428, -0.30001008395, -0.4163318148], [0.160141952157, -0.321269774936, -0.423254036426], [0.21017144336, 0.113812805976, -0.151115004228]]},
    'old_spectral_norm': {'losses': [31.697755727269, 16.930244739436, 9.797161156592], 'u': [-0.116319048577, -0.624485021471, -0.690274356021, -0.346424090265], 'v': [-0.151890862273, 0.445602646588, 0.88225135155], 'eval_out': [[-0.000292669925, 0.285293461154, 0.375149014786, 0.965287191015], [0.150426083784, -0.270955303657, -0.423616250578, 0.502525779373]], 'weight': [[0.204780808374, -0.088496275923, -0.059372336002], [0.203766841791, -0.316411053676, -0.52684488443], [0.099930203245, -0.318318073678, -0.608241861968], [0.013722616977, -0.01289450222, -0.348593659667]], 'removed': [[0.204780808374, -0.088496275923, -0.059372336002], [0.203766841791, -0.316411053676, -0.52684488443], [0.099930203245, -0.318318073678, -0.608241861968], [0.013722616977, -0.01289450222, -0.348593659667]]},
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
def test_training_matches_torch(name):
    fn, args = SCENARIOS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # the hook-based weight_norm is deprecated
        got = fn(plait, *args)
    assert set(got) == set(EXPECTED[name])
    for key, value in EXPECTED[name].items():
        np.testing.assert_allclose(np.array(got[key]), np.array(value), rtol=1e-9, atol=1e-10, err_msg=key)


# --------------------------------------------------------------------------- parametrize
class Symmetric(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).mT

    def right_inverse(self, A):
        return A.triu()


class Double(nn.Module):
    def forward(self, X):
        return 2 * X


def _lin(n_in=3, n_out=3):
    lin = nn.Linear(n_in, n_out).double()
    with plait.no_grad():
        lin.weight.copy_(plait.arange(n_in * n_out, dtype=plait.float64).reshape(n_out, n_in) / 10)
    return lin


def test_register_parametrization_layout_and_repr():
    lin = _lin()
    weight = lin.weight
    parametrize.register_parametrization(lin, "weight", Symmetric())
    assert type(lin).__name__ == "ParametrizedLinear"
    assert parametrize.type_before_parametrizations(lin) is nn.Linear
    assert isinstance(lin, nn.Linear)
    assert parametrize.is_parametrized(lin) and parametrize.is_parametrized(lin, "weight")
    assert not parametrize.is_parametrized(lin, "bias")
    assert list(lin.state_dict()) == ["bias", "parametrizations.weight.original"]
    assert [n for n, _ in lin.named_parameters()] == ["bias", "parametrizations.weight.original"]
    # the original is the very parameter object, holding right_inverse's value
    assert lin.parametrizations.weight.original is weight
    np.testing.assert_allclose(weight.detach().numpy(), np.triu(np.arange(9.0).reshape(3, 3) / 10))
    w = lin.weight.detach().numpy()
    np.testing.assert_allclose(w, w.T)
    assert repr(lin) == ("ParametrizedLinear(\n  in_features=3, out_features=3, bias=True\n"
                         "  (parametrizations): ModuleDict(\n    (weight): ParametrizationList(\n"
                         "      (0): Symmetric()\n    )\n  )\n)")


def test_assignment_goes_through_right_inverse():
    lin = _lin()
    parametrize.register_parametrization(lin, "weight", Symmetric())
    target = plait.tensor([[1.0, 2.0, 3.0], [2.0, 4.0, 5.0], [3.0, 5.0, 6.0]], dtype=plait.float64)
    lin.weight = target
    np.testing.assert_allclose(lin.parametrizations.weight.original.detach().numpy(), np.triu(target.numpy()))
    np.testing.assert_allclose(lin.weight.detach().numpy(), target.numpy())


def test_chained_parametrizations_and_gradient():
    lin = _lin()
    parametrize.register_parametrization(lin, "weight", Symmetric())
    parametrize.register_parametrization(lin, "weight", Double())
    assert len(lin.parametrizations.weight) == 2
    original = lin.parametrizations.weight.original
    np.testing.assert_allclose(lin.weight.detach().numpy(),
                               2 * (np.triu(original.detach().numpy()) + np.triu(original.detach().numpy(), 1).T))
    lin(plait.ones(1, 3, dtype=plait.float64)).sum().backward()
    assert original.grad is not None and original.grad.shape == (3, 3)
    # Double has no right_inverse: assignment must refuse
    with pytest.raises(RuntimeError, match="^parametrization Double does not implement right_inverse.$"):
        lin.weight = plait.eye(3, dtype=plait.float64)


def test_cached():
    lin = _lin()
    parametrize.register_parametrization(lin, "weight", Symmetric())
    assert lin.weight is not lin.weight
    with parametrize.cached():
        first = lin.weight
        assert lin.weight is first
        with parametrize.cached():
            assert lin.weight is first
        assert lin.weight is first
    assert lin.weight is not first


@pytest.mark.parametrize("leave_parametrized", [True, False])
def test_remove_parametrizations(leave_parametrized):
    lin = _lin()
    parametrize.register_parametrization(lin, "weight", Symmetric())
    original = lin.parametrizations.weight.original
    value = lin.weight.detach().numpy()
    parametrize.remove_parametrizations(lin, "weight", leave_parametrized=leave_parametrized)
    assert type(lin) is nn.Linear
    assert not hasattr(lin, "parametrizations")
    assert list(lin.state_dict()) == ["bias", "weight"]
    assert lin.weight is original and isinstance(lin.weight, nn.Parameter)
    expected = value if leave_parametrized else np.triu(np.arange(9.0).reshape(3, 3) / 10)
    np.testing.assert_allclose(lin.weight.detach().numpy(), expected)


def test_parametrize_a_buffer_and_unsafe_shape_change():
    class Flatten(nn.Module):
        def forward(self, X):
            return X.reshape(-1)

    module = nn.Module()
    module.register_buffer("table", plait.arange(6.0).reshape(2, 3))
    with pytest.raises(ValueError, match="Registering a parametrization may not change the shape of the tensor, "
                                         "unless `unsafe` flag is enabled.\nunparametrized shape: "):
        parametrize.register_parametrization(module, "table", Flatten())
    parametrize.register_parametrization(module, "table", Flatten(), unsafe=True)
    assert module.table.shape == (6,)
    assert list(module.state_dict()) == ["parametrizations.table.original"]
    assert "original" in dict(module.parametrizations.table.named_buffers())


def test_sequence_right_inverse_originals():
    lin = parametrizations.weight_norm(_lin(3, 4))
    p = lin.parametrizations.weight
    assert list(lin.state_dict()) == ["bias", "parametrizations.weight.original0", "parametrizations.weight.original1"]
    assert p.original0.shape == (4, 1) and p.original1.shape == (4, 3)
    assert isinstance(p.original0, nn.Parameter)
    with pytest.raises(ValueError, match=r"^Cannot leave unparametrized \(`leave_parametrized=False`\) a tensor that "
                                         r"is parametrized in terms of a sequence of tensors.$"):
        parametrize.remove_parametrizations(lin, "weight", leave_parametrized=False)
    value = lin.weight.detach().numpy()
    parametrize.remove_parametrizations(lin, "weight")
    np.testing.assert_allclose(lin.weight.detach().numpy(), value)
    assert isinstance(lin.weight, nn.Parameter)


def test_parametrize_errors():
    lin = _lin()
    with pytest.raises(ValueError, match="does not have a parameter, a buffer, or a parametrized element with name "
                                         "'nothing'"):
        parametrize.register_parametrization(lin, "nothing", Symmetric())
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        parametrize.remove_parametrizations(lin, "weight")
    with pytest.raises(ValueError, match="^ParametrizationList requires one or more modules.$"):
        parametrize.ParametrizationList([], lin.weight)
    parametrize.register_parametrization(lin, "weight", Symmetric())
    with pytest.raises(RuntimeError, match="^Serialization of parametrized modules is only supported through "
                                           r"state_dict\(\)"):
        pickle.dumps(lin)


def test_deepcopy_and_state_dict_round_trip():
    lin = _lin()
    parametrize.register_parametrization(lin, "weight", Symmetric())
    twin = copy.deepcopy(lin)
    assert type(twin).__name__ == "ParametrizedLinear"
    assert twin.parametrizations.weight.original is not lin.parametrizations.weight.original
    np.testing.assert_allclose(twin.weight.detach().numpy(), lin.weight.detach().numpy())
    other = _lin()
    parametrize.register_parametrization(other, "weight", Symmetric())
    with plait.no_grad():
        lin.parametrizations.weight.original.add_(1.0)
    other.load_state_dict(lin.state_dict())
    np.testing.assert_allclose(other.weight.detach().numpy(), lin.weight.detach().numpy())


def test_transfer_parametrizations_and_params():
    source = _lin()
    parametrize.register_parametrization(source, "weight", Symmetric())
    target = nn.Linear(3, 3).double()
    parametrize.transfer_parametrizations_and_params(source, target)
    assert target.parametrizations.weight.original is source.parametrizations.weight.original
    np.testing.assert_allclose(target.weight.detach().numpy(), source.weight.detach().numpy())


# --------------------------------------------------------------------------- parametrizations
def test_weight_norm_loads_hook_based_checkpoint():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        old = nn.utils.weight_norm(_lin(3, 4))
    assert list(old.state_dict()) == ["bias", "weight_g", "weight_v"]
    new = parametrizations.weight_norm(nn.Linear(3, 4).double())
    new.load_state_dict(old.state_dict())
    x = plait.ones(2, 3, dtype=plait.float64)
    np.testing.assert_allclose(new(x).detach().numpy(), old(x).detach().numpy())


def test_spectral_norm_layout_and_eval():
    lin = parametrizations.spectral_norm(_lin(3, 4))
    assert list(lin.state_dict()) == ["bias", "parametrizations.weight.original", "parametrizations.weight.0._u",
                                      "parametrizations.weight.0._v"]
    sn = lin.parametrizations.weight[0]
    u = sn._u.clone()
    lin.eval()
    first = lin.weight
    assert plait.equal(sn._u, u)  # eval: no power iteration
    assert plait.equal(lin.weight, first)
    sigma = np.linalg.svd(lin.parametrizations.weight.original.detach().numpy(), compute_uv=False)[0]
    np.testing.assert_allclose(np.linalg.svd(first.detach().numpy(), compute_uv=False)[0], 1.0, rtol=1e-6)
    assert sigma > 1.0
    conv_t = parametrizations.spectral_norm(nn.ConvTranspose2d(2, 5, 3))
    assert conv_t.parametrizations.weight[0].dim == 1  # output channels of a transposed convolution
    assert conv_t.parametrizations.weight[0]._u.shape == (5,)


def test_parametrization_errors():
    with pytest.raises(ValueError, match="has no parameter or buffer with name 'kernel'"):
        parametrizations.spectral_norm(nn.Linear(2, 2), name="kernel")
    with pytest.raises(IndexError, match=r"^Dimension out of range \(expected to be in range of \[-2, 1\] but got "
                                         r"2\)$"):
        parametrizations.spectral_norm(nn.Linear(2, 2), dim=2)
    with pytest.raises(ValueError, match="^Expected n_power_iterations to be positive, but got n_power_iterations=0$"):
        parametrizations.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)
    with pytest.raises(ValueError, match="^Expected a matrix or batch of matrices. Got a tensor of 1 dimensions.$"):
        parametrizations.orthogonal(nn.Linear(2, 2), name="bias")
    with pytest.raises(ValueError, match='^orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
                                         "Got: qr$"):
        parametrizations.orthogonal(nn.Linear(2, 2), orthogonal_map="qr")
    lin = parametrizations.orthogonal(nn.Linear(3, 3), orthogonal_map="cayley", use_trivialization=False)
    with pytest.raises(NotImplementedError, match="^It is not possible to assign to the matrix exponential or the "
                                                  "Cayley parametrizations when use_trivialization=False.$"):
        lin.weight = plait.eye(3)
    with pytest.raises(ValueError, match=r"^Expected a matrix or batch of matrices of shape plait.Size\(\[3, 3\]\). "
                                         r"Got a tensor of shape plait.Size\(\[2, 2\]\).$"):
        parametrizations.orthogonal(nn.Linear(3, 3)).weight = plait.eye(2)


@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley", "householder"])
@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5)])
def test_orthogonal_maps_are_orthogonal(orthogonal_map, shape):
    lin = nn.Linear(shape[1], shape[0]).double()
    parametrizations.orthogonal(lin, orthogonal_map=orthogonal_map)
    w = lin.weight.detach().numpy()
    gram = w.T @ w if shape[0] >= shape[1] else w @ w.T
    np.testing.assert_allclose(gram, np.eye(min(shape)), atol=1e-12)
    # assigning an orthogonal matrix reproduces it
    q = np.linalg.qr(np.random.default_rng(3).standard_normal((max(shape), min(shape))))[0]
    q = q if shape[0] >= shape[1] else q.T
    lin.weight = plait.tensor(q)
    np.testing.assert_allclose(lin.weight.detach().numpy(), q, atol=1e-12)


def test_orthogonal_default_map():
    assert parametrizations.orthogonal(nn.Linear(3, 3)).parametrizations.weight[0].orthogonal_map.name == "matrix_exp"
    assert parametrizations.orthogonal(nn.Linear(3, 4)).parametrizations.weight[0].orthogonal_map.name == \
        "householder"


@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley", "householder"])
def test_orthogonal_gradcheck(orthogonal_map):
    orth = parametrizations._Orthogonal(plait.zeros(4, 4), parametrizations._OrthMaps[orthogonal_map],
                                        use_trivialization=False)
    x = plait.tensor(W44, dtype=plait.float64, requires_grad=True)
    assert gradcheck(orth, (x,), eps=1e-6, atol=1e-5)
    tall = parametrizations._Orthogonal(plait.zeros(4, 3), parametrizations._OrthMaps[orthogonal_map],
                                        use_trivialization=False)
    assert gradcheck(tall, (plait.tensor(W43, dtype=plait.float64, requires_grad=True),), eps=1e-6, atol=1e-5)


def test_weight_norm_and_spectral_norm_gradcheck():
    wn = parametrizations._WeightNorm(0)
    g = plait.tensor([[1.5], [0.5], [2.0], [1.0]], dtype=plait.float64, requires_grad=True)
    v = plait.tensor(W43, dtype=plait.float64, requires_grad=True)
    assert gradcheck(wn, (g, v), eps=1e-6, atol=1e-5)
    sn = parametrizations._SpectralNorm(v.detach(), dim=0).eval()
    assert gradcheck(sn, (v,), eps=1e-6, atol=1e-5)


# --------------------------------------------------------------------------- hook-based API
def test_old_weight_norm_layout_and_errors():
    with pytest.warns(FutureWarning, match="weight_norm` is deprecated in favor of "):
        lin = nn.utils.weight_norm(_lin(3, 4), dim=None)
    assert list(lin.state_dict()) == ["bias", "weight_g", "weight_v"]
    assert lin.weight_g.shape == ()
    with pytest.raises(RuntimeError, match="^Cannot register two weight_norm hooks on the same parameter weight$"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            nn.utils.weight_norm(lin)
    nn.utils.remove_weight_norm(lin)
    assert list(lin.state_dict()) == ["bias", "weight"]
    with pytest.raises(ValueError, match="^weight_norm of 'weight' not found in Linear"):
        nn.utils.remove_weight_norm(lin)


def test_old_spectral_norm_layout_and_errors():
    lin = nn.utils.spectral_norm(_lin(3, 4))
    sd = lin.state_dict()
    assert list(sd) == ["bias", "weight_orig", "weight_u", "weight_v"]
    assert sd._metadata[""]["spectral_norm"] == {"weight.version": 1}
    with pytest.raises(RuntimeError, match="^Cannot register two spectral_norm hooks on the same parameter weight$"):
        nn.utils.spectral_norm(lin)
    nn.utils.remove_spectral_norm(lin)
    assert list(lin.state_dict()) == ["bias", "weight"]
    assert not lin._state_dict_hooks
    with pytest.raises(ValueError, match="^spectral_norm of 'weight' not found in Linear"):
        nn.utils.remove_spectral_norm(lin)
    with pytest.raises(ValueError, match="^`SpectralNorm` cannot be applied as parameter `bias` is None$"):
        nn.utils.spectral_norm(nn.Linear(2, 2, bias=False), name="bias")


def test_utils_namespace():
    for name in ("weight_norm", "remove_weight_norm", "spectral_norm", "remove_spectral_norm", "fuse_conv_bn_eval",
                 "fuse_conv_bn_weights", "fuse_linear_bn_eval", "fuse_linear_bn_weights", "clip_grad_norm_",
                 "clip_grad_value_", "parameters_to_vector", "vector_to_parameters", "get_total_norm",
                 "clip_grads_with_norm_"):
        assert callable(getattr(nn.utils, name))
    import plait.nn.utils.parametrize as p  # noqa: F401
    import plait.nn.utils.parametrizations as q  # noqa: F401
    assert nn.utils.parametrize is p and nn.utils.parametrizations is q
