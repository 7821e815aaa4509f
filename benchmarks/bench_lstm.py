"""LSTM encoder/decoder: accelbrainbase vs a hand-written hybridized Gluon model, in one process.

Both train an LSTM encoder/decoder that reconstructs windows of a sine-mixture signal (48 steps,
1 feature, 64 hidden units, batch 64, Adam) for the same number of batches, on the CPU:

* library: the signal as a CSV read by ``UnlabeledSequentialCSVIterator`` (timed), then
  ``EncoderDecoder.learn`` (the shared engine: loss history, the whole test split evaluated
  after every epoch);
* hand-written: the same windows gathered with ``nd.take`` from the z-scored signal, two
  ``gluon.rnn.LSTM`` layers + ``Dense`` in one hybridized block (``static_alloc``,
  ``static_shape``), ``autograd`` + ``Trainer.step``, every test window evaluated and one host
  sync per epoch.

Two decoder modes: generating (the default; the hand-written decoder reads zeros from the
encoder's final state, which is the same kernel work as feeding back its state) and
``generating_flag=False`` (the decoder reads the encoder outputs reversed in time from a zero
state).

Run: python benchmarks/bench_lstm.py [--batches 300] [--repeats 3] [--json rows.json]
"""
from contextlib import contextmanager
import os
import sys
import tempfile
import time

import numpy as np
import pandas as pd

import accelbrainbase  # noqa: F401
import mxnet as mx
from mxnet import autograd, gluon, nd
from mxnet.gluon import nn, rnn

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the repository root
from benchmarks._harness import Benchmark, Comparison, Result, main  # noqa: E402
from accelbrainbase.extractabledata.unlabeled_csv_extractor import UnlabeledCSVExtractor
from accelbrainbase.iteratabledata._mxnet.unlabeled_sequential_csv_iterator import UnlabeledSequentialCSVIterator
from accelbrainbase.observabledata._mxnet.lstm_networks import LSTMNetworks
from accelbrainbase.observabledata._mxnet.lstmnetworks.encoder_decoder import EncoderDecoder

SEQ_LEN, HIDDEN, BATCH, WINDOWS = 48, 64, 64, 4800
CPU = mx.cpu()


def signal(n, start, rng):
    t = np.arange(start, start + n)
    return np.sin(2 * np.pi * t / 20) + 0.5 * np.sin(2 * np.pi * t / 7) + 0.05 * rng.randn(n)


def library_run(paths, epochs, generating):
    started = time.perf_counter()
    iterator = UnlabeledSequentialCSVIterator(UnlabeledCSVExtractor(), paths[0], paths[1], epochs=epochs,
                                              batch_size=BATCH, seq_len=SEQ_LEN, ctx=CPU, seed=0)
    options = dict(hidden_n=HIDDEN, dropout_rate=0.0, ctx=CPU)
    encoder = LSTMNetworks(BATCH, SEQ_LEN, gluon.loss.L2Loss(), output_layer_flag=False, **options)
    decoder = LSTMNetworks(BATCH, SEQ_LEN, gluon.loss.L2Loss(), output_n=1, output_activation="identity", **options)
    model = EncoderDecoder(encoder, decoder, gluon.loss.L2Loss(), seq_len=SEQ_LEN, learning_rate=3e-3,
                           optimizer_name="adam", learning_attenuate_rate=1.0, ctx=CPU, generating_flag=generating)
    model.learn(iterator)
    nd.waitall()
    return time.perf_counter() - started, iterator.iter_n, float(model.loss_arr[-1, 0])


class HandEncoderDecoder(gluon.HybridBlock):
    def __init__(self, generating):
        super().__init__()
        self.generating = generating
        with self.name_scope():
            self.encoder = rnn.LSTM(HIDDEN, layout="NTC", input_size=1)
            self.decoder = rnn.LSTM(HIDDEN, layout="NTC", input_size=1 if generating else HIDDEN)
            self.out = nn.Dense(1, flatten=False, in_units=HIDDEN)

    def hybrid_forward(self, F, x):
        if self.generating:
            begin = self.encoder.begin_state(0, func=F.zeros) if F is mx.sym else \
                self.encoder.begin_state(x.shape[0], ctx=x.context)
            _, state = self.encoder(x, begin)
            hidden, _ = self.decoder(F.zeros_like(x), state)
        else:
            hidden = self.decoder(F.reverse(self.encoder(x), axis=1))
        return F.reverse(self.out(hidden), axis=1)


