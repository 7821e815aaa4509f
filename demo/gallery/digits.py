"""A 64-50-10 multi-layer perceptron on scikit-learn's 8x8 digits.

Pixels are scaled to ``[0, 1]``; a stratified 10 % of the 1,797 images is held out. The figure
is the accuracy on that hold-out; ``demo/output/gallery/digits.png`` shows the learning curves
(the engine's per-epoch train and test cross-entropy).

Run: ``python -m demo.gallery.digits``
"""
from __future__ import annotations

import numpy as np

import accelbrainbase  # noqa: F401  (prepares numpy for mxnet; import it first)
from mxnet import gluon

from accelbrainbase.iteratabledata._mxnet.array_iterator import ArrayIterator
from accelbrainbase.observabledata._mxnet.neural_networks import NeuralNetworks
from demo.gallery._common import accuracy, output_path, plt, report, seed_everything


def load_split(seed: int):
    """``(x_train, y_train, x_test, y_test)``: pixels / 16 as float32, a stratified 10 % hold-out."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    return train_test_split(x, digits.target, test_size=0.1, random_state=seed, stratify=digits.target)


def main(smoke: bool = False, seed: int = 0) -> dict:
    """Train, print and plot; returns ``accuracy`` (hold-out), ``epochs`` and ``plot``."""
    seed_everything(seed)
    x_train, x_test, y_train, y_test = load_split(seed)
    loss = gluon.loss.SoftmaxCrossEntropyLoss(sparse_label=False)
    model = NeuralNetworks(
        loss, units_list=[50, 10], activation_list=["relu", "identity"], dropout_rate_list=[0.0, 0.0],
        optimizer_name="adam", learning_rate=0.01, learning_attenuate_rate=0.5, attenuate_epoch=10,
    )
    epochs = 8 if smoke else 30
    model.learn(ArrayIterator(x_train, y_train, x_test, y_test, n_classes=10, epochs=epochs, batch_size=64,
                              seed=seed))

    figures = {"accuracy": accuracy(model, x_test, y_test), "train_accuracy": accuracy(model, x_train, y_train),
               "epochs": epochs, "hold_out": len(y_test)}
    ax = model.loss_history.plot(title="Digits 64-50-10: hold-out accuracy %.3f" % figures["accuracy"])
    ax.set_ylabel("cross-entropy")
    figures["plot"] = output_path("digits.png")
    ax.figure.tight_layout()
    ax.figure.savefig(figures["plot"])
    plt.close(ax.figure)
    report("Digits MLP 64-50-10", figures)
    return figures


if __name__ == "__main__":
    main()
