"""Labeled mini-batches from folders of images, one folder per class.

Repairs and differences from the reference (contract §3b.4, FINDINGS 11 and 16):

* every file is decoded once at construction and kept on ``ctx`` as one normalised float32
  array; batches are ``nd.take`` gathers (no disk access or host round trip per step);
* batches are drawn from per-epoch shuffled permutations (no repeats inside an epoch) by a
  ``numpy.random.RandomState(seed)`` owned by the iterator, and always have ``batch_size``
  rows; the test batch of each tuple is drawn the same way from the test files;
* ``dir_list`` and ``test_dir_list`` are never modified (a sorted copy is used);
* ``generate_inferenced_samples`` also yields the trailing partial batch, so every test file is
  inferred exactly once; its shuffle uses the iterator's generator;
* bad input (missing/empty directories, unreadable or differently shaped images, a batch
  larger than the data set, a test list with a different number of classes) raises before
  any training, naming the argument or the file.
"""
from __future__ import annotations

from typing import Iterator, List, Optional, Tuple

import mxnet as mx

from accelbrainbase._mxnet.context import DEFAULT_CTX, first_ctx, resolve_ctx
from accelbrainbase.extractabledata.image_extractor import ImageExtractor
from accelbrainbase.iteratabledata._mxnet._batches import count_iterations
from accelbrainbase.iteratabledata._mxnet._image_data import ImageTrainTest
from accelbrainbase.iteratabledata.labeled_image_iterator import LabeledImageIterator as _Base
from accelbrainbase.noiseable_data import NoiseableData


class LabeledImageIterator(_Base):
    """Yield ``(x, y, test_x, test_y)`` batches of images and one-hot folder labels.

    Args:
        image_extractor: an ``ImageExtractor`` (neutral or mxnet) fixing ``(C, H, W)``.
        dir_list: training directories, one per class; labels are the index of the
            directory in the sorted list.
        test_dir_list: test directories (same number of classes), or ``None`` to reuse the
            training files.
        epochs: number of passes over the training files (int >= 1).
        batch_size: rows per batch (1 ..number of training files).
        norm_mode: ``"z_score"`` or ``"min_max"`` applied to each image separately;
            ``"none"`` or ``None`` leaves pixel values (0..255) unchanged; anything else is a
            ``ValueError``.
        scale: factor applied after normalisation.
        noiseable_data: a ``NoiseableData`` applied to the training inputs only, or ``None``.
        ctx: context holding the data and the batches (default: GPU if present, else CPU;
            for a list of contexts, the first; the engine splits batches across the list).
        seed: seed of the iterator's random generator (``None``: random).
        shard: ``(rank, num_workers)`` for data-parallel workers on a parameter server (e.g.
            ``(kv.rank, kv.num_workers)``): learn from every ``num_workers``-th training file,
            starting at ``rank``; every worker takes the same number of steps.

    Attributes:
        iter_n: batches per ``generate_learned_samples()`` run,
            ``int(epochs * max(n_train_files / batch_size, 1))``.
    """

    def __init__(self, image_extractor: ImageExtractor, dir_list: List[str],
                 test_dir_list: Optional[List[str]] = None, epochs: int = 300, batch_size: int = 20,
                 norm_mode: Optional[str] = "z_score", scale: float = 1.0,
                 noiseable_data: Optional[NoiseableData] = None, ctx: mx.Context = DEFAULT_CTX,
                 seed: Optional[int] = None, shard: Optional[Tuple[int, int]] = None) -> None:
        self.epochs = epochs
        self.batch_size = batch_size
        self.norm_mode = norm_mode
        self.scale = scale
        ctx = first_ctx(resolve_ctx(ctx, "ctx"))
        self.__data = ImageTrainTest(image_extractor, dir_list, test_dir_list, batch_size,
                                     noiseable_data, ctx, seed, labeled=True, shard=shard)
        self.iter_n = count_iterations(epochs, self.__data.steps_size, batch_size)
        self.__data.warm_up(norm_mode, scale, labeled=True)

    def generate_learned_samples(self) -> Iterator[tuple]:
        """Yield ``iter_n`` tuples ``(x, y, test_x, test_y)``.

        ``x``, ``test_x``: ``(B, C, H, W)`` float32 NDArrays on ``ctx`` (``x`` noised);
        ``y``, ``test_y``: ``(B, n_dirs)`` one-hot float32.
        """
        yield from self.__data.learned(self.batch_size, self.iter_n, self.norm_mode, self.scale,
                                       labeled=True)

    def generate_test_samples(self) -> Iterator[tuple]:
        """The whole test split once, in order, for the engine's per-epoch evaluation: tuples in
        the layout of ``generate_learned_samples()`` whose blocks have ``batch_size`` rows (the last
        may be shorter)."""
        return self.__data.tested(self.batch_size, self.norm_mode, self.scale, labeled=True)

    def generate_inferenced_samples(self) -> Iterator[tuple]:
        """Yield ``(None, None, batch (B, C, H, W), file_path_list)`` covering every test file once."""
        yield from self.__data.inferenced(self.batch_size, self.norm_mode, self.scale)
