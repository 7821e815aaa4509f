"""The learner protocol, proven by two learners written only against it: the GAN of
docs/architecture.md (two optimisers, k discriminator updates per generator update, drawing from
a sampler) and a Q-learner acting in a 5-state chain environment. Both train through ``fit``,
are checkpointed, interrupted and resumed, and meet their thresholds."""
import math

import mxnet as mx
import numpy as np
import pytest
from mxnet import nd
from mxnet.gluon import HybridBlock, nn

from accelbrainbase._mxnet.engine import fit
from accelbrainbase._mxnet.learner import Learner, optimise
from accelbrainbase._mxnet.sources import StepSource
from accelbrainbase.controllable_model import ControllableModel
from helpers import docs_example

ToyGAN = docs_example("controller")["ToyGAN"]

MODE = 2.0    # the data: an equal mixture of N(-2, 0.5²) and N(2, 0.5²)
SPREAD = 0.5
DATA_STD = math.sqrt(MODE ** 2 + SPREAD ** 2)


def two_gaussians(n):
    side = (nd.random.uniform(shape=(n, 1)) > 0.5) * (2 * MODE) - MODE
    return side + nd.random.normal(scale=SPREAD, shape=(n, 1))


class InterruptedAt:
    """Mixin: a Ctrl-C at the end of epoch ``stop_at`` (before that epoch's checkpoint)."""

    stop_at = None

    def epoch_metrics(self):
        if self.epoch == self.stop_at:
            raise KeyboardInterrupt
        return super().epoch_metrics()


class InterruptedGAN(InterruptedAt, ToyGAN):
    pass


def generated(gan, n_batches=80):
    return nd.concat(*[gan.draw() for _ in range(n_batches)], dim=0).asnumpy().ravel()


def test_toy_gan_matches_both_modes_across_an_interruption_and_a_resume(tmp_path):
    mx.random.seed(0)
    path = str(tmp_path / "gan.ckpt")
    first = InterruptedGAN(two_gaussians)
    first.stop_at = 9
    first.learn(iter_n=2000, checkpoint_path=path)
    assert first.fit_state.interrupted and len(first.loss_history) == 9  # epoch 10 was not recorded

    gan = ToyGAN(two_gaussians)
    gan.learn(iter_n=2000, checkpoint_path=path, resume=True)
    assert gan.fit_state.resumed and len(gan.loss_history) == 20
    # both optimisers were re-rated by the one schedule: 2e-3 halved at epochs 5, 10 and 15
    for trainer in gan.trainers().values():
        assert trainer.learning_rate == pytest.approx(2e-3 / 8)
    steps = gan.loss_history.steps_frame()
    assert len(steps) == 2000 and {"generator_loss", "discriminator_loss", "loss"} <= set(steps.columns)
    assert np.isfinite(steps.values).all()

    x = generated(gan)
    assert abs(x.mean()) < 0.1, x.mean()
    assert abs(x.std() - DATA_STD) < 0.1, x.std()
    for mode in (-MODE, MODE):  # both modes covered, each by about half the samples
        assert 0.35 < np.mean(np.abs(x - mode) < 3 * SPREAD) < 0.65


def test_toy_gan_checks_its_sampler_and_k_step_before_the_first_update():
    with pytest.raises(ValueError, match="k_step"):
        ToyGAN(two_gaussians, k_step=0)
    gan = ToyGAN(lambda n: nd.zeros((n, 2)))
    before = {name: p.data().copy() for name, p in gan.collect_params().items()}
    with pytest.raises(ValueError, match=r"sample_real\(256\) must return shape \(256, 1\)"):
        gan.learn(iter_n=10)
    for name, p in gan.collect_params().items():
        np.testing.assert_array_equal(p.data().asnumpy(), before[name].asnumpy())
    with pytest.raises(ValueError, match="iter_n"):
        ToyGAN(two_gaussians).learn(iter_n=0)


