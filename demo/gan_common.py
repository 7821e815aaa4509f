"""Shared pieces of the adversarial demos (demo/gan_*.py) and benchmarks/bench_gan.py.

- the MNIST subset as ``(N, 1, 28, 28)`` float32 images in [0, 1];
- a CNN digit classifier trained with the library's ``ConvolutionalNeuralNetworks`` (its softmax
  gives ``p(y|x)`` for the classifier score, its 128-unit penultimate layer the features of the
  Fréchet distance), and ``BackgroundClassifier``, which trains it in a worker process while a
  demo trains its GAN;
- the classifier score ``exp(E_x[KL(p(y|x) || p(y))])`` and the Fréchet distance of two feature
  sets;
- the DCGAN-style players (generator: dense → 128×7×7 → transposed convolutions to 1×28×28;
  discriminator: two stride-2 convolutions with leaky ReLUs → one sigmoid unit);
- a PNG grid writer.
"""
import argparse
import os
import re
import sys
import time
from typing import Optional

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))

import accelbrainbase  # noqa: E402,F401
import mxnet as mx  # noqa: E402
import numpy as np  # noqa: E402
from mxnet import gluon, nd  # noqa: E402
from mxnet.gluon import nn  # noqa: E402

from accelbrainbase.computableloss._mxnet.l2_norm_loss import L2NormLoss  # noqa: E402
from accelbrainbase.iteratabledata._mxnet.array_iterator import ArrayIterator  # noqa: E402
from accelbrainbase.observabledata._mxnet.convolutional_neural_networks import \
    ConvolutionalNeuralNetworks  # noqa: E402
from accelbrainbase.observabledata._mxnet.neural_networks import NeuralNetworks  # noqa: E402
from demo.mnist import mnist_subset  # noqa: E402

CTX = mx.cpu()


def images(split_seed: Optional[int] = None):
    """``(x_train (4000,1,28,28), y_train, x_test (1000,1,28,28), y_test)``; ``split_seed`` as in
    :func:`demo.mnist.mnist_subset` (``None``: the demos' fixed split)."""
    x_train, y_train, x_test, y_test = mnist_subset(split_seed)
    return x_train.reshape(-1, 1, 28, 28), y_train, x_test.reshape(-1, 1, 28, 28), y_test


# ---------------------------------------------------------------------- the judge
def shifted_copies(x: np.ndarray, copies: int, seed: int = 0, max_shift: int = 2) -> np.ndarray:
    """``copies`` versions of every image of ``x`` (N, 1, 28, 28), each moved by a random whole
    number of pixels in ``[-max_shift, max_shift]`` along each axis (the vacated border is zero):
    ``(copies * N, 1, 28, 28)``."""
    rng = np.random.RandomState(seed)
    n, _, h, w = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (max_shift, max_shift), (max_shift, max_shift)))
    out = np.empty((copies * n,) + x.shape[1:], dtype=x.dtype)
    for c in range(copies):
        dy, dx = rng.randint(0, 2 * max_shift + 1, (2, n))
        for i in range(n):
            out[c * n + i] = padded[i, :, dy[i]:dy[i] + h, dx[i]:dx[i] + w]
    return out


