"""Client scripts that make the calls of accel-brain-base 1.1.0's mxnet demo notebooks.

The notebooks live in ``accel-brain/accel-brain-code``, folder ``Accel-Brain-Base/demo/`` (GPL-2.0).
Their code is not copied here: this repository is MIT-licensed and its rule is to write
everything itself. Each ``CLIENT`` below is written for this repository and makes, in the
notebook's order, exactly the library calls the notebook makes, with the notebook's own argument
values (constructor keywords, epochs, batch sizes, data paths, ``ctx=mx.gpu()``). What the
notebook does with plain pandas/NumPy/matplotlib is re-done in the same spirit.

:data:`SUBSTITUTIONS` is the reviewed list of the only changes made before a script runs, as
``(pattern, replacement, why)`` triples applied textually; :func:`prepare` refuses a pattern that
does not occur, so the list cannot silently go stale. Placeholders in replacements
(``{data}``, ``{epochs}``...) are filled by the test with paths of small real data written in a
temporary folder and with the reduced run lengths.

Each script ends by printing one ``REPORT {json}`` line with what its calls returned.
"""
from __future__ import annotations

import textwrap
from typing import Dict, List, Tuple

#: where each notebook lives in the reference repository
NOTEBOOKS: Dict[str, str] = {
    "cnn": "Accel-Brain-Base/demo/Convolutional-Neural-Networks-for-Image-Classification.ipynb",
    "cae": "Accel-Brain-Base/demo/Convolutional-Auto-Encoder-for-Representation-Learning.ipynb",
    "dbm": "Accel-Brain-Base/demo/Deep-Boltzmann-Machines-for-Representation-Learning.ipynb",
    "lstm": "Accel-Brain-Base/demo/Encoder-Decoder-based-on-LSTM-for-Anomaly-Detection.ipynb",
}

#: what every notebook sets up after its imports: a logger on "accelbrainbase" at DEBUG, and
#: matplotlib loaded the way ``%matplotlib inline`` loads it in a notebook
_PREAMBLE = '''
import json
from logging import getLogger, StreamHandler, DEBUG
%matplotlib inline
import matplotlib.pyplot as plt

log = getLogger("accelbrainbase")
log_handler = StreamHandler()
log_handler.setLevel(DEBUG)
log.setLevel(DEBUG)
log.addHandler(log_handler)


def moving_average(values, window):
    """The notebooks smooth loss curves with a centred box filter and drop both edges."""
    return np.convolve(values, np.ones(window) / window, mode="same")[window:-window]


def curve(title, series, window):
    plt.figure(figsize=(20, 10))
    for name, values in series.items():
        plt.plot(moving_average(values, window), label=name)
    plt.legend()
    plt.title(title)
    plt.show()


def report(**values):
    import os
    values["MXNET_MKLDNN_ENABLED"] = os.environ.get("MXNET_MKLDNN_ENABLED")
    print("REPORT " + json.dumps(values))
'''

CLIENTS: Dict[str, str] = {}

