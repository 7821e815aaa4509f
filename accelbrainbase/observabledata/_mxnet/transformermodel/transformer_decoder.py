"""Transformer decoder (contract §3k): causal self-attention, cross-attention over the encoder's
output, feed-forward; pre-layer-norm; ``output_fc`` maps to ``output_dim``.

The decoder is **causal by itself** (``causal_flag=True``, a trailing keyword): position ``t``
never attends to positions after ``t``, whatever mask the caller gives (the given mask is
combined with the causal one by a logical AND). The reference relied on its controller adding
``1`` to a multiplicative mask, which let every position read the token it had to predict.
"""
from __future__ import annotations

from typing import Optional, Sequence

import mxnet as mx
from mxnet import gluon
from mxnet.gluon.block import HybridBlock

from accelbrainbase._mxnet.checks import check_int, check_type
from accelbrainbase._mxnet.context import DEFAULT_CTX
from accelbrainbase.observabledata._mxnet.attention_model import as_sequence_batch
from accelbrainbase.observabledata._mxnet.transformer_model import (TransformerModel, activate, activation_names,
                                                                    causal_mask)
from accelbrainbase.observabledata._mxnet.transformermodel._parts import PartMixin


class TransformerDecoder(PartMixin, TransformerModel, HybridBlock):
    """``(B, T, depth_dim)`` and encoder output ``(B, S, depth_dim)`` → ``(B, T, output_dim)``.

    Args: as ``TransformerEncoder``, plus
        multi_head_attention_layer_norm_list: norms of the cross-attention blocks (``[]``: new).
        multi_head_attention_activation_list: activation of the cross-attention branch (``[]``:
            identity).
        output_fc: the output layer (default ``Dense(output_dim or depth_dim, use_bias=False)``).
        output_dim: width of the output (default ``depth_dim``).
        causal_flag: exclude future positions in self-attention (default True).
    """

    def __init__(
        self,
        depth_dim: int,
        layer_n: int,
        computable_loss,
        head_n: int = 3,
        initializer: Optional[mx.initializer.Initializer] = None,
        self_attention_layer_norm_list: Sequence = [],
        multi_head_attention_layer_norm_list: Sequence = [],
        fc_layer_norm_list: Sequence = [],
        filter_fc_list: Sequence = [],
        dropout_rate: float = 0.1,
        fc_list: Sequence = [],
        self_attention_activation_list: Sequence = [],
        multi_head_attention_activation_list: Sequence = [],
        fc_activation_list: Sequence = [],
        output_layer_norm=None,
        output_fc=None,
        output_dim: Optional[int] = None,
        optimizer_name: str = "SGD",
        learning_rate: float = 0.001,
        learning_attenuate_rate: float = 1.0,
        attenuate_epoch: int = 50,
        regularizatable_data_list: Sequence = [],
        ctx=DEFAULT_CTX,
        hybridize_flag: bool = True,
        not_init_flag: bool = False,
        causal_flag: bool = True,
        **kwargs
    ) -> None:
        super().__init__()
        depth_dim, layer_n, head_n = self.setup_part(
            depth_dim, layer_n, head_n, computable_loss, initializer, dropout_rate, learning_rate,
            learning_attenuate_rate, attenuate_epoch, optimizer_name, ctx, regularizatable_data_list, kwargs)
        self.causal_flag = check_type(causal_flag, bool, "causal_flag")
        self.output_dim = depth_dim if output_dim is None else check_int(output_dim, "output_dim", minimum=1)
        check_type(output_fc, gluon.HybridBlock, "output_fc", allow_none=True)
        self._self_attention_activations = activation_names(
            self_attention_activation_list, layer_n, "self_attention_activation_list", "identity")
        self._multi_head_attention_activations = activation_names(
            multi_head_attention_activation_list, layer_n, "multi_head_attention_activation_list", "identity")
        self._fc_activations = activation_names(fc_activation_list, layer_n, "fc_activation_list", "relu")
        with self.name_scope():
            self.build_stack(layer_n, dropout_rate, self_attention_layer_norm_list, fc_layer_norm_list,
                             filter_fc_list, fc_list, output_layer_norm,
                             cross_attention=multi_head_attention_layer_norm_list)
            if output_fc is None:
                output_fc = gluon.nn.Dense(self.output_dim, use_bias=False, flatten=False, in_units=depth_dim)
            self.output_fc = output_fc
        self.finish(hybridize_flag, not_init_flag)

    def cross_attention_block(self, F, i, x, encoded, mask):
        h = self.multi_head_attention_layer_norm_list[i](x)
        a = self.multi_head_attention_list[i](h, encoded, mask)
        a = activate(F, self.multi_head_attention_dropout_list[i](a), self._multi_head_attention_activations[i])
        return x + a

    def forward_propagation(self, F, observed_arr, encoded_arr, self_attention_mask_arr=None,
                            multi_head_attention_mask_arr=None):
        """Decode ``observed_arr`` ``(B, T, D)`` attending to ``encoded_arr`` ``(B, S, D)``."""
        x = observed_arr
        mask = self_attention_mask_arr
        if self.causal_flag:
            causal = causal_mask(F, x)
            mask = causal if mask is None else F.broadcast_mul(mask > 0, causal)
        if self.embedding_flag:
            x = self.embedding_dropout(self.embed(F, x))
        for i in range(self.layer_n):
            x = self.self_attention_block(F, i, x, mask)
            x = self.cross_attention_block(F, i, x, encoded_arr, multi_head_attention_mask_arr)
            x = self.feed_forward_block(F, i, x)
        return self.output_fc(self.output_layer_norm(x))

    def hybrid_forward(self, F, observed_arr, encoded_arr, self_attention_mask_arr=None,
                       multi_head_attention_mask_arr=None):
        return self.forward_propagation(F, observed_arr, encoded_arr, self_attention_mask_arr,
                                        multi_head_attention_mask_arr)

    def inference(self, observed_arr, encoded_arr, self_attention_mask_arr=None, multi_head_attention_mask_arr=None):
        """Decoder output ``(B, T, output_dim)``; masks broadcast to ``(B, head_n, T, T)`` and
        ``(B, head_n, T, S)`` (1 attends, 0 excludes; default: attend everywhere allowed)."""
        x = self.check_input(observed_arr, "observed_arr")
        from accelbrainbase._mxnet.context import first_ctx

        encoded = as_sequence_batch(encoded_arr, "encoded_arr", first_ctx(self._ctx), self._depth_dim)
        if encoded.shape[0] != x.shape[0]:
            raise ValueError("encoded_arr has batch size %d, observed_arr %d." % (encoded.shape[0], x.shape[0]))
        self.batch_size, self.seq_len = x.shape[0], x.shape[1]
        b, t, s = x.shape[0], x.shape[1], encoded.shape[1]
        sa_mask = self.check_mask(self_attention_mask_arr, "self_attention_mask_arr", b, [(t, t)])
        mha_mask = self.check_mask(multi_head_attention_mask_arr, "multi_head_attention_mask_arr", b, [(t, s)])
        return self(x, encoded, sa_mask, mha_mask)

    def learn(self, iteratable_data):
        """Not available: a decoder is trained through ``TransformerController``."""
        raise NotImplementedError("TransformerDecoder is trained through TransformerController.learn.")
