"""Labelled and unlabelled mini-batches from numpy arrays, for semi-supervised learning."""
from __future__ import annotations

from typing import Iterator, Optional

import mxnet as mx
from numpy.typing import ArrayLike

from accelbrainbase._mxnet.checks import check_int
from accelbrainbase._mxnet.context import DEFAULT_CTX, ContextLike, first_ctx, resolve_ctx
from accelbrainbase.iteratable_data import IteratableData
from accelbrainbase.iteratabledata._base import IteratorSettingsMixin
from accelbrainbase.iteratabledata._mxnet._batches import check_batch_size_fits, index_batches, make_rng, one_hot_on, \
    test_blocks
from accelbrainbase.iteratabledata._mxnet.array_iterator import _as_array, _as_class_indices


class SemiSupervisedIterator(IteratorSettingsMixin, IteratableData):
    """Yield ``(x, y, test_x, test_y, unlabeled_x)``: a labelled batch with one-hot labels, a
    labelled test batch, and a batch of unlabelled rows.

    Args:
        labeled_arr: ``(N_l, D)`` labelled inputs (the few labels there are).
        label_arr: ``(N_l,)`` class indices in ``[0, n_classes)``.
        unlabeled_arr: ``(N_u, D)`` inputs without labels (same feature width ``D``).
        test_observed_arr, test_label_arr: ``(M, D)`` and ``(M,)`` for the per-epoch evaluation.
        n_classes: number of classes (one-hot width).
        epochs: number of epochs; an epoch is ``steps_per_epoch`` batches.
        batch_size: labelled rows per batch (1 .. N_l; the labelled set is cycled in shuffled
            permutations, so a few labels serve many steps).
        unlabeled_batch_size: unlabelled rows per batch (default: ``batch_size``).
        steps_per_epoch: default one pass over the unlabelled rows.
        ctx: context holding the data; seed: seed of the iterator's generator.

    Raises:
        ValueError: when the labelled, unlabelled and test inputs differ in feature width, label
            counts differ from input counts, labels are out of range, or a batch is larger than
            its data set.

    The inputs are used as given (``norm_mode=None``): scale them beforehand.
    """

    def __init__(self, labeled_arr: ArrayLike, label_arr: ArrayLike, unlabeled_arr: ArrayLike,
                 test_observed_arr: ArrayLike, test_label_arr: ArrayLike, n_classes: int,
                 epochs: int = 100, batch_size: int = 20, unlabeled_batch_size: Optional[int] = None,
                 steps_per_epoch: Optional[int] = None, ctx: ContextLike = DEFAULT_CTX,
                 seed: Optional[int] = None) -> None:
        self.epochs = epochs
        self.batch_size = batch_size
        self.norm_mode = None
        n_classes = check_int(n_classes, "n_classes", minimum=2)
        x_l = _as_array(labeled_arr, "labeled_arr", min_rank=2)
        x_u = _as_array(unlabeled_arr, "unlabeled_arr", min_rank=2)
        x_t = _as_array(test_observed_arr, "test_observed_arr", min_rank=2)
        for name, arr in (("unlabeled_arr", x_u), ("test_observed_arr", x_t)):
            if arr.shape[1:] != x_l.shape[1:]:
                raise ValueError("%s has rows of shape %s but labeled_arr has %s; labelled and unlabelled "
                                 "samples must have the same feature width." % (name, arr.shape[1:], x_l.shape[1:]))
        y_l = _as_array(label_arr, "label_arr", min_rank=1)
        y_t = _as_array(test_label_arr, "test_label_arr", min_rank=1)
        for x_name, x, y_name, y in (("labeled_arr", x_l, "label_arr", y_l),
                                     ("test_observed_arr", x_t, "test_label_arr", y_t)):
            if len(x) != len(y):
                raise ValueError("%s has %d rows but %s has %d." % (x_name, len(x), y_name, len(y)))
        y_l = _as_class_indices(y_l, n_classes, "label_arr")
        y_t = _as_class_indices(y_t, n_classes, "test_label_arr")
        self.unlabeled_batch_size = check_int(unlabeled_batch_size or batch_size, "unlabeled_batch_size", minimum=1)
        check_batch_size_fits(batch_size, len(x_l), "labeled_arr")
        check_batch_size_fits(self.unlabeled_batch_size, len(x_u), "unlabeled_arr")
        if steps_per_epoch is None:
            steps_per_epoch = max(len(x_u) // self.unlabeled_batch_size, 1)
        self.steps_per_epoch = check_int(steps_per_epoch, "steps_per_epoch", minimum=1)
        self.iter_n = self.epochs * self.steps_per_epoch
        self.dataset_size, self.unlabeled_size, self.test_dataset_size = len(x_l), len(x_u), len(x_t)
        self.__ctx = first_ctx(resolve_ctx(ctx, "ctx"))
        self.__rng = make_rng(seed)
        self.__x = mx.nd.array(x_l, ctx=self.__ctx, dtype="float32")
        self.__y = one_hot_on(y_l, n_classes, self.__ctx)
        self.__u = mx.nd.array(x_u, ctx=self.__ctx, dtype="float32")
        self.__tx = mx.nd.array(x_t, ctx=self.__ctx, dtype="float32")
        self.__ty = one_hot_on(y_t, n_classes, self.__ctx)

    def generate_learned_samples(self) -> Iterator[tuple]:
        """``iter_n`` tuples ``(x (B, D), y (B, K), test_x (B, D), test_y (B, K), unlabeled_x (B_u, D))``."""
        sizes = (self.dataset_size, self.test_dataset_size)
        unlabeled = index_batches(self.__rng, (self.unlabeled_size,), self.unlabeled_batch_size, self.iter_n,
                                  self.__ctx)
        for (idx, test_idx), (u_idx,) in zip(index_batches(self.__rng, sizes, self.batch_size, self.iter_n,
                                                           self.__ctx), unlabeled):
            yield (mx.nd.take(self.__x, idx), mx.nd.take(self.__y, idx), mx.nd.take(self.__tx, test_idx),
                   mx.nd.take(self.__ty, test_idx), mx.nd.take(self.__u, u_idx))

    def generate_test_samples(self) -> Iterator[tuple]:
        """The whole test split once, in order: ``(test_x, test_y, test_x, test_y)`` blocks."""
        return test_blocks(self.batch_size, self.__tx, self.__ty)

    def generate_inferenced_samples(self) -> Iterator[tuple]:
        """``(None, None, test rows, None)`` blocks, in order."""
        for start in range(0, self.test_dataset_size, self.batch_size):
            yield None, None, self.__tx[start:start + self.batch_size], None
