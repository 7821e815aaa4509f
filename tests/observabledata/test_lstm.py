"""LSTMNetworks, EncoderDecoder (EncDec-AD) and the anomaly scores."""
import inspect
import json
import os

import mxnet as mx
import numpy as np
import pandas as pd
import pytest
from mxnet import gluon, nd

from accelbrainbase.extractabledata.unlabeled_csv_extractor import UnlabeledCSVExtractor
from accelbrainbase.iteratabledata._mxnet.array_iterator import ArrayIterator
from accelbrainbase.iteratabledata._mxnet.unlabeled_sequential_csv_iterator import UnlabeledSequentialCSVIterator
from accelbrainbase.observabledata._mxnet.lstm_networks import LSTMNetworks
from accelbrainbase.observabledata._mxnet.lstmnetworks.anomaly import (AnomalyScorer, reconstruct,
                                                                        reconstruction_errors, roc_auc,
                                                                        select_threshold)
from accelbrainbase.observabledata._mxnet.lstmnetworks import _recurrence
from accelbrainbase.observabledata._mxnet.lstmnetworks.encoder_decoder import EncoderDecoder
from accelbrainbase.observabledata._mxnet.neural_networks import NeuralNetworks

CPU = mx.cpu()
CONTRACT = os.path.join(os.path.dirname(__file__), os.pardir, "contract", "contract.json")


def lstm(seq_len=6, hidden_n=8, **overrides):
    options = dict(hidden_n=hidden_n, dropout_rate=0.0, ctx=CPU, optimizer_name="adam", learning_rate=5e-3,
                   learning_attenuate_rate=1.0, output_activation="identity")
    options.update(overrides)
    return LSTMNetworks(16, seq_len, gluon.loss.L2Loss(), **options)


def encdec(seq_len=6, hidden_n=8, features=1, generating_flag=True, **overrides):
    encoder = lstm(seq_len, hidden_n, output_layer_flag=False)
    decoder = lstm(seq_len, hidden_n, output_n=features)
    options = dict(seq_len=seq_len, ctx=CPU, optimizer_name="adam", learning_rate=5e-3, learning_attenuate_rate=1.0,
                   generating_flag=generating_flag)
    options.update(overrides)
    return EncoderDecoder(encoder, decoder, gluon.loss.L2Loss(), **options)


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def numpy_cell(params, x_steps, h, c, n_steps, peephole=False):
    """The contract's cell in numpy; ``x_steps=None`` feeds back ``h`` (generation)."""
    w_x, w_h, b = params["observed_fc.weight"], params["hidden_fc.weight"], params["hidden_fc.bias"]
    hs = []
    for t in range(n_steps):
        step_in = h if x_steps is None else x_steps[:, t]
        g, i, f, o = np.split(step_in @ w_x.T + h @ w_h.T + b, 4, axis=1)
        if peephole:
            i = i + c @ params["input_gate_fc.weight"].T
            f = f + c @ params["forget_gate_fc.weight"].T
        c = np.tanh(g) * sigmoid(i) + sigmoid(f) * c
        if peephole:
            o = o + c @ params["output_gate_fc.weight"].T
        h = sigmoid(o) * np.tanh(c)
        hs.append(h)
    return np.stack(hs, axis=1), h, c


def structural_params(block):
    return {name: p.data().asnumpy().astype(np.float64) for name, p in block._collect_params_with_prefix().items()}


def sine_mixture(n, start, rng, noise=0.05):
    t = np.arange(start, start + n)
    return np.sin(2 * np.pi * t / 20) + 0.5 * np.sin(2 * np.pi * t / 7) + noise * rng.randn(n)


@pytest.fixture(scope="module")
def sine_csvs(tmp_path_factory):
    rng = np.random.RandomState(0)
    root = tmp_path_factory.mktemp("sine")
    paths = {}
    for name, n, start in (("train", 3000, 0), ("test", 600, 3000)):
        paths[name] = str(root / ("%s.csv" % name))
        pd.DataFrame({"v": sine_mixture(n, start, rng)}).to_csv(paths[name], index=False)
    return paths


