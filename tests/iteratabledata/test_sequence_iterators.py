"""Sequential CSV, t-hot CSV and t-hot TXT iterators."""
import os

import mxnet as mx
import numpy as np
import pandas as pd
import pytest

from accelbrainbase.extractabledata.labeled_csv_extractor import LabeledCSVExtractor
from accelbrainbase.extractabledata.unlabeled_csv_extractor import UnlabeledCSVExtractor
from accelbrainbase.iteratabledata._mxnet.unlabeled_sequential_csv_iterator import UnlabeledSequentialCSVIterator
from accelbrainbase.iteratabledata._mxnet.unlabeled_t_hot_csv_iterator import UnlabeledTHotCSVIterator
from accelbrainbase.iteratabledata._mxnet.unlabeled_t_hot_txt_iterator import UnlabeledTHotTXTIterator
from accelbrainbase.iteratabledata.labeled_image_iterator import LabeledImageIterator
from accelbrainbase.iteratabledata.unlabeled_image_iterator import UnlabeledImageIterator
from accelbrainbase.noiseabledata._mxnet.gauss_noise import GaussNoise

CPU = mx.cpu()
EXTRACTOR = UnlabeledCSVExtractor()


def write_csv(path, **columns):
    pd.DataFrame(columns).to_csv(str(path), index=False)
    return str(path)


@pytest.fixture
def ramp_csvs(tmp_path):
    """Row ``r`` holds ``(r, 10 r)``, so a window's rows are recognisable after normalisation."""
    train = write_csv(tmp_path / "train.csv", a=np.arange(50.0), b=10 * np.arange(50.0))
    test = write_csv(tmp_path / "test.csv", a=100 + np.arange(23.0), b=10 * (100 + np.arange(23.0)))
    return train, test


def sequential(train, test, **overrides):
    options = dict(epochs=3, batch_size=8, seq_len=5, ctx=CPU, seed=0)
    options.update(overrides)
    return UnlabeledSequentialCSVIterator(EXTRACTOR, train, test, **options)


# ---------------------------------------------------------------------------------- sequential CSV
def test_sequential_batches_are_batch_major_windows_of_consecutive_rows(ramp_csvs):
    iterator = sequential(*ramp_csvs, norm_mode=None)
    assert isinstance(iterator, LabeledImageIterator) and iterator.seq_len == 5
    assert iterator.dataset_size == 46 and iterator.iter_n == int(3 * 46 / 8)
    batches = list(iterator.generate_learned_samples())
    assert len(batches) == iterator.iter_n
    starts = []
    for x, y, test_x, test_y in batches:
        assert x is y and test_x is test_y
        assert x.shape == (8, 5, 2) and test_x.shape == (8, 5, 2)
        rows = x.asnumpy()
        np.testing.assert_array_equal(np.diff(rows[:, :, 0], axis=1), 1.0)  # consecutive rows in time
        np.testing.assert_array_equal(rows[:, :, 1], 10 * rows[:, :, 0])
        assert (test_x.asnumpy()[:, :, 0] >= 100).all()
        starts.extend(rows[:, 0, 0].astype(int))
    first_pass = starts[:46]
    assert sorted(first_pass) == list(range(46))  # every window once per pass


def test_sequential_normalises_every_split_with_the_training_statistics(ramp_csvs):
    iterator = sequential(*ramp_csvs)
    train_a = np.arange(50.0)
    mean, std = train_a.mean(), train_a.std()
    x = next(iterator.generate_learned_samples())[0].asnumpy()
    raw_start = x[:, 0, 0] * std + mean
    np.testing.assert_allclose(raw_start, np.round(raw_start), atol=1e-4)
    windows = [b[2].asnumpy() for b in iterator.generate_inferenced_samples()]
    np.testing.assert_allclose(windows[0][0, :, 0], (100 + np.arange(5.0) - mean) / std, rtol=1e-5)
    np.testing.assert_allclose(iterator.scaler.inverse_transform(windows[0][0]), [[100 + r, 1000 + 10 * r]
                                                                                  for r in range(5)], rtol=1e-5)


