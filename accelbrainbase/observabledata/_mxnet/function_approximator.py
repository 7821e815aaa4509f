"""The abstract ``FunctionApproximator``: a Q-function that delegates to a model."""
from __future__ import annotations

from abc import abstractmethod

from accelbrainbase.observable_data import ObservableData


class FunctionApproximator(ObservableData):
    """Abstract base of Q-function approximators: ``learn`` and ``inference`` go to ``model``."""

    _init_deferred_flag = False
    _initializer = None

    @property
    @abstractmethod
    def model(self):
        """The wrapped model (an ``ObservableData`` block)."""
        raise NotImplementedError()

    def learn(self, iteratable_data):
        """Let the wrapped model learn from ``iteratable_data``."""
        return self.model.learn(iteratable_data)

    def inference(self, observed_arr):
        """The wrapped model's output for ``observed_arr``."""
        return self.model.inference(observed_arr)

    @property
    def init_deferred_flag(self) -> bool:
        """When True the constructor skips initialization, trainer and hybridization."""
        return self._init_deferred_flag

    @init_deferred_flag.setter
    def init_deferred_flag(self, value: bool) -> None:
        self._init_deferred_flag = value

    @property
    def initializer(self):
        """The parameter initializer (``None`` until set)."""
        return self._initializer

    @initializer.setter
    def initializer(self, value) -> None:
        self._initializer = value
