"""Convolutional auto-encoder: a CNN encoder and a (transposed-)CNN decoder trained together."""
from __future__ import annotations

import mxnet as mx

from accelbrainbase._mxnet.checks import check_type
from accelbrainbase._mxnet.composite import Composite
from accelbrainbase._mxnet.context import DEFAULT_CTX
from accelbrainbase._mxnet.onednn_safe import contract_shape
from accelbrainbase.observabledata._mxnet.convolutional_neural_networks import ConvolutionalNeuralNetworks


class ConvolutionalAutoEncoder(Composite, ConvolutionalNeuralNetworks):
    """``decoder(output_nn(encoder(x)))`` trained to reconstruct its input.

    Args:
        encoder: a ``ConvolutionalNeuralNetworks`` built with ``not_init_flag=True``.
        decoder: a ``ConvolutionalNeuralNetworks`` (usually ``Conv2DTranspose`` layers that
            mirror the encoder), built with ``not_init_flag=True``.
        computable_loss: reconstruction loss, e.g. ``L2NormLoss()`` or ``gluon.loss.L2Loss()``.
        output_nn: optional block between encoder and decoder.
        tied_weights_flag: after every step copy each encoder layer's weight into the mirrored
            decoder layer (their shapes must be equal, as for Conv2D/Conv2DTranspose pairs).
        init_deferred_flag: ``None`` keeps the class setting; ``True`` skips initialization.
        wd: weight decay passed to the optimiser.
        The hidden-layer lists of the parent are accepted for compatibility (normally empty).

    ``feature_points_arr`` / ``extract_feature_points()`` give the encoder's output for the
    last input given to ``inference``.
    """

    _init_deferred_flag = False
    PART_ROLES = ("encoder", "decoder", "output_nn")

    def __init__(
        self,
        encoder,
        decoder,
        computable_loss,
        initializer=None,
        learning_rate=1e-05,
        learning_attenuate_rate=1.0,
        attenuate_epoch=50,
        hidden_units_list=[],
        output_nn=None,
        hidden_dropout_rate_list=[],
        optimizer_name="SGD",
        hidden_activation_list=[],
        hidden_batch_norm_list=[],
        ctx=DEFAULT_CTX,
        hybridize_flag=True,
        regularizatable_data_list=[],
        scale=1.0,
        tied_weights_flag=True,
        init_deferred_flag=None,
        wd=None,
        **kwargs
    ):
        check_type(encoder, ConvolutionalNeuralNetworks, "encoder")
        check_type(decoder, ConvolutionalNeuralNetworks, "decoder")
        if init_deferred_flag is not None:
            check_type(init_deferred_flag, bool, "init_deferred_flag")
            self.init_deferred_flag = init_deferred_flag
        deferred = self.construct_parent(
            super().__init__,
            computable_loss=computable_loss,
            initializer=initializer or mx.initializer.Xavier(rnd_type="gaussian", factor_type="in", magnitude=1),
            learning_rate=learning_rate,
            learning_attenuate_rate=learning_attenuate_rate,
            attenuate_epoch=attenuate_epoch,
            hidden_units_list=hidden_units_list,
            output_nn=None,
            hidden_dropout_rate_list=hidden_dropout_rate_list,
            hidden_batch_norm_list=hidden_batch_norm_list,
            optimizer_name=optimizer_name,
            hidden_activation_list=hidden_activation_list,
            ctx=ctx,
            hybridize_flag=hybridize_flag,
            regularizatable_data_list=regularizatable_data_list,
            scale=scale,
            **kwargs
        )
        self.tied_weights_flag = tied_weights_flag
        with self.name_scope():
            self.encoder = encoder
            self.decoder = decoder
            self.output_nn = output_nn
        self.finish_construction(deferred, hybridize_flag, wd=wd)

    def forward_propagation(self, F, x):
        """``x`` (B, C, H, W) → reconstruction (same shape for mirrored stacks)."""
        encoded = self.encoder.forward_propagation(F, x)
        self.feature_points_arr = encoded
        if self.output_nn is not None:
            encoded = self.output_nn.forward_propagation(F, encoded)
        return self.decoder.forward_propagation(F, encoded)

    def compute_feature_points(self, observed_arr):
        return self.encoder.forward_propagation(mx.nd, observed_arr)

    def batch_metrics(self, pred, target) -> dict:
        return {}  # a reconstruction has no accuracy

    def tie_weights(self) -> None:
        """Copy encoder layer ``i``'s weight into decoder layer ``L-1-i`` (when tied)."""
        if not self.tied_weights_flag:
            return
        encoder_params = self.encoder.collect_params()
        decoder_params = self.decoder.collect_params()
        encoder_layers = self.encoder.hidden_units_list
        decoder_layers = self.decoder.hidden_units_list
        last = len(decoder_layers) - 1
        for i, encoder_layer in enumerate(encoder_layers):
            if last - i < 0:
                break
            encoder_key = encoder_layer.name + "_weight"
            decoder_key = decoder_layers[last - i].name + "_weight"
            if encoder_key not in encoder_params or decoder_key not in decoder_params:
                continue
            source, target = encoder_params[encoder_key], decoder_params[decoder_key]
            if contract_shape(source) != contract_shape(target):
                raise ValueError(
                    "tied_weights_flag: encoder layer %d weight %s and decoder layer %d weight %s differ in "
                    "shape; mirror the layers or pass tied_weights_flag=False."
                    % (i, contract_shape(source), last - i, contract_shape(target))
                )
            target.set_data(source.data())
