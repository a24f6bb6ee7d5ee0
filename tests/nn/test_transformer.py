"""Transformer, its encoder/decoder stacks and layers against torch 2.13.

Weights and inputs come from seeded NumPy generators (``arr``, ``load``); ``EXPECTED`` holds what torch 2.13
computes for the same (eval mode, float64: values and gradients), so these tests need no torch. The last
tests compare live against torch where it is installed.
"""
import math
import re
import warnings

import numpy as np
import pytest

import plait
import plait.nn as nn
import plait.nn.functional as F
from plait.autograd import gradcheck

F64 = {"dtype": plait.float64}


def arr(seed, *shape, scale=1.0):
    return np.random.default_rng(seed).standard_normal(shape) * scale


def T(seed, *shape, grad=True):
    return plait.tensor(arr(seed, *shape), requires_grad=grad)


def load(module, seed, scale=0.5):
    """Fill every parameter from one seeded generator, in sorted-name order (as for torch's module)."""
    rng = np.random.default_rng(seed)
    module.load_state_dict({k: plait.tensor(rng.standard_normal(tuple(v.shape)) * scale)
                            for k, v in sorted(module.state_dict().items())})
    return module


def close(t, expected, atol=1e-10):
    np.testing.assert_allclose(t.detach().numpy(), np.array(expected, dtype=np.float64), rtol=1e-9, atol=atol)


def backward_with(out, seed):
    (out * plait.tensor(arr(seed, *out.shape))).sum().backward()


