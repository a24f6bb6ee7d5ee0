"""scaled_dot_product_attention, multi_head_attention_forward and nn.MultiheadAttention against torch 2.13.

Inputs and weights come from seeded NumPy generators (``arr``, ``load``); ``EXPECTED`` holds what torch
2.13 computes for the same inputs (values and gradients, float64), so these tests need no torch. The
last tests compare live against torch where it is installed.
"""
import math
import re

import numpy as np
import pytest

import plait
import plait.nn as nn
import plait.nn.functional as F
from plait.autograd import gradcheck, gradgradcheck

NAN = float("nan")


def arr(seed, *shape, scale=1.0):
    return np.random.default_rng(seed).standard_normal(shape) * scale


def T(seed, *shape, grad=True):
    return plait.tensor(arr(seed, *shape), requires_grad=grad)


def load(module, seed, scale=0.5):
    """Fill every parameter and buffer from one seeded generator, in sorted-name order (as the script that
    produced EXPECTED did for torch's module)."""
    rng = np.random.default_rng(seed)
    module.load_state_dict({k: plait.tensor(rng.standard_normal(tuple(v.shape)) * scale)
                            for k, v in sorted(module.state_dict().items())})
    return module


def close(t, expected, atol=1e-10):
    np.testing.assert_allclose(t.detach().numpy(), np.array(expected, dtype=np.float64), rtol=1e-9, atol=atol)


def mha(**kw):
    return nn.MultiheadAttention(**kw, dtype=plait.float64)


