"""Conditional GAN on MNIST: ``GANController`` with a ``GenerativeModel`` whose
``ConditionSampler`` draws digit labels, judged by the CNN digit classifier of demo/gan_mnist.py
(trained, as there, in a worker process while the GAN trains).

How the condition travels (the library's ``GenerativeModel.draw`` with a condition model):

- the condition is a label drawn uniformly from 0..9, as ten one-hot planes ``(B, 10, 28, 28)``
  (``LabelPlaneSampler``, a ``TrueSampler``);
- the condition sampler's ``model`` (``LabelEmbedding``: the planes' corner pixel → a fixed
  Gaussian embedding of ``Z`` numbers per label) turns it into the generator's input, to which the
  noise ``z`` is added;
- the generated digit is returned with its condition planes appended: ``(B, 11, 28, 28)``;
- the true sampler (``ImageLabelSampler``) draws real digits with their own label planes, so the
  discriminator judges whether an image *and its label* are real. By default it is a projection
  discriminator (``ProjectionDiscriminator``: the label's learned embedding is multiplied with the
  digit's features, with a minibatch standard-deviation plane); ``--discriminator planes`` gives
  the DCGAN discriminator with the ten label planes as extra input channels instead.

The generator is trained by ``ModeSeekingGANController``: its loss also rewards two draws with
the same label for differing (``--diversity``, default 1; 0 gives the plain ``GANController``).
Without it the generator draws one digit per label whatever its noise, and whole labels come
out as another digit (docs/adversarial.md).

Target (issue 9): at least 90 % of generated digits are classified as their conditioning label.
Also printed: the classifier score of the generated digits. A grid (row r: digits conditioned on
label r) is written to ``docs/images/cgan_mnist_samples.png``.

    python demo/cgan_mnist.py [--seed 0] [--iterations 3000] [--k-step 1] [--diversity 1.0]
                              [--discriminator projection|planes] [--out docs/images]
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))

import accelbrainbase  # noqa: E402,F401
import mxnet as mx  # noqa: E402
import numpy as np  # noqa: E402
from mxnet import autograd, nd  # noqa: E402
from mxnet.gluon import HybridBlock, nn  # noqa: E402

from accelbrainbase.computableloss._mxnet.discriminator_loss import DiscriminatorLoss  # noqa: E402
from accelbrainbase.computableloss._mxnet.generator_loss import GeneratorLoss  # noqa: E402
from accelbrainbase.controllablemodel._mxnet.gan_controller import GANController, apply_loss  # noqa: E402
from accelbrainbase._mxnet.checks import check_number  # noqa: E402
from accelbrainbase._mxnet.learner import optimise  # noqa: E402
from accelbrainbase.iteratabledata._mxnet.array_iterator import ArrayIterator  # noqa: E402
from accelbrainbase.observabledata._mxnet.adversarialmodel.discriminative_model import \
    DiscriminativeModel  # noqa: E402
from accelbrainbase.observabledata._mxnet.adversarialmodel.generative_model import GenerativeModel  # noqa: E402
from accelbrainbase.samplabledata.condition_sampler import ConditionSampler  # noqa: E402
from accelbrainbase.samplabledata.noisesampler._mxnet.normal_noise_sampler import NormalNoiseSampler  # noqa: E402
from accelbrainbase.samplabledata.true_sampler import TrueSampler  # noqa: E402
from demo.gan_common import (CTX, BackgroundClassifier, MinibatchStddev, classifier_score,  # noqa: E402
                             demo_arguments, discriminator_network, generator_network, images, load_average,
                             picture_path, save_grid)

BATCH = 64
Z = 64
ITERATIONS = 3000
CLASSES = 10


def label_planes(F, one_hot, height: int = 28, width: int = 28):
    """``(B, 10)`` one-hot rows → ``(B, 10, height, width)`` constant planes."""
    return F.broadcast_to(F.reshape(one_hot, (0, 0, 1, 1)), (0, 0, height, width))


class LabelPlaneSampler(TrueSampler):
    """Conditions: uniformly drawn labels as one-hot planes. ``labels`` (an int array of
    ``batch_size``) fixes them instead."""

    def __init__(self, batch_size: int, ctx=CTX):
        self.batch_size = batch_size
        self.ctx = ctx
        self.labels = None

    def draw(self):
        if self.labels is None:
            labels = nd.random.randint(0, CLASSES, shape=(self.batch_size,), ctx=self.ctx)
        elif isinstance(self.labels, nd.NDArray):
            labels = self.labels
        else:
            labels = nd.array(self.labels, ctx=self.ctx)
        return label_planes(nd, nd.one_hot(labels, CLASSES))


class ImageLabelSampler(TrueSampler):
    """True pairs: a batch of real digits with the planes of their own labels, ``(B, 11, 28, 28)``."""

    def draw(self):
        x, one_hot = self.draw_learned_tuple()[:2]
        return nd.concat(x, label_planes(nd, one_hot), dim=1)


class LabelEmbedding(HybridBlock):
    """The condition model: label planes → a fixed ``N(0, 1)`` embedding of ``z_dim`` numbers per
    label (not trained: the generator learns to read it)."""

    def __init__(self, z_dim: int, seed: int = 0):
        super().__init__()
        table = np.random.RandomState(seed).standard_normal((CLASSES, z_dim)).astype(np.float32)
        self.table = self.params.get_constant("table", table)

    def hybrid_forward(self, F, planes, table):
        corner = F.reshape(F.slice(planes, begin=(None, None, 0, 0), end=(None, None, 1, 1)), (0, -1))
        return F.dot(corner, table)


class ProjectionDiscriminator(HybridBlock):
    """A digit with its label planes ``(B, 1 + 10, 28, 28)`` → the probability that the pair is real.

    The label enters through the image's features rather than as ten constant input planes
    (Miyato & Koyama 2018, "cGANs with projection discriminator"): with ``φ(x)`` the features of
    the digit alone (4×4/2 convolution, leaky ReLU → 4×4/2 convolution, batch norm, leaky ReLU →
    ``features`` dense units, leaky ReLU), the logit is ``ψᵀφ(x) + e_yᵀφ(x)``, where ``e_y`` is a
    learned embedding of the label ``y``. A digit that looks real but unlike its label scores low
    through the second term, which input planes only reach through the first layer's biases.

    Args:
        channels: the second convolution's channels (the first has half).
        features: the length of ``φ(x)`` and of each label's embedding.
        minibatch_stddev: append :class:`demo.gan_common.MinibatchStddev`'s plane after the
            convolutions, so that a batch of too-similar digits is told from a real one.
    """

    def __init__(self, channels: int = 64, features: int = 256, minibatch_stddev: bool = True):
        super().__init__()
        with self.name_scope():
            self.body = nn.HybridSequential()
            self.body.add(nn.Conv2D(channels // 2, 4, strides=2, padding=1, in_channels=1), nn.LeakyReLU(0.2),
                          nn.Conv2D(channels, 4, strides=2, padding=1, in_channels=channels // 2),
                          nn.BatchNorm(in_channels=channels), nn.LeakyReLU(0.2))
            if minibatch_stddev:
                self.body.add(MinibatchStddev())
            planes = channels + (1 if minibatch_stddev else 0)
            self.body.add(nn.Dense(features, in_units=planes * 7 * 7), nn.LeakyReLU(0.2))
            self.psi = nn.Dense(1, in_units=features)
            self.label_embedding = nn.Dense(features, use_bias=False, in_units=CLASSES)

    def hybrid_forward(self, F, x):
        digit = F.slice_axis(x, axis=1, begin=0, end=1)
        one_hot = F.reshape(F.slice(x, begin=(None, 1, 0, 0), end=(None, None, 1, 1)), (0, -1))
        phi = self.body(digit)
        projection = F.sum(phi * self.label_embedding(one_hot), axis=1, keepdims=True)
        return F.sigmoid(self.psi(phi) + projection)

    def forward_propagation(self, F, x):
        """What ``DiscriminativeModel`` calls inside its graph."""
        return self.hybrid_forward(F, x)


#: E|z₁ − z₂| for independent N(0, 1) numbers (2/√π): the noise distance of the mode-seeking term
NOISE_DISTANCE = 2.0 / np.sqrt(np.pi)


class ModeSeekingGANController(GANController):
    """``GANController`` whose generator step also rewards two draws with the same label for
    differing (mode-seeking regularisation, Mao et al. 2019).

    In a generator step the batch's second half repeats the first half's labels, so its rows pair
    up as ``G(z₁, y)``, ``G(z₂, y)``; the generator's loss gains
    ``diversity · E|z₁ − z₂| / (mean |G(z₁, y) − G(z₂, y)| + 1e-5)``, with the noise distance at its
    expectation (:data:`NOISE_DISTANCE`). A generator that draws one digit per label, whatever its
    noise, pays for it. (One generator pass over the paired batch: two passes in one recorded
    graph crash MXNet 1.9.1 with oneDNN on.)

    Args (besides ``GANController``'s): ``label_sampler``, the :class:`LabelPlaneSampler` whose
    labels are paired (even batch size); ``diversity``, the term's weight (> 0).
    """

    def __init__(self, *args, label_sampler=None, diversity: float = 1.0, **kwargs):
        super().__init__(*args, **kwargs)
        if not isinstance(label_sampler, LabelPlaneSampler):
            raise TypeError("label_sampler must be a LabelPlaneSampler, not %s." % type(label_sampler).__name__)
        if label_sampler.batch_size % 2:
            raise ValueError("label_sampler.batch_size must be even to pair draws, got %d." % label_sampler.batch_size)
        self.label_sampler = label_sampler
        self.diversity = check_number(diversity, "diversity", minimum=0.0, strict_minimum=True)

    def train_generator(self):
        sampler = self.label_sampler
        half = sampler.batch_size // 2
        labels = nd.random.randint(0, CLASSES, shape=(half,), ctx=sampler.ctx)
        sampler.labels = nd.concat(labels, labels, dim=0)

        def compute():
            generated = self.draw_generated()
            posterior = self.judge_generated(generated)
            digits = nd.slice_axis(generated, axis=1, begin=0, end=1)
            spread = nd.mean(nd.abs(nd.slice_axis(digits, axis=0, begin=0, end=half)
                                    - nd.slice_axis(digits, axis=0, begin=half, end=None)))
            loss = apply_loss(self.generator_loss, posterior) + self.diversity * NOISE_DISTANCE / (spread + 1e-5)
            return loss, posterior

        try:
            loss, posterior = optimise(self.generator_trainer, self.generated_rows(), compute,
                                       ignore_stale_grad=True)
        finally:
            sampler.labels = None
        return self._out(loss.mean(), posterior.mean())


def build_cgan(x_train, y_train, seed: int = 0, learning_rate: float = 2e-4, g_channels: int = 64,
               projection: int = 128, d_channels: int = 64, discriminator: str = "projection",
               diversity: float = 1.0):
    """The demo's conditional GAN; returns ``(controller, label sampler)``. ``diversity`` > 0 gives
    a :class:`ModeSeekingGANController` with that weight, 0 the plain ``GANController``."""
    mx.random.seed(seed)
    true_sampler = ImageLabelSampler()
    true_sampler.iteratorable_data = ArrayIterator(x_train, y_train, epochs=10 ** 6, batch_size=BATCH,
                                                   n_classes=CLASSES, ctx=CTX, seed=seed)
    labels = LabelPlaneSampler(BATCH)
    condition_sampler = ConditionSampler()
    condition_sampler.true_sampler = labels
    embedding = LabelEmbedding(Z, seed)
    embedding.initialize(ctx=CTX)
    condition_sampler.model = embedding
    generator = GenerativeModel(NormalNoiseSampler(shape_tuple=(BATCH, Z), ctx=CTX),
                                generator_network(Z, g_channels, projection), condition_sampler=condition_sampler,
                                ctx=CTX)
    if discriminator == "projection":
        network = ProjectionDiscriminator(d_channels)
    elif discriminator == "planes":
        network = discriminator_network(d_channels, in_channels=1 + CLASSES)
    else:
        raise ValueError("discriminator must be 'projection' or 'planes', got %r" % (discriminator,))
    discriminator = DiscriminativeModel(network, ctx=CTX)
    options = dict(optimizer_name="adam", learning_rate=learning_rate, optimizer_params={"beta1": 0.5},
                   attenuate_epoch=100, ctx=CTX, initializer=mx.init.Normal(0.02))
    players = (true_sampler, generator, discriminator, GeneratorLoss(), DiscriminatorLoss())
    if diversity:
        gan = ModeSeekingGANController(*players, label_sampler=labels, diversity=diversity, **options)
    else:
        gan = GANController(*players, **options)
    return gan, labels


def generate(gan, labels_sampler, n: int, labels=None):
    """``(digits (n, 1, 28, 28), conditioning labels (n,))``, predict mode; ``labels`` (a multiple
    of the batch size long) fixes the conditions."""
    images_, conditions = [], []
    count = 0
    with autograd.predict_mode():
        while count < n:
            if labels is not None:
                labels_sampler.labels = labels[count:count + BATCH]
            out = gan.generative_model.draw()
            images_.append(out[:, :1].asnumpy())
            conditions.append(out[:, 1:, 0, 0].asnumpy().argmax(axis=1))
            count += out.shape[0]
    labels_sampler.labels = None
    return np.concatenate(images_)[:n], np.concatenate(conditions)[:n]


def _arguments(parser) -> None:
    parser.add_argument("--discriminator", choices=("projection", "planes"), default="projection",
                        help="how the discriminator reads the label: a projection discriminator (default) or "
                             "10 input planes")
    parser.add_argument("--diversity", type=float, default=1.0,
                        help="weight of the mode-seeking term in the generator's loss (0: plain GANController)")


def main():
    args = demo_arguments(__doc__, iterations=ITERATIONS, configure=_arguments)
    started = time.perf_counter()
    x_train, y_train, x_test, y_test = images()
    judge = BackgroundClassifier(args.classifier_epochs)  # trains beside the GAN

    t = time.perf_counter()
    gan, label_sampler = build_cgan(x_train, y_train, seed=args.seed, discriminator=args.discriminator,
                                    diversity=args.diversity)
    gan.learn(iter_n=args.iterations, k_step=args.k_step)
    seconds = time.perf_counter() - t
    print("conditional GAN (%s discriminator): %d iterations (k_step=%d) in %.0f s (%.1f ms/iteration)"
          % (args.discriminator, args.iterations, args.k_step, seconds, 1000 * seconds / args.iterations))

    classifier = judge.result()
    mx.random.seed(1)
    wanted = np.tile(np.arange(CLASSES), 96)  # 960 digits (15 batches), 96 per label
    digits, conditions = generate(gan, label_sampler, len(wanted), wanted)
    assert (conditions == wanted).all()
    predicted = classifier.probabilities(digits).argmax(axis=1)
    agreement = float((predicted == conditions).mean())
    per_label = [float((predicted[conditions == c] == c).mean()) for c in range(CLASSES)]
    print("generated digits classified as their conditioning label: %.3f (target >= 0.90); per label: %s"
          % (agreement, " ".join("%d:%.2f" % (c, a) for c, a in enumerate(per_label))))
    print("classifier score of the generated digits: %.2f" % classifier_score(classifier.probabilities(digits)))
    # grid: row r holds the first ten digits conditioned on r
    grid = np.concatenate([digits[conditions == c][:10] for c in range(CLASSES)])
    path = save_grid(grid, picture_path(args.out, "cgan_mnist_samples", args.changed))
    print("samples (row r: conditioned on r): %s" % os.path.relpath(path))
    print("total %.0f s; %s" % (time.perf_counter() - started, load_average()))


if __name__ == "__main__":
    main()
