"""Backend-neutral base of unlabeled image, video and text iterators.

Abstract: concrete iterators implement ``generate_learned_samples`` and
``generate_inferenced_samples``. No constructor.
"""
from accelbrainbase.iteratable_data import IteratableData
from accelbrainbase.iteratabledata._base import IteratorSettingsMixin


class UnlabeledImageIterator(IteratorSettingsMixin, IteratableData):
    """Normalisation and configuration shared by unlabeled image, video and text iterators.

    Members: ``pre_normalize(arr)``, ``set_readonly(value)`` and the properties ``epochs``,
    ``batch_size``, ``norm_mode``, ``scale`` (no ``seq_len``); see
    :mod:`accelbrainbase.iteratabledata._base`.
    """