# Convolutional-Neural-Networks-for-Image-Classification.ipynb: MNIST digits in one folder per
# label; ImageExtractor -> LabeledImageIterator -> NeuralNetworks head under a two-Conv2D
# ConvolutionalNeuralNetworks trained with SGD; loss and accuracy curves; then the average
# accuracy of CNN.inference over at most 50 batches via CNN.compute_acc.
CLIENTS["cnn"] = '''
from accelbrainbase.computableloss._mxnet.l2_norm_loss import L2NormLoss
from accelbrainbase.extractabledata._mxnet.image_extractor import ImageExtractor
from accelbrainbase.iteratabledata._mxnet.labeled_image_iterator import LabeledImageIterator
from accelbrainbase.noiseabledata._mxnet.gauss_noise import GaussNoise
from accelbrainbase.observabledata._mxnet.convolutional_neural_networks import ConvolutionalNeuralNetworks
from accelbrainbase.observabledata._mxnet.neural_networks import NeuralNetworks
import mxnet as mx
import mxnet.ndarray as nd
import numpy as np
import pandas as pd
from mxnet.gluon.nn import Conv2D
''' + _PREAMBLE + '''


folders = "../../../../Downloads/digit-recognizer/"
image_extractor = ImageExtractor(width=28, height=28, channel=1, ctx=mx.gpu())
labeled_image_iterator = LabeledImageIterator(
    image_extractor=image_extractor,
    dir_list=[folders + "train/%d/" % digit for digit in range(10)],
    test_dir_list=[folders + "test/%d/" % digit for digit in range(10)],
    epochs=1000,
    batch_size=40,
    norm_mode="z_score",
    scale=1.0,
    noiseable_data=GaussNoise(sigma=1e-03, mu=0.0),
)
computable_loss = mx.gluon.loss.SoftmaxCrossEntropyLoss(sparse_label=False)
output_nn = NeuralNetworks(
    computable_loss=computable_loss,
    units_list=[100, 10],
    activation_list=["identity", "identity"],
    dropout_rate_list=[0.0, 0.0],
    hidden_batch_norm_list=[None, None],
    output_no_bias_flag=True,
    all_no_bias_flag=True,
    hybridize_flag=True,
    ctx=mx.gpu(),
)
CNN = ConvolutionalNeuralNetworks(
    computable_loss=computable_loss,
    initializer=None,
    learning_rate=1e-03,
    learning_attenuate_rate=1.0,
    attenuate_epoch=50,
    hidden_units_list=[
        Conv2D(channels=16, kernel_size=3, strides=(2, 2), padding=(1, 1)),
        Conv2D(channels=32, kernel_size=3, strides=(2, 2), padding=(1, 1)),
    ],
    hidden_activation_list=["relu", "relu"],
    hidden_dropout_rate_list=[0.0, 0.0],
    hidden_batch_norm_list=[None, None],
    output_nn=output_nn,
    optimizer_name="SGD",
    hybridize_flag=True,
    ctx=mx.gpu(),
)
CNN.learn(labeled_image_iterator)

curve("Losses.", {"Train Loss.": CNN.loss_arr[:, 0], "Test Loss.": CNN.loss_arr[:, 1]}, 50)
curve("Accuracies.", {"Train Loss.": CNN.acc_arr[:, 0], "Test Loss.": CNN.acc_arr[:, 1]}, 50)

accuracy_sum, batches, prob_shape = 0.0, 0, None
for _, _, test_arr, test_label_arr in labeled_image_iterator.generate_learned_samples():
    prob_arr = CNN.inference(test_arr)
    prob_shape = prob_arr.shape
    acc, _, _ = CNN.compute_acc(prob_arr, test_label_arr)
    accuracy_sum += acc
    batches += 1
    if batches >= 50:
        break

report(loss_arr=np.asarray(CNN.loss_arr).tolist(), acc_arr=np.asarray(CNN.acc_arr).tolist(),
       avg_acc=float(accuracy_sum / batches), batches=batches, prob_shape=list(prob_shape))
'''

