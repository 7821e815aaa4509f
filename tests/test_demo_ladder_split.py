"""The ladder demo's label draws: 10 per class with the rest unlabelled, a validation split that
leaves its held-out rows out of the unlabelled pool, and a nearly fully labelled draw (the
ceiling measurement in docs/representation.md) whose unlabelled pool is the whole training split."""
import numpy as np

from demo.ladder_digits import UNLABELED_BATCH, split


def _rows(x):
    return {row.tobytes() for row in x}


def test_ten_labels_per_class_leave_the_other_training_rows_unlabelled():
    x_l, y_l, x_u, x_test, y_test = split(0)
    assert x_l.shape == (100, 64) and np.bincount(y_l).tolist() == [10] * 10
    assert x_u.shape == (1247, 64) and x_test.shape == (450, 64) and len(y_test) == 450
    assert not _rows(x_l) & _rows(x_u)  # no labelled row is also unlabelled
    assert len(_rows(x_l) | _rows(x_u)) == 1347  # together: the whole training split


def test_the_validation_rows_come_from_the_unlabelled_pool_not_the_test_split():
    x_l, _, x_u, x_val, y_val = split(1, validation=True)
    _, _, _, x_test, _ = split(1)
    assert x_val.shape == (337, 64) and len(y_val) == 337 and x_u.shape == (1247 - 337, 64)
    assert not _rows(x_val) & _rows(x_u) and not _rows(x_val) & _rows(x_test)


def test_a_nearly_fully_labelled_draw_uses_the_whole_training_split_as_unlabelled():
    x_l, y_l, x_u, _, _ = split(2, per_class=130)
    assert x_l.shape == (1300, 64) and np.bincount(y_l).tolist() == [130] * 10
    assert len(x_u) == 1347 >= UNLABELED_BATCH
    np.testing.assert_array_equal(x_u[:1300], x_l)  # labelled rows first, then the 47 others
    x_l10, _, x_u10, _, _ = split(2)
    assert len(x_u10) + len(x_l10) == len(x_u)
