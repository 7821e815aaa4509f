"""EncDec-AD on a real electrocardiogram: learn normal heart beats, flag what reconstructs badly.

Data: 5 minutes of MIT-BIH Arrhythmia Database record 208 (bundled, see ``demo/data/README.md``),
down-sampled from 360 Hz to 90 Hz and cut into

* the first 60 % — training (through ``UnlabeledSequentialCSVIterator``, windows of 48 samples,
  0.53 s, every window once per epoch),
* the next 10 % — validation windows: the scorer's Gaussian is fitted on the reconstruction
  errors of the first half; the alarm threshold maximises F1 on the second half plus
  anomalous copies of it (the paper's vN1 / vN2 + vA protocol),
* the last 30 % — test: non-overlapping windows, 30 % of them altered at a known position with
  one of five injected anomalies (a missing QRS complex, a noise burst, a QRS complex at 40 %
  amplitude, a spike, a baseline step).

The model is ``EncoderDecoder`` in its default generating mode (the decoder starts from the
encoder's final state and feeds back its own state). The script prints the ROC-AUC of three
scores (Mahalanobis per time step as in Malhotra et al. 2016, Mahalanobis per window, MSE),
per anomaly kind, next to a model-free baseline (window energy), then precision/recall at the
threshold, and writes ``demo/output/encdec_ad_ecg.png`` (signal, reconstruction and score) and
``demo/output/encdec_ad_ecg_loss.png``.

Run: ``python demo/encdec_ad_ecg.py`` (about two minutes on 2 CPU cores).
"""
import os
import sys
import tempfile
import time

import numpy as np
import pandas as pd

import accelbrainbase  # noqa: F401  (prepares numpy for mxnet)
import matplotlib
import mxnet as mx
from mxnet import gluon
from scipy.signal import decimate

from accelbrainbase.extractabledata.unlabeled_csv_extractor import UnlabeledCSVExtractor
from accelbrainbase.iteratabledata._mxnet.unlabeled_sequential_csv_iterator import UnlabeledSequentialCSVIterator
from accelbrainbase.observabledata._mxnet.lstm_networks import LSTMNetworks
from accelbrainbase.observabledata._mxnet.lstmnetworks.anomaly import (AnomalyScorer, reconstruct,
                                                                        reconstruction_errors, roc_auc,
                                                                        select_threshold)
from accelbrainbase.observabledata._mxnet.lstmnetworks.encoder_decoder import EncoderDecoder

try:
    from demo.ecg_data import SAMPLING_RATE, load_electrocardiogram
except ImportError:  # run as a script from demo/
    from ecg_data import SAMPLING_RATE, load_electrocardiogram

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

OUTPUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "output")
DOWNSAMPLE, SEQ_LEN, HIDDEN, EPOCHS = 4, 48, 64, 6
KINDS = ("missing QRS", "noise burst", "QRS at 40%", "spike", "baseline step")
SCORES = (("mahalanobis", "point"), ("mahalanobis", "sequence"), ("mse", "point"))


