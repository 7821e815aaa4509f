"""The worked example in docs/architecture.md runs and learns (so the docs stay true)."""
import os

import mxnet as mx
import numpy as np
import pytest
from mxnet import gluon, nd

from helpers import ArrayBatches, docs_example, one_hot


def test_the_new_model_example_trains_checkpoints_and_exports(digits_arrays, tmp_path):
    model = docs_example("new-model")["LogisticRegression"](n_classes=10, learning_rate=0.5)
    a = digits_arrays
    batches = ArrayBatches(a["x_train"], one_hot(a["y_train"]), a["x_test"], one_hot(a["y_test"]), epochs=10,
                           whole_test_split=True)
    model.learn(batches, checkpoint_path=str(tmp_path / "lr.ckpt"))
    accuracy = (model.inference(nd.array(a["x_test"])).argmax(axis=1).asnumpy() == a["y_test"]).mean()
    assert accuracy >= 0.9
    assert model.loss_arr.shape == (10, 2) and os.path.exists(str(tmp_path / "lr.ckpt"))
    history = model.loss_history.to_frame()
    assert history["test_acc"].iloc[-1] == pytest.approx(accuracy, abs=1e-6)  # the whole test split
    assert history["acc"].iloc[-1] > 0.9
    symbol_file, params_file = model.export(str(tmp_path / "lr"))
    served = gluon.SymbolBlock.imports(symbol_file, ["data"], params_file, ctx=mx.cpu())
    x = nd.array(a["x_test"][:5])
    np.testing.assert_allclose(served(x).asnumpy(), model.inference(x).asnumpy(), rtol=1e-5)
