"""Deep Q-learning controller: a learner of the shared engine whose source is a policy sampler.

Two update rules share one step function (both run through :func:`accelbrainbase._mxnet.engine.fit`,
one environment step per engine step):

``replay_buffer_size > 0`` (default)
    act → observe → store → learn: the chosen action is scored by the policy sampler, the
    transition ``(action, reward, s' candidates, terminal)`` goes into a replay buffer on the
    device, and every ``train_freq`` steps ``gradient_steps`` mini-batches of
    ``replay_batch_size`` transitions are fitted to ``update_q(r, (1 - terminal) * max Q_target(s'))``
    (Double DQN picks the ``s'`` action with the online network), with a Huber loss, a target
    network synchronised every ``target_update_interval`` updates and an ε schedule.
``replay_buffer_size = 0``
    the 1.1.0 update: every candidate's reward and next maximum Q are evaluated, ``select_action``
    picks one, and one gradient step fits its Q to ``update_q(reward, next_q)`` with the
    controller's ``computable_loss`` (no buffer, no target network).

See docs/decisions.md ("Deep Q-learning") for the defaults and why they differ from 1.1.0.
"""
from __future__ import annotations

import logging
from abc import abstractmethod
from typing import Optional

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon
from mxnet.gluon.block import HybridBlock

from accelbrainbase._mxnet.checks import check_int, check_number, check_type
from accelbrainbase._mxnet.context import DEFAULT_CTX, first_ctx
from accelbrainbase._mxnet.engine import fit
from accelbrainbase._mxnet.learner import Learner, check_initializer, check_loss, optimise
from accelbrainbase._mxnet.sources import StepSource
from accelbrainbase.controllable_model import ControllableModel
from accelbrainbase.controllablemodel._mxnet.replay_buffer import ReplayBuffer
from accelbrainbase.controllablemodel._mxnet.target_network import make_target_network, sync_target_network
from accelbrainbase.observabledata._mxnet.function_approximator import FunctionApproximator
from accelbrainbase.samplabledata.policy_sampler import PolicySampler, candidate_shape_error

logger = logging.getLogger("accelbrainbase")


def _check_float(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (float, np.floating)):
        raise TypeError("%s must be a float, not %s." % (name, type(value).__name__))
    return float(value)


