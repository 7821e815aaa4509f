"""LSTM recurrences used by ``LSTMNetworks`` and ``EncoderDecoder``.

Every function works for ``F = mx.nd`` and ``F = mx.sym`` (so it runs inside hybridized
graphs), takes batch-major sequences ``(B, T, D)`` and returns batch-major hidden sequences
``(B, T, H)`` together with the final state ``(h, c)``, each ``(B, H)``.

Weights follow the contract's layout: the input projection ``w_x`` is ``(4H, D)`` and the
recurrent projection ``w_h`` / bias ``b_h`` are ``(4H, H)`` / ``(4H,)``, with gate blocks in
the order **[candidate g, input i, forget f, output o]**.

Two implementations:

* :func:`fused_run` / :func:`fused_generate` call MXNet's fused ``RNN`` operator (the kernel
  behind ``gluon.rnn.LSTM``; oneDNN on CPU, cuDNN on GPU).  It computes the standard cell
  (sigmoid gates, tanh candidate and cell output, no peephole terms); the gate blocks are
  permuted to the operator's order [i, f, g, o] inside the graph, so gradients flow back to
  the contract's parameters.
* :func:`cell_run` unrolls the contract's cell step by step (peephole terms, any gate
  activations); used when the configuration is not the standard one, and for the standard cell
  when the fused operator cannot run (see :func:`fused_kernel_available`): same parameters,
  same numbers.

MXNet 1.9.1's fused ``RNN`` operator has no working CPU implementation without oneDNN: with
``MXNET_MKLDNN_ENABLED=0`` (or a build without oneDNN) even ``gluon.rnn.LSTM`` fails with
``Check failed: in_data.size() == num_inputs (4 vs. 3)``. :func:`fused_kernel_available` tells
the models when to fall back to :func:`cell_run`.

Generation ("feed back your own output"): when the input of step ``t`` is the previous hidden
state ``h[t-1]`` and the recurrence starts from a given state ``(h0, c0)`` whose ``h0`` is also
the first input, every pre-activation is ``w_x h[t-1] + w_h h[t-1] + b = (w_x + w_h) h[t-1] + b``.
:func:`fused_generate` therefore runs the fused operator on an all-zero input with the
recurrent weight ``w_x + w_h``: the same numbers as a step-by-step feedback loop, at fused speed.
"""
from __future__ import annotations

import os
from typing import List, Optional, Sequence, Tuple

import mxnet as mx

from accelbrainbase._mxnet.activations import apply_activation

#: (candidate, input gate, forget gate, output gate, cell output) activations the fused kernel computes
STANDARD_ACTIVATIONS = ("tanh", "sigmoid", "sigmoid", "sigmoid", "tanh")


def onednn_enabled() -> bool:
    """True when MXNet was built with oneDNN (MKLDNN) and ``MXNET_MKLDNN_ENABLED`` does not switch it
    off (MXNet reads ``0`` / ``false``, in any case, as off; the variable is read once, when
    MXNet starts, so it must be set before ``mxnet`` is imported)."""
    if os.environ.get("MXNET_MKLDNN_ENABLED", "1").strip().lower() in ("0", "false"):
        return False
    try:
        return bool(mx.runtime.Features().is_enabled("MKLDNN"))
    except (AttributeError, RuntimeError, mx.base.MXNetError):
        return False


def fused_kernel_available(ctx) -> bool:
    """Whether the fused ``RNN`` operator runs on ``ctx`` (a context or a list of them): always on
    GPUs (cuDNN); on CPUs only with oneDNN (:func:`onednn_enabled`)."""
    contexts = ctx if isinstance(ctx, (list, tuple)) else [ctx]
    if contexts and all(getattr(c, "device_type", "cpu") == "gpu" for c in contexts):
        return True
    return onednn_enabled()


def to_kernel_gate_order(F, arr):
    """Permute gate blocks along axis 0 from [g, i, f, o] to the kernel's [i, f, g, o]."""
    g, i, f, o = F.split(arr, num_outputs=4, axis=0)
    return F.concat(i, f, g, o, dim=0)


def zero_state(F, ref, hidden_n: int):
    """``(B, hidden_n)`` zeros, with ``B`` taken from ``ref`` ``(B, T, D)`` (works for any batch size)."""
    first = F.slice_axis(F.slice_axis(ref, axis=1, begin=0, end=1), axis=2, begin=0, end=1)
    return F.broadcast_axis(F.reshape(F.zeros_like(first), shape=(0, -1)), axis=1, size=hidden_n)


