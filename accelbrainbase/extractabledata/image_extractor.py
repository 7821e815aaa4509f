"""Decode one image file into a ``(C, H, W)`` numpy array (backend-neutral).

Behaviour (contract §3b.1): the file is opened with PIL and resized to ``(width, height)``;
``channel == 1`` converts to grayscale; otherwise the decoded channels are kept as they are
(an RGBA file keeps 4 channels, no RGB conversion is forced). 8-bit files give ``uint8``.

Differences from the reference, all about input it decoded wrongly or not at all:

* a file PIL cannot read raises ``ValueError`` naming the file (instead of a PIL error);
* **16-bit grayscale** files (PNG, TIFF: PIL modes ``I;16*``, or ``I`` with values in
  0..65535) are decoded at full precision and scaled to the 8-bit range: ``float32`` values
  ``v * 255 / 65535`` in [0, 255] (the reference cast them to ``uint8``, which wrapped the
  values around and left a few grey levels). 16-bit **colour** files, which PIL can only reduce
  to 8 bits per channel, and other wide formats (32-bit integer or float images, whose range is
  unknown) are refused with a ``ValueError`` naming the file and saying how to convert it;
* **palette** (``P``/``PA``) and bilevel (``1``) files are converted through their palette before
  resizing: to ``L`` for ``channel == 1``, ``RGBA`` for ``channel == 4``, else ``RGB`` (the
  reference returned palette indices, or 0/1 for bilevel files);
* a **decompression bomb** (PIL's ``DecompressionBombWarning`` or ``DecompressionBombError``:
  more pixels than ``PIL.Image.MAX_IMAGE_PIXELS``) is a ``ValueError`` naming the file; raise
  that PIL limit deliberately to accept very large images;
* a single-band file (grayscale) read with ``channel`` 3 or 4 comes back as ``(1, H, W)``
  instead of failing inside a transpose, so callers that stack images (the image iterators) can
  report the file and its shape next to the expected one.
"""
from __future__ import annotations

import warnings

import numpy as np
from PIL import Image, UnidentifiedImageError

from accelbrainbase._mxnet.checks import check_int
from accelbrainbase.extractable_data import ExtractableData

#: PIL modes of single-band 16-bit images
_SIXTEEN_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N")
_SIXTEEN_BIT_MAX = 65535.0


class ImageDecodeError(ValueError):
    """An image file that cannot be decoded faithfully (the message names the file)."""


def _raw_mode(img: Image.Image) -> str:
    """The raw pixel layout PIL will decode (e.g. ``'RGB;16B'`` for a 16-bit colour PNG), or ''."""
    try:
        args = img.tile[0][3]
    except (IndexError, TypeError, AttributeError):
        return ""
    if isinstance(args, tuple):
        args = args[0] if args else ""
    return args if isinstance(args, str) else ""


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
            array of shape ``(C, height, width)``: ``C == 1`` when ``channel == 1`` (or the file
            has a single band), else the file's band count (palette files: 3, or 4 with
            ``channel == 4``). ``numpy.uint8`` for 8-bit files; ``float32`` scaled to [0, 255]
            for 16-bit grayscale files.

        Raises:
            ValueError: naming the file: it does not exist, is not a readable image, exceeds PIL's
                decompression-bomb limit, or is a 16-bit colour / 32-bit / floating-point image.
        """
        return self.decode_array(path)

    def decode_array(self, path: str) -> np.ndarray:
        """The numpy decoding used by :meth:`extract` (the mxnet subclass wraps it).

        Image iterators call this directly to build their in-memory cache, so the mxnet
        extractor's device copy is skipped.

        Returns:
            ``(C, height, width)``: ``uint8`` for 8-bit files, ``float32`` in [0, 255] for
            16-bit grayscale files.
        """
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(path) as img:
                    arr = self._decode(img, path)
        except ImageDecodeError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ValueError(
                "Image file %r is too large to decode safely (a possible decompression bomb; PIL's limit "
                "PIL.Image.MAX_IMAGE_PIXELS is %s pixels): %s" % (path, Image.MAX_IMAGE_PIXELS, exc)) from exc
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
            raise ValueError("Cannot read the image file %r: %s" % (path, exc)) from exc
        if arr.ndim == 2:
            return arr[np.newaxis, :, :].copy()
        return np.ascontiguousarray(arr.transpose((2, 0, 1)))

    def _decode(self, img: Image.Image, path: str) -> np.ndarray:
        """``(H, W)`` or ``(H, W, C)`` pixels of the opened ``img``, resized and converted."""
        size = (self.width, self.height)
        mode, raw_mode = img.mode, _raw_mode(img)
        if mode in _SIXTEEN_BIT_MODES or mode == "I":
            values = np.asarray(img).astype(np.float32)
            if mode == "I" and values.size and (values.min() < 0 or values.max() > _SIXTEEN_BIT_MAX):
                raise ImageDecodeError(
                    "Image file %r is a 32-bit integer image with values in [%d, %d]; only 8- and 16-bit "
                    "images have a known range. Convert it to 8 or 16 bits." % (path, values.min(), values.max()))
            if img.size != size:
                values = np.asarray(Image.fromarray(values, mode="F").resize(size), dtype=np.float32)
            return values * np.float32(255.0 / _SIXTEEN_BIT_MAX)
        if ";16" in raw_mode:
            raise ImageDecodeError(
                "Image file %r is a 16-bit %s image, which PIL can only reduce to 8 bits per channel; convert "
                "it to 8 bits per channel (or to 16-bit grayscale, which is decoded at full precision)."
                % (path, mode))
        if mode in ("F", "I;32", "I;32B", "I;32L"):
            raise ImageDecodeError("Image file %r holds %s pixels (PIL mode %s) whose range is unknown; "
                                   "convert it to an 8- or 16-bit image." % (path, "floating-point"
                                                                             if mode == "F" else "32-bit", mode))
        if mode in ("P", "PA", "1"):
            # through the palette first: resizing palette indices would mix unrelated colours
            img = img.convert("L" if self.channel == 1 or mode == "1" else "RGBA" if self.channel == 4 else "RGB")
        if img.size != size:
            img = img.resize(size)
        if self.channel == 1 and img.mode != "L":
            img = img.convert("L")
        return np.asarray(img, dtype=np.uint8)
