"""Scaled dot-product attention (contract §3k), and the helpers the attention family shares.

Decisions (docs/decisions.md, "Attention and Transformer"):

* **Scaled.** Logits are ``q·kᵀ / √d`` (``d`` = width of one head); the reference did not
  scale single-head attention.
* **Masks exclude.** A mask holds 1 (attend) or 0 (excluded) per (query, key) pair and must
  broadcast to the logits ``(B, heads, T_query, T_key)`` (rank 3 masks ``(B, T_q, T_k)`` get
  the head axis inserted). Excluded pairs get ``-1e9`` added to their logit, so after the
  softmax their weight is exactly 0; the reference *multiplied* the logits by the mask, which
  only re-scales them (a "masked" logit of 0 still gets weight).
* **Heads are split, not scrambled.** ``(B, T, D)`` becomes ``(B, T, heads, D/heads)`` and is
  transposed to ``(B·heads, T, D/heads)``; the reference reshaped ``(B, T, D)`` row-major to
  ``(B, heads, T, D/heads)``, which mixes time steps across heads. Nothing depends on a stored
  ``batch_size``/``seq_len``: any batch size, and query and memory may differ in length.
* The default initializer is Xavier (the contract's ``Normal(1.0)`` gives logits in the
  hundreds at ``depth_dim=100``: a saturated softmax with no gradient).
"""
from __future__ import annotations

from typing import Optional, Sequence

import mxnet as mx
import numpy as np
from mxnet import gluon
from mxnet.gluon.block import HybridBlock

from accelbrainbase._mxnet.checks import check_int
from accelbrainbase._mxnet.context import DEFAULT_CTX, first_ctx
from accelbrainbase._mxnet.learner import (HYBRIDIZE_OPTIONS, Learner, check_initializer, check_loss,
                                           check_regularizers)
from accelbrainbase.observable_data import ObservableData

#: added to the logit of an excluded (query, key) pair
MASK_LOGIT = -1e9

#: the "attend everywhere" mask per context (read-only; made once)
_ONES = {}


def default_attention_initializer() -> mx.initializer.Initializer:
    return mx.initializer.Xavier(rnd_type="gaussian", factor_type="avg", magnitude=1)


def as_sequence_batch(arr, name: str, ctx, depth_dim: Optional[int] = None) -> mx.nd.NDArray:
    """``arr`` as a float32 ``(B, T, D)`` NDArray; ``ValueError`` naming ``name`` otherwise."""
    if not isinstance(arr, mx.nd.NDArray):
        if arr is None:
            raise TypeError("%s must be an array of shape (batch, time, depth), not None." % name)
        arr = mx.nd.array(np.asarray(arr, dtype=np.float32), ctx=ctx)
    if arr.ndim != 3 or 0 in arr.shape:
        raise ValueError("%s must have shape (batch, time, depth), got %s." % (name, arr.shape))
    if depth_dim is not None and arr.shape[2] != depth_dim:
        raise ValueError("%s has depth %d, but the model's depth_dim is %d (shape %s)."
                         % (name, arr.shape[2], depth_dim, arr.shape))
    return arr


def as_mask(mask, name: str, batch: int, heads: int, pairs: Sequence[tuple], ctx) -> mx.nd.NDArray:
    """Check an attention mask and return it as a rank-4 float32 NDArray.

    Args:
        mask: ``None`` (attend everywhere; returned as ones ``(1, 1, 1, 1)``), or an array of
            rank 3 ``(B, T_q, T_k)`` or rank 4 ``(B, heads, T_q, T_k)`` whose every axis is 1
            or the logits' size. 1 (any value > 0) attends, 0 excludes.
        name: the argument's name, for messages.
        batch, heads: the logits' first two axes.
        pairs: ``(T_q, T_k)`` of every attention the mask is used for (an encoder mask serves the
            encoder's self-attention and the decoder's cross-attention).
    """
    if mask is None:
        ones = _ONES.get(ctx)
        if ones is None:
            ones = _ONES[ctx] = mx.nd.ones((1, 1, 1, 1), ctx=ctx)
        return ones
    if not isinstance(mask, mx.nd.NDArray):
        mask = mx.nd.array(np.asarray(mask, dtype=np.float32), ctx=ctx)
    if mask.ndim == 3:
        mask = mask.expand_dims(1)
    if mask.ndim != 4:
        raise ValueError("%s must have rank 3 (batch, query, key) or 4 (batch, heads, query, key), got shape %s."
                         % (name, mask.shape))
    for t_q, t_k in pairs:
        target = (batch, heads, t_q, t_k)
        if any(m not in (1, t) for m, t in zip(mask.shape, target)):
            raise ValueError("%s of shape %s does not broadcast to the attention logits %s "
                             "(batch, heads, query steps, key steps); every axis must be 1 or match."
                             % (name, mask.shape, target))
    if mask.dtype != np.float32:
        mask = mask.astype("float32")
    return mask


