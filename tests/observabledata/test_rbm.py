"""RestrictedBoltzmannMachines: contract construction, CD-k/PCD learning on real digits,
properties (FINDINGS 4), learning-rate effect, persistence, hybridization and bad input."""
import inspect
import json
import os

import mxnet as mx
import numpy as np
import pytest
from mxnet import gluon

from _boltzmann import CPU, batches, rbm, rmse, shuffled_pixels
from accelbrainbase._mxnet.context import DEFAULT_CTX
from accelbrainbase.computableloss._mxnet.l2_norm_loss import L2NormLoss
from accelbrainbase.iteratabledata._mxnet.gauss_iterator import GaussIterator
from accelbrainbase.observable_data import ObservableData
from accelbrainbase.observabledata._mxnet.restricted_boltzmann_machines import RestrictedBoltzmannMachines
from accelbrainbase.observabledata._mxnet.restrictedboltzmannmachines.plotting import (
    plot_reconstructions, plot_weight_grid,
)
from accelbrainbase.regularizatabledata._mxnet.constrain_weights import ConstrainWeights

CONTRACT = json.load(open(os.path.join(os.path.dirname(__file__), os.pardir, "contract", "contract.json")))
KEY = "accelbrainbase.observabledata._mxnet.restricted_boltzmann_machines.RestrictedBoltzmannMachines"


@pytest.fixture(scope="module")
def trained(digits_arrays):
    """An RBM (64 visible, 64 hidden) after 15 CD-1 epochs on the digits training split."""
    mx.random.seed(0)
    model = rbm()
    model.learn(batches(digits_arrays["x_train"], digits_arrays["x_test"], epochs=15))
    return model


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def test_contract_signature_bases_and_defaults():
    params = list(inspect.signature(RestrictedBoltzmannMachines.__init__).parameters.values())[1:]
    names = [text.partition("=")[0] for text in CONTRACT[KEY]["params"] if not text.startswith("**")]
    assert [p.name for p in params[:len(names)]] == names
    assert params[names.index("ctx")].default is DEFAULT_CTX
    assert [p.name for p in params[len(names):]] == ["k", "persistent_flag", "kwargs"]
    assert issubclass(RestrictedBoltzmannMachines, gluon.HybridBlock)
    assert issubclass(RestrictedBoltzmannMachines, ObservableData)

    model = RestrictedBoltzmannMachines(L2NormLoss())  # every default, ctx=mx.gpu() resolves here
    assert model.ctx == mx.cpu()
    assert model.weights_arr.shape == (100, 1000)
    assert model.visible_bias_arr.shape == (1000,) and model.hidden_bias_arr.shape == (100,)
    assert float(model.visible_bias_arr.abs().sum().asscalar()) == 0.0
    assert model.k == 1 and model.persistent_flag is False
    assert model.visible_dropout_forward is None and model.hidden_dropout_forward is None
    assert model.trainers() == {}  # CD writes the parameters itself: no optimiser, one learning rate
    assert model.loss_arr.shape == (0, 2)
    # structural names of the reference's files ("1.weight"...), plus the new visible bias
    assert {"1.weight", "1.bias", "visible_bias"} <= set(model._collect_params_with_prefix())


def test_shapes_of_every_output(digits_arrays):
    model = rbm(hidden_dim=20)
    x = digits_arrays["x_test"][:7]
    assert model.inference(x).shape == (7, 64)
    assert model.feature_points_arr.shape == (7, 20)
    assert model.hidden_activity_arr.shape == (7, 20) and model.visible_activity_arr.shape == (7, 64)
    images = mx.nd.array(x.reshape(7, 1, 8, 8))  # image batches are flattened
    assert model.inference(images).shape == (7, 64)
    assert model.encode(x).shape == (7, 20) and model.decode(model.encode(x)).shape == (7, 64)
    assert model.free_energy(x).shape == (7,) and model.pseudo_log_likelihood(x).shape == (7,)


