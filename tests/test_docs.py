"""The worked example in docs/architecture.md runs and learns (so the docs stay true)."""
import os
import re

import mxnet as mx
import numpy as np
from mxnet import gluon, nd

from helpers import ArrayBatches, one_hot

DOCS = os.path.join(os.path.dirname(__file__), os.pardir, "docs", "architecture.md")


def example_namespace():
    text = open(DOCS, encoding="utf-8").read()
    block = re.search(r"<!-- example: new-model -->\s*```python\n(.*?)```", text, re.S).group(1)
    namespace = {}
    exec(compile(block, "docs/architecture.md", "exec"), namespace)
    return namespace


def test_the_new_model_example_trains_checkpoints_and_exports(digits_arrays, tmp_path):
    model = example_namespace()["LogisticRegression"](n_classes=10, learning_rate=0.5)
    a = digits_arrays
    batches = ArrayBatches(a["x_train"], one_hot(a["y_train"]), a["x_test"], one_hot(a["y_test"]), epochs=10)
    model.learn(batches, checkpoint_path=str(tmp_path / "lr.ckpt"))
    accuracy = (model.inference(nd.array(a["x_test"])).argmax(axis=1).asnumpy() == a["y_test"]).mean()
    assert accuracy >= 0.9
    assert model.loss_arr.shape == (10, 2) and os.path.exists(str(tmp_path / "lr.ckpt"))
    symbol_file, params_file = model.export(str(tmp_path / "lr"))
    served = gluon.SymbolBlock.imports(symbol_file, ["data"], params_file, ctx=mx.cpu())
    x = nd.array(a["x_test"][:5])
    np.testing.assert_allclose(served(x).asnumpy(), model.inference(x).asnumpy(), rtol=1e-5)
