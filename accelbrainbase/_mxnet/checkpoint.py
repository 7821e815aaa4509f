"""Checkpoints: parameters, optimiser states, loss history and epoch in one atomic file that holds
data, never code.

A checkpoint is a zip archive with exactly two members:

``arrays.nd``
    every array in MXNet's binary NDArray format (no pickle): the parameters by Gluon
    structural name (``param:0.weight``), each optimiser's state (``trainer:<name>:<index>:<k>``)
    and the learner's extra arrays (``extra:<name>``);
``meta.json``
    epoch, learning rate, history, the layout of each optimiser's state (which arrays make the
    state of which parameter, and the optimiser's update counters) and the format version.

Loading reads both members from memory (``mx.nd.load_frombuffer`` and ``json``); nothing is
ever unpickled, so a crafted checkpoint cannot run code. A corrupt, truncated or foreign file,
or one written for another architecture, raises ``ValueError`` naming the path and what does
not match.

Writing goes to a temporary file in the destination folder, which ``os.replace`` moves into
place, so an interrupted write never leaves a truncated checkpoint (the previous one stays
intact); temporary files left behind by killed runs are removed by the next save. Nothing is
written outside the checkpoint's folder, and the file's mode follows the umask.
"""
from __future__ import annotations

import glob
import json
import os
import tempfile
import zipfile
from typing import Any, Dict, Mapping, Optional, Tuple

import mxnet as mx
from mxnet import gluon

FORMAT_VERSION = 2
ARRAYS, META = "arrays.nd", "meta.json"


# ---------------------------------------------------------------------- paths
def check_checkpoint_path(path, name: str = "checkpoint_path") -> str:
    """``path`` with ``~`` expanded, checked before any training: not a folder, and its parent
    is an existing writable folder. Returns the expanded path."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError("%s must be a path (str or os.PathLike), not %s." % (name, type(path).__name__))
    path = os.path.expanduser(os.fspath(path))
    if not path:
        raise ValueError("%s must not be empty." % name)
    if os.path.isdir(path):
        raise ValueError("%s %r is a folder; give a file name inside it (e.g. %r)."
                         % (name, path, os.path.join(path, "model.ckpt")))
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise ValueError("%s %r: its folder %r does not exist (or is a file)." % (name, path, parent))
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ValueError("%s %r: its folder %r is not writable." % (name, path, parent))
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _remove_stale_temporaries(path: str) -> None:
    """Delete temporary files a killed run left beside ``path`` (``.<name>.*.tmp``)."""
    folder, base = os.path.split(os.path.abspath(path))
    for stale in glob.glob(os.path.join(folder, ".%s.*.tmp" % glob.escape(base))):
        try:
            os.remove(stale)
        except OSError:
            pass


def atomic_write(path: str, write) -> None:
    """Call ``write(tmp_path)`` and move the result to ``path`` atomically (mode per the umask)."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    _remove_stale_temporaries(path)
    fd, tmp_path = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        write(tmp_path)
        os.chmod(tmp_path, 0o666 & ~_umask())
        os.replace(tmp_path, path)
    except BaseException:
        if os.path.exists(tmp_path):
            os.remove(tmp_path)
        raise


# ---------------------------------------------------------------------- optimiser states as data
def _updater(trainer: gluon.Trainer):
    """The updaters holding ``trainer``'s optimiser states: the kvstore's when it updates the
    weights, else the trainer's own (one per context)."""
    if trainer._kv_initialized and trainer._kvstore is not None and trainer._update_on_kvstore:
        return [trainer._kvstore._updater]
    return list(trainer._updaters)


def _encode_state(state, key: str, arrays: Dict[str, mx.nd.NDArray]):
    """A JSON skeleton of one parameter's optimiser state; its arrays go into ``arrays``."""
    if state is None:
        return None
    if isinstance(state, mx.nd.NDArray):
        arrays[key] = state
        return {"array": key}
    if isinstance(state, (tuple, list)):
        return {"items": [_encode_state(item, "%s:%d" % (key, i), arrays) for i, item in enumerate(state)],
                "tuple": isinstance(state, tuple)}
    if isinstance(state, (int, float, bool)):
        return {"value": state}
    raise ValueError("Cannot store an optimiser state of type %s in a checkpoint." % type(state).__name__)