class DigitClassifier:
    """A LeNet-style CNN (library ``ConvolutionalNeuralNetworks``) trained on real digits and on
    ``copies`` shifted versions of them (:func:`shifted_copies`).

    The shifted copies make the judge's accuracy a property of the data rather than of the
    machine: trained on the 4,000 digits alone (12 epochs) it reached 0.975 test accuracy on one
    machine and 0.964 on another (the same seed; floating-point summation order differs); with
    two shifted copies (8 epochs over the 12,000) it reaches 0.974 on the second machine (0.979 and
    0.981 with other draws of the shifts).
    """

    def __init__(self, epochs: int = 8, seed: int = 0, copies: int = 2):
        self.epochs = epochs
        self.seed = seed
        self.copies = copies
        loss = gluon.loss.SoftmaxCrossEntropyLoss(sparse_label=False)
        self.head = NeuralNetworks(loss, units_list=[128, 10], activation_list=["relu", "identity"],
                                   dropout_rate_list=[0.3, 0.0], not_init_flag=True, ctx=CTX)
        self.model = ConvolutionalNeuralNetworks(
            loss, hidden_units_list=[nn.Conv2D(32, 3, padding=1), nn.MaxPool2D(2), nn.Conv2D(64, 3, padding=1),
                                     nn.MaxPool2D(2)],
            hidden_dropout_rate_list=[0.0] * 4, hidden_batch_norm_list=[nn.BatchNorm(), None, nn.BatchNorm(), None],
            hidden_activation_list=["relu", "identity", "relu", "identity"], output_nn=self.head,
            learning_rate=1e-3, optimizer_name="adam", ctx=CTX)
        self.test_accuracy = None

    def fit(self, x_train, y_train, x_test, y_test):
        eye = np.eye(10, dtype=np.float32)
        if self.copies:
            x_train = np.concatenate([x_train, shifted_copies(x_train, self.copies, self.seed)])
            y_train = np.tile(y_train, self.copies + 1)
        mx.random.seed(self.seed)
        iterator = ArrayIterator(x_train, eye[y_train], x_test, eye[y_test], epochs=self.epochs, batch_size=50,
                                 ctx=CTX, seed=self.seed)
        self.model.learn(iterator)
        self.test_accuracy = float((self.probabilities(x_test).argmax(axis=1) == y_test).mean())
        return self

    def _batches(self, x, fn, batch: int = 500):
        out = [fn(nd.array(x[i:i + batch], ctx=CTX)).asnumpy() for i in range(0, len(x), batch)]
        return np.concatenate(out)

    def probabilities(self, x) -> np.ndarray:
        """``p(y|x)``, ``(N, 10)``."""
        return self._batches(x, lambda b: nd.softmax(self.model.inference(b), axis=1))

    def features(self, x) -> np.ndarray:
        """The 128 ReLU units before the output layer, ``(N, 128)``."""
        def penultimate(b):
            h = nd.flatten(self.model._hidden_forward(nd, b))
            return nd.relu(self.head.fc_list[0](h))
        return self._batches(x, penultimate)


def classifier_score(probabilities: np.ndarray) -> float:
    """``exp(E_x[KL(p(y|x) || p(y))])``: 10 for confident, class-balanced samples, 1 for noise."""
    p = np.clip(probabilities.astype(np.float64), 1e-12, 1.0)
    marginal = p.mean(axis=0, keepdims=True)
    return float(np.exp((p * (np.log(p) - np.log(marginal))).sum(axis=1).mean()))


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """``|μa − μb|² + tr(Σa + Σb − 2 (Σa Σb)^½)`` of two feature sets (rows are samples)."""
    from scipy import linalg

    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    # ReLU features have dead units, so the covariances are singular; a tiny ridge (far below the
    # features' variances) makes the matrix square root well defined, as in the reference FID code
    ridge = 1e-6 * np.eye(cov_a.shape[0])
    root, _ = linalg.sqrtm((cov_a + ridge).dot(cov_b + ridge), disp=False)
    root = root.real
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a + cov_b - 2.0 * root))


# ---------------------------------------------------------------------- the players
def _cnn(layers, activations, norms=None, **kwargs):
    return ConvolutionalNeuralNetworks(L2NormLoss(), hidden_units_list=layers,
                                       hidden_dropout_rate_list=[0.0] * len(layers),
                                       hidden_batch_norm_list=norms or [None] * len(layers),
                                       hidden_activation_list=activations, not_init_flag=True, ctx=CTX, **kwargs)


def generator_network(z_dim: int, channels: int = 64, projection: int = 128, refine: bool = False):
    """z (B, z_dim) → dense projection×7×7 → batch norm, ReLU → 4×4/2 transposed conv (channels, ReLU,
    batch norm) → [3×3/1 conv (channels, ReLU, batch norm) at 14×14 if ``refine``] → 4×4/2
    transposed conv (1 channel, sigmoid): 1×28×28.

    The projection's batch norm runs after the reshape to 128×7×7 (as the first "hidden layer"):
    a batch norm on the dense output followed by the reshape fails in the backward pass of a
    hybridized graph with oneDNN on ("Check failed: !is_view").
    """
    dense = NeuralNetworks(L2NormLoss(), units_list=[projection * 7 * 7], activation_list=["identity"],
                           dropout_rate_list=[0.0], not_init_flag=True, ctx=CTX)
    layers = [nn.BatchNorm(), nn.Conv2DTranspose(channels, 4, strides=2, padding=1)]
    activations, norms = ["relu", "relu"], [None, nn.BatchNorm()]
    if refine:
        layers.append(nn.Conv2D(channels, 3, strides=1, padding=1))
        activations.append("relu")
        norms.append(nn.BatchNorm())
    layers.append(nn.Conv2DTranspose(1, 4, strides=2, padding=1))
    activations.append("sigmoid")
    norms.append(None)
    return _cnn(layers, activations, norms=norms, input_nn=dense, input_result_channel=projection,
                input_result_height=7, input_result_width=7)


