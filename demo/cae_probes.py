"""Linear probes of regularised convolutional auto-encoders against a plain one.

Four auto-encoders of the same size (conv 16@14×14 → conv 16@7×7 code → mirrored transposed
convolutions) are trained on the 4,000 MNIST-subset training digits without labels, with the
same optimiser, seed and number of steps:

* ``ConvolutionalAutoEncoder`` — the plain reconstruction baseline;
* ``ContractiveCAE`` — plus the encoder's squared Jacobian norm;
* ``RepellingCAE`` — plus the pull-away term on the codes of a batch;
* ``ConvolutionalLadderNetworks`` — a clean and a noised path with per-layer terms.

The probe: scikit-learn's ``LogisticRegression`` fitted on the (standardised) codes of 1,000
labelled training digits (100 per class) and scored on the 1,000 test digits, its L2 weight ``C``
chosen by 5-fold cross-validation on those 1,000 labelled codes alone (:data:`PROBE_CS`). Each
regularised model's probe must beat the plain CAE's. The probe with a fixed ``C = 1`` (this
demo's first protocol) is printed beside it. The demo also prints the contractive penalty (encoder
Jacobian norm, finite-difference estimate) per epoch, and the mean pairwise cosine of the test
codes of the repelling and the plain CAE.

    python demo/cae_probes.py [--epochs 20] [--seeds 0 1 2] [--figure docs/images/cae_probes.png] [--split-seed N]
"""
import argparse
import os
import sys
import time
from typing import Optional, Tuple

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))

import accelbrainbase  # noqa: E402,F401
import mxnet as mx  # noqa: E402
import numpy as np  # noqa: E402
from mxnet.gluon.nn import BatchNorm, Conv2D, Conv2DTranspose  # noqa: E402

from accelbrainbase.computableloss._mxnet.l2_norm_loss import L2NormLoss  # noqa: E402
from accelbrainbase.iteratabledata._mxnet.array_iterator import ArrayIterator  # noqa: E402
from accelbrainbase.noiseabledata._mxnet.gauss_noise import GaussNoise  # noqa: E402
from accelbrainbase.observabledata._mxnet.convolutional_neural_networks import \
    ConvolutionalNeuralNetworks  # noqa: E402
from accelbrainbase.observabledata._mxnet.convolutionalneuralnetworks.convolutional_auto_encoder import \
    ConvolutionalAutoEncoder  # noqa: E402
from accelbrainbase.observabledata._mxnet.convolutionalneuralnetworks.convolutionalautoencoder.\
    contractive_cae import ContractiveCAE  # noqa: E402
from accelbrainbase.observabledata._mxnet.convolutionalneuralnetworks.convolutionalautoencoder.\
    convolutional_ladder_networks import ConvolutionalLadderNetworks  # noqa: E402
from accelbrainbase.observabledata._mxnet.convolutionalneuralnetworks.convolutionalautoencoder.\
    repelling_cae import RepellingCAE  # noqa: E402

try:
    from demo.mnist import mnist_subset
except ImportError:  # run as a script from demo/
    from mnist import mnist_subset

#: the weight of each model's own term, chosen at 20 epochs with a validation probe (fitted on the same 1,000
#: labelled training digits, scored on 1,000 other training digits) over seeds 0-2, never the test digits:
#: contractive 1e-4 / 3e-4 / 1e-3, repelling 0.01 / 0.03 / 0.1 / 0.3 / 1 (docs/representation.md)
CONTRACTIVE_LAMBDA = 3e-4
REPELLING_LAMBDA = 0.3
EPOCHS = 20
LADDER_WEIGHTS = {"alpha": 0.1, "sigma": 0.7, "mu": 0.0}
LADDER_NOISE = 0.3
CHANNELS = 16
BATCH = 50
#: the probe's candidate L2 weights (scikit-learn's ``C``, the inverse of the penalty)
PROBE_CS = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)


