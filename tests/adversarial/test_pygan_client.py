"""pygan 1.1.2 (the reference's own GAN library, installed with ``pip install --no-deps
pygan==1.1.2``) runs unchanged on this package: its mxnet image generators and anomaly detector
are constructed on an MNIST image folder, learn briefly and draw.

All four run with oneDNN on (the default). The energy-based generators (EBGANImageGenerator,
EBAAEImageGenerator) judge with an auto-encoder, whose transposed convolutions MXNet 1.9.1's
oneDNN cannot back-propagate when the discriminator runs twice in one graph (a segmentation
fault); discriminators compute them with convolutions (``make_onednn_safe(..., reused=True)``).
They run in a subprocess so that a crash fails the test instead of killing the session.
"""
import os
import subprocess
import sys
import warnings

import accelbrainbase  # noqa: F401
import mxnet as mx
import numpy as np
import pytest

import pygan  # noqa: E402,F401  (the ``test`` extra; CI installs it with --no-deps)


@pytest.fixture(scope="module")
def mnist_folders(mnist_arrays, tmp_path_factory):
    from PIL import Image

    root = tmp_path_factory.mktemp("pygan_mnist")
    dirs = []
    for part, x in (("train", mnist_arrays["x_train"][::20]), ("test", mnist_arrays["x_test"][:60])):
        folder = root / part
        folder.mkdir()
        for i, image in enumerate(x):
            Image.fromarray(np.rint(image.reshape(28, 28) * 255).astype(np.uint8)).save(str(folder / ("%03d.png" % i)))
        dirs.append(str(folder))
    return dirs


def test_gan_image_generator(mnist_folders):
    from pygan._mxnet.gan_image_generator import GANImageGenerator

    generator = GANImageGenerator(dir_list=[mnist_folders[0]], batch_size=20, ctx=mx.cpu())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its default generator makes 31x31 images of 28x28 digits
        generator.learn(iter_n=5, k_step=2)
    drawn = generator.GAN.generative_model.draw()
    assert drawn.shape == (20, 1, 31, 31) and np.isfinite(drawn.asnumpy()).all()
    assert generator.GAN.generative_loss_arr.shape == (5,) and generator.GAN.posterior_logs_arr.shape == (10,)


def test_ganomaly_detector(mnist_folders):
    from pygan._mxnet.ganomaly_detector import GANomalyDetector

    detector = GANomalyDetector(dir_list=[mnist_folders[0]], test_dir_list=[mnist_folders[1]], batch_size=20,
                                ctx=mx.cpu())
    detector.learn(iter_n=5, k_step=2)
    scores = detector.infernce()  # pygan's spelling
    assert scores.shape == (60, 2)
    values = scores[:, 0].astype(float)
    assert np.isfinite(values).all() and values.min() == 0.0 and values.max() == 1.0


_SCRIPT = """
import sys, accelbrainbase, mxnet as mx, numpy as np, warnings
warnings.simplefilter("ignore")
from pygan._mxnet.{module} import {cls}
g = {cls}(dir_list=[sys.argv[1]], batch_size=20, ctx=mx.cpu())
g.learn(iter_n=4, k_step=2)
controller = getattr(g, "{attr}")
drawn = controller.generative_model.draw()
drawn = drawn if isinstance(drawn, tuple) else (drawn,)
assert all(np.isfinite(d.asnumpy()).all() for d in drawn)
assert controller.generative_loss_arr.shape == (4,)
print("ok", [d.shape for d in drawn])
"""


@pytest.mark.parametrize("module,cls,attr", [("ebgan_image_generator", "EBGANImageGenerator", "EBGAN"),
                                             ("ebaae_image_generator", "EBAAEImageGenerator", "EBAAE")])
def test_energy_based_generators(mnist_folders, module, cls, attr):
    env = dict(os.environ, OMP_NUM_THREADS="1", ACCELBRAINBASE_PROGRESS="0")
    run = subprocess.run([sys.executable, "-c", _SCRIPT.format(module=module, cls=cls, attr=attr), mnist_folders[0]],
                         env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and "ok" in run.stdout, run.stderr[-2000:]
