"""The seven backend-neutral iterator bases: pre_normalize, properties, pretext samplers."""
import mxnet as mx
import numpy as np
import pytest

from accelbrainbase.iteratable_data import IteratableData
from accelbrainbase.iteratabledata.drcn_iterator import DRCNIterator
from accelbrainbase.iteratabledata.labeled_csv_iterator import LabeledCSVIterator
from accelbrainbase.iteratabledata.labeled_image_iterator import LabeledImageIterator
from accelbrainbase.iteratabledata.ssda_iterator import SSDAIterator
from accelbrainbase.iteratabledata.ssda_transformer_iterator import SSDATransformerIterator
from accelbrainbase.iteratabledata.transformer_iterator import TransformerIterator
from accelbrainbase.iteratabledata.unlabeled_image_iterator import UnlabeledImageIterator
from accelbrainbase.samplabledata.pretext_sampler import PretextSampler

BASES = [LabeledImageIterator, UnlabeledImageIterator, LabeledCSVIterator, DRCNIterator,
         SSDAIterator, TransformerIterator, SSDATransformerIterator]
WITH_SEQ_LEN = {LabeledImageIterator, LabeledCSVIterator, DRCNIterator, SSDAIterator}


def concrete(base):
    """A minimal concrete subclass of ``base`` (the bases themselves are abstract)."""
    return type("Concrete" + base.__name__, (base,), {
        "generate_learned_samples": lambda self: iter(()),
        "generate_inferenced_samples": lambda self: iter(()),
    })()


@pytest.mark.parametrize("base", BASES)
def test_bases_are_abstract_iteratable_data(base):
    assert IteratableData in base.__bases__
    with pytest.raises(TypeError):
        base()
    assert isinstance(concrete(base), IteratableData)


@pytest.mark.parametrize("base", BASES)
def test_properties_defaults_and_checks(base):
    it = concrete(base)
    assert it.norm_mode == "z_score" and it.scale == 1.0
    with pytest.raises(AttributeError):
        it.epochs
    with pytest.raises(AttributeError):
        it.batch_size
    it.epochs, it.batch_size, it.norm_mode, it.scale = 3, 7, "min_max", 2.0
    assert (it.epochs, it.batch_size, it.norm_mode, it.scale) == (3, 7, "min_max", 2.0)
    it.norm_mode = None
    assert it.norm_mode is None
    with pytest.raises(ValueError, match="epochs"):
        it.epochs = 0
    with pytest.raises(ValueError, match="batch_size"):
        it.batch_size = -1
    with pytest.raises(TypeError, match="norm_mode"):
        it.norm_mode = 1
    with pytest.raises(TypeError, match="scale"):
        it.scale = "big"
    with pytest.raises(TypeError):
        it.set_readonly(1)
    assert hasattr(type(it), "seq_len") == (base in WITH_SEQ_LEN)
    if base in WITH_SEQ_LEN:
        with pytest.raises(AttributeError):
            it.seq_len
        it.seq_len = 5
        assert it.seq_len == 5


def test_pre_normalize_numpy_whole_array(digits_arrays):
    it = concrete(LabeledImageIterator)
    x = digits_arrays["x_train"]
    z = it.pre_normalize(x)
    assert z.dtype == np.float32 and abs(z.mean()) < 1e-4 and abs(z.std() - 1) < 1e-4
    it.norm_mode, it.scale = "min_max", 3.0
    m = it.pre_normalize(x)
    assert m.min() == 0 and abs(m.max() - 3.0) < 1e-5
    it.norm_mode = "none"
    np.testing.assert_allclose(it.pre_normalize(x), x * 3.0)


def test_pre_normalize_constant_input_gives_no_nan():
    it = concrete(UnlabeledImageIterator)
    for mode in ("z_score", "min_max"):
        it.norm_mode = mode
        np.testing.assert_array_equal(it.pre_normalize(np.full((4, 3), 7.0)), np.zeros((4, 3)))
        np.testing.assert_array_equal(it.pre_normalize(mx.nd.full((4, 3), 7.0)).asnumpy(), np.zeros((4, 3)))


def test_pre_normalize_ndarray_matches_numpy_without_host_copies(digits_arrays, monkeypatch):
    it = concrete(LabeledCSVIterator)
    x = digits_arrays["x_test"]
    expected = {}
    for mode in ("z_score", "min_max"):
        it.norm_mode = mode
        expected[mode] = it.pre_normalize(x)
    nd_x = mx.nd.array(x)

    def no_host(self):
        raise AssertionError("pre_normalize copied an NDArray to the host")

    results = {}
    monkeypatch.setattr(mx.nd.NDArray, "asnumpy", no_host)
    for mode in ("z_score", "min_max"):
        it.norm_mode = mode
        results[mode] = it.pre_normalize(nd_x)
        results[mode].wait_to_read()
    monkeypatch.undo()
    for mode, out in results.items():
        assert isinstance(out, mx.nd.NDArray) and out.context == nd_x.context
        np.testing.assert_allclose(out.asnumpy(), expected[mode], atol=1e-5)


def test_transformer_bases_keep_generate_learned_samples_abstract():
    only_inference = {"generate_inferenced_samples": lambda self: iter(())}
    for base in (TransformerIterator, SSDATransformerIterator):
        with pytest.raises(TypeError):
            type("Partial", (base,), only_inference)()


class _Sampler(PretextSampler):
    def __init__(self, tag):
        self.tag = tag

    def preprocess(self, target_domain_arr):
        self.pretext_encoded_observed_arr = target_domain_arr + self.tag
        self.pretext_label_arr = self.tag


def test_pretext_sampler_defaults_and_draw():
    sampler = _Sampler(1)
    assert sampler.draw() == (None, None, None, None, None)
    sampler.preprocess(np.zeros(2))
    enc, dec, enc_mask, dec_mask, label = sampler.draw()
    np.testing.assert_array_equal(enc, np.ones(2))
    assert (dec, enc_mask, dec_mask, label) == (None, None, None, 1)


def test_ssda_transformer_pretext_samplers_list():
    it = concrete(SSDATransformerIterator)
    with pytest.raises(ValueError, match="empty"):
        it.pretext_samplers_list
    with pytest.raises(TypeError, match="list"):
        it.pretext_samplers_list = (_Sampler(1),)
    with pytest.raises(TypeError, match=r"pretext_samplers_list\[1\]"):
        it.pretext_samplers_list = [_Sampler(1), "sampler"]
    samplers = [_Sampler(10), _Sampler(20)]
    it.pretext_samplers_list = samplers
    enc, dec, enc_mask, dec_mask, labels = it.create_pretext_task_samples_list(np.zeros(3))
    assert labels == [10, 20] and dec == [None, None] and len(enc_mask) == len(dec_mask) == 2
    np.testing.assert_array_equal(enc[1], np.full(3, 20.0))
    with pytest.raises(ValueError):
        concrete(SSDATransformerIterator).pretext_samplers_list  # the class default stays empty
