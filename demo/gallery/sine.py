"""Noisy sine regression with a 1-10-1 network.

Training data: ``y = sin(x) + N(0, 0.05²)`` for ``x`` drawn uniformly from ``[-6, 6]``. The
figure is the test MSE of the network against the *true* sine on an evenly spaced grid, so
a perfect fit scores 0 (the noise is not part of the target). Plot:
``demo/output/gallery/sine.png``.

Run: ``python -m demo.gallery.sine``
"""
from __future__ import annotations

import numpy as np

import accelbrainbase  # noqa: F401  (prepares numpy for mxnet; import it first)
from mxnet import gluon

from accelbrainbase.iteratabledata._mxnet.array_iterator import ArrayIterator
from accelbrainbase.observabledata._mxnet.neural_networks import NeuralNetworks
from demo.gallery._common import output_path, plt, predict, report, seed_everything

NOISE = 0.05


def make_data(rng: np.random.RandomState, n: int = 600):
    """``x`` (n, 1) uniform in [-6, 6] and ``y = sin(x) + N(0, NOISE²)`` (n, 1), float32."""
    x = rng.uniform(-6.0, 6.0, size=(n, 1)).astype(np.float32)
    return x, (np.sin(x) + rng.normal(0.0, NOISE, size=x.shape)).astype(np.float32)


def main(smoke: bool = False, seed: int = 0) -> dict:
    """Train, print and plot; returns ``test_mse`` (vs the true sine) and ``plot``."""
    rng = seed_everything(seed)
    x, y = make_data(rng)
    grid = np.linspace(-6.0, 6.0, 241, dtype=np.float32).reshape(-1, 1)
    loss = gluon.loss.L2Loss()
    model = NeuralNetworks(
        loss, units_list=[10, 1], activation_list=["tanh", "identity"], dropout_rate_list=[0.0, 0.0],
        optimizer_name="adam", learning_rate=0.1, learning_attenuate_rate=0.5, attenuate_epoch=10 if smoke else 40,
    )
    # full-batch Adam (10 steps an epoch); the test batches come from the true curve, so the
    # history's test loss tracks the figure
    data = ArrayIterator(x, y, grid, np.sin(grid), epochs=30 if smoke else 150, batch_size=len(x),
                         steps_per_epoch=10, seed=seed)
    model.learn(data)

    fitted = predict(model, grid)
    figures = {"test_mse": float(np.mean((fitted - np.sin(grid)) ** 2)),
               "train_mse_vs_noisy": float(np.mean((predict(model, x) - y) ** 2))}
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.scatter(x[:, 0], y[:, 0], s=4, color="0.6", label="noisy samples")
    ax.plot(grid[:, 0], np.sin(grid[:, 0]), "k--", label="sin(x)")
    ax.plot(grid[:, 0], fitted[:, 0], "r", label="1-10-1 network")
    ax.set_title("Noisy sine: test MSE %.4f" % figures["test_mse"])
    ax.legend(loc="lower left")
    fig.tight_layout()
    figures["plot"] = output_path("sine.png")
    fig.savefig(figures["plot"])
    plt.close(fig)
    report("Noisy sine 1-10-1", figures)
    return figures


if __name__ == "__main__":
    main()
