"""Construction shared by the three Transformer parts (encoder, decoder, reconstructor)."""
from __future__ import annotations

import mxnet as mx
from mxnet import gluon

from accelbrainbase._mxnet.checks import check_int, check_number
from accelbrainbase._mxnet.learner import (HYBRIDIZE_OPTIONS, check_initializer, check_loss,
                                           check_regularizers)
from accelbrainbase.observabledata._mxnet.attention_model import as_mask, as_sequence_batch
from accelbrainbase.observabledata._mxnet.attentionmodel.multi_head_attention_model import (
    MultiHeadAttentionModel, check_heads)
from accelbrainbase.observabledata._mxnet.attentionmodel.multiheadattentionmodel.self_attention_model import \
    SelfAttentionModel
from accelbrainbase.observabledata._mxnet.transformer_model import activate, layer_list


def default_initializer():
    return mx.initializer.Xavier(rnd_type="gaussian", factor_type="avg", magnitude=1)


class PartMixin:
    """Checks, shared properties and block building of the Transformer parts."""

    _batch_size = None
    _seq_len = None

    def setup_part(self, depth_dim, layer_n, head_n, computable_loss, initializer, dropout_rate,
                   learning_rate, learning_attenuate_rate, attenuate_epoch, optimizer_name, ctx,
                   regularizatable_data_list, kwargs):
        depth_dim = check_int(depth_dim, "depth_dim", minimum=1)
        layer_n = check_int(layer_n, "layer_n", minimum=1)
        head_n = check_int(head_n, "head_n", minimum=1)
        check_heads(depth_dim, head_n, type(self).__name__)
        check_loss(computable_loss)
        check_initializer(initializer)
        check_number(dropout_rate, "dropout_rate", minimum=0.0, maximum=1.0)
        regularizers = check_regularizers(regularizatable_data_list)
        self.configure_learning(learning_rate, learning_attenuate_rate, attenuate_epoch, optimizer_name, ctx,
                                regularizers, kwargs)
        self.computable_loss = computable_loss
        self.initializer = initializer or default_initializer()
        self._depth_dim = depth_dim
        self._head_n = head_n
        self.layer_n = layer_n
        self.learning_rate = learning_rate
        self.learning_attenuate_rate = learning_attenuate_rate
        self.attenuate_epoch = attenuate_epoch
        self.dropout_rate = dropout_rate
        if "max_seq_len" in kwargs:
            self.max_seq_len = kwargs["max_seq_len"]
        import logging
        self.logger = logging.getLogger("accelbrainbase")
        return depth_dim, layer_n, head_n

    def attention(self, cls, dropout_rate):
        layer = cls(self._depth_dim, self.computable_loss, dropout_rate=dropout_rate, ctx=self._ctx,
                    not_init_flag=True, hybridize_flag=False, input_dim=self._depth_dim)
        layer.head_n = self._head_n
        return layer

    def register_all(self, blocks):
        for block in blocks:
            if block is not None:
                self.register_child(block)

    def finish(self, hybridize_flag, not_init_flag):
        self.hybridize_flag = hybridize_flag
        if not self.init_deferred_flag and not not_init_flag:
            self.trainer = self.build_trainer(self.collect_params(), self.initializer)
            if hybridize_flag:
                self.hybridize(**HYBRIDIZE_OPTIONS)

    def attention_layers(self):
        layers = list(getattr(self, "self_attention_list", None) or [])
        layers += list(getattr(self, "multi_head_attention_list", None) or [])
        return layers

    # ------------------------------------------------------------------ properties
    @property
    def depth_dim(self) -> int:
        """Model width (the layers are built with it)."""
        return self._depth_dim

    @depth_dim.setter
    def depth_dim(self, value: int) -> None:
        self._depth_dim = check_int(value, "depth_dim", minimum=1)
        for layer in self.attention_layers():
            layer.depth_dim = self._depth_dim

    @property
    def head_n(self) -> int:
        """Heads of every attention layer; ``depth_dim`` must be divisible by it."""
        return self._head_n

    @head_n.setter
    def head_n(self, value: int) -> None:
        value = check_int(value, "head_n", minimum=1)
        check_heads(self._depth_dim, value, type(self).__name__)
        self._head_n = value
        for layer in self.attention_layers():
            layer.head_n = value
        self._forget_graph()

    @property
    def batch_size(self):
        """Last batch size seen (compatibility; any batch size works)."""
        return self._batch_size

    @batch_size.setter
    def batch_size(self, value) -> None:
        self._batch_size = value
        for layer in self.attention_layers():
            layer.batch_size = value

    @property
    def seq_len(self):
        """Last sequence length seen (compatibility; any length up to ``max_seq_len`` works)."""
        return self._seq_len

    @seq_len.setter
    def seq_len(self, value) -> None:
        self._seq_len = value
        for layer in self.attention_layers():
            if value is not None:
                layer.seq_len = value

    # ------------------------------------------------------------------ blocks
    def self_attention_block(self, F, i, x, mask):
        h = self.self_attention_layer_norm_list[i](x)
        a = self.self_attention_list[i](h, h, mask)
        a = activate(F, self.self_attention_dropout_list[i](a), self._self_attention_activations[i])
        return x + a

    def feed_forward_block(self, F, i, x):
        h = self.fc_layer_norm_list[i](x)
        f = activate(F, self.filter_fc_list[i](h), self._fc_activations[i])
        f = self.fc_dropout_list[i](self.fc_list[i](f))
        return x + f

    def build_stack(self, layer_n, dropout_rate, self_attention_layer_norm_list, fc_layer_norm_list,
                    filter_fc_list, fc_list, output_layer_norm, cross_attention=None):
        """Create (inside ``name_scope``) and register, per layer: self-attention norm, attention
        and dropout; [cross-attention norm, attention and dropout]; fc norm, filter fc, fc and
        dropout; then the output norm."""
        d = self._depth_dim
        def norm():
            return gluon.nn.LayerNorm(in_channels=d)

        sa_norms = layer_list(self_attention_layer_norm_list, layer_n, "self_attention_layer_norm_list", norm)
        fc_norms = layer_list(fc_layer_norm_list, layer_n, "fc_layer_norm_list", norm)
        filters = layer_list(filter_fc_list, layer_n, "filter_fc_list",
                             lambda: gluon.nn.Dense(d, use_bias=True, flatten=False, in_units=d))
        fcs = layer_list(fc_list, layer_n, "fc_list",
                         lambda: gluon.nn.Dense(d, use_bias=True, flatten=False, in_units=d if not filter_fc_list else 0))
        if cross_attention is not None:
            mha_norms = layer_list(cross_attention, layer_n, "multi_head_attention_layer_norm_list", norm)
        self.embedding_dropout = gluon.nn.Dropout(dropout_rate)
        self.self_attention_layer_norm_list, self.self_attention_list, self.self_attention_dropout_list = [], [], []
        self.fc_layer_norm_list, self.filter_fc_list, self.fc_list, self.fc_dropout_list = [], [], [], []
        if cross_attention is not None:
            self.multi_head_attention_layer_norm_list = []
            self.multi_head_attention_list = []
            self.multi_head_attention_dropout_list = []
        for i in range(layer_n):
            blocks = [sa_norms[i], self.attention(SelfAttentionModel, dropout_rate), gluon.nn.Dropout(dropout_rate)]
            self.self_attention_layer_norm_list.append(blocks[0])
            self.self_attention_list.append(blocks[1])
            self.self_attention_dropout_list.append(blocks[2])
            if cross_attention is not None:
                cross = [mha_norms[i], self.attention(MultiHeadAttentionModel, dropout_rate),
                         gluon.nn.Dropout(dropout_rate)]
                self.multi_head_attention_layer_norm_list.append(cross[0])
                self.multi_head_attention_list.append(cross[1])
                self.multi_head_attention_dropout_list.append(cross[2])
                blocks += cross
            ff = [fc_norms[i], filters[i], fcs[i], gluon.nn.Dropout(dropout_rate)]
            self.fc_layer_norm_list.append(ff[0])
            self.filter_fc_list.append(ff[1])
            self.fc_list.append(ff[2])
            self.fc_dropout_list.append(ff[3])
            self.register_all(blocks + ff)
        self.gelu_list = None
        if output_layer_norm is None:
            output_layer_norm = norm()
        self.output_layer_norm = output_layer_norm

    def check_input(self, arr, name):
        from accelbrainbase._mxnet.context import first_ctx

        arr = as_sequence_batch(arr, name, first_ctx(self._ctx), self._depth_dim)
        self.check_length(arr, name)
        return arr

    def check_mask(self, mask, name, batch, pairs):
        from accelbrainbase._mxnet.context import first_ctx

        return as_mask(mask, name, batch, self._head_n, pairs, first_ctx(self._ctx))
