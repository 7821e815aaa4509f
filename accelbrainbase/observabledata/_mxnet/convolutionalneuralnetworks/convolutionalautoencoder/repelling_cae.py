"""Repelling convolutional auto-encoder: reconstruction plus a pull-away term on the codes."""
from __future__ import annotations

from accelbrainbase._mxnet.checks import check_number
from accelbrainbase.observabledata._mxnet._training_graph import GraphLossMixin, pairwise_cosine
from accelbrainbase.observabledata._mxnet.convolutionalneuralnetworks.convolutional_auto_encoder import \
    ConvolutionalAutoEncoder


class RepellingCAE(GraphLossMixin, ConvolutionalAutoEncoder):
    """A ``ConvolutionalAutoEncoder`` whose codes are pushed apart.

    The loss of a batch is, per sample, the reconstruction loss plus
    ``penalty_lambda * PT`` with the pull-away term of Zhao, Mathieu and LeCun (2017),
    ``PT = 1 / (B (B - 1)) * sum_{i != j} cos(h_i, h_j) ** 2`` over the encoder's codes ``h`` of
    the batch. Codes that point in different directions carry more of what distinguishes the
    samples, which a linear read-out can use.

    The constructor is the parent's. ``inference`` returns the reconstruction (the reference
    added a decoded penalty to it; here the penalty is part of the loss only). The history has
    the per-epoch columns ``pull_away`` (PT) and ``code_cosine`` (mean pairwise cosine) for the
    training batches and ``test_pull_away`` / ``test_code_cosine`` for the test split.
    """

    GRAPH_METRIC_NAMES = ("pull_away", "code_cosine")

    @property
    def penalty_lambda(self) -> float:
        """Weight of the pull-away term (>= 0; default 1e-05)."""
        return self.__dict__.get("_penalty_lambda", 1e-05)

    @penalty_lambda.setter
    def penalty_lambda(self, value: float) -> None:
        self.__dict__["_penalty_lambda"] = check_number(value, "penalty_lambda", minimum=0.0)
        self.reset_training_graph()  # the weight is a constant of the traced graph

    def graph_loss(self, F, x, y):
        encoded = self.encoder.forward_propagation(F, x)
        code = self.output_nn.forward_propagation(F, encoded) if self.output_nn is not None else encoded
        decoded = self.decoder.forward_propagation(F, code)
        reconstruction = self.compute_loss(decoded, y)
        mean_cos, pull_away = pairwise_cosine(F, encoded)
        loss = F.broadcast_add(reconstruction, self.penalty_lambda * pull_away)
        return loss, pull_away, mean_cos
