"""Small shared pieces for the tests (no fixtures here: see conftest.py)."""
import numpy as np
from mxnet import gluon, nd

from accelbrainbase.iteratable_data import IteratableData


class ArrayBatches(IteratableData):
    """A minimal in-memory labeled iterator over numpy arrays, for engine tests.

    It deliberately uses nothing from the library's data layer, so engine tests do not depend
    on it: yields ``epochs * (n // batch_size)`` tuples ``(x, y, test_x, test_y)``.
    """

    def __init__(self, x, y, test_x, test_y, epochs=2, batch_size=32, seed=0):
        self.epochs, self.batch_size = epochs, batch_size
        self.iter_n = epochs * (len(x) // batch_size)
        self.arrays = [nd.array(a) for a in (x, y, test_x, test_y)]
        self.rng = np.random.RandomState(seed)

    def generate_learned_samples(self):
        x, y, tx, ty = self.arrays
        per_epoch = x.shape[0] // self.batch_size
        for _ in range(self.epochs):
            order = self.rng.permutation(x.shape[0])
            for i in range(per_epoch):
                idx = nd.array(order[i * self.batch_size:(i + 1) * self.batch_size])
                test_idx = nd.array(self.rng.randint(0, tx.shape[0], self.batch_size))
                yield nd.take(x, idx), nd.take(y, idx), nd.take(tx, test_idx), nd.take(ty, test_idx)

    def generate_inferenced_samples(self):
        yield None, None, self.arrays[2], None


def one_hot(labels, n=10):
    return np.eye(n, dtype=np.float32)[labels]


def softmax_ce():
    return gluon.loss.SoftmaxCrossEntropyLoss(sparse_label=False)
