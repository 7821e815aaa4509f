"""Every bad argument to a model, or bad data met while learning, is an error that names it —
before any training starts (the data layer's table is tests/test_bad_input_data.py)."""
import math

import mxnet as mx
import numpy as np
import pytest
from mxnet import gluon, nd
from mxnet.gluon.nn import Conv2D

from accelbrainbase.computableloss._mxnet.l2_norm_loss import L2NormLoss
from accelbrainbase.iteratabledata._mxnet.array_iterator import ArrayIterator
from accelbrainbase.observabledata._mxnet.convolutional_neural_networks import ConvolutionalNeuralNetworks
from accelbrainbase.observabledata._mxnet.convolutionalneuralnetworks.convolutional_auto_encoder import \
    ConvolutionalAutoEncoder
from accelbrainbase.observabledata._mxnet.lstm_networks import LSTMNetworks
from accelbrainbase.observabledata._mxnet.neural_networks import NeuralNetworks
from accelbrainbase.observabledata._mxnet.neuralnetworks.auto_encoder import AutoEncoder
from accelbrainbase.observabledata._mxnet.restricted_boltzmann_machines import RestrictedBoltzmannMachines
from helpers import softmax_ce

CPU = mx.cpu()


def dense(**overrides):
    options = dict(units_list=[16, 10], activation_list=["relu", "identity"], dropout_rate_list=[0.0, 0.0],
                   learning_rate=0.01, optimizer_name="adam", ctx=CPU)
    options.update(overrides)
    loss = options.pop("computable_loss", softmax_ce())
    return NeuralNetworks(loss, **options)


def cnn(**overrides):
    options = dict(hidden_units_list=[Conv2D(4, 3, padding=1), Conv2D(4, 3, padding=1)],
                   hidden_dropout_rate_list=[0.0, 0.0], hidden_batch_norm_list=[None, None],
                   hidden_activation_list=["relu", "relu"], ctx=CPU)
    options.update(overrides)
    return ConvolutionalNeuralNetworks(L2NormLoss(), **options)


def lstm(**overrides):
    options = dict(batch_size=4, seq_len=5, hidden_n=8, output_n=2, ctx=CPU)
    options.update(overrides)
    return LSTMNetworks(computable_loss=gluon.loss.L2Loss(), **options)


def rbm(**overrides):
    options = dict(visible_dim=16, hidden_dim=8, ctx=CPU)
    options.update(overrides)
    return RestrictedBoltzmannMachines(L2NormLoss(), **options)


CONSTRUCTOR_CASES = [
    # (id, factory, exception, message fragment)
    ("negative learning rate", lambda: dense(learning_rate=-0.1), ValueError, "learning_rate must be > 0"),
    ("zero learning rate", lambda: dense(learning_rate=0.0), ValueError, "learning_rate must be > 0"),
    ("NaN learning rate", lambda: dense(learning_rate=math.nan), ValueError, "learning_rate must be finite"),
    ("string learning rate", lambda: dense(learning_rate="0.1"), TypeError, "learning_rate must be a number"),
    ("negative decay", lambda: dense(learning_attenuate_rate=-0.5), ValueError, "learning_attenuate_rate must be > 0"),
    ("zero attenuate epoch", lambda: dense(attenuate_epoch=0), ValueError, "attenuate_epoch must be >= 1"),
    ("float attenuate epoch", lambda: dense(attenuate_epoch=1.5), TypeError, "attenuate_epoch must be an int"),
    ("unknown optimizer", lambda: dense(optimizer_name="adamm"), ValueError, "optimizer_name='adamm' is not an MXNet optimizer; choose one of: .*adam"),
    ("optimizer not a name", lambda: dense(optimizer_name=3), TypeError, "optimizer_name must be str"),
    ("zero units", lambda: dense(units_list=[0, 10]), ValueError, r"units_list\[0\] must be >= 1"),
    ("fractional units", lambda: dense(units_list=[16.5, 10]), TypeError, r"units_list\[0\] must be"),
    ("dropout of one", lambda: dense(dropout_rate_list=[1.0, 0.0]), ValueError, r"dropout_rate_list\[0\] must be < 1"),
    ("negative dropout", lambda: dense(dropout_rate_list=[-0.1, 0.0]), ValueError, r"dropout_rate_list\[0\] must be >= 0"),
    ("unknown activation", lambda: dense(activation_list=["relux", "identity"]), ValueError, "relux"),
    ("lists of other lengths", lambda: dense(units_list=[16, 10, 3]), ValueError, "same length"),
    ("initializer by name", lambda: dense(initializer="xavier"), TypeError, "initializer must be"),
    ("loss by name", lambda: dense(computable_loss="mse"), TypeError, "computable_loss must be"),
    ("regularizer not one", lambda: dense(regularizatable_data_list=[1]), TypeError, r"regularizatable_data_list\[0\]"),
    ("context not a context", lambda: dense(ctx="cpu"), TypeError, "ctx must be an mxnet.Context"),
    ("CNN dropout above one", lambda: cnn(hidden_dropout_rate_list=[1.5, 0.5]), ValueError, r"hidden_dropout_rate_list\[0\] must be < 1"),
    ("CNN activation list short", lambda: cnn(hidden_activation_list=["relu"]), ValueError, "same length"),
    ("CNN layer not a block", lambda: cnn(hidden_units_list=["conv", Conv2D(4, 3)]), TypeError, r"hidden_units_list\[0\]"),
    ("CNN negative learning rate", lambda: cnn(learning_rate=-1.0), ValueError, "learning_rate must be > 0"),
    ("CNN input_nn without shape", lambda: cnn(input_nn=dense(not_init_flag=True)), ValueError, "input_result_height"),
    ("LSTM zero hidden units", lambda: lstm(hidden_n=0), ValueError, "hidden_n must be >= 1"),
    ("LSTM zero outputs", lambda: lstm(output_n=0), ValueError, "output_n must be >= 1"),
    ("LSTM zero batch", lambda: lstm(batch_size=0), ValueError, "batch_size must be >= 1"),
    ("LSTM dropout of one", lambda: lstm(dropout_rate=1.0), ValueError, "dropout_rate must be <="),
    ("LSTM negative learning rate", lambda: lstm(learning_rate=-1e-3), ValueError, "learning_rate must be > 0"),
    ("LSTM unknown optimizer", lambda: lstm(optimizer_name="sgdd"), ValueError, "optimizer_name='sgdd'"),
    ("RBM zero visible units", lambda: rbm(visible_dim=0), ValueError, "visible_dim must be >= 1"),
    ("RBM zero hidden units", lambda: rbm(hidden_dim=0), ValueError, "hidden_dim must be >= 1"),
    ("RBM negative learning rate", lambda: rbm(learning_rate=-0.1), ValueError, "learning_rate must be > 0"),
    ("RBM zero Gibbs steps", lambda: rbm(k=0), ValueError, "k must be >= 1"),
    ("auto-encoder part not a network", lambda: AutoEncoder("encoder", dense(not_init_flag=True), L2NormLoss()),
     TypeError, "encoder must be NeuralNetworks"),
    ("CAE part not a CNN", lambda: ConvolutionalAutoEncoder(cnn(not_init_flag=True), dense(not_init_flag=True),
                                                             L2NormLoss()), TypeError, "decoder must be"),
]


