"""The abstract Transformer part (contract §3k) and what the encoder, decoder and reconstructor share.

Decisions (docs/decisions.md, "Attention and Transformer"):

* **Pre-layer-norm** residual blocks, as the reference: ``x + Dropout(Sublayer(LayerNorm(x)))``
  per sub-layer and a final ``output_layer_norm``.
* **Position-wise feed-forward** ``fc(act(filter_fc(LN(x))))``: the fc activation sits between
  the two dense layers (the reference applied it after the second one, so its "feed-forward"
  was one linear map followed by an activation). Attention activations apply to the block
  output before the residual add, in every part (the reference's encoder applied it to the
  residual stream).
* **Defaults build.** Empty activation lists (the contract's defaults, on which the reference
  failed with ``IndexError``) mean ``"identity"`` after attention and ``"relu"`` in the
  feed-forward; a one-element list is used for every layer; ``"gelu"``/``"GELU"`` is MXNet's
  GELU. Caller lists are never mutated.
* **Sinusoidal positional embeddings inside the graph**: ``PE[t, d] = sin(t / 10000^(2⌊d/2⌋/D)
  + (d mod 2)·π/2)``, multiplied by ``embedding_weignt`` and added when ``embedding_flag``;
  computed from the input's own length (no parameters, any batch size). Sequences longer than
  ``max_seq_len`` (a trailing keyword, default 512: the extent of the positional table the
  model is meant for) raise ``ValueError``.
"""
from __future__ import annotations

import math
from abc import abstractmethod

import mxnet as mx
from mxnet import gluon

from accelbrainbase._mxnet.activations import KNOWN_ACTIVATIONS, apply_activation
from accelbrainbase._mxnet.checks import check_int, check_number, check_type
from accelbrainbase._mxnet.learner import Learner
from accelbrainbase.observable_data import ObservableData

#: the activation names a Transformer part accepts (plus MXNet's GELU)
TRANSFORMER_ACTIVATIONS = KNOWN_ACTIVATIONS + ("gelu", "GELU")

#: the longest sequence a part accepts unless ``max_seq_len`` says otherwise
DEFAULT_MAX_SEQ_LEN = 512


def activation_names(names, layer_n: int, arg_name: str, default: str) -> list:
    """One activation name per layer: ``[]`` → ``default``; one name → every layer."""
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, (list, tuple)):
        raise TypeError("%s must be a list of activation names, not %s." % (arg_name, type(names).__name__))
    names = list(names) or [default]
    if len(names) == 1:
        names = names * layer_n
    if len(names) != layer_n:
        raise ValueError("%s has %d entries; give one per layer (layer_n=%d) or a single one."
                         % (arg_name, len(names), layer_n))
    for i, name in enumerate(names):
        if isinstance(name, gluon.nn.GELU):
            names[i] = "gelu"
        elif not isinstance(name, str) or name not in TRANSFORMER_ACTIVATIONS:
            raise ValueError("%s[%d]=%r is not an activation; use one of %s."
                             % (arg_name, i, name, ", ".join(TRANSFORMER_ACTIVATIONS)))
    return [name.lower() if name == "GELU" else name for name in names]


def activate(F, x, name: str):
    if name == "gelu":
        return F.LeakyReLU(x, act_type="gelu")
    return apply_activation(F, x, name)


def positional_encoding(F, x, depth_dim: int):
    """The sinusoidal table ``(1, T, depth_dim)`` for ``x`` ``(B, T, depth_dim)`` (in-graph)."""
    position = F.contrib.arange_like(x, axis=1)                    # (T,)
    feature = F.contrib.arange_like(x, axis=2)                     # (D,)
    pair = F.floor(feature / 2)
    inverse_frequency = F.exp(pair * (-2.0 * math.log(10000.0) / depth_dim))
    phase = (feature - 2 * pair) * (math.pi / 2)
    angle = F.broadcast_add(F.broadcast_mul(F.reshape(position, shape=(-1, 1)),
                                            F.reshape(inverse_frequency, shape=(1, -1))),
                            F.reshape(phase, shape=(1, -1)))
    return F.expand_dims(F.sin(angle), axis=0)


