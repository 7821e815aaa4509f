"""ArrayIterator: in-memory numpy arrays as seeded, fixed-size mini-batches on the context."""
import mxnet as mx
import numpy as np
import pytest

from accelbrainbase.iteratabledata._mxnet.array_iterator import ArrayIterator
from accelbrainbase.noiseabledata._mxnet.gauss_noise import GaussNoise

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
XOR_Y = np.array([[0], [1], [1], [0]], dtype=np.float32)


def test_xor_tiny_data_every_epoch_visits_all_four_rows():
    it = ArrayIterator(XOR_X, XOR_Y, epochs=3, batch_size=4, steps_per_epoch=5, seed=0)
    assert it.iter_n == 15 and it.steps_per_epoch == 5 and it.labeled
    batches = list(it.generate_learned_samples())
    assert len(batches) == 15
    for x, y, test_x, test_y in batches:
        assert x.shape == test_x.shape == (4, 2) and y.shape == test_y.shape == (4, 1)
        assert x.dtype == np.float32 and x.context == mx.cpu()
        xs, ys = x.asnumpy(), y.asnumpy()
        # a full permutation: every row once, and each target still belongs to its input
        assert sorted(map(tuple, xs)) == sorted(map(tuple, XOR_X))
        np.testing.assert_array_equal(ys[:, 0], np.logical_xor(xs[:, 0], xs[:, 1]).astype(np.float32))


def test_one_pass_per_epoch_by_default_without_replacement():
    ids = np.arange(1617, dtype=np.float32).reshape(-1, 1)
    it = ArrayIterator(ids, epochs=2, batch_size=100, seed=3)
    assert it.steps_per_epoch == 16 and it.iter_n == 32
    batches = [b[0].asnumpy()[:, 0] for b in it.generate_learned_samples()]
    assert len(batches) == 32
    first_epoch = np.concatenate(batches[:16])
    assert len(np.unique(first_epoch)) == 1600  # no row twice within a permutation


def test_class_indices_become_one_hot_rows_aligned_with_their_inputs(digits_arrays):
    x, labels = digits_arrays["x_train"], digits_arrays["y_train"]
    it = ArrayIterator(x, labels, digits_arrays["x_test"], digits_arrays["y_test"], epochs=1, batch_size=100,
                       n_classes=10, seed=3)
    bx, by, tx, ty = next(it.generate_learned_samples())
    y = by.asnumpy()
    assert y.shape == ty.shape == (100, 10) and (y.sum(axis=1) == 1).all()
    rows = {tuple(r): l for r, l in zip(np.round(x, 5), labels)}
    for row, onehot in zip(np.round(bx.asnumpy(), 5), y):
        assert rows[tuple(row)] == onehot.argmax()
    test_rows = {tuple(r): l for r, l in zip(np.round(digits_arrays["x_test"], 5), digits_arrays["y_test"])}
    for row, onehot in zip(np.round(tx.asnumpy(), 5), ty.asnumpy()):
        assert test_rows[tuple(row)] == onehot.argmax()


def test_seed_repeats_batches_and_differs_between_seeds():
    x = np.random.RandomState(0).normal(size=(50, 3))
    def first(seed):
        return next(ArrayIterator(x, epochs=1, batch_size=10, seed=seed).generate_learned_samples())[0].asnumpy()
    np.testing.assert_array_equal(first(1), first(1))
    assert not np.array_equal(first(1), first(2))


def test_unlabeled_yields_the_same_object_and_noise_only_on_training():
    x = np.zeros((20, 4), dtype=np.float32)
    it = ArrayIterator(x, epochs=1, batch_size=5, noiseable_data=GaussNoise(mu=3.0, sigma=0.0), seed=0)
    assert not it.labeled
    for bx, by, tx, ty in it.generate_learned_samples():
        assert by is bx and ty is tx
        np.testing.assert_allclose(bx.asnumpy(), 3.0)
        np.testing.assert_allclose(tx.asnumpy(), 0.0)


def test_inputs_are_left_alone_by_default_and_normalised_on_request():
    x = np.arange(40, dtype=np.float32).reshape(20, 2) * 10
    y = np.arange(20, dtype=np.float32)
    raw = next(ArrayIterator(x, y, epochs=1, batch_size=20, seed=0).generate_learned_samples())
    assert raw[0].asnumpy().max() == 390.0 and raw[1].asnumpy().max() == 19.0
    z = next(ArrayIterator(x, y, epochs=1, batch_size=20, norm_mode="z_score", seed=0).generate_learned_samples())
    assert abs(z[0].asnumpy().mean()) < 1e-5 and z[1].asnumpy().max() == 19.0  # targets untouched


