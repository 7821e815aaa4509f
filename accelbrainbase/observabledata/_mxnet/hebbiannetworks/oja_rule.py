"""Oja's rule: Hebbian learning whose decay term keeps the weights at unit length by itself."""
from __future__ import annotations

import mxnet as mx

from accelbrainbase.observabledata._mxnet.hebbian_networks import HebbianNetworks


class OjaRule(HebbianNetworks):
    """``ΔW = η (yᵀx − (yᵀy) W) / B`` on centred batches ``x`` (B, D), ``y = x Wᵀ`` (B, k).

    With one output (the default, Oja 1982) the weight vector converges to the first principal
    component of the data, with unit length. With ``k`` outputs this is Oja's subspace rule:
    the rows converge to an orthonormal basis of the span of the first ``k`` components, but
    not to the components themselves (use :class:`SangerRule` for those).

    Arguments are those of :class:`~accelbrainbase.observabledata._mxnet.hebbian_networks.HebbianNetworks`;
    ``learning_rate`` should stay below ``1 / λ₁`` (``λ₁``: the data's largest variance).
    """

    def hebbian_update(self, x: mx.nd.NDArray, y: mx.nd.NDArray, weight: mx.nd.NDArray) -> mx.nd.NDArray:
        """``yᵀx − (yᵀy) W``, shape (k, D) (the step scales it by ``η / B``)."""
        return mx.nd.dot(y, x, transpose_a=True) - mx.nd.dot(self._decay_matrix(y), weight)

    def _decay_matrix(self, y: mx.nd.NDArray) -> mx.nd.NDArray:
        """``yᵀy`` (k, k): every output's decay involves all outputs."""
        return mx.nd.dot(y, y, transpose_a=True)

    def constrain(self, weight: mx.nd.NDArray) -> None:
        """No explicit normalisation: the rule's decay term bounds the weights."""
