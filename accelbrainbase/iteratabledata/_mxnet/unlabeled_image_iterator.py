"""Unlabeled mini-batches from folders of images (e.g. for auto-encoders).

Same caching, sampling and validation as the labeled image iterator (see
:mod:`accelbrainbase.iteratabledata._mxnet.labeled_image_iterator` for the repairs). The
contract gives this class no ``ctx`` argument: the data lives on the extractor's ``ctx`` when
the extractor is the mxnet ``ImageExtractor``, otherwise on the default context (GPU if
present, else CPU).
"""
from __future__ import annotations

from typing import Iterator, List, Optional, Tuple

import mxnet as mx

from accelbrainbase._mxnet.context import DEFAULT_CTX, first_ctx, resolve_ctx
from accelbrainbase.extractabledata.image_extractor import ImageExtractor
from accelbrainbase.iteratabledata._mxnet._batches import count_iterations
from accelbrainbase.iteratabledata._mxnet._image_data import ImageTrainTest
from accelbrainbase.iteratabledata.unlabeled_image_iterator import UnlabeledImageIterator as _Base
from accelbrainbase.noiseable_data import NoiseableData


class UnlabeledImageIterator(_Base):
    """Yield ``(x, x, test_x, test_x)`` batches of images.

    Args:
        image_extractor: an ``ImageExtractor`` (neutral or mxnet) fixing ``(C, H, W)``.
        dir_list: training directories.
        test_dir_list: test directories, or ``None`` to reuse the training files.
        epochs: number of passes over the training files (int >= 1).
        batch_size: rows per batch (1 ..number of training files).
        norm_mode: ``"z_score"`` or ``"min_max"`` applied to each image separately;
            ``"none"`` or ``None`` leaves pixel values unchanged; anything else is a ``ValueError``.
        scale: factor applied after normalisation.
        noiseable_data: a ``NoiseableData`` applied to the training input, or ``None``; the
            same noised array is yielded as input and target.
        seed: seed of the iterator's random generator (``None``: random).
        shard: ``(rank, num_workers)`` for data-parallel workers on a parameter server (e.g.
            ``(kv.rank, kv.num_workers)``): learn from every ``num_workers``-th training file,
            starting at ``rank``; every worker takes the same number of steps.

    Attributes:
        iter_n: batches per ``generate_learned_samples()`` run.
    """

    def __init__(self, image_extractor: ImageExtractor, dir_list: List[str],
                 test_dir_list: Optional[List[str]] = None, epochs: int = 300, batch_size: int = 20,
                 norm_mode: Optional[str] = "z_score", scale: float = 1.0,
                 noiseable_data: Optional[NoiseableData] = None, seed: Optional[int] = None,
                 shard: Optional[Tuple[int, int]] = None) -> None:
        self.epochs = epochs
        self.batch_size = batch_size
        self.norm_mode = norm_mode
        self.scale = scale
        ctx = getattr(image_extractor, "ctx", None)
        if not isinstance(ctx, mx.Context):
            ctx = DEFAULT_CTX
        ctx = first_ctx(resolve_ctx(ctx, "image_extractor.ctx"))
        self.__data = ImageTrainTest(image_extractor, dir_list, test_dir_list, batch_size,
                                     noiseable_data, ctx, seed, labeled=False, shard=shard)
        self.iter_n = count_iterations(epochs, self.__data.steps_size, batch_size)
        self.__data.warm_up(norm_mode, scale, labeled=False)

    def generate_learned_samples(self) -> Iterator[tuple]:
        """Yield ``iter_n`` tuples ``(x, x, test_x, test_x)``; ``x`` is ``(B, C, H, W)`` float32."""
        yield from self.__data.learned(self.batch_size, self.iter_n, self.norm_mode, self.scale,
                                       labeled=False)

    def generate_test_samples(self) -> Iterator[tuple]:
        """The whole test split once, in order, for the engine's per-epoch evaluation: tuples in
        the layout of ``generate_learned_samples()`` whose blocks have ``batch_size`` rows (the last
        may be shorter)."""
        return self.__data.tested(self.batch_size, self.norm_mode, self.scale, labeled=False)

    def generate_inferenced_samples(self) -> Iterator[tuple]:
        """Yield ``(None, None, batch (B, C, H, W), file_path_list)`` covering every test file once."""
        yield from self.__data.inferenced(self.batch_size, self.norm_mode, self.scale)
