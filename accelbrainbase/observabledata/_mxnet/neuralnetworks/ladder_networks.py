"""Dense ladder networks for semi-supervised classification (Rasmus et al., 2015)."""
from __future__ import annotations

import numbers
from typing import Optional, Sequence, Tuple, Union

import mxnet as mx
from mxnet import gluon
from mxnet.gluon.block import HybridBlock

from accelbrainbase._mxnet.activations import apply_activation, check_activations
from accelbrainbase._mxnet.checks import check_int, check_number, check_type
from accelbrainbase._mxnet.context import DEFAULT_CTX
from accelbrainbase._mxnet.types import GraphModule, Tensor
from accelbrainbase._mxnet.learner import HYBRIDIZE_OPTIONS, Learner, check_initializer, check_regularizers
from accelbrainbase.observable_data import ObservableData
from accelbrainbase.observabledata._mxnet._training_graph import GraphLossMixin

_BN_EPSILON = 1e-5


class _CombinatorInit(mx.init.Initializer):
    """The vanilla combinator's start: ``a2 = a7 = 1``, every other coefficient 0 (so ẑ = u·0 + z̃·... )."""

    def _init_weight(self, name, arr):
        arr[:] = 0.0
        arr[1] = 1.0
        arr[6] = 1.0


class _Combinator(HybridBlock):
    """``g(z̃, u)`` of the ladder's decoder: ``ẑ = (z̃ - μ(u)) v(u) + μ(u)`` with
    ``μ = a1 σ(a2 u + a3) + a4 u + a5`` and ``v = a6 σ(a7 u + a8) + a9 u + a10`` per unit."""

    def __init__(self, size: int, **kwargs) -> None:
        super().__init__(**kwargs)
        with self.name_scope():
            self.a = self.params.get("a", shape=(10, size), init=_CombinatorInit())

    def hybrid_forward(self, F, z_noisy, u, a):
        # the ten coefficient rows are broadcast to the batch once, (B, 10, size), and the rest is
        # element-wise: one reduction over the batch in the backward pass instead of one per
        # coefficient (same values and gradients)
        rows = F.broadcast_like(F.expand_dims(a, axis=0), F.expand_dims(u, axis=1), lhs_axes=(0,), rhs_axes=(0,))
        c = F.split(rows, num_outputs=10, axis=1, squeeze_axis=True)
        mu = F.sigmoid(u * c[1] + c[2]) * c[0] + u * c[3] + c[4]
        v = F.sigmoid(u * c[6] + c[7]) * c[5] + u * c[8] + c[9]
        return (z_noisy - mu) * v + mu


class _ShiftScale(HybridBlock):
    """``gamma * (z + beta)``: the learned shift and scale after batch normalisation."""

    def __init__(self, size: int, **kwargs) -> None:
        super().__init__(**kwargs)
        with self.name_scope():
            self.beta = self.params.get("beta", shape=(1, size), init=mx.init.Zero())
            self.gamma = self.params.get("gamma", shape=(1, size), init=mx.init.One())

    def hybrid_forward(self, F, z, beta, gamma):
        return F.broadcast_mul(F.broadcast_add(z, beta), gamma)


def _batch_normalize(F, z):
    """``(z - mean) / sqrt(var + eps)`` with the statistics of this batch; also returns them."""
    mean = F.mean(z, axis=0, keepdims=True)
    centred = F.broadcast_sub(z, mean)
    std = F.sqrt(F.mean(F.square(centred), axis=0, keepdims=True) + _BN_EPSILON)
    return F.broadcast_div(centred, std), mean, std


