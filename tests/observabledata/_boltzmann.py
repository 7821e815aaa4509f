"""Shared pieces of the RBM/DBM tests: model and iterator factories on the CPU."""
import mxnet as mx
import numpy as np

from accelbrainbase.computableloss._mxnet.l2_norm_loss import L2NormLoss
from accelbrainbase.iteratabledata._mxnet.array_iterator import ArrayIterator
from accelbrainbase.observabledata._mxnet.restricted_boltzmann_machines import RestrictedBoltzmannMachines

CPU = mx.cpu()


def rbm(visible_dim=64, hidden_dim=64, learning_rate=0.1, **kwargs):
    """An RBM on the CPU with a reconstruction-RMSE loss."""
    return RestrictedBoltzmannMachines(L2NormLoss(), visible_dim=visible_dim, hidden_dim=hidden_dim,
                                       learning_rate=learning_rate, ctx=CPU, **kwargs)


def batches(x_train, x_test, epochs, batch_size=50, seed=0):
    """Unlabeled batches ``(x, x, test_x, test_x)`` of the given arrays."""
    return ArrayIterator(x_train, None, x_test, None, epochs=epochs, batch_size=batch_size, ctx=CPU, seed=seed)


def rmse(model, x):
    """Mean per-sample root-mean-square reconstruction error of ``x`` (numpy)."""
    reconstruction = model.reconstruct(x).asnumpy()
    return float(np.sqrt(((reconstruction - x) ** 2).mean(axis=1)).mean())


def shuffled_pixels(x, seed=1):
    """Each row's values in a random order: the same pixel histogram without the digit's shape."""
    rng = np.random.RandomState(seed)
    return np.stack([rng.permutation(row) for row in x]).astype(np.float32)
