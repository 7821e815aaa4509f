"""Players and controllers of the adversarial family on MNIST digits (14x14)."""
import os

import accelbrainbase  # noqa: F401
import mxnet as mx
import numpy as np
import pytest
from mxnet.gluon.nn import Conv2D

from _setup import B, CTX, Z, conv, conv_autoencoder, downsample, mlp, mlp_gan, mlp_players, true_sampler
from accelbrainbase.computableloss._mxnet.discriminator_loss import DiscriminatorLoss
from accelbrainbase.computableloss._mxnet.discriminatorloss.eb_discriminator_loss import EBDiscriminatorLoss
from accelbrainbase.computableloss._mxnet.feature_matching_loss import FeatureMatchingLoss
from accelbrainbase.computableloss._mxnet.generator_loss import GeneratorLoss
from accelbrainbase.computableloss._mxnet.l2_norm_loss import L2NormLoss
from accelbrainbase.controllablemodel._mxnet.gan_controller import GANController
from accelbrainbase.controllablemodel._mxnet.gancontroller.aae_controller import AAEController
from accelbrainbase.controllablemodel._mxnet.gancontroller.aaecontroller.ebaae_controller import EBAAEController
from accelbrainbase.controllablemodel._mxnet.gancontroller.ebgan_controller import EBGANController
from accelbrainbase.observabledata._mxnet.adversarialmodel.discriminative_model import DiscriminativeModel
from accelbrainbase.observabledata._mxnet.adversarialmodel.discriminativemodel.eb_discriminative_model import (
    EBDiscriminativeModel,
)
from accelbrainbase.observabledata._mxnet.adversarialmodel.generative_model import GenerativeModel
from accelbrainbase.observabledata._mxnet.adversarialmodel.generativemodel.convolutional_auto_encoder import (
    ConvolutionalAutoEncoder as GenerativeCAE,
)
from accelbrainbase.observabledata._mxnet.convolutionalneuralnetworks.convolutional_auto_encoder import (
    ConvolutionalAutoEncoder,
)
from accelbrainbase.observabledata._mxnet.convolutionalneuralnetworks.convolutionalautoencoder.contractive_cae import (
    ContractiveCAE,
)
from accelbrainbase.samplabledata.condition_sampler import ConditionSampler
from accelbrainbase.samplabledata.noisesampler._mxnet.normal_noise_sampler import NormalNoiseSampler
from accelbrainbase.samplabledata.truesampler._mxnet.normal_true_sampler import NormalTrueSampler


@pytest.fixture(scope="module")
def digits14(mnist_arrays):
    return downsample(mnist_arrays["x_train"]), downsample(mnist_arrays["x_test"])


def frechet_pca(a, b, pca):
    from scipy import linalg

    a, b = pca.transform(a), pca.transform(b)
    c1, c2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    return float(((a.mean(0) - b.mean(0)) ** 2).sum() + np.trace(c1 + c2 - 2 * linalg.sqrtm(c1 @ c2).real))


