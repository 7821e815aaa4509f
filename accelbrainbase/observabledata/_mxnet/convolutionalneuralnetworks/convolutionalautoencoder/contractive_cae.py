"""Contractive convolutional auto-encoder: reconstruction plus a penalty on the encoder's Jacobian."""
from __future__ import annotations

import mxnet as mx

from accelbrainbase._mxnet.checks import check_number
from accelbrainbase.observabledata._mxnet.convolutionalneuralnetworks.convolutional_auto_encoder import \
    ConvolutionalAutoEncoder


class ContractiveCAE(ConvolutionalAutoEncoder):
    """A ``ConvolutionalAutoEncoder`` whose codes are made insensitive to small input changes.

    The per-sample loss is the reconstruction loss plus ``penalty_lambda * ||J_h(x)||²_F``, the
    squared Frobenius norm of the encoder's Jacobian (Rifai et al. 2011). For a convolutional
    encoder the Jacobian is never formed: ``||J||²_F = E_ε ||J ε||² / σ²`` for ``ε ~ N(0, σ² I)``,
    estimated with one finite difference per sample,
    ``||h(x + ε) - h(x)||² / σ²`` (``σ = penalty_sigma``, default 0.01), which costs one more
    encoder pass and works for any encoder.

    The constructor is the parent's. ``inference`` / ``forward_propagation`` return the
    reconstruction (the reference added a decoded ``h (1 - h)`` term to the output, which is not a
    contractive penalty and changed what the model returns); the penalty is part of the loss
    only, and is recorded per epoch in the history column ``contraction``.

    pygan 1.1.2 imports this class as the auto-encoder of three of its four image generators.
    """

    #: standard deviation of the finite-difference probe
    penalty_sigma = 0.01

    @property
    def penalty_lambda(self) -> float:
        """Weight of the contractive penalty (>= 0; default 1e-05)."""
        return self.__dict__.get("_penalty_lambda", 1e-05)

    @penalty_lambda.setter
    def penalty_lambda(self, value: float) -> None:
        self.__dict__["_penalty_lambda"] = check_number(value, "penalty_lambda", minimum=0.0)

    def contraction(self, observed_arr):
        """Per-sample estimate of ``||J_h(x)||²_F`` for ``observed_arr`` (B, C, H, W) → (B,)."""
        sigma = float(self.penalty_sigma)
        encoded = self._encode(observed_arr)
        probe = mx.nd.random.normal(scale=sigma, shape=observed_arr.shape, ctx=observed_arr.context)
        moved = self._encode(observed_arr + probe)
        return mx.nd.sum(mx.nd.square(moved - encoded), axis=0, exclude=True) / (sigma * sigma)

    def _encode(self, observed_arr):
        return self.encoder(observed_arr)

    def batch_loss(self, x, y):
        pred, loss = super().batch_loss(x, y)
        if self.penalty_lambda > 0:
            contraction = self.contraction(x)
            self.__dict__["_last_contraction"] = contraction
            loss = loss + self.penalty_lambda * contraction
        else:
            self.__dict__["_last_contraction"] = None
        return pred, loss

    def batch_metrics(self, pred, target) -> dict:
        contraction = self.__dict__.get("_last_contraction")
        return {} if contraction is None else {"contraction": contraction.mean()}
