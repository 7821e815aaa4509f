"""Sequence-to-sequence Transformer (contract §3k) trained by the shared engine.

``learn(iteratable_data)`` takes a ``TransformerIterator`` whose tuples have the contract's 10
items ``(enc_x, dec_x, enc_mask, dec_mask, test_enc_x, test_dec_x, test_enc_mask,
test_dec_mask, train_target, test_target)``; the first tuple is checked before training (an
8-tuple iterator is a ``ValueError`` naming what is missing). Masks may be ``None``.

Decisions (docs/decisions.md, "Attention and Transformer"):

* the decoder's self-attention is causal: the decoder mask is combined with the causal mask
  by a logical AND and excluded pairs get no weight (the reference *added* the causal term to a
  multiplicative mask, so every position could read the token it had to predict);
* the whole controller is one hybridized graph (the positional table and the causal mask are
  computed inside it), any batch size;
* ``generate`` decodes greedily, feeding back its own outputs;
* when the hidden projections exist they are saved in a third file ``<name>_hidden.<ext>``
  (the reference lost them on save); loading accepts files without it only with
  ``allow_missing=True``;
* the contract's default combination ``depth_dim=100, hidden_dim=100, head_n=3`` cannot split
  100 features into 3 heads: that exact combination uses 4 heads; any other width not divisible
  by ``head_n`` is a ``ValueError``.
"""
from __future__ import annotations

import logging
import os
from typing import Optional, Sequence, Tuple

import mxnet as mx
import numpy as np
from mxnet import gluon
from mxnet.gluon.block import HybridBlock

from accelbrainbase._mxnet.checks import check_int, check_number, check_type
from accelbrainbase._mxnet.context import DEFAULT_CTX, ContextLike, first_ctx
from accelbrainbase._mxnet.engine import fit
from accelbrainbase._mxnet.learner import HYBRIDIZE_OPTIONS, Learner, check_initializer, check_loss, \
    check_regularizers, optimise
from accelbrainbase._mxnet.split_files import load_parts, part_filename, save_parts
from accelbrainbase.controllable_model import ControllableModel
from accelbrainbase.iteratabledata.transformer_iterator import TransformerIterator
from accelbrainbase.observabledata._mxnet.attention_model import as_mask, as_sequence_batch
from accelbrainbase.observabledata._mxnet.transformer_model import TransformerModel, causal_mask
from accelbrainbase.observabledata._mxnet.transformermodel.transformer_decoder import TransformerDecoder
from accelbrainbase.observabledata._mxnet.transformermodel.transformer_encoder import TransformerEncoder

#: what the 10 items of a learned tuple are
TUPLE_ITEMS = ("enc_x", "dec_x", "enc_mask", "dec_mask", "test_enc_x", "test_dec_x", "test_enc_mask",
               "test_dec_mask", "train_target", "test_target")

#: (depth_dim, hidden_dim, head_n) of the contract's defaults, which cannot split into heads
CONTRACT_DEFAULT_WIDTHS = (100, 100, 3)


def model_width(depth_dim, hidden_dim, head_n):
    """``(D', head_n)``: the parts' width and the heads (see the module docstring)."""
    depth_dim = check_int(depth_dim, "depth_dim", minimum=1)
    head_n = check_int(head_n, "head_n", minimum=1)
    if hidden_dim is not None:
        hidden_dim = check_int(hidden_dim, "hidden_dim", minimum=1)
    width = depth_dim if hidden_dim is None or hidden_dim == depth_dim else hidden_dim
    if width % head_n:
        if (depth_dim, hidden_dim, head_n) == CONTRACT_DEFAULT_WIDTHS:
            return width, 4
        raise ValueError("head_n=%d does not divide the attention width %d (depth_dim=%d, hidden_dim=%s): "
                         "every head needs width / head_n features." % (head_n, width, depth_dim, hidden_dim))
    return width, head_n