def _decode_state(skeleton, arrays: Dict[str, mx.nd.NDArray], where: str):
    if skeleton is None:
        return None
    if not isinstance(skeleton, dict):
        raise ValueError("%s: malformed optimiser state %r." % (where, skeleton))
    if "array" in skeleton:
        if skeleton["array"] not in arrays:
            raise ValueError("%s: the optimiser state array %r is missing." % (where, skeleton["array"]))
        return arrays[skeleton["array"]]
    if "items" in skeleton:
        items = [_decode_state(item, arrays, where) for item in skeleton["items"]]
        return tuple(items) if skeleton.get("tuple", True) else items
    if "value" in skeleton:
        return skeleton["value"]
    raise ValueError("%s: malformed optimiser state %r." % (where, skeleton))


def trainer_state(trainer: gluon.Trainer, name: str, arrays: Dict[str, mx.nd.NDArray]) -> Dict[str, Any]:
    """``trainer``'s optimiser states as arrays (added to ``arrays``) plus a JSON description."""
    updater = _updater(trainer)[0]
    if updater is None:  # a distributed kvstore: the servers hold the optimiser and its states
        return {"optimizer": type(trainer.optimizer).__name__.lower(), "states": {}, "on_servers": True}
    optimizer = updater.optimizer
    states = {str(index): _encode_state(state, "trainer:%s:%s" % (name, index), arrays)
              for index, state in updater.states.items()}
    return {
        "optimizer": type(optimizer).__name__.lower(),
        "states": states,
        "num_update": int(optimizer.num_update),
        "update_counts": {str(device): {str(index): int(count) for index, count in counts.items()}
                          for device, counts in optimizer._all_index_update_counts.items()},
    }


def restore_trainer_state(trainer: gluon.Trainer, description: Dict[str, Any], arrays: Dict[str, mx.nd.NDArray],
                          where: str) -> None:
    """Put the states :func:`trainer_state` described back into ``trainer`` (whose parameters are
    already loaded, so its kvstore can be set up first and receive them)."""
    if not trainer._kv_initialized:
        trainer._init_kvstore()
    updaters = [updater for updater in _updater(trainer) if updater is not None]
    if description.get("on_servers") or not updaters:
        return  # written (or resumed) with a distributed kvstore: the servers' optimiser starts afresh
    states = {int(index): _decode_state(skeleton, arrays, where)
              for index, skeleton in description.get("states", {}).items()}
    counts = {int(device): {int(index): int(count) for index, count in per_device.items()}
              for device, per_device in description.get("update_counts", {"0": {}}).items()}
    for updater in updaters:
        updater.states = dict(states)
        updater.states_synced = dict.fromkeys(states, False)  # moved to each weight's context on use
        optimizer = updater.optimizer
        optimizer.num_update = int(description.get("num_update", 0))
        optimizer._all_index_update_counts = {device: dict(c) for device, c in counts.items()} or {0: {}}
        optimizer._index_update_count = optimizer._all_index_update_counts.setdefault(0, {})


# ---------------------------------------------------------------------- parameters as data
def _structural_params(block: gluon.Block) -> Dict[str, gluon.Parameter]:
    return block._collect_params_with_prefix()


def _parameter_arrays(block: gluon.Block, arrays: Dict[str, mx.nd.NDArray]) -> None:
    seen = set()
    for name, param in _structural_params(block).items():
        if param in seen:  # a shared parameter is stored once
            continue
        seen.add(param)
        arrays["param:" + name] = param._reduce()


def _load_parameters(block: gluon.Block, arrays: Dict[str, mx.nd.NDArray], ctx, path: str) -> None:
    params = _structural_params(block)
    stored = {key[len("param:"):]: value for key, value in arrays.items() if key.startswith("param:")}
    by_param: Dict[gluon.Parameter, list] = {}
    for name, param in params.items():
        by_param.setdefault(param, []).append(name)
    missing = [names[0] for names in by_param.values() if not any(n in stored for n in names)]
    extra = sorted(set(stored) - set(params))
    if missing or extra:
        raise ValueError(
            "checkpoint_path %r was written for another architecture than this %s: %s%s."
            % (path, type(block).__name__,
               "missing parameters %s" % ", ".join(missing[:5]) if missing else "",
               ("; " if missing else "") + "unknown parameters %s" % ", ".join(extra[:5]) if extra else ""))
    for name, param in params.items():
        if name not in stored:
            continue
        value = stored[name]
        known = tuple(param.shape or ())
        if known and (len(known) != value.ndim or any(k not in (0, v) for k, v in zip(known, value.shape))):
            raise ValueError("checkpoint_path %r was written for another architecture: parameter %s has shape %s "
                             "there but %s in this %s." % (path, name, value.shape, param.shape, type(block).__name__))
        param._load_init(value, ctx)