def _kernel(F, inputs_tnc, w_x, w_h, b_h, h0, c0, hidden_n: int):
    """Fused LSTM over time-major ``inputs_tnc``; returns ``(out (T,B,H), h (B,H), c (B,H))``."""
    params = F.concat(
        F.reshape(to_kernel_gate_order(F, w_x), shape=(-1,)),
        F.reshape(to_kernel_gate_order(F, w_h), shape=(-1,)),
        F.zeros_like(b_h),
        to_kernel_gate_order(F, b_h),
        dim=0,
    )
    outs = F.RNN(inputs_tnc, params, F.expand_dims(h0, axis=0), F.expand_dims(c0, axis=0),
                 state_size=hidden_n, num_layers=1, mode="lstm", state_outputs=True)
    return outs[0], F.reshape(outs[1], shape=(-3, 0)), F.reshape(outs[2], shape=(-3, 0))


def fused_run(F, x, w_x, w_h, b_h, h0, c0, hidden_n: int):
    """Standard LSTM over ``x`` ``(B, T, D)`` from ``(h0, c0)``; returns ``(seq (B,T,H), h, c)``."""
    out, h, c = _kernel(F, F.swapaxes(x, 0, 1), w_x, w_h, b_h, h0, c0, hidden_n)
    return F.swapaxes(out, 0, 1), h, c


def fused_generate(F, zeros_tn1, w_x, w_h, b_h, h0, c0, hidden_n: int):
    """Generate ``T`` steps feeding back ``h`` (``w_x`` must be ``(4H, H)``).

    Args:
        zeros_tn1: ``(T, B, 1)`` zeros fixing the number of steps and the batch size.
        h0, c0: start state ``(B, H)``; ``h0`` is also the first step's input.
    Returns:
        ``(seq (B, T, H), h, c)``.
    """
    merged = w_x + w_h
    no_input = F.zeros_like(F.slice_axis(w_x, axis=1, begin=0, end=1))
    out, h, c = _kernel(F, zeros_tn1, no_input, merged, b_h, h0, c0, hidden_n)
    return F.swapaxes(out, 0, 1), h, c


def generation_zeros(F, ref_btd):
    """``(T, B, 1)`` zeros with ``T`` and ``B`` of ``ref_btd`` ``(B, T, D)``."""
    return F.zeros_like(F.slice_axis(F.swapaxes(ref_btd, 0, 1), axis=2, begin=0, end=1))


def _split_steps(F, arr, n_steps: int) -> List:
    """``(B, T, X)`` → list of ``T`` arrays ``(B, X)``."""
    if n_steps == 1:
        return [F.reshape(arr, shape=(0, -1))]
    return list(F.split(arr, num_outputs=n_steps, axis=1, squeeze_axis=True))


def cell_run(F, x, n_steps: int, w_x, w_h, b_h, h, c, hidden_n: int,
             activations: Sequence[str], peepholes: Optional[Tuple] = None):
    """The contract's cell, unrolled over ``n_steps``.

    Args:
        x: ``(B, n_steps, D)`` inputs, or ``None`` to feed back the previous hidden state
            (generation: step 0 reads ``h``).
        w_x, w_h, b_h: projections in [g, i, f, o] block order.
        h, c: start state ``(B, H)``.
        activations: names for (candidate, input gate, forget gate, output gate, cell output).
        peepholes: ``(w_ci, w_cf, w_co)``, each ``(H, H)``, or ``None`` for no peephole terms.
    Returns:
        ``(seq (B, n_steps, H), h, c)``.
    """
    act_g, act_i, act_f, act_o, act_h = activations
    projected = None
    if x is not None:
        projected = _split_steps(F, F.FullyConnected(x, w_x, no_bias=True, num_hidden=4 * hidden_n,
                                                     flatten=False), n_steps)
    hs = []
    for t in range(n_steps):
        step_in = projected[t] if projected is not None else F.FullyConnected(
            h, w_x, no_bias=True, num_hidden=4 * hidden_n)
        z = step_in + F.FullyConnected(h, w_h, b_h, num_hidden=4 * hidden_n)
        g, i, f, o = F.split(z, num_outputs=4, axis=1)
        if peepholes is not None:
            i = i + F.FullyConnected(c, peepholes[0], no_bias=True, num_hidden=hidden_n)
            f = f + F.FullyConnected(c, peepholes[1], no_bias=True, num_hidden=hidden_n)
        c = apply_activation(F, g, act_g) * apply_activation(F, i, act_i) + apply_activation(F, f, act_f) * c
        if peepholes is not None:
            o = o + F.FullyConnected(c, peepholes[2], no_bias=True, num_hidden=hidden_n)
        h = apply_activation(F, o, act_o) * apply_activation(F, c, act_h)
        hs.append(h)
    return F.stack(*hs, axis=1), h, c
