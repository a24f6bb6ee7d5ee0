"""plait.onnx.export: the written model passes onnx's full checker and onnxruntime (CPU) reproduces
plait's outputs, including at another size of a declared dynamic axis."""
import io
import os

import numpy as np
import pytest

import plait
import plait.nn as nn
import plait.nn.functional as F
import plait.onnx
from plait.autograd.graph import trace_state

onnx = pytest.importorskip("onnx", reason="plait.onnx.export needs the onnx package")
ort = pytest.importorskip("onnxruntime", reason="the exported models are run with onnxruntime")


def _export(model, args, dynamic=True, **kw):
    args = args if isinstance(args, tuple) else (args,)
    names = [f"in{i}" for i in range(len(args))]
    buf = io.BytesIO()
    dyn = {n: [0] for n in names} | {"out": [0]} if dynamic else None
    proto = plait.onnx.export(model, args, buf, input_names=names, output_names=["out"], dynamic_axes=dyn,
                              external_data=False, **kw)
    onnx.checker.check_model(onnx.load_from_string(buf.getvalue()), full_check=True)
    return proto, ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"]), names


def _check(model, *shapes, dynamic=True, other_batch=3, integer_inputs=None, atol=1e-5, **kw):
    """Export ``model`` on random inputs of ``shapes`` and compare onnxruntime with plait, at the traced
    batch size and (dynamic) at ``other_batch``."""
    rng = np.random.default_rng(0)

    def make(batch):
        out = []
        for i, s in enumerate(shapes):
            s = (batch,) + tuple(s[1:]) if dynamic else s
            if integer_inputs and i in integer_inputs:
                out.append(plait.tensor(rng.integers(0, integer_inputs[i], size=s)))
            else:
                out.append(plait.tensor(rng.standard_normal(s).astype(np.float32)))
        return tuple(out)
    model.eval()
    proto, sess, names = _export(model, make(shapes[0][0]), dynamic, **kw)
    for batch in ([shapes[0][0], other_batch] if dynamic else [shapes[0][0]]):
        args = make(batch)
        with plait.no_grad():
            ref = model(*args).numpy()
        got = sess.run(None, {n: a.numpy() for n, a in zip(names, args)})[0]
        assert got.shape == ref.shape
        np.testing.assert_allclose(got, ref, atol=atol, rtol=1e-5)
    return proto


class Fn(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, *args):
        return self.fn(*args)


# ------------------------------------------------------------------------------------------ group 1
ELEMENTWISE = [
    lambda x: x + 2.5, lambda x: 3 - x, lambda x: x * x - x / 3, lambda x: 2 / (x.abs() + 1),
    lambda x: x.abs() ** 1.5, lambda x: 2 ** x, lambda x: x.exp().log1p(), lambda x: x.abs().sqrt().rsqrt(),
    lambda x: x.sin() + x.cos() + x.tanh(), lambda x: x.sigmoid() * x.neg(), lambda x: x.clamp(-0.5, 0.7),
    lambda x: x.clamp(min=0.1), lambda x: plait.maximum(x, x * 0.3), lambda x: x.abs().log2() + x.expm1(),
    lambda x: x.floor() + x.ceil() + x.round() + x.sign(), lambda x: x.square().reciprocal(),
    lambda x: plait.where(x > 0, x, x * 2), lambda x: (x >= 0.2).float() + (x != 0).float(),
    lambda x: x.erf(), lambda x: x.add(x, alpha=2).sub(1, alpha=3),
]


@pytest.mark.parametrize("fn", ELEMENTWISE, ids=range(len(ELEMENTWISE)))
def test_elementwise(fn):
    _check(Fn(fn), (2, 3, 4))


ACTIVATIONS = [nn.ReLU(), nn.Sigmoid(), nn.Tanh(), nn.GELU(), nn.GELU(approximate="tanh"), nn.SiLU(),
               nn.LeakyReLU(0.1), nn.ELU(), nn.Softplus(), nn.Hardtanh(), nn.ReLU6(), nn.Softmax(dim=1),
               nn.LogSoftmax(dim=-1), nn.Dropout(0.5), nn.Identity(), nn.ReLU(inplace=True), nn.Mish(),
               nn.Hardswish(), nn.Hardsigmoid(), nn.SELU()]


