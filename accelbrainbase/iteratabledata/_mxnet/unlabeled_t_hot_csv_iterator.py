"""Windows of integer-coded CSV rows as one-hot ("t-hot") tensors ``(B, seq_len, n_columns, vocab)``.

Repairs and differences from the reference (contract §3b.4):

* one vocabulary for all files: codes are shifted by the smallest value of all training files
  and one-hot encoded with ``vocab_size = max - min + 1`` over the training files (the
  reference used a per-file range, so files with different ranges gave batches of different
  widths); a test value outside that range is an unknown token and raises ``ValueError`` naming
  the test file;
* batch-major layout, windows never cross file boundaries, every window drawn once per pass
  (seeded), stable batch shapes; noise on the training windows only;
* inference yields every window of every test file (the reference overwrote its source array
  and only its first window was meaningful), batches never mixing two files;
* files with fewer than ``seq_len`` rows, non-integer / NaN / non-numeric cells, files with
  different column counts raise ``ValueError`` naming the file; so does a training code range
  more than ``max(4 x distinct codes, 1024)`` wide (a typo would make every one-hot that wide).

``norm_mode`` is applied to each batch as a whole, as in the reference; every (time, column)
cell of a one-hot batch holds exactly one 1, so these statistics are the same for every batch
and the normalisation is a fixed affine map.
"""
from __future__ import annotations

from typing import Iterator, List, Optional

import mxnet as mx
import numpy as np

from accelbrainbase._mxnet.checks import check_type
from accelbrainbase._mxnet.context import DEFAULT_CTX, first_ctx, resolve_ctx
from accelbrainbase.extractabledata.unlabeled_csv_extractor import UnlabeledCSVExtractor
from accelbrainbase.iteratabledata._mxnet._batches import (apply_noise, check_batch_size_fits, count_iterations,
                                                           make_rng)
from accelbrainbase.iteratabledata._mxnet._sequences import WindowData, check_length, check_path_list
from accelbrainbase.iteratabledata._mxnet.unlabeled_sequential_csv_iterator import read_rows
from accelbrainbase.iteratabledata.labeled_image_iterator import LabeledImageIterator as _Base
from accelbrainbase.noiseable_data import NoiseableData


def _read_codes(extractor, paths: List[str], name: str, seq_len: int) -> List[np.ndarray]:
    tables = []
    for i, path in enumerate(paths):
        rows = read_rows(extractor, path, "%s[%d]" % (name, i))
        if not np.array_equal(rows, np.round(rows)):
            raise ValueError("%s[%d]=%r holds non-integer values; t-hot encoding needs integer codes."
                             % (name, i, path))
        check_length(len(rows), seq_len, path, "%s[%d]" % (name, i))
        if tables and rows.shape[1] != tables[0].shape[1]:
            raise ValueError("%s[%d]=%r has %d columns, the first training file has %d."
                             % (name, i, path, rows.shape[1], tables[0].shape[1]))
        tables.append(rows.astype(np.int64))
    return tables


def _check_code_range(tables: List[np.ndarray], paths: List[str], name: str) -> None:
    """Refuse a code range far wider than the codes that occur (a typo such as 5,000,000 among codes
    0..9 would make every cell a 5,000,001-wide one-hot); names the file, row and value."""
    codes = np.unique(np.concatenate([table.ravel() for table in tables]))
    width = int(codes[-1] - codes[0]) + 1
    if width <= max(4 * len(codes), 1024):
        return
    median = np.median(codes)
    value = codes[-1] if codes[-1] - median >= median - codes[0] else codes[0]
    for i, table in enumerate(tables):
        rows = np.flatnonzero((table == value).any(axis=1))
        if len(rows):
            raise ValueError(
                "%s[%d]=%r: code %d at data row %d stretches the one-hot vocabulary to %d columns (codes "
                "%d..%d) although only %d distinct codes occur; t-hot codes must be a compact range of "
                "integers. Is it a typo?" % (name, i, paths[i], value, int(rows[0]), width, codes[0], codes[-1],
                                              len(codes)))


