"""DRCN on a domain shift: labelled MNIST-subset digits (source) → inverted, rotated digits (target).

Source: the first 200 training digits of each class, with labels. Target: the other 200
training digits of each class, inverted (255 − x) and rotated by 15°, *without* labels. Target
test: the 1,000 held-out test digits, inverted and rotated, with labels (used for evaluation only).

Two runs of the same network (encoder, decoder, classifier head), same steps and optimiser:

* source only — ``DRCNLoss(rc_lambda=1.0)``: the classifier learns from the source alone;
* DRCN — ``rc_lambda=0.7``: the shared encoder also learns to reconstruct target images.

Prints both target-test accuracies; DRCN must be at least 10 points higher.

    python demo/drcn_mnist.py [--epochs 6] [--out docs/images]
"""
import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))

import accelbrainbase  # noqa: E402,F401
import mxnet as mx  # noqa: E402
import numpy as np  # noqa: E402
from mxnet.gluon.nn import BatchNorm, Conv2D, Conv2DTranspose  # noqa: E402

from accelbrainbase.computableloss._mxnet.drcn_loss import DRCNLoss  # noqa: E402
from accelbrainbase.computableloss._mxnet.l2_norm_loss import L2NormLoss  # noqa: E402
from accelbrainbase.extractabledata._mxnet.image_extractor import ImageExtractor  # noqa: E402
from accelbrainbase.iteratabledata._mxnet.drcn_iterator import DRCNIterator  # noqa: E402
from accelbrainbase.observabledata._mxnet.convolutional_neural_networks import ConvolutionalNeuralNetworks  # noqa: E402
from accelbrainbase.observabledata._mxnet.convolutionalneuralnetworks.convolutional_auto_encoder import \
    ConvolutionalAutoEncoder  # noqa: E402
from accelbrainbase.observabledata._mxnet.convolutionalneuralnetworks.drc_networks import DRCNetworks  # noqa: E402
from accelbrainbase.observabledata._mxnet.neural_networks import NeuralNetworks  # noqa: E402
from demo.mnist import mnist_subset  # noqa: E402

ANGLE = 15.0


def shift_domain(x: np.ndarray) -> np.ndarray:
    """Pixels in [0, 1], (N, 784) → inverted (1 − x, i.e. 255 − x in bytes) and rotated by 15°."""
    from scipy.ndimage import rotate

    images = x.reshape(-1, 28, 28)
    rotated = np.stack([rotate(img, ANGLE, reshape=False, order=1, mode="constant", cval=0.0) for img in images])
    return (1.0 - np.clip(rotated, 0.0, 1.0)).reshape(len(x), -1).astype(np.float32)


def write_folders(root: str, x: np.ndarray, y, name: str):
    """PNG folders ``root/name/<label>/`` (one folder ``0`` when ``y`` is None)."""
    from PIL import Image

    pixels = np.rint(x * 255).astype(np.uint8).reshape(-1, 28, 28)
    labels = np.zeros(len(x), dtype=int) if y is None else y
    dirs = []
    for label in sorted(set(labels.tolist())):
        folder = os.path.join(root, name, str(label))
        os.makedirs(folder, exist_ok=True)
        dirs.append(folder)
        for i in np.flatnonzero(labels == label):
            Image.fromarray(pixels[i]).save(os.path.join(folder, "%05d.png" % i), compress_level=1)
    return dirs


def make_data(root: str, per_class: int = 200):
    x_train, y_train, x_test, y_test = mnist_subset()
    source, target = [], []
    for digit in range(10):
        idx = np.flatnonzero(y_train == digit)
        source.extend(idx[:per_class])
        target.extend(idx[per_class:2 * per_class])
    source, target = np.array(source), np.array(target)
    return {
        "source": write_folders(root, x_train[source], y_train[source], "source"),
        "target": write_folders(root, shift_domain(x_train[target]), None, "target"),
        "target_test": write_folders(root, shift_domain(x_test), y_test, "target_test"),
        "examples": (x_test[:8], shift_domain(x_test[:8])),
    }


