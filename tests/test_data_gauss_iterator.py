"""mxnet GaussIterator: fresh normal batches drawn and normalised on the device."""
import mxnet as mx
import numpy as np
import pytest

from accelbrainbase.iteratabledata._mxnet.gauss_iterator import GaussIterator
from accelbrainbase.noiseabledata._mxnet.gauss_noise import GaussNoise


def test_shapes_count_and_identity():
    it = GaussIterator(dim=16, epochs=3, batch_size=25, dataset_size=100)
    assert it.iter_n == 12
    batches = list(it.generate_learned_samples())
    assert len(batches) == 12
    for x, target, test_x, test_target in batches:
        assert target is x and test_target is test_x
        assert x.shape == test_x.shape == (25, 16) and x.dtype == np.float32 and x.context == mx.cpu()
    assert not np.array_equal(batches[0][0].asnumpy(), batches[1][0].asnumpy())
    assert not np.array_equal(batches[0][0].asnumpy(), batches[0][2].asnumpy())


def test_batches_stay_on_the_device(monkeypatch):
    def no_host(self):
        raise AssertionError("GaussIterator copied an NDArray to the host")

    it = GaussIterator(loc=3.0, std=2.0, dim=50, epochs=1, batch_size=40, dataset_size=200,
                       noiseable_data=GaussNoise(mu=10.0, sigma=0.0))
    monkeypatch.setattr(mx.nd.NDArray, "asnumpy", no_host)
    batches = list(it.generate_learned_samples())
    mx.nd.waitall()
    monkeypatch.undo()
    assert len(batches) == 5
    for x, _, test_x, _ in batches:
        test_np = test_x.asnumpy()
        assert abs(test_np.mean()) < 1e-4 and abs(test_np.std() - 1.0) < 1e-3  # z-score per batch
        assert abs(x.asnumpy().mean() - 10.0) < 1e-3  # noise on the training batch only


def test_unnormalised_samples_follow_loc_and_std():
    it = GaussIterator(loc=3.0, std=2.0, dim=100, epochs=1, batch_size=500, norm_mode=None, dataset_size=500)
    x = next(it.generate_learned_samples())[0].asnumpy()
    assert abs(x.mean() - 3.0) < 0.05 and abs(x.std() - 2.0) < 0.05


def test_mx_random_seed_repeats_the_samples():
    mx.random.seed(42)
    a = next(GaussIterator(dim=8, epochs=1, batch_size=4).generate_learned_samples())[0].asnumpy()
    mx.random.seed(42)
    b = next(GaussIterator(dim=8, epochs=1, batch_size=4).generate_learned_samples())[0].asnumpy()
    np.testing.assert_array_equal(a, b)


def test_inference_is_not_available():
    with pytest.raises(NotImplementedError):
        GaussIterator(epochs=1).generate_inferenced_samples()


@pytest.mark.parametrize("kwargs, error, pattern", [
    ({"std": -1.0}, ValueError, "std"),
    ({"loc": "0"}, TypeError, "loc"),
    ({"dim": 0}, ValueError, "dim"),
    ({"dataset_size": 0}, ValueError, "dataset_size"),
    ({"batch_size": 0}, ValueError, "batch_size"),
    ({"epochs": 0}, ValueError, "epochs"),
    ({"noiseable_data": "noise"}, TypeError, "noiseable_data"),
    ({"norm_mode": 0}, TypeError, "norm_mode"),
    ({"ctx": "cpu"}, TypeError, "ctx"),
])
def test_bad_arguments(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        GaussIterator(**kwargs)