def test_sequential_inference_yields_every_window_in_order(ramp_csvs):
    iterator = sequential(*ramp_csvs, norm_mode=None, batch_size=8)
    batches = list(iterator.generate_inferenced_samples())
    assert [b[0] for b in batches] == [None] * 3 and [b[3] for b in batches] == [None] * 3
    shapes = [b[2].shape for b in batches]
    assert shapes == [(8, 5, 2), (8, 5, 2), (3, 5, 2)]  # 23 - 5 + 1 = 19 windows, the last batch shorter
    starts = np.concatenate([b[2].asnumpy()[:, 0, 0] for b in batches])
    np.testing.assert_array_equal(starts, 100 + np.arange(19))


def test_sequential_is_reproducible_and_noises_training_windows_only(ramp_csvs):
    first = [b[0].asnumpy() for b in sequential(*ramp_csvs, seed=3).generate_learned_samples()]
    again = [b[0].asnumpy() for b in sequential(*ramp_csvs, seed=3).generate_learned_samples()]
    np.testing.assert_array_equal(np.stack(first), np.stack(again))
    mx.random.seed(0)
    noisy = sequential(*ramp_csvs, norm_mode=None, noiseable_data=GaussNoise(sigma=0.5))
    x, y, test_x, _ = next(noisy.generate_learned_samples())
    assert x is y
    assert not np.allclose(np.diff(x.asnumpy()[:, :, 0], axis=1), 1.0)
    np.testing.assert_array_equal(np.diff(test_x.asnumpy()[:, :, 0], axis=1), 1.0)


def test_sequential_reuses_the_training_file_when_test_is_none(ramp_csvs):
    iterator = sequential(ramp_csvs[0], None, norm_mode=None, batch_size=10)
    windows = np.concatenate([b[2].asnumpy() for b in iterator.generate_inferenced_samples()])
    assert windows.shape == (46, 5, 2)


def test_sequential_bad_input_raises_naming_the_argument(tmp_path, ramp_csvs):
    train, test = ramp_csvs
    nan_csv = tmp_path / "nan.csv"
    nan_csv.write_text("a,b\n1,2\n3,\n5,6\n")
    with pytest.raises(ValueError, match="nan.csv"):
        sequential(str(nan_csv), test)
    text_csv = tmp_path / "text.csv"
    text_csv.write_text("a,b\n1,2\nx,4\n5,6\n")
    with pytest.raises(ValueError, match="text.csv"):
        sequential(train, str(text_csv))
    short = write_csv(tmp_path / "short.csv", a=np.arange(3.0), b=np.arange(3.0))
    with pytest.raises(ValueError, match="train_csv_path=.*short.csv.*fewer than seq_len=5"):
        sequential(short, test)
    with pytest.raises(ValueError, match="test_csv_path=.*short.csv"):
        sequential(train, short)
    narrow = write_csv(tmp_path / "narrow.csv", a=np.arange(30.0))
    with pytest.raises(ValueError, match="test_csv_path=.*narrow.csv.*1 columns"):
        sequential(train, narrow)
    with pytest.raises(ValueError, match="batch_size=47"):
        sequential(train, test, batch_size=47)
    with pytest.raises(ValueError, match="train_csv_path=.*missing.csv"):
        sequential(str(tmp_path / "missing.csv"), test)
    with pytest.raises(TypeError, match="unlabeled_csv_extractor"):
        UnlabeledSequentialCSVIterator(LabeledCSVExtractor(), train, test, ctx=CPU)
    with pytest.raises(TypeError, match="noiseable_data"):
        sequential(train, test, noiseable_data="gauss")
    with pytest.raises(ValueError, match="seq_len"):
        sequential(train, test, seq_len=0)


