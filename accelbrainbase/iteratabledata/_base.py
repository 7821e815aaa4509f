"""Members shared by the seven backend-neutral iterator bases (contract §3b.3).

:class:`IteratorSettingsMixin` holds ``pre_normalize``, the ``epochs`` / ``batch_size`` /
``norm_mode`` / ``scale`` properties and ``set_readonly``; :class:`SeqLenMixin` adds ``seq_len``.
:func:`normalize_array` is the normalisation itself, usable on numpy arrays and NDArrays, for a
whole array or per sample (image iterators normalise each image separately).

Differences from the reference: values are checked when assigned (``epochs`` and
``batch_size`` must be ints >= 1, ``norm_mode`` a str or None, ``scale`` a finite number), and
NDArrays are normalised with NDArray operations on their own context (the reference copied
them to the host to compute the standard deviation).
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from accelbrainbase._mxnet.checks import check_int, check_number

#: added to a zero range (min_max) or zero standard deviation (z_score)
EPSILON = 1e-08


def _is_ndarray(arr: Any) -> bool:
    """True for MXNet NDArrays (checked without importing mxnet)."""
    return hasattr(arr, "asnumpy") and hasattr(arr, "context")


def normalize_array(arr, norm_mode: Optional[str], scale: float = 1.0, per_sample: bool = False):
    """Normalise ``arr`` and multiply by ``scale``.

    Args:
        arr: numpy array or NDArray of any shape (``per_sample`` needs rank >= 1).
        norm_mode: ``"min_max"`` → ``(arr - min) / (max - min)`` (``+1e-08`` when
            max == min); ``"z_score"`` → ``(arr - mean) / std`` (``+1e-08`` when std == 0);
            anything else leaves the values unchanged.
        scale: factor applied after normalising.
        per_sample: compute the statistics separately for each ``arr[i]`` (over all its
            elements) instead of over the whole array.

    Returns:
        An array of the same kind, shape and (float) dtype; NDArrays stay on their context.
    """
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
    """``pre_normalize``, the four configuration properties and ``set_readonly``."""

    __norm_mode = "z_score"
    __scale = 1.0

    def pre_normalize(self, arr):
        """Normalise ``arr`` as a whole according to ``norm_mode``, then multiply by ``scale``.

        Args:
            arr: numpy array or NDArray of any shape; NDArrays are processed on their context.
        """
        return normalize_array(arr, self.norm_mode, self.scale)

    def get_epochs(self) -> int:
        """Number of epochs (int >= 1). Reading it before assignment raises AttributeError."""
        return self.__epochs

    def set_epochs(self, value: int) -> None:
        self.__epochs = check_int(value, "epochs", minimum=1)

    epochs = property(get_epochs, set_epochs)

    def get_batch_size(self) -> int:
        """Mini-batch size (int >= 1). Reading it before assignment raises AttributeError."""
        return self.__batch_size

    def set_batch_size(self, value: int) -> None:
        self.__batch_size = check_int(value, "batch_size", minimum=1)

    batch_size = property(get_batch_size, set_batch_size)

    def get_norm_mode(self) -> Optional[str]:
        """``"z_score"`` (default), ``"min_max"``, or any other str/None for no normalisation."""
        return self.__norm_mode

    def set_norm_mode(self, value: Optional[str]) -> None:
        if value is not None and not isinstance(value, str):
            raise TypeError(
                "norm_mode must be a str ('z_score', 'min_max', or another value for no "
                "normalisation) or None, not %s." % type(value).__name__
            )
        self.__norm_mode = value

    norm_mode = property(get_norm_mode, set_norm_mode)

    def get_scale(self) -> float:
        """Factor applied after normalisation (default 1.0)."""
        return self.__scale

    def set_scale(self, value: float) -> None:
        self.__scale = check_number(value, "scale")

    scale = property(get_scale, set_scale)

    def set_readonly(self, value) -> None:
        """Setter for read-only properties: always raises ``TypeError``."""
        raise TypeError("This property is read-only.")


class SeqLenMixin:
    """The read/write ``seq_len`` property (no default: reading it first raises AttributeError)."""

    def get_seq_len(self) -> int:
        """Sequence length (int >= 1)."""
        return self.__seq_len

    def set_seq_len(self, value: int) -> None:
        self.__seq_len = check_int(value, "seq_len", minimum=1)

    seq_len = property(get_seq_len, set_seq_len)
