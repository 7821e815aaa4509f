"""DQN on CartPole-v1 through DQNController + GymnasiumPolicy (the seed example "DQN on CartPole").

Trains with a replay buffer, a target network, Double DQN and a Huber loss (hyper-parameters of
the RL Baselines3 Zoo CartPole DQN), evaluates 20 greedy episodes every ``--eval-every`` steps
after ``--eval-from``, and stops when their mean return reaches ``--target`` or after
``--max-steps`` environment steps. Prints the steps used, the wall time and the final mean
return per seed; plots the learning curves.

    python demo/dqn_cartpole.py --seeds 0 1 2 --plot docs/figures/dqn_cartpole.png
"""
from __future__ import annotations

import argparse
import json
import time

import accelbrainbase  # noqa: F401  (numpy compatibility for MXNet)
import gymnasium as gym
import mxnet as mx
import numpy as np
from mxnet import gluon

from accelbrainbase.controllablemodel._mxnet.dqlcontroller.dqn_controller import DQNController
from accelbrainbase.observabledata._mxnet.functionapproximator.function_approximator import FunctionApproximator
from accelbrainbase.observabledata._mxnet.neural_networks import NeuralNetworks
from accelbrainbase.samplabledata.policysampler._mxnet.gymnasium_policy import GymnasiumPolicy

CTX = mx.cpu()


def build(seed: int, max_steps: int, hidden=(256, 256)):
    np.random.seed(seed)
    mx.random.seed(seed)
    sampler = GymnasiumPolicy(gym.make("CartPole-v1"), ctx=CTX, seed=seed)
    loss = gluon.loss.L2Loss()
    units = list(hidden) + [1]
    net = NeuralNetworks(loss, units_list=units, dropout_rate_list=[0.0] * len(units),
                         activation_list=["relu"] * len(hidden) + ["identity"],
                         hidden_batch_norm_list=[None] * len(units), ctx=CTX, not_init_flag=True)
    controller = DQNController(
        FunctionApproximator(net, ctx=CTX), sampler, loss, optimizer_name="adam", learning_rate=2.3e-3, ctx=CTX,
        initializer=mx.init.Xavier(), gamma_value=0.99, replay_buffer_size=100000, replay_batch_size=64,
        learning_starts=1000, train_freq=256, gradient_steps=128, target_update_interval=128,
        exploration_steps=int(0.16 * max_steps), exploration_final_eps=0.04)
    return controller, sampler


def evaluate(controller, seed: int, episodes: int, target: float):
    """Mean return of greedy episodes on a separate environment (stops early once the target is
    out of reach)."""
    training_sampler = controller.policy_sampler
    evaluation = GymnasiumPolicy(gym.make("CartPole-v1"), ctx=CTX, seed=10_000 + seed)
    controller.policy_sampler = evaluation
    try:
        for done in range(episodes):
            controller.inference(iter_n=500, epsilon_greedy_rate=1.0)
            total = sum(r for _, r, _ in evaluation.episode_returns)
            if total + (episodes - done - 1) * 500 < target * episodes:
                break  # the mean can no longer reach the target
    finally:
        controller.policy_sampler = training_sampler
    returns = [r for _, r, _ in evaluation.episode_returns]
    return float(np.mean(returns)), len(returns)


def run(seed: int, max_steps: int, eval_every: int, eval_from: int, episodes: int, target: float):
    controller, sampler = build(seed, max_steps)
    started = time.time()
    steps, evaluations, mean = 0, [], float("nan")
    while steps < max_steps:
        chunk = min(eval_every if steps >= eval_from else eval_from - steps, max_steps - steps) or eval_every
        chunk = min(chunk, max_steps - steps)
        controller.learn(chunk)
        steps += chunk
        if steps >= eval_from:
            mean, played = evaluate(controller, seed, episodes, target)
            evaluations.append((steps, mean, played))
            print("  seed %d: %6d steps, greedy mean return %.1f over %d episodes (%.0f s)"
                  % (seed, steps, mean, played, time.time() - started), flush=True)
            if played == episodes and mean >= target:
                break
    wall = time.time() - started
    solved = bool(evaluations) and evaluations[-1][2] == episodes and evaluations[-1][1] >= target
    return {"seed": seed, "steps": steps, "wall": wall, "mean": mean, "solved": solved,
            "episodes": list(sampler.episode_returns), "evaluations": evaluations}


def plot(results, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for result in results:
        episodes = np.array([(s, r) for s, r, _ in result["episodes"]])
        if len(episodes):
            window = 10
            smooth = np.convolve(episodes[:, 1], np.ones(window) / window, mode="valid") if len(episodes) >= window \
                else episodes[:, 1]
            line, = ax.plot(episodes[len(episodes) - len(smooth):, 0], smooth, lw=1,
                            label="seed %d training (10-episode mean)" % result["seed"])
            evals = np.array([(s, m) for s, m, n in result["evaluations"]])
            if len(evals):
                ax.plot(evals[:, 0], evals[:, 1], "o", color=line.get_color(), ms=5)
    ax.axhline(475, color="grey", ls="--", lw=1, label="target 475")
    ax.set_xlabel("environment steps")
    ax.set_ylabel("episode return")
    ax.set_title("DQNController on CartPole-v1 (dots: mean of greedy evaluation episodes)")
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--max-steps", type=int, default=50000)
    parser.add_argument("--eval-every", type=int, default=5000)
    parser.add_argument("--eval-from", type=int, default=20000)
    parser.add_argument("--episodes", type=int, default=20)
    parser.add_argument("--target", type=float, default=475.0)
    parser.add_argument("--plot", default=None, help="write the learning curves to this PNG")
    parser.add_argument("--results", default=None, help="write the per-seed results to this JSON file")
    parser.add_argument("--plot-from", nargs="+", default=None,
                        help="only plot: read result JSON files written by --results (seeds run in parallel)")
    args = parser.parse_args()
    if args.plot_from:
        results = []
        for path in args.plot_from:
            with open(path) as f:
                results.extend(json.load(f))
        plot(results, args.plot)
        print("learning curves written to", args.plot)
        return
    results = []
    for seed in args.seeds:
        result = run(seed, args.max_steps, args.eval_every, args.eval_from, args.episodes, args.target)
        results.append(result)
        print("seed %d: %s after %d environment steps, greedy mean return %.1f, wall time %.0f s"
              % (seed, "SOLVED" if result["solved"] else "not solved", result["steps"], result["mean"],
                 result["wall"]), flush=True)
    solved = sum(r["solved"] for r in results)
    print("solved on %d of %d seeds (target: mean of %d greedy episodes >= %g within %d steps)"
          % (solved, len(results), args.episodes, args.target, args.max_steps))
    if args.results:
        with open(args.results, "w") as f:
            json.dump(results, f)
    if args.plot:
        plot(results, args.plot)
        print("learning curves written to", args.plot)


if __name__ == "__main__":
    main()
