"""Transformer encoder (contract §3k): pre-layer-norm self-attention and feed-forward blocks.

See ``transformer_model`` for the decisions (pre-LN, feed-forward activation between the two
dense layers, defaults that build, in-graph sinusoidal positions, masks that exclude).
"""
from __future__ import annotations

from typing import Optional, Sequence

import mxnet as mx
from mxnet.gluon.block import HybridBlock

from accelbrainbase._mxnet.context import DEFAULT_CTX
from accelbrainbase.observabledata._mxnet.transformer_model import TransformerModel, activation_names
from accelbrainbase.observabledata._mxnet.transformermodel._parts import PartMixin


class TransformerEncoder(PartMixin, TransformerModel, HybridBlock):
    """``(B, T, depth_dim)`` → ``(B, T, depth_dim)``: ``layer_n`` blocks of multi-head
    self-attention and a position-wise feed-forward network.

    Args:
        depth_dim: model width (int; divisible by ``head_n``).
        layer_n: number of blocks.
        head_n: attention heads.
        computable_loss: loss used by ``learn`` (self-reconstruction).
        initializer: default Xavier.
        self_attention_layer_norm_list, fc_layer_norm_list: one ``LayerNorm`` (or any block) per
            layer, or ``[]`` for new ``LayerNorm``s.
        filter_fc_list, fc_list: the feed-forward's two dense layers per layer, or ``[]`` for
            ``Dense(depth_dim)`` (``fc`` must output ``depth_dim``).
        dropout_rate: dropout on the embedded input, the attention weights and every residual
            branch.
        self_attention_activation_list: activation of the attention branch per layer (``[]``:
            identity); fc_activation_list: the feed-forward's activation (``[]``: relu).
        output_layer_norm: the final norm (default a new ``LayerNorm``).
        optimizer_name, learning_rate, learning_attenuate_rate, attenuate_epoch,
        regularizatable_data_list, ctx, hybridize_flag, not_init_flag: as every model.
        **kwargs: ``max_seq_len`` (default 512), ``kvstore``, ``optimizer_params``.
    """

    def __init__(
        self,
        depth_dim: int,
        layer_n: int,
        head_n: int,
        computable_loss,
        initializer: Optional[mx.initializer.Initializer] = None,
        self_attention_layer_norm_list: Sequence = [],
        fc_layer_norm_list: Sequence = [],
        filter_fc_list: Sequence = [],
        dropout_rate: float = 0.1,
        fc_list: Sequence = [],
        self_attention_activation_list: Sequence = [],
        fc_activation_list: Sequence = [],
        output_layer_norm=None,
        optimizer_name: str = "SGD",
        learning_rate: float = 1e-03,
        learning_attenuate_rate: float = 1.0,
        attenuate_epoch: int = 50,
        regularizatable_data_list: Sequence = [],
        ctx=DEFAULT_CTX,
        hybridize_flag: bool = True,
        not_init_flag: bool = False,
        **kwargs
    ) -> None:
        super().__init__()
        depth_dim, layer_n, head_n = self.setup_part(
            depth_dim, layer_n, head_n, computable_loss, initializer, dropout_rate, learning_rate,
            learning_attenuate_rate, attenuate_epoch, optimizer_name, ctx, regularizatable_data_list, kwargs)
        self._self_attention_activations = activation_names(
            self_attention_activation_list, layer_n, "self_attention_activation_list", "identity")
        self._fc_activations = activation_names(fc_activation_list, layer_n, "fc_activation_list", "relu")
        with self.name_scope():
            self.build_stack(layer_n, dropout_rate, self_attention_layer_norm_list, fc_layer_norm_list,
                             filter_fc_list, fc_list, output_layer_norm)
        self.finish(hybridize_flag, not_init_flag)

    def forward_propagation(self, F, x, m=None):
        """``x`` ``(B, T, D)`` under the self-attention mask ``m`` → ``(B, T, D)``."""
        if self.embedding_flag:
            x = self.embedding_dropout(self.embed(F, x))
        for i in range(self.layer_n):
            x = self.self_attention_block(F, i, x, m)
            x = self.feed_forward_block(F, i, x)
        return self.output_layer_norm(x)

    def hybrid_forward(self, F, x, m=None):
        return self.forward_propagation(F, x, m)

    def inference(self, observed_arr, mask_arr=None):
        """Encode ``observed_arr`` ``(B, T, depth_dim)``; ``mask_arr`` broadcasts to
        ``(B, head_n, T, T)`` (1 attends, 0 excludes; default: attend everywhere)."""
        x = self.check_input(observed_arr, "observed_arr")
        self.batch_size, self.seq_len = x.shape[0], x.shape[1]
        mask = self.check_mask(mask_arr, "mask_arr", x.shape[0], [(x.shape[1], x.shape[1])])
        return self(x, mask)

    def batch_loss(self, x, y):
        """Self-reconstruction (``learn``): the encoding of ``x`` against ``x``."""
        pred = self.inference(x)
        return pred, self.compute_loss(pred, x)
