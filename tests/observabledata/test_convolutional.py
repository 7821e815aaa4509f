"""ConvolutionalNeuralNetworks and ConvolutionalAutoEncoder on the MNIST subset."""
import mxnet as mx
import numpy as np
import pytest
from mxnet import autograd, gluon, nd
from mxnet.gluon.nn import Conv2D, Conv2DTranspose

from accelbrainbase._mxnet.onednn_safe import WideConv2DTranspose, onednn_active
from accelbrainbase.computableloss._mxnet.l2_norm_loss import L2NormLoss
from accelbrainbase.extractabledata._mxnet.image_extractor import ImageExtractor
from accelbrainbase.iteratabledata._mxnet.labeled_image_iterator import LabeledImageIterator
from accelbrainbase.iteratabledata._mxnet.unlabeled_image_iterator import UnlabeledImageIterator
from accelbrainbase.observabledata._mxnet.convolutional_neural_networks import ConvolutionalNeuralNetworks
from accelbrainbase.observabledata._mxnet.convolutionalneuralnetworks.convolutional_auto_encoder import \
    ConvolutionalAutoEncoder
from accelbrainbase.observabledata._mxnet.neural_networks import NeuralNetworks
from demo.main import build_auto_encoder, build_classifier


def lenet():
    """The main demo's classifier (so the demo's configuration is what this file tests)."""
    return build_classifier()


def conv_auto_encoder(tied=False):
    """The main demo's auto-encoder (its decoder ends in a single-channel Conv2DTranspose)."""
    return build_auto_encoder(tied_weights_flag=tied)


def mnist_iterator(dirs, epochs, labeled=True, norm_mode="z_score"):
    cls = LabeledImageIterator if labeled else UnlabeledImageIterator
    return cls(ImageExtractor(28, 28, 1), dirs["train_dirs"], dirs["test_dirs"], epochs=epochs, batch_size=50,
               norm_mode=norm_mode, seed=0)


def test_cnn_classifier_reaches_095_on_mnist_subset(mnist_png_dirs):
    iterator = mnist_iterator(mnist_png_dirs, epochs=5)
    model = lenet()
    model.learn(iterator)
    correct = total = 0
    for _, _, batch, paths in iterator.generate_inferenced_samples():
        predicted = model.inference(batch).argmax(axis=1).asnumpy()
        truth = np.array([mnist_png_dirs["test_dirs"].index(p.rsplit("/", 1)[0]) for p in paths])
        correct += int((predicted == truth).sum())
        total += len(paths)
    assert total == 1000
    assert correct / total >= 0.95
    assert model.acc_arr.shape == (5, 2) and model.acc_arr[-1, 0] >= 0.9
    assert model.batch_size == 50


def test_cae_halves_its_first_epoch_test_mse_with_a_single_channel_decoder(mnist_png_dirs):
    # the decoder ends in Conv2DTranspose(1, ...), which oneDNN cannot back-propagate natively
    model = conv_auto_encoder()

    def test_mse(iterator):
        errors = [((model.inference(b) - b) ** 2).mean(axis=(1, 2, 3)) for _, _, b, _ in
                  iterator.generate_inferenced_samples()]
        return float(nd.concat(*errors, dim=0).mean().asscalar())

    first = mnist_iterator(mnist_png_dirs, 1, labeled=False, norm_mode="min_max")
    model.learn(first)
    first_mse = test_mse(first)
    more = mnist_iterator(mnist_png_dirs, 2, labeled=False, norm_mode="min_max")
    model.learn(more)
    assert test_mse(more) <= 0.5 * first_mse
    features = model.extract_feature_points()
    assert isinstance(features, nd.NDArray) and features.shape[1:] == (8, 7, 7)


def test_hybridized_equals_imperative_and_export_round_trips(tmp_path, mnist_arrays):
    model = lenet()
    x = nd.array(mnist_arrays["x_test"][:8].reshape(8, 1, 28, 28))
    hybrid = model.inference(x).asnumpy()
    symbol_file, params_file = model.export(str(tmp_path / "lenet"))
    model.hybridize(active=False)
    np.testing.assert_allclose(model.inference(x).asnumpy(), hybrid, rtol=1e-4, atol=1e-5)
    served = gluon.SymbolBlock.imports(symbol_file, ["data"], params_file, ctx=mx.cpu())
    np.testing.assert_allclose(served(x).asnumpy(), hybrid, rtol=1e-4, atol=1e-5)


