"""Attention models, Transformer parts and controllers (contract §3k), GaussTransformerIterator."""
import os

import mxnet as mx
import numpy as np
import pytest
from mxnet import gluon

from accelbrainbase.controllablemodel._mxnet.transformer_controller import TransformerController
from accelbrainbase.controllablemodel._mxnet.transforming_auto_encoder_controller import \
    TransformingAutoEncoderController
from accelbrainbase.iteratabledata._mxnet.array_iterator import ArrayIterator
from accelbrainbase.iteratabledata._mxnet.gauss_transformer_iterator import GaussTransformerIterator
from accelbrainbase.iteratabledata.transformer_iterator import TransformerIterator
from accelbrainbase.observabledata._mxnet.attention_model import AttentionModel
from accelbrainbase.observabledata._mxnet.attentionmodel.multi_head_attention_model import MultiHeadAttentionModel
from accelbrainbase.observabledata._mxnet.attentionmodel.multiheadattentionmodel.self_attention_model import \
    SelfAttentionModel
from accelbrainbase.observabledata._mxnet.transformermodel.transformer_decoder import TransformerDecoder
from accelbrainbase.observabledata._mxnet.transformermodel.transformer_encoder import TransformerEncoder
from accelbrainbase.observabledata._mxnet.transformermodel.transformer_reconstructor import \
    TransformerReconstructor

CPU = mx.cpu()
L2 = gluon.loss.L2Loss()


def seq(b=3, t=7, d=16, seed=0):
    return mx.nd.array(np.random.RandomState(seed).normal(size=(b, t, d)).astype(np.float32), ctx=CPU)


def small_controller(**overrides):
    options = dict(depth_dim=11, hidden_dim=16, head_n=4, layer_n=2, ctx=CPU, dropout_rate=0.0,
                   decoder_dropout_rate=0.0)
    options.update(overrides)
    return TransformerController(**options)


def one_hot(ids, vocab=11):
    return mx.nd.array(np.eye(vocab, dtype=np.float32)[ids], ctx=CPU)


# ---------------------------------------------------------------------- defaults and shapes
def test_contract_defaults_build_and_run():
    controller = TransformerController()  # depth_dim=100, hidden_dim=100, head_n=3 → 4 heads
    assert controller.encoder.head_n == 4 and controller.decoder.head_n == 4
    x = seq(2, 5, 100)
    assert controller.inference(x, x).shape == (2, 5, 100)
    auto_encoder = TransformingAutoEncoderController()
    assert auto_encoder.inference(x, x).shape == (2, 5, 100)
    assert auto_encoder.feature_points_arr.shape == (2, 5, 100)
    encoder = TransformerEncoder(12, 2, 3, L2, ctx=CPU)  # empty activation lists build
    assert encoder.inference(seq(2, 4, 12)).shape == (2, 4, 12)


def test_part_shapes():
    x, memory = seq(3, 7, 16), seq(3, 4, 16, seed=1)
    assert AttentionModel(16, L2, ctx=CPU).inference(x, memory).shape == (3, 7, 16)
    assert MultiHeadAttentionModel(16, L2, ctx=CPU).inference(x, memory).shape == (3, 7, 16)
    assert SelfAttentionModel(16, L2, ctx=CPU).inference(x).shape == (3, 7, 16)
    assert TransformerEncoder(16, 2, 4, L2, ctx=CPU).inference(x).shape == (3, 7, 16)
    decoder = TransformerDecoder(16, 2, L2, head_n=4, output_dim=5, ctx=CPU)
    assert decoder.inference(x, memory).shape == (3, 7, 5)
    assert TransformerReconstructor(16, 2, L2, head_n=4, ctx=CPU).inference(x).shape == (3, 7, 16)
    controller = small_controller()
    source, target = seq(3, 6, 11), seq(3, 4, 11, seed=2)  # source and target lengths may differ
    assert controller.inference(source, target).shape == (3, 4, 11)
    assert controller.feature_points_arr.shape == (3, 6, 16)
    assert controller.generate(source, seq_len=4).shape == (3, 4, 11)


