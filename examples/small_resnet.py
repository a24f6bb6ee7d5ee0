"""A small ResNet (the notes' ResNet.ipynb ``BasicBlock``) trained for a few epochs on scikit-learn's
8x8 handwritten digits, printing the loss and held-out accuracy.

TensorBoard (runs/small_resnet): loss and accuracy curves, weight histograms, sample digits and the
model graph.
"""
import plait
import plait.nn as nn
import plait.nn.functional as F
import plait.optim as optim
from plait.tensorboard import SummaryWriter
from plait.utils.data import DataLoader

from _common import accuracy, digits_datasets, example_parser


class BasicBlock(nn.Module):
    """conv3x3-BN-ReLU-conv3x3-BN plus the shortcut (a 1x1 conv + BN when the shape changes), then ReLU."""
    expansion = 1

    def __init__(self, in_planes, planes, stride=1):
        super(BasicBlock, self).__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != self.expansion * planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, self.expansion * planes, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(self.expansion * planes)
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.shortcut(x)
        out = F.relu(out)
        return out


class ResNet(nn.Module):
    def __init__(self, block, num_blocks, num_classes=10):
        super(ResNet, self).__init__()
        self.in_planes = 16
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.layer1 = self._make_layer(block, 16, num_blocks[0], stride=1)   # 8x8
        self.layer2 = self._make_layer(block, 32, num_blocks[1], stride=2)   # 4x4
        self.layer3 = self._make_layer(block, 64, num_blocks[2], stride=2)   # 2x2
        self.linear = nn.Linear(64 * block.expansion, num_classes)

    def _make_layer(self, block, planes, num_blocks, stride):
        strides = [stride] + [1] * (num_blocks - 1)
        layers = []
        for stride in strides:
            layers.append(block(self.in_planes, planes, stride))
            self.in_planes = planes * block.expansion
        return nn.Sequential(*layers)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer1(out)
        out = self.layer2(out)
        out = self.layer3(out)
        out = F.adaptive_avg_pool2d(out, 1)
        out = out.view(out.size(0), -1)
        out = self.linear(out)
        return out


def main(argv=None):
    parser = example_parser("small_resnet", __doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3)
    args = parser.parse_args(argv)
    device = plait.device(args.device)
    train_set, test_set = digits_datasets(device, args.seed)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=256)

    model = ResNet(BasicBlock, [1, 1, 1]).to(device)
    print(model.layer2)
    print(f"parameters: {sum(p.numel() for p in model.parameters())}")
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    writer = SummaryWriter(args.logdir)
    samples, _ = next(iter(test_loader))
    writer.add_images("digits/samples", F.interpolate(samples[:16], scale_factor=4))
    writer.add_graph(model, samples[:8])

    step = 0
    for epoch in range(args.epochs):
        model.train()
        for images, labels in train_loader:
            loss = criterion(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            writer.add_scalar("loss/train", loss.item(), step)
        acc = accuracy(model, test_loader)
        writer.add_scalar("accuracy/held_out", acc, epoch + 1)
        for name, p in model.named_parameters():
            if "conv" in name:
                writer.add_histogram(name, p, epoch + 1)
        print(f"epoch {epoch + 1}/{args.epochs}  last batch loss {loss.item():.4f}  held-out accuracy {acc:.2%}")
    writer.close()
    print(f"TensorBoard logs: {args.logdir}")


if __name__ == "__main__":
    main()
