"""Sanger's generalized Hebbian algorithm: k outputs, the first k principal components in order."""
from __future__ import annotations

import mxnet as mx
import numpy as np

from accelbrainbase.observabledata._mxnet.hebbiannetworks.oja_rule import OjaRule


class SangerRule(OjaRule):
    """``ΔW = η (yᵀx − tril(yᵀy) W) / B`` on centred batches ``x`` (B, D), ``y = x Wᵀ`` (B, k).

    ``tril`` keeps the lower triangle with the diagonal, so output ``i`` is Oja's rule on the
    input minus what outputs ``0..i-1`` already explain (Gram–Schmidt by learning): row ``i``
    of ``W`` converges to the ``i``-th principal component, with unit length. Components whose
    variances are close converge slowly (the rate is about ``η (λᵢ − λᵢ₊₁)``).

    Arguments are those of :class:`~accelbrainbase.observabledata._mxnet.hebbian_networks.HebbianNetworks`
    (``output_dim`` is ``k``).
    """

    def _decay_matrix(self, y: mx.nd.NDArray) -> mx.nd.NDArray:
        """``tril(yᵀy)`` (k, k)."""
        mask = self.__dict__.get("_tril_mask")
        if mask is None or mask.context != y.context:
            mask = mx.nd.array(np.tril(np.ones((self.output_dim, self.output_dim))), ctx=y.context)
            self.__dict__["_tril_mask"] = mask
        return mx.nd.dot(y, y, transpose_a=True) * mask
