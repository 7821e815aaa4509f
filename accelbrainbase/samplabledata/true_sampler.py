"""Samples of the true (data) distribution, drawn from an iterator."""
from __future__ import annotations

from accelbrainbase.iteratable_data import IteratableData
from accelbrainbase.samplable_data import SamplableData
from accelbrainbase.samplabledata._draws import LearnedStream


class TrueSampler(SamplableData):
    """Draws training batches of an ``IteratableData``.

    Set ``iteratorable_data`` (the contract's spelling) to an iterator; each :meth:`draw` returns
    its next training batch ``x``. The iterator's generator is opened once and continued from
    draw to draw (reopened when a run of ``iter_n`` batches is used up), so a draw costs one
    gather from the data the iterator already holds on its context.
    """

    @property
    def iteratorable_data(self):
        """The ``IteratableData`` drawn from (``TypeError`` when read before it is set)."""
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

    def draw_learned_tuple(self) -> tuple:
        """The next learned tuple ``(x, y, test_x, test_y, ...)`` of the iterator."""
        stream = self.__dict__.get("_stream")
        if stream is None:
            self.iteratorable_data  # raises the TypeError naming the missing property
        return stream.next()

    def draw(self):
        """The next training batch (the first item of the next learned tuple)."""
        return self.draw_learned_tuple()[0]