def _leaky(conv):
    block = nn.HybridSequential()
    block.add(conv, nn.LeakyReLU(0.2))
    return block


class MinibatchStddev(nn.HybridBlock):
    """Appends one feature map holding the batch's average standard deviation (Karras et al. 2018).

    ``(B, C, H, W) → (B, C + 1, H, W)``: the standard deviation of every feature over the batch,
    averaged over features and positions, broadcast to a plane. A discriminator that sees it can
    tell a batch of too-similar samples from a batch of real ones, so the generator is pushed to
    spread its samples as widely as the data.
    """

    def hybrid_forward(self, F, x):
        rows = F.reshape(x, (0, -1))
        ones = F.ones_like(F.slice_axis(rows, axis=1, begin=0, end=1))
        weights = F.broadcast_div(ones, F.sum(ones))  # (B, 1), each 1/B
        # batch moments as products (MXNet's CPU reductions over the batch axis, and the backward of
        # a broadcast subtraction, cost twice as much): var = E[x²] − E[x]²
        mean = F.dot(weights, rows, transpose_a=True)
        variance = F.relu(F.dot(weights, F.square(rows), transpose_a=True) - F.square(mean))
        spread = F.reshape(F.mean(F.sqrt(variance + 1e-8)), (1, 1, 1, 1))
        plane = F.ones_like(F.slice_axis(x, axis=1, begin=0, end=1))
        return F.concat(x, F.broadcast_mul(plane, spread), dim=1)


