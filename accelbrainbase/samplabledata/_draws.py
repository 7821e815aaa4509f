"""What the samplers share: the batch-shape rule of the random samplers, and an endless stream of
an iterator's learned tuples.

A true sampler must not pay an iterator's set-up cost at every draw (FINDINGS 13: the reference
built a new generator per draw). :class:`LearnedStream` keeps *one* generator of
``generate_learned_samples()`` open and takes the next tuple from it; when a run of ``iter_n``
tuples is used up it opens the next run. The iterators of this library hold their data on the
device already, so a draw is one ``nd.take`` gather.
"""
from __future__ import annotations

from typing import Optional, Tuple

import mxnet as mx

from accelbrainbase._mxnet.checks import check_int, check_type


def sample_shape(batch_size, seq_len, channel, height, width, shape_tuple) -> Tuple[int, ...]:
    """``shape_tuple`` when given, else ``(B, T, C, H, W)`` for ``seq_len > 0``, else ``(B, C, H, W)``."""
    if shape_tuple is not None:
        check_type(shape_tuple, (tuple, list), "shape_tuple", allow_none=True)
        shape = tuple(int(check_int(d, "shape_tuple[%d]" % i, minimum=1)) for i, d in enumerate(shape_tuple))
        if not shape:
            raise ValueError("shape_tuple must not be empty.")
        return shape
    check_int(batch_size, "batch_size", minimum=1)
    check_int(seq_len, "seq_len", minimum=0)
    for value, name in ((channel, "channel"), (height, "height"), (width, "width")):
        check_int(value, name, minimum=1)
    if seq_len > 0:
        return (batch_size, seq_len, channel, height, width)
    return (batch_size, channel, height, width)


class LearnedStream:
    """The learned tuples of one iterator, one per :meth:`next` call, without restarting it.

    Args:
        iteratable_data: an ``IteratableData`` (its ``generate_learned_samples()`` is opened once
            and reopened only when a whole run is used up).
    """

    def __init__(self, iteratable_data) -> None:
        self.iteratable_data = iteratable_data
        self._generator = None

    def next(self) -> tuple:
        """The next learned tuple ``(x, y, test_x, test_y, ...)``."""
        for attempt in range(2):
            if self._generator is None:
                self._generator = iter(self.iteratable_data.generate_learned_samples())
            try:
                return next(self._generator)
            except StopIteration:
                self._generator = None
        raise ValueError("%s.generate_learned_samples() yielded nothing; a true sampler needs at least "
                         "one batch." % type(self.iteratable_data).__name__)


def on_ctx(arr, ctx: Optional[mx.Context]):
    """``arr`` on ``ctx`` (no copy when it is already there)."""
    if ctx is None or not isinstance(arr, mx.nd.NDArray) or arr.context == ctx:
        return arr
    return arr.as_in_context(ctx)
