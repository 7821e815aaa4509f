"""The pieces demo/gan_mnist.py adds to the library's GAN: a minibatch standard-deviation plane
for the discriminator, a generator whose weights are averaged through the engine's
``after_step`` hook, and the shifted copies its judge is trained on; and the projection
discriminator of demo/cgan_mnist.py; and the judge trained in a worker process beside the GAN."""
import mxnet as mx
import numpy as np
import pytest
from mxnet import nd

from accelbrainbase.computableloss._mxnet.discriminator_loss import DiscriminatorLoss
from accelbrainbase.computableloss._mxnet.generator_loss import GeneratorLoss
from demo.gan_common import BackgroundClassifier, DigitClassifier, MinibatchStddev, discriminator_network, \
    generator_network, images, shifted_copies
from demo.cgan_mnist import NOISE_DISTANCE, LabelPlaneSampler, ModeSeekingGANController, ProjectionDiscriminator, \
    build_cgan, label_planes
from demo.gan_mnist import AveragingGANController
from _setup import CTX, downsample, mlp_players, true_sampler


def test_minibatch_stddev_appends_the_mean_batch_std_as_a_plane():
    x = np.random.RandomState(0).normal(size=(6, 3, 4, 5)).astype(np.float32)
    block = MinibatchStddev()
    out = block(nd.array(x)).asnumpy()
    assert out.shape == (6, 4, 4, 5)
    np.testing.assert_array_equal(out[:, :3], x)
    expected = np.sqrt(x.var(axis=0) + 1e-8).mean()
    np.testing.assert_allclose(out[:, 3], np.full((6, 4, 5), expected), rtol=1e-5)
    block.hybridize()
    np.testing.assert_allclose(block(nd.array(x)).asnumpy(), out, rtol=1e-5)
    # identical samples have no spread
    same = np.repeat(x[:1], 6, axis=0)
    assert np.abs(block(nd.array(same)).asnumpy()[:, 3]).max() < 1e-3


@pytest.mark.parametrize("third_channels", [0, 64])
def test_discriminator_with_the_plane_judges_28x28_digits(third_channels):
    mx.random.seed(0)
    net = discriminator_network(32, minibatch_stddev=True, third_channels=third_channels)
    net.initialize(ctx=CTX)
    x = nd.random.uniform(shape=(8, 1, 28, 28), ctx=CTX)
    imperative = net(x).asnumpy()
    net.hybridize()
    assert imperative.shape == (8, 1) and ((imperative > 0) & (imperative < 1)).all()
    np.testing.assert_allclose(net(x).asnumpy(), imperative, rtol=1e-4, atol=1e-6)
    # the third convolution (3×3, 32 → 64 channels at 7×7) is in the graph, or not
    weights = [p.shape for name, p in net.collect_params().items() if name.endswith("weight")]
    assert ((64, 32, 3, 3) in weights) == bool(third_channels)


@pytest.mark.parametrize("refine", [False, True])
def test_generator_with_a_refining_convolution_draws_28x28_digits(refine):
    mx.random.seed(0)
    net = generator_network(8, 32, 64, refine=refine)
    net.initialize(ctx=CTX)
    z = nd.random.normal(shape=(8, 8), ctx=CTX)
    imperative = net(z).asnumpy()
    assert imperative.shape == (8, 1, 28, 28) and ((imperative > 0) & (imperative < 1)).all()
    net.hybridize()
    np.testing.assert_allclose(net(z).asnumpy(), imperative, rtol=1e-4, atol=1e-6)
    # the 3×3 convolution (32 → 32 channels at 14×14) is in the graph, or not
    weights = [p.shape for name, p in net.collect_params().items() if name.endswith("weight")]
    assert ((32, 32, 3, 3) in weights) == refine


