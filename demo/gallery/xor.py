"""XOR with a 2-2-1 perceptron network (sigmoid hidden and output units).

The four points of the XOR table are not linearly separable; two sigmoid hidden units are
enough. The example trains ``NeuralNetworks`` on the four rows through ``ArrayIterator``,
prints the four outputs and saves the decision surface to ``demo/output/gallery/xor.png``.

Run: ``python -m demo.gallery.xor``
"""
from __future__ import annotations

import numpy as np

import accelbrainbase  # noqa: F401  (prepares numpy for mxnet; import it first)
from mxnet import gluon

from accelbrainbase.iteratabledata._mxnet.array_iterator import ArrayIterator
from accelbrainbase.observabledata._mxnet.neural_networks import NeuralNetworks
from demo.gallery._common import decision_plot, output_path, predict, report, seed_everything

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
Y = np.array([[0], [1], [1], [0]], dtype=np.float32)


def main(smoke: bool = False, seed: int = 0) -> dict:
    """Train, print and plot; returns ``outputs`` (4,), ``correct`` and ``plot``."""
    seed_everything(seed)
    loss = gluon.loss.SigmoidBinaryCrossEntropyLoss(from_sigmoid=True)
    model = NeuralNetworks(
        loss,
        units_list=[2, 1], activation_list=["sigmoid", "sigmoid"], dropout_rate_list=[0.0, 0.0],
        optimizer_name="adam", learning_rate=0.1,
    )
    # an "epoch" of 25 steps over the four rows keeps the engine's per-epoch bookkeeping small
    data = ArrayIterator(X, Y, epochs=8 if smoke else 40, batch_size=4, steps_per_epoch=25, seed=seed)
    model.learn(data)

    outputs = predict(model, X)[:, 0]
    figures = {
        "outputs": [float(v) for v in outputs],
        "correct": bool(((outputs > 0.5) == (Y[:, 0] > 0.5)).all()),
        "final_loss": float(model.loss_arr[-1, 0]),
    }
    figures["plot"] = decision_plot(lambda points: predict(model, points)[:, 0], X, Y[:, 0], output_path("xor.png"),
                                    (-0.5, 1.5, -0.5, 1.5), "XOR: 2-2-1 network output",
                                    levels=np.linspace(0.0, 1.0, 11))
    report("XOR 2-2-1", figures)
    return figures


if __name__ == "__main__":
    main()