EXPECTED = {  # torch 2.13's outputs and gradients for the cases below (float64)
    'encoder_layer_post_norm': {'out': [[[0.201311931436, 0.166354987872, 0.458672940304, -0.641210747682],
        [0.278819870274, 0.249451549211, 0.452964188147, -0.601193001596]], [[0.11651489359, -0.0335640599943,
        0.428699086347, -0.664799684828], [0.20488471737, 0.425384893697, 0.490040355213, -0.521080204722]],
        [[0.207222390714, 0.522507553435, 0.489837767291, -0.439403363786], [0.389902287126, 0.31556203562,
        0.425547004214, -0.52894520763]]], 'dx': [[[-0.071328205823, -0.0334557096369, -0.0621331162971,
        0.115858080087], [-0.164943904622, 0.154561946722, -0.177733312019, 0.244870248889]], [[0.185109404667,
        0.0252236910049, -0.057338156545, -0.0703606883048], [0.241939435273, -0.0433374141856, -0.0356454035604,
        -0.272767760638]], [[-0.0582920144554, -0.0254236718358, 0.0338477453341, 0.0481421622563], [0.0585464868342,
        0.0392379528476, 0.102015909875, -0.09637881931]]], 'd_linear1_weight': [[0, 0, 0, 0], [-0.106625650475,
        -0.107143508542, -0.152797595951, 0.0217600232169], [-0.361400334763, 0.633412710692, 0.336892172222,
        -0.195300055003], [0.270197606874, 1.01896753948, 0.841218497324, -0.511559501971], [0, 0, 0, 0],
        [-0.131590519863, 1.04034320899, 0.649470485, -0.511565951309]], 'd_norm1_weight': [0.353924266315,
        -0.114941387132, 0.480280863022, 1.06057310927]},
    'encoder_layer_pre_norm_gelu': {'out': [[[0.492627156774, -3.55703375155, 0.406286377547, -0.435897783335],
        [1.29228692206, 0.127784245849, -0.320405812203, 2.02138005528], [0.168124041879, -3.27055088043,
        0.366519225139, -0.260791393677]], [[-1.01702932291, -2.45768894693, -0.707933181647, 2.14669568246],
        [0.139061304445, -1.76132585627, -2.89898667775, 0.156804041619], [-1.21010396998, -2.56432558754,
        -1.95987694255, 2.54912805075]]], 'dx': [[[-1.15416030438, 1.19423224219, -0.730036977573, -0.0641535934039],
        [-0.737992221047, 1.90978368175, -0.842313786388, 0.152424191627], [-0.0171208150708, 2.28538087188,
        0.393781484828, -1.52608108309]], [[-0.368353453123, -0.646806794868, -1.02243483511, -0.242197435362],
        [-1.59560562729, 0.461990075877, -1.71718157775, 0.459651472873], [0.786993519981, 0.468378495204,
        1.79351251137, 0.296703859095]]], 'd_in_proj_weight': [[-0.201386437751, 0.587725531867, -0.0686979111263,
        -0.0149495068797], [0.234684314891, -0.699655222629, 0.0801732391759, 0.00737315734979], [0.184034529542,
        -0.385178790153, 0.058541947587, 0.00954728716769], [0.190210456587, -0.39466408684, 0.0609834197289,
        0.0215635693792], [0.0134852604552, 0.773472236759, -0.0163698133887, -0.0159250998121], [-0.00619133982505,
        -0.308445282484, 0.00667337797314, 0.015640071033], [0.0230839265624, 0.952546360743, -0.0193394379847,
        -0.0564006132746], [-0.0207879411762, -0.867045894631, 0.0174217356623, 0.0461181450821], [2.97194613222,
        -4.98537753124, 0.945513674222, 0.472245145492], [1.29019925751, -2.82388583015, 0.424182188248,
        0.155558251417], [1.01477950959, -0.890099053697, 0.284457497467, -0.18955477677], [3.10744881521,
        -2.24563332606, 0.878804539055, -0.307131105362]]},
    'encoder_layer_unbatched': {'out': [[2.95658868743, -1.60858349334, -0.795611477193, -1.79953183503],
        [2.38599451731, 0.440626109561, 1.7431739146, 0.996893214934], [0.787904994341, -1.38911602924,
        -2.87547186358, 0.425220856165]]},
    'decoder_layer_post_norm': {'out': [[[0.924151415084, -0.206780103195, 0.139263216513, 0.0959313661055],
        [0.838264731316, -0.472477717626, 0.165874409165, 0.100424410307]], [[0.92327421203, -0.213040330063,
        0.141891835163, 0.0939863845944], [0.868905862531, -0.401991839334, 0.153311194403, 0.10669572316]],
        [[0.917811886303, -0.238379871791, 0.141972631448, 0.0976177957192], [0.848225563995, -0.450177070781,
        0.164253473492, 0.0998175461692]]], 'dtgt': [[[0.00702263478503, -0.0628638517998, 0.0888143530958,
        -0.042796436813], [-0.69315490111, 0.262012872465, 0.0502310075283, 0.431871741901]], [[0.0164960520778,
        -0.00159108795804, 0.00476247885991, -0.00471322175417], [0.00223658809245, 0.00469425939921, 0.0686954265119,
        -0.0340821175681]], [[-0.000668391729928, 0.00358806008227, 0.0114994888525, -0.0125198729946],
        [0.0166258537616, 0.000811219636443, 0.00746134508502, -0.021602495423]]], 'dmem': [[[0.0660598782914,
        0.00750541221023, -0.0278889500836, -0.0184098288145], [0.0150008752649, -0.0224619960827, 0.0100755057628,
        -0.00305516646699]], [[0.0148064434023, 0.0261381823031, -0.00772279645258, 0.0166860601741], [0, 0, 0, 0]],
        [[-0.0681270779855, 0.00618837335559, 0.0224285489211, 0.0698101193031], [-0.00556183897351, -0.074832645194,
        0.00826179699129, -0.0127997516966]], [[0, 0, 0, 0], [0.14326975783, -0.0339488765031, -0.0258457531512,
        -0.0644098320549]]], 'd_mha_in_proj_weight': [[0.0279457165125, 0.0361318878155, 0.0265835595521,
        -0.00528057024799], [-0.00262379822569, 0.00133554432194, 0.0050038422294, 0.00244344486775],
        [0.0579983281363, -0.0253328565166, -0.117904188614, -0.0647619554296], [-0.00210745401397, -0.0105454507295,
        -0.0149725579604, 0.00167597736847], [-0.0466805446321, 0.0372046927529, -0.00913509084669, 0.0312926589176],
        [-0.011506982409, 0.0103951556669, -0.00227814394479, 0.00763660547576], [0.0257922121451, 0.0641155690136,
        0.0454931087684, 0.00746605056872], [-0.013698254215, 0.00772545690911, -0.00834876494928, 0.00957661224763],
        [-0.117589041288, -0.178355205822, 0.0372510477318, 0.0770587486358], [-0.0496034948932, 0.0264313866148,
        0.00977667687976, -0.0218385565922], [-0.0920184850841, 0.133250905513, -0.116869735106, -0.0706939593332],
        [0.00705559673025, 0.123240922378, -0.0850898329503, 0.116659831839]]},
    'decoder_layer_pre_norm': {'out': [[[-0.523110978957, 2.26030294584, -1.26324709013, -1.26582493038],
        [0.32777825612, 1.7399717666, -0.976593651927, -0.512841105249], [-1.59975084949, 0.440544182112,
        -0.199516582046, -2.10350173136]], [[-1.8295463822, -0.178455644916, 5.53146977882, 2.17416319697],
        [-0.749147578666, -2.37024474307, 5.07046383332, 0.305666461937], [-0.266180714077, -0.0422072324273,
        3.73851229252, 0.188103163841]]], 'dtgt': [[[-0.84025995441, -0.0110533005677, -1.59126214087,
        -1.19407130699], [1.1665876641, 1.18046214224, -1.05096414009, -1.92836318883], [2.63747852683, 2.04094127837,
        -2.24352659657, -0.685573223114]], [[2.06934908089, 1.91598986636, 1.59873193383, -0.00684858586872],
        [0.364993502339, -1.18507018511, -2.71985522848, 0.237842344209], [1.29604838712, 1.62999307125,
        -0.632296711115, 1.69005549337]]], 'dmem': [[[0.347165030403, -0.30066737061, -0.624592522557,
        0.745309000553], [-0.0733517744462, 0.248029020327, -1.02442440376, 0.627215219505], [0.221658539422,
        -0.35349070735, -0.51650674458, 0.486161864955], [0.247087557847, -0.313423536811, -1.44300175697,
        1.33605368199]], [[-0.0347740277393, 0.0311659882315, -0.905109549756, 0.578126209428], [0.0747277202345,
        -0.0971877499795, -0.519521259853, 0.33232530147], [-0.676205568585, 0.00212334172823, -0.749224730758,
        0.759877053485], [-0.346371126102, -0.044463013796, -1.07437319547, 0.866632214132]]]},
    'encoder_stack': {'out': [[[0.277363022467, -0.278331492673, -1.01538987074, 0.0568555053226], [0.129311419643,
        -0.336150804463, -0.837961974989, 0.0491798651559], [0.10728145813, -0.341301192588, -0.811904375852,
        0.046905573127], [0.155868950239, -0.329765477144, -0.873765723248, 0.0510438747352]], [[0.279478063318,
        -0.26711420859, -0.971259027705, 0.0625002013602], [0.355905036548, -0.219025910837, -1.05437862576,
        0.0624102643137], [0.612303493728, 0.0597860297445, -1.34578596968, 0.0234260483647], [-0.0660645389561,
        -0.336665026441, -0.564977808268, 0.0228974379098]]], 'dx': [[[-0.0846849336072, -0.473674921827,
        0.161447118446, 0.422902379328], [-0.0816540462663, -0.11818852752, 0.148460941901, -0.16187152461],
        [0.00198848667517, -0.0807978928305, 0.0151430089524, 0.0534975890145], [0.055384350644, -0.116546658255,
        0.335262051596, -0.212394001982]], [[0.0629131044491, -0.0236073807319, 0.0675134290668, -0.162302651921],
        [-0.165724647245, -0.0137877899414, 0.249964621952, -0.104897460827], [0.0881424136954, -0.0310862014839,
        0.0438117891235, -0.0429584585791], [-0.983172120722, -0.867031115905, 0.430757621252, 1.15623318062]]]},
    'encoder_stack_nested': {'out': [[[0.277363022467, -0.278331492673, -1.01538987074, 0.0568555053226],
        [0.129311419643, -0.336150804463, -0.837961974989, 0.0491798651559], [0.162948391394, 0.345248151966,
        -0.719891494445, -0.126025240251], [0.162948391394, 0.345248151966, -0.719891494445, -0.126025240251]],
        [[0.279478063318, -0.26711420859, -0.971259027705, 0.0625002013602], [0.355905036548, -0.219025910837,
        -1.05437862576, 0.0624102643137], [0.612303493728, 0.0597860297445, -1.34578596968, 0.0234260483647],
        [-0.0660645389561, -0.336665026441, -0.564977808268, 0.0228974379098]]]},
    'decoder_stack': {'out': [[[0.463601896995, -0.942840191002, 0.906598890497, 1.09946853272], [0.607604638111,
        -1.02196738024, 0.852798566858, 0.979663163251]], [[0.469185244556, -1.00555220748, 0.856282080857,
        1.094258429], [0.606522137638, -1.02849946265, 0.84721853685, 0.980374021397]], [[0.468806522606,
        -0.998374472333, 0.862309116118, 1.09477737358], [0.605215005947, -1.0354553266, 0.841247248275,
        0.981248532118]]], 'dtgt': [[[-0.0130091545943, 0.00863011504208, 0.00414848531194, -0.011442269363],
        [0.00432352407436, 0.000618645936045, -0.00326298271835, 0.000645729590805]], [[0.00561257935296,
        -0.0175483823784, 0.0281142702002, 0.0131701003134], [0.00307266300387, -0.00251850367787, 0.00146198790333,
        0.00111485759885]], [[0.0494821798919, -0.00147250769212, -0.0327404800151, 0.0122384260159],
        [0.000451243564629, -0.000913255049071, -0.000562833701836, 0.00102168661171]]], 'dmem': [[[0.0224636179017,
        -0.0643516506668, -0.0337925560876, -0.0556235561502], [0.00375262563158, 0.040968830941, 0.0543879891286,
        0.0198404899565]], [[0.000770477235308, -0.0537161706791, -0.192396130087, -0.104887785561],
        [-0.00541648356017, 0.0699554624022, 0.0402045030285, 0.0219263317837]], [[0.024248872936, -0.062632360138,
        -0.0685312675331, -0.0768739016134], [-0.0267590504773, 0.118659004565, -0.00324924883337, 0.00714157040937]],
        [[-0.0590514960062, -0.0244138781777, -0.446600978249, -0.214013612313], [-0.0397499641511, 0.0932986670404,
        -0.0115261788354, -0.0323927941024]]]},
    'transformer': {'out': [[[1.15068696831, -1.05839624134, 0.375328495358, -0.364477430405], [1.15497521576,
        -1.05566383925, 0.422058805889, -0.342004973663]], [[1.15743827729, -1.05763358853, 0.299144525701,
        -0.397829978254], [1.14997467912, -1.05378057371, 0.450717780321, -0.326339021824]], [[1.1481655139,
        -1.05905542498, 0.357954202932, -0.372207874694], [1.14712178811, -1.05574509597, 0.432220081553,
        -0.336041196032]]], 'dsrc': [[[-7.59672136005e-05, 5.09171546869e-05, -1.82832330896e-06, 4.07618333811e-05],
        [-0.000136753301788, 4.30657001278e-05, 1.87251473832e-05, -7.27853914532e-05]], [[-6.90442856846e-05,
        6.71420762448e-06, 1.69932838565e-05, 5.97443480366e-05], [-9.56876337266e-05, 1.57440736415e-05,
        4.59405264525e-05, -8.87219882987e-05]], [[-8.81122642837e-05, 6.9149203339e-05, -1.4541767485e-05,
        6.85636761794e-05], [-0.000106518968703, -7.58385582589e-05, 0.00010867537571, -4.75089666766e-05]], [[0, 0,
        0, 0], [-0.000183934433491, -0.000108330494009, 7.31490960692e-05, -8.36431771024e-05]]], 'dtgt':
        [[[0.0106320350106, -0.0251357045469, 0.0866272901267, 0.0251837147631], [-0.00320617517146, -0.0249619871643,
        0.112829698253, 0.00954419092844]], [[-0.00441261896252, -0.00466879729434, 0.000579466637759,
        0.0175269669981], [0.00788561114329, -0.00137401307337, 0.0123928051166, 0.0183198647712]],
        [[0.00309346487525, -0.0158014906983, 0.0775036480822, -0.00926328918882], [0.0110143043312, -0.025276828437,
        0.040415002542, 0.0393442747703]]], 'd_enc0_linear2_weight': [[-6.9428709045e-05, 0, -0.00117389074154, 0, 0,
        0], [0.00100550801494, 0, 0.00562184153413, 0, 0, 0], [-0.000867708966279, 0, -0.00437006901857, 0, 0, 0],
        [-6.83703396142e-05, 0, -7.78817740167e-05, 0, 0, 0]]},
}

