"""Scale-out: data parallelism over a list of contexts, and MXNet's parameter server
(a scheduler, a server and two workers on the loopback interface, kvstore='dist_sync')."""
import os
import socket
import subprocess
import sys

import mxnet as mx
import numpy as np
import pytest
from mxnet import gluon

from accelbrainbase.iteratabledata._mxnet.array_iterator import ArrayIterator
from accelbrainbase.observabledata._mxnet.convolutional_neural_networks import ConvolutionalNeuralNetworks
from accelbrainbase.observabledata._mxnet.neural_networks import NeuralNetworks

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def small_cnn(ctx):
    loss = gluon.loss.SoftmaxCrossEntropyLoss(sparse_label=False)
    head = NeuralNetworks(loss, units_list=[10], activation_list=["identity"], dropout_rate_list=[0.0],
                          not_init_flag=True, ctx=ctx)
    return ConvolutionalNeuralNetworks(
        loss, hidden_units_list=[gluon.nn.Conv2D(8, 3, padding=1)], hidden_dropout_rate_list=[0.0],
        hidden_batch_norm_list=[None], hidden_activation_list=["relu"], output_nn=head,
        learning_rate=0.01, optimizer_name="adam", ctx=ctx)


def test_data_parallel_cnn_records_accuracy_over_two_contexts(digits_arrays):
    a = digits_arrays
    x_train, x_test = a["x_train"].reshape(-1, 1, 8, 8), a["x_test"].reshape(-1, 1, 8, 8)
    iterator = ArrayIterator(x_train, a["y_train"], x_test, a["y_test"], n_classes=10, epochs=4, batch_size=32,
                             seed=0, ctx=mx.cpu())
    model = small_cnn([mx.cpu(0), mx.cpu(1)])
    model.learn(iterator)
    acc = model.acc_arr
    assert acc.shape == (4, 2) and np.isfinite(acc).all()  # the accuracy columns were NaN before
    assert acc[-1, 1] > 0.85 and acc[-1, 0] > acc[0, 0]


def test_shards_split_the_rows_between_workers(digits_arrays):
    a = digits_arrays
    sizes = [ArrayIterator(a["x_train"], a["y_train"], n_classes=10, batch_size=32, shard=(rank, 3)).dataset_size
             for rank in range(3)]
    assert sum(sizes) == len(a["x_train"]) and max(sizes) - min(sizes) <= 1
    steps = {ArrayIterator(a["x_train"], a["y_train"], n_classes=10, batch_size=32, shard=(rank, 3)).iter_n
             for rank in range(3)}
    assert len(steps) == 1  # every worker takes the same number of steps
    with pytest.raises(ValueError, match=r"shard\[0\] \(rank\) must be <= 2"):
        ArrayIterator(a["x_train"], a["y_train"], n_classes=10, shard=(3, 3))
    with pytest.raises(TypeError, match="shard must be \\(rank, num_workers\\)"):
        ArrayIterator(a["x_train"], a["y_train"], n_classes=10, shard=3)


def test_image_iterators_shard_their_files(digits_png_dirs):
    from accelbrainbase.extractabledata._mxnet.image_extractor import ImageExtractor
    from accelbrainbase.iteratabledata._mxnet.labeled_image_iterator import LabeledImageIterator

    def iterator(rank):
        return LabeledImageIterator(ImageExtractor(8, 8, 1, ctx=mx.cpu()), digits_png_dirs["train_dirs"],
                                    digits_png_dirs["test_dirs"], epochs=1, batch_size=16, seed=0,
                                    ctx=mx.cpu(), shard=(rank, 2))
    seen = []
    for rank in range(2):
        it = iterator(rank)
        rows = set()
        for x, _, _, _ in it.generate_learned_samples():
            rows.update(map(bytes, (x.asnumpy() * 255).round().astype(np.uint8).reshape(len(x), -1)))
        seen.append((it.iter_n, rows))
    assert seen[0][0] == seen[1][0]  # the same number of steps on both workers
    assert not seen[0][1] & seen[1][1]  # no image is learned by both