@pytest.fixture(scope="module")
def trained_encdec(sine_csvs):
    """EncDec-AD with the default generating mode and input_adjusted_flag, trained on a sine mixture."""
    mx.random.seed(0)
    iterator = UnlabeledSequentialCSVIterator(UnlabeledCSVExtractor(), sine_csvs["train"], sine_csvs["test"],
                                              epochs=5, batch_size=32, seq_len=30, ctx=CPU, seed=0)
    model = encdec(seq_len=30, hidden_n=32)
    model.learn(iterator)
    return model, iterator


# ---------------------------------------------------------------------------------- contract
def test_signatures_match_the_contract():
    contract = json.load(open(CONTRACT))
    for cls in (LSTMNetworks, EncoderDecoder):
        expected = contract["%s.%s" % (cls.__module__, cls.__name__)]["params"]
        params = [p for p in inspect.signature(cls.__init__).parameters.values() if p.name != "self"]
        assert [("**" if p.kind is p.VAR_KEYWORD else "") + p.name for p in params] == \
            [e.split("=")[0] for e in expected]
        for p, entry in zip(params, expected):
            if "=" in entry:
                assert p.default == eval(entry.split("=", 1)[1], {"mx": mx}), entry


def test_contract_defaults_construct_on_cpu_with_contract_file_names():
    model = LSTMNetworks(20, 10, gluon.loss.L2Loss())
    # the fused kernel unless MXNet runs without oneDNN (see test_lstm_onednn_off.py)
    assert model.ctx == CPU and model.fused_flag == _recurrence.onednn_enabled() and model.loss_arr.shape == (0, 2)
    out = model.inference(nd.ones((3, 10, 4)))
    assert out.shape == (3, 10, 1)
    assert list(model._collect_params_with_prefix()) == [
        "observed_fc.weight", "hidden_fc.weight", "hidden_fc.bias", "output_fc.weight", "output_fc.bias"]
    peephole = LSTMNetworks(20, 10, gluon.loss.L2Loss(), ctx=CPU, peephole_flag=True)
    peephole.inference(nd.ones((2, 10, 4)))
    assert list(peephole._collect_params_with_prefix()) == [
        "observed_fc.weight", "hidden_fc.weight", "hidden_fc.bias", "input_gate_fc.weight",
        "forget_gate_fc.weight", "output_gate_fc.weight", "output_fc.weight", "output_fc.bias"]
    with pytest.raises(TypeError, match="loss_arr"):
        model.loss_arr = None


# ---------------------------------------------------------------------------------- shapes and cells
def test_shapes_any_batch_size_and_feature_points():
    model = lstm(seq_len=6, hidden_n=8, output_n=3)
    for batch in (1, 5, 33):
        assert model.inference(nd.ones((batch, 6, 2))).shape == (batch, 6, 3)
        assert model.feature_points_arr.shape == (batch, 6, 8)
    assert model.inference(nd.ones((4, 9, 2))).shape == (4, 6, 3)  # longer input: first seq_len steps
    bare = lstm(seq_len=6, hidden_n=8, output_layer_flag=False)
    assert bare.inference(np.ones((2, 6, 2), dtype=np.float32)).shape == (2, 6, 8)
    head = NeuralNetworks(gluon.loss.L2Loss(), units_list=[4], dropout_rate_list=[0.0], activation_list=["identity"],
                          not_init_flag=True)
    with_head = lstm(seq_len=6, hidden_n=8, output_nn=head)
    assert with_head.inference(nd.ones((3, 6, 2))).shape == (3, 4)
    assert set(head.collect_params().keys()) < set(with_head.extract_learned_dict())