def test_hybridized_equals_imperative():
    x, memory = seq(2, 6, 16), seq(2, 5, 16, seed=3)
    for make, args in [
        (lambda flag: TransformerEncoder(16, 2, 4, L2, ctx=CPU, hybridize_flag=flag), (x,)),
        (lambda flag: TransformerDecoder(16, 2, L2, head_n=4, ctx=CPU, hybridize_flag=flag), (x, memory)),
        (lambda flag: small_controller(depth_dim=16, hybridize_flag=flag), (x, memory)),
    ]:
        block = make(False)
        with mx.autograd.predict_mode():
            imperative = block.inference(*args).asnumpy()
            block.hybridize(static_alloc=True, static_shape=True)
            hybrid = block.inference(*args).asnumpy()
        np.testing.assert_allclose(imperative, hybrid, rtol=1e-4, atol=1e-5)


def test_save_load_split_files(tmp_path):
    x, y = seq(2, 5, 11), seq(2, 5, 11, seed=4)
    for make, roles in [(small_controller, ("encoder", "decoder", "hidden")),
                        (lambda: TransformingAutoEncoderController(depth_dim=11, hidden_dim=16, head_n=4, layer_n=1,
                                                                   ctx=CPU),
                         ("encoder", "decoder", "reconstructor", "hidden"))]:
        first, second = make(), make()
        path = str(tmp_path / ("%s.params" % type(first).__name__))
        first.save_parameters(path)
        for role in roles:
            assert os.path.isfile(path.replace(".params", "_%s.params" % role))
        second.load_parameters(path, ctx=CPU)
        with mx.autograd.predict_mode():
            np.testing.assert_allclose(first.inference(x, y).asnumpy(), second.inference(x, y).asnumpy(), rtol=1e-6)


# ---------------------------------------------------------------------- masking
def test_decoder_is_causal_changing_later_tokens_never_changes_earlier_outputs():
    """The reference added the causal term to a mask that *multiplied* the logits, so position t
    could read positions after t: this test fails on its behaviour."""
    rng = np.random.RandomState(0)
    controller = small_controller()
    source = one_hot(rng.randint(1, 11, size=(4, 10)))
    decoder_ids = rng.randint(0, 11, size=(4, 10))
    with mx.autograd.predict_mode():
        base = controller.inference(source, one_hot(decoder_ids)).asnumpy()
        for t in range(9):
            changed = decoder_ids.copy()
            changed[:, t + 1:] = rng.randint(0, 11, size=(4, 9 - t))
            out = controller.inference(source, one_hot(changed)).asnumpy()
            np.testing.assert_allclose(out[:, :t + 1], base[:, :t + 1], rtol=1e-5, atol=1e-6)
            assert np.abs(out[:, t + 1:] - base[:, t + 1:]).max() > 1e-4  # later positions do see them
        # a caller's all-ones decoder mask does not open the future either
        full = mx.nd.ones((4, 1, 10, 10), ctx=CPU)
        changed = decoder_ids.copy()
        changed[:, 5:] = (changed[:, 5:] + 1) % 11
        out = controller.inference(source, one_hot(changed), decoded_mask_arr=full).asnumpy()
        np.testing.assert_allclose(out[:, :5], base[:, :5], rtol=1e-5, atol=1e-6)


def test_masked_keys_get_no_weight():
    """A key excluded by the mask has no influence at all (the reference's multiplied logits
    only rescaled it)."""
    attention = MultiHeadAttentionModel(16, L2, ctx=CPU, dropout_rate=0.0)
    x, memory = seq(2, 3, 16), seq(2, 5, 16, seed=5)
    mask = np.ones((2, 1, 1, 5), dtype=np.float32)
    mask[:, :, :, 3:] = 0  # padding keys 3 and 4
    changed = memory.copy()
    changed[:, 3:] = 100.0
    out = attention.inference(x, memory, mx.nd.array(mask)).asnumpy()
    out_changed = attention.inference(x, changed, mx.nd.array(mask)).asnumpy()
    np.testing.assert_allclose(out, out_changed, rtol=1e-5, atol=1e-6)
    assert np.abs(attention.inference(x, changed).asnumpy() - out).max() > 1e-2