EXPECTED = {  # torch 2.13's outputs and gradients for the cases below (float64)
    'sdpa_plain': {'out': [[[[1.02934049051, -1.47798186055, 0.00146499677152], [-0.0917681605931, -0.545683495087,
        -0.250797635136], [0.178002012192, -0.516780036926, -0.307668402152]], [[0.758005953791, 0.22193698879,
        -0.473188631901], [0.337243444192, -0.00664103301267, -0.556992692399], [0.686252399817, 0.191141490251,
        -0.376815776307]]]], 'dq': [[[[0.142539665604, 0.108693120808, -0.0721722242845, -0.108014470192],
        [-0.2932524794, -0.275936481119, -0.118162134931, -0.618226231475], [0.23743888499, 0.168605303963,
        0.199908473189, 0.371748435412]], [[-0.1933233238, 0.0346638462804, 0.137533088223, 0.0367448433843],
        [-0.100500624762, -0.189510215099, -0.0653953071683, 0.044601068722], [-0.930395162542, -0.158059284131,
        0.509967313526, -0.412118222659]]]], 'dk': [[[[0.159459103074, 0.100390916538, -0.099554857843,
        -0.0368329491806], [-0.100316521795, -0.0116824014235, 0.102283016565, -0.107640125901], [0.00208492035231,
        0.0474192778259, 0.0740226929158, 0.0357935851996], [-0.0612275016317, -0.136127792941, -0.076750851638,
        0.108679489882]], [[0.0880075068096, 0.0307381512254, -0.0767012507633, -0.161939930422], [-0.0165676994734,
        0.111190847411, -0.419980557569, -0.331371436322], [-0.037279378862, -0.053533440486, 0.308892685131,
        0.269539199597], [-0.0341604284742, -0.0883955581505, 0.187789123201, 0.223772167147]]]], 'dv':
        [[[[-0.364697311841, -0.227091794315, 0.714428291997], [0.036522122563, -1.07916248809, -0.476300463923],
        [-0.16460272787, -0.196213240476, -0.060318021904], [-0.12332922662, -0.165015540778, -0.127476863137]],
        [[0.438054102707, -0.0213300483348, -0.117246228841], [0.688800319017, -0.303560716355, 0.225922857589],
        [0.638059053571, -0.36952236114, 0.272969618909], [1.04623254278, -0.475304851694, 0.802664954632]]]]},
    'sdpa_bool_mask': {'out': [[[[1.37299459427, -1.69860518865, 0.0481707950528], [0, 0, 0], [0.774492467143,
        -0.594082050837, -0.156361818614]], [[1.05085854215, 0.155655935991, -0.53300153225], [0, 0, 0],
        [0.596598650781, 0.32023448267, -0.509254351708]]]], 'dq': [[[[0.0837051244044, 0.0399783016689,
        -0.0705896356166, -0.263638885141], [0, 0, 0, 0], [0.539160916896, 0.520155163865, -0.0978759574718,
        0.597075679731]], [[-0.280805714986, 0.0218964690999, 0.183626405278, 0.0303947853647], [0, 0, 0, 0],
        [-1.08403422886, -0.679211314822, 0.23055977976, -0.0455839311344]]]], 'dk': [[[[-0.0161589381522,
        0.0458498410934, 0.0316651723699, -0.221827592944], [0.105400033611, 0.0850354425021, 0.00821703788147,
        0.158057954381], [0.0155916294945, 0.0370687258665, 0.0149082411216, -0.058794196016], [-0.104832724954,
        -0.167954009462, -0.0547904513729, 0.122563834579]], [[0.105848561586, 0.0394071887867, -0.00500288845055,
        -0.144490770905], [-0.00301790064226, 0.102152265359, -0.47964498058, -0.373142544666], [-0.0487591804778,
        -0.0107859480937, -0.0319201739711, 0.0396484330465], [-0.0540714804662, -0.130773506052, 0.516568043002,
        0.477984882524]]]], 'dv': [[[[-0.520256590754, -0.0931074677023, 0.858293388614], [-0.378219487715,
        0.0901661714819, -0.975594761806], [-0.135003584671, -0.0361886789556, 0.344602257703], [-0.24177523046,
        0.0130442061023, -0.171764677306]], [[0.430829069419, -0.271251415239, 0.525049174948], [0.746891281651,
        -0.635131383649, 0.365301887026], [0.0414771607481, 0.0403807602837, 0.27030643526], [1.27530348978,
        -0.814262600617, 1.51677039002]]]]},
    'sdpa_float_mask': {'out': [[[1.28800135588, -1.0713553915, -0.140843476394], [0.685715904676, -0.359484228186,
        -0.335699265399], [1.05938571511, -0.252499022834, -0.3964270973]], [[0.169776889162, -0.134122053467,
        -0.686024044003], [-0.0999035835727, -0.352392764724, -0.814578389842], [0.185233881381, -0.0647672882059,
        -0.572789744682]]], 'dq': [[[0.211966320715, 0.135346211929, -0.107425080213, -0.320562953983],
        [-0.292014971995, -0.242362546781, -0.169485728452, -0.520230934106], [0.311196794674, 0.191386393363,
        0.207636575879, 0.200844956129]], [[-0.237158390877, 0.0540224145, 0.16608953155, 0.14664009553],
        [-0.0226296890213, -0.0846202595578, -0.0385179171702, -0.0238971206173], [-0.772086115684, -0.108101465394,
        0.437099816321, -0.331633901496]]], 'dk': [[[0.190092698755, 0.176507119783, -0.0584654997529,
        -0.124973960982], [-0.0771968642546, -0.00488989929296, 0.0834090912613, -0.0873140093344], [-0.0193435713868,
        0.0890763977449, 0.144949029799, -0.0413313053086], [-0.0935522631137, -0.260693618234, -0.169892621308,
        0.253619275625]], [[0.15256694817, 0.0425830052768, -0.0495264417279, -0.221391613014], [-0.0601861823677,
        0.077884543678, -0.361455784528, -0.223187944999], [-0.0345672949458, -0.0543408467493, 0.243260673724,
        0.228077891746], [-0.057813470856, -0.0661267022055, 0.167721552531, 0.216501666267]]], 'dv':
        [[[-0.261268470537, -0.199982649207, 0.551665936647], [0.0745790222174, -0.606893007751, -0.188290360449],
        [-0.17864879363, -0.323837811344, -0.0454893690958], [-0.250768901818, -0.536769595357, -0.267553264069]],
        [[1.24184989706, -0.289547522573, 0.190261284932], [0.742323289884, -0.400792731585, 0.385382173241],
        [0.360913150479, -0.233087865931, 0.197261169165], [0.466059680647, -0.246289857434, 0.411406574952]]]},
    'sdpa_causal_wide': {'out': [[[2.04091912139, -2.55566503131, 0.418098846726], [-0.133554370278, -0.80269545345,
        -0.110118705864], [-1.25838988783, -0.629898351075, -0.612714004744]]], 'dq': [[[0, 0], [0.302220763605,
        0.963063284366], [0.846130561086, 0.934321289516]]], 'dk': [[[-0.253464737129, -0.860835303417],
        [-0.206831269602, 0.633892019865], [0.460296006732, 0.226943283552], [0, 0], [0, 0]]], 'dv':
        [[[-0.645180217247, -0.423347627545, 1.39690736837], [0.510780047908, -1.35897265384, -0.104039822428],
        [-0.481706974429, 0.11483721773, -1.2425346029], [0, 0, 0], [0, 0, 0]]]},
    'sdpa_causal_tall': {'out': [[[2.04091912139, -2.55566503131, 0.418098846726], [-0.13944192953, -0.797949149437,
        -0.111548896736], [-1.2679852957, -0.625211231221, -0.615997400873], [-0.172738842447, -1.15727146216,
        -0.240302606381], [-0.702956283017, -0.89123840961, -0.419536381712]]], 'dq': [[[0, 0], [0.301965020804,
        0.962248328771], [0.847313230905, 0.935547395298], [-0.571800854711, -0.613376388157], [0.386526765492,
        0.405377494493]]], 'dk': [[[-0.518014749722, -0.736534655812], [-0.217150910764, 0.641812959038],
        [0.735165660487, 0.0947216967735]]], 'dv': [[[-0.468975181224, -0.193656751144, 1.59338259207],
        [0.614203359792, -1.23316723183, 0.00729774721495], [-0.202918428988, 0.505268499746, -1.46783804979]]]},
    'sdpa_gqa': {'out': [[[[0.411206002899, -0.816124494024], [0.383902690912, -0.586524299608]], [[0.397629156497,
        -0.693515783205], [0.605088019385, -1.05287045701]], [[0.707775258231, -1.16053534428], [0.597668181053,
        -1.06577894045]], [[0.702916700292, -1.12005138742], [0.991880008943, -1.47639623079]]]], 'dq':
        [[[[-0.0160426777829, 0.094243900824, 0.0465467962302], [-0.0647523741709, 0.00980997381803,
        0.0164213000197]], [[-0.0515511540362, 0.188536300658, 0.0966881742158], [-0.179187460809, 0.294825678505,
        0.169286324453]], [[0.20760341826, -0.366916821608, -0.0360484186131], [0.139679901548, -0.327115281525,
        0.0228028283307]], [[0.0168058616623, -0.0826568330164, 0.0281346618059], [0.45465690681, -0.964095271753,
        0.0151938126932]]]], 'dk': [[[[-0.0299467787204, -0.145588864207, -0.183598422387], [-0.0327124673101,
        0.0151003942028, 0.0267036563561], [0.0626592460305, 0.130488470004, 0.156894766031]], [[0.524098816937,
        -1.43384782038, -0.826084770354], [-0.133170092963, 0.418517008508, 0.255404860607], [-0.390928723974,
        1.01533081187, 0.570679909747]]]], 'dv': [[[[-1.59309368221, 1.93027834194], [-0.762311865474, 1.74511753093],
        [-1.44680118305, 1.53313653844]]]]},
    'sdpa_broadcast': {'out': [[[[0.0308771349724, -0.448486826048, -0.521411692751], [-0.0884998007333,
        -0.7301547499, -0.156669630165], [-0.577333360463, -0.497190047928, -0.576377436113]]], [[[0.953351494872,
        -0.679634681526, -0.224489474443], [0.432177517765, -0.830432197859, -0.259271352392], [0.891070255889,
        -0.689224595434, -0.20491759738]]]], 'dq': [[0.727822805396, 0.029693777809], [0.0868192654784,
        0.772780693786], [1.13911592281, 1.03270282918]], 'dk': [[[[-0.139073444141, -0.711197773615],
        [-0.147761143894, 0.553603995466], [0.667470575691, 0.615876677465], [-0.380635987656, -0.458282899317]]],
        [[[0.911108269518, 0.921886930224], [-0.913220821483, -0.44274321092], [-0.749208735916, -0.625782842826],
        [0.751321287881, 0.146639123522]]]], 'dv': [[0.548646422762, -0.475782504216, 0.200020961939], [1.42383774181,
        -1.75180775361, 0.485322187787], [-0.300447468174, -0.148658108548, -0.161128347125], [0.523002177911,
        -0.460952674811, 0.710429342721]]},
    'mha_self_bool_masks': {'out': [[[-0.221611520414, -1.35675283146, -0.449682087559, 0.999291666247],
        [0.0705854874625, -0.701014322457, -0.664348432999, 0.65394797577]], [[0.841794891813, -0.39092350605,
        -0.143183466276, 0.936301968534], [-0.060534119434, -0.595510692406, 0.335501784392, 0.464400892013]],
        [[0.65865644116, -0.556839576079, -0.196646136862, 0.947083539575], [-0.181233638576, -0.528053835019,
        -0.271326303019, 0.474535228545]]], 'weights': [[[1, 0, 0], [0.189689767987, 0.810310232013, 0],
        [0.325956586722, 0.674043413278, 0]], [[0.483164912532, 0, 0.516835087468], [0.541950253841, 0.458049746159,
        0], [0.347997422547, 0.293703140576, 0.358299436878]]], 'dx': [[[1.11790171872, -0.290128286269,
        -0.113699773155, -0.110783256415], [-0.834001606756, 0.0574578605514, 0.606794776915, -0.688738780446]],
        [[0.296557347506, -0.880581183663, 0.459302449587, 0.804744572774], [-0.401061323225, 0.01666956953,
        0.0660653974864, -0.751817695002]], [[0.0426968190065, 0.0212115325996, 0.107171911363, 0.0721647068255],
        [-0.475276647281, -0.00193077749554, 0.543865298772, 0.194299560077]]], 'd_in_proj_weight': [[-0.248951938775,
        0.367865511626, -0.244389882166, -0.0952908429636], [0.243750948812, -0.186612526388, 0.113616685725,
        0.125382375712], [0.0296753695091, 0.00898265155165, -0.0469134621176, 0.043461258534], [0.0507257986661,
        -0.071940342573, 0.0926249032688, -0.0451041667816], [-0.39082661525, 1.18923765555, -0.04793138367,
        -0.230806244705], [0.0993420500506, -0.70686504263, 0.13617308952, 0.0642354363239], [0.101714213271,
        -0.0492083540581, -0.0490331348682, 0.0625825155939], [0.0360460415368, 0.0685361095382, 0.0945858193558,
        0.0671633863454], [-0.324189181027, 0.752665480494, -3.02127401649, 1.06243494853], [0.79675704541,
        2.73037934172, -1.60497169932, 0.852960484434], [1.14941662005, 0.364534406065, 1.43093833805,
        0.115681032916], [-1.07406145232, -1.86595493137, -2.00608263287, 0.408496522595]], 'd_out_proj_bias':
        [1.13816750986, 1.59135978769, -1.36948518531, 2.17265227463]},
    'mha_self_per_head': {'weights': [[[[1, 0, 0], [0.161548311407, 0.838451688593, 0], [0.305714934858,
        0.694285065142, 0]], [[1, 0, 0], [0.217831224567, 0.782168775433, 0], [0.346198238585, 0.653801761415, 0]]],
        [[[0.500774993901, 0, 0.499225006099], [0.531280130215, 0.468719869785, 0], [0.333598197902, 0.400637031782,
        0.265764770316]], [[0.465554831164, 0, 0.534445168836], [0.552620377468, 0.447379622532, 0], [0.362396647191,
        0.18676924937, 0.450834103439]]]]},
    'mha_cross_kvdim_biaskv_zeroattn': {'out': [[[1.08965860655, -1.37952875332, -0.0103507624761, 0.344611875181],
        [1.04123836933, -0.643835509921, -0.0173753798603, 0.241265998004]], [[-0.191961390942, -1.54804239763,
        0.485468189741, 0.828867386022], [-0.548644543413, -0.867057536687, 0.386119988621, 0.469528299208]]],
        'weights': [[[0.0337690082182, 0.411328969613, 0.456446475873, 0.0592673302892, 0.0391882160069],
        [0.0688859121804, 0.299677377516, 0.327223665345, 0.160404676563, 0.143808368395]], [[0.180395646706,
        0.162928004465, 0.263643992407, 0.212741022931, 0.18029133349], [0.268203515717, 0.388679271684,
        0.218164757428, 0.0444702379245, 0.0804822172462]]], 'dq': [[[0.208757005017, -0.0195468614559,
        -0.213267333617, 0.0259224578241], [-0.345597857412, -0.175520653477, 0.091487712956, 0.115914241228]],
        [[-0.558666988068, 2.14909958729, 2.00998107166, -2.68607802715], [0.0687392626727, 0.00634575572799,
        -0.0626657822013, -0.0157673796849]]], 'dk': [[[-0.0647187888881, -0.0951048063818, 0.0930829541562],
        [-0.0355896198826, 0.0778944392938, -0.0474678564371], [0.107702610391, 0.121995653403, -0.16679356026]],
        [[0.0746475064525, 0.129973815021, -0.0727739810059], [0.200304583418, 0.118895900591, 0.0010765855538],
        [-0.0556869243665, 0.0492716872151, -0.0728449054732]]], 'dv': [[[0.0118451579481, 0.0191018175811,
        0.159779650604, 0.0975627722141, 0.0135162677745], [-0.434151595085, -1.16357725781, 0.536550057369,
        0.339873310076, 0.177223494526], [0.600448298917, 1.74708570427, 2.71025856647, 1.33692205255,
        0.0983002605462]], [[0.191957565517, 0.68778908158, 0.981381515071, 0.48258812463, 0.066338827135],
        [0.541009527794, 1.96421335567, 2.12344392762, 0.960086544815, 0.113117895134], [0.0198010771384,
        0.0124485262758, 0.57597620593, 0.373066955408, 0.062286679095]]], 'd_k_proj_weight': [[-0.231460266666,
        -0.214630170489, -0.0759588638683], [0.209748343124, 0.339530629292, -0.0473571783506], [-0.750967788017,
        -0.899110379685, -0.902671092525], [0.0922805049076, 0.42910567026, 0.092767915363]], 'd_bias_k':
        [[[0.0140292512811, -0.108561577814, 0.508874751842, -0.220108399204]]], 'd_bias_v': [[[0.3285695466,
        0.259693757945, -0.0646000580021, -2.25720863186]]]},
    'mha_unbatched_nobias': {'out': [[0.100933588711, -0.354929219171, 0.32754058895, 0.70592066129],
        [0.0996029426003, 0.169587824052, -0.551628023112, 0.277088391171]], 'weights': [[[0.25485851103,
        0.275145977428, 0.469995511542], [0.498051554005, 0.253607521642, 0.248340924353]], [[0.379751658569,
        0.315976755882, 0.304271585548], [0.162809248061, 0.361396911299, 0.47579384064]]], 'dq': [[-0.844920926933,
        -0.497259989168, 0.395010626311, 0.0345752542107], [0.526779121668, -0.0373681370257, -0.0872213230083,
        -0.190655134204]], 'dkv': [[0.0543371536567, 0.157929249176, -0.272261925636, 0.0834346134062],
        [-0.129998874565, 0.0574408632933, -0.309027623689, 0.0508895198646], [-0.590234968132, -0.0412788314809,
        -0.56222513102, 0.172964076862]]},
    'mha_is_causal_hint': {'out': [[[0.128189784012, 1.94657875275, 0.355907304653, -0.374649185277]],
        [[-0.448214299403, 2.08369302476, 0.155281164588, -0.596979434589]], [[-0.688823521167, 1.74386104123,
        -0.0276408658766, -0.611112429351]]]},
}


