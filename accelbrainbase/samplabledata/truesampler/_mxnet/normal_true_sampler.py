"""Gaussian samples standing in for true data (e.g. the prior p(z) of an adversarial auto-encoder)."""
from __future__ import annotations

import mxnet as mx

from accelbrainbase._mxnet.checks import check_number
from accelbrainbase._mxnet.context import DEFAULT_CTX, first_ctx, resolve_ctx
from accelbrainbase.samplabledata._draws import sample_shape
from accelbrainbase.samplabledata.true_sampler import TrueSampler


class NormalTrueSampler(TrueSampler):
    """Draws ``N(loc, scale²)`` samples of a fixed shape on ``ctx``.

    Args:
        loc, scale: mean and standard deviation (``scale >= 0``).
        batch_size, seq_len, channel, height, width: the shape ``(B, C, H, W)``, or
            ``(B, T, C, H, W)`` when ``seq_len > 0``.
        shape_tuple: any shape, used instead of the five sizes when given.
        ctx: where the samples are drawn (default: a GPU if present, else the CPU).
    """

    def __init__(self, loc=0.0, scale=1.0, batch_size=40, seq_len=0, channel=3, height=96, width=96,
                 shape_tuple=None, ctx=DEFAULT_CTX):
        self.loc = check_number(loc, "loc")
        self.scale = check_number(scale, "scale", minimum=0.0)
        self.shape = sample_shape(batch_size, seq_len, channel, height, width, shape_tuple)
        self.batch_size, self.seq_len, self.channel, self.height, self.width = (
            batch_size, seq_len, channel, height, width)
        self.shape_tuple = shape_tuple
        self.ctx = first_ctx(resolve_ctx(ctx))

    def draw(self):
        """A ``shape`` NDArray of normal samples."""
        return mx.nd.random.normal(loc=self.loc, scale=self.scale, shape=self.shape, ctx=self.ctx)
