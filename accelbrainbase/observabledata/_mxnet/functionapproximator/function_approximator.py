"""The concrete ``FunctionApproximator``: a hybridizable Q-function around any model block."""
from __future__ import annotations

import mxnet as mx
from mxnet.gluon.block import HybridBlock

from accelbrainbase._mxnet.checks import check_type
from accelbrainbase._mxnet.context import DEFAULT_CTX, ctx_list, resolve_ctx
from accelbrainbase._mxnet.learner import check_initializer, check_optimizer_name, make_trainer
from accelbrainbase.observabledata._mxnet.function_approximator import FunctionApproximator as _Abstract


class FunctionApproximator(HybridBlock, _Abstract):
    """Q-values ``model.forward_propagation(F, x)`` of candidate actions ``x``.

    Args:
        model: a block with ``forward_propagation(F, x)`` and ``regularize()`` (e.g.
            ``NeuralNetworks``, ``ConvolutionalNeuralNetworks``, ``MobileNetV2``), usually built
            with ``not_init_flag=True``.
        initializer: default ``Xavier(gaussian, in, magnitude=2)``.
        learning_rate, optimizer_name: of ``self.trainer`` (the DQL controller builds its own).
        hybridize_flag: hybridize this block (one cached graph for the whole Q-function).
        scale: unused (kept for compatibility).
        ctx: the context of the parameters.
    """

    def __init__(self, model, initializer=None, learning_rate=1e-05, optimizer_name="SGD", hybridize_flag=True,
                 scale=1.0, ctx=DEFAULT_CTX, **kwargs):
        check_type(model, mx.gluon.Block, "model")
        if not callable(getattr(model, "forward_propagation", None)):
            raise TypeError("model must define forward_propagation(F, x); %s does not." % type(model).__name__)
        check_initializer(initializer)
        super().__init__()
        self._ctx = resolve_ctx(ctx)
        self.hybridize_flag = hybridize_flag
        self.initializer = initializer or mx.initializer.Xavier(rnd_type="gaussian", factor_type="in", magnitude=2)
        with self.name_scope():
            self.model = model
        if not self.init_deferred_flag:
            params = self.collect_params()
            params.initialize(init=self.initializer, ctx=ctx_list(self._ctx), force_reinit=True)
            self.trainer = make_trainer(params, check_optimizer_name(optimizer_name), learning_rate)
            if hybridize_flag:
                self.hybridize()

    @property
    def model(self):
        """The wrapped model block."""
        return self.__dict__.get("_model")

    @model.setter
    def model(self, value) -> None:
        check_type(value, mx.gluon.Block, "model")
        self.__dict__["_model"] = value
        self.register_child(value, "model")

    @property
    def ctx(self):
        return self._ctx

    def collect_params(self, select=None):
        """The wrapped model's parameters."""
        return self.model.collect_params(select)

    def forward_propagation(self, F, x):
        return self.model.forward_propagation(F, x)

    def hybrid_forward(self, F, x):
        return self.forward_propagation(F, x)

    def inference(self, observed_arr):
        """Q-values of ``observed_arr`` (e.g. ``(B, 1)``)."""
        return self(observed_arr)

    def regularize(self) -> None:
        """The wrapped model's regularizers, if it has any."""
        regularize = getattr(self.model, "regularize", None)
        if callable(regularize):
            regularize()
