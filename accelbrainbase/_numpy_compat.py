"""Make MXNet 1.9.1 importable on numpy 1.24–1.26.

MXNet 1.9.1 still refers to the scalar aliases ``np.bool``, ``np.int``, ``np.float``,
``np.complex``, ``np.object`` and ``np.str`` that numpy deprecated in 1.20 and removed in
1.24.  Each alias was only ever the matching Python builtin, so restoring exactly the missing
ones (and nothing else) is behaviour-preserving.  This module runs from
``accelbrainbase/__init__.py`` so that it happens before any of our modules imports mxnet.

numpy 2 changed the C ABI that MXNet 1.9.1's wheels were built against, so there we stop with a
clear message instead of a crash deep inside mxnet.
"""
import numpy as _np

SUPPORTED_NUMPY = ">=1.21,<2"

_major = int(_np.__version__.split(".")[0])
if _major >= 2:
    raise ImportError(
        "accelbrainbase needs numpy %s (MXNet 1.9.1 is built against the numpy 1.x ABI); "
        "found numpy %s. Install a supported version, e.g. pip install 'numpy>=1.23,<2'."
        % (SUPPORTED_NUMPY, _np.__version__)
    )

_ALIASES = {
    "bool": bool,
    "int": int,
    "float": float,
    "complex": complex,
    "object": object,
    "str": str,
}

#: the aliases this module had to restore (empty on numpy < 1.24)
RESTORED = tuple(name for name in _ALIASES if name not in _np.__dict__)
for _name in RESTORED:
    setattr(_np, _name, _ALIASES[_name])