@pytest.mark.parametrize("layer", ACTIVATIONS, ids=lambda m: repr(m))
def test_activations(layer):
    _check(nn.Sequential(Fn(lambda x: x * 4), layer), (2, 5, 3))


REDUCTIONS = [
    lambda x: x.sum(1), lambda x: x.mean((1, 2), keepdim=True), lambda x: x.amax(-1),
    lambda x: x.max(dim=1).values, lambda x: x.min(dim=2, keepdim=True)[0], lambda x: x.argmax(1).float(),
    lambda x: x.sum(), lambda x: x.prod(2), lambda x: x.norm(dim=1), lambda x: x.cumsum(1),
    lambda x: x.amin(1), lambda x: x.cumprod(2), lambda x: (x * (x.abs() > 0.5)).cumprod(1),
]


@pytest.mark.parametrize("fn", REDUCTIONS, ids=range(len(REDUCTIONS)))
def test_reductions(fn):
    _check(Fn(fn), (2, 3, 4), dynamic=fn is not REDUCTIONS[6])


SHAPES = [
    lambda x: x.view(x.size(0), -1), lambda x: x.reshape(-1, 4), lambda x: x.flatten(1),
    lambda x: x.permute(0, 2, 1), lambda x: x.transpose(1, 2), lambda x: x.unsqueeze(1).squeeze(1),
    lambda x: plait.cat([x, x * 2], dim=2), lambda x: plait.stack([x, -x], dim=1),
    lambda x: x.split(2, dim=2)[1], lambda x: x[:, 1:3, ::2], lambda x: x[:, 0], lambda x: x[..., None, -1],
    lambda x: x[:, :1].expand(-1, 3, -1), lambda x: x.chunk(2, dim=-1)[0], lambda x: x.flip(1),
    lambda x: x.repeat(1, 2, 1), lambda x: x.index_select(2, plait.tensor([3, 0])),
    lambda x: x.gather(2, plait.tensor([[[0, 1], [2, 3], [1, 1]]]).expand(2, 3, 2)),
    lambda x: x.triu(), lambda x: x.mT @ x, lambda x: x.contiguous().view(x.shape[0], 12) @ plait.ones(12, 2),
]


@pytest.mark.parametrize("fn", SHAPES, ids=range(len(SHAPES)))
def test_shape_ops(fn):
    _check(Fn(fn), (2, 3, 4), dynamic=fn not in (SHAPES[1], SHAPES[17]))


def test_linear_embedding_and_constant():
    plait.manual_seed(0)

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(10, 6)
            self.lin = nn.Linear(6, 4)
            self.register_buffer("offset", plait.arange(4.0))

        def forward(self, tokens):
            return self.lin(self.emb(tokens)) + self.offset + plait.tensor([1.0, 0.0, 0.0, 2.0])
    proto = _check(M(), (2, 5), integer_inputs={0: 10})
    names = {i.name for i in proto.graph.initializer if not i.name.startswith("onnx::")}
    assert names == {"emb.weight", "lin.weight", "lin.bias", "offset"}