# --------------------------------------------------------------------------------------------------
# scaled_dot_product_attention
# --------------------------------------------------------------------------------------------------

BOOL_MASK = [[True, False, True, True], [False, False, False, False], [True, True, False, True]]

SDPA_CASES = {
    "sdpa_plain": ((1, 2, 3, 4), (1, 2, 4, 4), (1, 2, 4, 3), {}),
    "sdpa_bool_mask": ((1, 2, 3, 4), (1, 2, 4, 4), (1, 2, 4, 3), {"attn_mask": lambda: plait.tensor(BOOL_MASK)}),
    "sdpa_float_mask": ((2, 3, 4), (2, 4, 4), (2, 4, 3), {"attn_mask": lambda: plait.tensor(arr(5, 2, 1, 4))}),
    "sdpa_causal_wide": ((1, 3, 2), (1, 5, 2), (1, 5, 3), {"is_causal": True, "scale": 0.7}),
    "sdpa_causal_tall": ((1, 5, 2), (1, 3, 2), (1, 3, 3), {"is_causal": True}),
    "sdpa_gqa": ((1, 4, 2, 3), (1, 2, 3, 3), (1, 1, 3, 2), {"enable_gqa": True}),
    "sdpa_broadcast": ((3, 2), (2, 1, 4, 2), (4, 3), {}),
}


