"""A stack of RBMs pre-trained greedily by contrastive divergence, optionally fine-tuned as an
unrolled auto-encoder; it encodes bottom-up and reconstructs top-down through the whole stack."""
from __future__ import annotations

import warnings
from typing import List, Optional

import mxnet as mx

from accelbrainbase._mxnet.checks import check_int, check_number, warn_unknown_kwargs
from accelbrainbase._mxnet.context import DEFAULT_CTX, ctx_list, first_ctx
from accelbrainbase._mxnet.learner import Learner, check_initializer, check_loss, make_trainer
from accelbrainbase.observabledata._mxnet.restricted_boltzmann_machines import (
    _HYBRID_BLOCK_KWARGS, _LEARNER_KWARGS, RestrictedBoltzmannMachines, _check_choice, run_stack_evaluation,
    run_stack_step,
)
from accelbrainbase.observabledata._mxnet.restrictedboltzmannmachines import _energy

PRETRAINING_MODES = ("layerwise", "simultaneous")


def check_rbm_list(rbm_list) -> list:
    """``rbm_list`` as a list of single RBMs whose sizes chain (layer i's hidden = layer i+1's visible)."""
    if not isinstance(rbm_list, (list, tuple)):
        raise TypeError("rbm_list must be a list of RestrictedBoltzmannMachines, not %s." % type(rbm_list).__name__)
    if len(rbm_list) == 0:
        raise ValueError("rbm_list must hold at least one RestrictedBoltzmannMachines.")
    for i, rbm in enumerate(rbm_list):
        if not isinstance(rbm, RestrictedBoltzmannMachines) or isinstance(rbm, DeepBoltzmannMachines):
            raise TypeError("rbm_list[%d] must be a (single) RestrictedBoltzmannMachines, not %s."
                            % (i, type(rbm).__name__))
    if len({id(rbm) for rbm in rbm_list}) != len(rbm_list):
        raise ValueError("rbm_list holds the same RestrictedBoltzmannMachines twice; each layer needs its own.")
    for i in range(len(rbm_list) - 1):
        lower, upper = rbm_list[i], rbm_list[i + 1]
        if lower.hidden_dim != upper.visible_dim:
            raise ValueError(
                "rbm_list[%d].visible_dim=%d must equal rbm_list[%d].hidden_dim=%d: each layer's features are "
                "the next layer's input." % (i + 1, upper.visible_dim, i, lower.hidden_dim))
    return list(rbm_list)