def test_learns_digits_and_records_history(trained, digits_arrays):
    x_test = digits_arrays["x_test"]
    mean_image_rmse = float(np.sqrt(((x_test - digits_arrays["x_train"].mean(axis=0)) ** 2).mean(axis=1)).mean())
    assert mean_image_rmse > 0.26
    assert rmse(trained, x_test) < 0.16  # held-out digits, 15 epochs of CD-1
    history = trained.loss_history.to_frame()
    assert list(history.columns) == ["train_loss", "test_loss", "test_free_energy", "test_pseudo_log_likelihood"]
    assert trained.loss_arr.shape == (15, 2)
    assert trained.loss_arr[-1, 0] < 0.7 * trained.loss_arr[0, 0]
    assert trained.loss_list == list(trained.loss_arr[:, 0]) and trained.test_loss_list == list(trained.loss_arr[:, 1])
    assert np.isfinite(history.to_numpy()).all()
    repeated = np.tile(x_test, (5, 1))  # five random bit flips per digit
    untrained_pll = float(rbm().pseudo_log_likelihood(repeated).mean().asscalar())
    trained_pll = float(trained.pseudo_log_likelihood(repeated).mean().asscalar())
    assert trained_pll > untrained_pll + 10.0


def test_real_digits_have_lower_free_energy_than_shuffled_ones(trained, digits_arrays):
    x_test = digits_arrays["x_test"]
    real = trained.free_energy(x_test).asnumpy()
    shuffled = trained.free_energy(shuffled_pixels(x_test)).asnumpy()
    assert real.mean() < shuffled.mean() - 20.0
    assert (real < shuffled).mean() > 0.95


