"""Batched conditionals, sampling and energies of a binary-hidden RBM, written with ``mx.nd``.

Shapes: ``v`` is ``(B, V)``, ``h`` is ``(B, H)``, ``weight`` is ``(H, V)`` (the layout of
``gluon.nn.Dense(H, in_units=V)``), ``hidden_bias`` is ``(H,)``, ``visible_bias`` is ``(V,)``.
Visible units are Bernoulli (``gaussian=False``: means are ``sigmoid(h W + b)``) or Gaussian
with unit variance (``gaussian=True``: means are ``h W + b``).  Every function works on whole
batches; none synchronises with the host.
"""
from __future__ import annotations

from typing import NamedTuple, Sequence

import mxnet as mx

NDArray = mx.nd.NDArray


def hidden_probabilities(F, v, weight, hidden_bias, num_hidden: int):
    """``P(h = 1 | v) = sigmoid(v Wᵀ + c)``, shape ``(B, H)``.  ``F`` is ``mx.nd`` or ``mx.sym``."""
    pre = F.FullyConnected(v, weight, hidden_bias, num_hidden=num_hidden)
    return F.Activation(pre, act_type="sigmoid")


def visible_means(F, h, weight, visible_bias, gaussian: bool):
    """``E[v | h]``: ``sigmoid(h W + b)`` (Bernoulli) or ``h W + b`` (Gaussian), shape ``(B, V)``."""
    if F is mx.nd:
        # one product with the bias inside it and, outside autograd, the sigmoid written over its
        # output: one (B, V) array instead of three (reconstructing a large batch kept them all in
        # MXNet's memory pool)
        pre = mx.nd.FullyConnected(h, weight.T, visible_bias, num_hidden=weight.shape[1])
        if gaussian:
            return pre
        return mx.nd.Activation(pre, act_type="sigmoid", out=None if mx.autograd.is_recording() else pre)
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


# ---------------------------------------------------------------------- fused graphs
class LayerSpec(NamedTuple):
    """What the fused graphs need to know about one RBM layer."""

    num_visible: int
    num_hidden: int
    k: int = 1
    persistent: bool = False
    gaussian: bool = False
    visible_dropout_rate: float = 0.0
    hidden_dropout_rate: float = 0.0


def _row_sums(S, rows, width: int):
    """``Σ_columns rows`` as ``(B,)`` through a matrix-vector product (MXNet's CPU reductions are
    about ten times slower than a product with a column of ones)."""
    return S.reshape(S.dot(rows, S.ones(shape=(width, 1))), shape=(-1,))


def _visible_means_t(S, h, weight_t, visible_bias, num_visible: int, gaussian: bool):
    """:func:`visible_means` from the transposed weight ``(V, H)``: one fully-connected product with
    the bias added inside it (cheaper on the CPU than a product followed by a broadcast add)."""
    pre = S.FullyConnected(h, weight_t, visible_bias, num_hidden=num_visible)
    return pre if gaussian else S.Activation(pre, act_type="sigmoid")


def reconstruction_loss(S, loss_block, reconstruction, data, width: int):
    """``loss_block(reconstruction, data)`` inside a graph; per sample, ``(B,)``.

    ``L2NormLoss`` (the library's and the reference's usual choice) is computed with a
    matrix-vector product instead of MXNet's slow CPU mean reduction; the value is the same.
    """
    from accelbrainbase.computableloss._mxnet.l2_norm_loss import _EPSILON, L2NormLoss

    if type(loss_block) is L2NormLoss and loss_block._batch_axis == 0:
        mean_square = _row_sums(S, S.square(reconstruction - data), width) / float(width)
        loss = S.sqrt(mean_square + _EPSILON)
        weight = loss_block._weight
        return loss if weight is None or weight == 1.0 else loss * weight
    return loss_block(reconstruction, data)