@pytest.mark.parametrize("name", list(SDPA_CASES))
def test_sdpa_values_and_gradients_match_torch(name):
    qs, ks, vs, kw = SDPA_CASES[name]
    kw = {k: (v() if callable(v) else v) for k, v in kw.items()}
    q, k, v = T(1, *qs), T(2, *ks), T(3, *vs)
    out = F.scaled_dot_product_attention(q, k, v, **kw)
    out.backward(plait.tensor(arr(4, *out.shape)))
    exp = EXPECTED[name]
    close(out, exp["out"])
    close(q.grad, exp["dq"])
    close(k.grad, exp["dk"])
    close(v.grad, exp["dv"])


def test_sdpa_query_that_may_attend_to_nothing_gets_zeros_and_no_gradient():
    q, k, v = T(1, 1, 3, 4), T(2, 1, 4, 4), T(3, 1, 4, 3)
    for mask in (plait.tensor(BOOL_MASK), plait.tensor([[0.0] * 4, [-math.inf] * 4, [0.0] * 4])):
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        assert out[0, 1].tolist() == [0.0, 0.0, 0.0]
        q.grad = None
        out.sum().backward()
        assert q.grad[0, 1].tolist() == [0.0] * 4


def test_sdpa_bool_mask_is_the_float_mask_of_zeros_and_minus_inf():
    q, k, v = T(1, 2, 3, 4, grad=False), T(2, 2, 5, 4, grad=False), T(3, 2, 5, 2, grad=False)
    keep = plait.tensor(np.random.default_rng(6).random((3, 5)) > 0.3)
    keep[:, 0] = True
    as_float = plait.zeros(3, 5, dtype=plait.float64).masked_fill(keep.logical_not(), -math.inf)
    close(F.scaled_dot_product_attention(q, k, v, attn_mask=keep),
          F.scaled_dot_product_attention(q, k, v, attn_mask=as_float).numpy(), atol=1e-12)