# ------------------------------------------------------------------------------------------ group 2
CONV_LAYERS = [
    lambda: nn.Conv2d(4, 6, 3, padding=1), lambda: nn.Conv2d(4, 6, 3, stride=2, dilation=2, groups=2),
    lambda: nn.Conv2d(4, 4, 3, padding="same", padding_mode="reflect"),
    lambda: nn.Conv2d(4, 6, (3, 2), padding=(1, 0), padding_mode="replicate", bias=False),
    lambda: nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1),
    lambda: nn.MaxPool2d(2), lambda: nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True),
    lambda: nn.AvgPool2d(2), lambda: nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False),
    lambda: nn.AdaptiveAvgPool2d(1), lambda: nn.AdaptiveAvgPool2d((2, 4)), lambda: nn.BatchNorm2d(4),
    lambda: nn.GroupNorm(2, 4), lambda: nn.InstanceNorm2d(4, affine=True), lambda: nn.LayerNorm([8]),
    lambda: nn.PixelShuffle(2), lambda: nn.Upsample(scale_factor=2), lambda: nn.AdaptiveMaxPool2d(1),
    lambda: nn.Upsample(scale_factor=2, mode="bilinear"), lambda: nn.Upsample(size=(5, 12), mode="nearest"),
    lambda: nn.Upsample(size=(5, 6), mode="bilinear", align_corners=True), lambda: nn.PixelUnshuffle(2),
    lambda: nn.ConvTranspose2d(4, 2, 2, stride=2, groups=2, bias=False), lambda: nn.BatchNorm2d(4, affine=False),
    lambda: nn.InstanceNorm2d(4), lambda: nn.LayerNorm([4, 8, 8], elementwise_affine=False),
]


@pytest.mark.parametrize("make", CONV_LAYERS, ids=range(len(CONV_LAYERS)))
def test_conv_pool_norm_layers(make):
    plait.manual_seed(0)
    layer = make()
    if isinstance(layer, nn.BatchNorm2d):
        layer.running_mean.copy_(plait.tensor([0.1, -0.2, 0.3, 0.0]))
        layer.running_var.copy_(plait.tensor([1.5, 0.5, 2.0, 1.0]))
    _check(layer, (2, 4, 8, 8))


def test_1d_layers():
    plait.manual_seed(0)
    model = nn.Sequential(nn.Conv1d(3, 4, 3, padding=1), nn.BatchNorm1d(4), nn.ReLU(), nn.MaxPool1d(2),
                          nn.AvgPool1d(2), nn.Flatten(), nn.Linear(16, 3), nn.BatchNorm1d(3))
    _check(model, (2, 3, 16))


def test_subclass_with_own_forward_is_exported_as_its_ops():
    class Shifted(nn.Conv2d):
        def forward(self, x):
            return super().forward(x) + 1.0
    plait.manual_seed(0)
    _check(nn.Sequential(Shifted(4, 3, 3, padding=1)), (2, 4, 8, 8))


def test_adaptive_pool_that_does_not_divide_is_refused():
    with pytest.raises(plait.onnx.UnsupportedOperatorError,
                       match=r"AdaptiveAvgPool2d at module '<root>' .* opset 18: output_size \(3, 3\) does not"):
        plait.onnx.export(nn.AdaptiveAvgPool2d(3), (plait.randn(1, 2, 8, 8),), io.BytesIO(), dynamo=False)


# ------------------------------------------------------------------------------------------ whole models
def test_small_cnn():
    plait.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(16 * 7 * 7, 10))
    proto = _check(model, (4, 1, 28, 28))
    names = {i.name for i in proto.graph.initializer if not i.name.startswith("onnx::")}
    keys = {k for k in model.state_dict() if not k.endswith("num_batches_tracked")}
    assert keys == names


def test_lenet():
    plait.manual_seed(0)

    class LeNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)
            self.pool = nn.AvgPool2d(2)

        def forward(self, x):
            x = self.pool(F.relu(self.conv1(x)))
            x = self.pool(F.relu(self.conv2(x)))
            x = x.view(x.size(0), -1)
            return F.log_softmax(self.fc3(F.relu(self.fc2(F.relu(self.fc1(x))))), dim=1)
    _check(LeNet(), (2, 1, 28, 28))


def test_resnet_block():
    plait.manual_seed(0)

    class Block(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(c)
            self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(c)
            self.down = nn.Sequential(nn.Conv2d(c, 2 * c, 1, stride=2, bias=False), nn.BatchNorm2d(2 * c))
            self.pool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(2 * c, 5)

        def forward(self, x):
            y = F.relu(self.bn1(self.conv1(x)), inplace=True)
            y = self.bn2(self.conv2(y))
            y = F.relu(y + x)
            y = self.down(y)
            return self.fc(plait.flatten(self.pool(y), 1))
    block = Block(4)
    block.train()
    with plait.no_grad():
        block(plait.randn(8, 4, 8, 8))  # running statistics that are not the initial ones
    _check(block, (2, 4, 8, 8))


# ------------------------------------------------------------------------------------------ API
def _tiny():
    plait.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))


