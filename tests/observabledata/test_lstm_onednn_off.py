"""The LSTM family works with oneDNN switched off.

MXNet 1.9.1's fused CPU ``RNN`` operator fails without oneDNN (``MXNET_MKLDNN_ENABLED=0``:
``Check failed: in_data.size() == num_inputs (4 vs. 3)``, even for ``gluon.rnn.LSTM``). The models
then run the standard cell step by step with the same parameters. These tests check that the two
paths give the same numbers and that an ``EncoderDecoder`` learns with oneDNN off. The variable
is read when MXNet starts, so the oneDNN-off runs happen in subprocesses.
"""
import json
import os
import subprocess
import sys
import textwrap

import mxnet as mx
import numpy as np
import pytest
from mxnet import autograd, gluon

from accelbrainbase.observabledata._mxnet.lstm_networks import LSTMNetworks
from accelbrainbase.observabledata._mxnet.lstmnetworks import _recurrence as rec
from accelbrainbase.observabledata._mxnet.lstmnetworks.encoder_decoder import EncoderDecoder

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir))
CPU = mx.cpu()

#: builds the same models in every process; ``save`` writes parameters, input and outputs,
#: ``check`` loads them, compares, and trains an EncoderDecoder
SCRIPT = textwrap.dedent('''
    import json, os, sys
    import accelbrainbase
    import mxnet as mx
    import numpy as np
    from mxnet import gluon
    from accelbrainbase.iteratabledata._mxnet.array_iterator import ArrayIterator
    from accelbrainbase.observabledata._mxnet.lstm_networks import LSTMNetworks
    from accelbrainbase.observabledata._mxnet.lstmnetworks import _recurrence as rec
    from accelbrainbase.observabledata._mxnet.lstmnetworks.encoder_decoder import EncoderDecoder

    mode, folder = sys.argv[1], sys.argv[2]
    CPU = mx.cpu()

    def lstm(**options):
        settings = dict(hidden_n=8, dropout_rate=0.0, ctx=CPU, optimizer_name="adam", learning_rate=1e-2,
                        learning_attenuate_rate=1.0, output_activation="identity")
        settings.update(options)
        return LSTMNetworks(16, 6, gluon.loss.L2Loss(), **settings)

    def models():
        mx.random.seed(1)
        plain = lstm(output_n=3)
        generating = EncoderDecoder(lstm(output_layer_flag=False), lstm(output_n=3), gluon.loss.L2Loss(), seq_len=6,
                                    ctx=CPU, optimizer_name="adam", learning_rate=1e-2, learning_attenuate_rate=1.0)
        reading = EncoderDecoder(lstm(output_layer_flag=False), lstm(output_n=3), gluon.loss.L2Loss(), seq_len=6,
                                 ctx=CPU, generating_flag=False)
        return {"plain": plain, "generating": generating, "reading": reading}

    built = models()
    x = np.random.RandomState(0).normal(size=(5, 6, 3)).astype(np.float32)
    report = {"fused": {name: bool(m.fused_flag) for name, m in built.items()},
              "onednn": rec.onednn_enabled(), "max_diff": {}}
    if mode == "save":
        np.save(os.path.join(folder, "x.npy"), x)
        for name, model in built.items():
            np.save(os.path.join(folder, name + ".npy"), model.inference(x).asnumpy())
            model.save_parameters(os.path.join(folder, name + ".params"))
    else:
        x = np.load(os.path.join(folder, "x.npy"))
        for name, model in built.items():
            model.load_parameters(os.path.join(folder, name + ".params"), ctx=CPU)
            expected = np.load(os.path.join(folder, name + ".npy"))
            hybridized = model.inference(x).asnumpy()
            imperative = model.forward_propagation(mx.nd, mx.nd.array(x, ctx=CPU)).asnumpy()
            report["max_diff"][name] = float(max(np.abs(hybridized - expected).max(),
                                                 np.abs(imperative - expected).max()))
        # learning with oneDNN off: an EncoderDecoder reconstructs noisy sine windows
        rng = np.random.RandomState(0)
        t = np.arange(6)[None, :] * 0.5 + rng.uniform(0, 6.3, size=(256, 1))
        windows = (np.sin(t)[:, :, None] + 0.05 * rng.normal(size=(256, 6, 1))).astype(np.float32)
        mx.random.seed(0)
        model = EncoderDecoder(lstm(output_layer_flag=False), lstm(output_n=1), gluon.loss.L2Loss(), seq_len=6,
                               ctx=CPU, optimizer_name="adam", learning_rate=1e-2, learning_attenuate_rate=1.0)
        model.learn(ArrayIterator(windows[:192], windows[:192], windows[192:], windows[192:], epochs=8,
                                  batch_size=32, ctx=CPU, seed=0))
        report["loss_arr"] = model.loss_arr.tolist()
        report["learned_fused"] = bool(model.decoder.fused_flag)
    print("REPORT " + json.dumps(report))
''')