# Convolutional-Auto-Encoder-for-Representation-Learning.ipynb: unlabeled MNIST folders;
# Conv2D encoder and Conv2DTranspose decoder (BatchNorm) tied in a ConvolutionalAutoEncoder
# trained with SGD; loss curve; one test batch through CAE.inference shown as 28x28 images and
# CAE.feature_points_arr[0] averaged over channels.
CLIENTS["cae"] = '''
from accelbrainbase.computableloss._mxnet.l2_norm_loss import L2NormLoss
from accelbrainbase.extractabledata._mxnet.image_extractor import ImageExtractor
from accelbrainbase.iteratabledata._mxnet.unlabeled_image_iterator import UnlabeledImageIterator
from accelbrainbase.noiseabledata._mxnet.gauss_noise import GaussNoise
from accelbrainbase.observabledata._mxnet.convolutional_neural_networks import ConvolutionalNeuralNetworks
from accelbrainbase.observabledata._mxnet.convolutionalneuralnetworks.convolutional_auto_encoder import ConvolutionalAutoEncoder
import mxnet as mx
import mxnet.ndarray as nd
import numpy as np
import pandas as pd
from mxnet.gluon.nn import Conv2D
from mxnet.gluon.nn import Conv2DTranspose
''' + _PREAMBLE + '''


folders = "../../../../Downloads/digit-recognizer/"
image_extractor = ImageExtractor(width=28, height=28, channel=1, ctx=mx.gpu())
unlabeled_image_iterator = UnlabeledImageIterator(
    image_extractor=image_extractor,
    dir_list=[folders + "train/%d/" % digit for digit in range(10)],
    test_dir_list=[folders + "test/%d/" % digit for digit in range(10)],
    epochs=1000,
    batch_size=40,
    norm_mode="z_score",
    scale=1.0,
    noiseable_data=GaussNoise(sigma=1e-03, mu=0.0),
)
computable_loss = L2NormLoss()
encoder = ConvolutionalNeuralNetworks(
    computable_loss=computable_loss,
    hidden_units_list=[
        Conv2D(channels=16, kernel_size=6, strides=(2, 2), padding=(1, 1)),
        Conv2D(channels=32, kernel_size=3, strides=(1, 1), padding=(1, 1)),
    ],
    hidden_activation_list=["relu", "relu"],
    hidden_dropout_rate_list=[0.0, 0.0],
    hidden_batch_norm_list=[BatchNorm(), BatchNorm()],
    hybridize_flag=True,
    ctx=mx.gpu(),
)
decoder = ConvolutionalNeuralNetworks(
    computable_loss=computable_loss,
    hidden_units_list=[
        Conv2DTranspose(channels=16, kernel_size=3, strides=(1, 1), padding=(1, 1)),
        Conv2DTranspose(channels=1, kernel_size=6, strides=(2, 2), padding=(1, 1)),
    ],
    hidden_activation_list=["relu", "identity"],
    hidden_dropout_rate_list=[0.0, 0.0],
    hidden_batch_norm_list=[BatchNorm(), None],
    hybridize_flag=True,
    ctx=mx.gpu(),
)
CAE = ConvolutionalAutoEncoder(
    encoder=encoder,
    decoder=decoder,
    computable_loss=computable_loss,
    initializer=None,
    learning_rate=1e-03,
    learning_attenuate_rate=1.0,
    attenuate_epoch=50,
    tied_weights_flag=True,
    optimizer_name="SGD",
    hybridize_flag=True,
    ctx=mx.gpu(),
)
CAE.learn(unlabeled_image_iterator)

curve("Losses.", {"Train Loss.": CAE.loss_arr[:, 0], "Test Loss.": CAE.loss_arr[:, 1]}, 50)

test_arr = None
for _, _, batch, _ in unlabeled_image_iterator.generate_learned_samples():
    test_arr = batch
    break
inferenced_arr = CAE.inference(test_arr)
plt.imshow(test_arr[0].asnumpy().reshape(28, 28), cmap="gray")
plt.show()
plt.imshow(inferenced_arr[0].asnumpy().reshape(28, 28), cmap="gray")
plt.show()
feature_map = CAE.feature_points_arr[0].asnumpy().mean(axis=0)
plt.imshow(feature_map, cmap="gray")
plt.show()

reconstruction_mse = float(((inferenced_arr - test_arr) ** 2).mean().asscalar())
report(loss_arr=np.asarray(CAE.loss_arr).tolist(), test_shape=list(test_arr.shape),
       inferenced_shape=list(inferenced_arr.shape), feature_shape=list(CAE.feature_points_arr.shape),
       feature_map_shape=list(feature_map.shape), reconstruction_mse=reconstruction_mse,
       input_variance=float(test_arr.asnumpy().var()))
'''

