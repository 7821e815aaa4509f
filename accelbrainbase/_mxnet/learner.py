"""What every trainable block shares: the engine protocol's defaults and the contract's common methods.

A model class inherits ``(Learner, HybridBlock, ObservableData)`` behaviour by listing
``Learner`` first in its bases; the only things it must add are its layers,
``forward_propagation(F, x)`` and (if not a plain Gluon loss) ``compute_loss``.  Models whose
learning is not plain back-propagation override :meth:`training_step`; controllers that update
several parts call :func:`optimise` once per update inside their own ``training_step``.
"""
from __future__ import annotations

import logging
from typing import Dict, Optional, Sequence, Tuple

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon
from mxnet.gluon.utils import split_and_load

from accelbrainbase._mxnet.checks import check_list_of, check_type
from accelbrainbase._mxnet.context import ContextLike, ctx_list, resolve_ctx
from accelbrainbase._mxnet.engine import FitState, LearningSchedule, fit
from accelbrainbase._mxnet.history import LossHistory
from accelbrainbase.computable_loss import ComputableLoss
from accelbrainbase.iteratable_data import IteratableData
from accelbrainbase.regularizatable_data import RegularizatableData

logger = logging.getLogger("accelbrainbase")

#: hybridize() options for blocks whose input shapes are stable between calls
HYBRIDIZE_OPTIONS = {"static_alloc": True, "static_shape": True}


def make_trainer(params, optimizer_name: str, learning_rate: float, wd: Optional[float] = None,
                 kvstore: str = "device", optimizer_params: Optional[dict] = None) -> gluon.Trainer:
    """A ``gluon.Trainer`` over ``params`` (``kvstore`` may be 'local', 'device', 'dist_sync', ...)."""
    options = {"learning_rate": learning_rate}
    if wd is not None:
        options["wd"] = wd
    options.update(optimizer_params or {})
    return gluon.Trainer(params, optimizer_name, options, kvstore=kvstore)


def optimise(trainer, batch_size: int, compute, ignore_stale_grad: bool = False):
    """One optimiser update: ``compute()`` under ``autograd.record()``, backward, then a step of
    ``trainer`` (or of each trainer of a list/tuple: parts with their own optimisers updated from
    one loss).

    Args:
        trainer: the ``gluon.Trainer`` of the part being updated, or a sequence of them.
        batch_size: the gradient is divided by it (``trainer.step(batch_size)``).
        compute: a callable returning the loss (an NDArray or a list of per-device NDArrays),
            or a tuple whose first item is the loss and whose other items are passed back.
        ignore_stale_grad: skip parameters this loss does not reach (instead of Gluon's error).
    Returns:
        what ``compute`` returned (so a step can log its outputs without another pass).
    """
    with autograd.record():
        result = compute()
    loss = result[0] if isinstance(result, tuple) else result
    autograd.backward(list(loss) if isinstance(loss, (list, tuple)) else [loss])
    for each in (trainer if isinstance(trainer, (list, tuple)) else (trainer,)):
        each.step(batch_size, ignore_stale_grad=ignore_stale_grad)
    return result


def check_optimizer_name(optimizer_name) -> Optional[str]:
    """``optimizer_name`` must name an MXNet optimizer (case-insensitive); ``None`` means a
    learner without an optimiser (local learning rules)."""
    if optimizer_name is None:
        return None
    check_type(optimizer_name, str, "optimizer_name")
    known = sorted(mx.optimizer.Optimizer.opt_registry)
    if optimizer_name.lower() not in known:
        raise ValueError("optimizer_name=%r is not an MXNet optimizer; choose one of: %s."
                         % (optimizer_name, ", ".join(known)))
    return optimizer_name


def check_loss(computable_loss, name: str = "computable_loss"):
    """A loss must be a ``ComputableLoss`` or a ``gluon.loss.Loss``."""
    return check_type(computable_loss, (ComputableLoss, gluon.loss.Loss), name)


def check_initializer(initializer, name: str = "initializer"):
    return check_type(initializer, mx.initializer.Initializer, name, allow_none=True)


def check_regularizers(regularizatable_data_list, name: str = "regularizatable_data_list") -> list:
    return check_list_of(regularizatable_data_list, RegularizatableData, name)


