"""Convolutional auto-encoder: accelbrainbase vs a hand-written hybridized Gluon CAE, in one process.

The layers are those of accel-brain-base's CAE demo notebook (tests/clients/_reference_notebooks.py,
"cae"): encoder Conv2D(16, 6, stride 2, pad 1) → relu → BatchNorm, Conv2D(32, 3, pad 1) → relu →
BatchNorm; decoder Conv2DTranspose(16, 3, pad 1) → relu → BatchNorm, Conv2DTranspose(1, 6, stride 2,
pad 1) (a single-channel 1×28×28 output); tied weights (decoder layer ``L-1-i`` takes encoder layer
``i``'s weight), plain SGD, batch 40, the per-sample loss ``sqrt(mean((x - x̂)²))`` of the library's
``L2NormLoss``. Data: the MNIST subset (pixels / 255; 4,000 training and 1,000 test digits).

Both sides train the same number of steps, compute the test loss once per epoch and wait for the
device once per epoch. The library side is ``ConvolutionalAutoEncoder.learn(ArrayIterator(...))``
with the default oneDNN backend (its time includes the iterator, history and engine).

What the hand-written side does (what a competent Gluon user writes for this model on MXNet 1.9.1):

* one ``HybridBlock`` (``static_alloc``/``static_shape``) for the whole auto-encoder and its loss;
* relu as the ``Activation`` operator, which oneDNN implements (``F.relu`` made this reference
  about 20 % slower), and the epoch's shuffled indices uploaded once per epoch (an ``nd.array``
  per batch waits for the engine: another 15 %);
* the tied 3×3 layer: the decoder's transposed convolution reads the encoder's weight inside the
  graph through ``BlockGrad`` (the decoder has no weight of its own), which is what copying the
  encoder's weight into the decoder after every step computes;
* the single-channel output layer: oneDNN cannot back-propagate through a one-output-channel
  ``Deconvolution`` (docs/FINDINGS #18), and building a wider weight inside the graph crashes
  MXNet 1.9.1, so the decoder keeps a 2-output-channel weight (not trained: ``grad_req='null'``),
  slices the second channel away, and after every step one operator writes the encoder's weight
  into it (``broadcast_axis(..., out=)``).

The test reconstruction MSE of both is printed (they must be comparable). Peak resident memory
is measured per side in a fresh process (benchmarks/_harness.py).

Run: python benchmarks/bench_cae.py [--repeats 3] [--json rows.json] [--epochs 3]
"""
from contextlib import contextmanager
import os
import sys
import time

import numpy as np

import accelbrainbase  # noqa: F401

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the repository root
from demo.mnist import mnist_subset  # noqa: E402
from benchmarks._harness import Benchmark, Comparison, Result, main  # noqa: E402
import mxnet as mx  # noqa: E402
from mxnet import autograd, gluon, nd  # noqa: E402
from mxnet.gluon import nn  # noqa: E402

from accelbrainbase.computableloss._mxnet.l2_norm_loss import L2NormLoss  # noqa: E402
from accelbrainbase.iteratabledata._mxnet.array_iterator import ArrayIterator  # noqa: E402
from accelbrainbase.observabledata._mxnet.convolutional_neural_networks import ConvolutionalNeuralNetworks  # noqa: E402
from accelbrainbase.observabledata._mxnet.convolutionalneuralnetworks.convolutional_auto_encoder import (  # noqa: E402
    ConvolutionalAutoEncoder,
)

BATCH, LEARNING_RATE = 40, 0.05
CTX = mx.cpu()
INIT = mx.init.Xavier(rnd_type="gaussian", factor_type="in", magnitude=1)  # the library CAE's default


def library_run(x_train, x_test, epochs):
    mx.random.seed(0)
    loss = L2NormLoss()
    encoder = ConvolutionalNeuralNetworks(
        loss, hidden_units_list=[nn.Conv2D(16, 6, strides=(2, 2), padding=(1, 1)),
                                 nn.Conv2D(32, 3, strides=(1, 1), padding=(1, 1))],
        hidden_activation_list=["relu", "relu"], hidden_dropout_rate_list=[0.0, 0.0],
        hidden_batch_norm_list=[nn.BatchNorm(), nn.BatchNorm()], ctx=CTX, not_init_flag=True)
    decoder = ConvolutionalNeuralNetworks(
        loss, hidden_units_list=[nn.Conv2DTranspose(16, 3, strides=(1, 1), padding=(1, 1)),
                                 nn.Conv2DTranspose(1, 6, strides=(2, 2), padding=(1, 1))],
        hidden_activation_list=["relu", "identity"], hidden_dropout_rate_list=[0.0, 0.0],
        hidden_batch_norm_list=[nn.BatchNorm(), None], ctx=CTX, not_init_flag=True)
    model = ConvolutionalAutoEncoder(encoder, decoder, loss, learning_rate=LEARNING_RATE, optimizer_name="SGD",
                                     tied_weights_flag=True, ctx=CTX)
    iterator = ArrayIterator(x_train, None, x_test, None, epochs=epochs, batch_size=BATCH, ctx=CTX, seed=0)
    nd.waitall()
    started = time.perf_counter()
    model.learn(iterator)
    nd.waitall()
    seconds = time.perf_counter() - started
    test = nd.array(x_test, ctx=CTX)
    reconstruction = nd.concat(*[model.inference(test[i:i + BATCH]) for i in range(0, len(x_test), BATCH)], dim=0)
    mse = float(((reconstruction - test) ** 2).mean().asscalar())  # in batches, as the reference does
    return Result(seconds, iterator.iter_n * BATCH, {"test MSE": mse, "last test loss": float(model.loss_arr[-1, 1])})


