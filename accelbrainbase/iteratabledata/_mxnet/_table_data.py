"""The state and loops shared by the CSV iterators (rows of numbers, optionally labeled).

Both files are read once, checked, converted to float32 and put on the context; training
batches are ``nd.take`` gathers drawn by the per-epoch permutation rule of ``_batches`` and
normalised as a whole batch (contract: CSV iterators normalise per batch) with NDArray
operations; inference walks the test rows in consecutive blocks, the last partial block
included, normalised the same way (repairs of the reference, which skipped blocks and returned
raw numpy).
"""
from __future__ import annotations

import os
from typing import Callable, Iterator, Optional, Tuple

import mxnet as mx
import numpy as np

from accelbrainbase._mxnet.checks import check_finite_array, check_float32_range, check_type
from accelbrainbase.iteratabledata._mxnet._batches import (
    apply_noise, check_batch_size_fits, index_batches, make_rng, one_hot_on, shard_rows, test_blocks,
)
from accelbrainbase.noiseable_data import NoiseableData

Normalizer = Callable[[mx.nd.NDArray], mx.nd.NDArray]


def check_csv_path(path, name: str, allow_none: bool = False) -> None:
    """Raise ``TypeError`` unless ``path`` is a path string (or ``None`` when allowed)."""
    check_type(path, (str, os.PathLike), name, allow_none=allow_none)


