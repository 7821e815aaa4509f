"""Convolutional networks with optional dense input/output networks."""
from __future__ import annotations

import mxnet as mx
import numpy as np
from mxnet import gluon
from mxnet.gluon.block import HybridBlock
from mxnet.gluon.nn import Conv2D

from accelbrainbase._mxnet.activations import apply_activation, check_activations
from accelbrainbase._mxnet.checks import check_rates, check_same_length, check_type
from accelbrainbase._mxnet.context import DEFAULT_CTX
from accelbrainbase._mxnet.learner import (HYBRIDIZE_OPTIONS, Learner, check_initializer, check_loss,
                                           check_regularizers)
from accelbrainbase._mxnet.onednn_safe import make_onednn_safe
from accelbrainbase.observable_data import ObservableData
from accelbrainbase.observabledata._mxnet.neural_networks import NeuralNetworks

_DEFAULT_HIDDEN_UNITS = [
    Conv2D(channels=3, kernel_size=3, strides=(1, 1), padding=(1, 1)),
    Conv2D(channels=3, kernel_size=3, strides=(1, 1), padding=(1, 1)),
]


def _fresh_default_hidden_units() -> list:
    # the signature shows the reference's default; each instance gets its own layers so two
    # models built with defaults never share (and overwrite) each other's weights
    return [Conv2D(channels=3, kernel_size=3, strides=(1, 1), padding=(1, 1)) for _ in _DEFAULT_HIDDEN_UNITS]


