"""Hebbian networks: linear units ``y = W (x − mean)`` learned by local rules, not back-propagation.

This family is not in the reference. :class:`HebbianNetworks` is plain Hebbian learning with
weight normalisation; its subclasses change only the update (``hebbiannetworks/``):

===================  ==========================================  ===============================
class                update of ``W`` (k, D) on a batch            converges to
===================  ==========================================  ===============================
``HebbianNetworks``  ``W += η yᵀx / B``, then rows → unit norm   the first principal component
                                                                  (every row: Hebb does not
                                                                  decorrelate outputs)
``OjaRule``          ``W += η (yᵀx − (yᵀy) W) / B``              k = 1: the first principal
                                                                  component; k > 1: an
                                                                  orthonormal basis of the first
                                                                  k components' subspace
``SangerRule``       ``W += η (yᵀx − tril(yᵀy) W) / B``          the first k principal
                                                                  components, in order
===================  ==========================================  ===============================

(``x`` is the mean-centred batch ``(B, D)``, ``y = x Wᵀ`` its projections ``(B, k)``.) The
update is a custom ``training_step`` on the shared engine: a handful of batched NDArray
operations on the model's context, no autograd, no per-sample Python loop. The learning rate
``η`` follows the engine's decay (``learning_attenuate_rate`` every ``attenuate_epoch``).

Centring: the model keeps two parameters, ``input_sum`` (D,) and ``input_count`` (1,), and
centres with ``mean = input_sum / max(input_count, 1)``. With ``centering="running"`` (default)
every training batch is added to them first, so the mean is that of every training sample seen
so far (after one pass over the data, the data mean); with ``centering="fixed"`` they stay as
they are — zero, or what :meth:`HebbianNetworks.fit_mean` set. Being parameters of the block,
they are saved, loaded, checkpointed and exported with ``W``.

Loss recorded by the engine: the squared reconstruction error ``‖x − y W‖²`` per sample, which
Oja's and Sanger's rules minimise. Each epoch the history also records
``orthonormality_error = max |W Wᵀ − I|``.
"""
from __future__ import annotations

from typing import Dict, Optional, Union

import mxnet as mx
import numpy as np
from mxnet.gluon.block import HybridBlock

from accelbrainbase._mxnet.checks import check_finite_array, check_int, check_number, check_type
from accelbrainbase._mxnet.context import DEFAULT_CTX, ctx_list, first_ctx
from accelbrainbase._mxnet.learner import HYBRIDIZE_OPTIONS, Learner
from accelbrainbase.observable_data import ObservableData

CENTERINGS = ("running", "fixed")

#: inputs accepted by ``inference``, ``reconstruct`` and ``fit_mean``
Observed = Union[mx.nd.NDArray, np.ndarray]


