"""The discriminator's side of the GAN game."""
from __future__ import annotations

from mxnet import gluon
from mxnet.gluon.loss import _apply_weighting

from accelbrainbase.computable_loss import ComputableLoss

#: added inside every logarithm so a posterior of exactly 0 or 1 stays finite
EPSILON = 1e-08


class DiscriminatorLoss(gluon.loss.Loss, ComputableLoss):
    """``-[log D(x) + log(1 - D(G(z)))]`` per sample: the binary cross-entropy of a
    discriminator that should call true samples 1 and generated samples 0.

    Minimising it is the discriminator's move of the minimax game (Goodfellow et al. 2014: the
    discriminator *maximises* ``log D(x) + log(1 - D(G(z)))``). The reference returned that
    objective without the minus sign and minimised it, so its discriminator learned to call
    real images fake (FINDINGS 1); here the sign is the game's.

    Args:
        weight: a global factor, or ``None`` (no weighting).
        batch_axis: the batch axis; the loss is averaged over every other axis → ``(B,)``.

    ``hybrid_forward(F, true_posterior_arr, generated_posterior_arr, sample_weight=None)``:
    posteriors in ``(0, 1)`` of true and generated samples, equal shapes.
    """

    def __init__(self, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F, true_posterior_arr, generated_posterior_arr, sample_weight=None):
        loss = -(F.log(true_posterior_arr + EPSILON) + F.log(1.0 - generated_posterior_arr + EPSILON))
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return F.mean(loss, axis=self._batch_axis, exclude=True)

    def compute(self, true_posterior_arr, generated_posterior_arr):
        """Same as calling the loss."""
        return self(true_posterior_arr, generated_posterior_arr)
