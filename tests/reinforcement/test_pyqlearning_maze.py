"""pyqlearning 1.2.7 (installed with ``pip install --no-deps pyqlearning==1.2.7``; it is in the
``test`` extra) builds its mxnet maze agent on these classes: its ``MazePolicy`` subclasses
``PolicySampler`` and drives ``DQNController`` + ``FunctionApproximator`` + ``MobileNetV2``. The agent
must learn and infer unchanged, with both update rules."""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _maze import build_maze_agent, route_length  # noqa: E402



def test_maze_policy_learns_and_infers_with_replay():
    controller, policy = build_maze_agent(seed=0, batch_size=2, replay_batch_size=8, target_update_interval=10)
    controller.epsilon_greedy_rate = 0.7  # as pyqlearning's notebooks set it
    controller.alpha_value = 1.0
    controller.gamma_value = 0.01
    controller.learn(iter_n=30)
    assert controller.t == 30
    q_logs = controller.q_logs_arr
    assert q_logs.shape == (30 - 3, 2) and np.isfinite(q_logs).all()  # updates from the 4th step (8 transitions)
    assert controller.target_network is not None
    policy.inferencing_mode = True
    policy.reset_agent_pos()
    states, q_values = controller.inference(iter_n=15)
    assert 1 <= len(states) == len(q_values) <= 15
    assert states[0].shape == (2, 2, 11, 11) and q_values[0].shape == (2, 1)
    ended = policy.check_the_end_flag(states[-1])
    assert ended or len(states) == 15
    assert 1 <= route_length(controller, policy, greedy_rate=1.0, max_steps=15) <= 15


def test_maze_policy_with_the_reference_online_update():
    controller, policy = build_maze_agent(seed=1, batch_size=2, replay_buffer_size=0)
    controller.learn(iter_n=3)
    assert controller.q_logs_arr.shape == (3, 2) and np.isfinite(controller.q_logs_arr).all()
