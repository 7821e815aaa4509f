"""Adversarial auto-encoder (AAE) and energy-based AAE (EBAAE) on MNIST: a convolutional
auto-encoder (the generative ``ConvolutionalAutoEncoder``) whose codes are pushed toward a
standard normal prior by ``AAEController`` (a sigmoid code discriminator) or ``EBAAEController``
(an energy discriminator: the reconstruction error of a small auto-encoder of codes).

- encoder: 1×28×28 → two stride-2 convolutions → ``--z`` linear units (the code);
- decoder: the GAN demos' generator network (dense → 128×7×7 → transposed convolutions → 1×28×28);
- prior: ``NormalTrueSampler`` N(0, 1) of shape (batch, z);
- Adam (lr 1e-3, beta1 0.5), both rates multiplied by ``--decay`` (0.9) every 100 iterations: the
  codes' moments oscillate around the prior's while the players move, the decay damps that.

Figures (on the 1,000 test digits, predict mode): reconstruction MSE before and after training,
and the first two moments of the codes per dimension (mean over dimensions and worst dimension).

Targets (issue 9): reconstruction MSE <= 0.5x the untrained model's; codes with |mean| < 0.1 and
|std - 1| < 0.1. An image (three pairs of rows test digit / reconstruction, then four rows of
digits decoded from prior samples) is written to ``docs/images/<model>_mnist.png``.

    python demo/aae_mnist.py --model aae|ebaae [--iterations 2500] [--z 8] [--seed 0] [--decay 0.9] [--out docs/images]
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))

import accelbrainbase  # noqa: E402,F401
import mxnet as mx  # noqa: E402
import numpy as np  # noqa: E402
from mxnet import autograd, nd  # noqa: E402

from accelbrainbase.computableloss._mxnet.discriminator_loss import DiscriminatorLoss  # noqa: E402
from accelbrainbase.computableloss._mxnet.discriminatorloss.eb_discriminator_loss import \
    EBDiscriminatorLoss  # noqa: E402
from accelbrainbase.computableloss._mxnet.generator_loss import GeneratorLoss  # noqa: E402
from accelbrainbase.computableloss._mxnet.l2_norm_loss import L2NormLoss  # noqa: E402
from accelbrainbase.controllablemodel._mxnet.gancontroller.aae_controller import AAEController  # noqa: E402
from accelbrainbase.controllablemodel._mxnet.gancontroller.aaecontroller.ebaae_controller import \
    EBAAEController  # noqa: E402
from accelbrainbase.iteratabledata._mxnet.array_iterator import ArrayIterator  # noqa: E402
from accelbrainbase.observabledata._mxnet.adversarialmodel.discriminative_model import \
    DiscriminativeModel  # noqa: E402
from accelbrainbase.observabledata._mxnet.adversarialmodel.discriminativemodel.eb_discriminative_model import \
    EBDiscriminativeModel  # noqa: E402
from accelbrainbase.observabledata._mxnet.adversarialmodel.generativemodel.convolutional_auto_encoder import \
    ConvolutionalAutoEncoder as GenerativeCAE  # noqa: E402
from accelbrainbase.observabledata._mxnet.convolutionalneuralnetworks.convolutional_auto_encoder import \
    ConvolutionalAutoEncoder  # noqa: E402
from accelbrainbase.observabledata._mxnet.neural_networks import NeuralNetworks  # noqa: E402
from accelbrainbase.samplabledata.condition_sampler import ConditionSampler  # noqa: E402
from accelbrainbase.samplabledata.true_sampler import TrueSampler  # noqa: E402
from accelbrainbase.samplabledata.truesampler._mxnet.normal_true_sampler import NormalTrueSampler  # noqa: E402
from demo.gan_common import (CTX, discriminator_network, generator_network, images, load_average,  # noqa: E402
                             save_grid)

BATCH = 64


def mlp(units, activations):
    return NeuralNetworks(L2NormLoss(), units_list=units, activation_list=activations,
                          dropout_rate_list=[0.0] * len(units), not_init_flag=True, ctx=CTX)


def build(model: str, x_train, z_dim: int = 8, seed: int = 0, learning_rate: float = 1e-3,
          adversarial_weight: float = 1.0, margin: float = 0.5, decay: float = 1.0):
    """The controller (``AAEController`` or ``EBAAEController``) and its generative CAE."""
    mx.random.seed(seed)
    data = TrueSampler()
    data.iteratorable_data = ArrayIterator(x_train, epochs=10 ** 6, batch_size=BATCH, ctx=CTX, seed=seed)
    observed = ConditionSampler()
    observed.true_sampler = data  # no condition model: the encoder sees the digits themselves
    autoencoder = ConvolutionalAutoEncoder(discriminator_network(64, units=z_dim, output="identity"),
                                           generator_network(z_dim), L2NormLoss(), tied_weights_flag=False, ctx=CTX)
    generator = GenerativeCAE(None, autoencoder, condition_sampler=observed, ctx=CTX)
    prior = NormalTrueSampler(shape_tuple=(BATCH, z_dim), ctx=CTX)
    options = dict(optimizer_name="adam", learning_rate=learning_rate, optimizer_params={"beta1": 0.5},
                   learning_attenuate_rate=decay, attenuate_epoch=100, ctx=CTX)
    if model == "aae":
        discriminator = DiscriminativeModel(mlp([128, 128, 1], ["relu", "relu", "sigmoid"]), ctx=CTX)
        controller = AAEController(prior, generator, discriminator, GeneratorLoss(weight=adversarial_weight),
                                   DiscriminatorLoss(), L2NormLoss(), **options)
    else:
        # the energy of a code: reconstruction error of a z → 64 → z auto-encoder of codes
        discriminator = EBDiscriminativeModel(mlp([64, z_dim], ["relu", "identity"]), ctx=CTX)
        controller = EBAAEController(prior, generator, discriminator,
                                     EBDiscriminatorLoss(margin=margin, margin_decay_rate=1.0), L2NormLoss(),
                                     **options)
    return controller, generator


def encode_decode(autoencoder, x, batch: int = 500):
    """Codes and reconstructions of ``x`` in predict mode."""
    codes, decoded = [], []
    with autograd.predict_mode():
        for i in range(0, len(x), batch):
            h = autoencoder.encoder(nd.array(x[i:i + batch], ctx=CTX))
            codes.append(h.asnumpy())
            decoded.append(autoencoder.decoder(h).asnumpy())
    return np.concatenate(codes), np.concatenate(decoded)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=("aae", "ebaae"), default="aae")
    parser.add_argument("--iterations", type=int, default=2500)
    parser.add_argument("--k-step", type=int, default=1)
    parser.add_argument("--z", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--adversarial-weight", type=float, default=1.0, help="AAE: weight of the generator loss")
    parser.add_argument("--margin", type=float, default=0.5, help="EBAAE: margin of the energy hinge")
    parser.add_argument("--decay", type=float, default=0.9, help="learning-rate factor every 100 iterations")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir,
                                                      "docs", "images"))
    args = parser.parse_args()
    os.environ.setdefault("ACCELBRAINBASE_PROGRESS", "0")
    started = time.perf_counter()
    x_train, _, x_test, _ = images()

    controller, generator = build(args.model, x_train, args.z, args.seed, args.learning_rate,
                                  args.adversarial_weight, args.margin, args.decay)
    autoencoder = generator.model
    _, decoded = encode_decode(autoencoder, x_test)
    untrained = float(((decoded - x_test) ** 2).mean())

    t = time.perf_counter()
    controller.learn(iter_n=args.iterations, k_step=args.k_step)
    seconds = time.perf_counter() - t
    d_post = controller.loss_history.step_column("discriminator_posterior")[-100:].mean()
    g_post = controller.loss_history.step_column("generator_posterior")[-100:].mean()
    what = "D(codes)" if args.model == "aae" else "energy(codes)"
    print("%s: %d iterations (k_step=%d, z=%d, seed %d) in %.0f s (%.1f ms/iteration); last 100: %s %.3f / %.3f"
          % (args.model.upper(), args.iterations, args.k_step, args.z, args.seed, seconds,
             1000 * seconds / args.iterations, what, d_post, g_post))

    codes, decoded = encode_decode(autoencoder, x_test)
    trained = float(((decoded - x_test) ** 2).mean())
    print("test reconstruction MSE: untrained %.4f -> trained %.4f (ratio %.3f, target <= 0.5)"
          % (untrained, trained, trained / untrained))
    mean, std = codes.mean(axis=0), codes.std(axis=0)
    print("test codes: mean |mean| %.3f (worst %.3f), mean |std - 1| %.3f (worst %.3f; std %.2f..%.2f) "
          "(target |mean| < 0.1, |std - 1| < 0.1)"
          % (np.abs(mean).mean(), np.abs(mean).max(), np.abs(std - 1).mean(), np.abs(std - 1).max(), std.min(),
             std.max()))
    print("per dimension: mean %s; std %s" % (np.array2string(mean, precision=2), np.array2string(std, precision=2)))

    mx.random.seed(1)
    with autograd.predict_mode():
        samples = autoencoder.decoder(nd.random.normal(shape=(40, args.z), ctx=CTX)).asnumpy()
    pairs = np.concatenate([np.stack([x_test[np.arange(10) * 100 + k], decoded[np.arange(10) * 100 + k]])
                            for k in range(3)])  # one digit of each class per row pair
    path = save_grid(np.concatenate([pairs.reshape(-1, 1, 28, 28), samples]),
                     os.path.join(args.out, "%s_mnist.png" % args.model))
    print("image: %s" % os.path.relpath(path))
    print("total %.0f s; %s" % (time.perf_counter() - started, load_average()))


if __name__ == "__main__":
    main()
