"""GAN on MNIST: GANController vs a hand-written hybridized Gluon GAN loop, in one process.

Both sides play the demo's game (demo/gan_mnist.py): DCGAN-style players, Adam (learning rate
5e-4, beta1 0.5), batch 64, z ~ N(0, 1) of 64 numbers, initial weights N(0, 0.02), and per
iteration ``k`` discriminator updates (a true and a generated batch, the generator not updated)
then one generator update on the non-saturating loss ``-log D(G(z))`` through the fixed
discriminator (train mode on both sides).

* generator: z → Dense(128·7·7) → reshape → BatchNorm → relu → 4×4/2 transposed conv (64) → relu →
  BatchNorm → 4×4/2 transposed conv (1) → sigmoid: 1×28×28;
* discriminator: 4×4/2 conv (32) → leaky relu → 4×4/2 conv (64) → leaky relu → BatchNorm →
  Dense(1) → sigmoid.

The library side is ``build_gan(...).learn(iter_n, k_step)`` from the demo: the engine, the
true sampler (``ArrayIterator`` batches gathered on the device), per-iteration loss and posterior
logs, and learning-rate decay every ``attenuate_epoch`` iterations are in its time.

What the hand-written side does (what a competent Gluon user writes on MXNet 1.9.1):

* one hybridized (``static_alloc``) ``HybridSequential`` per player, hybridized losses;
* the training digits on the device, each epoch's shuffled indices uploaded once, batches
  gathered with ``nd.take``;
* the losses summed on the device and read once per 100 iterations (the library's epoch);
* the single-channel output layer: oneDNN cannot back-propagate through a one-output-channel
  ``Deconvolution`` (docs/FINDINGS #18), so it is a two-output-channel transposed convolution
  whose second channel is sliced away (the library's ``WideConv2DTranspose`` does the same).

Run: python benchmarks/bench_gan.py [--iterations 300] [--k-step 1] [--repeats 3] [--json rows.json]
"""
from contextlib import contextmanager
import os
import sys
import time

import numpy as np

import accelbrainbase  # noqa: F401

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the repository root
from demo.gan_mnist import BATCH, Z, build_gan  # noqa: E402
from demo.gan_common import images  # noqa: E402
from benchmarks._harness import Benchmark, Comparison, Result, main  # noqa: E402
import mxnet as mx  # noqa: E402
from mxnet import autograd, gluon, nd  # noqa: E402
from mxnet.gluon import nn  # noqa: E402

CTX = mx.cpu()
LEARNING_RATE, LOG_EVERY, EPSILON = 5e-4, 100, 1e-08


def library_run(x_train, iterations, k_step):
    gan = build_gan(x_train, learning_rate=LEARNING_RATE)
    nd.waitall()
    started = time.perf_counter()
    gan.learn(iter_n=iterations, k_step=k_step)
    nd.waitall()
    seconds = time.perf_counter() - started
    real = gan.loss_history.step_column("true_posterior")
    fake = gan.loss_history.step_column("generator_posterior")
    return Result(seconds, iterations, {"D(real), last 100": float(real[-LOG_EVERY:].mean()),
                                        "D(G(z)), last 100": float(fake[-LOG_EVERY:].mean())})


class WideOutput(nn.HybridBlock):
    """A 4×4/2 transposed convolution to one channel, computed with two output channels."""

    def __init__(self, in_channels: int):
        super().__init__()
        with self.name_scope():
            self.weight = self.params.get("weight", shape=(in_channels, 2, 4, 4))
            self.bias = self.params.get("bias", shape=(2,), init="zeros")

    def hybrid_forward(self, F, x, weight, bias):
        out = F.Deconvolution(x, weight, bias, kernel=(4, 4), stride=(2, 2), pad=(1, 1), num_filter=2, no_bias=False)
        return F.slice_axis(out, axis=1, begin=0, end=1)


class _Reshape(nn.HybridBlock):
    def hybrid_forward(self, F, x):
        return F.reshape(x, shape=(0, 128, 7, 7))


def players():
    generator = nn.HybridSequential()
    generator.add(nn.Dense(128 * 7 * 7, in_units=Z), _Reshape(), nn.BatchNorm(in_channels=128),
                  nn.Activation("relu"), nn.Conv2DTranspose(64, 4, strides=2, padding=1, in_channels=128),
                  nn.Activation("relu"), nn.BatchNorm(in_channels=64), WideOutput(64), nn.Activation("sigmoid"))
    discriminator = nn.HybridSequential()
    discriminator.add(nn.Conv2D(32, 4, strides=2, padding=1, in_channels=1), nn.LeakyReLU(0.2),
                      nn.Conv2D(64, 4, strides=2, padding=1, in_channels=32), nn.LeakyReLU(0.2),
                      nn.BatchNorm(in_channels=64), nn.Dense(1, in_units=64 * 7 * 7), nn.Activation("sigmoid"))
    for net in (generator, discriminator):
        net.initialize(mx.init.Normal(0.02), ctx=CTX)
        net.hybridize(static_alloc=True)
    return generator, discriminator


