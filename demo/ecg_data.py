"""Loader for the bundled ECG excerpt (MIT-BIH Arrhythmia Database record 208; see ``data/README.md``)."""
from __future__ import annotations

import os
from typing import Optional

import numpy as np

#: the bundled file (SciPy's ``ecg.dat``: an ``.npz`` holding ``ecg``, uint16 ADC counts)
ECG_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "ecg_mitdb_208_excerpt.npz")

#: samples per second of the recording
SAMPLING_RATE = 360


def load_electrocardiogram(path: Optional[str] = None) -> np.ndarray:
    """The 5-minute ECG in millivolts, shape ``(108000,)`` float64 at ``SAMPLING_RATE`` Hz.

    Args:
        path: the ``.npz`` file; ``None`` for the bundled excerpt.
    """
    path = ECG_PATH if path is None else path
    if not os.path.isfile(path):
        raise ValueError("path=%r does not exist; the ECG excerpt ships as %s." % (path, ECG_PATH))
    with np.load(path) as archive:
        if "ecg" not in archive.files:
            raise ValueError("path=%r holds no 'ecg' array (found %s)." % (path, archive.files))
        counts = archive["ecg"].astype(np.int64)
    return (counts - 1024) / 200.0  # ADC zero 1024, gain 200 counts per mV
