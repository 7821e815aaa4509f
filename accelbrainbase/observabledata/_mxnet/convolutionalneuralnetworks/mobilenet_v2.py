"""MobileNetV2: inverted-residual bottlenecks (expand 1×1 → 3×3 → project 1×1) on 2-D inputs."""
from __future__ import annotations

import mxnet as mx
from mxnet.gluon.nn import BatchNorm, Conv2D, HybridSequential

from accelbrainbase._mxnet.activations import apply_activation
from accelbrainbase._mxnet.checks import check_int, check_number, check_type
from accelbrainbase._mxnet.context import DEFAULT_CTX
from accelbrainbase._mxnet.global_avg_pool_2d import GlobalAvgPool2D
from accelbrainbase._mxnet.learner import HYBRIDIZE_OPTIONS, check_initializer
from accelbrainbase._mxnet.relu_n import ReLuN
from accelbrainbase.observabledata._mxnet.convolutional_neural_networks import ConvolutionalNeuralNetworks

_DEFAULT_BOTTLENECKS = [
    {"filter_rate": 1, "filter_n": 16, "block_n": 1, "stride": 1},
    {"filter_rate": 6, "filter_n": 24, "block_n": 2, "stride": 2},
    {"filter_rate": 6, "filter_n": 32, "block_n": 3, "stride": 2},
    {"filter_rate": 6, "filter_n": 64, "block_n": 4, "stride": 2},
    {"filter_rate": 6, "filter_n": 96, "block_n": 3, "stride": 1},
    {"filter_rate": 6, "filter_n": 160, "block_n": 3, "stride": 2},
    {"filter_rate": 6, "filter_n": 320, "block_n": 1, "stride": 1},
]
_BOTTLENECK_KEYS = ("filter_rate", "filter_n", "block_n", "stride")
_SCALED_ACTIVATIONS = ("relu6", "identity", "identity_adjusted")


