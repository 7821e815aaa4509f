"""The generator's side of the GAN game."""
from __future__ import annotations

from mxnet import gluon
from mxnet.gluon.loss import _apply_weighting

from accelbrainbase.computableloss._mxnet.discriminator_loss import EPSILON


class GeneratorLoss(gluon.loss.Loss):
    """The generator's loss on the discriminator's posteriors ``D(G(z))`` of generated samples.

    By default the *non-saturating* loss ``-log D(G(z))`` (Goodfellow et al. 2014, section 3):
    it has the same fixed point as the minimax loss ``log(1 - D(G(z)))`` but a strong gradient
    while the discriminator still rejects the generated samples, which is when the generator
    needs one. ``non_saturating=False`` gives the minimax loss ``log(1 - D(G(z)))`` (minimised
    by the generator). The reference's ``log(1 - D(G(z)))`` paired with its sign-flipped
    discriminator left the generator without a gradient (FINDINGS 1).

    Args:
        weight: a global factor, or ``None``.
        batch_axis: the batch axis; the loss is averaged over every other axis → ``(B,)``.
        non_saturating: ``True`` (default) for ``-log D(G(z))``, ``False`` for ``log(1 - D(G(z)))``.
    """

    def __init__(self, weight=None, batch_axis=0, non_saturating=True, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self.non_saturating = bool(non_saturating)

    def hybrid_forward(self, F, generated_posterior_arr, sample_weight=None):
        if self.non_saturating:
            loss = -F.log(generated_posterior_arr + EPSILON)
        else:
            loss = F.log(1.0 - generated_posterior_arr + EPSILON)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return F.mean(loss, axis=self._batch_axis, exclude=True)

    def compute(self, generated_posterior_arr):
        """Same as calling the loss."""
        return self(generated_posterior_arr)
