"""The margin, embedding, Poisson/Gaussian NLL, multi-label/multi-margin, triplet and CTC losses against
torch 2.13's numbers (hard-coded below: values and gradients for every reduction, module and functional
form), gradchecks in float64, torch's legacy flags, defaults, reprs and error texts."""
import math
import warnings

import numpy as np
import pytest

import plait
import plait.nn as nn
import plait.nn.functional as F
from plait.autograd import gradcheck

inf, nan = math.inf, math.nan
REDUCTIONS = ["none", "mean", "sum"]

# --------------------------------------------------------------------------- inputs
X = [[0.0012, 0.2987, -0.2741, -0.8906], [-0.4547, -0.9916, 0.0601, 1.3402], [-0.4922, -0.6205, 0.4898, 0.3569]]
Y = [[0.1054, -0.9305, -0.0293, 0.6953], [-1.3442, -0.4576, -1.9012, -1.2895], [-1.8417, -0.2351, -1.2674, 0.2713]]
Z = [[0.1568, -0.1869, -2.5168, -0.5387], [-0.0485, 0.1133, -1.5301, -0.4778], [-0.9785, -0.8088, 1.0609, -0.8075]]
V = [[0.2067, 1.6941, 0.478, 0.6817], [1.7846, 1.1176, 1.7249, 1.3515], [1.5352, 0.3647, 1.1741, 1.114]]
K = [[3.0, 1.0, 2.0, 0.0], [2.0, 1.0, 1.0, 3.0], [2.0, 4.0, 2.0, 2.0]]
SIGN = [[1.0, -1.0, -1.0, 1.0], [-1.0, 1.0, 1.0, 1.0], [-1.0, -1.0, 1.0, -1.0]]
BIN = [[1.0, 0.0, 0.0, 1.0], [0.0, 1.0, 1.0, 1.0], [0.0, 0.0, 1.0, 0.0]]
CLASSES = [0, 3, 2]
MULTILABEL = [[0, 1, -1, 2], [3, -1, 0, 0], [2, 2, 1, -1]]
COS_TARGET = [1.0, -1.0, 1.0]
WEIGHT = [0.5, 2.0, 1.0, 1.5]
# name: (function, arguments (differentiable ones first-class floats), keyword arguments, module, module kwargs)
CASES = {
    "margin_ranking": ("margin_ranking_loss", ["X", "Y", "SIGN"], {"margin": 0.3}, "MarginRankingLoss",
                       {"margin": 0.3}),
    "hinge_embedding": ("hinge_embedding_loss", ["X", "SIGN"], {"margin": 0.5}, "HingeEmbeddingLoss", {"margin": 0.5}),
    "soft_margin": ("soft_margin_loss", ["X", "SIGN"], {}, "SoftMarginLoss", {}),
    "cosine_embedding": ("cosine_embedding_loss", ["X", "Y", "COS_TARGET"], {"margin": 0.1}, "CosineEmbeddingLoss",
                         {"margin": 0.1}),
    "multilabel_soft_margin": ("multilabel_soft_margin_loss", ["X", "BIN"], {}, "MultiLabelSoftMarginLoss", {}),
    "multilabel_soft_margin_weight": ("multilabel_soft_margin_loss", ["X", "BIN"], {"weight": "WEIGHT"},
                                      "MultiLabelSoftMarginLoss", {"weight": "WEIGHT"}),
    "multi_margin_p1": ("multi_margin_loss", ["X", "CLASSES"], {"margin": 0.7}, "MultiMarginLoss", {"margin": 0.7}),
    "multi_margin_p2_weight": ("multi_margin_loss", ["X", "CLASSES"], {"p": 2, "weight": "WEIGHT"}, "MultiMarginLoss",
                               {"p": 2, "weight": "WEIGHT"}),
    "multilabel_margin": ("multilabel_margin_loss", ["X", "MULTILABEL"], {}, "MultiLabelMarginLoss", {}),
    "triplet": ("triplet_margin_loss", ["X", "Y", "Z"], {}, "TripletMarginLoss", {}),
    "triplet_p_swap": ("triplet_margin_loss", ["X", "Y", "Z"], {"margin": 1.5, "p": 1.5, "swap": True},
                       "TripletMarginLoss", {"margin": 1.5, "p": 1.5, "swap": True}),
    "triplet_distance_swap": ("triplet_margin_with_distance_loss", ["X", "Y", "Z"], {"swap": True, "margin": 2.0},
                              "TripletMarginWithDistanceLoss", {"swap": True, "margin": 2.0}),
    "poisson": ("poisson_nll_loss", ["X", "K"], {}, "PoissonNLLLoss", {}),
    "poisson_full": ("poisson_nll_loss", ["X", "K"], {"full": True}, "PoissonNLLLoss", {"full": True}),
    "poisson_rate_full": ("poisson_nll_loss", ["V", "K"], {"log_input": False, "full": True, "eps": 1e-3},
                          "PoissonNLLLoss", {"log_input": False, "full": True, "eps": 1e-3}),
    "gaussian": ("gaussian_nll_loss", ["X", "Y", "V"], {}, "GaussianNLLLoss", {}),
    "gaussian_full_eps": ("gaussian_nll_loss", ["X", "Y", "V"], {"full": True, "eps": 0.5}, "GaussianNLLLoss",
                          {"full": True, "eps": 0.5}),
    "gaussian_row_var": ("gaussian_nll_loss", ["X", "Y", "V_ROW"], {}, "GaussianNLLLoss", {}),
    "gaussian_column_var": ("gaussian_nll_loss", ["X", "Y", "V_COLUMN"], {}, "GaussianNLLLoss", {}),
}
DIFFERENTIABLE = {"X", "Y", "Z", "V", "V_ROW", "V_COLUMN"}




def _inputs():
    v = np.array(V)
    return {"X": np.array(X), "Y": np.array(Y), "Z": np.array(Z), "V": v, "K": np.array(K), "SIGN": np.array(SIGN),
            "BIN": np.array(BIN), "CLASSES": np.array(CLASSES), "MULTILABEL": np.array(MULTILABEL),
            "COS_TARGET": np.array(COS_TARGET), "WEIGHT": np.array(WEIGHT), "V_ROW": v[:, 0].copy(),
            "V_COLUMN": v[:1, :].copy()}


def _tensor(name):
    a = _inputs()[name]
    if a.dtype.kind == "f":
        return plait.tensor(a, dtype=plait.float64, requires_grad=name in DIFFERENTIABLE)
    return plait.tensor(a, dtype=plait.int64)


def _kwargs(kw):
    return {k: (_tensor(v) if isinstance(v, str) else v) for k, v in kw.items()}


def _close(actual, expected, atol=1e-10):
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64),
                               rtol=1e-9, atol=atol)


def _check_case(call, name, reduction):
    args = [_tensor(a) for a in CASES[name][1]]
    out = call(args)
    value, grads = EXPECTED[(name, reduction)]
    _close(out.detach().numpy(), value)
    # a non-uniform upstream gradient, as in the torch run that produced the numbers
    (out * plait.arange(1, out.numel() + 1, dtype=plait.float64).reshape(out.shape)).sum().backward()
    diff = [a for a in args if a.requires_grad]
    assert len(diff) == len(grads)
    for a, g in zip(diff, grads):
        _close(a.grad.numpy(), g)