class HebbianNetworks(Learner, HybridBlock, ObservableData):
    """Plain Hebbian learning with row normalisation: ``k`` linear units over ``D`` inputs.

    Args:
        input_dim: ``D``, the number of input features (int >= 1).
        output_dim: ``k``, the number of output units (``1 <= k <= D``).
        learning_rate: ``η``, the step of the local rule (> 0).
        learning_attenuate_rate: factor applied to ``η`` every ``attenuate_epoch`` epochs.
        attenuate_epoch: epochs between two decays.
        centering: ``"running"`` (mean of all training samples seen so far) or ``"fixed"``
            (the mean is left as it is: zero, or set by :meth:`fit_mean`).
        initializer: initializer of ``W``; default ``Normal(1/sqrt(D))`` (rows of norm ≈ 1).
        ctx: an ``mx.Context`` or list of them (default: a GPU if present, else the CPU).
            Updates are computed on the batch's context and written to every copy.
        hybridize_flag: hybridize the projection ``inference`` uses.

    Raises:
        TypeError / ValueError naming the argument for bad settings, ``output_dim`` larger
        than ``input_dim`` included.
    """

    def __init__(self, input_dim: int, output_dim: int = 1, learning_rate: float = 0.01,
                 learning_attenuate_rate: float = 1.0, attenuate_epoch: int = 50, centering: str = "running",
                 initializer: Optional[mx.initializer.Initializer] = None, ctx: mx.Context = DEFAULT_CTX,
                 hybridize_flag: bool = True) -> None:
        self._input_dim = check_int(input_dim, "input_dim", minimum=1)
        self._output_dim = check_int(output_dim, "output_dim", minimum=1)
        if output_dim > input_dim:
            raise ValueError("output_dim=%d is larger than input_dim=%d: there are only %d principal components."
                             % (output_dim, input_dim, input_dim))
        check_number(learning_rate, "learning_rate", minimum=0.0, strict_minimum=True)
        check_number(learning_attenuate_rate, "learning_attenuate_rate", minimum=0.0, strict_minimum=True)
        check_int(attenuate_epoch, "attenuate_epoch", minimum=1)
        if centering not in CENTERINGS:
            raise ValueError("centering=%r is not one of %s." % (centering, ", ".join(map(repr, CENTERINGS))))
        check_type(initializer, mx.initializer.Initializer, "initializer", allow_none=True)
        check_type(hybridize_flag, bool, "hybridize_flag")
        super().__init__()
        self.configure_learning(float(learning_rate), float(learning_attenuate_rate), attenuate_epoch, None,
                             ctx, [], {})
        self._rate = float(learning_rate)
        self.centering = centering
        with self.name_scope():
            self.weight = self.params.get("weight", shape=(output_dim, input_dim), grad_req="null",
                                          init=initializer or mx.init.Normal(1.0 / np.sqrt(input_dim)))
            self.input_sum = self.params.get("input_sum", shape=(input_dim,), grad_req="null",
                                             init=mx.init.Zero())
            self.input_count = self.params.get("input_count", shape=(1,), grad_req="null", init=mx.init.Zero())
        self.collect_params().initialize(ctx=ctx_list(self._ctx), force_reinit=True)
        self._data_sum = None  # device-side sum of the epoch's training data (finiteness check)
        if hybridize_flag:
            self.hybridize(**HYBRIDIZE_OPTIONS)

    # ------------------------------------------------------------------ properties
    @property
    def input_dim(self) -> int:
        """``D``, the number of input features."""
        return self._input_dim

    @property
    def output_dim(self) -> int:
        """``k``, the number of output units."""
        return self._output_dim

    @property
    def learning_rate(self) -> float:
        """The current ``η`` (after the engine's decays)."""
        return self._rate

    @property
    def components(self) -> mx.nd.NDArray:
        """A copy of ``W``, shape ``(k, D)``: row ``i`` is the weight vector of output ``i``."""
        return self.weight.data(first_ctx(self._ctx)).copy()

    @property
    def mean_arr(self) -> mx.nd.NDArray:
        """The centring mean ``input_sum / max(input_count, 1)``, shape ``(D,)``."""
        return self._mean(mx.nd, *self._centring_arrays(first_ctx(self._ctx)))

    @property
    def seen_count(self) -> int:
        """Training samples absorbed into the running mean (or the ``N`` of :meth:`fit_mean`)."""
        return int(round(float(self.input_count.data(first_ctx(self._ctx)).asscalar())))

    def _centring_arrays(self, ctx):
        return self.input_sum.data(ctx), self.input_count.data(ctx)

    @staticmethod
    def _mean(F, input_sum, input_count):
        """``input_sum / max(input_count, 1)``, (D,)."""
        return F.broadcast_div(input_sum, F.maximum(input_count, 1.0))

    # ------------------------------------------------------------------ input checks
    def _as_input(self, observed_arr: Observed, name: str = "observed_arr") -> mx.nd.NDArray:
        """``observed_arr`` as a finite float32 ``(B, D)`` NDArray; ``ValueError`` naming ``name``."""
        if isinstance(observed_arr, mx.nd.NDArray):
            host = observed_arr.asnumpy()
            ctx = observed_arr.context
        else:
            try:
                host = np.asarray(observed_arr, dtype=np.float32)
            except (TypeError, ValueError) as exc:
                raise ValueError("%s must be an array of numbers (%s)." % (name, exc)) from exc
            ctx = first_ctx(self._ctx)
        self._check_shape(host.shape, name)
        check_finite_array(host, name)
        if isinstance(observed_arr, mx.nd.NDArray):
            return observed_arr.astype("float32", copy=False)
        return mx.nd.array(host, ctx=ctx, dtype="float32")

    def _check_shape(self, shape, name: str) -> None:
        if len(shape) != 2:
            raise ValueError("%s must have rank 2 (batch, input_dim=%d), got shape %s."
                             % (name, self._input_dim, tuple(shape)))
        if shape[1] != self._input_dim:
            raise ValueError("%s has %d features per sample but input_dim=%d."
                             % (name, shape[1], self._input_dim))
        if shape[0] == 0:
            raise ValueError("%s must hold at least one sample." % name)

    # ------------------------------------------------------------------ forward
    def hybrid_forward(self, F, x, weight, input_sum, input_count):
        return self.forward_propagation(F, x, weight, input_sum, input_count)

    def forward_propagation(self, F, x, weight=None, input_sum=None, input_count=None):
        """Projections ``(x − mean) Wᵀ``: ``x`` (B, D) → (B, k)."""
        if weight is None:
            if F is mx.sym:
                weight, input_sum, input_count = (self.weight.var(), self.input_sum.var(),
                                                  self.input_count.var())
            else:
                weight = self.weight.data(x.context)
                input_sum, input_count = self._centring_arrays(x.context)
        centred = F.broadcast_sub(x, F.expand_dims(self._mean(F, input_sum, input_count), axis=0))
        return F.FullyConnected(centred, weight, no_bias=True, num_hidden=self._output_dim)

    def inference(self, observed_arr: Observed) -> mx.nd.NDArray:
        """Projections of ``observed_arr`` (B, D) (NDArray or numpy, finite) onto the ``k`` units: (B, k)."""
        return super().inference(self._as_input(observed_arr))

    def reconstruct(self, observed_arr: Observed) -> mx.nd.NDArray:
        """``mean + y W``: the inputs rebuilt from their projections, (B, D)."""
        x = self._as_input(observed_arr)
        y = self.inference(x)
        mean = self._mean(mx.nd, *self._centring_arrays(x.context))
        return mx.nd.broadcast_add(mx.nd.dot(y, self.weight.data(x.context)), mean.expand_dims(axis=0))

    def fit_mean(self, observed_arr: Observed) -> None:
        """Set the centring mean to the mean of ``observed_arr`` (N, D) (``input_sum``, ``input_count``
        become its column sums and ``N``)."""
        x = self._as_input(observed_arr)
        self.input_sum.set_data(x.sum(axis=0))
        self.input_count.set_data(mx.nd.array([x.shape[0]], ctx=x.context))

    # ------------------------------------------------------------------ the local rule
    def hebbian_update(self, x: mx.nd.NDArray, y: mx.nd.NDArray, weight: mx.nd.NDArray) -> mx.nd.NDArray:
        """The batch-summed change of ``W`` (k, D) for centred ``x`` (B, D), projections ``y``
        (B, k) and ``W`` (k, D); the step adds ``η / B`` times it. Plain Hebb: ``yᵀx``."""
        return mx.nd.dot(y, x, transpose_a=True)

    def constrain(self, weight: mx.nd.NDArray) -> None:
        """Bound ``weight`` (k, D) in place after an update: plain Hebb rescales rows to unit length."""
        norms = mx.nd.norm(weight, axis=1, keepdims=True) + 1e-12
        mx.nd.broadcast_div(weight, norms, out=weight)

    def _copy_to_other_contexts(self, param, ctx) -> None:
        """After an in-place update of ``param``'s copy on ``ctx``, refresh its other copies."""
        for other in param.list_ctx():
            if other != ctx:
                param.data(ctx).copyto(param.data(other))

    def _centre(self, x, update: bool):
        """``x − mean``; with ``update`` (training, running centring) ``x`` is absorbed first:
        ``input_sum += Σ x``, ``input_count += B`` (in place, on the device)."""
        ctx = x.context
        input_sum, input_count = self._centring_arrays(ctx)
        if update and self.centering == "running":
            input_sum += x.sum(axis=0)
            input_count += x.shape[0]
            self._copy_to_other_contexts(self.input_sum, ctx)
            self._copy_to_other_contexts(self.input_count, ctx)
        return mx.nd.broadcast_sub(x, self._mean(mx.nd, input_sum, input_count).expand_dims(axis=0))

    @staticmethod
    def _reconstruction_error(centred, y, weight):
        """``‖x − y W‖²`` per sample, (B,)."""
        return mx.nd.sum(mx.nd.square(centred - mx.nd.dot(y, weight)), axis=1)

    def training_step(self, batch: tuple) -> mx.nd.NDArray:
        """One local-rule update on ``batch[0]`` (B, D); returns the reconstruction error (B,)
        measured before the update."""
        x = batch[0]
        self._check_shape(x.shape, "the training batch of iteratable_data")
        # NaN/inf anywhere makes the sum non-finite; read once per epoch in epoch_metrics
        total = x.sum()
        self._data_sum = total if self._data_sum is None else self._data_sum + total
        centred = self._centre(x, update=True)
        weight = self.weight.data(x.context)
        y = mx.nd.dot(centred, weight, transpose_b=True)
        loss = self._reconstruction_error(centred, y, weight)
        weight += self.hebbian_update(centred, y, weight) * (self._rate / x.shape[0])
        self.constrain(weight)
        self._copy_to_other_contexts(self.weight, x.context)
        return loss

    def evaluation_step(self, batch: tuple) -> mx.nd.NDArray:
        """Reconstruction error (B,) of the test batch ``batch[2]``."""
        x = batch[2]
        self._check_shape(x.shape, "the test batch of iteratable_data")
        centred = self._centre(x, update=False)
        weight = self.weight.data(x.context)
        return self._reconstruction_error(centred, mx.nd.dot(centred, weight, transpose_b=True), weight)

    def epoch_metrics(self) -> Dict[str, float]:
        """``orthonormality_error``; raises ``ValueError`` if a training batch held NaN or inf."""
        if self._data_sum is not None:
            finite = np.isfinite(self._data_sum.asscalar())
            self._data_sum = None
            if not finite:
                raise ValueError("iteratable_data yielded training data with NaN or infinity in epoch %d; the "
                                 "weights are no longer usable. Clean the data." % (self.epoch + 1))
        weight = self.weight.data(first_ctx(self._ctx))
        gram = mx.nd.dot(weight, weight, transpose_b=True)
        eye = mx.nd.eye(self._output_dim, ctx=gram.context)
        return {"orthonormality_error": float(mx.nd.max(mx.nd.abs(gram - eye)).asscalar())}

    # ------------------------------------------------------------------ engine hooks
    def trainers(self) -> dict:
        """No optimiser: the rule writes the weights itself."""
        return {}

    def set_learning_rate(self, learning_rate: float) -> None:
        self._rate = float(learning_rate)

    def after_step(self) -> None:
        """Nothing to regularise."""
