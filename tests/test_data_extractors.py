"""ImageExtractor (neutral + mxnet), LabeledCSVExtractor, UnlabeledCSVExtractor on real data."""
import os
import re

import mxnet as mx
import numpy as np
import pytest
from PIL import Image

from accelbrainbase.extractabledata._mxnet.image_extractor import ImageExtractor as MxImageExtractor
from accelbrainbase.extractabledata.image_extractor import ImageExtractor
from accelbrainbase.extractabledata.labeled_csv_extractor import LabeledCSVExtractor
from accelbrainbase.extractabledata.unlabeled_csv_extractor import UnlabeledCSVExtractor


def _first_png(digits_png_dirs, label=3):
    folder = digits_png_dirs["train_dirs"][label]
    name = sorted(os.listdir(folder))[0]
    return os.path.join(folder, name), int(name.split(".")[0])


def test_neutral_extract_returns_uint8_chw_equal_to_the_pixels(digits_png_dirs, digits_arrays):
    path, index = _first_png(digits_png_dirs)
    arr = ImageExtractor(8, 8, 1).extract(path)
    assert arr.dtype == np.uint8 and arr.shape == (1, 8, 8)
    expected = np.rint(digits_arrays["x_train"][index] * 255).astype(np.uint8).reshape(1, 8, 8)
    np.testing.assert_array_equal(arr, expected)


def test_neutral_extract_resizes_to_width_by_height(digits_png_dirs):
    path, _ = _first_png(digits_png_dirs)
    assert ImageExtractor(width=5, height=7, channel=1).extract(path).shape == (1, 7, 5)


def test_colour_files_keep_their_bands(tmp_path):
    rgb = np.random.RandomState(0).randint(0, 255, size=(6, 9, 3)).astype(np.uint8)
    Image.fromarray(rgb).save(tmp_path / "rgb.png")
    Image.fromarray(np.dstack([rgb, np.full((6, 9), 255, np.uint8)])).save(tmp_path / "rgba.png")
    Image.fromarray(rgb[:, :, 0]).save(tmp_path / "gray.png")
    extractor = ImageExtractor(9, 6, 3)
    np.testing.assert_array_equal(extractor.extract(str(tmp_path / "rgb.png")), rgb.transpose(2, 0, 1))
    assert extractor.extract(str(tmp_path / "rgba.png")).shape == (4, 6, 9)
    assert extractor.extract(str(tmp_path / "gray.png")).shape == (1, 6, 9)
    gray = ImageExtractor(9, 6, 1).extract(str(tmp_path / "rgb.png"))
    assert gray.shape == (1, 6, 9)


def test_class_defaults_and_setters():
    extractor = ImageExtractor(128, 96, 3)
    extractor.width = 10
    assert extractor.width == 10
    with pytest.raises(TypeError, match="width"):
        extractor.width = 10.5
    with pytest.raises(TypeError, match="channel"):
        ImageExtractor(8, 8, "1")


def test_unreadable_file_is_named(tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("not an image")
    with pytest.raises(ValueError, match=re.escape(str(bad))):
        ImageExtractor(8, 8, 1).extract(str(bad))
    with pytest.raises(ValueError, match="missing.png"):
        ImageExtractor(8, 8, 1).extract(str(tmp_path / "missing.png"))


def test_mxnet_extract_is_float32_ndarray_on_the_resolved_context(digits_png_dirs):
    path, _ = _first_png(digits_png_dirs)
    extractor = MxImageExtractor(8, 8, 1)
    arr = extractor.extract(path)
    assert isinstance(arr, mx.nd.NDArray) and arr.dtype == np.float32 and arr.shape == (1, 8, 8)
    assert arr.context == mx.cpu() == extractor.ctx
    np.testing.assert_array_equal(arr.asnumpy(), ImageExtractor(8, 8, 1).extract(path))
    with pytest.raises(TypeError, match="read-only"):
        extractor.ctx = mx.cpu()


def test_mxnet_extractor_rejects_a_context_that_is_not_one():
    with pytest.raises(TypeError, match="ctx must be an mxnet.Context"):
        MxImageExtractor(8, 8, 1, ctx="gpu")


def test_mxnet_extractor_on_an_explicit_gpu_without_gpus_reads_to_the_cpu():
    assert MxImageExtractor(8, 8, 1, ctx=mx.gpu(0)).ctx == mx.cpu()


def test_labeled_csv_extractor_splits_features_and_labels(digits_csv, digits_arrays):
    observed, labels = LabeledCSVExtractor().extract(digits_csv["train_path"])
    assert observed.shape == (1617, 64) and labels.shape == (1617,)
    np.testing.assert_allclose(observed, digits_arrays["x_train"], rtol=0, atol=1e-7)
    np.testing.assert_array_equal(labels, digits_arrays["y_train"])


def test_unlabeled_csv_extractor_reads_every_column(digits_csv, digits_arrays):
    values = UnlabeledCSVExtractor().extract(digits_csv["unlabeled_test_path"])
    assert values.shape == (180, 64)
    np.testing.assert_allclose(values, digits_arrays["x_test"], rtol=0, atol=1e-7)


def test_label_column_property():
    extractor = LabeledCSVExtractor(label_column="y")
    assert extractor.label_column == "y"
    with pytest.raises(TypeError, match="label_column"):
        extractor.label_column = 3


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("text, pattern", [
    ("a,b,label\n1,2,0\n3,,1\n", r"column 'b'.*NaN"),
    ("a,b,label\n1,2,0\n3,x,1\n", r"column 'b'.*non-numeric"),
    ("a,b,label\n1,2,0\n3,inf,1\n", r"column 'b'.*infinity"),
    ("a,b,target\n1,2,0\n", r"label column 'label'"),
    ("a,b,label\n1,2,0\n3,4,\n", r"label column 'label' has a missing value"),
    ("a,b,label\n", r"no data rows"),
])
def test_labeled_csv_extractor_rejects_bad_files(tmp_path, text, pattern):
    path = _write(tmp_path, "bad.csv", text)
    with pytest.raises(ValueError, match=pattern) as info:
        LabeledCSVExtractor().extract(path)
    assert path in str(info.value)


def test_csv_extractors_name_a_missing_file(tmp_path):
    missing = str(tmp_path / "nope.csv")
    for extractor in (LabeledCSVExtractor(), UnlabeledCSVExtractor()):
        with pytest.raises(ValueError, match=re.escape(missing)):
            extractor.extract(missing)


def test_unlabeled_csv_extractor_rejects_nan(tmp_path):
    path = _write(tmp_path, "nan.csv", "a,b\n1,2\nnan,4\n")
    with pytest.raises(ValueError, match=r"column 'a'"):
        UnlabeledCSVExtractor().extract(path)
