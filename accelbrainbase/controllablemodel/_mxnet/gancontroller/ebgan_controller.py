"""Energy-based GANs (Zhao, Mathieu & LeCun 2016)."""
from __future__ import annotations


from accelbrainbase._mxnet.context import DEFAULT_CTX
from accelbrainbase._mxnet.learner import optimise
from accelbrainbase.computableloss._mxnet.generator_loss import GeneratorLoss
from accelbrainbase.controllablemodel._mxnet.gan_controller import GANController


class EBGANController(GANController):
    """A GAN whose discriminator is an energy (``EBDiscriminativeModel``): the discriminator
    minimises ``EBDiscriminatorLoss`` (low energy for true samples, at least ``margin`` for
    generated ones) and the generator minimises the energy of its samples.

    Same arguments as ``GANController`` without ``generator_loss`` (the generator's loss is the
    energy itself). The log's "posteriors" are mean energies.
    """

    def __init__(self, true_sampler, generative_model, discriminative_model, discriminator_loss,
                 feature_matching_loss=None, optimizer_name="SGD", learning_rate=1e-05, learning_attenuate_rate=1.0,
                 attenuate_epoch=50, hybridize_flag=True, scale=1.0, ctx=DEFAULT_CTX, initializer=None, **kwargs):
        super().__init__(true_sampler, generative_model, discriminative_model, GeneratorLoss(), discriminator_loss,
                         feature_matching_loss=feature_matching_loss, optimizer_name=optimizer_name,
                         learning_rate=learning_rate, learning_attenuate_rate=learning_attenuate_rate,
                         attenuate_epoch=attenuate_epoch, hybridize_flag=hybridize_flag, scale=scale, ctx=ctx,
                         initializer=initializer, **kwargs)

    def train_generator(self):
        """One generator update on the energy of generated samples; returns ``(energy, energy)``."""

        def compute():
            energy = self.judge_generated(self.draw_generated())
            return energy.reshape((-1,))

        energy = optimise(self.generator_trainer, self.generated_rows(), compute, ignore_stale_grad=True)
        mean = energy.mean()
        return self._out(mean, mean)
