"""Decode one image file into a float32 ``(C, H, W)`` NDArray on a context."""
from __future__ import annotations

import mxnet as mx

from accelbrainbase._mxnet.context import DEFAULT_CTX, first_ctx, resolve_ctx
from accelbrainbase.extractabledata.image_extractor import ImageExtractor as _NeutralImageExtractor


class ImageExtractor(_NeutralImageExtractor):
    """The neutral :class:`ImageExtractor` returning ``mx.nd.NDArray`` (float32) on ``ctx``.

    Args:
        width: output width in pixels.
        height: output height in pixels.
        channel: 1 for grayscale; 3 or 4 to keep the file's colour bands.
        ctx: where the arrays are placed. The default means "a GPU when MXNet sees one,
            else the CPU"; an explicit GPU on a machine without one raises ``ValueError``.
    """

    def __init__(self, width: int, height: int, channel: int, ctx: mx.Context = DEFAULT_CTX) -> None:
        super().__init__(width, height, channel)
        self.__ctx = first_ctx(resolve_ctx(ctx, "ctx"))

    @property
    def ctx(self) -> mx.Context:
        """The (resolved) context the extracted arrays live on. Read-only."""
        return self.__ctx

    @ctx.setter
    def ctx(self, value) -> None:
        raise TypeError("ctx is read-only; pass it to the constructor.")

    def extract(self, path: str) -> mx.nd.NDArray:
        """Decode ``path`` into a float32 NDArray of shape ``(C, height, width)`` on ``ctx``."""
        return mx.nd.array(self.decode_array(path), ctx=self.__ctx, dtype="float32")
