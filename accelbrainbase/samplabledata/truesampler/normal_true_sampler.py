"""Deprecated location of the Gaussian true sampler (use the ``_mxnet`` module)."""
from __future__ import annotations

import warnings

from accelbrainbase._mxnet.context import DEFAULT_CTX
from accelbrainbase.samplabledata.truesampler._mxnet.normal_true_sampler import (
    NormalTrueSampler as _MXNetNormalTrueSampler,
)


class NormalTrueSampler(_MXNetNormalTrueSampler):
    """Same as ``accelbrainbase.samplabledata.truesampler._mxnet.normal_true_sampler.NormalTrueSampler``;
    constructing it emits a ``FutureWarning`` pointing there."""

    def __init__(self, loc=0.0, scale=1.0, batch_size=40, seq_len=0, channel=3, height=96, width=96,
                 shape_tuple=None, ctx=DEFAULT_CTX):
        warnings.warn(
            "accelbrainbase.samplabledata.truesampler.normal_true_sampler is deprecated; import NormalTrueSampler "
            "from accelbrainbase.samplabledata.truesampler._mxnet.normal_true_sampler.",
            FutureWarning, stacklevel=2)
        super().__init__(loc=loc, scale=scale, batch_size=batch_size, seq_len=seq_len, channel=channel,
                         height=height, width=width, shape_tuple=shape_tuple, ctx=ctx)
