"""A true sampler that also returns the labels of its batch."""
from __future__ import annotations

from accelbrainbase.iteratabledata.labeled_image_iterator import LabeledImageIterator
from accelbrainbase.samplabledata.true_sampler import TrueSampler


class LabeledTrueSampler(TrueSampler):
    """Draws ``(x, label)`` from a labeled iterator (any subclass of the neutral
    ``LabeledImageIterator``: the labeled image, CSV and Gauss iterators). Setting
    ``labeled_image_iterator`` also sets ``iteratorable_data``."""

    @property
    def labeled_image_iterator(self):
        """The labeled iterator (``TypeError`` when read before it is set)."""
        value = self.__dict__.get("_labeled_image_iterator")
        if not isinstance(value, LabeledImageIterator):
            raise TypeError("%s.labeled_image_iterator is not set; assign a LabeledImageIterator first."
                            % type(self).__name__)
        return value

    @labeled_image_iterator.setter
    def labeled_image_iterator(self, value) -> None:
        if not isinstance(value, LabeledImageIterator):
            raise TypeError("labeled_image_iterator must be a LabeledImageIterator, not %s." % type(value).__name__)
        self.__dict__["_labeled_image_iterator"] = value
        self.iteratorable_data = value

    def draw(self):
        """``(x, label)``: the first two items of the next learned tuple."""
        learned = self.draw_learned_tuple()
        return learned[0], learned[1]
