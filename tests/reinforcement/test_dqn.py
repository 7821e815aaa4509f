"""DQLController / DQNController / FunctionApproximator / GymnasiumPolicy: real learning on a gymnasium
environment, the 1.1.0 online update, save/load, and bad input."""
import os
import sys

import gymnasium as gym
import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
from _envs import CTX, ChainEnv, TargetPolicy, chain_agent, target_agent  # noqa: E402

from accelbrainbase.controllablemodel._mxnet.dql_controller import DQLController  # noqa: E402
from accelbrainbase.samplabledata.policysampler._mxnet.gymnasium_policy import GymnasiumPolicy  # noqa: E402


def greedy_route(controller, length=8):
    """Steps a greedy episode takes to the end of the chain (its limit when it never arrives)."""
    training = controller.policy_sampler
    evaluation = GymnasiumPolicy(ChainEnv(length), ctx=CTX, seed=123)
    controller.policy_sampler = evaluation
    try:
        controller.inference(iter_n=40, epsilon_greedy_rate=1.0)
    finally:
        controller.policy_sampler = training
    steps, total, length_ = evaluation.episode_returns[-1]
    return length_ if total > 0 else 40


def test_dqn_learns_the_chain_with_replay_target_network_and_double_dqn():
    """Replay + target network + Double DQN + Huber: after 1,500 environment steps the greedy policy
    walks the 8-cell corridor in the optimal 7 steps (an untrained one does not reach the end)."""
    controller, sampler = chain_agent(seed=0)
    assert greedy_route(controller) > 7
    before = controller.t  # inference steps count too (1.1.0's counter)
    controller.learn(1500)
    assert controller.t == before + 1500
    assert greedy_route(controller) == 7
    assert controller.target_network is not None
    q_logs = controller.q_logs_arr
    assert q_logs.shape[1] == 2 and len(q_logs) > 1000  # one row per update, a view of the step history
    assert len(controller.loss_history.step_rows) == 1500
    # Q of the start state approaches the discounted return 0.9 ** 6 of the optimal route
    start = sampler.candidates_of(np.eye(8, dtype=np.float32)[0])
    q_right = controller.function_approximator(start.reshape((2, -1))).asnumpy()[1, 0]
    assert abs(q_right - 0.9 ** 6) < 0.25


def test_epsilon_schedule_and_explicit_rate():
    controller, _ = chain_agent(seed=1, exploration_fraction=0.5, exploration_initial_eps=1.0,
                                exploration_final_eps=0.1)
    controller.learn(200)
    assert controller.exploration_rate(0) == 1.0 and abs(controller.exploration_rate(100) - 0.1) < 1e-9
    assert abs(controller.epsilon_greedy_rate - 0.9) < 1e-9  # the schedule's last value
    controller.epsilon_greedy_rate = 0.3  # explicit: fixed from now on (1.1.0 behaviour)
    controller.learn(50)
    assert controller.epsilon_greedy_rate == 0.3


def test_online_update_of_the_reference_and_recursive_end():
    """replay_buffer_size=0: 1.1.0's per-candidate evaluation and one update per iteration; Q logs
    have one row per iteration and the Q error shrinks."""
    controller = target_agent(replay_buffer_size=0, gamma_value=0.0)
    controller.epsilon_greedy_rate = 1.0
    controller.learn(iter_n=300)
    q_logs = controller.q_logs_arr
    assert q_logs.shape == (300, 2) and controller.t == 300
    error = np.abs(q_logs[:, 0] - q_logs[:, 1])
    assert error[-50:].mean() < 0.5 * error[:50].mean()
    # recursive mode: the chosen action becomes the state; reaching the goal ends learn
    policy = TargetPolicy(radius=0.6)
    controller = target_agent(policy, replay_buffer_size=0, recursive_learning_flag=True)
    controller.learn(iter_n=500)
    assert controller.t < 500 and controller.fit_state.stopped_early
    states, q_values = controller.inference(iter_n=20)
    assert len(states) == len(q_values) >= 1 and states[0].shape == (2, 2)


def test_save_load_round_trip(tmp_path):
    controller, sampler = chain_agent(seed=2)
    controller.learn(300)
    path = str(tmp_path / "q.params")
    controller.save_parameters(path)
    other, _ = chain_agent(seed=3)
    candidates, _ = sampler.draw()
    flat = candidates.reshape((2, -1))
    assert not np.allclose(other.function_approximator(flat).asnumpy(), controller.function_approximator(flat).asnumpy())
    other.load_parameters(path, ctx=CTX)
    np.testing.assert_allclose(other.function_approximator(flat).asnumpy(),
                               controller.function_approximator(flat).asnumpy(), rtol=1e-6)


def test_checkpoint_resume(tmp_path):
    path = str(tmp_path / "dqn.ckpt")
    controller, _ = chain_agent(seed=4, steps_per_epoch=100)
    controller.learn(300, checkpoint_path=path)
    assert os.path.exists(path) and len(controller.loss_history) == 3


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="rank 2.*step 0"):
        target_agent(TargetPolicy(rank=2)).learn(5)
    with pytest.raises(ValueError, match="NaN.*step 3"):
        target_agent(TargetPolicy(nan_at=3), replay_batch_size=4).learn(10)
    with pytest.raises(ValueError, match="iter_n"):
        target_agent().learn(0)
    with pytest.raises(ValueError, match="replay_buffer_size=16 is smaller than replay_batch_size=32"):
        target_agent(replay_buffer_size=16, replay_batch_size=32)
    controller = target_agent()
    with pytest.raises(ValueError, match="gamma_value"):
        controller.gamma_value = 1.5
    with pytest.raises(TypeError, match="gamma_value"):
        controller.gamma_value = 1
    with pytest.raises(TypeError, match="epsilon_greedy_rate"):
        controller.epsilon_greedy_rate = "greedy"
    with pytest.raises(TypeError):
        controller.q_logs_arr = np.zeros((1, 2))
    with pytest.raises(TypeError):
        controller.policy_sampler = object()
    with pytest.raises(ValueError, match="action_space"):
        GymnasiumPolicy(gym.make("Pendulum-v1"), ctx=CTX)
    with pytest.raises(TypeError, match="function_approximator"):
        DQLController.__init__(controller, object(), TargetPolicy(), controller.computable_loss)
    controller, _ = chain_agent(replay_buffer_size=0)
    with pytest.raises(ValueError, match="replay buffer"):
        controller.learn(5)
