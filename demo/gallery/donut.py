"""A donut: points of the ring ``2 <= r <= 3`` against the rest of the square ``[-4, 4]²``.

The class is 1 inside the ring and 0 outside it (the disc in the middle and the corners), so
the network must learn two nested circular boundaries. A 2-32-32-2 network is trained on
uniform points and scored on a fresh uniform draw; the plane is coloured by the predicted
probability of the ring in ``demo/output/gallery/donut.png``. Inputs are divided by 4.

Run: ``python -m demo.gallery.donut``
"""
from __future__ import annotations

import numpy as np

import accelbrainbase  # noqa: F401  (prepares numpy for mxnet; import it first)
from mxnet import gluon

from accelbrainbase.iteratabledata._mxnet.array_iterator import ArrayIterator
from accelbrainbase.observabledata._mxnet.neural_networks import NeuralNetworks
from demo.gallery._common import accuracy, decision_plot, output_path, predict, report, seed_everything

INNER, OUTER, HALF_WIDTH = 2.0, 3.0, 4.0


def make_donut(rng: np.random.RandomState, n: int = 2000):
    """Points ``(n, 2)`` uniform in ``[-4, 4]²`` (float32) and their class ``(n,)``: 1 on the ring."""
    points = rng.uniform(-HALF_WIDTH, HALF_WIDTH, size=(n, 2)).astype(np.float32)
    radius = np.hypot(points[:, 0], points[:, 1])
    return points, ((radius >= INNER) & (radius <= OUTER)).astype(np.int64)


def main(smoke: bool = False, seed: int = 0) -> dict:
    """Train, print and plot; returns ``accuracy`` (fresh test draw), ``ring_share`` and ``plot``."""
    rng = seed_everything(seed)
    x, labels = make_donut(rng)
    test_x, test_labels = make_donut(rng)
    loss = gluon.loss.SoftmaxCrossEntropyLoss(sparse_label=False, from_logits=True)
    model = NeuralNetworks(  # log-probabilities out; the loss takes them as they are
        loss, units_list=[32, 32, 2], activation_list=["relu", "relu", "log_softmax"],
        dropout_rate_list=[0.0, 0.0, 0.0], optimizer_name="adam", learning_rate=0.02,
        learning_attenuate_rate=0.5, attenuate_epoch=5 if smoke else 20,
    )
    data = ArrayIterator(x, labels, test_x, test_labels, n_classes=2, epochs=15 if smoke else 60,
                         batch_size=100, scale=1.0 / HALF_WIDTH, seed=seed)
    model.learn(data)

    scaled = lambda points: points / HALF_WIDTH  # noqa: E731  (the iterator's scale)
    figures = {"accuracy": accuracy(model, scaled(test_x), test_labels),
               "ring_share": float(test_labels.mean())}
    figures["plot"] = decision_plot(lambda points: np.exp(predict(model, scaled(points))[:, 1]), test_x[:600],
                                    test_labels[:600], output_path("donut.png"),
                                    (-HALF_WIDTH, HALF_WIDTH, -HALF_WIDTH, HALF_WIDTH),
                                    "Donut: test accuracy %.3f" % figures["accuracy"],
                                    levels=np.linspace(0.0, 1.0, 11))
    report("Donut (ring 2..3 in [-4, 4]²), 2-32-32-2", figures)
    return figures


if __name__ == "__main__":
    main()
