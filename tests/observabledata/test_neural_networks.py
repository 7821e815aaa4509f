"""NeuralNetworks, AutoEncoder and NN3DHybrid on real digits."""
import os

import mxnet as mx
import numpy as np
import pytest
from mxnet import gluon, nd

from accelbrainbase.computableloss._mxnet.l2_norm_loss import L2NormLoss
from accelbrainbase.extractabledata.labeled_csv_extractor import LabeledCSVExtractor
from accelbrainbase.iteratabledata._mxnet.labeled_csv_iterator import LabeledCSVIterator
from accelbrainbase.observabledata._mxnet.neural_networks import NeuralNetworks
from accelbrainbase.observabledata._mxnet.neuralnetworks.auto_encoder import AutoEncoder
from accelbrainbase.observabledata._mxnet.neuralnetworks.neural_networks_3d import NN3DHybrid
from accelbrainbase.regularizatabledata._mxnet.constrain_weights import ConstrainWeights
from helpers import softmax_ce


def classifier(**overrides):
    options = dict(units_list=[50, 10], activation_list=["relu", "identity"], dropout_rate_list=[0.0, 0.0],
                   learning_rate=0.01, optimizer_name="adam", ctx=mx.cpu())
    options.update(overrides)
    return NeuralNetworks(softmax_ce(), **options)


def test_contract_defaults_construct_and_resolve_to_cpu():
    model = NeuralNetworks(L2NormLoss())  # ctx default is mx.gpu(): falls back to the CPU here
    assert model.ctx == mx.cpu()
    out = model.inference(nd.ones((4, 3, 2)))
    assert out.shape == (4, 1)
    assert model.units_list == [100, 1]
    assert model.loss_arr.shape == (0, 2)


def test_digits_classifier_reaches_093_through_the_csv_iterator(digits_csv, digits_arrays):
    iterator = LabeledCSVIterator(LabeledCSVExtractor("label"), digits_csv["train_path"], digits_csv["test_path"],
                                  epochs=15, batch_size=32, norm_mode="none", seed=0)
    model = classifier()
    model.learn(iterator)
    accuracy = (model.inference(nd.array(digits_arrays["x_test"])).argmax(axis=1).asnumpy()
                == digits_arrays["y_test"]).mean()
    assert accuracy >= 0.93
    assert model.loss_arr.shape == (15, 2)
    assert model.loss_arr[-1, 0] < model.loss_arr[0, 0] / 3
    frame = model.loss_history.to_frame()
    assert list(frame.columns[:2]) == ["train_loss", "test_loss"] and len(frame) == 15


def test_hybridized_equals_imperative(digits_arrays):
    model = classifier(dropout_rate_list=[0.3, 0.0])
    x = nd.array(digits_arrays["x_test"][:16])
    hybrid = model.inference(x).asnumpy()
    model.hybridize(active=False)
    imperative = model.inference(x).asnumpy()
    np.testing.assert_allclose(hybrid, imperative, rtol=1e-5, atol=1e-6)


def test_log_softmax_is_log_softmax():
    model = NeuralNetworks(L2NormLoss(), units_list=[5], activation_list=["log_softmax"], dropout_rate_list=[0.0],
                           hidden_batch_norm_list=[None], ctx=mx.cpu())
    out = model.inference(nd.random.normal(shape=(3, 4))).asnumpy()
    assert (out <= 0).all()
    np.testing.assert_allclose(np.exp(out).sum(axis=1), 1.0, rtol=1e-5)


def test_save_load_round_trip(tmp_path, digits_arrays):
    model = classifier()
    x = nd.array(digits_arrays["x_test"][:8])
    model.inference(x)  # shapes are inferred on the first batch
    path = str(tmp_path / "nn.params")
    model.save_parameters(path)
    other = classifier()
    other.load_parameters(path, ctx=mx.cpu())
    np.testing.assert_array_equal(model.inference(x).asnumpy(), other.inference(x).asnumpy())


def test_export_round_trip(tmp_path, digits_arrays):
    model = classifier()
    x = nd.array(digits_arrays["x_test"][:8])
    with pytest.raises(ValueError, match="inference"):
        model.export(str(tmp_path / "too_early"))
    model.inference(x)
    symbol_file, params_file = model.export(str(tmp_path / "served"))
    served = gluon.SymbolBlock.imports(symbol_file, ["data"], params_file, ctx=mx.cpu())
    np.testing.assert_allclose(served(x).asnumpy(), model.inference(x).asnumpy(), rtol=1e-6)


