"""The ``SamplableData`` interface."""
from abc import ABCMeta, abstractmethod

from accelbrainbase._accessors import ContractAccessors


class SamplableData(ContractAccessors, metaclass=ABCMeta):
    """Something that draws samples (true data, noise, conditions, actions)."""

    @abstractmethod
    def draw(self):
        """Return samples: one tensor or a tuple, depending on the subclass."""
        raise NotImplementedError()
