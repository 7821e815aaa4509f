"""Clipped ReLU (ReLU6 by default)."""
from mxnet.gluon.block import HybridBlock


class ReLuN(HybridBlock):
    """``clip(x, min_n, max_n)``; with ``max_n=-1`` a plain ReLU. No parameters."""

    def __init__(self, min_n=0, max_n=6, **kwargs):
        super().__init__()
        self.min_n = min_n
        self.max_n = max_n

    def inference(self, observed_arr):
        return self(observed_arr)

    def hybrid_forward(self, F, x):
        return self.forward_propagation(F, x)

    def forward_propagation(self, F, x):
        if self.max_n == -1:
            return F.relu(x)
        return F.clip(x, self.min_n, self.max_n)