class DQLController(Learner, HybridBlock, ControllableModel):
    """Deep Q-learning with a ``FunctionApproximator`` over the candidates of a ``PolicySampler``.

    Args (1.1.0):
        function_approximator: the Q-function (a ``FunctionApproximator``).
        policy_sampler: the environment (a ``PolicySampler``).
        computable_loss: the loss of the 1.1.0 update (``replay_buffer_size=0``), or of the
            replay update when ``huber_delta`` is ``None``.
        optimizer_name, learning_rate: the optimiser of the Q-function's parameters.
        learning_attenuate_rate, attenuate_epoch: learning-rate decay every ``attenuate_epoch``
            engine epochs (an epoch is ``steps_per_epoch`` steps).
        hybridize_flag: hybridize the function approximator.
        scale: unused (kept for compatibility).
        ctx: the device.
        initializer: of the Q-function's parameters (default ``Xavier(gaussian, in, 1)``).
        recursive_learning_flag: the chosen action becomes the state (``update_state``) and an
            episode end (``check_the_end_flag``) ends ``learn``.
    Keyword options (beyond 1.1.0):
        replay_buffer_size: transitions kept (default 50,000; 0 = the 1.1.0 online update).
        replay_batch_size: transitions per gradient step (default 64; <= replay_buffer_size).
        learning_starts: transitions stored before the first update (default 0: as soon as one
            mini-batch is available).
        train_freq: environment steps between update rounds (default 1).
        gradient_steps: gradient steps per round (default 1).
        target_update_interval: gradient steps between target-network synchronisations
            (default 1000; 0 = no target network, the online network gives the targets).
        double_dqn: choose the ``s'`` action with the online network, value it with the target
            (default True).
        huber_delta: Huber (smooth L1) loss threshold of the replay update (default 1.0;
            ``None`` = ``computable_loss``).
        exploration_fraction, exploration_initial_eps, exploration_final_eps: ε (probability of
            a random action) falls linearly from initial to final over this fraction of each
            ``learn`` call (defaults 0.1, 1.0, 0.05); setting ``epsilon_greedy_rate`` fixes it.
        exploration_steps: when given, ε falls over the controller's first ``exploration_steps``
            steps in all (``t``), so several ``learn`` calls continue one schedule.
        steps_per_epoch: engine steps per history row / decay epoch (default 1 for the online
            update, as 1.1.0 decayed per iteration; 1000 with replay).
        gamma_value, alpha_value: initial discount and scaling (defaults 0.5 and 1.0, as 1.1.0).
    """

    _UNREGISTERED = Learner._UNREGISTERED | {"policy_sampler", "target_network", "_huber"}
    log_steps = True
    t = 0

    def __init__(self, function_approximator, policy_sampler, computable_loss, optimizer_name="SGD",
                 learning_rate=1e-05, learning_attenuate_rate=1.0, attenuate_epoch=50, hybridize_flag=True,
                 scale=1.0, ctx=DEFAULT_CTX, initializer=None, recursive_learning_flag=False,
                 replay_buffer_size=50000, replay_batch_size=64, learning_starts=0, train_freq=1,
                 gradient_steps=1, target_update_interval=1000, double_dqn=True, huber_delta=1.0,
                 exploration_fraction=0.1, exploration_initial_eps=1.0, exploration_final_eps=0.05,
                 exploration_steps=None, steps_per_epoch=None, gamma_value=0.5, alpha_value=1.0, **kwargs):
        check_type(function_approximator, FunctionApproximator, "function_approximator")
        check_type(policy_sampler, PolicySampler, "policy_sampler")
        check_loss(computable_loss)
        check_initializer(initializer)
        self.replay_buffer_size = check_int(replay_buffer_size, "replay_buffer_size", minimum=0)
        self.replay_batch_size = check_int(replay_batch_size, "replay_batch_size", minimum=1)
        if self.replay_buffer_size and self.replay_buffer_size < self.replay_batch_size:
            raise ValueError("replay_buffer_size=%d is smaller than replay_batch_size=%d: a mini-batch could "
                             "never be drawn." % (self.replay_buffer_size, self.replay_batch_size))
        self.learning_starts = check_int(learning_starts, "learning_starts", minimum=0)
        self.train_freq = check_int(train_freq, "train_freq", minimum=1)
        self.gradient_steps = check_int(gradient_steps, "gradient_steps", minimum=1)
        self.target_update_interval = check_int(target_update_interval, "target_update_interval", minimum=0)
        self.double_dqn = bool(double_dqn)
        self.huber_delta = None if huber_delta is None else check_number(
            huber_delta, "huber_delta", minimum=0.0, strict_minimum=True)
        self.exploration_fraction = check_number(exploration_fraction, "exploration_fraction", 0.0, 1.0)
        self.exploration_initial_eps = check_number(exploration_initial_eps, "exploration_initial_eps", 0.0, 1.0)
        self.exploration_final_eps = check_number(exploration_final_eps, "exploration_final_eps", 0.0, 1.0)
        self.exploration_steps = None if exploration_steps is None else check_int(
            exploration_steps, "exploration_steps", minimum=1)
        self.steps_per_epoch = None if steps_per_epoch is None else check_int(steps_per_epoch, "steps_per_epoch", 1)
        super().__init__()
        self.configure_learning(learning_rate, learning_attenuate_rate, attenuate_epoch, optimizer_name, ctx, [],
                                kwargs)
        self.gamma_value = gamma_value
        self.alpha_value = alpha_value
        self.computable_loss = computable_loss
        self.initializer = initializer or mx.initializer.Xavier(rnd_type="gaussian", factor_type="in", magnitude=1)
        self.recursive_learning_flag = recursive_learning_flag
        self.hybridize_flag = hybridize_flag
        self.policy_sampler = policy_sampler
        with self.name_scope():
            self.function_approximator = function_approximator
        self.t = 0
        self.replay_buffer = ReplayBuffer(self.replay_buffer_size, first_ctx(self._ctx)) \
            if self.replay_buffer_size else None
        self.target_network = None
        self._huber = gluon.loss.HuberLoss(rho=self.huber_delta) if self.huber_delta else None
        if self._huber is not None:
            self._huber.hybridize()
        self._updates = 0
        self._last_loss = None
        self._scheduled_greedy_rate = None
        self._state = None
        if not self.init_deferred_flag:
            self.trainer = self.build_trainer(self.collect_params(), self.initializer)
            if hybridize_flag:
                function_approximator.hybridize()

    # ------------------------------------------------------------------ properties (1.1.0)
    @property
    def function_approximator(self):
        """The Q-function (a ``FunctionApproximator``)."""
        return self.__dict__.get("_function_approximator")

    @function_approximator.setter
    def function_approximator(self, value) -> None:
        if not isinstance(value, FunctionApproximator):
            raise TypeError()
        self.__dict__["_function_approximator"] = value
        self.register_child(value, "function_approximator")

    @property
    def policy_sampler(self):
        """The environment (a ``PolicySampler``)."""
        return self.__dict__.get("_policy_sampler")

    @policy_sampler.setter
    def policy_sampler(self, value) -> None:
        if not isinstance(value, PolicySampler):
            raise TypeError()
        self.__dict__["_policy_sampler"] = value

    @property
    def alpha_value(self) -> float:
        """Scale of the Q target ``alpha * (reward + gamma * next Q)``."""
        return _check_float(self.__dict__.get("_alpha_value", 1.0), "alpha_value")

    @alpha_value.setter
    def alpha_value(self, value) -> None:
        self.__dict__["_alpha_value"] = _check_float(value, "alpha_value")

    @property
    def gamma_value(self) -> float:
        """Discount of the next state's Q (in [0, 1])."""
        return _check_float(self.__dict__.get("_gamma_value", 0.5), "gamma_value")

    @gamma_value.setter
    def gamma_value(self, value) -> None:
        value = _check_float(value, "gamma_value")
        if not 0.0 <= value <= 1.0:
            raise ValueError("gamma_value must be in [0, 1], got %r." % value)
        self.__dict__["_gamma_value"] = value

    @property
    def q_logs_arr(self) -> np.ndarray:
        """``(n, 2)``: (mean predicted Q, mean target Q) of every update of the last ``learn``
        (a view of the per-step history)."""
        history = self.loss_history
        if not history.step_rows:
            return np.zeros((0, 2))
        arr = np.column_stack([history.step_column("predicted_q"), history.step_column("real_q")])
        return arr[np.isfinite(arr).all(axis=1)]

    @q_logs_arr.setter
    def q_logs_arr(self, value) -> None:
        raise TypeError("q_logs_arr is read-only.")

    # ------------------------------------------------------------------ parameters
    def collect_params(self, select=None):
        """The function approximator's parameters."""
        return self.function_approximator.collect_params(select)

    def save_parameters(self, filename, deduplicate=False):
        """Write the function approximator's parameters to ``filename``."""
        self.function_approximator.save_parameters(filename)

    def load_parameters(self, filename, ctx=None, allow_missing=False, ignore_extra=False, **kwargs):
        """Read the function approximator's parameters from ``filename`` (and refresh the target)."""
        self.function_approximator.load_parameters(filename, ctx=ctx, allow_missing=allow_missing,
                                                   ignore_extra=ignore_extra)
        if self.target_network is not None:
            sync_target_network(self.target_network, self.function_approximator)

    def regularize(self) -> None:
        """The Q-function model's regularizers (1.1.0 called ``function_approximator.model.regularize()``)."""
        regularize = getattr(self.function_approximator.model, "regularize", None)
        if callable(regularize):
            regularize()

    # ------------------------------------------------------------------ 1.1.0 methods
    @abstractmethod
    def select_action(self, possible_action_arr, possible_predicted_q_arr, possible_reward_value_arr,
                      possible_next_q_arr, possible_meta_data_arr=None):
        """``(action, predicted_q, reward, next_q, meta)`` of one chosen candidate per agent."""
        raise NotImplementedError()

    def selection_needs_rewards(self) -> bool:
        """Whether ``select_action`` reads the candidates' rewards and next Q (then ``inference``
        evaluates them as 1.1.0 did); a selection by Q alone skips that work."""
        return True

    def update_q(self, reward_value_arr, next_max_q_arr):
        """The Q target ``alpha * (reward + gamma * next max Q)``."""
        return self.alpha_value * (reward_value_arr + self.gamma_value * next_max_q_arr)

    def learn(self, iter_n=100, checkpoint_path: Optional[str] = None, resume: bool = False):
        """Take ``iter_n`` environment steps, learning as configured (module docstring).

        Args:
            iter_n: steps (>= 1).
            checkpoint_path, resume: atomic checkpoints of the Q-function, optimiser, target
                network and history; continue an interrupted run.
        """
        iter_n = check_int(iter_n, "iter_n", minimum=1)
        if self.replay_buffer is None and getattr(self.policy_sampler, "acts_on_reward", False):
            raise ValueError("replay_buffer_size=0 (the 1.1.0 update) scores every candidate with "
                             "observe_reward_value, which %s cannot do without acting; use a replay buffer."
                             % type(self.policy_sampler).__name__)
        per_epoch = self.steps_per_epoch or (1000 if self.replay_buffer is not None else 1)
        self._run_iter_n = iter_n
        fit(self, StepSource(iter_n, steps_per_epoch=per_epoch), checkpoint_path=checkpoint_path, resume=resume)

    def inference(self, iter_n=100):
        """Act for up to ``iter_n`` steps without learning; stop when the episode ends.

        Returns ``(state_arr_list, q_value_arr_list)``: the state after each step and the chosen
        action's Q-value.
        """
        iter_n = check_int(iter_n, "iter_n", minimum=1)
        sampler = self.policy_sampler
        state_list, q_list = [], []
        for step in range(iter_n):
            actions, meta = sampler.draw()
            self._check_candidates(actions, step)
            if getattr(sampler, "acts_on_reward", False) or not self.selection_needs_rewards():
                action, predicted_q, meta_a = self._choose(actions, meta)
                sampler.observe_reward_value(self._state, action, meta_data_arr=meta_a)
            else:
                q, rewards, next_q = self._evaluate_candidates(actions, meta, step)
                action, predicted_q, _, _, meta_a = self.select_action(actions, q, rewards, next_q,
                                                                       possible_meta_data_arr=meta)
            state, state_meta = sampler.update_state(action, meta_data_arr=meta_a)
            sampler.observe_state(state_arr=state, meta_data_arr=state_meta)
            self._state = state
            state_list.append(state)
            q_list.append(predicted_q)
            self.t += 1
            if sampler.check_the_end_flag(state, meta_data_arr=state_meta):
                break
        return state_list, q_list

    # ------------------------------------------------------------------ engine hooks
    def on_fit_start(self, state) -> None:
        super().on_fit_start(state)
        self._state = None
        self._run_iter_n = getattr(self, "_run_iter_n", state.steps_per_epoch * state.epochs)

    def on_fit_end(self, state) -> None:
        if state.interrupted:
            print("Keyboard Interrupt.")

    def after_step(self) -> None:
        self.regularize()

    def checkpoint_arrays(self):
        if self.target_network is None:
            return {}
        return {"target:" + name: p.data() for name, p in self.target_network.collect_params().items()}

    def restore_checkpoint_arrays(self, arrays) -> None:
        self._pending_target = {k[len("target:"):]: v for k, v in arrays.items() if k.startswith("target:")}

    def training_step(self, step):
        if self.replay_buffer is None:
            return self._online_step(step)
        return self._replay_step(step)

    # ------------------------------------------------------------------ helpers
    def _check_candidates(self, actions, step) -> None:
        message = candidate_shape_error(actions, step)
        if message:
            raise ValueError(message)

    def _checked_reward(self, reward, batch: int, step: int):
        """The sampler's reward, checked finite (ValueError naming the step): a ``(B, 1)`` float32
        numpy array when it came from the host, else the NDArray ``(B, 1)``."""
        host = reward if not isinstance(reward, mx.nd.NDArray) else reward.asnumpy()
        host = np.asarray(host, dtype=np.float32)
        if host.size != batch:
            raise ValueError("policy_sampler.observe_reward_value returned %d values at step %d; expected one "
                             "per agent, shaped (%d, 1)." % (host.size, step, batch))
        if not np.isfinite(host).all():
            raise ValueError("policy_sampler.observe_reward_value returned a NaN or infinite reward at step %d: %s."
                             % (step, host.ravel()[:8].tolist()))
        return reward.reshape((batch, 1)) if isinstance(reward, mx.nd.NDArray) else host.reshape((batch, 1))

    def _as_reward(self, reward, batch: int, step: int):
        """The sampler's reward as a finite ``(B, 1)`` NDArray on the device (ValueError naming the step)."""
        ctx = first_ctx(self._ctx)
        host = reward if not isinstance(reward, mx.nd.NDArray) else reward.asnumpy()
        host = np.asarray(host, dtype=np.float32)
        if host.size != batch:
            raise ValueError("policy_sampler.observe_reward_value returned %d values at step %d; expected one "
                             "per agent, shaped (%d, 1)." % (host.size, step, batch))
        if not np.isfinite(host).all():
            raise ValueError("policy_sampler.observe_reward_value returned a NaN or infinite reward at step %d: %s."
                             % (step, host.ravel()[:8].tolist()))
        if isinstance(reward, mx.nd.NDArray):
            return reward.reshape((batch, 1)).as_in_context(ctx)
        return mx.nd.array(host.reshape((batch, 1)), ctx=ctx)

    def _candidate_q(self, block, actions):
        """Q of every candidate in one forward pass: ``(B, P, ...)`` → ``(B, P, q_dim)``."""
        batch, possible = actions.shape[:2]
        q = block(actions.reshape((batch * possible,) + actions.shape[2:]))
        return q.reshape((batch, possible, -1))

    def _choose(self, actions, meta):
        """Select with the Q-values only (rewards and next Q are not known before acting)."""
        with autograd.predict_mode():
            q = self._candidate_q(self.function_approximator, actions)
        if not self.selection_needs_rewards() and callable(getattr(self, "select_action_key", None)):
            key = self.select_action_key(actions, q)  # only what is used is gathered
            action, predicted_q = self.gather_candidates((actions, q), key)
            return action, predicted_q, self.gather_meta(meta, key)
        zeros = mx.nd.zeros(q.shape[:2] + (1,), ctx=q.context)
        action, predicted_q, _, _, meta_a = self.select_action(actions, q, zeros, mx.nd.zeros_like(q),
                                                               possible_meta_data_arr=meta)
        return action, predicted_q, meta_a

    def _evaluate_candidates(self, actions, meta, step):
        """1.1.0's candidate evaluation: Q, reward and next maximum Q of every candidate."""
        sampler = self.policy_sampler
        fa = self.function_approximator
        batch, possible = actions.shape[:2]
        with autograd.predict_mode():
            q = self._candidate_q(fa, actions)
        rewards, nexts = [], []
        for i in range(possible):
            action_i = actions[:, i]
            meta_i = meta[:, i] if meta is not None else None
            rewards.append(self._as_reward(sampler.observe_reward_value(self._state, action_i, meta_data_arr=meta_i),
                                           batch, step))
            sampler.observe_state(state_arr=action_i, meta_data_arr=meta_i)
            next_actions, _ = sampler.draw()
            self._check_candidates(next_actions, step)
            nexts.append(next_actions)
        stacked = mx.nd.stack(*nexts, axis=1)  # (B, P, P', ...)
        with autograd.predict_mode():
            next_q = self._candidate_q(fa, stacked.reshape((batch * possible,) + stacked.shape[2:]))
        next_q = next_q.max(axis=1).reshape((batch, possible, -1))
        return q, mx.nd.stack(*rewards, axis=1), next_q

    def _advance_state(self, action, meta_a) -> bool:
        """Recursive mode: the action becomes the state; True when the episode ended."""
        sampler = self.policy_sampler
        state, state_meta = sampler.update_state(action, meta_data_arr=meta_a)
        sampler.observe_state(state_arr=state, meta_data_arr=state_meta)
        self._state = state
        return bool(sampler.check_the_end_flag(state, meta_data_arr=state_meta))

    def _td_loss(self, pred, target):
        if self._huber is not None:
            return self._huber(pred, target)
        return self.compute_loss(pred, target)

    # ------------------------------------------------------------------ the 1.1.0 update
    def _online_step(self, step):
        sampler = self.policy_sampler
        fa = self.function_approximator
        actions, meta = sampler.draw()
        self._check_candidates(actions, step)
        q, rewards, next_q = self._evaluate_candidates(actions, meta, step)
        action, _, reward, next_max_q, meta_a = self.select_action(actions, q, rewards, next_q,
                                                                   possible_meta_data_arr=meta)
        real_q = self.update_q(reward, next_max_q)
        loss, predicted_q = optimise(self.trainer, action.shape[0],
                                     lambda: self._pair(self.compute_loss, fa(action), real_q))
        if self.recursive_learning_flag and self._advance_state(action, meta_a):
            self.stop_training = True
        self.t += 1
        return loss, {"predicted_q": predicted_q.mean(), "real_q": real_q.mean(), "reward": reward.mean()}

    @staticmethod
    def _pair(loss_fn, pred, target):
        return loss_fn(pred, target), pred

    # ------------------------------------------------------------------ the replay update
    def exploration_rate(self, step: int) -> float:
        """ε at ``step`` of the current ``learn`` call (linear schedule)."""
        if self.exploration_steps is not None:
            span, step = self.exploration_steps, self.t
        else:
            span = self.exploration_fraction * getattr(self, "_run_iter_n", 1)
        if span <= 0:
            return self.exploration_final_eps
        progress = min(step / span, 1.0)
        return self.exploration_initial_eps + progress * (self.exploration_final_eps - self.exploration_initial_eps)

    def _replay_step(self, step):
        sampler = self.policy_sampler
        self._scheduled_greedy_rate = 1.0 - self.exploration_rate(step)
        actions, meta = sampler.draw()
        self._check_candidates(actions, step)
        action, _, meta_a = self._choose(actions, meta)
        batch = action.shape[0]
        reward = self._checked_reward(sampler.observe_reward_value(self._state, action, meta_data_arr=meta_a),
                                      batch, step)
        # a copy, as 1.1.0 handed the sampler slices: a sampler may write into its state (pyqlearning's
        # MazePolicy moves the agent inside it), which must not change the stored action
        sampler.observe_state(state_arr=action.copy(), meta_data_arr=meta_a)
        terminal = sampler.observe_terminal(action, meta_data_arr=meta_a)
        if isinstance(reward, mx.nd.NDArray) or isinstance(terminal, mx.nd.NDArray):
            ctx = first_ctx(self._ctx)
            reward_terminal = mx.nd.concat(
                *[v.reshape((batch, 1)).as_in_context(ctx) if isinstance(v, mx.nd.NDArray)
                  else mx.nd.array(np.asarray(v, dtype=np.float32).reshape((batch, 1)), ctx=ctx)
                  for v in (reward, terminal)], dim=1)
        else:  # host values (an environment): one transfer for both
            reward_terminal = mx.nd.array(np.concatenate(
                [reward, np.asarray(terminal, dtype=np.float32).reshape((batch, 1))], axis=1), ctx=first_ctx(self._ctx))
        ended = self.recursive_learning_flag and self._advance_state(action, meta_a)
        next_actions, _ = sampler.draw_next()
        self._check_candidates(next_actions, step)
        remaining = (getattr(self, "_run_iter_n", step + 1) - step) * batch
        self.replay_buffer.add(action, reward_terminal, next_actions, rows_hint=self.replay_buffer.size + remaining)
        if ended:
            self.stop_training = True
        self.t += 1
        metrics = {}  # episode returns are the environment's business (GymnasiumPolicy.episode_returns)
        ready = self.replay_buffer.size >= max(self.replay_batch_size, self.learning_starts)
        if ready and (step + 1) % self.train_freq == 0:
            for _ in range(self.gradient_steps):
                loss, predicted_q, real_q = self._replay_update()
            self._last_loss = loss
            metrics.update(predicted_q=predicted_q.mean(), real_q=real_q.mean())
        return (self._last_loss if self._last_loss is not None else 0.0), metrics

    def _replay_update(self):
        fa = self.function_approximator
        action, reward, next_actions, terminal = self.replay_buffer.sample(self.replay_batch_size)
        target_block = self._target(action)
        with autograd.predict_mode():
            next_target = self._candidate_q(target_block, next_actions)
            if self.double_dqn and target_block is not fa:
                choice = self._candidate_q(fa, next_actions).argmax(axis=1)
                next_q = mx.nd.pick(next_target, choice, axis=1)
            else:
                next_q = next_target.max(axis=1)
        real_q = self.update_q(reward, next_q * (1.0 - terminal))
        loss, predicted_q = optimise(self.trainer, self.replay_batch_size,
                                     lambda: self._pair(self._td_loss, fa(action), real_q))
        self._updates += 1
        if self.target_network is not None and self._updates % self.target_update_interval == 0:
            sync_target_network(self.target_network, fa)
        return loss, predicted_q, real_q

    def _target(self, example):
        if self.target_update_interval == 0:
            return self.function_approximator
        if self.target_network is None:
            self.target_network = make_target_network(self.function_approximator, example, first_ctx(self._ctx))
            pending = getattr(self, "_pending_target", None)
            if pending:
                for name, param in self.target_network.collect_params().items():
                    if name in pending:
                        param.set_data(pending[name])
                self._pending_target = None
        return self.target_network
