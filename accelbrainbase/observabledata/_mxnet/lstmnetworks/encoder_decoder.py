"""LSTM encoder/decoder that reconstructs its input sequence (EncDec-AD, Malhotra et al. 2016).

Decisions (contract §3g, FINDINGS 5, 6, 8):

* **Generating mode works** (``generating_flag=True``, the default). The decoder starts from the
  encoder's final state ``(h_T, c_T)`` and feeds back its own hidden state as the next input
  (its first input is ``h_T``), for as many steps as the input has; the per-step outputs,
  reversed in time, are the reconstruction. With the standard cell this runs as one fused
  kernel call (see ``_recurrence.fused_generate``). It needs ``encoder.hidden_n ==
  decoder.hidden_n``.
* ``generating_flag=False``: the decoder reads the encoder's outputs reversed in time, from a
  zero state (the reference's teacher-forcing-free variant).
* **No reshape, any batch size.** The input must be ``(B, T, D)`` with ``T`` equal to
  ``seq_len`` (or to the encoder's ``seq_len`` when ``seq_len=0``, the default, which the
  reference could not run); nothing depends on ``batch_size``.
* The composite itself is hybridized (one graph for encoder and decoder) rather than only its
  parts; the parent's unused ``output_fc`` is not created.
"""
from __future__ import annotations

from typing import Optional, Sequence

import mxnet as mx

from accelbrainbase._mxnet.checks import check_int, check_rank, check_type
from accelbrainbase._mxnet.context import DEFAULT_CTX, ContextLike, first_ctx
from accelbrainbase._mxnet.composite import Composite
from accelbrainbase.observabledata._mxnet.lstm_networks import LSTMNetworks
from accelbrainbase.observabledata._mxnet.lstmnetworks import _recurrence as rec
from accelbrainbase.regularizatable_data import RegularizatableData


