"""Checks of the data given to a Boltzmann machine (shape, context, dtype, value range)."""
from __future__ import annotations

from typing import Optional

import mxnet as mx
import numpy as np


def as_visible(arr, visible_dim: int, ctx: mx.Context, name: str) -> mx.nd.NDArray:
    """``arr`` (NDArray or array-like, ``(B, visible_dim)`` or ``(B, ...)`` with ``visible_dim``
    values per sample) as a float32 ``(B, visible_dim)`` NDArray on ``ctx``; ``ValueError``
    naming ``name`` otherwise. Reads only metadata: no host synchronisation."""
    if not isinstance(arr, mx.nd.NDArray):
        arr = mx.nd.array(np.asarray(arr, dtype=np.float32), ctx=ctx)
    shape = arr.shape
    if len(shape) < 2:
        raise ValueError("%s must have shape (batch, %d) (or (batch, ...) with %d values per sample), got %s."
                         % (name, visible_dim, visible_dim, tuple(shape)))
    width = int(np.prod(shape[1:]))
    if width != visible_dim:
        raise ValueError("%s has %d values per sample (shape %s) but visible_dim is %d."
                         % (name, width, tuple(shape), visible_dim))
    if len(shape) != 2:
        arr = arr.reshape((shape[0], width))
    if arr.context != ctx:
        arr = arr.as_in_context(ctx)
    if arr.dtype != np.float32:
        arr = arr.astype("float32")
    return arr


#: how far outside [0, 1] Bernoulli data may lie and still be accepted (clipped, with a warning):
#: min-max-scaled data plus a little noise (the reference's DBM notebook adds GaussNoise(sigma=1e-3)
#: to GaussIterator(norm_mode="min_max") batches) lands about 1e-3 outside
BERNOULLI_TOLERANCE = 0.01


def check_unit_interval(name: str, *arrays: mx.nd.NDArray) -> Optional[str]:
    """Check that ``arrays`` suit Bernoulli visible units (what they model is data in [0, 1]).

    One host synchronisation for all arrays.

    Returns:
        ``None`` when every value is in [0, 1]; a warning message when some values lie outside
        but within :data:`BERNOULLI_TOLERANCE` of it (the caller clips them).

    Raises:
        ValueError: naming ``name``, for NaN or infinity or values farther outside [0, 1].
    """
    bounds = mx.nd.stack(*[mx.nd.stack(a.min(), a.max()) for a in arrays]).asnumpy().reshape(-1, 2)
    low, high = float(bounds[:, 0].min()), float(bounds[:, 1].max())
    if not (np.isfinite(low) and np.isfinite(high)):
        raise ValueError("%s contains NaN or infinity." % name)
    if low < -BERNOULLI_TOLERANCE or high > 1.0 + BERNOULLI_TOLERANCE:
        raise ValueError(
            "%s holds values in [%g, %g], but Bernoulli visible units (visible_activation='sigmoid') "
            "need data in [0, 1] (values up to %g outside are clipped): scale the data (e.g. an iterator "
            "with norm_mode='min_max', or x / 255 for 8-bit pixels), or use Gaussian visible units "
            "(visible_activation='identity') for standardised real values."
            % (name, low, high, BERNOULLI_TOLERANCE))
    if low < 0.0 or high > 1.0:
        return ("%s holds values in [%g, %g], slightly outside [0, 1]; Bernoulli visible units clip them to "
                "[0, 1] (values more than %g outside raise an error)." % (name, low, high, BERNOULLI_TOLERANCE))
    return None


def clip_unit_interval(arr: mx.nd.NDArray) -> mx.nd.NDArray:
    """``arr`` clipped to [0, 1] (a new array, on the device)."""
    return mx.nd.clip(arr, 0.0, 1.0)
