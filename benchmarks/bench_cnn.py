"""CNN classifier: accelbrainbase vs a hand-written hybridized Gluon loop, in one process.

Both decode the same 4,000 training PNGs once (timed), z-score each image, and train the same
LeNet-style network (same layers, Adam, batch 50, same number of batches) on the CPU. The
library run also counts how many image files are opened while it trains (must be 0: the
folder is decoded once, batches come from memory).

Run: python benchmarks/bench_cnn.py [--epochs 3] [--repeats 2]
"""
import argparse
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
    return time.perf_counter() - started, iterator.iter_n, opened["n"]


def hand_written_run(train_dirs, test_dirs, epochs):
    from PIL import Image

    started = time.perf_counter()
    files = [(os.path.join(d, f), label) for label, d in enumerate(sorted(train_dirs)) for f in sorted(os.listdir(d))]
    images = np.stack([np.asarray(Image.open(path).convert("L"), dtype=np.float32)[None] for path, _ in files])
    flat = images.reshape(len(images), -1)
    images = ((flat - flat.mean(axis=1, keepdims=True)) / flat.std(axis=1, keepdims=True)).reshape(images.shape)
    labels = np.eye(10, dtype=np.float32)[[label for _, label in files]]
    data, targets = nd.array(images), nd.array(labels)

    net = nn.HybridSequential()
    net.add(nn.Conv2D(16, 5, padding=2), nn.Activation("relu"), nn.BatchNorm(), nn.MaxPool2D(2),
            nn.Conv2D(32, 5, padding=2), nn.Activation("relu"), nn.BatchNorm(), nn.MaxPool2D(2),
            nn.Flatten(), nn.Dense(128, activation="relu"), nn.Dense(10))
    net.initialize(mx.init.Xavier(rnd_type="gaussian", factor_type="in", magnitude=2), ctx=mx.cpu())
    net.hybridize(static_alloc=True, static_shape=True)
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 2e-3})
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss(sparse_label=False)
    rng = np.random.RandomState(0)
    per_epoch = len(files) // BATCH
    steps = 0
    for _ in range(epochs):
        order = rng.permutation(len(files))
        for i in range(per_epoch):
            index = nd.array(order[i * BATCH:(i + 1) * BATCH])
            x, y = nd.take(data, index), nd.take(targets, index)
            with autograd.record():
                loss = loss_fn(net(x), y)
            loss.backward()
            trainer.step(BATCH)
            steps += 1
        loss.mean().asscalar()  # one sync per epoch, as the library does
    nd.waitall()
    return time.perf_counter() - started, steps


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    os.environ.setdefault("ACCELBRAINBASE_PROGRESS", "0")
    with tempfile.TemporaryDirectory() as root:
        train_dirs, test_dirs = write_mnist_folders(root)
        library, hand = [], []
        for _ in range(args.repeats):  # alternate, keep the best of each, to damp machine noise
            mx.random.seed(0)
            hand.append(hand_written_run(train_dirs, test_dirs, args.epochs))
            mx.random.seed(0)
            library.append(library_run(train_dirs, test_dirs, args.epochs))
    hand_time, hand_steps = min(hand)
    lib_time, lib_steps, opened = min(library)
    print("CNN classifier on 4,000 MNIST PNGs, %d epochs, batch %d (best of %d; decoding included)"
          % (args.epochs, BATCH, args.repeats))
    print("| run | batches | seconds | samples/s |")
    print("|---|---|---|---|")
    print("| hand-written hybridized Gluon loop | %d | %.2f | %.0f |" % (hand_steps, hand_time, hand_steps * BATCH / hand_time))
    print("| accelbrainbase (LabeledImageIterator + CNN.learn) | %d | %.2f | %.0f |" % (lib_steps, lib_time, lib_steps * BATCH / lib_time))
    print("time ratio library / hand-written: %.3f" % ((lib_time / lib_steps) / (hand_time / hand_steps)))
    print("image files opened while the library trained: %d" % opened)


if __name__ == "__main__":
    main()
