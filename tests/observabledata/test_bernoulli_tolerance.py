"""Bernoulli visible units accept data within a small tolerance of [0, 1] (clipped, one warning per
learn) and reject anything farther outside with a named error.

The case that motivated it is the reference's DBM notebook: ``GaussIterator(norm_mode="min_max")``
noised with ``GaussNoise(sigma=1e-3)``, whose values land about 1e-3 outside [0, 1].
"""
import warnings

import mxnet as mx
import numpy as np
import pytest

from _boltzmann import CPU, batches, rbm
from accelbrainbase.computableloss._mxnet.l2_norm_loss import L2NormLoss
from accelbrainbase.iteratabledata._mxnet.gauss_iterator import GaussIterator
from accelbrainbase.noiseabledata._mxnet.gauss_noise import GaussNoise
from accelbrainbase.observabledata._mxnet.restrictedboltzmannmachines import _inputs
from accelbrainbase.observabledata._mxnet.restrictedboltzmannmachines.deep_boltzmann_machines import (
    DeepBoltzmannMachines,
)


def notebook_iterator(sigma=1e-3, epochs=2):
    """The DBM notebook's data: min-max-scaled Gaussian batches plus a little Gaussian noise."""
    return GaussIterator(dim=20, epochs=epochs, batch_size=20, dataset_size=100, norm_mode="min_max",
                         noiseable_data=GaussNoise(sigma=sigma), ctx=CPU)


def clip_warnings(record):
    return [w for w in record if "slightly outside [0, 1]" in str(w.message)]


def test_the_notebook_data_really_leaves_the_unit_interval():
    x = next(notebook_iterator().generate_learned_samples())[0].asnumpy()
    assert x.min() < 0.0 or x.max() > 1.0
    assert x.min() > -_inputs.BERNOULLI_TOLERANCE and x.max() < 1.0 + _inputs.BERNOULLI_TOLERANCE


def test_rbm_learns_from_slightly_noisy_data_with_one_warning_per_learn():
    mx.random.seed(0)
    model = rbm(visible_dim=20, hidden_dim=8)
    for _ in range(2):
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            model.learn(notebook_iterator(epochs=3))
        assert len(clip_warnings(record)) == 1, [str(w.message) for w in record]
        assert "clip" in str(clip_warnings(record)[0].message)
    assert model.loss_arr.shape == (3, 2) and np.isfinite(model.loss_arr).all()
    reconstruction = model.inference(np.array([[1.004] + [0.5] * 19], dtype=np.float32))
    assert reconstruction.shape == (1, 20)


def test_dbm_learns_from_the_notebook_data():
    mx.random.seed(0)
    layers = [rbm(visible_dim=20, hidden_dim=10), rbm(visible_dim=10, hidden_dim=5)]
    model = DeepBoltzmannMachines(L2NormLoss(), layers, learning_rate=0.1, ctx=CPU)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        model.learn(notebook_iterator(epochs=4))
    assert len(clip_warnings(record)) == 1
    assert model.loss_arr.shape == (4, 2) and np.isfinite(model.loss_arr).all()
    assert model.inference(np.full((3, 20), -0.005, dtype=np.float32)).shape == (3, 5)


def test_training_batches_are_clipped_before_contrastive_divergence():
    model = rbm(visible_dim=4, hidden_dim=2)
    batch = mx.nd.array([[-0.004, 0.2, 0.5, 1.006]], ctx=CPU)
    with pytest.warns(UserWarning, match="slightly outside"):
        v0 = model._training_batch((batch, batch, batch, batch))
    assert v0.asnumpy().min() == 0.0 and v0.asnumpy().max() == 1.0


@pytest.mark.parametrize("low, high", [(-0.05, 1.0), (0.0, 1.02), (-3.0, 3.0), (0.0, 255.0)])
def test_values_beyond_the_tolerance_are_a_named_error(low, high):
    model = rbm(visible_dim=4, hidden_dim=2)
    x = np.array([[low, 0.5, 0.5, high]], dtype=np.float32)
    with pytest.raises(ValueError, match="observed_arr holds values in .*need data in \\[0, 1\\]"):
        model.inference(x)
    with pytest.raises(ValueError, match="iteratable_data's training batch holds values"):
        model.learn(batches(np.repeat(x, 10, axis=0), np.repeat(x, 10, axis=0), epochs=1, batch_size=5))


def test_noise_beyond_the_tolerance_is_refused_before_training():
    model = rbm(visible_dim=20, hidden_dim=8)
    before = model.weights_arr.asnumpy().copy()
    with pytest.raises(ValueError, match="iteratable_data's training batch holds values"):
        model.learn(notebook_iterator(sigma=0.1))
    assert np.array_equal(model.weights_arr.asnumpy(), before)


def test_gaussian_visible_units_are_not_range_checked():
    model = rbm(visible_dim=4, hidden_dim=2, visible_activation="identity")
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*outside \\[0, 1\\]")
        assert model.inference(np.array([[-3.0, 0.0, 1.0, 4.0]], dtype=np.float32)).shape == (1, 4)