def parts():
    """The encoder (1×28×28 → 16×7×7 code) and its mirrored decoder."""
    loss = L2NormLoss()
    encoder = ConvolutionalNeuralNetworks(
        loss, hidden_units_list=[Conv2D(CHANNELS, 3, strides=2, padding=1), Conv2D(CHANNELS, 3, strides=2, padding=1)],
        hidden_dropout_rate_list=[0.0, 0.0], hidden_batch_norm_list=[BatchNorm(), None],
        hidden_activation_list=["relu", "relu"], not_init_flag=True, ctx=mx.cpu())
    decoder = ConvolutionalNeuralNetworks(
        loss, hidden_units_list=[Conv2DTranspose(CHANNELS, 3, strides=2, padding=1, output_padding=1),
                                 Conv2DTranspose(1, 3, strides=2, padding=1, output_padding=1)],
        hidden_dropout_rate_list=[0.0, 0.0], hidden_batch_norm_list=[BatchNorm(), None],
        hidden_activation_list=["relu", "sigmoid"], not_init_flag=True, ctx=mx.cpu())
    return encoder, decoder, loss


def build(cls):
    encoder, decoder, loss = parts()
    model = cls(encoder, decoder, loss, learning_rate=1e-3, optimizer_name="adam", tied_weights_flag=False,
                ctx=mx.cpu())
    if cls is ContractiveCAE:
        model.penalty_lambda = CONTRACTIVE_LAMBDA
    elif cls is RepellingCAE:
        model.penalty_lambda = REPELLING_LAMBDA
    elif cls is ConvolutionalLadderNetworks:
        for name, value in LADDER_WEIGHTS.items():
            setattr(model, name, value)
        model.noiseable_data = GaussNoise(mu=0.0, sigma=LADDER_NOISE)
    return model


def codes(model, x) -> np.ndarray:
    """The encoder's codes (N, 784) in predict mode, in blocks."""
    out = [model.encoder(mx.nd.array(x[i:i + 500].reshape(-1, 1, 28, 28))).reshape((-1, CHANNELS * 49))
           for i in range(0, len(x), 500)]
    return mx.nd.concat(*out, dim=0).asnumpy()


def jacobian_norm(model, x, sigma: float = 0.01, seed: int = 0) -> float:
    """Mean over ``x`` of ``||h(x + e) - h(x)||² / sigma²`` (an estimate of ``||J_h(x)||²_F``)."""
    rng = np.random.RandomState(seed)
    arr = mx.nd.array(x.reshape(-1, 1, 28, 28))
    moved = mx.nd.array(x.reshape(-1, 1, 28, 28) + rng.normal(0, sigma, (len(x), 1, 28, 28)).astype(np.float32))
    diff = (model.encoder(moved) - model.encoder(arr)).asnumpy().reshape(len(x), -1)
    return float((diff ** 2).sum(axis=1).mean() / sigma ** 2)


def mean_cosine(h: np.ndarray) -> float:
    """Mean cosine between the codes of different samples."""
    unit = h / (np.linalg.norm(h, axis=1, keepdims=True) + 1e-8)
    sim = unit @ unit.T
    n = len(h)
    return float((sim.sum() - np.trace(sim)) / (n * (n - 1)))


def probe(train_codes: np.ndarray, y_train: np.ndarray, test_codes: np.ndarray, y_test: np.ndarray,
          c: Optional[float] = None) -> Tuple[float, float]:
    """``(test accuracy, C)`` of a logistic regression on standardised codes (N, D). With ``c=None``
    the L2 weight ``C`` is chosen from :data:`PROBE_CS` by 5-fold stratified cross-validation on
    ``train_codes`` alone (the test codes play no part in the choice); otherwise ``C = c``."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV, StratifiedKFold
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(train_codes)
    if c is None:
        search = GridSearchCV(LogisticRegression(max_iter=2000), {"C": list(PROBE_CS)},
                              cv=StratifiedKFold(5, shuffle=True, random_state=0))
        clf = search.fit(scaler.transform(train_codes), y_train).best_estimator_
    else:
        clf = LogisticRegression(max_iter=2000, C=c).fit(scaler.transform(train_codes), y_train)
    return float(clf.score(scaler.transform(test_codes), y_test)), float(clf.C)


class JacobianLog:
    """Records the plain or contractive encoder's Jacobian norm on fixed test digits at each epoch end."""

    def __init__(self, model, x):
        self.values = []
        original = model.on_epoch_end

        def on_epoch_end(state):
            self.values.append(jacobian_norm(model, x))
            return original(state)

        model.on_epoch_end = on_epoch_end


