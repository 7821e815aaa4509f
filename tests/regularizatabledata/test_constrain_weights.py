"""ConstrainWeights: the 0.9-shrinking rule, in closed form, numpy and NDArray."""
import numpy as np
import pytest
from mxnet import nd

from accelbrainbase.regularizatabledata._mxnet.constrain_weights import ConstrainWeights
from accelbrainbase.regularizatabledata.constrain_weights import ConstrainWeights as NumpyConstrainWeights


def shrink_by_loop(w, limit):
    while np.nansum(w * w) > limit:
        w = w * 0.9
    return w


@pytest.mark.parametrize("limit", [0.01, 0.9, 5.0, 1e4])
def test_matches_the_iterative_rule(limit):
    w = np.random.RandomState(1).randn(20, 7).astype(np.float32)
    expected = shrink_by_loop(w, limit)
    np.testing.assert_allclose(NumpyConstrainWeights(limit).constrain_weight(w), expected, rtol=1e-5)
    np.testing.assert_allclose(ConstrainWeights(limit).constrain_weight(nd.array(w)).asnumpy(), expected, rtol=1e-5)


def test_only_weights_are_constrained():
    params = {"dense0_weight": nd.ones((10, 10)), "dense0_bias": nd.ones((10,)) * 100}
    out = ConstrainWeights(0.9).regularize(params)
    assert float((out["dense0_weight"] ** 2).sum().asscalar()) <= 0.9
    assert float(out["dense0_bias"].sum().asscalar()) == 1000


def test_weight_limit_must_be_positive():
    with pytest.raises(ValueError, match="weight_limit"):
        ConstrainWeights(-1)
