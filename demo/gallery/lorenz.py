"""Identifying the Lorenz system with a network trained on the trapezoidal rule.

The Lorenz system ``x' = σ(y − x), y' = x(ρ − z) − y, z' = xy − βz`` (σ = 10, β = 8/3,
ρ = 28) is simulated with ``scipy.integrate.odeint`` from ``u0 = (−8, 7, 27)`` for 25 time
units at ``dt = 0.01``. A 3-256-3 network ``f`` is trained only on consecutive pairs of that
trajectory so that the trapezoidal rule holds::

    u(t+1) − u(t) ≈ dt/2 · (f(u(t+1)) + f(u(t)))

(the loss is the squared residual divided by ``dt²``, which has the same minimiser and
better-scaled gradients). The learned ``f`` is then integrated with ``odeint`` from the same
start; the figure is the relative error of that trajectory over the first time unit, and
``demo/output/gallery/lorenz.png`` plots the true and learned trajectories.

The network works in standardised coordinates ``v = (u − mean) / std`` (per coordinate, over
the trajectory): ``f(u) = std · g((u − mean) / std)``, where ``g`` is the 3-256-3 network.

``TrapezoidalRuleNetworks`` is the only new piece: a ``NeuralNetworks`` whose
``training_step`` / ``evaluation_step`` score pairs of states instead of (input, target)
rows; epochs, learning-rate decay, history and the NaN guard are still the engine's.

Run: ``python -m demo.gallery.lorenz``
"""
from __future__ import annotations

import numpy as np
from scipy.integrate import odeint

import accelbrainbase  # noqa: F401  (prepares numpy for mxnet; import it first)
import mxnet as mx
from mxnet import gluon

from accelbrainbase.iteratabledata._mxnet.array_iterator import ArrayIterator
from accelbrainbase.observabledata._mxnet.neural_networks import NeuralNetworks
from demo.gallery._common import output_path, plt, report, seed_everything

SIGMA, BETA, RHO, DT = 10.0, 8.0 / 3.0, 28.0, 0.01
U0 = np.array([-8.0, 7.0, 27.0])


def lorenz(u: np.ndarray, t: float) -> np.ndarray:
    """The Lorenz vector field at state ``u`` (3,)."""
    x, y, z = u
    return np.array([SIGMA * (y - x), x * (RHO - z) - y, x * y - BETA * z])


class TrapezoidalRuleNetworks(NeuralNetworks):
    """A ``NeuralNetworks`` ``g`` learned from pairs of consecutive states ``(B, 2, D)``.

    Args:
        dt: time step between the two states of a pair.
        **kwargs: passed to ``NeuralNetworks`` (layers, optimiser, ...); the loss is fixed.
    """

    def __init__(self, dt: float, **kwargs) -> None:
        super().__init__(gluon.loss.L2Loss(), **kwargs)  # required argument; compute_loss replaces it
        self.dt = float(dt)

    def compute_loss(self, g_pairs, pairs):
        """Per-pair mean squared trapezoidal residual ``((v1 − v0)/dt − (g(v1) + g(v0))/2)²``, (B,)."""
        v0, v1 = mx.nd.split(pairs, num_outputs=2, axis=1, squeeze_axis=True)
        g0, g1 = mx.nd.split(g_pairs, num_outputs=2, axis=1, squeeze_axis=True)
        residual = (v1 - v0) / self.dt - 0.5 * (g0 + g1)
        return (residual ** 2).mean(axis=1)

    def batch_loss(self, pairs, _targets):
        """``g`` at both states of every pair (B, 2, D) in one forward pass, and the loss (B,)."""
        g_pairs = self.inference(pairs.reshape((-3, 0))).reshape(pairs.shape)
        return g_pairs, self.compute_loss(g_pairs, pairs)


def main(smoke: bool = False, seed: int = 0) -> dict:
    """Simulate, train, integrate, print and plot; returns ``error_first_second`` and ``plot``."""
    seed_everything(seed)
    t = np.arange(0.0, 25.0, DT)
    u = odeint(lorenz, U0, t)
    mean, std = u.mean(axis=0), u.std(axis=0)
    v = ((u - mean) / std).astype(np.float32)
    pairs = np.stack([v[:-1], v[1:]], axis=1)  # (T - 1, 2, 3)

    model = TrapezoidalRuleNetworks(
        DT, units_list=[256, 3], activation_list=["tanh", "identity"], dropout_rate_list=[0.0, 0.0],
        optimizer_name="adam", learning_rate=0.03, learning_attenuate_rate=0.5,
        attenuate_epoch=20 if smoke else 60,
    )
    model.learn(ArrayIterator(pairs, epochs=40 if smoke else 300, batch_size=250, seed=seed))

    def learned(state: np.ndarray, _t: float) -> np.ndarray:
        g = model.inference(mx.nd.array(((state - mean) / std)[None], ctx=mx.cpu())).asnumpy()[0]
        return std * g

    horizon = t[t <= 1.0 + 1e-9] if smoke else t
    u_learned = odeint(learned, U0, horizon)
    first = horizon <= 1.0 + 1e-9
    error = np.linalg.norm(u_learned[first] - u[:len(horizon)][first]) / np.linalg.norm(u[:len(horizon)][first])
    figures = {"error_first_second": float(error), "final_train_loss": float(model.loss_arr[-1, 0])}

    fig, axes = plt.subplots(3, 1, figsize=(8, 6), sharex=True)
    for i, name in enumerate("xyz"):
        axes[i].plot(t[:len(horizon)], u[:len(horizon), i], "k", lw=1, label="true")
        axes[i].plot(horizon, u_learned[:, i], "r--", lw=1, label="learned f")
        axes[i].set_ylabel(name)
    axes[0].legend(loc="upper right")
    axes[0].set_title("Lorenz: relative error over the first time unit %.4f" % error)
    axes[-1].set_xlabel("t")
    fig.tight_layout()
    figures["plot"] = output_path("lorenz.png")
    fig.savefig(figures["plot"])
    plt.close(fig)
    report("Lorenz system, 3-256-3 trapezoidal-rule network", figures)
    return figures


if __name__ == "__main__":
    main()
