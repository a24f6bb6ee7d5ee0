"""The tensorboardX chapter's ``Net`` (Conv2d, Dropout2d, BatchNorm2d, max_pool2d, dropout, softmax):
log its graph with ``add_graph`` as the notes do, then train it a few steps on random 28x28 images (a bright square in one quadrant)
with the loss and accuracy logged through ``add_scalar``.

TensorBoard (runs/tensorboardx_net): the model graph, loss/accuracy curves, weight histograms and the
input images.
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


def main(argv=None):
    parser = example_parser("tensorboardx_net", __doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=30)
    args = parser.parse_args(argv)
    plait.manual_seed(args.seed)
    device = plait.device(args.device)

    # (3) save the model as a graph, exactly as the notes do
    input = plait.rand(32, 1, 28, 28, device=device)
    model = Net().to(device)
    with SummaryWriter(log_dir=args.logdir, comment='Net') as w:
        w.add_graph(model, (input, ))
    print(model)

    # then train on a toy task: noisy images with a bright square in one quadrant; label = that quadrant
    labels = plait.randint(0, 4, (256,), device=device)
    quadrants = plait.zeros(4, 1, 28, 28, device=device)
    for q in range(4):
        r, c = 3 + 14 * (q // 2), 3 + 14 * (q % 2)
        quadrants[q, :, r:r + 8, c:c + 8] = 1.0
    images = 0.6 * plait.rand(256, 1, 28, 28, device=device) + 0.4 * quadrants[labels]
    optimizer = optim.Adam(model.parameters(), lr=3e-3)
    writer = SummaryWriter(log_dir=args.logdir, comment='Net')
    writer.add_images("inputs", images[:16])
    for step in range(args.steps):
        model.train()
        idx = plait.randint(0, 256, (32,), device=device)
        out = model(images[idx])                        # probabilities (the net ends in softmax)
        loss = F.nll_loss(out.clamp(min=1e-8).log(), labels[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        model.eval()
        with plait.no_grad():
            acc = (model(images).argmax(1) == labels).float().mean().item()
        writer.add_scalar("loss", loss, step)
        writer.add_scalar("accuracy", acc, step)
        if (step + 1) % 5 == 0:
            print(f"step {step + 1:3d}  loss {loss.item():.4f}  accuracy {acc:.2%}")
    for name, p in model.named_parameters():
        writer.add_histogram(name, p, args.steps)
    writer.close()
    print(f"TensorBoard logs: {args.logdir}")


if __name__ == "__main__":
    main()
