"""Context resolution, the numpy alias shim and the oneDNN-safe transposed convolution."""
import importlib

import mxnet as mx
import numpy as np
import pytest
from mxnet import autograd, gluon, nd

import accelbrainbase._numpy_compat as compat
from accelbrainbase._mxnet.context import DEFAULT_CTX, resolve_ctx
from accelbrainbase._mxnet.onednn_safe import (
    Conv2DTranspose,
    WideConv2DTranspose,
    contract_shape,
    make_onednn_safe,
    onednn_active,
    widen,
)


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
    assert contract_shape(net[1].weight) == (6, 1, 4, 4)
    assert float(net[1].weight.grad().abs().sum().asscalar()) > 0


def _wide_and_native(seed=3):
    """A widened single-channel layer and a native one holding the same (1-channel) weight."""
    mx.random.seed(seed)
    native = gluon.nn.Conv2DTranspose(1, 6, strides=2, padding=1, in_channels=5)
    native.initialize(mx.init.Xavier(rnd_type="gaussian", factor_type="in", magnitude=1))
    mx.random.seed(seed)
    wide = widen(gluon.nn.Conv2DTranspose(1, 6, strides=2, padding=1, in_channels=5))
    wide.initialize(mx.init.Xavier(rnd_type="gaussian", factor_type="in", magnitude=1))
    return wide, native


def test_widened_layer_draws_the_one_channel_initial_weight_and_keeps_channel_1_zero():
    wide, native = _wide_and_native()
    assert isinstance(wide, WideConv2DTranspose) and wide.weight.shape == (5, 2, 6, 6)
    np.testing.assert_array_equal(wide.narrow_weight().asnumpy(), native.weight.data().asnumpy())
    assert float(wide.weight.data()[:, 1].abs().sum().asscalar()) == 0


