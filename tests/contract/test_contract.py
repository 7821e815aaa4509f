"""Every contract class in scope imports from its dotted path, keeps its bases, and keeps its
constructor's parameter names, order and defaults (tests/contract/contract.json is extracted
from the contract by tools/extract_contract.py).

New keyword arguments are allowed only after the contract's parameters (before ``**kwargs``).

Every public member the 1.1.0 class defines (tests/contract/members-1.1.0.json, a copy of
../shared/api/members-1.1.0.json) must exist on the class, including the generated
``get_X``/``set_X`` accessors and ``set_readonly`` (see accelbrainbase/_accessors.py).
"""
import importlib
import inspect
import json
import math
import os

import accelbrainbase  # noqa: F401
import mxnet as mx
import numpy as np
import pytest
from mxnet.gluon.nn import Conv2D

CONTRACT = json.load(open(os.path.join(os.path.dirname(__file__), "contract.json")))

#: contract modules delivered so far, by issue; each later issue extends this list
IN_SCOPE_PREFIXES = (
    # foundation (#2)
    "accelbrainbase.extractable_data", "accelbrainbase.noiseable_data", "accelbrainbase.iteratable_data",
    "accelbrainbase.samplable_data", "accelbrainbase.observable_data", "accelbrainbase.computable_loss",
    "accelbrainbase.regularizatable_data", "accelbrainbase.controllable_model",
    "accelbrainbase._mxnet.",
    "accelbrainbase.extractabledata.",
    "accelbrainbase.noiseabledata.",
    "accelbrainbase.iteratabledata.labeled_image_iterator", "accelbrainbase.iteratabledata.unlabeled_image_iterator",
    "accelbrainbase.iteratabledata.labeled_csv_iterator", "accelbrainbase.iteratabledata.drcn_iterator",
    "accelbrainbase.iteratabledata.ssda_iterator", "accelbrainbase.iteratabledata.transformer_iterator",
    "accelbrainbase.iteratabledata.ssda_transformer_iterator",
    "accelbrainbase.iteratabledata._mxnet.labeled_image_iterator",
    "accelbrainbase.iteratabledata._mxnet.unlabeled_image_iterator",
    "accelbrainbase.iteratabledata._mxnet.labeled_csv_iterator",
    "accelbrainbase.iteratabledata._mxnet.unlabeled_csv_iterator",
    "accelbrainbase.iteratabledata._mxnet.gauss_iterator",
    "accelbrainbase.samplabledata.pretext_sampler",
    "accelbrainbase.computableloss._mxnet.l2_norm_loss",
    "accelbrainbase.regularizatabledata.",
    "accelbrainbase.observabledata._mxnet.neural_networks",
    "accelbrainbase.observabledata._mxnet.neuralnetworks.",
    "accelbrainbase.observabledata._mxnet.convolutional_neural_networks",
    "accelbrainbase.observabledata._mxnet.convolutionalneuralnetworks.convolutional_auto_encoder",
    # Boltzmann machines (#3)
    "accelbrainbase.observabledata._mxnet.restricted_boltzmann_machines",
    "accelbrainbase.observabledata._mxnet.restrictedboltzmannmachines.",
    # sequences (#4)
    "accelbrainbase.observabledata._mxnet.lstm_networks",
    "accelbrainbase.observabledata._mxnet.lstmnetworks.",
    "accelbrainbase.iteratabledata._mxnet.unlabeled_sequential_csv_iterator",
    "accelbrainbase.iteratabledata._mxnet.unlabeled_t_hot_csv_iterator",
    "accelbrainbase.iteratabledata._mxnet.unlabeled_t_hot_txt_iterator",
    # adversarial family (#9)
    "accelbrainbase.samplabledata.true_sampler", "accelbrainbase.samplabledata.truesampler.",
    "accelbrainbase.samplabledata.noise_sampler", "accelbrainbase.samplabledata.noisesampler.",
    "accelbrainbase.samplabledata.condition_sampler", "accelbrainbase.samplabledata.conditionsampler.",
    "accelbrainbase.computableloss._mxnet.discriminator_loss", "accelbrainbase.computableloss._mxnet.generator_loss",
    "accelbrainbase.computableloss._mxnet.discriminatorloss.",
    "accelbrainbase.observabledata._mxnet.adversarial_model", "accelbrainbase.observabledata._mxnet.adversarialmodel.",
    "accelbrainbase.observabledata._mxnet.convolutionalneuralnetworks.convolutionalautoencoder.contractive_cae",
    "accelbrainbase.controllablemodel._mxnet.gan_controller", "accelbrainbase.controllablemodel._mxnet.gancontroller.",
    # attention and Transformer (#12)
    "accelbrainbase.observabledata._mxnet.attention_model",
    "accelbrainbase.observabledata._mxnet.attentionmodel.",
    "accelbrainbase.observabledata._mxnet.transformer_model",
    "accelbrainbase.observabledata._mxnet.transformermodel.",
    "accelbrainbase.controllablemodel._mxnet.transformer_controller",
    "accelbrainbase.controllablemodel._mxnet.transforming_auto_encoder_controller",
    "accelbrainbase.iteratabledata._mxnet.gauss_transformer_iterator",
    # deep Q-learning (#10)
    "accelbrainbase.samplabledata.policy_sampler", "accelbrainbase.samplabledata.policysampler.",
    "accelbrainbase.observabledata._mxnet.function_approximator",
    "accelbrainbase.observabledata._mxnet.functionapproximator.",
    "accelbrainbase.controllablemodel._mxnet.dql_controller", "accelbrainbase.controllablemodel._mxnet.dqlcontroller.",
    "accelbrainbase.observabledata._mxnet.convolutionalneuralnetworks.mobilenet_v2",
    # representation learning II (#11)
    "accelbrainbase.observabledata._mxnet.convolutionalneuralnetworks.convolutionalautoencoder.repelling_cae",
    "accelbrainbase.observabledata._mxnet.convolutionalneuralnetworks.convolutionalautoencoder."
    "convolutional_ladder_networks",
    "accelbrainbase.observabledata._mxnet.convolutionalneuralnetworks.drc_networks",
    "accelbrainbase.iteratabledata._mxnet.drcn_iterator",
    "accelbrainbase.computableloss._mxnet.drcn_loss",
)
IN_SCOPE = sorted(key for key, entry in CONTRACT.items() if entry["module"].startswith(IN_SCOPE_PREFIXES))
NAMESPACE = {"mx": mx, "np": np, "Conv2D": Conv2D, "None": None, "True": True, "False": False}


