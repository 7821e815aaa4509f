"""Mini-batches from numpy arrays held in memory (XOR tables, simulated curves, scikit-learn data).

The arrays are checked once (ranks, matching lengths, finite numbers, a batch that fits), copied
to the context as float32 NDArrays and then sampled like every other iterator of the data
layer: per-epoch shuffled permutations from the iterator's own ``RandomState(seed)``
(:mod:`accelbrainbase.iteratabledata._mxnet._batches`), each batch an ``nd.take`` gather on the
device with exactly ``batch_size`` rows.

Differences from the file-based iterators:

* ``norm_mode`` defaults to ``None``: in-memory arrays usually arrive scaled, and normalising
  each batch of a regression input would change what the input means;
* targets may be anything with one row per sample (regression values, one-hot rows, or integer
  class indices turned into one-hot rows with ``n_classes``);
* ``steps_per_epoch`` can make an "epoch" longer than one pass over a tiny data set (XOR has
  four rows), so the engine's per-epoch bookkeeping does not dominate the run.
"""
from __future__ import annotations

from typing import Iterator, Optional, Tuple, Union

import mxnet as mx
import numpy as np

from accelbrainbase._mxnet.checks import check_finite_array, check_float32_range, check_int, check_type
from accelbrainbase._mxnet.context import DEFAULT_CTX, first_ctx, resolve_ctx
from accelbrainbase.iteratable_data import IteratableData
from accelbrainbase.iteratabledata._base import IteratorSettingsMixin
from accelbrainbase.iteratabledata._mxnet._batches import (
    apply_noise, check_batch_size_fits, check_shard, count_iterations, index_batches, make_rng, one_hot_on,
    shard_rows, test_blocks,
)
from accelbrainbase.noiseable_data import NoiseableData

_NORMALISING_MODES = ("z_score", "min_max")

#: what the array arguments accept: numpy arrays, NDArrays (copied to the host once) or nested lists
ArrayLike = Union[np.ndarray, mx.nd.NDArray, list]


def _as_array(arr, name: str, min_rank: int) -> np.ndarray:
    """``arr`` as a finite numeric numpy array of rank >= ``min_rank`` with at least one row."""
    if isinstance(arr, mx.nd.NDArray):
        arr = arr.asnumpy()
    try:
        arr = np.asarray(arr)
    except (TypeError, ValueError) as exc:
        raise ValueError("%s must be an array of numbers (%s)." % (name, exc)) from exc
    if arr.dtype.kind not in "biuf":
        raise ValueError("%s must hold numbers, found dtype %s." % (name, arr.dtype))
    if arr.ndim < min_rank:
        layout = "(N, features...)" if min_rank == 2 else "(N, ...)"
        raise ValueError("%s must have rank >= %d %s, got shape %s%s." % (
            name, min_rank, layout, arr.shape,
            "; for one feature per sample pass arr.reshape(-1, 1)" if arr.ndim == 1 and min_rank == 2 else ""))
    if arr.shape[0] == 0:
        raise ValueError("%s must hold at least one sample, got shape %s." % (name, arr.shape))
    check_finite_array(arr, name)
    check_float32_range(arr, name)  # the data is kept as float32 on the device
    return arr


def _as_class_indices(labels: np.ndarray, n_classes: int, name: str) -> np.ndarray:
    """Rank-1 integer class indices in ``[0, n_classes)``; ``ValueError`` naming ``name``."""
    if labels.ndim != 1:
        raise ValueError("With n_classes, %s must be rank-1 class indices (N,), got shape %s."
                         % (name, labels.shape))
    bad = np.flatnonzero((labels != np.round(labels)) | (labels < 0) | (labels >= n_classes))
    if len(bad):
        raise ValueError("%s[%d]=%r is not a class index in 0..%d (n_classes=%d)."
                         % (name, bad[0], labels[bad[0]], n_classes - 1, n_classes))
    return labels.astype(np.int64)


