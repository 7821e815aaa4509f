"""Labeled mini-batches from CSV files (one row per sample, one label column).

Repairs and differences from the reference (contract §3b.4):

* the files are read once, checked (missing file, missing label column, NaN or non-numeric
  cells, labels that are not class indices, different column counts) and kept on ``ctx``;
* batches come from per-epoch shuffled permutations drawn by the iterator's own
  ``numpy.random.RandomState(seed)``; every batch has ``batch_size`` rows;
* the number of classes is ``max label + 1``, which may exceed the number of distinct labels
  (train and test) by at most one (so 1-based labels ``{1, 2}`` still work, but a typo such as
  5,000,000 in a 20-row file is a ``ValueError`` naming the row instead of millions of one-hot
  columns);
* ``generate_inferenced_samples`` yields every consecutive block of test rows, the last partial
  block included, as NDArrays on ``ctx`` normalised like the training batches (the reference
  returned raw numpy and skipped the first and last blocks);
* ``test_csv_path=None`` reuses the training file.
"""
from __future__ import annotations

from typing import Iterator, Optional, Tuple

import mxnet as mx

from accelbrainbase._mxnet.checks import check_type
from accelbrainbase._mxnet.context import DEFAULT_CTX, first_ctx, resolve_ctx
from accelbrainbase.extractabledata.labeled_csv_extractor import LabeledCSVExtractor
from accelbrainbase.iteratabledata._mxnet._batches import check_shard, count_iterations, rows_per_worker
from accelbrainbase.iteratabledata._mxnet._table_data import (
    TableTrainTest, as_class_indices, as_feature_matrix, check_csv_path,
)
from accelbrainbase.iteratabledata.labeled_image_iterator import LabeledImageIterator as _Base
from accelbrainbase.noiseable_data import NoiseableData


def _read(extractor: LabeledCSVExtractor, path: str):
    """``(rows (N, D) float32, labels (N,) int64)`` of ``path``, checked."""
    observed, labels = extractor.extract(path)
    observed = as_feature_matrix(observed, path)
    labels = as_class_indices(labels, path, extractor.label_column)
    if len(labels) != observed.shape[0]:
        raise ValueError("%r gave %d rows but %d labels." % (path, observed.shape[0], len(labels)))
    return observed, labels


class LabeledCSVIterator(_Base):
    """Yield ``(x (B, D), y (B, n_classes), test_x, test_y)`` from labeled CSV files.

    Args:
        labeled_csv_extractor: a ``LabeledCSVExtractor`` (its ``label_column`` names the labels,
            which must be integer class indices).
        train_csv_path: training CSV file (header row; ``D`` feature columns + the label column).
        test_csv_path: test CSV file with the same columns, or ``None`` to reuse the training file.
        epochs: number of passes over the training rows (int >= 1).
        batch_size: rows per batch (1 ..number of training rows).
        norm_mode: ``"z_score"`` or ``"min_max"`` over each whole batch; ``"none"`` or ``None``
            leaves values unchanged; anything else is a ``ValueError``.
        scale: factor applied after normalisation.
        noiseable_data: a ``NoiseableData`` applied to the training inputs only, or ``None``.
        ctx: context holding the data (default: GPU if present, else CPU; for a list of
            contexts, the first; the training engine splits batches across the list).
        seed: seed of the iterator's random generator (``None``: random).
        shard: ``(rank, num_workers)`` for data-parallel training on MXNet's parameter server
            (e.g. ``(kv.rank, kv.num_workers)``): this worker learns from training rows ``rank,
            rank + num_workers, ...``; every worker runs the same number of batches and sees the
            whole test file. ``None``: every row.

    Attributes:
        iter_n: batches per run, ``int(epochs * max(n_train_rows / batch_size, 1))``.
    """

    def __init__(self, labeled_csv_extractor: LabeledCSVExtractor, train_csv_path: str,
                 test_csv_path: Optional[str], epochs: int = 300, batch_size: int = 20,
                 norm_mode: Optional[str] = "z_score", scale: float = 1.0,
                 noiseable_data: Optional[NoiseableData] = None, ctx: mx.Context = DEFAULT_CTX,
                 seed: Optional[int] = None, shard: Optional[Tuple[int, int]] = None) -> None:
        check_type(labeled_csv_extractor, LabeledCSVExtractor, "labeled_csv_extractor")
        check_csv_path(train_csv_path, "train_csv_path")
        check_csv_path(test_csv_path, "test_csv_path", allow_none=True)
        check_type(noiseable_data, NoiseableData, "noiseable_data", allow_none=True)
        self.epochs = epochs
        self.batch_size = batch_size
        self.norm_mode = norm_mode
        self.scale = scale
        self.shard = check_shard(shard)
        ctx = first_ctx(resolve_ctx(ctx, "ctx"))
        train_x, train_labels = _read(labeled_csv_extractor, train_csv_path)
        if test_csv_path is None:
            test_x, test_labels = train_x, train_labels
        else:
            test_x, test_labels = _read(labeled_csv_extractor, test_csv_path)
        self.__data = TableTrainTest(train_x, test_x, train_labels, test_labels, batch_size,
                                     noiseable_data, ctx, seed, "train_csv_path=%r" % (train_csv_path,),
                                     "test_csv_path=%r" % (test_csv_path if test_csv_path is not None
                                                           else train_csv_path,), shard=self.shard)
        self.iter_n = count_iterations(epochs, rows_per_worker(train_x.shape[0], self.shard), batch_size)

    def generate_learned_samples(self) -> Iterator[tuple]:
        """Yield ``iter_n`` tuples ``(x, y, test_x, test_y)`` of float32 NDArrays on ``ctx``.

        ``x``, ``test_x``: ``(B, D)`` normalised per batch (``x`` noised); ``y``, ``test_y``:
        ``(B, n_classes)`` one-hot.
        """
        yield from self.__data.learned(self.batch_size, self.iter_n, self.pre_normalize)

    def generate_test_samples(self) -> Iterator[tuple]:
        """The whole test split once, in order, for the engine's per-epoch evaluation: tuples in
        the layout of ``generate_learned_samples()`` whose blocks have ``batch_size`` rows (the last
        may be shorter)."""
        return self.__data.tested(self.batch_size, self.pre_normalize)

    def generate_inferenced_samples(self) -> Iterator[tuple]:
        """Yield ``(None, None, rows (B, D), None)`` for consecutive test blocks (last one partial)."""
        yield from self.__data.inferenced(self.batch_size, self.pre_normalize)