def load(key):
    entry = CONTRACT[key]
    module = importlib.import_module(entry["module"])
    return getattr(module, entry["class"])


def test_scope_is_not_empty():
    assert len(IN_SCOPE) >= 40


@pytest.mark.parametrize("key", IN_SCOPE)
def test_class_imports_with_its_bases(key):
    cls = load(key)
    assert cls.__name__ == CONTRACT[key]["class"]
    mro_names = {klass.__name__ for klass in cls.__mro__}
    for base in CONTRACT[key]["bases"]:
        if base != "object":
            assert base in mro_names, "%s lacks base %s" % (key, base)


def _same_default(expected_text, actual):
    if expected_text.startswith("<"):
        return True  # a placeholder ("<see below>") whose value the class entry spells out; tested by its family
    if expected_text in ("mx.gpu()", "mx.cpu()"):
        return isinstance(actual, mx.Context) and repr(actual) == repr(eval(expected_text, NAMESPACE))
    expected = eval(expected_text, NAMESPACE)
    if isinstance(expected, list) and expected and isinstance(expected[0], mx.gluon.Block):
        return len(actual) == len(expected) and all(type(a) is type(e) for a, e in zip(actual, expected))
    if isinstance(expected, float) and isinstance(actual, (int, float)):
        return math.isclose(expected, actual)
    return expected == actual and type(expected) is type(actual)


@pytest.mark.parametrize("key", [k for k in IN_SCOPE if isinstance(CONTRACT[k]["params"], list)])
def test_constructor_signature(key):
    cls = load(key)
    contract_params = CONTRACT[key]["params"]
    if cls.__init__ is object.__init__:
        assert contract_params == [], "%s needs a constructor" % key
        return
    actual = list(inspect.signature(cls.__init__).parameters.values())[1:]
    position = 0
    for text in contract_params:
        if text.startswith("**"):
            assert any(p.kind is p.VAR_KEYWORD for p in actual), "%s lost **kwargs" % key
            continue
        name, _, default = text.partition("=")
        param = actual[position]
        assert param.name == name, "%s: parameter %d is %r, contract says %r" % (key, position, param.name, name)
        if default:
            assert param.default is not param.empty, "%s: %s lost its default" % (key, name)
            assert _same_default(default, param.default), "%s: %s default %r != %s" % (key, name, param.default, default)
        else:
            assert param.default is param.empty, "%s: %s must stay required" % (key, name)
        position += 1
    for extra in actual[position:]:
        assert extra.kind is extra.VAR_KEYWORD or extra.default is not extra.empty, \
            "%s: added parameter %s must be an optional keyword" % (key, extra.name)


# ---------------------------------------------------------------------------------------------
# Every public member of every 1.1.0 class in scope (tests/contract/members-1.1.0.json is a copy
# of ../shared/api/members-1.1.0.json: per module, per class, the names the class defines).
# The check follows IN_SCOPE, so classes added to the scope are checked automatically.

MEMBERS = json.load(open(os.path.join(os.path.dirname(__file__), "members-1.1.0.json")))


def _members(key):
    entry = CONTRACT[key]
    return MEMBERS.get(entry["module"], {}).get(entry["class"])


def test_every_in_scope_class_has_a_member_list():
    missing = [key for key in IN_SCOPE if _members(key) is None]
    assert not missing, "members-1.1.0.json lacks %s" % missing