def build(rc_lambda: float, learning_rate: float = 1e-3) -> DRCNetworks:
    """The network of both runs: a 2-layer conv encoder, its mirrored decoder, a dense head."""
    loss = L2NormLoss()
    encoder = ConvolutionalNeuralNetworks(
        loss, hidden_units_list=[Conv2D(32, 5, strides=2, padding=2), Conv2D(64, 3, strides=2, padding=1)],
        hidden_dropout_rate_list=[0.0, 0.0], hidden_batch_norm_list=[BatchNorm(), BatchNorm()],
        hidden_activation_list=["relu", "relu"], not_init_flag=True, ctx=mx.cpu())
    decoder = ConvolutionalNeuralNetworks(
        loss, hidden_units_list=[Conv2DTranspose(32, 3, strides=2, padding=1, output_padding=1),
                                 Conv2DTranspose(1, 5, strides=2, padding=2, output_padding=1)],
        hidden_dropout_rate_list=[0.0, 0.0], hidden_batch_norm_list=[BatchNorm(), None],
        hidden_activation_list=["relu", "sigmoid"], not_init_flag=True, ctx=mx.cpu())
    cae = ConvolutionalAutoEncoder(encoder, decoder, loss, tied_weights_flag=False, ctx=mx.cpu())
    head = NeuralNetworks(loss, units_list=[128, 10], dropout_rate_list=[0.3, 0.0],
                          activation_list=["relu", "identity"], not_init_flag=True, ctx=mx.cpu())
    return DRCNetworks(cae, DRCNLoss(rc_lambda=rc_lambda), output_nn=head, learning_rate=learning_rate,
                       optimizer_name="adam", tied_weights_flag=False, tol=None, est=None, ctx=mx.cpu())


def accuracy(model: DRCNetworks, iterator: DRCNIterator) -> float:
    hits = total = 0
    for x, y, _, _ in iterator.generate_test_samples():
        _, prob = model.inference(x)
        hits += int((prob.argmax(axis=1) == y.argmax(axis=1)).sum().asscalar())
        total += x.shape[0]
    return hits / total


def main(epochs: int = 6, per_class: int = 200, out: str = None, seed: int = 0) -> dict:
    started = time.time()
    results = {}
    with tempfile.TemporaryDirectory() as root:
        data = make_data(root, per_class)
        extractor = ImageExtractor(28, 28, 1, ctx=mx.cpu())
        for name, rc_lambda in (("source_only", 1.0), ("drcn", float(os.environ.get("DRCN_LAMBDA", "0.7")))):
            mx.random.seed(seed)
            np.random.seed(seed)
            iterator = DRCNIterator(extractor, data["source"], data["target"], data["target_test"], epochs=epochs,
                                    batch_size=50, norm_mode="min_max", ctx=mx.cpu(), seed=seed)
            model = build(rc_lambda)
            model.learn(iterator)
            results[name] = accuracy(model, iterator)
            results[name + "_model"] = model
            results[name + "_iterator"] = iterator
    print("target test accuracy: source only %.4f, DRCN %.4f (gain %+.1f points); %.1f s"
          % (results["source_only"], results["drcn"], 100 * (results["drcn"] - results["source_only"]),
             time.time() - started))
    if out:
        plot(results, data["examples"], out)
    return results


def plot(results: dict, examples, out: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(out, exist_ok=True)
    source, target = examples
    model = results["drcn_model"]
    decoded = model.inference_auto_encoder(mx.nd.array(target.reshape(-1, 1, 28, 28), ctx=mx.cpu())).asnumpy()
    fig, axes = plt.subplots(3, 8, figsize=(8, 3.3))
    for i in range(8):
        for row, img in enumerate((source[i], target[i], decoded[i])):
            axes[row, i].imshow(img.reshape(28, 28), cmap="gray", vmin=0, vmax=1)
            axes[row, i].axis("off")
    axes[0, 0].set_title("source", fontsize=8, loc="left")
    axes[1, 0].set_title("target (inverted, rotated 15°)", fontsize=8, loc="left")
    axes[2, 0].set_title("DRCN reconstruction of the target", fontsize=8, loc="left")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "drcn_domains.png"), dpi=70)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(4.5, 3))
    for name in ("source_only", "drcn"):
        ax.plot(np.arange(1, len(results[name + "_model"].acc_arr) + 1), results[name + "_model"].acc_arr[:, 1],
                marker="o", label=name.replace("_", " "))
    ax.set_xlabel("epoch")
    ax.set_ylabel("target test accuracy")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(out, "drcn_accuracy.png"), dpi=70)
    plt.close(fig)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--per-class", type=int, default=200)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    main(args.epochs, args.per_class, args.out)
