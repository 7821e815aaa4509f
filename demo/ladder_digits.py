"""Semi-supervised digits: a dense ladder network from 100 labels (10 per class).

scikit-learn's ``load_digits`` (1,797 8×8 images), a fixed stratified split (``test_size=0.25``,
``random_state=0``). From the training split, 10 images per class keep their labels; the other
1,247 are used without labels. Three classifiers are compared on the same test split:

* an MLP of the same widths trained on the 100 labelled images alone (same optimiser, same steps);
* ``sklearn.semi_supervised.LabelSpreading`` (k-NN kernel) on labelled + unlabelled images;
* the ladder network (``LadderNetworks``) on labelled + unlabelled images.

The ladder must be at least 10 points above the MLP and at least as good as LabelSpreading.

    python demo/ladder_digits.py [--epochs 30] [--seed 0]
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))

import accelbrainbase  # noqa: E402,F401
import mxnet as mx  # noqa: E402
import numpy as np  # noqa: E402

from accelbrainbase.iteratabledata._mxnet.semi_supervised_iterator import SemiSupervisedIterator  # noqa: E402
from accelbrainbase.observabledata._mxnet.neuralnetworks.ladder_networks import LadderNetworks  # noqa: E402

UNITS = [256, 128, 10]


def split(seed: int = 0, per_class: int = 10):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)
    rng = np.random.RandomState(seed)
    labeled = np.concatenate([rng.choice(np.flatnonzero(y_train == c), per_class, replace=False) for c in range(10)])
    unlabeled = np.setdiff1d(np.arange(len(x_train)), labeled)
    mean, std = x_train.mean(axis=0), x_train.std(axis=0) + 0.1  # fitted on the (unlabelled) training images
    scale = lambda a: ((a - mean) / std).astype(np.float32)  # noqa: E731
    return scale(x_train[labeled]), y_train[labeled], scale(x_train[unlabeled]), scale(x_test), y_test, \
        x_train[labeled], x_train[unlabeled], x_test


def iterator(data, epochs, seed):
    x_l, y_l, x_u, x_t, y_t = data[:5]
    return SemiSupervisedIterator(x_l, y_l, x_u, x_t, y_t, n_classes=10, epochs=epochs, batch_size=50,
                                  unlabeled_batch_size=100, ctx=mx.cpu(), seed=seed)


def accuracy(model, x, y) -> float:
    return float((model.inference(mx.nd.array(x, ctx=mx.cpu())).argmax(axis=1).asnumpy() == y).mean())


def run_ladder(data, epochs, seed, denoising_cost_list, noise_std):
    mx.random.seed(seed)
    model = LadderNetworks(64, UNITS, noise_std_list=noise_std, denoising_cost_list=denoising_cost_list,
                           learning_rate=2e-3, learning_attenuate_rate=0.5, attenuate_epoch=max(epochs // 3, 1),
                           optimizer_name="adam", ctx=mx.cpu())
    model.learn(iterator(data, epochs, seed))
    return model, accuracy(model, data[3], data[4])


def main(epochs: int = 30, seed: int = 0) -> dict:
    started = time.time()
    data = split(seed)
    # the MLP: the same network without noise and without denoising costs, trained on the labels only
    _, mlp = run_ladder(data, epochs, seed, denoising_cost_list=0.0, noise_std=0.0)
    ladder_model, ladder = run_ladder(data, epochs, seed, denoising_cost_list=[1000.0, 10.0, 0.1, 0.1],
                                      noise_std=0.3)
    from sklearn.semi_supervised import LabelSpreading

    raw_l, raw_u, raw_t = data[5:]
    spreading = LabelSpreading(kernel="knn", n_neighbors=7, max_iter=100)
    spreading.fit(np.concatenate([raw_l, raw_u]), np.concatenate([data[1], -np.ones(len(raw_u), dtype=int)]))
    label_spreading = float((spreading.predict(raw_t) == data[4]).mean())
    print("digits, 100 labels, %d unlabelled, %d test: MLP on the labels %.4f | LabelSpreading %.4f | "
          "ladder network %.4f (%.1f s)" % (len(raw_u), len(raw_t), mlp, label_spreading, ladder,
                                             time.time() - started))
    return {"mlp": mlp, "label_spreading": label_spreading, "ladder": ladder, "model": ladder_model}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    main(args.epochs, args.seed)
