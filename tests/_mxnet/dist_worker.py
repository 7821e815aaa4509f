"""One worker of the parameter-server test (tests/_mxnet/test_scale_out.py): trains a small CNN
on its shard of the digits with kvstore='dist_sync' and writes its parameters and history.

Run by the test with DMLC_ROLE=worker and the other DMLC_* variables set; argv[1] is the output
file (.npz).
"""
import sys

import accelbrainbase  # noqa: F401  (numpy aliases before mxnet)
import mxnet as mx
import numpy as np
from mxnet import gluon
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from accelbrainbase.iteratabledata._mxnet.array_iterator import ArrayIterator
from accelbrainbase.observabledata._mxnet.convolutional_neural_networks import ConvolutionalNeuralNetworks
from accelbrainbase.observabledata._mxnet.neural_networks import NeuralNetworks


def main(out_path: str) -> None:
    kv = mx.kv.create("dist_sync")
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.1, random_state=0, stratify=y)
    iterator = ArrayIterator(x_train, y_train, x_test, y_test, n_classes=10, epochs=4, batch_size=32,
                             seed=kv.rank, shard=(kv.rank, kv.num_workers), ctx=mx.cpu())
    mx.random.seed(kv.rank)  # different initial weights: the servers' copy must win
    loss = gluon.loss.SoftmaxCrossEntropyLoss(sparse_label=False)
    head = NeuralNetworks(loss, units_list=[10], activation_list=["identity"], dropout_rate_list=[0.0],
                          not_init_flag=True, ctx=mx.cpu())
    model = ConvolutionalNeuralNetworks(
        loss, hidden_units_list=[gluon.nn.Conv2D(8, 3, padding=1)], hidden_dropout_rate_list=[0.0],
        hidden_batch_norm_list=[None], hidden_activation_list=["relu"], output_nn=head,
        learning_rate=0.01, optimizer_name="adam", ctx=mx.cpu(), kvstore=kv)
    model.learn(iterator, checkpoint_path=out_path + ".ckpt")  # the servers keep the optimiser state
    params = [p.data().asnumpy() for p in model.collect_params().values()]
    np.savez(out_path, loss_arr=model.loss_arr, acc_arr=model.acc_arr, rank=kv.rank,
             **{"param%d" % i: value for i, value in enumerate(params)})


if __name__ == "__main__":
    main(sys.argv[1])
