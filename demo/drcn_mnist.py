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
from mxnet.gluon import HybridBlock  # noqa: E402
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
        "target_x": shift_domain(x_train[target]),
        "examples": (x_test[:8], shift_domain(x_test[:8])),
    }


class PolarityInvariantConv(HybridBlock):
    """The encoder's first layer: convolution (no bias) → batch normalisation without a shift →
    ``|·|``. With each domain normalised by its own statistics, an inverted image ``1 − x`` gives
    the negated normalised response of ``x`` (the convolution of the constant 1 is removed by the
    mean), and the absolute value maps both to the same features: a contrast-polarity-invariant
    edge detector (the "energy" of a simple cell). No padding, so the image border never meets a
    zero that only one domain's background differs from."""

    def __init__(self, channels: int, kernel_size: int, strides: int, **kwargs) -> None:
        super().__init__(**kwargs)
        with self.name_scope():
            self.conv = Conv2D(channels, kernel_size, strides=strides, padding=0, use_bias=False)
            self.norm = BatchNorm(center=False)

    def hybrid_forward(self, F, x):
        return F.abs(self.norm(self.conv(x)))


def build(rc_lambda: float, learning_rate: float = 1e-3) -> DRCNetworks:
    """The network of every run: a 2-layer conv encoder (28 → 12 → 6), its mirrored decoder, a
    dense head."""
    loss = L2NormLoss()
    encoder = ConvolutionalNeuralNetworks(
        loss, hidden_units_list=[PolarityInvariantConv(32, 5, 2), Conv2D(64, 3, strides=2, padding=1)],
        hidden_dropout_rate_list=[0.0, 0.0], hidden_batch_norm_list=[None, BatchNorm()],
        hidden_activation_list=["identity", "relu"], not_init_flag=True, ctx=mx.cpu())
    decoder = ConvolutionalNeuralNetworks(
        loss, hidden_units_list=[Conv2DTranspose(32, 3, strides=2, padding=1, output_padding=1),
                                 Conv2DTranspose(1, 5, strides=2, padding=0, output_padding=1)],
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


def as_images(x: np.ndarray) -> mx.nd.NDArray:
    """(N, 784) in [0, 1] → (N, 1, 28, 28) as the iterator sees the PNGs (bytes, per-image min-max)."""
    x = np.rint(x * 255).reshape(-1, 1, 28, 28) / 255.0
    low, high = x.min(axis=(1, 2, 3), keepdims=True), x.max(axis=(1, 2, 3), keepdims=True)
    return mx.nd.array((x - low) / np.maximum(high - low, 1e-8), ctx=mx.cpu())


def main(epochs: int = 6, per_class: int = 200, out: str = None, seed: int = 0,
         rc_lambda: float = 0.7) -> dict:
    """Three figures on the target test digits:

    * ``source_only``: trained on labelled source digits alone (the iterator's "target" is the
      source itself, ``rc_lambda=1``), its batch-norm statistics those of the source;
    * ``source_only_adabn``: the same model with its statistics re-estimated on the unlabelled
      target images (the ablation: what domain statistics alone give);
    * ``drcn``: source classification + target reconstruction (``rc_lambda``) through the shared
      encoder, classified with the target's statistics.
    """
    started = time.time()
    results = {}
    with tempfile.TemporaryDirectory() as root:
        data = make_data(root, per_class)
        target_arr = as_images(data["target_x"])
        extractor = ImageExtractor(28, 28, 1, ctx=mx.cpu())
        for name, lam in (("source_only", 1.0), ("drcn", rc_lambda)):
            mx.random.seed(seed)
            np.random.seed(seed)
            target_dirs = data["source"] if name == "source_only" else data["target"]
            iterator = DRCNIterator(extractor, data["source"], target_dirs, data["target_test"], epochs=epochs,
                                    batch_size=50, norm_mode="min_max", ctx=mx.cpu(), seed=seed)
            model = build(lam)
            model.learn(iterator)
            if name == "source_only":
                results[name] = accuracy(model, iterator)
                model.adapt_batch_norm(target_arr)
                results["source_only_adabn"] = accuracy(model, iterator)
            else:
                results["drcn_mixed_statistics"] = accuracy(model, iterator)
                model.adapt_batch_norm(target_arr)
                results[name] = accuracy(model, iterator)
            results[name + "_model"] = model
    print("target test accuracy: source only %.4f | source only + target BN statistics %.4f | "
          "DRCN (rc_lambda=%.2f) %.4f [with mixed statistics %.4f] | gain over source only %+.1f points; %.1f s"
          % (results["source_only"], results["source_only_adabn"], rc_lambda, results["drcn"],
             results["drcn_mixed_statistics"], 100 * (results["drcn"] - results["source_only"]),
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


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--per-class", type=int, default=200)
    parser.add_argument("--out", default=None)
    parser.add_argument("--rc-lambda", type=float, default=0.7)
    args = parser.parse_args()
    main(args.epochs, args.per_class, args.out, rc_lambda=args.rc_lambda)
