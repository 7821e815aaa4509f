"""A true sampler whose draw is two batches joined along one axis."""
from __future__ import annotations

import mxnet as mx

from accelbrainbase._mxnet.checks import check_int
from accelbrainbase.samplabledata.true_sampler import TrueSampler


class ConditionalTrueSampler(TrueSampler):
    """Each draw concatenates two successive batches of the iterator along ``conditonal_dim``
    (the contract's spelling; default 1, the channel axis). The reference raised ``NameError``
    here (it never imported ``nd``)."""

    conditonal_dim = 1

    def __setattr__(self, name, value):
        if name == "conditonal_dim":
            value = check_int(value, "conditonal_dim", minimum=0)
        super().__setattr__(name, value)

    def draw(self):
        """``concat(x1, x2, dim=conditonal_dim)`` of the next two training batches."""
        return mx.nd.concat(super().draw(), super().draw(), dim=self.conditonal_dim)
