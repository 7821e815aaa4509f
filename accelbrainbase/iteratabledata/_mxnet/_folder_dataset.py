"""Scan image folders, decode every file once, and keep the result in memory and on a device.

The reference decoded every PNG again at every training step (about 93% of a step's time).
Here a folder list is decoded once, when the iterator is built, into one ``uint8`` array
``(N, C, H, W)``; the per-image normalisation is applied to all images at once and the float32
result is placed on the context as one NDArray, from which batches are gathered with
``nd.take``. Bad folders and files raise ``ValueError`` naming the path before any training.

Scanning rules: each directory is listed non-recursively; sub-directories and hidden entries
(names starting with ``.``, e.g. ``.DS_Store``) are skipped; files are sorted by name; the
directory list is sorted on a copy (the caller's list is never modified).
"""
from __future__ import annotations

import os
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import mxnet as mx
import numpy as np

from accelbrainbase._mxnet.checks import check_type
from accelbrainbase.extractabledata._mxnet.image_extractor import ImageExtractor as _MxImageExtractor
from accelbrainbase.extractabledata.image_extractor import ImageExtractor
from accelbrainbase.iteratabledata._base import normalize_array
from accelbrainbase.iteratabledata._mxnet._batches import index_blocks

_FAST_EXTRACTS = (ImageExtractor.extract, _MxImageExtractor.extract)


def check_image_extractor(value, name: str = "image_extractor") -> ImageExtractor:
    """Raise ``TypeError`` unless ``value`` is an (neutral or mxnet) ``ImageExtractor``."""
    return check_type(value, ImageExtractor, name)


def check_dir_list(dir_list, name: str = "dir_list", allow_none: bool = False) -> Optional[List[str]]:
    """Raise ``TypeError`` unless ``dir_list`` is a list of path strings, ``ValueError`` when it is
    empty or names one directory twice (also as ``a`` and ``a/`` or through a link); return a
    sorted copy."""
    if dir_list is None and allow_none:
        return None
    if not isinstance(dir_list, list):
        raise TypeError("%s must be a list of directory paths%s, not %s."
                        % (name, " or None" if allow_none else "", type(dir_list).__name__))
    for i, path in enumerate(dir_list):
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError("%s[%d] must be a directory path (str), not %s."
                            % (name, i, type(path).__name__))
    if not dir_list:
        raise ValueError("%s is empty; give at least one directory." % name)
    seen = {}
    for i, path in enumerate(dir_list):
        key = os.path.normcase(os.path.realpath(os.fspath(path)))
        if key in seen:
            raise ValueError(
                "%s lists the directory %r twice (%s[%d] and %s[%d]); each directory is one class, so the "
                "same files would get two contradictory labels." % (name, os.fspath(path), name, seen[key], name, i))
        seen[key] = i
    return sorted(os.fspath(p) for p in dir_list)


def list_image_files(directory: str, name: str = "dir_list") -> List[str]:
    """Sorted paths of the (non-hidden) files directly inside ``directory``."""
    if not os.path.isdir(directory):
        raise ValueError("%s: directory %r does not exist." % (name, directory))
    files = sorted(
        entry for entry in os.listdir(directory)
        if not entry.startswith(".") and os.path.isfile(os.path.join(directory, entry))
    )
    if not files:
        raise ValueError("%s: directory %r contains no files." % (name, directory))
    return [os.path.join(directory, entry) for entry in files]


def scan_image_dirs(dir_list: List[str], name: str = "dir_list") -> Tuple[List[str], List[List[str]]]:
    """Validate ``dir_list`` and list its files.

    Returns:
        ``(sorted_dirs, file_lists)``: a sorted copy of ``dir_list`` and, per directory, the
        sorted file paths.
    """
    dirs = check_dir_list(dir_list, name)
    return dirs, [list_image_files(d, name) for d in dirs]


def _decoder(image_extractor: ImageExtractor) -> Tuple[Callable[[str], np.ndarray], bool]:
    """``(decode, fast)``: numpy decoding for our extractors (``fast``); a subclass that
    overrides ``extract`` is honoured (its output is copied to numpy)."""
    if type(image_extractor).extract in _FAST_EXTRACTS:
        return image_extractor.decode_array, True

    def decode(path: str) -> np.ndarray:
        arr = image_extractor.extract(path)
        return arr.asnumpy() if isinstance(arr, mx.nd.NDArray) else np.asarray(arr)

    return decode, False


def decode_image_files(image_extractor: ImageExtractor, paths: Sequence[str]) -> np.ndarray:
    """Decode ``paths`` into one array ``(N, C, H, W)`` (uint8 for our extractors; float32 once a
    16-bit file, decoded at full precision on the 0..255 scale, is among them).

    Every image must have the shape ``(channel, height, width)`` of ``image_extractor``
    (for a subclass that overrides ``extract``: the shape of the first image); otherwise a
    ``ValueError`` names the file and both shapes.
    """
    decode, fast = _decoder(image_extractor)
    out: Optional[np.ndarray] = None
    for i, path in enumerate(paths):
        arr = decode(path)
        if out is None:
            if fast:
                expected = (image_extractor.channel, image_extractor.height, image_extractor.width)
            else:
                expected = arr.shape
            out = np.empty((len(paths),) + tuple(expected), dtype=np.uint8 if fast else arr.dtype)
        if arr.shape != out.shape[1:]:
            raise ValueError(
                "Image file %r decodes to shape %s, but %s was expected (C, H, W) from "
                "image_extractor (channel=%d, height=%d, width=%d); all images must have the same "
                "shape: convert the file (e.g. RGBA or grayscale to RGB) or change channel."
                % (path, tuple(arr.shape), tuple(out.shape[1:]), image_extractor.channel,
                   image_extractor.height, image_extractor.width)
            )
        if arr.dtype.kind == "f" and out.dtype.kind != "f":
            out = out.astype(np.float32)  # keep a 16-bit file's precision
        out[i] = arr
    return out