# ---------------------------------------------------------------------- save / load
def save_checkpoint(path: str, block: gluon.Block, trainers: Mapping[str, gluon.Trainer], meta: Dict[str, Any],
                    extra_arrays: Optional[Mapping[str, Any]] = None) -> None:
    """Write ``block``'s parameters, each trainer's state, ``meta`` and optional named NDArrays
    (learner state that is not a parameter, e.g. a persistent Markov chain) to ``path``."""
    arrays: Dict[str, mx.nd.NDArray] = {}
    _parameter_arrays(block, arrays)
    trainer_meta = {name: trainer_state(trainer, name, arrays) for name, trainer in trainers.items()}
    for name, value in (extra_arrays or {}).items():
        arrays["extra:" + name] = value
    payload = dict(meta, format_version=FORMAT_VERSION, trainers=trainer_meta)
    folder = os.path.dirname(os.path.abspath(path))

    def write(tmp_path: str) -> None:
        fd, scratch = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), suffix=".arrays.tmp", dir=folder)
        os.close(fd)
        try:
            mx.nd.save(scratch, arrays)
            with zipfile.ZipFile(tmp_path, "w", compression=zipfile.ZIP_STORED) as archive:
                archive.write(scratch, ARRAYS)
                archive.writestr(META, json.dumps(payload))
        finally:
            os.remove(scratch)

    atomic_write(path, write)


def read_checkpoint(path: str) -> Tuple[Dict[str, Any], Dict[str, mx.nd.NDArray]]:
    """``(meta, arrays)`` of the checkpoint at ``path``, validated; nothing is unpickled."""
    if not os.path.isfile(path):
        raise ValueError("checkpoint_path %r does not exist." % path)
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if names != {ARRAYS, META}:
                raise ValueError("checkpoint_path %r is not an accelbrainbase checkpoint of format %d: it holds %s "
                                 "(expected %s and %s only)." % (path, FORMAT_VERSION, sorted(names), ARRAYS, META))
            damaged = archive.testzip()
            if damaged is not None:
                raise ValueError("checkpoint_path %r is damaged: member %s fails its checksum." % (path, damaged))
            meta_bytes, array_bytes = archive.read(META), archive.read(ARRAYS)
    except (zipfile.BadZipFile, EOFError, OSError) as error:
        raise ValueError("checkpoint_path %r is not a readable checkpoint (truncated or not a zip archive: %s)."
                         % (path, error)) from None
    try:
        meta = json.loads(meta_bytes.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ValueError("checkpoint_path %r: %s is not JSON." % (path, META)) from None
    if not isinstance(meta, dict) or meta.get("format_version") != FORMAT_VERSION:
        raise ValueError("checkpoint_path %r has format %r; this version reads format %d."
                         % (path, meta.get("format_version") if isinstance(meta, dict) else None, FORMAT_VERSION))
    try:
        arrays = mx.nd.load_frombuffer(array_bytes)
    except mx.base.MXNetError:
        raise ValueError("checkpoint_path %r: %s is not an MXNet array file." % (path, ARRAYS)) from None
    if not isinstance(arrays, dict):
        raise ValueError("checkpoint_path %r: %s holds no named arrays." % (path, ARRAYS))
    return meta, arrays


def load_checkpoint(path: str, block: gluon.Block, trainers: Mapping[str, gluon.Trainer], ctx) -> Dict[str, Any]:
    """Restore ``block`` and ``trainers`` from ``path``; return the stored ``meta`` (with
    ``extra_arrays``, and ``skipped_trainers``: the names whose optimiser differs, left fresh)."""
    meta, arrays = read_checkpoint(path)
    _load_parameters(block, arrays, ctx, path)
    stored = meta.get("trainers", {})
    meta["skipped_trainers"] = []
    for name, trainer in trainers.items():
        description = stored.get(name)
        if description is None:
            raise ValueError("checkpoint_path %r holds no state for the optimiser %r (it has %s)."
                             % (path, name, sorted(stored)))
        optimizer = type(trainer.optimizer).__name__.lower()
        if description.get("optimizer") != optimizer:
            meta["skipped_trainers"].append((name, description.get("optimizer"), optimizer))
            continue
        restore_trainer_state(trainer, description, arrays, "checkpoint_path %r" % path)
    meta["extra_arrays"] = {key[len("extra:"):]: value for key, value in arrays.items() if key.startswith("extra:")}
    return meta