# torch 2.13's state_dict keys of Transformer(d_model=4, nhead=2, num_encoder_layers=1, num_decoder_layers=1)
TRANSFORMER_KEYS = [
    'encoder.layers.0.self_attn.in_proj_weight', 'encoder.layers.0.self_attn.in_proj_bias',
    'encoder.layers.0.self_attn.out_proj.weight', 'encoder.layers.0.self_attn.out_proj.bias',
    'encoder.layers.0.linear1.weight', 'encoder.layers.0.linear1.bias', 'encoder.layers.0.linear2.weight',
    'encoder.layers.0.linear2.bias', 'encoder.layers.0.norm1.weight', 'encoder.layers.0.norm1.bias',
    'encoder.layers.0.norm2.weight', 'encoder.layers.0.norm2.bias', 'encoder.norm.weight', 'encoder.norm.bias',
    'decoder.layers.0.self_attn.in_proj_weight', 'decoder.layers.0.self_attn.in_proj_bias',
    'decoder.layers.0.self_attn.out_proj.weight', 'decoder.layers.0.self_attn.out_proj.bias',
    'decoder.layers.0.multihead_attn.in_proj_weight', 'decoder.layers.0.multihead_attn.in_proj_bias',
    'decoder.layers.0.multihead_attn.out_proj.weight', 'decoder.layers.0.multihead_attn.out_proj.bias',
    'decoder.layers.0.linear1.weight', 'decoder.layers.0.linear1.bias', 'decoder.layers.0.linear2.weight',
    'decoder.layers.0.linear2.bias', 'decoder.layers.0.norm1.weight', 'decoder.layers.0.norm1.bias',
    'decoder.layers.0.norm2.weight', 'decoder.layers.0.norm2.bias', 'decoder.layers.0.norm3.weight',
    'decoder.layers.0.norm3.bias', 'decoder.norm.weight', 'decoder.norm.bias']


