"""Adversarial auto-encoders (Makhzani et al. 2015)."""
from __future__ import annotations

from mxnet import autograd, gluon

from accelbrainbase._mxnet.context import DEFAULT_CTX
from accelbrainbase._mxnet.learner import optimise
from accelbrainbase.computable_loss import ComputableLoss
from accelbrainbase.controllablemodel._mxnet.gan_controller import GANController, _check_array, apply_loss


class AAEController(GANController):
    """An auto-encoder whose codes are pushed toward a prior by a discriminator.

    ``true_sampler`` draws from the prior ``p(z)`` (e.g. ``NormalTrueSampler``); the generative
    model is an auto-encoding one (the generative ``ConvolutionalAutoEncoder`` or
    ``EncoderDecoder``) whose ``draw()`` returns ``(generated, observed, decoded)``: the codes,
    the observed batch and its reconstruction. The discriminator tells prior samples from codes;
    the generator (the encoder and decoder) minimises
    ``generator_loss(D(codes)) + reconstruction_loss(observed, decoded)``.

    Args:
        reconstruction_loss: a gluon ``Loss`` or ``ComputableLoss`` of ``(observed, decoded)``,
            e.g. ``L2NormLoss()``.
        Other arguments as in ``GANController``.
    """

    _UNREGISTERED = GANController._UNREGISTERED | {"reconstruction_loss"}

    def __init__(self, true_sampler, generative_model, discriminative_model, generator_loss, discriminator_loss,
                 reconstruction_loss, feature_matching_loss=None, optimizer_name="SGD", learning_rate=1e-05,
                 learning_attenuate_rate=1.0, attenuate_epoch=50, hybridize_flag=True, scale=1.0, ctx=DEFAULT_CTX,
                 initializer=None, **kwargs):
        self.reconstruction_loss = reconstruction_loss
        super().__init__(true_sampler, generative_model, discriminative_model, generator_loss, discriminator_loss,
                         feature_matching_loss=feature_matching_loss, optimizer_name=optimizer_name,
                         learning_rate=learning_rate, learning_attenuate_rate=learning_attenuate_rate,
                         attenuate_epoch=attenuate_epoch, hybridize_flag=hybridize_flag, scale=scale, ctx=ctx,
                         initializer=initializer, **kwargs)

    @property
    def reconstruction_loss(self):
        """The reconstruction loss of ``(observed, decoded)``."""
        return self.__dict__.get("_reconstruction_loss")

    @reconstruction_loss.setter
    def reconstruction_loss(self, value) -> None:
        if not isinstance(value, (gluon.loss.Loss, ComputableLoss)):
            raise TypeError("reconstruction_loss must be a gluon Loss or a ComputableLoss, not %s."
                            % type(value).__name__)
        self.__dict__["_reconstruction_loss"] = value

    def draw_generated_tuple(self):
        """``(generated, observed, decoded)`` from the generative model (``TypeError`` otherwise)."""
        drawn = self.generative_model.draw()
        if not isinstance(drawn, tuple) or len(drawn) != 3:
            raise TypeError("%s needs a generative model whose draw() returns (generated, observed, decoded), "
                            "e.g. the generative ConvolutionalAutoEncoder; %s.draw() returned %s."
                            % (type(self).__name__, type(self.generative_model).__name__, type(drawn).__name__))
        self.__dict__["_generated_rows"] = drawn[0].shape[0]
        return drawn

    def draw_generated(self):
        """The codes (first item of the generative model's draw)."""
        return self.draw_generated_tuple()[0]

    def check_compatibility(self) -> None:
        owner = type(self).__name__
        with autograd.predict_mode():
            true_arr = self.draw_true()
            generated_arr, observed_arr, decoded_arr = self.draw_generated_tuple()
        _check_array(true_arr, "%s.true_sampler.draw()" % owner)
        for arr, what in ((generated_arr, "codes"), (observed_arr, "observed batch"), (decoded_arr, "decoded batch")):
            _check_array(arr, "%s: the generative model's %s" % (owner, what))
        if observed_arr.shape != decoded_arr.shape:
            raise ValueError("%s: the generative model reconstructs observed batches %s as %s; the reconstruction "
                             "loss needs equal shapes (mirror the encoder in the decoder)."
                             % (owner, observed_arr.shape, decoded_arr.shape))
        self.check_batches(true_arr, generated_arr)

    def generator_objective(self, generated_arr, observed_arr, decoded_arr):
        """Per-sample generator loss: adversarial term on the codes + reconstruction."""
        posterior = self.judge_generated(generated_arr)
        adversarial = apply_loss(self.generator_loss, posterior)
        reconstruction = apply_loss(self.reconstruction_loss, observed_arr, decoded_arr)
        return adversarial.reshape((-1,)) + reconstruction.reshape((-1,)), posterior

    def train_generator(self):
        """One update of the encoder and decoder; returns ``(loss, mean posterior of the codes)``."""
        def compute():
            return self.generator_objective(*self.draw_generated_tuple())

        loss, posterior = optimise(self.generator_trainer, self.generated_rows(), compute, ignore_stale_grad=True)
        return self._out(loss.mean(), posterior.mean())
