"""Variational auto-encoder (Kingma and Welling, 2014) on dense layers."""
from __future__ import annotations

from typing import Optional, Sequence, Tuple

import mxnet as mx
from mxnet import gluon
from mxnet.gluon.block import HybridBlock

from accelbrainbase._mxnet.activations import apply_activation, check_activations
from accelbrainbase._mxnet.checks import check_int, check_type
from accelbrainbase._mxnet.context import DEFAULT_CTX, first_ctx
from accelbrainbase._mxnet.types import GraphModule, Tensor
from accelbrainbase._mxnet.learner import HYBRIDIZE_OPTIONS, Learner, check_initializer, check_regularizers
from accelbrainbase.observable_data import ObservableData
from accelbrainbase.observabledata._mxnet._training_graph import GraphLossMixin

DISTRIBUTIONS = ("bernoulli", "gaussian")


class VariationalAutoEncoder(GraphLossMixin, Learner, HybridBlock, ObservableData):
    """``q(z|x) = N(μ(x), diag σ²(x))``, ``p(z) = N(0, I)``, ``p(x|z)`` Bernoulli or Gaussian.

    The loss of a sample is the negative evidence lower bound in nats,
    ``-E_q[log p(x|z)] + KL(q(z|x) || p(z))``, with one reparametrised sample
    ``z = μ + σ·ε`` per step (so gradients flow through the sampling) and the Gaussian KL in
    closed form. The history has ``reconstruction`` and ``kl`` columns (and their ``test_``
    counterparts); ``test_loss`` is the test split's negative ELBO.

    Args:
        input_dim: width ``D`` of the (flattened) inputs.
        latent_dim: width of ``z`` (>= 1).
        hidden_units_list: widths of the encoder's hidden layers; the decoder mirrors them.
        hidden_activation: activation of every hidden layer.
        decoder_distribution: ``"bernoulli"`` (inputs in [0, 1], e.g. binarised pixels; the
            decoder outputs logits) or ``"gaussian"`` (a mean and a learned per-dimension
            log standard deviation).
        Other arguments as in ``NeuralNetworks``.

    ``inference(x)`` returns the reconstruction mean from ``z = μ(x)``; ``feature_points_arr``
    is ``μ(x)``; ``encode`` gives ``(μ, log σ²)``; ``decode(z)`` the mean of ``p(x|z)``;
    ``draw(n)`` decodes ``n`` samples of the prior.
    """

    GRAPH_METRIC_NAMES = ("reconstruction", "kl")

    def __init__(self, input_dim: int, latent_dim: int = 20, hidden_units_list: Sequence[int] = (400,),
                 hidden_activation: str = "relu", decoder_distribution: str = "bernoulli",
                 initializer: Optional[mx.init.Initializer] = None, learning_rate: float = 1e-3,
                 learning_attenuate_rate: float = 1.0, attenuate_epoch: int = 50, optimizer_name: str = "adam",
                 ctx=DEFAULT_CTX, hybridize_flag: bool = True, regularizatable_data_list: Sequence = (),
                 **kwargs):
        input_dim = check_int(input_dim, "input_dim", minimum=1)
        latent_dim = check_int(latent_dim, "latent_dim", minimum=1)
        check_type(hidden_units_list, (list, tuple), "hidden_units_list")
        hidden = [check_int(u, "hidden_units_list[%d]" % i, minimum=1) for i, u in enumerate(hidden_units_list)]
        check_activations([hidden_activation], "hidden_activation", allow_softmax=False)
        check_type(decoder_distribution, str, "decoder_distribution")
        if decoder_distribution not in DISTRIBUTIONS:
            raise ValueError("decoder_distribution=%r; use 'bernoulli' or 'gaussian'." % decoder_distribution)
        check_initializer(initializer)
        regularizers = check_regularizers(regularizatable_data_list)
        super().__init__()
        self.configure_learning(learning_rate, learning_attenuate_rate, attenuate_epoch, optimizer_name, ctx,
                                regularizers, kwargs)
        self.initializer = initializer or mx.initializer.Xavier(rnd_type="gaussian", factor_type="in", magnitude=2)
        self.input_dim, self.latent_dim = input_dim, latent_dim
        self.hidden_activation = hidden_activation
        self.decoder_distribution = decoder_distribution
        self.hybridize_flag = hybridize_flag
        with self.name_scope():
            self.encoder_list = [gluon.nn.Dense(u, in_units=i) for i, u in zip([input_dim] + hidden[:-1], hidden)]
            self.latent_layer = gluon.nn.Dense(2 * latent_dim, in_units=hidden[-1] if hidden else input_dim)
            back = list(reversed(hidden))
            self.decoder_list = [gluon.nn.Dense(u, in_units=i) for i, u in zip([latent_dim] + back[:-1], back)]
            self.output_layer = gluon.nn.Dense(input_dim, in_units=back[-1] if back else latent_dim)
            for block in self.encoder_list + self.decoder_list:
                self.register_child(block)
            if decoder_distribution == "gaussian":
                self.log_scale = self.params.get("log_scale", shape=(1, input_dim), init=mx.init.Zero())
        if not self.init_deferred_flag:
            self.trainer = self.build_trainer(self.collect_params(), self.initializer)
            if hybridize_flag:
                self.hybridize(**HYBRIDIZE_OPTIONS)

    # ------------------------------------------------------------------ parts
    def _encode(self, F, x):
        h = F.flatten(x)
        for layer in self.encoder_list:
            h = apply_activation(F, layer(h), self.hidden_activation)
        stats = self.latent_layer(h)
        return F.slice_axis(stats, axis=1, begin=0, end=self.latent_dim), \
            F.slice_axis(stats, axis=1, begin=self.latent_dim, end=2 * self.latent_dim)

    def _decode(self, F, z):
        h = z
        for layer in self.decoder_list:
            h = apply_activation(F, layer(h), self.hidden_activation)
        return self.output_layer(h)

    def _mean(self, F, out):
        return F.sigmoid(out) if self.decoder_distribution == "bernoulli" else out

    def _log_scale(self, F):
        if F is mx.nd:
            return self.log_scale.data(first_ctx(self.ctx))
        return self.log_scale.var()

    def forward_propagation(self, F: GraphModule, x: Tensor) -> Tensor:
        """``x`` (B, D) → reconstruction mean (B, D) decoded from ``z = μ(x)``."""
        mean, _ = self._encode(F, x)
        self.feature_points_arr = mean
        return self._mean(F, self._decode(F, mean))

    def hybrid_forward(self, F: GraphModule, x: Tensor, **params: Tensor) -> Tensor:
        return self.forward_propagation(F, x)

    def inference(self, observed_arr: mx.nd.NDArray) -> mx.nd.NDArray:
        """The reconstruction mean of ``observed_arr`` (B, D) from ``z = μ(x)``."""
        import warnings

        with warnings.catch_warnings():  # a Gaussian decoder's scale is used by the loss only
            warnings.filterwarnings("ignore", message=".*is not used by any computation.*")
            return super().inference(observed_arr)

    def compute_feature_points(self, observed_arr: mx.nd.NDArray) -> mx.nd.NDArray:
        return self._encode(mx.nd, observed_arr)[0]

    def graph_loss(self, F: GraphModule, x: Tensor, y: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """Per-sample ``(negative ELBO, reconstruction, KL)``, each ``(B,)``, of ``x`` (B, D) with target
        ``y`` (B, D), one reparametrised draw of ``z`` per sample."""
        target = F.flatten(y)
        mean, log_var = self._encode(F, x)
        z = mean + F.exp(0.5 * log_var) * F.random.normal_like(mean)
        out = self._decode(F, z)
        if self.decoder_distribution == "bernoulli":
            # -log p(x|z) for logits: softplus(out) - x * out, summed over pixels
            nll = F.relu(out) - out * target + F.log1p(F.exp(-F.abs(out)))
        else:
            log_scale = self._log_scale(F)
            nll = F.broadcast_add(0.5 * F.square(F.broadcast_div(target - out, F.exp(log_scale))),
                                  log_scale) + 0.9189385332046727
        reconstruction = F.sum(nll, axis=1)
        kl = -0.5 * F.sum(1.0 + log_var - F.square(mean) - F.exp(log_var), axis=1)
        return reconstruction + kl, reconstruction, kl

    # ------------------------------------------------------------------ public helpers
    def encode(self, observed_arr: mx.nd.NDArray) -> Tuple[mx.nd.NDArray, mx.nd.NDArray]:
        """``(μ, log σ²)`` of ``q(z|x)``, each ``(B, latent_dim)``."""
        return self._encode(mx.nd, observed_arr)

    def decode(self, latent_arr: mx.nd.NDArray) -> mx.nd.NDArray:
        """The mean of ``p(x|z)`` for ``latent_arr`` (B, latent_dim)."""
        return self._mean(mx.nd, self._decode(mx.nd, latent_arr))

    def draw(self, n: Optional[int] = 64, seed: Optional[int] = None) -> mx.nd.NDArray:
        """Decode ``n`` draws of the prior ``N(0, I)``: an ``(n, input_dim)`` NDArray of means."""
        n = check_int(n, "n", minimum=1)
        if seed is not None:
            mx.random.seed(check_int(seed, "seed", minimum=0))
        z = mx.nd.random.normal(shape=(n, self.latent_dim), ctx=first_ctx(self.ctx))
        return self.decode(z)

    def graph_hybridizable(self) -> bool:
        return True
