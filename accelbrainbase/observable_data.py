"""The ``ObservableData`` interface."""
from abc import ABCMeta, abstractmethod

from accelbrainbase._accessors import ContractAccessors


class ObservableData(ContractAccessors, metaclass=ABCMeta):
    """A model that learns from observations and infers outputs."""

    @abstractmethod
    def learn(self, iteratable_data):
        """Learn from an ``IteratableData``."""
        raise NotImplementedError()

    @abstractmethod
    def inference(self, observed_arr):
        """Map observations to outputs."""
        raise NotImplementedError()
