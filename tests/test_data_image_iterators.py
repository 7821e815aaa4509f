"""mxnet LabeledImageIterator / UnlabeledImageIterator on the digits and MNIST PNG folders."""
import os
import re

import mxnet as mx
import numpy as np
import PIL.Image
import pytest
from PIL import Image

from accelbrainbase.extractabledata._mxnet.image_extractor import ImageExtractor as MxImageExtractor
from accelbrainbase.extractabledata.image_extractor import ImageExtractor
from accelbrainbase.iteratabledata._mxnet.labeled_image_iterator import LabeledImageIterator
from accelbrainbase.iteratabledata._mxnet.unlabeled_image_iterator import UnlabeledImageIterator
from accelbrainbase.noiseabledata._mxnet.gauss_noise import GaussNoise as MxGaussNoise
from accelbrainbase.noiseabledata.gauss_noise import GaussNoise


def lookup(arrays, part):
    """uint8 pixel bytes -> row index of ``arrays['x_<part>']`` (digits images are unique)."""
    pixels = np.rint(arrays["x_" + part] * 255).astype(np.uint8)
    return {row.tobytes(): i for i, row in enumerate(pixels)}


def identify(batch, table):
    """Row indices of the raw (norm_mode=None) images of ``batch`` in ``table``."""
    rows = np.rint(batch.asnumpy().reshape(batch.shape[0], -1)).astype(np.uint8)
    return np.array([table[row.tobytes()] for row in rows])


def digits_iterator(dirs, cls=LabeledImageIterator, **kwargs):
    kwargs.setdefault("epochs", 2)
    kwargs.setdefault("batch_size", 50)
    return cls(ImageExtractor(8, 8, 1), dirs["train_dirs"], dirs["test_dirs"], **kwargs)


def test_labeled_batches_shapes_dtypes_context_and_count(digits_png_dirs):
    it = digits_iterator(digits_png_dirs, batch_size=40)
    assert it.iter_n == int(2 * 1617 / 40) == 80
    batches = list(it.generate_learned_samples())
    assert len(batches) == it.iter_n
    for x, y, test_x, test_y in batches:
        assert x.shape == test_x.shape == (40, 1, 8, 8)
        assert y.shape == test_y.shape == (40, 10)
        for arr in (x, y, test_x, test_y):
            assert isinstance(arr, mx.nd.NDArray) and arr.dtype == np.float32 and arr.context == mx.cpu()
        np.testing.assert_array_equal(y.sum(axis=1).asnumpy(), np.ones(40))


def test_labels_match_folders_and_no_sample_repeats_within_an_epoch(digits_png_dirs, digits_arrays):
    it = digits_iterator(digits_png_dirs, norm_mode=None)
    train_table, test_table = lookup(digits_arrays, "train"), lookup(digits_arrays, "test")
    drawn = []
    for x, y, test_x, test_y in it.generate_learned_samples():
        idx = identify(x, train_table)
        np.testing.assert_array_equal(y.asnumpy().argmax(axis=1), digits_arrays["y_train"][idx])
        test_idx = identify(test_x, test_table)
        np.testing.assert_array_equal(test_y.asnumpy().argmax(axis=1), digits_arrays["y_test"][test_idx])
        drawn.extend(idx)
    drawn = np.array(drawn)
    assert len(drawn) == it.iter_n * 50 == 3200
    np.testing.assert_array_equal(np.sort(drawn[:1617]), np.arange(1617))  # first epoch: a permutation
    assert len(np.unique(drawn[1617:])) == len(drawn[1617:])  # second epoch: no repeats either


def test_same_seed_same_batches_different_seed_different(digits_png_dirs):
    def first_batches(seed):
        gen = digits_iterator(digits_png_dirs, seed=seed).generate_learned_samples()
        return [np.concatenate([next(gen)[k].asnumpy().ravel() for k in (0, 2)]) for _ in range(3)]

    a, b, c = first_batches(7), first_batches(7), first_batches(8)
    for left, right in zip(a, b):
        np.testing.assert_array_equal(left, right)
    assert not np.array_equal(a[0], c[0])


