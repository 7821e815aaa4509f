"""Candidates are unlabeled images; the reward is the inverse mean square of the state."""
from __future__ import annotations

import mxnet as mx

from accelbrainbase.iteratabledata.unlabeled_image_iterator import UnlabeledImageIterator
from accelbrainbase.samplabledata.policy_sampler import PolicySampler
from accelbrainbase.samplabledata.policysampler._mxnet._stacking import stack_learned_batches


class UnlabeledSimilarImagePolicy(PolicySampler):
    """Policy over unlabeled images.

    ``draw()`` → ``(candidates (B, possible_n, C, H, W), None)``. The reward of an action in
    ``state`` is ``1 / mean(state ** 2)`` per sample (as in 1.1.0, where the action does not enter
    the reward; see docs/decisions.md), or 0 without a state.
    """

    _unlabeled_image_iterator = None
    _state_arr = None
    _state_meta_data_arr = None

    @property
    def unlabeled_image_iterator(self):
        """The (any backend) ``UnlabeledImageIterator`` the candidates come from."""
        if not isinstance(self._unlabeled_image_iterator, UnlabeledImageIterator):
            raise TypeError("unlabeled_image_iterator has not been set to an UnlabeledImageIterator.")
        return self._unlabeled_image_iterator

    @unlabeled_image_iterator.setter
    def unlabeled_image_iterator(self, value) -> None:
        if not isinstance(value, UnlabeledImageIterator):
            raise TypeError("unlabeled_image_iterator must be an UnlabeledImageIterator, not %s."
                            % type(value).__name__)
        self._unlabeled_image_iterator = value

    def draw(self):
        observed, _ = stack_learned_batches(self.unlabeled_image_iterator, self.possible_n, with_labels=False)
        return observed, None

    def observe_state(self, state_arr, meta_data_arr):
        self._state_arr = state_arr
        self._state_meta_data_arr = meta_data_arr

    def observe_reward_value(self, state_arr, action_arr, meta_data_arr=None):
        batch = action_arr.shape[0]
        if state_arr is None:
            return mx.nd.zeros((batch, 1), ctx=action_arr.context)
        power = mx.nd.mean(mx.nd.square(state_arr.reshape((batch, -1))), axis=1)
        return (1.0 / power).reshape((batch, 1))
