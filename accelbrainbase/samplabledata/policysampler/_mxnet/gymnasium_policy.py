"""A ``PolicySampler`` over any gymnasium environment with a discrete action space."""
from __future__ import annotations

from typing import TYPE_CHECKING, List, Optional, Tuple

import mxnet as mx
import numpy as np
from numpy.typing import ArrayLike

from accelbrainbase._mxnet.context import DEFAULT_CTX, ContextLike, first_ctx, resolve_ctx
from accelbrainbase.samplabledata.policy_sampler import PolicySampler

if TYPE_CHECKING:  # annotations only; gymnasium is an optional extra
    import gymnasium


class GymnasiumPolicy(PolicySampler):
    """One agent acting in a ``gymnasium.Env`` whose action space is ``Discrete(n)``.

    A candidate is the observation (flattened, float32) followed by the one-hot of one action,
    so ``draw()`` returns ``(candidates (1, n, obs_dim + n), action indices (1, n))`` and a
    Q-function of ``(B, obs_dim + n) → (B, 1)`` scores every action of the current state.
    ``observe_reward_value`` *acts*: it steps the environment with the candidate's action (read
    from its metadata) and returns the reward; a finished episode is reset by the next ``draw()``.
    Time limits (``truncated``) end episodes without being terminal, so the DQN target still
    bootstraps from them.

    Args:
        env: a ``gymnasium.Env`` (e.g. ``gymnasium.make("CartPole-v1")``).
        ctx: the device of the candidates and rewards.
        seed: seed of the first ``reset`` (later resets continue the environment's generator).

    Attributes:
        episode_returns: ``[(step, return, length), ...]`` of every finished episode.
    """

    #: the controller must not score candidates by calling observe_reward_value (it acts)
    acts_on_reward = True

    def __init__(self, env: "gymnasium.Env", ctx: ContextLike = DEFAULT_CTX, seed: Optional[int] = None) -> None:
        try:
            from gymnasium import spaces
        except ImportError as error:  # pragma: no cover - gymnasium is in the rl/test extras
            raise ImportError("GymnasiumPolicy needs gymnasium: pip install accel-brain-base[rl]") from error
        action_space = getattr(env, "action_space", None)
        if not isinstance(action_space, spaces.Discrete):
            raise ValueError("env.action_space must be gymnasium.spaces.Discrete (a finite set of actions); got %r. "
                             "Deep Q-learning scores each action as a candidate, which a continuous space cannot "
                             "offer." % (action_space,))
        self.env = env
        self.ctx = first_ctx(resolve_ctx(ctx))
        self.n_actions = int(action_space.n)
        self.possible_n = self.n_actions
        self._eye = np.eye(self.n_actions, dtype=np.float32)
        self._meta = np.arange(self.n_actions)[None, :]
        self._seed = seed
        self._obs: Optional[np.ndarray] = None
        self._candidates = None
        self._needs_reset = True
        self.terminated = False
        self.truncated = False
        self.episode_return = 0.0
        self.episode_length = 0
        self.steps = 0
        self.episode_returns: List[Tuple[int, float, int]] = []

    # ------------------------------------------------------------------ candidates
    def candidates_of(self, obs: ArrayLike) -> mx.nd.NDArray:
        """``(1, n, obs_dim + n)``: ``obs`` paired with every action's one-hot."""
        flat = np.asarray(obs, dtype=np.float32).ravel()
        rows = np.concatenate([np.repeat(flat[None, :], self.n_actions, axis=0), self._eye], axis=1)
        return mx.nd.array(rows[None], ctx=self.ctx)

    def reset(self) -> None:
        """Start a new episode."""
        obs, _ = self.env.reset(seed=self._seed)
        self._seed = None
        self._obs = obs
        self._candidates = self.candidates_of(obs)
        self._needs_reset = False
        self.terminated = self.truncated = False
        self.episode_return, self.episode_length = 0.0, 0

    def draw(self) -> Tuple[mx.nd.NDArray, np.ndarray]:
        """The current state's candidates (a new episode starts when the last one ended)."""
        if self._needs_reset or self._candidates is None:
            self.reset()
        return self._candidates, self._meta

    def draw_next(self) -> Tuple[mx.nd.NDArray, np.ndarray]:
        """The candidates of the state the last action led to (also when it ended the episode)."""
        return self._candidates, self._meta

    # ------------------------------------------------------------------ acting
    def observe_state(self, state_arr: mx.nd.NDArray, meta_data_arr: np.ndarray) -> None:
        """Nothing to remember: the environment holds the state."""

    def observe_reward_value(self, state_arr: mx.nd.NDArray, action_arr: mx.nd.NDArray,
                             meta_data_arr: Optional[np.ndarray] = None) -> np.ndarray:
        """Step the environment with the action of ``meta_data_arr`` (its index); ``(1, 1)`` reward."""
        if meta_data_arr is None:
            raise ValueError("GymnasiumPolicy.observe_reward_value needs the chosen candidate's metadata "
                             "(its action index).")
        if self._needs_reset or self._candidates is None:
            self.reset()
        action = int(np.asarray(meta_data_arr).ravel()[0])
        obs, reward, terminated, truncated, _ = self.env.step(action)
        self.steps += 1
        self.episode_return += float(reward)
        self.episode_length += 1
        self.terminated, self.truncated = bool(terminated), bool(truncated)
        self._obs = obs
        self._candidates = self.candidates_of(obs)
        if self.terminated or self.truncated:
            self.episode_returns.append((self.steps, self.episode_return, self.episode_length))
            self._needs_reset = True
        return np.array([[reward]], dtype=np.float32)

    def observe_terminal(self, state_arr: mx.nd.NDArray, meta_data_arr: Optional[np.ndarray] = None) -> np.ndarray:
        """1 when the last step reached a terminal state (a time limit is not terminal)."""
        return np.array([[1.0 if self.terminated else 0.0]], dtype=np.float32)

    def check_the_end_flag(self, state_arr: mx.nd.NDArray, meta_data_arr: Optional[np.ndarray] = None) -> bool:
        """True when the last step ended the episode (terminal state or time limit)."""
        return self.terminated or self.truncated
