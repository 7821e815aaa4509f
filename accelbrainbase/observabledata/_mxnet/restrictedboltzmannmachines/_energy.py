"""Batched conditionals, sampling and energies of a binary-hidden RBM, written with ``mx.nd``.

Shapes: ``v`` is ``(B, V)``, ``h`` is ``(B, H)``, ``weight`` is ``(H, V)`` (the layout of
``gluon.nn.Dense(H, in_units=V)``), ``hidden_bias`` is ``(H,)``, ``visible_bias`` is ``(V,)``.
Visible units are Bernoulli (``gaussian=False``: means are ``sigmoid(h W + b)``) or Gaussian
with unit variance (``gaussian=True``: means are ``h W + b``).  Every function works on whole
batches; none synchronises with the host.
"""
from __future__ import annotations

import mxnet as mx

NDArray = mx.nd.NDArray


def hidden_probabilities(F, v, weight, hidden_bias, num_hidden: int):
    """``P(h = 1 | v) = sigmoid(v Wᵀ + c)``, shape ``(B, H)``.  ``F`` is ``mx.nd`` or ``mx.sym``."""
    pre = F.FullyConnected(v, weight, hidden_bias, num_hidden=num_hidden)
    return F.Activation(pre, act_type="sigmoid")


def visible_means(F, h, weight, visible_bias, gaussian: bool):
    """``E[v | h]``: ``sigmoid(h W + b)`` (Bernoulli) or ``h W + b`` (Gaussian), shape ``(B, V)``."""
    pre = F.broadcast_add(F.dot(h, weight), visible_bias)
    return pre if gaussian else F.Activation(pre, act_type="sigmoid")


def bernoulli(p: NDArray) -> NDArray:
    """A 0/1 sample of independent Bernoulli variables with probabilities ``p`` (same shape)."""
    return mx.nd.random.uniform(shape=p.shape, ctx=p.context, dtype=p.dtype) < p


def free_energy(v: NDArray, weight: NDArray, visible_bias: NDArray, hidden_bias: NDArray,
                gaussian: bool) -> NDArray:
    """Free energy ``F(v) = -log Σ_h exp(-E(v, h))`` per sample, shape ``(B,)``.

    Bernoulli visibles: ``-v·b - Σ_j softplus(v Wⱼᵀ + cⱼ)``; Gaussian visibles:
    ``½‖v - b‖² - Σ_j softplus(v Wⱼᵀ + cⱼ)``.  Lower means more probable under the model.
    """
    pre = mx.nd.FullyConnected(v, weight, hidden_bias, num_hidden=weight.shape[0])
    hidden_term = mx.nd.sum(mx.nd.Activation(pre, act_type="softrelu"), axis=1)
    if gaussian:
        visible_term = 0.5 * mx.nd.sum(mx.nd.square(mx.nd.broadcast_sub(v, visible_bias)), axis=1)
    else:
        visible_term = -mx.nd.dot(v, visible_bias)
    return visible_term - hidden_term


def pseudo_log_likelihood(v: NDArray, weight: NDArray, visible_bias: NDArray,
                          hidden_bias: NDArray) -> NDArray:
    """Stochastic pseudo-log-likelihood per sample, shape ``(B,)`` (Bernoulli visibles).

    One randomly chosen visible unit per sample is flipped (``x → 1 - x``) and
    ``V · log sigmoid(F(v_flipped) - F(v))`` is returned: an unbiased estimate of the sum over
    units of ``log P(v_i | v_-i)`` for binary data (the estimator scikit-learn's
    ``BernoulliRBM.score_samples`` uses).  Higher is better.
    """
    batch, width = v.shape
    index = mx.nd.random.randint(0, width, shape=(batch,), ctx=v.context)
    flip = mx.nd.one_hot(index, width)
    flipped = v + flip * (1.0 - 2.0 * v)
    gap = (free_energy(v, weight, visible_bias, hidden_bias, False)
           - free_energy(flipped, weight, visible_bias, hidden_bias, False))
    return -width * mx.nd.Activation(gap, act_type="softrelu")


def _column_sums(S, rows, ones_column):
    """``Σ_rows rows`` as ``(V,)`` through a matrix product (MXNet's CPU reductions are slow)."""
    return S.reshape(S.dot(ones_column, rows, transpose_a=True), shape=(-1,))


def cd_symbol(num_hidden: int, k: int, persistent: bool, gaussian: bool, visible_dropout_rate: float,
              hidden_dropout_rate: float, loss_block=None) -> mx.sym.Symbol:
    """The graph of one CD-k (or PCD-k) step, to be run as a single ``CachedOp``.

    Inputs (by name): ``data (B, V)``, ``weight (H, V)``, ``hidden_bias (H,)``,
    ``visible_bias (V,)`` and, when ``persistent``, ``chain (B, H)`` (the hidden samples the
    negative chain continues from).

    Outputs (in order): the batch *sums* of the CD statistics, i.e. the log-likelihood ascent
    directions ``Σ(h⁺ v⁺ᵀ - h⁻ v⁻ᵀ)`` ``(H, V)``, ``Σ(h⁺ - h⁻)`` ``(H,)`` and ``Σ(v⁺ - v⁻)``
    ``(V,)`` (scale by ``learning_rate / B`` to update); ``hidden (B, H)`` = ``P(h | data)`` and
    the mean-field ``reconstruction (B, V)``, both with the parameters before the step; then
    ``loss (B,)`` = ``loss_block(reconstruction, data)`` when a (hybridizable) loss block is
    given; then the new ``chain (B, H)`` when ``persistent``.

    Visible means (not samples) are used in the negative phase; hidden states are sampled
    between Gibbs steps. Dropout masks units without rescaling.
    """
    S = mx.sym
    data, weight = S.var("data"), S.var("weight")
    hidden_bias, visible_bias = S.var("hidden_bias"), S.var("visible_bias")
    observed = data
    if visible_dropout_rate > 0:
        observed = data * (S.random.uniform_like(data) >= visible_dropout_rate)
    hidden0 = hidden_probabilities(S, observed, weight, hidden_bias, num_hidden)
    reconstruction = visible_means(S, hidden0, weight, visible_bias, gaussian)
    positive = hidden0
    keep = None
    if hidden_dropout_rate > 0:
        keep = S.random.uniform_like(hidden0) >= hidden_dropout_rate
        positive = hidden0 * keep
    state = S.var("chain") if persistent else S.random.uniform_like(positive) < positive
    for step in range(k):
        visible = visible_means(S, state, weight, visible_bias, gaussian)
        negative = hidden_probabilities(S, visible, weight, hidden_bias, num_hidden)
        if keep is not None:
            negative = negative * keep
        if step < k - 1 or persistent:
            state = S.random.uniform_like(negative) < negative
    ones_column = S.ones_like(S.slice_axis(data, axis=1, begin=0, end=1))
    weight_direction = (S.dot(positive, observed, transpose_a=True)
                        - S.dot(negative, visible, transpose_a=True))
    hidden_direction = _column_sums(S, positive - negative, ones_column)
    visible_direction = _column_sums(S, observed - visible, ones_column)
    outputs = [weight_direction, hidden_direction, visible_direction, hidden0, reconstruction]
    if loss_block is not None:
        outputs.append(loss_block(reconstruction, data))
    if persistent:
        outputs.append(state)
    return S.Group(outputs)
