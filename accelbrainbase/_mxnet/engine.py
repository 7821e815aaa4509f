"""The one training loop, for models and controllers alike.

:func:`fit` drives a *learner* over a *source* (:mod:`accelbrainbase._mxnet.sources`). It touches
the learner only through this public protocol (``accelbrainbase._mxnet.learner.Learner``
implements every hook with a back-propagation default):

``learning_schedule``
    a :class:`LearningSchedule`: initial rate, decay factor, decay period in epochs (or a
    hold-then-linear anneal over the run's steps).
``on_fit_start(state)`` / ``on_fit_end(state)``
    called once before the first and after the last step; ``state`` is the run's
    :class:`FitState` (epoch, step, history, ``interrupted``, ...).
``training_step(batch) -> loss | (loss, metrics)``
    one step: any number of optimiser updates (each through
    :func:`accelbrainbase._mxnet.learner.optimise`), in the order the learner chooses.
    ``loss`` is an NDArray (any shape; its mean is recorded) or a list of them (one per
    device); ``metrics`` is a dict of NDArrays or floats. Nothing is read back to the host here.
    Small arrays are kept until the epoch ends and reduced then, so return arrays that later
    steps do not overwrite (the result of an operator, not a buffer reused with ``out=``).
``evaluation_step(batch) -> loss | (loss, metrics)``
    predict-mode loss (per sample) on one test batch; optional. Recorded as ``test_loss`` and
    ``test_<metric>``: the mean over every test batch the source yields.
``after_step()``
    after each training step (regularizers, weight tying).
``epoch_metrics() -> {name: value}``
    model-level numbers recorded at each epoch's end (a weight matrix's orthonormality,
    the active layer of a stack); optional.
``on_epoch_end(state)``
    after the epoch's row is in the history (and its checkpoint written): early-stopping rules
    that read the history, schedules of a learner's own; optional.
``trainers() -> {name: gluon.Trainer}`` and ``set_learning_rate(rate)``
    every optimiser, re-rated by the schedule, checkpointed and restored.
``checkpoint_arrays()`` / ``restore_checkpoint_arrays(arrays)``
    non-parameter state a resume needs (a persistent Markov chain).
``stop_training``
    set it True inside a step to end the run after that step (an episode ended).
``log_steps``
    class attribute; True records every step's loss and metrics as rows of
    ``history.step_rows`` (the contract's per-iteration logs), read back once per epoch.

``fit`` does the rest: epochs, learning-rate decay, per-epoch means, whole-split evaluation,
the history, a progress bar, NaN/inf detection, atomic checkpoints and resuming, and a clean
stop on ``KeyboardInterrupt``.
"""
from __future__ import annotations

import logging
import math
import numbers
import os
import warnings
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import mxnet as mx
from mxnet import gluon

from accelbrainbase._mxnet.checkpoint import check_checkpoint_path, load_checkpoint, save_checkpoint
from accelbrainbase._mxnet.checks import check_int, check_number
from accelbrainbase._mxnet.context import ctx_list
from accelbrainbase._mxnet.history import LossHistory
from accelbrainbase._mxnet.progress import progress_bar
from accelbrainbase._mxnet.sources import IteratorSource, Source, as_source, steps_per_epoch_of
from accelbrainbase.iteratable_data import IteratableData

logger = logging.getLogger("accelbrainbase")

#: wait for the device every this many steps so the asynchronous queue stays bounded
QUEUE_BOUND = 64

#: the hooks :func:`fit` calls; a learner lacking one is rejected before anything runs
REQUIRED_HOOKS = ("training_step", "after_step", "trainers", "set_learning_rate", "on_fit_start",
                  "on_fit_end", "checkpoint_arrays", "restore_checkpoint_arrays")


