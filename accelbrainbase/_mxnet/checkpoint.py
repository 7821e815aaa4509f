"""Checkpoints: parameters, optimizer states, loss history and epoch in one atomic file.

A checkpoint is a zip archive with ``params`` (Gluon structural parameter names),
``trainer_<name>.states`` (one per optimizer) and ``meta.json`` (epoch, learning rate,
history).  It is written to a temporary file in the destination folder and moved into place
with ``os.replace``, so an interrupted write never leaves a truncated checkpoint behind: the
previous one stays intact until the new one is complete.
"""
from __future__ import annotations

import json
import os
import tempfile
import zipfile
from typing import Any, Dict, Mapping, Optional

import mxnet as mx

from mxnet import gluon

FORMAT_VERSION = 1


def atomic_write(path: str, write) -> None:
    """Call ``write(tmp_path)`` and move the result to ``path`` atomically."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp_path = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        write(tmp_path)
        os.replace(tmp_path, path)
    except BaseException:
        if os.path.exists(tmp_path):
            os.remove(tmp_path)
        raise


def save_checkpoint(path: str, block: gluon.Block, trainers: Mapping[str, gluon.Trainer], meta: Dict[str, Any],
                    extra_arrays: Optional[Mapping[str, Any]] = None) -> None:
    """Write ``block``'s parameters, each trainer's state, ``meta`` and optional named NDArrays
    (learner state that is not a parameter, e.g. a persistent Markov chain) to ``path``."""
    with tempfile.TemporaryDirectory() as scratch:
        params_file = os.path.join(scratch, "params")
        # the plain Block implementation: structural names, one file, whatever the model overrides
        gluon.Block.save_parameters(block, params_file, deduplicate=True)
        state_files = {}
        for name, trainer in trainers.items():
            if trainer is None:
                continue
            state_file = os.path.join(scratch, "trainer_%s.states" % name)
            trainer.save_states(state_file)
            state_files[name] = state_file
        payload = dict(meta, format_version=FORMAT_VERSION, trainers=sorted(state_files))
        extra_file = None
        if extra_arrays:
            extra_file = os.path.join(scratch, "extra.nd")
            mx.nd.save(extra_file, dict(extra_arrays))

        def write(tmp_path: str) -> None:
            with zipfile.ZipFile(tmp_path, "w", compression=zipfile.ZIP_STORED) as archive:
                archive.write(params_file, "params")
                for name, state_file in state_files.items():
                    archive.write(state_file, "trainer_%s.states" % name)
                if extra_file is not None:
                    archive.write(extra_file, "extra.nd")
                archive.writestr("meta.json", json.dumps(payload))

        atomic_write(path, write)


def load_checkpoint(path: str, block: gluon.Block, trainers: Mapping[str, gluon.Trainer], ctx) -> Dict[str, Any]:
    """Restore ``block`` and ``trainers`` from ``path``; return the stored ``meta``."""
    if not os.path.isfile(path):
        raise ValueError("checkpoint_path %r does not exist." % path)
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as error:
        raise ValueError("checkpoint_path %r is not an accelbrainbase checkpoint (%s)." % (path, error)) from None
    with archive, tempfile.TemporaryDirectory() as scratch:
        names = set(archive.namelist())
        if not {"params", "meta.json"} <= names:
            raise ValueError("checkpoint_path %r lacks params or meta.json." % path)
        meta = json.loads(archive.read("meta.json").decode("utf-8"))
        archive.extract("params", scratch)
        gluon.Block.load_parameters(block, os.path.join(scratch, "params"), ctx=ctx)
        for name in meta.get("trainers", []):
            trainer = trainers.get(name)
            if trainer is None:
                continue
            member = "trainer_%s.states" % name
            archive.extract(member, scratch)
            trainer.load_states(os.path.join(scratch, member))
        meta["extra_arrays"] = {}
        if "extra.nd" in names:
            archive.extract("extra.nd", scratch)
            meta["extra_arrays"] = mx.nd.load(os.path.join(scratch, "extra.nd"))
    return meta
