"""Energy-based adversarial auto-encoders."""
from __future__ import annotations


from accelbrainbase._mxnet.context import DEFAULT_CTX
from accelbrainbase.computableloss._mxnet.generator_loss import GeneratorLoss
from accelbrainbase.controllablemodel._mxnet.gan_controller import apply_loss
from accelbrainbase.controllablemodel._mxnet.gancontroller.aae_controller import AAEController


class EBAAEController(AAEController):
    """An adversarial auto-encoder whose discriminator is an energy (``EBDiscriminativeModel``
    with ``EBDiscriminatorLoss``): the encoder and decoder minimise the energy of the codes plus
    ``reconstruction_loss(observed, decoded)``.

    Same arguments as ``AAEController`` without ``generator_loss``.
    """

    def __init__(self, true_sampler, generative_model, discriminative_model, discriminator_loss, reconstruction_loss,
                 feature_matching_loss=None, optimizer_name="SGD", learning_rate=1e-05, learning_attenuate_rate=1.0,
                 attenuate_epoch=50, hybridize_flag=True, scale=1.0, ctx=DEFAULT_CTX, initializer=None, **kwargs):
        super().__init__(true_sampler, generative_model, discriminative_model, GeneratorLoss(), discriminator_loss,
                         reconstruction_loss, feature_matching_loss=feature_matching_loss,
                         optimizer_name=optimizer_name, learning_rate=learning_rate,
                         learning_attenuate_rate=learning_attenuate_rate, attenuate_epoch=attenuate_epoch,
                         hybridize_flag=hybridize_flag, scale=scale, ctx=ctx, initializer=initializer, **kwargs)

    def generator_objective(self, generated_arr, observed_arr, decoded_arr):
        """Per-sample energy of the codes + reconstruction."""
        energy = self.judge_generated(generated_arr)
        reconstruction = apply_loss(self.reconstruction_loss, observed_arr, decoded_arr)
        return energy.reshape((-1,)) + reconstruction.reshape((-1,)), energy