#: the four models, in the order they are reported
MODELS = {"plain CAE": ConvolutionalAutoEncoder, "ContractiveCAE": ContractiveCAE, "RepellingCAE": RepellingCAE,
          "ConvolutionalLadderNetworks": ConvolutionalLadderNetworks}


def run_model(seed: int, name: str, epochs: int, data) -> dict:
    """Train one of :data:`MODELS` with ``seed`` and probe its codes. Every model starts from the
    same seeds, so the result does not depend on which models ran before it (or where)."""
    x_train, y_train, x_test, y_test = data
    rng = np.random.RandomState(seed)
    labelled = np.concatenate([rng.choice(np.flatnonzero(y_train == c), 100, replace=False) for c in range(10)])
    mx.random.seed(seed)
    np.random.seed(seed)
    model = build(MODELS[name])
    log = JacobianLog(model, x_test[:200])
    iterator = ArrayIterator(x_train.reshape(-1, 1, 28, 28), None, x_test.reshape(-1, 1, 28, 28), None,
                             epochs=epochs, batch_size=BATCH, ctx=mx.cpu(), seed=seed)
    started = time.time()
    model.learn(iterator)
    test_codes = codes(model, x_test)
    labelled_codes = codes(model, x_train[labelled])
    frame = model.loss_history.to_frame()
    accuracy, c = probe(labelled_codes, y_train[labelled], test_codes, y_test)
    result = {
        "probe": accuracy,
        "probe_c": c,
        "probe_c1": probe(labelled_codes, y_train[labelled], test_codes, y_test, c=1.0)[0],
        "jacobian": log.values,
        "cosine": mean_cosine(test_codes),
        "test_loss": float(frame["test_loss"].iloc[-1]),
        "seconds": time.time() - started,
        "frame": frame,
    }
    if "contraction" in frame:
        result["contraction"] = [float(v) for v in frame["contraction"]]
    return result


def run_seed(seed: int, epochs: int, data) -> dict:
    """Every model of :data:`MODELS` for one seed: ``{name: result of run_model}``."""
    return {name: run_model(seed, name, epochs, data) for name in MODELS}


