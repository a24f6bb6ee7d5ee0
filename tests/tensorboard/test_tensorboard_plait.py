"""SummaryWriter with plait tensors, and add_graph on plait.nn models."""
import numpy as np
import pytest
from _tb_helpers import decode_png, load

import plait
import plait.nn as nn
import plait.nn.functional as F
from plait.tensorboard import SummaryWriter


def test_plait_tensor_values(tmp_path):
    w_param = plait.randn(4, 3, requires_grad=True)
    loss = (w_param * 2).sum()  # has a grad_fn: the writer must detach it
    img = plait.tensor(np.linspace(0, 1, 3 * 4 * 5, dtype=np.float32).reshape(3, 4, 5))
    with SummaryWriter(tmp_path) as w:
        w.add_scalar("loss", loss, plait.tensor(7))
        w.add_scalar("zero_d", plait.tensor(0.5), 1)
        w.add_histogram("w", w_param, 0)
        w.add_image("img", img, 0)
        w.add_images("batch", plait.zeros(2, 1, 3, 3, dtype=plait.uint8), 0)
        w.add_embedding(w_param, metadata=list("abcd"))
        w.add_hparams({"lr": plait.tensor(0.01)}, {"loss": loss}, run_name="hp")
        with pytest.raises(ValueError, match=r"scalar should be 0D.*\(4, 3\)"):
            w.add_scalar("bad", w_param)
    acc = load(tmp_path)
    (event,) = acc.Scalars("loss")
    assert event.step == 7 and event.value == pytest.approx(float(loss.item()))
    assert acc.Scalars("zero_d")[0].value == 0.5
    h = acc.Histograms("w")[0].histogram_value
    values = w_param.detach().numpy()
    assert (h.num, h.min, h.max) == (12, pytest.approx(values.min()), pytest.approx(values.max()))
    assert h.sum == pytest.approx(values.sum(), abs=1e-5)
    pixels = decode_png(acc.Images("img")[0].encoded_image_string)
    expected = (img.numpy().transpose(1, 2, 0) * 255).clip(0, 255).astype(np.uint8)
    np.testing.assert_array_equal(pixels, expected)
    assert (acc.Images("batch")[0].width, acc.Images("batch")[0].height) == (6, 3)
    assert (tmp_path / "00000" / "default" / "tensors.tsv").read_text().count("\n") == 4
    assert load(tmp_path / "hp").Scalars("loss")[0].value == pytest.approx(float(loss.item()))


@pytest.mark.skipif(not plait.cuda.is_available(), reason="needs a CUDA device for plait")
def test_cuda_tensor_values(tmp_path):
    x = plait.arange(10, dtype=plait.float32, device="cuda")
    with SummaryWriter(tmp_path) as w:
        w.add_scalar("s", x.sum(), 0)
        w.add_histogram("h", x, 0)
        w.add_image("img", (x / 10).reshape(1, 2, 5), 0)
    acc = load(tmp_path)
    assert acc.Scalars("s")[0].value == 45.0
    assert acc.Histograms("h")[0].histogram_value.num == 10
    assert acc.Images("img")[0].width == 5


def _by_name(graph):
    return {node.name: node for node in graph.node}


def _shape(node):
    return [[d.size for d in s.dim] for s in node.attr["_output_shapes"].list.shape]


def _upstream(nodes, name):
    """Names of every node ``name`` was computed from."""
    seen, stack = set(), [name]
    while stack:
        for ref in nodes[stack.pop()].input:
            pred = ref.split(":")[0]
            if pred not in seen:
                seen.add(pred)
                stack.append(pred)
    return seen