class HandWrittenCAE(gluon.HybridBlock):
    """The same auto-encoder as one graph (see the module docstring for the tied layers)."""

    def __init__(self):
        super().__init__()
        with self.name_scope():
            self.conv1 = nn.Conv2D(16, 6, strides=2, padding=1, in_channels=1)
            self.norm1 = nn.BatchNorm(in_channels=16)
            self.conv2 = nn.Conv2D(32, 3, padding=1, in_channels=16)
            self.norm2 = nn.BatchNorm(in_channels=32)
            self.deconv1_bias = self.params.get("deconv1_bias", shape=(16,), init="zeros")
            self.norm3 = nn.BatchNorm(in_channels=16)
            # 2 output channels (the second is sliced away); written from conv1's weight
            self.deconv2_weight = self.params.get("deconv2_weight", shape=(16, 2, 6, 6), grad_req="null")
            self.deconv2_bias = self.params.get("deconv2_bias", shape=(1,), init="zeros")

    def hybrid_forward(self, F, x, deconv1_bias, deconv2_weight, deconv2_bias):
        h = self.norm1(F.Activation(self.conv1(x), act_type="relu"))
        h = self.norm2(F.Activation(self.conv2(h), act_type="relu"))
        h = F.Deconvolution(h, F.BlockGrad(self.conv2.weight.var() if F is mx.sym else self.conv2.weight.data()),
                            deconv1_bias, kernel=(3, 3), pad=(1, 1), num_filter=16, no_bias=False)
        h = self.norm3(F.Activation(h, act_type="relu"))
        out = F.Deconvolution(h, deconv2_weight, F.concat(deconv2_bias, deconv2_bias, dim=0), kernel=(6, 6),
                              stride=(2, 2), pad=(1, 1), num_filter=2, no_bias=False)
        reconstruction = F.slice_axis(out, axis=1, begin=0, end=1)
        return F.sqrt(F.mean(F.square(x - reconstruction), axis=0, exclude=True) + 1e-12), reconstruction


def hand_written_run(x_train, x_test, epochs):
    mx.random.seed(0)
    net = HandWrittenCAE()
    net.initialize(INIT, ctx=CTX)
    net.hybridize(static_alloc=True, static_shape=True)
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": LEARNING_RATE})
    source, tied = net.conv1.weight.data(), net.deconv2_weight.data()

    def tie():
        nd.broadcast_axis(source, axis=1, size=2, out=tied)

    tie()
    data, test = nd.array(x_train, ctx=CTX), nd.array(x_test, ctx=CTX)
    rng = np.random.RandomState(0)
    per_epoch = len(x_train) // BATCH
    test_batches = [test[i:i + BATCH] for i in range(0, len(x_test), BATCH)]
    nd.waitall()
    started = time.perf_counter()
    for _ in range(epochs):
        order = nd.array(rng.permutation(len(x_train)), ctx=CTX)  # one upload per epoch (a host copy
        for i in range(per_epoch):                                  # per batch waits for the engine)
            x = nd.take(data, order[i * BATCH:(i + 1) * BATCH])
            with autograd.record():
                loss, _ = net(x)
            loss.backward()
            trainer.step(BATCH)
            tie()
        test_loss = nd.concat(*[net(batch)[0] for batch in test_batches], dim=0).mean()
        test_loss.asscalar()  # one wait per epoch, as the library does
    nd.waitall()
    seconds = time.perf_counter() - started
    reconstruction = nd.concat(*[net(batch)[1] for batch in test_batches], dim=0)
    mse = float(((reconstruction - test) ** 2).mean().asscalar())
    return Result(seconds, epochs * per_epoch * BATCH, {"test MSE": mse, "last test loss": float(test_loss.asscalar())})


def add_arguments(parser):
    parser.add_argument("--epochs", type=int, default=3, help="passes over the 4,000 training digits")


@contextmanager
def sides(args):
    x_train, _, x_test, _ = mnist_subset()
    x_train, x_test = x_train.reshape(-1, 1, 28, 28), x_test.reshape(-1, 1, 28, 28)
    yield {
        "hand-written hybridized Gluon CAE": lambda repeat: hand_written_run(x_train, x_test, args.epochs),
        "accelbrainbase ConvolutionalAutoEncoder": lambda repeat: library_run(x_train, x_test, args.epochs),
    }


BENCHMARK = Benchmark(
    "cae", "Convolutional auto-encoder (the CAE notebook's layers, tied weights, SGD, batch 40) on 4,000 MNIST "
    "digits", "samples", sides,
    [Comparison("CAE vs hand-written Gluon", "accelbrainbase ConvolutionalAutoEncoder",
                "hand-written hybridized Gluon CAE", 1.10)],
    add_arguments)


if __name__ == "__main__":
    main(BENCHMARK)
