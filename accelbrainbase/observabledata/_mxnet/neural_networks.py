"""Dense (fully connected) networks."""
from __future__ import annotations

import mxnet as mx
from mxnet import gluon
from mxnet.gluon.block import HybridBlock

from accelbrainbase._mxnet.activations import apply_activation, check_activations
from accelbrainbase._mxnet.checks import check_rates, check_same_length, check_type, check_units
from accelbrainbase._mxnet.context import DEFAULT_CTX
from accelbrainbase._mxnet.learner import (HYBRIDIZE_OPTIONS, Learner, check_initializer, check_loss,
                                           check_regularizers)
from accelbrainbase.observable_data import ObservableData

_DEFAULT_BATCH_NORMS = [None, None]


class NeuralNetworks(Learner, HybridBlock, ObservableData):
    """A multi-layer perceptron: per layer ``Dense → activation → dropout → batch norm``.

    Input ``(B, ...)`` is flattened to ``(B, D)``; the output is ``(B, units_list[-1])``.

    Args:
        computable_loss: a ``gluon.loss.Loss`` or ``ComputableLoss``.
        initializer: an ``mx.initializer.Initializer``; default Xavier (gaussian, fan-in, 1).
        learning_rate: the optimiser's initial learning rate.
        learning_attenuate_rate: factor applied to the rate every ``attenuate_epoch`` epochs.
        attenuate_epoch: epochs between two decays.
        units_list: output units of each layer.
        dropout_rate_list: dropout rate after each layer (same length as ``units_list``).
        optimizer_name: any optimiser name ``gluon.Trainer`` knows ("SGD", "adam", ...).
        activation_list: activation name of each layer (see ``apply_activation``).
        hidden_batch_norm_list: a ``gluon.nn.BatchNorm`` or ``None`` per layer.
        ctx: an ``mx.Context`` or a list of them; the default picks a GPU only if one exists.
        hybridize_flag: hybridize the network after construction.
        regularizatable_data_list: ``RegularizatableData`` applied after every optimiser step.
        scale: accepted for compatibility; unused.
        output_no_bias_flag: no bias in the last layer.
        all_no_bias_flag: no bias in any layer.
        not_init_flag: skip initialization, trainer and hybridization (for sub-networks that a
            composite initializes).
        **kwargs: ``kvstore`` ('device', 'local', 'dist_sync', ...) and ``optimizer_params``
            (extra optimiser options such as ``{"momentum": 0.9}``) are honoured.
    """

    def __init__(
        self,
        computable_loss,
        initializer=None,
        learning_rate=1e-05,
        learning_attenuate_rate=1.0,
        attenuate_epoch=50,
        units_list=[100, 1],
        dropout_rate_list=[0.0, 0.5],
        optimizer_name="SGD",
        activation_list=["tanh", "sigmoid"],
        hidden_batch_norm_list=_DEFAULT_BATCH_NORMS,
        ctx=DEFAULT_CTX,
        hybridize_flag=True,
        regularizatable_data_list=[],
        scale=1.0,
        output_no_bias_flag=False,
        all_no_bias_flag=False,
        not_init_flag=False,
        **kwargs
    ):
        check_loss(computable_loss)
        if hidden_batch_norm_list is _DEFAULT_BATCH_NORMS:
            hidden_batch_norm_list = [None] * len(units_list)
        check_same_length({"units_list": units_list, "activation_list": activation_list,
                           "dropout_rate_list": dropout_rate_list, "hidden_batch_norm_list": hidden_batch_norm_list})
        check_activations(activation_list, "activation_list")
        check_units(units_list, "units_list")
        check_rates(dropout_rate_list, "dropout_rate_list")
        check_initializer(initializer)
        for i, norm in enumerate(hidden_batch_norm_list):
            check_type(norm, gluon.nn.HybridBlock, "hidden_batch_norm_list[%d]" % i, allow_none=True)
        regularizers = check_regularizers(regularizatable_data_list)
        super().__init__()
        self.configure_learning(learning_rate, learning_attenuate_rate, attenuate_epoch, optimizer_name, ctx,
                             regularizers, kwargs)
        self.computable_loss = computable_loss
        self.initializer = initializer or mx.initializer.Xavier(rnd_type="gaussian", factor_type="in", magnitude=1)
        self._units_list = list(units_list)
        self.activation_list = list(activation_list)
        self.hybridize_flag = hybridize_flag

        with self.name_scope():
            self.fc_list = []
            for i, units in enumerate(units_list):
                use_bias = not all_no_bias_flag and not (output_no_bias_flag and i == len(units_list) - 1)
                layer = gluon.nn.Dense(units, use_bias=use_bias, flatten=True)
                self.register_child(layer)
                self.fc_list.append(layer)
            self.dropout_forward_list = []
            for rate in dropout_rate_list:
                layer = gluon.nn.Dropout(rate)
                self.register_child(layer)
                self.dropout_forward_list.append(layer)
            self.hidden_batch_norm_list = list(hidden_batch_norm_list)
            for norm in self.hidden_batch_norm_list:
                if norm is not None:
                    self.register_child(norm)

        if not self.init_deferred_flag and not not_init_flag:
            self.trainer = self.build_trainer(self.collect_params(), self.initializer)
            if hybridize_flag:
                self.hybridize(**HYBRIDIZE_OPTIONS)

    @property
    def units_list(self) -> list:
        """Output units of each layer (read-only)."""
        return self._units_list

    @units_list.setter
    def units_list(self, value) -> None:
        raise TypeError("units_list is read-only.")

    def forward_propagation(self, F, x):
        """``x`` (B, ...) → (B, units_list[-1])."""
        x = F.flatten(x)
        for i, layer in enumerate(self.fc_list):
            x = layer(x)
            x = apply_activation(F, x, self.activation_list[i])
            x = self.dropout_forward_list[i](x)
            if self.hidden_batch_norm_list[i] is not None:
                x = self.hidden_batch_norm_list[i](x)
        return x