class UnlabeledTHotCSVIterator(_Base):
    """Yield ``(x, x, test_x, test_x)`` one-hot windows ``(B, seq_len, n_columns, vocab_size)``.

    Args:
        unlabeled_csv_extractor: an ``UnlabeledCSVExtractor``.
        train_csv_path_list: CSV files of integer codes, one row per time step (not modified).
        test_csv_path_list: test files with the same columns, or ``None`` to reuse the
            training files.
        epochs: passes over the training windows (int >= 1).
        batch_size: windows per batch (1 .. number of training windows).
        seq_len: rows per window (>= 1).
        norm_mode: ``"z_score"`` / ``"min_max"`` over each batch, or ``"none"``/``None`` for raw
            one-hots (anything else is a ``ValueError``).
        scale: factor applied after normalising.
        noiseable_data: a ``NoiseableData`` applied to training windows only, or ``None``.
        ctx: context holding the data and the batches (default: GPU if present, else CPU).
        seed: seed of the iterator's random generator (``None``: random).

    Attributes:
        iter_n: batches per learning run; ``dataset_size``: number of training windows;
        token_offset: the smallest training code (code ``token_offset + k`` is one-hot ``k``);
        vocab_size: number of distinct codes in the training range.
    """

    def __init__(self, unlabeled_csv_extractor: UnlabeledCSVExtractor, train_csv_path_list: List[str],
                 test_csv_path_list: Optional[List[str]], epochs: int = 300, batch_size: int = 20,
                 seq_len: int = 10, norm_mode: Optional[str] = "z_score", scale: float = 1.0,
                 noiseable_data: Optional[NoiseableData] = None, ctx: mx.Context = DEFAULT_CTX,
                 seed: Optional[int] = None) -> None:
        check_type(unlabeled_csv_extractor, UnlabeledCSVExtractor, "unlabeled_csv_extractor")
        check_type(noiseable_data, NoiseableData, "noiseable_data", allow_none=True)
        self.epochs, self.batch_size, self.seq_len = epochs, batch_size, seq_len
        self.norm_mode, self.scale = norm_mode, scale
        self.noiseable_data = noiseable_data
        self.ctx = first_ctx(resolve_ctx(ctx, "ctx"))
        self.rng = make_rng(seed)
        train_paths = check_path_list(train_csv_path_list, "train_csv_path_list")
        test_paths = check_path_list(test_csv_path_list, "test_csv_path_list", allow_none=True)
        train = _read_codes(unlabeled_csv_extractor, train_paths, "train_csv_path_list", self.seq_len)
        if test_paths is None:
            test_paths, test = train_paths, train
        else:
            test = _read_codes(unlabeled_csv_extractor, test_paths, "test_csv_path_list", self.seq_len)
        _check_code_range(train, train_paths, "train_csv_path_list")
        low = min(int(t.min()) for t in train)
        high = max(int(t.max()) for t in train)
        for i, (path, table) in enumerate(zip(test_paths, test)):
            if table.shape[1] != train[0].shape[1]:
                raise ValueError("test_csv_path_list[%d]=%r has %d columns, the training files have %d."
                                 % (i, path, table.shape[1], train[0].shape[1]))
            unknown = np.unique(table[(table < low) | (table > high)])
            if len(unknown):
                raise ValueError("test_csv_path_list[%d]=%r holds codes %s outside the training range %d..%d "
                                 "(unknown tokens)." % (i, path, unknown[:10].tolist(), low, high))
        self.token_offset, self.vocab_size = low, high - low + 1
        self._data = WindowData(np.concatenate(train) - low, [len(t) for t in train],
                                np.concatenate(test) - low, [len(t) for t in test], self.seq_len, self.ctx)
        self.dataset_size = len(self._data.train_starts)
        check_batch_size_fits(self.batch_size, self.dataset_size, "the windows of train_csv_path_list")
        self.iter_n = count_iterations(self.epochs, self.dataset_size, self.batch_size)

    def _encode(self, codes: mx.nd.NDArray) -> mx.nd.NDArray:
        """``(B, T, C)`` codes → normalised ``(B, T, C, vocab_size)`` one-hots."""
        return self.pre_normalize(mx.nd.one_hot(codes, self.vocab_size))

    def generate_learned_samples(self) -> Iterator[tuple]:
        """Yield ``iter_n`` tuples ``(x, x, test_x, test_x)`` of float32 one-hot windows on ``ctx``."""
        for _, x, test_x in self._data.learned(self.rng, self.batch_size, self.iter_n):
            x = apply_noise(self.noiseable_data, self._encode(x))
            test_x = self._encode(test_x)
            yield x, x, test_x, test_x

    def generate_test_samples(self) -> Iterator[tuple]:
        """The whole test split once, in order, for the engine's per-epoch evaluation: tuples in
        the layout of ``generate_learned_samples()`` whose blocks have ``batch_size`` rows (the last
        may be shorter)."""
        for windows in self._data.inferenced(self.batch_size):
            encoded = self._encode(windows)
            yield encoded, encoded, encoded, encoded

    def generate_inferenced_samples(self) -> Iterator[tuple]:
        """Yield ``(None, None, batch, None)`` over every window of each test file, in order."""
        for batch in self._data.inferenced(self.batch_size, per_source=True):
            yield None, None, self._encode(batch), None
