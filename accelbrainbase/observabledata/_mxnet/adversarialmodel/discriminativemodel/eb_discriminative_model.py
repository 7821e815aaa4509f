"""The energy-based discriminator (EBGAN): an auto-encoder whose reconstruction error is the energy."""
from __future__ import annotations

from accelbrainbase.observabledata._mxnet.adversarialmodel.discriminative_model import DiscriminativeModel


class EBDiscriminativeModel(DiscriminativeModel):
    """``D(x) = mean((x - AE(x))²)`` over the non-batch axes, shape ``(B, 1)``: low energy for
    samples the auto-encoder ``model`` reconstructs well (true data), high for the rest.

    Same constructor as ``DiscriminativeModel`` (default initializer
    ``Xavier(gaussian, in, magnitude=1)``). ``model`` is typically a (convolutional)
    auto-encoder whose ``forward_propagation`` reconstructs its input.
    """

    _default_magnitude = 1

    def forward_propagation(self, F, x):
        reconstructed = F.reshape_like(self.model.forward_propagation(F, x), x)
        energy = F.mean(F.square(x - reconstructed), axis=0, exclude=True)
        return F.expand_dims(energy, axis=1)
