"""The ``ComputableLoss`` interface."""
from abc import ABCMeta, abstractmethod


class ComputableLoss(metaclass=ABCMeta):
    """A loss function."""

    @abstractmethod
    def compute(self, pred_arr, real_arr):
        """Return a tensor of losses."""
        raise NotImplementedError()