def test_sdpa_gqa_repeats_each_key_head_for_consecutive_query_heads():
    q, k, v = T(1, 2, 6, 3, 4, grad=False), T(2, 2, 2, 5, 4, grad=False), T(3, 2, 3, 5, 2, grad=False)
    expect = F.scaled_dot_product_attention(q, k.repeat_interleave(3, dim=1), v.repeat_interleave(2, dim=1))
    close(F.scaled_dot_product_attention(q, k, v, enable_gqa=True), expect.numpy(), atol=1e-12)


def test_sdpa_dropout_changes_the_output_and_repeats_with_the_seed():
    q, k, v = T(1, 2, 4, 8, grad=False), T(2, 2, 6, 8, grad=False), T(3, 2, 6, 3, grad=False)
    plain = F.scaled_dot_product_attention(q, k, v)
    plait.manual_seed(7)
    a = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    plait.manual_seed(7)
    b = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    assert not np.allclose(a.numpy(), plain.numpy())
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert F.scaled_dot_product_attention(q, k, v, dropout_p=1.0).abs().max().item() == 0.0


def test_sdpa_gradcheck_with_float_mask_and_causal():
    q, k, v = T(1, 1, 2, 3, 2), T(2, 1, 2, 4, 2), T(3, 1, 2, 4, 3)
    mask = T(5, 3, 4)
    assert gradcheck(lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m), (q, k, v, mask))
    assert gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=0.3), (q, k, v))
    keep = plait.tensor([[True, False, True, True], [False, False, False, False], [True, True, False, True]])
    assert gradgradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=keep), (q, k, v))


def test_sdpa_errors_as_torch():
    q, k, v = T(1, 2, 3, 4, 8), T(2, 2, 3, 5, 8), T(3, 2, 3, 5, 6)
    with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set when is_causal=True"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=plait.ones(4, 5, dtype=plait.bool), is_causal=True)
    with pytest.raises(RuntimeError, match=re.escape("Expected size for first two dimensions of batch2 tensor to be: "
                                                     "[6, 5] but got: [6, 4].")):
        F.scaled_dot_product_attention(q, k, v[..., :4, :])
    with pytest.raises(RuntimeError, match=re.escape("Expected size for first two dimensions of batch2 tensor to be: "
                                                     "[6, 8] but got: [6, 7].")):
        F.scaled_dot_product_attention(q, k[..., :7], v)
    with pytest.raises(RuntimeError, match=re.escape("The size of tensor a (4) must match the size of tensor b (3) "
                                                     "at non-singleton dimension 2")):
        F.scaled_dot_product_attention(q, k, v, attn_mask=plait.zeros(3, 5, dtype=plait.float64))
    with pytest.raises(RuntimeError, match=re.escape("Expected attn_mask dtype to be bool or float or to match query "
                                                     "dtype, but got attn_mask.dtype: long int and  query.dtype: "
                                                     "double instead.")):
        F.scaled_dot_product_attention(q, k, v, attn_mask=plait.ones(4, 5, dtype=plait.int64))
    with pytest.raises(RuntimeError, match=re.escape("Expected query, key, and value to have the same dtype, but got "
                                                     "query.dtype: double key.dtype: float and value.dtype: double "
                                                     "instead.")):
        F.scaled_dot_product_attention(q, k.float(), v)
    with pytest.raises(RuntimeError, match=re.escape("Expected query, key, and value to all be  at least 2 "
                                                     "dimensional, but got query.dim: 1 key.dim: 2 and value.dim: 2 "
                                                     "instead.")):
        F.scaled_dot_product_attention(q[0, 0, 0], k[0, 0], v[0, 0])
    with pytest.raises(RuntimeError, match="Number of heads in key and value must divide the number of heads in"):
        F.scaled_dot_product_attention(q, T(2, 2, 2, 5, 8), T(3, 2, 2, 5, 6), enable_gqa=True)
    with pytest.raises(RuntimeError, match=re.escape("The size of tensor a (3) must match the size of tensor b (2) at "
                                                     "non-singleton dimension 1")):
        F.scaled_dot_product_attention(q, T(2, 2, 2, 5, 8), T(3, 2, 2, 5, 6))
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        F.scaled_dot_product_attention(q, k, v, dropout_p=1.5)


# --------------------------------------------------------------------------------------------------
# nn.MultiheadAttention
# --------------------------------------------------------------------------------------------------