def _merge_metrics(parts, ctx) -> dict:
    """Per-device metrics weighted by their rows, on ``ctx``."""
    total = sum(rows for _, rows in parts)
    merged = {}
    for metrics, rows in parts:
        for name, value in metrics.items():
            value = value.as_in_context(ctx) * (rows / total) if isinstance(value, mx.nd.NDArray) else value * rows / total
            merged[name] = value if name not in merged else merged[name] + value
    return merged


def check_prediction_shape(pred, target, loss) -> None:
    """Raise ``ValueError`` when a prediction and its target cannot be compared sample by sample.

    Gluon's losses reshape the target like the prediction, so a decoder that outputs
    ``(B, 4, 14, 14)`` for ``(B, 1, 28, 28)`` images would silently train on scrambled pixels.
    Shapes must be equal up to axes of length 1 (``(B, 1)`` against ``(B,)`` is fine); a sparse
    softmax cross-entropy takes class indices ``(B,)`` or ``(B, 1)`` for ``(B, K)`` scores.
    """
    if not isinstance(pred, mx.nd.NDArray) or not isinstance(target, mx.nd.NDArray):
        return
    p_shape, t_shape = tuple(pred.shape), tuple(target.shape)
    if isinstance(loss, gluon.loss.SoftmaxCrossEntropyLoss) and loss._sparse_label:
        ok = t_shape[:1] == p_shape[:1] and int(np.prod(t_shape)) == p_shape[0] * int(np.prod(p_shape[1:-1]))
    else:
        ok = t_shape[:1] == p_shape[:1] and tuple(d for d in p_shape if d != 1) == tuple(d for d in t_shape if d != 1)
    if not ok:
        raise ValueError("The model's output has shape %s but its target has shape %s; %s compares them sample "
                         "by sample, so they must match (check the last layer's units/channels, or the "
                         "iterator's labels)." % (p_shape, t_shape, type(loss).__name__))


#: losses whose targets are compared element by element with the prediction
_ELEMENTWISE_LOSSES = (gluon.loss.L2Loss, gluon.loss.L1Loss, gluon.loss.SigmoidBinaryCrossEntropyLoss,
                       gluon.loss.SoftmaxCrossEntropyLoss, gluon.loss.KLDivLoss, gluon.loss.HuberLoss,
                       gluon.loss.HingeLoss, gluon.loss.SquaredHingeLoss, gluon.loss.LogisticLoss)


def _stateless_loss(loss) -> bool:
    """Gluon's own losses and our L2NormLoss keep no Python state between calls, so they can
    run as a cached graph (losses such as EBDiscriminatorLoss change Python state per call)."""
    from accelbrainbase.computableloss._mxnet.l2_norm_loss import L2NormLoss

    return isinstance(loss, gluon.loss.Loss) and (
        type(loss).__module__ == gluon.loss.__name__ or type(loss) is L2NormLoss)


