"""Linear regression with nn.Linear, MSELoss and SGD (the notes' Pytorch_linearRegression.py).

Fits y = w*x + b to the tutorial's 15 points, printing the loss every 5 epochs, then fits the
tensorboardX chapter's quadratic y = 3x^2 + 2 + noise with a linear model on the features (x, x^2),
logging the loss under the notes' tag '训练损失值' ("training loss").

TensorBoard (runs/linear_regression): loss curves, R^2, weight histograms, an image of the data and
the fitted line, and the model graph.
"""
import numpy as np

import plait
import plait.nn as nn
import plait.optim as optim
from plait.tensorboard import SummaryWriter

from _common import example_parser

X_TRAIN = np.array([[3.3], [4.4], [5.5], [6.71], [6.93], [4.168], [9.779], [6.182], [7.59], [2.167], [7.042],
                    [10.791], [5.313], [7.997], [3.1]], dtype=np.float32)
Y_TRAIN = np.array([[1.7], [2.76], [2.09], [3.19], [1.694], [1.573], [3.366], [2.596], [2.53], [1.221], [2.827],
                    [3.465], [1.65], [2.904], [1.3]], dtype=np.float32)


def r2_score(pred, target):
    return 1.0 - ((pred - target) ** 2).sum().item() / ((target - target.mean()) ** 2).sum().item()


def plot(x, y, pred, size=64):
    """A (3, size, size) image: data points white, predictions red (no plotting library needed)."""
    img = plait.zeros(3, size, size)

    def to_px(v, lo, hi):
        return ((v - lo) / (hi - lo) * (size - 1)).round().long().clamp(0, size - 1)

    xs = to_px(x.flatten(), x.min().item(), x.max().item())
    lo, hi = min(y.min().item(), pred.min().item()), max(y.max().item(), pred.max().item())
    for values, channels in ((pred, [0]), (y, [0, 1, 2])):
        rows = (size - 1) - to_px(values.flatten(), lo, hi)
        for c in channels:
            img[c, rows, xs] = 1.0
    return img


def main(argv=None):
    parser = example_parser("linear_regression", __doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--lr", type=float, default=0.001)
    args = parser.parse_args(argv)
    plait.manual_seed(args.seed)
    device = plait.device(args.device)
    writer = SummaryWriter(log_dir=args.logdir, comment="Linear")

    # ---- part 1: the tutorial's straight-line fit
    model = nn.Linear(1, 1).to(device)
    criterion = nn.MSELoss()
    optimizer = optim.SGD(model.parameters(), lr=args.lr)
    inputs = plait.from_numpy(X_TRAIN).to(device)
    targets = plait.from_numpy(Y_TRAIN).to(device)
    writer.add_graph(model, inputs)
    for epoch in range(args.epochs):
        outputs = model(inputs)
        loss = criterion(outputs, targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        writer.add_scalar("line/loss", loss, epoch)
        if (epoch + 1) % 5 == 0:
            print("Epoch [{}/{}], Loss: {:.4f}".format(epoch + 1, args.epochs, loss.item()))
    with plait.no_grad():
        predicted = model(inputs)
    print(f"line fit: weight {model.weight.item():.4f}  bias {model.bias.item():.4f}  "
          f"R^2 {r2_score(predicted, targets):.4f}")
    writer.add_histogram("line/weight", model.weight, args.epochs)
    writer.add_image("line/fit", plot(inputs.cpu(), targets.cpu(), predicted.cpu()))

    # ---- part 2: the tensorboardX chapter's quadratic, y = 3x^2 + 2 + 0.2*noise
    np.random.seed(100)
    x_train = np.linspace(-1, 1, 100).reshape(100, 1)
    y_train = 3 * np.power(x_train, 2) + 2 + 0.2 * np.random.rand(x_train.size).reshape(100, 1)
    x = plait.from_numpy(x_train).float().to(device)
    features = plait.cat([x, x ** 2], dim=1)
    target = plait.from_numpy(y_train).float().to(device)
    quad = nn.Linear(2, 1).to(device)
    optimizer = optim.SGD(quad.parameters(), lr=0.1)
    for epoch in range(300):
        loss = criterion(quad(features), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        writer.add_scalar("训练损失值", loss, epoch)
    with plait.no_grad():
        fitted = quad(features)
    r2 = r2_score(fitted, target)
    w = quad.weight.flatten().tolist()
    print(f"quadratic fit: y = {w[1]:.3f} x^2 + {w[0]:.3f} x + {quad.bias.item():.3f}  "
          f"(true 3 x^2 + 0 x + 2.1)  R^2 {r2:.4f}")
    writer.add_scalar("quadratic/r2", r2, 300)
    writer.add_histogram("quadratic/weight", quad.weight, 300)
    writer.add_image("quadratic/fit", plot(x.cpu(), target.cpu(), fitted.cpu()))
    writer.close()
    print(f"TensorBoard logs: {args.logdir}")


if __name__ == "__main__":
    main()