def _cd_layer(S, spec: LayerSpec, data, weight, hidden_bias, visible_bias, rate, chain):
    """One CD-k (PCD-k) step of one layer inside a graph.

    Returns ``(new_weight, new_hidden_bias, new_visible_bias, hidden, reconstruction, new_chain)``;
    ``hidden`` = ``P(h | data)`` and ``reconstruction`` = its mean-field visible means, both with
    the parameters before the step. Every node that reads a parameter is upstream of the node
    that writes its new value, so the new values may be written over the inputs' memory (the
    graph's nodes run in a topological order; a reader that were not upstream of the writer could
    run after it and see the new value).
    """
    observed = data
    if spec.visible_dropout_rate > 0:
        observed = data * (S.random.uniform_like(data) >= spec.visible_dropout_rate)
    hidden0 = hidden_probabilities(S, observed, weight, hidden_bias, spec.num_hidden)
    positive, keep = hidden0, None
    if spec.hidden_dropout_rate > 0:
        keep = S.random.uniform_like(hidden0) >= spec.hidden_dropout_rate
        positive = hidden0 * keep
    state = chain if spec.persistent else S.random.uniform_like(positive) < positive
    # the visible means read copies of W and b: the reconstruction below is not upstream of the
    # parameters' new values, so reading the inputs themselves it could run after they are written
    weight_t, bias_read = S.transpose(weight), S.identity(visible_bias)
    # the reconstruction (from P(h | data)) and the negative visible means (from the sampled or
    # persistent state) as two products: on oneDNN that is ~6 % of a CD-1 step faster than one
    # product over the stacked (2B, H) rows followed by a split (1.38 vs 1.47 ms, B=100, 784x100)
    reconstruction = _visible_means_t(S, hidden0, weight_t, bias_read, spec.num_visible, spec.gaussian)
    visible = None
    for step in range(spec.k):
        visible = _visible_means_t(S, state, weight_t, bias_read, spec.num_visible, spec.gaussian)
        negative = hidden_probabilities(S, visible, weight, hidden_bias, spec.num_hidden)
        if keep is not None:
            negative = negative * keep
        if step < spec.k - 1 or spec.persistent:
            state = S.random.uniform_like(negative) < negative
    # W += rate (h+ᵀ v+ - h-ᵀ v-) and b += rate (Σ v+ - Σ v-) as ONE inner product over the 2B stacked
    # samples, [rate (h+, 1); -rate (h-, 1)]ᵀ [v+; v-]: the column of ones appended to the hidden
    # rows makes the product's last row the visible-bias step. No separate optimiser call.
    # FullyConnected (oneDNN's inner product) computes it in half the time of two linalg.gemm
    # accumulations (0.51 vs 1.02 ms at B=100, 784x100). Folding the bias in saved about 5 % of a
    # step against a separate signed column sum of the (2B, V) stack.
    ones = S.ones_like(S.slice_axis(positive, axis=1, begin=0, end=1))  # (B, 1)
    hidden_rows = S.broadcast_mul(S.concat(S.concat(positive, ones, dim=1), -S.concat(negative, ones, dim=1), dim=0),
                                  rate)  # (2B, H + 1)
    visible_rows = S.concat(observed, visible, dim=0)  # (2B, V)
    step = S.FullyConnected(S.transpose(hidden_rows), S.transpose(visible_rows), no_bias=True,
                            num_hidden=spec.num_visible)  # (H + 1, V)
    new_weight = weight + S.slice_axis(step, axis=0, begin=0, end=spec.num_hidden)
    new_visible_bias = visible_bias + S.reshape(S.slice_axis(step, axis=0, begin=spec.num_hidden, end=None),
                                                shape=(-1,))
    # hidden-bias step: column sums of the stack as a product with a (2B, 1) column (CPU reductions
    # are slow); the last column (the ones) is dropped
    column_sums = S.dot(S.ones_like(S.slice_axis(hidden_rows, axis=1, begin=0, end=1)), hidden_rows,
                        transpose_a=True)  # (1, H + 1)
    new_hidden_bias = hidden_bias + S.reshape(S.slice_axis(column_sums, axis=1, begin=0, end=spec.num_hidden),
                                              shape=(-1,))
    return new_weight, new_hidden_bias, new_visible_bias, hidden0, reconstruction, state


