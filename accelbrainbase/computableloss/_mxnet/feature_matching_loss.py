"""Feature matching (Salimans et al. 2016): match the mean features of true and generated batches."""
from __future__ import annotations

from typing import Optional

import mxnet as mx
from mxnet import gluon

from accelbrainbase.computable_loss import ComputableLoss


class FeatureMatchingLoss(gluon.loss.Loss, ComputableLoss):
    """``|| mean_b f(x) - mean_b f(G(z)) ||²``: the squared distance between the batch means of
    the discriminator's features of true and generated samples.

    A batch statistic: every sample of the batch gets the same value, shape ``(B,)``. Pass it as
    ``feature_matching_loss`` to a ``GANController``; the controller's feature-matching step
    updates the *generator* with it (the discriminator is held fixed). Any other loss of two
    arrays (e.g. ``L2NormLoss``, as pygan passes) works there too.

    Args:
        weight: a global factor, or ``None``.
        batch_axis: the batch axis (0).
    """

    def __init__(self, weight: Optional[float] = None, batch_axis: int = 0, **kwargs) -> None:
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F, true_feature_arr, generated_feature_arr, sample_weight=None):
        axis = self._batch_axis
        gap = F.mean(true_feature_arr, axis=axis) - F.mean(generated_feature_arr, axis=axis)
        distance = F.sum(F.square(gap))
        if self._weight is not None:
            distance = distance * self._weight
        per_sample = F.mean(generated_feature_arr, axis=axis, exclude=True)
        return F.broadcast_add(F.zeros_like(per_sample), F.reshape(distance, shape=(1,)))

    def compute(self, true_feature_arr: mx.nd.NDArray, generated_feature_arr: mx.nd.NDArray) -> mx.nd.NDArray:
        """Same as calling the loss."""
        return self(true_feature_arr, generated_feature_arr)
