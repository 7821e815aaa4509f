"""The DRCN objective: classification of labelled source data plus reconstruction of target data."""
from __future__ import annotations

from mxnet.gluon.loss import Loss, _apply_weighting

from accelbrainbase._mxnet.checks import check_number
from accelbrainbase.computable_loss import ComputableLoss

_EPSILON = 1e-08


class DRCNLoss(Loss, ComputableLoss):
    """``rc_lambda * classification + (1 - rc_lambda) * reconstruction / 2`` per sample
    (Ghifary et al., 2016, "Deep Reconstruction-Classification Networks").

    ``self(decoded_arr, pred_arr, observed_arr, label_arr)`` returns the 3-tuple
    ``(total, classification, reconstruction)``, each ``(B,)``:

    * classification: cross-entropy of the class scores ``pred_arr`` (B, K) against one-hot
      ``label_arr`` (B, K) (or class indices (B,) with ``sparse_label=True``); the scores are
      logits passed through log-softmax, unless ``from_logits`` says they already are
      log-probabilities; ``log_softmax_flag=False`` uses ``log(softmax + 1e-08)`` instead;
    * reconstruction: the mean over the non-batch axes of ``(observed - decoded) ** 2``
      (``observed_arr`` is reshaped like ``decoded_arr``);
    * ``classification_weight`` / ``reconstruction_weight`` (default: ``weight``) scale each
      part before ``rc_lambda`` mixes them.

    ``grad_clip_threshold > 0`` rescales a part whose L2 norm over the batch exceeds the
    threshold down to it (on the device: no host synchronisation, unlike the reference).
    Everything is written with ``F``, so the loss runs inside hybridized graphs.

    Args:
        axis: the class axis of ``pred_arr``.
        sparse_label: labels are class indices instead of one-hot rows.
        rc_lambda: mixing weight in [0, 1] of the classification part.
        batch_axis: the sample axis.
    """

    def __init__(self, axis=-1, sparse_label=False, rc_lambda=0.75, from_logits=False, log_softmax_flag=True,
                 weight=1.0, classification_weight=None, reconstruction_weight=None, grad_clip_threshold=0.0,
                 batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._axis = axis
        self._sparse_label = sparse_label
        self._rc_lambda = check_number(rc_lambda, "rc_lambda", minimum=0.0, maximum=1.0)
        self._from_logits = from_logits
        self._log_softmax_flag = log_softmax_flag
        self._classification_weight = weight if classification_weight is None else classification_weight
        self._reconstruction_weight = weight if reconstruction_weight is None else reconstruction_weight
        self._grad_clip_threshold = check_number(grad_clip_threshold, "grad_clip_threshold", minimum=0.0)

    @property
    def rc_lambda(self) -> float:
        """Weight of the classification part (the reconstruction part gets ``1 - rc_lambda``)."""
        return self._rc_lambda

    def _clip(self, F, arr):
        if self._grad_clip_threshold <= 0:
            return arr
        norm = F.sqrt(F.sum(F.square(arr)))
        factor = F.minimum(F.ones_like(norm), self._grad_clip_threshold / (norm + _EPSILON))
        return F.broadcast_mul(arr, factor)

    def hybrid_forward(self, F, decoded_arr, pred_arr, observed_arr, label_arr, sample_weight=None):
        if not self._from_logits:
            if self._log_softmax_flag:
                pred_arr = F.log_softmax(pred_arr, axis=self._axis)
            else:
                pred_arr = F.log(F.softmax(pred_arr, axis=self._axis) + _EPSILON)
        if self._sparse_label:
            classification = -F.pick(pred_arr, label_arr, axis=self._axis, keepdims=True)
        else:
            label_arr = F.reshape_like(label_arr, pred_arr)
            classification = -F.sum(pred_arr * label_arr, axis=self._axis, keepdims=True)
        classification = self._clip(F, classification) * (self._classification_weight * self._rc_lambda)
        classification = _apply_weighting(F, classification, None, sample_weight)
        classification = F.mean(classification, axis=self._batch_axis, exclude=True)

        observed_arr = F.reshape_like(observed_arr, decoded_arr)
        reconstruction = F.square(observed_arr - decoded_arr)
        reconstruction = self._clip(F, reconstruction) * (self._reconstruction_weight / 2.0 * (1.0 - self._rc_lambda))
        reconstruction = _apply_weighting(F, reconstruction, None, sample_weight)
        reconstruction = F.mean(reconstruction, axis=self._batch_axis, exclude=True)
        return classification + reconstruction, classification, reconstruction

    def compute(self, decoded_arr, pred_arr, observed_arr, label_arr):
        """``(total, classification, reconstruction)``, each ``(B,)``."""
        return self(decoded_arr, pred_arr, observed_arr, label_arr)
