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

Two routes, same results (to float32 rounding):

* :class:`WideConv2DTranspose` (what :func:`make_onednn_safe` uses): the native ``Deconvolution``
  with **two** output channels, the second sliced away.  oneDNN back-propagates through it and it
  costs well under half of the sub-pixel form (1.4 vs 3.4 ms forward+backward at
  (40, 16, 14, 14) → (40, 1, 28, 28)).  Building the two-channel weight inside the graph (by
  concatenating zeros or the weight itself) crashes MXNet 1.9.1, so the layer's real ``weight``
  parameter is two-channel, ``(C_in, 2, kh, kw)`` (:class:`WidenedParameter`); what is saved,
  loaded and checkpointed is the contract's one-channel ``(C_in, 1, kh, kw)`` (``set_data`` and
  loading accept it too), and it is initialized exactly as the one-channel weight would be.
* :class:`Conv2DTranspose`: the sub-pixel convolution below; it keeps a one-channel weight, so it
  serves layers that share their parameters with another block (``params=...``).
"""
from __future__ import annotations

import os

import mxnet as mx
from mxnet import autograd
from mxnet.gluon import Parameter, nn


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

    #: compute every channel count with convolutions (set by ``make_onednn_safe(..., reused=True)``)
    via_convolution = False

    def hybrid_forward(self, F, x, weight, bias=None):
        if not (self._channels == 1 or self.via_convolution) or not _convertible(self):
            return super().hybrid_forward(F, x, weight, bias)
        out = _via_convolution(F, self, x, weight, bias, self._channels)
        if self.act is not None:
            out = self.act(out)
        return out


def _via_convolution(F, layer, x, weight, bias, num_filter: int):
    kw = layer._kwargs
    return deconvolution_via_convolution(
        F, x, weight, bias,
        kernel=tuple(kw["kernel"]), stride=tuple(kw["stride"]), pad=tuple(kw["pad"]),
        adj=tuple(kw.get("adj") or (0, 0)), num_filter=num_filter, no_bias=bias is None,
    )


class WidenedParameter(Parameter):
    """A transposed-convolution weight stored with two output channels ``(C_in, 2, kh, kw)`` for a
    layer that has one; channel 1 is never read (its gradient is zero).

    * initialization draws the one-channel weight with the initializer's one-channel fan-in (the
      same values a native layer gets); channel 1 holds zeros, so norms, weight decay and
      constraints see exactly the one-channel weight;
    * ``set_data`` and loading accept ``(C_in, 1, kh, kw)`` (channel 1 set to zeros) or the full
      shape;
    * :meth:`narrow_data` is the contract's one-channel weight (a copy).
    """

    def narrow_shape(self):
        shape = self.shape
        return None if shape is None else (shape[0], 1) + tuple(shape[2:])

    @staticmethod
    def _widen(data):
        if data.ndim == 4 and data.shape[1] == 1:
            return mx.nd.concat(data, mx.nd.zeros_like(data), dim=1)
        return data

    def _finish_deferred_init(self):
        if self._deferred_init and self._deferred_init[3] is None:
            init, ctx, default_init, _ = self._deferred_init
            narrow = mx.nd.zeros(self.narrow_shape(), dtype=self.dtype, ctx=mx.cpu())
            with autograd.pause():
                mx.initializer.create(default_init)(mx.initializer.InitDesc(self.name, {"__init__": init}), narrow)
                self._deferred_init = (init, ctx, default_init, self._widen(narrow))
        super()._finish_deferred_init()

    def set_data(self, data):
        super().set_data(self._widen(data))

    def _load_init(self, data, ctx, cast_dtype=False, dtype_source="current"):
        super()._load_init(self._widen(data), ctx, cast_dtype=cast_dtype, dtype_source=dtype_source)

    def narrow_data(self, ctx=None):
        """The one-channel weight ``(C_in, 1, kh, kw)`` (a copy) on ``ctx``."""
        return mx.nd.slice_axis(self.data(ctx), axis=1, begin=0, end=1)


class _NarrowView:
    """How a :class:`WidenedParameter` appears to ``save_parameters``/``load_parameters`` and
    checkpoints: the one-channel shape, reduced and loaded as such."""

    def __init__(self, param: WidenedParameter):
        self._param = param

    @property
    def shape(self):
        return self._param.narrow_shape()

    def _reduce(self):
        return mx.nd.slice_axis(self._param._reduce(), axis=1, begin=0, end=1)

    def _load_init(self, data, ctx, cast_dtype=False, dtype_source="current"):
        self._param._load_init(data, ctx, cast_dtype=cast_dtype, dtype_source=dtype_source)

    def __getattr__(self, name):
        return getattr(self._param, name)


class WideConv2DTranspose(nn.Conv2DTranspose):
    """``gluon.nn.Conv2DTranspose`` with one output channel, computed by the native two-channel
    ``Deconvolution`` (oneDNN back-propagates through it); ``weight`` is a
    :class:`WidenedParameter`.  Build it with :func:`widen` (or :func:`make_onednn_safe`)."""

    def hybrid_forward(self, F, x, weight, bias=None):
        kwargs = dict(self._kwargs, num_filter=2)
        if bias is None:
            out = F.Deconvolution(x, weight, name="fwd", **kwargs)
        else:
            out = F.Deconvolution(x, weight, F.concat(bias, bias, dim=0), name="fwd", **kwargs)
        out = F.slice_axis(out, axis=1, begin=0, end=1)
        if self.act is not None:
            out = self.act(out)
        return out

    def _collect_params_with_prefix(self, prefix=""):
        params = super()._collect_params_with_prefix(prefix)
        return {key: _NarrowView(value) if isinstance(value, WidenedParameter) else value
                for key, value in params.items()}

    def narrow_weight(self, ctx=None):
        """The contract's ``(C_in, 1, kh, kw)`` weight (a copy)."""
        return self.weight.narrow_data(ctx)


