"""The 60-minute blitz's LeNet-style ``Net``: print it, inspect its parameters, backpropagate, then
train a few SGD steps on random data (the notes' notes-60min-blitz section "神经网络").

TensorBoard (runs/lenet_blitz): the loss curve, weight histograms, the input image, conv1's filters
and the model graph.
"""
import plait
import plait.nn as nn
import plait.nn.functional as F
import plait.optim as optim
from plait.tensorboard import SummaryWriter

from _common import example_parser


class Net(nn.Module):

    def __init__(self):
        super(Net, self).__init__()
        # 1 input image channel, 6 output channels, 5x5 square convolution kernel
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        # an affine operation: y = Wx + b
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        # Max pooling over a (2, 2) window
        x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
        # If the size is a square you can only specify a single number
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(-1, self.num_flat_features(x))
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x

    def num_flat_features(self, x):
        size = x.size()[1:]  # all dimensions except the batch dimension
        num_features = 1
        for s in size:
            num_features *= s
        return num_features


def main(argv=None):
    parser = example_parser("lenet_blitz", __doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args(argv)
    plait.manual_seed(args.seed)
    device = plait.device(args.device)

    net = Net().to(device)
    print(net)

    params = list(net.parameters())
    print(len(params))
    print(params[0].size())  # conv1's .weight

    input = plait.randn(1, 1, 32, 32, device=device)
    out = net(input)
    print(out)

    net.zero_grad()
    out.backward(plait.randn(1, 10, device=device))

    output = net(input)
    target = plait.randn(10, device=device)  # a dummy target, for example
    target = target.view(1, -1)  # make it the same shape as output
    criterion = nn.MSELoss()

    loss = criterion(output, target)
    print(loss)
    print(loss.grad_fn)  # MSELoss
    print(loss.grad_fn.next_functions[0][0])  # Linear
    print(loss.grad_fn.next_functions[0][0].next_functions[0][0])  # ReLU

    net.zero_grad()  # zeroes the gradient buffers of all parameters
    print('conv1.bias.grad before backward')
    print(net.conv1.bias.grad)
    loss.backward()
    print('conv1.bias.grad after backward')
    print(net.conv1.bias.grad)

    # the training loop: a batch of random images regressed onto fixed random targets
    writer = SummaryWriter(args.logdir)
    writer.add_graph(net, input)
    writer.add_image("input", (input[0] - input.min()) / (input.max() - input.min()))
    optimizer = optim.SGD(net.parameters(), lr=0.01)
    inputs = plait.randn(8, 1, 32, 32, device=device)
    targets = plait.randn(8, 10, device=device)
    first = None
    for step in range(args.steps):
        optimizer.zero_grad()   # zero the gradient buffers
        output = net(inputs)
        loss = criterion(output, targets)
        loss.backward()
        optimizer.step()    # Does the update
        first = loss.item() if first is None else first
        writer.add_scalar("loss", loss.item(), step)
        print(f"step {step + 1:2d}  loss {loss.item():.4f}")
    for name, p in net.named_parameters():
        writer.add_histogram(name, p, args.steps)
    filters = net.conv1.weight.detach()
    writer.add_images("conv1_filters", (filters - filters.min()) / (filters.max() - filters.min()))
    writer.close()
    print(f"loss went from {first:.4f} to {loss.item():.4f}")
    print(f"TensorBoard logs: {args.logdir}")


if __name__ == "__main__":
    main()
