"""L2NormLoss: per-sample RMSE over every non-batch axis, any rank (FINDINGS 10)."""
import numpy as np
import pytest
from mxnet import autograd, nd

from accelbrainbase.computable_loss import ComputableLoss
from accelbrainbase.computableloss._mxnet.l2_norm_loss import L2NormLoss


@pytest.mark.parametrize("shape", [(4, 10), (4, 1, 6, 6), (4, 3, 5, 5), (4, 7, 3)])
def test_per_sample_rmse_over_all_non_batch_axes(shape):
    a, b = np.random.rand(*shape).astype(np.float32), np.random.rand(*shape).astype(np.float32)
    loss = L2NormLoss()(nd.array(a), nd.array(b)).asnumpy()
    expected = np.sqrt(((a - b) ** 2).reshape(shape[0], -1).mean(axis=1))
    assert loss.shape == (shape[0],)
    np.testing.assert_allclose(loss, expected, rtol=1e-5)


def test_compute_is_symmetric_and_gradient_is_finite_at_zero_error():
    loss = L2NormLoss()
    assert isinstance(loss, ComputableLoss)
    x = nd.random.uniform(shape=(3, 4))
    x.attach_grad()
    with autograd.record():
        value = loss.compute(x, x.copy())
    value.backward()
    assert np.isfinite(x.grad.asnumpy()).all()
    y = nd.random.uniform(shape=(3, 4))
    np.testing.assert_allclose(loss.compute(x, y).asnumpy(), loss.compute(y, x).asnumpy())


def test_weight_scales_the_loss():
    a, b = nd.ones((2, 3)), nd.zeros((2, 3))
    np.testing.assert_allclose(L2NormLoss(weight=2.0)(a, b).asnumpy(), 2 * L2NormLoss()(a, b).asnumpy(), rtol=1e-5)
