"""Multi-head self-attention (contract §3k): the memory is the input itself."""
from __future__ import annotations

from accelbrainbase.observabledata._mxnet.attentionmodel.multi_head_attention_model import MultiHeadAttentionModel


class SelfAttentionModel(MultiHeadAttentionModel):
    """``x`` ``(B, T, D)`` attends to itself (constructor: see ``AttentionModel``)."""

    def inference(self, observed_arr, mask=None):
        """Self-attention of ``observed_arr`` under ``mask`` (broadcasting to
        ``(B, head_n, T, T)``; default: none)."""
        return super().inference(observed_arr, observed_arr, mask)