def encoder_layer(*args, **kw):
    return nn.TransformerEncoderLayer(*args, **kw, **F64)


def decoder_layer(*args, **kw):
    return nn.TransformerDecoderLayer(*args, **kw, **F64)


def test_generate_square_subsequent_mask_is_a_staticmethod_with_minus_inf_above_the_diagonal():
    assert isinstance(nn.Transformer.__dict__["generate_square_subsequent_mask"], staticmethod)
    mask = nn.Transformer.generate_square_subsequent_mask(3)
    inf = math.inf
    assert mask.dtype == plait.float32 and mask.tolist() == [[0.0, -inf, -inf], [0.0, 0.0, -inf], [0.0, 0.0, 0.0]]
    assert nn.Transformer.generate_square_subsequent_mask(2, dtype=plait.float64).dtype == plait.float64


def test_encoder_layer_post_norm_with_float_mask_and_padding_matches_torch():
    layer = load(encoder_layer(4, 2, dim_feedforward=6), 100).eval()
    x = T(101, 3, 2, 4)
    kpm = plait.tensor([[False, False, True], [False, False, False]])
    with pytest.warns(UserWarning, match="Support for mismatched src_key_padding_mask and src_mask is deprecated"):
        out = layer(x, src_mask=plait.tensor(arr(102, 3, 3)), src_key_padding_mask=kpm)  # as torch, it warns
    backward_with(out, 103)
    exp = EXPECTED["encoder_layer_post_norm"]
    close(out, exp["out"])
    close(x.grad, exp["dx"])
    close(layer.linear1.weight.grad, exp["d_linear1_weight"])
    close(layer.norm1.weight.grad, exp["d_norm1_weight"])


