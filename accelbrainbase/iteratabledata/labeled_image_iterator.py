"""Backend-neutral base of labeled iterators (images, videos, CSV rows, Gaussian samples).

Abstract: concrete iterators implement ``generate_learned_samples`` and
``generate_inferenced_samples``. No constructor.
"""
from accelbrainbase.iteratable_data import IteratableData
from accelbrainbase.iteratabledata._base import IteratorSettingsMixin, SeqLenMixin


class LabeledImageIterator(IteratorSettingsMixin, SeqLenMixin, IteratableData):
    """Normalisation and configuration shared by labeled iterators.

    Members: ``pre_normalize(arr)``, ``set_readonly(value)`` and the properties ``epochs``,
    ``batch_size``, ``norm_mode``, ``scale``, ``seq_len``; see
    :mod:`accelbrainbase.iteratabledata._base`.
    """
