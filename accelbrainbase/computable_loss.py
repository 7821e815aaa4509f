"""The ``ComputableLoss`` interface."""
from abc import ABCMeta, abstractmethod

from accelbrainbase._accessors import ContractAccessors


class ComputableLoss(ContractAccessors, metaclass=ABCMeta):
    """A loss function."""

    @abstractmethod
    def compute(self, pred_arr, real_arr):
        """Return a tensor of losses."""
        raise NotImplementedError()