def test_test_batches_larger_than_the_test_set_and_inference_blocks():
    x, y = np.random.RandomState(1).normal(size=(30, 2)), np.arange(30.0)
    test_x, test_y = x[:3] + 100, y[:3] + 100
    it = ArrayIterator(x, y, test_x, test_y, epochs=1, batch_size=8, seed=0)
    _, _, tx, ty = next(it.generate_learned_samples())
    assert tx.shape == (8, 2) and set(ty.asnumpy().tolist()) == {100.0, 101.0, 102.0}
    blocks = [b[2].asnumpy() for b in ArrayIterator(x, y, epochs=1, batch_size=8).generate_inferenced_samples()]
    assert [len(b) for b in blocks] == [8, 8, 8, 6]
    np.testing.assert_allclose(np.concatenate(blocks), x.astype(np.float32))


def test_images_keep_their_shape():
    x = np.random.RandomState(0).uniform(size=(12, 1, 8, 8))
    bx, by, _, _ = next(ArrayIterator(x, epochs=1, batch_size=4, seed=0).generate_learned_samples())
    assert bx.shape == (4, 1, 8, 8) and by is bx


@pytest.mark.parametrize("kwargs, error, pattern", [
    ({"observed_arr": np.zeros(5)}, ValueError, r"observed_arr must have rank >= 2.*reshape\(-1, 1\)"),
    ({"observed_arr": np.zeros((0, 2))}, ValueError, "observed_arr must hold at least one sample"),
    ({"observed_arr": np.array([["a", "b"]])}, ValueError, "observed_arr must hold numbers"),
    ({"target_arr": np.zeros((3, 1))}, ValueError, "observed_arr has 4 rows but target_arr has 3"),
    ({"target_arr": np.array([[0], [np.nan], [1], [0]])}, ValueError, "target_arr contains NaN"),
    ({"observed_arr": np.array([[0, 0], [0, np.inf], [1, 0], [1, 1]])}, ValueError, "observed_arr contains NaN or inf"),
    ({"batch_size": 5}, ValueError, "batch_size=5 is larger .*observed_arr"),
    ({"batch_size": 0}, ValueError, "batch_size must be >= 1"),
    ({"batch_size": 2.0}, TypeError, "batch_size must be an int"),
    ({"epochs": 0}, ValueError, "epochs must be >= 1"),
    ({"steps_per_epoch": 0}, ValueError, "steps_per_epoch must be >= 1"),
    ({"test_observed_arr": np.zeros((2, 3)), "test_target_arr": np.zeros((2, 1))}, ValueError,
     r"test_observed_arr has samples of shape \(3,\) but observed_arr has \(2,\)"),
    ({"test_observed_arr": np.zeros((2, 2)), "test_target_arr": np.zeros((2, 2))}, ValueError,
     r"test_target_arr has samples of shape \(2,\) but target_arr has \(1,\)"),
    ({"test_observed_arr": np.zeros((2, 2))}, ValueError, "test_observed_arr was given without test_target_arr"),
    ({"test_target_arr": np.zeros((2, 1))}, ValueError, "test_target_arr was given without test_observed_arr"),
    ({"target_arr": np.array([0, 1, 2, 1]), "n_classes": 2}, ValueError, r"target_arr\[2\]=2 is not a class index"),
    ({"target_arr": np.array([0, 1, 0.5, 1]), "n_classes": 2}, ValueError, r"target_arr\[2\]=0.5"),
    ({"n_classes": 0}, ValueError, "n_classes must be >= 1"),
    ({"noiseable_data": "gauss"}, TypeError, "noiseable_data must be NoiseableData"),
    ({"ctx": "cpu"}, TypeError, "ctx must be an mxnet.Context"),
    ({"seed": -1}, ValueError, "seed must be >= 0"),
])
def test_bad_input_names_the_argument(kwargs, error, pattern):
    options = {"observed_arr": XOR_X, "target_arr": XOR_Y, "epochs": 1, "batch_size": 4}
    options.update(kwargs)
    with pytest.raises(error, match=pattern):
        ArrayIterator(**options)


def test_unlabeled_data_rejects_test_targets_and_n_classes():
    with pytest.raises(ValueError, match="training data is unlabeled"):
        ArrayIterator(XOR_X, None, XOR_X, XOR_Y, epochs=1, batch_size=4)
    with pytest.raises(ValueError, match="n_classes=2 needs class indices in target_arr"):
        ArrayIterator(XOR_X, None, epochs=1, batch_size=4, n_classes=2)