def test_cae_save_load_round_trip(tmp_path, mnist_arrays):
    model = conv_auto_encoder(tied=True)
    x = nd.array(mnist_arrays["x_test"][:4].reshape(4, 1, 28, 28))
    expected = model.inference(x).asnumpy()
    path = str(tmp_path / "cae.params")
    model.save_parameters(path)
    other = conv_auto_encoder(tied=True)
    other.load_parameters(path, ctx=mx.cpu())
    np.testing.assert_array_equal(other.inference(x).asnumpy(), expected)


def cae_with_output_nn():
    """A CAE whose code passes through a dense bottleneck (``output_nn``) before decoding."""
    encoder = ConvolutionalNeuralNetworks(L2NormLoss(), hidden_units_list=[Conv2D(4, 3, strides=2, padding=1)],
                                          hidden_dropout_rate_list=[0.0], hidden_batch_norm_list=[None],
                                          hidden_activation_list=["relu"], not_init_flag=True, ctx=mx.cpu())
    decoder = ConvolutionalNeuralNetworks(L2NormLoss(), hidden_units_list=[
        Conv2DTranspose(1, 4, strides=2, padding=1, in_channels=4)], hidden_dropout_rate_list=[0.0],
        hidden_batch_norm_list=[None], hidden_activation_list=["identity"], not_init_flag=True, ctx=mx.cpu())
    bottleneck = NeuralNetworks(L2NormLoss(), units_list=[4 * 14 * 14], activation_list=["relu"],
                                dropout_rate_list=[0.0], not_init_flag=True, ctx=mx.cpu())
    head = ConvolutionalNeuralNetworks(L2NormLoss(), hidden_units_list=[Conv2D(4, 1)], hidden_dropout_rate_list=[0.0],
                                       hidden_batch_norm_list=[None], hidden_activation_list=["relu"],
                                       input_nn=bottleneck, input_result_channel=4, input_result_height=14,
                                       input_result_width=14, not_init_flag=True, ctx=mx.cpu())
    return ConvolutionalAutoEncoder(encoder, decoder, L2NormLoss(), output_nn=head, tied_weights_flag=False,
                                    ctx=mx.cpu())


def test_cae_with_output_nn_saves_and_loads_every_part(tmp_path, mnist_arrays):
    """Every part is saved, output_nn included (it used to be dropped: outputs differed by 0.18)."""
    model = cae_with_output_nn()
    x = nd.array(mnist_arrays["x_test"][:4].reshape(4, 1, 28, 28))
    expected = model.inference(x).asnumpy()
    path = str(tmp_path / "cae.params")
    model.save_parameters(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "cae_decoder.params", "cae_encoder.params", "cae_output_nn.params"]
    other = cae_with_output_nn()
    assert np.abs(other.inference(x).asnumpy() - expected).max() > 1e-3  # freshly initialised: different
    other.load_parameters(path, ctx=mx.cpu())
    np.testing.assert_array_equal(other.inference(x).asnumpy(), expected)
    (tmp_path / "cae_output_nn.params").unlink()
    with pytest.raises(ValueError, match="output_nn"):
        other.load_parameters(path)


def test_tied_weights_copy_encoder_into_mirrored_decoder(mnist_arrays):
    model = conv_auto_encoder(tied=True)
    x = nd.array(mnist_arrays["x_test"][:4].reshape(4, 1, 28, 28))
    with autograd.record():
        loss = model.compute_loss(model.inference(x), x)
    loss.backward()
    model.trainer.step(4)
    model.after_step()
    first_encoder = model.encoder.hidden_units_list[0].weight.data().asnumpy()
    last = model.decoder.hidden_units_list[-1]
    if onednn_active():  # the single-channel output layer runs as a native 2-channel Deconvolution
        assert isinstance(last, WideConv2DTranspose)
        assert float(last.weight.data()[:, 1].abs().sum().asscalar()) == 0
    last_decoder = (last.narrow_weight() if isinstance(last, WideConv2DTranspose) else last.weight.data()).asnumpy()
    np.testing.assert_array_equal(first_encoder, last_decoder)
    assert np.abs(first_encoder).sum() > 0