@dataclass(frozen=True)
class LearningSchedule:
    """Initial learning rate, multiplied by ``attenuate_rate`` at the start of every
    ``attenuate_epoch``-th epoch; or, with ``anneal_from`` (a fraction in [0, 1) of the run's
    steps), held for that fraction of the steps and then lowered linearly, step by step, to zero
    at the end of the run (the shape of Rasmus et al. 2015's ladder schedule). The two decays
    are exclusive: ``anneal_from`` needs ``attenuate_rate == 1``.

    Example: ``model.learning_schedule = LearningSchedule(5e-3, anneal_from=2 / 3)``.
    """

    learning_rate: float
    attenuate_rate: float = 1.0
    attenuate_epoch: int = 1
    anneal_from: Optional[float] = None

    def __post_init__(self) -> None:
        if self.anneal_from is not None:
            check_number(self.anneal_from, "anneal_from", minimum=0.0)
            if not self.anneal_from < 1.0:
                raise ValueError("anneal_from must be a fraction of the run's steps in [0, 1), got %r."
                                 % (self.anneal_from,))
            if self.attenuate_rate != 1.0:
                raise ValueError("anneal_from replaces the epoch decay; it needs attenuate_rate == 1, got %r."
                                 % (self.attenuate_rate,))

    def annealed_rate(self, step: int, total_steps: int) -> float:
        """The rate of step ``step`` (0-based) of ``total_steps`` under ``anneal_from``: the
        initial rate for the first ``round(anneal_from * total_steps)`` steps, then
        ``rate * (total_steps - step) / (total_steps - held)``."""
        held = min(int(round(self.anneal_from * total_steps)), total_steps - 1)
        if step < held:
            return self.learning_rate
        return self.learning_rate * max(total_steps - step, 0) / float(total_steps - held)

    @classmethod
    def checked(cls, learning_rate, attenuate_rate, attenuate_epoch) -> "LearningSchedule":
        """A schedule whose values are checked (names in errors are the constructors')."""
        return cls(
            check_number(learning_rate, "learning_rate", minimum=0.0, strict_minimum=True),
            check_number(attenuate_rate, "learning_attenuate_rate", minimum=0.0, strict_minimum=True),
            check_int(attenuate_epoch, "attenuate_epoch", minimum=1),
        )


@dataclass
class FitState:
    """What one call of :func:`fit` is doing; handed to ``on_fit_start``/``on_fit_end``."""

    source: Source
    history: LossHistory
    epochs: int
    steps_per_epoch: int
    learning_rate: float
    checkpoint_path: Optional[str] = None
    epoch: int = 0
    step: int = 0
    resumed: bool = False
    interrupted: bool = False
    stopped_early: bool = False
    extra: Dict[str, Any] = field(default_factory=dict)


def iterations_per_epoch(iteratable_data) -> int:
    """How many yielded batches make one epoch: ``int(iter_n / epochs)``."""
    return steps_per_epoch_of(iteratable_data)


# ---------------------------------------------------------------------- protocol checks
def check_learner(learner) -> None:
    """Raise ``TypeError`` unless ``learner`` implements the protocol (module docstring)."""
    name = type(learner).__name__
    missing = [hook for hook in REQUIRED_HOOKS if not callable(getattr(learner, hook, None))]
    if missing:
        raise TypeError("%s cannot be trained by the engine: it lacks %s (subclass "
                        "accelbrainbase._mxnet.learner.Learner for the defaults)." % (name, ", ".join(missing)))
    if not isinstance(getattr(learner, "learning_schedule", None), LearningSchedule):
        raise TypeError("%s.learning_schedule must be a LearningSchedule (Learner.configure_learning sets it)." % name)
    trainers = learner.trainers()
    if not isinstance(trainers, dict):
        raise TypeError("%s.trainers() must return a dict {name: gluon.Trainer}, not %s."
                        % (name, type(trainers).__name__))
    for key, trainer in trainers.items():
        if not isinstance(trainer, gluon.Trainer):
            raise TypeError("%s.trainers()[%r] must be a gluon.Trainer, not %s."
                            % (name, key, type(trainer).__name__))