# Deep-Boltzmann-Machines-for-Representation-Learning.ipynb: a GaussIterator (min-max
# normalised Gaussian samples plus GaussNoise) feeding three sigmoid RBMs (1000-100, 100-100,
# 100-1000) stacked in a DeepBoltzmannMachines trained with Adam; loss curve; one test batch
# through DBM.inference and the first RBM's feature points.
CLIENTS["dbm"] = '''
from accelbrainbase.iteratabledata._mxnet.gauss_iterator import GaussIterator
from accelbrainbase.noiseabledata._mxnet.gauss_noise import GaussNoise
from accelbrainbase.observabledata._mxnet.restrictedboltzmannmachines.deep_boltzmann_machines import DeepBoltzmannMachines
from accelbrainbase.observabledata._mxnet.restricted_boltzmann_machines import RestrictedBoltzmannMachines
from accelbrainbase.computableloss._mxnet.l2_norm_loss import L2NormLoss
import mxnet as mx
import mxnet.ndarray as nd
import numpy as np
import pandas as pd

''' + _PREAMBLE + '''


gauss_iterator = GaussIterator(
    loc=0.0,
    std=1.0,
    dim=1000,
    epochs=10000,
    batch_size=40,
    norm_mode="min_max",
    scale=1.0,
    noiseable_data=GaussNoise(sigma=1e-03, mu=0.0),
)
computable_loss = L2NormLoss()


def rbm(visible_dim, hidden_dim):
    return RestrictedBoltzmannMachines(
        computable_loss=computable_loss,
        visible_activation="sigmoid",
        hidden_activation="sigmoid",
        visible_dim=visible_dim,
        hidden_dim=hidden_dim,
        visible_dropout_rate=0.0,
        hidden_dropout_rate=0.0,
        visible_batch_norm=None,
        hidden_batch_norm=None,
        ctx=mx.gpu(),
    )


RBM_1, RBM_2, RBM_3 = rbm(1000, 100), rbm(100, 100), rbm(100, 1000)
DBM = DeepBoltzmannMachines(
    computable_loss=computable_loss,
    rbm_list=[RBM_1, RBM_2, RBM_3],
    initializer=None,
    optimizer_name="Adam",
    learning_rate=1e-03,
    learning_attenuate_rate=1.0,
    attenuate_epoch=50,
)
DBM.learn(gauss_iterator)

curve("Losses.", {"Train Loss.": DBM.loss_arr[:, 0], "Test Loss.": DBM.loss_arr[:, 1]}, 100)

test_arr = None
for _, _, batch, _ in gauss_iterator.generate_learned_samples():
    test_arr = batch
    break
_ = DBM.inference(test_arr)
features = DBM.rbm_list[0].feature_points_arr

report(loss_arr=np.asarray(DBM.loss_arr).tolist(), test_shape=list(test_arr.shape),
       test_min=float(test_arr.min().asscalar()), test_max=float(test_arr.max().asscalar()),
       feature_shape=list(features.shape), feature_min=float(features.min().asscalar()),
       feature_max=float(features.max().asscalar()))
'''

