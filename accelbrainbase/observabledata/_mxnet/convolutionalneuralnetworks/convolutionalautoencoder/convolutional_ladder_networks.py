"""Convolutional ladder networks: a CAE trained on a clean and a noised path with per-layer costs."""
from __future__ import annotations

import numpy as np

from accelbrainbase._mxnet.activations import apply_activation
from accelbrainbase._mxnet.checks import check_number, check_type
from accelbrainbase.noiseable_data import NoiseableData
from accelbrainbase.noiseabledata._mxnet.gauss_noise import GaussNoise
from accelbrainbase.observabledata._mxnet._training_graph import GraphLossMixin, pairwise_cosine
from accelbrainbase.observabledata._mxnet.convolutionalneuralnetworks.convolutional_auto_encoder import \
    ConvolutionalAutoEncoder

_TERMS = ("alpha", "sigma", "mu")
_PARTS = ("encoder", "decoder")


def _log_property(term: str, part: str, test: bool) -> property:
    """``{term}_{part}[_test]_loss_list``: the per-epoch log of one term (history column)."""
    column = ("test_" if test else "") + "%s_%s" % (term, part)
    slot = "_%s_%s_%sloss_list" % (term, part, "test_" if test else "")

    def getter(self) -> list:
        stored = self.__dict__.get(slot)
        if stored is not None:
            return stored
        history = self.loss_history
        return [float(v) for v in history.column(column)] if column in history.columns else []

    def setter(self, value) -> None:
        self.__dict__[slot] = list(check_type(value, list, slot[1:]))

    return property(getter, setter, doc="Per-epoch mean of the %s %s term on the %s batches (a list; "
                                        "assigning replaces it)." % (part, term, "test" if test else "training"))


def _arr_property(term: str) -> property:
    def getter(self) -> np.ndarray:
        enc = getattr(self, "%s_encoder_loss_list" % term)
        enc_test = getattr(self, "%s_encoder_test_loss_list" % term)[:len(enc)]
        dec = getattr(self, "%s_decoder_loss_list" % term)
        dec_test = getattr(self, "%s_decoder_test_loss_list" % term)[:len(dec)]
        if not enc:
            return np.zeros((0, 4))
        return np.column_stack([enc, enc_test, dec, dec_test])

    def setter(self, value) -> None:
        raise TypeError("%s_loss_arr is read-only." % term)

    return property(getter, setter, doc="``(n_epochs, 4)``: encoder train, encoder test, decoder train, "
                                        "decoder test values of the %s term (read-only)." % term)