def test_fused_kernel_computes_the_contract_cell():
    rng = np.random.RandomState(1)
    model = lstm(seq_len=5, hidden_n=6, output_layer_flag=False)
    x = rng.randn(3, 5, 2).astype(np.float32)
    out = model.inference(nd.array(x)).asnumpy()
    zeros = np.zeros((3, 6))
    expected = numpy_cell(structural_params(model), x.astype(np.float64), zeros, zeros, 5)[0]
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)


def test_peephole_cell_computes_the_contract_cell():
    rng = np.random.RandomState(2)
    model = lstm(seq_len=4, hidden_n=5, output_layer_flag=False, peephole_flag=True)
    assert not model.fused_flag
    x = rng.randn(2, 4, 3).astype(np.float32)
    out = model.inference(nd.array(x)).asnumpy()
    zeros = np.zeros((2, 5))
    expected = numpy_cell(structural_params(model), x.astype(np.float64), zeros, zeros, 4, peephole=True)[0]
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)


def test_custom_activation_selects_the_step_by_step_cell():
    model = lstm(seq_len=4, hidden_n=5, hidden_activation="relu")
    assert not model.fused_flag
    assert model.inference(nd.ones((2, 4, 3))).shape == (2, 4, 1)


def test_short_input_generates_by_feeding_back_the_hidden_state():
    rng = np.random.RandomState(3)
    model = lstm(seq_len=5, hidden_n=4, output_layer_flag=False)
    first = rng.randn(2, 1, 4).astype(np.float32)
    out = model.inference(nd.array(first)).asnumpy()
    assert out.shape == (2, 5, 4)
    params = structural_params(model)
    zeros = np.zeros((2, 4))
    seq0, h, c = numpy_cell(params, first.astype(np.float64), zeros, zeros, 1)
    rest = numpy_cell(params, None, h, c, 4)[0]
    np.testing.assert_allclose(out, np.concatenate([seq0, rest], axis=1), rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="observed_arr.*hidden_n"):
        lstm(seq_len=5, hidden_n=4).inference(nd.ones((2, 1, 3)))


@pytest.mark.parametrize("generating_flag", [True, False])
def test_hybridized_equals_imperative(generating_flag):
    rng = np.random.RandomState(4)
    x = nd.array(rng.randn(5, 6, 2))
    for model in (lstm(seq_len=6, dropout_rate=0.3),
                  encdec(seq_len=6, features=2, generating_flag=generating_flag, hybridize_flag=True)):
        hybrid = model.inference(x).asnumpy()
        model.hybridize(active=False)
        imperative = model.inference(x).asnumpy()
        np.testing.assert_allclose(hybrid, imperative, rtol=1e-5, atol=1e-6)


def test_generating_mode_starts_from_the_encoder_state_and_feeds_back():
    rng = np.random.RandomState(5)
    model = encdec(seq_len=6, hidden_n=5, features=2)
    x = rng.randn(3, 6, 2).astype(np.float32)
    out = model.inference(nd.array(x)).asnumpy()
    assert out.shape == (3, 6, 2)
    enc, dec = structural_params(model.encoder), structural_params(model.decoder)
    zeros = np.zeros((3, 5))
    _, h, c = numpy_cell(enc, x.astype(np.float64), zeros, zeros, 6)
    hidden = numpy_cell(dec, None, h, c, 6)[0]
    decoded = hidden @ dec["output_fc.weight"].T + dec["output_fc.bias"]
    np.testing.assert_allclose(out, decoded[:, ::-1], rtol=1e-4, atol=1e-5)
    assert model.feature_points_arr.shape == (3, 6, 5)


