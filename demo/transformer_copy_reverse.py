"""The Annotated Transformer's toy task on ``TransformerController``: copy a random sequence,
then reverse it.

Vocabulary 11 (symbol 0 starts the decoder, symbols 1-10 are data), sequences of 10 symbols,
2 layers. Training batches are fresh random sequences; the 1,000 held-out sequences are drawn
from another seed. After training, ``TransformerController.generate`` decodes greedily (each
step's most likely symbol is fed back) and we report token accuracy and exact-sequence match.

Run: ``python demo/transformer_copy_reverse.py [--steps 1000] [--task copy|reverse|both]``
Figures: ``docs/images/transformer_copy_reverse.png`` (``--plot``).
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

import accelbrainbase  # noqa: F401  (numpy compatibility before mxnet)
import mxnet as mx

from accelbrainbase.controllablemodel._mxnet.transformer_controller import TransformerController
from accelbrainbase.iteratabledata.transformer_iterator import TransformerIterator

VOCAB = 11
LENGTH = 10
START = 0


def one_hot(ids: np.ndarray) -> np.ndarray:
    return np.eye(VOCAB, dtype=np.float32)[ids]


def make_task(n: int, task: str, rng: np.random.RandomState):
    """``(source ids, decoder-input ids, target ids)``, each ``(n, LENGTH)``."""
    source = rng.randint(1, VOCAB, size=(n, LENGTH))
    target = source[:, ::-1].copy() if task == "reverse" else source.copy()
    decoder_input = np.concatenate([np.full((n, 1), START), target[:, :-1]], axis=1)
    return source, decoder_input, target


class SequenceTaskIterator(TransformerIterator):
    """Fresh random sequences for every training batch; a fixed held-out split.

    Yields the 10-tuples ``(enc_x, dec_x, None, None, test_enc_x, test_dec_x, None, None,
    target, test_target)`` of one-hot ``(B, LENGTH, VOCAB)`` NDArrays.
    """

    def __init__(self, task="copy", steps=1000, epochs=10, batch_size=64, test_size=1000, seed=0, ctx=mx.cpu()):
        if task not in ("copy", "reverse"):
            raise ValueError("task must be 'copy' or 'reverse', got %r." % (task,))
        self.task = task
        self.epochs = epochs
        self.batch_size = batch_size
        self.iter_n = steps
        self.norm_mode = None
        self.ctx = ctx
        self.rng = np.random.RandomState(seed)
        self.test = [mx.nd.array(one_hot(a), ctx=ctx) for a in make_task(test_size, task, np.random.RandomState(seed + 1))]
        self.test_ids = make_task(test_size, task, np.random.RandomState(seed + 1))

    def _batch(self, rng):
        return [mx.nd.array(one_hot(a), ctx=self.ctx) for a in make_task(self.batch_size, self.task, rng)]

    def generate_learned_samples(self):
        for i in range(self.iter_n):
            src, dec, tgt = self._batch(self.rng)
            lo = (i * self.batch_size) % (self.test[0].shape[0] - self.batch_size + 1)
            t_src, t_dec, t_tgt = (a[lo:lo + self.batch_size] for a in self.test)
            yield src, dec, None, None, t_src, t_dec, None, None, tgt, t_tgt

    def generate_test_samples(self):
        """The whole held-out split once (teacher-forced test loss and accuracy per epoch)."""
        n = self.test[0].shape[0]
        for lo in range(0, n, 250):
            t_src, t_dec, t_tgt = (a[lo:lo + 250] for a in self.test)
            yield None, None, None, None, t_src, t_dec, None, None, None, t_tgt

    def generate_inferenced_samples(self):
        yield None, None, self.test[0], None


def build_controller(ctx=mx.cpu(), hidden_dim=64, learning_rate=2e-3, dropout_rate=0.0, **kwargs):
    return TransformerController(
        depth_dim=VOCAB, hidden_dim=hidden_dim, layer_n=2, head_n=4, seq_len=LENGTH,
        optimizer_name="adam", learning_rate=learning_rate, weight_decay=0.0, dropout_rate=dropout_rate,
        ctx=ctx, decoder_dropout_rate=dropout_rate, **kwargs)


def greedy_scores(controller, iterator):
    """Token accuracy and exact-sequence match of greedy decoding on the held-out split."""
    source, _, target = iterator.test_ids
    predicted = []
    for lo in range(0, source.shape[0], 250):
        out = controller.generate(mx.nd.array(one_hot(source[lo:lo + 250]), ctx=iterator.ctx),
                                  start_arr=one_hot(np.array(START)))
        predicted.append(out.argmax(axis=-1).asnumpy().astype(int))
    predicted = np.concatenate(predicted)
    return float((predicted == target).mean()), float((predicted == target).all(axis=1).mean()), predicted


def run(task="copy", steps=1000, batch_size=64, epochs=10, seed=0, verbose=True, **kwargs):
    mx.random.seed(seed)
    np.random.seed(seed)
    iterator = SequenceTaskIterator(task, steps=steps, epochs=epochs, batch_size=batch_size, seed=seed)
    controller = build_controller(**kwargs)
    start = time.time()
    controller.learn(iterator)
    seconds = time.time() - start
    token_acc, exact, predicted = greedy_scores(controller, iterator)
    if verbose:
        frame = controller.loss_history.to_frame()
        print("%s: %d steps in %.1f s; greedy token accuracy %.4f, exact match %.4f; last test loss %.4f"
              % (task, steps, seconds, token_acc, exact, frame["test_loss"].iloc[-1]))
    return {"task": task, "seconds": seconds, "token_accuracy": token_acc, "exact_match": exact,
            "history": controller.loss_history.to_frame(), "controller": controller, "iterator": iterator,
            "predicted": predicted}


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, grid = plt.subplots(2, 1 + len(results), figsize=(5 * (1 + len(results)), 7.4))
    axes = grid[0]
    for ax, result in zip(grid[1][1:], results):
        source, decoder_input, _ = result["iterator"].test_ids
        maps = result["controller"].attention_maps(one_hot(source[:1]), one_hot(decoder_input[:1]))
        for layer, layer_maps in enumerate(maps):
            if layer == len(maps) - 1:
                ax.imshow(layer_maps["cross_attention"].asnumpy()[0].mean(axis=0), cmap="viridis", vmin=0, vmax=1)
        ax.set_title("%s: last decoder layer's cross-attention\n(mean over heads; rows: output positions)"
                     % result["task"])
        ax.set_xlabel("source position")
        ax.set_ylabel("output position")
    maps = results[0]["controller"].attention_maps(*(one_hot(a[:1]) for a in results[0]["iterator"].test_ids[:2]))
    grid[1][0].imshow(maps[0]["self_attention"].asnumpy()[0, 0], cmap="viridis", vmin=0, vmax=1)
    grid[1][0].set_title("decoder self-attention, layer 1, head 1:\nno weight above the diagonal (causal)")
    grid[1][0].set_xlabel("key position")
    grid[1][0].set_ylabel("query position")
    for result in results:
        frame = result["history"]
        steps = (np.arange(len(frame)) + 1) * (result["iterator"].iter_n // result["iterator"].epochs)
        axes[0].plot(steps, frame["test_acc"], marker="o", label="%s (teacher-forced, held out)" % result["task"])
    axes[0].set_xlabel("optimiser steps")
    axes[0].set_ylabel("token accuracy")
    axes[0].set_ylim(0, 1.02)
    axes[0].legend()
    for ax, result in zip(axes[1:], results):
        source, _, target = result["iterator"].test_ids
        rows = np.concatenate([source[:6], result["predicted"][:6]], axis=0)
        ax.imshow(rows, cmap="tab20", vmin=0, vmax=19)
        for (i, j), v in np.ndenumerate(rows):
            ax.text(j, i, str(v), ha="center", va="center", fontsize=8)
        ax.axhline(5.5, color="black")
        ax.set_title("%s: source (top) / greedy output (bottom)\ntoken acc %.4f, exact %.4f"
                     % (result["task"], result["token_accuracy"], result["exact_match"]))
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--task", choices=("copy", "reverse", "both"), default="both")
    parser.add_argument("--plot", action="store_true")
    args = parser.parse_args(argv)
    tasks = ("copy", "reverse") if args.task == "both" else (args.task,)
    results = [run(task, steps=args.steps, batch_size=args.batch_size) for task in tasks]
    if args.plot:
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "images",
                            "transformer_copy_reverse.png")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        plot(results, path)
        print("figure:", os.path.normpath(path))
    ok = all(r["token_accuracy"] >= 0.99 and r["exact_match"] >= 0.95 for r in results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
