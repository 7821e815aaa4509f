"""DeepBoltzmannMachines: any stack trains (FINDINGS 2), its learning rate reaches every CD
update (FINDINGS 3), greedy layer-wise schedule, fine-tuning, per-layer features, top-down
reconstruction, persistence and bad input."""
import inspect
import json
import os

import mxnet as mx
import numpy as np
import pytest
from mxnet import gluon

from _boltzmann import CPU, batches, rbm, rmse
from accelbrainbase._mxnet.context import DEFAULT_CTX
from accelbrainbase.computableloss._mxnet.l2_norm_loss import L2NormLoss
from accelbrainbase.observabledata._mxnet.restricted_boltzmann_machines import RestrictedBoltzmannMachines
from accelbrainbase.observabledata._mxnet.restrictedboltzmannmachines.deep_boltzmann_machines import (
    DeepBoltzmannMachines,
)

CONTRACT = json.load(open(os.path.join(os.path.dirname(__file__), os.pardir, "contract", "contract.json")))
KEY = ("accelbrainbase.observabledata._mxnet.restrictedboltzmannmachines.deep_boltzmann_machines."
       "DeepBoltzmannMachines")


def dbm(sizes=(64, 32, 16), learning_rate=0.1, **kwargs):
    layers = [rbm(sizes[i], sizes[i + 1]) for i in range(len(sizes) - 1)]
    return DeepBoltzmannMachines(L2NormLoss(), layers, learning_rate=learning_rate, ctx=CPU, **kwargs)


class Recording(DeepBoltzmannMachines):
    """Keeps each layer's weights at the end of every epoch; can stop like a Ctrl-C."""

    stop_at = None

    def epoch_metrics(self):
        if self.epoch == self.stop_at:
            raise KeyboardInterrupt
        self.__dict__.setdefault("snapshots", []).append([w.asnumpy().copy() for w in self.weights_arr])
        return super().epoch_metrics()


@pytest.fixture(scope="module")
def pretrained(digits_arrays):
    """64-32-16 after 16 layer-wise epochs (8 per layer) on the digits training split."""
    mx.random.seed(0)
    model = dbm()
    model.untrained_rmse = rmse(model, digits_arrays["x_test"])
    model.learn(batches(digits_arrays["x_train"], digits_arrays["x_test"], epochs=16))
    return model


def test_contract_signature_defaults_and_union_of_parameters():
    params = list(inspect.signature(DeepBoltzmannMachines.__init__).parameters.values())[1:]
    names = [text.partition("=")[0] for text in CONTRACT[KEY]["params"] if not text.startswith("**")]
    assert [p.name for p in params[:len(names)]] == names
    assert params[names.index("ctx")].default is DEFAULT_CTX
    assert issubclass(DeepBoltzmannMachines, RestrictedBoltzmannMachines)

    layers = [RestrictedBoltzmannMachines(L2NormLoss(), visible_dim=30, hidden_dim=20),
              RestrictedBoltzmannMachines(L2NormLoss(), visible_dim=20, hidden_dim=10)]
    model = DeepBoltzmannMachines(L2NormLoss(), layers)  # contract defaults (ctx resolves to the CPU)
    assert model.ctx == mx.cpu() and model.init_deferred_flag is False
    assert model.rbm_list == layers
    expected = list(layers[0].collect_params()) + list(layers[1].collect_params())
    assert list(model.collect_params()) == expected
    assert isinstance(model.trainer, gluon.Trainer)
    assert model.visible_dim == 30 and model.hidden_dim == 10 and model.k == [1, 1]
    assert [w.shape for w in model.weights_arr] == [(20, 30), (10, 20)]
    with pytest.raises(TypeError, match="feature_points_arr"):
        model.feature_points_arr = None
    with pytest.raises(TypeError, match="rbm_list\\[i\\].weights_arr"):
        model.weights_arr = []


