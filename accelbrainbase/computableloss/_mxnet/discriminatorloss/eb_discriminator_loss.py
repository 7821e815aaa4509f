"""The energy-based discriminator's hinge loss (EBGAN)."""
from __future__ import annotations

from mxnet.gluon.loss import _apply_weighting

from accelbrainbase._mxnet.checks import check_int, check_number
from accelbrainbase.computableloss._mxnet.discriminator_loss import DiscriminatorLoss


class EBDiscriminatorLoss(DiscriminatorLoss):
    """``E(x) + max(0, margin - E(G(z)))`` per sample (Zhao, Mathieu & LeCun 2016): the
    discriminator lowers the energy of true samples and raises that of generated ones until it
    exceeds ``margin``. This sign is already the game's, so it matches the reference.

    Args:
        weight: a global factor, or ``None``.
        batch_axis: the batch axis.
        margin: the hinge margin ``m > 0``.
        margin_decay_rate: the margin is multiplied by this every ``margin_decay_epoch`` calls.
        margin_decay_epoch: calls between decays (>= 1).

    ``epoch`` counts the calls. The margin is Python state changed per call, so this loss runs
    imperatively (it is never hybridized).
    """

    def __init__(self, weight=None, batch_axis=0, margin=1.0, margin_decay_rate=0.1, margin_decay_epoch=50,
                 **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self.margin = check_number(margin, "margin", minimum=0.0)
        self.margin_decay_rate = check_number(margin_decay_rate, "margin_decay_rate", minimum=0.0)
        self.margin_decay_epoch = check_int(margin_decay_epoch, "margin_decay_epoch", minimum=1)
        self.epoch = 0

    def hybridize(self, active=True, **kwargs):
        """No-op: the margin changes between calls, so a cached graph would freeze it."""

    def hybrid_forward(self, F, true_posterior_arr, generated_posterior_arr, sample_weight=None):
        loss = true_posterior_arr + F.relu(self.margin - generated_posterior_arr)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        self.epoch += 1
        if self.epoch % self.margin_decay_epoch == 0:
            self.margin *= self.margin_decay_rate
        return F.mean(loss, axis=self._batch_axis, exclude=True)
