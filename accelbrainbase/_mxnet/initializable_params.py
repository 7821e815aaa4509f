"""Base for custom weight initializers."""
from abc import abstractmethod

import mxnet as mx


class InitializableParams(mx.initializer.Initializer):
    """An ``mx.initializer.Initializer`` whose subclasses define how weights are drawn."""

    @abstractmethod
    def _init_weight(self, name, arr):
        """Fill ``arr`` (an NDArray) in place."""
        raise NotImplementedError()