def test_layer_wise_pretraining_learns_digits_with_frozen_lower_layers(digits_arrays):
    mx.random.seed(0)
    model = Recording(L2NormLoss(), [rbm(64, 32), rbm(32, 16)], learning_rate=0.1, ctx=CPU)
    model.learn(batches(digits_arrays["x_train"], digits_arrays["x_test"], epochs=4))
    history = model.loss_history.to_frame()
    assert list(history["layer"]) == [0, 0, 1, 1] and list(history["fine_tuning"]) == [0, 0, 0, 0]
    assert np.isnan(history["test_free_energy_layer1"].iloc[0]) and np.isfinite(history["test_free_energy_layer1"].iloc[2])
    (w0_e0, w1_e0), (w0_e1, w1_e1), (w0_e2, _), (w0_e3, w1_e3) = model.snapshots
    assert not np.array_equal(w0_e0, w0_e1) and np.array_equal(w1_e0, w1_e1)  # layer 0 learns, 1 waits
    assert np.array_equal(w0_e1, w0_e2) and np.array_equal(w0_e2, w0_e3)  # then layer 0 is frozen
    assert not np.array_equal(w1_e1, w1_e3)


def test_pretrained_stack_reconstructs_held_out_digits(pretrained, digits_arrays):
    x_test = digits_arrays["x_test"]
    assert pretrained.untrained_rmse > 0.4
    assert rmse(pretrained, x_test) < 0.24  # through a 16-unit bottleneck and back
    assert pretrained.loss_arr.shape == (16, 2)
    assert pretrained.loss_arr[7, 1] < pretrained.loss_arr[0, 1] and pretrained.loss_arr[15, 1] < pretrained.loss_arr[8, 1]


def test_inference_shapes_per_layer_and_top_down_paths(pretrained, digits_arrays):
    x = digits_arrays["x_test"][:9]
    top = pretrained.inference(x)
    assert top.shape == (9, 16)
    assert pretrained.feature_points_arr.shape == (9, 16)
    assert [f.shape for f in pretrained.feature_points_arr_list] == [(9, 32), (9, 16)]
    assert [layer.feature_points_arr.shape for layer in pretrained.rbm_list] == [(9, 32), (9, 16)]
    np.testing.assert_allclose(pretrained.rbm_list[1].encode(pretrained.rbm_list[0].encode(x)).asnumpy(),
                               top.asnumpy(), rtol=1e-5, atol=1e-6)
    assert pretrained.reconstruct(x).shape == (9, 64) and pretrained.decode(top).shape == (9, 64)
    layer_wise = pretrained.rbm_list[0].decode(pretrained.rbm_list[1].decode(top))
    np.testing.assert_allclose(pretrained.reconstruct(x).asnumpy(), layer_wise.asnumpy(), rtol=1e-5, atol=1e-6)


def test_784_256_64_stack_trains_on_mnist(mnist_arrays):
    """The reference's DBM failed on its first step for any stack narrower at the top."""
    x_train, x_test = mnist_arrays["x_train"][::4], mnist_arrays["x_test"][::5]
    mx.random.seed(0)
    model = dbm((784, 256, 64))
    before = rmse(model, x_test)
    model.learn(batches(x_train, x_test, epochs=2, batch_size=100))
    assert model.inference(x_test).shape == (200, 64)
    assert [f.shape for f in model.feature_points_arr_list] == [(200, 256), (200, 64)]
    assert model.reconstruct(x_test).shape == (200, 784)
    assert rmse(model, x_test) < 0.75 * before


