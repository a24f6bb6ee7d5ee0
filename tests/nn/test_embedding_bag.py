"""F.embedding_bag and nn.EmbeddingBag against numbers torch 2.13 computed for the same seeded tables
(``REFS``, generated once through torch)."""
import itertools

import numpy as np
import pytest

import plait
import plait.nn as nn
import plait.nn.functional as F
from plait.autograd import gradcheck

CASES = {}  # every reference here is a bag case, made in torch_extras
INDICES = [1, 2, 4, 5, 4, 3, 2, 9, 2, 2]
# name: (indices, offsets or None, keyword arguments, per-sample weights wanted)
BAGS = {
    "sum": (INDICES, [0, 4], dict(mode="sum"), False),
    "mean": (INDICES, [0, 4], dict(mode="mean"), False),
    "max": (INDICES, [0, 4], dict(mode="max"), False),
    "empty_bags_sum": (INDICES, [0, 3, 3, 10], dict(mode="sum"), False),
    "empty_bags_mean": (INDICES, [0, 0, 3, 10, 10], dict(mode="mean"), False),
    "empty_bags_max": (INDICES, [0, 3, 3, 10], dict(mode="max"), False),
    "include_last_offset_sum": (INDICES, [0, 2, 4, 10], dict(mode="sum", include_last_offset=True), False),
    "include_last_offset_mean": (INDICES, [0, 5, 5, 10], dict(mode="mean", include_last_offset=True), False),
    "include_last_offset_max": (INDICES, [0, 2, 4, 10], dict(mode="max", include_last_offset=True), False),
    "per_sample_weights": (INDICES, [0, 1, 6], dict(mode="sum"), True),
    "per_sample_weights_padding": (INDICES, [0, 1, 6], dict(mode="sum", padding_idx=2), True),
    "padding_sum": (INDICES, [0, 4, 8], dict(mode="sum", padding_idx=2), False),
    "padding_mean": (INDICES, [0, 4, 8], dict(mode="mean", padding_idx=2), False),
    "padding_max": (INDICES, [0, 4, 8], dict(mode="max", padding_idx=-8), False),
    "two_d_mean": ([[1, 2, 4, 5, 4], [3, 2, 9, 2, 2]], None, dict(mode="mean"), False),
    "two_d_max": ([[1, 2], [4, 5], [4, 3], [2, 9], [2, 2]], None, dict(mode="max", padding_idx=2), False),
    "two_d_per_sample_weights": ([[1, 2, 4, 5, 4], [3, 2, 9, 2, 2]], None, dict(mode="sum"), True),
    "max_norm": ([3, 3, 1, 7], [0, 2], dict(mode="mean", max_norm=1.0), False),
}

REFS = {}