# ---------------------------------------------------------------------- a Q-learner in an environment
class Chain:
    """States 0..4. Action 0 moves left (not below 0), action 1 right; reaching state 4 pays 1 and
    ends the episode. The optimal policy is "right" everywhere, with Q(s, right) = γ^(3 - s)."""

    n_states, goal = 5, 4

    def reset(self) -> int:
        self.state = 0
        return self.state

    def step(self, action: int):
        self.state = max(self.state - 1, 0) if action == 0 else self.state + 1
        done = self.state == self.goal
        return self.state, float(done), done


class ChainQLearner(Learner, HybridBlock, ControllableModel):
    """Q(s, ·) = Dense(one_hot(s)); ε-greedy; one update toward r + γ max Q(s', ·) per step."""

    log_steps = True  # per-step reward and TD error

    def __init__(self, env, gamma=0.9, epsilon=0.5, learning_rate=0.1, episodes=None, seed=0):
        super().__init__()
        self.configure_learning(learning_rate, 1.0, 1, "sgd", mx.cpu(), [], {})
        self.initializer = mx.init.Zero()
        self.env, self.gamma, self.epsilon, self.episodes = env, gamma, epsilon, episodes
        self.rng = np.random.RandomState(seed)
        with self.name_scope():
            self.q = nn.Dense(2, in_units=env.n_states)
        self.trainer = self.build_trainer(self.collect_params())
        self.q.hybridize()

    def q_values(self, states):
        return self.q(nd.one_hot(nd.array(states), self.env.n_states))

    def on_fit_start(self, state):
        super().on_fit_start(state)
        self.state, self.finished = self.env.reset(), 0

    def training_step(self, iteration):
        s = self.state
        if self.rng.rand() < self.epsilon:
            action = int(self.rng.randint(2))
        else:
            action = int(self.q_values([s]).argmax(axis=1).asscalar())
        s_next, reward, done = self.env.step(action)
        target = reward if done else reward + self.gamma * float(self.q_values([s_next]).max().asscalar())
        mask = nd.one_hot(nd.array([action]), 2)
        error = optimise(self.trainer, 1, lambda: ((self.q_values([s]) - target) * mask).sum(axis=1) ** 2)
        if done:
            self.state, self.finished = self.env.reset(), self.finished + 1
            self.stop_training = self.episodes is not None and self.finished >= self.episodes
        else:
            self.state = s_next
        return error, {"reward": reward}

    def greedy_policy(self):
        return self.q_values(list(range(self.env.goal))).argmax(axis=1).asnumpy().astype(int).tolist()


class InterruptedQLearner(InterruptedAt, ChainQLearner):
    pass


def test_q_learner_finds_the_optimal_chain_policy_across_a_resume(tmp_path):
    path = str(tmp_path / "q.ckpt")
    first = InterruptedQLearner(Chain())
    first.stop_at = 4
    fit(first, StepSource(3000, steps_per_epoch=300), checkpoint_path=path)
    assert first.fit_state.interrupted

    learner = ChainQLearner(Chain(), seed=1)
    fit(learner, StepSource(3000, steps_per_epoch=300), checkpoint_path=path, resume=True)
    assert len(learner.loss_history) == 10 and learner.fit_state.step == 3000
    assert learner.greedy_policy() == [1, 1, 1, 1]
    q_right = learner.q_values([0, 1, 2, 3]).asnumpy()[:, 1]
    np.testing.assert_allclose(q_right, [0.9 ** 3, 0.9 ** 2, 0.9, 1.0], atol=0.1)
    rewards = learner.loss_history.step_column("reward")
    assert len(rewards) == 3000 and rewards.sum() > 100  # many episodes reached the goal


def test_an_environment_ends_the_run_when_the_learner_says_so():
    learner = ChainQLearner(Chain(), episodes=1)
    fit(learner, StepSource(10_000, steps_per_epoch=100))
    assert learner.fit_state.stopped_early and learner.finished == 1
    assert learner.fit_state.step < 10_000 and learner.loss_history.step_column("reward")[-1] == 1.0


class EarlyStopping(ChainQLearner):
    """Stops once an epoch's mean reward reaches a threshold, reading the history in on_epoch_end."""

    def on_epoch_end(self, state):
        if state.history.column("reward")[-1] >= 0.1:
            self.stop_training = True


