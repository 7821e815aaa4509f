"""The interface of the two players of an adversarial game (generator and discriminator)."""
from __future__ import annotations

from abc import abstractmethod

import mxnet as mx

from accelbrainbase.observable_data import ObservableData


class AdversarialModel(ObservableData):
    """A player wraps a ``model`` (a HybridBlock); ``learn`` and ``inference`` are the model's.

    Properties: ``model`` (abstract), ``init_deferred_flag`` (default ``False``: when ``True``
    the constructor skips initialization, trainer and hybridization), ``initializer`` (default
    ``None``).
    """

    @property
    @abstractmethod
    def model(self):
        """The wrapped block."""
        raise NotImplementedError()

    @property
    def init_deferred_flag(self) -> bool:
        """When ``True`` the constructor skips initialization, trainer and hybridization."""
        return self.__dict__.get("_init_deferred_flag", False)

    @init_deferred_flag.setter
    def init_deferred_flag(self, value) -> None:
        if not isinstance(value, bool):
            raise TypeError("init_deferred_flag must be a bool, not %s." % type(value).__name__)
        self.__dict__["_init_deferred_flag"] = value

    @property
    def initializer(self):
        """The parameter initializer, or ``None``."""
        return self.__dict__.get("_initializer")

    @initializer.setter
    def initializer(self, value) -> None:
        if value is not None and not isinstance(value, mx.initializer.Initializer):
            raise TypeError("initializer must be an mxnet Initializer or None, not %s." % type(value).__name__)
        self.__dict__["_initializer"] = value

    def learn(self, iteratable_data):
        """Train the wrapped model on ``iteratable_data`` (its own ``learn``)."""
        return self.model.learn(iteratable_data)

    def inference(self, observed_arr):
        """The wrapped model's ``inference``."""
        return self.model.inference(observed_arr)
