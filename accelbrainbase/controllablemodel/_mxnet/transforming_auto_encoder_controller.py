"""Transforming auto-encoder (contract §3k): encoder → decoder → reconstructor, trained by the
shared engine on the 10-tuples of a ``TransformerIterator`` (see ``transformer_controller``).

The default parts have no positional embedding (``embedding_flag = False``, as the reference)
and the decoder is not causal (it reconstructs, it does not predict the next item). Split files:
``_encoder``, ``_decoder``, ``_reconstructor`` (and ``_hidden`` for the projections).
"""
from __future__ import annotations

from typing import Optional, Sequence

from accelbrainbase._mxnet.checks import check_type
from accelbrainbase._mxnet.context import DEFAULT_CTX
from accelbrainbase.controllablemodel._mxnet.transformer_controller import TransformerControllerBase, model_width
from accelbrainbase.observabledata._mxnet.transformer_model import TransformerModel
from accelbrainbase.observabledata._mxnet.transformermodel.transformer_decoder import TransformerDecoder
from accelbrainbase.observabledata._mxnet.transformermodel.transformer_encoder import TransformerEncoder
from accelbrainbase.observabledata._mxnet.transformermodel.transformer_reconstructor import TransformerReconstructor


class TransformingAutoEncoderController(TransformerControllerBase):
    """``(B, S, depth_dim)``, ``(B, T, depth_dim)`` → reconstruction ``(B, T, depth_dim)``;
    ``feature_points_arr`` is the decoder's output. Arguments as ``TransformerController``
    (no ``positional_embedding_weignt``), plus ``reconstructor`` (a ``TransformerModel`` or
    ``None`` for the default)."""

    _init_deferred_flag = False

    def __init__(
        self,
        computable_loss=None,
        encoder=None,
        decoder=None,
        reconstructor=None,
        layer_n: int = 3,
        head_n: int = 3,
        seq_len: int = 5,
        depth_dim: int = 100,
        hidden_dim: Optional[int] = 100,
        self_attention_activation_list: Sequence = [],
        multi_head_attention_activation_list: Sequence = [],
        fc_activation_list: Sequence = [],
        optimizer_name: str = "SGD",
        learning_rate: float = 1e-05,
        learning_attenuate_rate: float = 1.0,
        attenuate_epoch: int = 50,
        dropout_rate: float = 0.5,
        hybridize_flag: bool = True,
        ctx=DEFAULT_CTX,
        initializer=None,
        regularizatable_data_list: Sequence = [],
        weight_decay: float = 0.01,
        **kwargs
    ) -> None:
        for name, part in (("encoder", encoder), ("decoder", decoder), ("reconstructor", reconstructor)):
            check_type(part, TransformerModel, name, allow_none=True)
        deferred = self.init_deferred_flag
        super().__init__()
        self.setup_controller(computable_loss, layer_n, seq_len, depth_dim, hidden_dim, optimizer_name,
                              learning_rate, learning_attenuate_rate, attenuate_epoch, dropout_rate, ctx,
                              initializer, regularizatable_data_list, weight_decay, kwargs)
        if encoder is None or decoder is None or reconstructor is None:
            width, heads = model_width(depth_dim, hidden_dim, head_n)
        else:
            width, heads = encoder.depth_dim, encoder.head_n
        self.head_n = heads
        part_kwargs = {k: kwargs[k] for k in ("max_seq_len",) if k in kwargs}
        common = dict(initializer=initializer, not_init_flag=True, hybridize_flag=hybridize_flag,
                      computable_loss=self.computable_loss, ctx=self._ctx, **part_kwargs)
        with self.name_scope():
            if encoder is None:
                encoder = TransformerEncoder(
                    depth_dim=width, layer_n=layer_n, head_n=heads,
                    self_attention_activation_list=self_attention_activation_list,
                    fc_activation_list=fc_activation_list, dropout_rate=dropout_rate, **common)
                encoder.embedding_flag = False
            if decoder is None:
                decoder = TransformerDecoder(
                    head_n=heads, depth_dim=width, layer_n=layer_n,
                    self_attention_activation_list=self_attention_activation_list,
                    multi_head_attention_activation_list=multi_head_attention_activation_list,
                    fc_activation_list=fc_activation_list, causal_flag=False, **common)
                decoder.embedding_flag = False
            if reconstructor is None:
                extra = {"output_dim": depth_dim} if width != depth_dim else {}
                reconstructor = TransformerReconstructor(
                    head_n=heads, depth_dim=width, layer_n=layer_n,
                    self_attention_activation_list=self_attention_activation_list,
                    fc_activation_list=fc_activation_list, **extra, **common)
                reconstructor.embedding_flag = False
            self.encoder = encoder
            self.decoder = decoder
            self.reconstructor = reconstructor
            self.make_hidden_fcs(encoder.depth_dim)
        self.finish_controller(hybridize_flag, deferred)

    def parts(self):
        parts = super().parts()
        parts["reconstructor"] = self.reconstructor
        return parts

    def file_parts(self):
        return {"encoder": self.encoder, "decoder": self.decoder, "reconstructor": self.reconstructor}

    def forward_propagation(self, F, encoded_observed_arr, decoded_observed_arr, encoded_mask_arr=None,
                            decoded_mask_arr=None, keep_features=False):
        """Encode, decode (no causal mask), reconstruct → ``(B, T, depth_dim)``."""
        enc, dec = self.hidden(F, encoded_observed_arr, decoded_observed_arr)
        encoded = self.encoder(enc, encoded_mask_arr)
        decoded = self.decoder(dec, encoded, decoded_mask_arr, encoded_mask_arr)
        if keep_features:
            return decoded
        self.feature_points_arr = decoded
        return self.reconstructor(decoded, None)
