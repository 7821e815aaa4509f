"""Small players shared by the adversarial tests (MNIST digits downsampled to 14x14)."""
import numpy as np
import mxnet as mx
from mxnet.gluon.nn import Conv2D, Conv2DTranspose

from accelbrainbase.computableloss._mxnet.discriminator_loss import DiscriminatorLoss
from accelbrainbase.computableloss._mxnet.generator_loss import GeneratorLoss
from accelbrainbase.computableloss._mxnet.l2_norm_loss import L2NormLoss
from accelbrainbase.controllablemodel._mxnet.gan_controller import GANController
from accelbrainbase.iteratabledata._mxnet.array_iterator import ArrayIterator
from accelbrainbase.observabledata._mxnet.adversarialmodel.discriminative_model import DiscriminativeModel
from accelbrainbase.observabledata._mxnet.adversarialmodel.generative_model import GenerativeModel
from accelbrainbase.observabledata._mxnet.convolutional_neural_networks import ConvolutionalNeuralNetworks
from accelbrainbase.observabledata._mxnet.neural_networks import NeuralNetworks
from accelbrainbase.samplabledata.noisesampler._mxnet.normal_noise_sampler import NormalNoiseSampler
from accelbrainbase.samplabledata.true_sampler import TrueSampler

CTX = mx.cpu()
B = 64
Z = 32


def downsample(x):
    """(N, 784) → (N, 196): 2x2 means."""
    return x.reshape(-1, 14, 2, 14, 2).mean(axis=(2, 4)).reshape(-1, 196).astype(np.float32)


def true_sampler(x, batch_size=B, seed=0):
    sampler = TrueSampler()
    sampler.iteratorable_data = ArrayIterator(x, epochs=1000, batch_size=batch_size, ctx=CTX, seed=seed)
    return sampler


def mlp(units, activations):
    return NeuralNetworks(L2NormLoss(), units_list=units, dropout_rate_list=[0.0] * len(units),
                          activation_list=activations, not_init_flag=True, ctx=CTX)


def mlp_players(out_dim=196, batch_size=B):
    generator = GenerativeModel(NormalNoiseSampler(shape_tuple=(batch_size, Z), ctx=CTX),
                                mlp([128, out_dim], ["relu", "sigmoid"]), ctx=CTX)
    discriminator = DiscriminativeModel(mlp([128, 1], ["relu", "sigmoid"]), ctx=CTX)
    return generator, discriminator


def mlp_gan(x, **kwargs):
    generator, discriminator = mlp_players()
    options = dict(optimizer_name="adam", learning_rate=2e-3, ctx=CTX, optimizer_params={"beta1": 0.5},
                   attenuate_epoch=100)
    options.update(kwargs)
    return GANController(true_sampler(x), generator, discriminator, GeneratorLoss(), DiscriminatorLoss(), **options)


def conv(layers, activations, **kwargs):
    return ConvolutionalNeuralNetworks(L2NormLoss(), hidden_units_list=layers,
                                       hidden_dropout_rate_list=[0.0] * len(layers),
                                       hidden_batch_norm_list=[None] * len(layers),
                                       hidden_activation_list=activations, not_init_flag=True, ctx=CTX, **kwargs)


def conv_autoencoder(cls, channels=1, code=8, code_activation="relu"):
    """A 14x14 → (code, 7, 7) → 14x14 convolutional auto-encoder of class ``cls``."""
    encoder = conv([Conv2D(code, kernel_size=4, strides=2, padding=1)], [code_activation])
    decoder = conv([Conv2DTranspose(channels, kernel_size=4, strides=2, padding=1)], ["sigmoid"])
    return cls(encoder, decoder, L2NormLoss(), ctx=CTX, tied_weights_flag=False, hybridize_flag=True)
