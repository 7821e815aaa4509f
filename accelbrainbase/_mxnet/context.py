"""Resolve the ``ctx`` argument every model, iterator and sampler takes.

The contract's constructors default to ``ctx=mx.gpu()``. Those defaults are all the single
object :data:`DEFAULT_CTX`, so a *default* can be told apart from a GPU the caller asked for:

* the default becomes the first GPU when MXNet sees one, else ``mx.cpu()``;
* an explicit ``mx.gpu(i)`` on a machine without any GPU becomes ``mx.cpu()`` too, with one
  warning: the reference's own notebooks pass ``ctx=mx.gpu()`` explicitly, and they must run
  unchanged on a CPU-only machine;
* an explicit GPU that does not exist on a machine *with* GPUs (``mx.gpu(3)`` on two) raises a
  ``ValueError`` that says so (instead of an ``MXNetError`` deep inside initialization);
* a list/tuple of contexts is kept as a list (data-parallel training splits each batch across
  them with ``gluon.utils.split_and_load``).
"""
from __future__ import annotations

import warnings
from typing import List, Sequence, Union

import mxnet as mx

#: the object used as the ``ctx=mx.gpu()`` default in every contract signature
DEFAULT_CTX = mx.gpu()

ContextLike = Union[mx.Context, Sequence[mx.Context], None]


def gpu_count() -> int:
    """Number of GPUs MXNet can use (0 on CPU-only builds)."""
    try:
        return mx.context.num_gpus()
    except mx.base.MXNetError:  # CPU-only builds may raise instead of returning 0
        return 0


def _resolve_one(ctx, arg_name: str) -> mx.Context:
    if ctx is None or ctx is DEFAULT_CTX:
        return mx.gpu(0) if gpu_count() > 0 else mx.cpu()
    if not isinstance(ctx, mx.Context):
        raise TypeError(
            "%s must be an mxnet.Context (e.g. mx.cpu()) or a list of them, not %s."
            % (arg_name, type(ctx).__name__)
        )
    if ctx.device_type == "gpu":
        n = gpu_count()
        if n == 0:
            _warn_cpu_fallback(arg_name, ctx)
            return mx.cpu()
        if ctx.device_id >= n:
            raise ValueError(
                "%s=%s asks for a GPU, but MXNet sees %d GPU(s) on this machine. Pass "
                "%s=mx.cpu(), or leave %s at its default to use a GPU only when one exists."
                % (arg_name, ctx, n, arg_name, arg_name)
            )
    return ctx


_warned_fallback = False


def _warn_cpu_fallback(arg_name: str, ctx: mx.Context) -> None:
    global _warned_fallback
    if not _warned_fallback:  # once per process: every model and iterator of a notebook asks
        _warned_fallback = True
        warnings.warn("%s=%s asks for a GPU, but MXNet sees none on this machine; using mx.cpu() instead."
                      % (arg_name, ctx), stacklevel=4)


def resolve_ctx(ctx: ContextLike, arg_name: str = "ctx") -> Union[mx.Context, List[mx.Context]]:
    """Return a usable context (or list of contexts) for ``ctx``.

    Args:
        ctx: an ``mx.Context``, a list/tuple of them, ``None`` or the contract default.
        arg_name: the argument's name, used in error messages.
    """
    if isinstance(ctx, (list, tuple)):
        if len(ctx) == 0:
            raise ValueError("%s must not be an empty list of contexts." % arg_name)
        resolved = [_resolve_one(c, arg_name) for c in ctx]
        return resolved[0] if len(resolved) == 1 else resolved
    return _resolve_one(ctx, arg_name)


def ctx_list(ctx) -> List[mx.Context]:
    """``ctx`` (already resolved) as a list."""
    return list(ctx) if isinstance(ctx, (list, tuple)) else [ctx]


def first_ctx(ctx) -> mx.Context:
    """The first context of a resolved ``ctx`` (where single-device data is placed)."""
    return ctx_list(ctx)[0]