def hand_written_run(paths, epochs, generating):
    started = time.perf_counter()
    train = pd.read_csv(paths[0]).values[:, 0]
    test = pd.read_csv(paths[1]).values[:, 0]
    mean, std = train.mean(), train.std()
    train_nd = nd.array((train - mean) / std).reshape((-1, 1))
    test_nd = nd.array((test - mean) / std).reshape((-1, 1))
    steps_nd = nd.arange(SEQ_LEN).reshape((1, -1))
    n_train, n_test = len(train) - SEQ_LEN + 1, len(test) - SEQ_LEN + 1

    net = HandEncoderDecoder(generating)
    net.initialize(mx.init.Xavier(rnd_type="gaussian", factor_type="in", magnitude=1), ctx=CPU)
    net.hybridize(static_alloc=True, static_shape=True)
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 3e-3})
    loss_fn = gluon.loss.L2Loss()
    rng = np.random.RandomState(0)
    per_epoch = n_train // BATCH
    steps = 0
    for _ in range(epochs):
        order = nd.array(rng.permutation(n_train))
        for i in range(per_epoch):
            starts = order[i * BATCH:(i + 1) * BATCH].reshape((-1, 1))
            x = nd.take(train_nd, nd.broadcast_add(starts, steps_nd))
            with autograd.record():
                loss = loss_fn(net(x), x)
            loss.backward()
            trainer.step(BATCH)
            steps += 1
        test_loss = nd.zeros((1,))
        for lo in range(0, n_test, BATCH):  # every test window, in order (the last block may be shorter)
            test_starts = nd.arange(lo, min(lo + BATCH, n_test)).reshape((-1, 1))
            test_x = nd.take(test_nd, nd.broadcast_add(test_starts, steps_nd))
            test_loss = test_loss + loss_fn(net(test_x), test_x).sum()
        float(loss.mean().asscalar()), float(test_loss.asscalar())  # one host sync per epoch
    nd.waitall()
    return time.perf_counter() - started, steps, float(loss.mean().asscalar())


def add_arguments(parser):
    parser.add_argument("--batches", type=int, default=300, help="training batches per run")


MODES = {True: "generating", False: "reads encoder outputs"}


@contextmanager
def sides(args):
    epochs = max(args.batches // (WINDOWS // BATCH), 1)
    rng = np.random.RandomState(0)
    with tempfile.TemporaryDirectory() as root:
        paths = [os.path.join(root, "train.csv"), os.path.join(root, "test.csv")]
        pd.DataFrame({"v": signal(WINDOWS + SEQ_LEN - 1, 0, rng)}).to_csv(paths[0], index=False)
        pd.DataFrame({"v": signal(1000, 10 ** 5, rng)}).to_csv(paths[1], index=False)

        def run(function, generating):
            def one(repeat):
                mx.random.seed(0)
                seconds, steps, loss = function(paths, epochs, generating)
                return Result(seconds, steps * BATCH, {"final train loss": loss})
            return one

        yield {("%s: %s" % (name, MODES[generating])): run(function, generating)
               for generating in (True, False)
               for name, function in (("accelbrainbase EncoderDecoder.learn", library_run),
                                      ("hand-written hybridized Gluon", hand_written_run))}


BENCHMARK = Benchmark(
    "lstm", "LSTM encoder/decoder, 48-step windows, 1 feature, 64 hidden, batch 64 (CSV reading included)",
    "sequences", sides,
    [Comparison("LSTM encoder/decoder (%s) vs hand-written Gluon" % MODES[g],
                "accelbrainbase EncoderDecoder.learn: %s" % MODES[g], "hand-written hybridized Gluon: %s" % MODES[g],
                1.10) for g in (True, False)],
    add_arguments)


if __name__ == "__main__":
    main(BENCHMARK)
