"""Labelled source-domain images plus unlabelled target-domain images, for DRCN.

Built on the image iterators' machinery (FINDINGS 11, 16): every folder is decoded once and kept
on ``ctx``; batches are ``nd.take`` gathers from seeded per-epoch permutations; the caller's
lists are never sorted in place. The reference's ``generate_inferenced_samples`` raised
``NameError`` (``random`` was not imported); here it works like the other image iterators.
"""
from __future__ import annotations

from typing import Iterator, List, Optional

import mxnet as mx

from accelbrainbase._mxnet.context import DEFAULT_CTX, first_ctx, resolve_ctx
from accelbrainbase.extractabledata.image_extractor import ImageExtractor
from accelbrainbase.iteratabledata._mxnet._batches import (
    apply_noise, check_batch_size_fits, count_iterations, index_batches,
)
from accelbrainbase.iteratabledata._mxnet._folder_dataset import (
    ImageFolderDataset, check_dir_list, check_image_extractor,
)
from accelbrainbase.iteratabledata._mxnet._image_data import ImageTrainTest
from accelbrainbase.iteratabledata.drcn_iterator import DRCNIterator as _Base
from accelbrainbase.noiseable_data import NoiseableData


class DRCNIterator(_Base):
    """Yield ``(x, y, test_x, test_y, target_x)``: a labelled source batch, a labelled test
    batch and an unlabelled target-domain batch, all ``(B, C, H, W)``.

    Args:
        image_extractor: decodes the source (and, by default, target) images; fixes ``(C, H, W)``.
        dir_list: source training directories, one per class (one-hot labels over the sorted list).
        target_domain_dir_list: directories of target-domain images (their labels are not used).
        test_dir_list: labelled test directories (e.g. the target domain's test digits), or
            ``None`` to reuse the source training files.
        epochs, batch_size, norm_mode, scale: as for ``LabeledImageIterator``.
        noiseable_data: applied to ``x`` and ``target_x`` (training inputs only), or ``None``.
        ctx: context holding the data.
        seed: seed of the iterator's random generator (``None``: random).
        target_image_extractor: decodes the target images when they need another extractor;
            the decoded shape must still equal the source's.

    Raises:
        ValueError: target images whose ``(C, H, W)`` differs from the source images', a
            ``batch_size`` larger than the source or target set, and the image iterators' own
            folder errors; TypeError for arguments of the wrong type.

    Attributes:
        iter_n: ``int(epochs * max(n_source_files / batch_size, 1))``.
    """

    def __init__(self, image_extractor: ImageExtractor, dir_list: List[str], target_domain_dir_list: List[str],
                 test_dir_list: Optional[List[str]] = None, epochs: int = 300, batch_size: int = 20,
                 norm_mode: Optional[str] = "z_score", scale: float = 1.0,
                 noiseable_data: Optional[NoiseableData] = None, ctx: mx.Context = DEFAULT_CTX,
                 seed: Optional[int] = None, target_image_extractor: Optional[ImageExtractor] = None) -> None:
        self.epochs = epochs
        self.batch_size = batch_size
        self.norm_mode = norm_mode
        self.scale = scale
        ctx = first_ctx(resolve_ctx(ctx, "ctx"))
        check_dir_list(target_domain_dir_list, "target_domain_dir_list")
        if target_image_extractor is not None:
            check_image_extractor(target_image_extractor, "target_image_extractor")
        self.__data = ImageTrainTest(image_extractor, dir_list, test_dir_list, batch_size, noiseable_data, ctx,
                                     seed, labeled=True)
        self.__target = ImageFolderDataset(target_image_extractor or image_extractor, target_domain_dir_list,
                                           "target_domain_dir_list")
        source_shape, target_shape = self.__data.train.sample_shape, self.__target.sample_shape
        if source_shape != target_shape:
            raise ValueError("target_domain_dir_list images have shape %s (C, H, W) but the source images in "
                             "dir_list have %s; DRCN reconstructs target images with the source's decoder, so "
                             "both domains need the same shape." % (target_shape, source_shape))
        check_batch_size_fits(batch_size, self.__target.size, "target_domain_dir_list")
        self.iter_n = count_iterations(epochs, self.__data.train.size, batch_size)
        self.__data.warm_up(norm_mode, scale, labeled=True)
        self.__target.device_images(norm_mode, scale, ctx)

    def generate_learned_samples(self) -> Iterator[tuple]:
        """Yield ``iter_n`` tuples ``(x, y, test_x, test_y, target_x)`` of float32 NDArrays
        (``y``/``test_y`` one-hot ``(B, n_dirs)``; ``x`` and ``target_x`` noised)."""
        data, ctx = self.__data, self.__data.ctx
        norm_mode, scale = self.norm_mode, self.scale
        train_x, test_x = data.train.device_images(norm_mode, scale, ctx), data.test.device_images(norm_mode, scale, ctx)
        train_y, test_y = data.train.device_one_hot(ctx), data.test.device_one_hot(ctx)
        target_x = self.__target.device_images(norm_mode, scale, ctx)
        sizes = (data.train.size, data.test.size, self.__target.size)
        for idx, test_idx, target_idx in index_batches(data.rng, sizes, self.batch_size, self.iter_n, ctx):
            yield (apply_noise(data.noiseable_data, mx.nd.take(train_x, idx)), mx.nd.take(train_y, idx),
                   mx.nd.take(test_x, test_idx), mx.nd.take(test_y, test_idx),
                   apply_noise(data.noiseable_data, mx.nd.take(target_x, target_idx)))

    def generate_test_samples(self) -> Iterator[tuple]:
        """The whole labelled test split once, in order: ``(test_x, test_y, test_x, test_y)`` blocks."""
        return self.__data.tested(self.batch_size, self.norm_mode, self.scale, labeled=True)

    def generate_inferenced_samples(self) -> Iterator[tuple]:
        """Yield ``(None, None, batch (B, C, H, W), file_path_list)`` covering every test file once."""
        yield from self.__data.inferenced(self.batch_size, self.norm_mode, self.scale)
