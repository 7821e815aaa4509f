"""Members shared by the seven backend-neutral iterator bases (contract §3b.3).

:class:`IteratorSettingsMixin` holds ``pre_normalize`` and the ``epochs`` / ``batch_size`` /
``norm_mode`` / ``scale`` properties; :class:`SeqLenMixin` adds ``seq_len``.
:func:`normalize_array` is the normalisation itself, usable on numpy arrays and NDArrays, for a
whole array or per sample (image iterators normalise each image separately).

Differences from the reference: values are checked when assigned (``epochs`` and
``batch_size`` must be ints >= 1, ``norm_mode`` one of :data:`NORM_MODES`, ``scale`` a finite
non-zero number), and NDArrays are normalised with NDArray operations on their own context
(the reference copied them to the host to compute the standard deviation). The reference
silently skipped normalisation for any unknown ``norm_mode`` (so the typo ``"z-score"``
normalised nothing); here it is a ``ValueError`` listing the valid modes.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from accelbrainbase._mxnet.checks import check_int, check_number

#: added to a zero range (min_max) or zero standard deviation (z_score)
EPSILON = 1e-08

#: the accepted ``norm_mode`` values; ``None`` and ``"none"`` mean "no normalisation"
NORM_MODES = ("z_score", "min_max", "none", None)


def check_norm_mode(value: Any, name: str = "norm_mode") -> Optional[str]:
    """Return ``value`` if it is one of :data:`NORM_MODES`; otherwise ``TypeError`` (not a str or
    None) or ``ValueError`` listing the valid modes."""
    if value is not None and not isinstance(value, str):
        raise TypeError("%s must be 'z_score', 'min_max', 'none' or None, not %s."
                        % (name, type(value).__name__))
    if value not in NORM_MODES:
        raise ValueError("%s=%r is not a normalisation mode; use 'z_score', 'min_max', or 'none'/None "
                         "for no normalisation." % (name, value))
    return value


def check_scale(value: Any, name: str = "scale") -> float:
    """A finite, non-zero number (``0`` would turn every sample into zeros)."""
    value = check_number(value, name)
    if value == 0:
        raise ValueError("%s must be non-zero (it multiplies the normalised data), got 0." % name)
    return value


def _is_ndarray(arr: Any) -> bool:
    """True for MXNet NDArrays (checked without importing mxnet)."""
    return hasattr(arr, "asnumpy") and hasattr(arr, "context")


def normalize_array(arr, norm_mode: Optional[str], scale: float = 1.0, per_sample: bool = False):
    """Normalise ``arr`` and multiply by ``scale``.

    Args:
        arr: numpy array or NDArray of any shape (``per_sample`` needs rank >= 1).
        norm_mode: ``"min_max"`` → ``(arr - min) / (max - min)`` (``+1e-08`` when
            max == min); ``"z_score"`` → ``(arr - mean) / std`` (``+1e-08`` when std == 0);
            ``"none"`` or ``None`` leaves the values unchanged; anything else is a ValueError.
        scale: factor applied after normalising.
        per_sample: compute the statistics separately for each ``arr[i]`` (over all its
            elements) instead of over the whole array.

    Returns:
        An array of the same kind, shape and (float) dtype; NDArrays stay on their context.
    """
    check_norm_mode(norm_mode)
    if not _is_ndarray(arr):
        arr = np.asarray(arr)
        if arr.dtype.kind != "f":
            arr = arr.astype(np.float64)
    shape = arr.shape
    rows = shape[0] if (per_sample and len(shape) > 0) else 1
    flat = arr.reshape((rows, -1))
    if norm_mode == "min_max":
        low = flat.min(axis=1, keepdims=True)
        span = flat.max(axis=1, keepdims=True) - low
        span = span + (span == 0) * EPSILON
        out = (flat - low) / span
    elif norm_mode == "z_score":
        mean = flat.mean(axis=1, keepdims=True)
        centred = flat - mean
        std = (centred ** 2).mean(axis=1, keepdims=True) ** 0.5
        std = std + (std == 0) * EPSILON
        out = centred / std
    else:
        out = flat
    out = (out * scale).reshape(shape)
    if isinstance(out, np.ndarray) and out.dtype != arr.dtype:
        out = out.astype(arr.dtype)
    return out


class IteratorSettingsMixin:
    """``pre_normalize`` and the four configuration properties (``set_readonly`` and the
    ``get_X``/``set_X`` accessors come from the interface, see :mod:`accelbrainbase._accessors`)."""

    __norm_mode = "z_score"
    __scale = 1.0

    def pre_normalize(self, arr):
        """Normalise ``arr`` as a whole according to ``norm_mode``, then multiply by ``scale``.

        Args:
            arr: numpy array or NDArray of any shape; NDArrays are processed on their context.
        """
        return normalize_array(arr, self.norm_mode, self.scale)

    @property
    def epochs(self) -> int:
        """Number of epochs (int >= 1). Reading it before assignment raises AttributeError."""
        return self.__epochs

    @epochs.setter
    def epochs(self, value: int) -> None:
        self.__epochs = check_int(value, "epochs", minimum=1)

    @property
    def batch_size(self) -> int:
        """Mini-batch size (int >= 1). Reading it before assignment raises AttributeError."""
        return self.__batch_size

    @batch_size.setter
    def batch_size(self, value: int) -> None:
        self.__batch_size = check_int(value, "batch_size", minimum=1)

    @property
    def norm_mode(self) -> Optional[str]:
        """``"z_score"`` (default), ``"min_max"``, or ``None`` for no normalisation."""
        return self.__norm_mode

    @norm_mode.setter
    def norm_mode(self, value: Optional[str]) -> None:
        self.__norm_mode = check_norm_mode(value)

    @property
    def scale(self) -> float:
        """Factor applied after normalisation (default 1.0; finite and non-zero)."""
        return self.__scale

    @scale.setter
    def scale(self, value: float) -> None:
        self.__scale = check_scale(value)


class SeqLenMixin:
    """The read/write ``seq_len`` property (no default: reading it first raises AttributeError)."""

    @property
    def seq_len(self) -> int:
        """Sequence length (int >= 1)."""
        return self.__seq_len

    @seq_len.setter
    def seq_len(self, value: int) -> None:
        self.__seq_len = check_int(value, "seq_len", minimum=1)
