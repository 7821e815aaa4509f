"""Additive Gaussian noise for numpy arrays (backend-neutral).

Repair: the reference's ``noise`` referred to an undefined name and raised ``NameError``;
this one returns ``arr + N(mu, sigma)``.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from accelbrainbase._mxnet.checks import check_int, check_number
from accelbrainbase.noiseable_data import NoiseableData


class GaussNoise(NoiseableData):
    """Add independent ``N(mu, sigma**2)`` noise to every element.

    Args:
        mu: mean of the noise.
        sigma: standard deviation of the noise (>= 0).
        seed: seed of a private ``numpy.random.RandomState``; ``None`` draws from numpy's
            global generator (so ``np.random.seed`` makes runs repeatable).
    """

    def __init__(self, mu: float = 0.0, sigma: float = 1.0, seed: Optional[int] = None) -> None:
        self.mu = mu
        self.sigma = sigma
        self._rng = np.random if seed is None else np.random.RandomState(
            check_int(seed, "seed", minimum=0, maximum=2 ** 32 - 1))

    @property
    def mu(self) -> float:
        """Mean of the noise."""
        return self.__mu

    @mu.setter
    def mu(self, value: float) -> None:
        self.__mu = check_number(value, "mu")

    @property
    def sigma(self) -> float:
        """Standard deviation of the noise."""
        return self.__sigma

    @sigma.setter
    def sigma(self, value: float) -> None:
        self.__sigma = check_number(value, "sigma", minimum=0.0)

    def noise(self, arr: np.ndarray) -> np.ndarray:
        """Return ``arr`` plus Gaussian noise, same shape (float dtype of ``arr`` kept).

        Args:
            arr: numpy array of any shape (an NDArray is copied to numpy first).
        """
        arr = arr.asnumpy() if hasattr(arr, "asnumpy") else np.asarray(arr)
        noised = arr + self._rng.normal(loc=self.mu, scale=self.sigma, size=arr.shape)
        if arr.dtype.kind == "f":
            noised = noised.astype(arr.dtype, copy=False)
        return noised
