"""Samplers and losses of the adversarial family."""

import accelbrainbase  # noqa: F401
import mxnet as mx
import numpy as np
import pytest

from accelbrainbase.computableloss._mxnet.discriminator_loss import DiscriminatorLoss
from accelbrainbase.computableloss._mxnet.discriminatorloss.eb_discriminator_loss import EBDiscriminatorLoss
from accelbrainbase.computableloss._mxnet.feature_matching_loss import FeatureMatchingLoss
from accelbrainbase.computableloss._mxnet.generator_loss import GeneratorLoss
from accelbrainbase.iteratabledata._mxnet.array_iterator import ArrayIterator
from accelbrainbase.samplabledata.condition_sampler import ConditionSampler
from accelbrainbase.samplabledata.conditionsampler.labeled_condition_sampler import LabeledConditionSampler
from accelbrainbase.samplabledata.noise_sampler import NoiseSampler
from accelbrainbase.samplabledata.noisesampler._mxnet.normal_noise_sampler import NormalNoiseSampler
from accelbrainbase.samplabledata.noisesampler._mxnet.uniform_noise_sampler import UniformNoiseSampler
from accelbrainbase.samplabledata.true_sampler import TrueSampler
from accelbrainbase.samplabledata.truesampler._mxnet.normal_true_sampler import NormalTrueSampler
from accelbrainbase.samplabledata.truesampler.conditional_true_sampler import ConditionalTrueSampler
from accelbrainbase.samplabledata.truesampler.labeled_true_sampler import LabeledTrueSampler
from accelbrainbase.samplabledata.truesampler.labeledtruesampler.conditional_labeled_true_sampler import (
    ConditionalLabeledTrueSampler,
)
from accelbrainbase.samplabledata.truesampler.normal_true_sampler import NormalTrueSampler as NeutralNormal

CTX = mx.cpu()


class CountingIterator(ArrayIterator):
    opened = 0

    def generate_learned_samples(self):
        CountingIterator.opened += 1
        yield from super().generate_learned_samples()


def test_true_sampler_continues_one_generator(digits_arrays):
    x = digits_arrays["x_train"]
    it = CountingIterator(x, epochs=1, batch_size=100, ctx=CTX, seed=0)  # iter_n = 16 batches a run
    sampler = TrueSampler()
    sampler.iteratorable_data = it
    CountingIterator.opened = 0
    seen = set()
    for _ in range(32):
        batch = sampler.draw()
        assert batch.shape == (100, 64) and batch.context == CTX
        seen.update(map(bytes, (batch.asnumpy() * 16).astype(np.uint8)))
    # 32 draws = two runs of 16: the generator was opened twice, not 32 times (FINDINGS 13)
    assert CountingIterator.opened == 2
    assert len(seen) > 0.9 * len({bytes(r) for r in (x * 16).astype(np.uint8)})


def test_true_sampler_type_errors():
    sampler = TrueSampler()
    with pytest.raises(TypeError, match="iteratorable_data"):
        sampler.draw()
    with pytest.raises(TypeError, match="IteratableData"):
        sampler.iteratorable_data = np.zeros((3, 2))


def test_labeled_samplers(digits_png_dirs):
    from accelbrainbase.extractabledata._mxnet.image_extractor import ImageExtractor
    from accelbrainbase.iteratabledata._mxnet.labeled_image_iterator import LabeledImageIterator
    from accelbrainbase.iteratabledata._mxnet.unlabeled_image_iterator import UnlabeledImageIterator
    from accelbrainbase.samplabledata.truesampler.unlabeled_true_sampler import UnlabeledTrueSampler

    extractor = ImageExtractor(width=8, height=8, channel=1, ctx=CTX)
    labeled = LabeledImageIterator(extractor, digits_png_dirs["train_dirs"], epochs=1, batch_size=20, ctx=CTX, seed=0)
    sampler = LabeledTrueSampler()
    with pytest.raises(TypeError, match="LabeledImageIterator"):
        sampler.labeled_image_iterator = object()
    sampler.labeled_image_iterator = labeled
    x, y = sampler.draw()
    assert x.shape == (20, 1, 8, 8) and y.shape == (20, 10)
    assert np.allclose(y.asnumpy().sum(axis=1), 1.0)
    conditional = ConditionalLabeledTrueSampler()
    conditional.labeled_image_iterator = labeled
    observed, condition, label = conditional.draw()
    assert observed.shape == condition.shape == (20, 1, 8, 8) and label.shape == (20, 10)
    unlabeled = UnlabeledTrueSampler()
    unlabeled.unlabeled_image_iterator = UnlabeledImageIterator(extractor, digits_png_dirs["train_dirs"], epochs=1,
                                                                batch_size=16, seed=0)
    assert unlabeled.draw().shape == (16, 1, 8, 8)
    with pytest.raises(TypeError, match="UnlabeledImageIterator"):
        unlabeled.unlabeled_image_iterator = labeled
    condition_sampler = LabeledConditionSampler()
    condition_sampler.true_sampler = sampler
    c, s, l = condition_sampler.draw()
    assert c.shape == (20, 1, 8, 8) and s is None and l.shape == (20, 10)


def test_conditional_true_sampler_concatenates(digits_arrays):
    sampler = ConditionalTrueSampler()
    sampler.iteratorable_data = ArrayIterator(digits_arrays["x_train"], epochs=1, batch_size=10, ctx=CTX, seed=0)
    assert sampler.draw().shape == (10, 128)
    with pytest.raises(TypeError):
        sampler.conditonal_dim = "1"


