"""Cutout: zero a rectangular window of each image (backend-neutral, numpy).

For rank-4 ``(B, C, H, W)`` and rank-5 ``(B, T, C, H, W)`` input a ``height x width`` window of
the last two axes is set to 0; other ranks are returned unchanged.

Differences from the reference (documented repairs):

* the window position is drawn **per sample** (the reference used one position for the whole
  batch); within a sample it covers every channel and, for rank 5, every time step;
* the top-left corner is uniform over every position where the window fits, the last one
  included, and a window larger than the image is clipped (the reference failed with
  ``ValueError`` when ``height == H``).
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from accelbrainbase._mxnet.checks import check_int
from accelbrainbase.noiseable_data import NoiseableData


def window_mask(n: int, size: int, window: int, starts: np.ndarray) -> np.ndarray:
    """``(n, size)`` boolean: True where ``start <= position < start + window``."""
    positions = np.arange(size)[np.newaxis, :]
    starts = starts.reshape(n, 1)
    return (positions >= starts) & (positions < starts + window)


class CutoutNoise(NoiseableData):
    """Zero a random ``height x width`` window in every image of a batch.

    Args:
        height: window height in pixels (>= 1).
        width: window width in pixels (>= 1).
        seed: seed of a private ``numpy.random.RandomState``; ``None`` uses numpy's global
            generator.
    """

    def __init__(self, height: int = 10, width: int = 10, seed: Optional[int] = None) -> None:
        self.height = height
        self.width = width
        self._rng = np.random if seed is None else np.random.RandomState(
            check_int(seed, "seed", minimum=0, maximum=2 ** 32 - 1))

    @property
    def height(self) -> int:
        """Window height in pixels."""
        return self.__height

    @height.setter
    def height(self, value: int) -> None:
        self.__height = check_int(value, "height", minimum=1)

    @property
    def width(self) -> int:
        """Window width in pixels."""
        return self.__width

    @width.setter
    def width(self, value: int) -> None:
        self.__width = check_int(value, "width", minimum=1)

    def draw_corners(self, batch_size: int, img_height: int, img_width: int):
        """Random top-left corners ``(tops, lefts)``, each of shape ``(batch_size,)``."""
        tops = self._rng.randint(0, max(img_height - self.height, 0) + 1, size=batch_size)
        lefts = self._rng.randint(0, max(img_width - self.width, 0) + 1, size=batch_size)
        return tops, lefts

    def noise(self, arr: np.ndarray) -> np.ndarray:
        """Return ``arr`` with one window per sample set to 0 (rank 4 or 5), else ``arr``.

        Args:
            arr: ``(B, C, H, W)`` or ``(B, T, C, H, W)`` numpy array (an NDArray is copied to
                numpy first; the mxnet subclass keeps it on its context).
        """
        arr = arr.asnumpy() if hasattr(arr, "asnumpy") else np.asarray(arr)
        if arr.ndim not in (4, 5):
            return arr
        n, img_h, img_w = arr.shape[0], arr.shape[-2], arr.shape[-1]
        tops, lefts = self.draw_corners(n, img_h, img_w)
        rows = window_mask(n, img_h, self.height, tops)
        cols = window_mask(n, img_w, self.width, lefts)
        keep = ~(rows[:, :, np.newaxis] & cols[:, np.newaxis, :])
        keep = keep.reshape((n,) + (1,) * (arr.ndim - 3) + (img_h, img_w))
        return arr * keep.astype(arr.dtype if arr.dtype.kind == "f" else np.float64)
