"""Generative adversarial networks: a generator and a discriminator playing the minimax game.

``GANController`` is a learner of the engine (:mod:`accelbrainbase._mxnet.engine`): ``learn``
builds a :class:`~accelbrainbase._mxnet.sources.StepSource` of ``iter_n`` iterations and calls
``fit``. One iteration (``training_step``) calls the contract's three hooks in order:

1. ``train_discriminator(k_step)``: ``k_step`` discriminator updates on a true and a generated
   batch each (the generator is not updated);
2. ``train_by_feature_matching(k_step)``: with a ``feature_matching_loss``, one *generator*
   update that matches the discriminator's mean features of true and generated batches;
3. ``train_generator()``: one generator update through the discriminator (held fixed; train
   mode, as in its own step: ``judge_generated``).

Every update goes through :func:`accelbrainbase._mxnet.learner.optimise`. Subclasses
(the AAE/EBGAN/EBAAE controllers here, pygan's controllers downstream) override the hooks and
use ``generator_trainer``, ``discriminator_trainer``, ``generative_model`` and
``discriminative_model``.

**Host synchronisation.** The contract's hooks return Python floats. Called by the engine's
step, the library's own hooks return one-element NDArrays instead (the means stay on the device
and the engine reads them back once per epoch); called from user code they return floats.
Overrides may return either.

**Logs.** ``log_steps = True``: every iteration's losses and posteriors are rows of
``loss_history.step_rows``; ``generative_loss_arr``, ``discriminative_loss_arr``,
``feature_matching_loss_arr`` (``(iter_n,)``) and ``posterior_logs_arr`` (``(2 * iter_n,)``,
the discriminator's posterior of generated samples then the generator's, interleaved) are views
of those columns. An "epoch" of the engine is ``attenuate_epoch`` iterations: the learning
rates of both optimisers are multiplied by ``learning_attenuate_rate`` every ``attenuate_epoch``
iterations, as in the reference.
"""
from __future__ import annotations

import logging
import warnings
from typing import Dict, Optional

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon
from mxnet.gluon.block import HybridBlock

from accelbrainbase._mxnet._exception.init_deferred_error import InitDeferredError
from accelbrainbase._mxnet.checks import check_int
from accelbrainbase._mxnet.context import DEFAULT_CTX, ctx_list
from accelbrainbase._mxnet.engine import FitState, LearningSchedule, fit
from accelbrainbase._mxnet.learner import HYBRIDIZE_OPTIONS, Learner, check_initializer, make_trainer, optimise
from accelbrainbase._mxnet.sources import StepSource
from accelbrainbase._mxnet.split_files import load_parts, save_parts
from accelbrainbase.computable_loss import ComputableLoss
from accelbrainbase.computableloss._mxnet.discriminator_loss import DiscriminatorLoss
from accelbrainbase.computableloss._mxnet.generator_loss import GeneratorLoss
from accelbrainbase.controllable_model import ControllableModel
from accelbrainbase.observabledata._mxnet.adversarialmodel.discriminative_model import DiscriminativeModel
from accelbrainbase.observabledata._mxnet.adversarialmodel.generative_model import GenerativeModel
from accelbrainbase.samplabledata.true_sampler import TrueSampler

logger = logging.getLogger("accelbrainbase")

#: the history's per-iteration columns behind the contract's log arrays
LOG_COLUMNS = ("discriminative_loss", "generative_loss", "feature_matching_loss", "discriminator_posterior",
               "generator_posterior")


def apply_loss(loss, *arrays):
    """Call a Gluon loss (``loss(*arrays)``) or a ``ComputableLoss`` (``loss.compute(*arrays)``)."""
    if isinstance(loss, gluon.loss.Loss):
        return loss(*arrays)
    return loss.compute(*arrays)


def _is_library_hook(method) -> bool:
    return getattr(method, "__module__", "").startswith("accelbrainbase.")