def generate(model, n=1024):
    return np.concatenate([model.draw().asnumpy() for _ in range(n // B)])


# ---------------------------------------------------------------------- learning
def test_gan_plays_the_game_on_digits(digits14):
    """Fails on the reference's signs: there D(real) → 0, D(fake) → 1 and the generator stalls."""
    from sklearn.decomposition import PCA

    x_train, x_test = digits14
    gan = mlp_gan(x_train)
    pca = PCA(20, random_state=0).fit(x_train)
    before = frechet_pca(generate(gan.generative_model), x_test, pca)
    gan.learn(iter_n=600, k_step=1)
    after = frechet_pca(generate(gan.generative_model), x_test, pca)
    real = frechet_pca(x_train[:1024], x_test, pca)
    steps = gan.loss_history.steps_frame()
    late = steps.iloc[-200:]
    # the discriminator tells true from generated samples while the generator keeps up
    assert late["true_posterior"].mean() > late["discriminator_posterior"].mean() + 0.1
    assert 0.1 < late["discriminator_posterior"].mean() < 0.9
    # the generated distribution moved toward the data: Fréchet distance on 20 pixel PCs
    assert after < 0.35 * before, (before, after)
    assert after < 2.5 * real, (after, real)
    # contract logs are views of the history
    assert gan.generative_loss_arr.shape == (600,) and gan.discriminative_loss_arr.shape == (600,)
    assert gan.feature_matching_loss_arr.shape == (600,) and not gan.feature_matching_loss_arr.any()
    posterior = gan.posterior_logs_arr
    assert posterior.shape == (1200,)
    np.testing.assert_allclose(posterior[0::2], steps["discriminator_posterior"].to_numpy())
    np.testing.assert_allclose(posterior[1::2], steps["generator_posterior"].to_numpy())
    assert len(gan.loss_history) == 6  # one row per attenuate_epoch (100) iterations
    with pytest.raises(TypeError):
        gan.generative_loss_arr = np.zeros(3)


def test_feature_matching_updates_the_generator(digits14):
    x_train, _ = digits14
    gan = mlp_gan(x_train, feature_matching_loss=FeatureMatchingLoss())
    gan.discriminative_model.inference(gan.generative_model.draw())  # shapes known
    d_before = {k: v.data().copy() for k, v in gan.discriminative_model.collect_params().items()}
    g_before = {k: v.data().copy() for k, v in gan.generative_model.collect_params().items()}
    loss = gan.train_by_feature_matching(3)
    assert isinstance(loss, float) and loss > 0
    assert all((v.data() == d_before[k]).asnumpy().all() for k, v in gan.discriminative_model.collect_params().items())
    assert any((v.data() != g_before[k]).asnumpy().any() for k, v in gan.generative_model.collect_params().items())
    gan.learn(iter_n=20, k_step=2)
    assert gan.feature_matching_loss_arr.shape == (20,) and (gan.feature_matching_loss_arr > 0).all()


def test_hooks_return_floats_when_called_directly(digits14):
    gan = mlp_gan(digits14[0])
    d_loss, d_post = gan.train_discriminator(2)
    g_loss, g_post = gan.train_generator()
    assert all(isinstance(v, float) for v in (d_loss, d_post, g_loss, g_post))
    assert gan.train_by_feature_matching(2) == 0.0


def test_aae_and_ebaae_learn_codes_and_reconstructions(digits14):
    x_train, x_test = digits14
    images = x_train.reshape(-1, 1, 14, 14)
    for controller_cls in (AAEController, EBAAEController):
        mx.random.seed(0)
        condition = ConditionSampler()
        condition.true_sampler = true_sampler(images)
        generator = GenerativeCAE(None, conv_autoencoder(ConvolutionalAutoEncoder, code_activation="identity"),
                                  condition_sampler=condition,
                                  ctx=CTX)
        prior = NormalTrueSampler(batch_size=B, channel=8, height=7, width=7, ctx=CTX)
        if controller_cls is AAEController:
            d_net = conv([Conv2D(8, kernel_size=3, strides=2, padding=1)], ["relu"],
                         output_nn=mlp([1], ["sigmoid"]))
            discriminator = DiscriminativeModel(d_net, ctx=CTX)
            # the adversarial term weighted down so it does not drown the reconstruction of 392-dim codes
            args = (GeneratorLoss(weight=0.1), DiscriminatorLoss(), L2NormLoss())
        else:
            energy_ae = ContractiveCAE(conv([Conv2D(4, kernel_size=3, padding=1)], ["relu"]),
                                       conv([Conv2D(8, kernel_size=3, padding=1)], ["identity"]),
                                       L2NormLoss(), ctx=CTX, tied_weights_flag=False)
            discriminator = EBDiscriminativeModel(energy_ae, ctx=CTX)
            args = (EBDiscriminatorLoss(margin=0.5, margin_decay_rate=1.0), L2NormLoss())
        controller = controller_cls(prior, generator, discriminator, *args, optimizer_name="adam",
                                    learning_rate=2e-3, ctx=CTX)
        test = mx.nd.array(x_test.reshape(-1, 1, 14, 14), ctx=CTX)

        def reconstruction_mse():
            model = generator.model
            return float(((model.decoder(model.encoder(test)) - test) ** 2).mean().asscalar())

        untrained = reconstruction_mse()
        controller.learn(iter_n=250, k_step=1)
        generated, observed, decoded = generator.draw()
        assert generated.shape == (B, 8, 7, 7) and observed.shape == decoded.shape == (B, 1, 14, 14)
        assert reconstruction_mse() < 0.5 * untrained, controller_cls.__name__
        assert controller.posterior_logs_arr.shape == (500,)


def test_ebgan_lowers_the_energy_of_true_digits(digits14):
    x_train, x_test = digits14
    generator = GenerativeModel(NormalNoiseSampler(shape_tuple=(B, Z), ctx=CTX),
                                mlp([256, 196], ["relu", "sigmoid"]), ctx=CTX)
    # the energy: reconstruction error of a 196-32-196 auto-encoder
    discriminator = EBDiscriminativeModel(mlp([32, 196], ["relu", "sigmoid"]), ctx=CTX)
    ebgan = EBGANController(true_sampler(x_train), generator, discriminator,
                            EBDiscriminatorLoss(margin=0.1, margin_decay_rate=1.0), optimizer_name="adam",
                            learning_rate=2e-3, ctx=CTX)
    ebgan.learn(iter_n=200, k_step=3)
    with mx.autograd.predict_mode():
        true_energy = discriminator.inference(mx.nd.array(x_test[:256])).mean().asscalar()
        fake_energy = np.mean([discriminator.inference(generator.draw()).mean().asscalar() for _ in range(4)])
    assert true_energy < 0.7 * fake_energy, (true_energy, fake_energy)
    assert ebgan.generative_loss_arr.shape == (200,)


class _Sequential(mx.gluon.HybridBlock):
    def __init__(self, first, second):
        super().__init__()
        self.first, self.second = first, second

    def hybrid_forward(self, F, x):
        return self.second(self.first(x))


# ---------------------------------------------------------------------- bad input
def test_wrong_types_raise_type_error(digits14):
    generator, discriminator = mlp_players()
    sampler = true_sampler(digits14[0])
    good = (sampler, generator, discriminator, GeneratorLoss(), DiscriminatorLoss())
    for position, bad in enumerate([object(), discriminator, generator, DiscriminatorLoss(), GeneratorLoss()]):
        args = list(good)
        args[position] = bad
        with pytest.raises(TypeError):
            GANController(*args, ctx=CTX)
    with pytest.raises(TypeError, match="noise_sampler"):
        GenerativeModel(object(), mlp([4], ["sigmoid"]), ctx=CTX)
    with pytest.raises(TypeError, match="model"):
        DiscriminativeModel(object(), ctx=CTX)
    with pytest.raises(TypeError, match="ConvolutionalAutoEncoder"):
        GenerativeCAE(None, mlp([4], ["sigmoid"]), ctx=CTX)
    with pytest.raises(TypeError, match="reconstruction_loss"):
        AAEController(*good, object(), ctx=CTX)


def test_bad_k_step_and_shapes_fail_before_the_first_update(digits14):
    x_train, _ = digits14
    gan = mlp_gan(x_train)
    with pytest.raises(ValueError, match="k_step"):
        gan.learn(iter_n=5, k_step=0)
    # a generator making 100-pixel samples for a discriminator of 196-pixel digits
    generator, _ = mlp_players(out_dim=100)
    _, discriminator = mlp_players()
    bad = GANController(true_sampler(x_train), generator, discriminator, GeneratorLoss(), DiscriminatorLoss(),
                        ctx=CTX)
    generator.draw()  # the generator's shapes are known; the discriminator's are set by the first batch
    before = {k: v.data().copy() for k, v in generator.collect_params().items()}
    with pytest.raises(ValueError, match="discriminative_model cannot take"):
        bad.learn(iter_n=5, k_step=1)
    assert all((v.data() == before[k]).asnumpy().all() for k, v in generator.collect_params().items())
    assert len(bad.loss_history.step_rows) == 0
    # batch sizes that differ
    generator, discriminator = mlp_players(batch_size=B // 2)
    uneven = GANController(true_sampler(x_train), generator, discriminator, GeneratorLoss(), DiscriminatorLoss(),
                           ctx=CTX)
    with pytest.raises(ValueError, match="batch"):
        uneven.learn(iter_n=5, k_step=1)


def test_aae_needs_an_auto_encoding_generator(digits14):
    generator, discriminator = mlp_players()
    aae = AAEController(true_sampler(digits14[0]), generator, discriminator, GeneratorLoss(), DiscriminatorLoss(),
                        L2NormLoss(), ctx=CTX)
    with pytest.raises(TypeError, match="generated, observed, decoded"):
        aae.learn(iter_n=3, k_step=1)


# ---------------------------------------------------------------------- models
def test_hybridized_players_equal_imperative_ones(digits14):
    x = mx.nd.array(digits14[1][:B].reshape(-1, 1, 14, 14), ctx=CTX)
    for cls, model in ((EBDiscriminativeModel, conv_autoencoder(ConvolutionalAutoEncoder)),
                       (DiscriminativeModel, conv([Conv2D(4, 3, strides=2)], ["relu"], output_nn=mlp([1], ["sigmoid"])))):
        hybrid = cls(model, ctx=CTX)
        with mx.autograd.predict_mode():
            a = hybrid.inference(x).asnumpy()
            hybrid.hybridize(active=False)
            b = hybrid.inference(x).asnumpy()
        assert a.shape == (B, 1)
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    generator, _ = mlp_players()
    z = mx.nd.random.normal(shape=(B, Z))
    a = generator.inference(z).asnumpy()
    generator.model.hybridize(active=False)
    np.testing.assert_allclose(a, generator.inference(z).asnumpy(), rtol=1e-5, atol=1e-6)


def test_energy_is_the_reconstruction_error(digits14):
    model = conv_autoencoder(ConvolutionalAutoEncoder)
    discriminator = EBDiscriminativeModel(model, ctx=CTX)
    x = mx.nd.array(digits14[1][:8].reshape(-1, 1, 14, 14))
    with mx.autograd.predict_mode():
        energy = discriminator.inference(x).asnumpy()
        expected = ((x - model.forward_propagation(mx.nd, x)) ** 2).mean(axis=(1, 2, 3)).asnumpy()
    np.testing.assert_allclose(energy[:, 0], expected, rtol=1e-5)


def test_conditional_generator_appends_the_condition():
    condition = ConditionSampler()
    condition.true_sampler = NormalTrueSampler(batch_size=B, channel=3, height=1, width=1, ctx=CTX)
    condition.model = mx.gluon.nn.HybridLambda(lambda F, x: F.flatten(x))
    generator = GenerativeModel(NormalNoiseSampler(shape_tuple=(B, 3), ctx=CTX), mlp([5], ["sigmoid"]),
                                condition_sampler=condition, conditonal_dim=1, ctx=CTX)
    generator.model.output_nn = None
    reshape = mx.gluon.nn.HybridLambda(lambda F, x: F.reshape(x, (0, 0, 1, 1)))
    generator.model = _Sequential(mlp([5], ["sigmoid"]), reshape)
    generator.collect_params().initialize(ctx=CTX, force_reinit=True)
    out = generator.draw()
    assert out.shape == (B, 8, 1, 1)
    with pytest.raises(TypeError):
        generator.conditon_sampler = None


def test_save_and_load_round_trip(digits14, tmp_path):
    gan = mlp_gan(digits14[0])
    gan.learn(iter_n=10, k_step=1)
    path = str(tmp_path / "gan.params")
    gan.save_parameters(path)
    assert os.path.isfile(str(tmp_path / "gan_generator.params"))
    assert os.path.isfile(str(tmp_path / "gan_discriminator.params"))
    z = mx.nd.random.normal(shape=(B, Z))
    x = mx.nd.array(digits14[1][:B])
    with mx.autograd.predict_mode():
        expected = gan.generative_model.inference(z).asnumpy(), gan.discriminative_model.inference(x).asnumpy()
    other = mlp_gan(digits14[0])
    other.generative_model.inference(z), other.discriminative_model.inference(x)  # shapes known
    other.load_parameters(path, ctx=CTX)
    with mx.autograd.predict_mode():
        np.testing.assert_allclose(other.generative_model.inference(z).asnumpy(), expected[0], rtol=1e-6)
        np.testing.assert_allclose(other.discriminative_model.inference(x).asnumpy(), expected[1], rtol=1e-6)


def test_keyboard_interrupt_prints_and_keeps_the_history(digits14, capsys):
    gan = mlp_gan(digits14[0], attenuate_epoch=5)

    calls = {"n": 0}
    original = gan.train_generator

    def interrupting():
        calls["n"] += 1
        if calls["n"] == 12:
            raise KeyboardInterrupt
        return original()

    gan.train_generator = interrupting
    gan.learn(iter_n=50, k_step=1)
    assert "Keyboard Interrupt." in capsys.readouterr().out
    # two complete epochs of 5 iterations plus the interrupted epoch's completed iteration
    assert gan.generative_loss_arr.shape == (11,)
