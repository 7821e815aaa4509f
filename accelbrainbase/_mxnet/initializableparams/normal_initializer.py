"""Gaussian weight initializer."""
import mxnet as mx
import numpy as np


class NormalInitializer(mx.initializer.Initializer):
    """Weights drawn from N(mu, sigma) and multiplied by ``scale``; biases, gamma and beta
    follow MXNet's usual rules.

    Args:
        mu: mean of the weights.
        sigma: standard deviation of the weights.
        scale: factor applied to the drawn weights (1.0 keeps N(mu, sigma)).
        init_dtype: recorded for compatibility; weights keep their parameter's dtype.
    """

    def __init__(self, mu=0.0, sigma=1.0, scale=1.0, init_dtype=np.float16):
        super().__init__(sigma=sigma, mu=mu, init_dtype=init_dtype)
        self.mu = mu
        self.sigma = sigma
        self.scale = scale
        self.init_dtype = init_dtype

    def _init_weight(self, name, arr):
        mx.nd.random.normal(self.mu, self.sigma, shape=arr.shape, dtype=arr.dtype, ctx=arr.context, out=arr)
        if self.scale != 1.0:
            arr *= self.scale
