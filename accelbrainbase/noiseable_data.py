"""The ``NoiseableData`` interface."""
from abc import ABCMeta, abstractmethod

from accelbrainbase._accessors import ContractAccessors


class NoiseableData(ContractAccessors, metaclass=ABCMeta):
    """Something that corrupts a tensor, e.g. for denoising auto-encoders."""

    @abstractmethod
    def noise(self, arr):
        """Return a noised copy of ``arr`` with the same shape."""
        raise NotImplementedError()