def test_z_score_and_min_max_are_per_image(digits_png_dirs):
    x, _, test_x, _ = next(digits_iterator(digits_png_dirs).generate_learned_samples())
    for arr in (x, test_x):
        flat = arr.asnumpy().reshape(50, -1)
        np.testing.assert_allclose(flat.mean(axis=1), 0, atol=1e-5)
        np.testing.assert_allclose(flat.std(axis=1), 1, atol=1e-4)
    x, *_ = next(digits_iterator(digits_png_dirs, norm_mode="min_max", scale=2.0).generate_learned_samples())
    flat = x.asnumpy().reshape(50, -1)
    np.testing.assert_allclose(flat.min(axis=1), 0, atol=1e-6)
    np.testing.assert_allclose(flat.max(axis=1), 2, atol=1e-5)


def test_changing_norm_mode_after_construction_is_honoured(digits_png_dirs):
    it = digits_iterator(digits_png_dirs)
    it.norm_mode = None
    x, *_ = next(it.generate_learned_samples())
    assert x.asnumpy().max() > 100  # raw 0..255 pixels


@pytest.mark.parametrize("noise", [MxGaussNoise(mu=100.0, sigma=0.0), GaussNoise(mu=100.0, sigma=0.0)])
def test_noise_is_applied_to_the_training_batch_only(digits_png_dirs, noise):
    it = digits_iterator(digits_png_dirs, epochs=1, noiseable_data=noise)
    for x, y, test_x, test_y in it.generate_learned_samples():
        assert isinstance(x, mx.nd.NDArray) and x.context == mx.cpu()
        np.testing.assert_allclose(x.asnumpy().reshape(50, -1).mean(axis=1), 100, atol=1e-3)
        np.testing.assert_allclose(test_x.asnumpy().reshape(50, -1).mean(axis=1), 0, atol=1e-5)


def test_files_are_decoded_once(digits_png_dirs, monkeypatch):
    opened = []
    real_open = PIL.Image.open
    monkeypatch.setattr(PIL.Image, "open", lambda *a, **k: opened.append(a[0]) or real_open(*a, **k))
    it = digits_iterator(digits_png_dirs, epochs=3)
    assert len(opened) == 1617 + 180 and len(set(opened)) == len(opened)
    opened.clear()
    for _ in it.generate_learned_samples():
        pass
    list(it.generate_inferenced_samples())
    assert opened == []


def test_callers_dir_lists_are_not_modified(digits_png_dirs, digits_arrays):
    train_dirs = list(reversed(digits_png_dirs["train_dirs"]))
    test_dirs = list(reversed(digits_png_dirs["test_dirs"]))
    before = (list(train_dirs), list(test_dirs))
    it = LabeledImageIterator(ImageExtractor(8, 8, 1), train_dirs, test_dirs, epochs=1, batch_size=50,
                              norm_mode=None)
    assert (train_dirs, test_dirs) == before
    x, y, _, _ = next(it.generate_learned_samples())
    idx = identify(x, lookup(digits_arrays, "train"))
    np.testing.assert_array_equal(y.asnumpy().argmax(axis=1), digits_arrays["y_train"][idx])


def test_inference_yields_every_test_file_once_with_its_own_pixels(digits_png_dirs):
    it = digits_iterator(digits_png_dirs, batch_size=40)
    seen = []
    for first, second, batch, paths in it.generate_inferenced_samples():
        assert first is None and second is None and batch.shape[0] == len(paths)
        pixels = np.stack([np.asarray(Image.open(p), dtype=np.float32)[None] for p in paths])
        flat = pixels.reshape(len(paths), -1)
        expected = (flat - flat.mean(1, keepdims=True)) / flat.std(1, keepdims=True)
        np.testing.assert_allclose(batch.asnumpy().reshape(len(paths), -1), expected, atol=1e-4)
        seen.extend(paths)
    assert [len(seen[i:i + 40]) for i in range(0, 180, 40)] == [40, 40, 40, 40, 20]
    expected_files = sorted(os.path.join(d, f) for d in digits_png_dirs["test_dirs"] for f in os.listdir(d))
    assert sorted(seen) == expected_files and seen != expected_files  # all once, shuffled