class GANController(Learner, HybridBlock, ControllableModel):
    """Trains a ``GenerativeModel`` against a ``DiscriminativeModel``.

    Args:
        true_sampler: a ``TrueSampler`` drawing true batches.
        generative_model: a ``GenerativeModel`` (its ``draw()`` gives generated batches).
        discriminative_model: a ``DiscriminativeModel`` (posterior that a batch is true).
        generator_loss: a ``GeneratorLoss`` (non-saturating ``-log D(G(z))`` by default).
        discriminator_loss: a ``DiscriminatorLoss`` (``-[log D(x) + log(1 - D(G(z)))]``).
        feature_matching_loss: optional loss of ``(D(x), D(G(z)))`` (``FeatureMatchingLoss``,
            ``L2NormLoss``, ...) minimised by an extra generator update per iteration.
        optimizer_name, learning_rate: of both optimisers.
        learning_attenuate_rate, attenuate_epoch: multiply both rates by the first every
            ``attenuate_epoch`` iterations.
        hybridize_flag: hybridize both players.
        ctx: where the parameters live.
        initializer: default ``Xavier(gaussian, in, magnitude=1)``; re-initializes every
            parameter of both players (forced), as the contract says.
        **kwargs: ``kvstore`` and ``optimizer_params`` (e.g. ``{"beta1": 0.5}``) are honoured.

    Raises:
        TypeError: a sampler, model or loss of the wrong type.
    """

    _UNREGISTERED = Learner._UNREGISTERED | {
        "true_sampler", "generative_model", "discriminative_model", "generator_loss", "discriminator_loss",
        "feature_matching_loss"}
    log_steps = True
    #: run the fixed discriminator in predict mode inside generator updates (see ``judge_generated``)
    generator_step_predict_mode = False

    def __init__(self, true_sampler, generative_model, discriminative_model, generator_loss, discriminator_loss,
                 feature_matching_loss=None, optimizer_name="SGD", learning_rate=1e-05, learning_attenuate_rate=1.0,
                 attenuate_epoch=50, hybridize_flag=True, scale=1.0, ctx=DEFAULT_CTX, initializer=None, **kwargs):
        check_initializer(initializer)
        HybridBlock.__init__(self)
        self.configure_learning(learning_rate, learning_attenuate_rate, attenuate_epoch, optimizer_name, ctx, [],
                                kwargs)
        # one engine epoch = attenuate_epoch iterations, so "decay every epoch" is the contract's
        # "decay every attenuate_epoch iterations"
        schedule = self.learning_schedule
        self.learning_schedule = LearningSchedule(schedule.learning_rate, schedule.attenuate_rate, 1)
        self.iterations_per_epoch = schedule.attenuate_epoch
        self.hybridize_flag = bool(hybridize_flag)
        self.scale = scale
        self.true_sampler = true_sampler
        self.generator_loss = generator_loss
        self.discriminator_loss = discriminator_loss
        self.feature_matching_loss = feature_matching_loss
        with self.name_scope():
            self.generative_model = generative_model
            self.discriminative_model = discriminative_model
        self.initializer = initializer or mx.initializer.Xavier(rnd_type="gaussian", factor_type="in", magnitude=1)
        self.k_step = 10
        self.__dict__["_device_returns"] = False
        if not self.init_deferred_flag:
            try:
                self.collect_params().initialize(init=self.initializer, ctx=ctx_list(self._ctx), force_reinit=True)
                options = dict(optimizer_name=self._optimizer_name, learning_rate=schedule.learning_rate,
                               kvstore=self._kvstore, optimizer_params=self._optimizer_params)
                self.generator_trainer = make_trainer(self.generative_model.collect_params(),
                                                      **_trainer_args(options))
                self.discriminator_trainer = make_trainer(self.discriminative_model.collect_params(),
                                                          **_trainer_args(options))
            except InitDeferredError:
                logger.debug("%s: initialization deferred.", type(self).__name__)
            if hybridize_flag:
                for block in (self.generative_model, self.discriminative_model):
                    block.hybridize(**HYBRIDIZE_OPTIONS)
                self.generative_model.model.hybridize(**HYBRIDIZE_OPTIONS)
        for loss in (self.generator_loss, self.discriminator_loss):
            if type(loss) in (GeneratorLoss, DiscriminatorLoss):
                loss.hybridize()  # stateless: one cached graph instead of several operators

    # ------------------------------------------------------------------ properties
    def _store(self, name: str, value) -> None:
        self.__dict__["_" + name] = value

    @property
    def true_sampler(self):
        """The ``TrueSampler`` of true batches."""
        return self.__dict__.get("_true_sampler")

    @true_sampler.setter
    def true_sampler(self, value) -> None:
        if not isinstance(value, TrueSampler):
            raise TypeError("true_sampler must be a TrueSampler, not %s." % type(value).__name__)
        self._store("true_sampler", value)

    @property
    def generative_model(self):
        """The ``GenerativeModel``."""
        return self.__dict__.get("_generative_model")

    @generative_model.setter
    def generative_model(self, value) -> None:
        if not isinstance(value, GenerativeModel):
            raise TypeError("generative_model must be a GenerativeModel, not %s." % type(value).__name__)
        self._store("generative_model", value)
        self.register_child(value, "generative_model")

    @property
    def discriminative_model(self):
        """The ``DiscriminativeModel``."""
        return self.__dict__.get("_discriminative_model")

    @discriminative_model.setter
    def discriminative_model(self, value) -> None:
        if not isinstance(value, DiscriminativeModel):
            raise TypeError("discriminative_model must be a DiscriminativeModel, not %s." % type(value).__name__)
        self._store("discriminative_model", value)
        self.register_child(value, "discriminative_model")

    @property
    def generator_loss(self):
        """The ``GeneratorLoss``."""
        return self.__dict__.get("_generator_loss")

    @generator_loss.setter
    def generator_loss(self, value) -> None:
        if not isinstance(value, GeneratorLoss):
            raise TypeError("generator_loss must be a GeneratorLoss, not %s." % type(value).__name__)
        self._store("generator_loss", value)

    @property
    def discriminator_loss(self):
        """The ``DiscriminatorLoss``."""
        return self.__dict__.get("_discriminator_loss")

    @discriminator_loss.setter
    def discriminator_loss(self, value) -> None:
        if not isinstance(value, DiscriminatorLoss):
            raise TypeError("discriminator_loss must be a DiscriminatorLoss, not %s." % type(value).__name__)
        self._store("discriminator_loss", value)

    @property
    def feature_matching_loss(self):
        """The feature-matching loss, or ``None``."""
        return self.__dict__.get("_feature_matching_loss")

    @feature_matching_loss.setter
    def feature_matching_loss(self, value) -> None:
        if value is not None and not isinstance(value, (gluon.loss.Loss, ComputableLoss)):
            raise TypeError("feature_matching_loss must be a gluon Loss, a ComputableLoss or None, not %s."
                            % type(value).__name__)
        self._store("feature_matching_loss", value)

    def collect_params(self, select=None):
        """Generator parameters ∪ discriminator parameters."""
        params = self.generative_model.collect_params(select)
        params.update(self.discriminative_model.collect_params(select))
        return params

    # ------------------------------------------------------------------ logs (views of the history)
    def _column(self, name: str) -> np.ndarray:
        return self.loss_history.step_column(name)

    @property
    def generative_loss_arr(self) -> np.ndarray:
        """Generator loss per iteration, ``(iter_n,)`` (empty before ``learn``)."""
        return self._column("generative_loss")

    @generative_loss_arr.setter
    def generative_loss_arr(self, value) -> None:
        raise TypeError("generative_loss_arr is read-only.")

    @property
    def discriminative_loss_arr(self) -> np.ndarray:
        """Mean discriminator loss of each iteration's ``k_step`` updates, ``(iter_n,)``."""
        return self._column("discriminative_loss")

    @discriminative_loss_arr.setter
    def discriminative_loss_arr(self, value) -> None:
        raise TypeError("discriminative_loss_arr is read-only.")

    @property
    def feature_matching_loss_arr(self) -> np.ndarray:
        """Feature-matching loss per iteration (zeros without one), ``(iter_n,)``."""
        return self._column("feature_matching_loss")

    @feature_matching_loss_arr.setter
    def feature_matching_loss_arr(self, value) -> None:
        raise TypeError("feature_matching_loss_arr is read-only.")

    @property
    def posterior_logs_arr(self) -> np.ndarray:
        """``(2 * iter_n,)``: per iteration the discriminator step's mean posterior of generated
        samples, then the generator step's."""
        pairs = np.column_stack([self._column("discriminator_posterior"), self._column("generator_posterior")])
        return pairs.reshape(-1)

    @posterior_logs_arr.setter
    def posterior_logs_arr(self, value) -> None:
        raise TypeError("posterior_logs_arr is read-only.")

    # ------------------------------------------------------------------ learning
    def learn(self, iter_n=1000, k_step=10, checkpoint_path: Optional[str] = None, checkpoint_every: int = 1,
              resume: bool = False):
        """Play ``iter_n`` iterations of ``k_step`` discriminator updates and one generator update.

        Args:
            iter_n: iterations (>= 1).
            k_step: discriminator updates per iteration (>= 1).
            checkpoint_path, checkpoint_every, resume: atomic checkpoints every
                ``checkpoint_every`` epochs of ``attenuate_epoch`` iterations (see ``fit``).
        Raises:
            TypeError / ValueError: bad ``iter_n`` or ``k_step``; samplers and models whose
            batches do not fit each other (checked before the first update).
        """
        check_int(iter_n, "iter_n", minimum=1)
        self.k_step = check_int(k_step, "k_step", minimum=1)
        source = StepSource(iter_n, steps_per_epoch=self.iterations_per_epoch)
        return fit(self, source, checkpoint_path=checkpoint_path, checkpoint_every=checkpoint_every, resume=resume)

    def trainers(self) -> Dict[str, gluon.Trainer]:
        """Both optimisers, by name."""
        found = {}
        for name in ("generator_trainer", "discriminator_trainer"):
            trainer = self.__dict__.get(name)
            if trainer is not None:
                found[name] = trainer
        return found

    def on_fit_start(self, state: FitState) -> None:
        super().on_fit_start(state)
        if not self.trainers():
            raise ValueError("%s has no optimisers: it was built with init_deferred_flag=True; build it "
                             "without deferring (or create generator_trainer and discriminator_trainer)."
                             % type(self).__name__)
        if _is_library_hook(type(self).train_discriminator):
            self.check_compatibility()

    def on_fit_end(self, state: FitState) -> None:
        if state.interrupted:
            print("Keyboard Interrupt.")
        logger.debug("%s: %d iterations played.", type(self).__name__, state.step)

    def training_step(self, n):
        """One iteration: the three hooks, in the contract's order."""
        k_step = self.k_step
        self.__dict__["_device_returns"] = True
        self.__dict__["_true_posterior"] = None
        try:
            d_loss, d_posterior = self.train_discriminator(k_step)
            fm_loss = self.train_by_feature_matching(k_step)
            g_loss, g_posterior = self.train_generator()
        finally:
            self.__dict__["_device_returns"] = False
        metrics = {"discriminative_loss": d_loss, "generative_loss": g_loss, "feature_matching_loss": fm_loss,
                   "discriminator_posterior": d_posterior, "generator_posterior": g_posterior}
        true_posterior = self.__dict__.get("_true_posterior")
        if true_posterior is not None:
            metrics["true_posterior"] = true_posterior
        # the NaN guard watches both players
        return d_loss + g_loss, metrics

    def _out(self, *values):
        """Device values as the hooks return them: NDArrays inside the engine's step, floats otherwise."""
        if self.__dict__.get("_device_returns"):
            return values if len(values) > 1 else values[0]
        floats = tuple(float(v.asscalar()) if isinstance(v, mx.nd.NDArray) else float(v) for v in values)
        return floats if len(floats) > 1 else floats[0]

    # draws; AAE controllers take the first item of the generative model's tuple
    def draw_true(self):
        """A true batch from ``true_sampler``."""
        return self.true_sampler.draw()

    def draw_generated(self):
        """A generated batch (the array the discriminator judges)."""
        generated_arr = self.generative_model.draw()
        self.__dict__["_generated_rows"] = generated_arr.shape[0]
        return generated_arr

    def generated_rows(self) -> int:
        """Rows of a generated batch (the generator optimiser's ``step`` divisor); the first call
        may draw one batch to find out."""
        rows = self.__dict__.get("_generated_rows")
        if rows is None:
            with autograd.predict_mode():
                self.draw_generated()
            rows = self.__dict__["_generated_rows"]
        return rows

    def train_discriminator(self, k_step):
        """``k_step`` discriminator updates; returns ``(mean loss, mean posterior of generated)``."""
        model = self.discriminative_model
        loss_sum = posterior_sum = true_sum = 0.0
        for _ in range(k_step):
            true_arr = self.draw_true()
            with autograd.train_mode():
                generated_arr = self.draw_generated()

            def compute():
                true_posterior = model.inference(true_arr)
                generated_posterior = model.inference(generated_arr)
                return (apply_loss(self.discriminator_loss, true_posterior, generated_posterior),
                        true_posterior, generated_posterior)

            loss, true_posterior, generated_posterior = optimise(self.discriminator_trainer, true_arr.shape[0],
                                                                 compute)
            loss_sum = loss_sum + loss.mean()
            posterior_sum = posterior_sum + generated_posterior.mean()
            true_sum = true_sum + true_posterior.mean()
        self.__dict__["_true_posterior"] = true_sum / k_step
        return self._out(loss_sum / k_step, posterior_sum / k_step)

    def train_by_feature_matching(self, k_step):
        """With a ``feature_matching_loss``: one generator update that minimises it between
        ``D(x)`` and ``D(G(z))`` (discriminator fixed); returns the loss. Without one: ``0.0``.

        (The reference stepped the *discriminator* on this loss, pulling its outputs for true
        and generated samples together, i.e. against its own objective.)
        """
        if self.feature_matching_loss is None:
            return 0.0
        with autograd.predict_mode():
            true_feature = self.discriminative_model.inference(self.draw_true())
        model = self.discriminative_model

        def compute():
            generated_arr = self.draw_generated()
            with autograd.predict_mode():
                generated_feature = model.inference(generated_arr)
            return apply_loss(self.feature_matching_loss, true_feature, generated_feature), generated_arr

        loss, generated_arr = optimise(self.generator_trainer, true_feature.shape[0], compute, ignore_stale_grad=True)
        return self._out(loss.mean())

    def judge_generated(self, generated_arr):
        """The discriminator's output for a generated batch inside a generator update: the
        discriminator is held fixed (not stepped) but runs in the same mode as in its own step
        (train mode: batch-norm batch statistics), so the generator climbs the function the
        discriminator was trained as. ``generator_step_predict_mode = True`` uses predict mode
        (running statistics) instead; with batch norm in the discriminator that makes the
        generator chase a different function and a DCGAN on MNIST then collapses to blobs."""
        if self.generator_step_predict_mode:
            with autograd.predict_mode():
                return self.discriminative_model.inference(generated_arr)
        return self.discriminative_model.inference(generated_arr)

    def train_generator(self):
        """One generator update on ``generator_loss(D(G(z)))`` (discriminator fixed, see ``judge_generated``);
        returns ``(loss, mean posterior of generated)``.

        Generator updates skip parameters the loss does not reach (``ignore_stale_grad=True``):
        an auto-encoding generator's feature-matching update touches only the encoder."""

        def compute():
            posterior = self.judge_generated(self.draw_generated())
            return apply_loss(self.generator_loss, posterior), posterior

        loss, posterior = optimise(self.generator_trainer, self.generated_rows(), compute, ignore_stale_grad=True)
        return self._out(loss.mean(), posterior.mean())

    # ------------------------------------------------------------------ checks before the first update
    def check_compatibility(self) -> None:
        """Draw once from each sampler and run the discriminator on both batches (no update).

        Raises:
            TypeError: a sampler or the generative model returns something other than an NDArray.
            ValueError: batch sizes differ, the discriminator rejects a batch, or its outputs for
                true and generated batches differ in shape.
        A generated batch whose shape differs from the true batch's while the discriminator
        accepts both (pygan 1.1.2's default image generator does this) only warns.
        """
        owner = type(self).__name__
        with autograd.predict_mode():
            true_arr = self.draw_true()
            generated_arr = self.draw_generated()
        _check_array(true_arr, "%s.true_sampler.draw()" % owner)
        _check_array(generated_arr, "%s: the generated batch" % owner)
        self.check_batches(true_arr, generated_arr)

    def check_batches(self, true_arr, generated_arr) -> None:
        """The discriminator's view of a true and a generated batch (see ``check_compatibility``)."""
        owner = type(self).__name__
        if true_arr.shape[0] != generated_arr.shape[0]:
            raise ValueError("%s: true_sampler draws batches of %d but the generative model draws %d; the "
                             "discriminator loss pairs them sample by sample, so use one batch size."
                             % (owner, true_arr.shape[0], generated_arr.shape[0]))
        outputs = []
        for arr, what in ((true_arr, "true_sampler's batch"), (generated_arr, "the generated batch")):
            try:
                with autograd.predict_mode():
                    out = self.discriminative_model.inference(arr)
                out.wait_to_read()
            except mx.base.MXNetError as exc:
                raise ValueError("%s: discriminative_model cannot take %s of shape %s (true batches are %s, "
                                 "generated batches %s): %s" % (owner, what, arr.shape, true_arr.shape,
                                                               generated_arr.shape, str(exc).splitlines()[0]))
            outputs.append(out)
        if outputs[0].shape != outputs[1].shape:
            raise ValueError("%s: the discriminator's outputs differ in shape for true batches %s (%s) and "
                             "generated batches %s (%s)." % (owner, true_arr.shape, outputs[0].shape,
                                                             generated_arr.shape, outputs[1].shape))
        if true_arr.shape != generated_arr.shape:
            warnings.warn("%s: generated batches have shape %s but true batches %s; the discriminator accepts "
                          "both, so the game is played, but the generator does not make samples of the true "
                          "data's shape." % (owner, generated_arr.shape, true_arr.shape), UserWarning,
                          stacklevel=3)

    # ------------------------------------------------------------------ parameters
    def extract_learned_dict(self) -> dict:
        """``{parameter name: NDArray}`` over both players."""
        return {name: param.data() for name, param in self.collect_params().items()}

    def regularize(self) -> None:
        """Nothing to regularize (kept for the contract's P2 shape)."""

    def save_parameters(self, filename, deduplicate=False):
        """Write ``<name>_generator.<ext>`` and ``<name>_discriminator.<ext>``."""
        save_parts(filename, {"generator": self.generative_model, "discriminator": self.discriminative_model})

    def load_parameters(self, filename, ctx=None, allow_missing=False, ignore_extra=False):
        """Read the files written by ``save_parameters``."""
        load_parts(filename, {"generator": self.generative_model, "discriminator": self.discriminative_model},
                   ctx=ctx, allow_missing=allow_missing, ignore_extra=ignore_extra)


def _trainer_args(options: dict) -> dict:
    return {"optimizer_name": options["optimizer_name"], "learning_rate": options["learning_rate"],
            "kvstore": options["kvstore"], "optimizer_params": options["optimizer_params"]}


def _check_array(arr, what: str) -> None:
    if not isinstance(arr, mx.nd.NDArray):
        raise TypeError("%s must return an NDArray, not %s." % (what, type(arr).__name__))
