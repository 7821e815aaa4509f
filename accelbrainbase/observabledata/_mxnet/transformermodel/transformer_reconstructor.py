"""Transformer reconstructor (contract §3k): an encoder-like stack followed by ``output_fc``,
used by ``TransformingAutoEncoderController`` to map decoded features back to the input space."""
from __future__ import annotations

from typing import Optional, Sequence

import mxnet as mx
from mxnet import gluon
from mxnet.gluon.block import HybridBlock

from accelbrainbase._mxnet.checks import check_int, check_type
from accelbrainbase._mxnet.context import DEFAULT_CTX
from accelbrainbase.observabledata._mxnet.transformer_model import TransformerModel, activation_names
from accelbrainbase.observabledata._mxnet.transformermodel._parts import PartMixin


class TransformerReconstructor(PartMixin, TransformerModel, HybridBlock):
    """``(B, T, depth_dim)`` → ``(B, T, output_dim)``: self-attention and feed-forward blocks,
    the output norm and ``output_fc`` (arguments as ``TransformerDecoder`` without the
    cross-attention)."""

    def __init__(
        self,
        depth_dim: int,
        layer_n: int,
        computable_loss,
        head_n: int = 3,
        initializer: Optional[mx.initializer.Initializer] = None,
        self_attention_layer_norm_list: Sequence = [],
        fc_layer_norm_list: Sequence = [],
        filter_fc_list: Sequence = [],
        dropout_rate: float = 0.1,
        fc_list: Sequence = [],
        self_attention_activation_list: Sequence = [],
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
        **kwargs
    ) -> None:
        super().__init__()
        depth_dim, layer_n, head_n = self.setup_part(
            depth_dim, layer_n, head_n, computable_loss, initializer, dropout_rate, learning_rate,
            learning_attenuate_rate, attenuate_epoch, optimizer_name, ctx, regularizatable_data_list, kwargs)
        self.output_dim = depth_dim if output_dim is None else check_int(output_dim, "output_dim", minimum=1)
        check_type(output_fc, gluon.HybridBlock, "output_fc", allow_none=True)
        self._self_attention_activations = activation_names(
            self_attention_activation_list, layer_n, "self_attention_activation_list", "identity")
        self._fc_activations = activation_names(fc_activation_list, layer_n, "fc_activation_list", "relu")
        with self.name_scope():
            self.build_stack(layer_n, dropout_rate, self_attention_layer_norm_list, fc_layer_norm_list,
                             filter_fc_list, fc_list, output_layer_norm)
            if output_fc is None:
                output_fc = gluon.nn.Dense(self.output_dim, use_bias=False, flatten=False, in_units=depth_dim)
            self.output_fc = output_fc
        self.finish(hybridize_flag, not_init_flag)

    def forward_propagation(self, F, observed_arr, mask=None):
        """``(B, T, D)`` under the self-attention ``mask`` → ``(B, T, output_dim)``."""
        x = observed_arr
        if self.embedding_flag:
            x = self.embedding_dropout(self.embed(F, x))
        for i in range(self.layer_n):
            x = self.self_attention_block(F, i, x, mask)
            x = self.feed_forward_block(F, i, x)
        return self.output_fc(self.output_layer_norm(x))

    def hybrid_forward(self, F, observed_arr, mask=None):
        return self.forward_propagation(F, observed_arr, mask)

    def inference(self, observed_arr, mask=None):
        """Reconstruction ``(B, T, output_dim)`` of ``observed_arr`` ``(B, T, depth_dim)``."""
        x = self.check_input(observed_arr, "observed_arr")
        self.batch_size, self.seq_len = x.shape[0], x.shape[1]
        mask = self.check_mask(mask, "mask", x.shape[0], [(x.shape[1], x.shape[1])])
        return self(x, mask)

    def learn(self, iteratable_data):
        """Not available: a reconstructor is trained through ``TransformingAutoEncoderController``."""
        raise NotImplementedError("TransformerReconstructor is trained through "
                                  "TransformingAutoEncoderController.learn.")
