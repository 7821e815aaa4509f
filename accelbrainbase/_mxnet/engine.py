"""The one training loop.

Every model and controller learns through :func:`fit`.  A learner (see
:class:`accelbrainbase._mxnet.learner.Learner`) supplies only what is particular to it:

``training_step(batch) -> loss``
    one optimisation step on a yielded tuple; returns the batch loss (NDArray, any shape).
``evaluation_step(batch) -> loss``
    the test loss on the same tuple (outside ``autograd.record``, so dropout is off).
``evaluation_metrics(batch) -> dict``
    extra per-epoch numbers for the history (accuracy, free energy, ...) as floats or
    1-element NDArrays; optional.
``after_step()``
    run after each optimiser step (regularizers, weight tying); optional.
``trainers() -> {name: gluon.Trainer}``
    the optimisers to re-rate, checkpoint and restore.
``checkpoint_arrays() -> {name: NDArray}`` / ``restore_checkpoint_arrays(arrays)``
    learner state that is not a parameter but must survive a resume; optional.

``fit`` does the rest: epochs and iteration, learning-rate decay, per-epoch train/test loss
(one host synchronisation per epoch), the loss history, a progress bar, NaN/inf detection,
atomic checkpoints and resuming, and a clean stop on ``KeyboardInterrupt``.
"""
from __future__ import annotations

import logging
import math
import os
from typing import Optional

from accelbrainbase._mxnet.checkpoint import load_checkpoint, save_checkpoint
from accelbrainbase._mxnet.checks import check_int, check_type
from accelbrainbase._mxnet.context import ctx_list
from accelbrainbase._mxnet.history import LossHistory
from accelbrainbase._mxnet.progress import progress_bar
from accelbrainbase.iteratable_data import IteratableData

logger = logging.getLogger("accelbrainbase")

#: wait for the device every this many steps so the asynchronous queue stays bounded
QUEUE_BOUND = 64


def iterations_per_epoch(iteratable_data) -> int:
    """How many yielded batches make one epoch: ``int(iter_n / epochs)``."""
    epochs = check_int(getattr(iteratable_data, "epochs", None), "iteratable_data.epochs", minimum=1)
    iter_n = check_int(getattr(iteratable_data, "iter_n", None), "iteratable_data.iter_n", minimum=1)
    per_epoch = int(iter_n / epochs)
    if per_epoch < 1:
        raise ValueError(
            "iteratable_data yields iter_n=%d batches for epochs=%d; it must yield at least one "
            "batch per epoch." % (iter_n, epochs)
        )
    return per_epoch


def _mean_scalar(loss):
    """Mean of a loss NDArray (or list of per-device NDArrays) as a 1-element NDArray."""
    if isinstance(loss, (list, tuple)):
        first = loss[0]
        parts = [part.mean().as_in_context(first.context) for part in loss]
        total = parts[0]
        for part in parts[1:]:
            total = total + part
        return total / len(parts)
    return loss.mean()


def _as_float(value) -> float:
    """A metric as a Python float (NDArrays are read back here, at the epoch boundary)."""
    return float(value.asscalar()) if hasattr(value, "asscalar") else float(value)


