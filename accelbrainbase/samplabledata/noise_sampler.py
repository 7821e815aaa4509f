"""Noise for generators: a base that can chain another noise sampler."""
from __future__ import annotations

from accelbrainbase.iteratable_data import IteratableData
from accelbrainbase.samplable_data import SamplableData
from accelbrainbase.samplabledata._draws import LearnedStream


class NoiseSampler(SamplableData):
    """Base of the noise samplers.

    ``noise_sampler`` (default ``None``) chains another ``NoiseSampler`` whose draw is *added*
    to this one's. On the base class itself a draw is the next training batch of
    ``iteratorable_data`` plus the chained noise (the reference's property referred to an
    undefined name and raised ``NameError``; here it is type-checked like ``TrueSampler``'s).
    """

    @property
    def noise_sampler(self):
        """Another ``NoiseSampler`` whose draw is added to this one's, or ``None``."""
        return self.__dict__.get("_noise_sampler")

    @noise_sampler.setter
    def noise_sampler(self, value) -> None:
        if value is not None and not isinstance(value, NoiseSampler):
            raise TypeError("noise_sampler must be a NoiseSampler or None, not %s." % type(value).__name__)
        if value is self:
            raise ValueError("noise_sampler cannot chain itself.")
        self.__dict__["_noise_sampler"] = value

    @property
    def iteratorable_data(self):
        """The ``IteratableData`` the base class draws from (``TypeError`` when unset)."""
        value = self.__dict__.get("_iteratorable_data")
        if not isinstance(value, IteratableData):
            raise TypeError("%s.iteratorable_data is not set; assign an IteratableData first."
                            % type(self).__name__)
        return value

    @iteratorable_data.setter
    def iteratorable_data(self, value) -> None:
        if not isinstance(value, IteratableData):
            raise TypeError("iteratorable_data must be an IteratableData, not %s." % type(value).__name__)
        self.__dict__["_iteratorable_data"] = value
        self.__dict__["_stream"] = LearnedStream(value)

    def add_chained(self, arr):
        """``arr`` plus the chained ``noise_sampler``'s draw (``arr`` itself without one)."""
        chained = self.noise_sampler
        return arr if chained is None else arr + chained.draw()

    def draw(self):
        """The next training batch of ``iteratorable_data`` plus the chained noise."""
        stream = self.__dict__.get("_stream")
        if stream is None:
            self.iteratorable_data  # raises the TypeError naming the missing property
        return self.add_chained(stream.next()[0])
