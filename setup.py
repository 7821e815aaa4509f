"""Packaging for accel-brain-base (import name ``accelbrainbase``)."""
import os
import re

from setuptools import find_packages, setup

HERE = os.path.dirname(os.path.abspath(__file__))


def read_version() -> str:
    with open(os.path.join(HERE, "accelbrainbase", "__init__.py"), encoding="utf-8") as f:
        return re.search(r'^__version__ = "([^"]+)"', f.read(), re.M).group(1)


with open(os.path.join(HERE, "README.md"), encoding="utf-8") as f:
    LONG_DESCRIPTION = f.read()

setup(
    name="accel-brain-base",
    version=read_version(),
    description="Composable deep-learning modules (auto-encoders, RBM/DBM, LSTM encoder/decoders, "
                "GANs, ...) on Apache MXNet Gluon, trained by one shared engine.",
    long_description=LONG_DESCRIPTION,
    long_description_content_type="text/markdown",
    license="MIT",
    packages=find_packages(include=["accelbrainbase", "accelbrainbase.*"]),
    python_requires=">=3.11",
    install_requires=[
        "mxnet==1.9.1",
        "numpy>=1.21,<2",
        "scipy",
        "pandas",
        "matplotlib",
        "Pillow",
        "tqdm",
        # Python 3.12 dropped distutils, which MXNet 1.9.1 imports; setuptools provides it
        "setuptools; python_version >= '3.12'",
    ],
    extras_require={
        "test": ["pytest>=7", "scikit-learn", "mlxtend", "pysummarization==1.1.9", "gymnasium", "pyqlearning==1.2.7",
                 "pygan==1.1.2"],
        "demo": ["scikit-learn", "mlxtend"],
        "gluoncv": ["gluoncv"],
        "rl": ["gymnasium"],
    },
    classifiers=[
        "License :: OSI Approved :: MIT License",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)
