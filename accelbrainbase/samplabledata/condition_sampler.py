"""Conditions for conditional generators."""
from __future__ import annotations

from mxnet.gluon import Block

from accelbrainbase.samplable_data import SamplableData
from accelbrainbase.samplabledata.true_sampler import TrueSampler


class ConditionSampler(SamplableData):
    """Draws a condition from ``true_sampler`` and, when ``model`` is set, what the model makes of it.

    ``draw()`` returns ``(condition_arr, sampled_arr)`` with ``sampled_arr = model(condition_arr)``,
    or ``None`` when no model is set. A ``GenerativeModel`` with a condition sampler feeds
    ``sampled_arr`` (plus noise) to its generator and appends ``condition_arr`` to the output.
    """

    @property
    def true_sampler(self):
        """The ``TrueSampler`` conditions are drawn from (``TypeError`` when read before it is set)."""
        value = self.__dict__.get("_true_sampler")
        if not isinstance(value, TrueSampler):
            raise TypeError("%s.true_sampler is not set; assign a TrueSampler first." % type(self).__name__)
        return value

    @true_sampler.setter
    def true_sampler(self, value) -> None:
        if not isinstance(value, TrueSampler):
            raise TypeError("true_sampler must be a TrueSampler, not %s." % type(value).__name__)
        self.__dict__["_true_sampler"] = value

    @property
    def model(self):
        """A block mapping a condition to the generator's input, or ``None``."""
        return self.__dict__.get("_model")

    @model.setter
    def model(self, value) -> None:
        if value is not None and not isinstance(value, Block):
            raise TypeError("model must be a gluon Block (HybridBlock) or None, not %s." % type(value).__name__)
        self.__dict__["_model"] = value

    def draw(self):
        """``(condition_arr, sampled_arr or None)``."""
        condition_arr = self.true_sampler.draw()
        model = self.model
        return condition_arr, (model(condition_arr) if model is not None else None)
