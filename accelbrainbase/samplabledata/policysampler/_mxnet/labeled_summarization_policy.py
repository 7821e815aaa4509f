"""Candidates are character windows of a text; an action is worth more when it is unlike the state
and its characters appear early and often in reference texts."""
from __future__ import annotations

from typing import List

import mxnet as mx
import numpy as np

from accelbrainbase._mxnet.checks import check_list_of, check_number
from accelbrainbase.iteratabledata._mxnet.unlabeled_t_hot_txt_iterator import UnlabeledTHotTXTIterator
from accelbrainbase.samplabledata.policy_sampler import PolicySampler
from accelbrainbase.samplabledata.policysampler._mxnet._stacking import stack_learned_batches


class LabeledSummarizationPolicy(PolicySampler):
    """Policy for extractive summarization over one-hot character windows.

    Args:
        txt_path_list: UTF-8 files whose text scores keywords (read once).
        abstract_pos: kept for compatibility (unused, as in 1.1.0).
        s_a_dist_weight: weight ``w`` of the state/action term against the keyword term.

    ``draw()`` → ``(candidates (B, possible_n, 1, T, vocab), characters (B, possible_n, 1, T))``
    from ``unlabeled_t_hot_txt_iterator``. Reward = ``tanh(w * d + (1 - w) * k)`` with
    ``d = -mean(state * action)`` per sample (0 without a state) and ``k`` the mean over texts of
    ``(len - first index)/len + count/len`` of the candidate's characters joined as a keyword
    (0 in a text that lacks it, or without metadata).
    """

    _unlabeled_t_hot_txt_iterator = None
    _state_arr = None
    _state_meta_data_arr = None

    def __init__(self, txt_path_list, abstract_pos="top", s_a_dist_weight=0.3):
        paths = check_list_of(txt_path_list, str, "txt_path_list")
        if not paths:
            raise ValueError("txt_path_list must name at least one text file.")
        texts: List[str] = []
        for i, path in enumerate(paths):
            try:
                with open(path, encoding="utf-8") as f:
                    texts.append(f.read())
            except OSError as error:
                raise ValueError("txt_path_list[%d]=%r cannot be read: %s" % (i, path, error)) from None
        self.txt_list = texts
        self.abstract_pos = abstract_pos
        self.s_a_dist_weight = check_number(s_a_dist_weight, "s_a_dist_weight", minimum=0.0, maximum=1.0)

    @property
    def unlabeled_t_hot_txt_iterator(self):
        """The ``UnlabeledTHotTXTIterator`` the candidate windows come from."""
        if not isinstance(self._unlabeled_t_hot_txt_iterator, UnlabeledTHotTXTIterator):
            raise TypeError("unlabeled_t_hot_txt_iterator has not been set to an UnlabeledTHotTXTIterator.")
        return self._unlabeled_t_hot_txt_iterator

    @unlabeled_t_hot_txt_iterator.setter
    def unlabeled_t_hot_txt_iterator(self, value) -> None:
        if not isinstance(value, UnlabeledTHotTXTIterator):
            raise TypeError("unlabeled_t_hot_txt_iterator must be an UnlabeledTHotTXTIterator, not %s."
                            % type(value).__name__)
        self._unlabeled_t_hot_txt_iterator = value

    def draw(self):
        iterator = self.unlabeled_t_hot_txt_iterator
        observed, _ = stack_learned_batches(iterator, self.possible_n, with_labels=False)
        tokens = iterator.token_arr
        meta = tokens[observed.argmax(axis=-1).asnumpy().astype(int)]
        return observed, meta

    def observe_state(self, state_arr, meta_data_arr):
        self._state_arr = state_arr
        self._state_meta_data_arr = meta_data_arr

    def keyword_score(self, keyword: str) -> float:
        """Mean over the texts of ``(len - first index)/len + count/len`` (0 where absent)."""
        scores = []
        for text in self.txt_list:
            n = max(len(text), 1)
            first = text.find(keyword) if keyword else -1
            scores.append(0.0 if first < 0 else (n - first) / n + text.count(keyword) / n)
        return float(np.mean(scores))

    def observe_reward_value(self, state_arr, action_arr, meta_data_arr=None):
        batch = action_arr.shape[0]
        if state_arr is None:
            distance = mx.nd.zeros((batch, 1), ctx=action_arr.context)
        else:
            product = state_arr.reshape((batch, -1)) * action_arr.reshape((batch, -1))
            distance = -mx.nd.mean(product, axis=1).reshape((batch, 1))
        keywords = np.zeros((batch, 1), dtype=np.float32)
        if meta_data_arr is not None:
            meta = np.asarray(meta_data_arr)
            for b in range(batch):
                keywords[b, 0] = self.keyword_score("".join(meta[b].ravel().tolist()))
        w = self.s_a_dist_weight
        return mx.nd.tanh(w * distance + (1.0 - w) * mx.nd.array(keywords, ctx=action_arr.context))