# ---------------------------------------------------------------------------------- t-hot CSV
@pytest.fixture
def code_csvs(tmp_path):
    rng = np.random.RandomState(0)
    one = write_csv(tmp_path / "one.csv", a=rng.randint(2, 7, 40), b=rng.randint(2, 7, 40))
    two = write_csv(tmp_path / "two.csv", a=rng.randint(3, 5, 12), b=rng.randint(2, 7, 12))
    return one, two


def test_t_hot_csv_one_hots_windows_with_one_vocabulary(code_csvs, tmp_path):
    one, two = code_csvs
    iterator = UnlabeledTHotCSVIterator(EXTRACTOR, [one, two], [two], epochs=2, batch_size=6, seq_len=4,
                                        norm_mode=None, ctx=CPU, seed=0)
    assert iterator.token_offset == 2 and iterator.vocab_size == 5
    assert iterator.dataset_size == (40 - 3) + (12 - 3)
    codes = np.concatenate([pd.read_csv(one).values, pd.read_csv(two).values]) - 2
    allowed = {tuple(codes[s:s + 4].ravel()) for s in list(range(37)) + list(range(40, 49))}
    for x, y, test_x, _ in iterator.generate_learned_samples():
        assert x.shape == (6, 4, 2, 5) and test_x.shape == (6, 4, 2, 5)
        arr = x.asnumpy()
        np.testing.assert_array_equal(arr.sum(axis=-1), 1.0)
        for window in arr.argmax(axis=-1):  # windows never cross the file boundary
            assert tuple(window.ravel()) in allowed
    batches = [b[2] for b in iterator.generate_inferenced_samples()]
    assert [b.shape[0] for b in batches] == [6, 3]  # 12 - 4 + 1 = 9 windows of the test file
    np.testing.assert_array_equal(batches[1].asnumpy()[-1].argmax(-1), pd.read_csv(two).values[-4:] - 2)


def test_t_hot_csv_normalisation_is_the_same_for_every_batch(code_csvs):
    iterator = UnlabeledTHotCSVIterator(EXTRACTOR, [code_csvs[0]], None, epochs=1, batch_size=5, seq_len=3,
                                        ctx=CPU, seed=0)
    values = {tuple(np.unique(np.round(b[0].asnumpy(), 5))) for b in iterator.generate_learned_samples()}
    assert len(values) == 1 and len(next(iter(values))) == 2


def test_t_hot_csv_bad_input(code_csvs, tmp_path):
    one, two = code_csvs
    wide = write_csv(tmp_path / "wide.csv", a=np.arange(10) % 3 + 2, b=np.arange(10) % 3 + 2,
                     c=np.arange(10) % 3 + 2)
    unknown = write_csv(tmp_path / "unknown.csv", a=[2, 3, 9, 4, 5], b=[2, 3, 4, 5, 6])
    fractional = write_csv(tmp_path / "fractional.csv", a=[2.5, 3, 4, 5], b=[2, 3, 4, 5])
    with pytest.raises(ValueError, match="unknown.csv.*unknown tokens"):
        UnlabeledTHotCSVIterator(EXTRACTOR, [one], [unknown], seq_len=3, ctx=CPU)
    with pytest.raises(ValueError, match=r"train_csv_path_list\[1\].*wide.csv"):
        UnlabeledTHotCSVIterator(EXTRACTOR, [one, wide], None, seq_len=3, ctx=CPU)
    with pytest.raises(ValueError, match="fractional.csv.*non-integer"):
        UnlabeledTHotCSVIterator(EXTRACTOR, [fractional], None, seq_len=3, batch_size=1, ctx=CPU)
    with pytest.raises(ValueError, match=r"train_csv_path_list\[0\].*fewer than seq_len"):
        UnlabeledTHotCSVIterator(EXTRACTOR, [two], None, seq_len=13, ctx=CPU)
    with pytest.raises(TypeError, match="train_csv_path_list"):
        UnlabeledTHotCSVIterator(EXTRACTOR, one, None, ctx=CPU)
    with pytest.raises(ValueError, match="train_csv_path_list must not be empty"):
        UnlabeledTHotCSVIterator(EXTRACTOR, [], None, ctx=CPU)