def test_mha_parameters_init_state_dict_and_repr_as_torch():
    m = nn.MultiheadAttention(6, 3)
    assert [(n, tuple(p.shape)) for n, p in m.named_parameters()] == [
        ("in_proj_weight", (18, 6)), ("in_proj_bias", (18,)), ("out_proj.weight", (6, 6)), ("out_proj.bias", (6,))]
    assert list(m.state_dict()) == ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]
    assert m.q_proj_weight is None and m.bias_k is None and m.bias_v is None
    assert type(m.out_proj).__name__ == "NonDynamicallyQuantizableLinear" and isinstance(m.out_proj, nn.Linear)
    assert type(m.out_proj).__module__ == "plait.nn.modules.linear"
    assert type(m).__module__ == "plait.nn.modules.activation"
    bound = math.sqrt(6.0 / (18 + 6))  # xavier_uniform_ over the packed (3E, E) weight
    w = m.in_proj_weight.detach()
    assert w.abs().max().item() <= bound and w.std().item() > bound / 3
    assert m.in_proj_bias.abs().max().item() == 0.0 and m.out_proj.bias.abs().max().item() == 0.0
    assert repr(m) == ("MultiheadAttention(\n  (out_proj): NonDynamicallyQuantizableLinear(in_features=6, "
                       "out_features=6, bias=True)\n)")
    sep = nn.MultiheadAttention(4, 2, kdim=3, vdim=5, add_bias_kv=True, bias=False)
    assert [(n, tuple(p.shape)) for n, p in sep.named_parameters()] == [
        ("q_proj_weight", (4, 4)), ("k_proj_weight", (4, 3)), ("v_proj_weight", (4, 5)), ("bias_k", (1, 1, 4)),
        ("bias_v", (1, 1, 4)), ("out_proj.weight", (4, 4))]
    assert sep.in_proj_weight is None and sep.in_proj_bias is None and sep.out_proj.bias is None
    assert repr(sep) == ("MultiheadAttention(\n  (out_proj): NonDynamicallyQuantizableLinear(in_features=4, "
                         "out_features=4, bias=False)\n)")


def test_mha_self_attention_with_bool_masks_matches_torch():
    m = load(mha(embed_dim=4, num_heads=2), 10)
    x = T(11, 3, 2, 4)
    am = plait.tensor([[False, True, False], [False, False, True], [False, False, False]])
    kpm = plait.tensor([[False, False, True], [False, False, False]])
    out, w = m(x, x, x, attn_mask=am, key_padding_mask=kpm)
    ((out * plait.tensor(arr(12, *out.shape))).sum() + (w * plait.tensor(arr(13, *w.shape))).sum()).backward()
    exp = EXPECTED["mha_self_bool_masks"]
    close(out, exp["out"])
    close(w, exp["weights"])
    close(x.grad, exp["dx"])
    close(m.in_proj_weight.grad, exp["d_in_proj_weight"])
    close(m.out_proj.bias.grad, exp["d_out_proj_bias"])
    with plait.no_grad():
        out2, w2 = m(x, x, x, attn_mask=am, key_padding_mask=kpm, average_attn_weights=False)
        out3, w3 = m(x, x, x, attn_mask=am, key_padding_mask=kpm, need_weights=False)
    close(w2, EXPECTED["mha_self_per_head"]["weights"])
    close(w2.mean(1), exp["weights"])
    close(out2, exp["out"])
    close(out3, exp["out"])
    assert w3 is None


def test_mha_cross_attention_kdim_vdim_bias_kv_zero_attn_batch_first_matches_torch():
    m = load(mha(embed_dim=4, num_heads=2, kdim=3, vdim=5, add_bias_kv=True, add_zero_attn=True, batch_first=True), 20)
    q, k, v = T(21, 2, 2, 4), T(22, 2, 3, 3), T(23, 2, 3, 5)
    out, w = m(q, k, v, attn_mask=plait.tensor(arr(24, 4, 2, 3)))
    (out * plait.tensor(arr(25, *out.shape))).sum().backward()
    exp = EXPECTED["mha_cross_kvdim_biaskv_zeroattn"]
    assert tuple(out.shape) == (2, 2, 4) and tuple(w.shape) == (2, 2, 5)
    for got, key in ((out, "out"), (w, "weights"), (q.grad, "dq"), (k.grad, "dk"), (v.grad, "dv"),
                     (m.k_proj_weight.grad, "d_k_proj_weight"), (m.bias_k.grad, "d_bias_k"),
                     (m.bias_v.grad, "d_bias_v")):
        close(got, exp[key])


def test_mha_unbatched_without_bias_matches_torch_and_the_batch_of_one():
    m = load(mha(embed_dim=4, num_heads=2, bias=False), 30)
    q, kv = T(31, 2, 4), T(32, 3, 4)
    out, w = m(q, kv, kv, need_weights=True, average_attn_weights=False)
    (out * plait.tensor(arr(33, *out.shape))).sum().backward()
    exp = EXPECTED["mha_unbatched_nobias"]
    close(out, exp["out"])
    close(w, exp["weights"])
    close(q.grad, exp["dq"])
    close(kv.grad, exp["dkv"])
    batched, wb = m(q.unsqueeze(1), kv.unsqueeze(1), kv.unsqueeze(1), average_attn_weights=False)
    close(batched.squeeze(1), out.detach().numpy(), atol=1e-12)
    close(wb.squeeze(0), w.detach().numpy(), atol=1e-12)


