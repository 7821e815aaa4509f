"""mxnet LabeledCSVIterator / UnlabeledCSVIterator on the digits CSV files."""
import re

import mxnet as mx
import numpy as np
import pytest

from accelbrainbase.extractabledata.labeled_csv_extractor import LabeledCSVExtractor
from accelbrainbase.extractabledata.unlabeled_csv_extractor import UnlabeledCSVExtractor
from accelbrainbase.iteratabledata._mxnet.labeled_csv_iterator import LabeledCSVIterator
from accelbrainbase.iteratabledata._mxnet.unlabeled_csv_iterator import UnlabeledCSVIterator
from accelbrainbase.noiseabledata._mxnet.gauss_noise import GaussNoise


def row_index(x):
    """float32 row bytes -> row index (the digits rows are unique)."""
    return {row.tobytes(): i for i, row in enumerate(np.asarray(x, dtype=np.float32))}


def identify(batch, table):
    return np.array([table[row.tobytes()] for row in batch.asnumpy()])


def labeled(digits_csv, **kwargs):
    kwargs.setdefault("epochs", 2)
    kwargs.setdefault("batch_size", 50)
    return LabeledCSVIterator(LabeledCSVExtractor(), digits_csv["train_path"], digits_csv["test_path"],
                              **kwargs)


def test_labeled_batches_labels_and_epochs(digits_csv, digits_arrays):
    it = labeled(digits_csv, norm_mode=None, seed=0)
    assert it.iter_n == 64
    train_table, test_table = row_index(digits_arrays["x_train"]), row_index(digits_arrays["x_test"])
    drawn = []
    n = 0
    for x, y, test_x, test_y in it.generate_learned_samples():
        assert x.shape == test_x.shape == (50, 64) and y.shape == test_y.shape == (50, 10)
        for arr in (x, y, test_x, test_y):
            assert isinstance(arr, mx.nd.NDArray) and arr.dtype == np.float32 and arr.context == mx.cpu()
        idx = identify(x, train_table)
        np.testing.assert_array_equal(y.asnumpy().argmax(axis=1), digits_arrays["y_train"][idx])
        test_idx = identify(test_x, test_table)
        np.testing.assert_array_equal(test_y.asnumpy().argmax(axis=1), digits_arrays["y_test"][test_idx])
        drawn.extend(idx)
        n += 1
    assert n == it.iter_n
    np.testing.assert_array_equal(np.sort(drawn[:1617]), np.arange(1617))
    assert len(set(drawn[1617:])) == len(drawn) - 1617


def test_batches_are_normalised_as_a_whole_and_noise_hits_train_only(digits_csv):
    it = labeled(digits_csv, epochs=1, scale=2.0, noiseable_data=GaussNoise(mu=50.0, sigma=0.0))
    for x, _, test_x, _ in it.generate_learned_samples():
        assert abs(test_x.asnumpy().mean()) < 1e-4 and abs(test_x.asnumpy().std() - 2.0) < 1e-3
        assert abs(x.asnumpy().mean() - 50.0) < 1e-3 and abs(x.asnumpy().std() - 2.0) < 1e-3
        rows = test_x.asnumpy().mean(axis=1)
        assert rows.std() > 0.01  # statistics are over the batch, not per row


def test_seed_reproduces_the_batches(digits_csv):
    def first(seed):
        return next(labeled(digits_csv, seed=seed).generate_learned_samples())[0].asnumpy()

    np.testing.assert_array_equal(first(5), first(5))
    assert not np.array_equal(first(5), first(6))


def test_labeled_inference_covers_every_test_row_in_order(digits_csv, digits_arrays):
    it = labeled(digits_csv, batch_size=40, norm_mode="min_max")
    blocks = list(it.generate_inferenced_samples())
    assert [b[2].shape[0] for b in blocks] == [40, 40, 40, 40, 20]
    expected = digits_arrays["x_test"]
    for i, (first, second, rows, meta) in enumerate(blocks):
        assert first is None and second is None and meta is None
        assert isinstance(rows, mx.nd.NDArray) and rows.context == mx.cpu()
        chunk = expected[i * 40:(i + 1) * 40]
        expected_rows = (chunk - chunk.min()) / (chunk.max() - chunk.min())
        np.testing.assert_allclose(rows.asnumpy(), expected_rows, atol=1e-6)


def test_unlabeled_iterator(digits_csv, digits_arrays):
    it = UnlabeledCSVIterator(UnlabeledCSVExtractor(), digits_csv["unlabeled_train_path"],
                              digits_csv["unlabeled_test_path"], epochs=1, batch_size=100, norm_mode=None)
    assert it.iter_n == 16
    batches = list(it.generate_learned_samples())
    assert len(batches) == 16
    table = row_index(digits_arrays["x_train"])
    drawn = []
    for x, target, test_x, test_target in batches:
        assert target is x and test_target is test_x and x.shape == test_x.shape == (100, 64)
        drawn.extend(identify(x, table))
    assert len(set(drawn)) == len(drawn) == 1600
    rows = mx.nd.concat(*[b[2] for b in it.generate_inferenced_samples()], dim=0)
    np.testing.assert_array_equal(rows.asnumpy(), digits_arrays["x_test"])


def test_test_path_none_reuses_the_training_file(digits_csv):
    it = UnlabeledCSVIterator(UnlabeledCSVExtractor(), digits_csv["unlabeled_train_path"], None,
                              epochs=1, batch_size=500)
    assert sum(b[2].shape[0] for b in it.generate_inferenced_samples()) == 1617


