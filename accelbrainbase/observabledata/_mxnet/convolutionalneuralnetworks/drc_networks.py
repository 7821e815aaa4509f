"""Deep Reconstruction-Classification Networks (DRCN) for unsupervised domain adaptation."""
from __future__ import annotations

import math

import mxnet as mx
import numpy as np
from mxnet.gluon.parameter import ParameterDict

from accelbrainbase._mxnet.checks import check_number, check_type
from accelbrainbase._mxnet.context import DEFAULT_CTX
from accelbrainbase._mxnet.learner import HYBRIDIZE_OPTIONS
from accelbrainbase.computableloss._mxnet.drcn_loss import DRCNLoss
from accelbrainbase.iteratabledata.drcn_iterator import DRCNIterator
from accelbrainbase.observabledata._mxnet._training_graph import GraphLossMixin
from accelbrainbase.observabledata._mxnet.convolutional_neural_networks import ConvolutionalNeuralNetworks
from accelbrainbase.observabledata._mxnet.convolutionalneuralnetworks.convolutional_auto_encoder import \
    ConvolutionalAutoEncoder


class DRCNetworks(GraphLossMixin, ConvolutionalNeuralNetworks):
    """A shared convolutional encoder with two heads: ``output_nn`` classifies labelled
    source-domain images, the auto-encoder's decoder reconstructs unlabelled target-domain
    images (Ghifary et al., 2016). Learning to reconstruct the target domain makes the encoder's
    features fit it, so the source-trained classifier transfers.

    Each training step takes ``(x, y, test_x, test_y, target_x)`` from a ``DRCNIterator`` and
    minimises ``drcn_loss(decoder(encoder(target_x)), output_nn(encoder(x)), target_x, y)``
    (one hybridized graph, one backward pass, both trainers step).

    Args:
        convolutional_auto_encoder: a ``ConvolutionalAutoEncoder`` (its encoder is shared).
        drcn_loss: a ``DRCNLoss``.
        output_nn: the classifier head on the encoder's features (a ``NeuralNetworks`` or CNN
            built with ``not_init_flag=True``); initialised with its own ``initializer`` and
            optimised by ``output_nn_trainer``.
        tied_weights_flag: tie the auto-encoder's weights after every step.
        tol: when an epoch's mean training loss exceeds the previous epoch's by more than
            ``tol``, learning is frozen (learning rate 0) for the rest of the run; ``None``: off.
        est: when the mean training loss changes by less than ``est`` between epochs, learning
            stops; ``None``: off.
        wd: weight decay of both trainers.
        Other arguments as in ``ConvolutionalNeuralNetworks`` (the hidden-layer lists build
        layers that the forward pass does not use, as in the reference).

    History columns: ``train_loss``/``test_loss`` (total), ``cls``, ``rec``, ``acc`` and their
    ``test_`` counterparts; ``loss_arr`` is ``(n, 6)`` (train total, test total, train cls,
    test cls, train rec, test rec) and ``acc_arr`` ``(n, 2)``. The test pass reconstructs the test
    images themselves.
    """

    _UNREGISTERED = ConvolutionalNeuralNetworks._UNREGISTERED | {"drcn_loss"}
    GRAPH_METRIC_NAMES = ("cls", "rec", "acc")
    expected_iterator_type = DRCNIterator
    _init_deferred_flag = False

    def __init__(
        self,
        convolutional_auto_encoder,
        drcn_loss,
        initializer=None,
        learning_rate=1e-05,
        learning_attenuate_rate=1.0,
        attenuate_epoch=50,
        hidden_units_list=[],
        output_nn=None,
        hidden_dropout_rate_list=[],
        optimizer_name="SGD",
        hidden_activation_list=[],
        hidden_batch_norm_list=[],
        ctx=DEFAULT_CTX,
        hybridize_flag=True,
        regularizatable_data_list=[],
        scale=1.0,
        tied_weights_flag=True,
        tol=3.0,
        est=1e-08,
        wd=0.0,
        **kwargs
    ):
        check_type(convolutional_auto_encoder, ConvolutionalAutoEncoder, "convolutional_auto_encoder")
        check_type(drcn_loss, DRCNLoss, "drcn_loss")
        if tol is not None:
            check_number(tol, "tol", minimum=0.0)
        if est is not None:
            check_number(est, "est", minimum=0.0)
        deferred = self.init_deferred_flag
        self.init_deferred_flag = True
        super().__init__(
            computable_loss=drcn_loss,
            initializer=initializer or mx.initializer.Xavier(rnd_type="gaussian", factor_type="in", magnitude=1),
            learning_rate=learning_rate,
            learning_attenuate_rate=learning_attenuate_rate,
            attenuate_epoch=attenuate_epoch,
            hidden_units_list=hidden_units_list,
            output_nn=None,
            hidden_dropout_rate_list=hidden_dropout_rate_list,
            hidden_batch_norm_list=hidden_batch_norm_list,
            optimizer_name=optimizer_name,
            hidden_activation_list=hidden_activation_list,
            ctx=ctx,
            hybridize_flag=hybridize_flag,
            regularizatable_data_list=regularizatable_data_list,
            scale=scale,
            **kwargs
        )
        self.init_deferred_flag = deferred
        self.drcn_loss = drcn_loss
        self.tied_weights_flag = tied_weights_flag
        self.tol = tol
        self.est = est
        self.tol_flag = False
        with self.name_scope():
            self.convolutional_auto_encoder = convolutional_auto_encoder
        self.output_nn = output_nn
        self.output_nn_trainer = None
        if not deferred:
            self.trainer = self.build_trainer(self._shared_params(), self.initializer, wd=wd)
            if output_nn is not None:
                self.output_nn_trainer = self.build_trainer(output_nn.collect_params(), output_nn.initializer,
                                                            wd=wd)
            if hybridize_flag:
                self.hybridize(**HYBRIDIZE_OPTIONS)

    # ------------------------------------------------------------------ parameters
    def _shared_params(self, select=None) -> ParameterDict:
        """The block's own layers ∪ the auto-encoder (what ``trainer`` optimises)."""
        params = ParameterDict(self.prefix)
        for block in list(self.hidden_units_list) + [n for n in self.hidden_batch_norm_list if n is not None]:
            params.update(block.collect_params(select))
        params.update(self.convolutional_auto_encoder.collect_params(select))
        return params

    def collect_params(self, select=None):
        """Own layers ∪ auto-encoder ∪ ``output_nn``."""
        params = self._shared_params(select)
        if self.output_nn is not None:
            params.update(self.output_nn.collect_params(select))
        return params

    def trainers(self) -> dict:
        found = {"trainer": getattr(self, "trainer", None), "output_nn_trainer": self.output_nn_trainer}
        return {name: trainer for name, trainer in found.items() if trainer is not None}

    def step_trainer(self):
        """Both trainers step after the one backward pass of the combined loss."""
        return [trainer for trainer in (self.trainer, self.output_nn_trainer) if trainer is not None]

    def set_learning_rate(self, learning_rate: float) -> None:
        """Re-rate both trainers (0 once ``tol`` has frozen learning)."""
        self._current_rate = learning_rate
        super().set_learning_rate(0.0 if self.tol_flag else learning_rate)

    # ------------------------------------------------------------------ forward
    def forward_propagation(self, F, x):
        """``x`` (B, C, H, W) → ``(decoded (B, C, H, W), class scores)``."""
        features = self.convolutional_auto_encoder.encoder.forward_propagation(F, x)
        decoded = self._decode(F, features)
        self.feature_points_arr = features
        prob = self.output_nn.forward_propagation(F, features) if self.output_nn is not None else features
        return decoded, prob

    def _decode(self, F, features):
        cae = self.convolutional_auto_encoder
        if cae.output_nn is not None:
            features = cae.output_nn.forward_propagation(F, features)
        return cae.decoder.forward_propagation(F, features)

    def compute_feature_points(self, observed_arr):
        return self.convolutional_auto_encoder.encoder.forward_propagation(mx.nd, observed_arr)

    def inference_auto_encoder(self, observed_arr):
        """The auto-encoder's reconstruction of ``observed_arr``."""
        return self.convolutional_auto_encoder.inference(observed_arr)

    def adapt_batch_norm(self, observed_arr, batch_size: int = 500, passes: int = 20) -> None:
        """Re-estimate the moving statistics of every ``BatchNorm`` in the shared encoder on
        ``observed_arr`` (B, C, H, W): "AdaBN" (Li et al., 2016), batch normalisation with the
        statistics of the domain being classified.

        Training normalises each domain by its own batch statistics (the encoder is called once
        per domain), but the moving averages mix both domains; call this with unlabelled target
        images before classifying target data. The encoder runs ``passes`` times over the array
        in training mode; MXNet updates the moving averages in the backward pass, so each chunk is
        back-propagated too, but no trainer steps: parameters do not change (their gradients are
        overwritten by the next training step). Dropout in the encoder is active during the passes.

        Raises:
            TypeError: ``observed_arr`` is not an NDArray.
            ValueError: ``observed_arr`` is not 4-D, or ``batch_size``/``passes`` < 1.
        """
        from mxnet import autograd

        check_type(observed_arr, mx.nd.NDArray, "observed_arr")
        if observed_arr.ndim != 4:
            raise ValueError("observed_arr must be (B, C, H, W) images; got shape %s." % (observed_arr.shape,))
        check_number(batch_size, "batch_size", minimum=1)
        check_number(passes, "passes", minimum=1)
        encoder = self.convolutional_auto_encoder.encoder
        n, size = observed_arr.shape[0], int(batch_size)
        for _ in range(int(passes)):
            for start in range(0, n, size):
                with autograd.record():
                    features = encoder.forward_propagation(mx.nd, observed_arr[start:start + size])
                features.backward()
        mx.nd.waitall()

    def compute_loss(self, decoded_arr, prob_arr, batch_observed_arr, batch_target_arr):
        """``drcn_loss(decoded, prob, observed, target)`` → ``(total, classification, reconstruction)``."""
        return self.drcn_loss(decoded_arr, prob_arr, batch_observed_arr, batch_target_arr)

    # ------------------------------------------------------------------ learning
    def graph_hybridizable(self) -> bool:
        return True

    def graph_loss(self, F, x, y, target_x):
        cae = self.convolutional_auto_encoder
        features = cae.encoder.forward_propagation(F, x)
        prob = self.output_nn.forward_propagation(F, features) if self.output_nn is not None else features
        decoded = self._decode(F, cae.encoder.forward_propagation(F, target_x))
        total, classification, reconstruction = self.drcn_loss(decoded, prob, target_x, y)
        hits = F.argmax(prob, axis=1) == F.argmax(y, axis=1)
        return total, F.mean(classification).reshape((1,)), F.mean(reconstruction).reshape((1,)), \
            F.mean(hits).reshape((1,))

    def graph_inputs(self, batch) -> tuple:
        if len(batch) < 5:
            raise ValueError("DRCNetworks needs (x, y, test_x, test_y, target_x) tuples; got %d items."
                             % len(batch))
        return batch[0], batch[1], batch[4]

    def graph_test_inputs(self, batch) -> tuple:
        return batch[2], batch[3], batch[2]

    def training_step(self, batch):
        self._check_progress()
        self.convolutional_auto_encoder.batch_size = batch[0].shape[0]
        return super().training_step(batch)

    def _check_progress(self) -> None:
        """``tol``/``est`` on the per-epoch mean training losses (already on the host), at the
        first step of an epoch: no synchronisation inside the step loop."""
        state = self.fit_state
        if state is None or state.step % state.steps_per_epoch or len(state.history) < 2:
            return
        losses = state.history.column("train_loss")
        diff = float(losses[-1] - losses[-2])
        if self.tol is not None and diff > self.tol and not self.tol_flag:
            self.tol_flag = True
            self.set_learning_rate(getattr(self, "_current_rate", state.learning_rate))
        if self.est is not None and math.isfinite(diff) and abs(diff) < self.est:
            self.stop_training = True

    def on_fit_start(self, state) -> None:
        super().on_fit_start(state)
        self.tol_flag = False

    def after_step(self) -> None:
        if self.tied_weights_flag:
            self.convolutional_auto_encoder.tie_weights()
        super().after_step()

    # ------------------------------------------------------------------ logs
    @property
    def loss_arr(self) -> np.ndarray:
        """``(n_epochs, 6)``: train total, test total, train cls, test cls, train rec, test rec."""
        history = self.loss_history
        if not len(history):
            return np.zeros((0, 6))
        return np.column_stack([history.column(name) for name in
                                ("train_loss", "test_loss", "cls", "test_cls", "rec", "test_rec")])

    @loss_arr.setter
    def loss_arr(self, value) -> None:
        raise TypeError("loss_arr is read-only.")