# Encoder-Decoder-based-on-LSTM-for-Anomaly-Detection.ipynb: a monthly price CSV turned into
# logarithmic change rates, split by row position into train/test CSVs (Series.to_csv with
# index=False); UnlabeledCSVExtractor -> UnlabeledSequentialCSVIterator (seq_len=3, no
# normalisation) -> LSTM encoder and LSTM decoder in an EncoderDecoder trained with SGD; then the
# reconstruction error of every test window from generate_inferenced_samples, min-max scaled.
CLIENTS["lstm"] = '''
import mxnet as mx
import mxnet.ndarray as nd
import numpy as np
import pandas as pd
from mxnet.gluon.nn import Conv2D
from accelbrainbase.computableloss._mxnet.l2_norm_loss import L2NormLoss
from accelbrainbase.extractabledata.unlabeled_csv_extractor import UnlabeledCSVExtractor
from accelbrainbase.iteratabledata._mxnet.unlabeled_sequential_csv_iterator import UnlabeledSequentialCSVIterator
from accelbrainbase.noiseabledata._mxnet.gauss_noise import GaussNoise
from accelbrainbase.observabledata._mxnet.lstm_networks import LSTMNetworks
from accelbrainbase.observabledata._mxnet.lstmnetworks.encoder_decoder import EncoderDecoder
''' + _PREAMBLE + '''


df = pd.read_csv("../../../../Downloads/monthly_csv.csv")
df["date"] = df.Date
df["price"] = df.Price
df["pre_price"] = df.price.shift(1)
df["logarithmic_change_rate"] = np.log(df.price / df.pre_price)
train_df = df["logarithmic_change_rate"].iloc[180:539]
test_df = df["logarithmic_change_rate"].iloc[540:]
train_df.to_csv("../../../../Downloads/gold_train.csv", index=False)
test_df.to_csv("../../../../Downloads/gold_test.csv", index=False)

unlabeled_csv_extractor = UnlabeledCSVExtractor()
unlabeled_csv_iterator = UnlabeledSequentialCSVIterator(
    unlabeled_csv_extractor=unlabeled_csv_extractor,
    train_csv_path="../../../../Downloads/gold_train.csv",
    test_csv_path="../../../../Downloads/gold_test.csv",
    epochs=1000,
    batch_size=40,
    seq_len=3,
    norm_mode=None,
    scale=1.0,
    noiseable_data=GaussNoise(sigma=1e-03, mu=0.0),
)
computable_loss = L2NormLoss()
gates = dict(observed_activation="tanh", input_gate_activation="sigmoid", forget_gate_activation="sigmoid",
             output_gate_activation="sigmoid", hidden_activation="tanh")
encoder = LSTMNetworks(
    computable_loss=computable_loss,
    batch_size=40,
    seq_len=3,
    hidden_n=200,
    dropout_rate=0.0,
    output_layer_flag=False,
    hybridize_flag=True,
    ctx=mx.gpu(),
    **gates
)
decoder = LSTMNetworks(
    computable_loss=computable_loss,
    batch_size=40,
    seq_len=3,
    hidden_n=200,
    output_n=1,
    dropout_rate=0.0,
    output_activation="tanh",
    output_layer_flag=True,
    output_no_bias_flag=True,
    hybridize_flag=True,
    ctx=mx.gpu(),
    **gates
)
encoder_decoder = EncoderDecoder(
    encoder=encoder,
    decoder=decoder,
    batch_size=40,
    seq_len=3,
    computable_loss=computable_loss,
    initializer=None,
    learning_rate=1e-03,
    learning_attenuate_rate=1.0,
    attenuate_epoch=50,
    optimizer_name="SGD",
    hybridize_flag=True,
    ctx=mx.gpu(),
)
encoder_decoder.learn(unlabeled_csv_iterator)

curve("Losses.", {"Train Loss.": encoder_decoder.loss_arr[:, 0], "Test Loss.": encoder_decoder.loss_arr[:, 1]}, 50)

observed, reconstructed, errors = [], [], []
for _, _, test_arr, _ in unlabeled_csv_iterator.generate_inferenced_samples():
    reconstructed_arr = encoder_decoder.inference(test_arr)
    errors.append(nd.sum(nd.square(reconstructed_arr - test_arr), axis=1))
    observed.append(test_arr)
    reconstructed.append(reconstructed_arr)
total_test_arr = nd.concat(*observed, dim=0)
total_reconstructed_arr = nd.concat(*reconstructed, dim=0)
total_error_arr = nd.concat(*errors, dim=0)

last_step_error = total_error_arr[:, -1].asnumpy()
span = last_step_error.max() - last_step_error.min()
scaled_error = (last_step_error - last_step_error.min()) / span
fig = plt.figure(figsize=(20, 10))
ax = fig.add_subplot(1, 1, 1)
ax.plot(total_test_arr[:, -1, 0].asnumpy(), label="observed")
ax.plot(total_reconstructed_arr[:, -1, 0].asnumpy(), label="reconstructed")
ax2 = ax.twinx()
ax2.plot(scaled_error, color="red", alpha=0.45, label="reconstruction errors.")
plt.show()

report(loss_arr=np.asarray(encoder_decoder.loss_arr).tolist(), test_rows=int(test_df.shape[0]),
       fused=[bool(encoder.fused_flag), bool(decoder.fused_flag)],
       error_rows=int(total_error_arr.shape[0]), error_shape=list(total_error_arr.shape),
       test_shape=list(total_test_arr.shape), reconstructed_shape=list(total_reconstructed_arr.shape),
       scaled_error_min=float(scaled_error.min()), scaled_error_max=float(scaled_error.max()),
       reconstruction_mse=float(((total_reconstructed_arr - total_test_arr) ** 2).mean().asscalar()),
       test_variance=float(total_test_arr.asnumpy().var()))
'''