def run(mode, folder, onednn):
    env = dict(os.environ, MXNET_MKLDNN_ENABLED="1" if onednn else "0", OMP_NUM_THREADS="1",
               ACCELBRAINBASE_PROGRESS="0", PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    script = os.path.join(folder, "lstm_paths.py")
    with open(script, "w") as handle:
        handle.write(SCRIPT)
    done = subprocess.run([sys.executable, script, mode, folder], env=env, cwd=REPO, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    line = [line for line in done.stdout.splitlines() if line.startswith("REPORT ")][-1]
    return json.loads(line[len("REPORT "):])


@pytest.mark.skipif(not rec.onednn_enabled(), reason="needs MXNet with oneDNN for the fused reference run")
def test_fused_and_fallback_agree_on_saved_parameters_and_the_fallback_learns(tmp_path):
    saved = run("save", str(tmp_path), onednn=True)
    assert saved["onednn"] and all(saved["fused"].values())
    checked = run("check", str(tmp_path), onednn=False)
    assert not checked["onednn"] and not any(checked["fused"].values()) and not checked["learned_fused"]
    for name, diff in checked["max_diff"].items():
        assert diff < 1e-5, (name, diff)
    loss = np.array(checked["loss_arr"])
    assert loss.shape == (8, 2) and np.isfinite(loss).all()
    assert loss[-1, 0] < 0.5 * loss[0, 0] and loss[-1, 1] < 0.5 * loss[0, 1], loss


def test_onednn_switch_follows_the_environment(monkeypatch):
    for value in ("0", "false", " False "):
        monkeypatch.setenv("MXNET_MKLDNN_ENABLED", value)
        assert not rec.onednn_enabled() and not rec.fused_kernel_available(CPU)
    monkeypatch.setenv("MXNET_MKLDNN_ENABLED", "0")
    assert rec.fused_kernel_available(mx.gpu(0))  # cuDNN does not need oneDNN
    assert not LSTMNetworks(4, 3, gluon.loss.L2Loss(), hidden_n=4, ctx=CPU).fused_flag
    monkeypatch.setenv("MXNET_MKLDNN_ENABLED", "1")
    assert rec.onednn_enabled() == mx.runtime.Features().is_enabled("MKLDNN")


def _outputs(model, x, fused):
    """Imperative outputs with the fused kernel or the step-by-step cell (dropout off)."""
    parts = [model] + [getattr(model, name) for name in ("encoder", "decoder") if hasattr(model, name)]
    for part in parts:
        part.fused_flag = fused
    with autograd.predict_mode():
        return model.forward_propagation(mx.nd, x).asnumpy()


@pytest.mark.skipif(not rec.onednn_enabled(), reason="the fused CPU kernel needs oneDNN")
@pytest.mark.parametrize("kind", ["plain", "generating", "reading", "shorter input"])
def test_in_process_the_two_paths_give_the_same_numbers(kind):
    def lstm(**options):
        return LSTMNetworks(8, 7, gluon.loss.L2Loss(), hidden_n=6, dropout_rate=0.0, ctx=CPU,
                            output_activation="identity", **options)

    x = mx.nd.array(np.random.RandomState(3).normal(size=(4, 7, 6)), ctx=CPU)
    if kind in ("plain", "shorter input"):
        model = lstm(output_n=2)
        if kind == "shorter input":  # the missing steps are generated by feeding back h
            x = x[:, :4]
    else:
        model = EncoderDecoder(lstm(output_layer_flag=False), lstm(output_n=6), gluon.loss.L2Loss(), seq_len=7,
                               ctx=CPU, generating_flag=kind == "generating")
    fused, unfused = _outputs(model, x, True), _outputs(model, x, False)
    assert fused.shape == unfused.shape
    assert np.abs(fused - unfused).max() < 1e-5
