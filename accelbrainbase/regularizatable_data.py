"""The ``RegularizatableData`` interface."""
from abc import ABCMeta, abstractmethod

from accelbrainbase._accessors import ContractAccessors


class RegularizatableData(ContractAccessors, metaclass=ABCMeta):
    """A regularizer applied to learned parameters after each optimizer step."""

    @abstractmethod
    def regularize(self, params_dict):
        """Take ``{name: NDArray}`` and return the (possibly modified) dict."""
        raise NotImplementedError()
