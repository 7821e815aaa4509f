"""Variational auto-encoder on binarised MNIST-subset digits, next to a hand-written Gluon VAE.

Data: the MNIST subset (4,000 training, 1,000 test digits), pixels binarised at 0.5. Model:
784 → 400 (ReLU) → 20-D Gaussian latent → 400 (ReLU) → 784 Bernoulli logits, Adam 1e-3,
batches of 100. The same model is written by hand in Gluon and trained for the same number of
steps; both test negative ELBOs (nats, 10 importance-free samples per test digit) are printed
and must agree within 2 %. Figures: prior samples, reconstructions, and a 2-D latent run whose
test codes are coloured by class.

    python demo/vae_mnist.py [--epochs 30] [--out docs/images]
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))

import accelbrainbase  # noqa: E402,F401
import mxnet as mx  # noqa: E402
import numpy as np  # noqa: E402
from mxnet import autograd, gluon, nd  # noqa: E402

from accelbrainbase.iteratabledata._mxnet.array_iterator import ArrayIterator  # noqa: E402
from accelbrainbase.observabledata._mxnet.neuralnetworks.variational_auto_encoder import \
    VariationalAutoEncoder  # noqa: E402
from demo.mnist import mnist_subset  # noqa: E402

BATCH = 100


def binarised():
    x_train, y_train, x_test, y_test = mnist_subset()
    return (x_train > 0.5).astype(np.float32), y_train, (x_test > 0.5).astype(np.float32), y_test


def negative_elbo(encode, decode, x: np.ndarray, samples: int = 10, seed: int = 1) -> float:
    """Mean over ``x`` of the single-sample negative ELBO, averaged over ``samples`` draws."""
    mx.random.seed(seed)
    data = nd.array(x)
    mean, log_var = encode(data)
    kl = -0.5 * (1 + log_var - mean ** 2 - log_var.exp()).sum(axis=1)
    total = 0.0
    for _ in range(samples):
        z = mean + (0.5 * log_var).exp() * nd.random.normal(shape=mean.shape)
        logits = decode(z)
        nll = (nd.relu(logits) - logits * data + nd.log1p(nd.exp(-nd.abs(logits)))).sum(axis=1)
        total += float((nll + kl).mean().asscalar())
    return total / samples


class HandVAE(gluon.HybridBlock):
    """The same VAE written directly in Gluon."""

    def __init__(self, latent: int):
        super().__init__()
        self.latent = latent
        with self.name_scope():
            self.enc = gluon.nn.Dense(400, activation="relu", in_units=784)
            self.stats = gluon.nn.Dense(2 * latent, in_units=400)
            self.dec = gluon.nn.Dense(400, activation="relu", in_units=latent)
            self.out = gluon.nn.Dense(784, in_units=400)

    def encode(self, F, x):
        stats = self.stats(self.enc(x))
        return F.slice_axis(stats, axis=1, begin=0, end=self.latent), \
            F.slice_axis(stats, axis=1, begin=self.latent, end=2 * self.latent)

    def decode(self, F, z):
        return self.out(self.dec(z))

    def hybrid_forward(self, F, x):
        mean, log_var = self.encode(F, x)
        z = mean + F.exp(0.5 * log_var) * F.random.normal_like(mean)
        logits = self.decode(F, z)
        nll = F.sum(F.relu(logits) - logits * x + F.log1p(F.exp(-F.abs(logits))), axis=1)
        return nll - 0.5 * F.sum(1 + log_var - F.square(mean) - F.exp(log_var), axis=1)


def train_hand(x_train, steps: int, latent: int, seed: int) -> HandVAE:
    mx.random.seed(seed)
    net = HandVAE(latent)
    net.initialize(mx.init.Xavier(rnd_type="gaussian", factor_type="in", magnitude=2))
    net.hybridize(static_alloc=True, static_shape=True)
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 1e-3})
    data = nd.array(x_train)
    rng = np.random.RandomState(seed)
    order, pos = rng.permutation(len(x_train)), 0
    for _ in range(steps):
        if pos + BATCH > len(order):
            order, pos = rng.permutation(len(x_train)), 0
        batch = nd.take(data, nd.array(order[pos:pos + BATCH]))
        pos += BATCH
        with autograd.record():
            loss = net(batch)
        loss.backward()
        trainer.step(BATCH)
    nd.waitall()
    return net


def train_library(x_train, x_test, epochs: int, latent: int, seed: int) -> VariationalAutoEncoder:
    mx.random.seed(seed)
    model = VariationalAutoEncoder(784, latent_dim=latent, hidden_units_list=[400], learning_rate=1e-3,
                                   optimizer_name="adam", ctx=mx.cpu())
    model.learn(ArrayIterator(x_train, None, x_test, None, epochs=epochs, batch_size=BATCH, ctx=mx.cpu(), seed=seed))
    return model


def main(epochs: int = 30, out: str = None, seed: int = 0) -> dict:
    x_train, y_train, x_test, y_test = binarised()
    steps = epochs * (len(x_train) // BATCH)
    started = time.time()
    model = train_library(x_train, x_test, epochs, 20, seed)
    library_time = time.time() - started
    library = negative_elbo(model.encode, lambda z: model._decode(nd, z), x_test)
    started = time.time()
    hand = train_hand(x_train, steps, 20, seed)
    hand_time = time.time() - started
    handwritten = negative_elbo(lambda x: hand.encode(nd, x), lambda z: hand.decode(nd, z), x_test)
    gap = abs(library - handwritten) / handwritten
    print("test negative ELBO after %d steps: library %.2f nats (%.1f s) | hand-written Gluon %.2f nats (%.1f s) "
          "| relative gap %.2f %%" % (steps, library, library_time, handwritten, hand_time, 100 * gap))
    results = {"library": library, "handwritten": handwritten, "gap": gap, "model": model}
    if out:
        model2 = train_library(x_train, x_test, epochs, 2, seed)
        plot(model, model2, x_test, y_test, out)
    return results


def plot(model, model2, x_test, y_test, out: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(out, exist_ok=True)
    samples = model.draw(32, seed=0).asnumpy()
    recon = model.inference(nd.array(x_test[:16])).asnumpy()
    fig, axes = plt.subplots(4, 16, figsize=(10, 2.8))
    for i in range(16):
        for row, img in enumerate((samples[i], samples[16 + i], x_test[i], recon[i])):
            axes[row, i].imshow(img.reshape(28, 28), cmap="gray", vmin=0, vmax=1)
            axes[row, i].axis("off")
    axes[0, 0].set_title("samples from the prior (rows 1-2); test digits and reconstructions (rows 3-4)",
                         fontsize=8, loc="left")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "vae_samples.png"), dpi=60)
    plt.close(fig)
    codes = model2.encode(nd.array(x_test))[0].asnumpy()
    fig, ax = plt.subplots(figsize=(4.5, 4))
    scatter = ax.scatter(codes[:, 0], codes[:, 1], c=y_test, cmap="tab10", s=5)
    ax.legend(*scatter.legend_elements(), fontsize=6, loc="best", title="digit", title_fontsize=7)
    ax.set_title("2-D latent means of the test digits", fontsize=9)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "vae_latent_2d.png"), dpi=70)
    plt.close(fig)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    main(args.epochs, args.out)
