"""Restricted Boltzmann machine learned by contrastive divergence (CD-k or persistent CD).

Energy ``E(v, h) = -v·b - h·c - h W v`` with binary hidden units ``h`` (``H`` of them) and
visible units ``v`` (``V``) that are Bernoulli (``visible_activation="sigmoid"``, data in
``[0, 1]``) or Gaussian with unit variance (``visible_activation="identity"``, standardised
real data).  ``W`` (``(H, V)``) and the hidden bias ``c`` live in a ``gluon.nn.Dense(H,
in_units=V)``; the visible bias ``b`` is a separate parameter.

Learning runs through the shared engine (:func:`accelbrainbase._mxnet.engine.fit`): each
training step is one batched CD update written with ``mx.nd`` matrix products on the
model's context, without autograd and without waiting for the device.
"""
from __future__ import annotations

import warnings

import mxnet as mx
import numpy as np
from mxnet import gluon
from mxnet.gluon.block import HybridBlock

from accelbrainbase._mxnet.checks import check_int, check_number, check_type, warn_unknown_kwargs
from accelbrainbase._mxnet.context import DEFAULT_CTX, ctx_list, first_ctx
from accelbrainbase._mxnet.learner import Learner, check_initializer, check_loss, check_regularizers
from accelbrainbase.observable_data import ObservableData
from accelbrainbase.observabledata._mxnet.restrictedboltzmannmachines import _energy, _inputs

VISIBLE_KINDS = ("sigmoid", "identity")
HIDDEN_KINDS = ("sigmoid",)
_HYBRID_BLOCK_KWARGS = ("prefix", "params")
_LEARNER_KWARGS = ("kvstore", "optimizer_params")


def _check_choice(value, allowed, name: str) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError("%s=%r is not supported; use one of %s." % (name, value, ", ".join(map(repr, allowed))))
    return value


def _check_rate(value, name: str) -> float:
    value = check_number(value, name, minimum=0.0)
    if value >= 1.0:
        raise ValueError("%s must be in [0, 1), got %g." % (name, value))
    return value


#: flags of every cached graph here (shapes are stable between steps)
_STATIC = [("static_alloc", True), ("static_shape", True)]


def _cached_graph(kernels: dict, key, build):
    """``(CachedOp, input names, symbol)`` for ``key``, built once by ``build()``."""
    kernel = kernels.get(key)
    if kernel is None:
        symbol = build()
        kernel = (mx.nd.CachedOp(symbol, _STATIC), symbol.list_inputs(), symbol)
        kernels[key] = kernel
    return kernel


def _output_shapes(kernels: dict, key, symbol, shapes: dict) -> list:
    """The graph's output shapes for these input shapes (inferred once per shape set)."""
    shape_key = ("shapes", key, tuple(sorted(shapes.items())))
    found = kernels.get(shape_key)
    if found is None:
        found = symbol.infer_shape(**shapes)[1]
        kernels[shape_key] = found
    return found


def run_stack_step(layers: list, trained: list, v0: mx.nd.NDArray, rate: mx.nd.NDArray, loss_block, kernels: dict,
                   clip: bool = False):
    """One learning step of the RBMs ``layers`` (bottom first; a single RBM is ``[rbm]``) as one
    cached graph (:func:`_energy.stack_step_symbol`): the trained layers' new parameters and
    persistent chains are written over the old ones; nothing waits for the device.

    Returns ``(hidden, reconstruction, loss)`` of the last trained layer (``loss`` is ``None``
    without ``loss_block``).
    """
    top = max(i for i, flag in enumerate(trained) if flag)
    layers = layers[:top + 1]
    specs = tuple(layer.layer_spec() for layer in layers)
    key = ("step", specs, tuple(trained[:top + 1]), loss_block, clip)
    op, names, symbol = _cached_graph(
        kernels, key, lambda: _energy.stack_step_symbol(specs, trained[:top + 1], loss_block, clip))
    ctx, batch = v0.context, v0.shape[0]
    inputs = {"data": v0, "rate": rate}
    starting = [i for i, layer in enumerate(layers) if trained[i] and layer.persistent_flag
                and (layer._chain is None or layer._chain.shape[0] != batch)]
    in_place, chains = [], []
    x = v0
    for i, layer in enumerate(layers):
        weight, hidden_bias, visible_bias = layer._param_arrays()
        inputs.update({"w%d" % i: weight, "c%d" % i: hidden_bias, "b%d" % i: visible_bias})
        if i in starting:
            layer._chain = layer._initial_chain(x)  # once per run, from this layer's input features
        if trained[i]:
            in_place += [weight, hidden_bias, visible_bias]
            if layer.persistent_flag:
                inputs["chain%d" % i] = layer._chain
                chains.append(layer._chain)
        if starting and i < max(starting):
            x = _energy.hidden_probabilities(mx.nd, x, weight, hidden_bias, layer.hidden_dim)
    shapes = _output_shapes(kernels, key, symbol, {name: inputs[name].shape for name in names})
    fresh = [mx.nd.empty(shape, ctx=ctx) for shape in shapes[len(in_place):len(shapes) - len(chains)]]
    op(*[inputs[name] for name in names], out=in_place + fresh + chains)
    hidden, reconstruction = fresh[0], fresh[1]
    return hidden, reconstruction, (fresh[2] if loss_block is not None else None)


