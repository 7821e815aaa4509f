"""Hebbian family: plain Hebb, Oja's rule, Sanger's GHA — local rules on the shared engine."""
import mxnet as mx
import numpy as np
import pytest
from mxnet import gluon, nd

from accelbrainbase.iteratable_data import IteratableData
from accelbrainbase.iteratabledata._mxnet.array_iterator import ArrayIterator
from accelbrainbase.observabledata._mxnet.hebbian_networks import HebbianNetworks
from accelbrainbase.observabledata._mxnet.hebbiannetworks.oja_rule import OjaRule
from accelbrainbase.observabledata._mxnet.hebbiannetworks.sanger_rule import SangerRule

VARIANCES = np.array([6.0, 3.0, 1.5, 0.6, 0.3, 0.2, 0.1, 0.05])
D = len(VARIANCES)


@pytest.fixture(scope="module")
def gaussian():
    """1,000 samples of an 8-D Gaussian with known principal axes, mean (3, 3, ...)."""
    rng = np.random.RandomState(0)
    axes, _ = np.linalg.qr(rng.normal(size=(D, D)))  # columns: the true components
    x = rng.normal(size=(1000, D)) * np.sqrt(VARIANCES) @ axes.T + 3.0
    return {"x": x.astype(np.float32), "components": axes.T}


def learn(model, x, epochs=6, batch_size=50, seed=0):
    model.learn(ArrayIterator(x, epochs=epochs, batch_size=batch_size, seed=seed))
    return model


def abs_cosines(learned, reference):
    learned = learned / np.linalg.norm(learned, axis=1, keepdims=True)
    return np.abs(np.sum(learned * reference[:len(learned)], axis=1))


# ---------------------------------------------------------------------------------------- learning
def test_sanger_finds_the_first_three_components_in_order_orthonormal(gaussian):
    model = learn(SangerRule(D, 3, learning_rate=0.1, learning_attenuate_rate=0.5, attenuate_epoch=3,
                             ctx=mx.cpu()), gaussian["x"])
    w = model.components.asnumpy()
    assert w.shape == (3, D)
    assert abs_cosines(w, gaussian["components"]).min() >= 0.98
    np.testing.assert_allclose(w @ w.T, np.eye(3), atol=0.05)
    history = model.loss_history.to_frame()
    assert list(history.columns) == ["train_loss", "test_loss", "orthonormality_error"] and len(history) == 6
    assert history["orthonormality_error"].iloc[-1] < 0.05
    # the loss is the reconstruction error; with 3 of 8 components its floor is the rest's variance
    assert history["train_loss"].iloc[-1] < 1.3 * VARIANCES[3:].sum() < history["train_loss"].iloc[0]


def test_oja_one_output_is_the_first_component_with_unit_length(gaussian):
    model = learn(OjaRule(D, ctx=mx.cpu(), learning_rate=0.05), gaussian["x"], epochs=3)
    w = model.components.asnumpy()
    assert w.shape == (1, D)
    assert abs_cosines(w, gaussian["components"])[0] >= 0.99
    assert abs(np.linalg.norm(w) - 1.0) < 0.03


def test_oja_subspace_rule_spans_the_first_two_components(gaussian):
    model = learn(OjaRule(D, 2, ctx=mx.cpu(), learning_rate=0.05), gaussian["x"])
    w = model.components.asnumpy()
    top = gaussian["components"][:2]
    np.testing.assert_allclose(w.T @ w, top.T @ top, atol=0.08)  # same projector


def test_plain_hebb_rows_stay_unit_length_and_all_find_the_first_component(gaussian):
    model = learn(HebbianNetworks(D, 2, ctx=mx.cpu(), learning_rate=0.05), gaussian["x"], epochs=3)
    w = model.components.asnumpy()
    np.testing.assert_allclose(np.linalg.norm(w, axis=1), 1.0, rtol=1e-5)
    first = gaussian["components"][:1]
    assert (np.abs(w @ first.T) >= 0.99).all()  # Hebb does not decorrelate its outputs


