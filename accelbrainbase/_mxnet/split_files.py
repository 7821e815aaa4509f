"""One parameter file per sub-model, as composites save them (``model.params`` →
``model_encoder.params``, ``model_decoder.params``, ...)."""
from __future__ import annotations

import os
from typing import Mapping

from mxnet import gluon

from accelbrainbase._mxnet.checkpoint import atomic_write


def part_filename(filename: str, role: str) -> str:
    """``"dir/model.params"`` and ``"encoder"`` → ``"dir/model_encoder.params"``."""
    stem, dot, ext = filename.rpartition(".")
    if not dot or os.sep in ext:
        return "%s_%s" % (filename, role)
    return "%s_%s.%s" % (stem, role, ext)


def save_parts(filename: str, parts: Mapping[str, gluon.Block]) -> None:
    for role, block in parts.items():
        atomic_write(part_filename(filename, role), lambda tmp, block=block: gluon.Block.save_parameters(block, tmp))


def load_parts(filename: str, parts: Mapping[str, gluon.Block], ctx=None, allow_missing=False,
               ignore_extra=False) -> None:
    for role, block in parts.items():
        path = part_filename(filename, role)
        if not os.path.isfile(path):
            raise ValueError("filename %r: the %s's parameter file %r does not exist." % (filename, role, path))
        gluon.Block.load_parameters(block, path, ctx=ctx, allow_missing=allow_missing, ignore_extra=ignore_extra)