def _is_loss(value) -> bool:
    if isinstance(value, mx.nd.NDArray):
        return True
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, mx.nd.NDArray) for v in value):
        return True
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def split_step_result(result, owner: str, hook: str, check: bool) -> Tuple[Any, dict]:
    """``(loss, metrics)`` from what a step returned (``loss`` or ``(loss, metrics)``)."""
    if isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], dict):
        loss, metrics = result
    else:
        loss, metrics = result, {}
    if check:
        if not _is_loss(loss):
            raise TypeError("%s.%s must return a loss (an NDArray, a list of NDArrays or a number) or "
                            "(loss, {name: value}); it returned %s." % (owner, hook, _describe(result)))
        for key, value in metrics.items():
            if not isinstance(key, str) or not (isinstance(value, mx.nd.NDArray) or (
                    isinstance(value, numbers.Real) and not isinstance(value, bool))):
                raise TypeError("%s.%s returned a malformed metric %r: %s (metrics map names to NDArrays "
                                "or numbers)." % (owner, hook, key, _describe(value)))
    return loss, metrics


def _describe(value) -> str:
    if isinstance(value, tuple):
        return "a tuple of %d (%s)" % (len(value), ", ".join(type(v).__name__ for v in value))
    return type(value).__name__


# ---------------------------------------------------------------------- device-side sums
def _mean_scalar(value):
    """A loss or metric as a 1-element NDArray (or a float); lists are per-device parts."""
    if isinstance(value, (list, tuple)):
        first = value[0].context
        total = None
        for part in value:
            part = part.mean().as_in_context(first)
            total = part if total is None else total + part
        return total / len(value)
    if isinstance(value, mx.nd.NDArray):
        return value.mean()
    return float(value)


def _wait_for(value) -> None:
    """Wait until ``value`` (an NDArray or a list of them) is computed."""
    for part in value if isinstance(value, (list, tuple)) else [value]:
        if isinstance(part, mx.nd.NDArray):
            part.wait_to_read()


def _read(values: Dict[str, Any]) -> Dict[str, float]:
    """Every NDArray of ``values`` read back to the host in one transfer."""
    arrays = [(key, value) for key, value in values.items() if isinstance(value, mx.nd.NDArray)]
    out = {key: float(value) for key, value in values.items() if not isinstance(value, mx.nd.NDArray)}
    if arrays:
        ctx = arrays[0][1].context
        numbers_ = mx.nd.concat(*[v.reshape((-1,))[:1].as_in_context(ctx) for _, v in arrays], dim=0).asnumpy()
        out.update({key: float(number) for (key, _), number in zip(arrays, numbers_)})
    return out


#: per-step arrays up to this many elements are kept whole until the epoch ends (their means are
#: then taken by a few grouped operators); larger ones are reduced at once so memory stays flat
_DEFERRED_SIZE = 4096
#: arrays summed by one ``add_n`` at the end of an epoch
_ADD_N_CHUNK = 64


def _sum_of_means(arrays: List[mx.nd.NDArray]) -> mx.nd.NDArray:
    """``Σ mean(a)`` over ``arrays`` as a 1-element array on the first one's context.

    Arrays of one shape and context are summed elementwise by ``add_n`` (one operator per
    ``_ADD_N_CHUNK`` arrays) before a single mean, instead of one reduction and one addition
    per step: at small steps (an RBM's is 1.4 ms) those per-step operators cost about 2 %.
    """
    groups: Dict[Tuple, List[mx.nd.NDArray]] = {}
    for array in arrays:
        groups.setdefault((array.shape, array.dtype, array.context), []).append(array)
    first = arrays[0].context
    total = None
    for group in groups.values():
        for start in range(0, len(group), _ADD_N_CHUNK):
            chunk = group[start:start + _ADD_N_CHUNK]
            summed = chunk[0] if len(chunk) == 1 else mx.nd.add_n(*chunk)
            part = (summed.mean() if summed.size > 1 else summed.reshape((1,))).as_in_context(first)
            total = part if total is None else total + part
    return total


