"""Global average pooling as a Gluon layer: (B, C, H, W) → (B, C, 1, 1)."""
from mxnet.gluon.nn.conv_layers import _Pooling


class GlobalAvgPool2D(_Pooling):
    """Average over the whole spatial extent. ``pool_size`` is accepted and has no effect.

    Args:
        layout: ``'NCHW'`` or ``'NHWC'``.
    """

    def __init__(self, pool_size=(1, 1), layout="NCHW", **kwargs):
        assert layout in ("NCHW", "NHWC"), "layout must be 'NCHW' or 'NHWC', got %r" % (layout,)
        super().__init__((1, 1), None, 0, True, True, "avg", layout, **kwargs)