class DeepBoltzmannMachines(RestrictedBoltzmannMachines):
    """A deep stack of RBMs (``rbm_list``), e.g. 784-256-64.

    Learning (one run of the shared engine over ``iteratable_data.epochs`` epochs):

    1. pre-training by CD, each RBM on the features ``P(h | ·)`` of the one below:
       ``pretraining_mode="layerwise"`` (greedy: the pre-training epochs are split evenly
       between the layers, bottom first, lower layers frozen) or ``"simultaneous"`` (every
       layer takes one CD step per batch on the current features of the layer below);
    2. optionally, the last ``fine_tuning_epochs`` epochs fine-tune the whole stack as an
       unrolled auto-encoder (encoder ``W_i``, decoder ``W_iᵀ``, tied) by back-propagating
       ``computable_loss`` with ``self.trainer``.

    The loss history records the reconstruction loss of the input through the layers trained
    so far (up to the active layer and back down), the index of that ``layer``, whether the epoch
    was ``fine_tuning``, and each trained layer's test free energy (``free_energy_layer<i>``).

    Args:
        computable_loss: reconstruction loss (``gluon.loss.Loss`` or ``ComputableLoss``).
        rbm_list: the layers, bottom first; ``rbm_list[i].hidden_dim`` must equal
            ``rbm_list[i+1].visible_dim``. Their parameters are re-initialized with
            ``initializer`` on ``ctx`` (unless ``init_deferred_flag``); each keeps its own
            ``k``, ``persistent_flag``, dropout and regularizers.
        initializer: initializer of every weight matrix; default Xavier (gaussian, fan-in, 1).
        optimizer_name: optimiser of the fine-tuning trainer.
        learning_rate: CD learning rate of *every* RBM (replaces theirs) and, unless
            ``fine_tuning_learning_rate`` is given, the fine-tuning rate.
        learning_attenuate_rate: every rate is multiplied by this every ``attenuate_epoch`` epochs.
        attenuate_epoch: epochs between two decays.
        ctx: one ``mx.Context``; the default picks a GPU only when one exists.
        pretraining_mode: ``"layerwise"`` or ``"simultaneous"`` (see above).
        fine_tuning_epochs: epochs (at the end of each run) of back-propagation fine-tuning, >= 0.
        fine_tuning_learning_rate: initial learning rate of the fine-tuning trainer (> 0).
        **kwargs: ``prefix``/``params`` (``HybridBlock``), ``kvstore``, ``optimizer_params``.

    Shapes: ``inference(x)``: ``(B, V)`` → top features ``(B, H_last)``; ``reconstruct(x)``:
    ``(B, V)`` → ``(B, V)``; ``decode(h)``: ``(B, H_last)`` → ``(B, V)``.
    """

    _init_deferred_flag = False

    def __init__(
        self,
        computable_loss,
        rbm_list,
        initializer=None,
        optimizer_name="SGD",
        learning_rate=0.005,
        learning_attenuate_rate=1.0,
        attenuate_epoch=50,
        ctx=DEFAULT_CTX,
        pretraining_mode: str = "layerwise",
        fine_tuning_epochs: int = 0,
        fine_tuning_learning_rate: Optional[float] = None,
        **kwargs
    ):
        check_loss(computable_loss)
        rbm_list = check_rbm_list(rbm_list)
        check_initializer(initializer)
        check_number(learning_rate, "learning_rate", minimum=0.0, strict_minimum=True)
        check_number(learning_attenuate_rate, "learning_attenuate_rate", minimum=0.0, strict_minimum=True)
        check_int(attenuate_epoch, "attenuate_epoch", minimum=1)
        self._pretraining_mode = _check_choice(pretraining_mode, PRETRAINING_MODES, "pretraining_mode")
        self._fine_tuning_epochs = check_int(fine_tuning_epochs, "fine_tuning_epochs", minimum=0)
        if fine_tuning_learning_rate is None:
            fine_tuning_learning_rate = learning_rate
        self._fine_tuning_ratio = check_number(fine_tuning_learning_rate, "fine_tuning_learning_rate", minimum=0.0,
                                               strict_minimum=True) / float(learning_rate)
        warn_unknown_kwargs(type(self).__name__, kwargs, _HYBRID_BLOCK_KWARGS + _LEARNER_KWARGS)
        # the RBM constructor builds a single layer; a stack has none of its own
        super(RestrictedBoltzmannMachines, self).__init__(
            **{key: kwargs[key] for key in _HYBRID_BLOCK_KWARGS if key in kwargs})
        self.configure_learning(learning_rate, learning_attenuate_rate, attenuate_epoch, optimizer_name, ctx, [], kwargs)
        if len(ctx_list(self._ctx)) > 1:
            raise ValueError("ctx: a %s learns on one context; got %s." % (type(self).__name__, self._ctx))
        self._cd_learning_rate = float(learning_rate)
        self.computable_loss = computable_loss
        self.initializer = initializer or mx.initializer.Xavier(rnd_type="gaussian", factor_type="in", magnitude=1)
        self._pretraining_epochs = None
        self._reset_learning_state()
        self._attach(rbm_list)
        if not self.init_deferred_flag:
            self.collect_params().initialize(init=self.initializer, ctx=ctx_list(self._ctx), force_reinit=True)
            self._adopt_layers()

    def _attach(self, rbm_list: list) -> None:
        for key in [key for key in self._children if key.startswith("rbm")]:
            del self._children[key]
        for i, rbm in enumerate(rbm_list):
            self.register_child(rbm, "rbm%d" % i)
        self._rbm_list = rbm_list
        self._visible_dim, self._hidden_dim = rbm_list[0].visible_dim, rbm_list[-1].hidden_dim
        self.visible_activation = rbm_list[0].visible_activation
        self.hidden_activation = rbm_list[-1].hidden_activation

    def _adopt_layers(self) -> None:
        """Put every layer on this model's context and learning rate; build the fine-tuning trainer."""
        for rbm in self._rbm_list:
            rbm.collect_params().reset_ctx(ctx_list(self._ctx))
            rbm._ctx = self._ctx
            rbm._cd_learning_rate = self._cd_learning_rate
        self.trainer = make_trainer(self.collect_params(), self._optimizer_name,
                                    self._cd_learning_rate * self._fine_tuning_ratio,
                                    kvstore=self._kvstore, optimizer_params=self._optimizer_params)

    @property
    def rbm_list(self) -> List[RestrictedBoltzmannMachines]:
        """The layers, bottom first. Assigning a new list re-checks the sizes, moves the layers to
        this model's context and rebuilds the fine-tuning trainer (their parameters are kept)."""
        return list(self._rbm_list)

    @rbm_list.setter
    def rbm_list(self, value) -> None:
        self._attach(check_rbm_list(value))
        self._adopt_layers()

    def collect_params(self, select=None):
        """Union of the layers' parameters, bottom layer first."""
        params = self._rbm_list[0].collect_params(select)
        for rbm in self._rbm_list[1:]:
            params.update(rbm.collect_params(select))
        return params

    # ------------------------------------------------------------------ per-layer views
    @property
    def k(self) -> List[int]:
        """Gibbs steps of each layer's CD."""
        return [rbm.k for rbm in self._rbm_list]

    @property
    def persistent_flag(self) -> List[bool]:
        """Whether each layer uses persistent CD."""
        return [rbm.persistent_flag for rbm in self._rbm_list]

    def _layer_arrays(self, name: str):
        return [getattr(rbm, name) for rbm in self._rbm_list]

    @property
    def weights_arr(self) -> list:
        """Each layer's ``W`` (read-only list; assign through ``rbm_list[i].weights_arr``)."""
        return self._layer_arrays("weights_arr")

    @weights_arr.setter
    def weights_arr(self, value) -> None:
        raise TypeError("weights_arr of a DeepBoltzmannMachines is read-only; set rbm_list[i].weights_arr.")

    @property
    def visible_bias_arr(self) -> list:
        """Each layer's visible bias (read-only list)."""
        return self._layer_arrays("visible_bias_arr")

    @visible_bias_arr.setter
    def visible_bias_arr(self, value) -> None:
        raise TypeError("visible_bias_arr of a DeepBoltzmannMachines is read-only; set rbm_list[i].visible_bias_arr.")

    @property
    def hidden_bias_arr(self) -> list:
        """Each layer's hidden bias (read-only list)."""
        return self._layer_arrays("hidden_bias_arr")

    @hidden_bias_arr.setter
    def hidden_bias_arr(self, value) -> None:
        raise TypeError("hidden_bias_arr of a DeepBoltzmannMachines is read-only; set rbm_list[i].hidden_bias_arr.")

    @property
    def feature_points_arr_list(self) -> list:
        """Features of every layer for the last ``inference`` input: ``[(B, H_0), ..., (B, H_last)]``.
        Each ``rbm_list[i].feature_points_arr`` holds the same arrays."""
        stored = [rbm.__dict__.get("_feature_points_arr") for rbm in self._rbm_list]
        if any(value is None or isinstance(value, mx.sym.Symbol) for value in stored):
            observed = self.__dict__.get("_last_observed")
            if observed is None:
                return [None] * len(self._rbm_list)
            self._encode_layers(mx.nd, observed)
            stored = [rbm.__dict__.get("_feature_points_arr") for rbm in self._rbm_list]
        return stored

    # ------------------------------------------------------------------ passes through the stack
    def _encode_layers(self, F, v, top: Optional[int] = None):
        """Bottom-up mean-field features up to layer ``top`` (default: all); stored on each layer."""
        top = len(self._rbm_list) - 1 if top is None else top
        for rbm in self._rbm_list[:top + 1]:
            weight, hidden_bias, _ = rbm._param_arrays(F)
            v = _energy.hidden_probabilities(F, v, weight, hidden_bias, rbm.hidden_dim)
            rbm.__dict__["_hidden_activity_arr"] = v
            rbm.__dict__["_feature_points_arr"] = v
        return v

    def _decode_layers(self, F, h, top: Optional[int] = None):
        """Top-down means from layer ``top``'s hidden units to the input layer."""
        top = len(self._rbm_list) - 1 if top is None else top
        for rbm in reversed(self._rbm_list[:top + 1]):
            weight, _, visible_bias = rbm._param_arrays(F)
            h = _energy.visible_means(F, h, weight, visible_bias, rbm.gaussian_visible)
        return h

    def forward_propagation(self, F, x):
        """Top-layer features ``(B, H_last)`` of ``x`` ``(B, V)`` (mean-field, bottom-up)."""
        top = self._encode_layers(F, F.flatten(x))
        self.__dict__["_feature_points_arr"] = top
        self.__dict__["_hidden_activity_arr"] = top
        return top

    def compute_feature_points(self, observed_arr):
        return self._encode_layers(mx.nd, observed_arr)

    def inference(self, observed_arr) -> mx.nd.NDArray:
        """Top-layer features ``(B, H_last)`` of ``observed_arr`` ``(B, V)``; per-layer features in
        ``feature_points_arr_list`` and ``rbm_list[i].feature_points_arr``."""
        v = self._as_visible(observed_arr, "observed_arr")
        self._last_observed = v
        self.__dict__["_feature_points_arr"] = None
        self.batch_size = v.shape[0]
        for rbm in self._rbm_list:
            rbm.batch_size = v.shape[0]
            rbm.__dict__["_feature_points_arr"] = None
            rbm.__dict__["_last_observed"] = None
        with warnings.catch_warnings():
            # the bottom-up graph does not use the visible biases; Gluon warns about that when hybridized
            warnings.filterwarnings("ignore", message=".*is not used by any computation")
            return self(v)

    def encode(self, observed_arr) -> mx.nd.NDArray:
        """Same as :meth:`inference`: top-layer features ``(B, H_last)``."""
        return self.inference(observed_arr)

    def decode(self, hidden_arr) -> mx.nd.NDArray:
        """Top-down reconstruction ``(B, V)`` of top-layer states ``(B, H_last)``."""
        if not isinstance(hidden_arr, mx.nd.NDArray):
            hidden_arr = mx.nd.array(hidden_arr, ctx=first_ctx(self._ctx))
        if hidden_arr.ndim != 2 or hidden_arr.shape[1] != self._hidden_dim:
            raise ValueError("hidden_arr must have shape (batch, %d), got %s." % (self._hidden_dim, tuple(hidden_arr.shape)))
        return self._decode_layers(mx.nd, hidden_arr.as_in_context(first_ctx(self._ctx)).astype("float32"))

    def reconstruct(self, observed_arr) -> mx.nd.NDArray:
        """Bottom-up to the top layer, then top-down to the input: ``(B, V)`` → ``(B, V)``."""
        top = self.inference(observed_arr)
        reconstruction = self._decode_layers(mx.nd, top)
        self.__dict__["_visible_activity_arr"] = reconstruction
        return reconstruction

    def free_energy(self, observed_arr):
        raise NotImplementedError("A stack has no single free energy; use rbm_list[i].free_energy on layer i's input "
                                  "(feature_points_arr_list[i - 1] for i > 0).")

    def pseudo_log_likelihood(self, observed_arr):
        raise NotImplementedError("Use rbm_list[0].pseudo_log_likelihood for the bottom layer.")

    def contrastive_divergence(self, v0, with_loss: bool = False):
        raise NotImplementedError("A stack learns through learn(); rbm_list[i].contrastive_divergence updates one layer.")

    def regularize(self) -> None:
        """Run every layer's regularizers."""
        for rbm in self._rbm_list:
            rbm.regularize()

    # ------------------------------------------------------------------ learning schedule
    def on_fit_start(self, state) -> None:
        """Split the run's epochs into pre-training (per layer) and fine-tuning; restart the chains."""
        super().on_fit_start(state)
        epochs = state.epochs
        pretraining = epochs - self._fine_tuning_epochs
        if pretraining < 1:
            raise ValueError("iteratable_data.epochs=%d leaves no pre-training epoch after fine_tuning_epochs=%d."
                             % (epochs, self._fine_tuning_epochs))
        layers = len(self._rbm_list)
        if self._pretraining_mode == "layerwise" and pretraining < layers:
            raise ValueError(
                "iteratable_data.epochs=%d gives %d pre-training epoch(s) for %d layers; layer-wise pre-training "
                "needs at least one epoch per layer (or use pretraining_mode='simultaneous')."
                % (epochs, pretraining, layers))
        self._pretraining_epochs = pretraining
        for rbm in self._rbm_list:
            rbm._chain = None

    def checkpoint_arrays(self) -> dict:
        """Every layer's persistent-CD chain (``rbm<i>.chain``), so a resumed run continues them."""
        arrays = {}
        for i, rbm in enumerate(self._rbm_list):
            arrays.update({"rbm%d.%s" % (i, key): value for key, value in rbm.checkpoint_arrays().items()})
        return arrays

    def restore_checkpoint_arrays(self, arrays: dict) -> None:
        for i, rbm in enumerate(self._rbm_list):
            prefix = "rbm%d." % i
            rbm.restore_checkpoint_arrays({key[len(prefix):]: value for key, value in arrays.items()
                                           if key.startswith(prefix)})

    def trainers(self) -> dict:
        """The fine-tuning optimiser (CD needs none)."""
        return {"trainer": self.trainer}

    def _phase(self, epoch: int):
        """``(top layer index, fine_tuning?)`` for ``epoch``."""
        layers = len(self._rbm_list)
        pretraining = self._pretraining_epochs or 1
        if epoch >= pretraining:
            return layers - 1, True
        if self._pretraining_mode == "simultaneous":
            return layers - 1, False
        return min(epoch * layers // pretraining, layers - 1), False

    def training_step(self, batch):
        """One CD update of the active layer(s) (or one fine-tuning step); returns the per-sample
        reconstruction loss of the input through the active stack, ``(B,)``.

        The frozen lower layers' features, the CD step(s) with their parameter updates, the
        top-down reconstruction and its loss run as one cached graph."""
        v0 = self._training_batch(batch)
        for rbm in self._rbm_list:
            rbm.batch_size = v0.shape[0]
        top, fine_tuning = self._phase(self.epoch)
        if fine_tuning:
            return Learner.training_step(self, (v0, v0))  # back-propagation through batch_loss
        simultaneous = self._pretraining_mode == "simultaneous"
        trained = [simultaneous or i == top for i in range(top + 1)]
        return run_stack_step(self._rbm_list, trained, v0, self._rate_array(v0.shape[0]), self.computable_loss,
                              self._kernels)[2]

    def batch_loss(self, x, y):
        """Fine-tuning: the unrolled tied auto-encoder's reconstruction of ``x`` and its loss."""
        reconstruction = self._decode_layers(mx.nd, self._encode_layers(mx.nd, x))
        return reconstruction, self.compute_loss(reconstruction, y)

    def evaluation_step(self, batch):
        """Reconstruction loss ``(B,)`` of the test batch through the active stack, and the free
        energy of the batch under every layer trained so far (``free_energy_layer<i>``), from one
        cached graph."""
        self._check_test_range(batch)
        test_v = self._as_visible(batch[2], "iteratable_data's test batch", check_range=False)
        top, _ = self._phase(self.epoch)
        outputs = run_stack_evaluation(self._rbm_list[:top + 1], test_v, self.computable_loss, self._clip_visible,
                                       False, self._kernels)
        return outputs[0], {"free_energy_layer%d" % i: outputs[1 + i] for i in range(top + 1)}

    def epoch_metrics(self) -> dict:
        """``layer`` (the active top layer) and ``fine_tuning`` (0 or 1) of the epoch."""
        top, fine_tuning = self._phase(self.epoch)
        return {"layer": float(top), "fine_tuning": float(fine_tuning)}

    def set_learning_rate(self, learning_rate: float) -> None:
        """Every layer's CD rate becomes ``learning_rate``; the fine-tuning trainer keeps its ratio."""
        self._cd_learning_rate = float(learning_rate)
        for rbm in self._rbm_list:
            rbm._cd_learning_rate = float(learning_rate)
        trainer = getattr(self, "trainer", None)
        if trainer is not None:
            trainer.set_learning_rate(float(learning_rate) * self._fine_tuning_ratio)
