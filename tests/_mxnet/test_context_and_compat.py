"""Context resolution, the numpy alias shim and the oneDNN-safe transposed convolution."""
import importlib

import mxnet as mx
import numpy as np
import pytest
from mxnet import autograd, gluon, nd

import accelbrainbase._numpy_compat as compat
from accelbrainbase._mxnet.context import DEFAULT_CTX, resolve_ctx
from accelbrainbase._mxnet.onednn_safe import Conv2DTranspose, make_onednn_safe, onednn_active


def test_default_context_is_the_gpu_object_and_resolves_to_cpu_without_gpus():
    assert repr(DEFAULT_CTX) == repr(mx.gpu())
    assert mx.context.num_gpus() == 0
    assert resolve_ctx(DEFAULT_CTX) == mx.cpu()
    assert resolve_ctx(None) == mx.cpu()


def test_an_explicit_gpu_without_gpus_falls_back_to_the_cpu_with_one_warning(monkeypatch):
    from accelbrainbase._mxnet import context

    monkeypatch.setattr(context, "_warned_fallback", False)
    with pytest.warns(UserWarning, match=r"ctx=gpu\(0\) asks for a GPU, but MXNet sees none.*mx.cpu\(\)"):
        assert resolve_ctx(mx.gpu(0)) == mx.cpu()
    assert resolve_ctx([mx.gpu(0), mx.gpu(1)]) == [mx.cpu(), mx.cpu()]


def test_a_gpu_beyond_the_machines_gpus_is_a_clear_error(monkeypatch):
    from accelbrainbase._mxnet import context

    monkeypatch.setattr(context, "gpu_count", lambda: 2)
    with pytest.raises(ValueError, match=r"ctx=gpu\(3\) asks for a GPU, but MXNet sees 2 GPU"):
        resolve_ctx(mx.gpu(3))


def test_context_lists_and_wrong_types():
    assert resolve_ctx([mx.cpu(0), mx.cpu(1)]) == [mx.cpu(0), mx.cpu(1)]
    assert resolve_ctx([mx.cpu(0)]) == mx.cpu(0)
    with pytest.raises(TypeError, match="ctx must be an mxnet.Context"):
        resolve_ctx("cpu")
    with pytest.raises(ValueError, match="empty"):
        resolve_ctx([])


def test_numpy_aliases_are_the_builtins():
    for name, builtin in [("bool", bool), ("int", int), ("float", float), ("object", object), ("str", str)]:
        assert getattr(np, name) is builtin
    if tuple(int(p) for p in np.__version__.split(".")[:2]) >= (1, 24):
        assert set(compat.RESTORED) == {"bool", "int", "float", "complex", "object", "str"}


def test_numpy_2_is_refused_with_the_supported_range(monkeypatch):
    restored = compat.RESTORED
    monkeypatch.setattr(np, "__version__", "2.1.0")
    with pytest.raises(ImportError, match=r"numpy >=1.21,<2"):
        importlib.reload(compat)
    monkeypatch.undo()
    importlib.reload(compat)
    compat.RESTORED = restored


@pytest.mark.parametrize("stride, padding, output_padding, size", [
    (1, 1, 0, 8), (2, 1, 1, 7), (2, 0, 0, 5), (3, 2, 1, 6), ((1, 2), (1, 0), (0, 1), 6)])
def test_safe_transposed_convolution_matches_native_and_back_propagates(stride, padding, output_padding, size):
    native = gluon.nn.Conv2DTranspose(1, 4, strides=stride, padding=padding, output_padding=output_padding)
    safe = Conv2DTranspose(1, 4, strides=stride, padding=padding, output_padding=output_padding,
                           params=native.collect_params())
    native.initialize(mx.init.Normal(0.5))
    x = nd.random.normal(shape=(3, 5, size, size))
    expected = native(x)
    for hybridize in (False, True):
        if hybridize:
            safe.hybridize()
        x.attach_grad()
        with autograd.record():
            y = safe(x)
            loss = (y ** 2).sum()
        loss.backward()
        np.testing.assert_allclose(y.asnumpy(), expected.asnumpy(), rtol=1e-4, atol=1e-4)
        assert float(x.grad.abs().sum().asscalar()) > 0
        assert float(safe.weight.grad().abs().sum().asscalar()) > 0


def test_make_onednn_safe_switches_only_single_channel_layers():
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Conv2DTranspose(4, 3), gluon.nn.Conv2DTranspose(1, 3))
    switched = make_onednn_safe(net)
    assert switched == (1 if onednn_active() else 0)
    assert type(net[0]) is gluon.nn.Conv2DTranspose


def test_safe_layer_infers_a_deferred_input_channel_count_inside_a_hybridized_graph():
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Conv2D(6, 3, padding=1), gluon.nn.Conv2DTranspose(1, 4, strides=2, padding=1))
    make_onednn_safe(net)
    net.initialize()
    net.hybridize(static_alloc=True)
    x = nd.random.normal(shape=(2, 3, 7, 7))
    with autograd.record():
        loss = (net(x) ** 2).sum()
    loss.backward()
    assert net[1].weight.shape == (6, 1, 4, 4)
    assert float(net[1].weight.grad().abs().sum().asscalar()) > 0
