"""Mini-batch index sampling shared by the mxnet iterators.

The sampling rule (a documented repair of the reference, which drew every sample with
replacement): each data set is visited in shuffled permutations, without replacement inside a
permutation ("epoch"); a batch that needs more indices than the current permutation has left
continues into the next permutation, so every batch has exactly ``batch_size`` rows and
hybridized graphs always see the same shapes. All randomness comes from one
``numpy.random.RandomState`` owned by the iterator, so a seed reproduces every batch.

Indices are copied to the device in chunks (one host-to-device copy per ``chunk`` batches) and
each batch is then an ``nd.take`` of the cached data set: no per-sample Python work.
"""
from __future__ import annotations

from typing import Iterator, Optional, Sequence, Tuple

import mxnet as mx
import numpy as np

from accelbrainbase._mxnet.checks import check_int
from accelbrainbase.noiseable_data import NoiseableData

#: batches whose indices are copied to the device in one call
CHUNK_BATCHES = 128


def count_iterations(epochs: int, dataset_size: int, batch_size: int) -> int:
    """``iter_n = int(epochs * max(dataset_size / batch_size, 1))`` (batches per learning run)."""
    return int(epochs * max(dataset_size / batch_size, 1))


def check_batch_size_fits(batch_size: int, dataset_size: int, what: str) -> None:
    """Raise ``ValueError`` when ``batch_size`` exceeds the ``dataset_size`` samples of ``what``."""
    if batch_size > dataset_size:
        raise ValueError(
            "batch_size=%d is larger than the training data set (%d samples in %s)."
            % (batch_size, dataset_size, what)
        )


def check_shard(shard, name: str = "shard") -> Optional[Tuple[int, int]]:
    """``None``, or ``(rank, num_workers)`` with ``0 <= rank < num_workers`` (for example
    ``(kv.rank, kv.num_workers)`` of a ``dist_sync`` kvstore)."""
    if shard is None:
        return None
    if not isinstance(shard, (tuple, list)) or len(shard) != 2:
        raise TypeError("%s must be (rank, num_workers), got %r." % (name, shard))
    workers = check_int(shard[1], name + "[1] (num_workers)", minimum=1)
    rank = check_int(shard[0], name + "[0] (rank)", minimum=0, maximum=workers - 1)
    return rank, workers


def shard_rows(n: int, shard: Optional[Tuple[int, int]], name: str = "shard") -> np.ndarray:
    """The training rows worker ``rank`` of ``num_workers`` learns from: ``rank, rank + W, ...``."""
    if shard is None:
        return np.arange(n)
    rows = np.arange(shard[0], n, shard[1])
    if len(rows) == 0:
        raise ValueError("%s=%r leaves this worker no training rows (the data has %d)." % (name, shard, n))
    return rows


def rows_per_worker(n: int, shard: Optional[Tuple[int, int]]) -> int:
    """Training rows that count for the number of batches: ``n // num_workers`` under a shard,
    so every worker of a ``dist_sync`` run takes the same number of steps (none waits forever)."""
    return n if shard is None else n // shard[1]


def make_rng(seed: Optional[int], name: str = "seed") -> np.random.RandomState:
    """A private ``RandomState``; ``seed=None`` seeds it from the operating system."""
    if seed is not None:
        check_int(seed, name, minimum=0, maximum=2 ** 32 - 1)
    return np.random.RandomState(seed)


class PermutationSampler:
    """Endless stream of indices ``0..n-1`` in successive shuffled permutations.

    Args:
        n: data set size (>= 1).
        rng: the random generator to draw permutations from.
    """

    def __init__(self, n: int, rng: np.random.RandomState) -> None:
        self.n = check_int(n, "n", minimum=1)
        self.rng = rng
        self._perm = np.empty(0, dtype=np.int64)
        self._pos = 0

    def draw(self, count: int) -> np.ndarray:
        """The next ``count`` indices, shape ``(count,)`` int64."""
        out = np.empty(count, dtype=np.int64)
        filled = 0
        while filled < count:
            if self._pos >= len(self._perm):
                self._perm = self.rng.permutation(self.n)
                self._pos = 0
            take = min(count - filled, len(self._perm) - self._pos)
            out[filled:filled + take] = self._perm[self._pos:self._pos + take]
            filled += take
            self._pos += take
        return out


def index_batches(rng: np.random.RandomState, sizes: Sequence[int], batch_size: int,
                  n_batches: int, ctx: mx.Context,
                  chunk: int = CHUNK_BATCHES) -> Iterator[Tuple[mx.nd.NDArray, ...]]:
    """Yield ``n_batches`` tuples of index NDArrays, one ``(batch_size,)`` int32 array per data set.

    Args:
        rng: generator owned by the iterator.
        sizes: size of each data set (e.g. ``(n_train, n_test)``, or with a target domain).
        batch_size: rows per batch.
        n_batches: number of tuples to yield (usually ``iter_n``).
        ctx: context of the data sets the indices will be used with (``nd.take``).
        chunk: batches whose indices are copied to ``ctx`` in one call.
    """
    samplers = [PermutationSampler(n, rng) for n in sizes]
    done = 0
    while done < n_batches:
        m = min(chunk, n_batches - done)
        block = np.stack([s.draw(m * batch_size).reshape(m, batch_size) for s in samplers])
        block_nd = mx.nd.array(block, ctx=ctx, dtype="int32")
        for j in range(m):
            yield tuple(block_nd[k][j] for k in range(len(samplers)))
        done += m


def index_blocks(order: np.ndarray, batch_size: int,
                 ctx: mx.Context) -> Iterator[Tuple[np.ndarray, mx.nd.NDArray]]:
    """Consecutive blocks of ``order`` (the last one may be shorter), as numpy and on ``ctx``."""
    order = np.asarray(order, dtype=np.int64)
    for start in range(0, len(order), batch_size):
        block = order[start:start + batch_size]
        yield block, mx.nd.array(block, ctx=ctx, dtype="int32")


def test_blocks(batch_size: int, test_x: mx.nd.NDArray,
                test_y: Optional[mx.nd.NDArray] = None) -> Iterator[Tuple[mx.nd.NDArray, ...]]:
    """The whole test split once, in order, as ``(test_x, test_y, test_x, test_y)`` blocks of
    ``batch_size`` rows (the last may be shorter); ``test_y`` defaults to ``test_x``.

    This is the layout of the learned tuples, so a model's evaluation step reads the test part
    (items 2 and 3) of either.
    """
    for start in range(0, test_x.shape[0], batch_size):
        x = test_x[start:start + batch_size]
        y = x if test_y is None else test_y[start:start + batch_size]
        yield x, y, x, y


def apply_noise(noiseable_data: Optional[NoiseableData], x: mx.nd.NDArray) -> mx.nd.NDArray:
    """``noiseable_data.noise(x)`` (``x`` itself when ``None``).

    A noise that returns numpy (the backend-neutral classes) is copied back to ``x``'s context.
    """
    if noiseable_data is None:
        return x
    noised = noiseable_data.noise(x)
    if not isinstance(noised, mx.nd.NDArray):
        noised = mx.nd.array(np.asarray(noised), ctx=x.context, dtype=x.dtype)
    return noised


def one_hot_on(labels: np.ndarray, depth: int, ctx: mx.Context) -> mx.nd.NDArray:
    """``(N, depth)`` float32 one-hot rows of integer ``labels`` on ``ctx``."""
    return mx.nd.one_hot(mx.nd.array(np.asarray(labels), ctx=ctx, dtype="int32"), depth)
