"""Figures users ask for: image grids of samples, reconstructions and generated images.

(Loss curves: ``model.loss_history.plot(path)``.)
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np


def _to_images(arr) -> np.ndarray:
    """(N, C, H, W) / (N, H, W) / (N, D) with D a square → (N, H, W) or (N, H, W, 3) floats."""
    images = arr.asnumpy() if hasattr(arr, "asnumpy") else np.asarray(arr)
    if images.ndim == 2:
        side = int(round(np.sqrt(images.shape[1])))
        if side * side != images.shape[1]:
            raise ValueError("images of shape %s are not square vectors; pass (N, C, H, W)." % (images.shape,))
        images = images.reshape(-1, side, side)
    elif images.ndim == 4:
        images = images[:, 0] if images.shape[1] == 1 else np.transpose(images[:, :3], (0, 2, 3, 1))
    elif images.ndim != 3:
        raise ValueError("images must have rank 2, 3 or 4, got shape %s." % (images.shape,))
    return images


def image_grid(rows: Sequence, path: str, row_titles: Optional[Sequence[str]] = None, cmap: str = "gray",
               title: Optional[str] = None) -> str:
    """Save a grid with one row per entry of ``rows`` (each a batch of images) to ``path``.

    Args:
        rows: batches of images, e.g. ``[originals, reconstructions]``; each (N, C, H, W),
            (N, H, W) or (N, H*W). Rows may have different lengths.
        path: PNG file to write.
        row_titles: a label per row.
    Returns:
        ``path``.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    batches = [_to_images(row) for row in rows]
    n_cols = max(len(b) for b in batches)
    fig, axes = plt.subplots(len(batches), n_cols, figsize=(n_cols * 0.9, len(batches) * 1.0), squeeze=False)
    for r, batch in enumerate(batches):
        for c in range(n_cols):
            ax = axes[r][c]
            ax.axis("off")
            if c < len(batch):
                image = batch[c]
                low, high = float(image.min()), float(image.max())
                ax.imshow((image - low) / (high - low + 1e-12), cmap=cmap)
        if row_titles is not None:
            axes[r][0].set_title(row_titles[r], fontsize=8, loc="left")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
