"""Dense layers applied to every time step of a (B, T, D) sequence."""
from __future__ import annotations

from accelbrainbase._mxnet.activations import apply_activation
from accelbrainbase.observabledata._mxnet.neural_networks import NeuralNetworks


class NN3DHybrid(NeuralNetworks):
    """``NeuralNetworks`` over the last axis of a (B, T, D) input: output (B, T, units_list[-1]).

    ``batch_size`` and ``seq_len`` are kept for compatibility; the shapes are taken from the
    input, so any batch size or length works.
    """

    @property
    def batch_size(self):
        return self.__dict__.get("_batch_size")

    @batch_size.setter
    def batch_size(self, value) -> None:
        self.__dict__["_batch_size"] = value

    @property
    def seq_len(self):
        return self.__dict__.get("_seq_len")

    @seq_len.setter
    def seq_len(self, value) -> None:
        self.__dict__["_seq_len"] = value

    def forward_propagation(self, F, x):
        """``x`` (B, T, D) → (B, T, units_list[-1])."""
        steps = F.reshape(x, shape=(-3, -2))  # (B*T, D)
        for i, layer in enumerate(self.fc_list):
            steps = layer(steps)
            steps = apply_activation(F, steps, self.activation_list[i])
            steps = self.dropout_forward_list[i](steps)
        # (B*T, U) → (B, T, U), with B and T read from the input
        return F.reshape_like(steps, x, lhs_begin=0, lhs_end=1, rhs_begin=0, rhs_end=2)