def test_peephole_encoder_decoder_generates_like_the_contract_cell():
    rng = np.random.RandomState(6)
    encoder = lstm(seq_len=4, hidden_n=3, output_layer_flag=False, peephole_flag=True)
    decoder = lstm(seq_len=4, hidden_n=3, output_n=2, peephole_flag=True)
    model = EncoderDecoder(encoder, decoder, gluon.loss.L2Loss(), seq_len=4, ctx=CPU)
    x = rng.randn(2, 4, 2).astype(np.float32)
    hybrid = model.inference(nd.array(x)).asnumpy()
    model.hybridize(active=False)
    np.testing.assert_allclose(model.inference(nd.array(x)).asnumpy(), hybrid, rtol=1e-5, atol=1e-6)
    enc, dec = structural_params(encoder), structural_params(decoder)
    zeros = np.zeros((2, 3))
    _, h, c = numpy_cell(enc, x.astype(np.float64), zeros, zeros, 4, peephole=True)
    hidden = numpy_cell(dec, None, h, c, 4, peephole=True)[0]
    decoded = hidden @ dec["output_fc.weight"].T + dec["output_fc.bias"]
    np.testing.assert_allclose(hybrid, decoded[:, ::-1], rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------------------------- learning
def test_encdec_default_flags_reconstruct_a_sine_mixture(trained_encdec):
    model, iterator = trained_encdec
    assert model.generating_flag and model.encoder.input_adjusted_flag  # contract defaults kept
    loss = model.loss_arr
    assert loss.shape == (5, 2)
    assert loss[-1, 1] < 0.02 and loss[-1, 0] < loss[0, 0] / 5  # L2Loss (half MSE) on z-scored data
    windows = [b[2] for b in iterator.generate_inferenced_samples()]
    assert all(w.shape[1:] == (30, 1) for w in windows)
    mse = np.mean([((reconstruct(model, w) - w.asnumpy()) ** 2).mean() for w in windows])
    assert mse < 0.04


def test_anomaly_scores_separate_injected_anomalies(trained_encdec):
    model, iterator = trained_encdec
    rng = np.random.RandomState(7)
    scaler = iterator.scaler
    validation = scaler.transform(sine_mixture(800, 5000, rng)[:, None])[:, 0]
    test = scaler.transform(sine_mixture(2400, 9000, rng)[:, None])[:, 0]
    val_windows = np.stack([validation[s:s + 30] for s in range(0, len(validation) - 30, 3)])[:, :, None]
    windows = np.stack([test[s:s + 30] for s in range(0, len(test) - 29, 30)])[:, :, None].copy()
    labels = rng.rand(len(windows)) < 0.3
    for i in np.flatnonzero(labels):  # a 10-step stretch of another frequency, same amplitude
        p = rng.randint(0, 20)
        amplitude = np.abs(windows[i, p:p + 10, 0]).max()
        windows[i, p:p + 10, 0] = amplitude * np.sin(2 * np.pi * np.arange(10) / 11 + rng.rand() * 6)
    val_errors = reconstruction_errors(model, val_windows, batch_size=50)
    errors = reconstruction_errors(model, windows, batch_size=17)
    energy_auc = roc_auc((windows ** 2).mean(axis=(1, 2)), labels)
    for method, level in (("mahalanobis", "point"), ("mahalanobis", "sequence"), ("mse", "point")):
        scores = AnomalyScorer(method, level).fit(val_errors).score(errors)
        auc = roc_auc(scores, labels)
        assert auc >= 0.9 and auc > energy_auc + 0.05, (method, level, auc, energy_auc)
    scorer = AnomalyScorer().fit(val_errors)
    normal_scores = scorer.score(val_errors)
    tau = select_threshold(normal_scores, quantile=0.99)
    assert np.mean(normal_scores > tau) <= 0.01 + 1.0 / len(normal_scores)
    tau_f = select_threshold(scorer.score(errors[~labels]), scorer.score(errors[labels]))
    flagged = scorer.score(errors) > tau_f
    assert (flagged == labels).mean() >= 0.9


def test_mnist_rows_classifier_reaches_090(mnist_arrays):
    a = mnist_arrays
    iterator = ArrayIterator(a["x_train"].reshape(-1, 28, 28), a["y_train"], a["x_test"].reshape(-1, 28, 28),
                             a["y_test"], epochs=4, batch_size=50, n_classes=10, ctx=CPU, seed=0)
    head = NeuralNetworks(gluon.loss.SoftmaxCrossEntropyLoss(sparse_label=False), units_list=[10],
                          dropout_rate_list=[0.0], activation_list=["identity"], not_init_flag=True)
    model = LSTMNetworks(50, 28, gluon.loss.SoftmaxCrossEntropyLoss(sparse_label=False), hidden_n=64,
                         dropout_rate=0.0, output_nn=head, optimizer_name="adam", learning_rate=5e-3,
                         learning_attenuate_rate=1.0, ctx=CPU)
    model.learn(iterator)
    predicted = model.inference(a["x_test"].reshape(-1, 28, 28)).argmax(axis=1).asnumpy()
    assert (predicted == a["y_test"]).mean() >= 0.90


# ---------------------------------------------------------------------------------- persistence
def test_save_load_round_trip(tmp_path):
    x = nd.array(np.random.RandomState(8).randn(4, 6, 1))
    model, twin = encdec(), encdec()
    expected = model.inference(x).asnumpy()
    path = str(tmp_path / "model.params")
    model.save_parameters(path)
    assert os.path.isfile(str(tmp_path / "model_encoder.params"))
    assert os.path.isfile(str(tmp_path / "model_decoder.params"))
    twin.load_parameters(path, ctx=CPU)
    np.testing.assert_allclose(twin.inference(x).asnumpy(), expected, rtol=1e-6)
    leaf, leaf_twin = lstm(), lstm()
    expected = leaf.inference(x).asnumpy()  # the first input fixes the input width
    leaf.save_parameters(str(tmp_path / "leaf.params"))
    leaf_twin.load_parameters(str(tmp_path / "leaf.params"))
    np.testing.assert_allclose(leaf_twin.inference(x).asnumpy(), expected, rtol=1e-6)
    with pytest.raises(ValueError, match="filename"):
        twin.load_parameters(str(tmp_path / "missing.params"))


def test_checkpoint_resume_round_trip(tmp_path):
    rng = np.random.RandomState(9)
    data = np.sin(np.arange(400 * 6).reshape(400, 6, 1) / 3.0 + rng.rand(400, 1, 1) * 6).astype(np.float32)
    path = str(tmp_path / "encdec.ckpt")

    def iterator(epochs):
        return ArrayIterator(data, epochs=epochs, batch_size=40, ctx=CPU, seed=1)

    first = encdec()
    first.learn(iterator(2), checkpoint_path=path)
    resumed = encdec()
    resumed.learn(iterator(4), checkpoint_path=path, resume=True)
    assert resumed.loss_arr.shape == (4, 2)
    np.testing.assert_allclose(resumed.loss_arr[:2], first.loss_arr)
    restored = encdec()
    restored.learn(iterator(2), checkpoint_path=path, resume=True)  # nothing left to train
    x = nd.array(data[:5])
    np.testing.assert_allclose(restored.inference(x).asnumpy(), resumed.inference(x).asnumpy(), rtol=1e-6)


def test_export_serves_the_same_outputs(tmp_path):
    model = encdec(features=1)
    x = nd.array(np.random.RandomState(10).randn(3, 6, 1))
    expected = model.inference(x).asnumpy()
    symbol_file, params_file = model.export(str(tmp_path / "encdec"))
    served = gluon.SymbolBlock.imports(symbol_file, ["data"], params_file, ctx=CPU)
    np.testing.assert_allclose(served(x).asnumpy(), expected, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------------- bad input
def test_bad_input_raises_naming_the_argument():
    model = lstm(seq_len=6)
    with pytest.raises(ValueError, match="observed_arr.*rank 3"):
        model.inference(nd.ones((4, 6)))
    model.inference(nd.ones((2, 6, 3)))
    with pytest.raises(ValueError, match="observed_arr has 5 features"):
        model.inference(nd.ones((2, 6, 5)))
    with pytest.raises(ValueError, match="seq_len"):
        LSTMNetworks(16, 0, gluon.loss.L2Loss(), ctx=CPU)
    with pytest.raises(ValueError, match="hidden_n"):
        LSTMNetworks(16, 5, gluon.loss.L2Loss(), hidden_n=0, ctx=CPU)
    with pytest.raises(ValueError, match="output_activation"):
        LSTMNetworks(16, 5, gluon.loss.L2Loss(), output_activation="nope", ctx=CPU)
    with pytest.raises(TypeError, match="computable_loss"):
        LSTMNetworks(16, 5, object(), ctx=CPU)
    with pytest.raises(TypeError, match="peephole_flag"):
        LSTMNetworks(16, 5, gluon.loss.L2Loss(), ctx=CPU, peephole_flag="yes")
    with pytest.raises(TypeError, match="iteratable_data"):
        model.learn([1, 2, 3])
    with pytest.raises(TypeError, match="encoder"):
        EncoderDecoder(object(), lstm(), gluon.loss.L2Loss(), seq_len=6, ctx=CPU)
    with pytest.raises(ValueError, match="hidden_n"):
        EncoderDecoder(lstm(hidden_n=4, output_layer_flag=False), lstm(hidden_n=8), gluon.loss.L2Loss(),
                       seq_len=6, ctx=CPU)
    with pytest.raises(ValueError, match="seq_len"):
        EncoderDecoder(lstm(seq_len=6), lstm(seq_len=7), gluon.loss.L2Loss(), ctx=CPU)
    model = encdec(seq_len=6)
    with pytest.raises(ValueError, match=r"observed_arr must be \(batch >= 1, 6, features\)"):
        model.inference(nd.ones((2, 5, 1)))
    with pytest.raises(TypeError, match="encoder"):
        model.encoder = object()
    with pytest.raises(ValueError, match="method"):
        AnomalyScorer(method="energy")
    with pytest.raises(ValueError, match="fit"):
        AnomalyScorer().score(np.ones((2, 6, 1)))
    with pytest.raises(ValueError, match="labels"):
        roc_auc([0.1, 0.2], [1, 1])


def test_threshold_and_auc_helpers_on_known_values():
    assert select_threshold([0.0, 1.0, 2.0], [5.0, 6.0]) == 2.0  # highest normal score: F1 = 1
    assert select_threshold([0.0, 1.0, 4.0], [3.0, 5.0], beta=1.0) == 1.0  # F1 0.8 beats 0.667
    assert select_threshold(np.arange(101.0), quantile=0.9) == pytest.approx(90.0)
    assert roc_auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == pytest.approx(0.75)
    assert roc_auc([1.0, 1.0], [0, 1]) == pytest.approx(0.5)
    errors = np.abs(np.random.RandomState(11).randn(50, 4, 2))
    assert np.allclose(AnomalyScorer("mse").score(errors), (errors ** 2).mean(axis=(1, 2)))


def test_anomaly_scoring_rejects_unusable_input():
    rng = np.random.RandomState(0)
    with pytest.raises(ValueError, match="level"):
        AnomalyScorer(level="day")
    with pytest.raises(ValueError, match="at least 2"):
        AnomalyScorer(level="sequence").fit(np.ones((1, 6, 1)))
    scorer = AnomalyScorer(level="sequence").fit(rng.normal(size=(20, 6, 1)))
    with pytest.raises(ValueError, match="fitted on 6"):
        scorer.score(rng.normal(size=(3, 5, 1)))
    with pytest.raises(ValueError, match="normal_scores"):
        select_threshold([])
    with pytest.raises(ValueError, match="anomalous_scores"):
        select_threshold([0.1, 0.2], [])