class ArrayIterator(IteratorSettingsMixin, IteratableData):
    """Yield ``(x, y, test_x, test_y)`` mini-batches drawn from numpy arrays.

    Args:
        observed_arr: training inputs, shape ``(N, ...)`` with rank >= 2 (``(N, D)`` vectors,
            ``(N, C, H, W)`` images, ...).
        target_arr: training targets with ``N`` rows, shape ``(N, ...)``; ``None`` for unlabeled
            data (then ``y`` is ``x``: the same object is yielded as input and target).
        test_observed_arr: test inputs ``(M, ...)`` with the training inputs' trailing shape;
            ``None`` reuses the training inputs (and targets).
        test_target_arr: test targets ``(M, ...)``; required when ``test_observed_arr`` is
            given for labeled data, and must be ``None`` for unlabeled data.
        epochs: number of epochs (int >= 1).
        batch_size: rows per batch, ``1 .. N``. Test batches have the same size (drawn from
            successive permutations of the test rows, so ``M < batch_size`` works too).
        n_classes: when given, the targets are integer class indices ``(N,)`` in
            ``[0, n_classes)`` and are yielded as one-hot float32 rows ``(B, n_classes)``.
        steps_per_epoch: batches that make one epoch; default ``max(N / batch_size, 1)`` (one
            pass). Larger values suit tiny data sets.
        norm_mode: ``"z_score"`` or ``"min_max"`` applied to each whole input batch (never to
            targets); ``None`` (default) or ``"none"`` leaves the inputs unchanged; anything
            else is a ``ValueError``.
        scale: factor applied to the inputs after normalisation.
        noiseable_data: a ``NoiseableData`` applied to the training inputs only, or ``None``.
        ctx: context holding the data (default: GPU if present, else CPU; for a list of
            contexts, the first; the training engine splits batches across the list).
        seed: seed of the iterator's random generator (``None``: random).
        shard: ``(rank, num_workers)`` for data-parallel training on MXNet's parameter server
            (e.g. ``(kv.rank, kv.num_workers)``): this worker learns from training rows
            ``rank, rank + num_workers, ...``; every worker takes the same number of steps.

    Attributes:
        iter_n: batches per run, ``epochs * steps_per_epoch``.
        steps_per_epoch: batches per epoch.
        dataset_size / test_dataset_size: ``N`` / ``M``.

    Raises:
        ValueError: naming the argument, for rank-0/1 inputs, non-numeric or non-finite
            values, row counts that differ between inputs and targets, trailing shapes that
            differ between training and test arrays, a ``batch_size`` larger than ``N``, or
            class indices out of range.
        TypeError: for arguments of the wrong type.
    """

    def __init__(self, observed_arr: ArrayLike, target_arr: Optional[ArrayLike] = None,
                 test_observed_arr: Optional[ArrayLike] = None, test_target_arr: Optional[ArrayLike] = None,
                 epochs: int = 100, batch_size: int = 20, n_classes: Optional[int] = None,
                 steps_per_epoch: Optional[int] = None, norm_mode: Optional[str] = None, scale: float = 1.0,
                 noiseable_data: Optional[NoiseableData] = None, ctx: mx.Context = DEFAULT_CTX,
                 seed: Optional[int] = None, shard: Optional[Tuple[int, int]] = None) -> None:
        self.epochs = epochs
        self.batch_size = batch_size
        self.norm_mode = norm_mode
        self.scale = scale
        self.__noiseable_data = check_type(noiseable_data, NoiseableData, "noiseable_data", allow_none=True)
        if n_classes is not None:
            check_int(n_classes, "n_classes", minimum=1)
        train_x, train_y = self.__checked_pair(observed_arr, target_arr, "observed_arr", "target_arr", n_classes)
        self.shard = check_shard(shard)
        all_rows = train_x.shape[0]
        if self.shard is not None:  # data-parallel workers each learn from their own rows
            rows = shard_rows(all_rows, self.shard)
            train_x, train_y = train_x[rows], (None if train_y is None else train_y[rows])
        if test_observed_arr is None:
            if test_target_arr is not None:
                raise ValueError("test_target_arr was given without test_observed_arr.")
            test_x, test_y = train_x, train_y
        else:
            if train_y is not None and test_target_arr is None:
                raise ValueError("test_observed_arr was given without test_target_arr (the training data "
                                 "is labeled).")
            if train_y is None and test_target_arr is not None:
                raise ValueError("test_target_arr was given but the training data is unlabeled "
                                 "(target_arr=None).")
            test_x, test_y = self.__checked_pair(test_observed_arr, test_target_arr, "test_observed_arr",
                                                 "test_target_arr", n_classes)
            self.__check_trailing(train_x, test_x, "observed_arr", "test_observed_arr")
            if train_y is not None and n_classes is None:
                self.__check_trailing(train_y, test_y, "target_arr", "test_target_arr")
        check_batch_size_fits(batch_size, train_x.shape[0], "observed_arr")
        self.dataset_size, self.test_dataset_size = train_x.shape[0], test_x.shape[0]
        if steps_per_epoch is None:  # the same for every worker of a shard, so none waits forever
            per_worker = all_rows // self.shard[1] if self.shard is not None else all_rows
            steps_per_epoch = int(count_iterations(1, per_worker, batch_size))
        self.steps_per_epoch = check_int(steps_per_epoch, "steps_per_epoch", minimum=1)
        self.iter_n = self.epochs * self.steps_per_epoch

        self.__ctx = first_ctx(resolve_ctx(ctx, "ctx"))
        self.__rng = make_rng(seed)
        self.__x = mx.nd.array(train_x, ctx=self.__ctx, dtype="float32")
        self.__test_x = self.__x if test_x is train_x else mx.nd.array(test_x, ctx=self.__ctx, dtype="float32")
        self.__y = self.__on_ctx(train_y, n_classes)
        self.__test_y = self.__y if test_y is train_y else self.__on_ctx(test_y, n_classes)

    # ------------------------------------------------------------------ checks
    @staticmethod
    def __checked_pair(observed, target, observed_name: str, target_name: str,
                       n_classes: Optional[int]) -> Tuple[np.ndarray, Optional[np.ndarray]]:
        x = _as_array(observed, observed_name, min_rank=2)
        if target is None:
            if n_classes is not None:
                raise ValueError("n_classes=%d needs class indices in %s, which is None." % (n_classes, target_name))
            return x, None
        y = _as_array(target, target_name, min_rank=1)
        if y.shape[0] != x.shape[0]:
            raise ValueError("%s has %d rows but %s has %d; they must have one row per sample."
                             % (observed_name, x.shape[0], target_name, y.shape[0]))
        if n_classes is not None:
            y = _as_class_indices(y, n_classes, target_name)
        return x, y

    @staticmethod
    def __check_trailing(train: np.ndarray, test: np.ndarray, train_name: str, test_name: str) -> None:
        if train.shape[1:] != test.shape[1:]:
            raise ValueError("%s has samples of shape %s but %s has %s; they must match."
                             % (test_name, test.shape[1:], train_name, train.shape[1:]))

    def __on_ctx(self, targets: Optional[np.ndarray], n_classes: Optional[int]) -> Optional[mx.nd.NDArray]:
        if targets is None:
            return None
        if n_classes is not None:
            return one_hot_on(targets, n_classes, self.__ctx)
        return mx.nd.array(targets, ctx=self.__ctx, dtype="float32")

    def _normalize(self, arr: mx.nd.NDArray) -> mx.nd.NDArray:
        """``pre_normalize`` when it would change anything (skips no-op device work)."""
        if self.norm_mode in _NORMALISING_MODES or self.scale != 1.0:
            return self.pre_normalize(arr)
        return arr

    # ------------------------------------------------------------------ the contract
    @property
    def labeled(self) -> bool:
        """True when targets were given."""
        return self.__y is not None

    def generate_learned_samples(self) -> Iterator[tuple]:
        """Yield ``iter_n`` tuples ``(x, y, test_x, test_y)`` of float32 NDArrays on ``ctx``.

        ``x``, ``test_x``: ``(B, ...)`` inputs (``x`` noised); ``y``, ``test_y``: ``(B, ...)``
        targets (one-hot ``(B, n_classes)`` with ``n_classes``), or ``x`` / ``test_x`` themselves
        for unlabeled data.
        """
        sizes = (self.dataset_size, self.test_dataset_size)
        for idx, test_idx in index_batches(self.__rng, sizes, self.batch_size, self.iter_n, self.__ctx):
            x = apply_noise(self.__noiseable_data, self._normalize(mx.nd.take(self.__x, idx)))
            test_x = self._normalize(mx.nd.take(self.__test_x, test_idx))
            if self.__y is None:
                yield x, x, test_x, test_x
            else:
                yield x, mx.nd.take(self.__y, idx), test_x, mx.nd.take(self.__test_y, test_idx)

    def generate_test_samples(self) -> Iterator[tuple]:
        """The whole test split once, in order, for the engine's per-epoch evaluation: tuples in
        the layout of ``generate_learned_samples()`` whose blocks have ``batch_size`` rows (the last
        may be shorter)."""
        for x, y, _, _ in test_blocks(self.batch_size, self.__test_x, self.__test_y):
            x = self._normalize(x)  # per block, as the learned batches are normalised
            y = x if self.__y is None else y
            yield x, y, x, y

    def generate_inferenced_samples(self) -> Iterator[tuple]:
        """Yield ``(None, None, test rows (B, ...), None)`` for consecutive blocks of the test
        inputs, in order, the last block possibly shorter; normalised like training inputs."""
        for start in range(0, self.test_dataset_size, self.batch_size):
            stop = min(start + self.batch_size, self.test_dataset_size)
            yield None, None, self._normalize(self.__test_x[start:stop]), None
