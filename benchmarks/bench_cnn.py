"""CNN classifier: accelbrainbase vs a hand-written hybridized Gluon loop, in one process.

Both decode the same 4,000 training PNGs once (timed), z-score each image, and train the same
LeNet-style network (same layers, Adam, batch 50, same number of batches) on the CPU. The
library run also counts how many image files are opened while it trains (must be 0: the
folder is decoded once, batches come from memory).

Both evaluate the whole test split (loss and accuracy) after every epoch; the library run fails
if it opens an image file while it trains.

Run: python benchmarks/bench_cnn.py [--epochs 3] [--repeats 3] [--json rows.json]
"""
from contextlib import contextmanager
import os
import sys
import tempfile
import time

import numpy as np

import accelbrainbase  # noqa: F401
import mxnet as mx
from mxnet import autograd, gluon, nd
from mxnet.gluon import nn

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the repository root
from demo.mnist import write_mnist_folders  # noqa: E402
from benchmarks._harness import Benchmark, Comparison, Result, main  # noqa: E402

from accelbrainbase.extractabledata._mxnet.image_extractor import ImageExtractor  # noqa: E402
from accelbrainbase.iteratabledata._mxnet.labeled_image_iterator import LabeledImageIterator  # noqa: E402
from accelbrainbase.observabledata._mxnet.convolutional_neural_networks import ConvolutionalNeuralNetworks  # noqa: E402
from accelbrainbase.observabledata._mxnet.neural_networks import NeuralNetworks  # noqa: E402

BATCH = 50


def library_run(train_dirs, test_dirs, epochs):
    import PIL.Image

    opened = {"n": 0}
    original_open = PIL.Image.open

    def counting_open(*args, **kwargs):
        opened["n"] += 1
        return original_open(*args, **kwargs)

    started = time.perf_counter()
    iterator = LabeledImageIterator(ImageExtractor(28, 28, 1, ctx=mx.cpu()), train_dirs, test_dirs, epochs=epochs,
                                    batch_size=BATCH, norm_mode="z_score", ctx=mx.cpu(), seed=0)
    loss = gluon.loss.SoftmaxCrossEntropyLoss(sparse_label=False)
    head = NeuralNetworks(loss, units_list=[128, 10], activation_list=["relu", "identity"],
                          dropout_rate_list=[0.0, 0.0], not_init_flag=True)
    model = ConvolutionalNeuralNetworks(
        loss, hidden_units_list=[nn.Conv2D(16, 5, padding=2), nn.MaxPool2D(2), nn.Conv2D(32, 5, padding=2),
                                 nn.MaxPool2D(2)],
        hidden_dropout_rate_list=[0.0] * 4, hidden_batch_norm_list=[nn.BatchNorm(), None, nn.BatchNorm(), None],
        hidden_activation_list=["relu", "identity", "relu", "identity"], output_nn=head,
        learning_rate=2e-3, optimizer_name="adam", ctx=mx.cpu())
    PIL.Image.open = counting_open
    try:
        model.learn(iterator)
        nd.waitall()
    finally:
        PIL.Image.open = original_open
    seconds = time.perf_counter() - started
    return seconds, iterator.iter_n, opened["n"], float(model.acc_arr[-1, 1])


def _decode(dirs):
    """Every PNG of the class folders ``dirs`` → z-scored ``(N, 1, 28, 28)`` and one-hot labels."""
    from PIL import Image

    files = [(os.path.join(d, f), label) for label, d in enumerate(sorted(dirs)) for f in sorted(os.listdir(d))]
    images = np.stack([np.asarray(Image.open(path).convert("L"), dtype=np.float32)[None] for path, _ in files])
    flat = images.reshape(len(images), -1)
    images = ((flat - flat.mean(axis=1, keepdims=True)) / flat.std(axis=1, keepdims=True)).reshape(images.shape)
    labels = np.eye(10, dtype=np.float32)[[label for _, label in files]]
    return nd.array(images), nd.array(labels)


def hand_written_run(train_dirs, test_dirs, epochs):
    """What a Gluon user writes for the same work: decode both folders once, train, and after each
    epoch evaluate the whole test split (loss and accuracy, in predict mode), as ``learn`` does."""
    started = time.perf_counter()
    data, targets = _decode(train_dirs)
    test_data, test_targets = _decode(test_dirs)

    net = nn.HybridSequential()
    net.add(nn.Conv2D(16, 5, padding=2), nn.Activation("relu"), nn.BatchNorm(), nn.MaxPool2D(2),
            nn.Conv2D(32, 5, padding=2), nn.Activation("relu"), nn.BatchNorm(), nn.MaxPool2D(2),
            nn.Flatten(), nn.Dense(128, activation="relu"), nn.Dense(10))
    net.initialize(mx.init.Xavier(rnd_type="gaussian", factor_type="in", magnitude=2), ctx=mx.cpu())
    net.hybridize(static_alloc=True, static_shape=True)
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 2e-3})
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss(sparse_label=False)
    rng = np.random.RandomState(0)
    per_epoch = len(data) // BATCH
    steps = 0
    for _ in range(epochs):
        order = rng.permutation(len(data))
        for i in range(per_epoch):
            index = nd.array(order[i * BATCH:(i + 1) * BATCH])
            x, y = nd.take(data, index), nd.take(targets, index)
            with autograd.record():
                loss = loss_fn(net(x), y)
            loss.backward()
            trainer.step(BATCH)
            steps += 1
        test_loss, hits = nd.zeros((1,)), nd.zeros((1,))
        for lo in range(0, len(test_data) - BATCH + 1, BATCH):
            x, y = test_data[lo:lo + BATCH], test_targets[lo:lo + BATCH]
            out = net(x)
            test_loss = test_loss + loss_fn(out, y).sum()
            hits = hits + (out.argmax(axis=1) == y.argmax(axis=1)).sum()
        float(loss.mean().asscalar()), float(test_loss.asscalar()), float(hits.asscalar())  # one sync per epoch
    nd.waitall()
    accuracy = float(hits.asscalar()) / (len(test_data) // BATCH * BATCH)
    return time.perf_counter() - started, steps, accuracy


def add_arguments(parser):
    parser.add_argument("--epochs", type=int, default=3)


@contextmanager
def sides(args):
    with tempfile.TemporaryDirectory() as root:
        train_dirs, test_dirs = write_mnist_folders(root)

        def library(repeat):
            mx.random.seed(0)
            seconds, steps, opened, accuracy = library_run(train_dirs, test_dirs, args.epochs)
            if opened:
                raise AssertionError("the library opened %d image files while training (expected 0)" % opened)
            return Result(seconds, steps * BATCH, {"test accuracy": accuracy})

        def hand_written(repeat):
            mx.random.seed(0)
            seconds, steps, accuracy = hand_written_run(train_dirs, test_dirs, args.epochs)
            return Result(seconds, steps * BATCH, {"test accuracy": accuracy})

        yield {"accelbrainbase (LabeledImageIterator + CNN.learn)": library,
               "hand-written hybridized Gluon loop": hand_written}


BENCHMARK = Benchmark(
    "cnn", "CNN classifier on 4,000 MNIST PNGs, batch 50 (decoding and per-epoch test evaluation included)",
    "samples", sides,
    [Comparison("CNN vs hand-written Gluon", "accelbrainbase (LabeledImageIterator + CNN.learn)",
                "hand-written hybridized Gluon loop", 1.10)],
    add_arguments)


if __name__ == "__main__":
    main(BENCHMARK)