def test_path_target_and_defaults(tmp_path):
    model, x = _tiny().eval(), plait.randn(2, 3)
    path = tmp_path / "m.onnx"
    assert plait.onnx.export(model, x, str(path), dynamo=False) is not None
    loaded = onnx.load(str(path))
    assert loaded.opset_import[0].version == plait.onnx.DEFAULT_OPSET
    assert [i.name for i in loaded.graph.input] == ["input"]
    assert [o.name for o in loaded.graph.output] == ["output"]
    assert [d.dim_value for d in loaded.graph.input[0].type.tensor_type.shape.dim] == [2, 3]
    assert os.listdir(tmp_path) == ["m.onnx"]  # the temporary file of the atomic write is gone
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(sess.run(None, {"input": x.numpy()})[0], model(x).detach().numpy(), atol=1e-6)


def test_external_data_by_default_with_dynamo_defaults(tmp_path):
    model, x = _tiny().eval(), plait.randn(2, 3)
    path = tmp_path / "m.onnx"
    plait.onnx.export(model, (x,), path, verify=True)
    assert sorted(os.listdir(tmp_path)) == ["m.onnx", "m.onnx.data"]
    stored = onnx.load(str(path), load_external_data=False).graph.initializer
    assert {t.name for t in stored if onnx.external_data_helper.uses_external_data(t)} == set(model.state_dict())
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(sess.run(None, {"input": x.numpy()})[0], model(x).detach().numpy(), atol=1e-6)
    with pytest.raises(TypeError, match="external_data=True needs a file path"):
        plait.onnx.export(model, (x,), io.BytesIO())


def test_optimize_removes_identities_only_with_dynamo():
    model = Fn(lambda x: x[:, 1:].square())
    kept = plait.onnx.export(model, plait.randn(2, 3), None, dynamo=False)
    removed = plait.onnx.export(model, plait.randn(2, 3), None)
    assert sum(n.op_type == "Identity" for n in kept.graph.node) > 1
    assert [n.op_type for n in removed.graph.node].count("Identity") == 1  # the one naming the output
    onnx.checker.check_model(removed, full_check=True)


def test_file_object_opset_and_symbolic_names():
    buf = io.BytesIO()
    plait.onnx.export(_tiny(), (plait.randn(2, 3),), buf, dynamo=False, opset_version=17, input_names=["x"],
                      dynamic_axes={"x": {0: "batch"}})
    proto = onnx.load_from_string(buf.getvalue())
    assert proto.opset_import[0].version == 17
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"


def test_export_params_false_and_keep_initializers_as_inputs():
    buf = io.BytesIO()
    plait.onnx.export(_tiny(), plait.randn(2, 3), buf, export_params=False, dynamo=False)
    proto = onnx.load_from_string(buf.getvalue())
    assert len(proto.graph.initializer) == 0
    assert [i.name for i in proto.graph.input] == ["input", "0.weight", "0.bias", "2.weight", "2.bias"]
    buf = io.BytesIO()
    plait.onnx.export(_tiny(), plait.randn(2, 3), buf, keep_initializers_as_inputs=True, dynamo=False)
    proto = onnx.load_from_string(buf.getvalue())
    assert [i.name for i in proto.graph.input] == ["input", "0.weight", "0.bias", "2.weight", "2.bias"]


def test_kwargs_and_multiple_outputs():
    class Scaled(nn.Module):
        def forward(self, x, scale=None):
            return x * scale, x.sum(1)
    model = Scaled()
    buf = io.BytesIO()
    x, s = plait.randn(2, 3), plait.randn(3)
    plait.onnx.export(model, (x, {"scale": s}), buf, external_data=False)
    sess = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])
    a, b = sess.run(None, {"input_0": x.numpy(), "scale": s.numpy()})
    np.testing.assert_allclose(a, (x * s).numpy(), atol=1e-6)
    np.testing.assert_allclose(b, x.sum(1).numpy(), atol=1e-6)