class TransformerControllerBase(Learner, HybridBlock, ControllableModel):
    """What both Transformer controllers share: hidden projections, the 10-tuple protocol,
    masks, loss, split files."""

    expected_iterator_type = TransformerIterator
    computable_loss_default = None

    def setup_controller(self, computable_loss, layer_n, seq_len, depth_dim, hidden_dim, optimizer_name,
                         learning_rate, learning_attenuate_rate, attenuate_epoch, dropout_rate, ctx,
                         initializer, regularizatable_data_list, weight_decay, kwargs):
        if computable_loss is None:
            computable_loss = gluon.loss.SoftmaxCrossEntropyLoss(
                axis=-1, sparse_label=False, from_logits=False, weight=None, batch_axis=0)
        check_loss(computable_loss)
        check_initializer(initializer)
        regularizers = check_regularizers(regularizatable_data_list)
        self.layer_n = check_int(layer_n, "layer_n", minimum=1)
        self.seq_len = check_int(seq_len, "seq_len", minimum=1)
        self.weight_decay = check_number(weight_decay, "weight_decay", minimum=0.0)
        check_number(dropout_rate, "dropout_rate", minimum=0.0, maximum=1.0)
        self.configure_learning(learning_rate, learning_attenuate_rate, attenuate_epoch, optimizer_name, ctx,
                                regularizers, kwargs)
        self.computable_loss = computable_loss
        self.initializer = initializer or mx.initializer.Xavier(rnd_type="gaussian", factor_type="in",
                                                                magnitude=2)
        self.depth_dim = depth_dim
        self.hidden_dim = hidden_dim
        self.logger = logging.getLogger("accelbrainbase")

    def make_hidden_fcs(self, width):
        if width != self.depth_dim:
            self.encoder_hidden_fc = gluon.nn.Dense(width, use_bias=True, flatten=False, in_units=self.depth_dim)
            self.decoder_hidden_fc = gluon.nn.Dense(width, use_bias=True, flatten=False, in_units=self.depth_dim)
        else:
            self.encoder_hidden_fc = None
            self.decoder_hidden_fc = None

    def finish_controller(self, hybridize_flag, deferred):
        self.hybridize_flag = hybridize_flag
        if not deferred:
            self.trainer = self.build_trainer(self.collect_params(), self.initializer, wd=self.weight_decay)
            if hybridize_flag:
                self.hybridize(**HYBRIDIZE_OPTIONS)

    def parts(self):
        """``{role: block}`` of the sub-models, in ``collect_params`` order."""
        parts = {"encoder": self.encoder, "decoder": self.decoder}
        if self.encoder_hidden_fc is not None:
            parts["encoder_hidden_fc"] = self.encoder_hidden_fc
            parts["decoder_hidden_fc"] = self.decoder_hidden_fc
        return parts

    def collect_params(self, select=None):
        """Encoder ∪ decoder ∪ hidden projections (when present)."""
        params = None
        for block in self.parts().values():
            if params is None:
                params = block.collect_params(select)
            else:
                params.update(block.collect_params(select))
        return params

    def hidden(self, F, enc_x, dec_x):
        if self.encoder_hidden_fc is not None:
            return self.encoder_hidden_fc(enc_x), self.decoder_hidden_fc(dec_x)
        return enc_x, dec_x

    def hybrid_forward(self, F, encoded_observed_arr, decoded_observed_arr, encoded_mask_arr=None,
                       decoded_mask_arr=None):
        return self.forward_propagation(F, encoded_observed_arr, decoded_observed_arr, encoded_mask_arr,
                                        decoded_mask_arr)

    # ------------------------------------------------------------------ input checks
    def checked_inputs(self, encoded_observed_arr, decoded_observed_arr, encoded_mask_arr, decoded_mask_arr,
                       prefix=""):
        ctx = first_ctx(self._ctx)
        enc = as_sequence_batch(encoded_observed_arr, prefix + "encoded_observed_arr", ctx, self.depth_dim)
        dec = as_sequence_batch(decoded_observed_arr, prefix + "decoded_observed_arr", ctx, self.depth_dim)
        if enc.shape[0] != dec.shape[0]:
            raise ValueError("%sencoded_observed_arr and decoded_observed_arr have batch sizes %d and %d."
                             % (prefix, enc.shape[0], dec.shape[0]))
        for name, arr, part in (("encoded_observed_arr", enc, self.encoder), ("decoded_observed_arr", dec,
                                                                              self.decoder)):
            part.check_length(arr, prefix + name)
        b, s, t = enc.shape[0], enc.shape[1], dec.shape[1]
        heads = self.encoder.head_n
        enc_mask = as_mask(encoded_mask_arr, prefix + "encoded_mask_arr", b, heads, [(s, s), (t, s)], ctx)
        dec_mask = as_mask(decoded_mask_arr, prefix + "decoded_mask_arr", b, heads, [(t, t)], ctx)
        return enc, dec, enc_mask, dec_mask

    def inference(self, encoded_observed_arr: mx.nd.NDArray, decoded_observed_arr: mx.nd.NDArray,
                  encoded_mask_arr: Optional[mx.nd.NDArray] = None,
                  decoded_mask_arr: Optional[mx.nd.NDArray] = None) -> mx.nd.NDArray:
        """The output ``(B, T, depth_dim)`` for encoder input ``(B, S, depth_dim)`` and decoder
        input ``(B, T, depth_dim)``. Masks (1 attends, 0 excludes; default: everything allowed)
        broadcast to ``(B, head_n, S, S)`` and ``(B, head_n, T, S)`` (encoder mask, used by the
        encoder and the cross-attention) and ``(B, head_n, T, T)`` (decoder mask)."""
        args = self.checked_inputs(encoded_observed_arr, decoded_observed_arr, encoded_mask_arr, decoded_mask_arr)
        self._last_observed = args
        self.__dict__["_feature_points_arr"] = None
        return self(*args)

    def compute_feature_points(self, args):
        with mx.autograd.predict_mode():
            return self.forward_propagation(mx.nd, *args, keep_features=True)

    def compute_loss(self, pred_arr: mx.nd.NDArray, labeled_arr: mx.nd.NDArray) -> mx.nd.NDArray:
        """Per-sample loss of ``pred_arr`` against ``labeled_arr``."""
        return super().compute_loss(pred_arr, labeled_arr)

    # ------------------------------------------------------------------ the 10-tuple protocol
    @staticmethod
    def check_tuple(batch):
        if not isinstance(batch, (tuple, list)) or len(batch) != len(TUPLE_ITEMS):
            got = len(batch) if isinstance(batch, (tuple, list)) else type(batch).__name__
            raise ValueError(
                "iteratable_data must yield 10-tuples %s; it yielded %s items%s." % (
                    "(" + ", ".join(TUPLE_ITEMS) + ")", got,
                    " (the 8-item layout lacks train_target and test_target)" if got == 8 else ""))
        return batch

    def learn(self, iteratable_data: TransformerIterator, checkpoint_path: Optional[str] = None,
              checkpoint_every: int = 1, resume: bool = False) -> None:
        """Learn from a ``TransformerIterator`` yielding the 10-tuples of the module docstring.

        The first tuple is drawn and checked (layout, shapes, masks) before training starts.
        """
        check_type(iteratable_data, TransformerIterator, "iteratable_data")
        first = next(iter(iteratable_data.generate_learned_samples()), None)
        if first is None:
            raise ValueError("iteratable_data yielded no tuples.")
        batch = self.check_tuple(first)
        self.checked_inputs(*batch[0:4], prefix="iteratable_data: ")
        self.checked_inputs(*batch[4:8], prefix="iteratable_data: test ")
        fit(self, iteratable_data, expected_type=TransformerIterator, checkpoint_path=checkpoint_path,
            checkpoint_every=checkpoint_every, resume=resume)

    def training_step(self, batch: Sequence[mx.nd.NDArray]) -> Tuple[mx.nd.NDArray, dict]:
        enc_x, dec_x, enc_mask, dec_mask = self.check_tuple(batch)[0:4]
        target = batch[8]
        args = self.checked_inputs(enc_x, dec_x, enc_mask, dec_mask)

        def compute():
            pred = self(*args)
            return self.compute_loss(pred, target), pred

        loss, pred = optimise(self.trainer, args[0].shape[0], compute)
        return loss, self.batch_metrics(pred, target)

    def evaluation_step(self, batch: Sequence[mx.nd.NDArray]) -> Tuple[mx.nd.NDArray, dict]:
        args = self.checked_inputs(*self.check_tuple(batch)[4:8])
        target = batch[9]
        pred = self(*args)
        return self.compute_loss(pred, target), self.batch_metrics(pred, target)

    def batch_metrics(self, pred: mx.nd.NDArray, target: mx.nd.NDArray) -> dict:
        """Token accuracy (``acc``: argmax of the output equals argmax of the target) when the
        loss is a softmax cross-entropy."""
        if isinstance(self.computable_loss, gluon.loss.SoftmaxCrossEntropyLoss):
            return {"acc": (mx.nd.argmax(pred, axis=-1) == mx.nd.argmax(target, axis=-1)).mean(axis=1)}
        return {}

    # ------------------------------------------------------------------ split save/load
    def save_parameters(self, filename: str, deduplicate: bool = False) -> None:
        """One file per part: ``<name>_encoder.<ext>``, ``<name>_decoder.<ext>`` [, ...]; the
        hidden projections (when present) in ``<name>_hidden.<ext>``."""
        parts = self.file_parts()
        save_parts(filename, parts)
        if self.encoder_hidden_fc is not None:
            save_parts(filename, {"hidden": self.hidden_block()})

    def load_parameters(self, filename: str, ctx: ContextLike = None, allow_missing: bool = False,
                        ignore_extra: bool = False) -> None:
        """Read the files written by ``save_parameters``."""
        load_parts(filename, self.file_parts(), ctx=ctx, allow_missing=allow_missing, ignore_extra=ignore_extra)
        if self.encoder_hidden_fc is not None:
            if os.path.isfile(part_filename(filename, "hidden")) or not allow_missing:
                load_parts(filename, {"hidden": self.hidden_block()}, ctx=ctx, allow_missing=allow_missing,
                           ignore_extra=ignore_extra)

    def hidden_block(self):
        block = gluon.nn.HybridSequential(prefix="hidden_")
        block.register_child(self.encoder_hidden_fc, "encoder_hidden_fc")
        block.register_child(self.decoder_hidden_fc, "decoder_hidden_fc")
        return block

    def file_parts(self):
        return {"encoder": self.encoder, "decoder": self.decoder}