def test_regularizer_is_applied_after_each_step(digits_csv):
    iterator = LabeledCSVIterator(LabeledCSVExtractor("label"), digits_csv["train_path"], digits_csv["test_path"],
                                  epochs=1, batch_size=32, norm_mode="none", seed=0)
    model = classifier(regularizatable_data_list=[ConstrainWeights(weight_limit=0.5)])
    model.learn(iterator)
    for name, value in model.extract_learned_dict().items():
        if name.endswith("weight"):
            assert float((value ** 2).sum().asscalar()) <= 0.5 + 1e-4


def test_auto_encoder_learns_digits_and_exposes_features(digits_arrays):
    from helpers import ArrayBatches

    encoder = NeuralNetworks(L2NormLoss(), units_list=[32, 16], activation_list=["relu", "relu"],
                             dropout_rate_list=[0.0, 0.0], not_init_flag=True)
    decoder = NeuralNetworks(L2NormLoss(), units_list=[32, 64], activation_list=["relu", "sigmoid"],
                             dropout_rate_list=[0.0, 0.0], not_init_flag=True)
    model = AutoEncoder(encoder, decoder, L2NormLoss(), learning_rate=0.01, optimizer_name="adam", ctx=mx.cpu())
    x, tx = digits_arrays["x_train"], digits_arrays["x_test"]
    model.learn(ArrayBatches(x, x, tx, tx, epochs=10, batch_size=32))
    reconstruction = model.inference(nd.array(tx))
    # per-sample RMSE against the baseline of predicting the mean training digit
    rmse = np.sqrt(((reconstruction.asnumpy() - tx) ** 2).mean(axis=1)).mean()
    baseline = np.sqrt(((x.mean(axis=0) - tx) ** 2).mean(axis=1)).mean()
    assert rmse < 0.6 * baseline, (rmse, baseline)
    assert reconstruction.shape == (len(tx), 64)
    assert model.feature_points_arr.shape == (len(tx), 16)
    assert isinstance(model.extract_feature_points(), nd.NDArray)


def test_auto_encoder_ties_transposed_weights(tmp_path):
    encoder = NeuralNetworks(L2NormLoss(), units_list=[8], activation_list=["relu"], dropout_rate_list=[0.0],
                             hidden_batch_norm_list=[None], not_init_flag=True)
    decoder = NeuralNetworks(L2NormLoss(), units_list=[12], activation_list=["sigmoid"], dropout_rate_list=[0.0],
                             hidden_batch_norm_list=[None], not_init_flag=True)
    model = AutoEncoder(encoder, decoder, L2NormLoss(), tied_weights_flag=True, ctx=mx.cpu())
    model.inference(nd.ones((2, 12)))
    model.regularize()
    w_enc = encoder.fc_list[0].weight.data().asnumpy()
    w_dec = decoder.fc_list[0].weight.data().asnumpy()
    np.testing.assert_array_equal(w_dec, w_enc.T)
    path = str(tmp_path / "ae.params")
    model.save_parameters(path)
    assert os.path.exists(str(tmp_path / "ae_encoder.params")) and os.path.exists(str(tmp_path / "ae_decoder.params"))


def test_nn3d_applies_dense_layers_per_time_step():
    model = NN3DHybrid(L2NormLoss(), units_list=[7, 3], activation_list=["relu", "identity"],
                       dropout_rate_list=[0.0, 0.0], ctx=mx.cpu())
    x = nd.random.normal(shape=(4, 5, 6))
    out = model.inference(x)
    assert out.shape == (4, 5, 3)
    # each step is independent: the result for step 2 equals feeding that step alone
    single = model.inference(x[:, 2:3, :])
    np.testing.assert_allclose(out[:, 2:3, :].asnumpy(), single.asnumpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("arguments, message", [
    (dict(computable_loss="mse"), "computable_loss"),
    (dict(initializer="xavier"), "initializer"),
    (dict(regularizatable_data_list=["l2"]), r"regularizatable_data_list\[0\]"),
    (dict(units_list=[10, 5, 2]), "len"),
    (dict(dropout_rate_list=[0.1]), "dropout_rate_list"),
    (dict(hidden_batch_norm_list=[None]), "hidden_batch_norm_list"),
    (dict(activation_list=["relu", "wobble"]), "activation_list"),
    (dict(ctx="gpu"), "ctx"),
])
def test_bad_constructor_arguments_raise_naming_them(arguments, message):
    options = dict(computable_loss=L2NormLoss(), units_list=[10, 2], activation_list=["relu", "identity"],
                   dropout_rate_list=[0.0, 0.0])
    options.update(arguments)
    with pytest.raises((TypeError, ValueError), match=message):
        NeuralNetworks(**options)


def test_learn_rejects_a_non_iterator():
    with pytest.raises(TypeError, match="iteratable_data"):
        classifier().learn([1, 2, 3])
