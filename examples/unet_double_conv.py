"""UNet's ``DoubleConv`` block (the notes' "Pytorch_已解决问题_1"): forward and backward on a small image
batch, the channel-mismatch error the notes ran into, and a few training steps of a one-block
segmenter (DoubleConv + 1x1 conv) that learns to mask a bright square.

TensorBoard (runs/unet_double_conv): loss and pixel-accuracy curves, weight histograms, input images
with their predicted masks, and the model graph.
"""
import plait
import plait.nn as nn
import plait.optim as optim
from plait.tensorboard import SummaryWriter

from _common import example_parser


class DoubleConv(nn.Module):
    """(conv 3x3 => BN => ReLU) * 2, unpadded as in the original UNet: H, W shrink by 4."""

    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.double_conv = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, kernel_size=3),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(out_channels, out_channels, kernel_size=3),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True)
        )

    def forward(self, x):
        return self.double_conv(x)


class BuggyDoubleConv(DoubleConv):
    """The notes' first version: the second conv wrongly takes ``in_channels`` inputs."""

    def __init__(self, in_channels, out_channels):
        super().__init__(in_channels, out_channels)
        self.double_conv[3] = nn.Conv2d(in_channels, out_channels, kernel_size=3)


def square_batch(n, size, device):
    """n RGB noise images, each with one bright square; the (n, 1, size, size) float mask marks it."""
    top = plait.randint(0, size - 12, (n, 1, 1, 1), device=device)
    left = plait.randint(0, size - 12, (n, 1, 1, 1), device=device)
    side = plait.randint(6, 12, (n, 1, 1, 1), device=device)
    rows = plait.arange(size, device=device).view(1, 1, size, 1)
    cols = plait.arange(size, device=device).view(1, 1, 1, size)
    mask = ((rows >= top) & (rows < top + side) & (cols >= left) & (cols < left + side)).float()
    images = 0.5 * plait.rand(n, 3, size, size, device=device) + 0.5 * mask
    return images, mask


def main(argv=None):
    parser = example_parser("unet_double_conv", __doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=25)
    args = parser.parse_args(argv)
    plait.manual_seed(args.seed)
    device = plait.device(args.device)

    # forward and backward through one block
    block = DoubleConv(3, 64).to(device)
    x = plait.randn(4, 3, 40, 40, device=device, requires_grad=True)
    y = block(x)
    print(f"DoubleConv(3, 64): input {list(x.shape)} -> output {list(y.shape)}")
    y.mean().backward()
    print(f"input grad {list(x.grad.shape)}, first conv weight grad norm "
          f"{block.double_conv[0].weight.grad.norm().item():.6f}")

    # the notes' bug: the second conv expects in_channels but receives out_channels
    try:
        BuggyDoubleConv(3, 64).to(device)(plait.randn(4, 3, 160, 160, device=device))
    except RuntimeError as err:
        print(f"buggy DoubleConv: RuntimeError: {err}")

    # a one-block segmenter: DoubleConv + 1x1 conv to a mask logit (valid convs: 36x36 -> 32x32)
    model = nn.Sequential(DoubleConv(3, 16), nn.Conv2d(16, 1, kernel_size=1)).to(device)
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    criterion = nn.BCEWithLogitsLoss()
    writer = SummaryWriter(args.logdir)
    test_images, test_masks = square_batch(8, 36, device)
    writer.add_graph(model, test_images)
    for step in range(args.steps):
        model.train()
        images, masks = square_batch(16, 36, device)
        logits = model(images)
        loss = criterion(logits, masks[:, :, 2:-2, 2:-2])   # the block's output is 2 px smaller per side
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        model.eval()
        with plait.no_grad():
            pred = model(test_images) > 0
            acc = (pred == (test_masks[:, :, 2:-2, 2:-2] > 0.5)).float().mean().item()
        writer.add_scalar("loss/train", loss.item(), step)
        writer.add_scalar("accuracy/pixel", acc, step)
        if (step + 1) % 5 == 0:
            print(f"step {step + 1:3d}  loss {loss.item():.4f}  pixel accuracy {acc:.2%}")
    for name, p in model.named_parameters():
        writer.add_histogram(name, p, args.steps)
    writer.add_images("inputs", test_images[:, :, 2:-2, 2:-2])
    writer.add_images("predicted_masks", pred.float())
    writer.close()
    print(f"TensorBoard logs: {args.logdir}")


if __name__ == "__main__":
    main()