def figure(all_results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    first = all_results[0]
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    names = list(first)
    means = [np.mean([r[n]["probe"] for r in all_results]) for n in names]
    axes[0].bar(range(len(names)), means, color=["grey", "C0", "C1", "C2"])
    for i, n in enumerate(names):
        axes[0].scatter([i] * len(all_results), [r[n]["probe"] for r in all_results], color="k", s=10, zorder=3)
    axes[0].set_xticks(range(len(names)))
    axes[0].set_xticklabels(["plain", "contractive", "repelling", "ladder"])
    axes[0].set_ylim(min(means) - 0.03, max(means) + 0.02)
    axes[0].set_title("linear probe (C by 5-fold CV), 1,000 labels (dots: seeds)", fontsize=9)
    for n, c in (("plain CAE", "grey"), ("ContractiveCAE", "C0")):
        axes[1].plot(range(1, len(first[n]["jacobian"]) + 1), first[n]["jacobian"], "o-", color=c, label=n)
    axes[1].set_xlabel("epoch")
    axes[1].set_title("encoder Jacobian norm ||J||² (test digits)")
    axes[1].legend()
    for n, c in (("plain CAE", "grey"), ("RepellingCAE", "C1")):
        frame = first[n]["frame"]
        if "test_code_cosine" in frame:
            axes[2].plot(frame.index + 1, frame["test_code_cosine"], "o-", color=c, label=n)
        else:
            axes[2].axhline(first[n]["cosine"], color=c, label=n + " (end)")
    axes[2].set_xlabel("epoch")
    axes[2].set_title("mean pairwise code cosine (test)")
    axes[2].legend()
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _run_model_in_worker(seed: int, name: str, epochs: int, split_seed: Optional[int] = None) -> dict:
    return run_model(seed, name, epochs, mnist_subset(split_seed))


def main(epochs: int = EPOCHS, seeds=(0, 1, 2), figure_path=None, jobs: int = 2,
         split_seed: Optional[int] = None) -> list:
    """Train and probe every model for each seed; with ``jobs`` > 1, one (seed, model) pair per job in
    ``jobs`` worker processes of one thread each (these small convolutions do not get faster with a
    second thread, so two processes use the two cores where one process would use one); ``jobs=1``
    runs everything in this process. The figures are the same either way."""
    started = time.time()
    jobs = max(1, min(jobs, len(seeds) * len(MODELS)))
    if jobs == 1:
        data = mnist_subset(split_seed)
        all_results = [run_seed(seed, epochs, data) for seed in seeds]
    else:
        import multiprocessing

        for name in ("OMP_NUM_THREADS", "MXNET_CPU_WORKER_NTHREADS"):
            os.environ.setdefault(name, "1")  # inherited by the workers
        # one job per (seed, model), the slow ladder networks first, handed out one at a time, so
        # that the two workers finish together (per seed, the ladder takes ~70 % of the time)
        order = ["ConvolutionalLadderNetworks"] + [name for name in MODELS if name != "ConvolutionalLadderNetworks"]
        jobs_list = [(seed, name, epochs, split_seed) for name in order for seed in seeds]
        with multiprocessing.get_context("spawn").Pool(jobs) as pool:
            done = dict(zip([(seed, name) for seed, name, _, _ in jobs_list],
                            pool.starmap(_run_model_in_worker, jobs_list, chunksize=1)))
        all_results = [{name: done[(seed, name)] for name in MODELS} for seed in seeds]
    for seed, results in zip(seeds, all_results):
        plain = results["plain CAE"]
        print("seed %d" % seed)
        for name, r in results.items():
            extra = ""
            if name != "plain CAE":
                extra = "  %+.1f points vs plain (C=1: %+.1f)" % (100 * (r["probe"] - plain["probe"]),
                                                                 100 * (r["probe_c1"] - plain["probe_c1"]))
            print("  %-28s probe %.4f (C=%g; with C=1 %.4f)  test loss %.4f  code cosine %.3f  Jacobian norm by "
                  "epoch %s  (%.0f s)%s"
                  % (name, r["probe"], r["probe_c"], r["probe_c1"], r["test_loss"], r["cosine"],
                     " ".join("%.1f" % v for v in r["jacobian"]), r["seconds"], extra))
        if "contraction" in results["ContractiveCAE"]:
            print("  ContractiveCAE training penalty (history 'contraction') by epoch: %s"
                  % " ".join("%.1f" % v for v in results["ContractiveCAE"]["contraction"]))
    print("mean probe over seeds %s (C by cross-validation; C=1):" % list(seeds))
    for name in all_results[0]:
        print("  %-28s %.4f  %.4f" % (name, np.mean([r[name]["probe"] for r in all_results]),
                                      np.mean([r[name]["probe_c1"] for r in all_results])))
    if figure_path:
        figure(all_results, figure_path)
    print("total %.0f s" % (time.time() - started))
    return all_results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--figure", default=None)
    parser.add_argument("--jobs", type=int, default=2, help="worker processes, one (seed, model) pair at a time each (default 2; 1: in-process)")
    parser.add_argument("--split-seed", type=int, default=None,
                        help="train and test on a random stratified 400/100-per-digit split drawn with this seed "
                             "(demo.mnist.mnist_subset) instead of the demos' fixed split")
    args = parser.parse_args()
    main(args.epochs, tuple(args.seeds), args.figure, args.jobs, args.split_seed)