# ---------------------------------------------------------------------------------- t-hot TXT
TEXT = "the quick brown fox jumps over the lazy dog. " * 4


@pytest.fixture
def txt_files(tmp_path):
    train = tmp_path / "train.txt"
    train.write_text(TEXT, encoding="utf-8")
    test = tmp_path / "test.txt"
    test.write_text("a lazy dog; the fox", encoding="utf-8")
    return str(train), str(test)


def decode(iterator, batch):
    return ["".join(iterator.token_arr[w[0].argmax(-1)]) for w in batch.asnumpy()]


def test_t_hot_txt_windows_are_substrings_with_a_stable_vocabulary(txt_files):
    train, _ = txt_files
    caller_list = [train]
    iterator = UnlabeledTHotTXTIterator(caller_list, epochs=2, batch_size=7, seq_len=9, ctx=CPU, seed=0)
    assert isinstance(iterator, UnlabeledImageIterator) and caller_list == [train]
    assert iterator.token_list == sorted(set(TEXT)) and iterator.seq_len == 9
    assert iterator.dataset_size == len(TEXT) and iterator.iter_n == int(2 * len(TEXT) / 7)
    x, y, test_x, _ = next(iterator.generate_learned_samples())
    assert x is y and x.shape == (7, 1, 9, len(set(TEXT))) and test_x.shape == x.shape
    assert all(window in TEXT for window in decode(iterator, x))
    windows = [w for b in iterator.generate_inferenced_samples() for w in decode(iterator, b[2])]
    assert windows == [TEXT[s:s + 9] for s in range(len(TEXT) - 8)]


def test_t_hot_txt_pre_txt_arr_and_token_list(txt_files):
    train, test = txt_files
    iterator = UnlabeledTHotTXTIterator([train], epochs=1, batch_size=3, seq_len=5, ctx=CPU, seed=0)
    iterator.pre_txt_arr = ["quick", "lazy ", "jumps"]
    x = next(iterator.generate_learned_samples())[0]
    assert decode(iterator, x) == [" brow", "dog. ", " over"]
    with pytest.raises(TypeError):
        iterator.token_arr = np.array(["a"])
    with pytest.raises(ValueError, match="test.txt.*unknown tokens"):
        UnlabeledTHotTXTIterator([train], [test], seq_len=5, ctx=CPU)
    wider = UnlabeledTHotTXTIterator([train], None, seq_len=5, ctx=CPU)
    wider.token_list = wider.token_list + [";"]
    assert wider.token_arr[-1] == ";" and next(wider.generate_learned_samples())[0].shape[-1] == len(set(TEXT)) + 1


def test_t_hot_txt_bad_input(tmp_path, txt_files):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with pytest.raises(ValueError, match=r"train_txt_path_list\[0\].*empty.txt.*is empty"):
        UnlabeledTHotTXTIterator([str(empty)], ctx=CPU)
    short = tmp_path / "short.txt"
    short.write_text("abc")
    with pytest.raises(ValueError, match="short.txt.*fewer than seq_len=10"):
        UnlabeledTHotTXTIterator([txt_files[0]], [str(short)], ctx=CPU)
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\xff\xfe\x00abc" * 10)
    with pytest.raises(ValueError, match="binary.txt.*UTF-8"):
        UnlabeledTHotTXTIterator([str(binary)], ctx=CPU)
    with pytest.raises(ValueError, match="missing.txt"):
        UnlabeledTHotTXTIterator([str(tmp_path / "missing.txt")], ctx=CPU)
    with pytest.raises(ValueError, match="dataset_size"):
        UnlabeledTHotTXTIterator([txt_files[0]], dataset_size=0, ctx=CPU)
    with pytest.raises(ValueError, match="token_list lacks"):
        UnlabeledTHotTXTIterator([txt_files[0]], ctx=CPU).token_list = ["a", "b"]
    assert os.path.getsize(txt_files[0]) == len(TEXT)