def as_feature_matrix(values, path: str) -> np.ndarray:
    """``values`` as a finite float32 ``(rows, columns)`` array; ``ValueError`` naming ``path``."""
    check_float32_range(np.asarray(values), "the data of %r" % path)
    try:
        arr = np.asarray(values, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise ValueError("%r holds non-numeric values: %s" % (path, exc)) from exc
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError("%r must give a non-empty 2-D table of numbers, got shape %s."
                         % (path, arr.shape))
    check_finite_array(arr, "the data of %r" % path)
    return arr


def as_class_indices(labels, path: str, column: str) -> np.ndarray:
    """Labels as int64 class indices (integers >= 0); ``ValueError`` naming file and column."""
    try:
        values = np.asarray(labels, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise ValueError("%r: label column %r must hold integer class indices 0..K-1 (%s)."
                         % (path, column, exc)) from exc
    bad = np.flatnonzero(~np.isfinite(values) | (values < 0) | (values != np.round(values)))
    if len(bad):
        raise ValueError("%r: label column %r must hold integer class indices 0..K-1; data row %d is %r."
                         % (path, column, int(bad[0]), labels[int(bad[0])]))
    return values.astype(np.int64)


def count_classes(train_labels: np.ndarray, test_labels: np.ndarray, train_name: str, test_name: str) -> int:
    """The number of classes ``K`` = largest label + 1, bounded by the labels that occur.

    Labels are one-hot encoded over ``K`` columns, so a single typo (5,000,000 in a 20-row file)
    would create millions of columns. ``K`` may exceed the number of distinct labels (over both
    splits) by at most one, which lets 1-based labels ``1..K`` through (column 0 stays empty);
    anything larger is a ``ValueError`` naming the file, the row and the value.
    """
    distinct = np.union1d(train_labels, test_labels)
    n_classes = int(distinct[-1]) + 1
    if n_classes > len(distinct) + 1:
        value = distinct[-1]
        for name, labels in ((train_name, train_labels), (test_name, test_labels)):
            rows = np.flatnonzero(labels == value)
            if len(rows):
                break
        raise ValueError(
            "%s: label %d at data row %d would make %d one-hot columns, but only %d distinct labels occur "
            "(%s); labels must be class indices 0..K-1 with K the number of classes (one unused index is "
            "allowed, e.g. labels 1..K). Is it a typo?"
            % (name, value, int(rows[0]), n_classes, len(distinct),
               ", ".join(str(v) for v in distinct[:8]) + (", ..." if len(distinct) > 8 else "")))
    return n_classes


class TableTrainTest:
    """Training and test rows (and optional labels) on a context, with the batch loops.

    Args:
        train_x: ``(N, D)`` float32 training rows.
        test_x: ``(M, D)`` float32 test rows.
        train_labels: ``(N,)`` int class indices, or ``None`` for unlabeled data.
        test_labels: ``(M,)`` int class indices, or ``None``.
        batch_size: rows per batch (must not exceed ``N``).
        noiseable_data: applied to training inputs only, or ``None``.
        ctx: resolved context.
        seed: seed of the iterator's ``RandomState`` (``None``: random).
        train_name: how to name the training data in messages (e.g. its path).
        test_name: how to name the test data in messages.
        shard: ``(rank, num_workers)``: keep only this worker's training rows (``rank, rank + W,
            ...``); the number of classes still comes from every row, so all workers agree.
    """

    def __init__(self, train_x: np.ndarray, test_x: np.ndarray, train_labels: Optional[np.ndarray],
                 test_labels: Optional[np.ndarray], batch_size: int,
                 noiseable_data: Optional[NoiseableData], ctx: mx.Context, seed: Optional[int],
                 train_name: str, test_name: str = "the test rows",
                 shard: Optional[Tuple[int, int]] = None) -> None:
        if test_x.shape[1:] != train_x.shape[1:]:
            raise ValueError("The test rows have %d columns but the training rows (%s) have %d."
                             % (test_x.shape[1], train_name, train_x.shape[1]))
        self.labeled = train_labels is not None
        if self.labeled:
            self.n_classes = count_classes(train_labels, test_labels, train_name, test_name)
        if shard is not None:
            rows = shard_rows(train_x.shape[0], shard)
            train_x = train_x[rows]
            train_labels = None if train_labels is None else train_labels[rows]
        check_batch_size_fits(batch_size, train_x.shape[0], train_name)
        self.rng = make_rng(seed)
        self.ctx = ctx
        self.noiseable_data = noiseable_data
        self.train_x = mx.nd.array(train_x, ctx=ctx, dtype="float32")
        self.test_x = mx.nd.array(test_x, ctx=ctx, dtype="float32")
        if self.labeled:
            self.train_y = one_hot_on(train_labels, self.n_classes, ctx)
            self.test_y = one_hot_on(test_labels, self.n_classes, ctx)

    @property
    def sizes(self) -> Tuple[int, int]:
        """``(n_train_rows, n_test_rows)``."""
        return self.train_x.shape[0], self.test_x.shape[0]

    def learned(self, batch_size: int, n_batches: int, normalize: Normalizer) -> Iterator[tuple]:
        """Yield ``(x, y, test_x, test_y)`` (labeled) or ``(x, x, test_x, test_x)``, ``x`` ``(B, D)``."""
        for idx, test_idx in index_batches(self.rng, self.sizes, batch_size, n_batches, self.ctx):
            x = apply_noise(self.noiseable_data, normalize(mx.nd.take(self.train_x, idx)))
            tx = normalize(mx.nd.take(self.test_x, test_idx))
            if self.labeled:
                yield x, mx.nd.take(self.train_y, idx), tx, mx.nd.take(self.test_y, test_idx)
            else:
                yield x, x, tx, tx

    def tested(self, batch_size: int, normalize: Normalizer) -> Iterator[tuple]:
        """Every test row once, in order: ``(test_x, test_y, test_x, test_y)`` blocks."""
        for x, y, _, _ in test_blocks(batch_size, self.test_x, self.test_y if self.labeled else None):
            x = normalize(x)
            yield x, (y if self.labeled else x), x, (y if self.labeled else x)

    def inferenced(self, batch_size: int, normalize: Normalizer) -> Iterator[tuple]:
        """Yield ``(None, None, rows (B, D), None)`` for consecutive test blocks (last one partial)."""
        n_rows = self.test_x.shape[0]
        for start in range(0, n_rows, batch_size):
            yield None, None, normalize(self.test_x[start:min(start + batch_size, n_rows)]), None
