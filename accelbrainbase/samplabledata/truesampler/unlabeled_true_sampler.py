"""A true sampler over an unlabeled iterator."""
from __future__ import annotations

from accelbrainbase.iteratabledata.unlabeled_image_iterator import UnlabeledImageIterator
from accelbrainbase.samplabledata.true_sampler import TrueSampler


class UnlabeledTrueSampler(TrueSampler):
    """Draws ``x`` from an unlabeled iterator (any subclass of the neutral
    ``UnlabeledImageIterator``). Setting ``unlabeled_image_iterator`` also sets ``iteratorable_data``."""

    @property
    def unlabeled_image_iterator(self):
        """The unlabeled iterator (``TypeError`` when read before it is set)."""
        value = self.__dict__.get("_unlabeled_image_iterator")
        if not isinstance(value, UnlabeledImageIterator):
            raise TypeError("%s.unlabeled_image_iterator is not set; assign an UnlabeledImageIterator first."
                            % type(self).__name__)
        return value

    @unlabeled_image_iterator.setter
    def unlabeled_image_iterator(self, value) -> None:
        if not isinstance(value, UnlabeledImageIterator):
            raise TypeError("unlabeled_image_iterator must be an UnlabeledImageIterator, not %s."
                            % type(value).__name__)
        self.__dict__["_unlabeled_image_iterator"] = value
        self.iteratorable_data = value

    def draw(self):
        """The next training batch."""
        return self.draw_learned_tuple()[0]
