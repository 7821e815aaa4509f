"""GAN on MNIST: a DCGAN-style ``GenerativeModel`` and ``DiscriminativeModel`` trained by
``GANController`` on the MNIST subset (4,000 training digits), judged by a CNN digit classifier.

The classifier (library ``ConvolutionalNeuralNetworks``, trained here on the real training
digits and two copies of them shifted by up to 2 pixels, in a worker process while the GAN trains)
gives two scores:

- the classifier score ``exp(E[KL(p(y|x) || p(y))])`` of generated digits and of real test
  digits (10 is the maximum: confident and class-balanced);
- the Fréchet distance between the classifier's 128 penultimate features of 1,000 generated
  digits and the 1,000 real test digits, next to the same distance between 1,000 real training
  digits (every fourth) and the real test digits (equal sample sizes, so the two are comparable).

Targets (issue 9): classifier test accuracy >= 0.97, generated classifier score >= 7, Fréchet
distance <= 3x the real-vs-real value. A 10x10 grid of samples is written to
``docs/images/gan_mnist_samples.png``.

The players are the shared DCGAN-style networks of ``demo/gan_common.py``, each one layer
deeper than DCGAN's two: the generator (projection 64x7x7, 32 transposed-convolution channels)
has a 3x3 convolution at 14x14 between its transposed convolutions, the discriminator (16/32
channels) a third, 3x3 convolution of 64 channels at 7x7. They play on an 8-number latent space,
trained with Adam (lr 2e-3, beta1 0.5) for 4,000 iterations of one discriminator and one
generator update on batches of 64. Two additions, each a few lines on top of the library: the
discriminator sees the batch's spread (a minibatch standard-deviation plane,
``gan_common.MinibatchStddev``), and ``AveragingGANController`` keeps a running average of the
generator's weights through the engine's ``after_step`` hook; the samples are drawn from the
averaged generator in predict mode (batch-norm running statistics), and the last iterate's
figures are printed next to them. Measured figures (seeds 0-2) and what led here:
docs/adversarial.md.

    python demo/gan_mnist.py [--seed 0] [--iterations 4000] [--k-step 1] [--split-seed N] [--out docs/images]
"""
import os
import sys
import time
from typing import Optional

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))

import accelbrainbase  # noqa: E402,F401
import mxnet as mx  # noqa: E402
import numpy as np  # noqa: E402
from mxnet import autograd  # noqa: E402

from accelbrainbase._mxnet.checks import check_number  # noqa: E402
from accelbrainbase.computableloss._mxnet.discriminator_loss import DiscriminatorLoss  # noqa: E402
from accelbrainbase.computableloss._mxnet.generator_loss import GeneratorLoss  # noqa: E402
from accelbrainbase.controllablemodel._mxnet.gan_controller import GANController  # noqa: E402
from accelbrainbase.iteratabledata._mxnet.array_iterator import ArrayIterator  # noqa: E402
from accelbrainbase.observabledata._mxnet.adversarialmodel.discriminative_model import \
    DiscriminativeModel  # noqa: E402
from accelbrainbase.observabledata._mxnet.adversarialmodel.generative_model import GenerativeModel  # noqa: E402
from accelbrainbase.samplabledata.noisesampler._mxnet.normal_noise_sampler import NormalNoiseSampler  # noqa: E402
from accelbrainbase.samplabledata.true_sampler import TrueSampler  # noqa: E402
from demo.gan_common import (CTX, BackgroundClassifier, classifier_score, demo_arguments,  # noqa: E402
                             discriminator_network, frechet_distance, generator_network, images, load_average,
                             picture_path, save_grid)

BATCH = 64
Z = 64  # the benchmark's latent size (benchmarks/bench_gan.py)
DEMO_Z = 8  # the demo's: a small latent space lowered the Frechet ratio from 4.8 to 3.5 (seed 0)
ITERATIONS = 4000
LEARNING_RATE = 2e-3
G_CHANNELS, PROJECTION, D_CHANNELS = 32, 64, 32
D_THIRD_CHANNELS = 64  # a third (3×3, stride 1) convolution in the discriminator
G_REFINE = True  # a 3×3 convolution between the generator's two transposed ones
AVERAGE_DECAY = 0.995


class AveragingGANController(GANController):
    """A ``GANController`` that also keeps an exponential moving average of the generator's
    weights (Yazıcı et al. 2019), updated by the engine's ``after_step`` hook: after every
    iteration, ``average ← decay · average + (1 − decay) · weights`` (batch-norm running statistics
    included). :meth:`use_average` copies the average into the generator for sampling.

    The game's iterates circle around an equilibrium rather than settle on it; their average lies
    closer to it than any single iterate, so samples from the averaged generator are better than
    those of the last iterate, at no cost to training.
    """

    def __init__(self, *args, average_decay: float = 0.995, **kwargs):
        super().__init__(*args, **kwargs)
        self.average_decay = check_number(average_decay, "average_decay", minimum=0.0, maximum=1.0,
                                          strict_minimum=True, strict_maximum=True)
        self._average = None

    def after_step(self) -> None:
        super().after_step()
        params = self.generative_model.collect_params()
        if self._average is None:
            self._average = {name: param.data().copy() for name, param in params.items()}
            return
        for name, param in params.items():
            average = self._average[name]
            average *= self.average_decay
            average += (1.0 - self.average_decay) * param.data()

    def use_average(self) -> None:
        """Overwrite the generator's weights with their running average (training is over)."""
        if self._average is None:
            raise RuntimeError("use_average() needs at least one training iteration")
        for name, param in self.generative_model.collect_params().items():
            param.set_data(self._average[name])