def test_refused_arguments():
    x = plait.randn(2, 3)
    with pytest.raises(plait.onnx.OnnxExporterError, match="inference graphs only"):
        plait.onnx.export(_tiny(), x, io.BytesIO(), dynamo=False, training=plait.onnx.TrainingMode.TRAINING)
    with pytest.raises(ValueError, match="opset_version 17 to"):
        plait.onnx.export(_tiny(), x, io.BytesIO(), dynamo=False, opset_version=11)
    with pytest.raises(plait.onnx.OnnxExporterError, match="dynamic_axes="):
        plait.onnx.export(_tiny(), x, io.BytesIO(), dynamo=False, dynamic_shapes={"x": {0: "b"}})
    with pytest.raises(plait.onnx.OnnxExporterError, match="custom_opsets"):
        plait.onnx.export(_tiny(), x, io.BytesIO(), dynamo=False, custom_opsets={"my": 1})
    with pytest.raises(plait.onnx.OnnxExporterError, match="autograd_inlining=False"):
        plait.onnx.export(_tiny(), x, io.BytesIO(), dynamo=False, autograd_inlining=False)
    with pytest.raises(plait.onnx.OnnxExporterError, match="report=True"):
        plait.onnx.export(_tiny(), x, io.BytesIO(), dynamo=False, report=True)
    with pytest.raises(ValueError, match=r"dynamic_axes names \['y'\]"):
        plait.onnx.export(_tiny(), x, io.BytesIO(), dynamo=False, dynamic_axes={"y": [0]})


def test_unsupported_op_error_names_op_module_and_opset():
    class Inner(nn.Module):
        def forward(self, x):
            return x.nonzero()
    model = nn.Sequential(nn.Linear(3, 3), nn.Sequential(Inner()))
    with pytest.raises(plait.onnx.UnsupportedOperatorError,
                       match=r"the op '_NonZero' \(run in module '1.0'\) has no ONNX mapping in opset 18"):
        plait.onnx.export(model, plait.randn(2, 3), io.BytesIO(), dynamo=False)


def test_unused_unsupported_op_does_not_fail():
    model = Fn(lambda x: (x.nonzero(), x * 2)[1])
    plait.onnx.export(model, plait.randn(2, 3), io.BytesIO(), dynamo=False)


def test_tracing_state_is_reset_and_mode_restored():
    model = _tiny()
    model.train()
    seen = []
    hooks_before = [len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules()]
    model[1].register_forward_hook(lambda m, a, o: seen.append(plait.onnx.is_in_onnx_export()))
    plait.onnx.export(model, plait.randn(2, 3), io.BytesIO(), dynamo=False, training=plait.onnx.TrainingMode.EVAL)
    assert seen == [True] and not plait.onnx.is_in_onnx_export()
    assert trace_state.active is False and trace_state.recorder is None
    assert model.training
    failing = nn.Sequential(nn.Linear(3, 3), Fn(lambda x: x.reshape(5, 7)))
    with pytest.raises(RuntimeError):
        plait.onnx.export(failing, plait.randn(2, 3), io.BytesIO(), dynamo=False)
    assert trace_state.active is False and trace_state.recorder is None
    assert not plait.onnx.is_in_onnx_export()
    assert [len(m._forward_hooks) + len(m._forward_pre_hooks) for m in failing.modules()] == [0, 0, 0]
    model[1]._forward_hooks.clear()
    assert [len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules()] == hooks_before


