"""EncDec-AD anomaly scores from reconstruction errors (Malhotra et al., 2016).

Workflow: train an ``EncoderDecoder`` on normal sequences; on a second set of *normal*
validation sequences compute reconstruction errors and :meth:`AnomalyScorer.fit` them; score
new sequences with :meth:`AnomalyScorer.score`; pick the alarm threshold on validation scores
with :func:`select_threshold`.

Scores (one per sequence ``(T, D)``):

* ``method="mahalanobis"``, ``level="point"`` (default, as in the paper): the error vector of a
  time step, ``e_t = |x_t - x'_t|`` (``D`` values), is modelled as ``N(mu, Sigma)`` fitted on the
  validation errors; the step's score is ``(e_t - mu)^T Sigma^-1 (e_t - mu)`` and the sequence's
  score is the largest step score.
* ``method="mahalanobis"``, ``level="sequence"``: the whole window's error vector (``T * D``
  values) is one Gaussian sample; this also learns *where* in a window errors are normally
  large (e.g. at heart-beat peaks), but needs more validation windows than ``T * D`` (the
  covariance is shrunk toward its diagonal by ``shrinkage`` to stay invertible).
* ``method="mse"``: the mean squared reconstruction error of the sequence (no fitting needed).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Union

import mxnet as mx
import numpy as np
from numpy.typing import ArrayLike

from accelbrainbase._mxnet.checks import check_int, check_number, check_rank

if TYPE_CHECKING:  # annotations only
    from accelbrainbase._mxnet.learner import Learner

#: ``(N, T, D)`` sequences as a numpy array, an NDArray or anything ``numpy.asarray`` takes
SequenceArray = Union[ArrayLike, mx.nd.NDArray]

METHODS = ("mahalanobis", "mse")
LEVELS = ("point", "sequence")


def reconstruct(model: "Learner", sequences: SequenceArray, batch_size: int = 256) -> np.ndarray:
    """``model.inference`` over ``sequences`` ``(N, T, D)`` in batches; returns numpy ``(N, T, D')``."""
    check_int(batch_size, "batch_size", minimum=1)
    if isinstance(sequences, mx.nd.NDArray):
        sequences = sequences.asnumpy()
    sequences = np.asarray(sequences, dtype=np.float32)
    check_rank(sequences.shape, 3, "sequences", "sequences, time, features")
    parts = [model.inference(sequences[i:i + batch_size]).asnumpy() for i in range(0, len(sequences), batch_size)]
    return np.concatenate(parts)


def reconstruction_errors(model: "Learner", sequences: SequenceArray, batch_size: int = 256) -> np.ndarray:
    """``|x - model(x)|`` for ``sequences`` ``(N, T, D)``; returns ``(N, T, D)``."""
    if isinstance(sequences, mx.nd.NDArray):
        sequences = sequences.asnumpy()
    sequences = np.asarray(sequences, dtype=np.float32)
    recon = reconstruct(model, sequences, batch_size)
    if recon.shape != sequences.shape:
        raise ValueError("the model reconstructs shape %s for sequences of shape %s; build the decoder with "
                         "output_n equal to the number of features." % (recon.shape, sequences.shape))
    return np.abs(sequences - recon)


class AnomalyScorer:
    """Per-sequence anomaly scores from reconstruction errors.

    Args:
        method: ``"mahalanobis"`` (fitted on normal errors) or ``"mse"``.
        level: ``"point"`` (Gaussian over each step's ``D`` errors, sequence score = max over
            steps) or ``"sequence"`` (Gaussian over the window's ``T * D`` errors).
        shrinkage: weight in [0, 1) of the diagonal target the covariance is shrunk toward.
    """

    def __init__(self, method: str = "mahalanobis", level: str = "point", shrinkage: float = 0.05) -> None:
        if method not in METHODS:
            raise ValueError("method must be one of %s, got %r." % (METHODS, method))
        if level not in LEVELS:
            raise ValueError("level must be one of %s, got %r." % (LEVELS, level))
        self.method, self.level = method, level
        self.shrinkage = check_number(shrinkage, "shrinkage", minimum=0.0, maximum=0.999)
        self.mean: Optional[np.ndarray] = None
        self.precision: Optional[np.ndarray] = None

    def _vectors(self, errors, name: str) -> np.ndarray:
        errors = np.asarray(errors, dtype=np.float64)
        check_rank(errors.shape, 3, name, "sequences, time, features")
        if self.level == "point":
            return errors.reshape(-1, errors.shape[2])
        return errors.reshape(errors.shape[0], -1)

    def fit(self, errors: ArrayLike) -> "AnomalyScorer":
        """Fit ``N(mu, Sigma)`` on the errors ``(N, T, D)`` of normal validation sequences."""
        if self.method == "mse":
            return self
        vectors = self._vectors(errors, "errors")
        if len(vectors) < 2:
            raise ValueError("errors must hold at least 2 error vectors to fit a covariance.")
        self.mean = vectors.mean(axis=0)
        cov = np.atleast_2d(np.cov(vectors, rowvar=False))
        diagonal = np.diag(np.diag(cov)) + 1e-12 * np.eye(len(cov))
        self.precision = np.linalg.pinv((1.0 - self.shrinkage) * cov + self.shrinkage * diagonal)
        return self

    def score(self, errors: ArrayLike) -> np.ndarray:
        """One anomaly score per sequence of ``errors`` ``(N, T, D)``; returns ``(N,)``."""
        errors = np.asarray(errors, dtype=np.float64)
        if self.method == "mse":
            check_rank(errors.shape, 3, "errors", "sequences, time, features")
            return (errors ** 2).mean(axis=(1, 2))
        if self.precision is None:
            raise ValueError("AnomalyScorer.score needs fit() on normal validation errors first.")
        vectors = self._vectors(errors, "errors")
        if vectors.shape[1] != len(self.mean):
            raise ValueError("errors have %d values per vector, the scorer was fitted on %d."
                             % (vectors.shape[1], len(self.mean)))
        centred = vectors - self.mean
        distance = np.einsum("ij,jk,ik->i", centred, self.precision, centred)
        if self.level == "point":
            return distance.reshape(errors.shape[0], errors.shape[1]).max(axis=1)
        return distance


def roc_auc(scores: ArrayLike, labels: ArrayLike) -> float:
    """Area under the ROC curve of ``scores`` for binary ``labels`` (1 = anomalous); ties count half."""
    from scipy.stats import rankdata

    scores, labels = np.asarray(scores, dtype=np.float64), np.asarray(labels).astype(bool)
    n_pos, n_neg = int(labels.sum()), int((~labels).sum())
    if n_pos == 0 or n_neg == 0:
        raise ValueError("labels must contain both classes.")
    ranks = rankdata(scores)
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def select_threshold(normal_scores: ArrayLike, anomalous_scores: Optional[ArrayLike] = None, beta: float = 1.0,
                     quantile: float = 0.99) -> float:
    """Alarm threshold from validation scores (a score above it is an anomaly).

    Args:
        normal_scores: scores of normal validation sequences.
        anomalous_scores: scores of known anomalous validation sequences, or ``None``.
        beta: with anomalous scores, the threshold maximises F-beta (precision weighs more
            when ``beta < 1``; the paper used ``beta < 1``).
        quantile: without anomalous scores, the ``quantile`` of the normal scores.
    """
    normal = np.asarray(normal_scores, dtype=np.float64).ravel()
    if normal.size == 0:
        raise ValueError("normal_scores must not be empty.")
    if anomalous_scores is None:
        return float(np.quantile(normal, check_number(quantile, "quantile", minimum=0.0, maximum=1.0)))
    anomalous = np.asarray(anomalous_scores, dtype=np.float64).ravel()
    if anomalous.size == 0:
        raise ValueError("anomalous_scores must not be empty (or None).")
    beta2 = check_number(beta, "beta", minimum=0.0, strict_minimum=True) ** 2
    candidates = np.unique(np.concatenate([normal, anomalous]))
    tp = anomalous.size - np.searchsorted(np.sort(anomalous), candidates, side="right")
    fp = normal.size - np.searchsorted(np.sort(normal), candidates, side="right")
    useful = tp > 0
    if not useful.any():
        return float(normal.max())
    tp, fp, candidates = tp[useful].astype(float), fp[useful].astype(float), candidates[useful]
    precision, recall = tp / (tp + fp), tp / anomalous.size
    f = (1 + beta2) * precision * recall / (beta2 * precision + recall)
    return float(candidates[int(np.argmax(f))])
