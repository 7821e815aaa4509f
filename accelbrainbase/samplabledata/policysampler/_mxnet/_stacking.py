"""Shared by the image policies: stack ``possible_n`` successive learned batches as candidates."""
from __future__ import annotations

import mxnet as mx


def stack_learned_batches(iterator, possible_n: int, with_labels: bool):
    """``(observed (B, possible_n, ...), labels (B, possible_n, ...) or None)`` from the first
    ``possible_n`` tuples of ``iterator.generate_learned_samples()``."""
    observed, labels = [], []
    for i, sample in enumerate(iterator.generate_learned_samples()):
        observed.append(sample[0])
        if with_labels:
            labels.append(sample[1])
        if i + 1 >= possible_n:
            break
    if len(observed) < possible_n:
        raise ValueError("the iterator yielded %d batches; possible_n=%d candidates are needed per draw."
                         % (len(observed), possible_n))
    observed_arr = mx.nd.stack(*observed, axis=1)
    label_arr = mx.nd.stack(*labels, axis=1) if with_labels else None
    return observed_arr, label_arr