def test_encoder_layer_pre_norm_gelu_batch_first_causal_and_unbatched_match_torch():
    layer = load(encoder_layer(4, 2, dim_feedforward=6, activation="gelu", batch_first=True, norm_first=True,
                               layer_norm_eps=1e-3), 110).eval()
    assert layer.activation is F.gelu and layer.activation_relu_or_gelu == 2 and layer.norm1.eps == 1e-3
    x = T(111, 2, 3, 4)
    out = layer(x, is_causal=True, src_mask=nn.Transformer.generate_square_subsequent_mask(3, dtype=plait.float64))
    backward_with(out, 112)
    exp = EXPECTED["encoder_layer_pre_norm_gelu"]
    close(out, exp["out"])
    close(x.grad, exp["dx"])
    close(layer.self_attn.in_proj_weight.grad, exp["d_in_proj_weight"])
    close(layer(T(113, 3, 4)), EXPECTED["encoder_layer_unbatched"]["out"])


def test_decoder_layer_post_norm_matches_torch():
    layer = load(decoder_layer(4, 2, dim_feedforward=6), 120).eval()
    tgt, mem = T(121, 3, 2, 4), T(122, 4, 2, 4)
    mkpm = plait.tensor([[False, False, False, True], [False, True, False, False]])
    out = layer(tgt, mem, tgt_mask=nn.Transformer.generate_square_subsequent_mask(3, dtype=plait.float64),
                memory_key_padding_mask=mkpm, tgt_is_causal=True)
    backward_with(out, 123)
    exp = EXPECTED["decoder_layer_post_norm"]
    close(out, exp["out"])
    close(tgt.grad, exp["dtgt"])
    close(mem.grad, exp["dmem"])
    close(layer.multihead_attn.in_proj_weight.grad, exp["d_mha_in_proj_weight"])


def test_decoder_layer_pre_norm_batch_first_with_memory_mask_matches_torch():
    layer = load(decoder_layer(4, 2, dim_feedforward=6, batch_first=True, norm_first=True), 130).eval()
    tgt, mem = T(131, 2, 3, 4), T(132, 2, 4, 4)
    mmask = plait.tensor([[False, True, False, False], [False, False, True, False], [True, False, False, False]])
    out = layer(tgt, mem, memory_mask=mmask)
    backward_with(out, 133)
    exp = EXPECTED["decoder_layer_pre_norm"]
    close(out, exp["out"])
    close(tgt.grad, exp["dtgt"])
    close(mem.grad, exp["dmem"])