def test_csv_iterators_shard_their_rows_and_agree_on_the_classes(digits_csv, digits_arrays, tmp_path):
    import pandas as pd

    from accelbrainbase.extractabledata.labeled_csv_extractor import LabeledCSVExtractor
    from accelbrainbase.extractabledata.unlabeled_csv_extractor import UnlabeledCSVExtractor
    from accelbrainbase.iteratabledata._mxnet.labeled_csv_iterator import LabeledCSVIterator
    from accelbrainbase.iteratabledata._mxnet.unlabeled_csv_iterator import UnlabeledCSVIterator

    # the only row of class 9 goes to worker 0: worker 1 must still make 10-wide one-hot labels
    frame = pd.read_csv(digits_csv["train_path"])
    frame = pd.concat([frame[frame.label != 9].iloc[:41], frame[frame.label == 9].iloc[:1]]).reset_index(drop=True)
    frame = frame.iloc[[41] + list(range(41))].reset_index(drop=True)  # row 0 is the class-9 row
    path = str(tmp_path / "train.csv")
    frame.to_csv(path, index=False)
    n_rows = len(frame)
    seen = []
    for rank in range(2):
        it = LabeledCSVIterator(LabeledCSVExtractor(), path, digits_csv["test_path"], epochs=1, batch_size=7,
                                norm_mode=None, ctx=mx.cpu(), seed=0, shard=(rank, 2))
        rows, widths = set(), set()
        for x, y, test_x, test_y in it.generate_learned_samples():
            rows.update(map(bytes, x.asnumpy().astype(np.uint8)))
            widths.update((y.shape[1], test_y.shape[1]))
        seen.append((it.iter_n, rows, widths))
    assert seen[0][0] == seen[1][0] == n_rows // 2 // 7  # equal steps
    assert not seen[0][1] & seen[1][1]  # no row is learned by both
    assert seen[0][2] == seen[1][2] == {10}
    unlabeled = [UnlabeledCSVIterator(UnlabeledCSVExtractor(), digits_csv["unlabeled_train_path"], None, epochs=1,
                                      batch_size=32, ctx=mx.cpu(), seed=0, shard=(rank, 3)) for rank in range(3)]
    assert len({it.iter_n for it in unlabeled}) == 1
    assert unlabeled[0].iter_n == len(digits_arrays["x_train"]) // 3 // 32
    with pytest.raises(ValueError, match=r"shard\[0\] \(rank\)"):
        UnlabeledCSVIterator(UnlabeledCSVExtractor(), digits_csv["unlabeled_train_path"], None, shard=(2, 2))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_workers_on_a_parameter_server_end_with_identical_parameters(tmp_path):
    env = dict(os.environ, DMLC_PS_ROOT_URI="127.0.0.1", DMLC_PS_ROOT_PORT=str(_free_port()),
               DMLC_NUM_SERVER="1", DMLC_NUM_WORKER="2", DMLC_NODE_HOST="127.0.0.1", DMLC_INTERFACE="lo",
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""), OMP_NUM_THREADS="1")
    serve = [sys.executable, "-c", "import accelbrainbase, mxnet"]  # importing mxnet runs the role's loop
    processes = [subprocess.Popen(serve, env=dict(env, DMLC_ROLE=role), stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL) for role in ("scheduler", "server")]
    outputs = [str(tmp_path / ("worker%d.npz" % i)) for i in range(2)]
    workers = [subprocess.Popen([sys.executable, os.path.join(HERE, "dist_worker.py"), out],
                                env=dict(env, DMLC_ROLE="worker"), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
               for out in outputs]
    try:
        logs = [worker.communicate(timeout=240)[0].decode(errors="replace") for worker in workers]
        for worker, log in zip(workers, logs):
            assert worker.returncode == 0, log[-3000:]
    finally:
        for process in processes + workers:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=30)
    results = [np.load(out) for out in outputs]
    assert all(os.path.isfile(out + ".ckpt") for out in outputs)
    assert sorted(int(r["rank"]) for r in results) == [0, 1]
    params = [[r["param%d" % i] for i in range(len([k for k in r.files if k.startswith("param")]))] for r in results]
    for first, second in zip(*params):
        np.testing.assert_array_equal(first, second)
    for r in results:
        loss = r["loss_arr"]
        assert loss.shape == (4, 2) and loss[-1, 0] < 0.5 * loss[0, 0]
        assert r["acc_arr"][-1, 1] > 0.8