def test_on_epoch_end_reads_the_history_and_can_stop_the_run():
    # with ε = 0.3 the goal is first reached after 1,100-2,400 steps (seeds 0-3); then an
    # epoch's mean reward is about 0.18
    learner = EarlyStopping(Chain(), epsilon=0.3, seed=1)
    fit(learner, StepSource(5_000, steps_per_epoch=100))
    rewards = learner.loss_history.column("reward")
    assert learner.fit_state.stopped_early and rewards[-1] >= 0.1 and (rewards[:-1] < 0.1).all()
    assert learner.fit_state.step == 100 * len(rewards) < 5_000


# ---------------------------------------------------------------------- protocol errors
class NotALearner:
    pass


class MalformedStep(ChainQLearner):
    def training_step(self, iteration):
        return "one point five"


class MalformedMetric(ChainQLearner):
    def training_step(self, iteration):
        return nd.ones((1,)), {"reward": "high"}


def test_protocol_errors_name_what_is_wrong():
    with pytest.raises(TypeError, match="lacks training_step"):
        fit(NotALearner(), StepSource(10))
    with pytest.raises(TypeError, match=r"MalformedStep.training_step must return a loss .* it returned str"):
        fit(MalformedStep(Chain()), StepSource(10))
    with pytest.raises(TypeError, match="malformed metric 'reward'"):
        fit(MalformedMetric(Chain()), StepSource(10))
    with pytest.raises(ValueError, match="iter_n must be >= 1"):
        StepSource(0)
    with pytest.raises(ValueError, match="steps_per_epoch must be >= 1"):
        StepSource(10, steps_per_epoch=0)
    with pytest.raises(ValueError, match="learning_rate must be > 0"):
        ChainQLearner(Chain(), learning_rate=-0.1)


# ---------------------------------------------------------------------- recorded means
class ScriptedLosses(Learner, HybridBlock, ControllableModel):
    """Returns, at step ``i``, the loss ``losses[i]`` and the metric ``{"m": metrics[i]}``."""

    def __init__(self, losses, metrics, test_losses):
        super().__init__()
        self.configure_learning(0.1, 1.0, 1, "sgd", mx.cpu(), [], {})
        self.losses, self.metrics, self.test_losses = losses, metrics, test_losses

    def trainers(self):
        return {}

    def training_step(self, iteration):
        return nd.array(self.losses[iteration]), {"m": self.metrics[iteration]}

    def evaluation_step(self, batch):
        return nd.array(self.test_losses[batch])


def test_recorded_means_are_exact_over_shapes_weights_and_chunks():
    """The engine keeps small per-step arrays and reduces them at the epoch's end in groups of one
    shape: the recorded train loss is still the mean over steps of each step's mean, metrics
    (arrays of mixed shapes and plain numbers) likewise, and the test loss the mean over all test
    samples; arrays too large to keep (> 4,096 values) are reduced at once, with the same result."""
    rng = np.random.RandomState(0)
    shapes = [(5,)] * 70 + [(3,), (2, 2), (5000,)] + [(5,)] * 7   # 80 steps: add_n chunks of 64
    losses = [rng.rand(*shape).astype(np.float32) for shape in shapes]
    metrics = [float(i) if i % 3 == 0 else nd.array(rng.rand(4)) for i in range(80)]
    test_losses = [rng.rand(n).astype(np.float32) for n in (7, 7, 3)]
    learner = ScriptedLosses(losses, metrics, test_losses)
    fit(learner, StepSource(80, steps_per_epoch=40, test_batches=lambda: range(3)))

    history = learner.loss_history
    for epoch in range(2):
        steps = range(40 * epoch, 40 * epoch + 40)
        assert history.column("train_loss")[epoch] == pytest.approx(np.mean([losses[i].mean() for i in steps]),
                                                                     rel=1e-6)
        expected_metric = np.mean([m if isinstance(m, float) else m.asnumpy().mean()
                                   for m in (metrics[i] for i in steps)])
        assert history.column("m")[epoch] == pytest.approx(expected_metric, rel=1e-6)
    assert history.column("test_loss")[-1] == pytest.approx(np.concatenate(test_losses).mean(), rel=1e-6)
