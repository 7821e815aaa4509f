"""Cutout for NDArrays: zero one random window per sample, computed on the array's context.

Same semantics as the neutral :mod:`accelbrainbase.noiseabledata.cutout_noise` (rank 4 or 5,
one window per sample, clipped when larger than the image). The corners are drawn with
MXNet's generator on the array's context (``mx.random.seed`` makes them repeatable), and the
mask is built with broadcast comparisons, so nothing is copied to the host. The shapes must be
known, so only ``F=mx.nd`` is supported (the reference also needed NDArray slice assignment).
"""
from __future__ import annotations

import mxnet as mx
import numpy as np

from accelbrainbase.noiseabledata.cutout_noise import CutoutNoise as _NeutralCutoutNoise


class CutoutNoise(_NeutralCutoutNoise):
    """Zero a random ``height x width`` window in every image of an NDArray batch.

    Args:
        height: window height in pixels (>= 1).
        width: window width in pixels (>= 1).
    """

    def __init__(self, height: int = 10, width: int = 10) -> None:
        super().__init__(height=height, width=width)

    def _window(self, n: int, size: int, window: int, ctx) -> mx.nd.NDArray:
        """``(n, size)`` float mask: 1 inside a random window of length ``window``."""
        n_starts = max(size - window, 0) + 1
        starts = mx.nd.floor(mx.nd.random.uniform(0, n_starts, shape=(n, 1), ctx=ctx))
        starts = mx.nd.minimum(starts, n_starts - 1)
        positions = mx.nd.arange(size, ctx=ctx).reshape((1, size))
        inside = mx.nd.broadcast_greater_equal(positions, starts)
        return inside * mx.nd.broadcast_lesser(positions, starts + window)

    def noise(self, arr, F=mx.nd):
        """Return ``arr`` with one window per sample set to 0 (rank 4 or 5), else ``arr``.

        Args:
            arr: NDArray ``(B, C, H, W)`` or ``(B, T, C, H, W)``; a numpy array is handled by
                the neutral implementation.
            F: must be ``mx.nd``.
        """
        if isinstance(arr, np.ndarray):
            return super().noise(arr)
        if F is not mx.nd or not isinstance(arr, mx.nd.NDArray):
            raise NotImplementedError(
                "CutoutNoise.noise needs an NDArray and F=mx.nd (the shapes must be known).")
        if arr.ndim not in (4, 5):
            return arr
        n, img_h, img_w = arr.shape[0], arr.shape[-2], arr.shape[-1]
        rows = self._window(n, img_h, self.height, arr.context)
        cols = self._window(n, img_w, self.width, arr.context)
        cut = rows.reshape((n, img_h, 1)) * cols.reshape((n, 1, img_w))
        keep = (1 - cut).reshape((n,) + (1,) * (arr.ndim - 3) + (img_h, img_w))
        return mx.nd.broadcast_mul(arr, keep.astype(arr.dtype))
