"""Decode one image file into a ``(C, H, W)`` uint8 numpy array (backend-neutral).

Behaviour (contract §3b.1): the file is opened with PIL and resized to ``(width, height)``;
``channel == 1`` converts to grayscale; otherwise the decoded channels are kept as they are
(an RGBA file keeps 4 channels, no RGB conversion is forced).

Differences from the reference, all about bad input:

* a file PIL cannot read raises ``ValueError`` naming the file (instead of a PIL error);
* a single-band file (grayscale or palette) read with ``channel`` 3 or 4 comes back as
  ``(1, H, W)`` instead of failing inside a transpose, so callers that stack images (the
  image iterators) can report the file and its shape next to the expected one.
"""
from __future__ import annotations

import numpy as np
from PIL import Image, UnidentifiedImageError

from accelbrainbase._mxnet.checks import check_int
from accelbrainbase.extractable_data import ExtractableData


class ImageExtractor(ExtractableData):
    """Read image files as ``numpy.uint8`` arrays of shape ``(channel, height, width)``.

    Args:
        width: output width in pixels (every image is resized to it).
        height: output height in pixels.
        channel: 1 for grayscale; 3 or 4 to keep the file's own colour bands.
    """

    __width = 128
    __height = 96
    __channel = 3

    def __init__(self, width: int, height: int, channel: int) -> None:
        self.width = width
        self.height = height
        self.channel = channel

    @property
    def width(self) -> int:
        """Output width in pixels."""
        return self.__width

    @width.setter
    def width(self, value: int) -> None:
        self.__width = check_int(value, "width", minimum=1)

    @property
    def height(self) -> int:
        """Output height in pixels."""
        return self.__height

    @height.setter
    def height(self, value: int) -> None:
        self.__height = check_int(value, "height", minimum=1)

    @property
    def channel(self) -> int:
        """Number of channels: 1 converts to grayscale, otherwise the file's bands are kept."""
        return self.__channel

    @channel.setter
    def channel(self, value: int) -> None:
        self.__channel = check_int(value, "channel", minimum=1)

    def extract(self, path: str) -> np.ndarray:
        """Decode the image at ``path``.

        Args:
            path: path of an image file PIL can read.

        Returns:
            ``numpy.uint8`` array of shape ``(C, height, width)``: ``C == 1`` when
            ``channel == 1`` (or the file has a single band), else the file's band count.

        Raises:
            ValueError: the file does not exist or is not a readable image.
        """
        return self.decode_array(path)

    def decode_array(self, path: str) -> np.ndarray:
        """The numpy decoding used by :meth:`extract` (the mxnet subclass wraps it).

        Image iterators call this directly to build their in-memory cache, so the mxnet
        extractor's device copy is skipped.
        """
        try:
            with Image.open(path) as img:
                if img.size != (self.width, self.height):
                    img = img.resize((self.width, self.height))
                if self.channel == 1 and img.mode != "L":
                    img = img.convert("L")
                arr = np.asarray(img, dtype=np.uint8)
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
            raise ValueError("Cannot read the image file %r: %s" % (path, exc)) from exc
        if arr.ndim == 2:
            return arr[np.newaxis, :, :].copy()
        return np.ascontiguousarray(arr.transpose((2, 0, 1)))