@pytest.mark.parametrize("key", [k for k in IN_SCOPE if _members(k)])
def test_every_member_exists(key):
    cls = load(key)
    missing = [name for name in _members(key) if not hasattr(cls, name)]
    assert not missing, "%s lacks the 1.1.0 members %s" % (key, missing)
    for name in _members(key):
        if name.startswith(("get_", "set_")):
            assert callable(getattr(cls, name)), "%s.%s must be a method" % (key, name)


def test_member_count_is_complete():
    """The scope covers the members of all classes delivered so far (364 when this was written)."""
    assert sum(len(_members(k) or ()) for k in IN_SCOPE) >= 364


# ---------------------------------------------------------------------------------------------
# The generated accessors behave like the reference's: get_X() reads X, set_X(v) assigns it
# through the property (so its checks run), read-only properties raise TypeError.

def test_accessors_read_and_write_through_the_property():
    from accelbrainbase.extractabledata._mxnet.image_extractor import ImageExtractor

    extractor = ImageExtractor(8, 6, 1, ctx=mx.cpu())
    assert extractor.get_width() == 8 and extractor.get_height() == 6 and extractor.get_channel() == 1
    extractor.set_width(12)
    assert extractor.width == 12
    with pytest.raises(TypeError, match="width"):
        extractor.set_width(1.5)  # the property's own check
    with pytest.raises(TypeError, match="ctx"):
        extractor.set_ctx(mx.cpu())  # read-only property
    with pytest.raises(TypeError):
        extractor.set_readonly(1)


def test_iterator_accessors_and_set_readonly():
    from accelbrainbase.iteratabledata._mxnet.gauss_iterator import GaussIterator

    iterator = GaussIterator(dim=4, epochs=2, batch_size=5, ctx=mx.cpu(), dataset_size=10)
    assert iterator.get_epochs() == 2 and iterator.get_batch_size() == 5
    assert iterator.get_norm_mode() == "z_score" and iterator.get_scale() == 1.0
    iterator.set_batch_size(4)
    assert iterator.batch_size == 4
    with pytest.raises(ValueError, match="batch_size"):
        iterator.set_batch_size(0)
    with pytest.raises(ValueError, match="norm_mode"):
        iterator.set_norm_mode("z-score")
    with pytest.raises(TypeError, match="read-only"):
        iterator.set_readonly(3)


def test_model_accessors_cover_plain_attributes_and_read_only_arrays():
    from mxnet import gluon

    from accelbrainbase.observabledata._mxnet.convolutional_neural_networks import ConvolutionalNeuralNetworks

    model = ConvolutionalNeuralNetworks(gluon.loss.SoftmaxCrossEntropyLoss(sparse_label=False), ctx=mx.cpu())
    assert model.get_batch_size() is None and model.get_compute_acc_flag() is True
    model.set_compute_acc_flag(False)
    assert model.compute_acc_flag is False
    model.set_batch_size(7)
    assert model.batch_size == 7
    assert model.get_loss_arr().shape == (0, 2) and model.get_acc_list() == []
    assert model.get_initializer() is model.initializer and model.get_input_nn() is None
    with pytest.raises(TypeError):
        model.set_loss_arr(np.zeros((1, 2)))
    with pytest.raises(TypeError):
        model.set_acc_list([])
    with pytest.raises(TypeError):
        model.set_readonly(None)


def test_rbm_accessors_read_live_parameters():
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir, "observabledata"))
    from _boltzmann import rbm

    model = rbm(visible_dim=6, hidden_dim=3)
    assert model.get_weights_arr().shape == (3, 6)
    model.set_visible_bias_arr(np.ones(6, dtype=np.float32))
    assert np.allclose(model.visible_bias_arr.asnumpy(), 1.0)
    assert model.get_loss_list() == [] and model.get_test_loss_arr().shape == (0,)
    with pytest.raises(ValueError, match="visible_bias_arr"):
        model.set_visible_bias_arr(np.ones(5))


def test_the_mechanism_on_a_new_subclass():
    """Future contract classes get the accessors by deriving from an interface."""
    from accelbrainbase.observable_data import ObservableData

    class Toy(ObservableData):
        flag = True
        HELPER = 3  # not lower-case: a constant, no accessors

        def __init__(self):
            self._size = 1

        @property
        def size(self):
            return self._size

        @size.setter
        def size(self, value):
            self._size = value

        @property
        def total(self):
            return 10

        def get_custom(self):
            return "hand-written"

        custom = property(get_custom)

        def learn(self, iteratable_data):
            pass

        def inference(self, observed_arr):
            return observed_arr

    toy = Toy()
    for name in ("get_size", "set_size", "get_total", "set_total", "get_flag", "set_flag"):
        assert hasattr(Toy, name), name
    assert not hasattr(Toy, "get_HELPER") and not hasattr(Toy, "get_learn")
    toy.set_size(5)
    assert toy.get_size() == 5 and toy.get_total() == 10
    with pytest.raises(TypeError, match="total is read-only"):
        toy.set_total(1)
    assert Toy.get_custom is Toy.__dict__["get_custom"]  # hand-written methods are kept
    toy.set_flag(False)
    assert toy.flag is False and Toy.flag is True
