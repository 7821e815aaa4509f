"""The ``IteratableData`` interface."""
from abc import ABCMeta, abstractmethod

from accelbrainbase._accessors import ContractAccessors


class IteratableData(ContractAccessors, metaclass=ABCMeta):
    """A source of mini-batches for learning and inference.

    Concrete iterators also expose integer attributes ``epochs`` and ``iter_n`` (the number of
    training batches ``generate_learned_samples`` yields); the training engine uses them to
    find epoch boundaries."""

    @abstractmethod
    def generate_learned_samples(self):
        """Yield training tuples ``(train_x, train_y, test_x, test_y, ...)``."""
        raise NotImplementedError()

    @abstractmethod
    def generate_inferenced_samples(self):
        """Yield inference tuples whose third item is the batch to infer."""
        raise NotImplementedError()
