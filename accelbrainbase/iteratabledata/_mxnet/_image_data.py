"""The state and loops shared by the folder-of-images iterators.

:class:`ImageTrainTest` validates the arguments common to the image iterators, decodes the
training and test folders once (see :mod:`._folder_dataset`), and produces the learned and
inferenced tuples from the cached device arrays.
"""
from __future__ import annotations

from typing import Iterator, List, Optional, Tuple

import mxnet as mx

from accelbrainbase._mxnet.checks import check_type
from accelbrainbase.extractabledata.image_extractor import ImageExtractor
from accelbrainbase.iteratabledata._mxnet._batches import (
    apply_noise, check_batch_size_fits, check_shard, index_batches, make_rng, shard_rows, test_blocks,
)
from accelbrainbase.iteratabledata._mxnet._folder_dataset import (
    check_dir_list, check_image_extractor, generate_image_inference, load_train_test,
)
from accelbrainbase.noiseable_data import NoiseableData


class ImageTrainTest:
    """Decoded training/test folders, the iterator's random generator and its noise.

    Args:
        image_extractor: decodes the files (neutral or mxnet ``ImageExtractor``).
        dir_list: training directories, one per class (not modified).
        test_dir_list: test directories, or ``None`` to reuse the training files.
        batch_size: rows per batch; must not exceed the number of training files.
        noiseable_data: applied to training inputs only, or ``None``.
        ctx: resolved context holding the data.
        seed: seed of the iterator's ``RandomState`` (``None``: random).
        labeled: require as many test directories as training directories (the one-hot
            labels of both sets must have the same width).
        shard: ``(rank, num_workers)``: learn only from training files ``rank, rank + W, ...``
            (data-parallel workers on a parameter server), or ``None``.
    """

    def __init__(self, image_extractor: ImageExtractor, dir_list: List[str],
                 test_dir_list: Optional[List[str]], batch_size: int,
                 noiseable_data: Optional[NoiseableData], ctx: mx.Context,
                 seed: Optional[int], labeled: bool, shard: Optional[Tuple[int, int]] = None) -> None:
        check_image_extractor(image_extractor)
        check_dir_list(dir_list, "dir_list")
        check_dir_list(test_dir_list, "test_dir_list", allow_none=True)
        check_type(noiseable_data, NoiseableData, "noiseable_data", allow_none=True)
        if labeled and test_dir_list is not None and len(test_dir_list) != len(dir_list):
            raise ValueError(
                "test_dir_list has %d directories but dir_list has %d; labels are one-hot over "
                "the sorted directories, so both lists need one directory per class."
                % (len(test_dir_list), len(dir_list))
            )
        self.rng = make_rng(seed)
        self.ctx = ctx
        self.noiseable_data = noiseable_data
        self.train, self.test = load_train_test(image_extractor, dir_list, test_dir_list)
        self.shard = check_shard(shard)
        self.rows = shard_rows(self.train.size, self.shard)
        self._rows_nd = mx.nd.array(self.rows, ctx=ctx, dtype="int32") if self.shard is not None else None
        check_batch_size_fits(batch_size, len(self.rows), "dir_list")

    @property
    def steps_size(self) -> int:
        """Training files per worker that set the step count (equal on every worker of a shard)."""
        return self.train.size // self.shard[1] if self.shard is not None else self.train.size

    def warm_up(self, norm_mode: Optional[str], scale: float, labeled: bool) -> None:
        """Put the normalised images (and one-hot labels) on the context now."""
        for dataset in (self.train, self.test):
            dataset.device_images(norm_mode, scale, self.ctx)
            if labeled:
                dataset.device_one_hot(self.ctx)

    def learned(self, batch_size: int, n_batches: int, norm_mode: Optional[str], scale: float,
                labeled: bool) -> Iterator[tuple]:
        """Yield ``n_batches`` tuples ``(x, y, test_x, test_y)`` (labeled) or ``(x, x, test_x, test_x)``.

        ``x`` is ``(B, C, H, W)`` float32 on ``ctx``, normalised per image, noised; ``y`` is
        ``(B, n_dirs)`` one-hot. Indices follow the per-epoch permutation rule of ``_batches``.
        """
        ctx = self.ctx
        train_x = self.train.device_images(norm_mode, scale, ctx)
        test_x = self.test.device_images(norm_mode, scale, ctx)
        if labeled:
            train_y, test_y = self.train.device_one_hot(ctx), self.test.device_one_hot(ctx)
        sizes = (len(self.rows), self.test.size)
        for idx, test_idx in index_batches(self.rng, sizes, batch_size, n_batches, ctx):
            if self._rows_nd is not None:
                idx = mx.nd.take(self._rows_nd, idx)
            x = apply_noise(self.noiseable_data, mx.nd.take(train_x, idx))
            tx = mx.nd.take(test_x, test_idx)
            if labeled:
                yield x, mx.nd.take(train_y, idx), tx, mx.nd.take(test_y, test_idx)
            else:
                yield x, x, tx, tx

    def tested(self, batch_size: int, norm_mode: Optional[str], scale: float, labeled: bool) -> Iterator[tuple]:
        """Every test image once, in order: ``(test_x, test_y, test_x, test_y)`` blocks."""
        test_x = self.test.device_images(norm_mode, scale, self.ctx)
        return test_blocks(batch_size, test_x, self.test.device_one_hot(self.ctx) if labeled else None)

    def inferenced(self, batch_size: int, norm_mode: Optional[str], scale: float) -> Iterator[tuple]:
        """Every test image once, shuffled: ``(None, None, batch, file_path_list)``.

        The last block may be shorter than ``batch_size``."""
        return generate_image_inference(self.test, batch_size, norm_mode, scale, self.ctx, self.rng)