def test_dbm_learning_rate_reaches_every_cd_update(digits_arrays):
    x_train, x_test = digits_arrays["x_train"], digits_arrays["x_test"]

    def train(dbm_rate, layer_rates, epochs=2, **kwargs):
        mx.random.seed(5)
        layers = [rbm(64, 32, learning_rate=layer_rates[0]), rbm(32, 16, learning_rate=layer_rates[1])]
        model = DeepBoltzmannMachines(L2NormLoss(), layers, learning_rate=dbm_rate, ctx=CPU, **kwargs)
        model.learn(batches(x_train, x_test, epochs=epochs))
        return [w.asnumpy() for w in model.weights_arr], model

    weights_a, _ = train(0.05, (0.001, 0.5))
    weights_b, model_b = train(0.05, (0.3, 0.002))  # the layers' own rates do not matter
    weights_c, _ = train(0.005, (0.001, 0.5))
    for a, b in zip(weights_a, weights_b):
        np.testing.assert_array_equal(a, b)
    for a, c in zip(weights_a, weights_c):
        assert np.abs(a - c).mean() > 1e-3
    assert [layer._cd_learning_rate for layer in model_b.rbm_list] == [0.05, 0.05]

    # decay: epoch 0 (layer 0) at 0.05, epoch 1 (layer 1) at 0.005
    weights_d, model_d = train(0.05, (0.001, 0.5), learning_attenuate_rate=0.1, attenuate_epoch=1)
    np.testing.assert_array_equal(weights_d[0], weights_a[0])
    assert np.abs(weights_d[1] - weights_a[1]).mean() > 1e-3
    assert [layer._cd_learning_rate for layer in model_d.rbm_list] == [pytest.approx(0.005)] * 2

    # the fine-tuning rate changes only the fine-tuning epoch
    tuned = [train(0.05, (0.1, 0.1), epochs=3, fine_tuning_epochs=1, fine_tuning_learning_rate=rate)
             for rate in (0.01, 1.0)]
    np.testing.assert_array_equal(tuned[0][1].loss_arr[:2], tuned[1][1].loss_arr[:2])
    assert np.abs(tuned[0][0][0] - tuned[1][0][0]).mean() > 1e-3


def test_simultaneous_pretraining_and_fine_tuning(digits_arrays):
    x_train, x_test = digits_arrays["x_train"], digits_arrays["x_test"]
    mx.random.seed(0)
    simultaneous = dbm(pretraining_mode="simultaneous")
    simultaneous.learn(batches(x_train, x_test, epochs=16))
    assert list(simultaneous.loss_history.column("layer")) == [1] * 16
    assert rmse(simultaneous, x_test) < 0.24

    mx.random.seed(0)
    pretrained_only = dbm()
    pretrained_only.learn(batches(x_train, x_test, epochs=16))
    mx.random.seed(0)
    fine_tuned = dbm(fine_tuning_epochs=4, optimizer_name="adam", fine_tuning_learning_rate=0.001)
    fine_tuned.learn(batches(x_train, x_test, epochs=20))
    assert list(fine_tuned.loss_history.column("fine_tuning")) == [0] * 16 + [1] * 4
    np.testing.assert_array_equal(fine_tuned.loss_arr[:16], pretrained_only.loss_arr)
    assert rmse(fine_tuned, x_test) < rmse(pretrained_only, x_test) - 0.005


def test_save_load_round_trip_gives_identical_outputs(pretrained, digits_arrays, tmp_path):
    path = str(tmp_path / "dbm.params")
    pretrained.save_parameters(path)
    restored = dbm()
    restored.load_parameters(path, ctx=CPU)
    x = digits_arrays["x_test"]
    np.testing.assert_array_equal(restored.inference(x).asnumpy(), pretrained.inference(x).asnumpy())
    np.testing.assert_array_equal(restored.reconstruct(x).asnumpy(), pretrained.reconstruct(x).asnumpy())


def test_interrupted_learning_resumes_from_the_checkpoint(digits_arrays, tmp_path):
    x_train, x_test = digits_arrays["x_train"], digits_arrays["x_test"]
    path = str(tmp_path / "dbm.ckpt")
    mx.random.seed(0)
    interrupted = Recording(L2NormLoss(), [rbm(64, 32), rbm(32, 16)], learning_rate=0.1, ctx=CPU)
    interrupted.stop_at = 2  # "Ctrl-C" during the third epoch: the history keeps two epochs
    interrupted.learn(batches(x_train, x_test, epochs=4), checkpoint_path=path)
    assert interrupted.loss_arr.shape == (2, 2)
    resumed = dbm()
    resumed.learn(batches(x_train, x_test, epochs=4), checkpoint_path=path, resume=True)
    history = resumed.loss_history.to_frame()
    assert list(history.index) == [0, 1, 2, 3] and list(history["layer"]) == [0, 0, 1, 1]
    np.testing.assert_array_equal(resumed.loss_arr[:2], interrupted.loss_arr)
    np.testing.assert_array_equal(resumed.weights_arr[0].asnumpy(), interrupted.snapshots[1][0])  # layer 0 frozen


