"""Image grids for Boltzmann machines: learned weights (receptive fields) and reconstructions.

Both functions return the matplotlib ``Figure`` and save it when ``path`` is given (with the
non-interactive Agg backend, so they work on machines without a display).
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Optional, Sequence, Tuple, Union

import mxnet as mx
import numpy as np
from numpy.typing import ArrayLike

from accelbrainbase._mxnet.checks import check_int

if TYPE_CHECKING:  # annotations only
    import matplotlib.figure


def _as_numpy(arr, name: str) -> np.ndarray:
    if hasattr(arr, "asnumpy"):
        arr = arr.asnumpy()
    arr = np.asarray(arr, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError("%s must be 2-D (rows of flattened images), got shape %s." % (name, arr.shape))
    return arr


def _check_image_shape(image_shape: Sequence[int], width: int, name: str) -> Tuple[int, int]:
    if len(image_shape) != 2 or int(image_shape[0]) * int(image_shape[1]) != width:
        raise ValueError("image_shape=%s does not hold the %d values of each row of %s."
                         % (tuple(image_shape), width, name))
    return int(image_shape[0]), int(image_shape[1])


def _figure(path: Optional[str]):
    import matplotlib

    if path is not None:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _finish(plt, fig, path: Optional[str]):
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=100)
        plt.close(fig)
    return fig


def plot_weight_grid(weights_arr: Union[ArrayLike, mx.nd.NDArray], image_shape: Sequence[int],
                     path: Optional[str] = None, n_columns: Optional[int] = None, max_units: Optional[int] = None,
                     title: str = "Learned weights", cmap: str = "gray") -> "matplotlib.figure.Figure":
    """Draw each hidden unit's weights ``W[j]`` as an image (each scaled to its own range).

    Args:
        weights_arr: ``(hidden_dim, visible_dim)`` NDArray/array, e.g. ``rbm.weights_arr``.
        image_shape: ``(height, width)`` with ``height * width == visible_dim``.
        path: file to save the figure to (PNG etc.), or ``None``.
        n_columns: images per row (default: about the square root of the count).
        max_units: draw only the first ``max_units`` hidden units.
        title: figure title.
        cmap: matplotlib colour map.
    Returns:
        the matplotlib ``Figure``.
    """
    weights = _as_numpy(weights_arr, "weights_arr")
    height, width = _check_image_shape(image_shape, weights.shape[1], "weights_arr")
    if max_units is not None:
        weights = weights[:check_int(max_units, "max_units", minimum=1)]
    count = weights.shape[0]
    columns = check_int(n_columns, "n_columns", minimum=1) if n_columns is not None else int(math.ceil(math.sqrt(count)))
    rows = int(math.ceil(count / columns))
    plt = _figure(path)
    fig, axes = plt.subplots(rows, columns, figsize=(columns * 0.9, rows * 0.9 + 0.4), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < count:
            ax.imshow(weights[i].reshape(height, width), cmap=cmap, interpolation="nearest")
    fig.suptitle(title)
    return _finish(plt, fig, path)


def plot_reconstructions(observed_arr: Union[ArrayLike, mx.nd.NDArray],
                         reconstructed_arr: Union[ArrayLike, mx.nd.NDArray], image_shape: Sequence[int],
                         path: Optional[str] = None, n_images: int = 10,
                         title: str = "Top: input, bottom: reconstruction",
                         cmap: str = "gray") -> "matplotlib.figure.Figure":
    """Draw inputs (top row) above their reconstructions (bottom row), on a common 0..1 scale.

    Args:
        observed_arr: ``(B, visible_dim)`` inputs.
        reconstructed_arr: ``(B, visible_dim)`` reconstructions, e.g. ``model.reconstruct(x)``.
        image_shape: ``(height, width)`` of one image.
        path: file to save the figure to, or ``None``.
        n_images: how many pairs to draw (the first ``n_images`` rows).
        title: figure title.
        cmap: matplotlib colour map.
    Returns:
        the matplotlib ``Figure``.
    """
    observed = _as_numpy(observed_arr, "observed_arr")
    reconstructed = _as_numpy(reconstructed_arr, "reconstructed_arr")
    if observed.shape != reconstructed.shape:
        raise ValueError("observed_arr %s and reconstructed_arr %s differ in shape." % (observed.shape, reconstructed.shape))
    height, width = _check_image_shape(image_shape, observed.shape[1], "observed_arr")
    count = min(check_int(n_images, "n_images", minimum=1), observed.shape[0])
    plt = _figure(path)
    fig, axes = plt.subplots(2, count, figsize=(count * 0.9, 2.3), squeeze=False)
    for row, images in enumerate((observed, reconstructed)):
        for i in range(count):
            ax = axes[row, i]
            ax.axis("off")
            ax.imshow(images[i].reshape(height, width), cmap=cmap, vmin=0.0, vmax=1.0, interpolation="nearest")
    fig.suptitle(title)
    return _finish(plt, fig, path)
