"""The generator of an adversarial game."""
from __future__ import annotations

import mxnet as mx
from mxnet.gluon import HybridBlock

from accelbrainbase._mxnet.checks import check_int
from accelbrainbase._mxnet.context import DEFAULT_CTX
from accelbrainbase.observabledata._mxnet.adversarial_model import AdversarialModel
from accelbrainbase.observabledata._mxnet.adversarialmodel._player import PlayerMixin, default_initializer
from accelbrainbase.samplabledata.condition_sampler import ConditionSampler
from accelbrainbase.samplabledata.conditionsampler.labeled_condition_sampler import LabeledConditionSampler
from accelbrainbase.samplabledata.noise_sampler import NoiseSampler


class GenerativeModel(PlayerMixin, HybridBlock, AdversarialModel):
    """``G``: maps noise (and optionally a condition) to samples.

    Args:
        noise_sampler: a ``NoiseSampler`` (the input ``z``), or ``None`` when a condition sampler
            provides the whole input.
        model: the generator network (a HybridBlock, e.g. a ``ConvolutionalNeuralNetworks`` of
            ``Conv2DTranspose`` layers).
        initializer: default ``Xavier(gaussian, in, magnitude=2)``.
        condition_sampler: a ``ConditionSampler`` (conditional GANs), or ``None``.
        conditonal_dim: the axis the condition is appended on (contract spelling).
        learning_rate, optimizer_name: of this model's own ``trainer`` (controllers build theirs).
        hybridize_flag: hybridize ``model`` (and the condition sampler's model).
        ctx: where the parameters live.

    ``draw()``: without a condition sampler ``model(noise)``. With one,
    ``(condition, sampled) = condition_sampler.draw()``; when ``sampled`` is not ``None`` the
    generator gets ``sampled + noise`` and ``concat(G(...), condition, dim=conditonal_dim)`` is
    returned, else the generator gets ``condition + noise`` and its output is returned.
    """

    #: the condition sampler actually used by ``draw()`` (``conditon_sampler`` is the contract's
    #: type-checked property of the same object)
    condition_sampler = None
    conditonal_dim = 1

    def __init__(self, noise_sampler, model, initializer=None, condition_sampler=None, conditonal_dim=1,
                 learning_rate=1e-05, optimizer_name="SGD", hybridize_flag=True, scale=1.0, ctx=DEFAULT_CTX,
                 **kwargs):
        check_int(conditonal_dim, "conditonal_dim", minimum=0)
        if condition_sampler is not None and not isinstance(condition_sampler, (ConditionSampler,
                                                                                 LabeledConditionSampler)):
            raise TypeError("condition_sampler must be a ConditionSampler or None, not %s."
                            % type(condition_sampler).__name__)
        HybridBlock.__init__(self)
        self._configure_player(learning_rate, optimizer_name, hybridize_flag, scale, ctx, kwargs)
        self.initializer = initializer or default_initializer(2)
        self.noise_sampler = noise_sampler
        with self.name_scope():
            self.model = model
        self.condition_sampler = condition_sampler
        self.conditonal_dim = conditonal_dim
        if not self.init_deferred_flag:
            self._initialize_player()
            if hybridize_flag:
                self._hybridize_block(self.model)
                if condition_sampler is not None:
                    self._hybridize_block(getattr(condition_sampler, "model", None))

    _UNREGISTERED = frozenset({"model", "noise_sampler", "condition_sampler", "conditon_sampler"})

    def __setattr__(self, name, value):
        if name in self._UNREGISTERED:
            object.__setattr__(self, name, value)
        else:
            super().__setattr__(name, value)

    # ------------------------------------------------------------------ properties
    @property
    def model(self):
        """The generator network."""
        return self.__dict__.get("_model")

    @model.setter
    def model(self, value) -> None:
        self._set_model(value)

    @property
    def noise_sampler(self):
        """The ``NoiseSampler`` of the input ``z``, or ``None``."""
        return self.__dict__.get("_noise_sampler")

    @noise_sampler.setter
    def noise_sampler(self, value) -> None:
        if value is not None and not isinstance(value, NoiseSampler):
            raise TypeError("noise_sampler must be a NoiseSampler or None, not %s." % type(value).__name__)
        self.__dict__["_noise_sampler"] = value

    @property
    def conditon_sampler(self):
        """The contract's (misspelt) type-checked view of ``condition_sampler``."""
        return self.__dict__.get("condition_sampler")

    @conditon_sampler.setter
    def conditon_sampler(self, value) -> None:
        if not isinstance(value, (ConditionSampler, LabeledConditionSampler)):
            raise TypeError("conditon_sampler must be a ConditionSampler, not %s." % type(value).__name__)
        self.__dict__["condition_sampler"] = value

    def collect_params(self, select=None):
        """The generator network's parameters."""
        return self.model.collect_params(select)

    # ------------------------------------------------------------------ sampling
    def noise(self):
        """A draw of ``noise_sampler`` (``None`` without one)."""
        sampler = self.noise_sampler
        return None if sampler is None else sampler.draw()

    def _with_noise(self, arr):
        noise = self.noise()
        return arr if noise is None else arr + noise

    def condition(self):
        """``(condition_arr, sampled_arr or None)`` from the condition sampler."""
        drawn = self.condition_sampler.draw()
        return drawn[0], drawn[1]

    def draw(self):
        """Generated samples (see the class docstring)."""
        if self.condition_sampler is None:
            noise = self.noise()
            if noise is None:
                raise ValueError("GenerativeModel.draw() needs a noise_sampler or a condition_sampler.")
            return self.model(noise)
        condition_arr, sampled_arr = self.condition()
        if sampled_arr is not None:
            generated = self.model(self._with_noise(sampled_arr))
            return mx.nd.concat(generated, condition_arr, dim=self.conditonal_dim)
        return self.model(self._with_noise(condition_arr))

    def forward_propagation(self, F, x):
        """The generator network on ``x``."""
        return self.model.forward_propagation(F, x)

    def hybrid_forward(self, F, x):
        return self.forward_propagation(F, x)

    def inference(self, observed_arr):
        """The generator network on ``observed_arr``."""
        return self.model(observed_arr)