class DiscriminatorLoss(nn.HybridBlock):
    def hybrid_forward(self, F, real, fake):
        return F.mean(-(F.log(real + EPSILON) + F.log(1.0 - fake + EPSILON)), axis=0, exclude=True)


class GeneratorLoss(nn.HybridBlock):
    def hybrid_forward(self, F, fake):
        return F.mean(-F.log(fake + EPSILON), axis=0, exclude=True)


def hand_written_run(x_train, iterations, k_step):
    mx.random.seed(0)
    generator, discriminator = players()
    d_loss_fn, g_loss_fn = DiscriminatorLoss(), GeneratorLoss()
    d_loss_fn.hybridize()
    g_loss_fn.hybridize()
    options = {"learning_rate": LEARNING_RATE, "beta1": 0.5}
    g_trainer = gluon.Trainer(generator.collect_params(), "adam", options)
    d_trainer = gluon.Trainer(discriminator.collect_params(), "adam", options)
    data = nd.array(x_train.reshape(-1, 1, 28, 28), ctx=CTX)
    rng = np.random.RandomState(0)
    per_epoch = len(x_train) // BATCH
    order, position = None, per_epoch
    real_sum = fake_sum = nd.zeros((1,), ctx=CTX)
    d_real_log, d_fake_log = [], []
    nd.waitall()
    started = time.perf_counter()
    for iteration in range(iterations):
        for _ in range(k_step):
            if position == per_epoch:
                order, position = nd.array(rng.permutation(len(x_train)), ctx=CTX), 0
            real = nd.take(data, order[position * BATCH:(position + 1) * BATCH])
            position += 1
            with autograd.train_mode():  # batch statistics, as in the generator's own update
                fake = generator(nd.random.normal(shape=(BATCH, Z), ctx=CTX))
            with autograd.record():
                real_posterior, fake_posterior = discriminator(real), discriminator(fake)
                d_loss = d_loss_fn(real_posterior, fake_posterior)
            d_loss.backward()
            d_trainer.step(BATCH)
            real_sum = real_sum + real_posterior.mean()
        with autograd.record():
            fake_posterior = discriminator(generator(nd.random.normal(shape=(BATCH, Z), ctx=CTX)))
            g_loss = g_loss_fn(fake_posterior)
        g_loss.backward()
        g_trainer.step(BATCH)  # the discriminator's gradients are overwritten by its next update
        fake_sum = fake_sum + fake_posterior.mean()
        if (iteration + 1) % LOG_EVERY == 0:  # read the logs once per 100 iterations
            d_real_log.append(float(real_sum.asscalar()) / (LOG_EVERY * k_step))
            d_fake_log.append(float(fake_sum.asscalar()) / LOG_EVERY)
            real_sum = fake_sum = nd.zeros((1,), ctx=CTX)
    nd.waitall()
    seconds = time.perf_counter() - started
    return Result(seconds, iterations, {"D(real), last 100": d_real_log[-1] if d_real_log else float("nan"),
                                        "D(G(z)), last 100": d_fake_log[-1] if d_fake_log else float("nan")})


def add_arguments(parser):
    parser.add_argument("--iterations", type=int, default=300, help="GAN iterations per run")
    parser.add_argument("--k-step", type=int, default=1, help="discriminator updates per iteration")


@contextmanager
def sides(args):
    x_train = images()[0]
    yield {
        "hand-written hybridized Gluon GAN": lambda repeat: hand_written_run(x_train, args.iterations, args.k_step),
        "accelbrainbase GANController.learn": lambda repeat: library_run(x_train, args.iterations, args.k_step),
    }


BENCHMARK = Benchmark(
    "gan", "GAN on 4,000 MNIST digits (the demo's DCGAN-style players, Adam, batch 64, k discriminator updates + "
    "one generator update per iteration)", "iterations", sides,
    [Comparison("GAN vs hand-written Gluon", "accelbrainbase GANController.learn", "hand-written hybridized Gluon GAN",
                1.10)],
    add_arguments)


if __name__ == "__main__":
    main(BENCHMARK)
