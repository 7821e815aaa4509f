"""Transformer copy task: accelbrainbase ``TransformerController`` vs a hand-written hybridized
Gluon Transformer of the same size, in one process.

Both train on the Annotated Transformer's toy copy task (vocabulary 11, length 10, one-hot
inputs projected to 64 features, 2 pre-layer-norm encoder and decoder layers, 4 heads,
feed-forward width 64, Adam 2e-3, batch 64) for the same number of steps, on the CPU:

* library: ``demo/transformer_copy_reverse.py``'s iterator (a fresh random batch per step, as
  one-hot NDArrays) and ``TransformerController.learn`` (the shared engine: history, token
  accuracy, teacher-forced loss on the 1,000 held-out sequences after each of 10 epochs);
* hand-written: the same batches from the same generator, one hybridized block
  (``static_alloc``, ``static_shape``), ``autograd`` + ``Trainer.step``, the same held-out
  evaluation and one host sync per epoch.

The ratio is of wall time; each run's process CPU time is printed next to it (on a shared
machine the wall time also measures the other processes).

Run: python benchmarks/bench_transformer.py [--steps 500] [--repeats 3] [--json rows.json]
"""
from contextlib import contextmanager
import math
import os
import sys
import time

import numpy as np

import accelbrainbase  # noqa: F401
import mxnet as mx
from mxnet import autograd, gluon, nd
from mxnet.gluon import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))
from demo.transformer_copy_reverse import (LENGTH, VOCAB, SequenceTaskIterator, build_controller,  # noqa: E402
                                           make_task, one_hot)
from benchmarks._harness import Benchmark, Comparison, Result, main  # noqa: E402

HIDDEN, HEADS, LAYERS, BATCH, EPOCHS = 64, 4, 2, 64, 10
CPU = mx.cpu()


def library_run(steps):
    started, cpu = time.perf_counter(), time.process_time()
    iterator = SequenceTaskIterator("copy", steps=steps, epochs=EPOCHS, batch_size=BATCH, seed=0)
    controller = build_controller(hidden_dim=HIDDEN)
    controller.learn(iterator)
    nd.waitall()
    return time.perf_counter() - started, time.process_time() - cpu, steps, float(controller.loss_arr[-1, 1])


