"""Principal components of scikit-learn's digits learned by Hebbian rules.

Three ``ObservableData`` models of the Hebbian family learn from the 1,797 digit images
(64 pixels scaled to ``[0, 1]``, centred by the models' running mean) through
``ArrayIterator``:

* ``HebbianNetworks`` (plain Hebb, rows renormalised) with one output,
* ``OjaRule`` with one output,
* ``SangerRule`` (the generalized Hebbian algorithm) with five outputs.

The figures are the absolute cosine similarities between each learned weight vector and
scikit-learn's ``PCA`` component of the same rank (signs of components are arbitrary).
``demo/output/gallery/hebbian_pca.png`` shows the components as 8x8 images.

Run: ``python -m demo.gallery.hebbian_pca``
"""
from __future__ import annotations

import numpy as np

import accelbrainbase  # noqa: F401  (prepares numpy for mxnet; import it first)

from accelbrainbase._mxnet.plotting import image_grid
from accelbrainbase.iteratabledata._mxnet.array_iterator import ArrayIterator
from accelbrainbase.observabledata._mxnet.hebbian_networks import HebbianNetworks
from accelbrainbase.observabledata._mxnet.hebbiannetworks.oja_rule import OjaRule
from accelbrainbase.observabledata._mxnet.hebbiannetworks.sanger_rule import SangerRule
from demo.gallery._common import output_path, report, seed_everything

K = 5


def cosines(learned: np.ndarray, reference: np.ndarray) -> list:
    """``|cos|`` between row ``i`` of ``learned`` (k, D) and row ``i`` of ``reference``."""
    learned = learned / np.linalg.norm(learned, axis=1, keepdims=True)
    return [float(abs(a @ b)) for a, b in zip(learned, reference)]


def main(smoke: bool = False, seed: int = 0) -> dict:
    """Learn, compare with PCA, print and plot; returns the cosine lists and ``plot``."""
    from sklearn.datasets import load_digits
    from sklearn.decomposition import PCA

    seed_everything(seed)
    x = (load_digits().data / 16.0).astype(np.float32)
    pca = PCA(n_components=K).fit(x)
    epochs, every = (8, 3) if smoke else (30, 10)
    figures, learned = {}, {}
    for name, model in (("hebb", HebbianNetworks(64, 1, learning_rate=0.8, learning_attenuate_rate=0.5,
                                                 attenuate_epoch=every)),
                        ("oja", OjaRule(64, 1, learning_rate=0.8, learning_attenuate_rate=0.5,
                                        attenuate_epoch=every)),
                        ("sanger", SangerRule(64, K, learning_rate=0.8, learning_attenuate_rate=0.5,
                                              attenuate_epoch=every))):
        model.learn(ArrayIterator(x, epochs=epochs, batch_size=100, seed=seed))
        learned[name] = model.components.asnumpy()
        figures[name + "_cosine"] = cosines(learned[name], pca.components_)
    figures["sanger_orthonormality_error"] = float(
        np.abs(learned["sanger"] @ learned["sanger"].T - np.eye(K)).max())

    def aligned(name: str) -> np.ndarray:  # flip each learned row to the sign of its PCA component
        rows = learned[name]
        return np.sign(np.sum(rows * pca.components_[:len(rows)], axis=1, keepdims=True)) * rows

    figures["plot"] = image_grid([pca.components_, aligned("sanger"), aligned("oja"), aligned("hebb")],
                                 output_path("hebbian_pca.png"),
                                 row_titles=["scikit-learn PCA", "Sanger (GHA)", "Oja", "plain Hebb"],
                                 title="Digits: principal components")
    report("Hebbian PCA on digits", figures)
    return figures


if __name__ == "__main__":
    main()
