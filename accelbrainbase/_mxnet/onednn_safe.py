"""A transposed convolution that trains under MXNet 1.9.1's oneDNN CPU backend.

oneDNN in MXNet 1.9.1 cannot back-propagate through ``Deconvolution`` when it has a single
output channel: ``backward()`` fails with "could not create a primitive descriptor for a
reorder primitive" (FINDINGS #18).  Every single-channel image decoder or generator ends in
exactly such a layer.

A transposed convolution is an ordinary convolution of the zero-dilated input with the
spatially flipped, in/out-transposed kernel::

    deconv(x, W, stride s, pad p, adj a)
        == conv(pad(dilate(x, s), k-1-p, k-1-p+a), flip(W^T))

Dilation wastes work on zeros, so for equal strides we use the sub-pixel form of the same
identity: output phase (r_h, r_w) is a stride-1 convolution of the undilated input with the
sub-kernel ``W[..., r_h::s, r_w::s]``; all s*s phases are one convolution whose filters are
interleaved back with ``depth_to_space`` (about 4x faster than dilation at stride 2).
Only ``Convolution`` and reshaping operators appear, and their backward passes work.  The layer
keeps ``Conv2DTranspose``'s parameters (names, shapes, initializers), so saved files and
weight tying are unaffected; only the arithmetic route differs.  Results match the native op
to float32 rounding (tested).

:func:`make_onednn_safe` switches affected layers inside any block to this route; models call
it on the blocks they are given, so users keep writing ``gluon.nn.Conv2DTranspose(1, ...)``.
"""
from __future__ import annotations

import os

import mxnet as mx
from mxnet.gluon import nn


def onednn_active() -> bool:
    """True when this MXNet build runs CPU operators through oneDNN (MKLDNN)."""
    if os.environ.get("MXNET_MKLDNN_ENABLED", "1") == "0" or os.environ.get("MXNET_ONEDNN_ENABLED", "1") == "0":
        return False
    try:
        return bool(mx.runtime.Features().is_enabled("MKLDNN"))
    except (mx.base.MXNetError, RuntimeError):
        return False


def _dilate(F, x, stride):
    """Insert ``stride - 1`` zeros between neighbouring pixels of ``x`` (B, C, H, W)."""
    sh, sw = stride
    if sh == 1 and sw == 1:
        return x
    x = F.expand_dims(F.expand_dims(x, axis=3), axis=5)  # (B, C, H, 1, W, 1)
    if sh > 1:
        zeros = F.zeros_like(x)
        x = F.concat(*([x] + [zeros] * (sh - 1)), dim=3)  # (B, C, H, sh, W, 1)
    if sw > 1:
        zeros = F.zeros_like(x)
        x = F.concat(*([x] + [zeros] * (sw - 1)), dim=5)  # (B, C, H, sh, W, sw)
    x = F.reshape(x, shape=(0, 0, -3, -3))  # (B, C, H*sh, W*sw)
    # drop the trailing zeros after the last pixel: dilated size is (H-1)*sh + 1
    if sh > 1:
        x = F.slice_axis(x, axis=2, begin=0, end=-(sh - 1))
    if sw > 1:
        x = F.slice_axis(x, axis=3, begin=0, end=-(sw - 1))
    return x


def _flipped_transposed(F, weight):
    """Deconvolution weight (C_in, C_out, kh, kw) → Convolution weight (C_out, C_in, kh, kw), flipped."""
    return F.flip(F.flip(F.transpose(weight, axes=(1, 0, 2, 3)), axis=2), axis=3)