def test_encoder_stack_and_its_nested_tensor_inference_path_match_torch():
    enc = load(nn.TransformerEncoder(encoder_layer(4, 2, dim_feedforward=6, batch_first=True), 2,
                                     norm=nn.LayerNorm(4, **F64)), 140).eval()
    assert enc.enable_nested_tensor and enc.use_nested_tensor and enc.mask_check
    assert enc.layers[0] is not enc.layers[1]  # deep copies, as torch's _get_clones
    x = T(141, 2, 4, 4)
    kpm = plait.tensor([[False, False, True, True], [False, False, False, False]])
    out = enc(x, src_key_padding_mask=kpm)
    backward_with(out, 142)
    close(out, EXPECTED["encoder_stack"]["out"])
    close(x.grad, EXPECTED["encoder_stack"]["dx"])
    with plait.no_grad():
        nested = enc(x, src_key_padding_mask=kpm)
    # torch runs only the real tokens there, so its padded positions come out as the final norm of zeros
    close(nested, EXPECTED["encoder_stack_nested"]["out"])
    close(nested[0, :2], out[0, :2].detach().numpy(), atol=1e-12)
    close(nested[0, 2], enc.norm.bias.detach().numpy(), atol=1e-12)
    enc.use_nested_tensor = False
    with plait.no_grad():
        close(enc(x, src_key_padding_mask=kpm), out.detach().numpy(), atol=1e-12)
    enc.use_nested_tensor = True
    not_left_aligned = plait.tensor([[True, False, False, False], [False, False, False, False]])
    with plait.no_grad():
        plain = enc(x, src_key_padding_mask=not_left_aligned)
    assert np.abs(plain[0, 0].numpy() - enc.norm.bias.detach().numpy()).max() > 1e-3  # no zeros there
    enc.mask_check = False  # then torch reads only each sequence's token count (two and four here)
    with plait.no_grad():
        unchecked = enc(x, src_key_padding_mask=plait.tensor([[True, False, True, False], [False] * 4]))
    close(unchecked, nested.numpy(), atol=1e-12)


def test_encoder_warns_as_torch_when_nested_tensors_cannot_be_used():
    with pytest.warns(UserWarning, match=re.escape("enable_nested_tensor is True, but self.use_nested_tensor is False "
                                                   "because encoder_layer.self_attn.batch_first was not True(use "
                                                   "batch_first for better inference performance)")):
        enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, dim_feedforward=6), 1)
    assert enc.enable_nested_tensor and not enc.use_nested_tensor
    with pytest.warns(UserWarning, match="because encoder_layer.norm_first was True"):
        nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 6, batch_first=True, norm_first=True), 1)
    with pytest.warns(UserWarning, match="because encoder_layer.self_attn.num_heads is odd"):
        nn.TransformerEncoder(nn.TransformerEncoderLayer(3, 1, 6, batch_first=True), 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 6), 1, enable_nested_tensor=False)
        nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 6, batch_first=True), 1)


def test_decoder_stack_matches_torch():
    dec = load(nn.TransformerDecoder(decoder_layer(4, 2, dim_feedforward=6), 2, norm=nn.LayerNorm(4, **F64)),
               150).eval()
    tgt, mem = T(151, 3, 2, 4), T(152, 4, 2, 4)
    out = dec(tgt, mem, tgt_mask=nn.Transformer.generate_square_subsequent_mask(3, dtype=plait.float64))
    backward_with(out, 153)
    close(out, EXPECTED["decoder_stack"]["out"])
    close(tgt.grad, EXPECTED["decoder_stack"]["dtgt"])
    close(mem.grad, EXPECTED["decoder_stack"]["dmem"])


def test_transformer_matches_torch():
    with pytest.warns(UserWarning, match="enable_nested_tensor is True"):
        tr = nn.Transformer(d_model=4, nhead=2, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=6, **F64)
    load(tr, 160).eval()
    src, tgt = T(161, 4, 2, 4), T(162, 3, 2, 4)
    pad = plait.tensor([[False, False, False, True], [False, False, False, False]])
    out = tr(src, tgt, tgt_mask=nn.Transformer.generate_square_subsequent_mask(3, dtype=plait.float64),
             src_key_padding_mask=pad, memory_key_padding_mask=pad)
    backward_with(out, 163)
    exp = EXPECTED["transformer"]
    close(out, exp["out"])
    close(src.grad, exp["dsrc"])
    close(tgt.grad, exp["dtgt"])
    close(tr.encoder.layers[0].linear2.weight.grad, exp["d_enc0_linear2_weight"])


def test_transformer_parameters_init_and_state_dict_as_torch():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's notice that nested tensors need batch_first
        tr = nn.Transformer(d_model=4, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=6)
    assert list(tr.state_dict()) == TRANSFORMER_KEYS
    assert (tr.d_model, tr.nhead, tr.batch_first) == (4, 2, False)
    for name, p in tr.named_parameters():
        if p.dim() > 1:  # xavier_uniform_ over every matrix (_reset_parameters)
            bound = math.sqrt(6.0 / (p.shape[0] + p.shape[1]))
            assert p.abs().max().item() <= bound, name
        elif ".norm" in name and name.endswith(".weight"):
            assert p.tolist() == [1.0] * 4, name
        elif "in_proj_bias" in name or "out_proj.bias" in name or ".norm" in name:
            assert p.abs().max().item() == 0.0, name
    layer = tr.encoder.layers[0]
    assert type(layer.self_attn.out_proj).__name__ == "NonDynamicallyQuantizableLinear"
    assert type(tr).__module__ == "plait.nn.modules.transformer"
    no_bias = nn.TransformerEncoderLayer(4, 2, 6, bias=False)
    assert [n for n, _ in no_bias.named_parameters()] == ["self_attn.in_proj_weight", "self_attn.out_proj.weight",
                                                         "linear1.weight", "linear2.weight", "norm1.weight",
                                                         "norm2.weight"]


