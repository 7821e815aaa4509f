"""Fixed-length windows of consecutive CSV rows, for sequence models (e.g. EncDec-AD).

Repairs and differences from the reference (contract §3b.4, FINDINGS 6):

* **one layout**: learned *and* inferenced batches are batch-major ``(B, seq_len, D)`` (the
  reference yielded time-major ``(T, B, D)`` for training);
* **one normalisation**: ``norm_mode`` statistics are computed once per column over the training
  file and applied to training, test and inference windows alike (the reference normalised each
  training batch by its own statistics and left inference windows raw);
* both files are read once; windows are gathered on ``ctx`` from shuffled permutations of all
  window starts (every window once per pass) by a ``RandomState(seed)``; every learned batch
  has ``batch_size`` windows;
* noise is applied to the training windows only (the reference noised the test windows too);
* inference yields every test window ``rows[s : s + seq_len]``, ``s = 0 .. n_test - seq_len``,
  in order (the reference skipped the last one), the last batch possibly shorter; window ``j``
  of inference batch ``k`` starts at row ``k * batch_size + j``;
* bad input raises before training: NaN, empty or non-numeric cells (``ValueError`` naming the
  file and column, from the extractor), files with fewer than ``seq_len`` rows, train/test
  column mismatch, ``batch_size`` larger than the number of training windows.
"""
from __future__ import annotations

import os
from typing import Iterator, Optional, Union

import mxnet as mx
import numpy as np

from accelbrainbase._mxnet.checks import check_finite_array, check_type
from accelbrainbase._mxnet.context import DEFAULT_CTX, first_ctx, resolve_ctx
from accelbrainbase.extractabledata.unlabeled_csv_extractor import UnlabeledCSVExtractor
from accelbrainbase.iteratabledata._mxnet._batches import (apply_noise, check_batch_size_fits, count_iterations,
                                                           make_rng)
from accelbrainbase.iteratabledata._mxnet._sequences import ColumnScaler, WindowData, check_length, check_path
from accelbrainbase.iteratabledata.labeled_image_iterator import LabeledImageIterator as _Base
from accelbrainbase.noiseable_data import NoiseableData

PathLike = Union[str, os.PathLike]


def read_rows(extractor: UnlabeledCSVExtractor, path: str, name: str) -> np.ndarray:
    """All rows of the CSV at ``path`` as finite float64 ``(N, D)``."""
    rows = np.asarray(extractor.extract(path))
    if rows.ndim != 2:
        raise ValueError("%s=%r must hold a table (rows x columns), got shape %s." % (name, path, rows.shape))
    try:
        rows = rows.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError("%s=%r holds non-numeric cells." % (name, path)) from None
    return check_finite_array(rows, "%s=%r" % (name, path))


class UnlabeledSequentialCSVIterator(_Base):
    """Yield ``(x, x, test_x, test_x)`` windows ``(B, seq_len, D)`` of CSV rows.

    Args:
        unlabeled_csv_extractor: an ``UnlabeledCSVExtractor`` (all columns are features).
        train_csv_path: CSV with a header row; one row per time step.
        test_csv_path: CSV with the same columns, or ``None`` to reuse the training file.
        epochs: passes over the training windows (int >= 1).
        batch_size: windows per batch (1 .. number of training windows).
        seq_len: rows per window (>= 1).
        norm_mode: ``"z_score"`` or ``"min_max"`` per column with the training file's
            statistics; ``"none"`` or ``None`` leaves the values unchanged; anything else is a
            ``ValueError``.
        scale: factor applied after normalising.
        noiseable_data: a ``NoiseableData`` applied to training windows only, or ``None``.
        ctx: context holding the data and the batches (default: GPU if present, else CPU).
        seed: seed of the iterator's random generator (``None``: random).

    Attributes:
        iter_n: batches per ``generate_learned_samples()`` run,
            ``int(epochs * max(n_train_windows / batch_size, 1))``.
        scaler: the fitted :class:`ColumnScaler` (``scaler.transform(raw_rows)`` normalises
            other data the same way; ``scaler.inverse_transform`` undoes it).
        train_rows, test_rows: the normalised rows ``(N, D)`` (numpy float32).
    """

    def __init__(self, unlabeled_csv_extractor: UnlabeledCSVExtractor, train_csv_path: PathLike,
                 test_csv_path: Optional[PathLike], epochs: int = 300, batch_size: int = 20, seq_len: int = 10,
                 norm_mode: Optional[str] = "z_score", scale: float = 1.0,
                 noiseable_data: Optional[NoiseableData] = None, ctx: mx.Context = DEFAULT_CTX,
                 seed: Optional[int] = None) -> None:
        check_type(unlabeled_csv_extractor, UnlabeledCSVExtractor, "unlabeled_csv_extractor")
        check_type(noiseable_data, NoiseableData, "noiseable_data", allow_none=True)
        self.epochs, self.batch_size, self.seq_len = epochs, batch_size, seq_len
        self.norm_mode, self.scale = norm_mode, scale
        self.noiseable_data = noiseable_data
        self.ctx = first_ctx(resolve_ctx(ctx, "ctx"))
        self.rng = make_rng(seed)
        train_csv_path = check_path(train_csv_path, "train_csv_path")
        train = read_rows(unlabeled_csv_extractor, train_csv_path, "train_csv_path")
        if test_csv_path is None:
            test_csv_path, test = train_csv_path, train
        else:
            test_csv_path = check_path(test_csv_path, "test_csv_path")
            test = read_rows(unlabeled_csv_extractor, test_csv_path, "test_csv_path")
        if test.shape[1] != train.shape[1]:
            raise ValueError("test_csv_path=%r has %d columns but train_csv_path=%r has %d."
                             % (test_csv_path, test.shape[1], train_csv_path, train.shape[1]))
        check_length(len(train), self.seq_len, train_csv_path, "train_csv_path")
        check_length(len(test), self.seq_len, test_csv_path, "test_csv_path")
        self.scaler = ColumnScaler(norm_mode, self.scale).fit(train)
        self.train_rows, self.test_rows = self.scaler.transform(train), self.scaler.transform(test)
        self._data = WindowData(self.train_rows, [len(train)], self.test_rows, [len(test)], self.seq_len, self.ctx)
        self.dataset_size = len(self._data.train_starts)
        check_batch_size_fits(self.batch_size, self.dataset_size, "the windows of train_csv_path")
        self.iter_n = count_iterations(self.epochs, self.dataset_size, self.batch_size)

    def generate_learned_samples(self) -> Iterator[tuple]:
        """Yield ``iter_n`` tuples ``(x, x, test_x, test_x)``, each ``(B, seq_len, D)`` float32 on ``ctx``.

        ``x`` is noised when ``noiseable_data`` is set (the same object is the target)."""
        for _, x, test_x in self._data.learned(self.rng, self.batch_size, self.iter_n):
            x = apply_noise(self.noiseable_data, x)
            yield x, x, test_x, test_x

    def generate_test_samples(self) -> Iterator[tuple]:
        """The whole test split once, in order, for the engine's per-epoch evaluation: tuples in
        the layout of ``generate_learned_samples()`` whose blocks have ``batch_size`` rows (the last
        may be shorter)."""
        for windows in self._data.inferenced(self.batch_size):
            yield windows, windows, windows, windows

    def generate_inferenced_samples(self) -> Iterator[tuple]:
        """Yield ``(None, None, batch (b, seq_len, D), None)`` over every test window in order."""
        for batch in self._data.inferenced(self.batch_size):
            yield None, None, batch, None