def _as_layer_list(value, n: int, name: str) -> list:
    """A number repeated ``n`` times, or a list of ``n`` non-negative numbers."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return [check_number(value, name, minimum=0.0)] * n
    check_type(value, (list, tuple), name)
    if len(value) != n:
        raise ValueError("%s has %d entries but the ladder has %d layers (the input plus units_list), so it "
                         "needs %d." % (name, len(value), n, n))
    return [check_number(v, "%s[%d]" % (name, i), minimum=0.0) for i, v in enumerate(value)]


class LadderNetworks(GraphLossMixin, Learner, HybridBlock, ObservableData):
    """A ladder network (Rasmus, Valpola, Honkala, Berglund and Raiko, 2015) for classification
    from a few labels and many unlabelled samples.

    The encoder runs twice on each batch (labelled and unlabelled rows together): a clean path
    and a corrupted path, which adds Gaussian noise (``noise_std_list[l]``) to the input and to
    every batch-normalised pre-activation. The decoder goes top-down from the corrupted output's
    class probabilities (batch-normalised softmax, ``u_L = BN(softmax(h̃_L))``); at each layer a
    combinator merges the top-down signal with the lateral (corrupted) one into
    a denoised estimate ``ẑ_l`` of the clean ``z_l``. The loss is

    * the cross-entropy of the corrupted output on the labelled rows, plus
    * ``Σ_l denoising_cost_list[l] · mean_rows(‖ẑ_l,BN − z_l‖²) / width_l`` over every layer
      (``ẑ`` normalised with the clean batch's statistics) on all rows.

    Prediction is the clean path (running batch-norm statistics), so ``inference`` returns the
    class logits ``(B, n_classes)``.

    Args:
        input_dim: feature width ``D`` of the inputs.
        units_list: widths of the layers; the last is the number of classes.
        activation_list: activation per layer (default ``relu`` for hidden layers, ``identity``
            for the output, whose logits feed a softmax cross-entropy).
        noise_std_list: the corruption's standard deviation, one number for every layer or a
            list with one entry per layer *including the input* (``len(units_list) + 1``).
        denoising_cost_list: the weight of each layer's reconstruction cost, one per layer
            including the input (``len(units_list) + 1``); e.g. ``[1000, 10, 0.1, 0.1]``. The
            decoder is built from the top down to the lowest layer whose cost is not 0 (below it,
            ``decoder_list`` and ``combinator_list`` hold ``None``); with every cost 0 the model is
            the plain MLP with no decoder at all.
        learning_rate, learning_attenuate_rate, attenuate_epoch, optimizer_name, ctx,
        hybridize_flag, regularizatable_data_list, initializer: as in ``NeuralNetworks``.

    ``learn`` needs an iterator yielding ``(x, y, test_x, test_y, unlabeled_x)``, e.g.
    ``iteratabledata._mxnet.semi_supervised_iterator.SemiSupervisedIterator``. The history has
    ``supervised`` and ``denoising`` columns and the labelled batches' ``acc``; ``test_loss`` and
    ``test_acc`` are the clean path's cross-entropy and accuracy on the test split.
    """

    GRAPH_METRIC_NAMES = ("supervised", "denoising", "acc")

    def __init__(self, input_dim: int, units_list: Sequence[int] = (100, 10),
                 activation_list: Optional[Sequence[str]] = None,
                 noise_std_list: Union[float, Sequence[float]] = 0.3,
                 denoising_cost_list: Union[float, Sequence[float]] = (1000.0, 10.0, 0.1),
                 initializer: Optional[mx.init.Initializer] = None, learning_rate: float = 2e-3,
                 learning_attenuate_rate: float = 1.0, attenuate_epoch: int = 50, optimizer_name: str = "adam",
                 ctx=DEFAULT_CTX, hybridize_flag: bool = True, regularizatable_data_list: Sequence = (),
                 **kwargs):
        input_dim = check_int(input_dim, "input_dim", minimum=1)
        check_type(units_list, (list, tuple), "units_list")
        if not units_list:
            raise ValueError("units_list needs at least one layer (the class layer).")
        units = [check_int(u, "units_list[%d]" % i, minimum=1) for i, u in enumerate(units_list)]
        if activation_list is None:
            activation_list = ["relu"] * (len(units) - 1) + ["identity"]
        check_type(activation_list, (list, tuple), "activation_list")
        if len(activation_list) != len(units):
            raise ValueError("activation_list has %d entries but units_list has %d layers."
                             % (len(activation_list), len(units)))
        check_activations(activation_list, "activation_list", allow_softmax=False)
        sizes = [input_dim] + units
        noise_std_list = _as_layer_list(noise_std_list, len(sizes), "noise_std_list")
        denoising_cost_list = _as_layer_list(denoising_cost_list, len(sizes), "denoising_cost_list")
        check_initializer(initializer)
        regularizers = check_regularizers(regularizatable_data_list)
        super().__init__()
        self.configure_learning(learning_rate, learning_attenuate_rate, attenuate_epoch, optimizer_name, ctx,
                                regularizers, kwargs)
        self.initializer = initializer or mx.initializer.Xavier(rnd_type="gaussian", factor_type="in", magnitude=2)
        self.input_dim = input_dim
        self.noise_std_list = noise_std_list
        self.denoising_cost_list = denoising_cost_list
        costed = [l for l, cost in enumerate(denoising_cost_list) if cost != 0]
        #: the lowest layer the decoder reaches (None: no denoising cost, no decoder)
        self.lowest_denoised: Optional[int] = min(costed) if costed else None
        self.sizes = sizes
        self.activation_list = list(activation_list)
        self.hybridize_flag = hybridize_flag
        with self.name_scope():
            self.encoder_list, self.batch_norm_list, self.shift_list = [], [], []
            for size_in, size in zip(sizes[:-1], sizes[1:]):
                for group, block in ((self.encoder_list, gluon.nn.Dense(size, use_bias=False, in_units=size_in)),
                                     (self.batch_norm_list, gluon.nn.BatchNorm(center=False, scale=False,
                                                                               in_channels=size,
                                                                               epsilon=_BN_EPSILON)),
                                     (self.shift_list, _ShiftScale(size))):
                    self.register_child(block)
                    group.append(block)
            # the decoder runs from the top down to the lowest layer with a denoising cost; the
            # layers below it get no decoder and no combinator (None), so with every cost zero the
            # model is its MLP twin and costs what an MLP costs
            self.decoder_list, self.combinator_list = [None] * (len(sizes) - 1), [None] * len(sizes)
            for l, (size_in, size) in enumerate(zip(sizes[1:], sizes[:-1])):
                if self.lowest_denoised is not None and l >= self.lowest_denoised:
                    self.decoder_list[l] = gluon.nn.Dense(size, use_bias=False, in_units=size_in)
                    self.register_child(self.decoder_list[l])
            for l, size in enumerate(sizes):
                if self.lowest_denoised is not None and l >= self.lowest_denoised:
                    self.combinator_list[l] = _Combinator(size)
                    self.register_child(self.combinator_list[l])
        if not self.init_deferred_flag:
            self.trainer = self.build_trainer(self.collect_params(), self.initializer)
            if hybridize_flag:
                self.hybridize(**HYBRIDIZE_OPTIONS)

    # ------------------------------------------------------------------ paths
    def forward_propagation(self, F: GraphModule, x: Tensor) -> Tensor:
        """The clean path: ``x`` (B, D) → class logits (B, n_classes)."""
        h = F.flatten(x)
        for l, dense in enumerate(self.encoder_list):
            z = self.batch_norm_list[l](dense(h))
            h = apply_activation(F, self.shift_list[l](z), self.activation_list[l])
        return h

    def _corrupted(self, F, x):
        noise = self.noise_std_list
        h = x + F.random.normal_like(x, scale=noise[0]) if noise[0] > 0 else x
        z_list = [h]
        for l, dense in enumerate(self.encoder_list):
            z = _batch_normalize(F, dense(h))[0]
            if noise[l + 1] > 0:
                z = z + F.random.normal_like(z, scale=noise[l + 1])
            z_list.append(z)
            h = apply_activation(F, self.shift_list[l](z), self.activation_list[l])
        return h, z_list

    def _clean(self, F, x):
        h = x
        z_list, stats = [x], [None]
        for l, dense in enumerate(self.encoder_list):
            pre = dense(h)
            z = self.batch_norm_list[l](pre)  # batch statistics in training; updates the running ones
            _, mean, std = _batch_normalize(F, pre)
            z_list.append(z)
            stats.append((mean, std))
            h = apply_activation(F, self.shift_list[l](z), self.activation_list[l])
        return h, z_list, stats

    def graph_loss(self, F: GraphModule, x: Tensor, y: Tensor, unlabeled_x: Tensor) -> Tuple[Tensor, ...]:
        """``(loss, supervised, denoising, acc)``, each ``(1,)``: the supervised cross-entropy of the
        corrupted path on the labelled rows ``x`` (B, D) / one-hot ``y`` (B, C) plus the weighted
        denoising costs of every layer over labelled and unlabelled rows ``unlabeled_x`` (B', D);
        ``acc`` is the clean path's accuracy on the labelled rows."""
        both = F.concat(F.flatten(x), F.flatten(unlabeled_x), dim=0)
        noisy_out, noisy_z = self._corrupted(F, both)
        clean_out, clean_z, stats = self._clean(F, both)
        top = len(self.sizes) - 1
        lowest = self.lowest_denoised
        decoded = [] if lowest is None else list(range(top, lowest - 1, -1))
        uncovered = [l for l, cost in enumerate(self.denoising_cost_list) if cost != 0 and l not in decoded]
        if uncovered:  # the list was changed after construction
            raise ValueError("denoising_cost_list[%d] is not 0 but this ladder network was built without a decoder "
                             "for that layer (its cost was 0); build a new LadderNetworks." % uncovered[0])
        denoising = 0.0
        z_hat = None
        for l in decoded:
            # the top decoder layer starts from the corrupted encoder's class probabilities
            # (u_L = BN(softmax(h̃_L)), Rasmus et al. 2015, Algorithm 1), not from its logits
            u = F.softmax(noisy_out, axis=1) if l == top else self.decoder_list[l](z_hat)
            u = _batch_normalize(F, u)[0]
            z_hat = self.combinator_list[l](noisy_z[l], u)
            target = clean_z[l]
            estimate = z_hat if stats[l] is None else F.broadcast_div(F.broadcast_sub(z_hat, stats[l][0]), stats[l][1])
            cost = F.mean(F.sum(F.square(estimate - target), axis=1)) / self.sizes[l]
            denoising = denoising + self.denoising_cost_list[l] * cost
        labeled_logits = F.slice_like(noisy_out, x, axes=(0,))
        supervised = -F.mean(F.sum(F.log_softmax(labeled_logits, axis=1) * y, axis=1))
        if lowest is None:
            denoising = F.zeros_like(supervised)
        loss = F.reshape(supervised + denoising, shape=(1,))
        clean_labeled = F.slice_like(clean_out, x, axes=(0,))
        acc = F.mean(F.argmax(clean_labeled, axis=1) == F.argmax(y, axis=1))
        return loss, F.reshape(supervised, shape=(1,)), F.reshape(denoising, shape=(1,)), F.reshape(acc, shape=(1,))

    def graph_inputs(self, batch: Sequence[mx.nd.NDArray]) -> tuple:
        if len(batch) < 5:
            raise ValueError("LadderNetworks needs (x, y, test_x, test_y, unlabeled_x) tuples (e.g. from "
                             "SemiSupervisedIterator); got %d items." % len(batch))
        if batch[0].shape[1:] != batch[4].shape[1:]:
            raise ValueError("labelled rows have shape %s but unlabelled rows %s; they must match."
                             % (batch[0].shape[1:], batch[4].shape[1:]))
        return batch[0], batch[1], batch[4]

    def evaluation_step(self, batch: Sequence[mx.nd.NDArray]) -> Tuple[mx.nd.NDArray, dict]:
        """Clean-path cross-entropy per test sample and test accuracy."""
        test_x, test_y = batch[2], batch[3]
        logits = self.inference(test_x)
        loss = -(mx.nd.log_softmax(logits, axis=1) * test_y).sum(axis=1)
        return loss, {"acc": (logits.argmax(axis=1) == test_y.argmax(axis=1)).mean()}

    def inference(self, observed_arr: mx.nd.NDArray) -> mx.nd.NDArray:
        """Class logits ``(B, n_classes)`` of the clean path (the decoder is not run)."""
        import warnings

        with warnings.catch_warnings():  # the decoder's parameters are, rightly, unused here
            warnings.filterwarnings("ignore", message=".*is not used by any computation.*")
            return super().inference(observed_arr)

    def compute_loss(self, pred_arr: mx.nd.NDArray, labeled_arr: mx.nd.NDArray) -> mx.nd.NDArray:
        """Softmax cross-entropy of logits ``pred_arr`` against one-hot ``labeled_arr`` per sample."""
        return -(mx.nd.log_softmax(pred_arr, axis=1) * labeled_arr).sum(axis=1)

    def graph_hybridizable(self) -> bool:
        return True
