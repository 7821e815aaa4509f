"""Candidates are labeled images; an action is worth more the closer its label is to the state's."""
from __future__ import annotations

import mxnet as mx
from mxnet import gluon

from accelbrainbase.iteratabledata.labeled_image_iterator import LabeledImageIterator
from accelbrainbase.samplabledata.policy_sampler import PolicySampler
from accelbrainbase.samplabledata.policysampler._mxnet._stacking import stack_learned_batches


class LabeledSimilarImagePolicy(PolicySampler):
    """Policy over labeled images.

    ``draw()`` stacks ``possible_n`` learned batches of ``labeled_image_iterator``: candidates
    ``(B, possible_n, C, H, W)`` and labels ``(B, possible_n, n_labels)`` (the metadata). The
    reward of an action is ``1 / CE(action label, state label)`` (soft-label cross entropy), or 0
    before a state has been observed.
    """

    _labeled_image_iterator = None
    _state_arr = None
    _state_meta_data_arr = None
    _loss = None

    @property
    def labeled_image_iterator(self):
        """The (any backend) ``LabeledImageIterator`` the candidates come from."""
        if not isinstance(self._labeled_image_iterator, LabeledImageIterator):
            raise TypeError("labeled_image_iterator has not been set to a LabeledImageIterator.")
        return self._labeled_image_iterator

    @labeled_image_iterator.setter
    def labeled_image_iterator(self, value) -> None:
        if not isinstance(value, LabeledImageIterator):
            raise TypeError("labeled_image_iterator must be a LabeledImageIterator, not %s." % type(value).__name__)
        self._labeled_image_iterator = value

    def draw(self):
        if self._loss is None:
            self._loss = gluon.loss.SoftmaxCrossEntropyLoss(sparse_label=False)
        return stack_learned_batches(self.labeled_image_iterator, self.possible_n, with_labels=True)

    def observe_state(self, state_arr, meta_data_arr):
        self._state_arr = state_arr
        self._state_meta_data_arr = meta_data_arr

    def observe_reward_value(self, state_arr, action_arr, meta_data_arr=None):
        batch = action_arr.shape[0]
        if self._state_meta_data_arr is None or meta_data_arr is None:
            return mx.nd.zeros((batch, 1), ctx=action_arr.context)
        if self._loss is None:
            raise ValueError("call draw() before observe_reward_value(): the reward needs its loss.")
        loss = self._loss(meta_data_arr, self._state_meta_data_arr.as_in_context(meta_data_arr.context))
        return (1.0 / loss).reshape((batch, 1))
