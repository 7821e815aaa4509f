"""Every contract class in scope imports from its dotted path, keeps its bases, and keeps its
constructor's parameter names, order and defaults (tests/contract/contract.json is extracted
from the contract by tools/extract_contract.py).

New keyword arguments are allowed only after the contract's parameters (before ``**kwargs``).
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