class _Sums:
    """Weighted sums of per-step means, kept on the device and reduced when read.

    ``add(name, value, weight)`` records ``weight · mean(value)``: ``value`` is an NDArray (any
    shape), a list of per-device NDArrays, or a number. Small NDArrays are kept as they are and
    reduced together by :meth:`means` (no operator per step); nothing waits for the device.
    """

    def __init__(self) -> None:
        self.deferred: Dict[str, Dict[float, List[mx.nd.NDArray]]] = {}
        self.sums: Dict[str, Any] = {}
        self.weights: Dict[str, float] = {}

    def add(self, name: str, value, weight: float = 1.0) -> None:
        self.weights[name] = self.weights.get(name, 0.0) + weight
        if isinstance(value, mx.nd.NDArray) and value.size <= _DEFERRED_SIZE:
            self.deferred.setdefault(name, {}).setdefault(weight, []).append(value)
            return
        value = _mean_scalar(value)
        value = value * weight if weight != 1.0 else value
        self.sums[name] = value if name not in self.sums else self.sums[name] + value

    def totals(self) -> Dict[str, Any]:
        """Every name's weighted sum (a 1-element NDArray or a number)."""
        totals = dict(self.sums)
        for name, by_weight in self.deferred.items():
            for weight, arrays in by_weight.items():
                part = _sum_of_means(arrays)
                part = part * weight if weight != 1.0 else part
                totals[name] = part if name not in totals else totals[name] + part
        return totals

    def means(self) -> Dict[str, float]:
        return {name: value / self.weights[name] for name, value in _read(self.totals()).items()}


def _flush_steps(records: List[Tuple[int, Dict[str, Any]]]) -> List[Dict[str, float]]:
    """Per-step records (NDArrays on the device) as host rows, in one transfer."""
    flat = {}
    for i, (_, values) in enumerate(records):
        for name, value in values.items():
            flat["%d\x00%s" % (i, name)] = value
    numbers_ = _read(flat)
    rows = [{"step": float(step)} for step, _ in records]
    for key, number in numbers_.items():
        i, name = key.split("\x00", 1)
        rows[int(i)][name] = number
    return rows


# ---------------------------------------------------------------------- evaluation
def evaluate(learner: Any, batches: Iterable[Sequence[mx.nd.NDArray]]) -> Dict[str, float]:
    """Mean test loss (``test_loss``) and metrics (``test_<name>``) over ``batches``.

    Each batch's loss is per sample (its first axis); a batch's metrics are weighted by its
    number of samples. One host synchronisation for the whole split.
    """
    owner = type(learner).__name__
    sums = _Sums()
    for batch in batches:
        loss, metrics = split_step_result(learner.evaluation_step(batch), owner, "evaluation_step", check=True)
        if isinstance(loss, (list, tuple)):
            loss = mx.nd.concat(*[part.reshape((-1,)).as_in_context(loss[0].context) for part in loss], dim=0)
        rows = float(loss.shape[0]) if isinstance(loss, mx.nd.NDArray) and loss.ndim else 1.0
        sums.add("test_loss", loss, rows)
        for name, value in metrics.items():
            sums.add(name if name.startswith("test_") else "test_" + name, value, rows)
    return sums.means()


def _evaluation_batches(learner, source: Source, last_batch):
    if not callable(getattr(learner, "evaluation_step", None)):
        return None
    batches = source.test_batches()
    if batches is None and isinstance(source, IteratorSource) and last_batch is not None:
        return [last_batch]  # an iterator that cannot enumerate its test split: its last test batch
    return batches