def _recast(param: Parameter, cls, shape, convert) -> None:
    """Turn ``param`` into a ``cls`` of ``shape`` *in place*: the same object, so every block,
    ``ParameterDict`` and ``gluon.Trainer`` that already holds it stays valid. ``convert`` maps
    its current values (or values set before a deferred initialization) to the new shape."""
    deferred = param._deferred_init
    values = convert(param._reduce()) if param._data is not None else None
    contexts = param.list_ctx() if param._data is not None else None
    param.__class__ = cls
    param._shape = shape
    if values is not None:
        param._data = param._grad = None
        param._load_init(values, contexts)
        if param._trainer is not None and param._trainer._kv_initialized:
            param._trainer._reset_kvstore()  # its copies have the old shape
    elif deferred and deferred[3] is not None:
        param._deferred_init = deferred[:3] + (convert(deferred[3]),)


def _first_channel(data):
    return mx.nd.slice_axis(data, axis=1, begin=0, end=1)


def widen(layer: nn.Conv2DTranspose) -> WideConv2DTranspose:
    """Switch a one-channel ``Conv2DTranspose`` (in place) to :class:`WideConv2DTranspose`: its
    ``weight`` (the same Parameter object) becomes a :class:`WidenedParameter`, keeping its values
    when the layer was initialized."""
    weight = layer.weight
    shape = None if weight._shape is None else (weight._shape[0], 2) + tuple(weight._shape[2:])
    _recast(weight, WidenedParameter, shape, WidenedParameter._widen)
    layer.__class__ = WideConv2DTranspose
    layer._clear_cached_op()
    return layer


def narrow(layer: WideConv2DTranspose) -> Conv2DTranspose:
    """Undo :func:`widen` (in place): a one-channel ``weight`` again (the same Parameter object),
    computed with convolutions (for a block evaluated twice per graph, see
    :func:`make_onednn_safe`)."""
    weight = layer.weight
    _recast(weight, Parameter, weight.narrow_shape(), _first_channel)
    layer.__class__ = Conv2DTranspose
    layer.via_convolution = True
    layer._clear_cached_op()
    return layer


def contract_shape(param: Parameter):
    """``param``'s shape as the contract sees it: one output channel for a :class:`WidenedParameter`."""
    return param.narrow_shape() if isinstance(param, WidenedParameter) else param.shape


def _shares_parameters(layer) -> bool:
    return layer.params._shared is not None


def make_onednn_safe(block, reused: bool = False) -> int:
    """Route the transposed convolutions inside ``block`` around oneDNN's backward bugs.

    Works in place and only when oneDNN is active. Every single-channel ``Conv2DTranspose``
    becomes a :class:`WideConv2DTranspose` (native two-channel op), or the sub-pixel
    :class:`Conv2DTranspose` when it shares its parameters with another block.

    ``reused=True`` is for a block evaluated more than once in one recorded graph (a GAN's
    discriminator judging a true and a generated batch; an energy-based discriminator is an
    auto-encoder): MXNet 1.9.1's oneDNN crashes (segmentation fault) back-propagating a
    ``Deconvolution`` that appears twice in a graph, whatever its channel count, so every
    transposed convolution of such a block is computed with convolutions (same parameters,
    same values). Returns the number of layers switched.
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
        if type(current) is nn.Conv2DTranspose and _convertible(current) and (current._channels == 1 or reused):
            if reused or _shares_parameters(current):
                current.__class__ = Conv2DTranspose
                current.via_convolution = reused
            else:
                widen(current)
            switched += 1
        elif reused and isinstance(current, WideConv2DTranspose):  # switched earlier, by a model built with it
            narrow(current)
            switched += 1
        elif reused and isinstance(current, Conv2DTranspose) and _convertible(current) and not current.via_convolution:
            current.via_convolution = True
            current._clear_cached_op()
            switched += 1
        stack.extend(getattr(current, "_children", {}).values())
    return switched
