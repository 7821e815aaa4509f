"""Max-norm style weight constraint on NDArrays, computed on the device."""
from __future__ import annotations

import math

from mxnet import nd

from accelbrainbase.regularizatabledata.constrain_weights import SHRINK
from accelbrainbase.regularizatabledata.constrain_weights import ConstrainWeights as _NeutralConstrainWeights


class ConstrainWeights(_NeutralConstrainWeights):
    """The NDArray version: the number of 0.9 shrinks is computed in closed form on the
    device, so constraining costs no host synchronisation (the reference looped in Python,
    reading the norm back after every multiplication)."""

    def constrain_weight(self, weight_arr):
        squared = nd.nansum(nd.square(weight_arr))
        # smallest n >= 0 with squared * 0.9^(2n) <= limit
        steps = nd.ceil(nd.log(self.weight_limit / squared) / (2 * math.log(SHRINK)) - 1e-6)
        steps = nd.maximum(steps, 0)
        factor = nd.power(nd.full((1,), SHRINK, ctx=weight_arr.context), steps)
        return nd.broadcast_mul(weight_arr, factor.reshape((1,) * weight_arr.ndim))
