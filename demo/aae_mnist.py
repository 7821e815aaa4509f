"""Adversarial auto-encoder (AAE) and energy-based AAE (EBAAE) on MNIST: a convolutional
auto-encoder (the generative ``ConvolutionalAutoEncoder``) whose codes are pushed toward a
standard normal prior by ``AAEController`` (a sigmoid code discriminator) or ``EBAAEController``
(an energy discriminator: the reconstruction error of a small auto-encoder of codes). Both
discriminators see batch statistics (``MinibatchFeatures``): every code is judged together with
its batch's per-dimension mean and standard deviation, so the adversarial game matches the
prior's first two moments in every dimension, not only on average.

- encoder: 1×28×28 → two stride-2 convolutions → ``--z`` linear units (the code);
- decoder: the GAN demos' generator network (dense → 128×7×7 → transposed convolutions → 1×28×28);
- prior: ``NormalTrueSampler`` N(0, 1) of shape (batch, z);
- Adam (lr 1e-3, beta1 0.5), both rates multiplied by ``--decay`` (AAE 0.8, EBAAE 0.84) every 100 iterations: the
  codes' moments oscillate around the prior's while the players move, the decay damps that.

Figures (predict mode): reconstruction MSE before and after training on the 1,000 test digits,
and the first two moments of the codes per dimension (mean over dimensions and worst dimension)
of 1,000 training digits (every 4th: 100 per class; the settings were chosen on these) and of
the 1,000 test digits.

Targets (issue 9): reconstruction MSE <= 0.5x the untrained model's; codes with |mean| < 0.1 and
|std - 1| < 0.1. An image (three pairs of rows test digit / reconstruction, then four rows of
digits decoded from prior samples) is written to ``docs/images/<model>_mnist.png``.

    python demo/aae_mnist.py --model aae|ebaae [--iterations 1500] [--z 8] [--seed 0] [--decay 0.8|0.84]
                             [--no-minibatch-features] [--split-seed N] [--out docs/images]
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
from mxnet.gluon import HybridBlock  # noqa: E402

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
from demo.gan_common import (CTX, changed_settings, discriminator_network, generator_network, images,  # noqa: E402
                             load_average, picture_path, save_grid)

BATCH = 64
#: learning-rate factor every 100 iterations, chosen on seed 0's training-digit codes
DECAY = {"aae": 0.8, "ebaae": 0.84}


def mlp(units, activations):
    return NeuralNetworks(L2NormLoss(), units_list=units, activation_list=activations,
                          dropout_rate_list=[0.0] * len(units), not_init_flag=True, ctx=CTX)


class MinibatchFeatures(HybridBlock):
    """Minibatch features (Salimans et al. 2016; Karras et al. 2018's minibatch standard
    deviation): ``model`` sees every code concatenated with its batch's per-dimension mean and
    (log) standard deviation, ``(B, z) → (B, 3z)``, so a batch whose mean is shifted or whose spread
    is shrunk is told from a prior batch at a glance, not only through single codes. Computed in
    the graph (hybridizes); the discriminator judges true and generated batches separately, so
    the statistics are those of one kind of batch.
    """

    def __init__(self, model, epsilon: float = 1e-6):
        super().__init__()
        self.epsilon = epsilon
        with self.name_scope():
            self.model = model

    def features(self, F, x):
        mean = F.mean(x, axis=0, keepdims=True)
        variance = F.mean(F.square(F.broadcast_sub(x, mean)), axis=0, keepdims=True)
        # on the scale of their sampling error: sqrt(B)·mean and sqrt(2B)·log(std) have standard
        # deviation ≈ 1 for any batch of i.i.d. codes, so a shift or shrink of a fraction of a
        # standard deviation is a deviation of several units, not of a few hundredths
        rows = F.sum(F.ones_like(F.slice_axis(x, axis=1, begin=0, end=1)))
        mean = F.broadcast_mul(mean, F.sqrt(rows))
        log_std = F.broadcast_mul(0.5 * F.log(variance + self.epsilon), F.sqrt(2.0 * rows))
        return F.concat(x, F.broadcast_like(mean, x), F.broadcast_like(log_std, x), dim=1)

    def forward_propagation(self, F, x):
        return self.model.forward_propagation(F, self.features(F, x))

    def hybrid_forward(self, F, x):
        return self.forward_propagation(F, x)


def build(model: str, x_train, z_dim: int = 8, seed: int = 0, learning_rate: float = 1e-3,
          adversarial_weight: float = 1.0, margin: float = 0.5, decay: float = 1.0, batch: int = BATCH,
          minibatch_features: bool = True, hidden: int = 0):
    """The controller (``AAEController`` or ``EBAAEController``) and its generative CAE.

    ``minibatch_features``: the discriminator (AAE) or the energy's code auto-encoder (EBAAE)
    sees each code with its batch's mean and standard deviation (``MinibatchFeatures``).
    ``hidden``: width of the discriminator's hidden layers / of the energy auto-encoder's
    bottleneck (0: 128 / 64)."""
    mx.random.seed(seed)
    wrap = MinibatchFeatures if minibatch_features else (lambda network: network)
    data = TrueSampler()
    data.iteratorable_data = ArrayIterator(x_train, epochs=10 ** 6, batch_size=batch, ctx=CTX, seed=seed)
    observed = ConditionSampler()
    observed.true_sampler = data  # no condition model: the encoder sees the digits themselves
    autoencoder = ConvolutionalAutoEncoder(discriminator_network(64, units=z_dim, output="identity"),
                                           generator_network(z_dim), L2NormLoss(), tied_weights_flag=False, ctx=CTX)
    generator = GenerativeCAE(None, autoencoder, condition_sampler=observed, ctx=CTX)
    prior = NormalTrueSampler(shape_tuple=(batch, z_dim), ctx=CTX)
    options = dict(optimizer_name="adam", learning_rate=learning_rate, optimizer_params={"beta1": 0.5},
                   learning_attenuate_rate=decay, attenuate_epoch=100, ctx=CTX)
    if model == "aae":
        units = hidden or 128
        discriminator = DiscriminativeModel(wrap(mlp([units, units, 1], ["relu", "relu", "sigmoid"])), ctx=CTX)
        controller = AAEController(prior, generator, discriminator, GeneratorLoss(weight=adversarial_weight),
                                   DiscriminatorLoss(), L2NormLoss(), **options)
    else:
        # the energy of a code: reconstruction error of a z → 64 → z auto-encoder of codes
        # (with minibatch features: of a 3z → 64 → z one, which also sees its batch's moments)
        discriminator = EBDiscriminativeModel(wrap(mlp([hidden or 64, z_dim], ["relu", "identity"])), ctx=CTX)
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
    parser.add_argument("--iterations", type=int, default=1500)
    parser.add_argument("--k-step", type=int, default=1)
    parser.add_argument("--z", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--adversarial-weight", type=float, default=1.0, help="AAE: weight of the generator loss")
    parser.add_argument("--margin", type=float, default=0.5, help="EBAAE: margin of the energy hinge")
    parser.add_argument("--decay", type=float, default=None,
                        help="learning-rate factor every 100 iterations (default: 0.8 for aae, 0.84 for ebaae)")
    parser.add_argument("--no-minibatch-features", action="store_true",
                        help="the discriminator judges single codes (the construction before minibatch features)")
    parser.add_argument("--split-seed", type=int, default=None,
                        help="train and test on a random stratified 400/100-per-digit split drawn with this "
                             "seed (demo.mnist.mnist_subset) instead of the demos' fixed split")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir,
                                                      "docs", "images"))
    args = parser.parse_args()
    changed = changed_settings(parser, args, keep=("out", "model"))  # before the defaults filled in below
    if args.decay is None:
        args.decay = DECAY[args.model]
    os.environ.setdefault("ACCELBRAINBASE_PROGRESS", "0")
    started = time.perf_counter()
    x_train, _, x_test, _ = images(args.split_seed)

    controller, generator = build(args.model, x_train, args.z, args.seed, args.learning_rate,
                                  args.adversarial_weight, args.margin, args.decay,
                                  minibatch_features=not args.no_minibatch_features)
    autoencoder = generator.model
    _, decoded = encode_decode(autoencoder, x_test)
    untrained = float(((decoded - x_test) ** 2).mean())

    t = time.perf_counter()
    controller.learn(iter_n=args.iterations, k_step=args.k_step)
    seconds = time.perf_counter() - t
    d_post = controller.loss_history.step_column("discriminator_posterior")[-100:].mean()
    g_post = controller.loss_history.step_column("generator_posterior")[-100:].mean()
    what = "D(codes)" if args.model == "aae" else "energy(codes)"
    print("%s: %d iterations (k_step=%d, z=%d, seed %d, minibatch features %s) in %.0f s (%.1f ms/iteration); "
          "last 100: %s %.3f / %.3f" % (args.model.upper(), args.iterations, args.k_step, args.z, args.seed,
                                        "off" if args.no_minibatch_features else "on", seconds,
                                        1000 * seconds / args.iterations, what, d_post, g_post))

    codes, decoded = encode_decode(autoencoder, x_test)
    trained = float(((decoded - x_test) ** 2).mean())
    print("test reconstruction MSE: untrained %.4f -> trained %.4f (ratio %.3f, target <= 0.5)"
          % (untrained, trained, trained / untrained))
    # the subset is sorted by class: every 4th training digit gives 100 of each class
    for what, x in (("training digits (settings chosen on these)", x_train[::4]), ("test digits", x_test)):
        c = codes if x is x_test else encode_decode(autoencoder, x)[0]
        mean, std = c.mean(axis=0), c.std(axis=0)
        print("codes of %d %s: mean |mean| %.3f (worst %.3f), mean |std - 1| %.3f (worst %.3f; std %.2f..%.2f) "
              "(target |mean| < 0.1, |std - 1| < 0.1)"
              % (len(x), what, np.abs(mean).mean(), np.abs(mean).max(), np.abs(std - 1).mean(),
                 np.abs(std - 1).max(), std.min(), std.max()))
        print("  per dimension: mean %s; std %s"
              % (np.array2string(mean, precision=2), np.array2string(std, precision=2)))

    mx.random.seed(1)
    with autograd.predict_mode():
        samples = autoencoder.decoder(nd.random.normal(shape=(40, args.z), ctx=CTX)).asnumpy()
    pairs = np.concatenate([np.stack([x_test[np.arange(10) * 100 + k], decoded[np.arange(10) * 100 + k]])
                            for k in range(3)])  # one digit of each class per row pair
    path = save_grid(np.concatenate([pairs.reshape(-1, 1, 28, 28), samples]),
                     picture_path(args.out, "%s_mnist" % args.model, changed))
    print("image: %s" % os.path.relpath(path))
    print("total %.0f s (CPU %.0f s); %s" % (time.perf_counter() - started, time.process_time(), load_average()))


if __name__ == "__main__":
    main()
