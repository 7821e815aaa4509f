"""pyqlearning 1.2.7's mxnet maze agent on accelbrainbase: its MazePolicy (a PolicySampler subclass)
drives DQNController + FunctionApproximator + MobileNetV2 (with a NeuralNetworks Q head), built the
way its maze notebook builds them (smaller networks, so a run takes seconds per seed).

For each seed a 10x10 maze is generated, the agent learns for ``--steps`` steps, and the greedy
route from the start is compared with a random policy's (mean of ``--random-runs`` walks); routes
that never reach the goal count as ``--max-steps``.

    pip install --no-deps pyqlearning==1.2.7
    python demo/dqn_maze.py --seeds 0 1 2 3 4
"""
import argparse
import random
import time

import accelbrainbase  # noqa: F401  (numpy compatibility for MXNet)
import mxnet as mx
import numpy as np

from accelbrainbase.computableloss._mxnet.l2_norm_loss import L2NormLoss
from accelbrainbase.controllablemodel._mxnet.dqlcontroller.dqn_controller import DQNController
from accelbrainbase.observabledata._mxnet.convolutionalneuralnetworks.mobilenet_v2 import MobileNetV2
from accelbrainbase.observabledata._mxnet.functionapproximator.function_approximator import FunctionApproximator
from accelbrainbase.observabledata._mxnet.neural_networks import NeuralNetworks

CTX = mx.cpu()


def build_maze_agent(seed, batch_size=4, map_size=(10, 10), learning_rate=1e-03, **options):
    from pyqlearning.samplabledata.policysampler._mxnet.maze_policy import MazePolicy

    random.seed(seed)
    np.random.seed(seed)
    mx.random.seed(seed)
    policy_sampler = MazePolicy(batch_size=batch_size, map_size=map_size, moving_max_dist=3, possible_n=10,
                                memory_num=4, repeating_penalty=0.5, ctx=CTX)
    computable_loss = L2NormLoss()
    output_nn = NeuralNetworks(computable_loss=computable_loss, learning_rate=learning_rate, units_list=[32, 1],
                               dropout_rate_list=[0.0, 0.0], activation_list=["relu", "identity"],
                               hidden_batch_norm_list=[None, None], optimizer_name="adam", ctx=CTX,
                               hybridize_flag=True, not_init_flag=True)
    model = MobileNetV2(computable_loss=computable_loss, learning_rate=learning_rate, ctx=CTX, hybridize_flag=True,
                        activation="relu6", input_filter_n=8, input_kernel_size=(3, 3), input_strides=(1, 1),
                        input_padding=(1, 1),
                        bottleneck_dict_list=[{"filter_rate": 1, "filter_n": 8, "block_n": 1, "stride": 1},
                                              {"filter_rate": 2, "filter_n": 16, "block_n": 1, "stride": 2}],
                        hidden_filter_n=16, pool_size=None, output_nn=output_nn, optimizer_name="adam",
                        shortcut_flag=True, init_deferred_flag=True)
    function_approximator = FunctionApproximator(model=model, learning_rate=learning_rate, optimizer_name="adam",
                                                 hybridize_flag=True, ctx=CTX)
    controller = DQNController(function_approximator=function_approximator, policy_sampler=policy_sampler,
                               computable_loss=computable_loss, optimizer_name="adam", learning_rate=learning_rate,
                               ctx=CTX, **options)
    return controller, policy_sampler


def route_length(controller, policy_sampler, greedy_rate, max_steps=100):
    """Steps the agent takes from the start to the goal (``max_steps`` when it never arrives)."""
    policy_sampler.inferencing_mode = True
    policy_sampler.reset_agent_pos()
    controller.epsilon_greedy_rate = greedy_rate
    states, _ = controller.inference(iter_n=max_steps)
    reached = policy_sampler.check_the_end_flag(states[-1])
    return len(states) if reached else max_steps


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--max-steps", type=int, default=100)
    parser.add_argument("--random-runs", type=int, default=3)
    args = parser.parse_args()
    greedy, randomly = [], []
    for seed in args.seeds:
        started = time.time()
        controller, policy = build_maze_agent(seed, batch_size=1, learning_rate=3e-3, gamma_value=0.01,
                                              gradient_steps=2, exploration_fraction=0.5, target_update_interval=0,
                                              double_dqn=False, replay_batch_size=16)
        controller.learn(iter_n=args.steps)
        greedy.append(route_length(controller, policy, 1.0, args.max_steps))
        randomly.append(np.mean([route_length(controller, policy, 0.0, args.max_steps)
                                 for _ in range(args.random_runs)]))
        print("seed %d: greedy route %d steps, random policy %.1f steps (%.0f s)"
              % (seed, greedy[-1], randomly[-1], time.time() - started), flush=True)
    print("mean over %d seeds: greedy %.1f steps, random %.1f steps" % (len(args.seeds), np.mean(greedy),
                                                                        np.mean(randomly)))


if __name__ == "__main__":
    main()