def test_hybridized_equals_imperative(pretrained, digits_arrays):
    x = mx.nd.array(digits_arrays["x_test"])
    imperative = pretrained.inference(x).asnumpy()
    layers = [f.asnumpy() for f in pretrained.feature_points_arr_list]
    pretrained.hybridize()
    try:
        np.testing.assert_allclose(pretrained.inference(x).asnumpy(), imperative, rtol=1e-5, atol=1e-6)
        for stored, expected in zip(pretrained.feature_points_arr_list, layers):
            np.testing.assert_allclose(stored.asnumpy(), expected, rtol=1e-5, atol=1e-6)
    finally:
        pretrained.hybridize(active=False)


def test_bad_stacks_are_named():
    with pytest.raises(TypeError, match="rbm_list must be a list"):
        DeepBoltzmannMachines(L2NormLoss(), rbm(), ctx=CPU)
    with pytest.raises(ValueError, match="rbm_list must hold at least one"):
        DeepBoltzmannMachines(L2NormLoss(), [], ctx=CPU)
    with pytest.raises(TypeError, match="rbm_list\\[1\\]"):
        DeepBoltzmannMachines(L2NormLoss(), [rbm(64, 32), "rbm"], ctx=CPU)
    with pytest.raises(ValueError, match="rbm_list\\[1\\].visible_dim=20 must equal rbm_list\\[0\\].hidden_dim=32"):
        DeepBoltzmannMachines(L2NormLoss(), [rbm(64, 32), rbm(20, 10)], ctx=CPU)
    with pytest.raises(TypeError, match="rbm_list\\[0\\] must be a \\(single\\)"):
        DeepBoltzmannMachines(L2NormLoss(), [dbm()], ctx=CPU)
    layer = rbm(64, 64)
    with pytest.raises(ValueError, match="same RestrictedBoltzmannMachines twice"):
        DeepBoltzmannMachines(L2NormLoss(), [layer, layer], ctx=CPU)
    with pytest.raises(TypeError, match="computable_loss"):
        DeepBoltzmannMachines(None, [rbm()], ctx=CPU)
    with pytest.raises(ValueError, match="pretraining_mode"):
        dbm(pretraining_mode="greedy")
    with pytest.raises(ValueError, match="fine_tuning_epochs"):
        dbm(fine_tuning_epochs=-1)
    with pytest.raises(ValueError, match="learning_rate"):
        dbm(learning_rate=-0.1)
    model = dbm()
    with pytest.raises(ValueError, match="rbm_list\\[1\\].visible_dim"):
        model.rbm_list = [rbm(64, 32), rbm(16, 8)]


def test_bad_data_and_schedules_are_named(digits_arrays):
    model = dbm()
    x = digits_arrays["x_test"]
    with pytest.raises(ValueError, match="observed_arr must have shape"):
        model.inference(x[0])
    with pytest.raises(ValueError, match="observed_arr has 32 values"):
        model.inference(x[:, :32])
    with pytest.raises(ValueError, match="observed_arr holds values"):
        model.reconstruct(x - 0.5)
    with pytest.raises(ValueError, match="hidden_arr must have shape \\(batch, 16\\)"):
        model.decode(np.zeros((3, 32)))
    with pytest.raises(ValueError, match="iteratable_data.epochs=1 gives 1 pre-training epoch"):
        model.learn(batches(x, x, epochs=1))
    with pytest.raises(ValueError, match="fine_tuning_epochs=3"):
        dbm(fine_tuning_epochs=3).learn(batches(x, x, epochs=3))
    with pytest.raises(TypeError, match="iteratable_data"):
        model.learn(x)
    with pytest.raises(NotImplementedError, match="rbm_list"):
        model.free_energy(x)