def _table(seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((10, 3)), rng


def T(a, requires_grad=False):
    return plait.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def I(a):  # noqa: E743 - an index tensor
    return plait.tensor(np.asarray(a, dtype=np.int64))


def N(t):
    return t.detach().numpy()


@pytest.mark.parametrize("name", sorted(BAGS))
def test_values_and_gradients_match_torch(name):
    indices, offsets, kwargs, weighted = BAGS[name]
    table, rng = _table()
    weight = T(table, requires_grad=True)
    psw = T(rng.standard_normal(np.shape(indices)), requires_grad=True) if weighted else None
    out = F.embedding_bag(I(indices), weight, None if offsets is None else I(offsets), per_sample_weights=psw,
                          **kwargs)
    ref = REFS["bag_" + name]
    np.testing.assert_allclose(N(out), np.array(ref["out"]), rtol=0, atol=1e-12)
    out.backward(T(rng.standard_normal(tuple(out.shape))))
    np.testing.assert_allclose(weight.grad.numpy(), np.array(ref["weight_grad"]), rtol=0, atol=1e-12)
    if weighted:
        np.testing.assert_allclose(psw.grad.numpy(), np.array(ref["psw_grad"]), rtol=0, atol=1e-12)
    if "max_norm" in kwargs:
        np.testing.assert_allclose(N(weight), np.array(ref["renormed"]), rtol=0, atol=1e-12)
    assert out.grad_fn.name() == "EmbeddingBagBackward0"


def test_padding_row_receives_no_gradient():
    table, _ = _table()
    weight = T(table, requires_grad=True)
    for mode in ("sum", "mean", "max"):
        weight.grad = None
        F.embedding_bag(I(INDICES), weight, I([0, 4]), mode=mode, padding_idx=2).sum().backward()
        np.testing.assert_array_equal(weight.grad.numpy()[2], np.zeros(3))


def test_scale_grad_by_freq_divides_by_each_index_count_in_the_batch():
    # torch's documented rule (and F.embedding's); torch 2.13's CPU embedding_bag kernel divides some
    # rows by the count of another index (for [3, 3, 3, 1, 7, 3] it gives row 7 a quarter), so the
    # expectation is written out here
    table, rng = _table()
    weight = T(table, requires_grad=True)
    g = rng.standard_normal((2, 3))
    F.embedding_bag(I([3, 3, 3, 1, 7, 3]), weight, I([0, 2]), mode="sum", scale_grad_by_freq=True).backward(T(g))
    expected = np.zeros((10, 3))
    expected[3] = (2 * g[0] + 2 * g[1]) / 4
    expected[1] = g[1]
    expected[7] = g[1]
    np.testing.assert_allclose(weight.grad.numpy(), expected, atol=1e-12)


def test_int32_indices_and_offsets():
    table, _ = _table()
    out = F.embedding_bag(plait.tensor(np.array(INDICES, dtype=np.int32)), T(table),
                          plait.tensor(np.array([0, 4], dtype=np.int32)))
    np.testing.assert_allclose(N(out), np.array(REFS["bag_mean"]["out"]), atol=1e-12)


def test_float32_table():
    table, _ = _table()
    out = F.embedding_bag(I(INDICES), plait.tensor(table.astype(np.float32)), I([0, 4]), mode="sum")
    assert out.dtype == plait.float32
    np.testing.assert_allclose(out.numpy(), np.array(REFS["bag_sum"]["out"]), atol=1e-5)


def test_gradcheck():
    table, rng = _table(1)
    weight = T(table[:5], requires_grad=True)
    psw = T(rng.standard_normal(6), requires_grad=True)
    idx, off = I([0, 4, 4, 1, 3, 2]), I([0, 2, 2, 5])
    assert gradcheck(lambda w, p: F.embedding_bag(idx, w, off, mode="sum", per_sample_weights=p), (weight, psw))
    assert gradcheck(lambda w: F.embedding_bag(idx, w, off, mode="mean", padding_idx=4), (weight,))
    assert gradcheck(lambda w: F.embedding_bag(idx, w, off, mode="max"), (weight,))


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(offsets=[1, 4]), RuntimeError, "offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to "
                                         "start from position 0. However, got 1"),
    (dict(offsets=[0, 11]), RuntimeError, "offsets[-1] can not be greater than input's length 10 but got "
                                          "offsets[-1] of 11"),
    (dict(offsets=[0, 4], mode="x"), ValueError, "mode has to be one of sum, mean or max"),
    (dict(offsets=[0, 4], mode="mean", psw=True), NotImplementedError,
     "embedding_bag: per_sample_weights was not None. per_sample_weights is only supported for mode='sum' (got "
     "mode='mean'). Please open a feature request on GitHub."),
    (dict(offsets=[0, 4], padding_idx=10), RuntimeError,
     "padding_idx must be within the number of embeddings, -10 through 9, but got 10"),
    (dict(offsets=[0, 4], mode="max", scale_grad_by_freq=True), ValueError,
     "max mode does not support scaling the gradient by the frequency"),
    (dict(offsets=[0, 4], mode="max", sparse=True), ValueError, "max mode does not support sparse weights"),
    (dict(offsets=None), ValueError, "offsets has to be a 1D Tensor but got None"),
    (dict(offsets=[[0, 4]]), ValueError, "offsets has to be a 1D Tensor"),
    (dict(offsets=[0, 4], input=[[1, 2]]), ValueError, "if input is 2D, then offsets has to be None, as input is "
                                                       "treated is a mini-batch of fixed length sequences. However, "
                                                       "found offsets of type <class 'plait.tensor.Tensor'>"),
    (dict(input=[[[1]]]), ValueError, "input has to be 1D or 2D Tensor, but got Tensor of dimension 3"),
    (dict(offsets=[0, 4], input=[1, 12]), RuntimeError,
     "embedding_bag: Expected idx >= 0 && idx < num_embeddings but found idx to be 12"),
    (dict(offsets=[0, 4], input=[-2, 1]), RuntimeError,
     "embedding_bag: Expected idx >= 0 && idx < num_embeddings but found idx to be -2"),
    (dict(offsets=[0, 4], input_dtype=np.float64), RuntimeError,
     "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got "
     "plait.DoubleTensor instead (while checking arguments for embedding_bag)"),
])
def test_errors_match_torch(kwargs, error, message):
    table, _ = _table()
    idx = np.asarray(kwargs.get("input", INDICES), dtype=kwargs.get("input_dtype", np.int64))
    offsets = kwargs.get("offsets")
    extra = {k: v for k, v in kwargs.items() if k in ("mode", "padding_idx", "scale_grad_by_freq", "sparse")}
    psw = T(np.ones(idx.shape)) if kwargs.get("psw") else None
    with pytest.raises(error) as info:
        F.embedding_bag(plait.tensor(idx), T(table), None if offsets is None else I(offsets),
                        per_sample_weights=psw, **extra)
    assert str(info.value) == message


