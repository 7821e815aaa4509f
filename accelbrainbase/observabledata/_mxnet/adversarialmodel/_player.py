"""Construction shared by the generative and discriminative models."""
from __future__ import annotations

import logging

import mxnet as mx
from mxnet.gluon import HybridBlock

from accelbrainbase._mxnet._exception.init_deferred_error import InitDeferredError
from accelbrainbase._mxnet.checks import check_number
from accelbrainbase._mxnet.context import ctx_list, resolve_ctx
from accelbrainbase._mxnet.learner import HYBRIDIZE_OPTIONS, check_optimizer_name, make_trainer
from accelbrainbase._mxnet.onednn_safe import make_onednn_safe

logger = logging.getLogger("accelbrainbase")


def default_initializer(magnitude: float) -> mx.initializer.Initializer:
    return mx.initializer.Xavier(rnd_type="gaussian", factor_type="in", magnitude=magnitude)


class PlayerMixin:
    """``model`` as a registered child, ctx/learning settings, forced initialization and trainer."""

    #: the model runs more than once in one recorded graph (see ``make_onednn_safe``'s ``reused``)
    evaluated_twice_per_graph = False

    def _configure_player(self, learning_rate, optimizer_name, hybridize_flag, scale, ctx, kwargs) -> None:
        self.learning_rate = check_number(learning_rate, "learning_rate", minimum=0.0, strict_minimum=True)
        self.optimizer_name = check_optimizer_name(optimizer_name)
        self.hybridize_flag = bool(hybridize_flag)
        self.scale = scale
        self._ctx = resolve_ctx(ctx)
        self._kvstore = kwargs.get("kvstore", "device")
        self._optimizer_params = kwargs.get("optimizer_params")

    @property
    def ctx(self):
        """The resolved context (or list of contexts)."""
        return self._ctx

    def _set_model(self, value) -> None:
        if not isinstance(value, HybridBlock):
            raise TypeError("model must be a gluon HybridBlock (e.g. a ConvolutionalNeuralNetworks), not %s."
                            % type(value).__name__)
        make_onednn_safe(value, reused=self.evaluated_twice_per_graph)
        self.__dict__["_model"] = value
        self.register_child(value, "model")
        self._clear_cached_op()

    def _initialize_player(self) -> None:
        """Forced initialization of ``collect_params()`` on ``ctx`` and ``self.trainer``."""
        try:
            params = self.collect_params()
            params.initialize(init=self.initializer, ctx=ctx_list(self._ctx), force_reinit=True)
            self.trainer = make_trainer(params, self.optimizer_name, self.learning_rate, kvstore=self._kvstore,
                                        optimizer_params=self._optimizer_params)
        except InitDeferredError:
            logger.debug("%s: initialization deferred.", type(self).__name__)

    @staticmethod
    def _hybridize_block(block) -> None:
        if block is not None and hasattr(block, "hybridize"):
            block.hybridize(**HYBRIDIZE_OPTIONS)