def split_heads(F, x, head_n: int):
    """``(B, T, D)`` → ``(B·heads, T, D/heads)``."""
    x = F.reshape(x, shape=(0, 0, -4, head_n, -1))
    return F.reshape(F.transpose(x, axes=(0, 2, 1, 3)), shape=(-3, 0, 0))


def merge_heads(F, x, head_n: int):
    """``(B·heads, T, d)`` → ``(B, T, heads·d)``."""
    x = F.reshape(x, shape=(-4, -1, head_n, 0, 0))
    return F.reshape(F.transpose(x, axes=(0, 2, 1, 3)), shape=(0, 0, -3))


def attend(F, q, k, v, mask, head_n: int, head_dim: int, dropout):
    """Multi-head scaled dot-product attention on projected ``q`` ``(B, Tq, D)``, ``k``/``v``
    ``(B, Tk, D)``; ``mask`` broadcasts to ``(B, heads, Tq, Tk)`` or is ``None``."""
    q = split_heads(F, q, head_n) * (head_dim ** -0.5)
    k = split_heads(F, k, head_n)
    v = split_heads(F, v, head_n)
    logits = F.batch_dot(q, k, transpose_b=True)
    if mask is not None:
        logits = F.reshape(logits, shape=(-4, -1, head_n, 0, 0))
        logits = F.broadcast_add(logits, (mask <= 0) * MASK_LOGIT)
        logits = F.reshape(logits, shape=(-3, 0, 0))
    weights = dropout(F.softmax(logits, axis=-1))
    return merge_heads(F, F.batch_dot(weights, v), head_n)