def run_stack_evaluation(layers: list, v: mx.nd.NDArray, loss_block, clip: bool, pseudo_log_likelihood: bool,
                         kernels: dict) -> list:
    """Predict-mode ``[loss, free energy of each layer..., (pseudo-log-likelihood)]`` of a stack,
    each ``(B,)``, from one cached graph (:func:`_energy.stack_evaluation_symbol`)."""
    specs = tuple(layer.layer_spec() for layer in layers)
    key = ("evaluation", specs, loss_block, clip, pseudo_log_likelihood)
    op, names, _ = _cached_graph(
        kernels, key, lambda: _energy.stack_evaluation_symbol(specs, loss_block, clip, pseudo_log_likelihood))
    inputs = {"data": v}
    for i, layer in enumerate(layers):
        inputs.update(zip(("w%d" % i, "c%d" % i, "b%d" % i), layer._param_arrays()))
    outputs = op(*[inputs[name] for name in names])
    return outputs if isinstance(outputs, list) else [outputs]


class RestrictedBoltzmannMachines(Learner, HybridBlock, ObservableData):
    """A restricted Boltzmann machine trained by contrastive divergence.

    Args:
        computable_loss: loss used to report reconstruction error per sample (a
            ``gluon.loss.Loss`` or ``ComputableLoss``, e.g. ``L2NormLoss()``); CD itself does not
            minimise it.
        visible_activation: kind of the *visible* units: ``"sigmoid"`` (Bernoulli, input must be
            in ``[0, 1]``) or ``"identity"`` (Gaussian, unit variance, any real input).
        hidden_activation: kind of the hidden units: ``"sigmoid"`` (Bernoulli).
        visible_dim: number of visible units ``V`` (int >= 1); inputs are flattened to ``(B, V)``.
        hidden_dim: number of hidden units ``H`` (int >= 1).
        initializer: ``mx.initializer.Initializer`` for ``W``; default Xavier (gaussian, fan-in,
            magnitude 1). Both biases start at zero.
        optimizer_name: kept for the contract (and checked); CD updates need no optimiser, so an
            RBM has no ``trainer`` (a ``DeepBoltzmannMachines`` builds one to fine-tune).
        learning_rate: CD learning rate: each step adds ``learning_rate`` times the batch-mean
            CD gradient to ``W``, ``b`` and ``c``.
        learning_attenuate_rate: the CD learning rate is multiplied by this every
            ``attenuate_epoch`` epochs.
        attenuate_epoch: epochs between two decays (int >= 1).
        visible_dropout_rate: in training, each visible input value is zeroed with this
            probability (masking noise on the data); in ``[0, 1)``.
        hidden_dropout_rate: in training, each hidden unit is dropped with this probability for a
            whole CD update (positive and negative phase); features at inference use every unit.
        visible_batch_norm, hidden_batch_norm: accepted and registered for compatibility with
            the reference's signature and parameter files; an RBM's energy has no place for them,
            so they are not applied (a warning says so when one is given).
        regularizatable_data_list: ``RegularizatableData`` applied to the parameters after each
            CD update (copied; the default list is never mutated).
        ctx: one ``mx.Context``; the default picks a GPU only when one exists.
        k: Gibbs steps of the negative phase (CD-k), int >= 1.
        persistent_flag: persistent CD (PCD): the negative chain continues from the previous
            update's hidden samples instead of restarting at the data.
        **kwargs: ``prefix``/``params`` go to ``HybridBlock``; ``kvstore`` and
            ``optimizer_params`` to the trainer. Anything else is ignored with a warning.

    Shapes: ``inference(x)`` takes ``(B, V)`` (or ``(B, ...)`` with ``V`` values per sample,
    flattened) and returns the mean-field reconstruction ``(B, V)``; ``feature_points_arr`` is
    ``P(h = 1 | x)``, ``(B, H)``.
    """

    def __init__(
        self,
        computable_loss,
        visible_activation="sigmoid",
        hidden_activation="sigmoid",
        visible_dim=1000,
        hidden_dim=100,
        initializer=None,
        optimizer_name="SGD",
        learning_rate=0.005,
        learning_attenuate_rate=1.0,
        attenuate_epoch=50,
        visible_dropout_rate=0.0,
        hidden_dropout_rate=0.0,
        visible_batch_norm=None,
        hidden_batch_norm=None,
        regularizatable_data_list=[],
        ctx=DEFAULT_CTX,
        k: int = 1,
        persistent_flag: bool = False,
        **kwargs
    ):
        check_loss(computable_loss)
        _check_choice(visible_activation, VISIBLE_KINDS, "visible_activation")
        _check_choice(hidden_activation, HIDDEN_KINDS, "hidden_activation")
        visible_dim = check_int(visible_dim, "visible_dim", minimum=1)
        hidden_dim = check_int(hidden_dim, "hidden_dim", minimum=1)
        check_initializer(initializer)
        check_number(learning_rate, "learning_rate", minimum=0.0, strict_minimum=True)
        check_number(learning_attenuate_rate, "learning_attenuate_rate", minimum=0.0, strict_minimum=True)
        check_int(attenuate_epoch, "attenuate_epoch", minimum=1)
        visible_dropout_rate = _check_rate(visible_dropout_rate, "visible_dropout_rate")
        hidden_dropout_rate = _check_rate(hidden_dropout_rate, "hidden_dropout_rate")
        check_type(visible_batch_norm, gluon.HybridBlock, "visible_batch_norm", allow_none=True)
        check_type(hidden_batch_norm, gluon.HybridBlock, "hidden_batch_norm", allow_none=True)
        regularizers = check_regularizers(regularizatable_data_list)
        self._k = check_int(k, "k", minimum=1)
        self._persistent_flag = check_type(persistent_flag, bool, "persistent_flag")
        warn_unknown_kwargs(type(self).__name__, kwargs, _HYBRID_BLOCK_KWARGS + _LEARNER_KWARGS)
        super().__init__(**{key: kwargs[key] for key in _HYBRID_BLOCK_KWARGS if key in kwargs})
        self.configure_learning(learning_rate, learning_attenuate_rate, attenuate_epoch, optimizer_name, ctx,
                             regularizers, kwargs)
        if len(ctx_list(self._ctx)) > 1:
            raise ValueError("ctx: a %s learns on one context; got %s." % (type(self).__name__, self._ctx))
        self._cd_learning_rate = float(learning_rate)
        self.computable_loss = computable_loss
        self.initializer = initializer or mx.initializer.Xavier(rnd_type="gaussian", factor_type="in", magnitude=1)
        self.visible_activation = visible_activation
        self.hidden_activation = hidden_activation
        self._visible_dim, self._hidden_dim = visible_dim, hidden_dim
        self._visible_dropout_rate, self._hidden_dropout_rate = visible_dropout_rate, hidden_dropout_rate
        self._reset_learning_state()

        with self.name_scope():
            # the attribute and the extra index registration give the same structural parameter
            # names as the reference's files ("1.weight", ...), so those files load here
            self.__visible_unit = gluon.nn.Dense(hidden_dim, in_units=visible_dim, use_bias=True)
            self.register_child(self.__visible_unit)
            self.visible_bias = self.params.get("visible_bias", shape=(visible_dim,), init=mx.init.Zero())
            self.visible_dropout_forward = gluon.nn.Dropout(visible_dropout_rate) if visible_dropout_rate > 0 else None
            if self.visible_dropout_forward is not None:
                self.register_child(self.visible_dropout_forward)
            self.hidden_dropout_forward = gluon.nn.Dropout(hidden_dropout_rate) if hidden_dropout_rate > 0 else None
            if self.hidden_dropout_forward is not None:
                self.register_child(self.hidden_dropout_forward)
            self.visible_batch_norm = visible_batch_norm
            if visible_batch_norm is not None:
                self.register_child(visible_batch_norm)
            self.hidden_batch_norm = hidden_batch_norm
            if hidden_batch_norm is not None:
                self.register_child(hidden_batch_norm)
        if visible_batch_norm is not None or hidden_batch_norm is not None:
            warnings.warn("RestrictedBoltzmannMachines registers visible_batch_norm/hidden_batch_norm for "
                          "compatibility but does not apply them: CD learns the energy's own parameters.")
        self.collect_params().initialize(init=self.initializer, ctx=ctx_list(self._ctx), force_reinit=True)

    def _reset_learning_state(self) -> None:
        self._chain = None
        self._kernels = {}
        self._first_batch_checked = False
        self.batch_size = None
        self.__dict__["_visible_activity_arr"] = None
        self.__dict__["_hidden_activity_arr"] = None
        self.__dict__["_feature_points_arr"] = None

    # ------------------------------------------------------------------ configuration
    @property
    def visible_dim(self) -> int:
        """Number of visible units ``V`` (read-only)."""
        return self._visible_dim

    @property
    def hidden_dim(self) -> int:
        """Number of hidden units ``H`` (read-only)."""
        return self._hidden_dim

    @property
    def k(self) -> int:
        """Gibbs steps of the negative phase (read-only)."""
        return self._k

    def checkpoint_arrays(self) -> dict:
        """The persistent-CD chain, so a resumed PCD run continues it."""
        return {"chain": self._chain} if self._chain is not None else {}

    def restore_checkpoint_arrays(self, arrays: dict) -> None:
        if "chain" in arrays:
            self._chain = arrays["chain"].as_in_context(first_ctx(self._ctx))

    @property
    def persistent_flag(self) -> bool:
        """Whether the negative chain persists between updates (read-only)."""
        return self._persistent_flag

    @property
    def gaussian_visible(self) -> bool:
        """True when the visible units are Gaussian (``visible_activation="identity"``)."""
        return self.visible_activation == "identity"

    # ------------------------------------------------------------------ parameters
    def _param_arrays(self, F=mx.nd):
        """``(W (H, V), c (H,), b (V,))`` as NDArrays on the model's context, or as Symbols."""
        unit = self.__visible_unit
        params = (unit.weight, unit.bias, self.visible_bias)
        if F is mx.nd:
            ctx = first_ctx(self._ctx)
            return tuple(param.data(ctx) for param in params)
        return tuple(param.var() for param in params)

    def _set_param(self, param, value, name: str) -> None:
        if not isinstance(value, mx.nd.NDArray):
            value = mx.nd.array(np.asarray(value, dtype=np.float32), ctx=first_ctx(self._ctx))
        if tuple(value.shape) != tuple(param.shape):
            raise ValueError("%s must have shape %s, got %s." % (name, tuple(param.shape), tuple(value.shape)))
        param.set_data(value.astype("float32"))

    @property
    def weights_arr(self) -> mx.nd.NDArray:
        """The weight matrix ``W``, ``(hidden_dim, visible_dim)``; assignable (same shape)."""
        return self._param_arrays()[0]

    @weights_arr.setter
    def weights_arr(self, value) -> None:
        self._set_param(self.__visible_unit.weight, value, "weights_arr")

    @property
    def hidden_bias_arr(self) -> mx.nd.NDArray:
        """The hidden bias ``c``, ``(hidden_dim,)``; assignable."""
        return self._param_arrays()[1]

    @hidden_bias_arr.setter
    def hidden_bias_arr(self, value) -> None:
        self._set_param(self.__visible_unit.bias, value, "hidden_bias_arr")

    @property
    def visible_bias_arr(self) -> mx.nd.NDArray:
        """The visible bias ``b``, ``(visible_dim,)``; assignable."""
        return self._param_arrays()[2]

    @visible_bias_arr.setter
    def visible_bias_arr(self, value) -> None:
        self._set_param(self.visible_bias, value, "visible_bias_arr")

    # ------------------------------------------------------------------ activities
    @property
    def visible_activity_arr(self):
        """Reconstruction ``E[v | h]`` of the last ``inference`` input, ``(B, visible_dim)``."""
        return self.__dict__.get("_visible_activity_arr")

    @visible_activity_arr.setter
    def visible_activity_arr(self, value) -> None:
        self.__dict__["_visible_activity_arr"] = value

    @property
    def hidden_activity_arr(self):
        """``P(h = 1 | v)`` of the last ``inference`` input (from the data), ``(B, hidden_dim)``."""
        return self.__dict__.get("_hidden_activity_arr")

    @hidden_activity_arr.setter
    def hidden_activity_arr(self, value) -> None:
        self.__dict__["_hidden_activity_arr"] = value

    @property
    def feature_points_arr(self):
        """Hidden features ``P(h = 1 | v)`` of the last ``inference`` input, ``(B, hidden_dim)``
        (read-only)."""
        return Learner.feature_points_arr.fget(self)

    @feature_points_arr.setter
    def feature_points_arr(self, value) -> None:
        raise TypeError("feature_points_arr is read-only.")

    @property
    def loss_list(self) -> list:
        """Mean training reconstruction loss of each epoch (read-only)."""
        return list(self.loss_history.column("train_loss"))

    @loss_list.setter
    def loss_list(self, value) -> None:
        raise TypeError("loss_list is read-only.")

    @property
    def test_loss_list(self) -> list:
        """Test reconstruction loss of each epoch (read-only)."""
        return list(self.loss_history.column("test_loss"))

    @test_loss_list.setter
    def test_loss_list(self, value) -> None:
        raise TypeError("test_loss_list is read-only.")

    @property
    def test_loss_arr(self) -> np.ndarray:
        """``test_loss_list`` as an array ``(n_epochs,)`` (read-only)."""
        return np.array(self.test_loss_list)

    # ------------------------------------------------------------------ input checks
    def _as_visible(self, arr, name: str, check_range: bool = True) -> mx.nd.NDArray:
        """``arr`` as a float32 ``(B, V)`` NDArray on the model's context; raises naming ``name``.
        With ``check_range``, Bernoulli visibles also need values in [0, 1] (one host sync)."""
        arr = _inputs.as_visible(arr, self._visible_dim, first_ctx(self._ctx), name)
        if check_range and self._check_range(name, arr):
            arr = _inputs.clip_unit_interval(arr)
        return arr

    _clip_visible = False  # set once data slightly outside [0, 1] was seen: training batches are clipped
    _range_warned = False  # one warning per learn about such data

    def _check_range(self, name: str, *arrays) -> bool:
        """Bernoulli visibles: ``ValueError`` for data beyond ``_inputs.BERNOULLI_TOLERANCE`` of [0, 1];
        True (with one warning per learn) when values lie slightly outside, to be clipped."""
        message = None if self.gaussian_visible else _inputs.check_unit_interval(name, *arrays)
        if message is None:
            return False
        self._clip_visible = True
        if not self._range_warned:
            self._range_warned = True
            warnings.warn(message)
        return True

    # ------------------------------------------------------------------ mean-field passes
    def encode(self, observed_arr) -> mx.nd.NDArray:
        """``P(h = 1 | v)`` for ``observed_arr`` ``(B, visible_dim)`` → ``(B, hidden_dim)``."""
        v = self._as_visible(observed_arr, "observed_arr")
        weight, hidden_bias, _ = self._param_arrays()
        return _energy.hidden_probabilities(mx.nd, v, weight, hidden_bias, self._hidden_dim)

    def decode(self, hidden_arr) -> mx.nd.NDArray:
        """``E[v | h]`` for hidden states or probabilities ``(B, hidden_dim)`` → ``(B, visible_dim)``."""
        if not isinstance(hidden_arr, mx.nd.NDArray):
            hidden_arr = mx.nd.array(np.asarray(hidden_arr, dtype=np.float32), ctx=first_ctx(self._ctx))
        if hidden_arr.ndim != 2 or hidden_arr.shape[1] != self._hidden_dim:
            raise ValueError("hidden_arr must have shape (batch, %d), got %s." % (self._hidden_dim, tuple(hidden_arr.shape)))
        weight, _, visible_bias = self._param_arrays()
        return _energy.visible_means(mx.nd, hidden_arr.as_in_context(first_ctx(self._ctx)), weight, visible_bias,
                                     self.gaussian_visible)

    def forward_propagation(self, F, x):
        """Mean-field reconstruction ``E[v | P(h | x)]``: ``x`` (B, visible_dim) → (B, visible_dim).

        Stores ``hidden_activity_arr`` (the features, from the data) and ``visible_activity_arr``
        (the reconstruction). Works with ``F = mx.nd`` and ``F = mx.sym`` (``hybridize()`` and
        ``export()`` trace it).
        """
        v = F.flatten(x)
        weight, hidden_bias, visible_bias = self._param_arrays(F)
        hidden = _energy.hidden_probabilities(F, v, weight, hidden_bias, self._hidden_dim)
        visible = _energy.visible_means(F, hidden, weight, visible_bias, self.gaussian_visible)
        self.__dict__["_hidden_activity_arr"] = hidden
        self.__dict__["_feature_points_arr"] = hidden
        self.__dict__["_visible_activity_arr"] = visible
        return visible

    def hybrid_forward(self, F, x, visible_bias=None):
        return self.forward_propagation(F, x)

    def compute_feature_points(self, observed_arr) -> mx.nd.NDArray:
        weight, hidden_bias, _ = self._param_arrays()
        return _energy.hidden_probabilities(mx.nd, observed_arr, weight, hidden_bias, self._hidden_dim)

    def inference(self, observed_arr) -> mx.nd.NDArray:
        """Reconstruct ``observed_arr`` ``(B, visible_dim)`` (or ``(B, ...)``) → ``(B, visible_dim)``.

        Afterwards ``feature_points_arr`` holds ``P(h = 1 | observed_arr)``, ``(B, hidden_dim)``.
        """
        v = self._as_visible(observed_arr, "observed_arr")
        self._last_observed = v
        self.__dict__["_feature_points_arr"] = None
        self.batch_size = v.shape[0]
        return self(v)

    def reconstruct(self, observed_arr) -> mx.nd.NDArray:
        """Same as :meth:`inference`: the mean-field reconstruction ``(B, visible_dim)``."""
        return self.inference(observed_arr)

    def free_energy(self, observed_arr) -> mx.nd.NDArray:
        """Free energy of each sample, ``(B,)``; lower means more probable under the model."""
        v = self._as_visible(observed_arr, "observed_arr")
        return _energy.free_energy(v, *self._energy_params(), self.gaussian_visible)

    def pseudo_log_likelihood(self, observed_arr) -> mx.nd.NDArray:
        """Stochastic pseudo-log-likelihood of each sample, ``(B,)`` (Bernoulli visibles only)."""
        if self.gaussian_visible:
            raise ValueError("pseudo_log_likelihood needs Bernoulli visible units (visible_activation='sigmoid').")
        v = self._as_visible(observed_arr, "observed_arr")
        return _energy.pseudo_log_likelihood(v, *self._energy_params())

    def _energy_params(self):
        weight, hidden_bias, visible_bias = self._param_arrays()
        return weight, visible_bias, hidden_bias

    # ------------------------------------------------------------------ contrastive divergence
    def layer_spec(self) -> _energy.LayerSpec:
        """What the fused CD and evaluation graphs need to know about this layer."""
        return _energy.LayerSpec(self._visible_dim, self._hidden_dim, self._k, self._persistent_flag,
                                 self.gaussian_visible, self._visible_dropout_rate, self._hidden_dropout_rate)

    def _rate_array(self, batch: int) -> mx.nd.NDArray:
        """``learning_rate / batch`` as a ``(1, 1)`` array on the context (cached: no op per step)."""
        key = (self._cd_learning_rate, batch)
        cached = self.__dict__.get("_rate_cache")
        if cached is None or cached[0] != key:
            cached = (key, mx.nd.full((1, 1), self._cd_learning_rate / batch, ctx=first_ctx(self._ctx)))
            self.__dict__["_rate_cache"] = cached
        return cached[1]

    def _initial_chain(self, v: mx.nd.NDArray) -> mx.nd.NDArray:
        """Hidden samples of ``v`` (the start of a persistent chain), ``(B, H)``."""
        weight, hidden_bias, _ = self._param_arrays()
        return _energy.bernoulli(_energy.hidden_probabilities(mx.nd, v, weight, hidden_bias, self._hidden_dim))

    def contrastive_divergence(self, v0: mx.nd.NDArray, with_loss: bool = False):
        """One CD-k (or PCD-k) update of ``W``, ``b`` and ``c`` on the batch ``v0`` ``(B, V)``.

        The whole step (positive phase, ``k`` Gibbs steps, batch-mean gradients *and* the
        parameter update ``+= learning_rate / B · direction``) runs as one cached graph whose new
        parameters are written over the old ones. Nothing waits for the device.

        Args:
            v0: ``(B, visible_dim)`` float32 on the model's context (see ``_as_visible``).
            with_loss: also compute ``computable_loss(reconstruction, v0)`` inside the graph.
        Returns:
            ``(hidden, reconstruction, loss)``: ``P(h = 1 | v0)`` ``(B, H)``, the mean-field
            reconstruction ``(B, V)`` (both with the parameters before the update) and the
            per-sample loss ``(B,)`` (``None`` unless ``with_loss``).
        """
        return run_stack_step([self], [True], v0, self._rate_array(v0.shape[0]),
                              self.computable_loss if with_loss else None, self._kernels)

    # ------------------------------------------------------------------ engine hooks
    def on_fit_start(self, state) -> None:
        """A new run starts a new negative chain and checks its first batch's value range (and its
        test split's, once, at the first evaluation)."""
        super().on_fit_start(state)
        self._chain = None
        self._first_batch_checked = False
        self._test_split_checked = False
        self._clip_visible = self._range_warned = False

    def trainers(self) -> dict:
        """None: CD writes the parameters itself (see :meth:`contrastive_divergence`)."""
        return {}

    def _training_batch(self, batch) -> mx.nd.NDArray:
        """The batch's input as ``(B, V)``; the range of the first batch of a run is checked now
        (one host synchronisation per run, none per step)."""
        v0 = self._as_visible(batch[0], "iteratable_data's training batch", check_range=not self._first_batch_checked)
        self._first_batch_checked = True
        if self._clip_visible:
            v0 = _inputs.clip_unit_interval(v0)
        self.batch_size = v0.shape[0]
        return v0

    def training_step(self, batch):
        """One CD update on ``batch[0]``; returns the per-sample reconstruction loss ``(B,)``."""
        v0 = self._training_batch(batch)
        return self.contrastive_divergence(v0, with_loss=True)[2]

    def _check_test_range(self, batch) -> None:
        """Bernoulli visibles: the value range of the test data, checked without a host
        synchronisation per test block: the whole test split once per run when the source can
        enumerate it, else the evaluated tuple (its training and test parts)."""
        if self.gaussian_visible or getattr(self, "_test_split_checked", False):
            return
        state = self.fit_state
        blocks = state.source.test_batches() if state is not None else None
        if blocks is None:
            arrays = [self._as_visible(batch[0], "iteratable_data's training batch", check_range=False),
                      self._as_visible(batch[2], "iteratable_data's test batch", check_range=False)]
        else:
            arrays = [self._as_visible(block[2], "iteratable_data's test split", check_range=False)
                      for block in blocks]
            self._test_split_checked = True
        if arrays:
            self._check_range("iteratable_data's test split" if blocks is not None else "iteratable_data's batches",
                              *arrays)

    def evaluation_step(self, batch):
        """Reconstruction loss ``(B,)`` of the test batch ``batch[2]`` and its free energy (and,
        for Bernoulli visibles, pseudo-log-likelihood), computed by one cached graph."""
        self._check_test_range(batch)
        test_v = self._as_visible(batch[2], "iteratable_data's test batch", check_range=False)
        outputs = run_stack_evaluation([self], test_v, self.computable_loss, self._clip_visible,
                                       not self.gaussian_visible, self._kernels)
        metrics = {"free_energy": outputs[1]}
        if not self.gaussian_visible:
            metrics["pseudo_log_likelihood"] = outputs[2]
        return outputs[0], metrics

    def set_learning_rate(self, learning_rate: float) -> None:
        """The engine's (decayed) rate becomes the CD learning rate."""
        self._cd_learning_rate = float(learning_rate)