def test_mha_is_causal_hint_stands_for_the_mask_when_no_weights_are_asked_for():
    m = load(mha(embed_dim=4, num_heads=2), 40)
    x = T(41, 3, 1, 4, grad=False)
    with plait.no_grad():
        out, _ = m(x, x, x, attn_mask=plait.zeros(3, 3, dtype=plait.float64), is_causal=True, need_weights=False)
        causal = nn.Transformer.generate_square_subsequent_mask(3, dtype=plait.float64)
        with_mask, _ = m(x, x, x, attn_mask=causal, need_weights=False)
        with_weights, _ = m(x, x, x, attn_mask=plait.zeros(3, 3, dtype=plait.float64), is_causal=True)
        unmasked, _ = m(x, x, x)
    close(out, EXPECTED["mha_is_causal_hint"]["out"])
    close(with_mask, out.numpy(), atol=1e-12)
    close(with_weights, unmasked.numpy(), atol=1e-12)  # with weights asked for, the given mask is used
    with pytest.raises(RuntimeError, match=re.escape("Need attn_mask if specifying the is_causal hint. You may use the "
                                                     "Transformer module method `generate_square_subsequent_mask` to "
                                                     "create this mask.")):
        m(x, x, x, is_causal=True)


@pytest.mark.filterwarnings("ignore:invalid value encountered")
def test_mha_fully_padded_sequence_is_nan_with_weights_and_zero_without_as_torch():
    m = load(mha(embed_dim=4, num_heads=2), 10)
    x = T(11, 3, 1, 4, grad=False)
    kpm = plait.tensor([[True, True, True]])
    out, w = m(x, x, x, key_padding_mask=kpm)
    assert np.isnan(out.detach().numpy()).all() and np.isnan(w.detach().numpy()).all()
    out, _ = m(x, x, x, key_padding_mask=kpm, need_weights=False)
    close(out[0, 0], m.out_proj.bias.detach().numpy(), atol=1e-12)  # zero attention, then the output bias


def test_mha_static_keys_and_values_stand_for_the_projected_ones():
    m = load(mha(embed_dim=4, num_heads=2), 10)
    q, kv = T(11, 2, 3, 4, grad=False), T(12, 5, 3, 4, grad=False)
    w_q, w_k, w_v = m.in_proj_weight.detach().chunk(3)
    b_q, b_k, b_v = m.in_proj_bias.detach().chunk(3)
    heads = lambda t: t.reshape(5, 3 * 2, 2).transpose(0, 1)  # (S, N, E) -> (N*H, S, D)
    static_k, static_v = heads(F.linear(kv, w_k, b_k)), heads(F.linear(kv, w_v, b_v))
    args = (4, 2, m.in_proj_weight, m.in_proj_bias, None, None, False, 0.0, m.out_proj.weight, m.out_proj.bias)
    with plait.no_grad():
        expect, w_expect = F.multi_head_attention_forward(q, kv, kv, *args)
        got, w_got = F.multi_head_attention_forward(q, kv, kv, *args, static_k=static_k, static_v=static_v)
    close(got, expect.numpy(), atol=1e-12)
    close(w_got, w_expect.numpy(), atol=1e-12)
    with pytest.raises(AssertionError, match="expecting static_k.size\\(0\\) of 6, but got 5"):
        F.multi_head_attention_forward(q, kv, kv, *args, static_k=static_k[:5], static_v=static_v)


def test_mha_dropout_only_in_training_and_reproducible_with_the_seed():
    m = load(nn.MultiheadAttention(8, 2, dropout=0.5, dtype=plait.float64), 50)
    x = T(51, 6, 2, 8, grad=False)
    m.eval()
    ref, _ = m(x, x, x)
    again, _ = m(x, x, x)
    np.testing.assert_array_equal(ref.detach().numpy(), again.detach().numpy())
    m.train()
    plait.manual_seed(3)
    a, wa = m(x, x, x)
    plait.manual_seed(3)
    b, wb = m(x, x, x)
    assert not np.allclose(a.detach().numpy(), ref.detach().numpy())
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    np.testing.assert_array_equal(wa.detach().numpy(), wb.detach().numpy())


def test_mha_gradcheck_float64():
    m = load(mha(embed_dim=4, num_heads=2, add_bias_kv=True), 60)
    q, kv = T(61, 2, 1, 4), T(62, 3, 1, 4)
    mask = plait.tensor([[False, True, False], [False, False, False]])

    def fn(q, kv, w, b):
        return F.multi_head_attention_forward(q, kv, kv, 4, 2, w, b, m.bias_k, m.bias_v, True, 0.0,
                                              m.out_proj.weight, m.out_proj.bias, attn_mask=mask)[0]
    w = m.in_proj_weight.detach().requires_grad_()
    b = m.in_proj_bias.detach().requires_grad_()
    assert gradcheck(fn, (q, kv, w, b))
    assert gradcheck(lambda q, kv: m(q, kv, kv, need_weights=False, key_padding_mask=plait.tensor([[False, True,
                                                                                                    False]]))[0],
                     (q, kv))