def test_per_sample_weights_shape_and_dtype_errors():
    table, _ = _table()
    with pytest.raises(ValueError, match=r"embedding_bag: If per_sample_weights \(plait.Size\(\[7\]\)\) is not None, "
                                         r"then it must have the same shape as the input \(plait.Size\(\[10\]\)\)"):
        F.embedding_bag(I(INDICES), T(table), I([0, 4]), mode="sum", per_sample_weights=T(np.ones(7)))
    with pytest.raises(RuntimeError, match=r"Expected tensor for argument #1 'weight' to have the same type as tensor "
                                           r"for argument #1 'per_sample_weights'; but type plait.DoubleTensor does "
                                           r"not equal plait.FloatTensor"):
        F.embedding_bag(I(INDICES), T(table), I([0, 4]), mode="sum",
                        per_sample_weights=plait.ones(10, dtype=plait.float32))
    with pytest.raises(ValueError, match="weight has to be a 2D Tensor, but got Tensor of dimension 1"):
        F.embedding_bag(I(INDICES), T(table.reshape(-1)), I([0, 4]))


def test_empty_input_gives_zero_bags_in_the_graph():
    table, _ = _table()
    weight = T(table, requires_grad=True)
    for mode in ("sum", "mean", "max"):
        out = F.embedding_bag(I(np.zeros(0, dtype=np.int64)), weight, I([0, 0]), mode=mode)
        np.testing.assert_array_equal(N(out), np.zeros((2, 3)))
        out.sum().backward()
        np.testing.assert_array_equal(weight.grad.numpy(), np.zeros((10, 3)))
    assert tuple(F.embedding_bag(I(np.zeros(0, dtype=np.int64)), weight, I(np.zeros(0, dtype=np.int64))).shape) == \
        (0, 3)


