"""Experience replay on the device: transitions are written and sampled with NDArray operations
only, so neither storing nor sampling waits for the host."""
from __future__ import annotations

from typing import Optional, Tuple

import mxnet as mx

from accelbrainbase._mxnet.checks import check_int


class ReplayBuffer:
    """A ring buffer of ``(action, reward, next candidates, terminal)`` transitions (reward and
    terminal flag share one ``(rows, 2)`` array: one write per step).

    Storage is allocated on the first :meth:`add` (its shapes come from the first batch), with
    ``min(capacity, expected transitions)`` rows rounded down to a multiple of the batch of
    agents, so one learn call never holds more memory than it can fill.

    Args:
        capacity: the most transitions kept (oldest are overwritten).
        ctx: the device holding the arrays.
    """

    def __init__(self, capacity: int, ctx: mx.Context) -> None:
        self.capacity = check_int(capacity, "replay_buffer_size", minimum=1)
        self.ctx = ctx
        self.arrays: Optional[Tuple[mx.nd.NDArray, ...]] = None
        self.position = 0
        self.size = 0

    def _allocate(self, action, next_candidates, rows_hint: Optional[int]) -> None:
        agents = action.shape[0]
        rows = self.capacity if rows_hint is None else max(min(self.capacity, rows_hint), agents)
        rows = max(rows - rows % agents, agents)
        self.arrays = (
            mx.nd.zeros((rows,) + action.shape[1:], ctx=self.ctx),
            mx.nd.zeros((rows, 2), ctx=self.ctx),
            mx.nd.zeros((rows,) + next_candidates.shape[1:], ctx=self.ctx),
        )
        self.position = 0
        self.size = 0

    def _grow(self, agents: int, rows_hint: int) -> None:
        """More rows for a longer run; stored transitions are kept (oldest first)."""
        rows = min(self.capacity, rows_hint)
        rows = max(rows - rows % agents, self.rows)
        order = mx.nd.array([(self.position + i) % self.rows for i in range(self.size)]
                            if self.size == self.rows else list(range(self.size)), ctx=self.ctx)
        grown = []
        for store in self.arrays:
            bigger = mx.nd.zeros((rows,) + store.shape[1:], ctx=self.ctx)
            if self.size:
                bigger[:self.size] = mx.nd.take(store, order)
            grown.append(bigger)
        self.arrays = tuple(grown)
        self.position = self.size % rows

    @property
    def rows(self) -> int:
        return 0 if self.arrays is None else self.arrays[0].shape[0]

    def shapes_match(self, action: mx.nd.NDArray, next_candidates: mx.nd.NDArray) -> bool:
        return (self.arrays is not None and self.arrays[0].shape[1:] == action.shape[1:]
                and self.arrays[2].shape[1:] == next_candidates.shape[1:] and self.rows % action.shape[0] == 0)

    def add(self, action: mx.nd.NDArray, reward_terminal: mx.nd.NDArray, next_candidates: mx.nd.NDArray,
            rows_hint: Optional[int] = None) -> None:
        """Store a batch of ``B`` transitions; ``reward_terminal`` is ``(B, 2)``: reward, terminal flag."""
        if not self.shapes_match(action, next_candidates):
            self._allocate(action, next_candidates, rows_hint)
        elif rows_hint is not None and self.rows < min(self.capacity, rows_hint) - action.shape[0]:
            self._grow(action.shape[0], rows_hint)
        agents = action.shape[0]
        begin, end = self.position, self.position + agents
        for store, value in zip(self.arrays, (action, reward_terminal, next_candidates)):
            store[begin:end] = value
        self.position = end % self.rows
        self.size = min(self.size + agents, self.rows)

    def sample(self, batch_size: int) -> Tuple[mx.nd.NDArray, mx.nd.NDArray, mx.nd.NDArray, mx.nd.NDArray]:
        """``(action, reward, next candidates, terminal)`` of ``batch_size`` transitions drawn
        uniformly with replacement (indices drawn on the device)."""
        index = mx.nd.random.randint(0, self.size, shape=(batch_size,), ctx=self.ctx).astype("float32")
        action, reward_terminal, next_candidates = (mx.nd.take(store, index) for store in self.arrays)
        reward, terminal = mx.nd.split(reward_terminal, num_outputs=2, axis=1)
        return action, reward, next_candidates, terminal

    def clear(self) -> None:
        self.arrays = None
        self.position = self.size = 0
