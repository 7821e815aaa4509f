"""pyqlearning 1.2.7's mxnet maze agent, built the way its maze notebook builds it: MazePolicy
(the policy sampler), MobileNetV2 with a NeuralNetworks Q head inside a FunctionApproximator, and
a DQNController. Sizes are reduced so a test trains in seconds."""
import random

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