def test_default_hidden_layers_are_not_shared_between_instances():
    a = ConvolutionalNeuralNetworks(L2NormLoss(), ctx=mx.cpu())
    b = ConvolutionalNeuralNetworks(L2NormLoss(), ctx=mx.cpu())
    assert a.hidden_units_list[0] is not b.hidden_units_list[0]
    assert a(nd.ones((2, 3, 8, 8))).shape == (2, 3, 8, 8)


def test_input_nn_accepts_a_dense_network_and_rejects_others():
    dense = NeuralNetworks(L2NormLoss(), units_list=[16], activation_list=["relu"], dropout_rate_list=[0.0],
                           hidden_batch_norm_list=[None], not_init_flag=True)
    model = ConvolutionalNeuralNetworks(
        L2NormLoss(), hidden_units_list=[Conv2D(2, 3, padding=1)], hidden_dropout_rate_list=[0.0],
        hidden_batch_norm_list=[None], hidden_activation_list=["relu"], input_nn=dense,
        input_result_channel=1, input_result_height=4, input_result_width=4, ctx=mx.cpu())
    assert model.input_nn is dense
    assert model.inference(nd.ones((3, 10))).shape == (3, 2, 4, 4)
    with pytest.raises(TypeError, match="input_nn"):
        model.input_nn = "dense"


@pytest.mark.parametrize("arguments, message", [
    (dict(hidden_dropout_rate_list=[0.5]), "hidden_dropout_rate_list"),
    (dict(hidden_units_list=[Conv2D(2, 3), "conv"], hidden_dropout_rate_list=[0, 0]), r"hidden_units_list\[1\]"),
    (dict(computable_loss=42), "computable_loss"),
    (dict(output_nn="head"), "output_nn"),
    (dict(hidden_activation_list=["relu", "softmax"]), "hidden_activation_list"),
])
def test_bad_cnn_arguments_raise_naming_them(arguments, message):
    options = dict(computable_loss=L2NormLoss(), ctx=mx.cpu())
    options.update(arguments)
    with pytest.raises((TypeError, ValueError), match=message):
        ConvolutionalNeuralNetworks(**options)


def test_cae_rejects_non_cnn_parts():
    with pytest.raises(TypeError, match="encoder"):
        ConvolutionalAutoEncoder("encoder", None, L2NormLoss())


def test_cae_contract_defaults_construct_and_hybridized_equals_imperative(mnist_arrays):
    loss = L2NormLoss()
    encoder = ConvolutionalNeuralNetworks(loss, hidden_units_list=[Conv2D(4, 3, strides=2, padding=1)],
                                          hidden_dropout_rate_list=[0.0], hidden_batch_norm_list=[None],
                                          hidden_activation_list=["relu"], not_init_flag=True)
    decoder = ConvolutionalNeuralNetworks(
        loss, hidden_units_list=[Conv2DTranspose(1, 3, strides=2, padding=1, output_padding=1)],
        hidden_dropout_rate_list=[0.0], hidden_batch_norm_list=[None], hidden_activation_list=["sigmoid"],
        not_init_flag=True)
    model = ConvolutionalAutoEncoder(encoder, decoder, loss)  # every other argument at its contract default
    assert model.ctx == mx.cpu() and model.tied_weights_flag is True
    x = nd.array(mnist_arrays["x_test"][:6].reshape(6, 1, 28, 28))
    hybrid = model.inference(x).asnumpy()
    assert hybrid.shape == (6, 1, 28, 28)
    model.hybridize(active=False)
    np.testing.assert_allclose(model.inference(x).asnumpy(), hybrid, rtol=1e-5, atol=1e-6)
    assert model.feature_points_arr.shape == (6, 4, 14, 14)
