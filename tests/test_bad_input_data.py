"""Bad input to the data layer is a named error before any training.

One parametrised table: each row builds an extractor, iterator or noise from bad input and names
the exception type and a pattern the message must match (the argument, file or value at fault).
After the table, the repaired decodings: 16-bit grayscale PNGs at full precision, palette images
through their palette, and the clean files the table's bad ones are variations of.
"""
import contextlib
import os
import re
import struct
import zlib

import mxnet as mx
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from accelbrainbase.extractabledata._mxnet.image_extractor import ImageExtractor as MxImageExtractor
from accelbrainbase.extractabledata.image_extractor import ImageExtractor
from accelbrainbase.extractabledata.labeled_csv_extractor import LabeledCSVExtractor
from accelbrainbase.extractabledata.unlabeled_csv_extractor import UnlabeledCSVExtractor
from accelbrainbase.iteratabledata._mxnet.array_iterator import ArrayIterator
from accelbrainbase.iteratabledata._mxnet.gauss_iterator import GaussIterator
from accelbrainbase.iteratabledata._mxnet.labeled_csv_iterator import LabeledCSVIterator
from accelbrainbase.iteratabledata._mxnet.labeled_image_iterator import LabeledImageIterator
from accelbrainbase.iteratabledata._mxnet.unlabeled_csv_iterator import UnlabeledCSVIterator
from accelbrainbase.iteratabledata._mxnet.unlabeled_image_iterator import UnlabeledImageIterator
from accelbrainbase.iteratabledata._mxnet.unlabeled_sequential_csv_iterator import UnlabeledSequentialCSVIterator
from accelbrainbase.iteratabledata._mxnet.unlabeled_t_hot_csv_iterator import UnlabeledTHotCSVIterator
from accelbrainbase.iteratabledata._mxnet.unlabeled_t_hot_txt_iterator import UnlabeledTHotTXTIterator
from accelbrainbase.noiseabledata._mxnet.cutout_noise import CutoutNoise as MxCutoutNoise
from accelbrainbase.noiseabledata._mxnet.gauss_noise import GaussNoise as MxGaussNoise
from accelbrainbase.noiseabledata.cutout_noise import CutoutNoise
from accelbrainbase.noiseabledata.gauss_noise import GaussNoise

CPU = mx.cpu()
RNG = np.random.RandomState(0)


# ------------------------------------------------------------------------------------ file makers
def png16(path, arr, color_type):
    """Write a 16-bit PNG by hand (PIL writes 16-bit grayscale only): ``color_type`` 0 gray, 2 RGB."""
    height, width = arr.shape[:2]
    raw = b"".join(b"\x00" + np.ascontiguousarray(arr[i]).astype(">u2").tobytes() for i in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 16, color_type, 0, 0, 0)
    with open(path, "wb") as handle:
        handle.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
                     + chunk(b"IEND", b""))


def gray_dir(root, name, count=4, side=8):
    folder = os.path.join(root, name)
    os.makedirs(folder)
    for i in range(count):
        Image.fromarray(RNG.randint(0, 256, size=(side, side)).astype(np.uint8)).save(
            os.path.join(folder, "%d.png" % i))
    return folder