def stack_step_symbol(layers: Sequence[LayerSpec], trained: Sequence[bool], loss_block=None,
                      clip: bool = False) -> mx.sym.Symbol:
    """One learning step of a stack of RBMs (a single RBM is a stack of one) as one graph.

    Layers whose ``trained`` flag is False only pass their features ``P(h | ·)`` up; each trained
    layer takes one CD-k (PCD-k) step on the features of the layer below, and its parameters
    are updated inside the graph (``+= rate · CD direction``). The reconstruction of the last
    trained layer is decoded down to the input through the layers below it (trained ones with
    their new parameters).

    Inputs (by name): ``data (B, V0)``; ``rate (1, 1)`` = learning rate / B; per layer ``i``:
    ``w<i> (H, V)``, ``c<i> (H,)``, ``b<i> (V,)`` and, for persistent trained layers, ``chain<i>
    (B, H)``.

    Outputs (in order): per trained layer the new ``w<i>, c<i>, b<i>``; ``hidden`` (the last
    trained layer's ``P(h | input)``) and ``reconstruction (B, V0)`` (both with the parameters
    before the step); ``loss (B,)`` when ``loss_block`` is given; the new ``chain<i>`` of each
    persistent trained layer. The new parameters and chains may be written over their inputs
    (``CachedOp(..., out=[...])``): every reader of a parameter runs before its writer.
    """
    S = mx.sym
    data = S.var("data")
    rate = S.var("rate")
    observed = S.clip(data, 0.0, 1.0) if clip else data
    x = observed
    updates, chains, new_params = [], [], {}
    hidden = reconstruction = None
    top = max(i for i, flag in enumerate(trained) if flag)
    for i, spec in enumerate(layers[:top + 1]):
        weight, hidden_bias, visible_bias = S.var("w%d" % i), S.var("c%d" % i), S.var("b%d" % i)
        if not trained[i]:
            x = hidden_probabilities(S, x, weight, hidden_bias, spec.num_hidden)
            continue
        chain = S.var("chain%d" % i) if spec.persistent else None
        new_w, new_c, new_b, hidden, reconstruction, state = _cd_layer(
            S, spec, x, weight, hidden_bias, visible_bias, rate, chain)
        updates += [new_w, new_c, new_b]
        new_params[i] = (new_w, new_b)
        if spec.persistent:
            chains.append(state)
        x = hidden
    for i in reversed(range(top)):
        weight, visible_bias = new_params.get(i, (S.var("w%d" % i), S.var("b%d" % i)))
        reconstruction = visible_means(S, reconstruction, weight, visible_bias, layers[i].gaussian)
    outputs = updates + [hidden, reconstruction]
    if loss_block is not None:
        outputs.append(reconstruction_loss(S, loss_block, reconstruction, observed, layers[0].num_visible))
    return S.Group(outputs + chains)


def stack_evaluation_symbol(layers: Sequence[LayerSpec], loss_block, clip: bool = False,
                            pseudo_log_likelihood: bool = False) -> mx.sym.Symbol:
    """Predict-mode numbers of a stack (bottom-up mean-field features, then top-down means) as one
    graph.

    Inputs: ``data (B, V0)`` and ``w<i>, c<i>, b<i>`` of every layer. Outputs: ``loss (B,)`` of the
    reconstruction through the whole stack; each layer's free energy of its input ``(B,)``; with
    ``pseudo_log_likelihood`` (Bernoulli bottom layer), the stochastic pseudo-log-likelihood of the
    bottom layer ``(B,)`` (one random unit flipped per sample, as :func:`pseudo_log_likelihood`).
    """
    S = mx.sym
    data = S.var("data")
    observed = S.clip(data, 0.0, 1.0) if clip else data
    x = observed
    energies, pll = [], None
    for i, spec in enumerate(layers):
        weight, hidden_bias, visible_bias = S.var("w%d" % i), S.var("c%d" % i), S.var("b%d" % i)
        pre = S.FullyConnected(x, weight, hidden_bias, num_hidden=spec.num_hidden)
        hidden_term = _row_sums(S, S.Activation(pre, act_type="softrelu"), spec.num_hidden)
        if spec.gaussian:
            visible_term = 0.5 * _row_sums(S, S.square(S.broadcast_sub(x, visible_bias)), spec.num_visible)
        else:
            visible_term = -S.reshape(S.dot(x, S.reshape(visible_bias, shape=(-1, 1))), shape=(-1,))
        energy = visible_term - hidden_term
        energies.append(energy)
        if pseudo_log_likelihood and i == 0 and not spec.gaussian:
            # flip unit j of each sample: the pre-activations move by (1 - 2 x_j) W[:, j]
            uniform = S.random.uniform_like(S.slice_axis(x, axis=1, begin=0, end=1))
            index = S.clip(S.floor(S.reshape(uniform, shape=(-1,)) * spec.num_visible), 0, spec.num_visible - 1)
            delta = 1.0 - 2.0 * S.pick(x, index, axis=1)
            columns = S.transpose(S.take(weight, index, axis=1))
            flipped_pre = pre + S.broadcast_mul(columns, S.reshape(delta, shape=(-1, 1)))
            flipped_hidden = _row_sums(S, S.Activation(flipped_pre, act_type="softrelu"), spec.num_hidden)
            flipped_visible = visible_term - delta * S.take(visible_bias, index)
            gap = energy - (flipped_visible - flipped_hidden)
            pll = -float(spec.num_visible) * S.Activation(gap, act_type="softrelu")
        x = S.Activation(pre, act_type="sigmoid")
    for i in reversed(range(len(layers))):
        x = _visible_means_t(S, x, S.transpose(S.var("w%d" % i)), S.var("b%d" % i), layers[i].num_visible,
                             layers[i].gaussian)
    outputs = [reconstruction_loss(S, loss_block, x, observed, layers[0].num_visible)] + energies
    if pll is not None:
        outputs.append(pll)
    return S.Group(outputs)