class AttentionModel(Learner, HybridBlock, ObservableData):
    """Single-head scaled dot-product attention: ``x`` ``(B, Tq, D_in)`` attends to a memory
    ``m`` ``(B, Tm, D_in)``; output ``(B, Tq, depth_dim)``.

    Args:
        depth_dim: width of the query/key/value/output projections (int >= 1).
        computable_loss: a ``gluon.loss.Loss`` or ``ComputableLoss`` (``learn`` reconstructs
            the input through self-attention).
        dropout_rate: dropout on the attention weights.
        initializer: default Xavier (see the module docstring).
        learning_rate, learning_attenuate_rate, attenuate_epoch, optimizer_name: the optimiser.
        ctx: an ``mx.Context`` or a list of them; the default picks a GPU only if one exists.
        hybridize_flag: hybridize after construction.
        regularizatable_data_list: ``RegularizatableData`` applied after every step.
        not_init_flag: skip initialization, trainer and hybridization (a part of a composite).
        **kwargs: ``input_dim`` (width of the inputs; default: inferred from the first batch),
            ``kvstore`` and ``optimizer_params`` (reach the ``gluon.Trainer``).
    """

    #: heads of the attention (1 here; ``MultiHeadAttentionModel`` makes it a property)
    _heads = 1

    def __init__(
        self,
        depth_dim: int,
        computable_loss,
        dropout_rate: float = 0.5,
        initializer: Optional[mx.initializer.Initializer] = None,
        learning_rate: float = 1e-05,
        learning_attenuate_rate: float = 1.0,
        attenuate_epoch: int = 50,
        optimizer_name: str = "SGD",
        ctx=DEFAULT_CTX,
        hybridize_flag: bool = True,
        regularizatable_data_list: Sequence = [],
        not_init_flag: bool = False,
        **kwargs
    ) -> None:
        depth_dim = check_int(depth_dim, "depth_dim", minimum=1)
        check_loss(computable_loss)
        check_initializer(initializer)
        regularizers = check_regularizers(regularizatable_data_list)
        super().__init__()
        self.configure_learning(learning_rate, learning_attenuate_rate, attenuate_epoch, optimizer_name, ctx,
                                regularizers, kwargs)
        self.computable_loss = computable_loss
        self.initializer = initializer or default_attention_initializer()
        self._depth_dim = depth_dim
        self.hybridize_flag = hybridize_flag
        # ``input_dim`` (keyword): the input width when known, so parameters need no first batch
        in_units = check_int(kwargs["input_dim"], "input_dim", minimum=1) if kwargs.get("input_dim") else 0
        with self.name_scope():
            self.query_dense_layer = gluon.nn.Dense(depth_dim, use_bias=False, flatten=False, in_units=in_units)
            self.key_dense_layer = gluon.nn.Dense(depth_dim, use_bias=False, flatten=False, in_units=in_units)
            self.value_dense_layer = gluon.nn.Dense(depth_dim, use_bias=False, flatten=False, in_units=in_units)
            self.output_dense_layer = gluon.nn.Dense(depth_dim, use_bias=False, flatten=False, in_units=depth_dim)
            self.dropout = gluon.nn.Dropout(dropout_rate)
        if not self.init_deferred_flag and not not_init_flag:
            self.trainer = self.build_trainer(self.collect_params(), self.initializer)
            if hybridize_flag:
                self.hybridize(**HYBRIDIZE_OPTIONS)

    # ------------------------------------------------------------------ properties
    @property
    def depth_dim(self) -> int:
        """Width of the projections (the model's layers are built with it)."""
        return self._depth_dim

    @depth_dim.setter
    def depth_dim(self, value: int) -> None:
        self._depth_dim = check_int(value, "depth_dim", minimum=1)

    @property
    def units_list(self) -> list:
        """``[depth_dim] * 4``: the widths of the query, key, value and output projections."""
        return [self._depth_dim] * 4

    @units_list.setter
    def units_list(self, value) -> None:
        raise TypeError("units_list is read-only.")

    # ------------------------------------------------------------------ forward
    def project_and_attend(self, F, x, m, mask=None):
        heads = self._heads
        q = self.query_dense_layer(x)
        k = self.key_dense_layer(m)
        v = self.value_dense_layer(m)
        out = attend(F, q, k, v, mask, heads, self._depth_dim // heads, self.dropout)
        return self.output_dense_layer(out)

    def forward_propagation(self, F, x, m):
        """``x`` ``(B, Tq, D_in)`` attends to ``m`` ``(B, Tm, D_in)`` → ``(B, Tq, depth_dim)``."""
        return self.project_and_attend(F, x, m)

    def hybrid_forward(self, F, x, m):
        return self.forward_propagation(F, x, m)

    def inference(self, observed_arr, memory_arr):
        """Attention of ``observed_arr`` ``(B, Tq, D)`` over ``memory_arr`` ``(B, Tm, D)``."""
        ctx = first_ctx(self._ctx)
        x = as_sequence_batch(observed_arr, "observed_arr", ctx)
        m = as_sequence_batch(memory_arr, "memory_arr", ctx)
        self._check_pair(x, m)
        return self(x, m)

    def _check_pair(self, x, m) -> None:
        if x.shape[0] != m.shape[0] or x.shape[2] != m.shape[2]:
            raise ValueError("observed_arr %s and memory_arr %s must share batch size and depth."
                             % (x.shape, m.shape))

    # ------------------------------------------------------------------ learning
    def batch_loss(self, x, y):
        """Self-attention auto-encoding: ``x`` attends to itself and is reconstructed (the
        yielded targets are not used, as in the reference); 2-D batches become ``(B, 1, D)``."""
        if x.ndim == 2:
            x = x.expand_dims(1)
        pred = self(x, x)
        return pred, self.compute_loss(pred, x)