class ImageFolderDataset:
    """The decoded images of a list of folders (one class, or one video, per folder).

    Args:
        image_extractor: decodes each file (``channel``, ``height``, ``width`` fix the shape).
        dir_list: directories to scan; not modified (a sorted copy is used).
        name: the argument name used in error messages.

    Attributes:
        dir_list: sorted copy of the directories.
        file_lists: per directory, the sorted file paths.
        paths: all file paths, directory by directory (index ``i`` matches ``images[i]``).
        labels: ``(N,)`` int64 index of each file's directory in ``dir_list``.
        offsets: ``(n_dirs + 1,)`` start of each directory's files in ``paths`` (and the end).
        images: ``(N, C, H, W)`` decoded pixels (uint8 for our extractors), host memory.
    """

    def __init__(self, image_extractor: ImageExtractor, dir_list: List[str],
                 name: str = "dir_list") -> None:
        check_image_extractor(image_extractor)
        self.dir_list, self.file_lists = scan_image_dirs(dir_list, name)
        self.paths = [p for files in self.file_lists for p in files]
        counts = np.array([len(files) for files in self.file_lists], dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(counts)])
        self.labels = np.repeat(np.arange(len(self.dir_list), dtype=np.int64), counts)
        self.images = decode_image_files(image_extractor, self.paths)
        self._device: Dict[tuple, mx.nd.NDArray] = {}

    @property
    def size(self) -> int:
        """Number of images ``N``."""
        return len(self.paths)

    @property
    def n_dirs(self) -> int:
        """Number of directories (classes)."""
        return len(self.dir_list)

    @property
    def sample_shape(self) -> Tuple[int, ...]:
        """Shape of one image ``(C, H, W)``."""
        return tuple(self.images.shape[1:])

    def normalized(self, norm_mode: Optional[str], scale: float) -> np.ndarray:
        """All images as float32, each normalised separately (``pre_normalize`` per image)."""
        return normalize_array(self.images.astype(np.float32), norm_mode, scale, per_sample=True)

    def device_images(self, norm_mode: Optional[str], scale: float, ctx: mx.Context) -> mx.nd.NDArray:
        """``(N, C, H, W)`` float32 NDArray on ``ctx``, normalised per image.

        Computed once per ``(norm_mode, scale, ctx)`` and cached."""
        key = ("images", norm_mode, float(scale), str(ctx))
        if key not in self._device:
            self._device = {k: v for k, v in self._device.items() if k[0] != "images"}
            self._device[key] = mx.nd.array(self.normalized(norm_mode, scale), ctx=ctx, dtype="float32")
        return self._device[key]

    def device_one_hot(self, ctx: mx.Context, depth: Optional[int] = None) -> mx.nd.NDArray:
        """``(N, depth)`` float32 one-hot directory labels on ``ctx`` (``depth``: ``n_dirs``)."""
        depth = self.n_dirs if depth is None else depth
        key = ("one_hot", depth, str(ctx))
        if key not in self._device:
            labels = mx.nd.array(self.labels, ctx=ctx, dtype="int32")
            self._device[key] = mx.nd.one_hot(labels, depth)
        return self._device[key]


def load_train_test(image_extractor: ImageExtractor, dir_list: List[str],
                    test_dir_list: Optional[List[str]]) -> Tuple[ImageFolderDataset, ImageFolderDataset]:
    """Validate and decode the training folders and the test folders (``None`` → the training ones)."""
    check_image_extractor(image_extractor)
    check_dir_list(dir_list, "dir_list")
    check_dir_list(test_dir_list, "test_dir_list", allow_none=True)
    train = ImageFolderDataset(image_extractor, dir_list, "dir_list")
    if test_dir_list is None:
        return train, train
    return train, ImageFolderDataset(image_extractor, test_dir_list, "test_dir_list")


def generate_image_inference(dataset: ImageFolderDataset, batch_size: int, norm_mode: Optional[str],
                             scale: float, ctx: mx.Context,
                             rng: np.random.RandomState) -> Iterator[tuple]:
    """Image-style inference: every image once, in shuffled order, in blocks of ``batch_size``.

    Yields ``(None, None, batch (B, C, H, W) NDArray on ctx, file_path_list)``; unlike the
    reference, the trailing partial block is yielded too, so every file is inferred.
    """
    images = dataset.device_images(norm_mode, scale, ctx)
    order = rng.permutation(dataset.size)
    for block, block_nd in index_blocks(order, batch_size, ctx):
        yield None, None, mx.nd.take(images, block_nd), [dataset.paths[i] for i in block]