def discriminator_network(channels: int = 64, in_channels: int = 1, output: str = "sigmoid", units: int = 1,
                          minibatch_stddev: bool = False, third_channels: int = 0):
    """1×28×28 → 4×4/2 conv (channels/2, leaky) → 4×4/2 conv (channels, leaky, batch norm) →
    [3×3/1 conv (``third_channels``, leaky, batch norm) at 7×7 if ``third_channels``] →
    [:class:`MinibatchStddev` if ``minibatch_stddev``] → ``units`` dense units (``output``
    activation): one sigmoid unit for a discriminator, or ``units=z_dim, output="identity"`` for
    the encoder of an auto-encoder (demo/aae_mnist.py)."""
    head = NeuralNetworks(L2NormLoss(), units_list=[units], activation_list=[output], dropout_rate_list=[0.0],
                          not_init_flag=True, ctx=CTX)
    layers = [_leaky(nn.Conv2D(channels // 2, 4, strides=2, padding=1, in_channels=in_channels)),
              _leaky(nn.Conv2D(channels, 4, strides=2, padding=1))]
    norms = [None, nn.BatchNorm()]
    if third_channels:
        layers.append(_leaky(nn.Conv2D(third_channels, 3, strides=1, padding=1)))
        norms.append(nn.BatchNorm())
    if minibatch_stddev:
        layers.append(MinibatchStddev())
        norms.append(None)
    return _cnn(layers, ["identity"] * len(layers), norms=norms, output_nn=head)


# ---------------------------------------------------------------------- output
def save_grid(x: np.ndarray, path: str, rows: int = 10, columns: int = 10) -> str:
    """Write ``rows × columns`` images of ``x`` (N, 1, 28, 28) in [0, 1] as one grayscale PNG."""
    from PIL import Image

    tiles = x[:rows * columns, 0]
    h, w = tiles.shape[1:]
    grid = np.ones((rows * (h + 2) + 2, columns * (w + 2) + 2), dtype=np.float32)
    for k, tile in enumerate(tiles):
        r, c = divmod(k, columns)
        grid[2 + r * (h + 2):2 + r * (h + 2) + h, 2 + c * (w + 2):2 + c * (w + 2) + w] = 1.0 - tile
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    Image.fromarray(np.rint(np.clip(grid, 0, 1) * 255).astype(np.uint8)).save(path, optimize=True)
    return path


def load_average() -> str:
    return "load average %.2f, %.2f, %.2f" % os.getloadavg()


def demo_arguments(doc: str, iterations: int = 1500, configure=None) -> argparse.Namespace:
    """The GAN demos' command line: seed, iterations (``iterations`` is the demo's default),
    k_step, classifier epochs, output folder; ``configure(parser)``, if given, adds a demo's own."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--iterations", type=int, default=iterations)
    parser.add_argument("--k-step", type=int, default=1)
    parser.add_argument("--classifier-epochs", type=int, default=8)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir,
                                                      "docs", "images"))
    if configure is not None:
        configure(parser)
    args = parser.parse_args()
    args.changed = changed_settings(parser, args)
    os.environ.setdefault("ACCELBRAINBASE_PROGRESS", "0")
    return args


def changed_settings(parser: argparse.ArgumentParser, args: argparse.Namespace, keep=("out",)) -> dict:
    """The options of ``args`` that differ from ``parser``'s defaults (``keep`` left out)."""
    return {key: value for key, value in vars(args).items()
            if key not in keep and key != "changed" and value != parser.get_default(key)}


def picture_path(out: str, stem: str, changed: dict) -> str:
    """``out/stem.png`` for the documented command; with other settings, a name that says which
    (``gan_mnist_samples_seed-1_split-seed-2.png``), so that a measurement run never replaces the
    picture the docs show."""
    parts = []
    for key, value in sorted(changed.items()):
        key = key.replace("_", "-")
        parts.append(key if value is True else "%s-%s" % (key, re.sub(r"[^A-Za-z0-9.+-]", "", str(value))))
    return os.path.join(out, "_".join([stem] + parts) + ".png")


#: the thread settings a judge worker starts with (read by MXNet when it loads)
_ONE_THREAD = {"OMP_NUM_THREADS": "1", "MXNET_CPU_WORKER_NTHREADS": "1"}


def _fit_judge_in_worker(epochs: int, path: str, split_seed: Optional[int] = None) -> tuple:
    """In a worker process: train the judge on the demo's digits and save its parameters to
    ``path``; returns ``(test accuracy, seconds)``."""
    started = time.perf_counter()
    x_train, y_train, x_test, y_test = images(split_seed)
    classifier = DigitClassifier(epochs=epochs).fit(x_train, y_train, x_test, y_test)
    classifier.model.save_parameters(path)
    return classifier.test_accuracy, time.perf_counter() - started


class BackgroundClassifier:
    """The demos' judge (:class:`DigitClassifier` on the demo's digits), trained in a spawned
    process with one thread while the caller trains its GAN; :meth:`result` waits for it and
    returns the fitted classifier.

    The GAN's small convolutions gain little from a second thread (the conditional demo: 305 s
    with one thread, 291 s with two), so the judge's training runs on the core the GAN leaves
    mostly idle instead of before it. Same seed, data and epochs as in-process; MXNet gives the
    same judge with one thread or two.
    """

    def __init__(self, epochs: int, split_seed: Optional[int] = None) -> None:
        import multiprocessing
        import tempfile
        from concurrent.futures import ProcessPoolExecutor

        self.epochs = epochs
        self._folder = tempfile.mkdtemp(prefix="accelbrainbase-judge-")
        self._path = os.path.join(self._folder, "judge.params")
        self._started = time.perf_counter()
        saved = {name: os.environ.get(name) for name in _ONE_THREAD}
        os.environ.update(_ONE_THREAD)  # the worker process inherits these when it starts (in submit)
        try:
            self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
            self._future = self._pool.submit(_fit_judge_in_worker, epochs, self._path, split_seed)
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value

    def result(self) -> "DigitClassifier":
        """The trained classifier (waits for the worker); prints its test accuracy."""
        import shutil

        try:
            accuracy, seconds = self._future.result()
            classifier = DigitClassifier(epochs=self.epochs)
            classifier.model(nd.zeros((1, 1, 28, 28), ctx=CTX))  # creates the deferred parameters
            classifier.model.load_parameters(self._path, ctx=CTX)
        finally:
            self._pool.shutdown()
            shutil.rmtree(self._folder, ignore_errors=True)
        classifier.test_accuracy = accuracy
        print("digit classifier (library CNN, trained in a worker process beside the GAN): test accuracy %.4f "
              "(%.0f s; ready %.0f s after it started)" % (accuracy, seconds, time.perf_counter() - self._started))
        return classifier
