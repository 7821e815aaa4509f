"""accelbrainbase: composable deep-learning modules on Apache MXNet Gluon.

Importing the package only prepares numpy for MXNet 1.9.1 (see ``_numpy_compat``); import the
classes from their module paths, e.g.
``from accelbrainbase.observabledata._mxnet.neural_networks import NeuralNetworks``.
"""
from accelbrainbase import _numpy_compat  # noqa: F401  (must run before mxnet is imported)

__version__ = "2.0.0.dev0"