def test_add_graph_sequential(tmp_path):
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    x = plait.randn(5, 4)
    with SummaryWriter(tmp_path) as w:
        w.add_graph(model, x)
    graph = load(tmp_path).Graph()
    nodes = _by_name(graph)
    ops = {node.op for node in graph.node}
    assert {"IO Node", "Parameter", "AddmmBackward0", "ReluBackward0"} <= ops
    for name in ("input/input.0", "output/output.0", "Sequential/Linear[0]/weight", "Sequential/Linear[0]/bias",
                 "Sequential/Linear[2]/weight", "Sequential/Linear[2]/bias", "Sequential/ReLU[1]/ReluBackward0",
                 "Sequential/Linear[0]/AddmmBackward0", "Sequential/Linear[2]/AddmmBackward0"):
        assert name in nodes, sorted(nodes)
    # Every input name refers to a node of the graph.
    assert all(ref.split(":")[0] in nodes for node in graph.node for ref in node.input)
    # The chain input -> Linear[0] -> ReLU -> Linear[2] -> output is connected.
    assert nodes["output/output.0"].input == ["Sequential/Linear[2]/AddmmBackward0"]
    assert "Sequential/ReLU[1]/ReluBackward0" in nodes["Sequential/Linear[2]/AddmmBackward0"].input
    assert nodes["Sequential/ReLU[1]/ReluBackward0"].input == ["Sequential/Linear[0]/AddmmBackward0"]
    assert "input/input.0" in nodes["Sequential/Linear[0]/AddmmBackward0"].input
    assert {"input/input.0", "Sequential/Linear[0]/weight", "Sequential/Linear[2]/bias"} <= _upstream(
        nodes, "output/output.0")
    # Shapes: inputs, outputs and parameters, and every module's output.
    assert _shape(nodes["input/input.0"]) == [[5, 4]]
    assert _shape(nodes["output/output.0"]) == [[5, 2]]
    assert _shape(nodes["Sequential/Linear[0]/weight"]) == [[3, 4]]
    assert _shape(nodes["Sequential/ReLU[1]/ReluBackward0"]) == [[5, 3]]
    # add_graph leaves no trace on the model or the input.
    assert all(not m._forward_hooks for m in model.modules())
    assert model.training and not x.requires_grad


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 3)

    def forward(self, x, scale=None):
        return F.relu(self.fc(x)) * scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 3)
        self.block = Block()
        self.drop = nn.Dropout(0.5)
        self.fc2 = nn.Linear(3, 2)

    def forward(self, x, y):
        h = self.fc1(x + y)
        scale = h.sigmoid()  # computed here, passed by keyword: belongs to Net, not Block
        h = self.block(h, scale=scale)
        return self.fc2(self.drop(h)), h


def test_add_graph_nested_scopes_multiple_inputs_and_outputs(tmp_path):
    model = Net()
    with SummaryWriter(tmp_path) as w:
        w.add_graph(model, (plait.randn(2, 4), plait.randn(2, 4)))
    nodes = _by_name(load(tmp_path).Graph())
    assert {"input/input.0", "input/input.1", "output/output.0", "output/output.1"} <= set(nodes)
    assert set(nodes["Net/AddBackward0"].input) == {"input/input.0", "input/input.1"}
    assert nodes["Net/SigmoidBackward0"].input == ["Net/Linear[fc1]/AddmmBackward0"]
    assert "Net/Block[block]/Linear[fc]/weight" in nodes
    assert "Net/Block[block]/Linear[fc]/AddmmBackward0" in nodes
    mul = nodes["Net/Block[block]/MulBackward0"]
    assert set(mul.input) == {"Net/Block[block]/ReluBackward0", "Net/SigmoidBackward0"}
    assert nodes["output/output.1"].input == ["Net/Block[block]/MulBackward0"]
    # Traced in eval mode, as torch does: dropout is the identity and records no node.
    assert not any(name.startswith("Net/Dropout[drop]/") for name in nodes)
    assert "Net/Block[block]/MulBackward0" in nodes["Net/Linear[fc2]/AddmmBackward0"].input
    assert model.training


def test_add_graph_integer_input_and_eval_model(tmp_path, capsys):
    model = nn.Sequential(nn.Embedding(10, 4), nn.Linear(4, 1)).eval()
    with SummaryWriter(tmp_path) as w:
        w.add_graph(model, plait.tensor([[1, 2, 3]]), verbose=True)
    assert "Sequential/Embedding[0]/weight" in capsys.readouterr().out
    nodes = _by_name(load(tmp_path).Graph())
    # Integer ids cannot require grad, so they are shown unconnected; the weights carry the graph.
    assert _shape(nodes["input/input.0"]) == [[1, 3]]
    assert {"Sequential/Embedding[0]/weight", "Sequential/Linear[1]/weight"} <= _upstream(nodes, "output/output.0")
    assert not model.training
