"""An LSTM encoder/decoder as the generator of an adversarial auto-encoder for sequences."""
from __future__ import annotations

from accelbrainbase._mxnet.context import DEFAULT_CTX
from accelbrainbase.observabledata._mxnet.adversarialmodel.generative_model import GenerativeModel
from accelbrainbase.observabledata._mxnet.adversarialmodel.generativemodel._autoencoding import autoencoding_draw
from accelbrainbase.observabledata._mxnet.lstmnetworks.encoder_decoder import EncoderDecoder as _EncDec


class EncoderDecoder(GenerativeModel):
    """``GenerativeModel`` whose ``model`` is the LSTM ``EncoderDecoder`` (``TypeError``
    otherwise). ``draw()`` returns ``(generated, observed, decoded)`` as the convolutional
    variant does: the encoder's code, the observed sequences ``(B, T, D)`` and their
    reconstruction."""

    def __init__(self, noise_sampler, model, initializer=None, condition_sampler=None, conditonal_dim=1,
                 learning_rate=1e-05, optimizer_name="SGD", hybridize_flag=True, scale=1.0, ctx=DEFAULT_CTX,
                 **kwargs):
        if not isinstance(model, _EncDec):
            raise TypeError("model must be an observabledata._mxnet.lstmnetworks.encoder_decoder.EncoderDecoder, "
                            "not %s." % type(model).__name__)
        super().__init__(noise_sampler, model, initializer=initializer, condition_sampler=condition_sampler,
                         conditonal_dim=conditonal_dim, learning_rate=learning_rate, optimizer_name=optimizer_name,
                         hybridize_flag=hybridize_flag, scale=scale, ctx=ctx, **kwargs)

    @property
    def model(self):
        """The LSTM ``EncoderDecoder``."""
        return self.__dict__.get("_model")

    @model.setter
    def model(self, value) -> None:
        if not isinstance(value, _EncDec):
            raise TypeError("model must be an LSTM EncoderDecoder, not %s." % type(value).__name__)
        self._set_model(value)

    def draw(self):
        """``(generated, observed, decoded)``."""
        return autoencoding_draw(self)
