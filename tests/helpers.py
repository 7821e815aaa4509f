"""Small shared pieces for the tests (no fixtures here: see conftest.py)."""
import os
import re

import numpy as np
from mxnet import gluon, nd

from accelbrainbase.iteratable_data import IteratableData


class ArrayBatches(IteratableData):
    """A minimal in-memory labeled iterator over numpy arrays, for engine tests.

    It deliberately uses nothing from the library's data layer, so engine tests do not depend
    on it: yields ``epochs * (n // batch_size)`` tuples ``(x, y, test_x, test_y)``. With
    ``whole_test_split=True`` it also offers ``generate_test_samples()`` (the engine then
    evaluates every test row each epoch; without it, the last tuple's random test batch).
    """

    def __init__(self, x, y, test_x, test_y, epochs=2, batch_size=32, seed=0, whole_test_split=False):
        self.epochs, self.batch_size = epochs, batch_size
        if whole_test_split:
            self.generate_test_samples = self._test_blocks
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

    def _test_blocks(self):
        tx, ty = self.arrays[2], self.arrays[3]
        for start in range(0, tx.shape[0], self.batch_size):
            x, y = tx[start:start + self.batch_size], ty[start:start + self.batch_size]
            yield x, y, x, y

    def generate_inferenced_samples(self):
        yield None, None, self.arrays[2], None


def one_hot(labels, n=10):
    return np.eye(n, dtype=np.float32)[labels]


def softmax_ce():
    return gluon.loss.SoftmaxCrossEntropyLoss(sparse_label=False)


ARCHITECTURE_DOC = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "docs", "architecture.md")


def docs_example(name: str) -> dict:
    """Run the code block marked ``<!-- example: name -->`` in docs/architecture.md; its namespace."""
    text = open(ARCHITECTURE_DOC, encoding="utf-8").read()
    block = re.search(r"<!-- example: %s -->\s*```python\n(.*?)```" % re.escape(name), text, re.S).group(1)
    namespace = {}
    exec(compile(block, "docs/architecture.md", "exec"), namespace)
    return namespace