def test_projection_discriminator_reads_the_label_through_the_features():
    """D(x, y) = sigmoid(ψᵀφ(x) + e_yᵀφ(x)): changing only the label planes changes the output by
    exactly the projection term, the hybridized graph equals the imperative one, and one
    discriminator step sends gradient to the label embedding."""
    mx.random.seed(0)
    net = ProjectionDiscriminator(16, features=32)
    net.initialize(mx.init.Normal(0.1), ctx=CTX)
    digits = nd.random.uniform(shape=(8, 1, 28, 28), ctx=CTX)
    labels = nd.array([0, 1, 2, 3, 4, 5, 6, 7], ctx=CTX)
    def pairs(y):
        return nd.concat(digits, label_planes(nd, nd.one_hot(y, 10)), dim=1)
    out = net(pairs(labels))
    other = net(pairs((labels + 3) % 10))
    assert out.shape == (8, 1) and ((out.asnumpy() > 0) & (out.asnumpy() < 1)).all()
    assert np.abs((out - other).asnumpy()).min() > 1e-4
    # the logit difference is (e_y - e_y')ᵀ φ(x)
    phi = net.body(digits)
    table = net.label_embedding.weight.data().T  # (10, features)
    expected = ((nd.take(table, labels) - nd.take(table, (labels + 3) % 10)) * phi).sum(axis=1)
    logit = lambda p: nd.log(p / (1 - p)).reshape((-1,))  # noqa: E731
    np.testing.assert_allclose((logit(out) - logit(other)).asnumpy(), expected.asnumpy(), rtol=1e-3, atol=1e-4)
    net.hybridize()
    np.testing.assert_allclose(net(pairs(labels)).asnumpy(), out.asnumpy(), rtol=1e-4, atol=1e-6)
    with mx.autograd.record():
        loss = -nd.log(net(pairs(labels))).mean()
    loss.backward()
    assert np.abs(net.label_embedding.weight.grad().asnumpy()).sum() > 0


def test_mode_seeking_generator_step_pairs_labels_and_pays_for_sameness(mnist_arrays):
    """In a generator step the batch's halves carry the same labels; the recorded generator loss
    holds the mode-seeking term (at least E|z1 - z2| / max spread = 2/sqrt(pi), since
    -log D >= 0 and pixel distances are <= 1); the sampler is freed afterwards."""
    x = mnist_arrays["x_train"][:256].reshape(-1, 1, 28, 28)
    gan, sampler = build_cgan(x, mnist_arrays["y_train"][:256], seed=0, g_channels=16, projection=16,
                              d_channels=16, diversity=1.0)
    assert isinstance(gan, ModeSeekingGANController)
    seen = []
    draw = sampler.draw

    def recording_draw():
        planes = draw()
        seen.append(planes[:, :, 0, 0].asnumpy().argmax(axis=1))
        return planes
    sampler.draw = recording_draw
    gan.learn(iter_n=3, k_step=1)
    paired = [labels for labels in seen if (labels[:32] == labels[32:]).all()]
    assert len(paired) >= 3  # every generator step (a discriminator step's random labels pair by chance only)
    assert sampler.labels is None
    losses = gan.generative_loss_arr
    assert np.isfinite(losses).all() and (losses >= NOISE_DISTANCE).all()
    with pytest.raises(TypeError, match="label_sampler must be a LabelPlaneSampler"):
        ModeSeekingGANController(gan.true_sampler, gan.generative_model, gan.discriminative_model,
                                 GeneratorLoss(), DiscriminatorLoss(), label_sampler=None)
    with pytest.raises(ValueError, match="even"):
        ModeSeekingGANController(gan.true_sampler, gan.generative_model, gan.discriminative_model,
                                 GeneratorLoss(), DiscriminatorLoss(), label_sampler=LabelPlaneSampler(63))
    with pytest.raises(ValueError, match="diversity"):
        ModeSeekingGANController(gan.true_sampler, gan.generative_model, gan.discriminative_model,
                                 GeneratorLoss(), DiscriminatorLoss(), label_sampler=sampler, diversity=0.0)


def test_shifted_copies_move_whole_digits(mnist_arrays):
    x = mnist_arrays["x_train"][:50].reshape(-1, 1, 28, 28)
    copies = shifted_copies(x, 2, seed=0)
    assert copies.shape == (100, 1, 28, 28) and copies.dtype == x.dtype
    # MNIST digits sit inside a 4-pixel empty border, so a shift of at most 2 loses no ink
    np.testing.assert_allclose(copies.sum(axis=(1, 2, 3)), np.tile(x.sum(axis=(1, 2, 3)), 2), rtol=1e-5)
    moved = (np.abs(copies - np.tile(x, (2, 1, 1, 1))).sum(axis=(1, 2, 3)) > 0).mean()
    assert moved > 0.7  # 24 of the 25 shift pairs move the digit
    np.testing.assert_array_equal(shifted_copies(x, 2, seed=0), copies)


def _averaging_gan(x, decay):
    generator, discriminator = mlp_players()
    return AveragingGANController(true_sampler(x), generator, discriminator, GeneratorLoss(), DiscriminatorLoss(),
                                  average_decay=decay, optimizer_name="adam", learning_rate=2e-3, ctx=CTX,
                                  optimizer_params={"beta1": 0.5}, attenuate_epoch=100)