def test_test_dir_list_none_reuses_the_training_files(digits_png_dirs):
    it = LabeledImageIterator(ImageExtractor(8, 8, 1), digits_png_dirs["train_dirs"], epochs=1,
                              batch_size=100)
    paths = [p for *_, batch_paths in it.generate_inferenced_samples() for p in batch_paths]
    assert len(paths) == len(set(paths)) == 1617


def test_unlabeled_iterator_yields_x_x_on_the_extractor_context(digits_png_dirs, digits_arrays):
    it = UnlabeledImageIterator(MxImageExtractor(8, 8, 1), digits_png_dirs["train_dirs"],
                                digits_png_dirs["test_dirs"], epochs=1, batch_size=30, norm_mode=None, seed=1)
    assert it.iter_n == 53
    batches = list(it.generate_learned_samples())
    assert len(batches) == 53
    table = lookup(digits_arrays, "train")
    drawn = []
    for x, target, test_x, test_target in batches:
        assert target is x and test_target is test_x
        assert x.shape == test_x.shape == (30, 1, 8, 8) and x.context == mx.cpu()
        drawn.extend(identify(x, table))
    assert len(drawn) == len(set(drawn)) == 53 * 30  # fewer than one epoch: no repeats
    paths = [p for *_, batch_paths in it.generate_inferenced_samples() for p in batch_paths]
    assert len(set(paths)) == len(paths) == 180


def test_mnist_folders(mnist_png_dirs, mnist_arrays):
    it = LabeledImageIterator(MxImageExtractor(28, 28, 1), mnist_png_dirs["train_dirs"],
                              mnist_png_dirs["test_dirs"], epochs=1, batch_size=100, norm_mode=None, seed=0)
    assert it.iter_n == 40
    pixels = np.rint(mnist_arrays["x_train"] * 255).astype(np.uint8)
    labels_of = {}
    for row, label in zip(pixels, mnist_arrays["y_train"]):
        labels_of.setdefault(row.tobytes(), set()).add(int(label))
    n = 0
    for x, y, test_x, test_y in it.generate_learned_samples():
        assert x.shape == test_x.shape == (100, 1, 28, 28) and y.shape == (100, 10)
        rows = np.rint(x.asnumpy().reshape(100, -1)).astype(np.uint8)
        for row, label in zip(rows, y.asnumpy().argmax(axis=1)):
            assert label in labels_of[row.tobytes()]
        n += 1
    assert n == 40
    assert sum(len(paths) for *_, paths in it.generate_inferenced_samples()) == 1000


def test_different_source_sizes_are_resized(tmp_path):
    rng = np.random.RandomState(0)
    for name, size in (("a", (8, 8)), ("b", (12, 10))):
        folder = tmp_path / name
        folder.mkdir()
        for i in range(3):
            pixels = rng.randint(0, 255, size=size + (3,)).astype(np.uint8)
            Image.fromarray(pixels).save(folder / ("%d.png" % i))
    it = LabeledImageIterator(ImageExtractor(6, 5, 3), [str(tmp_path / "a"), str(tmp_path / "b")],
                              epochs=1, batch_size=4, seed=0)
    x, y, _, _ = next(it.generate_learned_samples())
    assert x.shape == (4, 3, 5, 6) and y.shape == (4, 2)


# ----------------------------------------------------------------------------- bad input

def _folder(root, name, images):
    folder = root / name
    folder.mkdir()
    for file_name, arr in images:
        Image.fromarray(arr).save(folder / file_name)
    return str(folder)


