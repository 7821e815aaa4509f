"""Export a model's forward pass as MXNet symbol JSON + parameters, for serving."""
from __future__ import annotations

from typing import Sequence, Tuple

import mxnet as mx
from mxnet import gluon

from accelbrainbase._mxnet.checkpoint import atomic_write


def _snapshot_arrays(block) -> list:
    """Attributes holding arrays (e.g. ``feature_points_arr``) that a symbolic pass overwrites."""
    saved, stack, seen = [], [block], set()
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        for key, value in list(vars(current).items()):
            if isinstance(value, (mx.nd.NDArray, mx.sym.Symbol)) and not key.startswith("_cached"):
                saved.append((current, key, value))
        stack.extend(getattr(current, "_children", {}).values())
    return saved


def export_block(block: gluon.HybridBlock, path: str, epoch: int = 0,
                 input_names: Sequence[str] = ("data",)) -> Tuple[str, str]:
    """Trace ``block.forward_propagation`` symbolically and save graph and parameters.

    Tracing calls ``forward_propagation(mx.sym, ...)`` directly, so the block's own
    hybridization state (and its sub-blocks') is left untouched.
    """
    deferred = [name for name, param in block.collect_params().items() if param._deferred_init]
    if deferred:
        raise ValueError(
            "export: parameter shapes are not known yet (%s, ...); call inference() on one batch first."
            % deferred[0])
    inputs = [mx.sym.var(name) for name in input_names]
    saved = _snapshot_arrays(block)
    try:
        with block.name_scope():
            out = block.forward_propagation(mx.sym, *inputs)
    finally:
        for owner, key, value in saved:
            object.__setattr__(owner, key, value)
    if isinstance(out, (list, tuple)):
        out = mx.sym.Group(list(out))
    arg_names = set(out.list_arguments())
    aux_names = set(out.list_auxiliary_states())
    arrays = {}
    for name, param in block.collect_params().items():
        if name in arg_names:
            arrays["arg:%s" % name] = param._reduce()
        elif name in aux_names:
            arrays["aux:%s" % name] = param._reduce()
    missing = (arg_names - set(input_names)) - {k[4:] for k in arrays}
    if missing:
        raise ValueError("export: the graph uses parameters the model does not own: %s" % sorted(missing))
    symbol_file = "%s-symbol.json" % path
    params_file = "%s-%04d.params" % (path, epoch)
    atomic_write(symbol_file, lambda tmp: out.save(tmp, remove_amp_cast=True))
    atomic_write(params_file, lambda tmp: mx.nd.save(tmp, arrays))
    return symbol_file, params_file
