"""Three interleaved spirals: a non-linear decision boundary learned by a 2-64-64-3 network.

Each class is an arm ``r = t, θ = 4(k + t) + N(0, 0.2²)`` for ``t`` in ``[0, 1]`` (the classic
three-arm spiral). The network is trained on one draw and scored on a fresh draw of the same
size; the plane is coloured by the predicted class in ``demo/output/gallery/spiral.png``.

Run: ``python -m demo.gallery.spiral``
"""
from __future__ import annotations

import numpy as np

import accelbrainbase  # noqa: F401  (prepares numpy for mxnet; import it first)
from mxnet import gluon

from accelbrainbase.iteratabledata._mxnet.array_iterator import ArrayIterator
from accelbrainbase.observabledata._mxnet.neural_networks import NeuralNetworks
from demo.gallery._common import accuracy, decision_plot, output_path, predict, report, seed_everything

N_CLASSES = 3


def make_spiral(rng: np.random.RandomState, per_class: int = 200):
    """Points ``(3 * per_class, 2)`` float32 in about ``[-1, 1]²`` and their arm ``(N,)``."""
    t = np.tile(np.linspace(0.0, 1.0, per_class), N_CLASSES)
    labels = np.repeat(np.arange(N_CLASSES), per_class)
    theta = 4.0 * (labels + t) + rng.normal(0.0, 0.2, size=t.shape)
    points = np.column_stack([t * np.sin(theta), t * np.cos(theta)]).astype(np.float32)
    return points, labels


def main(smoke: bool = False, seed: int = 0) -> dict:
    """Train, print and plot; returns ``accuracy`` (fresh test draw), ``train_accuracy``, ``plot``."""
    rng = seed_everything(seed)
    x, labels = make_spiral(rng)
    test_x, test_labels = make_spiral(rng)
    loss = gluon.loss.SoftmaxCrossEntropyLoss(sparse_label=False)
    model = NeuralNetworks(
        loss, units_list=[64, 64, N_CLASSES], activation_list=["relu", "relu", "identity"],
        dropout_rate_list=[0.0, 0.0, 0.0], optimizer_name="adam", learning_rate=0.02,
        learning_attenuate_rate=0.5, attenuate_epoch=15 if smoke else 40,
    )
    data = ArrayIterator(x, labels, test_x, test_labels, n_classes=N_CLASSES, epochs=40 if smoke else 120,
                         batch_size=60, seed=seed)
    model.learn(data)

    figures = {"accuracy": accuracy(model, test_x, test_labels), "train_accuracy": accuracy(model, x, labels)}
    figures["plot"] = decision_plot(lambda points: predict(model, points).argmax(axis=1), test_x, test_labels,
                                    output_path("spiral.png"), (-1.2, 1.2, -1.2, 1.2),
                                    "Spiral: test accuracy %.3f" % figures["accuracy"],
                                    levels=np.arange(N_CLASSES + 1) - 0.5, colorbar=False)
    report("Spiral (3 classes), 2-64-64-3", figures)
    return figures


if __name__ == "__main__":
    main()
