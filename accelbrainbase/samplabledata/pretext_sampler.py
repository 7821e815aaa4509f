"""Base of samplers that turn a target-domain batch into a pretext (self-supervised) task."""
from abc import abstractmethod

from accelbrainbase.samplable_data import SamplableData


class PretextSampler(SamplableData):
    """Holds the five arrays of one pretext task; subclasses fill them in :meth:`preprocess`.

    Read/write properties (default ``None``): ``pretext_encoded_observed_arr``,
    ``pretext_decoded_observed_arr``, ``pretext_encoded_mask_arr``,
    ``pretext_decoded_mask_arr``, ``pretext_label_arr``.
    """

    pretext_encoded_observed_arr = None
    pretext_decoded_observed_arr = None
    pretext_encoded_mask_arr = None
    pretext_decoded_mask_arr = None
    pretext_label_arr = None

    @abstractmethod
    def preprocess(self, target_domain_arr):
        """Build the pretext task from ``target_domain_arr`` and store it in the properties."""
        raise NotImplementedError()

    def draw(self):
        """Return ``(encoded_observed, decoded_observed, encoded_mask, decoded_mask, label)``."""
        return (
            self.pretext_encoded_observed_arr,
            self.pretext_decoded_observed_arr,
            self.pretext_encoded_mask_arr,
            self.pretext_decoded_mask_arr,
            self.pretext_label_arr,
        )
