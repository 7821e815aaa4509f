"""A labeled true sampler that adds a second batch as the condition."""
from __future__ import annotations

from accelbrainbase.samplabledata.truesampler.labeled_true_sampler import LabeledTrueSampler


class ConditionalLabeledTrueSampler(LabeledTrueSampler):
    """Draws ``(observed, condition, label)``: ``observed`` and ``label`` from one batch, and
    ``condition`` the inputs of the next batch."""

    def draw(self):
        observed, label = super().draw()
        condition, _ = super().draw()
        return observed, condition, label