class Attention(gluon.HybridBlock):
    def __init__(self):
        super().__init__()
        with self.name_scope():
            self.q = nn.Dense(HIDDEN, use_bias=False, flatten=False, in_units=HIDDEN)
            self.k = nn.Dense(HIDDEN, use_bias=False, flatten=False, in_units=HIDDEN)
            self.v = nn.Dense(HIDDEN, use_bias=False, flatten=False, in_units=HIDDEN)
            self.o = nn.Dense(HIDDEN, use_bias=False, flatten=False, in_units=HIDDEN)

    @staticmethod
    def split(F, x):
        return F.reshape(F.transpose(F.reshape(x, shape=(0, 0, -4, HEADS, -1)), axes=(0, 2, 1, 3)), shape=(-3, 0, 0))

    def hybrid_forward(self, F, x, memory, mask):
        q = self.split(F, self.q(x)) / math.sqrt(HIDDEN // HEADS)
        k, v = self.split(F, self.k(memory)), self.split(F, self.v(memory))
        logits = F.reshape(F.batch_dot(q, k, transpose_b=True), shape=(-4, -1, HEADS, 0, 0))
        logits = F.reshape(F.broadcast_add(logits, (mask <= 0) * -1e9), shape=(-3, 0, 0))
        out = F.batch_dot(F.softmax(logits, axis=-1), v)
        out = F.reshape(F.transpose(F.reshape(out, shape=(-4, -1, HEADS, 0, 0)), axes=(0, 2, 1, 3)), shape=(0, 0, -3))
        return self.o(out)


class Layer(gluon.HybridBlock):
    def __init__(self, cross):
        super().__init__()
        self.cross = cross
        with self.name_scope():
            self.norm1, self.att1 = nn.LayerNorm(in_channels=HIDDEN), Attention()
            if cross:
                self.norm2, self.att2 = nn.LayerNorm(in_channels=HIDDEN), Attention()
            self.norm3 = nn.LayerNorm(in_channels=HIDDEN)
            self.ff1 = nn.Dense(HIDDEN, flatten=False, in_units=HIDDEN, activation="relu")
            self.ff2 = nn.Dense(HIDDEN, flatten=False, in_units=HIDDEN)

    def hybrid_forward(self, F, x, memory, self_mask, cross_mask):
        h = self.norm1(x)
        x = x + self.att1(h, h, self_mask)
        if self.cross:
            x = x + self.att2(self.norm2(x), memory, cross_mask)
        return x + self.ff2(self.ff1(self.norm3(x)))


class HandTransformer(gluon.HybridBlock):
    def __init__(self):
        super().__init__()
        with self.name_scope():
            self.enc_in = nn.Dense(HIDDEN, flatten=False, in_units=VOCAB)
            self.dec_in = nn.Dense(HIDDEN, flatten=False, in_units=VOCAB)
            self.encoder = nn.HybridSequential()
            self.decoder = nn.HybridSequential()
            for _ in range(LAYERS):
                self.encoder.add(Layer(False))
                self.decoder.add(Layer(True))
            self.enc_norm, self.dec_norm = nn.LayerNorm(in_channels=HIDDEN), nn.LayerNorm(in_channels=HIDDEN)
            self.out = nn.Dense(VOCAB, use_bias=False, flatten=False, in_units=HIDDEN)

    @staticmethod
    def positions(F, x):
        t, d = F.contrib.arange_like(x, axis=1), F.contrib.arange_like(x, axis=2)
        pair = F.floor(d / 2)
        angle = F.broadcast_add(F.broadcast_mul(F.reshape(t, shape=(-1, 1)),
                                                F.reshape(F.exp(pair * (-2 * math.log(1e4) / HIDDEN)), shape=(1, -1))),
                                F.reshape((d - 2 * pair) * (math.pi / 2), shape=(1, -1)))
        return F.broadcast_add(x, F.expand_dims(F.sin(angle), axis=0))

    def hybrid_forward(self, F, src, tgt):
        x = self.positions(F, self.enc_in(src))
        ones = F.ones((1, 1, 1, 1))
        for layer in self.encoder:
            x = layer(x, x, ones, ones)
        memory = self.enc_norm(x)
        y = self.positions(F, self.dec_in(tgt))
        t = F.contrib.arange_like(y, axis=1)
        causal = F.expand_dims(F.expand_dims(
            F.broadcast_lesser_equal(F.reshape(t, shape=(1, -1)), F.reshape(t, shape=(-1, 1))), axis=0), axis=0)
        for layer in self.decoder:
            y = layer(y, memory, causal, ones)
        return self.out(self.dec_norm(y))


def hand_written_run(steps):
    started, cpu = time.perf_counter(), time.process_time()
    rng = np.random.RandomState(0)
    test = [nd.array(one_hot(a), ctx=CPU) for a in make_task(1000, "copy", np.random.RandomState(1))]
    net = HandTransformer()
    net.initialize(mx.init.Xavier(rnd_type="gaussian", factor_type="in", magnitude=2), ctx=CPU)
    net.hybridize(static_alloc=True, static_shape=True)
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 2e-3})
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss(axis=-1, sparse_label=False)
    loss_fn.hybridize()
    per_epoch = steps // EPOCHS
    test_loss = None
    for _ in range(EPOCHS):
        for _ in range(per_epoch):
            src, dec, tgt = (nd.array(one_hot(a), ctx=CPU) for a in make_task(BATCH, "copy", rng))
            with autograd.record():
                loss = loss_fn(net(src, dec), tgt)
            loss.backward()
            trainer.step(BATCH)
        total = nd.zeros((1,), ctx=CPU)
        for lo in range(0, 1000, 250):
            total = total + loss_fn(net(test[0][lo:lo + 250], test[1][lo:lo + 250]), test[2][lo:lo + 250]).sum()
        test_loss = float(total.asscalar()) / 1000  # one sync per epoch
    nd.waitall()
    return time.perf_counter() - started, time.process_time() - cpu, per_epoch * EPOCHS, test_loss


def add_arguments(parser):
    parser.add_argument("--steps", type=int, default=500, help="optimiser steps per run (multiple of 10)")


@contextmanager
def sides(args):
    def run(function):
        def one(repeat):
            mx.random.seed(0)
            wall, cpu, steps, loss = function(args.steps)
            return Result(wall, steps * BATCH, {"held-out loss": loss, "process CPU s": cpu})
        return one

    yield {"accelbrainbase TransformerController.learn": run(library_run),
           "hand-written hybridized Gluon": run(hand_written_run)}


BENCHMARK = Benchmark(
    "transformer", "Transformer copy task, vocabulary 11, length 10, 2+2 layers, 4 heads, width 64, batch 64",
    "sequences", sides,
    [Comparison("Transformer vs hand-written Gluon", "accelbrainbase TransformerController.learn",
                "hand-written hybridized Gluon", 1.10)],
    add_arguments)


if __name__ == "__main__":
    main(BENCHMARK)
