"""Gaussian sequences for Transformer controllers (contract §3b.4).

Yields the contract's **10-tuples** ``(enc_x, dec_x, None, None, test_enc_x, test_dec_x, None,
None, train_target, test_target)``: the reference yielded 8 items, which its own
``TransformerController.learn`` could not unpack. The targets are the clean (normalised, not
noised) decoder inputs, so a controller learns to reconstruct them. Every array is
``(batch_size, seq_len, dim)``, drawn on ``ctx`` with MXNet's generator (``mx.random.seed``
makes runs repeatable) and normalised per batch on the device.
"""
from __future__ import annotations

from typing import Iterator, Optional

import mxnet as mx

from accelbrainbase._mxnet.checks import check_int, check_number, check_type
from accelbrainbase._mxnet.context import DEFAULT_CTX, first_ctx, resolve_ctx
from accelbrainbase.iteratabledata._mxnet._batches import apply_noise, count_iterations
from accelbrainbase.iteratabledata.transformer_iterator import TransformerIterator
from accelbrainbase.noiseable_data import NoiseableData


class GaussTransformerIterator(TransformerIterator):
    """Sequences of ``N(loc, std**2)`` vectors.

    Args:
        loc, std: mean and standard deviation (>= 0) of the samples.
        seq_len: time steps per sequence (int >= 1).
        dim: features per time step (int >= 1).
        epochs, batch_size: as every iterator (ints >= 1).
        norm_mode: ``"z_score"``, ``"min_max"``, ``"none"`` or ``None`` (over each whole batch).
        noiseable_data: a ``NoiseableData`` applied to the two training inputs, or ``None``.
        scale: factor applied after normalisation.
        ctx: context the samples are drawn on (default: GPU if present, else CPU).
        dataset_size: virtual data set size (int >= 1) used for ``iter_n``.
    """

    def __init__(self, loc: float = 0.5, std: float = 0.25, seq_len: int = 5, dim: int = 100,
                 epochs: int = 300, batch_size: int = 20, norm_mode: Optional[str] = "z_score",
                 noiseable_data: Optional[NoiseableData] = None, scale: float = 1.0,
                 ctx: mx.Context = DEFAULT_CTX, dataset_size: int = 1000) -> None:
        self.__loc = check_number(loc, "loc")
        self.__std = check_number(std, "std", minimum=0.0)
        self.seq_len = check_int(seq_len, "seq_len", minimum=1)
        self.dim = check_int(dim, "dim", minimum=1)
        check_int(dataset_size, "dataset_size", minimum=1)
        self.__noiseable_data = check_type(noiseable_data, NoiseableData, "noiseable_data", allow_none=True)
        self.epochs = epochs
        self.batch_size = batch_size
        self.norm_mode = norm_mode
        self.scale = scale
        self.__ctx = first_ctx(resolve_ctx(ctx, "ctx"))
        self.iter_n = count_iterations(epochs, dataset_size, batch_size)

    def _draw(self) -> mx.nd.NDArray:
        arr = mx.nd.random.normal(loc=self.__loc, scale=self.__std,
                                  shape=(self.batch_size, self.seq_len, self.dim), ctx=self.__ctx)
        return self.pre_normalize(arr)

    def generate_learned_samples(self) -> Iterator[tuple]:
        """Yield ``iter_n`` 10-tuples (module docstring) of float32 ``(B, seq_len, dim)`` NDArrays."""
        for _ in range(self.iter_n):
            enc_x, dec_x = self._draw(), self._draw()
            test_enc_x, test_dec_x = self._draw(), self._draw()
            yield (apply_noise(self.__noiseable_data, enc_x), apply_noise(self.__noiseable_data, dec_x), None, None,
                   test_enc_x, test_dec_x, None, None, dec_x, test_dec_x)

    def generate_inferenced_samples(self):
        """Not available: there is nothing to infer from random noise."""
        raise NotImplementedError("GaussTransformerIterator has no inference samples.")
