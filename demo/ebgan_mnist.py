"""Energy-based GAN on MNIST: the GAN demos' DCGAN-style generator against an energy
discriminator (``EBDiscriminativeModel``: the per-pixel reconstruction error of a convolutional
auto-encoder), trained by ``EBGANController`` with the hinge ``EBDiscriminatorLoss``.

- generator: ``gan_common.generator_network`` (z → 128×7×7 → transposed convolutions → 1×28×28);
- energy auto-encoder, without batch norm: two 4×4 stride-2 convolutions (32, then 8 channels,
  ReLU) → two 4×4 stride-2 transposed convolutions (32 channels ReLU, then 1 channel sigmoid);
- margin 0.03 (trained real digits reach an energy of about 0.02; with 0.1, about the energy of
  a blank reconstruction, the discriminator collapsed), Adam lr 5e-4, beta1 0.5.

Figures: the mean energy of the 1,000 real test digits and of 1,000 generated digits (predict
mode), and the classifier score ``exp(E[KL(p(y|x) || p(y))])`` of generated and real test digits
from the GAN demos' CNN digit classifier.

Targets (issue 9): the energy of real test digits is lower than that of generated ones; the
classifier score is reported (no threshold). A 10x10 grid of samples is written to
``docs/images/ebgan_mnist_samples.png``.

    python demo/ebgan_mnist.py [--iterations 1000] [--seed 0] [--k-step 1] [--classifier-epochs 8] [--out docs/images]

(the default of 1,000 iterations is what docs/adversarial.md reports.)
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))

import accelbrainbase  # noqa: E402,F401
import mxnet as mx  # noqa: E402
import numpy as np  # noqa: E402
from mxnet import autograd, nd  # noqa: E402
from mxnet.gluon import nn  # noqa: E402

from accelbrainbase.computableloss._mxnet.discriminatorloss.eb_discriminator_loss import \
    EBDiscriminatorLoss  # noqa: E402
from accelbrainbase.computableloss._mxnet.l2_norm_loss import L2NormLoss  # noqa: E402
from accelbrainbase.controllablemodel._mxnet.gancontroller.ebgan_controller import EBGANController  # noqa: E402
from accelbrainbase.iteratabledata._mxnet.array_iterator import ArrayIterator  # noqa: E402
from accelbrainbase.observabledata._mxnet.adversarialmodel.discriminativemodel.eb_discriminative_model import \
    EBDiscriminativeModel  # noqa: E402
from accelbrainbase.observabledata._mxnet.adversarialmodel.generative_model import GenerativeModel  # noqa: E402
from accelbrainbase.observabledata._mxnet.convolutionalneuralnetworks.convolutional_auto_encoder import \
    ConvolutionalAutoEncoder  # noqa: E402
from accelbrainbase.samplabledata.noisesampler._mxnet.normal_noise_sampler import NormalNoiseSampler  # noqa: E402
from accelbrainbase.samplabledata.true_sampler import TrueSampler  # noqa: E402
from demo.gan_common import (CTX, BackgroundClassifier, _cnn, classifier_score, demo_arguments,  # noqa: E402
                             generator_network, images, load_average, picture_path, save_grid)
from demo.gan_mnist import generate  # noqa: E402

BATCH = 64
Z = 64
SEED = 0
MARGIN = 0.03  # hinge margin on the energy (per-pixel MSE) of generated digits; trained real digits reach ~0.02
CODE = 8  # channels of the energy auto-encoder's 7×7 bottleneck (392 units, half the pixels)


def build_ebgan(x_train, seed: int = SEED, learning_rate: float = 5e-4, margin: float = MARGIN):
    """The demo's EBGAN: Adam (beta1 0.5), constant margin."""
    mx.random.seed(seed)
    sampler = TrueSampler()
    sampler.iteratorable_data = ArrayIterator(x_train, epochs=10 ** 6, batch_size=BATCH, ctx=CTX, seed=seed)
    generator = GenerativeModel(NormalNoiseSampler(shape_tuple=(BATCH, Z), ctx=CTX), generator_network(Z), ctx=CTX)
    energy_autoencoder = ConvolutionalAutoEncoder(
        _cnn([nn.Conv2D(32, 4, strides=2, padding=1), nn.Conv2D(CODE, 4, strides=2, padding=1)], ["relu", "relu"]),
        _cnn([nn.Conv2DTranspose(32, 4, strides=2, padding=1), nn.Conv2DTranspose(1, 4, strides=2, padding=1)],
             ["relu", "sigmoid"]),
        L2NormLoss(), tied_weights_flag=False, ctx=CTX)
    discriminator = EBDiscriminativeModel(energy_autoencoder, ctx=CTX)
    return EBGANController(sampler, generator, discriminator,
                           EBDiscriminatorLoss(margin=margin, margin_decay_rate=1.0), optimizer_name="adam",
                           learning_rate=learning_rate, optimizer_params={"beta1": 0.5}, attenuate_epoch=100,
                           ctx=CTX)


def energies(discriminator, x, batch: int = 500) -> np.ndarray:
    """Per-sample energy (reconstruction MSE of the energy auto-encoder) in predict mode."""
    with autograd.predict_mode():
        return np.concatenate([discriminator.inference(nd.array(x[i:i + batch], ctx=CTX)).asnumpy()[:, 0]
                               for i in range(0, len(x), batch)])


def main():
    args = demo_arguments(__doc__, iterations=1000)
    started = time.perf_counter()
    x_train, y_train, x_test, y_test = images()
    judge = BackgroundClassifier(args.classifier_epochs)  # trains beside the GAN

    t = time.perf_counter()
    ebgan = build_ebgan(x_train, seed=args.seed)
    ebgan.learn(iter_n=args.iterations, k_step=args.k_step)
    seconds = time.perf_counter() - t
    fake_energy = ebgan.loss_history.step_column("generator_posterior")
    print("EBGAN: %d iterations (k_step=%d, margin %.2f, seed %d) in %.0f s (%.1f ms/iteration); "
          "last 100: energy of generated batches %.4f"
          % (args.iterations, args.k_step, MARGIN, args.seed, seconds, 1000 * seconds / args.iterations,
             fake_energy[-100:].mean()))

    mx.random.seed(1)
    generated = generate(ebgan.generative_model, 1000)
    e_real, e_fake = energies(ebgan.discriminative_model, x_test), energies(ebgan.discriminative_model, generated)
    print("energy: real test digits %.4f, generated %.4f (target: real < generated; ratio %.2f); "
          "generated above the real median: %.0f%%"
          % (e_real.mean(), e_fake.mean(), e_real.mean() / e_fake.mean(), 100 * (e_fake > np.median(e_real)).mean()))
    classifier = judge.result()
    print("classifier score: generated %.2f, real test %.2f"
          % (classifier_score(classifier.probabilities(generated)), classifier_score(classifier.probabilities(x_test))))
    path = save_grid(generated, picture_path(args.out, "ebgan_mnist_samples", args.changed))
    print("samples: %s" % os.path.relpath(path))
    print("total %.0f s; %s" % (time.perf_counter() - started, load_average()))


if __name__ == "__main__":
    main()