@pytest.mark.parametrize("hybridize", [False, True])
def test_widened_layer_computes_the_native_layer_and_its_gradients(hybridize):
    wide, native = _wide_and_native()
    reference = Conv2DTranspose(1, 6, strides=2, padding=1, params=native.collect_params())  # oneDNN-safe
    if hybridize:
        wide.hybridize(static_alloc=True)
    x = nd.random.normal(shape=(4, 5, 13, 13))
    grads = []
    for layer in (wide, reference):
        x.attach_grad()
        with autograd.record():
            y = layer(x)
            loss = (y ** 2).sum()
        loss.backward()
        grads.append((y.asnumpy(), x.grad.asnumpy(), layer.weight.grad().asnumpy()))
    (y_w, gx_w, gw_w), (y_r, gx_r, gw_r) = grads
    assert y_w.shape == (4, 1, 28, 28)
    np.testing.assert_allclose(y_w, y_r, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(gx_w, gx_r, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(gw_w[:, :1], gw_r, rtol=1e-3, atol=1e-3)
    assert np.abs(gw_w[:, 1]).sum() == 0


def test_widened_layer_saves_and_loads_the_contract_one_channel_weight(tmp_path):
    wide, native = _wide_and_native()
    wide.save_parameters(str(tmp_path / "wide.params"))
    saved = nd.load(str(tmp_path / "wide.params"))
    assert saved["weight"].shape == (5, 1, 6, 6)
    native.load_parameters(str(tmp_path / "wide.params"))  # a plain Gluon layer reads it
    np.testing.assert_array_equal(native.weight.data().asnumpy(), wide.narrow_weight().asnumpy())
    native.weight.set_data(native.weight.data() * 2)
    native.save_parameters(str(tmp_path / "native.params"))
    wide.load_parameters(str(tmp_path / "native.params"))  # and the other way round
    np.testing.assert_array_equal(wide.narrow_weight().asnumpy(), native.weight.data().asnumpy())
    assert float(wide.weight.data()[:, 1].abs().sum().asscalar()) == 0


def _auto_encoder():
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Conv2D(8, 4, strides=2, padding=1), gluon.nn.BatchNorm(),
            gluon.nn.Conv2DTranspose(16, 3, padding=1), gluon.nn.Conv2DTranspose(1, 4, strides=2, padding=1))
    return net


def test_a_block_evaluated_twice_in_one_graph_back_propagates_with_onednn():
    """oneDNN crashes (segmentation fault) back-propagating a Deconvolution that appears twice in
    one recorded graph, whatever its channel count; ``reused=True`` computes them with convolutions.
    The single-channel layer was widened first (as a model built with the block does) and is
    narrowed back, keeping its values."""
    net = _auto_encoder()
    make_onednn_safe(net)  # what ConvolutionalNeuralNetworks does
    mx.random.seed(0)
    net.initialize(mx.init.Normal(0.3))
    a, b = nd.random.uniform(shape=(4, 1, 8, 8)), nd.random.uniform(shape=(4, 1, 8, 8))
    before = net(a).asnumpy()
    weight_before = (net[3].narrow_weight() if onednn_active() else net[3].weight.data()).asnumpy()
    switched = make_onednn_safe(net, reused=True)  # what a discriminator does with its model
    assert switched == (2 if onednn_active() else 0)
    if onednn_active():
        assert type(net[3]) is Conv2DTranspose and net[3].via_convolution and net[2].via_convolution
    assert net[3].weight.shape == (16, 1, 4, 4)
    np.testing.assert_array_equal(net[3].weight.data().asnumpy(), weight_before)
    net.hybridize(static_alloc=True)
    np.testing.assert_allclose(net(a).asnumpy(), before, rtol=1e-4, atol=1e-5)
    params = list(net.collect_params().values())
    separate = []
    for x, sign in ((a, 1.0), (b, -1.0)):  # reference: one pass per recorded graph
        with autograd.record():
            loss = sign * ((net(x) - x) ** 2).mean()
        loss.backward()
        separate.append([p.grad().asnumpy().copy() for p in params if p.grad_req != "null"])
    with autograd.record():
        loss = ((net(a) - a) ** 2).mean() - ((net(b) - b) ** 2).mean()
    loss.backward()
    together = [p.grad().asnumpy() for p in params if p.grad_req != "null"]
    for got, first, second in zip(together, *separate):
        np.testing.assert_allclose(got, first + second, rtol=1e-3, atol=1e-5)


def test_a_deferred_widened_layer_is_narrowed_before_its_shape_is_known():
    net = _auto_encoder()
    make_onednn_safe(net)
    make_onednn_safe(net, reused=True)
    net.initialize()
    net.hybridize(static_alloc=True)
    x = nd.random.uniform(shape=(2, 1, 8, 8))
    with autograd.record():
        loss = (net(x) ** 2).mean() + (net(x + 1) ** 2).mean()
    loss.backward()
    assert net[3].weight.shape == (16, 1, 4, 4)
    assert float(net[3].weight.grad().abs().sum().asscalar()) > 0


@pytest.mark.parametrize("initialized", [False, True])
def test_switching_routes_keeps_the_parameter_objects_a_trainer_holds(initialized):
    """A block may already have its own Trainer when a model switches its layers (a CNN given to a
    DiscriminativeModel): the weight stays the same Parameter object, so that Trainer still
    updates the layer."""
    net = _auto_encoder()
    make_onednn_safe(net)
    net.initialize(mx.init.Normal(0.3))  # deferred: shapes known at the first forward
    if initialized:
        net(nd.zeros((1, 1, 8, 8)))
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    weight = net[3].weight
    make_onednn_safe(net, reused=True)
    assert net[3].weight is weight and weight in trainer._params
    net.hybridize(static_alloc=True)
    x = nd.random.uniform(shape=(4, 1, 8, 8))
    net(x)  # completes a deferred initialization
    before = net[3].weight.data().asnumpy().copy()
    with autograd.record():
        loss = ((net(x) - x) ** 2).mean() + ((net(x * 0.5) - x) ** 2).mean()
    loss.backward()
    trainer.step(4)
    assert net[3].weight.shape == (16, 1, 4, 4)
    assert np.abs(net[3].weight.data().asnumpy() - before).max() > 0