def test_generator_average_is_the_exponential_average_of_every_iterate(mnist_arrays):
    x = downsample(mnist_arrays["x_train"][:512])
    snapshots = []

    class Recording(AveragingGANController):
        def after_step(self):
            snapshots.append({k: p.data().asnumpy() for k, p in self.generative_model.collect_params().items()})
            super().after_step()

    generator, discriminator = mlp_players()
    gan = Recording(true_sampler(x), generator, discriminator, GeneratorLoss(), DiscriminatorLoss(),
                    average_decay=0.9, optimizer_name="adam", learning_rate=2e-3, ctx=CTX,
                    optimizer_params={"beta1": 0.5}, attenuate_epoch=100)
    with pytest.raises(RuntimeError, match="use_average"):
        gan.use_average()
    gan.learn(iter_n=5, k_step=1)
    assert len(snapshots) == 5
    expected = dict(snapshots[0])
    for snapshot in snapshots[1:]:
        expected = {k: 0.9 * expected[k] + 0.1 * snapshot[k] for k in expected}
    last = snapshots[-1]
    gan.use_average()
    params = gan.generative_model.collect_params()
    for name, param in params.items():
        np.testing.assert_allclose(param.data().asnumpy(), expected[name], rtol=1e-5, atol=1e-7)
    # the average is not the last iterate: the weights moved during these steps
    assert any(np.abs(expected[k] - last[k]).max() > 1e-5 for k in expected)


@pytest.mark.parametrize("decay, error", [(0.0, ValueError), (1.0, ValueError), (-0.5, ValueError),
                                          (float("nan"), ValueError), ("0.99", TypeError)])
def test_average_decay_outside_the_open_unit_interval_is_rejected(mnist_arrays, decay, error):
    with pytest.raises(error, match="average_decay"):
        _averaging_gan(downsample(mnist_arrays["x_train"][:128]), decay)


def test_judge_trained_in_a_worker_process_is_the_in_process_judge():
    """The GAN demos train their judge in a spawned one-thread process while the GAN trains; it
    must be the judge they would have trained in-process (same seed, data, epochs)."""
    x_train, y_train, x_test, y_test = images()
    in_worker = BackgroundClassifier(epochs=1)  # starts now, runs beside the in-process fit below
    in_process = DigitClassifier(epochs=1).fit(x_train, y_train, x_test, y_test)
    judge = in_worker.result()
    assert judge.test_accuracy > 0.9  # one epoch over the digits and their shifted copies
    assert judge.test_accuracy == pytest.approx(in_process.test_accuracy, abs=1e-3)
    np.testing.assert_allclose(judge.probabilities(x_test[:300]), in_process.probabilities(x_test[:300]), atol=1e-4)
    np.testing.assert_allclose(judge.features(x_test[:300]), in_process.features(x_test[:300]), rtol=1e-3, atol=1e-3)


def test_a_demo_run_with_other_settings_does_not_replace_the_documented_picture(monkeypatch):
    """The GAN-family demos write their picture into docs/images; only the documented command
    (default settings, any --out) writes the documented name, any other run a name that says
    which settings differ."""
    import sys

    from demo.gan_common import demo_arguments, picture_path

    def split_seed(parser):
        parser.add_argument("--split-seed", type=int, default=None)

    monkeypatch.setattr(sys, "argv", ["gan_mnist.py", "--out", "/tmp/pictures"])
    args = demo_arguments("doc", iterations=4000, configure=split_seed)
    assert args.changed == {}
    assert picture_path(args.out, "gan_mnist_samples", args.changed) == "/tmp/pictures/gan_mnist_samples.png"

    monkeypatch.setattr(sys, "argv", ["gan_mnist.py", "--seed", "1", "--split-seed", "2", "--iterations", "4000"])
    args = demo_arguments("doc", iterations=4000, configure=split_seed)
    assert args.changed == {"seed": 1, "split_seed": 2}  # --iterations 4000 is the default
    assert picture_path("out", "gan_mnist_samples", args.changed) == "out/gan_mnist_samples_seed-1_split-seed-2.png"
    assert picture_path("out", "aae_mnist", {"no_minibatch_features": True, "decay": 0.9}) == \
        "out/aae_mnist_decay-0.9_no-minibatch-features.png"