def test_scaled_dot_product_matches_a_numpy_reference():
    attention = AttentionModel(8, L2, ctx=CPU, dropout_rate=0.0)
    x, memory = seq(2, 3, 8), seq(2, 4, 8, seed=6)
    out = attention.inference(x, memory).asnumpy()
    wq, wk, wv, wo = (layer.weight.data().asnumpy() for layer in (
        attention.query_dense_layer, attention.key_dense_layer, attention.value_dense_layer,
        attention.output_dense_layer))
    q, k, v = x.asnumpy() @ wq.T, memory.asnumpy() @ wk.T, memory.asnumpy() @ wv.T
    logits = q @ k.transpose(0, 2, 1) / np.sqrt(8)
    weights = np.exp(logits - logits.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    expected = (weights @ v) @ wo.T
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------------- bad input
def test_depth_not_divisible_by_heads():
    with pytest.raises(ValueError, match="depth_dim=10 is not divisible by head_n=4"):
        MultiHeadAttentionModel(10, L2, ctx=CPU).inference(seq(1, 2, 10), seq(1, 2, 10))
    with pytest.raises(ValueError, match="head_n=3"):
        MultiHeadAttentionModel(16, L2, ctx=CPU).head_n = 3
    with pytest.raises(ValueError, match="depth_dim=16 is not divisible by head_n=3"):
        TransformerEncoder(16, 1, 3, L2, ctx=CPU)
    with pytest.raises(ValueError, match="head_n=3 does not divide"):
        TransformerController(depth_dim=11, hidden_dim=16, head_n=3, ctx=CPU)


def test_masks_that_do_not_broadcast():
    controller = small_controller()
    x = seq(2, 5, 11)
    with pytest.raises(ValueError, match="decoded_mask_arr of shape"):
        controller.inference(x, x, decoded_mask_arr=mx.nd.ones((2, 1, 4, 5)))
    with pytest.raises(ValueError, match="encoded_mask_arr of shape"):
        controller.inference(x, x, encoded_mask_arr=mx.nd.ones((3, 1, 1, 5)))
    with pytest.raises(ValueError, match="mask_arr must have rank 3"):
        TransformerEncoder(16, 1, 4, L2, ctx=CPU).inference(seq(2, 5, 16), mask_arr=mx.nd.ones((2, 5)))


def test_sequences_longer_than_the_positional_table():
    encoder = TransformerEncoder(16, 1, 4, L2, ctx=CPU, max_seq_len=8)
    assert encoder.inference(seq(1, 8, 16)).shape == (1, 8, 16)
    with pytest.raises(ValueError, match="9 time steps, more than the positional table's max_seq_len=8"):
        encoder.inference(seq(1, 9, 16))
    with pytest.raises(ValueError, match="max_seq_len=8"):
        small_controller(max_seq_len=8).inference(seq(1, 9, 11), seq(1, 9, 11))
    with pytest.raises(ValueError, match="depth 12"):
        small_controller().inference(seq(1, 5, 12), seq(1, 5, 12))


class EightTupleIterator(GaussTransformerIterator):
    """The reference's GaussTransformerIterator layout: no targets."""

    def generate_learned_samples(self):
        for item in super().generate_learned_samples():
            yield item[:8]


def test_eight_tuple_iterator_is_rejected_before_training():
    controller = TransformingAutoEncoderController(depth_dim=8, hidden_dim=8, head_n=2, layer_n=1, ctx=CPU,
                                                   computable_loss=L2)
    before = {k: v.data().asnumpy().copy() for k, v in controller.collect_params().items()}
    iterator = EightTupleIterator(seq_len=4, dim=8, epochs=2, batch_size=4, dataset_size=8, ctx=CPU)
    with pytest.raises(ValueError, match="10-tuples .* yielded 8 items .*lacks train_target and test_target"):
        controller.learn(iterator)
    for name, value in controller.collect_params().items():
        np.testing.assert_array_equal(value.data().asnumpy(), before[name])
    with pytest.raises(TypeError, match="iteratable_data must be TransformerIterator"):
        controller.learn(ArrayIterator(np.zeros((8, 3), dtype=np.float32), epochs=1, batch_size=4, ctx=CPU))


# ---------------------------------------------------------------------- iterators and learning
def test_gauss_transformer_iterator_yields_ten_tuples():
    iterator = GaussTransformerIterator(seq_len=5, dim=6, epochs=3, batch_size=4, dataset_size=8, ctx=CPU)
    assert isinstance(iterator, TransformerIterator) and iterator.iter_n == 6
    items = list(iterator.generate_learned_samples())
    assert len(items) == 6 and all(len(item) == 10 for item in items)
    enc, dec, em, dm, tenc, tdec, tem, tdm, target, test_target = items[0]
    for arr in (enc, dec, tenc, tdec, target, test_target):
        assert arr.shape == (4, 5, 6)
    assert em is None and dm is None and tem is None and tdm is None
    assert abs(float(enc.mean().asscalar())) < 1e-5  # z-scored per batch
    with pytest.raises(NotImplementedError):
        next(iter(iterator.generate_inferenced_samples()))


def test_transforming_auto_encoder_learns_on_gauss_sequences():
    mx.random.seed(0)
    iterator = GaussTransformerIterator(seq_len=4, dim=8, epochs=5, batch_size=16, dataset_size=320, ctx=CPU)
    controller = TransformingAutoEncoderController(
        depth_dim=8, hidden_dim=16, head_n=4, layer_n=1, ctx=CPU, computable_loss=L2, optimizer_name="adam",
        learning_rate=3e-3, weight_decay=0.0, dropout_rate=0.0)
    controller.learn(iterator)
    losses = controller.loss_arr
    assert losses.shape == (5, 2)
    # unit-variance inputs: the L2 loss (half the squared error) starts near 0.5 on the test split
    assert losses[-1, 1] < 0.8 * losses[0, 1] and losses[-1, 1] < 0.42, losses
    assert np.all(np.diff(losses[:, 0]) < 0), losses  # the training loss falls every epoch


def test_copy_task_learns_and_greedy_decoding_copies():
    """Small settings of demo/transformer_copy_reverse.py: 300 steps of 32 sequences."""
    from demo.transformer_copy_reverse import run

    result = run("copy", steps=300, batch_size=32, epochs=3, verbose=False)
    assert result["history"]["test_acc"].iloc[-1] >= 0.97
    assert result["token_accuracy"] >= 0.95  # greedy decoding on 1,000 held-out sequences
    assert result["exact_match"] >= 0.70


def test_attention_model_learns_digits(digits_arrays):
    """AttentionModel.learn: self-attention auto-encoding of real digits (rows become (1, 64))."""
    iterator = ArrayIterator(digits_arrays["x_train"], test_observed_arr=digits_arrays["x_test"], epochs=4,
                             batch_size=32, steps_per_epoch=25, ctx=CPU, seed=0)
    model = AttentionModel(64, L2, dropout_rate=0.0, learning_rate=3e-3, optimizer_name="adam", ctx=CPU)
    model.learn(iterator)
    assert model.loss_arr[-1, 1] < 0.5 * model.loss_arr[0, 1], model.loss_arr


def test_controller_checkpoint_resume(tmp_path):
    """The engine's checkpoints cover every part (encoder, decoder, hidden projections)."""
    path = str(tmp_path / "transformer.ckpt")

    def make():
        return TransformingAutoEncoderController(depth_dim=8, hidden_dim=16, head_n=4, layer_n=1, ctx=CPU,
                                                 computable_loss=L2, optimizer_name="adam", learning_rate=1e-3,
                                                 weight_decay=0.0, dropout_rate=0.0)

    mx.random.seed(1)
    first = make()
    first.learn(GaussTransformerIterator(seq_len=4, dim=8, epochs=2, batch_size=8, dataset_size=32, ctx=CPU),
                checkpoint_path=path)
    second = make()
    second.learn(GaussTransformerIterator(seq_len=4, dim=8, epochs=3, batch_size=8, dataset_size=32, ctx=CPU),
                 checkpoint_path=path, resume=True)
    assert second.loss_arr.shape == (3, 2)
    np.testing.assert_allclose(second.loss_arr[:2], first.loss_arr, rtol=1e-6)


def test_attention_maps_are_causal_distributions():
    controller = small_controller()
    source, target = seq(2, 6, 11), seq(2, 5, 11, seed=7)
    key_mask = np.ones((2, 1, 1, 6), dtype=np.float32)
    key_mask[:, :, :, 4:] = 0
    maps = controller.attention_maps(source, target, encoded_mask_arr=mx.nd.array(key_mask))
    assert len(maps) == 2
    for layer in maps:
        self_weights = layer["self_attention"].asnumpy()
        cross = layer["cross_attention"].asnumpy()
        assert self_weights.shape == (2, 4, 5, 5) and cross.shape == (2, 4, 5, 6)
        np.testing.assert_allclose(self_weights.sum(-1), 1.0, rtol=1e-5)
        np.testing.assert_allclose(cross.sum(-1), 1.0, rtol=1e-5)
        assert np.all(np.triu(np.ones((5, 5)), k=1)[None, None] * self_weights == 0)  # no look-ahead
        assert np.all(cross[..., 4:] == 0)  # padded source positions