# ---------------------------------------------------------------------- the loop
def fit(
    learner: Any,
    data: Union[Source, IteratableData],
    expected_type: Union[type, Tuple[type, ...]] = IteratableData,
    checkpoint_path: Optional[str] = None,
    checkpoint_every: int = 1,
    resume: bool = False,
    description: Optional[str] = None,
) -> LossHistory:
    """Train ``learner`` on the batches of ``data``.

    Args:
        learner: implements the protocol of this module (usually a ``Learner`` subclass).
        data: a :class:`~accelbrainbase._mxnet.sources.Source`, or an ``IteratableData``
            (wrapped in an ``IteratorSource``) of ``expected_type``.
        expected_type: the class (or tuple) an iterator must be an instance of.
        checkpoint_path: when given, a checkpoint is written there every ``checkpoint_every``
            epochs and after the last one.
        checkpoint_every: epochs between checkpoints (>= 1).
        resume: continue from ``checkpoint_path`` when it exists (parameters, optimiser states,
            learning rate, history, epoch and the learner's checkpoint arrays are restored;
            the remaining epochs are trained, and an iterator built with the same seed yields
            the batches the uninterrupted run would have seen). Without a checkpoint file a
            warning is logged and training starts from scratch.
        description: the progress bar's label (default: the learner's class name).
    Returns:
        the run's :class:`LossHistory` (also ``learner.loss_history``).
    """
    source = as_source(data, expected_type)
    check_learner(learner)
    checkpoint_every = check_int(checkpoint_every, "checkpoint_every", minimum=1)
    if resume and checkpoint_path is None:
        raise ValueError("resume=True needs checkpoint_path.")
    if checkpoint_path is not None:
        checkpoint_path = check_checkpoint_path(checkpoint_path)
    owner = type(learner).__name__
    schedule = learner.learning_schedule
    history = LossHistory()
    state = FitState(source=source, history=history, epochs=source.epochs,
                     steps_per_epoch=source.steps_per_epoch, learning_rate=schedule.learning_rate,
                     checkpoint_path=checkpoint_path)
    learner.stop_training = False
    learner.on_fit_start(state)

    if resume and os.path.exists(checkpoint_path):
        meta = load_checkpoint(checkpoint_path, learner, learner.trainers(), ctx_list(learner.ctx))
        history.load_state(meta["history"])
        learner.restore_checkpoint_arrays(meta["extra_arrays"])
        _warn_about_differences(owner, checkpoint_path, meta, schedule)
        state.learning_rate = float(meta["learning_rate"])
        state.epoch = int(meta["epoch"]) + 1
        state.step = state.epoch * source.steps_per_epoch
        state.resumed = True
        logger.debug("Resumed from %s after epoch %d.", checkpoint_path, state.epoch)
    elif resume:
        logger.warning("%s: resume=True but checkpoint_path %r does not exist yet; training from scratch.",
                       owner, checkpoint_path)
    learner.set_learning_rate(state.learning_rate)

    log_steps = bool(getattr(learner, "log_steps", False))
    remaining = max(source.total_steps - state.step, 0)
    bar = progress_bar(remaining, description or owner)
    sums, step_records, in_epoch, last_batch, first = _Sums(), [], 0, None, True
    try:
        if remaining:
            for batch in source.batches(state.epoch):
                if schedule.anneal_from is not None:
                    rate = schedule.annealed_rate(state.step, source.total_steps)
                    if rate != state.learning_rate or first:
                        state.learning_rate = rate
                        learner.set_learning_rate(rate)
                elif in_epoch == 0 and state.epoch > 0 and state.epoch % schedule.attenuate_epoch == 0 \
                        and schedule.attenuate_rate != 1.0:
                    state.learning_rate *= schedule.attenuate_rate
                    learner.set_learning_rate(state.learning_rate)
                loss, metrics = split_step_result(learner.training_step(batch), owner, "training_step", first)
                first = False
                learner.after_step()
                sums.add("train_loss", loss)
                for name, value in metrics.items():
                    sums.add(name, value)
                if log_steps:
                    step_records.append((state.step, dict({name: _mean_scalar(value) for name, value in metrics.items()},
                                                          loss=_mean_scalar(loss))))
                last_batch = batch
                in_epoch += 1
                state.step += 1
                bar.update(1)
                if in_epoch % QUEUE_BOUND == 0:
                    _wait_for(loss)
                stop = bool(getattr(learner, "stop_training", False))
                if in_epoch == source.steps_per_epoch or state.step >= source.total_steps or stop:
                    _close_epoch(learner, state, sums, step_records, last_batch, bar, checkpoint_every,
                                 final=stop or state.epoch + 1 >= state.epochs)
                    sums, step_records, in_epoch = _Sums(), [], 0
                    stop = bool(getattr(learner, "stop_training", False))  # on_epoch_end may stop it
                    state.stopped_early = stop and state.epoch + 1 < state.epochs
                    if stop or state.epoch + 1 >= state.epochs:
                        break  # ``epoch`` stays the last one trained
                    state.epoch += 1
    except KeyboardInterrupt:
        state.interrupted = True
        if step_records:  # keep the per-step rows of the interrupted epoch
            history.extend_steps(_flush_steps(step_records))
        logger.warning("%s: learning interrupted by the user in epoch %d; the history so far is kept.",
                       owner, state.epoch + 1)
    finally:
        bar.close()
    learner.on_fit_end(state)
    logger.debug("End of learning.")
    return history


