"""The linear probe of demo/cae_probes.py: its L2 weight is chosen by cross-validation on the
labelled codes alone, never by the codes it is scored on."""
import numpy as np
from sklearn.datasets import load_digits

from demo.cae_probes import PROBE_CS, probe


def _digit_codes():
    digits = load_digits()
    x, y = digits.data.astype(np.float64), digits.target
    rng = np.random.RandomState(0)
    order = rng.permutation(len(x))
    return x[order[:500]], y[order[:500]], x[order[500:]], y[order[500:]]


def test_probe_chooses_c_from_the_grid_by_the_labelled_codes_only():
    x_l, y_l, x_t, y_t = _digit_codes()
    accuracy, c = probe(x_l, y_l, x_t, y_t)
    assert c in PROBE_CS
    assert accuracy > 0.9  # pixels of 8×8 digits are nearly linearly separable
    # scoring other codes (here: the test digits with shuffled labels) does not move the choice
    shuffled = np.random.RandomState(1).permutation(y_t)
    accuracy_shuffled, c_shuffled = probe(x_l, y_l, x_t, shuffled)
    assert c_shuffled == c
    assert accuracy_shuffled < 0.2


def test_probe_with_a_fixed_c_uses_it_and_the_choice_matters():
    x_l, y_l, x_t, y_t = _digit_codes()
    fixed, c = probe(x_l, y_l, x_t, y_t, c=1.0)
    assert c == 1.0
    tiny, _ = probe(x_l, y_l, x_t, y_t, c=1e-6)  # so strong a penalty that every class looks alike
    assert tiny < fixed - 0.3