class Learner:
    """Mixin giving a HybridBlock the engine protocol (with back-propagation defaults) and the
    contract's shared methods. See :mod:`accelbrainbase._mxnet.engine` for the protocol."""

    _init_deferred_flag = False
    _history: Optional[LossHistory] = None
    regularizatable_data_list: Sequence = ()
    #: the current run (set by ``on_fit_start``); ``None`` before the first ``learn``
    fit_state: Optional[FitState] = None
    #: set True inside a step to end the run after it (an episode ended)
    stop_training = False
    #: record every step's loss and metrics in ``loss_history.step_rows``
    log_steps = False

    #: attributes that may hold blocks but must not become Gluon children
    _UNREGISTERED = frozenset({"computable_loss"})

    def __setattr__(self, name, value):
        if name in self._UNREGISTERED:
            object.__setattr__(self, name, value)  # runs the property setter, skips registration
        else:
            super().__setattr__(name, value)

    # ------------------------------------------------------------------ configuration
    @property
    def init_deferred_flag(self) -> bool:
        """When True the constructor skips initialization, trainer and hybridization
        (composites set it on their parts before building them)."""
        return self._init_deferred_flag

    @init_deferred_flag.setter
    def init_deferred_flag(self, value: bool) -> None:
        self._init_deferred_flag = value

    def configure_learning(self, learning_rate: float, learning_attenuate_rate: float, attenuate_epoch: int,
                           optimizer_name: Optional[str], ctx: ContextLike,
                           regularizatable_data_list: Sequence[RegularizatableData], kwargs: dict) -> None:
        """Check and store what the engine needs; resolve ``ctx`` once.

        Args:
            learning_rate: initial rate (> 0).
            learning_attenuate_rate: factor applied every ``attenuate_epoch`` epochs (> 0).
            attenuate_epoch: decay period in epochs (>= 1).
            optimizer_name: an MXNet optimizer name ("SGD", "adam", ...), or ``None`` when the
                learner updates its weights itself.
            ctx: an ``mx.Context``, a list of them, or the contract default.
            regularizatable_data_list: ``RegularizatableData`` run after every step.
            kwargs: the constructor's extra keywords; ``kvstore`` and ``optimizer_params`` are
                read from it.
        """
        self.learning_schedule = LearningSchedule.checked(learning_rate, learning_attenuate_rate, attenuate_epoch)
        self._optimizer_name = check_optimizer_name(optimizer_name)
        self._ctx = resolve_ctx(ctx)
        self._kvstore = kwargs.get("kvstore", "device")
        self._optimizer_params = kwargs.get("optimizer_params")
        # copy: the contract's default list is shared between calls and must never be mutated
        self.regularizatable_data_list = list(regularizatable_data_list)

    def build_trainer(self, params: gluon.ParameterDict, initializer: Optional[mx.init.Initializer] = None,
                      wd: Optional[float] = None,
                      learning_rate: Optional[float] = None) -> gluon.Trainer:
        """Initialize ``params`` on every context (forced) and return a ``gluon.Trainer`` over them.

        Args:
            params: a ``ParameterDict`` (usually ``self.collect_params()``).
            initializer: default: the ``initializer`` property.
            wd: weight decay for the optimiser.
            learning_rate: default: the schedule's initial rate.
        """
        params.initialize(init=initializer or self.initializer, ctx=ctx_list(self._ctx), force_reinit=True)
        rate = self.learning_schedule.learning_rate if learning_rate is None else learning_rate
        return make_trainer(params, self._optimizer_name, rate, wd=wd, kvstore=self._kvstore,
                            optimizer_params=self._optimizer_params)

    @property
    def computable_loss(self):
        """The loss (a ``gluon.loss.Loss`` or ``ComputableLoss``)."""
        return self.__dict__.get("_computable_loss")

    @computable_loss.setter
    def computable_loss(self, value) -> None:
        check_loss(value)
        # kept out of Gluon's child registry: a loss has no parameters, and registering it
        # would shift the structural parameter names ("0.weight", ...) of saved files
        self.__dict__["_computable_loss"] = value
        if _stateless_loss(value):
            value.hybridize()  # one cached graph instead of several small operators per step

    @property
    def initializer(self):
        """The parameter initializer (an ``mx.initializer.Initializer``)."""
        return self.__dict__.get("_initializer")

    @initializer.setter
    def initializer(self, value) -> None:
        self._initializer = check_type(value, mx.initializer.Initializer, "initializer")

    @property
    def ctx(self):
        """The resolved context (or list of contexts) this model lives on."""
        return self._ctx

    @property
    def epoch(self) -> int:
        """The epoch being trained (0-based; read-only, set by the engine)."""
        return self.fit_state.epoch if self.fit_state is not None else 0

    @property
    def iter_n(self) -> int:
        """Training steps taken in the current (or last) run (read-only)."""
        return self.fit_state.step if self.fit_state is not None else 0

    @property
    def interrupted(self) -> bool:
        """True when the last run was stopped by ``KeyboardInterrupt`` (``learn`` still returns)."""
        return self.fit_state is not None and self.fit_state.interrupted

    # ------------------------------------------------------------------ engine hooks
    def on_fit_start(self, state: FitState) -> None:
        """Called by the engine before the first step; keeps ``state`` (history, epoch, ...)."""
        self.fit_state = state
        self._history = state.history

    def on_epoch_end(self, state: FitState) -> None:
        """Called by the engine after each epoch's history row (and checkpoint) is written; set
        ``stop_training`` here to end the run early (nothing by default)."""

    def on_fit_end(self, state: FitState) -> None:
        """Called by the engine after the last step (also after an interruption)."""

    def trainers(self) -> Dict[str, gluon.Trainer]:
        """The optimisers the engine re-rates and checkpoints, by name."""
        trainer = getattr(self, "trainer", None)
        return {"trainer": trainer} if trainer is not None else {}

    def set_learning_rate(self, learning_rate: float) -> None:
        """Set the current rate of every optimiser (the engine calls it for each decay)."""
        for trainer in self.trainers().values():
            trainer.set_learning_rate(learning_rate)

    def checkpoint_arrays(self) -> Dict[str, mx.nd.NDArray]:
        """Non-parameter state a checkpoint must keep (none by default)."""
        return {}

    def restore_checkpoint_arrays(self, arrays: Dict[str, mx.nd.NDArray]) -> None:
        """Take back what ``checkpoint_arrays`` returned when a checkpoint is resumed."""

    def batch_loss(self, x: mx.nd.NDArray, y: mx.nd.NDArray) -> Tuple[mx.nd.NDArray, mx.nd.NDArray]:
        """``(prediction, per-sample loss)`` for inputs ``x`` and targets ``y``.

        The default training and evaluation steps (and the multi-device split) call this;
        override it when a model's loss needs a different forward pass.
        """
        pred = self.inference(x)
        return pred, self.compute_loss(pred, y)

    def batch_metrics(self, pred, target) -> Dict[str, mx.nd.NDArray]:
        """Extra per-batch numbers (e.g. accuracy) for the history, computed on the device from a
        prediction and its target; none by default. Training values are averaged over the
        epoch's steps; test values over the test split (as ``test_<name>``)."""
        return {}

    def training_step(self, batch: Sequence[mx.nd.NDArray]) -> Tuple[mx.nd.NDArray, dict]:
        """One back-propagation step on ``batch = (x, y, test_x, test_y, ...)``.

        Returns ``(per-sample loss, metrics)``; with a list of contexts the batch is split over
        them and the loss is a list of per-device parts.
        """
        x, y = batch[0], batch[1]
        contexts = ctx_list(self._ctx)
        if len(contexts) > 1:
            xs = split_and_load(x, contexts, even_split=False)
            ys = split_and_load(y, contexts, even_split=False)

            def compute():
                outputs = [self.batch_loss(a, b) for a, b in zip(xs, ys)]
                return [loss for _, loss in outputs], [pred for pred, _ in outputs]

            losses, preds = optimise(self.trainer, x.shape[0], compute)
            return losses, _merge_metrics([(self.batch_metrics(p, b), b.shape[0]) for p, b in zip(preds, ys)],
                                          contexts[0])
        loss, pred = optimise(self.trainer, x.shape[0], lambda: self.batch_loss(x, y)[::-1])
        return loss, self.batch_metrics(pred, y)

    def evaluation_step(self, batch: Sequence[mx.nd.NDArray]) -> Tuple[mx.nd.NDArray, dict]:
        """Predict-mode ``(per-sample loss, metrics)`` on ``(test_x, test_y) = batch[2], batch[3]``."""
        test_x, test_y = batch[2], batch[3]
        pred, loss = self.batch_loss(test_x, test_y)
        return loss, self.batch_metrics(pred, test_y)

    def epoch_metrics(self) -> Dict[str, float]:
        """Model-level numbers recorded at the end of every epoch (none by default)."""
        return {}

    def after_step(self) -> None:
        """Run after every training step: the regularizers by default."""
        self.regularize()

    # ------------------------------------------------------------------ contract methods
    def learn(self, iteratable_data: IteratableData, checkpoint_path: Optional[str] = None, checkpoint_every: int = 1,
              resume: bool = False) -> None:
        """Learn from ``iteratable_data`` (an ``IteratableData``).

        Args:
            iteratable_data: yields ``(x, y, test_x, test_y)`` tuples.
            checkpoint_path: optional file for atomic per-epoch checkpoints.
            checkpoint_every: epochs between checkpoints.
            resume: continue from ``checkpoint_path`` if it exists.
        """
        fit(self, iteratable_data, expected_type=self.expected_iterator_type,
            checkpoint_path=checkpoint_path, checkpoint_every=checkpoint_every, resume=resume)

    #: the class ``learn`` requires of its iterator (controllers narrow it)
    expected_iterator_type = IteratableData

    def compute_loss(self, pred_arr: mx.nd.NDArray, labeled_arr: mx.nd.NDArray) -> mx.nd.NDArray:
        """Per-sample loss of ``pred_arr`` against ``labeled_arr`` (their shapes are checked)."""
        loss = self.computable_loss
        if isinstance(loss, _ELEMENTWISE_LOSSES) or type(loss).__name__ == "L2NormLoss":
            check_prediction_shape(pred_arr, labeled_arr, loss)
        if isinstance(loss, gluon.loss.Loss):
            return loss(pred_arr, labeled_arr)
        return loss.compute(pred_arr, labeled_arr)

    def inference(self, observed_arr: mx.nd.NDArray) -> mx.nd.NDArray:
        """The model's output for ``observed_arr`` (an NDArray on the model's context)."""
        self._last_observed = observed_arr
        self.__dict__["_feature_points_arr"] = None  # a hybridized pass does not re-run Python
        try:
            return self(observed_arr)
        except mx.base.MXNetError as error:
            shape = getattr(observed_arr, "shape", None)
            reason = str(error).strip().splitlines()[0][:300]
            raise ValueError("observed_arr of shape %s does not fit this %s (MXNet: %s)."
                             % (shape, type(self).__name__, reason)) from None

    # ------------------------------------------------------------------ feature points
    @property
    def feature_points_arr(self):
        """The features of the last input (e.g. an encoder's output), as an NDArray.

        Inside a hybridized graph the forward pass can only store a Symbol; then the features
        are recomputed here, imperatively, from the last input given to ``inference``.
        """
        stored = self.__dict__.get("_feature_points_arr")
        if isinstance(stored, mx.sym.Symbol) or stored is None:
            observed = self.__dict__.get("_last_observed")
            if observed is not None and hasattr(self, "compute_feature_points"):
                stored = self.compute_feature_points(observed)
                self.__dict__["_feature_points_arr"] = stored
        return stored

    @feature_points_arr.setter
    def feature_points_arr(self, value) -> None:
        self.__dict__["_feature_points_arr"] = value

    def extract_feature_points(self) -> Optional[mx.nd.NDArray]:
        """Same as ``feature_points_arr``."""
        return self.feature_points_arr

    def hybrid_forward(self, F, x):
        return self.forward_propagation(F, x)

    def extract_learned_dict(self) -> dict:
        """``{parameter name: NDArray}`` for every learned parameter."""
        return {name: param.data() for name, param in self.collect_params().items()}

    def regularize(self) -> None:
        """Pass the learned parameters through each regularizer; write back what changed."""
        if not self.regularizatable_data_list:
            return
        params_dict = self.extract_learned_dict()
        before = dict(params_dict)
        for regularizer in self.regularizatable_data_list:
            params_dict = regularizer.regularize(params_dict)
        params = self.collect_params()
        for name, value in params_dict.items():
            if value is not before.get(name):
                params[name].set_data(value)

    @property
    def loss_history(self) -> LossHistory:
        """Per-epoch losses and metrics (``.to_frame()`` for pandas, ``.plot()`` for a figure)."""
        if self._history is None:
            self._history = LossHistory()
        return self._history

    @property
    def loss_arr(self) -> np.ndarray:
        """``(n_epochs, 2)`` array of (train loss, test loss); empty before learning."""
        return self.loss_history.arr

    @loss_arr.setter
    def loss_arr(self, value) -> None:
        raise TypeError("loss_arr is read-only.")

    # ------------------------------------------------------------------ serving
    def export(self, path: str, epoch: int = 0, input_names: Sequence[str] = ("data",)):
        """Write ``<path>-symbol.json`` and ``<path>-<epoch>.params`` for
        ``gluon.SymbolBlock.imports(path + '-symbol.json', ['data'], path + '-0000.params')``.

        Returns the two file names.
        """
        from accelbrainbase._mxnet.export import export_block

        return export_block(self, path, epoch=epoch, input_names=input_names)
