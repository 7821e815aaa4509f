"""Backend-neutral base of Transformer iterators.

Abstract. ``generate_learned_samples`` yields the 8 items
``(enc_x, dec_x, enc_mask, dec_mask, test_enc_x, test_dec_x, test_enc_mask, test_dec_mask)``;
iterators consumed by ``TransformerController.learn`` append ``(train_target, test_target)``
(10 items in total), as the downstream summarisation iterators do.
"""
from abc import abstractmethod

from accelbrainbase.iteratable_data import IteratableData
from accelbrainbase.iteratabledata._base import IteratorSettingsMixin


class TransformerIterator(IteratorSettingsMixin, IteratableData):
    """Normalisation and configuration shared by Transformer iterators.

    Members: ``pre_normalize(arr)``, ``set_readonly(value)`` and the properties ``epochs``,
    ``batch_size``, ``norm_mode``, ``scale``; see :mod:`accelbrainbase.iteratabledata._base`.
    """

    @abstractmethod
    def generate_learned_samples(self):
        """Yield ``(enc_x, dec_x, enc_mask, dec_mask, test_enc_x, test_dec_x, test_enc_mask,
        test_dec_mask[, train_target, test_target])``; arrays are ``(B, T, D)``, masks may be
        ``None``."""
        raise NotImplementedError()
