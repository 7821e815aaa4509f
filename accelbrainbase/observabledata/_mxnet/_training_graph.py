"""A hybridizable graph for a model's composite training loss.

Models whose loss needs more than ``compute_loss(inference(x), y)`` (penalties on the codes,
a clean and a noised path, two domains, an ELBO) describe the whole loss as one function
``function(F, *inputs) -> (per-sample loss, metric, ...)`` of Gluon's ``F``. A
:class:`TrainingGraph` wraps that function in a ``HybridBlock`` that shares the model's
parameters, so the loss of a training step runs as one cached graph (static shapes) while
``inference`` keeps returning just the model's output.

The graph is not a Gluon child of the model (saved files and structural names are unchanged);
it reads the model's parameters through ``collect_params``.
"""
from __future__ import annotations

from typing import Callable, Sequence, Tuple

import mxnet as mx
from mxnet.gluon.block import HybridBlock

from accelbrainbase._mxnet.learner import HYBRIDIZE_OPTIONS


class TrainingGraph(HybridBlock):
    """``function(F, *inputs)`` as a block over ``owner``'s parameters.

    Args:
        owner: the model whose ``collect_params()`` holds every parameter ``function`` uses.
        function: ``(F, *inputs) -> NDArray | tuple`` written with ``F`` only.
        hybridize_flag: trace it into a cached graph (False: run imperatively, e.g. when a
            user loss cannot take Symbols).
    """

    def __init__(self, owner, function: Callable, hybridize_flag: bool = True) -> None:
        super().__init__(prefix=owner.prefix + "traininggraph_")
        self.__dict__["_owner"] = owner  # not a child: the owner's files stay as they are
        self.__dict__["_function"] = function
        if hybridize_flag:
            self.hybridize(**HYBRIDIZE_OPTIONS)

    def collect_params(self, select=None):
        return self._owner.collect_params(select)

    def hybrid_forward(self, F, *inputs):
        return self._function(F, *inputs)


def batch_count(F, h):
    """The number of rows of ``h`` as a (1,) array (works on Symbols, whose shape is unknown)."""
    return F.sum(F.ones_like(F.slice_axis(F.flatten(h), axis=1, begin=0, end=1)))


def pairwise_cosine(F, h, eps: float = 1e-8):
    """``(mean cos, mean cos²)`` over the ordered pairs ``i != j`` of the rows of ``h`` (B, ...).

    Both are (1,) arrays; the second is the pull-away term of Zhao et al. (2017). The cosines are
    read off the Gram matrix, ``cos_ij = g_ij / ((|h_i| + eps)(|h_j| + eps))``: the scaling is a
    broadcast over the (B, B) matrix rather than over the (B, D) rows, whose backward pass (a
    reduction over D for every row) cost MXNet's CPU kernels more than the rest of the term.
    """
    flat = F.flatten(h)
    gram = F.dot(flat, flat, transpose_b=True)
    squared_norms = F.sum(F.square(flat), axis=1)
    inverse = 1.0 / (F.sqrt(squared_norms) + eps)
    sim = F.broadcast_mul(F.broadcast_mul(gram, F.reshape(inverse, (-1, 1))), F.reshape(inverse, (1, -1)))
    diag = squared_norms * F.square(inverse)  # cos_ii (1 up to eps)
    n = batch_count(F, h)
    pairs = n * (n - 1)
    mean_cos = (F.sum(sim) - F.sum(diag)) / pairs
    mean_cos2 = (F.sum(F.square(sim)) - F.sum(F.square(diag))) / pairs
    return mean_cos, mean_cos2


def per_sample(F, loss):
    """``loss`` averaged over every axis but the first: (B,)."""
    return F.mean(loss, axis=0, exclude=True)


def _as_tuple(outputs):
    """A cached graph returns several outputs as a list; ``optimise`` reads a tuple's first item
    as the loss (a list would mean per-device losses, all back-propagated)."""
    return tuple(outputs) if isinstance(outputs, (list, tuple)) else outputs


class GraphLossMixin:
    """Engine steps for a model whose per-sample loss is ``graph_loss(F, *inputs)``.

    A model lists it before its Gluon base and defines:

    * ``graph_loss(F, *inputs) -> (per-sample loss (B,), metric, ...)``;
    * ``GRAPH_METRIC_NAMES``: the names of the metrics, in the order returned;
    * ``graph_inputs(batch)`` / ``graph_test_inputs(batch)``: the arrays fed to the graph for a
      training tuple and for a test tuple (default ``(x, y)`` and ``(test_x, test_y)``).

    Every training step is one :func:`optimise` call on ``self.trainer`` (or on what
    ``step_trainer()`` returns). Settings baked into the traced graph (penalty weights) call
    ``reset_training_graph()`` when they change.
    """

    GRAPH_METRIC_NAMES: tuple = ()

    def training_graph(self) -> TrainingGraph:
        graph = self.__dict__.get("_training_graph")
        if graph is None:
            hybrid = bool(getattr(self, "hybridize_flag", True)) and self.graph_hybridizable()
            graph = TrainingGraph(self, self.graph_loss, hybridize_flag=hybrid)
            self.__dict__["_training_graph"] = graph
        return graph

    def graph_hybridizable(self) -> bool:
        """True when the graph can be traced (a user ``ComputableLoss`` may not take Symbols)."""
        from mxnet import gluon

        loss = getattr(self, "computable_loss", None)
        return loss is None or isinstance(loss, gluon.loss.Loss)

    def reset_training_graph(self) -> None:
        self.__dict__["_training_graph"] = None

    def graph_inputs(self, batch) -> tuple:
        return batch[0], batch[1]

    def graph_test_inputs(self, batch) -> tuple:
        return batch[2], batch[3]

    def step_trainer(self):
        return self.trainer

    def _graph_result(self, outputs):
        if not isinstance(outputs, (list, tuple)):
            return outputs, {}
        return outputs[0], dict(zip(self.GRAPH_METRIC_NAMES, outputs[1:]))

    def training_step(self, batch: Sequence[mx.nd.NDArray]) -> Tuple[mx.nd.NDArray, dict]:
        from accelbrainbase._mxnet.learner import optimise

        inputs = self.graph_inputs(batch)
        self.batch_size = inputs[0].shape[0]
        graph = self.training_graph()
        outputs = optimise(self.step_trainer(), inputs[0].shape[0], lambda: _as_tuple(graph(*inputs)))
        return self._graph_result(outputs)

    def evaluation_step(self, batch: Sequence[mx.nd.NDArray]) -> Tuple[mx.nd.NDArray, dict]:
        return self._graph_result(self.training_graph()(*self.graph_test_inputs(batch)))
