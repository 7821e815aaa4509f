"""Mini-batches of Gaussian noise (e.g. the latent input of a GAN generator).

Every batch is drawn on ``ctx`` with ``mx.nd.random.normal`` (MXNet's generator:
``mx.random.seed`` makes runs repeatable) and normalised per batch with NDArray operations, so
nothing passes through the host. ``dataset_size`` is virtual: it only sets ``iter_n``.
"""
from __future__ import annotations

from typing import Iterator, Optional

import mxnet as mx

from accelbrainbase._mxnet.checks import check_int, check_number, check_type
from accelbrainbase._mxnet.context import DEFAULT_CTX, first_ctx, resolve_ctx
from accelbrainbase.iteratabledata._mxnet._batches import apply_noise, count_iterations
from accelbrainbase.iteratabledata.labeled_image_iterator import LabeledImageIterator as _Base
from accelbrainbase.noiseable_data import NoiseableData


class GaussIterator(_Base):
    """Yield ``(x, x, test_x, test_x)`` with fresh ``N(loc, std**2)`` arrays of shape ``(B, dim)``.

    Args:
        loc: mean of the samples.
        std: standard deviation of the samples (>= 0).
        dim: number of columns ``dim`` of each sample (int >= 1).
        epochs: number of virtual epochs (int >= 1).
        batch_size: rows per batch (int >= 1).
        norm_mode: ``"z_score"`` or ``"min_max"`` over each whole batch; ``"none"`` or ``None``
            leaves the samples unchanged; anything else is a ``ValueError``.
        noiseable_data: a ``NoiseableData`` applied to the training batch, or ``None``.
        scale: factor applied after normalisation.
        ctx: context the samples are drawn on (default: GPU if present, else CPU; for a list
            of contexts, the first; the training engine splits batches across the list).
        dataset_size: virtual data set size (int >= 1) used for ``iter_n``.

    Attributes:
        iter_n: batches per run, ``int(epochs * max(dataset_size / batch_size, 1))``.
    """

    def __init__(self, loc: float = 0.0, std: float = 1.0, dim: int = 100, epochs: int = 300,
                 batch_size: int = 20, norm_mode: Optional[str] = "z_score",
                 noiseable_data: Optional[NoiseableData] = None, scale: float = 1.0,
                 ctx: mx.Context = DEFAULT_CTX, dataset_size: int = 1000) -> None:
        self.__loc = check_number(loc, "loc")
        self.__std = check_number(std, "std", minimum=0.0)
        self.__dim = check_int(dim, "dim", minimum=1)
        check_int(dataset_size, "dataset_size", minimum=1)
        self.__noiseable_data = check_type(noiseable_data, NoiseableData, "noiseable_data",
                                           allow_none=True)
        self.epochs = epochs
        self.batch_size = batch_size
        self.norm_mode = norm_mode
        self.scale = scale
        self.__ctx = first_ctx(resolve_ctx(ctx, "ctx"))
        self.iter_n = count_iterations(epochs, dataset_size, batch_size)

    def _draw(self) -> mx.nd.NDArray:
        """One normalised ``(batch_size, dim)`` batch on ``ctx``."""
        arr = mx.nd.random.normal(loc=self.__loc, scale=self.__std,
                                  shape=(self.batch_size, self.__dim), ctx=self.__ctx)
        return self.pre_normalize(arr)

    def generate_learned_samples(self) -> Iterator[tuple]:
        """Yield ``iter_n`` tuples ``(x, x, test_x, test_x)`` of float32 ``(B, dim)`` NDArrays."""
        for _ in range(self.iter_n):
            x = apply_noise(self.__noiseable_data, self._draw())
            test_x = self._draw()
            yield x, x, test_x, test_x

    def generate_inferenced_samples(self):
        """Not available: there is nothing to infer from random noise."""
        raise NotImplementedError("GaussIterator has no inference samples.")
