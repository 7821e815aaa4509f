"""GaussNoise and CutoutNoise, backend-neutral (numpy) and mxnet (NDArray / Symbol)."""
import mxnet as mx
import numpy as np
import pytest
from mxnet.gluon import HybridBlock

from accelbrainbase.noiseabledata._mxnet.cutout_noise import CutoutNoise as MxCutoutNoise
from accelbrainbase.noiseabledata._mxnet.gauss_noise import GaussNoise as MxGaussNoise
from accelbrainbase.noiseabledata.cutout_noise import CutoutNoise
from accelbrainbase.noiseabledata.gauss_noise import GaussNoise


def _images(arrays, n=64, side=8):
    return arrays["x_train"][:n].reshape(n, 1, side, side)


def test_neutral_gauss_noise_adds_the_requested_distribution(digits_arrays):
    x = digits_arrays["x_train"]
    noised = GaussNoise(mu=0.5, sigma=0.2).noise(x)
    assert noised.shape == x.shape and noised.dtype == np.float32
    residual = noised - x
    assert abs(residual.mean() - 0.5) < 0.01 and abs(residual.std() - 0.2) < 0.01


def test_neutral_gauss_noise_seed_repeats_and_accepts_ndarrays(digits_arrays):
    x = digits_arrays["x_test"]
    np.testing.assert_array_equal(GaussNoise(seed=3).noise(x), GaussNoise(seed=3).noise(x))
    assert not np.array_equal(GaussNoise(seed=3).noise(x), GaussNoise(seed=4).noise(x))
    assert GaussNoise().noise(mx.nd.array(x)).shape == x.shape
    with pytest.raises(ValueError, match="sigma"):
        GaussNoise(sigma=-1.0)


def test_mxnet_gauss_noise_on_ndarray(digits_arrays):
    x = mx.nd.array(digits_arrays["x_train"])
    noised = MxGaussNoise(mu=-1.0, sigma=0.5).noise(x)
    assert isinstance(noised, mx.nd.NDArray) and noised.shape == x.shape
    residual = (noised - x).asnumpy()
    assert abs(residual.mean() + 1.0) < 0.01 and abs(residual.std() - 0.5) < 0.01


class _Noisy(HybridBlock):
    def __init__(self, noise):
        super().__init__()
        self.noiser = noise

    def hybrid_forward(self, F, x):
        return self.noiser.noise(x, F=F)


def test_mxnet_gauss_noise_works_inside_a_hybridized_graph(digits_arrays):
    block = _Noisy(MxGaussNoise(mu=2.0, sigma=0.1))
    block.hybridize()
    x = mx.nd.array(digits_arrays["x_test"])
    first, second = block(x), block(x)
    residual = (first - x).asnumpy()
    assert first.shape == x.shape
    assert abs(residual.mean() - 2.0) < 0.01 and abs(residual.std() - 0.1) < 0.01
    assert not np.array_equal(first.asnumpy(), second.asnumpy())


def _check_cutout(noised, ones_shape, height, width):
    """Every sample has exactly one zero window of height x width, shared by its channels."""
    n = ones_shape[0]
    zeros = (noised == 0)
    per_image = zeros.reshape((n, -1) + ones_shape[-2:])
    for i in range(n):
        for plane in per_image[i]:
            np.testing.assert_array_equal(plane, per_image[i][0])
        rows, cols = np.nonzero(per_image[i][0])
        assert per_image[i][0].sum() == height * width
        assert rows.max() - rows.min() + 1 == height and cols.max() - cols.min() + 1 == width
    corners = {tuple(np.argwhere(per_image[i][0])[0]) for i in range(n)}
    assert len(corners) > 1, "windows are drawn per sample"


@pytest.mark.parametrize("shape", [(16, 3, 12, 10), (6, 4, 2, 12, 10)])
def test_neutral_cutout_zeroes_one_window_per_sample(shape):
    noised = CutoutNoise(height=3, width=4, seed=0).noise(np.ones(shape, dtype=np.float32))
    assert noised.shape == shape and noised.dtype == np.float32
    _check_cutout(noised, shape, 3, 4)


@pytest.mark.parametrize("shape", [(16, 3, 12, 10), (6, 4, 2, 12, 10)])
def test_mxnet_cutout_zeroes_one_window_per_sample_on_the_device(shape):
    noised = MxCutoutNoise(height=5, width=2).noise(mx.nd.ones(shape))
    assert isinstance(noised, mx.nd.NDArray) and noised.context == mx.cpu()
    _check_cutout(noised.asnumpy(), shape, 5, 2)


def test_cutout_keeps_other_ranks_and_handles_windows_as_large_as_the_image(digits_arrays):
    flat = digits_arrays["x_test"]
    np.testing.assert_array_equal(CutoutNoise().noise(flat), flat)
    images = _images(digits_arrays)
    assert (CutoutNoise(height=8, width=8).noise(images) == 0).all()
    assert (CutoutNoise(height=20, width=20).noise(images) == 0).all()
    assert (MxCutoutNoise(height=8, width=8).noise(mx.nd.array(images)).asnumpy() == 0).all()
    assert MxCutoutNoise().noise(mx.nd.array(flat)).shape == flat.shape


def test_cutout_rejects_bad_sizes():
    with pytest.raises(ValueError, match="height"):
        CutoutNoise(height=0)
    with pytest.raises(TypeError, match="width"):
        MxCutoutNoise(width=2.5)