# --------------------------------------------------------------------------- torch's numbers
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", list(CASES))
def test_functional_matches_torch(name, reduction):
    fn, _, kw, _, _ = CASES[name]
    _check_case(lambda args: getattr(F, fn)(*args, reduction=reduction, **_kwargs(kw)), name, reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", list(CASES))
def test_module_matches_torch(name, reduction):
    _, _, _, cls, mkw = CASES[name]
    module = getattr(nn, cls)(reduction=reduction, **_kwargs(mkw))
    _check_case(lambda args: module(*args), name, reduction)


# with eps = 0.5 some variances are clamped, where torch's gradient (kept here) is not the derivative
@pytest.mark.parametrize("name", [n for n in CASES if n != "gaussian_full_eps"])
def test_gradcheck(name):
    fn, arg_names, kw, _, _ = CASES[name]
    args = [_tensor(a) for a in arg_names]
    kwargs = _kwargs(kw)
    diff_at = [i for i, a in enumerate(args) if a.requires_grad]

    def call(*diff):
        full = list(args)
        for i, d in zip(diff_at, diff):
            full[i] = d
        return getattr(F, fn)(*full, reduction="none", **kwargs)

    assert gradcheck(call, tuple(args[i] for i in diff_at), eps=1e-6, atol=1e-5)


def test_legacy_size_average_and_reduce():
    x, y, s = _tensor("X"), _tensor("Y"), _tensor("SIGN")
    with pytest.warns(UserWarning, match="please use reduction='sum' instead"):
        module = nn.MarginRankingLoss(margin=0.3, size_average=False)
    assert module.reduction == "sum"
    _close(module(x, y, s).item(), EXPECTED[("margin_ranking", "sum")][0])
    with pytest.warns(UserWarning, match="reduction='none'"):
        out = F.hinge_embedding_loss(x, s, margin=0.5, reduce=False)
    _close(out.detach().numpy(), EXPECTED[("hinge_embedding", "none")][0])
    with pytest.warns(UserWarning, match="reduction='mean'"):
        out = F.poisson_nll_loss(x, _tensor("K"), size_average=True)
    _close(out.item(), EXPECTED[("poisson", "mean")][0])
    with pytest.warns(UserWarning, match="reduction='sum'"):
        out = F.multilabel_soft_margin_loss(x, _tensor("BIN"), size_average=False)
    _close(out.item(), EXPECTED[("multilabel_soft_margin", "sum")][0])


def test_unbatched_multi_margin_and_multilabel_margin():
    x = _tensor("X")
    # one sample: the output takes the target's shape
    assert F.multi_margin_loss(x[0], plait.tensor(2), reduction="none").shape == ()
    assert F.multi_margin_loss(x[0], plait.tensor([2]), reduction="none").shape == (1,)
    _close(F.multi_margin_loss(x[1], plait.tensor(3), margin=0.7).item(),
           EXPECTED[("multi_margin_p1", "none")][0][1])
    out = F.multilabel_margin_loss(x[2], plait.tensor([2, 2, 1, -1]), reduction="none")
    assert out.shape == ()
    _close(out.item(), EXPECTED[("multilabel_margin", "none")][0][2])


def test_gaussian_float_var_and_clamp_gradient():
    x, y = _tensor("X"), _tensor("Y")
    squared = (np.array(X) - np.array(Y)) ** 2
    _close(F.gaussian_nll_loss(x, y, 0.5).item(), 0.5 * (math.log(0.5) + squared / 0.5).mean())
    var = plait.tensor([1e-9, 2.0, 3.0], dtype=plait.float64, requires_grad=True)
    F.gaussian_nll_loss(x, y, var, eps=1e-3, reduction="sum").backward()
    d2 = ((np.array(X) - np.array(Y)) ** 2).sum(1)
    clamped = np.array([1e-3, 2.0, 3.0])
    # torch clamps under no_grad: the gradient is the one at the clamped variance
    _close(var.grad.numpy(), 0.5 * (4 / clamped - d2 / clamped ** 2), atol=1e-6)


def test_triplet_with_custom_distance():
    a, p, n = _tensor("X"), _tensor("Y"), _tensor("Z")
    cos = lambda u, v: 1 - F.cosine_similarity(u, v)  # noqa: E731
    loss = nn.TripletMarginWithDistanceLoss(distance_function=cos, margin=0.5)(a, p, n)
    ref = np.clip(0.5 + (1 - _cos(X, Y)) - (1 - _cos(X, Z)), 0, None).mean()
    _close(loss.item(), ref)


def _cos(u, v):
    u, v = np.array(u), np.array(v)
    return (u * v).sum(1) / (np.linalg.norm(u, axis=1) * np.linalg.norm(v, axis=1))


def test_node_names_as_torch():
    x = _tensor("X")
    assert F.soft_margin_loss(x, _tensor("SIGN")).grad_fn.name() == "SoftMarginLossBackward0"
    assert F.multi_margin_loss(x, _tensor("CLASSES")).grad_fn.name() == "MultiMarginLossBackward0"
    assert F.multilabel_margin_loss(x, _tensor("MULTILABEL")).grad_fn.name() == "MultilabelMarginLossBackward0"
    assert F.triplet_margin_loss(x, _tensor("Y"), _tensor("Z")).grad_fn.name() == "MeanBackward0"


# --------------------------------------------------------------------------- modules: defaults, reprs
def test_defaults_and_reprs():
    assert repr(nn.TripletMarginWithDistanceLoss()) == ("TripletMarginWithDistanceLoss(\n"
                                                        "  (distance_function): PairwiseDistance()\n)")
    expected = {
        nn.TripletMarginLoss(): {"reduction": "mean", "margin": 1.0, "p": 2.0, "eps": 1e-06, "swap": False},
        nn.TripletMarginWithDistanceLoss(): {"reduction": "mean", "margin": 1.0, "swap": False},
        nn.MarginRankingLoss(): {"reduction": "mean", "margin": 0.0},
        nn.HingeEmbeddingLoss(): {"reduction": "mean", "margin": 1.0},
        nn.CosineEmbeddingLoss(): {"reduction": "mean", "margin": 0.0},
        nn.PoissonNLLLoss(): {"reduction": "mean", "log_input": True, "full": False, "eps": 1e-08},
        nn.GaussianNLLLoss(): {"reduction": "mean", "full": False, "eps": 1e-06},
        nn.CTCLoss(): {"reduction": "mean", "blank": 0, "zero_infinity": False},
        nn.MultiLabelSoftMarginLoss(): {"reduction": "mean"},
        nn.MultiMarginLoss(): {"reduction": "mean", "p": 1, "margin": 1.0},
        nn.MultiLabelMarginLoss(): {"reduction": "mean"},
        nn.SoftMarginLoss(): {"reduction": "mean"},
    }
    for module, attributes in expected.items():
        assert repr(module) == type(module).__name__ + "()" or isinstance(module, nn.TripletMarginWithDistanceLoss)
        assert {k: v for k, v in vars(module).items() if not k.startswith("_") and k != "training"} == attributes
    assert list(nn.MultiMarginLoss()._buffers) == ["weight"]
    assert list(nn.MultiLabelSoftMarginLoss()._buffers) == ["weight"]
    weight = plait.tensor([1.0, 2.0])
    assert nn.MultiMarginLoss(weight=weight).state_dict()["weight"] is not None


def test_module_argument_errors():
    with pytest.raises(ValueError, match=r"^only p == 1 and p == 2 supported$"):
        nn.MultiMarginLoss(p=3)
    with pytest.raises(ValueError, match=r"^MultiMarginLoss: expected weight to be None or 1D tensor, got 2D instead$"):
        nn.MultiMarginLoss(weight=plait.ones(2, 2))
    with pytest.raises(ValueError, match=r"^TripletMarginLoss: expected margin to be greater than 0, got 0 instead$"):
        nn.TripletMarginLoss(margin=0)
    with pytest.raises(ValueError, match=r"^TripletMarginWithDistanceLoss: expected margin to be greater than 0, "
                                         r"got -1 instead$"):
        nn.TripletMarginWithDistanceLoss(margin=-1)


# --------------------------------------------------------------------------- error texts (torch's)
def _x():
    return plait.tensor(X, dtype=plait.float64)


ERRORS = [
    (lambda: F.triplet_margin_loss(_x(), _x(), _x().sum(0)), RuntimeError,
     "The anchor, positive, and negative tensors are expected to have the same number of dimensions, but got: "
     "anchor 2D, positive 2D, and negative 1D inputs"),
    (lambda: F.triplet_margin_loss(_x(), _x(), _x(), margin=0), ValueError, "margin must be greater than 0, got 0"),
    (lambda: F.triplet_margin_with_distance_loss(_x(), _x(), _x(), reduction="x"), ValueError,
     "x is not a valid value for reduction"),
    (lambda: F.margin_ranking_loss(_x(), _x(), plait.ones(3)), RuntimeError,
     "margin_ranking_loss : All input tensors should have same dimension but got sizes: input1: plait.Size([3, 4]), "
     "input2: plait.Size([3, 4]), target: plait.Size([3]) "),
    (lambda: F.cosine_embedding_loss(_x(), _x(), plait.ones(3, 1)), RuntimeError,
     "0D or 1D target tensor expected, multi-target not supported"),
    (lambda: F.cosine_embedding_loss(_x(), _x(), plait.ones(())), RuntimeError,
     "0D target tensor expects 1D input tensors, but found inputs with sizes [3, 4] and [3, 4]."),
    (lambda: F.cosine_embedding_loss(_x()[0], _x()[0], plait.ones(3)), RuntimeError,
     "1D target tensor expects 2D input tensors, but found inputs with sizes [4] and [4]."),
    (lambda: F.soft_margin_loss(_x()[0], plait.ones(3, 4)), RuntimeError,
     "output with shape [4] doesn't match the broadcast shape [3, 4]"),
    (lambda: F.multilabel_soft_margin_loss(_x(), _x(), reduction="x"), ValueError, "x is not valid"),
    (lambda: F.multi_margin_loss(_x(), plait.tensor([0, 1, 3]), p=3), ValueError, "only p == 1 and p == 2 supported"),
    (lambda: F.multi_margin_loss(_x(), plait.tensor([0, 1])), RuntimeError,
     "multi_margin_loss: target tensor should be 1-D with size equal to the number of input samples (batch size). "
     "Expected target size [3], but got [2]. Input has shape [3, 4]."),
    (lambda: F.multi_margin_loss(_x(), plait.tensor([0, 1, 4])), RuntimeError, "target out of range"),
    (lambda: F.multi_margin_loss(_x(), plait.tensor([0.0, 1.0, 3.0])), RuntimeError,
     "expected scalar type Long but found Float"),
    (lambda: F.multi_margin_loss(_x(), plait.tensor([0, 1, 3]), weight=plait.ones(3)), RuntimeError,
     "inconsistent weight size, expected 4 but got [3]"),
    (lambda: F.multi_margin_loss(_x(), plait.tensor([0, 1, 3]), weight=plait.ones(4, 1)), ValueError,
     "weight must be one-dimensional"),
    (lambda: F.multi_margin_loss(_x().reshape(3, 2, 2), plait.tensor([0, 1, 3])), RuntimeError,
     "Expected non-empty vector or matrix with optional 0-dim batch size, but got: [3, 2, 2]"),
    (lambda: F.multi_margin_loss(plait.zeros(3, 0), plait.tensor([0, 1, 3])), RuntimeError,
     "Expected non-empty vector or matrix with optional 0-dim batch size, but got: [3, 0]"),
    (lambda: F.multilabel_margin_loss(_x(), plait.tensor(MULTILABEL[:2])), RuntimeError,
     "inconsistent target size: [2, 4] for input of size: [3, 4]"),
    (lambda: F.multilabel_margin_loss(_x(), plait.tensor(MULTILABEL) + 2), RuntimeError,
     "argument #2 'target' is out of range"),
    (lambda: F.multilabel_margin_loss(_x(), plait.tensor(MULTILABEL).double()), RuntimeError,
     "expected scalar type Long but found Double"),
    (lambda: F.poisson_nll_loss(_x(), _x(), reduction="y"), ValueError, "y is not a valid value for reduction"),
    (lambda: F.gaussian_nll_loss(_x(), _x(), plait.ones(2, 1)), ValueError, "var is of incorrect size"),
    (lambda: F.gaussian_nll_loss(_x(), _x(), plait.ones(4)), ValueError, "var is of incorrect size"),
    (lambda: F.gaussian_nll_loss(_x(), _x(), -plait.ones(3, 4)), ValueError, "var has negative entry/entries"),
    (lambda: F.gaussian_nll_loss(_x(), _x(), -0.5), ValueError, "var has negative entry/entries"),
    (lambda: F.gaussian_nll_loss(_x(), _x(), plait.ones(3, 4), reduction="q"), ValueError, "q is not valid"),
]


@pytest.mark.parametrize("call,error,message", ERRORS, ids=[str(i) for i in range(len(ERRORS))])
def test_error_texts(call, error, message):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(error) as info:
            call()
    assert str(info.value) == message


# --------------------------------------------------------------------------- CTC
LOGITS = [[[0.2031, -0.4633, 0.1273, -1.1872], [-0.5793, -0.1962, 0.8988, 1.1452]], [[-1.3235, -0.7946, 0.6469, -1.9924], [-0.4632, -0.0973, 1.257, 0.6894]], [[-0.3272, -0.3686, -0.2502, 1.5235], [-0.428, -0.3037, 0.3526, -0.1208]], [[-0.1973, -1.1141, -0.0115, -0.4436], [1.1661, 0.6531, -0.0241, 0.6684]], [[-0.3399, 1.0521, -0.0054, 0.5834], [-1.2909, 0.3467, -1.6882, -2.0353]]]
# name: (targets, input lengths, target lengths, keyword arguments)
CTC_CASES = {
    "padded": ([[1, 2, 2], [3, 1, 0]], [5, 4], [3, 2], {}),
    "blank3": ([[1, 2, 0], [0, 0, 1]], [5, 3], [3, 1], {"blank": 3}),
    "infeasible": ([[1, 2, 2], [3, 1, 0]], [2, 4], [3, 2], {}),
    "infeasible_zero_infinity": ([[1, 2, 2], [3, 1, 0]], [2, 4], [3, 2], {"zero_infinity": True}),
    "empty_target": ([[1, 2, 2], [3, 1, 0]], [5, 3], [3, 0], {}),
}

EXPECTED = {
    ('margin_ranking', 'none'): ([[0.4042, 1.5292, 0.0552, 1.8859], [1.1895, 0.834, 0.0, 0.0], [1.6495, 0.0, 0.0, 0.3856]], [[[-1.0, 2.0, 3.0, -4.0], [5.0, -6.0, -0.0, -0.0], [9.0, 0.0, -0.0, 12.0]], [[1.0, -2.0, -3.0, 4.0], [-5.0, 6.0, 0.0, 0.0], [-9.0, -0.0, 0.0, -12.0]]]),
    ('margin_ranking', 'mean'): (0.661091666667, [[[-0.083333333333, 0.083333333333, 0.083333333333, -0.083333333333], [0.083333333333, -0.083333333333, -0.0, -0.0], [0.083333333333, 0.0, -0.0, 0.083333333333]], [[0.083333333333, -0.083333333333, -0.083333333333, 0.083333333333], [-0.083333333333, 0.083333333333, 0.0, 0.0], [-0.083333333333, -0.0, 0.0, -0.083333333333]]]),
    ('margin_ranking', 'sum'): (7.9331, [[[-1.0, 1.0, 1.0, -1.0], [1.0, -1.0, -0.0, -0.0], [1.0, 0.0, -0.0, 1.0]], [[1.0, -1.0, -1.0, 1.0], [-1.0, 1.0, 0.0, 0.0], [-1.0, -0.0, 0.0, -1.0]]]),
    ('hinge_embedding', 'none'): ([[0.0012, 0.2013, 0.7741, -0.8906], [0.9547, -0.9916, 0.0601, 1.3402], [0.9922, 1.1205, 0.4898, 0.1431]], [[[1.0, -2.0, -3.0, 4.0], [-5.0, 6.0, 7.0, 8.0], [-9.0, -10.0, 11.0, -12.0]]]),
    ('hinge_embedding', 'mean'): (0.349583333333, [[[0.083333333333, -0.083333333333, -0.083333333333, 0.083333333333], [-0.083333333333, 0.083333333333, 0.083333333333, 0.083333333333], [-0.083333333333, -0.083333333333, 0.083333333333, -0.083333333333]]]),
    ('hinge_embedding', 'sum'): (4.195, [[[1.0, -1.0, -1.0, 1.0], [-1.0, 1.0, 1.0, 1.0], [-1.0, -1.0, 1.0, -1.0]]]),
    ('soft_margin', 'none'): ([[0.69254736056, 0.853608675777, 0.565459279068, 1.234480040397], [0.491421575532, 1.307127740895, 0.663548613875, 0.232533966777], [0.477028954747, 0.430271881732, 0.477940134031, 0.887435587053]], [[[-0.499700000036, 1.148249380587, 1.295702487678, -2.836055903932], [1.9412194089, -4.376423018668, -3.394856646332, -1.659817364454], [3.414378968945, 3.496677427753, -4.179347520453, 7.059477658604]]]),
    ('soft_margin', 'mean'): (0.69278365087, [[[-0.04164166667, 0.047843724191, 0.035991735769, -0.059084497999], [0.032353656815, -0.060783653037, -0.040414960075, -0.017289764213], [0.031614620083, 0.029138978565, -0.03166172364, 0.049024150407]]]),
    ('soft_margin', 'sum'): (8.313403810445, [[[-0.499700000036, 0.574124690293, 0.431900829226, -0.709013975983], [0.38824388178, -0.729403836445, -0.484979520905, -0.207477170557], [0.379375440994, 0.349667742775, -0.379940683678, 0.588289804884]]]),
    ('cosine_embedding', 'none'): ([1.778696510427, 0.0, 0.765992984294], [[[-0.093296530668, 0.572116724307, 0.248573478977, 0.115254119835], [-0.0, -0.0, 0.0, 0.0], [2.09933303954, -0.125647698042, 2.029510808263, -0.108509578204]], [[-0.06134509495, 0.270658416238, 0.256847269101, 0.382337198767], [-0.0, -0.0, 0.0, 0.0], [0.401728006661, 0.792162785675, -0.82425393221, -0.437005134184]]]),
    ('cosine_embedding', 'mean'): (0.848229831574, [[[-0.031098843556, 0.190705574769, 0.082857826326, 0.038418039945], [-0.0, -0.0, 0.0, 0.0], [0.233259226616, -0.013960855338, 0.225501200918, -0.0120566198]], [[-0.020448364983, 0.090219472079, 0.085615756367, 0.127445732922], [-0.0, -0.0, 0.0, 0.0], [0.044636445185, 0.088018087297, -0.091583770246, -0.04855612602]]]),
    ('cosine_embedding', 'sum'): (2.544689494721, [[[-0.093296530668, 0.572116724307, 0.248573478977, 0.115254119835], [-0.0, -0.0, 0.0, 0.0], [0.699777679847, -0.041882566014, 0.676503602754, -0.036169859401]], [[-0.06134509495, 0.270658416238, 0.256847269101, 0.382337198767], [-0.0, -0.0, 0.0, 0.0], [0.133909335554, 0.264054261892, -0.274751310737, -0.145668378061]]]),
    ('multilabel_soft_margin', 'none'): ([0.836523838951, 0.67365797427, 0.568169139391], [[[-0.124925000009, 0.143531172573, 0.107975207307, -0.177253493996], [0.19412194089, -0.364701918222, -0.242489760452, -0.103738585278], [0.284531580745, 0.262250807081, -0.284955512758, 0.441217353663]]]),
    ('multilabel_soft_margin', 'mean'): (0.69278365087, [[[-0.04164166667, 0.047843724191, 0.035991735769, -0.059084497999], [0.032353656815, -0.060783653037, -0.040414960075, -0.017289764213], [0.031614620083, 0.029138978565, -0.03166172364, 0.049024150407]]]),
    ('multilabel_soft_margin', 'sum'): (2.078350952611, [[[-0.124925000009, 0.143531172573, 0.107975207307, -0.177253493996], [0.097060970445, -0.182350959111, -0.121244880226, -0.051869292639], [0.094843860248, 0.087416935694, -0.094985170919, 0.147072451221]]]),
    ('multilabel_soft_margin_weight', 'none'): ([1.117667592875, 0.968078958399, 0.727037938862], [[[-0.062462500004, 0.287062345147, 0.107975207307, -0.265880240994], [0.097060970445, -0.729403836445, -0.242489760452, -0.155607877918], [0.142265790373, 0.524501614163, -0.284955512758, 0.661826030494]]]),
    ('multilabel_soft_margin_weight', 'mean'): (0.937594830045, [[[-0.020820833335, 0.095687448382, 0.035991735769, -0.088626746998], [0.016176828407, -0.121567306074, -0.040414960075, -0.02593464632], [0.015807310041, 0.058277957129, -0.03166172364, 0.07353622561]]]),
    ('multilabel_soft_margin_weight', 'sum'): (2.812784490136, [[[-0.062462500004, 0.287062345147, 0.107975207307, -0.265880240994], [0.048530485222, -0.364701918222, -0.121244880226, -0.077803938959], [0.047421930124, 0.174833871388, -0.094985170919, 0.220608676831]]]),
    ('multi_margin_p1', 'none'): ([0.35555, 0.0, 0.141775], [[[-0.5, 0.25, 0.25, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, -0.75, 0.75]]]),
    ('multi_margin_p1', 'mean'): (0.165775, [[[-0.166666666667, 0.083333333333, 0.083333333333, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, -0.083333333333, 0.083333333333]]]),
    ('multi_margin_p1', 'sum'): (0.497325, [[[-0.5, 0.25, 0.25, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, -0.25, 0.25]]]),
    ('multi_margin_p2_weight', 'none'): ([0.2775504475, 0.0, 0.1880466025], [[[-0.5326, 0.324375, 0.181175, 0.02705], [0.0, 0.0, 0.0, 0.0], [0.027, 0.0, -1.32765, 1.30065]]]),
    ('multi_margin_p2_weight', 'mean'): (0.155199016667, [[[-0.177533333333, 0.108125, 0.060391666667, 0.009016666667], [0.0, 0.0, 0.0, 0.0], [0.003, 0.0, -0.147516666667, 0.144516666667]]]),
    ('multi_margin_p2_weight', 'sum'): (0.46559705, [[[-0.5326, 0.324375, 0.181175, 0.02705], [0.0, 0.0, 0.0, 0.0], [0.009, 0.0, -0.44255, 0.43355]]]),
    ('multilabel_margin', 'none'): ([0.315025, 0.0, 1.218975], [[[-0.5, -0.25, 0.5, 0.25], [0.0, 0.0, 0.0, 0.0], [2.25, -1.5, -3.0, 2.25]]]),
    ('multilabel_margin', 'mean'): (0.511333333333, [[[-0.166666666667, -0.083333333333, 0.166666666667, 0.083333333333], [0.0, 0.0, 0.0, 0.0], [0.25, -0.166666666667, -0.333333333333, 0.25]]]),
    ('multilabel_margin', 'sum'): (1.534, [[[-0.5, -0.25, 0.5, 0.25], [0.0, 0.0, 0.0, 0.0], [0.75, -0.5, -1.0, 0.75]]]),
    ('triplet', 'none'): ([0.697348191476, 1.753753341506, 1.852673643852], [[[0.015394889998, 0.398589017632, -1.084840270085, -0.632282578419], [0.819397196768, 0.51201902368, -0.04359013824, 0.175375108399], [0.755240679304, -0.91787869588, 3.568093048087, -2.384908747359]], [[0.051480345103, -0.607296535292, 0.120944893913, 0.78352602058], [-0.517046980365, 0.310401641446, -1.14006028058, -1.528586208798], [-1.79893171133, 0.513750254809, -2.34240997382, -0.114109106567]], [[-0.066875235101, 0.20870751766, 0.963895376172, -0.151243442162], [-0.302350216403, -0.822420665126, 1.18365041882, 1.353211100399], [1.043691032026, 0.404128441072, -1.225683074267, 2.499017853926]]]),
    ('triplet', 'mean'): (1.434591725611, [[[0.005131629999, 0.132863005877, -0.361613423362, -0.210760859473], [0.136566199461, 0.085336503947, -0.00726502304, 0.029229184733], [0.083915631034, -0.101986521764, 0.396454783121, -0.264989860818]], [[0.017160115034, -0.202432178431, 0.040314964638, 0.261175340193], [-0.086174496727, 0.051733606908, -0.190010046763, -0.254764368133], [-0.199881301259, 0.057083361645, -0.260267774869, -0.012678789619]], [[-0.022291745034, 0.069569172553, 0.321298458724, -0.050414480721], [-0.050391702734, -0.137070110854, 0.197275069803, 0.2255351834], [0.115965670225, 0.044903160119, -0.136187008252, 0.277668650436]]]),
    ('triplet', 'sum'): (4.303775176834, [[[0.015394889998, 0.398589017632, -1.084840270085, -0.632282578419], [0.409698598384, 0.25600951184, -0.02179506912, 0.0876875542], [0.251746893101, -0.305959565293, 1.189364349362, -0.794969582453]], [[0.051480345103, -0.607296535292, 0.120944893913, 0.78352602058], [-0.258523490182, 0.155200820723, -0.57003014029, -0.764293104399], [-0.599643903777, 0.171250084936, -0.780803324607, -0.038036368856]], [[-0.066875235101, 0.20870751766, 0.963895376172, -0.151243442162], [-0.151175108201, -0.411210332563, 0.59182520941, 0.676605550199], [0.347897010675, 0.134709480357, -0.408561024756, 0.833005951309]]]),
    ('triplet_p_swap', 'none'): ([1.305668587278, 3.563154737541, 2.442637486108], [[[0.036870495361, 0.289003457112, -1.271424474049, -0.453544733115], [0.933875730939, -0.723579227879, 1.386717492404, 1.605717182715], [0.535310797184, -2.173034071966, 4.240318756884, -1.978682000678]], [[0.212308820644, -0.729201771071, 0.325417633168, 0.828273992667], [0.669288613021, 1.787736027755, -0.528749916579, -0.336828602556], [-2.166692275086, 1.157886315667, -2.472414890047, -0.545695093169]], [[-0.249179316005, 0.440198313959, 0.946006840881, -0.374729259552], [-1.60316434396, -1.064156799876, -0.857967575825, -1.268888580158], [1.631381477902, 1.015147756299, -1.767903866838, 2.524377093847]]]),
    ('triplet_p_swap', 'mean'): (2.437153603642, [[[0.01229016512, 0.096334485704, -0.423808158016, -0.151181577705], [0.155645955157, -0.12059653798, 0.231119582067, 0.267619530452], [0.059478977465, -0.241448230218, 0.471146528543, -0.219853555631]], [[0.070769606881, -0.243067257024, 0.108472544389, 0.276091330889], [0.11154810217, 0.297956004626, -0.088124986097, -0.056138100426], [-0.240743586121, 0.128654035074, -0.274712765561, -0.06063278813]], [[-0.083059772002, 0.14673277132, 0.315335613627, -0.124909753184], [-0.267194057327, -0.177359466646, -0.142994595971, -0.211481430026], [0.181264608656, 0.112794195144, -0.196433762982, 0.280486343761]]]),
    ('triplet_p_swap', 'sum'): (7.311460810927, [[[0.036870495361, 0.289003457112, -1.271424474049, -0.453544733115], [0.46693786547, -0.36178961394, 0.693358746202, 0.802858591357], [0.178436932395, -0.724344690655, 1.413439585628, -0.659560666893]], [[0.212308820644, -0.729201771071, 0.325417633168, 0.828273992667], [0.33464430651, 0.893868013877, -0.26437495829, -0.168414301278], [-0.722230758362, 0.385962105222, -0.824138296682, -0.18189836439]], [[-0.249179316005, 0.440198313959, 0.946006840881, -0.374729259552], [-0.80158217198, -0.532078399938, -0.428983787912, -0.634444290079], [0.543793825967, 0.338382585433, -0.589301288946, 0.841459031282]]]),
    ('triplet_distance_swap', 'none'): ([1.697348191476, 3.766979203102, 2.852673643852], [[[0.015394889998, 0.398589017632, -1.084840270085, -0.632282578419], [0.517046980365, -0.310401641446, 1.14006028058, 1.528586208798], [0.755240679304, -0.91787869588, 3.568093048087, -2.384908747359]], [[0.051480345103, -0.607296535292, 0.120944893913, 0.78352602058], [1.031241498992, 0.99259429929, -0.696617547043, -0.558650899436], [-1.79893171133, 0.513750254809, -2.34240997382, -0.114109106567]], [[-0.066875235101, 0.20870751766, 0.963895376172, -0.151243442162], [-1.548288479357, -0.682192657844, -0.443442733537, -0.969935309362], [1.043691032026, 0.404128441072, -1.225683074267, 2.499017853926]]]),
    ('triplet_distance_swap', 'mean'): (2.772333679477, [[[0.005131629999, 0.132863005877, -0.361613423362, -0.210760859473], [0.086174496727, -0.051733606908, 0.190010046763, 0.254764368133], [0.083915631034, -0.101986521764, 0.396454783121, -0.264989860818]], [[0.017160115034, -0.202432178431, 0.040314964638, 0.261175340193], [0.171873583165, 0.165432383215, -0.116102924507, -0.093108483239], [-0.199881301259, 0.057083361645, -0.260267774869, -0.012678789619]], [[-0.022291745034, 0.069569172553, 0.321298458724, -0.050414480721], [-0.258048079893, -0.113698776307, -0.073907122256, -0.161655884894], [0.115965670225, 0.044903160119, -0.136187008252, 0.277668650436]]]),
    ('triplet_distance_swap', 'sum'): (8.31700103843, [[[0.015394889998, 0.398589017632, -1.084840270085, -0.632282578419], [0.258523490182, -0.155200820723, 0.57003014029, 0.764293104399], [0.251746893101, -0.305959565293, 1.189364349362, -0.794969582453]], [[0.051480345103, -0.607296535292, 0.120944893913, 0.78352602058], [0.515620749496, 0.496297149645, -0.348308773522, -0.279325449718], [-0.599643903777, 0.171250084936, -0.780803324607, -0.038036368856]], [[-0.066875235101, 0.20870751766, 0.963895376172, -0.151243442162], [-0.774144239678, -0.341096328922, -0.221721366768, -0.484967654681], [0.347897010675, 0.134709480357, -0.408561024756, 0.833005951309]]]),
    ('poisson', 'none'): ([[0.997600720288, 1.049405131263, 1.308456045855, 0.410409433204], [1.544038330892, 1.362582643681, 1.001842735509, -0.200792609547], [1.595680097586, 3.019675532608, 0.652389789356, 0.715092973412]], [[[-1.998799279712, 0.696210262525, -3.719231862435, 1.641637732816], [-6.826808345542, -3.774104137914, 0.433599148566, 6.558459123627], [-12.498479121722, -34.623244673923, -4.048112317089, -6.853284319058]]]),
    ('poisson', 'mean'): (1.121365068676, [[[-0.166566606643, 0.029008760939, -0.103311996179, 0.0342007861], [-0.113780139092, -0.052418113027, 0.005161894626, 0.068317282538], [-0.115726658534, -0.288527038949, -0.030667517554, -0.047592252216]]]),
    ('poisson', 'sum'): (13.456380824107, [[[-1.998799279712, 0.348105131263, -1.239743954145, 0.410409433204], [-1.365361669108, -0.629017356319, 0.061942735509, 0.819807390453], [-1.388719902414, -3.462324467392, -0.368010210644, -0.571107026588]]]),
    ('poisson_full', 'none'): ([[2.761682263831, 1.049405131263, 1.960262530459, 0.410409433204], [2.195844815496, 1.362582643681, 1.001842735509, 1.563288933996], [2.247486582191, 6.176938690852, 1.30419627396, 1.366899458016]], [[[-1.998799279712, 0.696210262525, -3.719231862435, 1.641637732816], [-6.826808345542, -3.774104137914, 0.433599148566, 6.558459123627], [-12.498479121722, -34.623244673923, -4.048112317089, -6.853284319058]]]),
    ('poisson_full', 'mean'): (1.950069957705, [[[-0.166566606643, 0.029008760939, -0.103311996179, 0.0342007861], [-0.113780139092, -0.052418113027, 0.005161894626, 0.068317282538], [-0.115726658534, -0.288527038949, -0.030667517554, -0.047592252216]]]),
    ('poisson_full', 'sum'): (23.40083949246, [[[-1.998799279712, 0.348105131263, -1.239743954145, 0.410409433204], [-1.365361669108, -0.629017356319, 0.061942735509, 0.819807390453], [-1.388719902414, -3.462324467392, -0.368010210644, -0.571107026588]]]),
    ('poisson_rate_full', 'none'): ([[6.685763187843, 1.166358263858, 2.601915847747, 0.6817], [1.276897498195, 1.005522096595, 1.179151346445, 2.209717348328], [1.32838281544, 7.545730973551, 1.503199983889, 1.54809767478]], [[[-13.443909484834, 0.820128605982, -9.526096033403, 4.0], [-0.600358422939, 0.636152333274, 2.944145083724, -9.744916820702], [-2.71722431975, -99.379272627837, -7.72181090971, -9.52466367713]]]),
    ('poisson_rate_full', 'mean'): (2.394369753056, [[[-1.120325790403, 0.034172025249, -0.264613778706, 0.083333333333], [-0.010005973716, 0.008835449073, 0.035049346235, -0.101509550216], [-0.025159484442, -0.828160605232, -0.058498567498, -0.066143497758]]]),
    ('poisson_rate_full', 'sum'): (28.73243703667, [[[-13.443909484834, 0.410064302991, -3.175365344468, 1.0], [-0.120071684588, 0.106025388879, 0.420592154818, -1.218114602588], [-0.301913813306, -9.937927262784, -0.701982809974, -0.793721973094]]]),
    ('gaussian', 'none'): ([[-0.761979158445, 0.709515438942, -0.306387084961, 1.653128076912], [0.511274346813, 0.18316692554, 1.387634017125, 2.708995294015], [0.807461602397, -0.300702635141, 1.395195092778, 0.057267331973]], [[[-0.504112239961, 1.451154005076, -1.53640167364, -9.305559630336], [2.492155104785, -2.866857551897, 7.959359962896, 15.56611172771], [7.911347055758, -10.567589799835, 16.462992930755, 0.922082585278]], [[0.504112239961, -1.451154005076, 1.53640167364, 9.305559630336], [-2.492155104785, 2.866857551897, -7.959359962896, -15.56611172771], [-7.911347055758, 10.567589799835, -16.462992930755, -0.922082585278]], [[2.291900107876, 0.063821939956, 2.744653630013, -7.890338138294], [0.779790438836, 1.999417531893, -2.495997650655, -12.18431520916], [-0.545975394654, 8.126200837871, -7.63511250231, 5.350569897083]]]),
    ('gaussian', 'mean'): (0.670380770662, [[[-0.04200935333, 0.060464750212, -0.042677824268, -0.193865825632], [0.041535918413, -0.039817465999, 0.094754285273, 0.162146997164], [0.073253213479, -0.088063248332, 0.124719643415, 0.006403351287]], [[0.04200935333, -0.060464750212, 0.042677824268, 0.193865825632], [-0.041535918413, 0.039817465999, -0.094754285273, -0.162146997164], [-0.073253213479, 0.088063248332, -0.124719643415, -0.006403351287]], [[0.190991675656, 0.002659247498, 0.076240378611, -0.164382044548], [0.012996507314, 0.027769687943, -0.029714257746, -0.126919950095], [-0.005055327728, 0.067718340316, -0.057841761381, 0.037156735396]]]),
    ('gaussian', 'sum'): (8.044569247948, [[[-0.504112239961, 0.725577002538, -0.512133891213, -2.326389907584], [0.498431020957, -0.477809591983, 1.137051423271, 1.945763965964], [0.879038561751, -1.056758979984, 1.496635720978, 0.07684021544]], [[0.504112239961, -0.725577002538, 0.512133891213, 2.326389907584], [-0.498431020957, 0.477809591983, -1.137051423271, -1.945763965964], [-0.879038561751, 1.056758979984, -1.496635720978, -0.07684021544]], [[2.291900107876, 0.031910969978, 0.914884543338, -1.972584534573], [0.155958087767, 0.333236255315, -0.356571092951, -1.523039401145], [-0.060663932739, 0.812620083787, -0.694101136574, 0.445880824757]]]),
    ('gaussian_full_eps', 'none'): ([[0.583222582925, 1.628453972147, 0.632291982925, 2.572066610117], [1.430212880017, 1.102105458744, 2.30657255033, 3.627933827219], [1.726400135602, 0.720898102925, 2.314133625983, 0.976205865178]], [[[-0.2084, 1.451154005076, -1.4688, -9.305559630336], [2.492155104785, -2.866857551897, 7.959359962896, 15.56611172771], [7.911347055758, -7.708, 16.462992930755, 0.922082585278]], [[0.2084, -1.451154005076, 1.4688, 9.305559630336], [-2.492155104785, 2.866857551897, -7.959359962896, -15.56611172771], [-7.911347055758, 7.708, -16.462992930755, -0.922082585278]], [[0.97828472, 0.063821939956, 2.64043776, -7.890338138294], [0.779790438836, 1.999417531893, -2.495997650655, -12.18431520916], [-0.545975394654, 7.0293368, -7.63511250231, 5.350569897083]]]),
    ('gaussian_full_eps', 'mean'): (1.635041466176, [[[-0.017366666667, 0.060464750212, -0.0408, -0.193865825632], [0.041535918413, -0.039817465999, 0.094754285273, 0.162146997164], [0.073253213479, -0.064233333333, 0.124719643415, 0.006403351287]], [[0.017366666667, -0.060464750212, 0.0408, 0.193865825632], [-0.041535918413, 0.039817465999, -0.094754285273, -0.162146997164], [-0.073253213479, 0.064233333333, -0.124719643415, -0.006403351287]], [[0.081523726667, 0.002659247498, 0.073345493333, -0.164382044548], [0.012996507314, 0.027769687943, -0.029714257746, -0.126919950095], [-0.005055327728, 0.058577806667, -0.057841761381, 0.037156735396]]]),
    ('gaussian_full_eps', 'sum'): (19.620497594111, [[[-0.2084, 0.725577002538, -0.4896, -2.326389907584], [0.498431020957, -0.477809591983, 1.137051423271, 1.945763965964], [0.879038561751, -0.7708, 1.496635720978, 0.07684021544]], [[0.2084, -0.725577002538, 0.4896, 2.326389907584], [-0.498431020957, 0.477809591983, -1.137051423271, -1.945763965964], [-0.879038561751, 0.7708, -1.496635720978, -0.07684021544]], [[0.97828472, 0.031910969978, 0.88014592, -1.972584534573], [0.155958087767, 0.333236255315, -0.356571092951, -1.523039401145], [-0.060663932739, 0.70293368, -0.694101136574, 0.445880824757]]]),
    ('gaussian_row_var', 'none'): ([[-0.761979158445, 2.866649288579, -0.643282012824, 5.295643410495], [0.511274346813, 0.369490683807, 1.367345018112, 2.227096334933], [0.807461602397, 0.262706166623, 1.219981661673, 0.216716784132]], [[[-0.504112239961, 11.893565553943, -3.55297532656, -30.689888727625], [2.492155104785, -1.79536030483, 7.693096492211, 11.788411969069], [7.911347055758, -2.510422094841, 12.590672225117, 0.669098488796]], [[0.504112239961, -11.893565553943, 3.55297532656, 30.689888727625], [-2.492155104785, 1.79536030483, -7.693096492211, -11.788411969069], [-7.911347055758, 2.510422094841, -12.590672225117, -0.669098488796]], [-131.139240850006, -6.517973628185, 2.662362040218]]),
    ('gaussian_row_var', 'mean'): (1.144925343858, [[[-0.04200935333, 0.495565231414, -0.098693759071, -0.639372681826], [0.041535918413, -0.024935559789, 0.09158448205, 0.122795958011], [0.073253213479, -0.020920184124, 0.095383880493, 0.004646517283]], [[0.04200935333, -0.495565231414, 0.098693759071, 0.639372681826], [-0.041535918413, 0.024935559789, -0.09158448205, -0.122795958011], [-0.073253213479, 0.020920184124, -0.095383880493, -0.004646517283]], [-3.189003851151, -0.061489866202, 0.01902331491]]),
    ('gaussian_row_var', 'sum'): (13.739104126296, [[[-0.504112239961, 5.946782776971, -1.184325108853, -7.672472181906], [0.498431020957, -0.299226717472, 1.099013784602, 1.473551496134], [0.879038561751, -0.251042209484, 1.14460656592, 0.0557582074]], [[0.504112239961, -5.946782776971, 1.184325108853, 7.672472181906], [-0.498431020957, 0.299226717472, -1.099013784602, -1.473551496134], [-0.879038561751, 0.251042209484, -1.14460656592, -0.0557582074]], [-38.268046213811, -0.737878394428, 0.228279778919]]),
    ('gaussian_column_var', 'none'): ([[-0.761979158445, 0.709515438942, -0.306387084961, 1.653128076912], [1.125666245522, 0.347737314865, 3.654670080311, 4.88053256569], [3.61705473125, 0.307414181638, 2.860793668177, -0.186208471423]], [[[-0.504112239961, 1.451154005076, -1.53640167364, -9.305559630336], [21.516690856314, -1.891269700726, 28.721966527197, 30.860495819275], [58.759071117562, -2.274954252996, 40.437656903766, 1.506821182338]], [[0.504112239961, -1.451154005076, 1.53640167364, 9.305559630336], [-21.516690856314, 1.891269700726, -28.721966527197, -30.860495819275], [-58.759071117562, 2.274954252996, -40.437656903766, -1.506821182338]], [[-201.952083902381, 4.229247419771, -111.679450617986, -52.838871033377]]]),
    ('gaussian_column_var', 'mean'): (1.491828132373, [[[-0.04200935333, 0.060464750212, -0.042677824268, -0.193865825632], [0.358611514272, -0.026267634732, 0.341928172943, 0.321463498117], [0.544065473311, -0.018957952108, 0.306345885635, 0.010464035988]], [[0.04200935333, -0.060464750212, 0.042677824268, 0.193865825632], [-0.358611514272, 0.026267634732, -0.341928172943, -0.321463498117], [-0.544065473311, 0.018957952108, -0.306345885635, -0.010464035988]], [[-1.953504288328, 0.045553219217, -1.013998166538, -0.662828293494]]]),
    ('gaussian_column_var', 'sum'): (17.901937588478, [[[-0.504112239961, 0.725577002538, -0.512133891213, -2.326389907584], [4.303338171263, -0.315211616788, 4.103138075314, 3.857561977409], [6.528785679729, -0.2274954253, 3.676150627615, 0.125568431862]], [[0.504112239961, -0.725577002538, 0.512133891213, 2.326389907584], [-4.303338171263, 0.315211616788, -4.103138075314, -3.857561977409], [-6.528785679729, 0.2274954253, -3.676150627615, -0.125568431862]], [[-23.442051459934, 0.546638630602, -12.167977998459, -7.953939521929]]]),
}

CTC_EXPECTED = {
    ('padded', 'none'): ([5.722656047388, 2.945301745968], [[[0.273280951218, -0.71052861625, 0.344667115698, 0.092580549334], [-0.050372703004, 0.235423702733, 0.703724455471, -0.8887754552]], [[0.066496628782, 0.014321470761, -0.130156210691, 0.049338111148], [-0.09551448182, -0.177368075878, 0.997982782988, -0.72510022529]], [[-0.500832352643, 0.102027831827, -0.277975059641, 0.676779580457], [-0.106395981628, -0.800488655314, 0.769296116251, 0.137588520691]], [[-0.295497891997, 0.118085012564, -0.053468671048, 0.230881550481], [-0.108560627569, -0.617975409639, 0.242283179226, 0.484252857981]], [[-0.058785391791, 0.450102536424, -0.67299819831, 0.281681053677], [0.0, 0.0, 0.0, 0.0]]], [[[0.273280951218, -0.71052861625, 0.344667115698, 0.092580549334], [-0.050372703004, 0.235423702733, 0.703724455471, -0.8887754552]], [[0.066496628782, 0.014321470761, -0.130156210691, 0.049338111148], [-0.09551448182, -0.177368075878, 0.997982782988, -0.72510022529]], [[-0.500832352643, 0.102027831827, -0.277975059641, 0.676779580457], [-0.106395981628, -0.800488655314, 0.769296116251, 0.137588520691]], [[-0.295497891997, 0.118085012564, -0.053468671048, 0.230881550481], [-0.108560627569, -0.617975409639, 0.242283179226, 0.484252857981]], [[-0.058785391791, 0.450102536424, -0.67299819831, 0.281681053677], [0.0, 0.0, 0.0, 0.0]]]),
    ('padded', 'mean'): (1.69010144439, [[[0.045546825203, -0.118421436042, 0.057444519283, 0.015430091556], [-0.006296587875, 0.029427962842, 0.087965556934, -0.1110969319]], [[0.011082771464, 0.002386911794, -0.021692701782, 0.008223018525], [-0.011939310227, -0.022171009485, 0.124747847874, -0.090637528161]], [[-0.083472058774, 0.017004638638, -0.046329176607, 0.112796596743], [-0.013299497703, -0.100061081914, 0.096162014531, 0.017198565086]], [[-0.049249648666, 0.019680835427, -0.008911445175, 0.038480258413], [-0.013570078446, -0.077246926205, 0.030285397403, 0.060531607248]], [[-0.009797565299, 0.075017089404, -0.112166366385, 0.04694684228], [0.0, 0.0, 0.0, 0.0]]], [[[0.045546825203, -0.118421436042, 0.057444519283, 0.015430091556], [-0.006296587875, 0.029427962842, 0.087965556934, -0.1110969319]], [[0.011082771464, 0.002386911794, -0.021692701782, 0.008223018525], [-0.011939310227, -0.022171009485, 0.124747847874, -0.090637528161]], [[-0.083472058774, 0.017004638638, -0.046329176607, 0.112796596743], [-0.013299497703, -0.100061081914, 0.096162014531, 0.017198565086]], [[-0.049249648666, 0.019680835427, -0.008911445175, 0.038480258413], [-0.013570078446, -0.077246926205, 0.030285397403, 0.060531607248]], [[-0.009797565299, 0.075017089404, -0.112166366385, 0.04694684228], [0.0, 0.0, 0.0, 0.0]]]),
    ('padded', 'sum'): (8.667957793355, [[[0.273280951218, -0.71052861625, 0.344667115698, 0.092580549334], [-0.025186351502, 0.117711851367, 0.351862227735, -0.4443877276]], [[0.066496628782, 0.014321470761, -0.130156210691, 0.049338111148], [-0.04775724091, -0.088684037939, 0.498991391494, -0.362550112645]], [[-0.500832352643, 0.102027831827, -0.277975059641, 0.676779580457], [-0.053197990814, -0.400244327657, 0.384648058126, 0.068794260345]], [[-0.295497891997, 0.118085012564, -0.053468671048, 0.230881550481], [-0.054280313784, -0.308987704819, 0.121141589613, 0.242126428991]], [[-0.058785391791, 0.450102536424, -0.67299819831, 0.281681053677], [0.0, 0.0, 0.0, 0.0]]], [[[0.273280951218, -0.71052861625, 0.344667115698, 0.092580549334], [-0.025186351502, 0.117711851367, 0.351862227735, -0.4443877276]], [[0.066496628782, 0.014321470761, -0.130156210691, 0.049338111148], [-0.04775724091, -0.088684037939, 0.498991391494, -0.362550112645]], [[-0.500832352643, 0.102027831827, -0.277975059641, 0.676779580457], [-0.053197990814, -0.400244327657, 0.384648058126, 0.068794260345]], [[-0.295497891997, 0.118085012564, -0.053468671048, 0.230881550481], [-0.054280313784, -0.308987704819, 0.121141589613, 0.242126428991]], [[-0.058785391791, 0.450102536424, -0.67299819831, 0.281681053677], [0.0, 0.0, 0.0, 0.0]]]),
    ('blank3', 'none'): ([3.870058521758, 3.045299672579], [[[0.371808549234, -0.770527073469, 0.344667115698, 0.054051408536], [-0.19340321029, 0.235423702733, 0.703724455471, -0.745744947914]], [[0.096312376231, 0.048177383927, -0.171339090834, 0.026849330676], [-0.649511857807, 0.257607220737, 0.997982782988, -0.606078145918]], [[-0.015590702666, 0.092117630674, -0.073114210972, -0.003412717036], [-0.941757717402, 0.399085612696, 0.769296116251, -0.226624011545]], [[-0.400573950692, 0.118085012564, 0.232628670089, 0.049860268039], [0.0, 0.0, 0.0, 0.0]], [[-0.346279463564, 0.450102536424, 0.156330978307, -0.260154051166], [0.0, 0.0, 0.0, 0.0]]], [[[0.371808549234, -0.770527073469, 0.344667115698, 0.054051408536], [-0.19340321029, 0.235423702733, 0.703724455471, -0.745744947914]], [[0.096312376231, 0.048177383927, -0.171339090834, 0.026849330676], [-0.649511857807, 0.257607220737, 0.997982782988, -0.606078145918]], [[-0.015590702666, 0.092117630674, -0.073114210972, -0.003412717036], [-0.941757717402, 0.399085612696, 0.769296116251, -0.226624011545]], [[-0.400573950692, 0.118085012564, 0.232628670089, 0.049860268039], [0.0, 0.0, 0.0, 0.0]], [[-0.346279463564, 0.450102536424, 0.156330978307, -0.260154051166], [0.0, 0.0, 0.0, 0.0]]]),
    ('blank3', 'mean'): (2.167659589916, [[[0.061968091539, -0.128421178911, 0.057444519283, 0.009008568089], [-0.048350802572, 0.058855925683, 0.175931113868, -0.186436236979]], [[0.016052062705, 0.008029563988, -0.028556515139, 0.004474888446], [-0.162377964452, 0.064401805184, 0.249495695747, -0.15151953648]], [[-0.002598450444, 0.015352938446, -0.012185701829, -0.000568786173], [-0.235439429351, 0.099771403174, 0.192324029063, -0.056656002886]], [[-0.066762325115, 0.019680835427, 0.038771445015, 0.008310044673], [0.0, 0.0, 0.0, 0.0]], [[-0.057713243927, 0.075017089404, 0.026055163051, -0.043359008528], [0.0, 0.0, 0.0, 0.0]]], [[[0.061968091539, -0.128421178911, 0.057444519283, 0.009008568089], [-0.048350802572, 0.058855925683, 0.175931113868, -0.186436236979]], [[0.016052062705, 0.008029563988, -0.028556515139, 0.004474888446], [-0.162377964452, 0.064401805184, 0.249495695747, -0.15151953648]], [[-0.002598450444, 0.015352938446, -0.012185701829, -0.000568786173], [-0.235439429351, 0.099771403174, 0.192324029063, -0.056656002886]], [[-0.066762325115, 0.019680835427, 0.038771445015, 0.008310044673], [0.0, 0.0, 0.0, 0.0]], [[-0.057713243927, 0.075017089404, 0.026055163051, -0.043359008528], [0.0, 0.0, 0.0, 0.0]]]),
    ('blank3', 'sum'): (6.915358194337, [[[0.371808549234, -0.770527073469, 0.344667115698, 0.054051408536], [-0.096701605145, 0.117711851367, 0.351862227735, -0.372872473957]], [[0.096312376231, 0.048177383927, -0.171339090834, 0.026849330676], [-0.324755928903, 0.128803610368, 0.498991391494, -0.303039072959]], [[-0.015590702666, 0.092117630674, -0.073114210972, -0.003412717036], [-0.470878858701, 0.199542806348, 0.384648058126, -0.113312005773]], [[-0.400573950692, 0.118085012564, 0.232628670089, 0.049860268039], [0.0, 0.0, 0.0, 0.0]], [[-0.346279463564, 0.450102536424, 0.156330978307, -0.260154051166], [0.0, 0.0, 0.0, 0.0]]], [[[0.371808549234, -0.770527073469, 0.344667115698, 0.054051408536], [-0.096701605145, 0.117711851367, 0.351862227735, -0.372872473957]], [[0.096312376231, 0.048177383927, -0.171339090834, 0.026849330676], [-0.324755928903, 0.128803610368, 0.498991391494, -0.303039072959]], [[-0.015590702666, 0.092117630674, -0.073114210972, -0.003412717036], [-0.470878858701, 0.199542806348, 0.384648058126, -0.113312005773]], [[-0.400573950692, 0.118085012564, 0.232628670089, 0.049860268039], [0.0, 0.0, 0.0, 0.0]], [[-0.346279463564, 0.450102536424, 0.156330978307, -0.260154051166], [0.0, 0.0, 0.0, 0.0]]]),
    ('infeasible', 'none'): ([inf, 2.945301745968], [[[nan, nan, nan, nan], [-0.050372703004, 0.235423702733, 0.703724455471, -0.8887754552]], [[nan, nan, nan, nan], [-0.09551448182, -0.177368075878, 0.997982782988, -0.72510022529]], [[0.0, 0.0, 0.0, 0.0], [-0.106395981628, -0.800488655314, 0.769296116251, 0.137588520691]], [[0.0, 0.0, 0.0, 0.0], [-0.108560627569, -0.617975409639, 0.242283179226, 0.484252857981]], [[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]], [[[nan, nan, nan, nan], [-0.050372703004, 0.235423702733, 0.703724455471, -0.8887754552]], [[nan, nan, nan, nan], [-0.09551448182, -0.177368075878, 0.997982782988, -0.72510022529]], [[0.0, 0.0, 0.0, 0.0], [-0.106395981628, -0.800488655314, 0.769296116251, 0.137588520691]], [[0.0, 0.0, 0.0, 0.0], [-0.108560627569, -0.617975409639, 0.242283179226, 0.484252857981]], [[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]]),
    ('infeasible', 'mean'): (inf, [[[nan, nan, nan, nan], [-0.006296587875, 0.029427962842, 0.087965556934, -0.1110969319]], [[nan, nan, nan, nan], [-0.011939310227, -0.022171009485, 0.124747847874, -0.090637528161]], [[0.0, 0.0, 0.0, 0.0], [-0.013299497703, -0.100061081914, 0.096162014531, 0.017198565086]], [[0.0, 0.0, 0.0, 0.0], [-0.013570078446, -0.077246926205, 0.030285397403, 0.060531607248]], [[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]], [[[nan, nan, nan, nan], [-0.006296587875, 0.029427962842, 0.087965556934, -0.1110969319]], [[nan, nan, nan, nan], [-0.011939310227, -0.022171009485, 0.124747847874, -0.090637528161]], [[0.0, 0.0, 0.0, 0.0], [-0.013299497703, -0.100061081914, 0.096162014531, 0.017198565086]], [[0.0, 0.0, 0.0, 0.0], [-0.013570078446, -0.077246926205, 0.030285397403, 0.060531607248]], [[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]]),
    ('infeasible', 'sum'): (inf, [[[nan, nan, nan, nan], [-0.025186351502, 0.117711851367, 0.351862227735, -0.4443877276]], [[nan, nan, nan, nan], [-0.04775724091, -0.088684037939, 0.498991391494, -0.362550112645]], [[0.0, 0.0, 0.0, 0.0], [-0.053197990814, -0.400244327657, 0.384648058126, 0.068794260345]], [[0.0, 0.0, 0.0, 0.0], [-0.054280313784, -0.308987704819, 0.121141589613, 0.242126428991]], [[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]], [[[nan, nan, nan, nan], [-0.025186351502, 0.117711851367, 0.351862227735, -0.4443877276]], [[nan, nan, nan, nan], [-0.04775724091, -0.088684037939, 0.498991391494, -0.362550112645]], [[0.0, 0.0, 0.0, 0.0], [-0.053197990814, -0.400244327657, 0.384648058126, 0.068794260345]], [[0.0, 0.0, 0.0, 0.0], [-0.054280313784, -0.308987704819, 0.121141589613, 0.242126428991]], [[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]]),
    ('infeasible_zero_infinity', 'none'): ([0.0, 2.945301745968], [[[0.0, 0.0, 0.0, 0.0], [-0.050372703004, 0.235423702733, 0.703724455471, -0.8887754552]], [[0.0, 0.0, 0.0, 0.0], [-0.09551448182, -0.177368075878, 0.997982782988, -0.72510022529]], [[0.0, 0.0, 0.0, 0.0], [-0.106395981628, -0.800488655314, 0.769296116251, 0.137588520691]], [[0.0, 0.0, 0.0, 0.0], [-0.108560627569, -0.617975409639, 0.242283179226, 0.484252857981]], [[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]], [[[0.0, 0.0, 0.0, 0.0], [-0.050372703004, 0.235423702733, 0.703724455471, -0.8887754552]], [[0.0, 0.0, 0.0, 0.0], [-0.09551448182, -0.177368075878, 0.997982782988, -0.72510022529]], [[0.0, 0.0, 0.0, 0.0], [-0.106395981628, -0.800488655314, 0.769296116251, 0.137588520691]], [[0.0, 0.0, 0.0, 0.0], [-0.108560627569, -0.617975409639, 0.242283179226, 0.484252857981]], [[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]]),
    ('infeasible_zero_infinity', 'mean'): (0.736325436492, [[[0.0, 0.0, 0.0, 0.0], [-0.006296587875, 0.029427962842, 0.087965556934, -0.1110969319]], [[0.0, 0.0, 0.0, 0.0], [-0.011939310227, -0.022171009485, 0.124747847874, -0.090637528161]], [[0.0, 0.0, 0.0, 0.0], [-0.013299497703, -0.100061081914, 0.096162014531, 0.017198565086]], [[0.0, 0.0, 0.0, 0.0], [-0.013570078446, -0.077246926205, 0.030285397403, 0.060531607248]], [[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]], [[[0.0, 0.0, 0.0, 0.0], [-0.006296587875, 0.029427962842, 0.087965556934, -0.1110969319]], [[0.0, 0.0, 0.0, 0.0], [-0.011939310227, -0.022171009485, 0.124747847874, -0.090637528161]], [[0.0, 0.0, 0.0, 0.0], [-0.013299497703, -0.100061081914, 0.096162014531, 0.017198565086]], [[0.0, 0.0, 0.0, 0.0], [-0.013570078446, -0.077246926205, 0.030285397403, 0.060531607248]], [[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]]),
    ('infeasible_zero_infinity', 'sum'): (2.945301745968, [[[0.0, 0.0, 0.0, 0.0], [-0.025186351502, 0.117711851367, 0.351862227735, -0.4443877276]], [[0.0, 0.0, 0.0, 0.0], [-0.04775724091, -0.088684037939, 0.498991391494, -0.362550112645]], [[0.0, 0.0, 0.0, 0.0], [-0.053197990814, -0.400244327657, 0.384648058126, 0.068794260345]], [[0.0, 0.0, 0.0, 0.0], [-0.054280313784, -0.308987704819, 0.121141589613, 0.242126428991]], [[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]], [[[0.0, 0.0, 0.0, 0.0], [-0.025186351502, 0.117711851367, 0.351862227735, -0.4443877276]], [[0.0, 0.0, 0.0, 0.0], [-0.04775724091, -0.088684037939, 0.498991391494, -0.362550112645]], [[0.0, 0.0, 0.0, 0.0], [-0.053197990814, -0.400244327657, 0.384648058126, 0.068794260345]], [[0.0, 0.0, 0.0, 0.0], [-0.054280313784, -0.308987704819, 0.121141589613, 0.242126428991]], [[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]]),
    ('empty_target', 'none'): ([5.722656047388, 6.674008510882], [[[0.273280951218, -0.71052861625, 0.344667115698, 0.092580549334], [-1.839501133368, 0.235423702733, 0.703724455471, 0.900352975164]], [[0.066496628782, 0.014321470761, -0.130156210691, 0.049338111148], [-1.821330804781, 0.257607220737, 0.997982782988, 0.565740801056]], [[-0.500832352643, 0.102027831827, -0.277975059641, 0.676779580457], [-1.647561562351, 0.399085612696, 0.769296116251, 0.479179833404]], [[-0.295497891997, 0.118085012564, -0.053468671048, 0.230881550481], [0.0, 0.0, 0.0, 0.0]], [[-0.058785391791, 0.450102536424, -0.67299819831, 0.281681053677], [0.0, 0.0, 0.0, 0.0]]], [[[0.273280951218, -0.71052861625, 0.344667115698, 0.092580549334], [-1.839501133368, 0.235423702733, 0.703724455471, 0.900352975164]], [[0.066496628782, 0.014321470761, -0.130156210691, 0.049338111148], [-1.821330804781, 0.257607220737, 0.997982782988, 0.565740801056]], [[-0.500832352643, 0.102027831827, -0.277975059641, 0.676779580457], [-1.647561562351, 0.399085612696, 0.769296116251, 0.479179833404]], [[-0.295497891997, 0.118085012564, -0.053468671048, 0.230881550481], [0.0, 0.0, 0.0, 0.0]], [[-0.058785391791, 0.450102536424, -0.67299819831, 0.281681053677], [0.0, 0.0, 0.0, 0.0]]]),
    ('empty_target', 'mean'): (4.290780263339, [[[0.045546825203, -0.118421436042, 0.057444519283, 0.015430091556], [-0.459875283342, 0.058855925683, 0.175931113868, 0.225088243791]], [[0.011082771464, 0.002386911794, -0.021692701782, 0.008223018525], [-0.455332701195, 0.064401805184, 0.249495695747, 0.141435200264]], [[-0.083472058774, 0.017004638638, -0.046329176607, 0.112796596743], [-0.411890390588, 0.099771403174, 0.192324029063, 0.119794958351]], [[-0.049249648666, 0.019680835427, -0.008911445175, 0.038480258413], [0.0, 0.0, 0.0, 0.0]], [[-0.009797565299, 0.075017089404, -0.112166366385, 0.04694684228], [0.0, 0.0, 0.0, 0.0]]], [[[0.045546825203, -0.118421436042, 0.057444519283, 0.015430091556], [-0.459875283342, 0.058855925683, 0.175931113868, 0.225088243791]], [[0.011082771464, 0.002386911794, -0.021692701782, 0.008223018525], [-0.455332701195, 0.064401805184, 0.249495695747, 0.141435200264]], [[-0.083472058774, 0.017004638638, -0.046329176607, 0.112796596743], [-0.411890390588, 0.099771403174, 0.192324029063, 0.119794958351]], [[-0.049249648666, 0.019680835427, -0.008911445175, 0.038480258413], [0.0, 0.0, 0.0, 0.0]], [[-0.009797565299, 0.075017089404, -0.112166366385, 0.04694684228], [0.0, 0.0, 0.0, 0.0]]]),
    ('empty_target', 'sum'): (12.39666455827, [[[0.273280951218, -0.71052861625, 0.344667115698, 0.092580549334], [-0.919750566684, 0.117711851367, 0.351862227735, 0.450176487582]], [[0.066496628782, 0.014321470761, -0.130156210691, 0.049338111148], [-0.91066540239, 0.128803610368, 0.498991391494, 0.282870400528]], [[-0.500832352643, 0.102027831827, -0.277975059641, 0.676779580457], [-0.823780781175, 0.199542806348, 0.384648058126, 0.239589916702]], [[-0.295497891997, 0.118085012564, -0.053468671048, 0.230881550481], [0.0, 0.0, 0.0, 0.0]], [[-0.058785391791, 0.450102536424, -0.67299819831, 0.281681053677], [0.0, 0.0, 0.0, 0.0]]], [[[0.273280951218, -0.71052861625, 0.344667115698, 0.092580549334], [-0.919750566684, 0.117711851367, 0.351862227735, 0.450176487582]], [[0.066496628782, 0.014321470761, -0.130156210691, 0.049338111148], [-0.91066540239, 0.128803610368, 0.498991391494, 0.282870400528]], [[-0.500832352643, 0.102027831827, -0.277975059641, 0.676779580457], [-0.823780781175, 0.199542806348, 0.384648058126, 0.239589916702]], [[-0.295497891997, 0.118085012564, -0.053468671048, 0.230881550481], [0.0, 0.0, 0.0, 0.0]], [[-0.058785391791, 0.450102536424, -0.67299819831, 0.281681053677], [0.0, 0.0, 0.0, 0.0]]]),
}
CTC_UNBATCHED = (5.722656047388, [[0.273280951218, -0.71052861625, 0.344667115698, 0.092580549334], [0.066496628782, 0.014321470761, -0.130156210691, 0.049338111148], [-0.500832352643, 0.102027831827, -0.277975059641, 0.676779580457], [-0.295497891997, 0.118085012564, -0.053468671048, 0.230881550481], [-0.058785391791, 0.450102536424, -0.67299819831, 0.281681053677]])


def _ctc(targets, input_lengths, target_lengths, reduction, **kw):
    logits = plait.tensor(LOGITS, dtype=plait.float64, requires_grad=True)
    log_probs = F.log_softmax(logits, 2)
    log_probs.retain_grad()
    out = F.ctc_loss(log_probs, targets, input_lengths, target_lengths, reduction=reduction, **kw)
    return logits, log_probs, out


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", list(CTC_CASES))
def test_ctc_matches_torch(name, reduction):
    targets, input_lengths, target_lengths, kw = CTC_CASES[name]
    logits, log_probs, out = _ctc(plait.tensor(targets), plait.tensor(input_lengths), plait.tensor(target_lengths),
                                  reduction, **kw)
    value, logits_grad, log_probs_grad = CTC_EXPECTED[(name, reduction)]
    _close(out.detach().numpy(), value)
    (out * plait.arange(1, out.numel() + 1, dtype=plait.float64).reshape(out.shape)).sum().backward()
    _close(logits.grad.numpy(), logits_grad)
    # torch's gradient with respect to log_probs itself (its exp(log_probs) term included)
    _close(log_probs.grad.numpy(), log_probs_grad)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ctc_concatenated_targets_and_int_lengths(reduction):
    targets, input_lengths, target_lengths, _ = CTC_CASES["padded"]
    flat = [v for row, n in zip(targets, target_lengths) for v in row[:n]]
    _, _, out = _ctc(plait.tensor(flat), tuple(input_lengths), list(target_lengths), reduction)
    _close(out.detach().numpy(), CTC_EXPECTED[("padded", reduction)][0])


def test_ctc_module_and_unbatched():
    targets, input_lengths, target_lengths, _ = CTC_CASES["blank3"]
    logits = plait.tensor(LOGITS, dtype=plait.float64)
    out = nn.CTCLoss(blank=3, reduction="sum")(F.log_softmax(logits, 2), plait.tensor(targets),
                                                 plait.tensor(input_lengths), plait.tensor(target_lengths))
    _close(out.item(), CTC_EXPECTED[("blank3", "sum")][0])
    logits = plait.tensor(LOGITS, dtype=plait.float64, requires_grad=True)
    out = F.ctc_loss(F.log_softmax(logits[:, 0], 1), plait.tensor([1, 2, 2]), plait.tensor(5), plait.tensor(3),
                     reduction="none")
    assert out.shape == ()
    # a (1, S) target is read as a padded batch of one, as torch does
    same = F.ctc_loss(F.log_softmax(logits[:, 0], 1), plait.tensor([[1, 2, 2]]), plait.tensor(5), plait.tensor(3),
                      reduction="none")
    _close(same.detach().numpy(), out.detach().numpy())
    out.backward()
    value, grad = CTC_UNBATCHED
    _close(out.item(), value)
    _close(logits.grad.numpy()[:, 0], grad)


def test_ctc_gradcheck():
    logits = plait.tensor(LOGITS, dtype=plait.float64, requires_grad=True)
    for targets, input_lengths, target_lengths, kw in CTC_CASES.values():
        if "zero_infinity" not in kw and input_lengths[0] == 2:
            continue  # an infinite loss has no finite differences
        for reduction in REDUCTIONS:
            assert gradcheck(lambda x: F.ctc_loss(F.log_softmax(x, 2), plait.tensor(targets), input_lengths,
                                                  target_lengths, reduction=reduction, **kw), (logits,),
                             eps=1e-6, atol=1e-5)


def test_ctc_node_name_and_no_double_backward():
    targets, input_lengths, target_lengths, _ = CTC_CASES["padded"]
    logits, log_probs, out = _ctc(plait.tensor(targets), input_lengths, target_lengths, "none")
    assert out.grad_fn.name() == "CtcLossBackward0"
    (grad,) = plait.autograd.grad(out.sum(), logits, create_graph=True)
    with pytest.raises(RuntimeError, match="derivative for aten::_ctc_loss_backward is not implemented"):
        grad.sum().backward()


def test_ctc_float32():
    targets, input_lengths, target_lengths, _ = CTC_CASES["padded"]
    log_probs = F.log_softmax(plait.tensor(LOGITS, dtype=plait.float32), 2)
    out = F.ctc_loss(log_probs, plait.tensor(targets), input_lengths, target_lengths, reduction="none")
    assert out.dtype == plait.float32
    np.testing.assert_allclose(out.numpy(), CTC_EXPECTED[("padded", "none")][0], rtol=1e-5)


def _lp():
    return F.log_softmax(plait.tensor(LOGITS, dtype=plait.float64), 2)


_TG = plait.tensor([[1, 2, 2], [3, 1, 0]])
_IL = plait.tensor([5, 4])
_TL = plait.tensor([3, 2])
_ALLOC = " (while checking arguments for ctc_loss_allocate_outputs)"
CTC_ERRORS = [
    (lambda: F.ctc_loss(_lp(), _TG, _IL.double(), _TL), "input_lengths must be integral"),
    (lambda: F.ctc_loss(_lp(), _TG, _IL, _TL.double()), "target_lengths must be integral"),
    (lambda: F.ctc_loss(_lp(), _TG, plait.tensor([6, 4]), _TL),
     "Expected input_lengths to have value at most 5, but got value 6" + _ALLOC),
    (lambda: F.ctc_loss(_lp(), _TG, plait.tensor([-1, 2]), _TL),
     "Expected input_lengths to have value at least 0, but got value -1" + _ALLOC),
    (lambda: F.ctc_loss(_lp(), _TG, _IL, plait.tensor([-1, 2])),
     "Expected target_lengths to have value at least 0, but got value -1" + _ALLOC),
    (lambda: F.ctc_loss(_lp(), _TG, plait.tensor([5, 4, 3]), _TL), "input_lengths must be of size batch_size"),
    (lambda: F.ctc_loss(_lp(), _TG, _IL, plait.tensor([3, 2, 1])), "target_lengths must be of size batch_size"),
    (lambda: F.ctc_loss(_lp(), _TG, _IL, plait.tensor([4, 2])),
     "Expected tensor to have size at least 4 at dimension 1, but got size 3 for argument #2 'targets'" + _ALLOC),
    (lambda: F.ctc_loss(_lp(), plait.tensor([1, 2, 2, 3]), _IL, _TL),
     "Expected tensor to have size 5 at dimension 0, but got size 4 for argument #2 'targets'" + _ALLOC),
    (lambda: F.ctc_loss(_lp(), _TG[:1], _IL, _TL),
     "Expected tensor to have size 2 at dimension 0, but got size 1 for argument #2 'targets'" + _ALLOC),
    (lambda: F.ctc_loss(_lp(), _TG, _IL, _TL, blank=4), "blank must be in label range"),
    (lambda: F.ctc_loss(_lp(), _TG, _IL, _TL, blank=-1), "blank must be in label range"),
    (lambda: F.ctc_loss(_lp(), _TG.unsqueeze(2), _IL, _TL),
     "Expected 1 to 2 dimensions, but got 3-dimensional tensor for argument #2 'targets'" + _ALLOC),
    (lambda: F.ctc_loss(_lp()[0, 0], _TG, _IL, _TL),
     "Expected 3-dimensional tensor, but got 1-dimensional tensor for argument #1 'log_probs'" + _ALLOC),
]


@pytest.mark.parametrize("call,message", CTC_ERRORS, ids=[str(i) for i in range(len(CTC_ERRORS))])
def test_ctc_error_texts(call, message):
    with pytest.raises(RuntimeError) as info:
        call()
    assert str(info.value) == message


def test_ctc_invalid_reduction_and_targets():
    with pytest.raises(ValueError, match="^x is not a valid value for reduction$"):
        F.ctc_loss(_lp(), _TG, _IL, _TL, reduction="x")
    with pytest.raises(RuntimeError, match=r"targets must be class indices in \[0, 4\)"):
        F.ctc_loss(_lp(), _TG + 10, _IL, _TL)


def test_hard_coded_numbers_are_torchs():
    """Where torch is installed, it still gives the values hard-coded above."""
    torch = pytest.importorskip("torch")
    inputs = _inputs()
    for (name, reduction), (value, _) in EXPECTED.items():
        fn, arg_names, kw, _, _ = CASES[name]
        args = [torch.tensor(inputs[a]) for a in arg_names]
        kwargs = {k: (torch.tensor(inputs[v]) if isinstance(v, str) else v) for k, v in kw.items()}
        out = getattr(torch.nn.functional, fn)(*args, reduction=reduction, **kwargs)
        _close(out.numpy(), value)
    for (name, reduction), (value, _, _) in CTC_EXPECTED.items():
        targets, input_lengths, target_lengths, kw = CTC_CASES[name]
        log_probs = torch.tensor(LOGITS, dtype=torch.float64).log_softmax(2)
        out = torch.nn.functional.ctc_loss(log_probs, torch.tensor(targets), torch.tensor(input_lengths),
                                           torch.tensor(target_lengths), reduction=reduction, **kw)
        _close(out.numpy(), value)