def test_labels_that_skip_zero_get_their_own_columns(tmp_path):
    path = tmp_path / "two.csv"
    path.write_text("a,b,label\n" + "".join("%d,%d,%d\n" % (i, 2 * i, 1 + i % 2) for i in range(10)))
    it = LabeledCSVIterator(LabeledCSVExtractor(), str(path), str(path), epochs=1, batch_size=5,
                            norm_mode=None)
    for x, y, _, _ in it.generate_learned_samples():
        assert y.shape == (5, 3)
        np.testing.assert_array_equal(y.asnumpy().argmax(axis=1), 1 + x.asnumpy()[:, 0].astype(int) % 2)


# ----------------------------------------------------------------------------- bad input

def _csv(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


GOOD = "a,b,label\n" + "".join("%d,%d,%d\n" % (i, i + 1, i % 3) for i in range(12))


@pytest.mark.parametrize("text, pattern", [
    ("a,b,label\n1,2,0\n3,,1\n" + "5,6,1\n" * 4, r"bad\.csv.*column 'b'"),
    ("a,b,label\n1,2,0\n3,oops,1\n" + "5,6,1\n" * 4, r"bad\.csv.*column 'b'"),
    ("a,b,y\n1,2,0\n" + "5,6,1\n" * 4, r"bad\.csv.*label column 'label'"),
    ("a,b,label\n1,2,0.5\n" + "5,6,1\n" * 4, r"bad\.csv.*integer class indices"),
    ("a,b,label\n1,2,-1\n" + "5,6,1\n" * 4, r"bad\.csv.*integer class indices"),
    ("a,b,label\n1,2,cat\n" + "5,6,1\n" * 4, r"bad\.csv.*integer class indices"),
])
def test_bad_csv_files_are_named(tmp_path, text, pattern):
    bad = _csv(tmp_path, "bad.csv", text)
    good = _csv(tmp_path, "good.csv", GOOD)
    with pytest.raises(ValueError, match=pattern):
        LabeledCSVIterator(LabeledCSVExtractor(), bad, good, epochs=1, batch_size=2)
    with pytest.raises(ValueError, match=pattern):
        LabeledCSVIterator(LabeledCSVExtractor(), good, bad, epochs=1, batch_size=2)


def test_missing_file_and_column_mismatch(tmp_path):
    good = _csv(tmp_path, "good.csv", GOOD)
    missing = str(tmp_path / "missing.csv")
    with pytest.raises(ValueError, match=re.escape(missing)):
        UnlabeledCSVIterator(UnlabeledCSVExtractor(), missing, good, epochs=1, batch_size=2)
    wide = _csv(tmp_path, "wide.csv", "a,b,c,label\n1,2,3,0\n")
    with pytest.raises(ValueError, match="columns"):
        LabeledCSVIterator(LabeledCSVExtractor(), good, wide, epochs=1, batch_size=2)
    nan = _csv(tmp_path, "nan.csv", "a,b\n1,nan\n")
    with pytest.raises(ValueError, match=r"nan\.csv.*column 'b'"):
        UnlabeledCSVIterator(UnlabeledCSVExtractor(), good, nan, epochs=1, batch_size=2)


@pytest.mark.parametrize("cls, kwargs, error, pattern", [
    (LabeledCSVIterator, {"labeled_csv_extractor": UnlabeledCSVExtractor()}, TypeError,
     "labeled_csv_extractor"),
    (UnlabeledCSVIterator, {"unlabeled_csv_extractor": LabeledCSVExtractor()}, TypeError,
     "unlabeled_csv_extractor"),
    (LabeledCSVIterator, {"train_csv_path": 3}, TypeError, "train_csv_path"),
    (LabeledCSVIterator, {"test_csv_path": ["x"]}, TypeError, "test_csv_path"),
    (LabeledCSVIterator, {"noiseable_data": 1.0}, TypeError, "noiseable_data"),
    (LabeledCSVIterator, {"batch_size": 13}, ValueError, "batch_size=13 is larger"),
    (UnlabeledCSVIterator, {"batch_size": 0}, ValueError, "batch_size"),
    (UnlabeledCSVIterator, {"epochs": -2}, ValueError, "epochs"),
    (LabeledCSVIterator, {"norm_mode": ["z_score"]}, TypeError, "norm_mode"),
    (LabeledCSVIterator, {"ctx": "gpu"}, TypeError, "ctx"),
])
def test_bad_arguments_raise_naming_the_argument(tmp_path, cls, kwargs, error, pattern):
    good = _csv(tmp_path, "good.csv", GOOD)
    extractor = LabeledCSVExtractor() if cls is LabeledCSVIterator else UnlabeledCSVExtractor()
    first = "labeled_csv_extractor" if cls is LabeledCSVIterator else "unlabeled_csv_extractor"
    args = {first: extractor, "train_csv_path": good, "test_csv_path": good, "epochs": 1, "batch_size": 2}
    args.update(kwargs)
    with pytest.raises(error, match=pattern):
        cls(**args)


def test_label_count_mismatch_from_a_custom_extractor(tmp_path):
    class ShortLabels(LabeledCSVExtractor):
        def extract(self, path):
            observed, labels = super().extract(path)
            return observed, labels[:-1]

    good = _csv(tmp_path, "good.csv", GOOD)
    with pytest.raises(ValueError, match=r"good\.csv.*12 rows but 11 labels"):
        LabeledCSVIterator(ShortLabels(), good, good, epochs=1, batch_size=2)
