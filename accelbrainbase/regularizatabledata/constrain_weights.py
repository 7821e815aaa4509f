"""Max-norm style weight constraint (numpy)."""
from __future__ import annotations

import math

import numpy as np

from accelbrainbase.regularizatable_data import RegularizatableData

SHRINK = 0.9


def shrink_steps(squared_norm: float, weight_limit: float) -> int:
    """How many times a weight must be multiplied by 0.9 until its squared norm is within the limit."""
    if not squared_norm > weight_limit:
        return 0
    return max(int(math.ceil(math.log(weight_limit / squared_norm) / (2 * math.log(SHRINK)) - 1e-12)), 0)


class ConstrainWeights(RegularizatableData):
    """Scale every weight matrix by 0.9^n, with the smallest n that brings
    ``sum(w**2)`` to at most ``weight_limit`` (biases are left alone).

    Args:
        weight_limit: the largest squared L2 norm a weight may keep.
    """

    def __init__(self, weight_limit: float = 0.9):
        self.weight_limit = weight_limit

    @property
    def weight_limit(self) -> float:
        return self._weight_limit

    @weight_limit.setter
    def weight_limit(self, value: float) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise ValueError("weight_limit must be a positive number, got %r." % (value,))
        self._weight_limit = float(value)

    def regularize(self, params_dict: dict) -> dict:
        """Constrain every entry whose name ends in ``weight``; returns ``params_dict``."""
        for name in list(params_dict):
            if name.endswith("weight"):
                params_dict[name] = self.constrain_weight(params_dict[name])
        return params_dict

    def constrain_weight(self, weight_arr):
        """``weight_arr`` (numpy) shrunk by powers of 0.9 into the limit."""
        squared = float(np.nansum(np.square(weight_arr)))
        steps = shrink_steps(squared, self.weight_limit)
        return weight_arr * (SHRINK ** steps) if steps else weight_arr
