"""Uniform noise."""
from __future__ import annotations

import mxnet as mx

from accelbrainbase._mxnet.checks import check_number
from accelbrainbase._mxnet.context import DEFAULT_CTX, first_ctx, resolve_ctx
from accelbrainbase.samplabledata._draws import sample_shape
from accelbrainbase.samplabledata.noise_sampler import NoiseSampler


class UniformNoiseSampler(NoiseSampler):
    """Draws ``U(low, high)`` noise of a fixed shape (plus the chained ``noise_sampler``'s).

    Args:
        low, high: the interval (``low <= high``).
        batch_size, seq_len, channel, height, width, shape_tuple: the shape, as in
            ``NormalNoiseSampler``.
        ctx: where the noise is drawn (default: a GPU if present, else the CPU).
    """

    def __init__(self, low=0.0, high=1.0, batch_size=40, seq_len=0, channel=3, height=96, width=96,
                 shape_tuple=None, ctx=DEFAULT_CTX):
        self.low = check_number(low, "low")
        self.high = check_number(high, "high")
        if self.high < self.low:
            raise ValueError("high=%r must not be below low=%r." % (high, low))
        self.shape = sample_shape(batch_size, seq_len, channel, height, width, shape_tuple)
        self.batch_size, self.seq_len, self.channel, self.height, self.width = (
            batch_size, seq_len, channel, height, width)
        self.shape_tuple = shape_tuple
        self.ctx = first_ctx(resolve_ctx(ctx))

    def draw(self):
        """A ``shape`` NDArray of uniform noise (plus the chained noise)."""
        return self.add_chained(mx.nd.random.uniform(low=self.low, high=self.high, shape=self.shape, ctx=self.ctx))