def test_learning_rate_matters_and_follows_the_engine_decay(gaussian):
    init = mx.init.Constant(1.0 / np.sqrt(D))
    slow = learn(OjaRule(D, learning_rate=1e-4, initializer=init, ctx=mx.cpu()), gaussian["x"], epochs=2)
    fast = learn(OjaRule(D, learning_rate=0.05, initializer=init, ctx=mx.cpu()), gaussian["x"], epochs=2)
    start = abs_cosines(np.full((1, D), 1.0), gaussian["components"])[0]
    slow_cos = abs_cosines(slow.components.asnumpy(), gaussian["components"])[0]
    fast_cos = abs_cosines(fast.components.asnumpy(), gaussian["components"])[0]
    assert abs(slow_cos - start) < 0.05 and fast_cos > 0.99 > start + 0.2
    decayed = learn(OjaRule(D, learning_rate=0.04, learning_attenuate_rate=0.5, attenuate_epoch=1, ctx=mx.cpu()),
                    gaussian["x"], epochs=3)
    assert decayed.learning_rate == pytest.approx(0.01)


# ---------------------------------------------------------------------------------------- centring
def test_running_mean_is_the_data_mean_after_one_pass(gaussian):
    x = gaussian["x"]
    model = learn(SangerRule(D, 2, ctx=mx.cpu()), x, epochs=1, batch_size=50)  # 1000 / 50: every row once
    np.testing.assert_allclose(model.mean_arr.asnumpy(), x.mean(axis=0), rtol=1e-4)
    assert model.seen_count == 1000


def test_fixed_centering_keeps_the_fitted_mean(gaussian):
    x = gaussian["x"]
    model = SangerRule(D, 2, centering="fixed", ctx=mx.cpu())
    model.fit_mean(x)
    before = model.mean_arr.asnumpy()
    learn(model, x, epochs=1)
    np.testing.assert_array_equal(model.mean_arr.asnumpy(), before)
    np.testing.assert_allclose(before, x.mean(axis=0), rtol=1e-5)