def test_mha_errors_as_torch():
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(5, 2)
    with pytest.raises(ValueError, match="embed_dim and num_heads must be greater than 0, got embed_dim=0 and "
                                         "num_heads=2 instead"):
        nn.MultiheadAttention(0, 2)
    m = load(mha(embed_dim=4, num_heads=2), 10)
    x = T(11, 3, 1, 4, grad=False)
    cases = [
        (AssertionError, "was expecting embedding dimension of 4, but got 5", (T(1, 3, 1, 5), x, x), {}),
        (AssertionError, "key shape plait.Size([2, 1, 4]) does not match value shape plait.Size([3, 1, 4])",
         (x, x[:2], x), {}),
        (AssertionError, "query should be unbatched 2D or batched 3D tensor but received 4-D query tensor",
         (x.unsqueeze(0), x, x), {}),
        (AssertionError, "For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found 3-D and 3-D "
                         "tensors respectively", (x[:, 0], x, x), {}),
        (RuntimeError, "The shape of the 2D attn_mask is plait.Size([2, 3]), but should be (3, 3).", (x, x, x),
         {"attn_mask": plait.zeros(2, 3, dtype=plait.float64)}),
        (RuntimeError, "The shape of the 3D attn_mask is plait.Size([3, 3, 3]), but should be (2, 3, 3).", (x, x, x),
         {"attn_mask": plait.zeros(3, 3, 3, dtype=plait.float64)}),
        (AssertionError, "Expected key_padded_mask.shape[0] to be 1, but got 2", (x, x, x),
         {"key_padding_mask": plait.zeros(2, 3, dtype=plait.bool)}),
        (AssertionError, "Expected key_padded_mask.shape[1] to be 3, but got 4", (x, x, x),
         {"key_padding_mask": plait.zeros(1, 4, dtype=plait.bool)}),
        (AssertionError, "only bool and floating types of attn_mask are supported", (x, x, x),
         {"attn_mask": plait.zeros(3, 3, dtype=plait.int64)}),
        (AssertionError, "For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D but found 1-D "
                         "tensor instead", (x, x, x), {"key_padding_mask": plait.zeros(3, dtype=plait.bool)}),
        (AssertionError, "Expected `attn_mask` shape to be (2, 3, 3) but got plait.Size([1, 3, 3])",
         (x[:, 0], x[:, 0], x[:, 0]), {"attn_mask": plait.zeros(1, 3, 3, dtype=plait.float64)}),
    ]
    for exc, message, args, kwargs in cases:
        with pytest.raises(exc, match=re.escape(message)):
            m(*args, **kwargs)
    with pytest.warns(UserWarning, match="Support for mismatched key_padding_mask and attn_mask is deprecated"):
        m(x, x, x, attn_mask=plait.zeros(3, 3, dtype=plait.bool), key_padding_mask=plait.zeros(1, 3,
                                                                                                dtype=plait.float64))


# --------------------------------------------------------------------------------------------------
# live comparison with torch, where it is installed
# --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kdim,bias_kv,zero_attn,batch_first,need_weights,self_attn", [
    (None, False, False, False, True, True), (None, True, True, True, False, True),
    (3, False, True, False, True, False), (3, True, False, True, False, False)])
def test_mha_live_against_torch(kdim, bias_kv, zero_attn, batch_first, need_weights, self_attn):
    torch = pytest.importorskip("torch")
    kw = dict(embed_dim=4, num_heads=2, kdim=kdim, vdim=kdim, add_bias_kv=bias_kv, add_zero_attn=zero_attn,
              batch_first=batch_first)
    ours = mha(**kw)
    theirs = torch.nn.MultiheadAttention(**kw, dtype=torch.float64)
    theirs.load_state_dict({k: torch.from_numpy(v.detach().numpy().copy()) for k, v in ours.state_dict().items()})
    n, length, source = 2, 3, (3 if self_attn else 5)
    shape = lambda s, e: (n, s, e) if batch_first else (s, n, e)
    q_np, k_np, v_np = arr(1, *shape(length, 4)), arr(2, *shape(source, kdim or 4)), arr(3, *shape(source, kdim or 4))
    mask = np.random.default_rng(4).random((length, source)) < 0.3
    kpm = np.random.default_rng(5).random((n, source)) < 0.3
    results = []
    for lib, module in ((plait, ours), (torch, theirs)):
        q = lib.tensor(q_np, requires_grad=True)
        k, v = (q, q) if self_attn else (lib.tensor(k_np, requires_grad=True), lib.tensor(v_np, requires_grad=True))
        out, w = module(q, k, v, attn_mask=lib.tensor(mask), key_padding_mask=lib.tensor(kpm),
                        need_weights=need_weights)
        (out * lib.tensor(arr(6, *out.shape))).sum().backward()
        results.append([out.detach().numpy(), q.grad.numpy()] + ([w.detach().numpy()] if need_weights else []) +
                       [p.grad.numpy() for p in module.parameters()])
    for got, expect in zip(*results):
        np.testing.assert_allclose(got, expect, rtol=1e-9, atol=1e-12)


def test_mha_merge_masks_as_torch():
    m = nn.MultiheadAttention(4, 2)
    q = plait.zeros(2, 3, 4)
    kpm = plait.tensor([[0.0, 0.0, -math.inf], [0.0, 0.0, 0.0]])
    attn = plait.tensor(arr(1, 3, 3), dtype=plait.float32)
    assert m.merge_masks(None, None, q) == (None, None)
    merged, kind = m.merge_masks(None, kpm, q)
    assert kind == 1 and merged is kpm
    merged, kind = m.merge_masks(attn, None, q)
    assert kind == 2 and tuple(merged.shape) == (2, 2, 3, 3)
    np.testing.assert_array_equal(merged[1, 0].numpy(), attn.numpy())
    merged, kind = m.merge_masks(attn, kpm, q)
    assert kind == 2 and tuple(merged.shape) == (2, 2, 3, 3)
    np.testing.assert_array_equal(merged[0, 1].numpy(), (attn + kpm[0]).numpy())
    merged, kind = m.merge_masks(plait.zeros(4, 3, 3), None, q)
    assert tuple(merged.shape) == (2, 2, 3, 3)