class MobileNetV2(ConvolutionalNeuralNetworks):
    """MobileNetV2 (Sandler et al., 2018) as a ``ConvolutionalNeuralNetworks``.

    Input ``(B, C, H, W)``; output ``(B, hidden_filter_n, 1, 1)`` (global average pooling), or
    ``output_nn``'s output when given (e.g. a Q-value head ``(B, 1)``).

    Args:
        activation: ``"relu6"`` (default), ``"relu"``, ``"identity"``, ``"identity_adjusted"`` or
            another activation name of ``F.Activation``.
        filter_multiplier: width multiplier of the input and bottleneck filters (and of the
            last layer's when ``int(filter_multiplier) > 1``).
        input_filter_n, input_kernel_size, input_strides, input_padding: the first convolution.
        bottleneck_dict_list: one dict per group: ``filter_rate`` (expansion factor),
            ``filter_n`` (output channels), ``block_n`` (repetitions), ``stride`` (of the first).
        hidden_filter_n: channels of the last 1×1 convolution.
        pool_size: ``None`` disables the global average pooling.
        shortcut_flag: add each group's input to its output where their shapes agree (stride 1,
            same channels); groups that change the shape have no shortcut.
        global_shortcut_flag: add the network's input to the output of the last layer (shapes
            must agree).
        output_batch_norm_flag: batch norm after the last convolution.
        init_deferred_flag: ``None`` = the class/instance flag.
        Other arguments as in ``ConvolutionalNeuralNetworks``.
    """

    def __init__(self, computable_loss, initializer=None, learning_rate=1e-05, learning_attenuate_rate=1.0,
                 attenuate_epoch=50, ctx=DEFAULT_CTX, hybridize_flag=True, activation="relu6", filter_multiplier=1.0,
                 input_filter_n=32, input_kernel_size=(3, 3), input_strides=(2, 2), input_padding=(1, 1),
                 bottleneck_dict_list=_DEFAULT_BOTTLENECKS, hidden_filter_n=1280, pool_size=(7, 7), output_nn=None,
                 optimizer_name="SGD", shortcut_flag=True, global_shortcut_flag=False, output_batch_norm_flag=True,
                 regularizatable_data_list=[], scale=1.0, init_deferred_flag=None, **kwargs):
        check_initializer(initializer)
        check_type(activation, str, "activation")
        filter_multiplier = check_number(filter_multiplier, "filter_multiplier", minimum=0.0, strict_minimum=True)
        check_int(input_filter_n, "input_filter_n", minimum=1)
        check_int(hidden_filter_n, "hidden_filter_n", minimum=1)
        if not isinstance(bottleneck_dict_list, (list, tuple)):
            raise TypeError("bottleneck_dict_list must be a list of dicts, not %s." % type(bottleneck_dict_list).__name__)
        for i, spec in enumerate(bottleneck_dict_list):
            if not isinstance(spec, dict) or any(key not in spec for key in _BOTTLENECK_KEYS):
                raise ValueError("bottleneck_dict_list[%d] must be a dict with keys %s; got %r."
                                 % (i, ", ".join(_BOTTLENECK_KEYS), spec))
        if init_deferred_flag is not None and not isinstance(init_deferred_flag, bool):
            raise TypeError("init_deferred_flag must be a bool or None, not %s." % type(init_deferred_flag).__name__)
        deferred = self.init_deferred_flag if init_deferred_flag is None else init_deferred_flag
        self.init_deferred_flag = True
        super().__init__(computable_loss, initializer=initializer, learning_rate=learning_rate,
                         learning_attenuate_rate=learning_attenuate_rate, attenuate_epoch=attenuate_epoch,
                         hidden_units_list=[], output_nn=None, hidden_dropout_rate_list=[],
                         hidden_batch_norm_list=[], optimizer_name=optimizer_name, hidden_activation_list=[],
                         ctx=ctx, hybridize_flag=hybridize_flag, regularizatable_data_list=regularizatable_data_list,
                         scale=scale, not_init_flag=True, **kwargs)
        self.init_deferred_flag = deferred
        self.activation = activation
        self.shortcut_flag = shortcut_flag
        self.global_shortcut_flag = global_shortcut_flag
        self.output_batch_norm_flag = output_batch_norm_flag
        self.initializer = initializer or mx.initializer.Xavier(
            rnd_type="gaussian", factor_type="in", magnitude=2 if activation in ("relu", "relu6") else 1)
        scaled = activation in _SCALED_ACTIVATIONS
        in_filters = int(round(input_filter_n * filter_multiplier))
        if int(filter_multiplier) > 1:
            hidden_filter_n = int(round(hidden_filter_n * filter_multiplier))

        with self.name_scope():
            self.input_block = HybridSequential()
            self.input_block.add(Conv2D(in_filters, kernel_size=input_kernel_size, strides=input_strides,
                                        padding=input_padding, use_bias=False))
            self.input_block.add(BatchNorm(axis=1, epsilon=1e-05, center=True, scale=scaled))
            self._add_activation(self.input_block)
            self.bottleneck_list = []
            self._shortcut_list = []
            for spec in bottleneck_dict_list:
                out_filters = int(round(spec["filter_n"] * filter_multiplier))
                expansion = int(round(in_filters * spec["filter_rate"]))
                unit = HybridSequential()
                for repeat in range(int(spec["block_n"])):
                    stride = spec["stride"] if repeat == 0 else 1
                    unit.add(Conv2D(expansion, kernel_size=(1, 1), use_bias=False))
                    unit.add(BatchNorm(axis=1, epsilon=1e-05, center=True, scale=scaled))
                    self._add_activation(unit)
                    unit.add(Conv2D(expansion, kernel_size=(3, 3), strides=stride, padding=(1, 1), use_bias=False))
                    unit.add(BatchNorm(axis=1, epsilon=1e-05, center=True, scale=scaled))
                    self._add_activation(unit)
                    unit.add(Conv2D(out_filters, kernel_size=(1, 1), use_bias=False))
                    unit.add(BatchNorm(axis=1, epsilon=1e-05, center=True, scale=True))
                self.register_child(unit)
                self.bottleneck_list.append(unit)
                # a shortcut only where the unit keeps the shape (stride 1, same channels)
                self._shortcut_list.append(_stride_is_one(spec["stride"]) and out_filters == in_filters)
                in_filters = out_filters
            self.output_block = HybridSequential()
            self.output_block.add(Conv2D(hidden_filter_n, kernel_size=(1, 1), use_bias=False))
            if output_batch_norm_flag:
                self.output_block.add(BatchNorm(axis=1, epsilon=1e-05, center=True, scale=scaled))
            self._add_activation(self.output_block)
            if pool_size is not None:
                self.output_block.add(GlobalAvgPool2D())
        self.output_nn = output_nn

        if not self.init_deferred_flag:
            self.trainer = self.build_trainer(self.collect_params(), self.initializer)
            if hybridize_flag:
                self.hybridize(**HYBRIDIZE_OPTIONS)

    def _add_activation(self, sequential) -> None:
        if self.activation == "relu6":
            sequential.add(ReLuN(min_n=0, max_n=6))
        elif self.activation == "relu":
            sequential.add(ReLuN(min_n=0, max_n=-1))

    def _activate(self, F, x):
        if self.activation in ("relu6", "relu", "identity", "identity_adjusted"):
            return x
        return apply_activation(F, x, self.activation)

    def forward_propagation(self, F, x):
        """``(B, C, H, W)`` → ``(B, hidden_filter_n, 1, 1)`` or ``output_nn``'s output."""
        network_input = x
        x = self._activate(F, self.input_block(x))
        if self.activation == "identity_adjusted":
            x = apply_activation(F, x, "identity_adjusted")
        for unit, shortcut in zip(self.bottleneck_list, self._shortcut_list):
            y = unit(x)
            x = F.elemwise_add(y, x) if self.shortcut_flag and shortcut else y
            if self.activation == "identity_adjusted":
                x = apply_activation(F, x, "identity_adjusted")
        x = self._activate(F, self.output_block(x))
        if self.global_shortcut_flag:
            x = F.broadcast_add(x, network_input)
        self.feature_points_arr = x
        if self.output_nn is not None:
            x = self.output_nn.forward_propagation(F, x)
        return x


def _stride_is_one(stride) -> bool:
    return all(s == 1 for s in stride) if isinstance(stride, (tuple, list)) else stride == 1
