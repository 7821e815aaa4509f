"""Small environments and agents shared by the reinforcement-learning tests."""
import gymnasium as gym
import mxnet as mx
import numpy as np
from gymnasium import spaces
from mxnet import gluon

from accelbrainbase.controllablemodel._mxnet.dqlcontroller.dqn_controller import DQNController
from accelbrainbase.observabledata._mxnet.functionapproximator.function_approximator import FunctionApproximator
from accelbrainbase.observabledata._mxnet.neural_networks import NeuralNetworks
from accelbrainbase.samplabledata.policy_sampler import PolicySampler
from accelbrainbase.samplabledata.policysampler._mxnet.gymnasium_policy import GymnasiumPolicy

CTX = mx.cpu()


class ChainEnv(gym.Env):
    """A corridor of ``length`` cells: start at the left end, reward 1 (terminal) at the right
    end, nothing elsewhere; actions 0 = left, 1 = right; at most ``limit`` steps."""

    def __init__(self, length=8, limit=40):
        self.length, self.limit = length, limit
        self.action_space = spaces.Discrete(2)
        self.observation_space = spaces.Box(0.0, 1.0, shape=(length,), dtype=np.float32)

    def _obs(self):
        obs = np.zeros(self.length, dtype=np.float32)
        obs[self.position] = 1.0
        return obs

    def reset(self, seed=None, options=None):
        super().reset(seed=seed)
        self.position, self.t = 0, 0
        return self._obs(), {}

    def step(self, action):
        self.position = min(max(self.position + (1 if action == 1 else -1), 0), self.length - 1)
        self.t += 1
        terminated = self.position == self.length - 1
        return self._obs(), float(terminated), terminated, self.t >= self.limit, {}


def q_network(in_units_hint=None, hidden=32):
    loss = gluon.loss.L2Loss()
    return NeuralNetworks(loss, units_list=[hidden, 1], dropout_rate_list=[0.0, 0.0],
                          activation_list=["relu", "identity"], hidden_batch_norm_list=[None, None], ctx=CTX,
                          not_init_flag=True), loss


def chain_agent(seed=0, length=8, **options):
    np.random.seed(seed)
    mx.random.seed(seed)
    sampler = GymnasiumPolicy(ChainEnv(length), ctx=CTX, seed=seed)
    net, loss = q_network()
    settings = dict(optimizer_name="adam", learning_rate=1e-2, ctx=CTX, initializer=mx.init.Xavier(),
                    gamma_value=0.9, replay_buffer_size=2000, replay_batch_size=32, target_update_interval=50,
                    exploration_fraction=0.5, exploration_final_eps=0.05)
    settings.update(options)
    return DQNController(FunctionApproximator(net, ctx=CTX), sampler, loss, **settings), sampler


class TargetPolicy(PolicySampler):
    """Candidates are random points of the plane; an action is worth ``-|action - goal|`` and the
    episode ends when an action lands within ``radius`` of the goal. ``nan_at`` makes the reward
    of that call NaN (for the bad-input test); ``rank`` changes the candidates' rank."""

    def __init__(self, batch=2, possible_n=5, nan_at=None, rank=3, radius=0.05):
        self.batch, self.possible_n, self.nan_at, self.rank, self.radius = batch, possible_n, nan_at, rank, radius
        self.goal = mx.nd.array([[0.5, -0.5]], ctx=CTX)
        self.calls = 0
        self.state_arr = None

    def draw(self):
        shape = (self.batch, self.possible_n, 2) if self.rank == 3 else (self.batch, self.possible_n * 2)
        return mx.nd.random.uniform(-1, 1, shape=shape, ctx=CTX), None

    def observe_state(self, state_arr, meta_data_arr):
        self.state_arr = state_arr

    def observe_reward_value(self, state_arr, action_arr, meta_data_arr=None):
        self.calls += 1
        reward = -mx.nd.sqrt(mx.nd.sum(mx.nd.square(action_arr - self.goal), axis=1, keepdims=True))
        if self.nan_at is not None and self.calls > self.nan_at:
            reward = reward * np.nan
        return reward

    def check_the_end_flag(self, state_arr, meta_data_arr=None):
        if state_arr is None:
            return False
        distance = mx.nd.sqrt(mx.nd.sum(mx.nd.square(state_arr - self.goal), axis=1))
        return bool((distance < self.radius).max().asscalar())


def target_agent(policy=None, **options):
    net, loss = q_network(hidden=16)
    settings = dict(optimizer_name="adam", learning_rate=1e-2, ctx=CTX)
    settings.update(options)
    return DQNController(FunctionApproximator(net, ctx=CTX), policy or TargetPolicy(), loss, **settings)