def _subpixel(F, x, weight, bias, kernel, stride, pad, adj, num_filter, no_bias):
    """Equal strides s: one stride-1 convolution with s*s*num_filter filters (one group per
    output phase, each with the strided sub-kernel) on the undilated input, then
    ``depth_to_space`` interleaves the phases; the crop offsets do not depend on the input size."""
    (kh, kw), s, (ph, pw), (ah, aw) = kernel, stride[0], pad, adj
    mh, mw = -(-kh // s), -(-kw // s)  # taps per phase
    if s > 1:
        weight = F.pad(weight, mode="constant", constant_value=0,
                       pad_width=(0, 0, 0, 0, 0, mh * s - kh, 0, mw * s - kw))
        phases = [_flipped_transposed(F, F.slice(weight, begin=(None, None, rh, rw), end=(None, None, None, None),
                                                 step=(1, 1, s, s)))
                  for rh in range(s) for rw in range(s)]
        conv_weight = F.concat(*phases, dim=0)
    else:
        conv_weight = _flipped_transposed(F, weight)
    x = F.pad(x, mode="constant", constant_value=0, pad_width=(0, 0, 0, 0, mh - 1, mh - 1, mw - 1, mw - 1))
    filters = num_filter * s * s
    if no_bias:
        z = F.Convolution(x, conv_weight, kernel=(mh, mw), num_filter=filters, no_bias=True)
    else:
        z = F.Convolution(x, conv_weight, F.tile(bias, reps=(s * s,)), kernel=(mh, mw), num_filter=filters,
                          no_bias=False)
    if s > 1:
        z = F.depth_to_space(z, block_size=s)
    end_h, end_w = mh * s - kh + ph - ah, mw * s - kw + pw - aw
    z = F.slice_axis(z, axis=2, begin=ph, end=-end_h if end_h > 0 else None)
    return F.slice_axis(z, axis=3, begin=pw, end=-end_w if end_w > 0 else None)


def _with_shape_anchor(F, out, x, weight, kernel, num_filter):
    """Add exact zeros that tie ``weight``'s shape to ``x``'s channels for symbolic shape inference.

    MXNet cannot infer a deferred weight shape backwards through ``pad`` or strided ``slice``;
    it can through ``transpose``/``flip`` into a ``Convolution``. The anchor convolves a 1-pixel
    slice of the first sample (zero-padded to the kernel size) and is cut off from gradients.
    """
    kh, kw = kernel
    probe = F.slice(x, begin=(0, 0, 0, 0), end=(1, None, 1, 1))
    probe = F.pad(probe, mode="constant", constant_value=0, pad_width=(0, 0, 0, 0, 0, kh - 1, 0, kw - 1))
    anchor = F.Convolution(F.BlockGrad(probe), F.BlockGrad(_flipped_transposed(F, weight)), kernel=kernel,
                           num_filter=num_filter, no_bias=True)
    return F.broadcast_add(out, F.zeros_like(anchor))


def deconvolution_via_convolution(F, x, weight, bias, kernel, stride, pad, adj, num_filter, no_bias):
    """``F.Deconvolution`` (2-D, NCHW, no dilation, one group) computed with ``F.Convolution``.

    Args:
        x: input (B, C_in, H, W).
        weight: Deconvolution weight (C_in, num_filter, kh, kw).
        bias: (num_filter,) or None.
    Returns:
        (B, num_filter, (H-1)*sh - 2*ph + kh + ah, (W-1)*sw - 2*pw + kw + aw).
    """
    if stride[0] == stride[1]:
        out = _subpixel(F, x, weight, bias, kernel, stride, pad, adj, num_filter, no_bias)
        return _with_shape_anchor(F, out, x, weight, kernel, num_filter) if F is mx.sym else out
    kh, kw = kernel
    ph, pw = pad
    ah, aw = adj
    x = _dilate(F, x, stride)
    top, left = kh - 1 - ph, kw - 1 - pw
    x = F.pad(x, mode="constant", constant_value=0, pad_width=(0, 0, 0, 0, top, top + ah, left, left + aw))
    conv_weight = _flipped_transposed(F, weight)
    if no_bias:
        return F.Convolution(x, conv_weight, kernel=kernel, num_filter=num_filter, no_bias=True)
    return F.Convolution(x, conv_weight, bias, kernel=kernel, num_filter=num_filter, no_bias=False)


def _convertible(layer: nn.Conv2DTranspose) -> bool:
    kw = layer._kwargs
    kernel, pad = tuple(kw["kernel"]), tuple(kw["pad"])
    return (
        len(kernel) == 2
        and kw.get("layout", "NCHW") == "NCHW"
        and tuple(kw.get("dilate", (1, 1))) == (1, 1)
        and kw.get("num_group", 1) == 1
        and all(k - 1 - p >= 0 for k, p in zip(kernel, pad))
    )


class Conv2DTranspose(nn.Conv2DTranspose):
    """``gluon.nn.Conv2DTranspose`` whose single-output-channel case avoids oneDNN's broken
    backward pass.  Same constructor, parameters and outputs as the Gluon layer."""

    def hybrid_forward(self, F, x, weight, bias=None):
        if self._channels != 1 or not _convertible(self):
            return super().hybrid_forward(F, x, weight, bias)
        kw = self._kwargs
        out = deconvolution_via_convolution(
            F, x, weight, bias,
            kernel=tuple(kw["kernel"]), stride=tuple(kw["stride"]), pad=tuple(kw["pad"]),
            adj=tuple(kw.get("adj") or (0, 0)), num_filter=1, no_bias=bias is None,
        )
        if self.act is not None:
            out = self.act(out)
        return out


def make_onednn_safe(block) -> int:
    """Route every single-channel ``Conv2DTranspose`` inside ``block`` around the oneDNN bug.

    Works in place (the layers keep their parameters) and only when oneDNN is active.
    Returns the number of layers switched.
    """
    if block is None or not onednn_active():
        return 0
    switched = 0
    stack = [block]
    seen = set()
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if (type(current) is nn.Conv2DTranspose and current._channels == 1 and _convertible(current)):
            current.__class__ = Conv2DTranspose
            switched += 1
        stack.extend(getattr(current, "_children", {}).values())
    return switched