def causal_mask(F, x):
    """``(1, 1, T, T)`` with 1 where key ``j <= `` query ``i`` for ``x`` ``(B, T, D)`` (in-graph)."""
    position = F.contrib.arange_like(x, axis=1)
    allowed = F.broadcast_lesser_equal(F.reshape(position, shape=(1, -1)), F.reshape(position, shape=(-1, 1)))
    return F.expand_dims(F.expand_dims(allowed, axis=0), axis=0)


def layer_list(given, layer_n: int, arg_name: str, build, expected=gluon.HybridBlock) -> list:
    """``given`` (one block per layer) or ``layer_n`` blocks made by ``build()`` when empty."""
    if given is None or (isinstance(given, (list, tuple)) and not given):
        return [build() for _ in range(layer_n)]
    if not isinstance(given, (list, tuple)):
        raise TypeError("%s must be a list of blocks, not %s." % (arg_name, type(given).__name__))
    if len(given) != layer_n:
        raise ValueError("%s has %d blocks; it needs one per layer (layer_n=%d)." % (arg_name, len(given), layer_n))
    for i, block in enumerate(given):
        check_type(block, expected, "%s[%d]" % (arg_name, i))
    return list(given)


class TransformerModel(Learner, ObservableData):
    """What every Transformer part has: the positional embedding and its switches.

    Concrete parts derive from ``(TransformerModel, HybridBlock)`` (``Learner`` must come
    before ``HybridBlock`` in the method order so losses are not registered as children);
    ``Learner`` supplies ``init_deferred_flag``, ``initializer``, ``learn``, ``compute_loss``,
    ``regularize`` and ``extract_learned_dict``.
    """

    _embedding_flag = True
    _embedding_weignt = 1.0
    _max_seq_len = DEFAULT_MAX_SEQ_LEN

    @property
    def embedding_flag(self) -> bool:
        """Add the positional embedding to the input (default True)."""
        return self._embedding_flag

    @embedding_flag.setter
    def embedding_flag(self, value: bool) -> None:
        self._embedding_flag = check_type(value, bool, "embedding_flag")
        self._forget_graph()

    @property
    def embedding_weignt(self) -> float:
        """Factor of the positional embedding (spelled as in the contract; default 1.0)."""
        return self._embedding_weignt

    @embedding_weignt.setter
    def embedding_weignt(self, value: float) -> None:
        self._embedding_weignt = check_number(value, "embedding_weignt")
        self._forget_graph()

    @property
    def max_seq_len(self) -> int:
        """The longest sequence accepted (extent of the positional table)."""
        return self._max_seq_len

    @max_seq_len.setter
    def max_seq_len(self, value: int) -> None:
        self._max_seq_len = check_int(value, "max_seq_len", minimum=1)

    def _forget_graph(self) -> None:
        clear = getattr(self, "_clear_cached_op", None)
        if callable(clear):
            clear()  # the cached graph captured the old value

    def embed(self, F, x):
        """``x`` plus the weighted positional table when ``embedding_flag`` (in-graph)."""
        if not self._embedding_flag:
            return x
        return F.broadcast_add(x, positional_encoding(F, x, self.depth_dim) * self._embedding_weignt)

    def check_length(self, arr, name: str) -> None:
        if arr.shape[1] > self._max_seq_len:
            raise ValueError("%s has %d time steps, more than the positional table's max_seq_len=%d."
                             % (name, arr.shape[1], self._max_seq_len))

    def embedding(self, observed_arr):
        """``observed_arr`` ``(B, T, D)`` plus ``embedding_weignt`` × the positional table
        (unchanged when ``embedding_flag`` is False); records ``batch_size``, ``seq_len`` and
        ``depth_dim`` from its shape."""
        self.check_length(observed_arr, "observed_arr")
        self.batch_size, self.seq_len = observed_arr.shape[0], observed_arr.shape[1]
        if observed_arr.shape[2] != self.depth_dim:
            raise ValueError("observed_arr has depth %d, but depth_dim is %d." % (observed_arr.shape[2], self.depth_dim))
        return self.embed(mx.nd, observed_arr)

    @abstractmethod
    def inference(self, observed_arr):
        """The part's output."""
        raise NotImplementedError()