def write_csv(path, frame, index=False, header=True):
    frame.to_csv(path, index=index, header=header)
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("bad_input"))
    f = {"root": root}
    f["a"], f["b"] = gray_dir(root, "a"), gray_dir(root, "b")
    f["missing_dir"] = os.path.join(root, "no_such_dir")
    f["missing_file"] = os.path.join(root, "no_such_file.png")
    f["not_image"] = os.path.join(root, "not_an_image.png")
    with open(f["not_image"], "w") as handle:
        handle.write("this is text")
    gradient = (np.arange(64, dtype=np.int64).reshape(8, 8) * 1040).astype(np.uint16)
    f["rgb16"] = os.path.join(root, "rgb16.png")
    png16(f["rgb16"], np.stack([gradient, gradient // 2, 65535 - gradient], axis=-1), 2)
    f["rgb16_dir"] = os.path.join(root, "rgb16_dir")
    os.makedirs(f["rgb16_dir"])
    png16(os.path.join(f["rgb16_dir"], "0.png"), np.stack([gradient] * 3, axis=-1), 2)
    f["big"] = os.path.join(root, "big.png")
    Image.fromarray(np.zeros((40, 40), dtype=np.uint8)).save(f["big"])
    f["float_tiff"] = os.path.join(root, "float.tiff")
    Image.fromarray(RNG.normal(size=(8, 8)).astype(np.float32), mode="F").save(f["float_tiff"])
    f["int32_tiff"] = os.path.join(root, "int32.tiff")
    Image.fromarray(np.full((8, 8), 10 ** 7, dtype=np.int32), mode="I").save(f["int32_tiff"])

    rows = 20
    features = pd.DataFrame(RNG.normal(size=(rows, 3)), columns=["x0", "x1", "x2"])
    labeled = features.assign(label=np.arange(rows) % 4)
    f["labeled"] = write_csv(os.path.join(root, "labeled.csv"), labeled)
    f["label_typo"] = write_csv(os.path.join(root, "label_typo.csv"),
                                labeled.assign(label=np.where(np.arange(rows) == 7, 5000000, labeled["label"])))
    f["label_negative"] = write_csv(os.path.join(root, "label_negative.csv"),
                                    labeled.assign(label=np.where(np.arange(rows) == 3, -1, labeled["label"])))
    f["label_fraction"] = write_csv(os.path.join(root, "label_fraction.csv"),
                                    labeled.assign(label=labeled["label"] + np.where(np.arange(rows) == 5, 0.5, 0)))
    f["label_missing"] = write_csv(os.path.join(root, "label_missing.csv"),
                                   labeled.assign(label=labeled["label"].where(np.arange(rows) != 2)))
    f["labeled_index"] = write_csv(os.path.join(root, "labeled_index.csv"), labeled, index=True)
    f["unlabeled"] = write_csv(os.path.join(root, "unlabeled.csv"), features)
    f["index"] = write_csv(os.path.join(root, "index.csv"), features, index=True)
    f["unnamed"] = os.path.join(root, "unnamed.csv")
    with open(f["unnamed"], "w") as handle:
        handle.write("x0,,x2\n" + "".join("%d,%d,%d\n" % (i, i + 1, i + 2) for i in range(rows)))
    f["headerless"] = write_csv(os.path.join(root, "headerless.csv"), features, header=False)
    f["overflow"] = write_csv(os.path.join(root, "overflow.csv"),
                              features.assign(x1=np.where(np.arange(rows) == 4, 1e39, features["x1"])))
    f["nan"] = write_csv(os.path.join(root, "nan.csv"), features.assign(x2=features["x2"].where(np.arange(rows) != 6)))
    f["text_cell"] = write_csv(os.path.join(root, "text_cell.csv"),
                               features.astype(object).assign(x0=["a"] + list(features["x0"][1:])))
    f["empty_csv"] = os.path.join(root, "empty.csv")
    open(f["empty_csv"], "w").close()
    f["header_only"] = os.path.join(root, "header_only.csv")
    with open(f["header_only"], "w") as handle:
        handle.write("x0,x1,x2\n")
    codes = pd.DataFrame(RNG.randint(0, 5, size=(rows, 2)), columns=["c0", "c1"])
    f["codes"] = write_csv(os.path.join(root, "codes.csv"), codes)
    f["code_typo"] = write_csv(os.path.join(root, "code_typo.csv"),
                               codes.assign(c1=np.where(np.arange(rows) == 9, 5000000, codes["c1"])))
    f["text"] = os.path.join(root, "text.txt")
    with open(f["text"], "w") as handle:
        handle.write("the quick brown fox jumps over the lazy dog " * 3)
    f["empty_text"] = os.path.join(root, "empty.txt")
    open(f["empty_text"], "w").close()
    return f


@contextlib.contextmanager
def pixel_limit(pixels):
    """PIL's decompression-bomb limit lowered to ``pixels`` (a 40x40 file then counts as a bomb)."""
    saved = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = pixels
    try:
        yield
    finally:
        Image.MAX_IMAGE_PIXELS = saved


def extract_with_limit(path, pixels):
    with pixel_limit(pixels):
        return ImageExtractor(8, 8, 1).extract(path)


def image_iterator(f, cls=LabeledImageIterator, dirs=("a", "b"), **kwargs):
    options = dict(epochs=1, batch_size=2, seed=0)
    if cls is LabeledImageIterator:
        options["ctx"] = CPU
    options.update(kwargs)
    return cls(ImageExtractor(8, 8, 1), [f[d] if d in f else d for d in dirs], **options)


def labeled_csv(f, train="labeled", test=None, **kwargs):
    options = dict(epochs=1, batch_size=4, ctx=CPU, seed=0)
    options.update(kwargs)
    return LabeledCSVIterator(LabeledCSVExtractor(), f[train], f[test] if test else None, **options)


def unlabeled_csv(f, train="unlabeled", **kwargs):
    options = dict(epochs=1, batch_size=4, ctx=CPU, seed=0)
    options.update(kwargs)
    return UnlabeledCSVIterator(UnlabeledCSVExtractor(), f[train], None, **options)


def sequential_csv(f, train="unlabeled", **kwargs):
    options = dict(epochs=1, batch_size=4, seq_len=3, ctx=CPU, seed=0)
    options.update(kwargs)
    return UnlabeledSequentialCSVIterator(UnlabeledCSVExtractor(), f[train], None, **options)


def t_hot_csv(f, train="codes", **kwargs):
    options = dict(epochs=1, batch_size=4, seq_len=3, ctx=CPU, seed=0)
    options.update(kwargs)
    return UnlabeledTHotCSVIterator(UnlabeledCSVExtractor(), [f[train]], None, **options)


def t_hot_txt(f, train="text", **kwargs):
    options = dict(epochs=1, batch_size=4, seq_len=5, ctx=CPU, seed=0)
    options.update(kwargs)
    return UnlabeledTHotTXTIterator([f[train]], **options)


def gauss(**kwargs):
    options = dict(dim=4, epochs=1, batch_size=4, ctx=CPU, dataset_size=8)
    options.update(kwargs)
    return GaussIterator(**options)


def arrays(observed=None, **kwargs):
    observed = np.zeros((10, 3), dtype=np.float32) if observed is None else observed
    options = dict(epochs=1, batch_size=2, ctx=CPU, seed=0)
    options.update(kwargs)
    return ArrayIterator(observed, **options)


NORM_MODES = r"norm_mode=.*not a normalisation mode.*'z_score', 'min_max'"

# (id, build(files), exception type, message pattern; "{key}" is replaced by files[key], escaped)
CASES = [
    # ---------------------------------------------------------------- image extractor
    ("extractor width 0", lambda f: ImageExtractor(0, 8, 1), ValueError, "width must be >= 1"),
    ("extractor width float", lambda f: ImageExtractor(1.5, 8, 1), TypeError, "width must be an int"),
    ("extractor height negative", lambda f: ImageExtractor(8, -1, 1), ValueError, "height must be >= 1"),
    ("extractor channel 0", lambda f: ImageExtractor(8, 8, 0), ValueError, "channel must be >= 1"),
    ("extractor channel str", lambda f: MxImageExtractor(8, 8, "rgb", ctx=CPU), TypeError, "channel"),
    ("extractor ctx str", lambda f: MxImageExtractor(8, 8, 1, ctx="cpu"), TypeError, "ctx"),
    ("extract missing file", lambda f: ImageExtractor(8, 8, 1).extract(f["missing_file"]), ValueError,
     "{missing_file}"),
    ("extract text as image", lambda f: ImageExtractor(8, 8, 1).extract(f["not_image"]), ValueError,
     "Cannot read the image file.*{not_image}"),
    ("extract 16-bit colour png", lambda f: ImageExtractor(8, 8, 3).extract(f["rgb16"]), ValueError,
     "{rgb16}.*16-bit RGB"),
    ("extract 16-bit colour png as gray", lambda f: MxImageExtractor(8, 8, 1, ctx=CPU).extract(f["rgb16"]),
     ValueError, "{rgb16}.*16-bit"),
    ("extract decompression bomb error", lambda f: extract_with_limit(f["big"], 500), ValueError,
     "{big}.*decompression bomb"),
    ("extract decompression bomb warning", lambda f: extract_with_limit(f["big"], 1000), ValueError,
     "{big}.*decompression bomb"),
    ("extract float tiff", lambda f: ImageExtractor(8, 8, 1).extract(f["float_tiff"]), ValueError,
     "{float_tiff}.*floating-point"),
    ("extract 32-bit tiff", lambda f: ImageExtractor(8, 8, 1).extract(f["int32_tiff"]), ValueError,
     "{int32_tiff}.*32-bit"),
    # ---------------------------------------------------------------- CSV extractors
    ("label_column int", lambda f: LabeledCSVExtractor(label_column=3), TypeError, "label_column must be str"),
    ("label column missing", lambda f: LabeledCSVExtractor("target").extract(f["labeled"]), ValueError,
     "{labeled}.*no label column 'target'"),
    ("label value missing", lambda f: LabeledCSVExtractor().extract(f["label_missing"]), ValueError,
     "{label_missing}.*missing value.*row 2"),
    ("labeled csv to_csv index", lambda f: LabeledCSVExtractor().extract(f["labeled_index"]), ValueError,
     "{labeled_index}.*index.*df.to_csv\\(path, index=False\\)"),
    ("unlabeled csv to_csv index", lambda f: UnlabeledCSVExtractor().extract(f["index"]), ValueError,
     "{index}.*first column has no header"),
    ("csv column without header", lambda f: UnlabeledCSVExtractor().extract(f["unnamed"]), ValueError,
     "{unnamed}.*column 1 has no header"),
    ("csv without header row", lambda f: UnlabeledCSVExtractor().extract(f["headerless"]), ValueError,
     "{headerless}.*first row .* looks like data"),
    ("csv float32 overflow", lambda f: UnlabeledCSVExtractor().extract(f["overflow"]), ValueError,
     "{overflow}.*column 'x1'.*1e\\+39.*row 4.*float32"),
    ("csv NaN cell", lambda f: UnlabeledCSVExtractor().extract(f["nan"]), ValueError,
     "{nan}.*column 'x2'.*NaN.*row 6"),
    ("csv text cell", lambda f: UnlabeledCSVExtractor().extract(f["text_cell"]), ValueError,
     "{text_cell}.*column 'x0'.*non-numeric"),
    ("csv empty file", lambda f: UnlabeledCSVExtractor().extract(f["empty_csv"]), ValueError, "{empty_csv}"),
    ("csv header only", lambda f: UnlabeledCSVExtractor().extract(f["header_only"]), ValueError,
     "{header_only}.*no data rows"),
    ("csv path None", lambda f: UnlabeledCSVExtractor().extract(None), TypeError, "path"),
    # ---------------------------------------------------------------- image iterators
    ("image dir listed twice", lambda f: image_iterator(f, dirs=("a", "b", "a")), ValueError,
     "dir_list lists the directory '{a}' twice"),
    ("image dir twice with slash", lambda f: image_iterator(f, dirs=("a", f["a"] + os.sep)), ValueError,
     "dir_list lists the directory .*twice"),
    ("image test dir twice", lambda f: image_iterator(f, test_dir_list=[f["b"], f["b"]]), ValueError,
     "test_dir_list lists the directory '{b}' twice"),
    ("image dir missing", lambda f: image_iterator(f, dirs=("a", "missing_dir")), ValueError, "{missing_dir}"),
    ("image dir 16-bit colour", lambda f: image_iterator(f, dirs=("a", "rgb16_dir")), ValueError,
     "rgb16_dir.*16-bit"),
    ("image epochs 0", lambda f: image_iterator(f, epochs=0), ValueError, "epochs must be >= 1"),
    ("image batch_size 0", lambda f: image_iterator(f, batch_size=0), ValueError, "batch_size must be >= 1"),
    ("image batch_size negative", lambda f: image_iterator(f, batch_size=-5), ValueError, "batch_size"),
    ("image batch_size float", lambda f: image_iterator(f, batch_size=2.0), TypeError, "batch_size must be an int"),
    ("image batch too large", lambda f: image_iterator(f, batch_size=100), ValueError,
     "batch_size=100 is larger than"),
    ("image norm_mode z-score", lambda f: image_iterator(f, norm_mode="z-score"), ValueError, NORM_MODES),
    ("image scale 0", lambda f: image_iterator(f, scale=0), ValueError, "scale must be non-zero"),
    ("image scale nan", lambda f: image_iterator(f, scale=float("nan")), ValueError, "scale must be finite"),
    ("image seed negative", lambda f: image_iterator(f, seed=-1), ValueError, "seed must be >= 0"),
    ("unlabeled image dir twice", lambda f: image_iterator(f, UnlabeledImageIterator, dirs=("b", "b")),
     ValueError, "dir_list lists the directory '{b}' twice"),
    ("unlabeled image norm_mode", lambda f: image_iterator(f, UnlabeledImageIterator, norm_mode="minmax"),
     ValueError, NORM_MODES),
    ("unlabeled image epochs negative", lambda f: image_iterator(f, UnlabeledImageIterator, epochs=-1),
     ValueError, "epochs must be >= 1"),
    # ---------------------------------------------------------------- labeled CSV iterator
    ("csv label typo 5,000,000", lambda f: labeled_csv(f, "label_typo"), ValueError,
     "{label_typo}.*label 5000000 at data row 7 would make 5000001 one-hot columns"),
    ("csv label typo in test file", lambda f: labeled_csv(f, test="label_typo"), ValueError,
     "test_csv_path=.*{label_typo}.*label 5000000 at data row 7"),
    ("csv label negative", lambda f: labeled_csv(f, "label_negative"), ValueError,
     "{label_negative}.*class indices.*row 3"),
    ("csv label fraction", lambda f: labeled_csv(f, "label_fraction"), ValueError,
     "{label_fraction}.*class indices.*row 5"),
    ("csv iterator to_csv index", lambda f: labeled_csv(f, "labeled_index"), ValueError,
     "{labeled_index}.*df.to_csv"),
    ("csv iterator norm_mode", lambda f: labeled_csv(f, norm_mode="zscore"), ValueError, NORM_MODES),
    ("csv iterator batch_size 0", lambda f: labeled_csv(f, batch_size=0), ValueError, "batch_size must be >= 1"),
    ("csv iterator batch too large", lambda f: labeled_csv(f, batch_size=100), ValueError,
     "batch_size=100 .*train_csv_path"),
    ("csv iterator epochs 0", lambda f: labeled_csv(f, epochs=0), ValueError, "epochs must be >= 1"),
    ("csv iterator missing file", lambda f: LabeledCSVIterator(LabeledCSVExtractor(), f["missing_file"], None,
                                                                ctx=CPU), ValueError, "{missing_file}"),
    ("unlabeled csv overflow", lambda f: unlabeled_csv(f, "overflow"), ValueError, "{overflow}.*float32"),
    ("unlabeled csv headerless", lambda f: unlabeled_csv(f, "headerless"), ValueError, "{headerless}.*header"),
    ("unlabeled csv norm_mode", lambda f: unlabeled_csv(f, norm_mode="standard"), ValueError, NORM_MODES),
    ("unlabeled csv epochs 0", lambda f: unlabeled_csv(f, epochs=0), ValueError, "epochs must be >= 1"),
    ("unlabeled csv scale 0", lambda f: unlabeled_csv(f, scale=0.0), ValueError, "scale must be non-zero"),
    # ---------------------------------------------------------------- Gauss iterator
    ("gauss norm_mode", lambda f: gauss(norm_mode="z-score"), ValueError, NORM_MODES),
    ("gauss norm_mode int", lambda f: gauss(norm_mode=1), TypeError, "norm_mode must be"),
    ("gauss batch_size 0", lambda f: gauss(batch_size=0), ValueError, "batch_size must be >= 1"),
    ("gauss epochs 0", lambda f: gauss(epochs=0), ValueError, "epochs must be >= 1"),
    ("gauss dim 0", lambda f: gauss(dim=0), ValueError, "dim must be >= 1"),
    ("gauss std negative", lambda f: gauss(std=-1.0), ValueError, "std must be >= 0"),
    ("gauss loc inf", lambda f: gauss(loc=float("inf")), ValueError, "loc must be finite"),
    ("gauss dataset_size 0", lambda f: gauss(dataset_size=0), ValueError, "dataset_size must be >= 1"),
    ("gauss scale 0", lambda f: gauss(scale=0), ValueError, "scale must be non-zero"),
    # ---------------------------------------------------------------- sequence iterators
    ("sequential seq_len 0", lambda f: sequential_csv(f, seq_len=0), ValueError, "seq_len must be >= 1"),
    ("sequential norm_mode", lambda f: sequential_csv(f, norm_mode="z-score"), ValueError, NORM_MODES),
    ("sequential to_csv index", lambda f: sequential_csv(f, "index"), ValueError, "{index}.*df.to_csv"),
    ("sequential overflow", lambda f: sequential_csv(f, "overflow"), ValueError, "{overflow}.*float32"),
    ("sequential seq_len too long", lambda f: sequential_csv(f, seq_len=50), ValueError,
     "train_csv_path=.*has 20 rows, fewer than seq_len=50"),
    ("t-hot csv code typo", lambda f: t_hot_csv(f, "code_typo"), ValueError,
     "train_csv_path_list\\[0\\]=.*{code_typo}.*code 5000000 at data row 9"),
    ("t-hot csv norm_mode", lambda f: t_hot_csv(f, norm_mode="max"), ValueError, NORM_MODES),
    ("t-hot csv batch_size 0", lambda f: t_hot_csv(f, batch_size=0), ValueError, "batch_size must be >= 1"),
    ("t-hot txt seq_len negative", lambda f: t_hot_txt(f, seq_len=-2), ValueError, "seq_len must be >= 1"),
    ("t-hot txt norm_mode", lambda f: t_hot_txt(f, norm_mode="z-score"), ValueError, NORM_MODES),
    ("t-hot txt dataset_size 0", lambda f: t_hot_txt(f, dataset_size=0), ValueError, "dataset_size must be >= 1"),
    ("t-hot txt empty file", lambda f: t_hot_txt(f, "empty_text"), ValueError, "{empty_text}.*empty"),
    ("t-hot txt epochs 0", lambda f: t_hot_txt(f, epochs=0), ValueError, "epochs must be >= 1"),
    # ---------------------------------------------------------------- array iterator
    ("array norm_mode", lambda f: arrays(norm_mode="z-score"), ValueError, NORM_MODES),
    ("array float32 overflow", lambda f: arrays(np.full((10, 3), 1e300)), ValueError,
     "observed_arr holds 1e\\+300 .*float32"),
    ("array batch_size 0", lambda f: arrays(batch_size=0), ValueError, "batch_size must be >= 1"),
    ("array epochs 0", lambda f: arrays(epochs=0), ValueError, "epochs must be >= 1"),
    ("array steps_per_epoch 0", lambda f: arrays(steps_per_epoch=0), ValueError, "steps_per_epoch"),
    ("array class index too large", lambda f: arrays(target_arr=np.array([0, 1] * 4 + [2, 7]), n_classes=3),
     ValueError, "target_arr\\[9\\]=7 is not a class index"),
    # ---------------------------------------------------------------- noise
    ("gauss noise sigma negative", lambda f: GaussNoise(sigma=-1.0), ValueError, "sigma must be >= 0"),
    ("gauss noise mu inf", lambda f: GaussNoise(mu=float("inf")), ValueError, "mu must be finite"),
    ("gauss noise seed negative", lambda f: GaussNoise(seed=-1), ValueError, "seed must be >= 0"),
    ("mx gauss noise sigma negative", lambda f: MxGaussNoise(sigma=-0.1), ValueError, "sigma must be >= 0"),
    ("mx gauss noise sigma str", lambda f: MxGaussNoise(sigma="1"), TypeError, "sigma must be a number"),
    ("cutout height 0", lambda f: CutoutNoise(height=0), ValueError, "height must be >= 1"),
    ("cutout width negative", lambda f: CutoutNoise(width=-2), ValueError, "width must be >= 1"),
    ("cutout seed too large", lambda f: CutoutNoise(seed=2 ** 40), ValueError, "seed must be <="),
    ("mx cutout height float", lambda f: MxCutoutNoise(height=1.5), TypeError, "height must be an int"),
    ("noise on bad iterator arg", lambda f: gauss(noiseable_data="gauss"), TypeError, "noiseable_data"),
]


def test_the_table_is_large():
    assert len(CASES) >= 80 and len({case[0] for case in CASES}) == len(CASES)


@pytest.mark.parametrize("build, error, pattern", [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_bad_input_is_a_named_error(files, build, error, pattern):
    pattern = pattern.format(**{key: re.escape(value) for key, value in files.items()})
    with pytest.raises(error, match=pattern):
        build(files)


# ------------------------------------------------------------------------------------ repairs
def test_16_bit_grayscale_is_decoded_at_full_precision(tmp_path):
    levels = np.arange(0, 65536, 64, dtype=np.int64).reshape(32, 32).astype(np.uint16)  # 1,024 levels
    path = str(tmp_path / "gray16.png")
    png16(path, levels, 0)
    for extractor in (ImageExtractor(32, 32, 1), ImageExtractor(32, 32, 3), MxImageExtractor(32, 32, 1, ctx=CPU)):
        arr = extractor.extract(path)
        arr = arr.asnumpy() if hasattr(arr, "asnumpy") else arr
        assert arr.shape == (1, 32, 32) and arr.dtype == np.float32
        np.testing.assert_allclose(arr[0], levels * 255.0 / 65535.0, rtol=1e-6, atol=1e-4)
        assert len(np.unique(arr)) == 1024  # not clipped to 8 bits
    small = ImageExtractor(16, 16, 1).extract(path)  # resized in floating point
    assert small.shape == (1, 16, 16) and 0.0 <= small.min() and small.max() <= 255.0 + 1e-3
    assert not np.allclose(small, np.round(small))  # between the 8-bit levels


def test_16_bit_images_in_an_iterator_keep_their_precision(tmp_path):
    folder = tmp_path / "gray16"
    folder.mkdir()
    for i in range(4):
        png16(str(folder / ("%d.png" % i)), (np.arange(64).reshape(8, 8) * 1000 + i).astype(np.uint16), 0)
    iterator = UnlabeledImageIterator(ImageExtractor(8, 8, 1), [str(folder)], epochs=1, batch_size=2,
                                      norm_mode=None, seed=0)
    x = next(iterator.generate_learned_samples())[0].asnumpy()
    assert x.max() <= 255.0 and len(np.unique(x)) == 2 * 64  # two distinct images, every level kept


def test_palette_images_are_decoded_through_their_palette(tmp_path):
    rgb = RNG.randint(0, 256, size=(8, 8, 3)).astype(np.uint8)
    palette_image = Image.fromarray(rgb).convert("P", palette=Image.ADAPTIVE, colors=16)
    path = str(tmp_path / "palette.png")
    palette_image.save(path)
    reference = Image.open(path)
    as_rgb = ImageExtractor(8, 8, 3).extract(path)
    assert as_rgb.shape == (3, 8, 8) and as_rgb.dtype == np.uint8
    assert np.array_equal(as_rgb, np.asarray(reference.convert("RGB")).transpose(2, 0, 1))
    as_gray = ImageExtractor(8, 8, 1).extract(path)
    assert np.array_equal(as_gray[0], np.asarray(reference.convert("L")))
    assert ImageExtractor(8, 8, 4).extract(path).shape == (4, 8, 8)
    bilevel = str(tmp_path / "bilevel.png")
    Image.fromarray(rgb[:, :, 0] > 127).convert("1").save(bilevel)
    assert set(np.unique(ImageExtractor(8, 8, 1).extract(bilevel))) <= {0, 255}  # not 0/1


def test_palette_folder_feeds_an_rgb_iterator(tmp_path):
    folder = tmp_path / "p"
    folder.mkdir()
    for i in range(3):
        rgb = RNG.randint(0, 256, size=(8, 8, 3)).astype(np.uint8)
        Image.fromarray(rgb).convert("P", palette=Image.ADAPTIVE, colors=8).save(str(folder / ("%d.png" % i)))
    Image.fromarray(RNG.randint(0, 256, size=(8, 8, 3)).astype(np.uint8)).save(str(folder / "rgb.png"))
    iterator = UnlabeledImageIterator(ImageExtractor(8, 8, 3), [str(folder)], epochs=1, batch_size=2, seed=0)
    assert next(iterator.generate_learned_samples())[0].shape == (2, 3, 8, 8)


def test_decompression_bomb_limit_is_pils_own(files):
    with pixel_limit(None):  # PIL's documented way to switch the check off
        assert ImageExtractor(8, 8, 1).extract(files["big"]).shape == (1, 8, 8)


def test_the_clean_files_the_bad_ones_vary_are_accepted(files):
    assert labeled_csv(files).iter_n >= 1
    assert next(labeled_csv(files).generate_learned_samples())[1].shape == (4, 4)
    assert unlabeled_csv(files).iter_n >= 1 and sequential_csv(files).iter_n >= 1
    assert t_hot_csv(files).vocab_size == 5 and t_hot_txt(files).iter_n >= 1
    assert image_iterator(files).iter_n >= 1


def test_one_based_labels_and_integer_headers_are_accepted(tmp_path):
    frame = pd.DataFrame(RNG.normal(size=(12, 3)))  # header "0,1,2" as pandas writes it
    frame["label"] = np.arange(12) % 3 + 1  # 1..3: one unused index (0) is allowed
    path = write_csv(str(tmp_path / "one_based.csv"), frame)
    iterator = LabeledCSVIterator(LabeledCSVExtractor(), path, None, epochs=1, batch_size=4, ctx=CPU, seed=0)
    assert next(iterator.generate_learned_samples())[1].shape == (4, 4)
    frame["label"] = np.arange(12) % 3 * 2  # 0, 2, 4: two unused indices
    with pytest.raises(ValueError, match="label 4 at data row 2 would make 5 one-hot columns"):
        LabeledCSVIterator(LabeledCSVExtractor(), write_csv(str(tmp_path / "gaps.csv"), frame), None,
                           epochs=1, batch_size=4, ctx=CPU)


def test_norm_mode_none_spellings_leave_values_unchanged():
    for mode in (None, "none"):
        x = next(gauss(norm_mode=mode, loc=5.0).generate_learned_samples())[0].asnumpy()
        assert abs(x.mean() - 5.0) < 1.5
