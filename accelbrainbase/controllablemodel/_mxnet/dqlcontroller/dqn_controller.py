"""Deep Q-network controller: ε-greedy choice among the candidates."""
from __future__ import annotations

import mxnet as mx
import numpy as np

from accelbrainbase.controllablemodel._mxnet.dql_controller import DQLController, _check_float


class DQNController(DQLController):
    """``DQLController`` with ε-greedy ``select_action`` (same constructor).

    ``epsilon_greedy_rate`` is the probability of the *greedy* choice (one draw per call, for all
    agents). While ``learn`` runs with a replay buffer it follows the exploration schedule, unless
    it has been set explicitly, which fixes it (the 1.1.0 behaviour).
    """

    _epsilon_greedy_rate = 0.75

    @property
    def epsilon_greedy_rate(self) -> float:
        """Probability of choosing the candidate with the highest Q (default 0.75)."""
        override = self.__dict__.get("_inference_greedy_rate")
        if override is not None:
            return float(override)
        scheduled = self.__dict__.get("_scheduled_greedy_rate")
        if scheduled is not None and not self.__dict__.get("_epsilon_fixed", False):
            return float(scheduled)
        return _check_float(self._epsilon_greedy_rate, "epsilon_greedy_rate")

    @epsilon_greedy_rate.setter
    def epsilon_greedy_rate(self, value) -> None:
        value = _check_float(value, "epsilon_greedy_rate")
        if not 0.0 <= value <= 1.0:
            raise ValueError("epsilon_greedy_rate must be in [0, 1], got %r." % value)
        self._epsilon_greedy_rate = value
        self.__dict__["_epsilon_fixed"] = True

    def selection_needs_rewards(self) -> bool:
        """The ε-greedy choice reads only the Q-values (unless a subclass overrides it)."""
        return type(self).select_action is not DQNController.select_action

    def inference(self, iter_n=100, epsilon_greedy_rate=None):
        """As ``DQLController.inference``; ``epsilon_greedy_rate`` (e.g. 1.0 for the greedy policy)
        applies to this call only, leaving the property and the schedule alone."""
        if epsilon_greedy_rate is not None:
            epsilon_greedy_rate = _check_float(epsilon_greedy_rate, "epsilon_greedy_rate")
            if not 0.0 <= epsilon_greedy_rate <= 1.0:
                raise ValueError("epsilon_greedy_rate must be in [0, 1], got %r." % epsilon_greedy_rate)
        self.__dict__["_inference_greedy_rate"] = epsilon_greedy_rate
        try:
            return super().inference(iter_n)
        finally:
            self.__dict__["_inference_greedy_rate"] = None

    def select_action_key(self, possible_action_arr, possible_predicted_q_arr):
        """``(B,)`` int indices: greedy (argmax of Q) with probability ``epsilon_greedy_rate``,
        otherwise uniform over the candidates."""
        batch, possible = possible_action_arr.shape[:2]
        if np.random.random() < self.epsilon_greedy_rate:
            return possible_predicted_q_arr[:, :, 0].argmax(axis=1).asnumpy().astype(int)
        return np.random.randint(low=0, high=possible, size=batch)

    def select_action(self, possible_action_arr, possible_predicted_q_arr, possible_reward_value_arr,
                      possible_next_q_arr, possible_meta_data_arr=None):
        """``(action (B, ...), predicted_q (B, q), reward (B, 1), next_q (B, q), meta)`` of the
        candidate ``select_action_key`` picks for each agent."""
        key = self.select_action_key(possible_action_arr, possible_predicted_q_arr)
        gathered = self.gather_candidates((possible_action_arr, possible_predicted_q_arr,
                                           possible_reward_value_arr, possible_next_q_arr), key)
        return tuple(gathered) + (self.gather_meta(possible_meta_data_arr, key),)

    @staticmethod
    def gather_candidates(arrays, key):
        """Element ``[b, key[b]]`` of each ``(B, P, ...)`` array, as ``(B, ...)`` arrays (one ``take`` each)."""
        batch, possible = arrays[0].shape[:2]
        if batch == 1:  # one agent (an environment): a slice, no index array to copy to the device
            k = int(key[0])
            return [arr.slice_axis(axis=1, begin=k, end=k + 1).reshape((1,) + arr.shape[2:]) for arr in arrays]
        flat_index = mx.nd.array(np.arange(batch) * possible + key, ctx=arrays[0].context)
        return [mx.nd.take(arr.reshape((batch * possible,) + arr.shape[2:]), flat_index.as_in_context(arr.context))
                for arr in arrays]

    @staticmethod
    def gather_meta(meta, key):
        """The chosen candidates' metadata: ``None``, an NDArray or a numpy array, like the input."""
        if meta is None:
            return None
        batch = len(key)
        if isinstance(meta, mx.nd.NDArray):
            return DQNController.gather_candidates((meta,), key)[0]
        return np.asarray(meta)[np.arange(batch), key]
