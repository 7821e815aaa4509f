"""A convolutional auto-encoder as the generator of an adversarial auto-encoder."""
from __future__ import annotations

from accelbrainbase._mxnet.context import DEFAULT_CTX
from accelbrainbase.observabledata._mxnet.adversarialmodel.generative_model import GenerativeModel
from accelbrainbase.observabledata._mxnet.adversarialmodel.generativemodel._autoencoding import autoencoding_draw
from accelbrainbase.observabledata._mxnet.convolutionalneuralnetworks.convolutional_auto_encoder import (
    ConvolutionalAutoEncoder as _CAE,
)


class ConvolutionalAutoEncoder(GenerativeModel):
    """``GenerativeModel`` whose ``model`` is a ``ConvolutionalAutoEncoder`` (``TypeError``
    otherwise); its encoder is the generator of codes.

    ``draw()`` returns ``(generated, observed, decoded)``: the code of the observed batch (the
    condition appended when the condition sampler has a model), the observed batch itself and
    its reconstruction. The encoder and decoder run through their own (hybridized) blocks.
    """

    def __init__(self, noise_sampler, model, initializer=None, condition_sampler=None, conditonal_dim=1,
                 learning_rate=1e-05, optimizer_name="SGD", hybridize_flag=True, scale=1.0, ctx=DEFAULT_CTX,
                 **kwargs):
        if not isinstance(model, _CAE):
            raise TypeError("model must be an observabledata._mxnet.convolutionalneuralnetworks."
                            "convolutional_auto_encoder.ConvolutionalAutoEncoder, not %s." % type(model).__name__)
        super().__init__(noise_sampler, model, initializer=initializer, condition_sampler=condition_sampler,
                         conditonal_dim=conditonal_dim, learning_rate=learning_rate, optimizer_name=optimizer_name,
                         hybridize_flag=hybridize_flag, scale=scale, ctx=ctx, **kwargs)
        if hybridize_flag and not self.init_deferred_flag:
            self._hybridize_block(model.encoder)
            self._hybridize_block(model.decoder)

    @property
    def model(self):
        """The ``ConvolutionalAutoEncoder``."""
        return self.__dict__.get("_model")

    @model.setter
    def model(self, value) -> None:
        if not isinstance(value, _CAE):
            raise TypeError("model must be a ConvolutionalAutoEncoder, not %s." % type(value).__name__)
        self._set_model(value)

    def draw(self):
        """``(generated, observed, decoded)``."""
        return autoencoding_draw(self)