def build_gan(x_train, seed: int = 0, learning_rate: float = 5e-4, g_channels: int = 64, projection: int = 128,
              d_channels: int = 64, z_dim: int = Z, minibatch_stddev: bool = False,
              average_decay: Optional[float] = None, d_third_channels: int = 0,
              g_refine: bool = False) -> GANController:
    """A GAN of the shared DCGAN-style players, Adam (beta1 0.5), non-saturating generator loss.

    The defaults are the full-width players of benchmarks/bench_gan.py (a plain ``GANController``);
    the demo itself passes its half-width, faster-learning settings, a discriminator that sees the
    batch's spread and an averaged generator (``demo_gan``)."""
    mx.random.seed(seed)
    sampler = TrueSampler()
    sampler.iteratorable_data = ArrayIterator(x_train, epochs=10 ** 6, batch_size=BATCH, ctx=CTX, seed=seed)
    generator = GenerativeModel(NormalNoiseSampler(shape_tuple=(BATCH, z_dim), ctx=CTX),
                                generator_network(z_dim, g_channels, projection, refine=g_refine), ctx=CTX)
    discriminator = DiscriminativeModel(discriminator_network(d_channels, minibatch_stddev=minibatch_stddev,
                                                              third_channels=d_third_channels), ctx=CTX)
    options = dict(optimizer_name="adam", learning_rate=learning_rate, optimizer_params={"beta1": 0.5},
                   attenuate_epoch=100, ctx=CTX, initializer=mx.init.Normal(0.02))
    if average_decay is None:
        return GANController(sampler, generator, discriminator, GeneratorLoss(), DiscriminatorLoss(), **options)
    return AveragingGANController(sampler, generator, discriminator, GeneratorLoss(), DiscriminatorLoss(),
                                  average_decay=average_decay, **options)


def demo_gan(x_train, seed: int = 0) -> AveragingGANController:
    """The demo's GAN: a half-width generator with a 3×3 refining convolution, a three-convolution
    discriminator, an 8-number latent space, Adam lr 2e-3, a minibatch standard-deviation plane in
    the discriminator and a weight-averaged generator (see the module docstring)."""
    return build_gan(x_train, seed=seed, learning_rate=LEARNING_RATE, g_channels=G_CHANNELS, projection=PROJECTION,
                     d_channels=D_CHANNELS, z_dim=DEMO_Z, minibatch_stddev=True, average_decay=AVERAGE_DECAY,
                     d_third_channels=D_THIRD_CHANNELS, g_refine=G_REFINE)


def generate(generative_model, n: int) -> np.ndarray:
    """``n`` samples in predict mode (batch-norm running statistics)."""
    out = []
    with autograd.predict_mode():
        while sum(len(o) for o in out) < n:
            out.append(generative_model.draw().asnumpy())
    return np.concatenate(out)[:n]


def sampled(generative_model, n: int = 1000, seed: int = 1) -> np.ndarray:
    """The ``n`` samples every figure is computed on (the same noise for a given ``seed``)."""
    mx.random.seed(seed)
    return generate(generative_model, n)


def scores(classifier, generated, x_train, x_test):
    real_test_features = classifier.features(x_test)
    return {
        "score_generated": classifier_score(classifier.probabilities(generated)),
        "score_real_test": classifier_score(classifier.probabilities(x_test)),
        "frechet_generated": frechet_distance(classifier.features(generated), real_test_features),
        "frechet_real": frechet_distance(classifier.features(x_train[::4]), real_test_features),
    }


def main():
    args = demo_arguments(__doc__, iterations=ITERATIONS, configure=lambda parser: parser.add_argument(
        "--split-seed", type=int, default=None,
        help="a random stratified 400/100 split of each digit drawn from this seed instead of the fixed one"))
    seed = args.seed
    started = time.perf_counter()
    x_train, y_train, x_test, y_test = images(args.split_seed)
    judge = BackgroundClassifier(args.classifier_epochs, args.split_seed)  # trains beside the GAN

    t = time.perf_counter()
    gan = demo_gan(x_train, seed=seed)
    gan.learn(iter_n=args.iterations, k_step=args.k_step)
    gan_seconds = time.perf_counter() - t
    d_posterior = gan.loss_history.step_column("true_posterior")
    g_posterior = gan.loss_history.step_column("discriminator_posterior")
    print("GAN (seed %d): %d iterations (k_step=%d) in %.0f s (%.1f ms/iteration); last 100: D(real) %.2f, "
          "D(G(z)) %.2f"
          % (seed, args.iterations, args.k_step, gan_seconds, 1000 * gan_seconds / args.iterations,
             d_posterior[-100:].mean(), g_posterior[-100:].mean()))

    classifier = judge.result()
    last = scores(classifier, sampled(gan.generative_model), x_train, x_test)
    gan.use_average()
    generated = sampled(gan.generative_model)
    result = scores(classifier, generated, x_train, x_test)
    print("classifier score: generated %.2f (last iterate %.2f), real test %.2f (target: generated >= 7)"
          % (result["score_generated"], last["score_generated"], result["score_real_test"]))
    print("Fréchet distance (classifier features) to real test digits: generated %.2f (last iterate %.2f), "
          "real train %.2f (ratio %.2f, last iterate %.2f; target <= 3)"
          % (result["frechet_generated"], last["frechet_generated"], result["frechet_real"],
             result["frechet_generated"] / result["frechet_real"], last["frechet_generated"] / last["frechet_real"]))
    path = save_grid(generated, picture_path(args.out, "gan_mnist_samples", args.changed))
    print("samples: %s" % os.path.relpath(path))
    print("total %.0f s; %s" % (time.perf_counter() - started, load_average()))


if __name__ == "__main__":
    main()
