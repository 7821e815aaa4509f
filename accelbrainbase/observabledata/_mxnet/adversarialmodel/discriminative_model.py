"""The discriminator of an adversarial game."""
from __future__ import annotations

from mxnet.gluon import HybridBlock

from accelbrainbase._mxnet.context import DEFAULT_CTX
from accelbrainbase._mxnet.learner import HYBRIDIZE_OPTIONS
from accelbrainbase.observabledata._mxnet.adversarial_model import AdversarialModel
from accelbrainbase.observabledata._mxnet.adversarialmodel._player import PlayerMixin, default_initializer


class DiscriminativeModel(PlayerMixin, HybridBlock, AdversarialModel):
    """``D``: maps a sample to the posterior that it is true, e.g. ``(B, 1)`` in ``(0, 1)``.

    Args:
        model: the discriminator network (a HybridBlock whose ``forward_propagation(F, x)`` gives
            the posterior, e.g. a ``ConvolutionalNeuralNetworks`` ending in a sigmoid unit).
        initializer: default ``Xavier(gaussian, in, magnitude=2)``.
        learning_rate, optimizer_name: of this model's own ``trainer``.
        hybridize_flag: run the discriminator as one cached graph.
        ctx: where the parameters live.

    ``inference(x)`` is ``self(x)``, i.e. ``model.forward_propagation`` inside this block's graph.
    """

    _UNREGISTERED = frozenset({"model"})
    _default_magnitude = 2
    #: a discriminator step judges a true and a generated batch in one recorded graph
    evaluated_twice_per_graph = True

    def __init__(self, model, initializer=None, learning_rate=1e-05, optimizer_name="SGD", hybridize_flag=True,
                 scale=1.0, ctx=DEFAULT_CTX, **kwargs):
        HybridBlock.__init__(self)
        self._configure_player(learning_rate, optimizer_name, hybridize_flag, scale, ctx, kwargs)
        self.initializer = initializer or default_initializer(self._default_magnitude)
        with self.name_scope():
            self.model = model
        if not self.init_deferred_flag:
            self._initialize_player()
            if hybridize_flag:
                self.hybridize(**HYBRIDIZE_OPTIONS)

    def __setattr__(self, name, value):
        if name in self._UNREGISTERED:
            object.__setattr__(self, name, value)
        else:
            super().__setattr__(name, value)

    @property
    def model(self):
        """The discriminator network."""
        return self.__dict__.get("_model")

    @model.setter
    def model(self, value) -> None:
        self._set_model(value)

    def collect_params(self, select=None):
        """The discriminator network's parameters."""
        return self.model.collect_params(select)

    def inference(self, observed_arr):
        """The posterior (or energy) of ``observed_arr``."""
        return self(observed_arr)

    def forward_propagation(self, F, x):
        return self.model.forward_propagation(F, x)

    def hybrid_forward(self, F, x):
        return self.forward_propagation(F, x)