#: Every change made to a client before it runs: ``(pattern, replacement, why)``. Common to all:
_COMMON: List[Tuple[str, str, str]] = [
    ("%matplotlib inline\n", "import matplotlib\nmatplotlib.use(\"Agg\")\n",
     "plotting: no notebook front end; figures go to the non-interactive Agg backend"),
]

SUBSTITUTIONS: Dict[str, List[Tuple[str, str, str]]] = {
    "cnn": _COMMON + [
        ("../../../../Downloads/digit-recognizer/", "{data}/digit-recognizer/",
         "data: the MNIST subset as PNG folders (train/<digit>/, test/<digit>/) in a temp dir"),
        ("epochs=1000", "epochs={epochs}", "run length: a few passes instead of 1000"),
    ],
    "cae": _COMMON + [
        ("from mxnet.gluon.nn import Conv2DTranspose\n",
         "from mxnet.gluon.nn import Conv2DTranspose\nfrom mxnet.gluon.nn import BatchNorm\n",
         "notebook bug: it uses BatchNorm() without importing it (NameError in a fresh kernel)"),
        ("../../../../Downloads/digit-recognizer/", "{data}/digit-recognizer/",
         "data: the MNIST subset as PNG folders (train/<digit>/, test/<digit>/) in a temp dir"),
        ("epochs=1000", "epochs={epochs}", "run length: a few passes instead of 1000"),
    ],
    "dbm": _COMMON + [
        ("epochs=10000", "epochs={epochs}", "run length: a few passes instead of 10000"),
    ],
    "lstm": _COMMON + [
        ("import mxnet as mx\n", "import accelbrainbase\nimport mxnet as mx\n",
         "environment: this notebook imports mxnet before accelbrainbase; MXNet 1.9.1 uses the "
         "np.bool alias that NumPy 1.24 removed, and accelbrainbase's import restores it "
         "(FINDINGS); the other three notebooks import accelbrainbase first"),
        ("../../../../Downloads/", "{data}/",
         "data: monthly_csv.csv (Date, Price) written in a temp dir; the notebook's train/test "
         "CSVs are written there too"),
        ("epochs=1000", "epochs={epochs}", "run length: a few passes instead of 1000"),
    ],
}


def prepare(name: str, **placeholders) -> str:
    """The client script of notebook ``name`` with :data:`SUBSTITUTIONS` applied.

    Raises:
        ValueError: a pattern does not occur in the script (the list is out of date).
    """
    script = textwrap.dedent(CLIENTS[name])
    for pattern, replacement, _ in SUBSTITUTIONS[name]:
        if pattern not in script:
            raise ValueError("substitution %r does not occur in the %s client." % (pattern, name))
        script = script.replace(pattern, replacement.format(**placeholders))
    return script
