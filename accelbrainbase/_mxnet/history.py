"""Loss history recorded by the training engine: a row per epoch, and optionally a row per step."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Dict, List, Optional, Sequence, Union

import numpy as np

if TYPE_CHECKING:  # annotations only
    import matplotlib.axes
    import pandas


class LossHistory:
    """Per-epoch records: ``epoch``, ``train_loss``, ``test_loss`` and any extra metrics.

    ``arr`` is the contract's ``loss_arr`` layout: shape ``(n_epochs, 2)``, columns
    ``(train, test)``.  ``to_frame()`` gives every column as a pandas DataFrame indexed by
    epoch, and ``plot()`` draws the curves with matplotlib.

    Learners whose contract logs are per iteration (GAN losses, Q-value logs) also get
    ``step_rows``: one row per training step (``step`` and every metric the step returned),
    read with ``step_column(name)`` or ``steps_frame()``.
    """

    def __init__(self) -> None:
        self.rows: List[Dict[str, float]] = []
        self.step_rows: List[Dict[str, float]] = []

    def __len__(self) -> int:
        return len(self.rows)

    def append(self, epoch: int, train_loss: float, test_loss: float, **metrics: float) -> None:
        row = {"epoch": int(epoch), "train_loss": float(train_loss), "test_loss": float(test_loss)}
        row.update({key: float(value) for key, value in metrics.items()})
        self.rows.append(row)

    def extend_steps(self, rows: List[Dict[str, float]]) -> None:
        self.step_rows.extend(rows)

    def step_column(self, name: str) -> np.ndarray:
        """One per-step column over all steps (NaN where a step did not record it)."""
        return np.array([row.get(name, math.nan) for row in self.step_rows], dtype=np.float64)

    def steps_frame(self) -> "pandas.DataFrame":
        """The per-step rows as a ``pandas.DataFrame`` indexed by step."""
        import pandas as pd

        frame = pd.DataFrame(self.step_rows)
        return frame.set_index("step") if "step" in frame else frame

    def column(self, name: str) -> np.ndarray:
        """One column over all epochs (NaN where an epoch did not record it)."""
        return np.array([row.get(name, math.nan) for row in self.rows], dtype=np.float64)

    @property
    def columns(self) -> List[str]:
        names: List[str] = []
        for row in self.rows:
            names.extend(key for key in row if key not in names)
        return names

    @property
    def arr(self) -> np.ndarray:
        """``(n, 2)`` array of (train loss, test loss)."""
        if not self.rows:
            return np.zeros((0, 2))
        return np.column_stack([self.column("train_loss"), self.column("test_loss")])

    def to_frame(self) -> "pandas.DataFrame":
        """All recorded columns as a ``pandas.DataFrame`` indexed by epoch."""
        import pandas as pd

        frame = pd.DataFrame(self.rows, columns=self.columns)
        return frame.set_index("epoch") if "epoch" in frame else frame

    def plot(self, path: Optional[str] = None, ax: Optional["matplotlib.axes.Axes"] = None,
             columns: Sequence[str] = ("train_loss", "test_loss"), title: str = "Loss") -> "matplotlib.axes.Axes":
        """Plot ``columns`` against the epoch; save to ``path`` when given. Returns the Axes."""
        import matplotlib

        if ax is None and path is not None:
            matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        own_figure = ax is None
        if own_figure:
            fig, ax = plt.subplots(figsize=(6, 4))
        epochs = self.column("epoch")
        for name in columns:
            ax.plot(epochs, self.column(name), label=name)
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("epoch")
        ax.set_title(title)
        ax.legend()
        if path is not None:
            ax.figure.tight_layout()
            ax.figure.savefig(path)
            if own_figure:
                plt.close(ax.figure)
        return ax

    def state(self) -> Dict[str, List[Dict[str, float]]]:
        return {"rows": [dict(row) for row in self.rows], "step_rows": [dict(row) for row in self.step_rows]}

    def load_state(self, state: Union[Dict[str, List[Dict[str, float]]], List[Dict[str, float]]]) -> None:
        if isinstance(state, list):  # checkpoints written before per-step rows existed
            state = {"rows": state, "step_rows": []}
        self.rows = [dict(row) for row in state.get("rows", [])]
        self.step_rows = [dict(row) for row in state.get("step_rows", [])]