def test_transformer_repr_as_torch():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's notice that nested tensors need batch_first
        tr = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=16)
    # torch 2.13's repr
    norm = "LayerNorm((8,), eps=1e-05, elementwise_affine=True, bias=True)"
    attn = ("MultiheadAttention(\n{i}  (out_proj): NonDynamicallyQuantizableLinear(in_features=8, out_features=8, "
            "bias=True)\n{i})")
    i6 = " " * 8
    expected = (
        "Transformer(\n"
        "  (encoder): TransformerEncoder(\n"
        "    (layers): ModuleList(\n"
        "      (0): TransformerEncoderLayer(\n"
        f"        (self_attn): {attn.format(i=i6)}\n"
        "        (linear1): Linear(in_features=8, out_features=16, bias=True)\n"
        "        (dropout): Dropout(p=0.1, inplace=False)\n"
        "        (linear2): Linear(in_features=16, out_features=8, bias=True)\n"
        f"        (norm1): {norm}\n"
        f"        (norm2): {norm}\n"
        "        (dropout1): Dropout(p=0.1, inplace=False)\n"
        "        (dropout2): Dropout(p=0.1, inplace=False)\n"
        "      )\n"
        "    )\n"
        f"    (norm): {norm}\n"
        "  )\n"
        "  (decoder): TransformerDecoder(\n"
        "    (layers): ModuleList(\n"
        "      (0): TransformerDecoderLayer(\n"
        f"        (self_attn): {attn.format(i=i6)}\n"
        f"        (multihead_attn): {attn.format(i=i6)}\n"
        "        (linear1): Linear(in_features=8, out_features=16, bias=True)\n"
        "        (dropout): Dropout(p=0.1, inplace=False)\n"
        "        (linear2): Linear(in_features=16, out_features=8, bias=True)\n"
        f"        (norm1): {norm}\n"
        f"        (norm2): {norm}\n"
        f"        (norm3): {norm}\n"
        "        (dropout1): Dropout(p=0.1, inplace=False)\n"
        "        (dropout2): Dropout(p=0.1, inplace=False)\n"
        "        (dropout3): Dropout(p=0.1, inplace=False)\n"
        "      )\n"
        "    )\n"
        f"    (norm): {norm}\n"
        "  )\n"
        ")")
    assert repr(tr) == expected


def test_activation_as_a_callable_or_a_module():
    x = T(1, 3, 2, 4, grad=False)
    silu = load(encoder_layer(4, 2, 6, activation=F.silu), 5).eval()
    assert silu.activation is F.silu and silu.activation_relu_or_gelu == 0
    by_module = load(encoder_layer(4, 2, 6, activation=nn.GELU()), 5).eval()
    assert by_module.activation_relu_or_gelu == 2 and "(activation): GELU(approximate='none')" in repr(by_module)
    by_name = load(encoder_layer(4, 2, 6, activation="gelu"), 5).eval()
    close(by_module(x), by_name(x).detach().numpy(), atol=1e-12)
    assert not np.allclose(silu(x).detach().numpy(), by_name(x).detach().numpy())
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not silu"):
        nn.TransformerEncoderLayer(4, 2, activation="silu")
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerDecoderLayer(4, 2, activation="tanh")


def test_causal_mask_detection():
    from plait.nn.modules.transformer import _detect_is_causal_mask
    causal = nn.Transformer.generate_square_subsequent_mask(4)
    assert _detect_is_causal_mask(causal) and _detect_is_causal_mask(causal, size=4)
    assert not _detect_is_causal_mask(causal, size=3) and not _detect_is_causal_mask(causal, is_causal=False)
    assert not _detect_is_causal_mask(plait.zeros(4, 4)) and not _detect_is_causal_mask(None)
    assert _detect_is_causal_mask(None, is_causal=True)
    assert _detect_is_causal_mask(plait.ones(3, 3, dtype=plait.bool).triu(1))  # True above the diagonal, as torch


def test_transformer_errors_as_torch():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's notice that nested tensors need batch_first
        tr = nn.Transformer(d_model=4, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=6)
        tr_bf = nn.Transformer(d_model=4, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=6,
                               batch_first=True)
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        tr(plait.zeros(3, 2, 4), plait.zeros(3, 1, 4))
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        tr_bf(plait.zeros(2, 3, 4), plait.zeros(1, 3, 4))
    with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal to d_model"):
        tr(plait.zeros(3, 2, 4), plait.zeros(3, 2, 5))
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.TransformerEncoderLayer(6, 4)
    layer = nn.TransformerEncoderLayer(4, 2, 6)
    with pytest.raises(RuntimeError, match=re.escape("The shape of the 2D attn_mask is plait.Size([2, 2]), but should "
                                                     "be (3, 3).")):
        layer(plait.zeros(3, 1, 4), src_mask=plait.zeros(2, 2))
    with pytest.raises(AssertionError, match="only bool and floating types of src_mask are supported"):
        layer(plait.zeros(3, 1, 4), src_mask=plait.zeros(3, 3, dtype=plait.int64))


