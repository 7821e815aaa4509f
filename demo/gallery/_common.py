"""Small pieces the gallery examples share: output paths, seeding, accuracy and 2-D plots."""
from __future__ import annotations

import os
from typing import Callable, Dict, Optional, Tuple

import numpy as np

import accelbrainbase  # noqa: F401  (prepares numpy for mxnet)
import matplotlib
import mxnet as mx

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

#: where every example writes its figure
OUTPUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "output", "gallery")


def output_path(name: str) -> str:
    """``demo/output/gallery/<name>`` (the folder is created)."""
    os.makedirs(OUTPUT, exist_ok=True)
    return os.path.join(OUTPUT, name)


def seed_everything(seed: int) -> np.random.RandomState:
    """Seed MXNet (parameter initialisation) and numpy; return a generator for the data."""
    mx.random.seed(seed)
    np.random.seed(seed)
    return np.random.RandomState(seed)


def predict(model, x: np.ndarray) -> np.ndarray:
    """``model.inference`` on a numpy batch ``(N, D)``, back as numpy."""
    return model.inference(mx.nd.array(x, ctx=mx.cpu())).asnumpy()


def accuracy(model, x: np.ndarray, labels: np.ndarray) -> float:
    """Share of rows of ``x`` whose highest output is the label."""
    return float((predict(model, x).argmax(axis=1) == labels).mean())


def decision_plot(score: Callable[[np.ndarray], np.ndarray], x: np.ndarray, labels: np.ndarray, path: str,
                  bounds: Tuple[float, float, float, float], title: str, levels: Optional[np.ndarray] = None,
                  resolution: int = 200, colorbar: bool = True) -> str:
    """Colour the plane by ``score(points)`` (class index or a value) and scatter the samples.

    Args:
        score: maps grid points ``(G, 2)`` to a value per point ``(G,)``.
        x: samples ``(N, 2)``; labels: their classes ``(N,)``.
        bounds: ``(x_min, x_max, y_min, y_max)`` of the plot.
        levels: contour levels; colorbar: draw a colour scale (for values, not classes).
    """
    xs = np.linspace(bounds[0], bounds[1], resolution)
    ys = np.linspace(bounds[2], bounds[3], resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    values = score(np.column_stack([grid_x.ravel(), grid_y.ravel()]).astype(np.float32)).reshape(grid_x.shape)
    fig, ax = plt.subplots(figsize=(5, 5))
    filled = ax.contourf(grid_x, grid_y, values, levels=levels, cmap="coolwarm", alpha=0.6)
    if colorbar:
        fig.colorbar(filled, ax=ax, shrink=0.8)
    ax.scatter(x[:, 0], x[:, 1], c=labels, cmap="coolwarm", edgecolors="k", s=25 if len(x) > 8 else 120)
    ax.set_xlim(bounds[0], bounds[1])
    ax.set_ylim(bounds[2], bounds[3])
    ax.set_aspect("equal")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def report(name: str, figures: Dict[str, object]) -> None:
    """Print the example's figures, one per line."""
    print("== %s ==" % name)
    for key, value in figures.items():
        if isinstance(value, float):
            print("%s: %.4f" % (key, value))
        elif isinstance(value, (list, tuple)) and value and isinstance(value[0], float):
            print("%s: %s" % (key, ", ".join("%.4f" % v for v in value)))
        else:
            print("%s: %s" % (key, value))