def test_import_without_onnx_package(monkeypatch):
    import subprocess
    import sys
    code = ("import sys; sys.modules['onnx'] = None\n"
            "import plait, plait.onnx, plait.nn as nn\n"
            "assert not plait.onnx.is_in_onnx_export()\n"
            "try:\n    plait.onnx.export(nn.Linear(2, 2), plait.randn(1, 2), None)\n"
            "except ModuleNotFoundError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "pip install onnx" in out


# ------------------------------------------------------------------------------------------ group 3
RECURRENT = [
    lambda: nn.LSTM(4, 6), lambda: nn.LSTM(4, 6, num_layers=2, bidirectional=True, batch_first=True),
    lambda: nn.GRU(4, 6, num_layers=2), lambda: nn.GRU(4, 6, bidirectional=True, batch_first=True, bias=False),
    lambda: nn.RNN(4, 6, nonlinearity="relu"), lambda: nn.RNN(4, 6, num_layers=2, bidirectional=True),
]


@pytest.mark.parametrize("make", RECURRENT, ids=range(len(RECURRENT)))
def test_recurrent_layers_all_outputs(make):
    plait.manual_seed(0)
    rnn = make().eval()
    x = plait.randn(3, 5, 4)
    proto, sess, _ = _export(rnn, (x,), dynamic=False)
    names = {i.name for i in proto.graph.initializer if not i.name.startswith("onnx::")}
    assert names == set(rnn.state_dict())
    with plait.no_grad():
        out, state = rnn(x)
    expected = [out] + list(state if isinstance(state, tuple) else (state,))
    got = sess.run(None, {"in0": x.numpy()})
    assert len(got) == len(expected)
    for g, r in zip(got, expected):
        np.testing.assert_allclose(g, r.numpy(), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("make", [lambda: nn.LSTM(4, 6, num_layers=2), lambda: nn.GRU(4, 6, batch_first=True),
                                  lambda: nn.RNN(4, 6, bidirectional=True)], ids=range(3))
def test_recurrent_layers_unbatched(make):
    plait.manual_seed(0)
    rnn = make().eval()
    x = plait.randn(5, 4)
    dirs = 2 if rnn.bidirectional else 1
    h0 = plait.randn(rnn.num_layers * dirs, 6)
    state = (h0, h0 * 0.5) if isinstance(rnn, nn.LSTM) else h0
    model = Fn(lambda x: plait.cat([t.reshape(-1) for t in [rnn(x, state)[0]] + list(
        rnn(x, state)[1] if isinstance(rnn, nn.LSTM) else [rnn(x, state)[1]])]))
    model.rnn = rnn
    _, sess, _ = _export(model, (x,), dynamic=False)
    with plait.no_grad():
        np.testing.assert_allclose(sess.run(None, {"in0": x.numpy()})[0], model(x).numpy(), atol=1e-5)


def test_lstm_with_initial_state():
    plait.manual_seed(0)
    lstm = nn.LSTM(3, 5, num_layers=2).eval()
    x, h0, c0 = plait.randn(4, 2, 3), plait.randn(2, 2, 5), plait.randn(2, 2, 5)
    model = Fn(lambda x, h, c: lstm(x, hx=(h, c))[1][1])
    model.lstm = lstm
    buf = io.BytesIO()
    plait.onnx.export(model, (x, h0, c0), buf, input_names=["x", "h", "c"], dynamo=False)
    sess = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])
    with plait.no_grad():
        ref = model(x, h0, c0).numpy()
    got = sess.run(None, {"x": x.numpy(), "h": h0.numpy(), "c": c0.numpy()})[0]
    np.testing.assert_allclose(got, ref, atol=1e-5)


def test_lstm_language_model():
    plait.manual_seed(0)

    class LM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(20, 8)
            self.lstm = nn.LSTM(8, 12, num_layers=2, batch_first=True)
            self.drop = nn.Dropout(0.3)
            self.head = nn.Linear(12, 20)

        def forward(self, tokens):
            out, _ = self.lstm(self.drop(self.embed(tokens)))
            return F.log_softmax(self.head(self.drop(out)), dim=-1)
    _check(LM(), (2, 7), integer_inputs={0: 20})


def test_transformer_encoder():
    plait.manual_seed(0)
    layer = nn.TransformerEncoderLayer(16, 4, 32, dropout=0.1, batch_first=True)
    model = nn.Sequential(nn.TransformerEncoder(layer, 2, enable_nested_tensor=False), nn.Linear(16, 3))
    _check(model, (2, 5, 16))


