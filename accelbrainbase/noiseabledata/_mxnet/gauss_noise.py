"""Additive Gaussian noise for NDArrays and Symbols (usable inside hybridized graphs)."""
from __future__ import annotations

import mxnet as mx
import numpy as np

from accelbrainbase.noiseabledata.gauss_noise import GaussNoise as _NeutralGaussNoise


class GaussNoise(_NeutralGaussNoise):
    """Add ``N(mu, sigma**2)`` noise with MXNet's random generator (``mx.random.seed``).

    Args:
        mu: mean of the noise.
        sigma: standard deviation of the noise (>= 0).
    """

    def __init__(self, mu: float = 0.0, sigma: float = 1.0) -> None:
        super().__init__(mu=mu, sigma=sigma)

    def noise(self, arr, F=mx.nd):
        """Return ``arr + F.random.normal_like(arr, loc=mu, scale=sigma)`` (``arr + mu`` if sigma is 0).

        Args:
            arr: NDArray (with ``F=mx.nd``) or Symbol (with ``F=mx.sym``) of any shape; a
                numpy array is noised with the neutral implementation.
            F: ``mx.nd`` or ``mx.sym`` (the Gluon ``F`` of the calling block).
        """
        if isinstance(arr, np.ndarray):
            return super().noise(arr)
        if self.sigma == 0:  # MXNet's sampler requires scale > 0
            return arr + self.mu
        return arr + F.random.normal_like(arr, loc=self.mu, scale=self.sigma)
