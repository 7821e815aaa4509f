"""The ``PolicySampler`` interface: the environment side of deep Q-learning.

A policy sampler tells a DQL controller which actions are possible (``draw``), what an action
is worth (``observe_reward_value``), where the agent is (``observe_state``/``update_state``) and
when an episode is over (``check_the_end_flag``). Actions are *candidates*: tensors the Q-function
scores one by one, shaped ``(B, possible_n, ...)`` (B agents, ``possible_n`` candidates each).
"""
from __future__ import annotations

from abc import abstractmethod

import mxnet as mx
import numpy as np

from accelbrainbase._mxnet.checks import check_int
from accelbrainbase.samplable_data import SamplableData


class PolicySampler(SamplableData):
    """Base of every policy sampler (abstract: ``draw``, ``observe_state``, ``observe_reward_value``).

    Subclasses need no constructor of their own; ``possible_n`` (class default 10) is the number
    of candidate actions ``draw()`` offers per agent.
    """

    _possible_n = 10

    @property
    def possible_n(self) -> int:
        """Candidate actions drawn per agent and step."""
        return self._possible_n

    @possible_n.setter
    def possible_n(self, value: int) -> None:
        self._possible_n = check_int(value, "possible_n", minimum=1)

    @abstractmethod
    def draw(self):
        """``(possible_action_arr, action_meta_data_arr)``: candidates ``(B, possible_n, ...)`` and
        their metadata (``None`` or indexable as ``[:, i]``)."""
        raise NotImplementedError()

    @abstractmethod
    def observe_state(self, state_arr, meta_data_arr):
        """Remember the agents' current state and its metadata."""
        raise NotImplementedError()

    @abstractmethod
    def observe_reward_value(self, state_arr, action_arr, meta_data_arr=None):
        """The reward ``(B, 1)`` of taking ``action_arr`` in ``state_arr``."""
        raise NotImplementedError()

    def update_state(self, action_arr, meta_data_arr=None):
        """``(next_state_arr, next_meta_data_arr)`` after ``action_arr``; by default the chosen
        action is the next state."""
        return action_arr, meta_data_arr

    def check_the_end_flag(self, state_arr, meta_data_arr=None) -> bool:
        """True when the episode is over (never, by default)."""
        return False

    # ------------------------------------------------------------------ additions (not in 1.1.0)
    def draw_next(self):
        """Candidates of the state the last observed action led to (the Bellman target's
        ``s'``). The default is ``draw()``, which is what the reference's loop used; samplers
        whose ``draw()`` starts a new episode after the last one ended (the gymnasium adapter)
        override it so a transition keeps its own final state."""
        return self.draw()

    def observe_terminal(self, state_arr, meta_data_arr=None):
        """``(B, 1)`` flags, 1 where the transition just observed ended its episode in a terminal
        state (no bootstrapping from ``s'``). The default broadcasts ``check_the_end_flag``;
        the gymnasium adapter tells a time limit (bootstrapped) from a terminal state."""
        batch = state_arr.shape[0] if state_arr is not None else 1
        flag = 1.0 if self.check_the_end_flag(state_arr, meta_data_arr=meta_data_arr) else 0.0
        return np.full((batch, 1), flag, dtype=np.float32)


def candidate_shape_error(possible_action_arr, step=None):
    """A ``ValueError`` message (or ``None``) when ``draw()`` did not return ``(B, possible_n, ...)``."""
    where = " at step %d" % step if step is not None else ""
    if not isinstance(possible_action_arr, mx.nd.NDArray):
        return ("policy_sampler.draw() must return (possible_action_arr, meta) with possible_action_arr an "
                "mxnet NDArray shaped (B, possible_n, ...); got %s%s." % (type(possible_action_arr).__name__, where))
    if possible_action_arr.ndim < 3:
        return ("policy_sampler.draw() returned candidates of rank %d (shape %s)%s; they must be shaped "
                "(B, possible_n, feature...) with rank >= 3." % (possible_action_arr.ndim,
                                                                  possible_action_arr.shape, where))
    return None