class ConvolutionalNeuralNetworks(Learner, HybridBlock, ObservableData):
    """A stack of convolutional layers: per layer ``layer → activation → dropout → batch norm``,
    optionally preceded by a dense ``input_nn`` and followed by an ``output_nn`` head.

    Input ``(B, C, H, W)``. With a ``NeuralNetworks`` output head and a softmax-style loss it is
    a classifier whose per-epoch accuracy is recorded (``acc_arr``).

    Args:
        computable_loss: a ``gluon.loss.Loss`` or ``ComputableLoss``.
        hidden_units_list: the convolutional (or transposed-convolutional) layers, in order.
        input_nn: a ``NeuralNetworks`` applied first; its output is reshaped to
            ``(B, input_result_channel, input_result_height, input_result_width)``.
        output_nn: a ``NeuralNetworks`` or ``ConvolutionalNeuralNetworks`` applied last.
        hidden_dropout_rate_list: dropout rate after each hidden layer.
        hidden_batch_norm_list: a ``gluon.nn.BatchNorm`` or ``None`` per hidden layer.
        hidden_activation_list: activation name per hidden layer.
        hidden_residual_flag: add each inner layer's input to its output (ResNet style).
        hidden_dense_flag: concatenate each inner layer's input to its output on ``dense_axis``.
        Other arguments as in ``NeuralNetworks``.
    """

    _UNREGISTERED = Learner._UNREGISTERED | {"input_nn", "output_nn"}

    #: contract attributes: the last training batch's size, and whether accuracy is recorded
    batch_size = None
    compute_acc_flag = True

    def __init__(
        self,
        computable_loss,
        initializer=None,
        learning_rate=1e-05,
        learning_attenuate_rate=1.0,
        attenuate_epoch=50,
        hidden_units_list=_DEFAULT_HIDDEN_UNITS,
        input_nn=None,
        input_result_height=None,
        input_result_width=None,
        input_result_channel=None,
        output_nn=None,
        hidden_dropout_rate_list=[0.5, 0.5],
        hidden_batch_norm_list=[None, None],
        optimizer_name="SGD",
        hidden_activation_list=["relu", "relu"],
        hidden_residual_flag=False,
        hidden_dense_flag=False,
        dense_axis=1,
        ctx=DEFAULT_CTX,
        hybridize_flag=True,
        regularizatable_data_list=[],
        scale=1.0,
        not_init_flag=False,
        **kwargs
    ):
        if hidden_units_list is _DEFAULT_HIDDEN_UNITS:
            hidden_units_list = _fresh_default_hidden_units()
        check_same_length({"hidden_units_list": hidden_units_list,
                           "hidden_dropout_rate_list": hidden_dropout_rate_list,
                           "hidden_batch_norm_list": hidden_batch_norm_list,
                           "hidden_activation_list": hidden_activation_list})
        check_loss(computable_loss)
        check_initializer(initializer)
        check_activations(hidden_activation_list, "hidden_activation_list", allow_softmax=False)
        check_rates(hidden_dropout_rate_list, "hidden_dropout_rate_list")
        for i, layer in enumerate(hidden_units_list):
            check_type(layer, gluon.nn.HybridBlock, "hidden_units_list[%d]" % i)
        for i, norm in enumerate(hidden_batch_norm_list):
            check_type(norm, gluon.nn.HybridBlock, "hidden_batch_norm_list[%d]" % i, allow_none=True)
        if input_nn is not None and None in (input_result_height, input_result_width, input_result_channel):
            raise ValueError("input_nn needs input_result_height, input_result_width and input_result_channel.")
        regularizers = check_regularizers(regularizatable_data_list)
        super().__init__()
        self.configure_learning(learning_rate, learning_attenuate_rate, attenuate_epoch, optimizer_name, ctx,
                             regularizers, kwargs)
        self.computable_loss = computable_loss
        self.initializer = initializer or mx.initializer.Xavier(rnd_type="gaussian", factor_type="in", magnitude=2)
        self.compute_acc_flag = True
        self.hidden_activation_list = list(hidden_activation_list)
        self.hidden_residual_flag = hidden_residual_flag
        self.hidden_dense_flag = hidden_dense_flag
        self.dense_axis = dense_axis
        self.input_result_height = input_result_height
        self.input_result_width = input_result_width
        self.input_result_channel = input_result_channel
        self.hybridize_flag = hybridize_flag
        self.batch_size = None

        with self.name_scope():
            self.input_nn = input_nn
            self.output_nn = output_nn
            self.hidden_units_list = list(hidden_units_list)
            for layer in self.hidden_units_list:
                self.register_child(layer)
            self.hidden_batch_norm_list = list(hidden_batch_norm_list)
            for norm in self.hidden_batch_norm_list:
                if norm is not None:
                    self.register_child(norm)
            self.hidden_dropout_rate_list = []
            for rate in hidden_dropout_rate_list:
                dropout = gluon.nn.Dropout(rate)
                self.register_child(dropout)
                self.hidden_dropout_rate_list.append(dropout)
        make_onednn_safe(self)

        if not self.init_deferred_flag and not not_init_flag:
            self.trainer = self.build_trainer(self.collect_params(), self.initializer)
            if hybridize_flag:
                self.hybridize(**HYBRIDIZE_OPTIONS)

    # ------------------------------------------------------------------ properties
    @property
    def input_nn(self):
        """A ``NeuralNetworks`` (or CNN) applied before the convolutional layers, or ``None``."""
        return self.__dict__.get("_input_nn")

    @input_nn.setter
    def input_nn(self, value) -> None:
        check_type(value, (NeuralNetworks, ConvolutionalNeuralNetworks), "input_nn", allow_none=True)
        self._attach("_input_nn", "input_nn", value)

    @property
    def output_nn(self):
        """A ``NeuralNetworks`` or CNN applied after the convolutional layers, or ``None``."""
        return self.__dict__.get("_output_nn")

    @output_nn.setter
    def output_nn(self, value) -> None:
        check_type(value, (NeuralNetworks, ConvolutionalNeuralNetworks), "output_nn", allow_none=True)
        self._attach("_output_nn", "output_nn", value)

    def _attach(self, slot: str, child_name: str, block) -> None:
        """Store ``block`` and (un)register it as the Gluon child ``child_name``."""
        self.__dict__[slot] = block
        if block is None:
            self._children.pop(child_name, None)
        else:
            make_onednn_safe(block)
            self.register_child(block, child_name)

    @property
    def acc_arr(self) -> np.ndarray:
        """``(n_epochs, 2)`` array of (train accuracy, test accuracy)."""
        history = self.loss_history
        if not len(history):
            return np.zeros((0, 2))
        return np.column_stack([history.column("acc"), history.column("test_acc")])

    @acc_arr.setter
    def acc_arr(self, value) -> None:
        raise TypeError("acc_arr is read-only.")

    @property
    def acc_list(self) -> list:
        """``acc_arr`` as a list of ``(train accuracy, test accuracy)`` pairs (read-only)."""
        return [tuple(row) for row in self.acc_arr]

    # ------------------------------------------------------------------ forward
    def forward_propagation(self, F, x):
        """``x`` (B, C, H, W) → the last layer's (or ``output_nn``'s) output."""
        if self.input_nn is not None:
            x = self.input_nn.forward_propagation(F, x)
            x = F.reshape(x, shape=(-1, self.input_result_channel, self.input_result_height,
                                    self.input_result_width))
        x = self._hidden_forward(F, x)
        if self.output_nn is not None:
            x = self.output_nn.forward_propagation(F, x)
        return x

    def _hidden_forward(self, F, x):
        last = len(self.hidden_units_list) - 1
        for i, layer in enumerate(self.hidden_units_list):
            layer_input = x
            x = layer(x)
            x = apply_activation(F, x, self.hidden_activation_list[i])
            x = self.hidden_dropout_rate_list[i](x)
            if self.hidden_batch_norm_list[i] is not None:
                x = self.hidden_batch_norm_list[i](x)
            if 0 < i < last:
                if self.hidden_residual_flag:
                    x = F.elemwise_add(x, layer_input)
                elif self.hidden_dense_flag:
                    x = F.concat(x, layer_input, dim=self.dense_axis)
        return x

    # ------------------------------------------------------------------ learning
    def training_step(self, batch):
        self.batch_size = batch[0].shape[0]
        return super().training_step(batch)

    def batch_metrics(self, pred, target) -> dict:
        """``{"acc": accuracy}`` on the device when ``compute_acc_flag`` is set and ``pred`` holds
        class scores ``(B, K)`` for one-hot ``(B, K)`` or index ``(B,)`` targets."""
        if not self.compute_acc_flag or pred.ndim != 2 or target.ndim not in (1, 2):
            return {}
        answer = target.argmax(axis=1) if target.ndim == 2 else target
        return {"acc": (pred.argmax(axis=1) == answer.astype(pred.dtype)).mean()}

    def compute_acc(self, prob_arr, batch_target_arr):
        """``(accuracy, predicted_labels, answer_labels)`` for class scores ``prob_arr`` (B, K)
        against one-hot (B, K) or index (B,) targets."""
        predicted = prob_arr.argmax(axis=1).asnumpy().astype(int)
        target = batch_target_arr
        answer = (target.argmax(axis=1) if target.ndim == 2 else target).asnumpy().astype(int)
        return float((predicted == answer).mean()), predicted, answer