def test_module_defaults_repr_and_from_pretrained():
    plait.manual_seed(0)
    bag = nn.EmbeddingBag(10, 3)
    assert bag.mode == "mean" and tuple(bag.weight.shape) == (10, 3) and bag.weight.requires_grad
    assert repr(bag) == "EmbeddingBag(10, 3, mode='mean')"
    assert repr(nn.EmbeddingBag(10, 3, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True, mode="max",
                                padding_idx=2, include_last_offset=True)) == \
        "EmbeddingBag(10, 3, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True, mode='max', padding_idx=2)"
    padded = nn.EmbeddingBag(10, 3, padding_idx=-1)
    assert padded.padding_idx == 9
    np.testing.assert_array_equal(N(padded.weight)[9], np.zeros(3))
    with pytest.raises(AssertionError, match="padding_idx must be within num_embeddings"):
        nn.EmbeddingBag(10, 3, padding_idx=10)
    table, _ = _table()
    frozen = nn.EmbeddingBag.from_pretrained(T(table), mode="sum")
    assert not frozen.weight.requires_grad
    np.testing.assert_allclose(N(frozen(I(INDICES), I([0, 4]))), np.array(REFS["bag_sum"]["out"]), atol=1e-12)
    trainable = nn.EmbeddingBag.from_pretrained(T(table), freeze=False, mode="max", include_last_offset=True)
    assert trainable.weight.requires_grad
    np.testing.assert_allclose(N(trainable(I(INDICES), I([0, 2, 4, 10]))),
                               np.array(REFS["bag_include_last_offset_max"]["out"]), atol=1e-12)
    two_d = nn.EmbeddingBag.from_pretrained(T(table), mode="sum")
    _, rng = _table()
    psw = rng.standard_normal((2, 5))
    np.testing.assert_allclose(N(two_d(I(BAGS["two_d_per_sample_weights"][0]), per_sample_weights=T(psw))),
                               np.array(REFS["bag_two_d_per_sample_weights"]["out"]), atol=1e-12)
    with pytest.raises(AssertionError, match="Embeddings parameter is expected to be 2-dimensional"):
        nn.EmbeddingBag.from_pretrained(T(np.ones(3)))
    assert set(nn.EmbeddingBag(4, 2).state_dict()) == {"weight"}


def test_module_trains():
    plait.manual_seed(0)
    bag = nn.EmbeddingBag(6, 4, mode="mean")
    head = nn.Linear(4, 2)
    opt = plait.optim.SGD([*bag.parameters(), *head.parameters()], lr=0.5)
    idx, off, target = I([0, 1, 2, 3, 4, 5]), I([0, 3]), plait.tensor([0, 1])
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = F.cross_entropy(head(bag(idx, off)), target)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_against_live_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    table = rng.standard_normal((8, 4))
    for mode, pad, offsets in itertools.product(("sum", "mean", "max"), (None, 0, 5),
                                                ([0, 3], [0, 0, 7, 12], [0, 1, 2, 3, 4, 12])):
        idx = rng.integers(0, 8, 12)
        pw, tw = T(table, requires_grad=True), torch.tensor(table, requires_grad=True)
        po = F.embedding_bag(I(idx), pw, I(offsets), mode=mode, padding_idx=pad)
        to = torch.nn.functional.embedding_bag(torch.tensor(idx), tw, torch.tensor(offsets), mode=mode,
                                               padding_idx=pad)
        np.testing.assert_allclose(N(po), to.detach().numpy(), atol=1e-12)
        g = rng.standard_normal(tuple(to.shape))
        po.backward(T(g))
        to.backward(torch.tensor(g))
        np.testing.assert_allclose(pw.grad.numpy(), tw.grad.numpy(), atol=1e-12)