def test_random_samplers_shapes_and_moments():
    normal = NormalTrueSampler(loc=2.0, scale=0.5, batch_size=400, channel=2, height=5, width=5, ctx=CTX)
    arr = normal.draw().asnumpy()
    assert arr.shape == (400, 2, 5, 5)
    assert abs(arr.mean() - 2.0) < 0.02 and abs(arr.std() - 0.5) < 0.02
    with pytest.warns(FutureWarning):
        NeutralNormal(batch_size=2, seq_len=3, channel=1, height=2, width=2, ctx=CTX)
    assert NormalNoiseSampler(shape_tuple=(4, 7)).draw().shape == (4, 7)
    uniform = UniformNoiseSampler(low=-1.0, high=1.0, shape_tuple=(1000,), ctx=CTX)
    u = uniform.draw().asnumpy()
    assert u.min() >= -1.0 and u.max() <= 1.0 and abs(u.mean()) < 0.1
    # a chained sampler's draw is added
    uniform.noise_sampler = UniformNoiseSampler(low=5.0, high=5.0, shape_tuple=(1000,), ctx=CTX)
    assert abs(uniform.draw().asnumpy().mean() - 5.0) < 0.1
    with pytest.raises(TypeError):
        uniform.noise_sampler = object()
    with pytest.raises(ValueError, match="high"):
        UniformNoiseSampler(low=1.0, high=0.0)
    with pytest.raises(ValueError, match="batch_size"):
        NormalNoiseSampler(batch_size=0)


def test_noise_sampler_base_draws_from_iterator(digits_arrays):
    sampler = NoiseSampler()
    with pytest.raises(TypeError):
        sampler.draw()
    sampler.iteratorable_data = ArrayIterator(digits_arrays["x_train"], epochs=1, batch_size=8, ctx=CTX, seed=0)
    assert sampler.draw().shape == (8, 64)


def test_condition_samplers(digits_arrays):
    true = NormalTrueSampler(batch_size=4, channel=1, height=2, width=2, ctx=CTX)
    condition = ConditionSampler()
    with pytest.raises(TypeError):
        condition.true_sampler = object()
    condition.true_sampler = true
    c, s = condition.draw()
    assert c.shape == (4, 1, 2, 2) and s is None
    double = mx.gluon.nn.HybridLambda(lambda F, x: 2 * x)
    condition.model = double
    c, s = condition.draw()
    np.testing.assert_allclose(s.asnumpy(), 2 * c.asnumpy(), rtol=1e-6)
    labeled = LabeledConditionSampler()
    with pytest.raises(TypeError, match="LabeledTrueSampler"):
        labeled.true_sampler = true
    assert ConditionalLabeledTrueSampler.__mro__[1] is LabeledTrueSampler


def test_discriminator_loss_has_the_games_sign():
    loss = DiscriminatorLoss()
    good = loss(mx.nd.array([[0.9], [0.95]]), mx.nd.array([[0.1], [0.05]])).asnumpy()
    bad = loss(mx.nd.array([[0.1], [0.05]]), mx.nd.array([[0.9], [0.95]])).asnumpy()
    # a discriminator that calls true samples true and generated ones fake has the lower loss
    assert good.shape == (2,) and (good < bad).all()
    np.testing.assert_allclose(good[0], -(np.log(0.9) + np.log(0.9)), rtol=1e-5)
    np.testing.assert_allclose(loss.compute(mx.nd.array([[0.9]]), mx.nd.array([[0.1]])).asnumpy(),
                               good[:1], rtol=1e-6)


def test_generator_loss_falls_as_the_discriminator_is_fooled():
    posteriors = mx.nd.array([[0.01], [0.5], [0.99]])
    non_saturating = GeneratorLoss()(posteriors).asnumpy()
    minimax = GeneratorLoss(non_saturating=False)(posteriors).asnumpy()
    assert (np.diff(non_saturating) < 0).all() and (np.diff(minimax) < 0).all()
    # the non-saturating loss keeps a strong gradient where D rejects the samples (D(G(z)) ≈ 0)
    x = mx.nd.array([[0.01]])
    x.attach_grad()
    with mx.autograd.record():
        y = GeneratorLoss()(x)
    y.backward()
    assert abs(x.grad.asscalar()) > 50


def test_eb_discriminator_loss_hinge_and_margin_decay():
    loss = EBDiscriminatorLoss(margin=2.0, margin_decay_rate=0.5, margin_decay_epoch=2)
    out = loss(mx.nd.array([[0.5], [0.5]]), mx.nd.array([[0.5], [3.0]])).asnumpy()
    np.testing.assert_allclose(out, [0.5 + 1.5, 0.5 + 0.0], rtol=1e-6)
    loss(mx.nd.array([[0.5]]), mx.nd.array([[0.5]]))
    assert loss.epoch == 2 and loss.margin == 1.0


def test_feature_matching_loss():
    loss = FeatureMatchingLoss()
    a = mx.nd.array(np.random.RandomState(0).rand(8, 3))
    assert loss(a, a[::-1]).asnumpy().max() < 1e-10  # equal batch means
    out = loss(a, a + 1.0).asnumpy()
    np.testing.assert_allclose(out, np.full(8, 3.0), rtol=1e-5)