def inject_anomalies(windows: np.ndarray, rng: np.random.RandomState, fraction: float = 0.3):
    """Alter ``fraction`` of ``windows`` ``(N, T, 1)`` (a copy); returns (windows, labels, kinds, spans).

    QRS-based kinds go to windows with a large peak-to-peak range (a beat is present); ``spans``
    gives the altered ``[begin, end)`` of each window (``(0, 0)`` when normal).
    """
    windows = windows.copy()
    n, steps = windows.shape[:2]
    labels = rng.rand(n) < fraction
    kinds = np.full(n, "", dtype=object)
    spans = np.zeros((n, 2), dtype=int)
    ranges = np.ptp(windows[:, :, 0], axis=1)
    width = steps // 4
    for i in np.flatnonzero(labels):
        kind = rng.choice([0, 1, 2, 3, 4] if ranges[i] >= np.median(ranges) else [1, 3, 4])
        w = windows[i, :, 0]
        base = np.median(w)
        begin = int(np.clip(np.argmax(np.abs(w - base)) - width // 2, 0, steps - width))
        end = begin + width
        if kind == 0:
            w[begin:end] = base
        elif kind == 1:
            w[begin:end] += 0.5 * rng.randn(width)
        elif kind == 2:
            w[begin:end] = base + 0.4 * (w[begin:end] - base)
        elif kind == 3:
            begin = rng.randint(0, steps - 5)
            end = begin + 5
            w[begin:end] += 2.5 * np.array([0.25, 0.6, 1.0, 0.6, 0.25])
        else:
            begin, end = rng.randint(steps // 4, 3 * steps // 4), steps
            w[begin:] += 1.0
        kinds[i], spans[i] = KINDS[kind], (begin, end)
    return windows, labels, kinds, spans


def build_model() -> EncoderDecoder:
    options = dict(hidden_n=HIDDEN, dropout_rate=0.0, ctx=mx.cpu())
    encoder = LSTMNetworks(64, SEQ_LEN, gluon.loss.L2Loss(), output_layer_flag=False, **options)
    decoder = LSTMNetworks(64, SEQ_LEN, gluon.loss.L2Loss(), output_n=1, output_activation="identity", **options)
    return EncoderDecoder(encoder, decoder, gluon.loss.L2Loss(), seq_len=SEQ_LEN, learning_rate=3e-3,
                          optimizer_name="adam", learning_attenuate_rate=0.3, attenuate_epoch=4, ctx=mx.cpu())


def plot(signal, recon, window_scores, labels, spans, threshold, path, rate):
    """Signal with reconstruction (top) and per-window score (bottom) for a stretch of the test part."""
    shown = min(len(window_scores), 40)
    t = np.arange(shown * SEQ_LEN) / rate
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(13, 6), sharex=True)
    top.plot(t, signal[:shown].ravel(), lw=0.8, label="test signal (anomalies injected)")
    top.plot(t, recon[:shown].ravel(), lw=0.8, alpha=0.8, label="reconstruction")
    for i in np.flatnonzero(labels[:shown]):
        top.axvspan((i * SEQ_LEN + spans[i, 0]) / rate, (i * SEQ_LEN + spans[i, 1]) / rate, color="red", alpha=0.2)
    top.set_ylabel("z-scored ECG")
    top.legend(loc="upper right")
    edges = np.arange(shown + 1) * SEQ_LEN / rate
    bottom.stairs(window_scores[:shown], edges, label="anomaly score (per window)")
    bottom.axhline(threshold, color="black", ls="--", lw=1, label="threshold (F1 on validation)")
    bottom.set_yscale("log")
    bottom.set_xlabel("seconds into the test part")
    bottom.legend(loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> dict:
    mx.random.seed(0)
    rng = np.random.RandomState(0)
    rate = SAMPLING_RATE / DOWNSAMPLE
    signal = decimate(load_electrocardiogram(), DOWNSAMPLE)
    n = len(signal)
    train_end, val_end = int(0.6 * n), int(0.7 * n)
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for name, part in (("train", signal[:train_end]), ("validation", signal[train_end:val_end])):
            paths.append(os.path.join(folder, name + ".csv"))
            pd.DataFrame({"mV": part}).to_csv(paths[-1], index=False)
        iterator = UnlabeledSequentialCSVIterator(UnlabeledCSVExtractor(), paths[0], paths[1], epochs=EPOCHS,
                                                  batch_size=64, seq_len=SEQ_LEN, ctx=mx.cpu(), seed=0)
    model = build_model()
    started = time.time()
    model.learn(iterator)
    seconds = time.time() - started
    print("trained on %d windows x %d epochs in %.0f s (%.0f sequences/s); L2 loss train %.4f, validation %.4f"
          % (iterator.dataset_size, EPOCHS, seconds, iterator.iter_n * 64 / seconds, *model.loss_arr[-1]))

    scaled = iterator.scaler.transform(signal[:, None])[:, 0]
    validation, test = scaled[train_end:val_end], scaled[val_end:]
    val_windows = np.stack([validation[s:s + SEQ_LEN] for s in range(0, len(validation) - SEQ_LEN + 1, 12)])
    clean = np.stack([test[s:s + SEQ_LEN] for s in range(0, len(test) - SEQ_LEN + 1, SEQ_LEN)])[:, :, None]
    windows, labels, kinds, spans = inject_anomalies(clean, rng)
    val_errors = reconstruction_errors(model, val_windows[:, :, None])
    errors = reconstruction_errors(model, windows)
    print("test windows: %d, anomalous: %d (%s)" % (len(windows), labels.sum(),
                                                   ", ".join("%s %d" % (k, (kinds == k).sum()) for k in KINDS)))
    header = "%-24s %7s " % ("score", "ROC-AUC") + " ".join("%13s" % k for k in KINDS)
    print(header)
    rows = {}
    energy = (windows ** 2).mean(axis=(1, 2))
    for name, scores in [("%s/%s" % s, AnomalyScorer(*s).fit(val_errors).score(errors)) for s in SCORES] + \
            [("baseline: window energy", energy)]:
        per_kind = [roc_auc(scores[(kinds == k) | ~labels], labels[(kinds == k) | ~labels]) for k in KINDS]
        rows[name] = roc_auc(scores, labels)
        print("%-24s %7.3f " % (name, rows[name]) + " ".join("%13.3f" % a for a in per_kind))

    # the paper's protocol: fit on one half of the normal validation windows (vN1); choose the
    # threshold on the other half (vN2) plus anomalous copies of it (vA), maximising F1
    half = len(val_windows) // 2
    scorer = AnomalyScorer().fit(val_errors[:half])
    altered = inject_anomalies(val_windows[half:, :, None], rng, fraction=1.0)[0]
    thresholds = {
        "F1 on validation (vN2 + vA)": select_threshold(scorer.score(val_errors[half:]),
                                                        scorer.score(reconstruction_errors(model, altered))),
        "99th percentile of vN2": select_threshold(scorer.score(val_errors[half:]), quantile=0.99),
    }
    test_scores = scorer.score(errors)
    for name, threshold in thresholds.items():
        flagged = test_scores > threshold
        precision = (flagged & labels).sum() / max(flagged.sum(), 1)
        recall = (flagged & labels).sum() / labels.sum()
        print("threshold %-28s %9.2f: test precision %.3f, recall %.3f, F1 %.3f" % (
            name, threshold, precision, recall, 2 * precision * recall / max(precision + recall, 1e-12)))
    threshold = thresholds["F1 on validation (vN2 + vA)"]
    os.makedirs(OUTPUT, exist_ok=True)
    figure = os.path.join(OUTPUT, "encdec_ad_ecg.png")
    plot(windows, reconstruct(model, windows), test_scores, labels, spans, threshold, figure, rate)
    model.loss_history.plot(os.path.join(OUTPUT, "encdec_ad_ecg_loss.png"), title="EncDec-AD on ECG: L2 loss")
    print("wrote %s and encdec_ad_ecg_loss.png" % figure)
    return rows


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
