"""Per-sample L2 (root-mean-square) reconstruction loss."""
from __future__ import annotations

from mxnet.gluon.loss import Loss, _apply_weighting

from accelbrainbase.computable_loss import ComputableLoss

_EPSILON = 1e-12  # keeps the gradient of sqrt finite when a sample is reconstructed exactly


class L2NormLoss(Loss, ComputableLoss):
    """``sqrt(mean((orign - dest)**2))`` over every non-batch axis: one value per sample.

    Works for any rank: (B, D) vectors, (B, C, H, W) images, (B, T, D) sequences (the reference
    averaged over axis 1 only, which for images was an absolute error over one channel).

    Args:
        weight: global scalar weight of the loss.
        batch_axis: the axis that indexes samples.
    """

    def __init__(self, weight=1.0, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F, orign_arr, dest_arr, sample_weight=None):
        dest_arr = F.reshape_like(dest_arr, orign_arr)
        squared = F.square(orign_arr - dest_arr)
        loss = F.sqrt(F.mean(squared, axis=self._batch_axis, exclude=True) + _EPSILON)
        return _apply_weighting(F, loss, self._weight, sample_weight)

    def compute(self, pred_arr, real_arr):
        """Loss of ``pred_arr`` against ``real_arr``, shape (B,)."""
        return self(real_arr, pred_arr)
