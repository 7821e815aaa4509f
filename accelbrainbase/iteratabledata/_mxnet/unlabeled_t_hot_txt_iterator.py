"""Windows of characters of text files as one-hot tensors ``(B, 1, seq_len, vocab)``.

Repairs and differences from the reference (contract §3b.4):

* the vocabulary ``token_list`` is the **sorted** set of training characters, so it is the same
  in every process (the reference used ``list(set(...))``);
* test text must be covered by ``token_list``: an unknown character raises ``ValueError``
  naming the file and the characters (assign a larger ``token_list`` to accept them);
* texts are read once (UTF-8) and kept as character codes on ``ctx``; windows never cross file
  boundaries; every window is drawn once per pass (seeded); noise on training windows only;
* inference yields every window start ``0 .. len - seq_len`` of each test file (the reference
  skipped the last), batches never mixing two files, the last batch possibly shorter;
* a missing, undecodable or empty file, or one shorter than ``seq_len`` characters, raises
  ``ValueError`` naming it.

``norm_mode`` is applied per batch as in the reference; each time step of a one-hot batch
holds exactly one 1, so this is the same affine map for every batch.
"""
from __future__ import annotations

from typing import Iterator, List, Optional, Sequence

import mxnet as mx
import numpy as np

from accelbrainbase._mxnet.checks import check_int, check_type
from accelbrainbase._mxnet.context import DEFAULT_CTX, first_ctx, resolve_ctx
from accelbrainbase.iteratabledata._mxnet._batches import (apply_noise, check_batch_size_fits, count_iterations,
                                                           make_rng)
from accelbrainbase.iteratabledata._mxnet._sequences import WindowData, check_length, check_path_list
from accelbrainbase.iteratabledata.unlabeled_image_iterator import UnlabeledImageIterator as _Base
from accelbrainbase.noiseable_data import NoiseableData


def _read_texts(paths: List[str], name: str, seq_len: int) -> List[str]:
    texts = []
    for i, path in enumerate(paths):
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError) as error:
            raise ValueError("%s[%d]=%r could not be read as UTF-8 text: %s" % (name, i, path, error)) from None
        if not text:
            raise ValueError("%s[%d]=%r is empty." % (name, i, path))
        check_length(len(text), seq_len, path, "%s[%d]" % (name, i), unit="characters")
        texts.append(text)
    return texts


