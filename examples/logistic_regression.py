"""Logistic regression (a single nn.Linear + CrossEntropyLoss, trained with SGD) on handwritten digits.

The notes' Pytorch_logisticRegression.py trains on MNIST; this runs offline on scikit-learn's bundled
8x8 digits (64 features, 10 classes), with DataLoader batches, and prints the held-out accuracy.

TensorBoard (runs/logistic_regression): loss and accuracy curves, weight histograms, sample digits,
each class's learned weights as an 8x8 image, and the model graph.
"""
import plait
import plait.nn as nn
import plait.optim as optim
from plait.tensorboard import SummaryWriter
from plait.utils.data import DataLoader

from _common import accuracy, digits_datasets, example_parser


def main(argv=None):
    parser = example_parser("logistic_regression", __doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--lr", type=float, default=0.1)
    args = parser.parse_args(argv)
    device = plait.device(args.device)
    train_set, test_set = digits_datasets(device, args.seed, flatten=True)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=args.batch_size)

    model = nn.Linear(64, 10).to(device)
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    writer = SummaryWriter(args.logdir)
    samples, _ = next(iter(test_loader))
    writer.add_images("digits/samples", samples[:16].reshape(-1, 1, 8, 8))
    writer.add_graph(model, samples)

    total_step = len(train_loader)
    step = 0
    for epoch in range(args.epochs):
        for i, (images, labels) in enumerate(train_loader):
            loss = criterion(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            writer.add_scalar("loss/train", loss.item(), step)
            if (i + 1) % 5 == 0:
                print("Epoch [{}/{}], Step [{}/{}], Loss: {:.4f}".format(
                    epoch + 1, args.epochs, i + 1, total_step, loss.item()))
        acc = accuracy(model, test_loader)
        writer.add_scalar("accuracy/test", acc, epoch + 1)
        writer.add_histogram("linear/weight", model.weight, epoch + 1)

    # each row of the weight matrix is a template for one digit: show them as images in [0, 1]
    w = model.weight.detach().reshape(10, 1, 8, 8)
    w = (w - w.amin(dim=(1, 2, 3), keepdim=True)) / (w.amax(dim=(1, 2, 3), keepdim=True)
                                                     - w.amin(dim=(1, 2, 3), keepdim=True))
    writer.add_images("linear/class_templates", w)
    writer.close()
    print("Accuracy of the model on the {} test images: {:.2f} %".format(len(test_set), 100 * acc))
    print(f"TensorBoard logs: {args.logdir}")


if __name__ == "__main__":
    main()