def test_dropout_in_training_changes_outputs_and_repeats_with_the_seed():
    enc = load(nn.TransformerEncoder(encoder_layer(4, 2, 6, dropout=0.3, batch_first=True), 2), 7)
    x = T(8, 2, 5, 4, grad=False)
    enc.eval()
    ref = enc(x)
    enc.train()
    plait.manual_seed(11)
    a = enc(x)
    plait.manual_seed(11)
    b = enc(x)
    assert not np.allclose(a.detach().numpy(), ref.detach().numpy())
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    a.sum().backward()  # a training step's backward runs through every dropout
    assert all(p.grad is not None for p in enc.parameters())


def test_gradcheck_encoder_and_decoder_layers_float64():
    enc = load(encoder_layer(4, 2, 3, dropout=0.0), 20)
    dec = load(decoder_layer(4, 2, 3, dropout=0.0, norm_first=True), 21)
    src, tgt = T(22, 3, 1, 4), T(23, 2, 1, 4)
    mask = nn.Transformer.generate_square_subsequent_mask(2, dtype=plait.float64)
    assert gradcheck(lambda s: enc(s, src_key_padding_mask=plait.tensor([[False, False, True]])), (src,))
    assert gradcheck(lambda t, m: dec(t, m, tgt_mask=mask), (tgt, src))


# --------------------------------------------------------------------------------------------------
# live comparison with torch, where it is installed
# --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("batch_first,norm_first,activation", [(False, False, "relu"), (True, True, "gelu")])
def test_transformer_live_against_torch(batch_first, norm_first, activation):
    torch = pytest.importorskip("torch")
    kw = dict(d_model=4, nhead=2, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=6,
              activation=activation, batch_first=batch_first, norm_first=norm_first)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = nn.Transformer(**kw, **F64).eval()
        theirs = torch.nn.Transformer(**kw, dtype=torch.float64).eval()
    load(ours, 30)
    theirs.load_state_dict({k: torch.from_numpy(v.detach().numpy().copy()) for k, v in ours.state_dict().items()})
    shape = lambda s: (2, s, 4) if batch_first else (s, 2, 4)
    src_np, tgt_np = arr(31, *shape(5)), arr(32, *shape(3))
    pad = np.array([[False] * 5, [False, False, False, True, True]])
    results = []
    for lib, model in ((plait, ours), (torch, theirs)):
        src, tgt = lib.tensor(src_np, requires_grad=True), lib.tensor(tgt_np, requires_grad=True)
        out = model(src, tgt, tgt_mask=model.generate_square_subsequent_mask(3, dtype=lib.float64),
                    src_key_padding_mask=lib.tensor(pad), memory_key_padding_mask=lib.tensor(pad))
        (out * lib.tensor(arr(33, *out.shape))).sum().backward()
        results.append([out.detach().numpy(), src.grad.numpy(), tgt.grad.numpy()] +
                       [p.grad.numpy() for p in model.parameters()])
    for got, expect in zip(*results):
        np.testing.assert_allclose(got, expect, rtol=1e-9, atol=1e-12)


def test_transformer_repr_live_against_torch():
    torch = pytest.importorskip("torch")
    kw = dict(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=16, bias=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, theirs = nn.Transformer(**kw), torch.nn.Transformer(**kw)
    # plait prints LayerNorm as torch before 2.13 did (tests/nn/test_modules_parity.py): bias only when dropped
    assert repr(ours) == repr(theirs)


def test_custom_encoder_and_decoder_replace_the_stacks_and_are_reinitialised():
    class Shift(nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = nn.Linear(4, 4, bias=False)

        def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
            return self.proj(src)

    class Last(nn.Module):
        def forward(self, tgt, memory, **masks):
            return tgt + memory[-1:]

    encoder = Shift()
    init_before = encoder.proj.weight.detach().clone()
    tr = nn.Transformer(d_model=4, nhead=2, custom_encoder=encoder, custom_decoder=Last())
    assert tr.encoder is encoder and isinstance(tr.decoder, Last)
    assert not np.allclose(encoder.proj.weight.detach().numpy(), init_before.numpy())  # xavier_uniform_ again
    assert encoder.proj.weight.abs().max().item() <= math.sqrt(6.0 / 8)
    src, tgt = plait.ones(3, 2, 4), plait.zeros(2, 2, 4)
    expected = (src[-1:] @ encoder.proj.weight.t()).expand(2, 2, 4)
    np.testing.assert_allclose(tr(src, tgt).detach().numpy(), expected.detach().numpy(), rtol=1e-6)