@pytest.fixture
def rgb_dirs(tmp_path):
    rng = np.random.RandomState(0)
    rgb = [("%d.png" % i, rng.randint(0, 255, size=(8, 8, 3)).astype(np.uint8)) for i in range(4)]
    return tmp_path, [_folder(tmp_path, "a", rgb), _folder(tmp_path, "b", rgb)]


def test_rgba_among_rgb_is_named_with_both_shapes(rgb_dirs):
    root, dirs = rgb_dirs
    Image.fromarray(np.zeros((8, 8, 4), np.uint8)).save(os.path.join(dirs[1], "z_alpha.png"))
    with pytest.raises(ValueError, match=r"z_alpha\.png.*\(4, 8, 8\).*\(3, 8, 8\)"):
        LabeledImageIterator(ImageExtractor(8, 8, 3), dirs, epochs=1, batch_size=2)


def test_grayscale_file_with_channel_3_is_named(rgb_dirs):
    root, dirs = rgb_dirs
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(os.path.join(dirs[0], "gray.png"))
    with pytest.raises(ValueError, match=r"gray\.png.*\(1, 8, 8\).*\(3, 8, 8\)"):
        UnlabeledImageIterator(ImageExtractor(8, 8, 3), dirs, epochs=1, batch_size=2)


def test_non_image_file_is_named(rgb_dirs):
    root, dirs = rgb_dirs
    with open(os.path.join(dirs[0], "notes.txt"), "w") as f:
        f.write("hello")
    with pytest.raises(ValueError, match=r"notes\.txt"):
        LabeledImageIterator(ImageExtractor(8, 8, 3), dirs, epochs=1, batch_size=2)


def test_missing_and_empty_directories_are_named(rgb_dirs):
    root, dirs = rgb_dirs
    missing = str(root / "missing")
    with pytest.raises(ValueError, match=re.escape(missing)):
        LabeledImageIterator(ImageExtractor(8, 8, 3), dirs + [missing], epochs=1, batch_size=2)
    empty = root / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match=re.escape(str(empty))):
        LabeledImageIterator(ImageExtractor(8, 8, 3), dirs, test_dir_list=[dirs[0], str(empty)], epochs=1,
                             batch_size=2)


@pytest.mark.parametrize("kwargs, error, pattern", [
    ({"image_extractor": "extractor"}, TypeError, "image_extractor"),
    ({"dir_list": ("a", "b")}, TypeError, "dir_list"),
    ({"dir_list": []}, ValueError, "dir_list"),
    ({"test_dir_list": "dir"}, TypeError, "test_dir_list"),
    ({"noiseable_data": "noise"}, TypeError, "noiseable_data"),
    ({"batch_size": 0}, ValueError, "batch_size"),
    ({"batch_size": 9}, ValueError, "batch_size=9 is larger"),
    ({"batch_size": 2.0}, TypeError, "batch_size"),
    ({"epochs": 0}, ValueError, "epochs"),
    ({"norm_mode": 3}, TypeError, "norm_mode"),
    ({"ctx": "cpu"}, TypeError, "ctx"),
    ({"seed": "x"}, TypeError, "seed"),
])
def test_bad_arguments_raise_naming_the_argument(rgb_dirs, kwargs, error, pattern):
    root, dirs = rgb_dirs
    args = {"image_extractor": ImageExtractor(8, 8, 3), "dir_list": dirs, "epochs": 1, "batch_size": 2}
    args.update(kwargs)
    with pytest.raises(error, match=pattern):
        LabeledImageIterator(**args)


def test_test_dirs_must_have_as_many_classes(rgb_dirs):
    root, dirs = rgb_dirs
    with pytest.raises(ValueError, match="test_dir_list"):
        LabeledImageIterator(ImageExtractor(8, 8, 3), dirs, test_dir_list=dirs[:1], epochs=1, batch_size=2)
