"""The nn examples of the tutorial notes (shared/seeds), run with plait in place of torch: printed model
structure identical to torch's output, parameters(), forward, zero_grad and backward."""
import numpy as np
import pytest

import plait
import plait.nn as nn
import plait.nn.functional as F

_CONV_LAYERS = ("Conv2d", "BatchNorm2d", "Dropout2d")
_missing = [name for name in _CONV_LAYERS if not hasattr(nn, name)] + \
    [name for name in ("max_pool2d",) if not hasattr(F, name)]
needs_conv = pytest.mark.skipif(bool(_missing), reason=f"part-B layers missing: plait.nn lacks {', '.join(_missing)}")


class Net(nn.Module):
    """The 60-minute blitz LeNet, verbatim apart from the import."""

    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(-1, self.num_flat_features(x))
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x

    def num_flat_features(self, x):
        size = x.size()[1:]
        num_features = 1
        for s in size:
            num_features *= s
        return num_features


BLITZ_PRINT = """Net(
  (conv1): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))
  (conv2): Conv2d(6, 16, kernel_size=(5, 5), stride=(1, 1))
  (fc1): Linear(in_features=400, out_features=120, bias=True)
  (fc2): Linear(in_features=120, out_features=84, bias=True)
  (fc3): Linear(in_features=84, out_features=10, bias=True)
)
"""


@needs_conv
def test_blitz_net_print_matches_torch(capsys):
    net = Net()
    print(net)
    assert capsys.readouterr().out == BLITZ_PRINT


@needs_conv
def test_blitz_parameters_forward_backward():
    net = Net()
    params = list(net.parameters())
    assert len(params) == 10
    assert params[0].size() == plait.Size([6, 1, 5, 5])
    assert str(params[0].size()) == str(plait.Size([6, 1, 5, 5]))

    input = plait.randn(1, 1, 32, 32)
    out = net(input)
    assert out.shape == (1, 10) and out.grad_fn is not None
    net.zero_grad()
    out.backward(plait.randn(1, 10))
    assert all(p.grad is not None and p.grad.shape == p.shape for p in params)

    output = net(input)
    target = plait.randn(10).view(1, -1)
    criterion = nn.MSELoss()
    loss = criterion(output, target)
    np.testing.assert_allclose(loss.item(), ((output.detach().numpy() - target.numpy()) ** 2).mean(), rtol=1e-5)

    net.zero_grad()
    assert net.conv1.bias.grad is None
    net.zero_grad(set_to_none=False)
    loss.backward()
    g = net.conv1.bias.grad
    assert g.shape == (6,) and np.isfinite(g.numpy()).all() and np.abs(g.numpy()).sum() > 0

    # one manual SGD step, as in the notes: weight = weight - learning_rate * gradient
    with plait.no_grad():
        for f in net.parameters():
            f.sub_(f.grad * 0.01)
    assert criterion(net(input), target).item() < loss.item()


@needs_conv
def test_tensorboardx_net_print_matches_torch():
    class Net2(nn.Module):
        def __init__(self):
            super(Net2, self).__init__()
            self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
            self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
            self.conv2_drop = nn.Dropout2d()
            self.fc1 = nn.Linear(320, 50)
            self.fc2 = nn.Linear(50, 10)
            self.bn = nn.BatchNorm2d(20)

        def forward(self, x):
            x = F.max_pool2d(self.conv1(x), 2)
            x = F.relu(x) + F.relu(-x)
            x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
            x = self.bn(x)
            x = x.view(-1, 320)
            x = F.relu(self.fc1(x))
            x = F.dropout(x, training=self.training)
            x = self.fc2(x)
            x = F.softmax(x, dim=1)
            return x

    model = Net2()
    assert repr(model) == (
        "Net2(\n"
        "  (conv1): Conv2d(1, 10, kernel_size=(5, 5), stride=(1, 1))\n"
        "  (conv2): Conv2d(10, 20, kernel_size=(5, 5), stride=(1, 1))\n"
        "  (conv2_drop): Dropout2d(p=0.5, inplace=False)\n"
        "  (fc1): Linear(in_features=320, out_features=50, bias=True)\n"
        "  (fc2): Linear(in_features=50, out_features=10, bias=True)\n"
        "  (bn): BatchNorm2d(20, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)\n"
        ")")
    out = model(plait.rand(4, 1, 28, 28))
    assert out.shape == (4, 10)
    np.testing.assert_allclose(out.sum(1).detach().numpy(), np.ones(4), rtol=1e-5)


@needs_conv
def test_double_conv_sequential_print():
    class DoubleConv(nn.Module):
        def __init__(self, in_channels, out_channels):
            super().__init__()
            self.double_conv = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, kernel_size=3),
                nn.BatchNorm2d(out_channels),
                nn.ReLU(inplace=True),
                nn.Conv2d(out_channels, out_channels, kernel_size=3),
                nn.BatchNorm2d(out_channels),
                nn.ReLU(inplace=True),
            )

        def forward(self, x):
            return self.double_conv(x)

    bn = "BatchNorm2d(8, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"
    m = DoubleConv(3, 8)
    assert repr(m) == (
        "DoubleConv(\n"
        "  (double_conv): Sequential(\n"
        "    (0): Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1))\n"
        f"    (1): {bn}\n"
        "    (2): ReLU(inplace=True)\n"
        "    (3): Conv2d(8, 8, kernel_size=(3, 3), stride=(1, 1))\n"
        f"    (4): {bn}\n"
        "    (5): ReLU(inplace=True)\n"
        "  )\n"
        ")")
    assert m(plait.randn(2, 3, 10, 10)).shape == (2, 8, 6, 6)


def test_linear_regression_seed_loop():
    # tensorboardX notes: nn.Linear + MSELoss + manual SGD fits y = 3x^2 + 2 on x^2 features
    rng = np.random.default_rng(100)
    x_train = np.linspace(-1, 1, 100).reshape(100, 1)
    y_train = 3 * np.power(x_train, 2) + 2 + 0.2 * rng.random(x_train.size).reshape(100, 1)
    model = nn.Linear(1, 1)
    criterion = nn.MSELoss()
    inputs = plait.from_numpy(x_train ** 2).float()
    targets = plait.from_numpy(y_train).float()
    first = None
    for _ in range(300):
        loss = criterion(model(inputs), targets)
        first = loss.item() if first is None else first
        model.zero_grad()
        loss.backward()
        with plait.no_grad():
            for p in model.parameters():
                p.sub_(0.5 * p.grad)
    assert loss.item() < 0.01 < first
    np.testing.assert_allclose(model.weight.item(), 3.0, atol=0.1)
