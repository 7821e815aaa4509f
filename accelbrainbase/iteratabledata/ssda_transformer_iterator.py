"""Backend-neutral base of Transformer iterators for self-supervised domain adaptation.

Abstract. ``generate_learned_samples`` yields 15 items: the 8 Transformer items, then
``(train_label, test_label)`` for the downstream task, then the five lists returned by
:meth:`SSDATransformerIterator.create_pretext_task_samples_list`.
"""
from abc import abstractmethod
from typing import List, Tuple

from accelbrainbase.iteratable_data import IteratableData
from accelbrainbase.iteratabledata._base import IteratorSettingsMixin
from accelbrainbase.samplabledata.pretext_sampler import PretextSampler


def _check_samplers(value, allow_empty: bool) -> list:
    if not isinstance(value, list):
        raise TypeError("pretext_samplers_list must be a list, not %s." % type(value).__name__)
    for i, sampler in enumerate(value):
        if not isinstance(sampler, PretextSampler):
            raise TypeError(
                "pretext_samplers_list[%d] must be a PretextSampler, not %s."
                % (i, type(sampler).__name__)
            )
    if not allow_empty and not value:
        raise ValueError("pretext_samplers_list is empty; assign a list of PretextSampler.")
    return value


class SSDATransformerIterator(IteratorSettingsMixin, IteratableData):
    """Configuration shared by SSDA Transformer iterators, plus the pretext samplers.

    Members: ``pre_normalize(arr)``, ``set_readonly(value)``, the properties ``epochs``,
    ``batch_size``, ``norm_mode``, ``scale``, ``pretext_samplers_list`` and
    :meth:`create_pretext_task_samples_list`.
    """

    # class default: one shared empty list, never mutated (the setter stores a copy)
    __pretext_samplers_list: List[PretextSampler] = []

    @property
    def pretext_samplers_list(self) -> List[PretextSampler]:
        """The pretext-task samplers (list of ``PretextSampler``).

        Reading raises ``TypeError`` if the stored value is not a list of ``PretextSampler``
        and ``ValueError`` if it is empty (the class default).
        """
        return _check_samplers(self.__pretext_samplers_list, allow_empty=False)

    @pretext_samplers_list.setter
    def pretext_samplers_list(self, value: List[PretextSampler]) -> None:
        self.__pretext_samplers_list = list(_check_samplers(value, allow_empty=True))

    @abstractmethod
    def generate_learned_samples(self):
        """Yield the 15-item tuples described in the module docstring."""
        raise NotImplementedError()

    def create_pretext_task_samples_list(self, target_domain_batch_arr
                                         ) -> Tuple[list, list, list, list, list]:
        """Run every pretext sampler on a target-domain batch.

        Args:
            target_domain_batch_arr: the target-domain batch handed to each sampler's
                ``preprocess``.

        Returns:
            ``(enc_obs_list, dec_obs_list, enc_mask_list, dec_mask_list, label_list)``, one
            entry per sampler, in ``pretext_samplers_list`` order.
        """
        lists: Tuple[list, list, list, list, list] = ([], [], [], [], [])
        for sampler in self.pretext_samplers_list:
            sampler.preprocess(target_domain_batch_arr)
            for bucket, item in zip(lists, sampler.draw()):
                bucket.append(item)
        return lists
