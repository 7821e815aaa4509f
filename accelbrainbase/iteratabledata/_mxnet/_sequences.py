"""Shared machinery of the sequence iterators (sequential CSV, t-hot CSV, t-hot TXT).

Sources are read once; their rows (or character codes) are concatenated into one device array,
and a *window* is ``seq_len`` consecutive rows of one source (windows never cross from one file
into the next). Training windows are drawn by the shuffled-permutation rule of
:mod:`._batches` (every window once per pass, stable batch shapes) and gathered on the device
with a single ``nd.take`` per batch; inference windows are every window of the test sources in
order, stride 1, the last batch possibly shorter.
"""
from __future__ import annotations

import os
from typing import Iterator, List, Optional, Sequence, Tuple

import mxnet as mx
import numpy as np

from accelbrainbase._mxnet.checks import check_type
from accelbrainbase.iteratabledata._base import check_norm_mode
from accelbrainbase.iteratabledata._mxnet._batches import index_batches

EPSILON = 1e-08


def check_path(value, name: str) -> str:
    """A path argument must be a str or PathLike naming an existing file."""
    check_type(value, (str, os.PathLike), name)
    if not os.path.isfile(value):
        raise ValueError("%s=%r is not an existing file." % (name, value))
    return os.fspath(value)


def check_path_list(value, name: str, allow_none: bool = False) -> Optional[List[str]]:
    """A non-empty list of existing files (copied; the caller's list is never modified)."""
    if value is None and allow_none:
        return None
    if not isinstance(value, list):
        raise TypeError("%s must be a list of file paths, not %s." % (name, type(value).__name__))
    if not value:
        raise ValueError("%s must not be empty." % name)
    return [check_path(path, "%s[%d]" % (name, i)) for i, path in enumerate(value)]


def check_length(n_rows: int, seq_len: int, path: str, name: str, unit: str = "rows") -> None:
    """Raise ``ValueError`` naming ``path`` when a source is shorter than one window."""
    if n_rows < seq_len:
        raise ValueError("%s=%r has %d %s, fewer than seq_len=%d." % (name, path, n_rows, unit, seq_len))


def window_starts(lengths: Sequence[int], seq_len: int) -> np.ndarray:
    """Start offsets (in the concatenation of sources of ``lengths``) of every full window."""
    starts, offset = [], 0
    for n in lengths:
        starts.append(offset + np.arange(n - seq_len + 1, dtype=np.int64))
        offset += n
    return np.concatenate(starts)


class ColumnScaler:
    """Per-column normalisation fitted once on the training rows, applied to every split.

    Args:
        norm_mode: ``"z_score"`` (mean 0, std 1 per column), ``"min_max"`` (0..1 per column)
            or ``"none"``/``None`` for no normalisation (anything else: ``ValueError``).
        scale: factor applied after normalising.
    """

    def __init__(self, norm_mode: Optional[str], scale: float) -> None:
        self.norm_mode, self.scale = check_norm_mode(norm_mode), scale
        self.shift: Optional[np.ndarray] = None
        self.divisor: Optional[np.ndarray] = None

    def fit(self, rows: np.ndarray) -> "ColumnScaler":
        if self.norm_mode == "z_score":
            self.shift, spread = rows.mean(axis=0), rows.std(axis=0)
        elif self.norm_mode == "min_max":
            self.shift, spread = rows.min(axis=0), rows.max(axis=0) - rows.min(axis=0)
        else:
            self.shift, spread = np.zeros(rows.shape[1]), np.ones(rows.shape[1])
        self.divisor = spread + (spread == 0) * EPSILON
        return self

    def transform(self, rows: np.ndarray) -> np.ndarray:
        """``(N, D)`` raw rows → normalised float32 rows."""
        return ((np.asarray(rows, dtype=np.float64) - self.shift) / self.divisor * self.scale).astype(np.float32)

    def inverse_transform(self, rows: np.ndarray) -> np.ndarray:
        """Normalised rows (any leading shape, last axis ``D``) → the original units."""
        return np.asarray(rows, dtype=np.float64) / self.scale * self.divisor + self.shift


class WindowData:
    """Training and test sources of one iterator, on a device.

    Args:
        train: ``(N_train, ...)`` concatenated training rows (numpy).
        train_lengths: rows per training source.
        test: ``(N_test, ...)`` concatenated test rows.
        test_lengths: rows per test source.
        seq_len: rows per window.
        ctx: device holding the data and the batches.
    """

    def __init__(self, train: np.ndarray, train_lengths: Sequence[int], test: np.ndarray,
                 test_lengths: Sequence[int], seq_len: int, ctx: mx.Context) -> None:
        self.seq_len, self.ctx = seq_len, ctx
        self.train = mx.nd.array(train, ctx=ctx, dtype="float32")
        self.test = mx.nd.array(test, ctx=ctx, dtype="float32")
        self.train_starts = window_starts(train_lengths, seq_len)
        self.test_starts = window_starts(test_lengths, seq_len)
        self.test_lengths = list(test_lengths)
        self._train_starts_nd = mx.nd.array(self.train_starts, ctx=ctx, dtype="int32")
        self._test_starts_nd = mx.nd.array(self.test_starts, ctx=ctx, dtype="int32")
        self._steps = mx.nd.arange(seq_len, ctx=ctx, dtype="int32").reshape((1, -1))

    def gather(self, source: mx.nd.NDArray, starts: mx.nd.NDArray) -> mx.nd.NDArray:
        """Windows starting at ``starts`` ``(B,)`` → ``(B, seq_len, ...)``."""
        return mx.nd.take(source, mx.nd.broadcast_add(starts.reshape((-1, 1)), self._steps))

    def learned(self, rng: np.random.RandomState, batch_size: int,
                n_batches: int) -> Iterator[Tuple[mx.nd.NDArray, mx.nd.NDArray, mx.nd.NDArray]]:
        """Yield ``(train_starts (B,), train_windows, test_windows)`` ``n_batches`` times."""
        sizes = (len(self.train_starts), len(self.test_starts))
        for idx, test_idx in index_batches(rng, sizes, batch_size, n_batches, self.ctx):
            starts = mx.nd.take(self._train_starts_nd, idx)
            yield starts, self.gather(self.train, starts), self.gather(self.test, mx.nd.take(self._test_starts_nd, test_idx))

    def inferenced(self, batch_size: int, per_source: bool = False) -> Iterator[mx.nd.NDArray]:
        """Every test window in order, ``batch_size`` at a time (the last batch may be shorter).

        ``per_source``: batches never mix windows of two test sources."""
        if per_source:
            groups, first = [], 0
            for n in self.test_lengths:
                count = n - self.seq_len + 1
                groups.append(self.test_starts[first:first + count])
                first += count
        else:
            groups = [self.test_starts]
        for group in groups:
            for begin in range(0, len(group), batch_size):
                block = mx.nd.array(group[begin:begin + batch_size], ctx=self.ctx, dtype="int32")
                yield self.gather(self.test, block)
