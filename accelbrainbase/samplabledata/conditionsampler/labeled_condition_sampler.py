"""Conditions with their labels."""
from __future__ import annotations

from accelbrainbase.samplable_data import SamplableData
from accelbrainbase.samplabledata.truesampler.labeled_true_sampler import LabeledTrueSampler


class LabeledConditionSampler(SamplableData):
    """Draws ``(condition_arr, sampled_arr, label_arr)`` from a ``LabeledTrueSampler``:
    ``sampled_arr = observable_data.inference(condition_arr)`` when ``observable_data`` (alias
    ``model``) is set, else ``None``."""

    @property
    def true_sampler(self):
        """The ``LabeledTrueSampler`` (``TypeError`` when read before it is set)."""
        value = self.__dict__.get("_true_sampler")
        if not isinstance(value, LabeledTrueSampler):
            raise TypeError("%s.true_sampler is not set; assign a LabeledTrueSampler first." % type(self).__name__)
        return value

    @true_sampler.setter
    def true_sampler(self, value) -> None:
        if not isinstance(value, LabeledTrueSampler):
            raise TypeError("true_sampler must be a LabeledTrueSampler, not %s." % type(value).__name__)
        self.__dict__["_true_sampler"] = value

    def _get_observable_data(self):
        return self.__dict__.get("_observable_data")

    def _set_observable_data(self, value) -> None:
        if value is not None and not callable(getattr(value, "inference", None)):
            raise TypeError("observable_data must have an inference(observed_arr) method (an ObservableData) "
                            "or be None, not %s." % type(value).__name__)
        self.__dict__["_observable_data"] = value

    observable_data = property(_get_observable_data, _set_observable_data,
                               doc="The model whose ``inference`` maps a condition, or ``None``.")
    model = property(_get_observable_data, _set_observable_data, doc="Alias of ``observable_data``.")

    def draw(self):
        """``(condition_arr, sampled_arr or None, label_arr)``."""
        condition_arr, label_arr = self.true_sampler.draw()
        model = self.observable_data
        return condition_arr, (model.inference(condition_arr) if model is not None else None), label_arr
