"""Unlabeled mini-batches from CSV files (every column is a feature).

Same reading, checks, sampling and inference as
:mod:`accelbrainbase.iteratabledata._mxnet.labeled_csv_iterator` (see its repairs), without
labels; inference batches are normalised like the training batches (the reference did not
normalise them and skipped the first and last blocks).
"""
from __future__ import annotations

from typing import Iterator, Optional, Tuple

import mxnet as mx

from accelbrainbase._mxnet.checks import check_type
from accelbrainbase._mxnet.context import DEFAULT_CTX, first_ctx, resolve_ctx
from accelbrainbase.extractabledata.unlabeled_csv_extractor import UnlabeledCSVExtractor
from accelbrainbase.iteratabledata._mxnet._batches import check_shard, count_iterations, rows_per_worker
from accelbrainbase.iteratabledata._mxnet._table_data import (
    TableTrainTest, as_feature_matrix, check_csv_path,
)
from accelbrainbase.iteratabledata.labeled_image_iterator import LabeledImageIterator as _Base
from accelbrainbase.noiseable_data import NoiseableData


class UnlabeledCSVIterator(_Base):
    """Yield ``(x, x, test_x, test_x)`` with ``x`` of shape ``(B, D)`` from CSV files.

    Args:
        unlabeled_csv_extractor: an ``UnlabeledCSVExtractor``.
        train_csv_path: training CSV file (header row, ``D`` numeric columns).
        test_csv_path: test CSV file with ``D`` columns, or ``None`` to reuse the training file.
        epochs: number of passes over the training rows (int >= 1).
        batch_size: rows per batch (1 ..number of training rows).
        norm_mode: ``"z_score"`` or ``"min_max"`` over each whole batch; ``"none"`` or ``None``
            leaves values unchanged; anything else is a ``ValueError``.
        scale: factor applied after normalisation.
        noiseable_data: a ``NoiseableData`` applied to the training input, or ``None``; the
            same noised array is yielded as input and target.
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

    def __init__(self, unlabeled_csv_extractor: UnlabeledCSVExtractor, train_csv_path: str,
                 test_csv_path: Optional[str], epochs: int = 300, batch_size: int = 20,
                 norm_mode: Optional[str] = "z_score", scale: float = 1.0,
                 noiseable_data: Optional[NoiseableData] = None, ctx: mx.Context = DEFAULT_CTX,
                 seed: Optional[int] = None, shard: Optional[Tuple[int, int]] = None) -> None:
        check_type(unlabeled_csv_extractor, UnlabeledCSVExtractor, "unlabeled_csv_extractor")
        check_csv_path(train_csv_path, "train_csv_path")
        check_csv_path(test_csv_path, "test_csv_path", allow_none=True)
        check_type(noiseable_data, NoiseableData, "noiseable_data", allow_none=True)
        self.epochs = epochs
        self.batch_size = batch_size
        self.norm_mode = norm_mode
        self.scale = scale
        self.shard = check_shard(shard)
        ctx = first_ctx(resolve_ctx(ctx, "ctx"))
        train_x = as_feature_matrix(unlabeled_csv_extractor.extract(train_csv_path), train_csv_path)
        if test_csv_path is None:
            test_x = train_x
        else:
            test_x = as_feature_matrix(unlabeled_csv_extractor.extract(test_csv_path), test_csv_path)
        self.__data = TableTrainTest(train_x, test_x, None, None, batch_size, noiseable_data, ctx,
                                     seed, "train_csv_path=%r" % (train_csv_path,), shard=self.shard)
        self.iter_n = count_iterations(epochs, rows_per_worker(train_x.shape[0], self.shard), batch_size)

    def generate_learned_samples(self) -> Iterator[tuple]:
        """Yield ``iter_n`` tuples ``(x, x, test_x, test_x)``: ``(B, D)`` float32, normalised per
        batch."""
        yield from self.__data.learned(self.batch_size, self.iter_n, self.pre_normalize)

    def generate_test_samples(self) -> Iterator[tuple]:
        """The whole test split once, in order, for the engine's per-epoch evaluation: tuples in
        the layout of ``generate_learned_samples()`` whose blocks have ``batch_size`` rows (the last
        may be shorter)."""
        return self.__data.tested(self.batch_size, self.pre_normalize)

    def generate_inferenced_samples(self) -> Iterator[tuple]:
        """Yield ``(None, None, rows (B, D), None)`` for consecutive test blocks (last one partial)."""
        yield from self.__data.inferenced(self.batch_size, self.pre_normalize)
