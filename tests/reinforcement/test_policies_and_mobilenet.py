"""Policy samplers of the contract and MobileNetV2 (the maze agents' Q network)."""
import mxnet as mx
import numpy as np
import pytest
from mxnet import gluon

from accelbrainbase.iteratabledata._mxnet.gauss_iterator import GaussIterator
from accelbrainbase.iteratabledata._mxnet.unlabeled_t_hot_txt_iterator import UnlabeledTHotTXTIterator
from accelbrainbase.observabledata._mxnet.convolutionalneuralnetworks.mobilenet_v2 import MobileNetV2
from accelbrainbase.observabledata._mxnet.neural_networks import NeuralNetworks
from accelbrainbase.samplabledata.policy_sampler import PolicySampler
from accelbrainbase.samplabledata.policysampler._mxnet.labeled_similar_image_policy import LabeledSimilarImagePolicy
from accelbrainbase.samplabledata.policysampler._mxnet.labeled_summarization_policy import LabeledSummarizationPolicy
from accelbrainbase.samplabledata.policysampler._mxnet.unlabeled_similar_image_policy import \
    UnlabeledSimilarImagePolicy

CTX = mx.cpu()
TEXT = ("the quick brown fox jumps over the lazy dog. " * 20).strip()


def test_policy_sampler_defaults():
    assert PolicySampler.possible_n == 10 or PolicySampler._possible_n == 10
    policy = LabeledSimilarImagePolicy()
    assert policy.possible_n == 10 and policy.get_possible_n() == 10
    assert policy.update_state("a", meta_data_arr="m") == ("a", "m")
    assert policy.check_the_end_flag(None) is False
    with pytest.raises(ValueError, match="possible_n"):
        policy.possible_n = 0
    with pytest.raises(TypeError):
        PolicySampler()  # abstract


def test_labeled_similar_image_policy_on_gauss_batches():
    policy = LabeledSimilarImagePolicy()
    with pytest.raises(TypeError, match="labeled_image_iterator"):
        policy.labeled_image_iterator = object()
    policy.labeled_image_iterator = GaussIterator(dim=6, epochs=2, batch_size=4, ctx=CTX, dataset_size=40)
    policy.possible_n = 3
    observed, labels = policy.draw()
    assert observed.shape[:2] == (4, 3) and labels.shape[:2] == (4, 3)
    assert policy.observe_reward_value(None, observed[:, 0], labels[:, 0]).asnumpy().tolist() == [[0.0]] * 4
    policy.observe_state(observed[:, 0], mx.nd.softmax(labels[:, 0]))
    reward = policy.observe_reward_value(None, observed[:, 1], meta_data_arr=mx.nd.softmax(labels[:, 1]))
    assert reward.shape == (4, 1) and np.isfinite(reward.asnumpy()).all()


def test_unlabeled_policy_rejects_wrong_iterators():
    policy = UnlabeledSimilarImagePolicy()
    with pytest.raises(TypeError, match="unlabeled_image_iterator"):
        policy.unlabeled_image_iterator = GaussIterator(dim=6, epochs=1, batch_size=2, ctx=CTX, dataset_size=4)
    state = mx.nd.full((2, 1, 2, 2), 2.0)
    assert np.allclose(policy.observe_reward_value(state, state).asnumpy(), 0.25)


def test_summarization_policy_draw_and_reward(tmp_path):
    path = tmp_path / "text.txt"
    path.write_text(TEXT, encoding="utf-8")
    policy = LabeledSummarizationPolicy([str(path)])
    with pytest.raises(TypeError, match="unlabeled_t_hot_txt_iterator"):
        policy.unlabeled_t_hot_txt_iterator = object()
    policy.unlabeled_t_hot_txt_iterator = UnlabeledTHotTXTIterator([str(path)], epochs=1, batch_size=3, seq_len=4,
                                                                   norm_mode=None, ctx=CTX, seed=0)
    policy.possible_n = 2
    observed, meta = policy.draw()
    assert observed.shape == (3, 2, 1, 4, len(set(TEXT))) and meta.shape == (3, 2, 1, 4)
    assert "".join(meta[0, 0].ravel()) in TEXT
    reward = policy.observe_reward_value(observed[:, 0], observed[:, 1], meta_data_arr=meta[:, 1])
    assert reward.shape == (3, 1) and (np.abs(reward.asnumpy()) < 1).all()
    assert policy.keyword_score("zzz") == 0.0 and policy.keyword_score("the") > 0.0
    with pytest.raises(ValueError, match="txt_path_list"):
        LabeledSummarizationPolicy([str(tmp_path / "missing.txt")])


def test_mobilenet_v2_contract_defaults_and_shapes():
    import inspect

    default = inspect.signature(MobileNetV2.__init__).parameters["bottleneck_dict_list"].default
    assert [(d["filter_rate"], d["filter_n"], d["block_n"], d["stride"]) for d in default] == [
        (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]
    model = MobileNetV2(gluon.loss.L2Loss(), ctx=CTX)  # the default network builds (1.1.0's failed)
    assert model(mx.nd.ones((2, 3, 32, 32))).shape == (2, 1280, 1, 1)
    assert model._shortcut_list == [True if d["filter_n"] == prev and d["stride"] == 1 else False
                                    for d, prev in zip(default, [32, 16, 24, 32, 64, 96, 160])]


def test_mobilenet_v2_hybrid_equals_imperative_and_q_head():
    def build(hybridize):
        mx.random.seed(3)
        head = NeuralNetworks(gluon.loss.L2Loss(), units_list=[1], dropout_rate_list=[0.0],
                              activation_list=["identity"], hidden_batch_norm_list=[None], ctx=CTX,
                              not_init_flag=True)
        return MobileNetV2(gluon.loss.L2Loss(), ctx=CTX, hybridize_flag=hybridize, input_filter_n=8,
                           bottleneck_dict_list=[{"filter_rate": 2, "filter_n": 8, "block_n": 2, "stride": 1}],
                           hidden_filter_n=16, output_nn=head)
    x = mx.nd.random.uniform(shape=(4, 2, 11, 11))
    model = build(False)
    imperative = model(x)
    model.hybridize()
    out = model(x)
    assert out.shape == (4, 1)
    np.testing.assert_allclose(out.asnumpy(), imperative.asnumpy(), rtol=1e-4, atol=1e-5)
    assert model._shortcut_list == [True]
    with pytest.raises(ValueError, match="bottleneck_dict_list"):
        MobileNetV2(gluon.loss.L2Loss(), ctx=CTX, bottleneck_dict_list=[{"filter_n": 8}])
