"""Dense auto-encoder: two ``NeuralNetworks`` trained together to reconstruct the input."""
from __future__ import annotations

import mxnet as mx

from accelbrainbase._mxnet.checks import check_type
from accelbrainbase._mxnet.composite import Composite
from accelbrainbase._mxnet.context import DEFAULT_CTX
from accelbrainbase.observabledata._mxnet.neural_networks import NeuralNetworks


class AutoEncoder(Composite, NeuralNetworks):
    """``decoder(encoder(x))``; ``feature_points_arr`` is the encoder's output (B, units).

    Args:
        encoder, decoder: ``NeuralNetworks`` built with ``not_init_flag=True``.
        computable_loss: reconstruction loss.
        units_list, dropout_rate_list, activation_list: accepted for compatibility; they only
            need consistent lengths (the layers used are the encoder's and decoder's).
        tied_weights_flag: after every step set decoder layer ``L-1-i``'s weight to the
            transpose of encoder layer ``i``'s weight.
        Other arguments as in ``NeuralNetworks`` (``**kwargs`` are forwarded to it).
    """

    _init_deferred_flag = False
    PART_ROLES = ("encoder", "decoder")

    def __init__(
        self,
        encoder,
        decoder,
        computable_loss,
        initializer=None,
        learning_rate=1e-05,
        learning_attenuate_rate=1.0,
        attenuate_epoch=50,
        units_list=[100, 1],
        dropout_rate_list=[0.0, 0.5],
        optimizer_name="SGD",
        activation_list=["tanh", "sigmoid"],
        ctx=DEFAULT_CTX,
        hybridize_flag=True,
        regularizatable_data_list=[],
        scale=1.0,
        tied_weights_flag=False,
        **kwargs
    ):
        check_type(encoder, NeuralNetworks, "encoder")
        check_type(decoder, NeuralNetworks, "decoder")
        deferred = self.construct_parent(
            super().__init__,
            computable_loss=computable_loss,
            initializer=initializer,
            learning_rate=learning_rate,
            learning_attenuate_rate=learning_attenuate_rate,
            attenuate_epoch=attenuate_epoch,
            units_list=units_list,
            dropout_rate_list=dropout_rate_list,
            optimizer_name=optimizer_name,
            activation_list=activation_list,
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
        self.finish_construction(deferred, hybridize_flag)

    def forward_propagation(self, F, x):
        """``x`` (B, D) → reconstruction (B, decoder units)."""
        encoded = self.encoder.forward_propagation(F, x)
        self.feature_points_arr = encoded
        return self.decoder.forward_propagation(F, encoded)

    def compute_feature_points(self, observed_arr):
        return self.encoder.forward_propagation(mx.nd, observed_arr)

    def tie_weights(self) -> None:
        """When ``tied_weights_flag``: decoder layer ``L-1-i``'s weight becomes the transpose of
        encoder layer ``i``'s."""
        if not self.tied_weights_flag:
            return
        encoder_params = self.encoder.collect_params()
        decoder_params = self.decoder.collect_params()
        n = len(self.encoder.units_list)
        for i in range(n):
            encoder_key = self._find_key(encoder_params, "_dense%d_weight" % i)
            decoder_key = self._find_key(decoder_params, "_dense%d_weight" % (n - 1 - i))
            if encoder_key is None or decoder_key is None:
                continue
            source, target = encoder_params[encoder_key], decoder_params[decoder_key]
            if tuple(reversed(source.shape)) != tuple(target.shape):
                raise ValueError(
                    "tied_weights_flag: encoder weight %s %s cannot be tied to decoder weight %s %s "
                    "(needs the transposed shape)." % (encoder_key, source.shape, decoder_key, target.shape)
                )
            target.set_data(source.data().T)

    @staticmethod
    def _find_key(params, fragment: str):
        return next((key for key in params.keys() if fragment in key), None)
