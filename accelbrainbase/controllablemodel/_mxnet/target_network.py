"""A frozen copy of a Q-function (the DQN target network) built from its traced graph."""
from __future__ import annotations

import mxnet as mx
from mxnet import gluon


def make_target_network(q_block: gluon.HybridBlock, example, ctx) -> gluon.SymbolBlock:
    """A ``SymbolBlock`` computing ``q_block``'s function with its own copy of the parameters.

    The graph comes from tracing ``q_block`` on ``example`` (any hybridizable block works, whatever
    its architecture); the copy is hybridized and never trained.
    """
    inputs, outputs = q_block._get_graph(example)  # MXNet's tracing entry point (public API has none)
    target = gluon.SymbolBlock(outputs, inputs)
    source = q_block.collect_params()
    for name, param in target.collect_params().items():
        data = source[name].data()
        param.shape = data.shape
        param.initialize(init=mx.init.Zero(), ctx=ctx, force_reinit=True)
        param.set_data(data)
    target.hybridize()
    return target


def sync_target_network(target: gluon.SymbolBlock, q_block: gluon.HybridBlock) -> None:
    """Copy ``q_block``'s current parameters into ``target`` (device copies, no host round trip)."""
    source = q_block.collect_params()
    for name, param in target.collect_params().items():
        source[name].data().copyto(param.data())
