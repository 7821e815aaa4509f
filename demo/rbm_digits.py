"""The textbook RBM: 64 visible units (scikit-learn's 8x8 digits), 36 hidden units, CD-1.

* data: ``load_digits()`` scaled to [0, 1], split 90/10 (stratified, ``random_state=0``);
* learning: ``RestrictedBoltzmannMachines`` through ``ArrayIterator`` and the shared engine
  (30 epochs, batches of 50, learning rate 0.1);
* printed: the learning curve (train/test reconstruction RMSE, free energy and
  pseudo-log-likelihood of the test batch), the test reconstruction error, and the free energy
  of real test digits against pixel-shuffled ones;
* written to ``demo/output/``: ``rbm_digits_learning_curve.png``, ``rbm_digits_weights.png``
  (each hidden unit's weights as an 8x8 image) and ``rbm_digits_reconstructions.png``.

Run: ``python demo/rbm_digits.py`` (a few seconds on 2 CPU cores).
"""
import os
import time

import numpy as np

import accelbrainbase  # noqa: F401  (prepares numpy for mxnet)
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import mxnet as mx  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from accelbrainbase.computableloss._mxnet.l2_norm_loss import L2NormLoss  # noqa: E402
from accelbrainbase.iteratabledata._mxnet.array_iterator import ArrayIterator  # noqa: E402
from accelbrainbase.observabledata._mxnet.restricted_boltzmann_machines import (  # noqa: E402
    RestrictedBoltzmannMachines,
)
from accelbrainbase.observabledata._mxnet.restrictedboltzmannmachines.plotting import (  # noqa: E402
    plot_reconstructions, plot_weight_grid,
)

OUTPUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "output")
EPOCHS, BATCH_SIZE, HIDDEN, LEARNING_RATE = 30, 50, 36, 0.1


def main() -> dict:
    os.makedirs(OUTPUT, exist_ok=True)
    mx.random.seed(0)
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    x_train, x_test = train_test_split(x, test_size=0.1, random_state=0, stratify=digits.target)
    ctx = mx.cpu()

    model = RestrictedBoltzmannMachines(L2NormLoss(), visible_dim=64, hidden_dim=HIDDEN,
                                        learning_rate=LEARNING_RATE, ctx=ctx)
    iterator = ArrayIterator(x_train, None, x_test, None, epochs=EPOCHS, batch_size=BATCH_SIZE, ctx=ctx, seed=0)
    start = time.time()
    model.learn(iterator)
    seconds = time.time() - start

    history = model.loss_history.to_frame()
    print("RBM 64-%d on %d digits, CD-%d, %d epochs in %.1f s (%.0f samples/s)"
          % (HIDDEN, len(x_train), model.k, EPOCHS, seconds, EPOCHS * len(x_train) / seconds))
    print(history.iloc[[0, 4, 9, 14, 19, 24, 29]].round(4).to_string())

    reconstruction = model.reconstruct(x_test).asnumpy()
    mse = float(((reconstruction - x_test) ** 2).mean())
    rmse = float(np.sqrt(((reconstruction - x_test) ** 2).mean(axis=1)).mean())
    mean_image_mse = float(((x_test - x_train.mean(axis=0)) ** 2).mean())
    rng = np.random.RandomState(1)
    shuffled = np.stack([rng.permutation(row) for row in x_test])
    real_energy = float(model.free_energy(x_test).asnumpy().mean())
    shuffled_energy = float(model.free_energy(shuffled).asnumpy().mean())
    print("test digits (%d): reconstruction MSE %.4f (per-sample RMSE %.4f; the mean image gives MSE %.4f)"
          % (len(x_test), mse, rmse, mean_image_mse))
    print("mean free energy: real test digits %.1f, pixel-shuffled digits %.1f" % (real_energy, shuffled_energy))

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    model.loss_history.plot(ax=axes[0], title="Reconstruction RMSE")
    model.loss_history.plot(ax=axes[1], columns=("test_free_energy", "test_pseudo_log_likelihood"),
                            title="Test batch: free energy, pseudo-log-likelihood")
    fig.tight_layout()
    curve_png = os.path.join(OUTPUT, "rbm_digits_learning_curve.png")
    fig.savefig(curve_png)
    plt.close(fig)
    weights_png = os.path.join(OUTPUT, "rbm_digits_weights.png")
    plot_weight_grid(model.weights_arr, (8, 8), path=weights_png, title="Weights of the %d hidden units" % HIDDEN)
    pairs_png = os.path.join(OUTPUT, "rbm_digits_reconstructions.png")
    plot_reconstructions(x_test, reconstruction, (8, 8), path=pairs_png, n_images=12)
    for path in (curve_png, weights_png, pairs_png):
        print("wrote", os.path.relpath(path))
    return {"mse": mse, "rmse": rmse, "real_free_energy": real_energy, "shuffled_free_energy": shuffled_energy}


if __name__ == "__main__":
    main()
