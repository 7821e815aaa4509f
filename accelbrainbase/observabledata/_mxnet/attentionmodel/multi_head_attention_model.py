"""Multi-head scaled dot-product attention (contract §3k).

The heads are a real split of the projections (see ``attention_model``); masks exclude the
pairs they zero out; ``depth_dim`` must be divisible by ``head_n`` (``ValueError`` naming
both). ``batch_size`` and ``seq_len`` are kept for compatibility but nothing reads them: any
batch size works and the query and the memory may have different lengths.
"""
from __future__ import annotations

import mxnet as mx

from accelbrainbase._mxnet.checks import check_int
from accelbrainbase._mxnet.context import first_ctx
from accelbrainbase.observabledata._mxnet.attention_model import AttentionModel, as_mask, as_sequence_batch


def check_heads(depth_dim: int, head_n: int, owner: str = "") -> None:
    """``ValueError`` unless ``depth_dim`` splits into ``head_n`` equal heads."""
    if depth_dim % head_n:
        raise ValueError("%sdepth_dim=%d is not divisible by head_n=%d: every head needs depth_dim / head_n "
                         "features." % (owner + ": " if owner else "", depth_dim, head_n))


class MultiHeadAttentionModel(AttentionModel):
    """``head_n`` attention heads over ``depth_dim / head_n`` features each (constructor: see
    ``AttentionModel``); set ``head_n`` after construction (default 4)."""

    _head_n = 4
    _seq_len = 1
    #: kept for compatibility (Transformer parts set it); not needed for a forward pass
    batch_size = None

    @property
    def head_n(self) -> int:
        """Number of heads (int >= 1); ``depth_dim`` must be divisible by it."""
        return self._head_n

    @head_n.setter
    def head_n(self, value: int) -> None:
        value = check_int(value, "head_n", minimum=1)
        check_heads(self.depth_dim, value, type(self).__name__)
        if value != self._head_n:
            self._head_n = value
            self._clear_cached_op()

    @property
    def _heads(self) -> int:
        return self._head_n

    @property
    def seq_len(self) -> int:
        """Sequence length (compatibility; inputs of any length are accepted)."""
        return self._seq_len

    @seq_len.setter
    def seq_len(self, value: int) -> None:
        self._seq_len = check_int(value, "seq_len", minimum=1)

    def forward_propagation(self, F, x, m, mask=None):
        """``x`` ``(B, Tq, D)`` attends to ``m`` ``(B, Tk, D)`` under ``mask`` (broadcasting to
        ``(B, head_n, Tq, Tk)``; 1 attends, 0 excludes) → ``(B, Tq, depth_dim)``."""
        check_heads(self.depth_dim, self._head_n, type(self).__name__)
        return self.project_and_attend(F, x, m, mask)

    def hybrid_forward(self, F, x, m, mask=None):
        return self.forward_propagation(F, x, m, mask)

    def inference(self, observed_arr, memory_arr, mask=None):
        """Attention of ``observed_arr`` over ``memory_arr`` under ``mask`` (default: none)."""
        ctx = first_ctx(self._ctx)
        check_heads(self.depth_dim, self._head_n, type(self).__name__)
        x = as_sequence_batch(observed_arr, "observed_arr", ctx)
        m = as_sequence_batch(memory_arr, "memory_arr", ctx)
        self._check_pair(x, m)
        mask = as_mask(mask, "mask", x.shape[0], self._head_n, [(x.shape[1], m.shape[1])], ctx)
        return self(x, m, mask)

    def attention_weights(self, observed_arr, memory_arr, mask=None) -> mx.nd.NDArray:
        """The attention weights ``(B, head_n, Tq, Tk)`` (predict mode: no dropout) for the
        given query and memory; rows sum to 1 and excluded pairs are exactly 0."""
        from accelbrainbase.observabledata._mxnet.attention_model import MASK_LOGIT, split_heads

        ctx = first_ctx(self._ctx)
        x = as_sequence_batch(observed_arr, "observed_arr", ctx)
        m = as_sequence_batch(memory_arr, "memory_arr", ctx)
        self._check_pair(x, m)
        heads = self._head_n
        mask = as_mask(mask, "mask", x.shape[0], heads, [(x.shape[1], m.shape[1])], ctx)
        with mx.autograd.predict_mode():
            q = split_heads(mx.nd, self.query_dense_layer(x), heads) * ((self.depth_dim // heads) ** -0.5)
            k = split_heads(mx.nd, self.key_dense_layer(m), heads)
            logits = mx.nd.batch_dot(q, k, transpose_b=True).reshape((-4, -1, heads, 0, 0))
            logits = mx.nd.broadcast_add(logits, (mask <= 0) * MASK_LOGIT)
            return mx.nd.softmax(logits, axis=-1)

    def batch_loss(self, x, y):
        if x.ndim == 2:
            x = x.expand_dims(1)
        pred = self(x, x, mx.nd.ones((1, 1, 1, 1), ctx=x.context))
        return pred, self.compute_loss(pred, x)