class UnlabeledTHotTXTIterator(_Base):
    """Yield ``(x, x, test_x, test_x)`` character one-hot windows ``(B, 1, seq_len, len(token_list))``.

    Args:
        train_txt_path_list: UTF-8 text files (not modified).
        test_txt_path_list: test files, or ``None`` to reuse the training files.
        epochs: number of epochs (int >= 1).
        batch_size: windows per batch (1 .. number of training windows).
        seq_len: characters per window (>= 1).
        norm_mode: ``"z_score"`` / ``"min_max"`` over each batch, or ``"none"``/``None`` for raw
            one-hots (anything else is a ``ValueError``).
        scale: factor applied after normalising.
        noiseable_data: a ``NoiseableData`` applied to training windows only, or ``None``.
        dataset_size: samples per epoch for ``iter_n``; ``None``: number of training characters.
        ctx: context holding the data and the batches (default: GPU if present, else CPU).
        seed: seed of the iterator's random generator (``None``: random).
    """

    def __init__(self, train_txt_path_list: List[str], test_txt_path_list: Optional[List[str]] = None,
                 epochs: int = 300, batch_size: int = 20, seq_len: int = 10, norm_mode: Optional[str] = "z_score",
                 scale: float = 1.0, noiseable_data: Optional[NoiseableData] = None,
                 dataset_size: Optional[int] = None, ctx: mx.Context = DEFAULT_CTX,
                 seed: Optional[int] = None) -> None:
        check_type(noiseable_data, NoiseableData, "noiseable_data", allow_none=True)
        self.epochs, self.batch_size, self.norm_mode, self.scale = epochs, batch_size, norm_mode, scale
        self.seq_len = check_int(seq_len, "seq_len", minimum=1)
        self.noiseable_data = noiseable_data
        self.ctx = first_ctx(resolve_ctx(ctx, "ctx"))
        self.rng = make_rng(seed)
        self._train_paths = check_path_list(train_txt_path_list, "train_txt_path_list")
        test_paths = check_path_list(test_txt_path_list, "test_txt_path_list", allow_none=True)
        self._train_texts = _read_texts(self._train_paths, "train_txt_path_list", self.seq_len)
        if test_paths is None:
            self._test_paths, self._test_texts = self._train_paths, self._train_texts
        else:
            self._test_paths = test_paths
            self._test_texts = _read_texts(test_paths, "test_txt_path_list", self.seq_len)
        self.pre_txt_arr = None
        self.token_list = sorted(set("".join(self._train_texts)))
        n_windows = len(self._data.train_starts)
        check_batch_size_fits(self.batch_size, n_windows, "the windows of train_txt_path_list")
        if dataset_size is None:
            dataset_size = sum(len(text) for text in self._train_texts)
        self.dataset_size = check_int(dataset_size, "dataset_size", minimum=1)
        self.iter_n = count_iterations(self.epochs, self.dataset_size, self.batch_size)

    # ------------------------------------------------------------------ vocabulary
    @property
    def token_list(self) -> List[str]:
        """The vocabulary: one-hot index ``k`` is ``token_list[k]`` (default: sorted characters)."""
        return list(self._token_list)

    @token_list.setter
    def token_list(self, value: Sequence[str]) -> None:
        if not isinstance(value, (list, tuple)) or not all(isinstance(t, str) and len(t) == 1 for t in value):
            raise TypeError("token_list must be a list of single characters.")
        if len(set(value)) != len(value):
            raise ValueError("token_list must not repeat a character.")
        index = {token: k for k, token in enumerate(value)}
        encoded = []
        for name, paths, texts in (("train_txt_path_list", self._train_paths, self._train_texts),
                                   ("test_txt_path_list", self._test_paths, self._test_texts)):
            for i, (path, text) in enumerate(zip(paths, texts)):
                unknown = sorted(set(text) - set(index))
                if unknown:
                    raise ValueError("token_list lacks characters %r of %s[%d]=%r (unknown tokens)."
                                     % ("".join(unknown[:20]), name, i, path))
            encoded.append([np.fromiter((index[ch] for ch in text), dtype=np.int64, count=len(text))
                            for text in texts])
        self._token_list = list(value)
        train, test = encoded
        self._data = WindowData(np.concatenate(train), [len(t) for t in train], np.concatenate(test),
                                [len(t) for t in test], self.seq_len, self.ctx)

    @property
    def token_arr(self) -> np.ndarray:
        """``np.array(token_list)`` (read-only)."""
        return np.array(self._token_list)

    @token_arr.setter
    def token_arr(self, value) -> None:
        self.set_readonly(value)

    @property
    def pre_txt_arr(self) -> Optional[np.ndarray]:
        """``None`` (random windows) or strings: sample ``i`` of a batch starts right after the
        first occurrence of ``pre_txt_arr[i]`` in the text it is drawn from (random when absent
        or too close to the end)."""
        return self._pre_txt_arr

    @pre_txt_arr.setter
    def pre_txt_arr(self, value) -> None:
        self._pre_txt_arr = None if value is None else np.asarray(value, dtype=object)

    # ------------------------------------------------------------------ batches
    def _encode(self, codes: mx.nd.NDArray) -> mx.nd.NDArray:
        """``(B, T)`` codes → normalised ``(B, 1, T, vocab)`` one-hots."""
        return self.pre_normalize(mx.nd.one_hot(codes, len(self._token_list)).expand_dims(axis=1))

    def _after_prefixes(self, starts: mx.nd.NDArray) -> mx.nd.NDArray:
        """Move each start to just after its ``pre_txt_arr`` entry in the same text."""
        starts = starts.asnumpy().astype(np.int64)
        bounds = np.cumsum([0] + [len(text) for text in self._train_texts])
        for i in range(min(len(starts), len(self._pre_txt_arr))):
            f = int(np.searchsorted(bounds, starts[i], side="right") - 1)
            text, prefix = self._train_texts[f], str(self._pre_txt_arr[i])
            found = text.find(prefix)
            begin = found + len(prefix)
            if found >= 0 and begin + self.seq_len <= len(text):
                starts[i] = bounds[f] + begin
        return mx.nd.array(starts, ctx=self.ctx, dtype="int32")

    def generate_learned_samples(self) -> Iterator[tuple]:
        """Yield ``iter_n`` tuples ``(x, x, test_x, test_x)`` of float32 one-hots on ``ctx``."""
        data = self._data
        for starts, x, test_x in data.learned(self.rng, self.batch_size, self.iter_n):
            if self._pre_txt_arr is not None:
                x = data.gather(data.train, self._after_prefixes(starts))
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
        """Yield ``(None, None, batch (b, 1, seq_len, vocab), None)`` over every test window."""
        for batch in self._data.inferenced(self.batch_size, per_source=True):
            yield None, None, self._encode(batch), None