def fit(
    learner,
    iteratable_data,
    expected_type=IteratableData,
    checkpoint_path: Optional[str] = None,
    checkpoint_every: int = 1,
    resume: bool = False,
    description: Optional[str] = None,
) -> LossHistory:
    """Train ``learner`` on the batches of ``iteratable_data``.

    Args:
        learner: a :class:`~accelbrainbase._mxnet.learner.Learner`.
        iteratable_data: yields the tuples ``learner.training_step`` understands; must expose
            integer ``epochs`` and ``iter_n``.
        expected_type: the class (or tuple) ``iteratable_data`` must be an instance of.
        checkpoint_path: when given, a checkpoint is written there every ``checkpoint_every``
            epochs and after the last one.
        resume: continue from ``checkpoint_path`` when it exists (parameters, optimiser state,
            learning rate, history and epoch are restored; remaining epochs are trained).
    Returns:
        the learner's :class:`LossHistory` (also kept as ``learner.loss_history``).
    """
    check_type(iteratable_data, expected_type, "iteratable_data")
    per_epoch = iterations_per_epoch(iteratable_data)
    epochs = int(iteratable_data.epochs)
    checkpoint_every = check_int(checkpoint_every, "checkpoint_every", minimum=1)
    if resume and checkpoint_path is None:
        raise ValueError("resume=True needs checkpoint_path.")

    history = LossHistory()
    learner._history = history
    learning_rate = float(learner._learning_rate)
    start_epoch = 0
    if resume and os.path.exists(checkpoint_path):
        meta = load_checkpoint(checkpoint_path, learner, learner.trainers(), ctx_list(learner._ctx))
        history.load_state(meta["history"])
        learner.restore_checkpoint_arrays(meta["extra_arrays"])
        learning_rate = float(meta["learning_rate"])
        start_epoch = int(meta["epoch"]) + 1
        logger.debug("Resumed from %s after epoch %d.", checkpoint_path, start_epoch - 1)
    learner._set_learning_rate(learning_rate)

    decay_rate = float(learner._learning_attenuate_rate)
    decay_every = max(int(learner._attenuate_epoch), 1)
    total_steps = max(epochs - start_epoch, 0) * per_epoch
    bar = progress_bar(total_steps, description or type(learner).__name__)

    epoch, in_epoch, step, loss_sum = start_epoch, 0, 0, None
    learner.epoch = epoch
    try:
        if total_steps == 0:
            return history
        for batch in iteratable_data.generate_learned_samples():
            if in_epoch == 0:
                learner.epoch = epoch
                if epoch > 0 and epoch % decay_every == 0 and decay_rate != 1.0:
                    learning_rate *= decay_rate
                    learner._set_learning_rate(learning_rate)
            loss = learner.training_step(batch)
            learner.after_step()
            batch_mean = _mean_scalar(loss)
            loss_sum = batch_mean if loss_sum is None else loss_sum + batch_mean
            in_epoch += 1
            step += 1
            learner.iter_n = step
            bar.update(1)
            if in_epoch % QUEUE_BOUND == 0:
                batch_mean.wait_to_read()
            if in_epoch == per_epoch:
                train_loss = float((loss_sum / in_epoch).asscalar())
                test_loss = float(_mean_scalar(learner.evaluation_step(batch)).asscalar())
                metrics = {name: _as_float(value) for name, value in (learner.evaluation_metrics(batch) or {}).items()}
                history.append(epoch, train_loss, test_loss, **metrics)
                logger.debug("Epoch %d: train loss %.6g, test loss %.6g %s", epoch + 1, train_loss, test_loss,
                             " ".join("%s %.4g" % item for item in metrics.items()))
                bar.set_postfix(epoch=epoch + 1, loss="%.4g" % train_loss, test="%.4g" % test_loss)
                if not (math.isfinite(train_loss) and math.isfinite(test_loss)):
                    raise FloatingPointError(
                        "%s diverged in epoch %d: train loss %r, test loss %r. Lower the learning rate or "
                        "check the data.%s" % (
                            type(learner).__name__, epoch + 1, train_loss, test_loss,
                            " The last good checkpoint is %s." % checkpoint_path
                            if checkpoint_path and os.path.exists(checkpoint_path) else "",
                        )
                    )
                last = epoch == epochs - 1
                if checkpoint_path is not None and ((epoch + 1) % checkpoint_every == 0 or last):
                    save_checkpoint(checkpoint_path, learner, learner.trainers(), {
                        "epoch": epoch, "learning_rate": learning_rate, "history": history.state(),
                        "model": type(learner).__name__,
                    }, extra_arrays=learner.checkpoint_arrays())
                epoch += 1
                in_epoch, loss_sum = 0, None
                if epoch >= epochs:
                    break
    except KeyboardInterrupt:
        logger.debug("Interrupted by the user after epoch %d; the history so far is kept.", epoch)
    finally:
        bar.close()
    logger.debug("End of learning.")
    return history