class EncoderDecoder(Composite, LSTMNetworks):
    """``decoder(encoder(x))`` reversed in time: ``(B, T, D)`` → ``(B, T, decoder output)``.

    Args:
        encoder: an ``LSTMNetworks`` reading ``(B, T, D)`` (usually ``output_layer_flag=False``).
        decoder: an ``LSTMNetworks`` whose per-step output has ``D`` units for a reconstruction
            (e.g. ``output_n=D``, ``output_activation="identity"``).
        computable_loss: reconstruction loss, e.g. ``gluon.loss.L2Loss()``.
        initializer: initializer of both parts; default Xavier (gaussian, fan-in, 1).
        batch_size: kept for compatibility (any batch size works).
        learning_rate, learning_attenuate_rate, attenuate_epoch, optimizer_name: optimiser
            settings for the union of both parts' parameters.
        seq_len: time steps of the input; 0 means the encoder's ``seq_len``.
        hidden_n, output_n, dropout_rate, *_activation, output_layer_flag, scale: passed to
            the (parameterless) parent for compatibility; the parts have their own.
        ctx: an ``mx.Context`` or list of them; the default picks a GPU only if one exists.
        hybridize_flag: hybridize the composite.
        regularizatable_data_list: ``RegularizatableData`` applied after every step.
        generating_flag: decode by feeding back the decoder's own state (see module docstring).
        **kwargs: forwarded to ``LSTMNetworks`` (``kvstore``, ``optimizer_params``, ...).

    ``feature_points_arr`` holds the encoder's output for the last input of ``inference``.
    """

    _init_deferred_flag = False
    PART_ROLES = ("encoder", "decoder")

    def __init__(
        self,
        encoder: LSTMNetworks,
        decoder: LSTMNetworks,
        computable_loss,
        initializer: Optional[mx.initializer.Initializer] = None,
        batch_size: int = 100,
        learning_rate: float = 1e-05,
        learning_attenuate_rate: float = 0.1,
        attenuate_epoch: int = 50,
        seq_len: int = 0,
        hidden_n: int = 200,
        output_n: int = 1,
        dropout_rate: float = 0.5,
        optimizer_name: str = "SGD",
        observed_activation: str = "tanh",
        input_gate_activation: str = "sigmoid",
        forget_gate_activation: str = "sigmoid",
        output_gate_activation: str = "sigmoid",
        hidden_activation: str = "tanh",
        output_activation: str = "tanh",
        output_layer_flag: bool = True,
        ctx: ContextLike = DEFAULT_CTX,
        hybridize_flag: bool = True,
        regularizatable_data_list: Sequence[RegularizatableData] = [],
        scale: float = 1.0,
        generating_flag: bool = True,
        **kwargs
    ) -> None:
        check_type(encoder, LSTMNetworks, "encoder")
        check_type(decoder, LSTMNetworks, "decoder")
        check_type(generating_flag, bool, "generating_flag")
        seq_len = check_int(seq_len, "seq_len", minimum=0)
        steps = seq_len or encoder.seq_len
        for name, part in (("encoder", encoder), ("decoder", decoder)):
            if part.seq_len != steps:
                raise ValueError("seq_len: %s.seq_len=%d differs from the sequence length %d."
                                 % (name, part.seq_len, steps))
        if generating_flag and encoder.hidden_n != decoder.hidden_n:
            raise ValueError(
                "generating_flag=True starts the decoder from the encoder's final state, so "
                "encoder.hidden_n (%d) must equal decoder.hidden_n (%d)." % (encoder.hidden_n, decoder.hidden_n))
        deferred = self.construct_parent(
            super().__init__,
            batch_size=batch_size, seq_len=seq_len, computable_loss=computable_loss,
            initializer=initializer, learning_rate=learning_rate,
            learning_attenuate_rate=learning_attenuate_rate, attenuate_epoch=attenuate_epoch,
            hidden_n=hidden_n, output_n=output_n, dropout_rate=dropout_rate, optimizer_name=optimizer_name,
            observed_activation=observed_activation, input_gate_activation=input_gate_activation,
            forget_gate_activation=forget_gate_activation, output_gate_activation=output_gate_activation,
            hidden_activation=hidden_activation, output_activation=output_activation,
            output_layer_flag=output_layer_flag, ctx=ctx, hybridize_flag=hybridize_flag,
            regularizatable_data_list=regularizatable_data_list, scale=scale, **kwargs
        )
        self.generating_flag = generating_flag
        self.steps = steps
        with self.name_scope():
            self.encoder = encoder
            self.decoder = decoder
        if generating_flag:
            decoder.set_input_dim(decoder.hidden_n, "decoder (fed back its hidden state)")
        self.finish_construction(deferred, hybridize_flag)

    # ------------------------------------------------------------------ parts
    @property
    def encoder(self) -> LSTMNetworks:
        """The encoding ``LSTMNetworks``."""
        return self._children.get("encoder")

    @encoder.setter
    def encoder(self, value) -> None:
        self.register_child(check_type(value, LSTMNetworks, "encoder"), "encoder")

    @property
    def decoder(self) -> LSTMNetworks:
        """The decoding ``LSTMNetworks``."""
        return self._children.get("decoder")

    @decoder.setter
    def decoder(self, value) -> None:
        self.register_child(check_type(value, LSTMNetworks, "decoder"), "decoder")

    # ------------------------------------------------------------------ forward
    def _encode(self, F, x):
        """Encoder output (features) and its final state ``(h, c)``."""
        encoder = self.encoder
        hidden, h, c = encoder.hidden_with_state(F, x)
        return encoder.output_head(F, hidden), h, c

    def forward_propagation(self, F, x):
        """``x`` ``(B, T, D)`` → reconstruction ``(B, T, decoder output)``."""
        encoded, h, c = self._encode(F, x)
        self.feature_points_arr = encoded
        decoder = self.decoder
        if self.generating_flag:
            zeros = rec.generation_zeros(F, x) if decoder.fused_flag else None
            hidden = decoder.generate_hidden(F, h, c, zeros_tn1=zeros, n_steps=self.steps)[0]
            decoded = decoder.output_head(F, hidden)
        else:
            decoded = decoder.output_head(F, decoder.recur(F, F.reverse(encoded, axis=1))[0])
        return F.reverse(decoded, axis=1)

    def _check_observed(self, observed_arr, name: str = "observed_arr"):
        if not isinstance(observed_arr, mx.nd.NDArray):
            observed_arr = mx.nd.array(observed_arr, ctx=first_ctx(self._ctx), dtype="float32")
        check_rank(observed_arr.shape, 3, name, "batch, time, features")
        if observed_arr.shape[0] == 0 or observed_arr.shape[1] != self.steps:
            raise ValueError("%s must be (batch >= 1, %d, features), got shape %s."
                             % (name, self.steps, observed_arr.shape))
        self.encoder.check_features(observed_arr.shape[2], name)
        return observed_arr

    def inference(self, observed_arr) -> mx.nd.NDArray:
        """Reconstruction of ``observed_arr`` ``(B, T, D)`` (NDArray or numpy; any ``B``)."""
        x = self._check_observed(observed_arr)
        self._last_observed = x
        self.__dict__["_feature_points_arr"] = None
        return self(x)

    def compute_feature_points(self, observed_arr) -> mx.nd.NDArray:
        """The encoder's output for ``observed_arr`` (dropout off)."""
        with mx.autograd.predict_mode():
            return self._encode(mx.nd, self._check_observed(observed_arr))[0]

    def infer_shape(self, *args) -> None:
        with mx.autograd.pause():
            self.forward_propagation(mx.nd, args[0])