@pytest.mark.parametrize("factory, exception, message", [case[1:] for case in CONSTRUCTOR_CASES],
                         ids=[case[0] for case in CONSTRUCTOR_CASES])
def test_bad_constructor_arguments_are_named(factory, exception, message):
    with pytest.raises(exception, match=message):
        factory()


# ---------------------------------------------------------------------- met while learning
def digits_iterator(a, n_classes=10, **overrides):
    options = dict(n_classes=n_classes, epochs=1, batch_size=32, seed=0, ctx=CPU)
    options.update(overrides)
    return ArrayIterator(a["x_train"], a["y_train"], a["x_test"], a["y_test"], **options)


def scrambling_auto_encoder():
    """A decoder whose output is (B, 4, 14, 14) for (B, 1, 28, 28) images: as many numbers, other pixels."""
    encoder = ConvolutionalNeuralNetworks(L2NormLoss(), hidden_units_list=[Conv2D(4, 3, strides=2, padding=1)],
                                          hidden_dropout_rate_list=[0.0], hidden_batch_norm_list=[None],
                                          hidden_activation_list=["relu"], not_init_flag=True, ctx=CPU)
    decoder = ConvolutionalNeuralNetworks(L2NormLoss(), hidden_units_list=[Conv2D(4, 3, padding=1)],
                                          hidden_dropout_rate_list=[0.0], hidden_batch_norm_list=[None],
                                          hidden_activation_list=["identity"], not_init_flag=True, ctx=CPU)
    return ConvolutionalAutoEncoder(encoder, decoder, L2NormLoss(), tied_weights_flag=False, ctx=CPU)


def test_a_decoder_of_another_shape_is_not_silently_reshaped(mnist_arrays):
    x = mnist_arrays["x_train"][:64].reshape(-1, 1, 28, 28)
    iterator = ArrayIterator(x, None, x, None, epochs=1, batch_size=32, seed=0, ctx=CPU)
    with pytest.raises(ValueError, match=r"output has shape \(32, 4, 14, 14\) but its target has shape "
                                         r"\(32, 1, 28, 28\)"):
        scrambling_auto_encoder().learn(iterator)


def test_a_head_of_the_wrong_width_is_named(digits_arrays):
    with pytest.raises(ValueError, match=r"output has shape \(32, 7\) but its target has shape \(32, 10\)"):
        dense(units_list=[16, 7]).learn(digits_iterator(digits_arrays))


def test_inference_on_the_wrong_width_is_named(digits_arrays):
    model = dense()
    model.learn(digits_iterator(digits_arrays))
    with pytest.raises(ValueError, match=r"observed_arr of shape \(3, 32\) does not fit this NeuralNetworks"):
        model.inference(nd.ones((3, 32)))


def test_sparse_class_indices_still_work_with_a_sparse_loss(digits_arrays):
    a = digits_arrays
    iterator = ArrayIterator(a["x_train"], a["y_train"].reshape(-1, 1).astype(np.float32), a["x_test"],
                             a["y_test"].reshape(-1, 1).astype(np.float32), epochs=2, batch_size=32, seed=0, ctx=CPU)
    model = dense(computable_loss=gluon.loss.SoftmaxCrossEntropyLoss(sparse_label=True))
    model.compute_acc_flag = False
    model.learn(iterator)
    assert np.isfinite(model.loss_arr).all() and model.loss_arr[-1, 1] < model.loss_arr[0, 1] * 1.5


@pytest.mark.parametrize("arguments, exception, message", [
    ({"iteratable_data": "batches"}, TypeError, "iteratable_data must be IteratableData"),
    ({"checkpoint_every": 0}, ValueError, "checkpoint_every must be >= 1"),
    ({"resume": True}, ValueError, "resume=True needs checkpoint_path"),
    ({"checkpoint_path": 3}, TypeError, "checkpoint_path must be a path"),
])
def test_bad_learn_arguments_are_named(arguments, exception, message, digits_arrays):
    options = {"iteratable_data": digits_iterator(digits_arrays)}
    options.update(arguments)
    with pytest.raises(exception, match=message):
        dense().learn(**options)
