"""DQN on CartPole-v1: DQNController + GymnasiumPolicy vs a hand-written hybridized Gluon DQN, in one
process.

Both train the same Q(s, a) network (observation ++ one-hot action → 256 → 256 → 1, ReLU), with
the same device-resident replay buffer layout, Adam, batch 64, Double DQN targets from a target
network synced every 128 updates, a Huber loss, the same ε schedule and the same update pattern
(``--train-freq`` steps between rounds of ``--gradient-steps`` updates). Reported: environment
steps/s and gradient updates/s of each, and the library's time ratio (median of interleaved
repeats; target <= 1.10).

Run: python benchmarks/bench_dqn.py [--steps 6000] [--repeats 3] [--json rows.json]
"""
from contextlib import contextmanager
import os
import sys
import time

import numpy as np

import accelbrainbase  # noqa: F401
import gymnasium as gym
import mxnet as mx
from mxnet import autograd, gluon, nd
from mxnet.gluon import nn

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the repository root
from demo.dqn_cartpole import build  # noqa: E402
from benchmarks._harness import Benchmark, Comparison, Result, main  # noqa: E402

CTX = mx.cpu()
SETTINGS = dict(batch=64, gamma=0.99, lr=2.3e-3, target_every=128, learning_starts=1000, final_eps=0.04)


def library_run(steps, train_freq, gradient_steps, seed):
    controller, sampler = build(seed, steps)
    controller.train_freq, controller.gradient_steps = train_freq, gradient_steps
    started = time.perf_counter()
    controller.learn(steps)
    mx.nd.waitall()
    return time.perf_counter() - started, controller._updates


def handwritten_run(steps, train_freq, gradient_steps, seed):
    np.random.seed(seed)
    mx.random.seed(seed)
    env = gym.make("CartPole-v1")
    n_actions, obs_dim = 2, 4
    eye = np.eye(n_actions, dtype=np.float32)

    def candidates(obs):
        flat = np.asarray(obs, dtype=np.float32)
        return nd.array(np.concatenate([np.repeat(flat[None], n_actions, 0), eye], 1)[None], ctx=CTX)

    def q_net():
        net = nn.HybridSequential()
        net.add(nn.Dense(256, activation="relu"), nn.Dense(256, activation="relu"), nn.Dense(1))
        net.initialize(mx.init.Xavier(), ctx=CTX)
        net.hybridize()
        return net

    net, target = q_net(), q_net()
    net(nd.zeros((1, obs_dim + n_actions), ctx=CTX))
    target(nd.zeros((1, obs_dim + n_actions), ctx=CTX))
    for src, dst in zip(net.collect_params().values(), target.collect_params().values()):
        dst.set_data(src.data())
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": SETTINGS["lr"]})
    huber = gluon.loss.HuberLoss()
    huber.hybridize()
    rows = steps
    buf_a = nd.zeros((rows, obs_dim + n_actions), ctx=CTX)
    buf_r = nd.zeros((rows, 1), ctx=CTX)
    buf_n = nd.zeros((rows, n_actions, obs_dim + n_actions), ctx=CTX)
    buf_t = nd.zeros((rows, 1), ctx=CTX)
    explore = int(0.16 * steps)
    obs, _ = env.reset(seed=seed)
    cands = candidates(obs)
    size, updates = 0, 0
    batch = SETTINGS["batch"]
    started = time.perf_counter()
    for step in range(steps):
        eps = 1.0 + min(step / explore, 1.0) * (SETTINGS["final_eps"] - 1.0)
        q = net(cands.reshape((n_actions, -1))).reshape((1, n_actions, -1))
        if np.random.random() < 1.0 - eps:
            action = int(q[:, :, 0].argmax(axis=1).asnumpy()[0])
        else:
            action = np.random.randint(n_actions)
        chosen = cands[0, action:action + 1]
        obs, reward, terminated, truncated, _ = env.step(action)
        next_cands = candidates(obs)
        buf_a[size:size + 1] = chosen
        buf_r[size:size + 1] = nd.array([[reward]], ctx=CTX)
        buf_n[size:size + 1] = next_cands
        buf_t[size:size + 1] = nd.array([[float(terminated)]], ctx=CTX)
        size += 1
        if terminated or truncated:
            obs, _ = env.reset()
            next_cands = candidates(obs)
        cands = next_cands
        if size >= max(batch, SETTINGS["learning_starts"]) and (step + 1) % train_freq == 0:
            for _ in range(gradient_steps):
                index = nd.random.randint(0, size, shape=(batch,), ctx=CTX).astype("float32")
                a, r, n, t = (nd.take(b, index) for b in (buf_a, buf_r, buf_n, buf_t))
                flat = n.reshape((batch * n_actions, -1))
                next_t = target(flat).reshape((batch, n_actions, -1))
                choice = net(flat).reshape((batch, n_actions, -1)).argmax(axis=1)
                y = r + SETTINGS["gamma"] * nd.pick(next_t, choice, axis=1) * (1.0 - t)
                with autograd.record():
                    loss = huber(net(a), y)
                loss.backward()
                trainer.step(batch)
                updates += 1
                if updates % SETTINGS["target_every"] == 0:
                    for src, dst in zip(net.collect_params().values(), target.collect_params().values()):
                        src.data().copyto(dst.data())
    mx.nd.waitall()
    return time.perf_counter() - started, updates


def add_arguments(parser):
    parser.add_argument("--steps", type=int, default=6000)
    parser.add_argument("--train-freq", type=int, default=256)
    parser.add_argument("--gradient-steps", type=int, default=128)


@contextmanager
def sides(args):
    def run(function):
        def one(repeat):
            seconds, updates = function(args.steps, args.train_freq, args.gradient_steps, seed=repeat)
            return Result(seconds, args.steps, {"updates": updates})
        return one

    yield {"accelbrainbase DQNController.learn": run(library_run), "hand-written hybridized Gluon DQN": run(handwritten_run)}


BENCHMARK = Benchmark(
    "dqn", "DQN on CartPole-v1, Q network 256-256, replay, Double DQN, batch 64", "environment steps", sides,
    [Comparison("DQN vs hand-written Gluon", "accelbrainbase DQNController.learn", "hand-written hybridized Gluon DQN",
                1.10)],
    add_arguments)


if __name__ == "__main__":
    main(BENCHMARK)