def test_multihead_attention_with_mask():
    plait.manual_seed(0)
    mha = nn.MultiheadAttention(8, 2, batch_first=True).eval()
    causal = nn.Transformer.generate_square_subsequent_mask(4)
    model = Fn(lambda x: mha(x, x, x, attn_mask=causal)[0])
    model.mha = mha
    _check(model, (2, 4, 8))


_W4 = plait.tensor(np.random.default_rng(1).standard_normal((6, 4, 3, 3)).astype(np.float32))
FUNCTIONAL = [
    lambda x: F.conv2d(x, _W4, padding=1, stride=2), lambda x: F.conv2d(x, _W4[:, :2], groups=2, dilation=2),
    lambda x: F.conv1d(x[:, :, 0], _W4[:, :, 0], padding=1), lambda x: F.max_pool2d(x, 2),
    lambda x: F.max_pool2d(x, 3, 2, padding=1, ceil_mode=True), lambda x: F.avg_pool2d(x, 3, 2, 1),
    lambda x: F.max_pool1d(x[:, :, 0], 2), lambda x: F.adaptive_avg_pool2d(x, 1),
    lambda x: F.interpolate(x, scale_factor=2), lambda x: F.interpolate(x, size=(5, 6), mode="bilinear"),
    lambda x: F.pad(x, (1, 2, 0, 1), mode="reflect"), lambda x: F.pixel_shuffle(x, 2),
    lambda x: F.layer_norm(x, [8]), lambda x: F.group_norm(x, 2),
    lambda x: F.batch_norm(x, plait.zeros(4) + 0.5, plait.ones(4) * 2),
    lambda x: plait.floor_divide(x, 0.3) + plait.remainder(x, 0.7), lambda x: x.roll(2, 3).roll((1, 1), (1, 2)),
    lambda x: (x > 0).all(1).float() + (x > 1).any(1).float(), lambda x: x.clone() * 2,
]


@pytest.mark.parametrize("fn", FUNCTIONAL, ids=range(len(FUNCTIONAL)))
def test_functional_forms_and_more_ops(fn):
    _check(Fn(fn), (2, 4, 8, 8))


def test_functional_lenet():
    plait.manual_seed(0)

    class LeNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1, self.conv2 = nn.Conv2d(1, 6, 5), nn.Conv2d(6, 16, 5)
            self.fc1, self.fc2 = nn.Linear(16 * 4 * 4, 84), nn.Linear(84, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv1(x)), 2)
            x = F.max_pool2d(F.relu(self.conv2(x)), (2, 2))
            return self.fc2(F.relu(self.fc1(x.flatten(1))))
    _check(LeNet(), (2, 1, 28, 28), other_batch=5)


def test_constant_whose_shape_follows_a_dynamic_axis():
    # one value everywhere: rebuilt at run time from the input's size
    _check(Fn(lambda x: x + plait.ones(x.shape[0], 1) * 2 + plait.full((x.shape[0], 3), 0.5)), (2, 3))
    # a ramp along the dynamic axis: Range of the input's size
    _check(Fn(lambda x: x * plait.arange(x.shape[0] * 1.0).reshape(-1, 1) * 3 + 1), (2, 3))
    lstm = nn.LSTM(3, 4, num_layers=2, batch_first=True)

    def with_zero_state(x):
        h = plait.zeros(2, x.shape[0], 4)
        return lstm(x, (h, h + 1.0))[0]
    model = Fn(with_zero_state)
    model.lstm = lstm
    _check(model, (2, 5, 3))
    # different values: refused, as the graph could only hold the traced ones
    plait.manual_seed(0)
    model = Fn(lambda x: x + plait.randn(x.shape[0], 3))
    with pytest.raises(plait.onnx.OnnxExporterError,
                       match=r"created inside forward \(module '<root>', used by Add\) has a shape that depends "
                             r"on a dynamic axis \(\(2, 3\) and \(3, 3\) in runs at two sizes\) and is neither"):
        plait.onnx.export(model, plait.randn(2, 3), io.BytesIO(), dynamo=False,
                          input_names=["x"], dynamic_axes={"x": [0]})
    plait.onnx.export(model, plait.randn(2, 3), io.BytesIO(), dynamo=False)  # with the axis static it is a constant
    with pytest.raises(plait.onnx.OnnxExporterError, match=r"output 'onnx::captured_\d+' is a tensor created"):
        plait.onnx.export(Fn(lambda x: plait.zeros(x.shape[0])), plait.randn(2, 3), io.BytesIO(), dynamo=False,
                          input_names=["x"], dynamic_axes={"x": [0]})


