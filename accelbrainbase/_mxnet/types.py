"""Type aliases for annotations.

``Tensor`` is what a ``hybrid_forward`` receives: an ``NDArray`` when the block runs
imperatively, a ``Symbol`` when it is hybridized. ``F`` is then ``mxnet.nd`` or ``mxnet.sym``
(a module), ``GraphModule``.
"""
from __future__ import annotations

from types import ModuleType
from typing import Union

import mxnet as mx

Tensor = Union[mx.nd.NDArray, mx.sym.Symbol]
GraphModule = ModuleType

__all__ = ["GraphModule", "Tensor"]