def test_features_come_from_the_data_and_both_biases_learn(trained, digits_arrays):
    x = digits_arrays["x_test"][:10]
    trained.inference(x)
    w, c, b = (arr.asnumpy() for arr in (trained.weights_arr, trained.hidden_bias_arr, trained.visible_bias_arr))
    expected_features = sigmoid(x @ w.T + c)
    np.testing.assert_allclose(trained.feature_points_arr.asnumpy(), expected_features, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(trained.visible_activity_arr.asnumpy(), sigmoid(expected_features @ w + b),
                               rtol=1e-4, atol=1e-5)
    assert np.abs(b).max() > 0.1 and np.abs(c).max() > 0.01


def test_parameter_properties_are_assignable_and_checked():
    model = rbm(hidden_dim=3, visible_dim=4)
    model.weights_arr = np.ones((3, 4))
    model.visible_bias_arr = mx.nd.full((4,), 0.5)
    model.hidden_bias_arr = [1.0, 2.0, 3.0]
    np.testing.assert_array_equal(model.weights_arr.asnumpy(), np.ones((3, 4)))
    np.testing.assert_array_equal(model.visible_bias_arr.asnumpy(), np.full(4, 0.5))
    np.testing.assert_array_equal(model.hidden_bias_arr.asnumpy(), [1, 2, 3])
    with pytest.raises(ValueError, match="weights_arr"):
        model.weights_arr = np.ones((4, 3))
    for name in ("feature_points_arr", "loss_arr", "loss_list", "test_loss_list"):
        with pytest.raises(TypeError, match=name):
            setattr(model, name, None)


def test_learning_rate_and_its_decay_change_the_cd_update(digits_arrays):
    x_train, x_test = digits_arrays["x_train"], digits_arrays["x_test"]

    def run(**kwargs):
        mx.random.seed(3)
        model = rbm(**kwargs)
        model.learn(batches(x_train, x_test, epochs=3))
        return model

    slow, fast, decayed = run(learning_rate=0.01), run(learning_rate=0.1), \
        run(learning_rate=0.1, learning_attenuate_rate=0.1, attenuate_epoch=1)
    assert fast.loss_arr[-1, 0] < slow.loss_arr[-1, 0] - 0.03
    first_layer_change = np.abs(fast.weights_arr.asnumpy() - slow.weights_arr.asnumpy()).mean()
    assert first_layer_change > 0.01
    assert decayed.loss_arr[0, 0] == pytest.approx(fast.loss_arr[0, 0], rel=1e-5)  # same first epoch
    assert np.abs(decayed.weights_arr.asnumpy() - fast.weights_arr.asnumpy()).mean() > 0.005
    assert decayed._cd_learning_rate == pytest.approx(0.1 * 0.1 ** 2)


@pytest.mark.parametrize("visible_activation", ["sigmoid", "identity"])
def test_one_persistent_cd_step_equals_the_numpy_update(digits_arrays, visible_activation):
    """With the persistent chain given, a PCD-1 step is deterministic: the fused graph's new W, b
    and c equal the textbook update written in numpy, and the returned features and mean-field
    reconstruction use the parameters from before the step."""
    rng = np.random.RandomState(0)
    v0 = digits_arrays["x_train"][:32].astype(np.float32)
    model = rbm(visible_activation=visible_activation, persistent_flag=True, learning_rate=0.05)
    w, c = 0.1 * rng.randn(64, 64).astype(np.float32), 0.1 * rng.randn(64).astype(np.float32)
    b = 0.1 * rng.randn(64).astype(np.float32)
    model.weights_arr, model.hidden_bias_arr, model.visible_bias_arr = w, c, b
    chain = (rng.rand(32, 64) < 0.5).astype(np.float32)
    model._chain = mx.nd.array(chain, ctx=CPU)

    hidden, reconstruction, _ = model.contrastive_divergence(mx.nd.array(v0, ctx=CPU))

    means = sigmoid if visible_activation == "sigmoid" else (lambda z: z)
    positive = sigmoid(v0 @ w.T + c)
    visible = means(chain @ w + b)
    negative = sigmoid(visible @ w.T + c)
    rate = 0.05 / len(v0)
    np.testing.assert_allclose(hidden.asnumpy(), positive, atol=1e-5)
    np.testing.assert_allclose(reconstruction.asnumpy(), means(positive @ w + b), atol=1e-5)
    np.testing.assert_allclose(model.weights_arr.asnumpy(), w + rate * (positive.T @ v0 - negative.T @ visible),
                               atol=1e-5)
    np.testing.assert_allclose(model.visible_bias_arr.asnumpy(), b + rate * (v0.sum(0) - visible.sum(0)), atol=1e-5)
    np.testing.assert_allclose(model.hidden_bias_arr.asnumpy(), c + rate * (positive.sum(0) - negative.sum(0)),
                               atol=1e-5)


@pytest.mark.parametrize("visible_activation", ["sigmoid", "identity"])
def test_decode_equals_the_numpy_visible_means_inside_and_outside_autograd(visible_activation):
    """``decode`` (the imperative visible means, with the sigmoid written in place outside autograd)
    gives ``act(h W + b)``, and inside ``autograd.record`` it is differentiable: the gradient of
    the decoded sum with respect to ``h`` is ``(act'(h W + b)) Wᵀ``."""
    rng = np.random.RandomState(1)
    model = rbm(visible_dim=20, hidden_dim=7, visible_activation=visible_activation)
    w, b = rng.randn(7, 20).astype(np.float32), rng.randn(20).astype(np.float32)
    model.weights_arr, model.visible_bias_arr = w, b
    h = rng.rand(5, 7).astype(np.float32)
    pre = h @ w + b
    expected = sigmoid(pre) if visible_activation == "sigmoid" else pre
    np.testing.assert_allclose(model.decode(h).asnumpy(), expected, rtol=1e-5, atol=1e-6)
    h_arr = mx.nd.array(h, ctx=CPU)
    h_arr.attach_grad()
    with mx.autograd.record():
        decoded = model.decode(h_arr)
        total = decoded.sum()
    total.backward()
    np.testing.assert_allclose(decoded.asnumpy(), expected, rtol=1e-5, atol=1e-6)
    slope = expected * (1 - expected) if visible_activation == "sigmoid" else np.ones_like(pre)
    np.testing.assert_allclose(h_arr.grad.asnumpy(), slope @ w.T, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("options, threshold", [({"k": 3}, 0.16), ({"persistent_flag": True}, 0.17),
                                                ({"hidden_dropout_rate": 0.2}, 0.17)])
def test_cd_k_persistent_and_dropout_variants_learn(digits_arrays, options, threshold):
    mx.random.seed(0)
    model = rbm(**options)
    model.learn(batches(digits_arrays["x_train"], digits_arrays["x_test"], epochs=15))
    assert rmse(model, digits_arrays["x_test"]) < threshold


def test_regularizers_run_after_each_update(digits_arrays):
    model = rbm(regularizatable_data_list=[ConstrainWeights(weight_limit=4.0)])
    model.learn(batches(digits_arrays["x_train"], digits_arrays["x_test"], epochs=2))
    assert float(mx.nd.sum(mx.nd.square(model.weights_arr)).asscalar()) <= 4.0 + 1e-3


def test_gaussian_visible_units_learn_from_the_gauss_iterator():
    mx.random.seed(0)
    model = RestrictedBoltzmannMachines(L2NormLoss(), visible_activation="identity", visible_dim=20, hidden_dim=8,
                                        learning_rate=0.01, ctx=CPU)
    model.learn(GaussIterator(dim=20, epochs=3, batch_size=20, dataset_size=200, ctx=CPU))  # z-scored batches
    assert model.loss_arr.shape == (3, 2) and np.isfinite(model.loss_arr).all()
    assert "test_pseudo_log_likelihood" not in model.loss_history.to_frame()

    bernoulli = rbm(visible_dim=20, hidden_dim=8)
    with pytest.raises(ValueError, match="iteratable_data.*\\[0, 1\\].*norm_mode='min_max'"):
        bernoulli.learn(GaussIterator(dim=20, epochs=1, batch_size=20, dataset_size=40, ctx=CPU))
    bernoulli.learn(GaussIterator(dim=20, epochs=1, batch_size=20, dataset_size=40, norm_mode="min_max", ctx=CPU))
    assert bernoulli.loss_arr.shape == (1, 2)


def test_save_load_round_trip_gives_identical_outputs(trained, digits_arrays, tmp_path):
    path = str(tmp_path / "rbm.params")
    trained.save_parameters(path)
    restored = rbm()
    restored.load_parameters(path, ctx=CPU)
    x = digits_arrays["x_test"]
    np.testing.assert_array_equal(restored.inference(x).asnumpy(), trained.inference(x).asnumpy())
    np.testing.assert_array_equal(restored.feature_points_arr.asnumpy(), trained.feature_points_arr.asnumpy())


def test_checkpoint_resume_continues_the_history(digits_arrays, tmp_path):
    x_train, x_test = digits_arrays["x_train"], digits_arrays["x_test"]
    path = str(tmp_path / "rbm.ckpt")
    mx.random.seed(0)
    first = rbm()
    first.learn(batches(x_train, x_test, epochs=2), checkpoint_path=path)
    resumed = rbm()
    resumed.learn(batches(x_train, x_test, epochs=4), checkpoint_path=path, resume=True)
    assert resumed.loss_arr.shape == (4, 2)
    np.testing.assert_array_equal(resumed.loss_arr[:2], first.loss_arr)
    assert list(resumed.loss_history.column("epoch")) == [0, 1, 2, 3]
    assert resumed.loss_arr[3, 0] < first.loss_arr[1, 0]  # it went on learning from the checkpoint


def test_checkpoint_keeps_the_persistent_chain(digits_arrays, tmp_path):
    x_train, x_test = digits_arrays["x_train"], digits_arrays["x_test"]
    path = str(tmp_path / "pcd.ckpt")
    first = rbm(persistent_flag=True)
    first.learn(batches(x_train, x_test, epochs=2), checkpoint_path=path)
    chain = first.checkpoint_arrays()["chain"].asnumpy()
    resumed = rbm(persistent_flag=True)
    resumed.learn(batches(x_train, x_test, epochs=2), checkpoint_path=path, resume=True)  # nothing left to train
    np.testing.assert_array_equal(resumed.checkpoint_arrays()["chain"].asnumpy(), chain)
    assert rbm().checkpoint_arrays() == {}  # plain CD keeps no chain


def test_hybridized_and_exported_graphs_equal_the_imperative_pass(trained, digits_arrays, tmp_path):
    x = mx.nd.array(digits_arrays["x_test"])
    imperative = trained.inference(x).asnumpy()
    features = trained.feature_points_arr.asnumpy()
    trained.hybridize()
    try:
        np.testing.assert_allclose(trained.inference(x).asnumpy(), imperative, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(trained.feature_points_arr.asnumpy(), features, rtol=1e-5, atol=1e-6)
    finally:
        trained.hybridize(active=False)
    symbol_file, params_file = trained.export(str(tmp_path / "rbm"))
    served = gluon.SymbolBlock.imports(symbol_file, ["data"], params_file, ctx=CPU)
    np.testing.assert_allclose(served(x).asnumpy(), imperative, rtol=1e-5, atol=1e-6)


def test_weight_and_reconstruction_plots(trained, digits_arrays, tmp_path):
    weights_png, pairs_png = str(tmp_path / "w.png"), str(tmp_path / "r.png")
    plot_weight_grid(trained.weights_arr, (8, 8), path=weights_png, max_units=16)
    x = digits_arrays["x_test"][:6]
    plot_reconstructions(x, trained.reconstruct(x), (8, 8), path=pairs_png)
    assert os.path.getsize(weights_png) > 1000 and os.path.getsize(pairs_png) > 1000
    with pytest.raises(ValueError, match="image_shape"):
        plot_weight_grid(trained.weights_arr, (7, 8))


@pytest.mark.parametrize("kwargs, error, name", [
    ({"hidden_dim": 0}, ValueError, "hidden_dim"),
    ({"visible_dim": -3}, ValueError, "visible_dim"),
    ({"hidden_dim": 2.5}, TypeError, "hidden_dim"),
    ({"k": 0}, ValueError, "k must"),
    ({"persistent_flag": 1}, TypeError, "persistent_flag"),
    ({"visible_activation": "tanh"}, ValueError, "visible_activation"),
    ({"hidden_activation": "relu"}, ValueError, "hidden_activation"),
    ({"learning_rate": 0.0}, ValueError, "learning_rate"),
    ({"hidden_dropout_rate": 1.0}, ValueError, "hidden_dropout_rate"),
    ({"initializer": "xavier"}, TypeError, "initializer"),
    ({"regularizatable_data_list": [object()]}, TypeError, "regularizatable_data_list"),
    ({"visible_batch_norm": "bn"}, TypeError, "visible_batch_norm"),
    ({"ctx": "cpu"}, TypeError, "ctx"),
])
def test_bad_constructor_arguments_are_named(kwargs, error, name):
    arguments = dict(visible_dim=4, hidden_dim=2, ctx=CPU)
    arguments.update(kwargs)
    with pytest.raises(error, match=name):
        RestrictedBoltzmannMachines(L2NormLoss(), **arguments)
    with pytest.raises(TypeError, match="computable_loss"):
        RestrictedBoltzmannMachines("l2", ctx=CPU)


def test_bad_data_is_named(digits_arrays):
    model = rbm()
    x = digits_arrays["x_test"]
    with pytest.raises(ValueError, match="observed_arr must have shape"):
        model.inference(x[0])
    with pytest.raises(ValueError, match="observed_arr has 63 values"):
        model.inference(x[:, :63])
    with pytest.raises(ValueError, match="observed_arr holds values in \\[0, 16\\]"):
        model.free_energy(x * 16)
    with pytest.raises(ValueError, match="observed_arr contains NaN"):
        model.encode(np.full((2, 64), np.nan))
    with pytest.raises(ValueError, match="hidden_arr"):
        model.decode(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="iteratable_data's training batch holds values"):
        model.learn(batches(x * 16, x, epochs=1))
    with pytest.raises(TypeError, match="iteratable_data"):
        model.learn([x])


def test_unknown_keyword_arguments_are_ignored_with_a_warning():
    import pytest as _pytest
    from accelbrainbase.computableloss._mxnet.l2_norm_loss import L2NormLoss as _Loss
    from accelbrainbase.observabledata._mxnet.restricted_boltzmann_machines import RestrictedBoltzmannMachines as _RBM

    with _pytest.warns(UserWarning, match="persistent"):
        model = _RBM(_Loss(), visible_dim=4, hidden_dim=2, persistent=True)  # a typo of persistent_flag
    assert model.weights_arr.shape == (2, 4) and model.persistent_flag is False