def _assigned(key, value):
    def fn(x):
        y = x * 1.0
        y[key] = value(y) if callable(value) else value
        return y
    return fn


ASSIGNMENTS = [
    _assigned((slice(None), 0), 0.0), _assigned((Ellipsis, slice(1, 3)), lambda y: y[..., :2] * 2),
    _assigned((slice(None), 1, slice(0, 4, 2)), -1.0), _assigned((slice(None), -1), lambda y: y[:, 0]),
    lambda x: x.trunc(), lambda x: plait.atan2(x, x.flip(0)) + plait.atan2(x, -x.abs() - 0.1),
]


SORTING = [lambda x: x.sort(-1).values, lambda x: x.sort(1, descending=True)[0],
           lambda x: x.argsort(-1).float(), lambda x: x.topk(2, dim=-1).values, lambda x: x.topk(2, largest=False)[1]]


@pytest.mark.parametrize("fn", SORTING, ids=range(len(SORTING)))
def test_sorting(fn):
    x = plait.tensor([[[0.5, -1.0, 2.0, 0.5], [3.0, 1.0, -2.0, 0.0], [1.0, 1.0, 1.0, -1.0]]] * 2)
    _, sess, names = _export(Fn(fn), (x,))
    np.testing.assert_allclose(sess.run(None, {"in0": x.numpy()})[0], fn(x).numpy(), atol=1e-6)
    x = plait.cat([x, -x[:1]])  # another batch size, ties included
    np.testing.assert_allclose(sess.run(None, {"in0": x.numpy()})[0], fn(x).numpy(), atol=1e-6)


def test_gather_with_dynamic_batch():
    _check(Fn(lambda x: x.gather(2, x.argmax(2, keepdim=True)) + x.gather(1, x.argsort(1))), (2, 3, 4))


@pytest.mark.parametrize("fn", ASSIGNMENTS, ids=range(len(ASSIGNMENTS)))
def test_basic_index_assignment(fn):
    _check(Fn(fn), (2, 3, 4))


def test_unrecordable_in_place_change_is_refused():
    def fn(x):
        y = x * 1.0
        y[plait.tensor([0, 2])] = 0.0  # tensor indices: written without an op
        return y + 1
    with pytest.raises(plait.onnx.UnsupportedOperatorError,
                       match=r"modified in place by an operation plait.onnx cannot record \(in module '0'"):
        plait.onnx.export(nn.Sequential(Fn(fn)), plait.randn(3, 2), io.BytesIO(), dynamo=False)


def _example(name):
    import importlib.util
    import pathlib
    folder = pathlib.Path(__file__).resolve().parents[2] / "examples"
    spec = importlib.util.spec_from_file_location(f"_onnx_example_{name}", folder / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    import sys
    sys.path.insert(0, str(folder))  # the examples import their shared _common
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(folder))
    return module


@pytest.mark.parametrize("name, build, shape", [
    ("demo", lambda m: m.DigitNet(), (2, 1, 8, 8)),
    ("small_resnet", lambda m: m.ResNet(m.BasicBlock, [1, 1, 1]), (2, 1, 8, 8)),
    ("lenet_blitz", lambda m: m.Net(), (2, 1, 32, 32)),
    ("tensorboardx_net", lambda m: m.Net(), (2, 1, 28, 28)),
    ("unet_double_conv", lambda m: m.DoubleConv(3, 8), (2, 3, 40, 40)),
])
def test_example_models(name, build, shape):
    plait.manual_seed(0)
    _check(build(_example(name)), shape, other_batch=5)
