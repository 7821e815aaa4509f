"""The ``ExtractableData`` interface."""
from abc import ABCMeta, abstractmethod

from accelbrainbase._accessors import ContractAccessors


class ExtractableData(ContractAccessors, metaclass=ABCMeta):
    """Something that reads data from a path."""

    @abstractmethod
    def extract(self, path):
        """Read the resource at ``path`` and return its data (an array or a tuple of arrays)."""
        raise NotImplementedError()