# ---------------------------------------------------------------------------------------- outputs
def test_inference_reconstruct_and_hybridized_equals_imperative(gaussian):
    x = gaussian["x"][:40]
    model = learn(SangerRule(D, 3, ctx=mx.cpu(), learning_rate=0.05), gaussian["x"], epochs=2)
    w, mean = model.components.asnumpy(), model.mean_arr.asnumpy()
    y = model.inference(nd.array(x)).asnumpy()
    assert y.shape == (40, 3)
    np.testing.assert_allclose(y, (x - mean) @ w.T, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(model.inference(x).asnumpy(), y, rtol=1e-6)  # numpy input too
    assert model.reconstruct(x).shape == (40, D)
    model.hybridize(active=False)
    np.testing.assert_allclose(model.inference(nd.array(x)).asnumpy(), y, rtol=1e-5, atol=1e-6)


def test_save_load_round_trip(tmp_path, gaussian):
    model = learn(SangerRule(D, 3, ctx=mx.cpu(), learning_rate=0.05), gaussian["x"], epochs=1)
    path = str(tmp_path / "gha.params")
    model.save_parameters(path)
    other = SangerRule(D, 3, ctx=mx.cpu())
    assert not np.allclose(other.components.asnumpy(), model.components.asnumpy())
    other.load_parameters(path, ctx=mx.cpu())
    x = nd.array(gaussian["x"][:16])
    np.testing.assert_array_equal(other.inference(x).asnumpy(), model.inference(x).asnumpy())
    np.testing.assert_array_equal(other.mean_arr.asnumpy(), model.mean_arr.asnumpy())


def test_a_list_of_contexts_keeps_every_copy_in_step(gaussian):
    contexts = [mx.cpu(0), mx.cpu(1)]
    model = learn(SangerRule(D, 2, ctx=contexts, learning_rate=0.05), gaussian["x"], epochs=1)
    for param in (model.weight, model.input_sum, model.input_count):
        np.testing.assert_array_equal(param.data(contexts[0]).asnumpy(), param.data(contexts[1]).asnumpy())
    assert model.seen_count == 1000


def test_checkpoint_resume_continues_the_run(tmp_path, gaussian):
    path = str(tmp_path / "oja.ckpt")
    first = OjaRule(D, ctx=mx.cpu(), learning_rate=0.05)
    first.learn(ArrayIterator(gaussian["x"], epochs=2, batch_size=100, seed=0), checkpoint_path=path)
    resumed = OjaRule(D, ctx=mx.cpu(), learning_rate=0.05)
    resumed.learn(ArrayIterator(gaussian["x"], epochs=3, batch_size=100, seed=0), checkpoint_path=path, resume=True)
    assert len(resumed.loss_history) == 3
    assert resumed.seen_count == first.seen_count + 1000 == 3000


def test_export_serves_the_projection(tmp_path, gaussian):
    model = learn(OjaRule(D, 2, ctx=mx.cpu(), learning_rate=0.05), gaussian["x"], epochs=1)
    symbol_file, params_file = model.export(str(tmp_path / "oja"))
    served = gluon.SymbolBlock.imports(symbol_file, ["data"], params_file, ctx=mx.cpu())
    x = nd.array(gaussian["x"][:8])
    np.testing.assert_allclose(served(x).asnumpy(), model.inference(x).asnumpy(), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("cls", [HebbianNetworks, OjaRule, SangerRule])
@pytest.mark.parametrize("kwargs, error, pattern", [
    ({"input_dim": 4, "output_dim": 5}, ValueError, "output_dim=5 is larger than input_dim=4"),
    ({"input_dim": 0}, ValueError, "input_dim must be >= 1"),
    ({"input_dim": 4.0}, TypeError, "input_dim must be an int"),
    ({"input_dim": 4, "output_dim": 0}, ValueError, "output_dim must be >= 1"),
    ({"input_dim": 4, "learning_rate": 0.0}, ValueError, "learning_rate must be > 0"),
    ({"input_dim": 4, "learning_rate": float("nan")}, ValueError, "learning_rate must be finite"),
    ({"input_dim": 4, "centering": "batch"}, ValueError, "centering='batch' is not one of"),
    ({"input_dim": 4, "initializer": "normal"}, TypeError, "initializer must be Initializer"),
    ({"input_dim": 4, "ctx": "cpu"}, TypeError, "ctx must be an mxnet.Context"),
])
def test_bad_settings_name_the_argument(cls, kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        cls(**kwargs)


@pytest.mark.parametrize("method", ["inference", "fit_mean", "reconstruct"])
@pytest.mark.parametrize("arr, pattern", [
    (np.zeros(4), r"observed_arr must have rank 2 \(batch, input_dim=4\), got shape \(4,\)"),
    (np.zeros((2, 1, 4)), r"observed_arr must have rank 2 .* got shape \(2, 1, 4\)"),
    (np.zeros((2, 5)), "observed_arr has 5 features per sample but input_dim=4"),
    (np.zeros((0, 4)), "observed_arr must hold at least one sample"),
    (np.array([[0.0, np.nan, 0.0, 0.0]]), r"observed_arr contains NaN or infinity \(first at index \(0, 1\)\)"),
    (nd.array([[0.0, 0.0, np.inf, 0.0]]), "observed_arr contains NaN or infinity"),
    ([["a", "b", "c", "d"]], "observed_arr must be an array of numbers"),
])
def test_bad_arrays_name_the_argument(method, arr, pattern):
    model = SangerRule(4, 2, ctx=mx.cpu())
    with pytest.raises(ValueError, match=pattern):
        getattr(model, method)(arr)


class _Batches(IteratableData):
    """Yields fixed batches (the library's iterators refuse NaN, so a raw one is needed here)."""

    def __init__(self, batches):
        self.batches, self.epochs, self.iter_n = batches, 1, len(batches)

    def generate_learned_samples(self):
        for b in self.batches:
            yield b, b, b, b

    def generate_inferenced_samples(self):
        raise NotImplementedError


def test_non_finite_training_data_is_a_named_error():
    good = nd.ones((5, 4))
    bad = nd.array([[1.0, np.nan, 1.0, 1.0]] * 5)
    with pytest.raises(ValueError, match="iteratable_data yielded training data with NaN or infinity in epoch 1"):
        SangerRule(4, 2, ctx=mx.cpu()).learn(_Batches([good, bad, good]))


def test_wrongly_shaped_training_batches_are_named():
    expected = "the training batch of iteratable_data has 3 features per sample but input_dim=4"
    with pytest.raises(ValueError, match=expected):
        OjaRule(4, ctx=mx.cpu()).learn(_Batches([nd.ones((5, 3))]))
    with pytest.raises(ValueError, match=r"the training batch of iteratable_data must have rank 2"):
        OjaRule(4, ctx=mx.cpu()).learn(_Batches([nd.ones((5, 2, 2))]))