class ConvolutionalLadderNetworks(GraphLossMixin, ConvolutionalAutoEncoder):
    """A convolutional auto-encoder trained like a ladder network.

    Each batch runs through the encoder and decoder twice: a clean path and a noised path
    (``noiseable_data`` is applied to the input and again after every layer). The noised path
    reconstructs the clean input, and after every layer ``l`` three terms compare the paths
    (:meth:`forward_ladder_net`):

    * ``alpha`` term: ``mean((clean_l - noised_l) ** 2)``, the denoising (consistency) cost of
      the layer — the noised representation must agree with the clean one;
    * ``sigma`` term: the mean squared cosine between the clean codes of different samples
      (decorrelates the codes of a batch);
    * ``mu`` term: ``mean(clean_l ** 2)``, an activity cost.

    The loss per sample is the reconstruction loss plus ``alpha``, ``sigma`` and ``mu`` times
    the sums (over encoder and decoder) of the layer-averaged terms; the decoder's output layer
    counts for ``alpha`` only (its sigma/mu would penalise the images themselves).
    ``inference`` is the clean path (no noise), i.e. the plain auto-encoder's reconstruction.

    The per-epoch means of the six terms are logged as history columns (``alpha_encoder``,
    ``test_alpha_encoder``, ...) and exposed as the twelve ``*_loss_list`` properties and the
    three ``(n_epochs, 4)`` arrays ``alpha_loss_arr``, ``sigma_loss_arr``, ``mu_loss_arr``.
    They are always recorded; ``recoding_ld_loss`` is kept for compatibility.

    The constructor is the parent's.
    """

    GRAPH_METRIC_NAMES = tuple("%s_%s" % (term, part) for part in _PARTS for term in _TERMS)

    recoding_ld_loss = False

    def _weight(name: str, default: float, doc: str) -> property:  # noqa: N805 (class-body helper)
        def getter(self) -> float:
            return self.__dict__.get("_" + name, default)

        def setter(self, value: float) -> None:
            self.__dict__["_" + name] = check_number(value, name, minimum=0.0)
            self.reset_training_graph()

        return property(getter, setter, doc=doc)

    alpha = _weight("alpha", 1e-05, "Weight of the per-layer denoising term (default 1e-05).")
    sigma = _weight("sigma", 0.7, "Weight of the per-layer code-decorrelation term (default 0.7).")
    mu = _weight("mu", 0.7, "Weight of the per-layer activity term (default 0.7).")
    del _weight

    alpha_encoder_loss_list = _log_property("alpha", "encoder", False)
    alpha_decoder_loss_list = _log_property("alpha", "decoder", False)
    alpha_encoder_test_loss_list = _log_property("alpha", "encoder", True)
    alpha_decoder_test_loss_list = _log_property("alpha", "decoder", True)
    sigma_encoder_loss_list = _log_property("sigma", "encoder", False)
    sigma_decoder_loss_list = _log_property("sigma", "decoder", False)
    sigma_encoder_test_loss_list = _log_property("sigma", "encoder", True)
    sigma_decoder_test_loss_list = _log_property("sigma", "decoder", True)
    mu_encoder_loss_list = _log_property("mu", "encoder", False)
    mu_decoder_loss_list = _log_property("mu", "decoder", False)
    mu_encoder_test_loss_list = _log_property("mu", "encoder", True)
    mu_decoder_test_loss_list = _log_property("mu", "decoder", True)
    alpha_loss_arr = _arr_property("alpha")
    sigma_loss_arr = _arr_property("sigma")
    mu_loss_arr = _arr_property("mu")

    @property
    def noiseable_data(self) -> NoiseableData:
        """The noise of the noised path (default: mxnet ``GaussNoise(mu=0.0, sigma=1e-03)``)."""
        noise = self.__dict__.get("_noiseable_data")
        if noise is None:
            noise = GaussNoise(mu=0.0, sigma=1e-03)
            self.__dict__["_noiseable_data"] = noise
        return noise

    @noiseable_data.setter
    def noiseable_data(self, value: NoiseableData) -> None:
        self.__dict__["_noiseable_data"] = check_type(value, NoiseableData, "noiseable_data")
        self.reset_training_graph()

    # ------------------------------------------------------------------ the two paths
    def forward_ladder_net(self, F, x, noised_x):
        """``(alpha_arr, sigma_arr, mu_arr)`` for one layer's clean output ``x`` and noised
        output ``noised_x`` (same shape); each a (1,) array."""
        alpha_arr = F.mean(F.square(x - noised_x)).reshape((1,))
        sigma_arr = pairwise_cosine(F, x)[1]
        mu_arr = F.mean(F.square(x)).reshape((1,))
        return alpha_arr, sigma_arr, mu_arr

    @staticmethod
    def _post(F, net, i: int, x):
        x = apply_activation(F, x, net.hidden_activation_list[i])
        x = net.hidden_dropout_rate_list[i](x)
        if net.hidden_batch_norm_list[i] is not None:
            x = net.hidden_batch_norm_list[i](x)
        return x

    @classmethod
    def _layer_pair(cls, F, net, i: int, clean, noised):
        """Layer ``i`` on both paths. The convolution runs once on the two batches stacked:
        MXNet 1.9.1's oneDNN cannot back-propagate a transposed convolution that appears twice
        in one recorded graph ("could not execute a primitive"); activation, dropout and batch
        norm then run per path (each path keeps its own batch statistics)."""
        both = net.hidden_units_list[i](F.concat(clean, noised, dim=0))
        clean, noised = F.split(both, num_outputs=2, axis=0)
        return cls._post(F, net, i, clean), cls._post(F, net, i, noised)

    def _ladder(self, F, net, clean, noised, is_output: bool):
        """Both paths through ``net``'s layers; returns them and the layer-averaged terms."""
        noise = self.noiseable_data
        sums = [0.0, 0.0, 0.0]
        counts = [0, 0, 0]
        n = len(net.hidden_units_list)
        for i in range(n):
            clean, noised = self._layer_pair(F, net, i, clean, noised)
            last_output = is_output and i == n - 1
            if not last_output:
                noised = noise.noise(noised, F=F)
            terms = self.forward_ladder_net(F, clean, noised)
            for k in range(3):
                if k == 0 or not last_output:
                    sums[k] = sums[k] + terms[k]
                    counts[k] += 1
        return clean, noised, [s / c if c else F.zeros((1,)) for s, c in zip(sums, counts)]

    def graph_loss(self, F, x, y):
        noised = self.noiseable_data.noise(x, F=F)
        clean, noised, encoder_terms = self._ladder(F, self.encoder, x, noised, is_output=False)
        if self.output_nn is not None:
            clean = self.output_nn.forward_propagation(F, clean)
            noised = self.output_nn.forward_propagation(F, noised)
        _, decoded, decoder_terms = self._ladder(F, self.decoder, clean, noised, is_output=True)
        reconstruction = self.compute_loss(decoded, y)
        penalty = sum(weight * (e + d) for weight, e, d in
                      zip((self.alpha, self.sigma, self.mu), encoder_terms, decoder_terms))
        loss = F.broadcast_add(reconstruction, penalty)
        return (loss,) + tuple(encoder_terms) + tuple(decoder_terms)