def _warn_about_differences(owner: str, path: str, meta: dict, schedule: LearningSchedule) -> None:
    """Say which setting wins when the learner was built differently from the checkpoint's run."""
    for name, stored, current in meta.get("skipped_trainers", []):
        warnings.warn("%s: checkpoint %r holds %s optimiser state for %r but this model uses %s; the model's "
                      "fresh %s state wins (the parameters are restored)." % (owner, path, stored, name, current,
                                                                               current), stacklevel=3)
    stored_rate = meta.get("initial_learning_rate")
    if stored_rate is not None and not math.isclose(stored_rate, schedule.learning_rate, rel_tol=1e-9):
        warnings.warn("%s: checkpoint %r was trained from learning_rate=%g but this model has %g; the "
                      "checkpoint's current rate %g wins." % (owner, path, stored_rate, schedule.learning_rate,
                                                              meta["learning_rate"]), stacklevel=3)


def _close_epoch(learner, state: FitState, sums: _Sums, step_records, last_batch, bar, checkpoint_every: int,
                 final: bool) -> None:
    """Record the epoch's row (one host synchronisation), evaluate, check, checkpoint."""
    owner = type(learner).__name__
    row = sums.means()
    batches = _evaluation_batches(learner, state.source, last_batch)
    evaluated = batches is not None
    row.update(evaluate(learner, batches) if evaluated else {"test_loss": math.nan})
    epoch_metrics = getattr(learner, "epoch_metrics", None)
    if callable(epoch_metrics):
        row.update(_read(epoch_metrics() or {}))
    train_loss, test_loss = row.pop("train_loss"), row.pop("test_loss")
    state.history.append(state.epoch, train_loss, test_loss, **row)
    if step_records:
        state.history.extend_steps(_flush_steps(step_records))
    logger.debug("Epoch %d: train loss %.6g, test loss %.6g %s", state.epoch + 1, train_loss, test_loss,
                 " ".join("%s %.4g" % item for item in row.items()))
    bar.set_postfix(epoch=state.epoch + 1, loss="%.4g" % train_loss, test="%.4g" % test_loss)
    if not math.isfinite(train_loss) or (evaluated and not math.isfinite(test_loss)):
        path = state.checkpoint_path
        raise FloatingPointError(
            "%s diverged in epoch %d: train loss %r, test loss %r. Lower the learning rate or check the data.%s"
            % (owner, state.epoch + 1, train_loss, test_loss,
               " The last good checkpoint is %s." % path if path and os.path.exists(path) else ""))
    if state.checkpoint_path is not None and ((state.epoch + 1) % checkpoint_every == 0 or final):
        save_checkpoint(state.checkpoint_path, learner, learner.trainers(), {
            "epoch": state.epoch, "learning_rate": state.learning_rate, "history": state.history.state(),
            "model": owner, "initial_learning_rate": learner.learning_schedule.learning_rate,
        }, extra_arrays=learner.checkpoint_arrays())
    on_epoch_end = getattr(learner, "on_epoch_end", None)
    if callable(on_epoch_end):
        on_epoch_end(state)