class TransformerController(TransformerControllerBase):
    """Encoder–decoder Transformer: ``(B, S, depth_dim)`` and ``(B, T, depth_dim)`` →
    ``(B, T, depth_dim)`` scores (softmax cross-entropy against one-hot targets by default).

    Args:
        computable_loss: default ``SoftmaxCrossEntropyLoss(axis=-1, sparse_label=False)``.
        encoder, decoder: ``TransformerModel`` parts, or ``None`` to build them from the
            arguments below (both with ``not_init_flag=True``; the controller initializes).
        layer_n, head_n: blocks and heads of the default parts.
        seq_len: kept for compatibility (any length up to the parts' ``max_seq_len`` works).
        depth_dim: width of the inputs and outputs (e.g. the vocabulary size for one-hot tokens).
        hidden_dim: width inside the parts; when it differs from ``depth_dim``, two dense
            projections map the inputs to it and the decoder's ``output_fc`` maps back.
        self_attention_activation_list, multi_head_attention_activation_list,
        fc_activation_list: the default parts' activations (``[]``: identity, identity, relu).
        optimizer_name, learning_rate, learning_attenuate_rate, attenuate_epoch, weight_decay:
            the optimiser over every parameter.
        dropout_rate: dropout of the default encoder (the default decoder keeps 0.1).
        hybridize_flag: hybridize the controller (one graph).
        ctx, initializer (default Xavier gaussian/in/2), regularizatable_data_list: as usual.
        positional_embedding_weignt: factor of both parts' positional embedding.
        **kwargs: ``kvstore``, ``optimizer_params``; ``decoder_dropout_rate``.
    """

    _init_deferred_flag = False

    def __init__(
        self,
        computable_loss=None,
        encoder=None,
        decoder=None,
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
        positional_embedding_weignt: float = 1.0,
        **kwargs
    ) -> None:
        check_type(encoder, TransformerModel, "encoder", allow_none=True)
        check_type(decoder, TransformerModel, "decoder", allow_none=True)
        deferred = self.init_deferred_flag
        super().__init__()
        self.setup_controller(computable_loss, layer_n, seq_len, depth_dim, hidden_dim, optimizer_name,
                              learning_rate, learning_attenuate_rate, attenuate_epoch, dropout_rate, ctx,
                              initializer, regularizatable_data_list, weight_decay, kwargs)
        width, heads = model_width(depth_dim, hidden_dim, head_n) if (encoder is None or decoder is None) \
            else (encoder.depth_dim, encoder.head_n)
        self.head_n = heads
        part_kwargs = {k: kwargs[k] for k in ("max_seq_len",) if k in kwargs}
        with self.name_scope():
            if encoder is None:
                encoder = TransformerEncoder(
                    depth_dim=width, layer_n=layer_n, head_n=heads,
                    self_attention_activation_list=self_attention_activation_list,
                    fc_activation_list=fc_activation_list, computable_loss=self.computable_loss,
                    initializer=initializer, not_init_flag=True, hybridize_flag=hybridize_flag,
                    dropout_rate=dropout_rate, ctx=self._ctx, **part_kwargs)
                encoder.embedding_weignt = positional_embedding_weignt
            if decoder is None:
                extra = {"output_dim": depth_dim} if width != depth_dim else {}
                decoder = TransformerDecoder(
                    head_n=heads, depth_dim=width, layer_n=layer_n,
                    self_attention_activation_list=self_attention_activation_list,
                    multi_head_attention_activation_list=multi_head_attention_activation_list,
                    fc_activation_list=fc_activation_list, computable_loss=self.computable_loss,
                    initializer=initializer, not_init_flag=True, hybridize_flag=hybridize_flag,
                    dropout_rate=kwargs.get("decoder_dropout_rate", 0.1), ctx=self._ctx, **extra, **part_kwargs)
                decoder.embedding_weignt = positional_embedding_weignt
            self.encoder = encoder
            self.decoder = decoder
            self.make_hidden_fcs(encoder.depth_dim)
        self.finish_controller(hybridize_flag, deferred)

    def forward_propagation(self, F, encoded_observed_arr, decoded_observed_arr, encoded_mask_arr=None,
                            decoded_mask_arr=None, keep_features=False):
        """Encode, then decode with causal self-attention → ``(B, T, depth_dim)``."""
        enc, dec = self.hidden(F, encoded_observed_arr, decoded_observed_arr)
        encoded = self.encoder(enc, encoded_mask_arr)
        if keep_features:
            return encoded
        self.feature_points_arr = encoded
        causal = causal_mask(F, dec)
        mask = causal if decoded_mask_arr is None else F.broadcast_mul(decoded_mask_arr > 0, causal)
        return self.decoder(dec, encoded, mask, encoded_mask_arr)

    def attention_maps(self, encoded_observed_arr, decoded_observed_arr, encoded_mask_arr=None,
                       decoded_mask_arr=None):
        """The decoder's attention weights, per layer, in predict mode: a list of
        ``{"self_attention": (B, head_n, T, T), "cross_attention": (B, head_n, T, S)}``
        (the decoder's self-attention weights include the causal mask)."""
        enc, dec, enc_mask, dec_mask = self.checked_inputs(encoded_observed_arr, decoded_observed_arr,
                                                           encoded_mask_arr, decoded_mask_arr)
        F = mx.nd
        maps = []
        with mx.autograd.predict_mode():
            enc, dec = self.hidden(F, enc, dec)
            encoded = self.encoder(enc, enc_mask)
            decoder = self.decoder
            mask = F.broadcast_mul(dec_mask > 0, causal_mask(F, dec))
            x = decoder.embed(F, dec) if decoder.embedding_flag else dec
            for i in range(decoder.layer_n):
                h = decoder.self_attention_layer_norm_list[i](x)
                layer_maps = {"self_attention": decoder.self_attention_list[i].attention_weights(h, h, mask)}
                x = decoder.self_attention_block(F, i, x, mask)
                h = decoder.multi_head_attention_layer_norm_list[i](x)
                layer_maps["cross_attention"] = decoder.multi_head_attention_list[i].attention_weights(
                    h, encoded, enc_mask)
                x = decoder.cross_attention_block(F, i, x, encoded, enc_mask)
                x = decoder.feed_forward_block(F, i, x)
                maps.append(layer_maps)
        return maps

    # ------------------------------------------------------------------ greedy decoding
    def generate(self, encoded_observed_arr, start_arr=None, seq_len: Optional[int] = None,
                 encoded_mask_arr=None):
        """Greedy decoding: each step's most likely output, one-hot, is the next decoder input.

        Args:
            encoded_observed_arr: ``(B, S, depth_dim)`` encoder input.
            start_arr: the first decoder input, ``(depth_dim,)`` or ``(B, depth_dim)`` (e.g. a
                one-hot start symbol); default zeros.
            seq_len: steps to decode (default ``S``).
            encoded_mask_arr: as in ``inference``.
        Returns:
            ``(B, seq_len, depth_dim)`` NDArray: the output scores of every step (``argmax`` over
            the last axis gives the tokens).
        """
        ctx = first_ctx(self._ctx)
        enc = as_sequence_batch(encoded_observed_arr, "encoded_observed_arr", ctx, self.depth_dim)
        steps = enc.shape[1] if seq_len is None else check_int(seq_len, "seq_len", minimum=1)
        if self.decoder.output_dim != self.encoder.depth_dim and self.decoder_hidden_fc is None:
            raise ValueError("generate feeds the decoder's outputs back as inputs, so the decoder's output_dim "
                             "(%d) must equal depth_dim (%d)." % (self.decoder.output_dim, self.depth_dim))
        b = enc.shape[0]
        dec = np.zeros((b, steps, self.depth_dim), dtype=np.float32)
        if start_arr is not None:
            start = start_arr.asnumpy() if isinstance(start_arr, mx.nd.NDArray) else np.asarray(start_arr)
            if start.shape not in ((self.depth_dim,), (b, self.depth_dim)):
                raise ValueError("start_arr must have shape (%d,) or (%d, %d), got %s."
                                 % (self.depth_dim, b, self.depth_dim, start.shape))
            dec[:, 0] = start
        enc, dec_nd, enc_mask, _ = self.checked_inputs(enc, dec, encoded_mask_arr, None)
        causal = mx.nd.array(np.tril(np.ones((steps, steps), dtype=np.float32))[None, None], ctx=ctx)
        with mx.autograd.predict_mode():
            h = self.encoder_hidden_fc(enc) if self.encoder_hidden_fc is not None else enc
            encoded = self.encoder(h, enc_mask)
            outputs = []
            for t in range(steps):
                d = self.decoder_hidden_fc(dec_nd) if self.decoder_hidden_fc is not None else dec_nd
                out = self.decoder(d, encoded, causal, enc_mask)
                step = out[:, t]
                outputs.append(step)
                if t + 1 < steps:
                    dec_nd[:, t + 1] = mx.nd.one_hot(mx.nd.argmax(step, axis=-1), self.depth_dim)
        return mx.nd.stack(*outputs, axis=1)