def torch_extras(torch, lst):
    """The reference numbers, as torch computes them (used only to regenerate REFS)."""
    refs = {}
    for name, (indices, offsets, kwargs, weighted) in BAGS.items():
        table, rng = _table()
        weight = torch.tensor(table, requires_grad=True)
        psw = torch.tensor(rng.standard_normal(np.shape(indices)), requires_grad=True) if weighted else None
        out = torch.nn.functional.embedding_bag(torch.tensor(indices), weight,
                                                None if offsets is None else torch.tensor(offsets),
                                                per_sample_weights=psw, **kwargs)
        out.backward(torch.tensor(rng.standard_normal(tuple(out.shape))))
        ref = {"out": lst(out.detach()), "weight_grad": lst(weight.grad)}
        if weighted:
            ref["psw_grad"] = lst(psw.grad)
        if "max_norm" in kwargs:
            ref["renormed"] = lst(weight.detach())
        refs["bag_" + name] = ref
    return refs


# ---- generated by running CASES through torch 2.13 (float64); do not edit by hand ----
REFS.update({'bag_empty_bags_max': {'out': [[1.30400004513, 0.947080963129, 0.361595054909], [0.0, 0.0, 0.0],
                                [1.30400004513, 0.947080963129, 0.22019512347], [0.0, 0.0, 0.0]],
                        'weight_grad': [[0.0, 0.0, 0.0], [0.0, 0.0, -0.159225009914],
                                        [-1.663446792957, -0.338789208564, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0],
                                        [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0],
                                        [0.0, 0.0, 0.783975470061]]},
 'bag_empty_bags_mean': {'out': [[0.0, 0.0, 0.0], [-0.305376870785, 0.064206642012, -0.52935037605],
                                 [-0.190349263037, 0.142455993485, -0.487413672604], [0.0, 0.0, 0.0],
                                 [0.0, 0.0, 0.0]],
                         'weight_grad': [[0.0, 0.0, 0.0], [0.180281861562, 0.071553040835, 0.11845756968],
                                         [-0.099930399617, 0.016004340681, 0.454447056849],
                                         [-0.09340408706, -0.018516233385, 0.111996495723],
                                         [0.086877774502, 0.053036807451, 0.230454065403],
                                         [-0.09340408706, -0.018516233385, 0.111996495723], [0.0, 0.0, 0.0],
                                         [0.0, 0.0, 0.0], [0.0, 0.0, 0.0],
                                         [-0.09340408706, -0.018516233385, 0.111996495723]]},
 'bag_empty_bags_sum': {'out': [[-0.916130612356, 0.192619926036, -1.588051128151], [0.0, 0.0, 0.0],
                                [-1.332444841256, 0.997191954393, -3.411895708226], [0.0, 0.0, 0.0]],
                        'weight_grad': [[0.0, 0.0, 0.0], [-1.009618183539, -0.209175574872, -0.159225009914],
                                        [-2.971104011794, -0.59801647595, 2.19270140027],
                                        [-0.653828609418, -0.129613633693, 0.783975470061],
                                        [-1.663446792957, -0.338789208564, 0.624750460147],
                                        [-0.653828609418, -0.129613633693, 0.783975470061], [0.0, 0.0, 0.0],
                                        [0.0, 0.0, 0.0], [0.0, 0.0, 0.0],
                                        [-0.653828609418, -0.129613633693, 0.783975470061]]},
 'bag_include_last_offset_max': {'out': [[1.30400004513, 0.947080963129, 0.361595054909],
                                         [-0.732267354703, -0.218791663933, -0.316300156369],
                                         [1.30400004513, 0.947080963129, 0.22019512347]],
                                 'weight_grad': [[0.0, 0.0, 0.0], [0.0, 0.0, -0.159225009914],
                                                 [-1.663446792957, -0.338789208564, 0.0], [0.0, 0.0, 0.0],
                                                 [0.0, 0.214659122506, 0.0], [0.540845584686, 0.0, 0.35537270904],
                                                 [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0],
                                                 [0.0, 0.0, 0.783975470061]]},
 'bag_include_last_offset_mean': {'out': [[-0.79468574834, -0.114086144151, -0.630052446355], [0.0, 0.0, 0.0],
                                          [0.344970657617, 0.352048520237, -0.369936920921]],
                                  'weight_grad': [[0.0, 0.0, 0.0],
                                                  [-0.201923636708, -0.041835114974, -0.031845001983],
                                                  [-0.594220802359, -0.11960329519, 0.438540280054],
                                                  [-0.130765721884, -0.025922726739, 0.156795094012],
                                                  [-0.403847273415, -0.083670229949, -0.063690003966],
                                                  [-0.201923636708, -0.041835114974, -0.031845001983],
                                                  [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0],
                                                  [-0.130765721884, -0.025922726739, 0.156795094012]]},
 'bag_include_last_offset_sum': {'out': [[1.408900162283, 0.411411589968, -0.342140180898],
                                         [-3.057298129342, -0.76305064679, -1.562211103622],
                                         [-0.600177486553, 1.54145093725, -3.095595551857]],
                                 'weight_grad': [[0.0, 0.0, 0.0], [-1.009618183539, -0.209175574872, -0.159225009914],
                                                 [-2.971104011794, -0.59801647595, 2.19270140027],
                                                 [-0.653828609418, -0.129613633693, 0.783975470061],
                                                 [-0.112983024733, 0.085045488814, 1.139348179101],
                                                 [0.540845584686, 0.214659122506, 0.35537270904], [0.0, 0.0, 0.0],
                                                 [0.0, 0.0, 0.0], [0.0, 0.0, 0.0],
                                                 [-0.653828609418, -0.129613633693, 0.783975470061]]},
 'bag_max': {'out': [[1.30400004513, 0.947080963129, 0.361595054909], [1.30400004513, 0.947080963129, 0.22019512347]],
             'weight_grad': [[0.0, 0.0, 0.0], [0.0, 0.0, -0.159225009914], [-0.468772598853, 0.005483547635, 0.0],
                             [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0],
                             [0.0, 0.0, 0.0], [0.0, 0.0, 0.35537270904]]},
 'bag_max_norm': {'out': [[-0.896702212583, -0.441664380123, 0.029284390984],
                          [0.490449176307, -0.481052739156, 0.293468743255]],
                  'renormed': [[0.125730221093, -0.132104863291, 0.640422650443],
                               [0.104900117153, -0.535669373161, 0.361595054909],
                               [1.30400004513, 0.947080963129, -0.703735235807],
                               [-0.896702212583, -0.441664380123, 0.029284390984],
                               [-2.325030774639, -0.218791663933, -1.245910947253],
                               [-0.732267354703, -0.544258982857, -0.316300156369],
                               [0.411630536374, 1.042513369443, -0.128534662944],
                               [0.875998235461, -0.426436105151, 0.225342431601],
                               [0.903470181652, 0.094012297761, -0.743499249354],
                               [-0.921725376258, -0.457725825667, 0.22019512347]],
                  'weight_grad': [[0.0, 0.0, 0.0], [0.270422792343, 0.107329561253, 0.17768635452], [0.0, 0.0, 0.0],
                                  [-1.009618183539, -0.209175574872, -0.159225009914], [0.0, 0.0, 0.0],
                                  [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.270422792343, 0.107329561253, 0.17768635452],
                                  [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]},
 'bag_mean': {'out': [[-0.412099491765, -0.087909764205, -0.47608782113],
                      [-0.100029581092, 0.256908489542, -0.515932591976]],
              'weight_grad': [[0.0, 0.0, 0.0], [-0.252404545885, -0.052293893718, -0.039806252479],
                              [0.018018246458, 0.055035667535, 0.137880102041],
                              [0.090140930781, 0.035776520418, 0.05922878484],
                              [-0.162263615104, -0.0165173733, 0.019422532361],
                              [-0.252404545885, -0.052293893718, -0.039806252479], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0],
                              [0.0, 0.0, 0.0], [0.090140930781, 0.035776520418, 0.05922878484]]},
 'bag_padding_max': {'out': [[0.104900117153, -0.218791663933, 0.361595054909],
                             [-0.921725376258, -0.218791663933, 0.22019512347], [0.0, 0.0, 0.0]],
                     'weight_grad': [[0.0, 0.0, 0.0], [-1.009618183539, 0.0, -0.159225009914], [0.0, 0.0, 0.0],
                                     [0.0, 0.0, 0.0], [0.0, 0.005483547635, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0],
                                     [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.540845584686, 0.0, 0.35537270904]]},
 'bag_padding_mean': {'out': [[-0.98413267073, -0.432906673317, -0.400205349571],
                              [-1.504059207314, -0.433263984046, -0.328129948145], [0.0, 0.0, 0.0]],
                      'weight_grad': [[0.0, 0.0, 0.0], [-0.336539394513, -0.069725191624, -0.053075003305],
                                      [0.0, 0.0, 0.0], [0.180281861562, 0.071553040835, 0.11845756968],
                                      [-0.156257532951, 0.001827849212, 0.065382566375],
                                      [-0.336539394513, -0.069725191624, -0.053075003305], [0.0, 0.0, 0.0],
                                      [0.0, 0.0, 0.0], [0.0, 0.0, 0.0],
                                      [0.180281861562, 0.071553040835, 0.11845756968]]},
 'bag_padding_sum': {'out': [[-2.952398012189, -1.298720019951, -1.200616048713],
                             [-4.512177621943, -1.299791952137, -0.984389844436], [0.0, 0.0, 0.0]],
                     'weight_grad': [[0.0, 0.0, 0.0], [-1.009618183539, -0.209175574872, -0.159225009914],
                                     [0.0, 0.0, 0.0], [0.540845584686, 0.214659122506, 0.35537270904],
                                     [-0.468772598853, 0.005483547635, 0.196147699125],
                                     [-1.009618183539, -0.209175574872, -0.159225009914], [0.0, 0.0, 0.0],
                                     [0.0, 0.0, 0.0], [0.0, 0.0, 0.0],
                                     [0.540845584686, 0.214659122506, 0.35537270904]]},
 'bag_per_sample_weights': {'out': [[-0.105909065733, 0.540821539508, -0.365072942514],
                                    [-1.247390798658, -0.726089528676, -0.078245162995],
                                    [2.236613968202, 1.596987329009, -1.171109340882]],
                            'psw_grad': [-0.456376823485, 1.490209540764, -1.483313867377, -0.616767349639,
                                         -1.483313867377, -1.166489830628, 2.489908431475, -1.844444306926,
                                         2.489908431475, 2.489908431475],
                            'weight_grad': [[0.0, 0.0, 0.0], [1.271175455479, -1.528484971468, -1.358820300629],
                                            [2.20377905249, 3.127314629897, 2.990759734508],
                                            [0.277656749071, 0.093980313771, -0.111559601031],
                                            [0.043311304156, 0.014659863187, -0.017402032646],
                                            [0.422568821334, 0.143029660009, -0.169783768174], [0.0, 0.0, 0.0],
                                            [0.0, 0.0, 0.0], [0.0, 0.0, 0.0],
                                            [-0.188979358792, -0.254076203372, -0.233516442071]]},
 'bag_per_sample_weights_padding': {'out': [[-0.105909065733, 0.540821539508, -0.365072942514],
                                            [-0.974625839585, -0.527983323764, -0.225449385503],
                                            [0.119468175284, 0.0593275075, -0.028540290074]],
                                    'psw_grad': [-0.456376823485, 0.0, -1.483313867377, -0.616767349639,
                                                 -1.483313867377, -1.166489830628, 0.0, -1.844444306926, 0.0, 0.0],
                                    'weight_grad': [[0.0, 0.0, 0.0],
                                                    [1.271175455479, -1.528484971468, -1.358820300629],
                                                    [0.0, 0.0, 0.0],
                                                    [0.277656749071, 0.093980313771, -0.111559601031],
                                                    [0.043311304156, 0.014659863187, -0.017402032646],
                                                    [0.422568821334, 0.143029660009, -0.169783768174],
                                                    [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0],
                                                    [-0.188979358792, -0.254076203372, -0.233516442071]]},
 'bag_sum': {'out': [[-1.648397967059, -0.351639056822, -1.90435128452],
                     [-0.600177486553, 1.54145093725, -3.095595551857]],
             'weight_grad': [[0.0, 0.0, 0.0], [-1.009618183539, -0.209175574872, -0.159225009914],
                             [0.612918570519, 0.434801792647, 0.906893117205],
                             [0.540845584686, 0.214659122506, 0.35537270904],
                             [-0.468772598853, 0.005483547635, 0.196147699125],
                             [-1.009618183539, -0.209175574872, -0.159225009914], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0],
                             [0.0, 0.0, 0.0], [0.540845584686, 0.214659122506, 0.35537270904]]},
 'bag_two_d_max': {'out': [[0.104900117153, -0.535669373161, 0.361595054909],
                           [-0.732267354703, -0.218791663933, -0.316300156369],
                           [-1.265421471046, -0.218791663933, 0.041325979347],
                           [-0.921725376258, -0.457725825667, 0.22019512347], [0.0, 0.0, 0.0]],
                   'weight_grad': [[0.0, 0.0, 0.0], [-1.009618183539, -0.209175574872, -0.159225009914],
                                   [0.0, 0.0, 0.0], [-0.653828609418, 0.0, 0.783975470061],
                                   [0.0, 0.085045488814, 0.0], [0.540845584686, 0.0, 0.35537270904], [0.0, 0.0, 0.0],
                                   [0.0, 0.0, 0.0], [0.0, 0.0, 0.0],
                                   [1.493431145221, -1.259065532104, 1.513923774739]]},
 'bag_two_d_mean': {'out': [[-0.79468574834, -0.114086144151, -0.630052446355],
                            [0.344970657617, 0.352048520237, -0.369936920921]],
                    'weight_grad': [[0.0, 0.0, 0.0], [-0.201923636708, -0.041835114974, -0.031845001983],
                                    [0.122583714104, 0.086960358529, 0.181378623441],
                                    [0.108169116937, 0.042931824501, 0.071074541808],
                                    [-0.403847273415, -0.083670229949, -0.063690003966],
                                    [-0.201923636708, -0.041835114974, -0.031845001983], [0.0, 0.0, 0.0],
                                    [0.0, 0.0, 0.0], [0.0, 0.0, 0.0],
                                    [0.108169116937, 0.042931824501, 0.071074541808]]},
 'bag_two_d_per_sample_weights': {'out': [[-0.903603608148, 0.036226745059, -0.458004230744],
                                          [1.786917711959, 1.375492594781, -1.156423215648]],
                                  'psw_grad': [[-0.456376823485, -1.155153082724, 0.919291283558, -0.327694634167,
                                                0.919291283558],
                                               [-1.166489830628, 1.490209540764, -0.910326989437, 1.490209540764,
                                                1.490209540764]],
                                  'weight_grad': [[0.0, 0.0, 0.0], [1.271175455479, -1.528484971468, -1.358820300629],
                                                  [1.531885762387, 0.112688469036, -0.791202442696],
                                                  [0.277656749071, 0.093980313771, -0.111559601031],
                                                  [-0.069795180467, 0.083923020984, 0.074607409777],
                                                  [-0.680960033869, 0.818798989118, 0.72791078049], [0.0, 0.0, 0.0],
                                                  [0.0, 0.0, 0.0], [0.0, 0.0, 0.0],
                                                  [-0.10126860969, -0.034277055197, 0.040688676691]]}})
